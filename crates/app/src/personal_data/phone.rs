//! Phone calls' personal data: the customer's number on each call (sealed, with its blind
//! index). The copy lists the customer's calls with their numbers opened; erasure forgets the
//! numbers of their calls and of calls from one of their phones, and unlinks them — the
//! times stay, anonymous, for the answer rate. The numbers of the CTI events from their
//! phones are forgotten and their callback tasks (number, note) deleted.

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{CallFilter, TextColumn, Tx, CALL_FIELDS};
use uuid::Uuid;

pub(super) struct Calls;

#[async_trait]
impl PersonalData for Calls {
    fn name(&self) -> &'static str {
        "calls"
    }

    fn fields(&self) -> &'static [TextColumn] {
        CALL_FIELDS
    }

    /// The blind indexes of the customer's phones, read before the customers capability
    /// deletes the identifiers.
    async fn gather(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &mut Subject,
    ) -> Result<(), AppError> {
        for index in super::sms::phone_indexes(tx, subject.customer).await? {
            if !subject.phone_indexes.contains(&index) {
                subject.phone_indexes.push(index);
            }
        }
        Ok(())
    }

    async fn export(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let filter = CallFilter {
            customer_id: Some(customer),
            ..CallFilter::default()
        };
        let calls = tx.list_calls(&filter, 10_000, 0).await?;
        if calls.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(calls.len());
        for c in &calls {
            rows.push(json!({
                "id": c.id,
                "direction": c.direction.as_str(),
                "number": app.open_call_number(c)?,
                "started_at": c.started_at.to_string(),
                "disposition": c.disposition.as_str(),
            }));
        }
        Ok(Some(json!({ "calls": rows })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx
            .erase_calls(subject.customer, &subject.phone_indexes)
            .await?;
        let tasks = tx
            .erase_callback_tasks(subject.customer, &subject.phone_indexes)
            .await?;
        Ok(Counts::from([
            ("calls".into(), n),
            ("callback_tasks".into(), tasks),
        ]))
    }
}
