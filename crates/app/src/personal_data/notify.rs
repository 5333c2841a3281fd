//! Notifications' personal data: messages to or about the customer in the outbox (and their
//! attempts and attachments), the bell's notifications, the customer's preferences.

use super::{Counts, PersonalData, Subject};
use crate::erasure::CANCELLED_BY_ERASURE;
use crate::{App, AppError};
use async_trait::async_trait;
use tripdesk_domain::customer::erasure::ERASED;
use tripdesk_store::{TextColumn, Tx, NOTIFY_FIELDS};

pub(super) struct Notifications;

#[async_trait]
impl PersonalData for Notifications {
    fn name(&self) -> &'static str {
        "notifications"
    }

    /// The copy is the default: the messages addressed to the customer (recipient,
    /// subject, text), declared with `customer_of`.
    fn fields(&self) -> &'static [TextColumn] {
        NOTIFY_FIELDS
    }

    /// Messages to the customer (by id, or an email to one of their addresses) replaced,
    /// those not yet sent cancelled; preferences deleted.
    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let e = tx
            .erase_customer_messages(
                subject.customer,
                &subject.emails,
                ERASED,
                CANCELLED_BY_ERASURE,
                subject.now,
            )
            .await?;
        Ok(Counts::from([
            ("messages".into(), e.messages),
            ("messages_cancelled".into(), e.cancelled),
        ]))
    }
}
