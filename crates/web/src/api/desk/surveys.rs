//! Survey links and the tracking link of a ticket: what staff hand to customers.

use crate::api::rfc3339;
use crate::extract::{ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_store::Survey;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_surveys, send_survey))
        .routes(routes!(tracking_link))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TicketIdPath {
    id: Uuid,
}

/// A survey link just sent. `url` (and `token`) are shown only here: the server keeps a hash.
#[derive(Serialize, ToSchema)]
pub struct SurveySent {
    id: Uuid,
    ticket_id: Uuid,
    /// The link for the customer (no login; valid until `expires_at`, once).
    url: String,
    token: String,
    expires_at: String,
    /// Whether it was also queued as an email to the customer.
    emailed: bool,
}

/// A survey of a ticket.
#[derive(Serialize, ToSchema)]
pub struct SurveyView {
    id: Uuid,
    ticket_id: Uuid,
    /// The follow-up agent who sent it (the answer is recorded on their behalf).
    agent_id: Uuid,
    created_at: String,
    expires_at: String,
    emailed: bool,
    /// `pending`, `answered` or `expired`.
    state: String,
    used_at: Option<String>,
    satisfaction: Option<u8>,
    overall_rating: Option<u8>,
    suggestions: Option<String>,
    reason: Option<String>,
}

/// The state of a survey as of `now`.
pub fn survey_state(s: &Survey, now: jiff::Timestamp) -> &'static str {
    if s.used_at.is_some() {
        "answered"
    } else if s.expires_at <= now {
        "expired"
    } else {
        "pending"
    }
}

fn survey_view(state: &AppState, s: &Survey) -> SurveyView {
    let a = s.answers.as_ref();
    SurveyView {
        id: s.id,
        ticket_id: s.ticket_id,
        agent_id: s.agent_id,
        created_at: rfc3339(state, s.created_at),
        expires_at: rfc3339(state, s.expires_at),
        emailed: s.emailed,
        state: survey_state(s, state.app.now()).into(),
        used_at: s.used_at.map(|t| rfc3339(state, t)),
        satisfaction: a.map(|a| a.satisfaction),
        overall_rating: a.map(|a| a.overall_rating),
        suggestions: a.and_then(|a| a.suggestions.clone()),
        reason: a.and_then(|a| a.reason.clone()),
    }
}

/// The surveys of a ticket.
#[derive(Serialize, ToSchema)]
pub struct SurveyList {
    items: Vec<SurveyView>,
}

/// Sends a survey link for a complaint whose follow-up is scheduled (needs
/// `perform_follow_up`, and the sender must be allowed to record the follow-up: not in the
/// handling group, not a handler of the complaint). Emailed to the customer when they have an
/// email address; the link is valid 14 days and once.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/surveys", tag = "tickets", params(TicketIdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The link", body = SurveySent)))]
async fn send_survey(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TicketIdPath>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<SurveySent>), ApiError> {
    let base = crate::ui::public_base(&state, &headers);
    let link = state.app.send_survey(&p, path.id, &base).await?;
    Ok((
        StatusCode::CREATED,
        Json(SurveySent {
            id: link.survey.id,
            ticket_id: link.survey.ticket_id,
            url: link.url,
            token: link.token,
            expires_at: rfc3339(&state, link.survey.expires_at),
            emailed: link.survey.emailed,
        }),
    ))
}

/// The survey links sent for a ticket, with the answers of those used.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/surveys", tag = "tickets", params(TicketIdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The surveys, oldest first", body = SurveyList)))]
async fn list_surveys(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TicketIdPath>,
) -> Result<Json<SurveyList>, ApiError> {
    let surveys = state.app.list_surveys(&p, path.id).await?;
    Ok(Json(SurveyList {
        items: surveys.iter().map(|s| survey_view(&state, s)).collect(),
    }))
}

/// The signed link on which the customer follows the ticket (no login, does not expire).
#[derive(Serialize, ToSchema)]
pub struct TrackingLink {
    url: String,
    token: String,
}

/// The customer's tracking link of a ticket (to send by SMS, WeChat or email).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/tracking-link", tag = "tickets", params(TicketIdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The link", body = TrackingLink)))]
async fn tracking_link(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TicketIdPath>,
    headers: HeaderMap,
) -> Result<Json<TrackingLink>, ApiError> {
    // The ticket must exist (and be visible): the same check as reading it.
    state.app.get_ticket(&p, path.id).await?;
    let token = state.app.ticket_tracking_token(&p, path.id).await?;
    Ok(Json(TrackingLink {
        url: format!("{}/track/{token}", crate::ui::public_base(&state, &headers)),
        token,
    }))
}
