//! Outgoing webhooks: an HTTP POST of a JSON event to each subscribed endpoint, signed so the
//! receiver can tell it came from this tripdesk and is fresh.
//!
//! Headers: `X-Tripdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! `X-Tripdesk-Event: <event key>`, `X-Tripdesk-Delivery: <message id>` (the same on every
//! retry of one message: receivers de-duplicate on it). To verify, a receiver recomputes the
//! HMAC over the exact bytes received, compares in constant time, and rejects a timestamp
//! more than five minutes from its clock (replay protection) — [`verify`] does all three.
//! 2xx is delivered; 408, 429, 5xx and network errors are retried; other 4xx are permanent.

use crate::channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tripdesk_app::App;
use tripdesk_domain::clock::Clock;
use tripdesk_store::Store;
use uuid::Uuid;

/// The one signature scheme, shared with the payment notifications tripdesk receives.
pub use tripdesk_vault::webhook::{sign, verify, VerifyError, SIGNATURE_HEADER, TOLERANCE_SECS};

pub const EVENT_HEADER: &str = "X-Tripdesk-Event";
pub const DELIVERY_HEADER: &str = "X-Tripdesk-Delivery";

/// The webhook channel: looks up the endpoint of each message and POSTs the event.
pub struct WebhookChannel {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
}

impl WebhookChannel {
    pub fn new(app: &App) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tripdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("static HTTP client settings");
        Self {
            store: app.store.clone(),
            clock: app.clock.clone(),
            client,
        }
    }
}

/// The JSON body sent for a message.
pub fn payload(outgoing: &Outgoing) -> String {
    let m = &outgoing.message;
    let data = serde_json::from_str::<serde_json::Value>(&m.body_text)
        .unwrap_or_else(|_| serde_json::Value::String(m.body_text.clone()));
    serde_json::json!({
        "id": m.id,
        "event": m.event.as_deref().unwrap_or(&m.subject),
        "created_at": m.created_at.to_string(),
        "related": m.related_id.as_ref().map(|id| serde_json::json!({
            "type": m.related_type, "id": id
        })),
        "data": data,
    })
    .to_string()
}

#[async_trait]
impl Channel for WebhookChannel {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError> {
        let m = &outgoing.message;
        let endpoint_id = Uuid::parse_str(&m.recipient)
            .map_err(|_| ChannelError::permanent("the recipient is not a webhook endpoint id"))?;
        let endpoint = {
            let mut tx = self
                .store
                .read()
                .await
                .map_err(|e| ChannelError::retry(format!("database: {e}")))?;
            tx.get_webhook(endpoint_id)
                .await
                .map_err(|e| ChannelError::retry(format!("database: {e}")))?
        };
        let Some(endpoint) = endpoint.filter(|e| e.active) else {
            return Err(ChannelError::permanent(
                "the webhook endpoint was deleted or deactivated",
            ));
        };
        let body = payload(outgoing);
        let timestamp = self.clock.now().as_second();
        let response = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                sign(&endpoint.secret, timestamp, body.as_bytes()),
            )
            .header(EVENT_HEADER, m.event.as_deref().unwrap_or("message"))
            .header(DELIVERY_HEADER, m.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                ChannelError::retry(if e.is_timeout() {
                    "the endpoint did not answer in time".to_string()
                } else if e.is_connect() {
                    "could not connect to the endpoint".to_string()
                } else {
                    "the request failed".to_string()
                })
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(DeliveryReceipt(format!("HTTP {}", status.as_u16())))
        } else if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
            Err(ChannelError::retry(format!("HTTP {}", status.as_u16())))
        } else {
            Err(ChannelError::permanent(format!("HTTP {}", status.as_u16())))
        }
    }
}
