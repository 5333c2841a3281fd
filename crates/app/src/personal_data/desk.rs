//! The desk's personal data: tickets (the public form's submissions are tickets too), their
//! timeline (replies, notes, steps), tasks and evidence attachments.

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_domain::customer::erasure::ERASED;
use tripdesk_store::{TextColumn, Tx, DESK_FIELDS};
use uuid::Uuid;

pub(super) struct Desk;

#[async_trait]
impl PersonalData for Desk {
    fn name(&self) -> &'static str {
        "desk"
    }

    fn fields(&self) -> &'static [TextColumn] {
        DESK_FIELDS
    }

    /// The customer's tickets; the names they gave are identifying values, the subjects and
    /// descriptions their own words.
    async fn gather(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &mut Subject,
    ) -> Result<(), AppError> {
        for t in tx.customer_ticket_texts(subject.customer).await? {
            subject.tickets.push(t.id);
            subject.add_identifying_text(&t.customer_name);
            subject.add_own_words(&t.subject);
            subject.add_own_words(&t.description);
        }
        Ok(())
    }

    async fn export(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let tickets = tx.customer_ticket_texts(customer).await?;
        if tickets.is_empty() {
            return Ok(None);
        }
        Ok(Some(json!({
            "tickets": tickets.iter().map(|t| json!({
                "id": t.id,
                "customer_name": t.customer_name,
                "subject": t.subject,
                "description": t.description,
            })).collect::<Vec<_>>(),
        })))
    }

    /// The tickets keep kind, level, states, timings and clocks for the statistics; their
    /// texts are replaced whole (they are the customer's words) and evidence deleted.
    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let e = tx.erase_customer_tickets(subject.customer, ERASED).await?;
        Ok(Counts::from([
            ("tickets".into(), e.tickets),
            ("timeline_entries".into(), e.timeline_entries),
            ("attachments_deleted".into(), e.attachments),
        ]))
    }
}
