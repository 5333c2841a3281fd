//! The WeChat official account's message push (issue 17 item 4): the server-address check and
//! the pushes, authenticated by WeChat's signatures (`tripdesk_wechat`) and refused when their
//! timestamp is more than 5 minutes from this server's clock (a captured push replayed later).
//!
//! What a push holds is returned to the caller; keeping it — threaded by OpenID into the
//! customer's ticket — is the next step of the issue.

use tripdesk_wechat::{Inbound, PushQuery, WechatError};

use crate::{App, AppError};

/// How far a push's `timestamp` may be from this server's clock, in seconds.
pub const MAX_SKEW_SECS: i64 = 300;

impl App {
    fn wechat_account(&self) -> Result<&tripdesk_wechat::Account, AppError> {
        self.settings
            .wechat
            .as_ref()
            .ok_or(AppError::Unauthenticated(
                "the WeChat official account is not configured on this server (wechat_token)",
            ))
    }

    fn check_wechat_timestamp(&self, timestamp: &str) -> Result<(), AppError> {
        let sent: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| AppError::Unauthenticated("the timestamp is not a number"))?;
        if (self.now().as_second() - sent).abs() > MAX_SKEW_SECS {
            return Err(AppError::Unauthenticated(
                "the timestamp is more than 5 minutes from now",
            ));
        }
        Ok(())
    }

    /// The server-address check WeChat makes when the URL is saved: `echostr` back when the
    /// signature holds; 401 otherwise, or when no account is configured.
    pub fn verify_wechat_url(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, AppError> {
        let account = self.wechat_account()?;
        self.check_wechat_timestamp(timestamp)?;
        account
            .verify_url(signature, timestamp, nonce, echostr)
            .map(str::to_owned)
            .map_err(wechat_error)
    }

    /// A push: its signatures checked, decrypted in safe mode, read. 401 for a missing or
    /// wrong signature or a stale timestamp; 422 (field `body`) for a body that does not
    /// decrypt or is not a message WeChat sends.
    pub fn open_wechat_push(
        &self,
        query: &PushQuery<'_>,
        body: &[u8],
    ) -> Result<Inbound, AppError> {
        let account = self.wechat_account()?;
        self.check_wechat_timestamp(query.timestamp)?;
        let body = std::str::from_utf8(body).map_err(|_| wechat_error(WechatError::NotUtf8))?;
        account.open_push(query, body).map_err(wechat_error)
    }
}

/// WeChat's refusals as this layer's error. The texts name no value from the request.
fn wechat_error(e: WechatError) -> AppError {
    match e {
        WechatError::BadSignature => AppError::Unauthenticated("the signature does not match"),
        WechatError::MissingField("signature") => {
            AppError::Unauthenticated("the signature is missing")
        }
        WechatError::MissingField("msg_signature") => {
            AppError::Unauthenticated("the msg_signature is missing")
        }
        WechatError::NoKey => AppError::Unauthenticated(
            "the push is encrypted but no wechat_encoding_aes_key is configured",
        ),
        other => AppError::field("body", "wechat_message", other.to_string()),
    }
}

// ---- replies: the customer-service message interface (客服消息) ----

/// The outbox channel's name.
pub const WECHAT_CHANNEL: &str = "wechat";
/// How long after a follower's last message the account may write to them (WeChat's rule
/// for customer-service messages).
pub const REPLY_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(48);
/// The longest reply text WeChat accepts in one customer-service message, in characters.
pub const MAX_REPLY_CHARS: usize = 600;

/// The customer-service interface's JSON, both ways.
pub mod wire {
    use serde::{Deserialize, Serialize};

    /// `GET {base}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…`.
    pub const TOKEN_PATH: &str = "/cgi-bin/token";
    /// `POST {base}/cgi-bin/message/custom/send?access_token=…`.
    pub const SEND_PATH: &str = "/cgi-bin/message/custom/send";
    /// The access token is invalid (40001), not one (40014) or expired (42001): fetch a new
    /// one and send again.
    pub const TOKEN_ERRORS: [i64; 3] = [40001, 40014, 42001];
    /// "response out of time limit": the follower's 48-hour window has closed.
    pub const OUT_OF_TIME: i64 = 45015;
    /// WeChat is busy: try again later.
    pub const BUSY: i64 = -1;

    /// A text customer-service message.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SendRequest {
        pub touser: String,
        pub msgtype: String,
        pub text: Text,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Text {
        pub content: String,
    }

    /// Every answer of the interface: `errcode` 0 (or absent) is success.
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Answer {
        #[serde(default)]
        pub errcode: i64,
        #[serde(default)]
        pub errmsg: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub access_token: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expires_in: Option<i64>,
    }

    /// Whether a refusal names WeChat's own trouble, which may pass.
    pub fn retryable(code: i64) -> bool {
        code == BUSY || code == 45009 || code == 45011
    }
}

/// The outbox recipient of a WeChat message: `<wechat_users id>:<sealed OpenID>` (the row's
/// own sealed value), so the outbox never holds the OpenID; the channel opens it at send time.
pub fn wechat_recipient(user: &tripdesk_store::WechatUser) -> String {
    format!("{}:{}", user.id, user.openid_sealed)
}

/// Opens a WeChat recipient to the OpenID (the channel, at send time).
pub fn open_wechat_recipient(
    vault: &tripdesk_vault::KeyRing,
    recipient: &str,
) -> Result<tripdesk_vault::Secret<String>, crate::sms::RecipientError> {
    use crate::sms::RecipientError;
    let (id, sealed) = recipient.split_once(':').ok_or(RecipientError::Malformed)?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| RecipientError::Malformed)?;
    vault
        .decrypt(crate::wechat_in::OPENID_FIELD, &id.to_string(), sealed)
        .map_err(|_| RecipientError::Sealed)
}

/// A customer's WeChat reply window: it opened with their last message and closes 48 hours
/// later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WechatWindow {
    pub last_message_at: jiff::Timestamp,
    pub closes_at: jiff::Timestamp,
    pub open: bool,
    /// Whether this server sends WeChat messages (`wechat_app_secret`); without it a reply
    /// goes by SMS or email even while the window is open.
    pub sendable: bool,
}

impl App {
    /// The customer's WeChat window and the follower it is with; `None` when they never
    /// wrote on WeChat.
    pub(crate) async fn wechat_window_of(
        &self,
        tx: &mut dyn tripdesk_store::Tx,
        customer_id: uuid::Uuid,
    ) -> Result<Option<(WechatWindow, tripdesk_store::WechatUser)>, AppError> {
        let Some(last) = tx.last_wechat_message(customer_id).await? else {
            return Ok(None);
        };
        let Some(user) = tx.get_wechat_user(last.user_id).await? else {
            return Ok(None);
        };
        let closes_at = last
            .received_at
            .checked_add(REPLY_WINDOW)
            .unwrap_or(last.received_at);
        Ok(Some((
            WechatWindow {
                last_message_at: last.received_at,
                closes_at,
                open: self.now() < closes_at,
                sendable: self.settings.notify.wechat,
            },
            user,
        )))
    }

    /// The WeChat window of a ticket's customer, for the ticket page (needs `view_desk`);
    /// `None` when the customer never wrote on WeChat.
    pub async fn ticket_wechat_window(
        &self,
        p: &crate::Principal,
        ticket_id: uuid::Uuid,
    ) -> Result<Option<WechatWindow>, AppError> {
        p.require(tripdesk_domain::identity::Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        let Some(customer) = ticket.customer_id else {
            return Ok(None);
        };
        Ok(self
            .wechat_window_of(&mut *tx, customer)
            .await?
            .map(|(w, _)| w))
    }

    /// The outbox row of a customer-service message to a follower. 422 (field `body`) for a
    /// text too long for WeChat.
    pub(crate) fn wechat_message(
        &self,
        customer_id: uuid::Uuid,
        recipient: String,
        text: &str,
        related: Option<(String, String)>,
    ) -> Result<tripdesk_store::NewMessage, AppError> {
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(AppError::field(
                "body",
                "too_long_for_wechat",
                format!("a WeChat reply holds at most {MAX_REPLY_CHARS} characters"),
            ));
        }
        let now = self.now();
        Ok(tripdesk_store::NewMessage {
            id: uuid::Uuid::now_v7(),
            channel: WECHAT_CHANNEL.into(),
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
            emergency: false,
            max_attempts: self.settings.notify.max_attempts,
            due_at: now,
            created_by: None,
            created_at: now,
            attachments: Vec::new(),
            thread_references: None,
        })
    }
}
