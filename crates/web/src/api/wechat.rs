//! The WeChat official account's message push (微信公众号 服务器配置, issue 17 item 4): the
//! address to enter as the account's server URL. No bearer token: WeChat signs each request
//! with the account's Token (`wechat_token`), and in safe mode encrypts it with the
//! EncodingAESKey (`tripdesk_wechat`). WeChat waits 5 seconds for an answer and retries
//! three times, so a push is answered `success` as soon as it is read.

use crate::extract::ApiQuery;
use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tripdesk_wechat::PushQuery;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_url, receive_push))
}

/// The query WeChat puts on the server-address check (GET) and on each push (POST).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WechatQuery {
    /// SHA-1 of the sorted Token, `timestamp` and `nonce`.
    signature: Option<String>,
    /// Unix seconds; refused when more than 5 minutes from the server's clock.
    timestamp: String,
    nonce: String,
    /// The server-address check's string, answered back as received.
    echostr: Option<String>,
    /// `aes` in safe and compatible mode.
    encrypt_type: Option<String>,
    /// Safe mode: SHA-1 of the sorted Token, `timestamp`, `nonce` and the body's `Encrypt`.
    msg_signature: Option<String>,
    /// The sender, which WeChat repeats here; not read (the message says who sent it).
    #[allow(dead_code)]
    openid: Option<String>,
}

fn text(body: String) -> Response {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// WeChat's server-address check: the `echostr` back, as plain text, when the signature
/// holds. 401 when it does not, when the timestamp is stale, or when no account is configured.
#[utoipa::path(get, path = "/api/v1/wechat/push", tag = "messages", params(WechatQuery),
    responses((status = 200, description = "The echostr", content_type = "text/plain", body = String)))]
async fn verify_url(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<WechatQuery>,
) -> Result<Response, ApiError> {
    let echo = state.app.verify_wechat_url(
        q.signature.as_deref().unwrap_or(""),
        &q.timestamp,
        &q.nonce,
        q.echostr.as_deref().unwrap_or(""),
    )?;
    Ok(text(echo))
}

/// A message or event pushed by WeChat (XML; in safe mode its `Encrypt` field), answered
/// `success`. 401 for a missing or wrong signature or a stale timestamp; 422 (field `body`)
/// for a body that does not decrypt or is not a message WeChat sends.
#[utoipa::path(post, path = "/api/v1/wechat/push", tag = "messages", params(WechatQuery),
    request_body(content = String, content_type = "text/xml"),
    responses((status = 200, description = "Received", content_type = "text/plain", body = String)))]
async fn receive_push(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<WechatQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let query = PushQuery {
        signature: q.signature.as_deref(),
        timestamp: &q.timestamp,
        nonce: &q.nonce,
        encrypt_type: q.encrypt_type.as_deref(),
        msg_signature: q.msg_signature.as_deref(),
    };
    let message = state.app.open_wechat_push(&query, &body)?;
    // Kept once, threaded by OpenID into the customer's ticket (`tripdesk_app::wechat_in`).
    state.app.take_wechat_push(&message).await?;
    metrics::counter!("tripdesk_wechat_pushes_total", "kind" => kind_name(&message.kind))
        .increment(1);
    Ok(text("success".to_owned()))
}

fn kind_name(kind: &tripdesk_wechat::InboundKind) -> &'static str {
    use tripdesk_wechat::InboundKind;
    match kind {
        InboundKind::Text { .. } => "text",
        InboundKind::Image { .. } => "image",
        InboundKind::Voice { .. } => "voice",
        InboundKind::Event(_) => "event",
        InboundKind::Other { .. } => "other",
    }
}
