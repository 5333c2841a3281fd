//! WeChat's personal data: the customer's OpenIDs (sealed, and their keyed hashes) and what
//! they pushed (texts and MediaIds sealed). The texts shown to agents live on the ticket's
//! timeline (the desk's capability). The copy opens them; erasure deletes the rows.

use super::{Counts, PersonalData, Subject};
use crate::customers::open_sealed;
use crate::wechat_in::{BODY_FIELD, OPENID_FIELD};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{TextColumn, Tx, WECHAT_FIELDS};
use uuid::Uuid;

pub(super) struct Wechat;

#[async_trait]
impl PersonalData for Wechat {
    fn name(&self) -> &'static str {
        "wechat"
    }

    fn fields(&self) -> &'static [TextColumn] {
        WECHAT_FIELDS
    }

    async fn export(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let (users, messages) = tx.customer_wechat(customer).await?;
        if users.is_empty() && messages.is_empty() {
            return Ok(None);
        }
        let vault = app.vault()?;
        let mut followers = Vec::new();
        for u in &users {
            followers.push(json!({
                "openid": open_sealed(vault, OPENID_FIELD, u.id, &u.openid_sealed)?.expose_secret(),
                "subscribed": u.subscribed,
                "since": u.created_at.to_string(),
            }));
        }
        let mut rows = Vec::new();
        for m in &messages {
            let body = match &m.sealed_body {
                Some(b) => Some(
                    open_sealed(vault, BODY_FIELD, m.id, b)?
                        .expose_secret()
                        .clone(),
                ),
                None => None,
            };
            rows.push(json!({
                "type": m.msg_type,
                "detail": m.detail,
                "body": body,
                "ticket_id": m.ticket_id,
                "sent_at": m.sent_at.to_string(),
            }));
        }
        Ok(Some(json!({ "followers": followers, "messages": rows })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx.delete_customer_wechat(subject.customer).await?;
        Ok(Counts::from([("wechat".into(), n)]))
    }
}
