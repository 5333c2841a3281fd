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
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;
use tripdesk_app::bookings::{Alternative, BookingCustomer, LineRequest, NewBooking};
use tripdesk_app::customers::IntakeCustomer;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::{BookingState, BookingStep, CauseKind, Hold, HoldKind};
use tripdesk_domain::catalog::{yuan, Party};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{LineItem, PaymentMethod};
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
    ("adults", "bookings.new.adults"),
    ("children", "bookings.new.children"),
    ("seniors", "bookings.new.seniors"),
];

/// The departure a tour booking is for, as the form shows it.
struct DepartureInfo {
    id: String,
    package: String,
    date: String,
    /// `2027-05`, for the way back to the calendar's month.
    month: String,
    seats_left: u32,
    /// Prices per traveler: (category label, yuan).
    prices: Vec<(&'static str, String)>,
}

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
    /// Seats on a departure instead of a room (`?departure=…`).
    departure: Option<DepartureInfo>,
    /// Set when the room was taken: the message and what could be booked instead.
    sold_out: Option<Vec<AltLink>>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    room: Option<String>,
    /// Seats on this departure instead of a room (from the departures calendar).
    departure: Option<String>,
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
        ("departure", q.departure.as_deref().unwrap_or("")),
        ("adults", "2"),
        ("children", "0"),
        ("seniors", "0"),
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
    let departure = match f.get("departure").trim() {
        "" => None,
        id => match departure_info(state, user, id).await {
            Ok(d) => Some(d),
            Err(e) => return error_page(state, user, "bookings_departures", e),
        },
    };
    let rooms = if departure.is_some() {
        Vec::new()
    } else {
        match room_options(state, user).await {
            Ok(r) => r,
            Err(e) => return error_page(state, user, "bookings_rooms", e),
        }
    };
    let status = if sold_out.is_some() {
        StatusCode::CONFLICT
    } else {
        f.status()
    };
    render(
        status,
        &NewPage {
            c: Chrome::new(
                state,
                user,
                if departure.is_some() {
                    "bookings_departures"
                } else {
                    "bookings_rooms"
                },
            ),
            f,
            rooms,
            departure,
            sold_out,
        },
    )
}

/// The departure of a tour booking: its package, date, seats left and prices.
async fn departure_info(
    state: &AppState,
    user: &UiUser,
    id: &str,
) -> Result<DepartureInfo, AppError> {
    let t = Tr(user.lang);
    let p = &user.principal;
    let id = id
        .parse::<Uuid>()
        .map_err(|_| AppError::NotFound("departure"))?;
    let d = state.app.get_departure(p, id).await?;
    let package = state.app.get_package(p, d.departure.package_id).await?;
    let prices = &d.departure.prices;
    Ok(DepartureInfo {
        id: id.to_string(),
        package: package.package.name,
        date: d.departure.date.to_string(),
        month: d.departure.date.strftime("%Y-%m").to_string(),
        seats_left: d.seats_left(),
        prices: vec![
            (t.s("bookings.new.adults"), yuan(prices.adult)),
            (t.s("bookings.new.children"), yuan(prices.child)),
            (t.s("bookings.new.seniors"), yuan(prices.senior)),
        ],
    })
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
        "lines[0].departure_id" => "departure",
        "lines[0].travelers" | "lines[0].party" => "adults",
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
    let departure = form.get("departure").trim();
    if !departure.is_empty() {
        return read_tour_form(t, form, departure);
    }
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
    let hold = read_hold(t, form, &mut errors);
    match (room, check_in, check_out, hold) {
        (Some(room_id), Some(check_in), Some(check_out), Some((hold, confirm)))
            if errors.is_empty() =>
        {
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

/// The hold the form asks for: (hold, confirm at once), or the field's error pushed.
fn read_hold(t: Tr, form: &FormData, errors: &mut Vec<FieldError>) -> Option<(Hold, bool)> {
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
    match form.get("hold") {
        "deposit" => number("hold_days").map(|days| (Hold::Deposit { days }, false)),
        "confirm" => Some((Hold::Checkout { minutes: 30 }, true)),
        _ => number("hold_minutes").map(|minutes| (Hold::Checkout { minutes }, false)),
    }
}

/// Seats on a departure: the party by category (adults, children, seniors), at least one.
fn read_tour_form(t: Tr, form: &FormData, departure: &str) -> Result<NewBooking, Vec<FieldError>> {
    let mut errors = Vec::new();
    let departure_id = departure.parse::<Uuid>().ok();
    if departure_id.is_none() {
        errors.push(FieldError::new(
            "departure",
            "not_found",
            t.s("error.not_found"),
        ));
    }
    let mut count = |field: &str| match form.get(field).trim() {
        "" => Some(0),
        v => match v.parse::<u32>() {
            Ok(n) if n <= 999 => Some(n),
            _ => {
                errors.push(FieldError::new(
                    field,
                    "bad_number",
                    t.s("bookings.new.bad_number"),
                ));
                None
            }
        },
    };
    let (adults, children, seniors) = (count("adults"), count("children"), count("seniors"));
    if let (Some(a), Some(c), Some(s)) = (adults, children, seniors) {
        if a + c + s == 0 {
            errors.push(FieldError::new(
                "adults",
                "empty_party",
                t.s("bookings.new.empty_party"),
            ));
        }
    }
    let hold = read_hold(t, form, &mut errors);
    match (departure_id, adults, children, seniors, hold) {
        (
            Some(departure_id),
            Some(adults),
            Some(children),
            Some(seniors),
            Some((hold, confirm)),
        ) if errors.is_empty() => Ok(NewBooking {
            customer: BookingCustomer::Contact(IntakeCustomer {
                name: form.get("customer.name").trim().to_string(),
                phone: Some(form.get("customer.phone").trim().to_string()),
                email: None,
            }),
            lines: vec![LineRequest::Seats {
                departure_id,
                party: Party {
                    adults,
                    children,
                    seniors,
                },
            }],
            travelers: Vec::new(),
            hold,
            confirm,
            ticket_id: None,
            source_channel: "desk".into(),
        }),
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
            departure_id,
            date,
            seats_left,
        } => AltLink {
            href: format!("/bookings/new?departure={departure_id}"),
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
    id: String,
    text: String,
    /// The computation line by line: (explanation, signed amount).
    lines: Vec<(String, String)>,
    /// When and how it was paid out; empty while owed.
    paid: String,
    /// Owed, and the reader may record the payout.
    can_pay: bool,
}

#[derive(Template)]
#[template(path = "bookings/booking.html")]
struct BookingPage {
    c: Chrome,
    id: String,
    /// The grid of the booking's property.
    grid: String,
    back_label: &'static str,
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
    can_complete: bool,
    /// The 1-hour confirmation: its state in words, and whether staff may record that they
    /// told the customer (the clock still open).
    confirmation: String,
    can_tell: bool,
    can_cancel: bool,
    causes: Vec<(&'static str, &'static str)>,
    refunds: Vec<RefundRow>,
    /// The ways money goes back: (code, label).
    methods: Vec<(&'static str, String)>,
    /// The payment form: offered on a live booking; the amount typed, or the balance due.
    can_pay_in: bool,
    pay_amount: String,
    pay: FormState,
    /// Lodging: arrival, registration and the welcome pack.
    arrival: Option<super::arrival::ArrivalPanel>,
    /// The pre-trip documents: sent, received, current or outdated, and 发送行前资料.
    docs: Option<super::documents::DocumentsPanel>,
    /// 变更预订: the change form and the open quote, when the booking may change.
    change: Option<super::change::ChangePanel>,
}

pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    booking_page(&state, &user, &headers, id, FormState::default()).await
}

/// A booking's page; `pay` is the payment form as typed (empty, or refused with its errors).
pub(super) async fn booking_page(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    id: Uuid,
    pay: FormState,
) -> Response {
    booking_page_with(state, user, headers, id, pay, None).await
}

/// A booking's page with the payment form and the change form as they came back.
pub(super) async fn booking_page_with(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    id: Uuid,
    pay: FormState,
    change: Option<super::change::Typed>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let b = match state.app.get_booking(p, id).await {
        Ok(b) => b,
        Err(e) => return error_page(state, user, "bookings", e),
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
        (Err(e), _) | (_, Err(e)) => return error_page(state, user, "bookings", e),
    };
    // The tour of each seat line, by departure.
    let mut tours: std::collections::HashMap<Uuid, String> = std::collections::HashMap::new();
    for l in &b.lines {
        if let LineItem::Seats { departure_id, .. } = &l.item {
            if let Ok(d) = state.app.get_departure(p, *departure_id).await {
                if let Ok(pkg) = state.app.get_package(p, d.departure.package_id).await {
                    tours.insert(*departure_id, pkg.package.name);
                }
            }
        }
    }
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
                LineItem::Seats {
                    party,
                    departure_id,
                } => t
                    .s("bookings.line.seats")
                    .replace(
                        "{package}",
                        tours.get(departure_id).map_or("", String::as_str),
                    )
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
            format!("{} · {kind}", local_time(state, at))
        }
        _ => String::new(),
    };
    let may_book = p.can(Permission::MakeBookings);
    let confirmation_clock = state.app.confirmation_clock(p, b.id).await.ok().flatten();
    // Back to where the booking lives: its property's grid, or a tour's departures month.
    let (grid, back_label) = match rooms.values().next() {
        Some(r) => (
            format!("/bookings/rooms?property={}", r.property_id),
            t.s("bookings.back_to_grid"),
        ),
        None if !tours.is_empty() => (
            format!(
                "/bookings/departures?month={}",
                b.starts_on.strftime("%Y-%m")
            ),
            t.s("bookings.back_to_departures"),
        ),
        None => ("/bookings/rooms".to_string(), t.s("bookings.back_to_grid")),
    };
    let refunds = money
        .1
        .iter()
        .map(|r| RefundRow {
            id: r.id.to_string(),
            text: t
                .s("bookings.refund")
                .replace("{amount}", &yuan(r.refund.refund_fen))
                .replace("{due}", &local_time(state, r.due_at)),
            lines: r
                .refund
                .lines
                .iter()
                .map(|l| (l.label_zh.clone(), yuan(l.amount_fen)))
                .collect(),
            paid: r
                .paid_at
                .map(|at| {
                    t.s("bookings.refund.paid")
                        .replace("{at}", &local_time(state, at))
                })
                .unwrap_or_default(),
            can_pay: may_book && r.paid_at.is_none() && r.refund.refund_fen > 0,
        })
        .collect();
    let balance_fen = b.balance_due_fen();
    let (change, change_status) = super::change::panel(state, user, &b, change).await;
    render(
        if change_status == StatusCode::OK {
            pay.status()
        } else {
            change_status
        },
        &BookingPage {
            c: Chrome::new(state, user, "bookings"),
            can_pay_in: may_book && b.state.holds_inventory() && b.state != BookingState::Completed,
            pay_amount: if pay.has_errors() {
                pay.get("amount").to_string()
            } else if balance_fen > 0 {
                yuan_plain(balance_fen)
            } else {
                String::new()
            },
            pay,
            id: b.id.to_string(),
            grid,
            back_label,
            state: state_label(t, b.state),
            state_code: b.state.as_str(),
            confirmation_no: b.confirmation_no.clone().unwrap_or_default(),
            customer_id: b.customer_id.to_string(),
            can_view_customer: p.can(Permission::ViewCustomers),
            dates: format!("{} – {}", b.starts_on, b.ends_on),
            lines,
            total: yuan(b.total_fen),
            paid: yuan(b.paid_fen),
            balance: yuan(balance_fen),
            hold,
            policy: b
                .policy
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            created: local_time(state, b.created_at),
            can_confirm: may_book && b.state == BookingState::Held,
            can_complete: may_book && state.app.booking_step_allowed(&b, BookingStep::Complete),
            can_tell: may_book
                && confirmation_clock
                    .as_ref()
                    .is_some_and(|c| c.clock.stopped_at().is_none()),
            confirmation: match &confirmation_clock {
                None => String::new(),
                Some(c) => match (c.clock.stopped_at(), c.clock.state().as_str()) {
                    (None, _) => t
                        .s("bookings.confirmation.open")
                        .replace("{due}", &local_time(state, c.clock.due_at())),
                    (Some(at), "met") => t
                        .s("bookings.confirmation.met")
                        .replace("{at}", &local_time(state, at)),
                    (Some(at), _) => t
                        .s("bookings.confirmation.late")
                        .replace("{at}", &local_time(state, at)),
                },
            },
            can_cancel: may_book && b.state.holds_inventory() && b.state != BookingState::Completed,
            causes: CauseKind::ALL
                .iter()
                .filter(|c| c.cancels() && **c != CauseKind::ForceMajeure)
                .map(|c| (c.as_str(), t.s(&format!("bookings.cause.{}", c.as_str()))))
                .collect(),
            refunds,
            methods: PaymentMethod::ALL
                .iter()
                .map(|m| {
                    (
                        m.as_str(),
                        t.s(&format!("bookings.method.{}", m.as_str())).to_string(),
                    )
                })
                .collect(),
            arrival: super::arrival::panel(state, user, b.id).await,
            docs: super::documents::panel(state, user, headers, b.id, b.state.holds_inventory())
                .await,
            change,
        },
    )
}

/// "1234.5" for 123450 fen: an amount as the payment form takes it back.
fn yuan_plain(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}
