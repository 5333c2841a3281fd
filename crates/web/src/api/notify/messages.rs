//! Outgoing messages: one-off messages, delivery history with its attempts, the dead-letter
//! queue's retry, and counts by state.

use super::IdPath;
use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::notify::OneOffMessage;
use tripdesk_store::{DeliveryAttempt, MessageFilter, MessageState, OutboxMessage};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(get_message))
        .routes(routes!(retry_message))
        .routes(routes!(message_stats))
}

/// A message and where it is in its delivery.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: Uuid,
    channel: String,
    /// Email address, user id (in_app), webhook endpoint id, or the customer's phone
    /// identifier id (sms: the number itself is never shown here).
    to: String,
    subject: String,
    state: MessageState,
    attempts: i64,
    max_attempts: i64,
    /// Next attempt (queued, retrying) or end of the current claim (sending).
    next_attempt_at: Option<String>,
    last_error: Option<String>,
    receipt: Option<String>,
    template_key: Option<String>,
    template_version: Option<i64>,
    locale: String,
    customer_id: Option<Uuid>,
    related_type: Option<String>,
    related_id: Option<String>,
    emergency: bool,
    created_by: Option<Uuid>,
    created_at: String,
    sent_at: Option<String>,
    /// SMS: what the handset reported after the provider accepted it (`delivered` or
    /// `failed`), when, and the provider's code when it failed.
    handset_state: Option<String>,
    handset_at: Option<String>,
    handset_error: Option<String>,
}

impl MessageView {
    fn of(state: &AppState, m: &OutboxMessage) -> Self {
        Self {
            id: m.id,
            channel: m.channel.clone(),
            to: if m.channel == tripdesk_app::sms::SMS_CHANNEL
                || m.channel == tripdesk_app::wechat::WECHAT_CHANNEL
            {
                tripdesk_app::sms::sms_recipient_identifier(&m.recipient)
                    .map(|id| id.to_string())
                    .unwrap_or_default()
            } else {
                m.recipient.clone()
            },
            subject: m.subject.clone(),
            state: m.state,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            next_attempt_at: m.due_at.map(|t| rfc3339(state, t)),
            last_error: m.last_error.clone(),
            receipt: m.receipt.clone(),
            template_key: m.template_key.clone(),
            template_version: m.template_version,
            locale: m.locale.clone(),
            customer_id: m.customer_id,
            related_type: m.related_type.clone(),
            related_id: m.related_id.clone(),
            emergency: m.emergency,
            created_by: m.created_by,
            created_at: rfc3339(state, m.created_at),
            sent_at: m.sent_at.map(|t| rfc3339(state, t)),
            handset_state: m.handset_state.map(|h| h.as_str().to_string()),
            handset_at: m.handset_at.map(|t| rfc3339(state, t)),
            handset_error: m.handset_error.clone(),
        }
    }
}

/// One delivery attempt (or an admin's requeue).
#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    attempt: i64,
    /// `sent`, `retry`, `dead` or `requeued`.
    outcome: String,
    worker: String,
    error: Option<String>,
    receipt: Option<String>,
    started_at: String,
    finished_at: String,
}

impl AttemptView {
    fn of(state: &AppState, a: &DeliveryAttempt) -> Self {
        Self {
            attempt: a.attempt,
            outcome: a.outcome.clone(),
            worker: a.worker.clone(),
            error: a.error.clone(),
            receipt: a.receipt.clone(),
            started_at: rfc3339(state, a.started_at),
            finished_at: rfc3339(state, a.finished_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    filename: String,
    content_type: String,
    size: usize,
}

/// A message with its delivery history.
#[derive(Serialize, ToSchema)]
pub struct MessageDetailView {
    #[serde(flatten)]
    message: MessageView,
    body_text: String,
    body_html: Option<String>,
    history: Vec<AttemptView>,
    attachments: Vec<AttachmentView>,
}

/// A one-off message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneOffMessageBody {
    /// `email`, `in_app` (to a username or user id), `webhook` (to an endpoint id) or `sms` (to a
    /// customer id: their primary phone; 422 `sms_not_configured` without an SMS provider).
    channel: String,
    to: String,
    #[schema(min_length = 1, max_length = 300)]
    subject: String,
    #[schema(min_length = 1)]
    body: String,
    /// An HTML version of the body (email); the plain `body` goes with it.
    html: Option<String>,
    customer_id: Option<Uuid>,
    /// What it is about, e.g. `ticket` or `booking`.
    related_type: Option<String>,
    related_id: Option<String>,
    /// Ignore quiet hours (needs `manage_notifications`).
    emergency: Option<bool>,
}

/// Queues a one-off message (needs `send_messages`); it is delivered by the workers.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages", request_body = OneOffMessageBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Queued", body = MessageView)))]
async fn send_message(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<OneOffMessageBody>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let m = state
        .app
        .send_message(
            &p,
            OneOffMessage {
                channel: b.channel,
                to: b.to,
                subject: b.subject,
                body: b.body,
                html: b.html,
                customer_id: b.customer_id,
                related_type: b.related_type,
                related_id: b.related_id,
                emergency: b.emergency.unwrap_or(false),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(MessageView::of(&state, &m))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    state: Option<MessageState>,
    channel: Option<String>,
    /// Exact address, user id or endpoint id.
    to: Option<String>,
    customer_id: Option<Uuid>,
    related_type: Option<String>,
    related_id: Option<String>,
    /// Only messages older than this id (next page).
    before: Option<Uuid>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    items: Vec<MessageView>,
    /// Pass as `before` for the next page (absent on the last page).
    next_before: Option<Uuid>,
}

/// Delivery history, newest first (all messages with `view_deliveries`, else one's own).
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(MessageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Messages", body = MessageList)))]
async fn list_messages(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> Result<Json<MessageList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 500)?;
    let items = state
        .app
        .list_messages(
            &p,
            MessageFilter {
                state: q.state,
                channel: q.channel,
                recipient: q.to,
                customer_id: q.customer_id,
                related_type: q.related_type,
                related_id: q.related_id,
                created_by: None,
                before: q.before,
                limit,
            },
        )
        .await?;
    let next_before = (items.len() == limit as usize)
        .then(|| items.last().map(|m| m.id))
        .flatten();
    Ok(Json(MessageList {
        items: items.iter().map(|m| MessageView::of(&state, m)).collect(),
        next_before,
    }))
}

/// A message, its delivery state and every attempt.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The message", body = MessageDetailView)))]
async fn get_message(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<MessageDetailView>, ApiError> {
    let d = state.app.get_message(&p, path.id).await?;
    Ok(Json(MessageDetailView {
        message: MessageView::of(&state, &d.message),
        body_text: d.message.body_text.clone(),
        body_html: d.message.body_html.clone(),
        history: d
            .attempts
            .iter()
            .map(|a| AttemptView::of(&state, a))
            .collect(),
        attachments: d
            .attachments
            .into_iter()
            .map(|(filename, content_type, size)| AttachmentView {
                filename,
                content_type,
                size,
            })
            .collect(),
    }))
}

/// Requeues a dead message for another round of attempts (needs `manage_notifications`).
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "messages", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Requeued", body = MessageView)))]
async fn retry_message(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<MessageView>, ApiError> {
    let m = state.app.retry_message(&p, path.id).await?;
    Ok(Json(MessageView::of(&state, &m)))
}

/// Messages per delivery state.
#[derive(Serialize, ToSchema)]
pub struct MessageStats {
    queued: u64,
    sending: u64,
    retrying: u64,
    sent: u64,
    dead: u64,
}

/// How many messages are in each state (needs `view_deliveries`).
#[utoipa::path(get, path = "/api/v1/message-stats", tag = "messages",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Counts", body = MessageStats)))]
async fn message_stats(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<MessageStats>, ApiError> {
    let c = state.app.message_counts(&p).await?;
    Ok(Json(MessageStats {
        queued: c.queued,
        sending: c.sending,
        retrying: c.retrying,
        sent: c.sent,
        dead: c.dead,
    }))
}
