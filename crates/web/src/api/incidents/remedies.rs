//! Bulk remedies under force majeure: offer every affected booking a refund or a
//! postponement at once, list the offers and the customers' choices, and record a choice a
//! customer gave staff (by phone). Customers choose themselves on `/r/<token>`.

use super::IncidentPath;
use crate::api::bookings::RefundView;
use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::emergency::{RemedyChosen, RemedyOffer};
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::emergency::{RemedyChoice, RemedyState, RemedyVia};
use tripdesk_store::{RemedyCounts, RemedyRow};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_remedies, offer_remedies))
        .routes(routes!(record_choice))
}

/// Offers a refund or a postponement under force majeure to every live booking the open
/// incident reaches that has no offer yet, in one transaction (needs `manage_incidents`;
/// audited): each customer gets one message — SMS when a provider is configured and they have
/// a phone, else email — with their signed link to choose. Offering again offers only
/// bookings new to the incident. 409 `incident.drill` for a drill, `incident.closed` once
/// closed.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/remedies", tag = "incidents",
    params(IncidentPath), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Offered", body = RemedyOffer)))]
async fn offer_remedies(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<RemedyOffer>), ApiError> {
    let out = state
        .app
        .offer_remedies(&p, path.id, &crate::ui::public_base(&state, &headers))
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemediesQuery {
    /// Only offers in this state: `offered` (no choice yet), `refund`, `postpone`, `withdrawn`.
    state: Option<RemedyState>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

/// One offer, with its booking as it stands.
#[derive(Serialize, ToSchema)]
pub struct RemedyView {
    booking_id: Uuid,
    /// Who booked, and chooses.
    customer_id: Uuid,
    confirmation_no: Option<String>,
    booking_state: BookingState,
    #[schema(value_type = String, format = Date)]
    starts_on: String,
    #[schema(value_type = String, format = Date)]
    ends_on: String,
    state: RemedyState,
    /// As quoted in the offer: what was paid and kept, what the refund returns, whether
    /// postponing is free under the booking's policy.
    paid_fen: i64,
    refund_fen: i64,
    postpone_free: bool,
    /// `sms` or `email`; absent: no way to message the customer, call them.
    notified_via: Option<String>,
    offered_at: String,
    chosen_at: Option<String>,
    chosen_via: Option<RemedyVia>,
    /// The refund the cancellation recorded (refund chosen).
    refund_id: Option<Uuid>,
    /// The ticket staff arrange the new date on (postponement chosen).
    ticket_id: Option<Uuid>,
    withdrawn_at: Option<String>,
}

impl RemedyView {
    fn of(state: &AppState, r: RemedyRow) -> Self {
        let x = r.remedy;
        Self {
            booking_id: x.booking_id,
            customer_id: x.customer_id,
            confirmation_no: r.confirmation_no,
            booking_state: r.booking_state,
            starts_on: r.starts_on.to_string(),
            ends_on: r.ends_on.to_string(),
            state: x.state,
            paid_fen: x.paid_fen,
            refund_fen: x.refund_fen,
            postpone_free: x.postpone_free,
            notified_via: x.notified_via.map(|c| c.as_str().to_string()),
            offered_at: rfc3339(state, x.offered_at),
            chosen_at: x.chosen_at.map(|t| rfc3339(state, t)),
            chosen_via: x.chosen_via,
            refund_id: x.refund_id,
            ticket_id: x.ticket_id,
            withdrawn_at: x.withdrawn_at.map(|t| rfc3339(state, t)),
        }
    }
}

/// How many offers are in each state.
#[derive(Serialize, ToSchema)]
pub struct RemedyCountsView {
    offered: u64,
    refund: u64,
    postpone: u64,
    withdrawn: u64,
}

impl From<RemedyCounts> for RemedyCountsView {
    fn from(c: RemedyCounts) -> Self {
        Self {
            offered: c.offered,
            refund: c.refund,
            postpone: c.postpone,
            withdrawn: c.withdrawn,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RemedyList {
    items: Vec<RemedyView>,
    more: bool,
    /// Over all the incident's offers, whatever the filter.
    counts: RemedyCountsView,
}

/// The incident's offers by booking, filtered by choice (needs `view_incidents`): who chose
/// the refund, who chose a postponement (to arrange), who has not chosen yet.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/remedies", tag = "incidents",
    params(IncidentPath, RemediesQuery), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of offers", body = RemedyList)))]
async fn list_remedies(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiQuery(q): ApiQuery<RemediesQuery>,
) -> Result<Json<RemedyList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 200)?;
    let (page, counts) = state
        .app
        .incident_remedies(
            &p,
            path.id,
            q.state,
            limit,
            u64::from(q.offset.unwrap_or(0)),
        )
        .await?;
    Ok(Json(RemedyList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|r| RemedyView::of(&state, r))
            .collect(),
        counts: counts.into(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RemedyPath {
    /// The incident.
    id: Uuid,
    booking_id: Uuid,
}

/// The customer's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceBody {
    choice: RemedyChoice,
}

/// A choice recorded, or found recorded before.
#[derive(Serialize, ToSchema)]
pub struct ChoiceView {
    remedy: RemedyView,
    /// True when the same choice was recorded before: nothing was done now.
    repeat: bool,
    /// Refund chosen: the refund owed, due within 5 working days (absent when nothing was
    /// paid).
    refund: Option<RefundView>,
    /// Postponement chosen: the ticket's number.
    ticket_number: Option<String>,
}

impl ChoiceView {
    fn of(state: &AppState, c: RemedyChosen) -> Self {
        Self {
            refund: c.refund.as_ref().map(|r| RefundView::of(state, r)),
            ticket_number: c.ticket.map(|t| t.1),
            repeat: c.repeat,
            remedy: RemedyView::of(state, c.row),
        }
    }
}

/// Records the customer's choice as they gave it to staff (needs `respond_to_incidents` and
/// `make_bookings`; audited). A refund cancels the booking for force majeure — the refund
/// record and its 5-working-day clock as any cancellation's; a postponement opens a ticket
/// for the incident's CS manager. The same choice again answers `repeat: true`; another
/// choice after one was made is 409 `remedy.already_chosen`; a withdrawn offer (the booking
/// was cancelled otherwise) 409 `remedy.withdrawn`.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/remedies/{booking_id}/choice",
    tag = "incidents", params(RemedyPath), request_body = ChoiceBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = ChoiceView)))]
async fn record_choice(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RemedyPath>,
    ApiJson(body): ApiJson<ChoiceBody>,
) -> Result<Json<ChoiceView>, ApiError> {
    let chosen = state
        .app
        .choose_remedy(&p, path.id, path.booking_id, body.choice)
        .await?;
    Ok(Json(ChoiceView::of(&state, chosen)))
}
