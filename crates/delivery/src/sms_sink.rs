//! A loopback SMS provider for tests and benchmarks: an axum server on 127.0.0.1 at a free
//! port that implements tripdesk's SMS send API (`POST /sms/send`, see [`crate::sms`]) — it
//! checks the signature with the access key secret, answers `OK` with a `BizId`, and records
//! each message with its `OutId` and the time it arrived — and that posts delivery receipts
//! and replies to a tripdesk server, signed with the webhook secret, as a provider does.
//!
//! Like the real services it drops a send whose `OutId` it accepted before (answering the
//! first `BizId` again, counted in [`SmsSink::duplicates`]). It can hold a rate (answering
//! `Throttling.User` above it, the providers' API flow control), refuse numbers, or answer the next sends with a
//! given code. Not a provider: loopback only, everything in memory.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use jiff::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tripdesk_app::sms::{wire, SIGNATURE_HEADER};
use tripdesk_domain::clock::{Clock, SystemClock};
use tripdesk_vault::webhook::{sign, verify};

/// A send the sink accepted (valid signature).
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub request: wire::SendRequest,
    /// The rendered text (`TemplateParam`'s `content`).
    pub text: String,
    pub biz_id: String,
    /// The sink's clock when it arrived.
    pub at: Timestamp,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<SinkMessage>,
    /// OutId → BizId of the first accepted send.
    out_ids: HashMap<String, String>,
    duplicates: u64,
    refused_signatures: u64,
    throttled: u64,
    /// Codes to answer the next sends with, in order.
    next_codes: VecDeque<String>,
    /// Numbers refused with a code.
    bad_numbers: HashMap<String, String>,
    /// At most this many accepted sends per second (a window per whole second).
    rate_per_sec: Option<u64>,
    window: (i64, u64),
}

struct Shared {
    key_id: String,
    key_secret: String,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

/// A running loopback provider; stops when dropped.
pub struct SmsSink {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmsSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmsSink {
    /// Listens on 127.0.0.1 at a free port, accepting sends signed with `key_secret` under
    /// `key_id`, timed by the wall clock.
    pub async fn start(key_id: &str, key_secret: &str) -> std::io::Result<Self> {
        Self::start_with_clock(key_id, key_secret, Arc::new(SystemClock)).await
    }

    /// The same, with the clock signatures are checked and made with (a test's manual clock).
    pub async fn start_with_clock(
        key_id: &str,
        key_secret: &str,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            key_id: key_id.to_string(),
            key_secret: key_secret.to_string(),
            clock,
            inner: Mutex::new(Inner::default()),
        });
        let app = Router::new()
            .route(wire::SEND_PATH, post(send))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            shared,
            client: reqwest::Client::new(),
            task,
        })
    }

    /// The base URL to configure as `sms_base_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sends accepted so far, in arrival order (a duplicate OutId is not repeated here).
    pub fn messages(&self) -> Vec<SinkMessage> {
        self.inner().accepted.clone()
    }

    /// How many sends were accepted so far (without copying them).
    pub fn accepted(&self) -> usize {
        self.inner().accepted.len()
    }

    /// Sends that repeated an accepted OutId (dropped, answered with the first BizId).
    pub fn duplicates(&self) -> u64 {
        self.inner().duplicates
    }

    /// Requests refused for their signature (401).
    pub fn refused_signatures(&self) -> u64 {
        self.inner().refused_signatures
    }

    /// Sends answered over the rate (`Throttling.User` by the rate limit) or with an injected
    /// flow-control code (`Throttling.User`, `isv.BUSINESS_LIMIT_CONTROL`).
    pub fn throttled(&self) -> u64 {
        self.inner().throttled
    }

    /// Answers the next send with `code` (e.g. `isv.BUSINESS_LIMIT_CONTROL`); queued in order.
    pub fn answer_next(&self, code: &str) {
        self.inner().next_codes.push_back(code.to_string());
    }

    /// Refuses every send to `phone` (E.164) with `code` (e.g. `isv.MOBILE_NUMBER_ILLEGAL`).
    pub fn refuse_number(&self, phone: &str, code: &str) {
        self.inner()
            .bad_numbers
            .insert(phone.to_string(), code.to_string());
    }

    /// Accepts at most `per_sec` sends per second, answering the rest
    /// `isv.BUSINESS_LIMIT_CONTROL`.
    pub fn limit_rate(&self, per_sec: u64) {
        self.inner().rate_per_sec = Some(per_sec);
    }

    /// Posts delivery receipts to `{tripdesk_base}/api/v1/sms/receipts`, signed with
    /// `webhook_secret`; returns the status and the body.
    pub async fn post_receipts(
        &self,
        tripdesk_base: &str,
        webhook_secret: &str,
        receipts: &[wire::Receipt],
    ) -> reqwest::Result<(u16, String)> {
        let body = serde_json::to_vec(receipts).expect("receipts encode");
        self.post_signed(tripdesk_base, "/api/v1/sms/receipts", webhook_secret, body)
            .await
    }

    /// Posts customers' replies to `{tripdesk_base}/api/v1/sms/replies`, signed.
    pub async fn post_replies(
        &self,
        tripdesk_base: &str,
        webhook_secret: &str,
        replies: &[wire::Reply],
    ) -> reqwest::Result<(u16, String)> {
        let body = serde_json::to_vec(replies).expect("replies encode");
        self.post_signed(tripdesk_base, "/api/v1/sms/replies", webhook_secret, body)
            .await
    }

    async fn post_signed(
        &self,
        base: &str,
        path: &str,
        secret: &str,
        body: Vec<u8>,
    ) -> reqwest::Result<(u16, String)> {
        let signature = sign(secret, self.shared.clock.now().as_second(), &body);
        let response = self
            .client
            .post(format!("{}{path}", base.trim_end_matches('/')))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

fn answer(code: &str, biz_id: Option<String>) -> Json<wire::SendResponse> {
    Json(wire::SendResponse {
        code: code.to_string(),
        message: code.to_string(),
        biz_id,
        request_id: uuid::Uuid::now_v7().to_string(),
    })
}

async fn send(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<wire::SendResponse>, StatusCode> {
    let now = shared.clock.now();
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let request: Option<wire::SendRequest> = serde_json::from_slice(&body).ok();
    let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let signed = verify(&shared.key_secret, signature, &body, now.as_second()).is_ok();
    let Some(request) = request.filter(|r| signed && r.access_key_id == shared.key_id) else {
        inner.refused_signatures += 1;
        return Err(StatusCode::UNAUTHORIZED);
    };
    if let Some(biz) = inner.out_ids.get(&request.out_id).cloned() {
        inner.duplicates += 1;
        return Ok(answer(wire::OK, Some(biz)));
    }
    if let Some(code) = inner.bad_numbers.get(&request.phone_numbers).cloned() {
        return Ok(answer(&code, None));
    }
    if let Some(code) = inner.next_codes.pop_front() {
        if code == wire::BUSINESS_LIMIT_CONTROL || code == wire::THROTTLING {
            inner.throttled += 1;
        }
        return Ok(answer(&code, None));
    }
    if let Some(limit) = inner.rate_per_sec {
        let second = now.as_second();
        if inner.window.0 != second {
            inner.window = (second, 0);
        }
        if inner.window.1 >= limit {
            inner.throttled += 1;
            return Ok(answer(wire::THROTTLING, None));
        }
        inner.window.1 += 1;
    }
    let text = serde_json::from_str::<serde_json::Value>(&request.template_param)
        .ok()
        .and_then(|v| v[wire::TEMPLATE_VARIABLE].as_str().map(String::from))
        .unwrap_or_default();
    let biz_id = format!("{}^{}", inner.accepted.len() + 1, now.as_millisecond());
    inner.out_ids.insert(request.out_id.clone(), biz_id.clone());
    inner.accepted.push(SinkMessage {
        request,
        text,
        biz_id: biz_id.clone(),
        at: now,
    });
    Ok(answer(wire::OK, Some(biz_id)))
}
