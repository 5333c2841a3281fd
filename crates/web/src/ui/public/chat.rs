//! The web chat's visitor side (issue 17 item 2): the embeddable widget (`/chat/widget.js`
//! and its stylesheet, no build step), the JSON that opens a chat (`POST /chat/start`), the
//! visitor's WebSocket (`/chat/ws?token=…`), and `/chat`, a page of the agency's site that
//! embeds the widget (the demo and the browser test use it).
//!
//! **The socket.** The server sends one JSON frame per message (`{"type":"message","seq",
//! "author","text","at"}`) and per state change (`{"type":"state","state"}`); the visitor
//! sends `{"type":"say","text"}` and `{"type":"end"}`; a refusal comes back as
//! `{"type":"error","message"}` in the visitor's language. The socket wakes on the
//! after-commit signal of its chat (`Topic::Chat`, on any node) and reads what is new after
//! the last number it sent, so nothing is lost or sent twice across reconnects (the widget
//! reconnects with `after=` its last number).
//!
//! **Other sites.** The agency's own sites listed in `chat_origins` may embed the widget:
//! `/chat/start` answers them with CORS headers and the socket accepts their `Origin`.

use super::super::lang_of;
use crate::extract::ClientIp;
use crate::i18n::{app_error, field_error_as, Lang, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tripdesk_app::chat::{ChatLine, StartChat};
use tripdesk_app::AppError;
use tripdesk_domain::chat::ChatState;
use tripdesk_store::signal::FALLBACK_POLL;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat", get(demo_page))
        .route("/chat/widget.js", get(widget_js))
        .route("/chat/widget.css", get(widget_css))
        .route("/chat/start", post(start).options(preflight))
        .route("/chat/ws", get(visitor_socket))
}

const WIDGET_JS: &str = include_str!("../../../static/chat-widget.js");
const WIDGET_CSS: &str = include_str!("../../../static/chat-widget.css");

async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

async fn widget_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_CSS,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "public/chat_demo.html")]
struct DemoPage {
    p: super::PublicChrome,
}

/// A page of the agency's own site with the widget on it.
async fn demo_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = DemoPage {
        p: super::chrome(&state, &headers, "/chat"),
    };
    super::super::render(StatusCode::OK, &page)
}

/// The `Origin` of a request from one of the agency's other sites (`chat_origins`), if it
/// is one.
pub fn chat_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    state
        .config
        .chat_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(text))
        .then(|| origin.clone())
}

fn with_cors(state: &AppState, headers: &HeaderMap, mut res: Response) -> Response {
    if let Some(origin) = chat_origin(state, headers) {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    res
}

/// The browser's preflight of a `/chat/start` from another of the agency's sites.
async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if chat_origin(&state, &headers).is_some() {
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    with_cors(&state, &headers, res)
}

#[derive(Deserialize)]
pub struct StartBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    message: String,
    /// `zh-CN` or `en`: the language of the answers (default: the browser's cookie, else
    /// Chinese).
    lang: Option<String>,
}

fn lang(headers: &HeaderMap, asked: Option<&str>) -> Lang {
    asked
        .and_then(Lang::parse)
        .unwrap_or_else(|| lang_of(headers, None))
}

/// Opens a chat: `201 {"token", "chat_id"}`, or `422 {"errors": [{"field", "message"}]}`
/// naming each field in the visitor's language (the widget keeps what was typed), `429` over
/// the limit.
async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Result<Json<StartBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        let t = Tr(lang(&headers, None));
        let res = (
            StatusCode::BAD_REQUEST,
            Json(json!({ "errors": [{ "field": "", "message": t.s("chat.bad_request") }] })),
        )
            .into_response();
        return with_cors(&state, &headers, res);
    };
    let t = Tr(lang(&headers, body.lang.as_deref()));
    let input = StartChat {
        name: body.name,
        phone: body.phone,
        message: body.message,
    };
    let res = match state.app.start_chat(input, ip.as_deref()).await {
        Ok(started) => (
            StatusCode::CREATED,
            Json(json!({ "token": started.token, "chat_id": started.chat.id })),
        )
            .into_response(),
        Err(AppError::Validation(fields)) => {
            let errors: Vec<Value> = fields
                .iter()
                .map(|f| {
                    let label = t.s(&format!("chat.field.{}", f.field));
                    json!({ "field": f.field, "message": field_error_as(t, f, label) })
                })
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "errors": errors })),
            )
                .into_response()
        }
        Err(e) => {
            let status = crate::problem::status_of(&e);
            (
                status,
                Json(json!({ "errors": [{ "field": "", "message": app_error(t, &e) }] })),
            )
                .into_response()
        }
    };
    with_cors(&state, &headers, res)
}

#[derive(Deserialize)]
pub struct SocketQuery {
    token: String,
    /// The last message number the widget has (it reconnects from there).
    #[serde(default)]
    after: i64,
    lang: Option<String>,
}

/// Whether a socket's `Origin` is this server's or one of the agency's sites.
pub(crate) fn socket_origin_ok(state: &AppState, headers: &HeaderMap) -> bool {
    !crate::is_cross_origin(headers, state.config.public_url.as_deref())
        || chat_origin(state, headers).is_some()
}

/// The visitor's socket: 404 for a token that names no chat.
async fn visitor_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SocketQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if !socket_origin_ok(&state, &headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let t = Tr(lang(&headers, q.lang.as_deref()));
    // The token is checked before the upgrade: a wrong one is a plain 404.
    let chat = match state.app.visitor_chat(&q.token, i64::MAX).await {
        Ok((chat, _)) => chat,
        Err(e) => return crate::problem::ApiError::from(e).into_response(),
    };
    ws.on_upgrade(move |socket| visitor_session(state, socket, q.token, chat.id, q.after, t))
}

/// One message as a frame.
pub(crate) fn message_frame(chat: Option<Uuid>, l: &ChatLine, tz: jiff::tz::TimeZone) -> String {
    json!({
        "type": "message",
        "chat": chat,
        "seq": l.seq,
        "author": l.author.as_str(),
        "text": l.text,
        "at": l.at.to_zoned(tz).strftime("%H:%M").to_string(),
    })
    .to_string()
}

async fn visitor_session(
    state: AppState,
    mut socket: WebSocket,
    token: String,
    chat_id: Uuid,
    mut after: i64,
    t: Tr,
) {
    // Subscribed before the first read: a message committed in between wakes the loop.
    let mut keys = state.chat_hub.follow(&[chat_id]);
    let mut last_state: Option<ChatState> = None;
    loop {
        // Send what is new since `after`.
        let (chat, lines) = match state.app.visitor_chat(&token, after).await {
            Ok(x) => x,
            Err(_) => return,
        };
        for l in &lines {
            let frame = message_frame(None, l, state.tz.clone());
            if socket.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
            after = after.max(l.seq);
        }
        if last_state != Some(chat.state) {
            last_state = Some(chat.state);
            let frame = json!({ "type": "state", "state": chat.state.as_str() }).to_string();
            if socket.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
        }
        // Wait for the visitor, for a commit to this chat, or the fallback poll.
        loop {
            tokio::select! {
                got = socket.recv() => match got {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(refusal) = visitor_frame(&state, &token, &text, t).await {
                            let frame = json!({ "type": "error", "message": refusal }).to_string();
                            if socket.send(Message::Text(frame.into())).await.is_err() {
                                return;
                            }
                        }
                        break;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
                key = keys.recv() => match key {
                    Some(_) => break,
                    None => return,
                },
                _ = tokio::time::sleep(FALLBACK_POLL) => break,
            }
        }
    }
}

#[derive(Deserialize)]
struct VisitorFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

/// Acts on one frame of the visitor; the refusal to show, if any.
async fn visitor_frame(state: &AppState, token: &str, text: &str, t: Tr) -> Option<String> {
    let Ok(frame) = serde_json::from_str::<VisitorFrame>(text) else {
        return Some(t.s("chat.bad_request").into());
    };
    let done = match frame.kind.as_str() {
        "say" => state.app.visitor_says(token, &frame.text).await.map(drop),
        "end" => state.app.end_chat(None, Ok(token)).await.map(drop),
        _ => return Some(t.s("chat.bad_request").into()),
    };
    done.err().map(|e| app_error(t, &e))
}
