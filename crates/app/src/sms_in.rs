//! SMS replies as conversations (issue 17 item 5): a customer's text that is not a safety
//! check-in answer (`emergency::checkin`) goes on the timeline of the sender's newest open
//! ticket, whatever its channel, as a `customer_sms` entry (`data.channel` = `sms`); with
//! none open it opens an inquiry on channel `social` — the desk's channel for messaging
//! apps, whose first-response clock (30 minutes) is the one a text expects; `phone` would
//! start its clock already answered, as a call is. The sender is found by the phone's blind
//! index; an unknown number becomes a customer (the phone sealed, as at intake). A number
//! several customers share is stored (as before) and threaded nowhere: which of them wrote
//! cannot be told.

use crate::customers::IntakeCustomer;
use crate::desk::NewTicket;
use crate::sms::ReceivedReply;
use crate::wechat_in::subject_of;
use crate::{App, AppError, Principal};
use serde_json::json;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_store::Tx;
use uuid::Uuid;

impl App {
    /// Who takes SMS into the desk (no account, no role).
    pub fn sms_intake_principal() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "sms".into(),
            display_name: "短信".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: crate::auth::Credential::Console,
        }
    }

    /// Puts a stored reply into its sender's conversation, in the caller's transaction (see
    /// the module). Returns the ticket it went to.
    pub(crate) async fn thread_sms_reply(
        &self,
        tx: &mut dyn Tx,
        reply: &ReceivedReply,
    ) -> Result<Option<Uuid>, AppError> {
        let p = Self::sms_intake_principal();
        let customer = match reply.customer_ids.as_slice() {
            [one] => *one,
            [] => {
                let intake = IntakeCustomer {
                    name: "短信客户".into(),
                    phone: Some(reply.phone.expose_secret().clone()),
                    email: None,
                };
                match self.prepare_intake_customer(&intake, "sms") {
                    Ok(Some(prepared)) => self.find_or_create_customer(tx, &p, prepared).await?,
                    // A short code or a number the customer rules refuse: stored only.
                    Ok(None) | Err(_) => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let name = tx
            .get_customer(customer)
            .await?
            .map(|c| c.name)
            .unwrap_or_else(|| "短信客户".into());
        let text = reply.text.expose_secret().trim();
        let text = if text.is_empty() { "(空)" } else { text };
        let (ticket_id, event_id) = match tx.newest_open_ticket(customer).await? {
            Some(ticket_id) => {
                let event = self
                    .customer_message_event(
                        tx,
                        ticket_id,
                        &name,
                        "customer_sms",
                        text,
                        json!({"channel": "sms"}),
                    )
                    .await?;
                (ticket_id, Some(event))
            }
            None => {
                let detail = self
                    .insert_new_ticket(
                        tx,
                        &p,
                        NewTicket {
                            kind: TicketKind::Inquiry,
                            channel: Channel::Social,
                            level: None,
                            subject: subject_of("短信", text),
                            description: text.to_string(),
                            customer_name: name.chars().take(80).collect(),
                            customer_phone: None,
                            customer_email: None,
                            customer_id: Some(customer),
                            booking_ref: None,
                            business_area: None,
                            tags: Vec::new(),
                        },
                        Level::General,
                        Some(customer),
                        None,
                    )
                    .await?;
                (detail.ticket.id, None)
            }
        };
        tx.set_sms_reply_thread(reply.id, ticket_id, event_id)
            .await?;
        Ok(Some(ticket_id))
    }
}
