//! Notifications: one-off messages and delivery history (with the dead-letter queue), message
//! templates with preview, the signed-in user's in-app notifications (with a live
//! unread count the bell shows), webhook endpoints, recipient preferences and
//! per-channel rate limits.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tripdesk_app::notify::{OneOffMessage, TemplateInput, WebhookInput};
use tripdesk_store::{
    DeliveryAttempt, InAppNotification, MessageFilter, MessageState, OutboxMessage, Preference,
    RateLimit, Template, WebhookEndpoint,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(get_message))
        .routes(routes!(retry_message))
        .routes(routes!(message_stats))
        .routes(routes!(list_templates, save_template))
        .routes(routes!(template_versions, delete_template))
        .routes(routes!(preview_template))
        .routes(routes!(preview_draft))
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(get_preference, put_preference))
        .routes(routes!(list_rate_limits))
        .routes(routes!(put_rate_limit, delete_rate_limit))
}

// ---- messages ----

/// A message and where it is in its delivery.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: Uuid,
    channel: String,
    /// Email address, user id (in_app) or webhook endpoint id.
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
}

impl MessageView {
    fn of(state: &AppState, m: &OutboxMessage) -> Self {
        Self {
            id: m.id,
            channel: m.channel.clone(),
            to: m.recipient.clone(),
            subject: m.subject.clone(),
            state: m.state.into(),
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
    /// `email`, `in_app` (to a username or user id) or `webhook` (to an endpoint id).
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
    let limit = super::page_limit(q.limit, 50, 500)?;
    let items = state
        .app
        .list_messages(
            &p,
            MessageFilter {
                state: q.state.map(Into::into),
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
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

// ---- templates ----

/// A version of a template.
#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    key: String,
    locale: String,
    version: i64,
    description: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    created_by: Option<Uuid>,
    created_at: String,
}

impl TemplateView {
    fn of(state: &AppState, t: &Template) -> Self {
        Self {
            key: t.key.clone(),
            locale: t.locale.clone(),
            version: t.version,
            description: t.description.clone(),
            subject: t.subject.clone(),
            body_text: t.body_text.clone(),
            body_html: t.body_html.clone(),
            created_by: t.created_by,
            created_at: rfc3339(state, t.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    items: Vec<TemplateView>,
}

/// The newest version of every template (needs `send_messages`).
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Templates", body = TemplateList)))]
async fn list_templates(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<TemplateList>, ApiError> {
    let items = state.app.list_templates(&p).await?;
    Ok(Json(TemplateList {
        items: items.iter().map(|t| TemplateView::of(&state, t)).collect(),
    }))
}

/// A template as submitted. Placeholders are `{{ name }}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// The event, e.g. `booking.confirmed`.
    #[schema(pattern = "^[a-z][a-z0-9._]{0,79}$")]
    key: String,
    /// `zh-CN` or `en`.
    locale: String,
    description: Option<String>,
    #[schema(min_length = 1, max_length = 300)]
    subject: String,
    #[schema(min_length = 1)]
    body_text: String,
    body_html: Option<String>,
}

impl From<TemplateBody> for TemplateInput {
    fn from(b: TemplateBody) -> Self {
        TemplateInput {
            key: b.key,
            locale: b.locale,
            description: b.description.unwrap_or_default(),
            subject: b.subject,
            body_text: b.body_text,
            body_html: b.body_html,
        }
    }
}

/// Saves a template: version 1, or the next version of an existing one (needs
/// `manage_notifications`). Messages keep the version they were rendered with.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Saved", body = TemplateView)))]
async fn save_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<TemplateBody>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = state.app.save_template(&p, b.into()).await?;
    Ok((StatusCode::CREATED, Json(TemplateView::of(&state, &t))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplatePath {
    key: String,
    locale: String,
}

/// Every version of a template, newest first.
#[utoipa::path(get, path = "/api/v1/templates/{key}/{locale}", tag = "templates", params(TemplatePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Versions", body = TemplateList)))]
async fn template_versions(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
) -> Result<Json<TemplateList>, ApiError> {
    let items = state
        .app
        .template_versions(&p, &path.key, &path.locale)
        .await?;
    Ok(Json(TemplateList {
        items: items.iter().map(|t| TemplateView::of(&state, t)).collect(),
    }))
}

/// Deletes every version of a template (needs `manage_notifications`); messages already
/// rendered keep their text.
#[utoipa::path(delete, path = "/api/v1/templates/{key}/{locale}", tag = "templates", params(TemplatePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_template(&p, &path.key, &path.locale)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Values for a preview; variables left out show as «name».
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// A stored version (default: the newest).
    version: Option<i64>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

/// A template filled in.
#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    version: Option<i64>,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    /// The variables the template uses.
    variables: Vec<String>,
}

/// Renders a stored template with the given values.
#[utoipa::path(post, path = "/api/v1/templates/{key}/{locale}/preview", tag = "templates", params(TemplatePath), request_body = PreviewBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Rendered", body = PreviewView)))]
async fn preview_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
    ApiJson(b): ApiJson<PreviewBody>,
) -> Result<Json<PreviewView>, ApiError> {
    let (t, r) = state
        .app
        .preview_template(&p, &path.key, &path.locale, b.version, b.vars)
        .await?;
    Ok(Json(PreviewView {
        version: Some(t.version),
        subject: r.subject,
        body_text: r.body_text,
        body_html: r.body_html,
        variables: r.variables,
    }))
}

/// An unsaved template and values to render it with.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPreviewBody {
    template: TemplateBody,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

/// Renders an unsaved template (the editor's preview).
#[utoipa::path(post, path = "/api/v1/template-preview", tag = "templates", request_body = DraftPreviewBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Rendered", body = PreviewView)))]
async fn preview_draft(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<DraftPreviewBody>,
) -> Result<Json<PreviewView>, ApiError> {
    let r = state.app.preview_input(&p, &b.template.into(), b.vars)?;
    Ok(Json(PreviewView {
        version: None,
        subject: r.subject,
        body_text: r.body_text,
        body_html: r.body_html,
        variables: r.variables,
    }))
}

// ---- in-app notifications ----

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    id: Uuid,
    message_id: Uuid,
    title: String,
    body: String,
    link: Option<String>,
    created_at: String,
    read_at: Option<String>,
}

impl NotificationView {
    fn of(state: &AppState, n: &InAppNotification) -> Self {
        Self {
            id: n.id,
            message_id: n.message_id,
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            created_at: rfc3339(state, n.created_at),
            read_at: n.read_at.map(|t| rfc3339(state, t)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    items: Vec<NotificationView>,
    unread: u64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    unread: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// The signed-in user's in-app notifications, newest first, and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Notifications", body = NotificationList)))]
async fn list_notifications(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let (items, unread) = state
        .app
        .my_notifications(
            &p,
            q.unread.unwrap_or(false),
            super::page_limit(q.limit, 50, 500)?,
        )
        .await?;
    Ok(Json(NotificationList {
        items: items
            .iter()
            .map(|n| NotificationView::of(&state, n))
            .collect(),
        unread,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UnreadView {
    unread: u64,
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Unread count after", body = UnreadView)))]
async fn mark_read(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<UnreadView>, ApiError> {
    let unread = state.app.mark_notifications_read(&p, Some(path.id)).await?;
    Ok(Json(UnreadView { unread }))
}

/// Marks all of the user's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Unread count after", body = UnreadView)))]
async fn mark_all_read(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<UnreadView>, ApiError> {
    let unread = state.app.mark_notifications_read(&p, None).await?;
    Ok(Json(UnreadView { unread }))
}

// ---- webhooks ----

/// A webhook endpoint (the secret is shown only when created).
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    id: Uuid,
    url: String,
    /// The events delivered (see the subscription's list), or `*`.
    events: Vec<String>,
    description: String,
    active: bool,
    /// The signing secret: only in the answer to creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: String,
    updated_at: String,
}

impl WebhookView {
    fn of(state: &AppState, w: &WebhookEndpoint, with_secret: bool) -> Self {
        Self {
            id: w.id,
            url: w.url.clone(),
            events: w.events.clone(),
            description: w.description.clone(),
            active: w.active,
            secret: with_secret.then(|| w.secret.clone()),
            created_at: rfc3339(state, w.created_at),
            updated_at: rfc3339(state, w.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

/// Webhook endpoints (needs `manage_notifications`).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Endpoints", body = WebhookList)))]
async fn list_webhooks(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<WebhookList>, ApiError> {
    let items = state.app.list_webhooks(&p).await?;
    Ok(Json(WebhookList {
        items: items
            .iter()
            .map(|w| WebhookView::of(&state, w, false))
            .collect(),
    }))
}

/// The events a webhook may subscribe to: `tripdesk_domain::notify::events::ALL` and `*`
/// (the document is built from the same list the subscription is checked against).
fn webhook_event_names() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let names: Vec<&str> = std::iter::once("*")
        .chain(tripdesk_domain::notify::events::ALL)
        .collect();
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .min_items(Some(1))
        .description(Some(
            "The events to deliver, or `*` for all. Each event's `data` is described by a \
             schema of its own: `ticket.created` TicketCreatedData, `ticket.level_changed` \
             TicketLevelChangedData, `ticket.assigned` and `ticket.step` TicketStepData, \
             `ticket.reply_sent` TicketReplySentData, `sla.warning` and `sla.breach` \
             SlaEventData, `survey.answered` SurveyAnsweredData, `customer.erased` \
             CustomerErasedData; the envelope is WebhookDelivery.",
        ))
        .build()
}

/// What a webhook endpoint receives: a signed `POST` of this JSON (headers
/// `X-Tripdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
/// `X-Tripdesk-Event`, `X-Tripdesk-Delivery`, the same on every retry). Never personal
/// data: fetch details through the API with a token.
#[derive(Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The delivery id (= `X-Tripdesk-Delivery`): de-duplicate on it.
    id: Uuid,
    /// The event name (= `X-Tripdesk-Event`).
    event: String,
    /// When the event was published, RFC 3339.
    created_at: String,
    /// What the event is about, e.g. `{"type": "ticket", "id": "…"}`.
    related: Option<WebhookRelated>,
    /// The event's payload: the schema named for the event (see the webhook subscription).
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookRelated {
    /// `ticket` or `customer` (or an SLA clock's subject type).
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

/// An endpoint as submitted.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// `https://…` (or `http://` on a trusted network).
    url: String,
    #[schema(schema_with = webhook_event_names)]
    events: Vec<String>,
    description: Option<String>,
    active: Option<bool>,
}

impl From<WebhookBody> for WebhookInput {
    fn from(b: WebhookBody) -> Self {
        WebhookInput {
            url: b.url,
            events: b.events,
            description: b.description.unwrap_or_default(),
            active: b.active.unwrap_or(true),
        }
    }
}

/// Creates an endpoint; the answer carries its signing secret, shown only this once.
/// Deliveries are POSTs of JSON with `X-Tripdesk-Signature: t=<unix>,v1=<hex
/// HMAC-SHA256(secret, "<t>.<body>")>`; reject timestamps more than 5 minutes old.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = WebhookView)))]
async fn create_webhook(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let w = state.app.create_webhook(&p, b.into()).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::of(&state, &w, true))))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The endpoint", body = WebhookView)))]
async fn get_webhook(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<WebhookView>, ApiError> {
    let w = state.app.get_webhook(&p, path.id).await?;
    Ok(Json(WebhookView::of(&state, &w, false)))
}

/// Replaces an endpoint's URL, events, description and active flag (the secret stays).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(IdPath), request_body = WebhookBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Updated", body = WebhookView)))]
async fn update_webhook(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<WebhookBody>,
) -> Result<Json<WebhookView>, ApiError> {
    let w = state.app.update_webhook(&p, path.id, b.into()).await?;
    Ok(Json(WebhookView::of(&state, &w, false)))
}

/// Deletes an endpoint; its pending deliveries die.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_webhook(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_webhook(&p, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- preferences and rate limits ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RecipientPath {
    /// `user:<id>` or `customer:<id>`.
    recipient_key: String,
}

/// How a recipient wants to be reached.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceBody {
    /// `email` or `in_app`.
    channel: Option<String>,
    /// `zh-CN` or `en`.
    locale: Option<String>,
    /// Quiet hours start, minutes after local midnight (e.g. 1320 = 22:00).
    #[schema(minimum = 0, maximum = 1439)]
    quiet_start: Option<i64>,
    #[schema(minimum = 0, maximum = 1439)]
    quiet_end: Option<i64>,
    /// IANA zone of the quiet hours (default Asia/Shanghai).
    timezone: Option<String>,
}

/// A recipient's preferences (404 when none are set). A staff member reads their own;
/// another staff member's only an administrator; a customer's whoever may see customers.
#[utoipa::path(get, path = "/api/v1/preferences/{recipient_key}", tag = "notifications", params(RecipientPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Preferences", body = PreferenceBody)))]
async fn get_preference(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RecipientPath>,
) -> Result<Json<PreferenceBody>, ApiError> {
    let pref = state
        .app
        .get_preference(&p, &path.recipient_key)
        .await?
        .ok_or(tripdesk_app::AppError::NotFound("preference"))?;
    Ok(Json(PreferenceBody {
        channel: pref.channel,
        locale: pref.locale,
        quiet_start: pref.quiet_start,
        quiet_end: pref.quiet_end,
        timezone: Some(pref.timezone),
    }))
}

/// Sets a recipient's preferences: preferred channel and language, quiet hours (only
/// emergencies are delivered inside them). A staff member sets their own; another staff
/// member's only an administrator; a customer's whoever may edit customers. Audited
/// (`preference.set`).
#[utoipa::path(put, path = "/api/v1/preferences/{recipient_key}", tag = "notifications", params(RecipientPath), request_body = PreferenceBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved", body = PreferenceBody)))]
async fn put_preference(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RecipientPath>,
    ApiJson(b): ApiJson<PreferenceBody>,
) -> Result<Json<PreferenceBody>, ApiError> {
    let saved = state
        .app
        .set_preference(
            &p,
            Preference {
                recipient_key: path.recipient_key,
                channel: b.channel,
                locale: b.locale,
                quiet_start: b.quiet_start,
                quiet_end: b.quiet_end,
                timezone: b.timezone.unwrap_or_else(|| "Asia/Shanghai".into()),
                updated_at: jiff::Timestamp::UNIX_EPOCH,
            },
        )
        .await?;
    Ok(Json(PreferenceBody {
        channel: saved.channel,
        locale: saved.locale,
        quiet_start: saved.quiet_start,
        quiet_end: saved.quiet_end,
        timezone: Some(saved.timezone),
    }))
}

/// A channel's send rate, shared by all nodes.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitBody {
    /// Messages per second.
    #[schema(minimum = 1, maximum = 100000)]
    per_second: i64,
    /// How many may go at once after a quiet spell.
    #[schema(minimum = 1, maximum = 100000)]
    burst: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitView {
    channel: String,
    per_second: i64,
    burst: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitList {
    items: Vec<RateLimitView>,
}

fn rate_view(r: RateLimit) -> RateLimitView {
    RateLimitView {
        channel: r.channel,
        per_second: r.per_second,
        burst: r.burst,
    }
}

/// Per-channel rate limits (needs `view_deliveries`).
#[utoipa::path(get, path = "/api/v1/rate-limits", tag = "messages",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Limits", body = RateLimitList)))]
async fn list_rate_limits(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<RateLimitList>, ApiError> {
    let items = state.app.list_rate_limits(&p).await?;
    Ok(Json(RateLimitList {
        items: items.into_iter().map(rate_view).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChannelPath {
    channel: String,
}

/// Sets a channel's rate limit (needs `manage_notifications`).
#[utoipa::path(put, path = "/api/v1/rate-limits/{channel}", tag = "messages", params(ChannelPath), request_body = RateLimitBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved", body = RateLimitView)))]
async fn put_rate_limit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ChannelPath>,
    ApiJson(b): ApiJson<RateLimitBody>,
) -> Result<Json<RateLimitView>, ApiError> {
    let r = state
        .app
        .set_rate_limit(
            &p,
            RateLimit {
                channel: path.channel,
                per_second: b.per_second,
                burst: b.burst,
            },
        )
        .await?;
    Ok(Json(rate_view(r)))
}

/// Removes a channel's rate limit.
#[utoipa::path(delete, path = "/api/v1/rate-limits/{channel}", tag = "messages", params(ChannelPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Removed")))]
async fn delete_rate_limit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ChannelPath>,
) -> Result<StatusCode, ApiError> {
    state.app.remove_rate_limit(&p, &path.channel).await?;
    Ok(StatusCode::NO_CONTENT)
}
