//! SMS replies' personal data: the texts a customer sent by SMS (sealed), matched to them by
//! their phone's blind index. The copy opens them; erasure deletes them — those matched to
//! the customer and those sent from one of their phones.

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{TextColumn, Tx, SMS_FIELDS};
use uuid::Uuid;

pub(super) struct SmsReplies;

/// The blind indexes of a customer's phones (SMS replies and calls are found by them).
pub(super) async fn phone_indexes(
    tx: &mut dyn Tx,
    customer: Uuid,
) -> Result<Vec<String>, AppError> {
    Ok(tx
        .list_identifiers(customer)
        .await?
        .into_iter()
        .filter(|i| i.kind == "phone")
        .map(|i| i.blind_index)
        .collect())
}

#[async_trait]
impl PersonalData for SmsReplies {
    fn name(&self) -> &'static str {
        "sms_replies"
    }

    fn fields(&self) -> &'static [TextColumn] {
        SMS_FIELDS
    }

    /// The blind indexes of the customer's phones, read before the customers capability
    /// deletes the identifiers.
    async fn gather(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &mut Subject,
    ) -> Result<(), AppError> {
        for index in phone_indexes(tx, subject.customer).await? {
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
        let indexes = phone_indexes(tx, customer).await?;
        let replies = tx.list_sms_replies(Some(customer), &indexes).await?;
        if replies.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(replies.len());
        for r in &replies {
            rows.push(json!({
                "id": r.id,
                "text": app.open_sms_reply(r)?.expose_secret(),
                "sent_at": r.sent_at.map(|t| t.to_string()),
                "received_at": r.received_at.to_string(),
            }));
        }
        Ok(Some(json!({ "replies": rows })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx
            .delete_sms_replies(subject.customer, &subject.phone_indexes)
            .await?;
        Ok(Counts::from([("sms_replies".into(), n)]))
    }
}
