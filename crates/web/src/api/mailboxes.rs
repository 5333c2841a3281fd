//! Inbound email's IMAP mailboxes for administrators (issue 17 item 1): add one (the
//! password is sealed and never shown again), list them with each one's last poll and error,
//! turn polling off or on, poll now.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::email_in::MailboxInput;
use tripdesk_store::EmailMailbox;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox))
        .routes(routes!(set_enabled))
        .routes(routes!(poll_mailbox))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MailboxPath {
    /// The mailbox.
    id: Uuid,
}

/// A mailbox to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "客服信箱", "host": "imap.exmail.qq.com", "port": 993,
    "tls": true, "username": "support@agency.cn", "password": "…", "folder": "INBOX"}))]
pub struct MailboxBody {
    /// 1–80 characters, unique.
    name: String,
    host: String,
    #[schema(minimum = 1, maximum = 65535)]
    port: u16,
    /// IMAPS (TLS from the first byte, port 993). `false` only for a server on a trusted
    /// network (loopback).
    tls: bool,
    username: String,
    /// Sealed by the vault; never shown again.
    password: String,
    /// `INBOX` when left out.
    folder: Option<String>,
}

/// A mailbox (never its password).
#[derive(Serialize, ToSchema)]
pub struct MailboxView {
    id: Uuid,
    name: String,
    host: String,
    port: u16,
    tls: bool,
    username: String,
    folder: String,
    enabled: bool,
    /// The highest UID taken so far (0: none yet).
    last_uid: u32,
    last_poll_at: Option<String>,
    /// Why the last poll failed (`connect: …`, `login: …`, `tls: …`), cleared by a good one.
    last_error: Option<String>,
    /// Mails taken into the desk from this mailbox.
    taken_total: i64,
    created_at: String,
}

impl MailboxView {
    fn of(state: &AppState, m: &EmailMailbox) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            host: m.host.clone(),
            port: m.port,
            tls: m.tls,
            username: m.username.clone(),
            folder: m.folder.clone(),
            enabled: m.enabled,
            last_uid: m.last_uid,
            last_poll_at: m.last_poll_at.map(|t| rfc3339(state, t)),
            last_error: m.last_error.clone(),
            taken_total: m.taken_total,
            created_at: rfc3339(state, m.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MailboxList {
    items: Vec<MailboxView>,
    /// Whether another page follows (ask again with `offset` + `limit`).
    more: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MailboxQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// The mailboxes by name, with each one's last poll (needs `manage_settings`).
#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mailboxes", params(MailboxQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of mailboxes", body = MailboxList)))]
async fn list_mailboxes(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MailboxQuery>,
) -> Result<Json<MailboxList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 500)?;
    let page = state
        .app
        .list_mailboxes(&p, limit, q.offset.unwrap_or(0))
        .await?;
    Ok(Json(MailboxList {
        items: page
            .items
            .iter()
            .map(|m| MailboxView::of(&state, m))
            .collect(),
        more: page.more,
    }))
}

/// Adds a mailbox, polled each minute from now (needs `manage_settings`; audited without
/// the password). 422 naming each field at fault; 409 when the name is taken.
#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mailboxes", request_body = MailboxBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added", body = MailboxView)))]
async fn create_mailbox(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<MailboxBody>,
) -> Result<(StatusCode, Json<MailboxView>), ApiError> {
    let m = state
        .app
        .create_mailbox(
            &p,
            MailboxInput {
                name: b.name,
                host: b.host,
                port: b.port,
                tls: b.tls,
                username: b.username,
                password: b.password,
                folder: b.folder.unwrap_or_default(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(MailboxView::of(&state, &m))))
}

/// One mailbox with its last poll (needs `manage_settings`).
#[utoipa::path(get, path = "/api/v1/mailboxes/{id}", tag = "mailboxes", params(MailboxPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The mailbox", body = MailboxView)))]
async fn get_mailbox(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MailboxPath>,
) -> Result<Json<MailboxView>, ApiError> {
    let m = state.app.get_mailbox(&p, path.id).await?;
    Ok(Json(MailboxView::of(&state, &m)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    enabled: bool,
}

/// Turns a mailbox's polling off or on (needs `manage_settings`; audited).
#[utoipa::path(put, path = "/api/v1/mailboxes/{id}/enabled", tag = "mailboxes",
    params(MailboxPath), request_body = EnabledBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Changed", body = MailboxView)))]
async fn set_enabled(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MailboxPath>,
    ApiJson(b): ApiJson<EnabledBody>,
) -> Result<Json<MailboxView>, ApiError> {
    let m = state
        .app
        .set_mailbox_enabled(&p, path.id, b.enabled)
        .await?;
    Ok(Json(MailboxView::of(&state, &m)))
}

#[derive(Serialize, ToSchema)]
pub struct PollQueued {
    /// False when a poll of this mailbox was already waiting.
    queued: bool,
}

/// Queues a poll of the mailbox now (needs `manage_settings`).
#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/poll", tag = "mailboxes",
    params(MailboxPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 202, description = "Queued", body = PollQueued)))]
async fn poll_mailbox(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MailboxPath>,
) -> Result<(StatusCode, Json<PollQueued>), ApiError> {
    let queued = state.app.poll_mailbox_now(&p, path.id).await?;
    Ok((StatusCode::ACCEPTED, Json(PollQueued { queued })))
}
