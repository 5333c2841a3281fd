//! Changing a confirmed booking (dates, room, party): a quote the customer accepts. The quote
//! is stored for 24 hours (the customer may agree later by phone) and holds prices, not
//! inventory; accepting applies it as quoted in one transaction or answers 409 saying why
//! not (`change.quote_expired`, `change.quote_used`, `change.stale_quote`,
//! `change.price_changed`, `sold_out` with alternatives).

use super::bookings::{BookingView, RefundView};
use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::changes::{AppliedChange, QuotedChange};
use tripdesk_domain::bookings::{LineChange, LineItem};
use tripdesk_domain::catalog::Party;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quote_change))
        .routes(routes!(get_quote))
        .routes(routes!(accept_change))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BookingPath {
    /// The booking.
    id: Uuid,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct QuotePath {
    /// The booking.
    id: Uuid,
    /// One of its change quotes.
    quote_id: Uuid,
}

/// One line's change: the line by its number and only the fields that change. A room line
/// takes `room_id` (another room of the same property), `check_in`, `check_out`; a seats line
/// `departure_id` (another departure of the same package) and `travelers`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineChangeBody {
    #[schema(minimum = 1)]
    line_no: u32,
    room_id: Option<Uuid>,
    #[schema(value_type = Option<String>, format = Date)]
    check_in: Option<Date>,
    /// The morning of departure (not a night).
    #[schema(value_type = Option<String>, format = Date)]
    check_out: Option<Date>,
    departure_id: Option<Uuid>,
    /// The whole party after the change, per category.
    travelers: Option<Party>,
}

/// A change to quote: the lines that change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lines": [
    {"line_no": 1, "check_in": "2027-05-02", "check_out": "2027-05-05"},
    {"line_no": 2, "travelers": {"adults": 2, "children": 1, "seniors": 0}}]}))]
pub struct ChangeBody {
    #[schema(min_items = 1, max_items = 20)]
    lines: Vec<LineChangeBody>,
}

/// What a line books, before or after the change.
#[derive(Serialize, ToSchema)]
pub struct ChangeItemView {
    room_id: Option<Uuid>,
    #[schema(value_type = Option<String>, format = Date)]
    check_in: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    check_out: Option<Date>,
    departure_id: Option<Uuid>,
    travelers: Option<Party>,
}

impl ChangeItemView {
    fn of(item: &LineItem) -> Self {
        match item {
            LineItem::Room { room_id, stay } => Self {
                room_id: Some(*room_id),
                check_in: Some(stay.check_in()),
                check_out: Some(stay.check_out()),
                departure_id: None,
                travelers: None,
            },
            LineItem::Seats {
                departure_id,
                party,
            } => Self {
                room_id: None,
                check_in: None,
                check_out: None,
                departure_id: Some(*departure_id),
                travelers: Some(*party),
            },
        }
    }
}

/// One line as it is and as proposed, each priced.
#[derive(Serialize, ToSchema)]
pub struct QuoteLineView {
    line_no: u32,
    changed: bool,
    before: ChangeItemView,
    /// The price it was booked at (原价).
    before_fen: i64,
    after: ChangeItemView,
    /// A changed line: today's price of the new line (新价); unchanged: its booked price.
    after_fen: i64,
    /// `after_fen − before_fen` (差额).
    difference_fen: i64,
}

/// A change quote: the lines, the totals and what they mean for the money paid.
#[derive(Serialize, ToSchema)]
pub struct ChangeQuoteView {
    id: Uuid,
    booking_id: Uuid,
    lines: Vec<QuoteLineView>,
    old_total_fen: i64,
    /// The change fee: 0 — no stored policy (the 2014 model contracts, the lodging presets)
    /// defines one.
    fee_fen: i64,
    new_total_fen: i64,
    /// `new_total_fen − old_total_fen`: more to pay when positive (应补), less when negative.
    difference_fen: i64,
    #[schema(value_type = String, format = Date)]
    starts_on: Date,
    #[schema(value_type = String, format = Date)]
    ends_on: Date,
    /// Paid so far and not owed back.
    paid_fen: i64,
    /// Still to pay after the change.
    balance_due_fen: i64,
    /// Paid beyond the new total: returned as a refund when the change is applied (应退).
    refund_fen: i64,
    created_at: String,
    /// The quote holds its prices until then (24 hours); it holds no inventory.
    expires_at: String,
    accepted_at: Option<String>,
}

impl ChangeQuoteView {
    fn of(state: &AppState, q: &QuotedChange) -> Self {
        let r = &q.record;
        Self {
            id: r.id,
            booking_id: r.booking_id,
            lines: r
                .quote
                .lines
                .iter()
                .map(|l| QuoteLineView {
                    line_no: l.line_no,
                    changed: l.changed(),
                    before: ChangeItemView::of(&l.before),
                    before_fen: l.before_fen,
                    after: ChangeItemView::of(&l.after),
                    after_fen: l.after_fen,
                    difference_fen: l.difference_fen(),
                })
                .collect(),
            old_total_fen: r.quote.old_total_fen,
            fee_fen: r.quote.fee_fen,
            new_total_fen: r.quote.new_total_fen,
            difference_fen: r.quote.difference_fen,
            starts_on: r.quote.starts_on,
            ends_on: r.quote.ends_on,
            paid_fen: q.settlement.paid_fen,
            balance_due_fen: q.settlement.balance_due_fen,
            refund_fen: q.settlement.refund_fen,
            created_at: rfc3339(state, r.created_at),
            expires_at: rfc3339(state, r.expires_at),
            accepted_at: r.accepted_at.map(|t| rfc3339(state, t)),
        }
    }
}

/// A change applied.
#[derive(Serialize, ToSchema)]
pub struct ChangedView {
    /// The booking as it now is (state `changed`).
    booking: BookingView,
    quote: ChangeQuoteView,
    /// What goes back when the new total is below what was paid, due within 5 working days.
    refund: Option<RefundView>,
}

/// Quotes a change of dates, room or party of a confirmed or changed booking (needs
/// `make_bookings`). Changed lines are priced as a new booking would be today, unchanged
/// lines keep their price; the new inventory is checked, not taken. 201 with the quote
/// (stored 24 hours); 409 `sold_out` with `alternatives` when a new room-night or seat is
/// taken, `invalid_transition` for a held or closed booking, `booking.already_started` after
/// its start date; 422 naming the field (`lines[0].check_out`, `lines[1].line_no`…).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/change-quotes", tag = "bookings",
    params(BookingPath), request_body = ChangeBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Quoted", body = ChangeQuoteView),
        (status = 409, description = "Sold out (with alternatives), or the booking cannot change now", body = crate::problem::Problem),
        (status = 422, description = "A field of the change is invalid", body = crate::problem::Problem)))]
async fn quote_change(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<BookingPath>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<(StatusCode, Json<ChangeQuoteView>), ApiError> {
    let changes = body
        .lines
        .into_iter()
        .map(|l| LineChange {
            line_no: l.line_no,
            room_id: l.room_id,
            check_in: l.check_in,
            check_out: l.check_out,
            departure_id: l.departure_id,
            party: l.travelers,
        })
        .collect();
    let q = state.app.quote_change(&p, path.id, changes).await?;
    Ok((StatusCode::CREATED, Json(ChangeQuoteView::of(&state, &q))))
}

/// One change quote of a booking, with what it means for the money paid now (needs
/// `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/change-quotes/{quote_id}", tag = "bookings",
    params(QuotePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The quote", body = ChangeQuoteView)))]
async fn get_quote(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<QuotePath>,
) -> Result<Json<ChangeQuoteView>, ApiError> {
    let q = state.app.change_quote(&p, path.id, path.quote_id).await?;
    Ok(Json(ChangeQuoteView::of(&state, &q)))
}

/// Applies a quote the customer accepted, exactly as quoted (needs `make_bookings`): the old
/// inventory freed and the new taken in one transaction by the database's guards, the lines
/// and total replaced, the booking `changed`, a refund owed when the new total is below what
/// was paid, freed seats offered to the waitlist; audited and published as `booking.changed`.
/// 409 `change.quote_expired`, `change.quote_used`, `change.stale_quote` (the booking changed
/// since), `change.price_changed`, `sold_out` (the inventory was taken since; nothing
/// changed), `booking.changed` (someone else changed the booking at the same moment).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/change-quotes/{quote_id}/accept", tag = "bookings",
    params(QuotePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Changed", body = ChangedView),
        (status = 409, description = "The quote no longer holds, or the inventory is gone", body = crate::problem::Problem)))]
async fn accept_change(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<QuotePath>,
) -> Result<Json<ChangedView>, ApiError> {
    let AppliedChange {
        booking,
        record,
        settlement,
        refund,
    } = state.app.accept_change(&p, path.id, path.quote_id).await?;
    Ok(Json(ChangedView {
        booking: BookingView::of(&state, &booking),
        quote: ChangeQuoteView::of(&state, &QuotedChange { record, settlement }),
        refund: refund.as_ref().map(|r| RefundView::of(&state, r)),
    }))
}
