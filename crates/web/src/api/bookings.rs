//! Bookings for integrators and staff: create (held, or confirmed at once), confirm, cancel
//! with the refund it owes, payments. A line whose room-nights or seats are gone answers 409
//! `sold_out` with alternatives; on any number of nodes exactly one request gets the last.

use super::rfc3339;
use crate::extract::{kept_json, replayed, ApiJson, ApiPath, ApiQuery, Auth, IdempotentJson};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::confirmation::ToldBy;
use tripdesk_app::bookings::refunds::RefundPayout;
use tripdesk_app::bookings::{BookingCustomer, LineRequest, NewBooking, NewPayment, TravelerInput};
use tripdesk_app::customers::IntakeCustomer;
use tripdesk_app::idempotency::{Idempotency, Once};
use tripdesk_domain::bookings::{BookingState, Cause, HoldKind, Refund, SupplierCost};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use tripdesk_store::{Booking, BookingFilter, LineItem, Payment, PaymentMethod, RefundRecord};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bookings, create_booking))
        .routes(routes!(get_booking))
        .routes(routes!(confirm_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(complete_booking))
        .routes(routes!(confirmation_told))
        .routes(routes!(list_payments, record_payment))
        .routes(routes!(pay_refund))
        .routes(routes!(departure_notice))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// A booking and one of its refunds.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RefundPath {
    id: Uuid,
    refund_id: Uuid,
}

/// The customer who books: an existing `customer_id`, or a name with a phone or an email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    #[schema(min_length = 1, max_length = 100)]
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
}

impl CustomerBody {
    /// The customer as the intake path takes it.
    pub(crate) fn intake(self) -> IntakeCustomer {
        IntakeCustomer {
            name: self.name,
            phone: self.phone,
            email: self.email,
        }
    }
}

/// One line: a room for a stay, or seats on a departure.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum LineBody {
    Room {
        room_id: Uuid,
        #[schema(value_type = String, format = Date)]
        check_in: Date,
        /// The morning of departure (not a night).
        #[schema(value_type = String, format = Date)]
        check_out: Date,
    },
    Seats {
        departure_id: Uuid,
        /// Travelers per category.
        travelers: Party,
    },
}

/// A traveler named on the booking (sealed in the customer vault).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TravelerBody {
    name: String,
    phone: Option<String>,
    /// `resident_id` or `passport`.
    document_kind: Option<String>,
    document_number: Option<String>,
    category: TravelerCategory,
}

/// How long the inventory is held unpaid.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    kind: HoldKind,
    /// Checkout holds: minutes (1–1440).
    minutes: Option<u32>,
    /// Deposit holds: days to pay (1–90), never past the day before the start.
    days: Option<u32>,
}

/// A booking request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer": {"name": "张晓梅", "phone": "13812345678"},
    "lines": [{"room_id": "01938f8e-0000-7000-8000-000000000004", "check_in": "2027-05-01", "check_out": "2027-05-03"},
              {"departure_id": "01938f8e-0000-7000-8000-000000000005", "travelers": {"adults": 2, "children": 1, "seniors": 0}}],
    "travelers": [{"name": "张晓梅", "document_kind": "resident_id", "document_number": "11010519491231002X", "category": "adult"}],
    "hold": {"kind": "checkout", "minutes": 15},
    "confirm": false}))]
pub struct BookingBody {
    customer: Option<CustomerBody>,
    customer_id: Option<Uuid>,
    lines: Vec<LineBody>,
    #[serde(default)]
    travelers: Vec<TravelerBody>,
    /// Default: a 30-minute checkout hold.
    hold: Option<HoldBody>,
    /// Confirm at once (paid at the counter, or by the integrator).
    #[serde(default)]
    confirm: bool,
    ticket_id: Option<Uuid>,
}

impl BookingBody {
    fn into_request(self) -> Result<NewBooking, ApiError> {
        let customer = match (self.customer, self.customer_id) {
            (Some(c), None) => BookingCustomer::Contact(c.intake()),
            (None, Some(id)) => BookingCustomer::Existing(id),
            _ => {
                return Err(ApiError::from(tripdesk_app::AppError::field(
                    "customer",
                    "one_of",
                    "give either customer {name, phone} or customer_id",
                )))
            }
        };
        let hold = match self.hold {
            None => tripdesk_domain::bookings::Hold::Checkout { minutes: 30 },
            Some(HoldBody {
                kind: HoldKind::Checkout,
                minutes,
                days: None,
            }) => tripdesk_domain::bookings::Hold::Checkout {
                minutes: minutes.unwrap_or(30),
            },
            Some(HoldBody {
                kind: HoldKind::Deposit,
                days: Some(days),
                minutes: None,
            }) => tripdesk_domain::bookings::Hold::Deposit { days },
            Some(_) => {
                return Err(ApiError::from(tripdesk_app::AppError::field(
                    "hold",
                    "invalid",
                    "a checkout hold takes minutes, a deposit hold days",
                )))
            }
        };
        Ok(NewBooking {
            customer,
            lines: self
                .lines
                .into_iter()
                .map(|l| match l {
                    LineBody::Room {
                        room_id,
                        check_in,
                        check_out,
                    } => LineRequest::Room {
                        room_id,
                        check_in,
                        check_out,
                    },
                    LineBody::Seats {
                        departure_id,
                        travelers,
                    } => LineRequest::Seats {
                        departure_id,
                        party: travelers,
                    },
                })
                .collect(),
            travelers: self
                .travelers
                .into_iter()
                .map(|t| TravelerInput {
                    name: t.name,
                    phone: t.phone,
                    document: t
                        .document_number
                        .map(|n| (t.document_kind.unwrap_or_else(|| "resident_id".into()), n)),
                    category: t.category,
                })
                .collect(),
            hold,
            confirm: self.confirm,
            ticket_id: self.ticket_id,
            source_channel: "api".into(),
        })
    }
}

/// A booking line as stored.
#[derive(Serialize, ToSchema)]
pub struct LineView {
    line_no: u32,
    room_id: Option<Uuid>,
    #[schema(value_type = Option<String>, format = Date)]
    check_in: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    check_out: Option<Date>,
    departure_id: Option<Uuid>,
    travelers: Option<Party>,
    price_fen: i64,
}

/// A traveler: the customer record holding their sealed data.
#[derive(Serialize, ToSchema)]
pub struct TravelerView {
    customer_id: Uuid,
    category: TravelerCategory,
}

/// A booking.
#[derive(Serialize, ToSchema)]
pub struct BookingView {
    id: Uuid,
    state: BookingState,
    /// Issued at confirmation.
    confirmation_no: Option<String>,
    customer_id: Uuid,
    hold_kind: Option<HoldKind>,
    /// While held: when the inventory is freed unless confirmed.
    hold_expires_at: Option<String>,
    #[schema(value_type = String, format = Date)]
    starts_on: Date,
    #[schema(value_type = String, format = Date)]
    ends_on: Date,
    total_fen: i64,
    paid_fen: i64,
    /// What the customer still owes: never negative (money paid beyond the total after a
    /// change is owed back as a refund, listed with the payments), 0 once cancelled or
    /// expired.
    balance_fen: i64,
    /// The cancellation policy stored at confirmation: the product's version in force that
    /// day (or the default), kept whatever later versions say.
    policy: Option<String>,
    /// The day that version took effect.
    #[schema(value_type = Option<String>, format = Date)]
    policy_effective_from: Option<Date>,
    ticket_id: Option<Uuid>,
    lines: Vec<LineView>,
    travelers: Vec<TravelerView>,
    created_at: String,
    confirmed_at: Option<String>,
    /// Write with this version to avoid overwriting someone else's change.
    version: i64,
}

impl BookingView {
    pub fn of(state: &AppState, b: &Booking) -> Self {
        Self {
            id: b.id,
            state: b.state,
            confirmation_no: b.confirmation_no.clone(),
            customer_id: b.customer_id,
            hold_kind: b.hold_kind,
            hold_expires_at: b.hold_expires_at.map(|t| rfc3339(state, t)),
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            total_fen: b.total_fen,
            paid_fen: b.paid_fen,
            balance_fen: b.balance_due_fen(),
            policy: b.policy.as_ref().map(|p| p.name.clone()),
            policy_effective_from: b.policy.as_ref().map(|p| p.effective_from),
            ticket_id: b.ticket_id,
            lines: b
                .lines
                .iter()
                .map(|l| {
                    let (room_id, check_in, check_out, departure_id, travelers) = match &l.item {
                        LineItem::Room { room_id, stay } => (
                            Some(*room_id),
                            Some(stay.check_in()),
                            Some(stay.check_out()),
                            None,
                            None,
                        ),
                        LineItem::Seats {
                            departure_id,
                            party,
                        } => (None, None, None, Some(*departure_id), Some(*party)),
                    };
                    LineView {
                        line_no: l.line_no,
                        room_id,
                        check_in,
                        check_out,
                        departure_id,
                        travelers,
                        price_fen: l.price_fen,
                    }
                })
                .collect(),
            travelers: b
                .travelers
                .iter()
                .map(|t| TravelerView {
                    customer_id: t.customer_id,
                    category: t.category,
                })
                .collect(),
            created_at: rfc3339(state, b.created_at),
            confirmed_at: b.confirmed_at.map(|t| rfc3339(state, t)),
            version: b.version,
        }
    }
}

/// Books rooms and seats (needs `make_bookings`). 201 with the booking (`confirmation_no`
/// once confirmed); 409 `sold_out` naming the line and `alternatives` when a room-night or
/// the seats are gone — nothing is written then. Safe to retry with an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = BookingBody,
    params(crate::api::IdempotencyKeyHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created (or, with `Idempotent-Replayed: true`, the first answer to this key)", body = BookingView),
        (status = 409, description = "Sold out, with alternatives", body = crate::problem::Problem)))]
async fn create_booking(
    State(state): State<AppState>,
    Auth(p): Auth,
    IdempotentJson { body, request }: IdempotentJson<BookingBody>,
) -> Result<Response, ApiError> {
    let respond = |b: &Booking| kept_json(StatusCode::CREATED, &BookingView::of(&state, b));
    let once = request.as_ref().map(|request| Idempotency {
        request,
        respond: &respond,
    });
    let booking = state
        .app
        .create_booking_once(&p, body.into_request()?, once.as_ref())
        .await?;
    Ok(match booking {
        Once::Done(b) => (StatusCode::CREATED, Json(BookingView::of(&state, &b))).into_response(),
        Once::Replayed(kept) => replayed(kept),
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    customer_id: Option<Uuid>,
    ticket_id: Option<Uuid>,
    state: Option<BookingState>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct BookingList {
    items: Vec<BookingView>,
    more: bool,
}

/// Bookings, newest first (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", params(BookingQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of bookings", body = BookingList)))]
async fn list_bookings(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<BookingQuery>,
) -> Result<Json<BookingList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_bookings(
            &p,
            BookingFilter {
                customer_id: q.customer_id,
                ticket_id: q.ticket_id,
                state: q.state,
                limit,
                offset: u64::from(q.offset.unwrap_or(0)),
                ..Default::default()
            },
        )
        .await?;
    Ok(Json(BookingList {
        more: page.more,
        items: page
            .items
            .iter()
            .map(|b| BookingView::of(&state, b))
            .collect(),
    }))
}

/// One booking (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The booking", body = BookingView)))]
async fn get_booking(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<BookingView>, ApiError> {
    let b = state.app.get_booking(&p, path.id).await?;
    Ok(Json(BookingView::of(&state, &b)))
}

/// Confirms a held booking: a confirmation number, the cancellation policy in force stored
/// with it (needs `make_bookings`). 409 `booking.hold_expired` once the hold ran out.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/confirm", tag = "bookings", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Confirmed", body = BookingView)))]
async fn confirm_booking(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<BookingView>, ApiError> {
    let b = state.app.confirm_booking(&p, path.id).await?;
    Ok(Json(BookingView::of(&state, &b)))
}

/// Marks a confirmed booking completed once its trip or stay has ended (needs
/// `make_bookings`); an arrived guest never registered leaves the registration clock
/// cancelled, or breached if it was already late. 409 `booking.not_ended` before its last day.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/complete", tag = "bookings", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Completed", body = BookingView)))]
async fn complete_booking(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<BookingView>, ApiError> {
    let b = state.app.complete_booking(&p, path.id).await?;
    Ok(Json(BookingView::of(&state, &b)))
}

/// How staff told the customer of the confirmation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"by": "phone"}))]
pub struct ToldBody {
    /// `phone` or `in_person`.
    by: ToldByName,
}

/// How the customer was told.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ToldByName {
    Phone,
    InPerson,
}

/// The booking's 1-hour confirmation clock after staff told the customer.
#[derive(Serialize, ToSchema)]
pub struct ToldView {
    /// `met` within the hour, `breached` after; none when the policy was disabled.
    confirmation_clock: Option<super::sla::ClockView>,
}

/// Staff told the customer of the booking's confirmation themselves — by phone or in person,
/// for a customer without email (the outbox's hand-off of the confirmation email meets the
/// clock otherwise). Meets the 1-hour clock `booking.confirmation` if still open (needs
/// `make_bookings`). 409 `booking.not_confirmed` for a booking not confirmed.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/confirmation-told", tag = "bookings", params(IdPath),
    request_body = ToldBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = ToldView)))]
async fn confirmation_told(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<ToldBody>,
) -> Result<Json<ToldView>, ApiError> {
    let by = match body.by {
        ToldByName::Phone => ToldBy::Phone,
        ToldByName::InPerson => ToldBy::InPerson,
    };
    let clock = state.app.record_confirmation_told(&p, path.id, by).await?;
    Ok(Json(ToldView {
        confirmation_clock: clock
            .as_ref()
            .map(|c| super::sla::ClockView::of(&state, c, None)),
    }))
}

/// Why a booking is cancelled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cause": "force_majeure",
    "unrecoverable": [{"supplier": "黄山索道", "description": "已出票不可退", "amount_fen": 16000}]}))]
pub struct CancelBody {
    cause: CancelCause,
    /// Force majeure: the business's documented supplier costs it cannot recover.
    #[serde(default)]
    unrecoverable: Vec<SupplierCost>,
}

/// Why a booking is cancelled: the domain's refund causes that cancel
/// (`CauseKind::cancels`) — not `change`, which only a change's refund has.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
#[schema(as = RefundCauseName)]
pub enum CancelCause {
    /// 旅游者/客人取消.
    Customer,
    /// 旅行社/民宿取消.
    Business,
    /// 未达最低成团人数.
    GroupNotFormed,
    /// 不可抗力.
    ForceMajeure,
}

/// A cancellation's outcome.
#[derive(Serialize, ToSchema)]
pub struct CancelView {
    booking: BookingView,
    /// The refund owed, explained line by line, and when it is due.
    refund: Option<RefundView>,
}

/// A refund owed.
#[derive(Serialize, ToSchema)]
pub struct RefundView {
    id: Uuid,
    #[schema(value_type = Object)]
    computation: Refund,
    /// Within 5 working days of the cancellation.
    due_at: String,
    paid_at: Option<String>,
}

impl RefundView {
    pub(super) fn of(state: &AppState, r: &RefundRecord) -> Self {
        Self {
            id: r.id,
            computation: r.refund.clone(),
            due_at: rfc3339(state, r.due_at),
            paid_at: r.paid_at.map(|t| rfc3339(state, t)),
        }
    }
}

/// Cancels a booking; frees its inventory and offers freed seats to the waitlist (needs
/// `make_bookings`). A confirmed booking is refunded by the policy stored with it.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", params(IdPath),
    request_body = CancelBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Cancelled", body = CancelView)))]
async fn cancel_booking(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<CancelView>, ApiError> {
    let cause = match body.cause {
        CancelCause::Customer => Cause::Customer,
        CancelCause::Business => Cause::Business,
        CancelCause::GroupNotFormed => Cause::GroupNotFormed,
        CancelCause::ForceMajeure => Cause::ForceMajeure {
            unrecoverable: body.unrecoverable,
        },
    };
    let (b, refund) = state.app.cancel_booking(&p, path.id, cause).await?;
    Ok(Json(CancelView {
        booking: BookingView::of(&state, &b),
        refund: refund.as_ref().map(|r| RefundView::of(&state, r)),
    }))
}

/// A payment as recorded.
#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    id: Uuid,
    method: PaymentMethod,
    /// Negative for money returned.
    amount_fen: i64,
    reference: Option<String>,
    recorded_at: String,
}

impl PaymentView {
    fn of(state: &AppState, p: &Payment) -> Self {
        Self {
            id: p.id,
            method: p.method,
            amount_fen: p.amount_fen,
            reference: p.reference.clone(),
            recorded_at: rfc3339(state, p.recorded_at),
        }
    }
}

/// A payment to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "wechat_pay", "amount_fen": 96000, "reference": "4200001234202705010001"}))]
pub struct PaymentBody {
    method: PaymentMethod,
    #[schema(minimum = 1)]
    amount_fen: i64,
    /// The transfer or transaction number (unique per method).
    reference: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MoneyView {
    payments: Vec<PaymentView>,
    refunds: Vec<RefundView>,
}

/// A booking's payments and refunds (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/payments", tag = "bookings", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Payments and refunds", body = MoneyView)))]
async fn list_payments(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<MoneyView>, ApiError> {
    let (payments, refunds) = state.app.booking_money(&p, path.id).await?;
    Ok(Json(MoneyView {
        payments: payments
            .iter()
            .map(|x| PaymentView::of(&state, x))
            .collect(),
        refunds: refunds.iter().map(|r| RefundView::of(&state, r)).collect(),
    }))
}

/// Records a payment (needs `make_bookings`). 409 `payment_recorded` when the method and
/// reference were recorded before (a webhook delivered twice).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/payments", tag = "bookings", params(IdPath),
    request_body = PaymentBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Recorded", body = PaymentView)))]
async fn record_payment(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<PaymentBody>,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let (_, payment) = state
        .app
        .record_payment(
            &p,
            path.id,
            NewPayment {
                method: body.method,
                amount_fen: body.amount_fen,
                reference: body.reference,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(PaymentView::of(&state, &payment))))
}

/// A refund paid out: how the money went back.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "bank_transfer", "reference": "TK20270502-0001"}))]
pub struct PayoutBody {
    method: PaymentMethod,
    /// The transfer or transaction number (unique per method).
    reference: Option<String>,
}

/// A refund paid out, with the payment that carried it and its clock.
#[derive(Serialize, ToSchema)]
pub struct PayoutView {
    refund: RefundView,
    /// The money going back, as a negative amount.
    payment: PaymentView,
    /// The booking's paid total after the payout.
    paid_fen: i64,
    /// The `refund.payment` clock (5 working days), stopped: `met` or `breached`.
    refund_clock: Option<super::sla::ClockView>,
}

/// Pays a cancelled booking's refund out (needs `make_bookings`): records a negative payment
/// of the refund's amount, marks the refund paid and stops its 5-working-day clock. 409
/// `refund.already_paid` for a second payout, `refund.nothing_owed` for a refund of 0 fen.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/refunds/{refund_id}/payout", tag = "bookings",
    params(RefundPath), request_body = PayoutBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Paid out", body = PayoutView)))]
async fn pay_refund(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RefundPath>,
    ApiJson(body): ApiJson<PayoutBody>,
) -> Result<Json<PayoutView>, ApiError> {
    let paid = state
        .app
        .pay_refund(
            &p,
            path.id,
            path.refund_id,
            RefundPayout {
                method: body.method,
                reference: body.reference,
            },
        )
        .await?;
    Ok(Json(PayoutView {
        refund: RefundView::of(&state, &paid.refund),
        payment: PaymentView::of(&state, &paid.payment),
        paid_fen: paid.booking.paid_fen,
        refund_clock: paid
            .clock
            .as_ref()
            .map(|c| super::sla::ClockView::of(&state, c, None)),
    }))
}

/// The departure notice (出团通知书) as PDF: travelers, meeting time and place, itinerary,
/// hotel, contract terms, emergency contacts (needs `view_bookings`). Built from the booking
/// as it stands, so a change shows at once. 409 `booking.closed` for a cancelled or expired
/// booking; 503 when the server has no CJK font.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/departure-notice.pdf", tag = "bookings", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The notice", content_type = "application/pdf", body = Vec<u8>)))]
async fn departure_notice(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Response, ApiError> {
    let doc = state.app.departure_notice(&p, path.id).await?;
    let bytes = state.render_pdf(doc).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"departure-notice-{}.pdf\"", path.id),
            ),
        ],
        bytes,
    )
        .into_response())
}
