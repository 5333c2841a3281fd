//! A call turned into a ticket by an agent: channel Phone, the customer the call was matched
//! to (or the one holding its number, created from the sealed number when none does), the
//! agent's notes as the description; the call is linked to the ticket and shown on its
//! timeline (a `call` event whose data names the call, never the number).

use crate::customers::IntakeCustomer;
use crate::desk::{NewTicket, TicketDetail};
use crate::{check_text, App, AppError, Lines, Principal};
use serde_json::json;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::TicketEvent;
use uuid::Uuid;

/// What the agent writes when turning a call into a ticket.
#[derive(Debug, Clone)]
pub struct CallTicket {
    pub kind: TicketKind,
    pub subject: String,
    pub notes: String,
    /// The caller's name, when the call matched no customer (default 来电客户).
    pub customer_name: Option<String>,
}

/// The name a customer made from a call's number gets when the agent gives none.
pub const UNNAMED_CALLER: &str = "来电客户";

impl App {
    /// Turns a call into a ticket (needs `work_tickets`); 409 when it is one already.
    pub async fn call_to_ticket(
        &self,
        p: &Principal,
        call_id: Uuid,
        input: CallTicket,
    ) -> Result<TicketDetail, AppError> {
        p.require(Permission::WorkTickets)?;
        let mut fields = Vec::new();
        let subject = check_text(&mut fields, "subject", &input.subject, 200, Lines::One);
        let notes = check_text(&mut fields, "notes", &input.notes, 10_000, Lines::Many);
        let given_name = input
            .customer_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| check_text(&mut fields, "customer_name", n, 80, Lines::One));
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let mut call = tx
            .get_call(call_id)
            .await?
            .ok_or(AppError::NotFound("call"))?;
        if call.ticket_id.is_some() {
            return Err(AppError::Conflict {
                code: "has_ticket",
                message: "this call is a ticket already".into(),
                field: None,
            });
        }
        let name = given_name.unwrap_or_else(|| UNNAMED_CALLER.to_string());
        let customer_id = match call.customer_id {
            Some(id) => Some(id),
            None => match self.open_call_number(&call)? {
                Some(number) => {
                    let intake = IntakeCustomer {
                        name: name.clone(),
                        phone: Some(number),
                        email: None,
                    };
                    match self.prepare_intake_customer(&intake, Channel::Phone.as_str()) {
                        Ok(Some(prepared)) => {
                            Some(self.find_or_create_customer(&mut *tx, p, prepared).await?)
                        }
                        // A number that reads as no phone (withheld, an extension): no customer.
                        Ok(None) | Err(_) => None,
                    }
                }
                None => None,
            },
        };
        let customer_name = match customer_id {
            Some(id) => tx.get_customer(id).await?.map(|c| c.name).unwrap_or(name),
            None => name,
        };
        let detail = self
            .insert_new_ticket(
                &mut *tx,
                p,
                NewTicket {
                    kind: input.kind,
                    channel: Channel::Phone,
                    level: None,
                    subject,
                    description: notes,
                    customer_name,
                    customer_phone: None,
                    customer_email: None,
                    customer_id,
                    booking_ref: None,
                    business_area: None,
                    tags: Vec::new(),
                },
                Level::General,
                customer_id,
                None,
            )
            .await?;
        call.ticket_id = Some(detail.ticket.id);
        call.customer_id = call.customer_id.or(customer_id);
        tx.update_call(&call).await?;
        let event = TicketEvent {
            id: Uuid::now_v7(),
            ticket_id: detail.ticket.id,
            at: self.now(),
            actor_id: Some(p.user_id).filter(|id| !id.is_nil()),
            actor_name: p.display_name.clone(),
            kind: "call".into(),
            step: None,
            from_state: None,
            to_state: None,
            body: None,
            data: Some(
                json!({
                    "call_id": call.id,
                    "direction": call.direction.as_str(),
                    "line": call.line,
                    "agent": call.agent,
                    "started_at": call.started_at.to_string(),
                    "ring_secs": call.ring_secs,
                    "talk_secs": call.talk_secs,
                    "disposition": call.disposition.as_str(),
                })
                .to_string(),
            ),
        };
        tx.insert_ticket_event(&event).await?;
        tx.commit().await?;
        let mut detail = detail;
        detail.events.push(event);
        Ok(detail)
    }
}
