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
