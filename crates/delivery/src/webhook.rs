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
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tripdesk_app::App;
use tripdesk_domain::clock::Clock;
use tripdesk_store::Store;
use uuid::Uuid;

pub const SIGNATURE_HEADER: &str = "X-Tripdesk-Signature";
pub const EVENT_HEADER: &str = "X-Tripdesk-Event";
pub const DELIVERY_HEADER: &str = "X-Tripdesk-Delivery";
/// How far a signature's timestamp may be from the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the timestamp is too far from now (replay?)")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a received webhook: `header` is the `X-Tripdesk-Signature` value, `body` the exact
/// bytes received, `now` the receiver's unix time.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => tags.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if tags.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(VerifyError::Stale);
    }
    let expected = mac(secret, timestamp, body);
    if tags
        .iter()
        .any(|t| expected.clone().verify_slice(t).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let body = br#"{"event":"booking.confirmed"}"#;
        let header = sign("whsec_k", 1_770_000_000, body);
        assert!(header.starts_with("t=1770000000,v1="));
        assert_eq!(verify("whsec_k", &header, body, 1_770_000_100), Ok(()));
        assert_eq!(
            verify("whsec_k", &header, body, 1_770_000_000 + TOLERANCE_SECS + 1),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("whsec_other", &header, body, 1_770_000_000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", &header, b"{}", 1_770_000_000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", "v1=00", body, 1_770_000_000),
            Err(VerifyError::Malformed)
        );
        // The documented construction: hex(HMAC-SHA256(secret, "t.body")).
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_k").unwrap();
        mac.update(b"1770000000.");
        mac.update(body);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=1770000000,v1={expected}"));
    }
}
