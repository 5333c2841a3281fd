//! A loopback stand-in for WeChat's API (`api.weixin.qq.com`) for tests: an axum server on
//! 127.0.0.1 at a free port answering `GET /cgi-bin/token` (a new access token for the right
//! AppID and AppSecret, errcode 40125 otherwise) and `POST /cgi-bin/message/custom/send`
//! (errcode 40001 for a token it did not issue, 42001 for one it expired, else the message
//! recorded with the token it came with). It can expire every token issued so far, or answer
//! the next sends with a given errcode (45015…). Not WeChat: loopback only, in memory.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tripdesk_app::wechat::wire;

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct SinkWechatMessage {
    /// The JSON body as received.
    pub body: serde_json::Value,
    /// The access token it came with.
    pub access_token: String,
}

#[derive(Default)]
struct Inner {
    issued: Vec<String>,
    expired: HashSet<String>,
    accepted: Vec<SinkWechatMessage>,
    next_codes: VecDeque<i64>,
    refused: Vec<i64>,
}

struct Shared {
    app_id: String,
    app_secret: String,
    inner: Mutex<Inner>,
}

/// A running loopback WeChat API; stops when dropped.
pub struct WechatSink {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WechatSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WechatSink {
    /// Listens on 127.0.0.1 at a free port for the account `app_id` / `app_secret`.
    pub async fn start(app_id: &str, app_secret: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            inner: Mutex::new(Inner::default()),
        });
        let router = Router::new()
            .route(wire::TOKEN_PATH, get(token))
            .route(wire::SEND_PATH, post(send))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, shared, task })
    }

    /// The base URL to configure as `wechat_api_base_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The messages accepted so far, in arrival order.
    pub fn messages(&self) -> Vec<SinkWechatMessage> {
        self.inner().accepted.clone()
    }

    /// The access tokens issued so far, oldest first.
    pub fn tokens(&self) -> Vec<String> {
        self.inner().issued.clone()
    }

    /// The errcodes sends were refused with so far.
    pub fn refused(&self) -> Vec<i64> {
        self.inner().refused.clone()
    }

    /// Expires every token issued so far (their sends are answered 42001).
    pub fn expire_tokens(&self) {
        let mut inner = self.inner();
        let issued = inner.issued.clone();
        inner.expired.extend(issued);
    }

    /// Answers the next send with `errcode`; queued in order.
    pub fn answer_next(&self, errcode: i64) {
        self.inner().next_codes.push_back(errcode);
    }
}

fn answer(errcode: i64, errmsg: &str) -> Json<wire::Answer> {
    Json(wire::Answer {
        errcode,
        errmsg: errmsg.into(),
        ..Default::default()
    })
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<wire::Answer> {
    let right = q.get("grant_type").map(String::as_str) == Some("client_credential")
        && q.get("appid") == Some(&shared.app_id)
        && q.get("secret") == Some(&shared.app_secret);
    if !right {
        return answer(40125, "invalid appsecret");
    }
    let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let token = format!("ACCESS_TOKEN_{}", inner.issued.len() + 1);
    inner.issued.push(token.clone());
    Json(wire::Answer {
        access_token: Some(token),
        expires_in: Some(7200),
        ..Default::default()
    })
}

async fn send(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<wire::Answer> {
    let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let token = q.get("access_token").cloned().unwrap_or_default();
    let refuse = |inner: &mut Inner, code: i64, msg: &str| {
        inner.refused.push(code);
        answer(code, msg)
    };
    if !inner.issued.contains(&token) {
        return refuse(
            &mut inner,
            40001,
            "invalid credential, access_token is invalid",
        );
    }
    if inner.expired.contains(&token) {
        return refuse(&mut inner, 42001, "access_token expired");
    }
    if let Some(code) = inner.next_codes.pop_front() {
        return refuse(&mut inner, code, "refused by the test");
    }
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return refuse(&mut inner, 47001, "data format error");
    };
    inner.accepted.push(SinkWechatMessage {
        body,
        access_token: token,
    });
    answer(0, "ok")
}
