//! Signed event webhooks: the endpoints integrators register, and the events' schemas.

use super::IdPath;
use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::notify::WebhookInput;
use tripdesk_store::WebhookEndpoint;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
}

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
             CustomerErasedData, every `booking.*` event BookingEventData; the envelope is \
             WebhookDelivery.",
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
