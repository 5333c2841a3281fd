//! SMS (issue 15 item 4): text messages through a provider in the style of the large Chinese
//! cloud SMS APIs (Aliyun Dysms `SendSms`, Tencent Cloud SMS), as an outbox channel named
//! `sms` (the sending is `tripdesk_delivery::sms`).
//!
//! - **No phone number in the database.** An SMS message's outbox `recipient` is
//!   [`sms_recipient`]`(identifier id, sealed)`: the customer's phone identifier row id and its
//!   sealed value as `customer_identifiers` holds it (sealed for that row id), so producing it
//!   needs no query and no key — a broadcast that already read the identifier rows makes
//!   100,000 in memory. The channel opens it with the vault at send time
//!   ([`open_sms_recipient`]). The message carries the customer's id, so erasing the customer
//!   clears and cancels it like their emails.
//! - **Receipts and replies** arrive by signed webhook (the one scheme,
//!   `tripdesk_vault::webhook`, with `sms_webhook_secret`): [`App::verify_sms_webhook`] first,
//!   then [`App::record_sms_receipts`] (the handset's state recorded once per message; a
//!   failed one of an emergency text leads to the traveler's next channel) or
//!   [`App::receive_sms_replies`] (stored once per provider sequence id, the phone only as the
//!   customers' blind index, the text sealed).
//! - The wire format both ways is [`wire`]; docs/ARCHITECTURE.md ("SMS") shows it.

use crate::customers::identifier_field;
use crate::{App, AppError, FieldError, Principal};
use jiff::Timestamp;
use tripdesk_domain::customer::Phone;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{
    CustomerIdentifier, DeliveryProgress, HandsetReceipt, HandsetState, NewMessage, SmsReply, Tx,
};
use tripdesk_vault::{KeyRing, Secret};
use uuid::Uuid;

/// The outbox channel's name.
pub const SMS_CHANNEL: &str = "sms";
/// The header the webhooks' (and the send API's) signature comes in.
pub use tripdesk_vault::webhook::SIGNATURE_HEADER;
/// The longest text accepted for an SMS (a long message is split by the provider; 500
/// characters are about eight parts).
pub const MAX_SMS_TEXT: usize = 500;
/// The longest reply text stored.
const MAX_REPLY_TEXT: usize = 2_000;
/// The most items one webhook post may carry.
pub const MAX_BATCH: usize = 1_000;
/// The AEAD field name of a reply's sealed text.
pub(crate) const REPLY_FIELD: &str = "sms_reply.text";

/// The provider API's and webhooks' JSON, both ways. Field names follow the providers'
/// (`PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam`, `OutId`; `Code`, `BizId`).
pub mod wire {
    use serde::{Deserialize, Serialize};

    /// The path of the send API under `sms_base_url`.
    pub const SEND_PATH: &str = "/sms/send";
    /// The success code.
    pub const OK: &str = "OK";
    /// The provider's flow control (per number, per minute/hour): try again later.
    pub const BUSINESS_LIMIT_CONTROL: &str = "isv.BUSINESS_LIMIT_CONTROL";
    /// The provider's API flow control (requests per second of the account): over the rate,
    /// try again in a moment without counting the attempt.
    pub const THROTTLING: &str = "Throttling.User";
    /// The number cannot receive SMS: never try again.
    pub const MOBILE_NUMBER_ILLEGAL: &str = "isv.MOBILE_NUMBER_ILLEGAL";
    /// The template variable the rendered text is carried in.
    pub const TEMPLATE_VARIABLE: &str = "content";

    /// `POST {sms_base_url}/sms/send`, signed with the access key secret.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SendRequest {
        #[serde(rename = "AccessKeyId")]
        pub access_key_id: String,
        /// One number, E.164 (`+8613912345678`).
        #[serde(rename = "PhoneNumbers")]
        pub phone_numbers: String,
        /// The agency's approved signature, without the 【】 the provider adds.
        #[serde(rename = "SignName")]
        pub sign_name: String,
        /// The approved template, one variable `${content}`.
        #[serde(rename = "TemplateCode")]
        pub template_code: String,
        /// JSON text: `{"content": "<the rendered message>"}`.
        #[serde(rename = "TemplateParam")]
        pub template_param: String,
        /// The outbox message id: receipts name it, and the provider drops a retried send.
        #[serde(rename = "OutId")]
        pub out_id: String,
    }

    /// The send API's answer (HTTP 200 whatever the code, as the providers do).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SendResponse {
        #[serde(rename = "Code")]
        pub code: String,
        #[serde(rename = "Message", default)]
        pub message: String,
        #[serde(rename = "BizId", default, skip_serializing_if = "Option::is_none")]
        pub biz_id: Option<String>,
        #[serde(rename = "RequestId", default)]
        pub request_id: String,
    }

    /// Whether a refusal says only that the account sent too fast (`Throttling.*`): the
    /// message was not looked at, and is tried again in a moment, uncounted.
    pub fn throttled(code: &str) -> bool {
        code.starts_with("Throttling")
    }

    /// Whether a refusal may succeed later: the providers' flow control and their own
    /// trouble (`isp.*`, throttling) yes; a bad number, template, signature or key no.
    pub fn retryable(code: &str) -> bool {
        code == BUSINESS_LIMIT_CONTROL
            || code == "isv.DAY_LIMIT_CONTROL"
            || code.starts_with("isp.")
            || code.starts_with("Throttling")
            || code == "ServiceUnavailable"
            || code == "InternalError"
    }

    /// One delivery receipt in `POST /api/v1/sms/receipts` (a JSON array of them).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SmsReceipt))]
    #[serde(deny_unknown_fields)]
    pub struct Receipt {
        /// The `OutId` the message was sent with (the outbox message id).
        #[cfg_attr(feature = "openapi", schema(max_length = 64))]
        pub out_id: String,
        /// The number or its last digits, as the provider reports it (not stored).
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_length = 32))]
        pub phone_number: Option<String>,
        /// True when the handset received it.
        pub success: bool,
        /// The provider's status code (`DELIVERED`, `MN:0001`, …).
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_length = 64))]
        pub err_code: Option<String>,
        /// When the handset reported: RFC 3339, or `YYYY-MM-DD HH:MM:SS` in China time.
        #[cfg_attr(feature = "openapi", schema(max_length = 40))]
        pub report_time: String,
    }

    /// One text a customer sent, in `POST /api/v1/sms/replies` (a JSON array of them).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SmsReplyIn))]
    #[serde(deny_unknown_fields)]
    pub struct Reply {
        /// The sender's number (`13912345678`, `+8613912345678`).
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 32))]
        pub phone_number: String,
        #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
        pub content: String,
        /// When it was sent: RFC 3339, or `YYYY-MM-DD HH:MM:SS` in China time.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_length = 40))]
        pub send_time: Option<String>,
        /// The provider's id of this reply: posted again, nothing is stored twice.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
        pub sequence_id: String,
    }

    /// The answer to a webhook post: `code` 0 tells the provider not to post it again.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SmsWebhookAnswer))]
    pub struct Answer {
        pub code: i64,
        pub msg: String,
        /// Items recorded now.
        pub recorded: u64,
        /// Items recorded before (a redelivery): nothing changed.
        pub repeated: u64,
        /// Receipts naming no SMS message of this server.
        pub unknown: u64,
    }
}

/// The outbox recipient of an SMS to a phone identifier: `<identifier id>:<sealed value>`,
/// the row's own sealed value (sealed for that id). Pure: no query, no key.
pub fn sms_recipient(identifier_id: Uuid, sealed: &str) -> String {
    format!("{identifier_id}:{sealed}")
}

/// The recipient of an SMS to this identifier (`None` unless it is a phone).
pub fn sms_recipient_of(identifier: &CustomerIdentifier) -> Option<String> {
    (identifier.kind == "phone").then(|| sms_recipient(identifier.id, &identifier.sealed))
}

/// The identifier id an SMS recipient names (what the delivery history shows instead of it).
pub fn sms_recipient_identifier(recipient: &str) -> Option<Uuid> {
    recipient
        .split_once(':')
        .and_then(|(id, _)| Uuid::parse_str(id).ok())
}

/// Why an SMS recipient could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("the recipient is not an identifier id and a sealed phone")]
    Malformed,
    #[error("the sealed phone cannot be opened with these keys")]
    Sealed,
}

/// Opens an SMS recipient to the E.164 number (the channel, at send time).
pub fn open_sms_recipient(
    vault: &KeyRing,
    recipient: &str,
) -> Result<Secret<String>, RecipientError> {
    let (id, sealed) = recipient.split_once(':').ok_or(RecipientError::Malformed)?;
    let id = Uuid::parse_str(id).map_err(|_| RecipientError::Malformed)?;
    vault
        .decrypt(&identifier_field("phone"), &id.to_string(), sealed)
        .map_err(|_| RecipientError::Sealed)
}

/// A provider's instant: RFC 3339, or `YYYY-MM-DD HH:MM:SS` in China time (Aliyun's form).
pub fn parse_provider_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s).ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").ok()?)
        .ok()
        .map(|z| z.timestamp())
}

/// A webhook post whose signature held: only [`App::verify_sms_webhook`] makes one.
pub struct VerifiedSmsWebhook(());

/// A reply stored now, for whoever acts on replies in the same transaction (the emergency
/// check-in).
#[derive(Debug, Clone)]
pub struct ReceivedReply {
    pub id: Uuid,
    /// Every active customer holding the sender's phone (exactly, by blind index).
    pub customer_ids: Vec<Uuid>,
    pub text: Secret<String>,
    /// The sender's number as the customers' phones are indexed (E.164 when it is one).
    pub phone: Secret<String>,
}

impl App {
    /// The recipient of a one-off SMS written by staff to `to`, a customer id: their
    /// primary phone's recipient and the customer (whose erasure clears the message), or
    /// the field's error pushed to `fields`.
    pub(crate) async fn one_off_sms_recipient(
        &self,
        tx: &mut dyn Tx,
        to: &str,
        fields: &mut Vec<FieldError>,
    ) -> Result<(String, Option<Uuid>), AppError> {
        self.require_sms()?;
        let customer = Uuid::parse_str(to.trim()).ok();
        let recipient = match customer {
            Some(c) => self.primary_phone_recipient(tx, c).await?,
            None => None,
        };
        match (customer, recipient) {
            (Some(c), Some(r)) => Ok((r, Some(c))),
            _ => {
                fields.push(FieldError::new(
                    "to",
                    "no_phone",
                    "an SMS goes to a customer id whose record holds a phone",
                ));
                Ok((String::new(), None))
            }
        }
    }

    /// The outbox row of an SMS to a customer's phone: `recipient` from [`sms_recipient`].
    /// Refused (422 `channel` `sms_not_configured`) when this server sends no SMS
    /// (`sms_base_url` unset) — a message that would never leave is not queued — and for an
    /// empty or too long text.
    pub fn sms_message(
        &self,
        customer_id: Uuid,
        recipient: String,
        text: &str,
        related: Option<(String, String)>,
        emergency: bool,
    ) -> Result<NewMessage, AppError> {
        self.require_sms()?;
        let mut fields = Vec::new();
        crate::check_text(&mut fields, "text", text, MAX_SMS_TEXT, crate::Lines::Many);
        if sms_recipient_identifier(&recipient).is_none() {
            fields.push(FieldError::new(
                "recipient",
                "invalid",
                "an SMS recipient is an identifier id and its sealed phone (sms_recipient)",
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        Ok(NewMessage {
            id: Uuid::now_v7(),
            channel: SMS_CHANNEL.into(),
            recipient,
            customer_id: Some(customer_id),
            subject: String::new(),
            body_text: text.to_string(),
            body_html: None,
            event: None,
            template_key: None,
            template_version: None,
            locale: "zh-CN".into(),
            related_type: related.as_ref().map(|(t, _)| t.clone()),
            related_id: related.map(|(_, i)| i),
            emergency,
            max_attempts: self.settings.notify.max_attempts,
            due_at: now,
            created_by: None,
            created_at: now,
            attachments: Vec::new(),
            thread_references: None,
        })
    }

    /// 422 `channel` `sms_not_configured` unless SMS goes out from this server.
    pub(crate) fn require_sms(&self) -> Result<(), AppError> {
        if self.settings.notify.sms {
            Ok(())
        } else {
            Err(AppError::field(
                "channel",
                "sms_not_configured",
                "SMS is not configured on this server (sms_base_url): the message would never leave",
            ))
        }
    }

    /// The SMS recipient of a customer's primary phone (else their first phone), `None` when
    /// they have none.
    pub async fn primary_phone_recipient(
        &self,
        tx: &mut dyn Tx,
        customer_id: Uuid,
    ) -> Result<Option<String>, AppError> {
        let identifiers = tx.list_identifiers(customer_id).await?;
        let phone = identifiers
            .iter()
            .filter(|i| i.kind == "phone")
            .max_by_key(|i| i.is_primary);
        Ok(phone.and_then(sms_recipient_of))
    }

    /// Authenticates a receipt or reply post: `signature` is the `X-Tripdesk-Signature`
    /// header, `body` the bytes received. 401 when SMS webhooks are not configured
    /// (`sms_webhook_secret`), or the signature is missing, malformed, wrong or stale.
    pub fn verify_sms_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<VerifiedSmsWebhook, AppError> {
        let Some(secret) = &self.settings.notify.sms_webhook_secret else {
            return Err(AppError::Unauthenticated(
                "SMS webhooks are not configured on this server (sms_webhook_secret)",
            ));
        };
        crate::auth::check_webhook_signature(
            secret.expose_secret(),
            signature,
            body,
            self.now().as_second(),
        )?;
        Ok(VerifiedSmsWebhook(()))
    }

    /// Records the handset's delivery receipts on their messages, each once: a receipt for a
    /// message that has one already changes nothing (`repeated`), one naming no SMS message
    /// is counted `unknown` (the provider must not post it forever). 422 naming the item for
    /// an unreadable `report_time` or too many items.
    pub async fn record_sms_receipts(
        &self,
        _verified: VerifiedSmsWebhook,
        receipts: &[wire::Receipt],
    ) -> Result<wire::Answer, AppError> {
        check_batch(receipts.len())?;
        let mut parsed = Vec::with_capacity(receipts.len());
        let mut fields = Vec::new();
        for (i, r) in receipts.iter().enumerate() {
            let at = parse_provider_time(&r.report_time);
            if at.is_none() {
                fields.push(FieldError::new(
                    &format!("[{i}].report_time"),
                    "invalid",
                    "report_time must be RFC 3339 or YYYY-MM-DD HH:MM:SS (China time)",
                ));
            }
            let error = r
                .err_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty() && !r.success)
                .map(|c| c.chars().take(64).collect::<String>());
            parsed.push((Uuid::parse_str(r.out_id.trim()).ok(), r.success, at, error));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut answer = answer();
        let mut tx = self.store.write().await?;
        for (id, success, at, error) in parsed {
            let (Some(message_id), Some(at)) = (id, at) else {
                answer.unknown += 1;
                continue;
            };
            let receipt = HandsetReceipt {
                message_id,
                state: if success {
                    HandsetState::Delivered
                } else {
                    HandsetState::Failed
                },
                at,
                error,
            };
            if tx.record_handset_receipt(&receipt).await? {
                answer.recorded += 1;
                // An emergency text that never reached the handset: the traveler's next
                // channel at once (a call task).
                if receipt.state == HandsetState::Failed {
                    if let Some(m) = tx.get_message(message_id).await? {
                        self.incident_message_failed(&mut *tx, &m).await?;
                    }
                }
            } else {
                match tx.get_message(message_id).await? {
                    Some(m) if m.channel == SMS_CHANNEL => answer.repeated += 1,
                    _ => answer.unknown += 1,
                }
            }
        }
        tx.commit().await?;
        Ok(answer)
    }

    /// Stores the replies customers sent, in their own transaction ([`App::receive_sms_replies_in`]),
    /// and reads each new one as a safety check-in of the open incidents its sender is in
    /// (1 安全 / 2 需要帮助, [`App::checkin_by_sms`]) in the same transaction: a reply stored
    /// once is answered once, however often the provider delivers it. A reply that answers no
    /// check-in goes into the sender's conversation ([`App::thread_sms_reply`]).
    pub async fn receive_sms_replies(
        &self,
        verified: VerifiedSmsWebhook,
        replies: &[wire::Reply],
    ) -> Result<(wire::Answer, Vec<ReceivedReply>), AppError> {
        let mut tx = self.store.write().await?;
        let (answer, stored) = self
            .receive_sms_replies_in(&mut *tx, verified, replies)
            .await?;
        for reply in &stored {
            let answers = self
                .checkin_by_sms(&mut *tx, &reply.customer_ids, reply.text.expose_secret())
                .await?;
            // Not a safety check-in answer: a message for the desk (`sms_in`).
            if answers.is_empty() {
                self.thread_sms_reply(&mut *tx, reply).await?;
            }
        }
        tx.commit().await?;
        Ok((answer, stored))
    }

    /// Stores each reply once (the provider's `sequence_id` is unique), the sender's phone
    /// only as the customers' blind index and the text sealed, matched to the customers
    /// holding that phone exactly. Returns, for each reply stored now, its id, the matched
    /// customers and the text, for the caller to act on in the same transaction. 422 naming
    /// the item for an empty or too long text, an unreadable `send_time`, too many items.
    pub async fn receive_sms_replies_in(
        &self,
        tx: &mut dyn Tx,
        _verified: VerifiedSmsWebhook,
        replies: &[wire::Reply],
    ) -> Result<(wire::Answer, Vec<ReceivedReply>), AppError> {
        check_batch(replies.len())?;
        let vault = self.vault()?;
        let mut fields = Vec::new();
        for (i, r) in replies.iter().enumerate() {
            crate::check_text(
                &mut fields,
                &format!("[{i}].content"),
                &r.content,
                MAX_REPLY_TEXT,
                crate::Lines::Many,
            );
            if r.send_time
                .as_deref()
                .is_some_and(|t| parse_provider_time(t).is_none())
            {
                fields.push(FieldError::new(
                    &format!("[{i}].send_time"),
                    "invalid",
                    "send_time must be RFC 3339 or YYYY-MM-DD HH:MM:SS (China time)",
                ));
            }
            let seq = r.sequence_id.trim();
            if seq.is_empty() || seq.len() > 64 {
                fields.push(FieldError::new(
                    &format!("[{i}].sequence_id"),
                    "invalid",
                    "sequence_id must be 1 to 64 characters",
                ));
            }
            if r.phone_number.trim().is_empty() || r.phone_number.len() > 32 {
                fields.push(FieldError::new(
                    &format!("[{i}].phone_number"),
                    "invalid",
                    "phone_number must be 1 to 32 characters",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        let mut answer = answer();
        let mut stored = Vec::new();
        for r in replies {
            // The number as customers' phones are indexed (E.164); a number that is not one
            // (a short code) is indexed as typed, and so matches no customer.
            let lookup = Phone::parse(&r.phone_number)
                .map(|p| p.as_e164().to_string())
                .unwrap_or_else(|_| r.phone_number.trim().to_string());
            let blind_index = vault.blind_index("phone", &lookup);
            let customer_ids = tx
                .find_customers_by_identifier("phone", &blind_index)
                .await?;
            let id = Uuid::now_v7();
            let reply = SmsReply {
                id,
                sequence_id: r.sequence_id.trim().to_string(),
                blind_index,
                customer_id: match customer_ids.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                },
                sealed_text: vault
                    .encrypt(REPLY_FIELD, &id.to_string(), &r.content)
                    .into_string(),
                sent_at: r.send_time.as_deref().and_then(parse_provider_time),
                received_at: now,
            };
            if tx.insert_sms_reply(&reply).await? {
                answer.recorded += 1;
                stored.push(ReceivedReply {
                    id,
                    customer_ids,
                    text: Secret::new(r.content.clone()),
                    phone: Secret::new(lookup),
                });
            } else {
                answer.repeated += 1;
            }
        }
        Ok((answer, stored))
    }

    /// Holds the `sms` channel to `per_second` sends per second on every node (the outbox's
    /// token bucket) — from the configuration (`sms_rate_per_sec`) at start. The burst is a
    /// twentieth of a second's worth: providers count sends per calendar second, and a
    /// bucket that could also spend a full second's savings would exceed that count by up
    /// to the burst, each excess answered "over the rate" and sent again later. Writes only when the stored limit differs, so nodes starting together do
    /// not refill each other's bucket.
    pub async fn configure_sms_rate(&self, per_second: i64) -> Result<(), AppError> {
        let limit = tripdesk_store::RateLimit {
            channel: SMS_CHANNEL.into(),
            per_second,
            burst: (per_second / 20).max(1),
        };
        let mut tx = self.store.write().await?;
        let current = tx.list_rate_limits().await?;
        if current.contains(&limit) {
            return Ok(());
        }
        tx.set_rate_limit(&limit, self.now()).await?;
        tx.commit().await?;
        tracing::info!(per_second, "SMS rate limit set from the configuration");
        Ok(())
    }

    /// A stored reply's text (the PIPL copy; staff screens that show replies).
    pub fn open_sms_reply(&self, reply: &SmsReply) -> Result<Secret<String>, AppError> {
        crate::customers::open_sealed(self.vault()?, REPLY_FIELD, reply.id, &reply.sealed_text)
    }

    /// How the SMS messages about (`related_type`, each of `related_ids`) are doing: per
    /// related id, messages delivered to the handset, failed (dead, or reported failed) and
    /// pending — one statement, for a broadcast board (needs `view_deliveries`).
    pub async fn sms_delivery_progress(
        &self,
        principal: &Principal,
        related_type: &str,
        related_ids: &[String],
    ) -> Result<Vec<DeliveryProgress>, AppError> {
        principal.require(Permission::ViewDeliveries)?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .delivery_progress(SMS_CHANNEL, related_type, related_ids)
            .await?)
    }
}

fn answer() -> wire::Answer {
    wire::Answer {
        code: 0,
        msg: "OK".into(),
        recorded: 0,
        repeated: 0,
        unknown: 0,
    }
}

fn check_batch(n: usize) -> Result<(), AppError> {
    if n > MAX_BATCH {
        return Err(AppError::field(
            "items",
            "too_many",
            format!("at most {MAX_BATCH} items per post"),
        ));
    }
    Ok(())
}
