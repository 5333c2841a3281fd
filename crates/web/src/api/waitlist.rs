//! The waitlist of a sold-out departure: join it for a customer, read it in order. Freed
//! seats are offered by the cancellation or expiry that frees them (see `api::bookings`).

use super::bookings::CustomerBody;
use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::waitlist::{JoinWaitlist, WaitlistItem};
use tripdesk_app::bookings::BookingCustomer;
use tripdesk_app::AppError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_waitlist, join_waitlist))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeparturePath {
    /// The departure.
    id: Uuid,
}

/// Who waits, and for how many seats.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer": {"name": "王芳", "phone": "13700000001"}, "seats": 2}))]
pub struct WaitlistBody {
    /// A name with a phone or an email (found through the blind index, or created sealed).
    customer: Option<CustomerBody>,
    /// Or an existing customer.
    customer_id: Option<Uuid>,
    /// Seats the party needs, 1 to the departure's seats.
    #[schema(minimum = 1)]
    seats: u32,
}

/// One party on a departure's waitlist.
#[derive(Serialize, ToSchema)]
pub struct WaitlistEntryView {
    id: Uuid,
    departure_id: Uuid,
    customer_id: Uuid,
    /// The customer's name masked (`王*`).
    customer: String,
    seats: u32,
    /// 1 for the first to join; offered entries keep their place.
    position: u32,
    /// `waiting`, or `offered` once freed seats were offered.
    state: String,
    joined_at: String,
    offered_at: Option<String>,
}

impl WaitlistEntryView {
    fn of(state: &AppState, w: &WaitlistItem) -> Self {
        Self {
            id: w.entry.id,
            departure_id: w.entry.departure_id,
            customer_id: w.entry.customer_id,
            customer: w.customer_masked.clone(),
            seats: w.entry.party.size(),
            position: w.position,
            state: w.state().into(),
            joined_at: rfc3339(state, w.entry.joined_at),
            offered_at: w.entry.offered_at.map(|t| rfc3339(state, t)),
        }
    }
}

/// Puts a customer on a sold-out departure's waitlist (needs `make_bookings`). 201 with the
/// entry; 409 `waitlist.seats_available` while seats for the party are left (book them),
/// `waitlist.already_waiting` when the customer already waits on it; 404 for an unknown,
/// cancelled or past departure.
#[utoipa::path(post, path = "/api/v1/departures/{id}/waitlist", tag = "bookings",
    params(DeparturePath), request_body = WaitlistBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "On the waitlist", body = WaitlistEntryView),
        (status = 409, description = "Seats are left, or the customer already waits", body = crate::problem::Problem)))]
async fn join_waitlist(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<DeparturePath>,
    ApiJson(body): ApiJson<WaitlistBody>,
) -> Result<(StatusCode, Json<WaitlistEntryView>), ApiError> {
    let customer = match (body.customer, body.customer_id) {
        (Some(c), None) => BookingCustomer::Contact(c.intake()),
        (None, Some(id)) => BookingCustomer::Existing(id),
        _ => {
            return Err(ApiError::from(AppError::field(
                "customer",
                "one_of",
                "give either customer {name, phone} or customer_id",
            )))
        }
    };
    let item = state
        .app
        .join_waitlist(
            &p,
            JoinWaitlist {
                departure_id: path.id,
                customer,
                seats: body.seats,
                source_channel: "api".into(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WaitlistEntryView::of(&state, &item)),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WaitlistQuery {
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct WaitlistList {
    items: Vec<WaitlistEntryView>,
    more: bool,
}

/// A departure's waitlist in the order parties joined, offered ones in their place (needs
/// `view_bookings`).
#[utoipa::path(get, path = "/api/v1/departures/{id}/waitlist", tag = "bookings",
    params(DeparturePath, WaitlistQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of the waitlist", body = WaitlistList)))]
async fn list_waitlist(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<DeparturePath>,
    ApiQuery(q): ApiQuery<WaitlistQuery>,
) -> Result<Json<WaitlistList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_waitlist(&p, path.id, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(WaitlistList {
        more: page.more,
        items: page
            .items
            .iter()
            .map(|w| WaitlistEntryView::of(&state, w))
            .collect(),
    }))
}
