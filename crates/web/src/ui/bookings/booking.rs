//! The booking form (a room for a stay, prefilled from a grid cell) and a booking's page with
//! its steps (confirm, cancel with a cause). The form follows the one staff-form pattern
//! (`ui/form.rs`): typed values come back with each field's message; a sold-out answer shows
//! the alternatives the use case named, as links to the form for them.

use super::state_label;
use crate::i18n::{self, Tr};
use crate::ui::session::{FormData, UiForm};
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;
use tripdesk_app::bookings::{Alternative, BookingCustomer, LineRequest, NewBooking};
use tripdesk_app::customers::IntakeCustomer;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::{BookingState, Cause, CauseKind, Hold, HoldKind};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::identity::Permission;
use tripdesk_store::LineItem;
use uuid::Uuid;

/// The form's labels, for the messages beside its fields.
const LABELS: &[(&str, &str)] = &[
    ("customer.name", "bookings.new.name"),
    ("customer.phone", "bookings.new.phone"),
    ("room", "bookings.new.room"),
    ("check_in", "bookings.new.check_in"),
    ("check_out", "bookings.new.check_out"),
    ("hold", "bookings.new.hold"),
    ("hold_minutes", "bookings.new.minutes"),
    ("hold_days", "bookings.new.days"),
];

/// A room the form offers.
struct RoomOption {
    id: String,
    label: String,
}

/// A sold-out answer's alternative, as a link to the form for it.
struct AltLink {
    href: String,
    text: String,
}

#[derive(Template)]
#[template(path = "bookings/new.html")]
struct NewPage {
    c: Chrome,
    f: FormState,
    rooms: Vec<RoomOption>,
    /// Set when the room was taken: the message and what could be booked instead.
    sold_out: Option<Vec<AltLink>>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    room: Option<String>,
    check_in: Option<String>,
    check_out: Option<String>,
}

/// The form, prefilled from a grid cell (`?room=…&check_in=…`): one night by default, a
/// 30-minute checkout hold.
pub async fn new_form(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<NewQuery>,
) -> Response {
    if let Err(e) = user.principal.require(Permission::MakeBookings) {
        return error_page(&state, &user, "bookings_rooms", e);
    }
    let check_in = q
        .check_in
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or_else(|| state.app.today());
    let check_out = q
        .check_out
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or_else(|| check_in.tomorrow().unwrap_or(check_in));
    let (check_in, check_out) = (check_in.to_string(), check_out.to_string());
    let f = FormState::with_defaults(&[
        ("room", q.room.as_deref().unwrap_or("")),
        ("check_in", &check_in),
        ("check_out", &check_out),
        ("hold", "checkout"),
        ("hold_minutes", "30"),
        ("hold_days", "3"),
    ]);
    new_page(&state, &user, f, None).await
}

async fn new_page(
    state: &AppState,
    user: &UiUser,
    f: FormState,
    sold_out: Option<Vec<AltLink>>,
) -> Response {
    let rooms = match room_options(state, user).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "bookings_rooms", e),
    };
    let status = if sold_out.is_some() {
        StatusCode::CONFLICT
    } else {
        f.status()
    };
    render(
        status,
        &NewPage {
            c: Chrome::new(state, user, "bookings_rooms"),
            f,
            rooms,
            sold_out,
        },
    )
}

/// Every active room, named by property, label and room type.
async fn room_options(state: &AppState, user: &UiUser) -> Result<Vec<RoomOption>, AppError> {
    let p = &user.principal;
    let properties = state.app.list_properties(p, 200, 0).await?.items;
    let mut out = Vec::new();
    for property in &properties {
        let types = state.app.list_room_types(p, property.id).await?;
        let rooms = state
            .app
            .list_rooms(p, Some(property.id), 1_000, 0)
            .await?
            .items;
        out.extend(rooms.into_iter().filter(|r| r.active).map(|r| {
            let kind = types
                .iter()
                .find(|t| t.id == r.room_type_id)
                .map(|t| t.name.as_str())
                .unwrap_or("");
            RoomOption {
                id: r.id.to_string(),
                label: format!("{} · {}（{kind}）", property.name, r.label),
            }
        }));
    }
    Ok(out)
}

/// The use case's field as the form names it (one room line: `lines[0].*`).
fn form_field(field: &str) -> &str {
    match field {
        "lines[0].check_out" => "check_out",
        "lines[0].check_in" | "lines" => "check_in",
        "lines[0].room_id" => "room",
        "customer" | "customer.email" => "customer.phone",
        other => other,
    }
}

/// A field's message: the bookings' own text for the booking codes, else the shared one,
/// naming the label this form shows.
fn message(t: Tr, f: &FieldError) -> String {
    let label = LABELS
        .iter()
        .find(|(field, _)| *field == f.field)
        .map_or(f.field.as_str(), |(_, key)| t.s(key));
    let own = format!("bookings.err.{}", f.code);
    if Tr::has(&own) {
        t.s(&own).replace("{label}", label)
    } else {
        i18n::field_error_as(t, f, label)
    }
}

/// Reads the form; the fields the page itself finds wrong come back as errors.
fn read_form(t: Tr, form: &FormData) -> Result<NewBooking, Vec<FieldError>> {
    let mut errors = Vec::new();
    let room = form.get("room").trim().parse::<Uuid>().ok();
    if room.is_none() {
        errors.push(FieldError::new(
            "room",
            "no_room",
            t.s("bookings.new.no_room"),
        ));
    }
    let mut date = |field: &str| {
        let value = form.get(field).trim();
        let parsed = value.parse::<Date>().ok();
        if parsed.is_none() {
            let label = LABELS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("", |(_, k)| t.s(k));
            let text = if value.is_empty() {
                t.s("bookings.err.required").replace("{label}", label)
            } else {
                t.s("bookings.new.bad_date").replace("{label}", label)
            };
            errors.push(FieldError::new(field, "bad_date", text));
        }
        parsed
    };
    let (check_in, check_out) = (date("check_in"), date("check_out"));
    let mut number = |field: &str| match form.get(field).trim().parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "bad_number",
                t.s("bookings.new.bad_number"),
            ));
            None
        }
    };
    let (hold, confirm) = match form.get("hold") {
        "deposit" => (
            number("hold_days").map(|days| Hold::Deposit { days }),
            false,
        ),
        "confirm" => (Some(Hold::Checkout { minutes: 30 }), true),
        _ => (
            number("hold_minutes").map(|minutes| Hold::Checkout { minutes }),
            false,
        ),
    };
    match (room, check_in, check_out, hold) {
        (Some(room_id), Some(check_in), Some(check_out), Some(hold)) if errors.is_empty() => {
            Ok(NewBooking {
                customer: BookingCustomer::Contact(IntakeCustomer {
                    name: form.get("customer.name").trim().to_string(),
                    phone: Some(form.get("customer.phone").trim().to_string()),
                    email: None,
                }),
                lines: vec![LineRequest::Room {
                    room_id,
                    check_in,
                    check_out,
                }],
                travelers: Vec::new(),
                hold,
                confirm,
                ticket_id: None,
                source_channel: "desk".into(),
            })
        }
        _ => Err(errors),
    }
}

/// Books from the form: the booking's page follows, or the form comes back as typed.
pub async fn create(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let refused = |fields: Vec<FieldError>| {
        fields
            .into_iter()
            .fold(FormState::typed(&form), |f, mut e| {
                e.field = form_field(&e.field).to_string();
                let text = message(t, &e);
                f.error(&e.field, text)
            })
    };
    let req = match read_form(t, &form) {
        Ok(r) => r,
        Err(fields) => {
            let f = fields
                .into_iter()
                .fold(FormState::typed(&form), |f, e| f.error(&e.field, e.message));
            return new_page(&state, &user, f, None).await;
        }
    };
    match state.app.create_booking(&user.principal, req).await {
        Ok(b) => see_other_with(
            &state,
            &user,
            &format!("/bookings/{}", b.id),
            Flash::done(t.s("bookings.flash.created")),
        ),
        Err(AppError::SoldOut { alternatives, .. }) => {
            let links = alternatives
                .iter()
                .map(|a| alternative_link(t, a))
                .collect();
            new_page(&state, &user, FormState::typed(&form), Some(links)).await
        }
        Err(AppError::Forbidden(p)) => {
            error_page(&state, &user, "bookings_rooms", AppError::Forbidden(p))
        }
        Err(e) => match e.into_field_errors("check_in") {
            Ok(fields) => new_page(&state, &user, refused(fields), None).await,
            Err(e) => error_page(&state, &user, "bookings_rooms", e),
        },
    }
}

fn alternative_link(t: Tr, a: &Alternative) -> AltLink {
    match a {
        Alternative::Room {
            room_id,
            label,
            room_type,
            check_in,
            check_out,
        } => AltLink {
            href: format!("/bookings/new?room={room_id}&check_in={check_in}&check_out={check_out}"),
            text: t
                .s("bookings.alt.room")
                .replace("{room}", label)
                .replace("{type}", room_type)
                .replace("{from}", &check_in.to_string())
                .replace("{to}", &check_out.to_string()),
        },
        Alternative::Departure {
            departure_id: _,
            date,
            seats_left,
        } => AltLink {
            href: format!("/bookings/departures?month={}", date.strftime("%Y-%m")),
            text: t
                .s("bookings.alt.departure")
                .replace("{date}", &date.to_string())
                .replace("{n}", &seats_left.to_string()),
        },
    }
}

// ---- a booking's page ----

struct LineRow {
    text: String,
    price: String,
}

struct RefundRow {
    text: String,
}

#[derive(Template)]
#[template(path = "bookings/booking.html")]
struct BookingPage {
    c: Chrome,
    id: String,
    /// The grid of the booking's property.
    grid: String,
    state: &'static str,
    state_code: &'static str,
    confirmation_no: String,
    customer_id: String,
    can_view_customer: bool,
    dates: String,
    lines: Vec<LineRow>,
    total: String,
    paid: String,
    balance: String,
    hold: String,
    policy: String,
    created: String,
    can_confirm: bool,
    can_cancel: bool,
    has_notice: bool,
    causes: Vec<(&'static str, &'static str)>,
    refunds: Vec<RefundRow>,
}

pub async fn page(State(state): State<AppState>, user: UiUser, Path(id): Path<Uuid>) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let b = match state.app.get_booking(p, id).await {
        Ok(b) => b,
        Err(e) => return error_page(&state, &user, "bookings", e),
    };
    let room_ids: Vec<Uuid> = b
        .lines
        .iter()
        .filter_map(|l| match &l.item {
            LineItem::Room { room_id, .. } => Some(*room_id),
            LineItem::Seats { .. } => None,
        })
        .collect();
    let (rooms, money) = match (
        state.app.room_labels(p, &room_ids).await,
        state.app.booking_money(p, id).await,
    ) {
        (Ok(r), Ok(m)) => (r, m),
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &user, "bookings", e),
    };
    let lines = b
        .lines
        .iter()
        .map(|l| LineRow {
            text: match &l.item {
                LineItem::Room { room_id, stay } => {
                    let r = rooms.get(room_id).cloned().unwrap_or_default();
                    t.s("bookings.line.room")
                        .replace("{room}", &r.label)
                        .replace("{type}", &r.room_type)
                        .replace("{from}", &stay.check_in().to_string())
                        .replace("{to}", &stay.check_out().to_string())
                }
                LineItem::Seats { party, .. } => t
                    .s("bookings.line.seats")
                    .replace("{date}", &b.starts_on.to_string())
                    .replace("{n}", &party.size().to_string()),
            },
            price: yuan(l.price_fen),
        })
        .collect();
    let hold = match (b.hold_kind, b.hold_expires_at) {
        (Some(kind), Some(at)) if b.state == BookingState::Held => {
            let kind = match kind {
                HoldKind::Checkout => t.s("bookings.hold_kind.checkout"),
                HoldKind::Deposit => t.s("bookings.hold_kind.deposit"),
            };
            format!("{} · {kind}", local_time(&state, at))
        }
        _ => String::new(),
    };
    let may_book = p.can(Permission::MakeBookings);
    let grid = match rooms.values().next() {
        Some(r) => format!("/bookings/rooms?property={}", r.property_id),
        None => "/bookings/rooms".to_string(),
    };
    let refunds = money
        .1
        .iter()
        .map(|r| RefundRow {
            text: t
                .s("bookings.refund")
                .replace("{amount}", &yuan(r.refund.refund_fen))
                .replace("{due}", &local_time(&state, r.due_at)),
        })
        .collect();
    render(
        StatusCode::OK,
        &BookingPage {
            c: Chrome::new(&state, &user, "bookings"),
            id: b.id.to_string(),
            grid,
            state: state_label(t, b.state),
            state_code: b.state.as_str(),
            confirmation_no: b.confirmation_no.clone().unwrap_or_default(),
            customer_id: b.customer_id.to_string(),
            can_view_customer: p.can(Permission::ViewCustomers),
            dates: format!("{} – {}", b.starts_on, b.ends_on),
            lines,
            total: yuan(b.total_fen),
            paid: yuan(b.paid_fen),
            balance: yuan(b.total_fen - b.paid_fen),
            hold,
            policy: b
                .policy
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            created: local_time(&state, b.created_at),
            can_confirm: may_book && b.state == BookingState::Held,
            can_cancel: may_book && b.state.holds_inventory() && b.state != BookingState::Completed,
            has_notice: b.state.holds_inventory(),
            causes: CauseKind::ALL
                .iter()
                .filter(|c| **c != CauseKind::ForceMajeure)
                .map(|c| (c.as_str(), t.s(&format!("bookings.cause.{}", c.as_str()))))
                .collect(),
            refunds,
        },
    )
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    match state.app.confirm_booking(&user.principal, id).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s("bookings.flash.confirmed")),
        ),
        Err(e) => refused(&state, &user, &to, e),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    // Irreversible: the box is required by the page and checked here too.
    if form.get("confirm") != "yes" {
        return see_other_with(
            &state,
            &user,
            &to,
            Flash::refused(t.s("bookings.cancel.unsure")),
        );
    }
    let cause = match form.get("cause") {
        "business" => Cause::Business,
        "group_not_formed" => Cause::GroupNotFormed,
        _ => Cause::Customer,
    };
    match state.app.cancel_booking(&user.principal, id, cause).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s("bookings.flash.cancelled")),
        ),
        Err(e) => refused(&state, &user, &to, e),
    }
}

/// A step refused: back to the booking with the reason (a refusal is not a field's), or
/// the error page for what is not a refusal (forbidden, not found, a failure).
fn refused(state: &AppState, user: &UiUser, to: &str, e: AppError) -> Response {
    match e {
        AppError::Conflict { .. }
        | AppError::InvalidTransition { .. }
        | AppError::Validation(_) => {
            let text = i18n::app_error(Tr(user.lang), &e);
            see_other_with(state, user, to, Flash::refused(text))
        }
        e => error_page(state, user, "bookings", e),
    }
}
