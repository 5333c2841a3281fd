//! Web chats' personal data: what the visitor and the agents wrote (sealed per message). The
//! copy lists the customer's chats with their messages opened; erasure forgets the texts of
//! their chats and keeps the chats' times for the statistics.

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{ChatFilter, TextColumn, Tx, CHAT_FIELDS};
use uuid::Uuid;

pub(super) struct Chats;

#[async_trait]
impl PersonalData for Chats {
    fn name(&self) -> &'static str {
        "chats"
    }

    fn fields(&self) -> &'static [TextColumn] {
        CHAT_FIELDS
    }

    async fn export(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let filter = ChatFilter {
            customer_id: Some(customer),
            ..ChatFilter::default()
        };
        let chats = tx.list_chats(&filter, 10_000, 0).await?;
        if chats.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(chats.len());
        for c in &chats {
            let lines = app.chat_lines(tx, c.chat.id, 0).await?;
            rows.push(json!({
                "id": c.chat.id,
                "state": c.chat.state.as_str(),
                "started_at": c.chat.started_at.to_string(),
                "messages": lines.iter().map(|l| json!({
                    "author": l.author.as_str(),
                    "text": l.text,
                    "at": l.at.to_string(),
                })).collect::<Vec<_>>(),
            }));
        }
        Ok(Some(json!({ "chats": rows })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx.erase_chat_messages(subject.customer).await?;
        Ok(Counts::from([("chat_messages".into(), n)]))
    }
}
