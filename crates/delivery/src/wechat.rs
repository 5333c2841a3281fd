//! WeChat customer-service messages (客服消息) from the official account: the outbox channel
//! `wechat`. A text goes as `POST {base}/cgi-bin/message/custom/send?access_token=…` with
//! `{"touser", "msgtype": "text", "text": {"content"}}` (`tripdesk_app::wechat::wire`); the
//! base is `wechat_api_base_url` (default `https://api.weixin.qq.com`, a loopback listener in
//! tests).
//!
//! - The recipient is opened from the vault at send time (`tripdesk_app::wechat`): the outbox
//!   row never holds the OpenID.
//! - The access token is fetched with the AppID and AppSecret from `{base}/cgi-bin/token` and
//!   kept in memory until five minutes before it expires (WeChat gives 7,200 s). Each node
//!   keeps its own: WeChat lets an old token work five minutes after a new one is fetched,
//!   and a send refused for its token (40001, 40014, 42001) fetches a new one and is sent
//!   again at once.
//! - Outcomes: `errcode` 0 is sent; 45015 ("response out of time limit": the customer's
//!   48-hour window closed) and any other refusal are permanent — the message is dead and
//!   the delivery history shows the code to the agent; WeChat's busy answers (-1), HTTP 5xx,
//!   a timeout or a refused connection retry. No URL or answer text is kept: the token and
//!   the secret travel in the query.

use crate::channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
use async_trait::async_trait;
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::Mutex;
use tripdesk_app::wechat::{open_wechat_recipient, wire, WECHAT_CHANNEL};
use tripdesk_app::App;
use tripdesk_vault::Secret;

/// The default API base.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// The official account's API credentials.
#[derive(Clone)]
pub struct WechatConfig {
    /// `http(s)://host[:port]`; requests go to `{base_url}/cgi-bin/…`.
    pub base_url: String,
    pub app_id: String,
    pub app_secret: Secret<String>,
    /// Longest wait for WeChat's answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// The WeChat channel.
pub struct WechatChannel {
    config: WechatConfig,
    app: App,
    client: reqwest::Client,
    /// The access token and when to stop using it.
    token: Mutex<Option<(Secret<String>, Timestamp)>>,
}

/// What one send attempt with a token ended with.
enum Sent {
    Ok,
    TokenRefused(i64),
}

impl WechatChannel {
    /// Sends with `app`'s vault keys and clock.
    pub fn new(app: &App, config: WechatConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tripdesk-wechat/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the WeChat HTTP client: {e}"))?;
        Ok(Self {
            config,
            app: app.clone(),
            client,
            token: Mutex::new(None),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// The cached access token, else a new one.
    async fn token(&self, fresh: bool) -> Result<Secret<String>, ChannelError> {
        let mut cached = self.token.lock().await;
        let now = self.app.now();
        if !fresh {
            if let Some((token, until)) = cached.as_ref() {
                if now < *until {
                    return Ok(token.clone());
                }
            }
        }
        let response = self
            .client
            .get(self.url(wire::TOKEN_PATH))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", self.config.app_id.as_str()),
                ("secret", self.config.app_secret.expose_secret().as_str()),
            ])
            .send()
            .await
            .map_err(|e| transport("the access token", &e))?;
        let answer = read_answer(response).await?;
        match (answer.errcode, answer.access_token) {
            (0, Some(token)) if !token.is_empty() => {
                let secs = answer.expires_in.unwrap_or(7200).clamp(60, 7200);
                // Renewed five minutes early (at most half its life early).
                let margin = (secs / 2).min(300);
                let until = now
                    .checked_add(jiff::SignedDuration::from_secs(secs - margin))
                    .unwrap_or(now);
                let token = Secret::new(token);
                *cached = Some((token.clone(), until));
                Ok(token)
            }
            (code, _) if wire::retryable(code) => Err(ChannelError::retry(format!(
                "WeChat access token: errcode {code}"
            ))),
            // A wrong AppSecret or an address not on the account's IP allowlist (40164):
            // nothing a retry mends, but the configuration may be fixed while messages wait.
            (code, _) => Err(ChannelError::retry(format!(
                "WeChat refused the access token: errcode {code}"
            ))),
        }
    }

    async fn send_with(&self, token: &Secret<String>, body: &[u8]) -> Result<Sent, ChannelError> {
        let response = self
            .client
            .post(self.url(wire::SEND_PATH))
            .query(&[("access_token", token.expose_secret().as_str())])
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| transport("the message", &e))?;
        let answer = read_answer(response).await?;
        match answer.errcode {
            0 => Ok(Sent::Ok),
            code if wire::TOKEN_ERRORS.contains(&code) => Ok(Sent::TokenRefused(code)),
            wire::OUT_OF_TIME => Err(ChannelError::permanent(
                "errcode 45015: response out of time limit (the customer's 48-hour window closed)",
            )),
            code if wire::retryable(code) => Err(ChannelError::retry(format!("errcode {code}"))),
            code => Err(ChannelError::permanent(format!("errcode {code}"))),
        }
    }
}

fn transport(what: &str, e: &reqwest::Error) -> ChannelError {
    ChannelError::retry(if e.is_timeout() {
        format!("WeChat did not answer in time ({what})")
    } else if e.is_connect() {
        format!("could not connect to WeChat ({what})")
    } else {
        format!("the request to WeChat failed ({what})")
    })
}

async fn read_answer(response: reqwest::Response) -> Result<wire::Answer, ChannelError> {
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
    let unreadable = || ChannelError::retry("WeChat's answer is not readable");
    let bytes = response.bytes().await.map_err(|_| unreadable())?;
    serde_json::from_slice(&bytes).map_err(|_| unreadable())
}

#[async_trait]
impl Channel for WechatChannel {
    fn name(&self) -> &'static str {
        WECHAT_CHANNEL
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError> {
        let vault = self
            .app
            .vault()
            .map_err(|_| ChannelError::retry("the vault keys are not loaded"))?;
        let openid = open_wechat_recipient(vault, &outgoing.message.recipient)
            .map_err(|e| ChannelError::permanent(e.to_string()))?;
        let body = serde_json::to_vec(&wire::SendRequest {
            touser: openid.expose_secret().clone(),
            msgtype: "text".into(),
            text: wire::Text {
                content: outgoing.message.body_text.clone(),
            },
        })
        .map_err(|e| ChannelError::permanent(format!("cannot encode the message: {e}")))?;
        drop(openid);
        let token = self.token(false).await?;
        match self.send_with(&token, &body).await? {
            Sent::Ok => return Ok(DeliveryReceipt("ok".into())),
            Sent::TokenRefused(_) => {}
        }
        // The token expired or was replaced elsewhere: a new one, and the message again.
        let token = self.token(true).await?;
        match self.send_with(&token, &body).await? {
            Sent::Ok => Ok(DeliveryReceipt("ok (new access token)".into())),
            Sent::TokenRefused(code) => Err(ChannelError::retry(format!(
                "errcode {code}: WeChat refused a new access token"
            ))),
        }
    }
}
