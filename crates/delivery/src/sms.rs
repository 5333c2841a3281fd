//! SMS through a provider API in the style of the large Chinese cloud SMS services (Aliyun
//! Dysms `SendSms`, Tencent Cloud SMS): one signed JSON POST per message to
//! `{sms_base_url}/sms/send` (the body is `tripdesk_app::sms::wire::SendRequest`).
//!
//! - The recipient is opened from the vault at send time (`tripdesk_app::sms`): the outbox
//!   row never holds the number.
//! - Signed like tripdesk's webhooks, keyed with the access key secret:
//!   `X-Tripdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the key id
//!   in the body (`AccessKeyId`).
//! - `OutId` is the outbox message id: the provider's receipts name it, and a send retried
//!   after a crash carries the same one, so the provider can drop the duplicate.
//! - Outcomes: `Code` `OK` is sent (the receipt keeps the `BizId`); HTTP 408/429/5xx, a
//!   timeout or a refused connection, and the throttling codes
//!   (`isv.BUSINESS_LIMIT_CONTROL`, `isp.*`, …: `wire::retryable`) retry; any other code
//!   (`isv.MOBILE_NUMBER_ILLEGAL`, a bad template or signature) is permanent. Only the code
//!   is kept in the history — a provider's message may quote the number.

use crate::channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
use async_trait::async_trait;
use std::time::Duration;
use tripdesk_app::sms::{open_sms_recipient, wire, SIGNATURE_HEADER, SMS_CHANNEL};
use tripdesk_app::App;
use tripdesk_vault::webhook::sign;
use tripdesk_vault::Secret;

/// The provider account and the agency's approved signature and template.
#[derive(Clone)]
pub struct SmsConfig {
    /// `http(s)://host[:port][/prefix]`; requests go to `{base_url}/sms/send`.
    pub base_url: String,
    pub access_key_id: String,
    pub access_key_secret: Secret<String>,
    /// The signature as approved, with or without 【】 (sent without them).
    pub sign_name: String,
    /// The approved template with one variable `${content}`.
    pub template_code: String,
    /// Longest wait for the provider's answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("base_url", &self.base_url)
            .field("access_key_id", &self.access_key_id)
            .field("sign_name", &self.sign_name)
            .field("template_code", &self.template_code)
            .finish_non_exhaustive()
    }
}

/// The signature without the 【】 (or [ ]) the provider adds itself.
pub fn bare_sign_name(sign_name: &str) -> &str {
    sign_name
        .trim()
        .trim_start_matches(['【', '['])
        .trim_end_matches(['】', ']'])
        .trim()
}

/// The SMS channel.
pub struct SmsChannel {
    config: SmsConfig,
    url: String,
    /// The vault (the recipients are sealed) and the clock the signature is dated by.
    app: App,
    client: reqwest::Client,
}

impl SmsChannel {
    /// Sends with `app`'s vault keys (a message is not sent while they are missing).
    pub fn new(app: &App, config: SmsConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tripdesk-sms/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the SMS HTTP client: {e}"))?;
        let url = format!(
            "{}{}",
            config.base_url.trim_end_matches('/'),
            wire::SEND_PATH
        );
        Ok(Self {
            config,
            url,
            app: app.clone(),
            client,
        })
    }

    /// The signed request body for a message to `phone`.
    pub fn request(&self, outgoing: &Outgoing, phone: &str) -> wire::SendRequest {
        let m = &outgoing.message;
        wire::SendRequest {
            access_key_id: self.config.access_key_id.clone(),
            phone_numbers: phone.to_string(),
            sign_name: bare_sign_name(&self.config.sign_name).to_string(),
            template_code: self.config.template_code.clone(),
            template_param: serde_json::json!({ wire::TEMPLATE_VARIABLE: m.body_text }).to_string(),
            out_id: m.id.to_string(),
        }
    }
}

#[async_trait]
impl Channel for SmsChannel {
    fn name(&self) -> &'static str {
        SMS_CHANNEL
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError> {
        let vault = self
            .app
            .vault()
            .map_err(|_| ChannelError::retry("the vault keys are not loaded"))?;
        let phone = open_sms_recipient(vault, &outgoing.message.recipient)
            .map_err(|e| ChannelError::permanent(e.to_string()))?;
        let body = serde_json::to_vec(&self.request(outgoing, phone.expose_secret()))
            .map_err(|e| ChannelError::permanent(format!("cannot encode the request: {e}")))?;
        drop(phone);
        let signature = sign(
            self.config.access_key_secret.expose_secret(),
            self.app.now().as_second(),
            &body,
        );
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                ChannelError::retry(if e.is_timeout() {
                    "the SMS provider did not answer in time"
                } else if e.is_connect() {
                    "could not connect to the SMS provider"
                } else {
                    "the request to the SMS provider failed"
                })
            })?;
        let status = response.status();
        if status.as_u16() == 429 {
            return Err(ChannelError::throttled("HTTP 429"));
        }
        if status.as_u16() == 408 || status.is_server_error() {
            return Err(ChannelError::retry(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(ChannelError::permanent(format!("HTTP {}", status.as_u16())));
        }
        let unreadable = || ChannelError::retry("the SMS provider's answer is not readable");
        let bytes = response.bytes().await.map_err(|_| unreadable())?;
        let answer: wire::SendResponse =
            serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
        let code: String = answer.code.chars().take(64).collect();
        if code == wire::OK {
            let biz = answer.biz_id.unwrap_or_default();
            Ok(DeliveryReceipt(format!(
                "OK BizId {}",
                biz.chars().take(64).collect::<String>()
            )))
        } else if wire::throttled(&code) {
            Err(ChannelError::throttled(code))
        } else if wire::retryable(&code) {
            Err(ChannelError::retry(code))
        } else {
            Err(ChannelError::permanent(code))
        }
    }
}
