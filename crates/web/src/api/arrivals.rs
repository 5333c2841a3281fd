//! Lodging arrival at the front desk: guests arrive (the 5-minute registration clock starts),
//! registration is completed with the welcome pack given or not (the clock is met), and a
//! day's arrivals at a property. A step the booking does not allow answers 409 with the rule's
//! code (`booking.not_confirmed`, `booking.before_check_in`, `booking.after_check_out`,
//! `booking.already_arrived`, `booking.not_arrived`, `booking.already_registered`,
//! `booking.not_lodging`).

use super::rfc3339;
use super::sla::ClockView;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::arrival::{ArrivalRow, ArrivalStatus};
use tripdesk_domain::bookings::{ArrivalStep, BookingState};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(booking_arrival, record_arrival))
        .routes(routes!(complete_registration))
        .routes(routes!(list_arrivals))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ArrivalPath {
    id: Uuid,
}

/// A booking's arrival: when the guests arrived and were registered, the welcome pack, the
/// registration clock, and the steps allowed now.
#[derive(Serialize, ToSchema)]
pub struct ArrivalView {
    booking_id: Uuid,
    state: BookingState,
    confirmation_no: Option<String>,
    /// The first check-in and the last check-out of the booking's rooms (none for a tour).
    #[schema(value_type = Option<String>, format = Date)]
    check_in: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    check_out: Option<Date>,
    arrived_at: Option<String>,
    registered_at: Option<String>,
    welcome_pack_given: bool,
    welcome_pack_at: Option<String>,
    /// The SLA clock `checkin.registration` (5 minutes from arrival); `state` as of now.
    registration_clock: Option<ClockView>,
    /// What the caller may do now: `arrive`, `register`.
    allowed_steps: Vec<ArrivalStep>,
}

impl ArrivalView {
    fn of(state: &AppState, s: &ArrivalStatus) -> Self {
        let b = &s.booking;
        Self {
            booking_id: b.id,
            state: b.state,
            confirmation_no: b.confirmation_no.clone(),
            check_in: s.facts.span.map(|(a, _)| a),
            check_out: s.facts.span.map(|(_, b)| b),
            arrived_at: b.arrived_at.map(|t| rfc3339(state, t)),
            registered_at: b.registered_at.map(|t| rfc3339(state, t)),
            welcome_pack_given: b.welcome_pack_at.is_some(),
            welcome_pack_at: b.welcome_pack_at.map(|t| rfc3339(state, t)),
            registration_clock: s.clock.as_ref().map(|c| ClockView::of(state, c, None)),
            allowed_steps: s.allowed.clone(),
        }
    }
}

/// A booking's arrival (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/arrival", tag = "bookings", params(ArrivalPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The arrival", body = ArrivalView)))]
async fn booking_arrival(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ArrivalPath>,
) -> Result<Json<ArrivalView>, ApiError> {
    let s = state.app.booking_arrival(&p, path.id).await?;
    Ok(Json(ArrivalView::of(&state, &s)))
}

/// 到店: the guests of a confirmed room booking arrived (from the check-in day until the day
/// before check-out; not the day before check-in, whose night the booking does not hold).
/// Starts the 5-minute registration clock (needs `make_bookings`; no body). 409 with the
/// rule's code when the booking does not allow it, e.g. `booking.already_arrived`.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/arrival", tag = "bookings", params(ArrivalPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Arrived; the registration clock runs", body = ArrivalView),
        (status = 409, description = "Not allowed now (the rule's code)", body = crate::problem::Problem)))]
async fn record_arrival(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ArrivalPath>,
) -> Result<Json<ArrivalView>, ApiError> {
    let s = state.app.record_arrival(&p, path.id).await?;
    Ok(Json(ArrivalView::of(&state, &s)))
}

/// Registration completed at the front desk.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"welcome_pack": true}))]
pub struct RegistrationBody {
    /// Whether the welcome pack (欢迎礼包) was given.
    welcome_pack: bool,
}

/// 完成登记: registration completed after the arrival, with the welcome pack given or not;
/// meets the registration clock (a registration after the 5 minutes stops it breached). Needs
/// `make_bookings`. 409 `booking.not_arrived` before the arrival,
/// `booking.already_registered` the second time.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/registration", tag = "bookings",
    params(ArrivalPath), request_body = RegistrationBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Registered; the clock is met or stopped breached", body = ArrivalView),
        (status = 409, description = "Not allowed now (the rule's code)", body = crate::problem::Problem)))]
async fn complete_registration(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ArrivalPath>,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<Json<ArrivalView>, ApiError> {
    let s = state
        .app
        .complete_registration(&p, path.id, body.welcome_pack)
        .await?;
    Ok(Json(ArrivalView::of(&state, &s)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArrivalsQuery {
    /// The property; the first by name when absent.
    property_id: Option<Uuid>,
    /// The check-in day; today (Asia/Shanghai) when absent.
    #[param(value_type = Option<String>, format = Date)]
    date: Option<Date>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// One booking arriving.
#[derive(Serialize, ToSchema)]
pub struct ArrivalItem {
    #[serde(flatten)]
    arrival: ArrivalView,
    /// The labels of its rooms checking in that day.
    rooms: Vec<String>,
    /// The booker's name (only for a caller who may see customers).
    guest_name: Option<String>,
}

impl ArrivalItem {
    fn of(state: &AppState, r: &ArrivalRow) -> Self {
        Self {
            arrival: ArrivalView::of(state, &r.status),
            rooms: r.rooms.clone(),
            guest_name: r.guest.clone(),
        }
    }
}

/// A day's arrivals at a property.
#[derive(Serialize, ToSchema)]
pub struct ArrivalList {
    /// The property listed (none when there is no property yet).
    property_id: Option<Uuid>,
    #[schema(value_type = String, format = Date)]
    date: Date,
    items: Vec<ArrivalItem>,
    more: bool,
}

/// The front desk's arrivals: bookings with a room of the property checking in on `date`
/// (held, confirmed, changed or completed), arrived or not, with their registration clocks,
/// in the room-status grid's order (needs `view_bookings`). 422 naming `property_id` for an
/// unknown property; an empty list when there is no property at all.
#[utoipa::path(get, path = "/api/v1/arrivals", tag = "bookings", params(ArrivalsQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of arrivals", body = ArrivalList)))]
async fn list_arrivals(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ArrivalsQuery>,
) -> Result<Json<ArrivalList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let day = q.date.unwrap_or_else(|| state.app.today());
    let found = state
        .app
        .arrivals(
            &p,
            q.property_id,
            day,
            limit,
            u64::from(q.offset.unwrap_or(0)),
        )
        .await?;
    Ok(Json(match found {
        Some(found) => ArrivalList {
            property_id: Some(found.property.id),
            date: day,
            more: found.page.more,
            items: found
                .page
                .items
                .iter()
                .map(|r| ArrivalItem::of(&state, r))
                .collect(),
        },
        None => ArrivalList {
            property_id: None,
            date: day,
            more: false,
            items: Vec::new(),
        },
    }))
}
