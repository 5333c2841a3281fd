//! In-app notifications: delivering writes the notification to the staff member's bell (once
//! per message, so a repeated delivery changes nothing); its commit announces the user on the
//! after-commit signal's `bell` topic, so the bell's server-sent events on every node pick it
//! up at once.

use crate::channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
use async_trait::async_trait;
use std::sync::Arc;
use tripdesk_app::App;
use tripdesk_domain::clock::Clock;
use tripdesk_store::{InAppNotification, Store};
use uuid::Uuid;

pub struct InAppChannel {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl InAppChannel {
    pub fn new(app: &App) -> Self {
        Self {
            store: app.store.clone(),
            clock: app.clock.clone(),
        }
    }
}

#[async_trait]
impl Channel for InAppChannel {
    fn name(&self) -> &'static str {
        "in_app"
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError> {
        let m = &outgoing.message;
        let user_id = Uuid::parse_str(&m.recipient)
            .map_err(|_| ChannelError::permanent("the recipient is not a user id"))?;
        let db = |e: tripdesk_store::StoreError| match e {
            tripdesk_store::StoreError::BrokenReference => {
                ChannelError::permanent("the user no longer exists")
            }
            other => ChannelError::retry(format!("database: {other}")),
        };
        let mut tx = self.store.write().await.map_err(db)?;
        let fresh = tx
            .insert_inapp(&InAppNotification {
                id: Uuid::now_v7(),
                message_id: m.id,
                user_id,
                title: m.subject.clone(),
                body: m.body_text.clone(),
                link: tripdesk_app::notify::related_link(
                    m.related_type.as_deref(),
                    m.related_id.as_deref(),
                ),
                created_at: self.clock.now(),
                read_at: None,
            })
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(DeliveryReceipt(if fresh {
            "in bell".into()
        } else {
            "already in bell".into()
        }))
    }
}
