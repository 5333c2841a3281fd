//! Inbound email's personal data: the Message-IDs of a customer's mails and of the replies
//! sent to them (sealed, and their keyed hashes), kept to thread the conversation. The
//! mails' texts live on the ticket's timeline (the desk's capability). The copy lists the
//! mails; erasure deletes them — those matched to the customer and those of their tickets.

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{TextColumn, Tx, EMAIL_IN_FIELDS};
use uuid::Uuid;

pub(super) struct EmailMessages;

#[async_trait]
impl PersonalData for EmailMessages {
    fn name(&self) -> &'static str {
        "email_messages"
    }

    fn fields(&self) -> &'static [TextColumn] {
        EMAIL_IN_FIELDS
    }

    async fn export(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let mut rows = Vec::new();
        for m in tx.customer_email_messages(customer).await? {
            rows.push(json!({
                "id": m.id,
                "direction": m.direction,
                "ticket_id": m.ticket_id,
                "automatic": m.auto_kind.filter(|k| k != "ours"),
                "at": m.at.to_string(),
            }));
        }
        Ok((!rows.is_empty()).then(|| json!({ "mails": rows })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx
            .delete_email_messages(subject.customer, &subject.tickets)
            .await?;
        Ok(Counts::from([("email_messages".into(), n)]))
    }
}
