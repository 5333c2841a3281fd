//! Arrival at the front desk: the panel of a booking's page (到店 / 完成登记 with 欢迎礼包已发,
//! the registration clock counting down) and the front desk's list of a day's arrivals
//! (今日到店, `/bookings/arrivals`). The clock's badge is the desk's (`ui::desk::inbox::badge`),
//! so `app.js` counts it down as it does on tickets.

use super::state_label;
use crate::i18n::Tr;
use crate::ui::desk::inbox::{badge, span_text, Badge};
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::UiForm;
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use serde::Deserialize;
use tripdesk_app::bookings::arrival::ArrivalStatus;
use tripdesk_app::desk_board::{clock_risk, SlaBadge};
use tripdesk_domain::bookings::ArrivalStep;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::sla::ClockState;
use uuid::Uuid;

/// The pages and steps of arrival.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/bookings/arrivals", get(arrivals))
        .route(
            "/bookings/{id}/arrival",
            get(crate::ui::up_one).post(arrive),
        )
        .route(
            "/bookings/{id}/registration",
            get(crate::ui::up_one).post(register),
        )
}

/// The registration clock as a page shows it: a live badge while it runs (or has run over
/// unfinished), else how long the registration took.
pub(super) struct ClockCell {
    pub badge: Option<Badge>,
    pub text: String,
    /// `met`, `breached` or empty.
    pub class: &'static str,
}

fn clock_cell(state: &AppState, t: Tr, s: &ArrivalStatus) -> ClockCell {
    let now = state.app.now();
    let none = |text: &str| ClockCell {
        badge: None,
        text: text.to_string(),
        class: "",
    };
    let Some(c) = &s.clock else {
        return match (s.booking.arrived_at, s.booking.registered_at) {
            (_, Some(_)) => none(t.s("bookings.arrival.registered")),
            (Some(_), None) => none(t.s("bookings.arrival.no_clock")),
            _ => none("—"),
        };
    };
    match (c.clock.stopped_at(), clock_risk(c, now)) {
        (None, Some(risk)) => {
            let b = SlaBadge {
                target_key: c.clock.target_key().to_string(),
                state: c.clock.state(),
                risk,
                due_at: c.clock.due_at(),
                warn_at: c.clock.warn_at(),
                provisional: c.clock.provisional(),
            };
            ClockCell {
                badge: Some(badge(state, t, &b, now, t.s("bookings.arrival.clock"))),
                text: String::new(),
                class: "",
            }
        }
        (Some(stopped), _) => {
            let took = (stopped.as_millisecond() - c.clock.started_at().as_millisecond()) / 1000;
            let late = c.clock.state() == ClockState::Breached;
            ClockCell {
                badge: None,
                text: t
                    .s(if late {
                        "bookings.arrival.late"
                    } else {
                        "bookings.arrival.met"
                    })
                    .replace("{t}", &span_text(t, took)),
                class: if late { "breached" } else { "met" },
            }
        }
        (None, None) => none(t.s("bookings.arrival.no_clock")),
    }
}

/// The arrival panel of a booking's page (lodging bookings only).
pub(super) struct ArrivalPanel {
    pub id: String,
    pub arrived: String,
    pub registered: String,
    pub pack: &'static str,
    pub clock: ClockCell,
    pub can_arrive: bool,
    pub can_register: bool,
    /// When arrival is not offered yet: from which day it is.
    pub window: String,
    pub now_ms: i64,
}

/// The panel of booking `id`, or `None` for a booking without a room (or one the user may
/// not see, whose page refuses anyway).
pub(super) async fn panel(state: &AppState, user: &UiUser, id: Uuid) -> Option<ArrivalPanel> {
    let t = Tr(user.lang);
    let s = state.app.booking_arrival(&user.principal, id).await.ok()?;
    let (check_in, _) = s.facts.span?;
    // A booking that closed without its guests arriving has no arrival to show.
    if s.booking.arrived_at.is_none() && !s.booking.state.holds_inventory() {
        return None;
    }
    let can_arrive = s.allowed.contains(&ArrivalStep::Arrive);
    let waiting = s.booking.arrived_at.is_none()
        && !can_arrive
        && user.principal.can(Permission::MakeBookings)
        && state.app.today() < check_in;
    Some(ArrivalPanel {
        id: id.to_string(),
        arrived: s
            .booking
            .arrived_at
            .map(|a| local_time(state, a))
            .unwrap_or_else(|| t.s("bookings.arrival.not_arrived").to_string()),
        registered: s
            .booking
            .registered_at
            .map(|a| local_time(state, a))
            .unwrap_or_else(|| t.s("bookings.arrival.not_registered").to_string()),
        pack: match (s.booking.registered_at, s.booking.welcome_pack_at) {
            (_, Some(_)) => t.s("bookings.arrival.pack_given"),
            (Some(_), None) => t.s("bookings.arrival.pack_not_given"),
            _ => "—",
        },
        clock: clock_cell(state, t, &s),
        can_arrive,
        can_register: s.allowed.contains(&ArrivalStep::Register),
        window: if waiting {
            t.s("bookings.arrival.window")
                .replace("{from}", &check_in.to_string())
        } else {
            String::new()
        },
        now_ms: state.app.now().as_millisecond(),
    })
}

/// Where a step goes back to: the arrivals list it was taken from, else the booking.
fn back_to(form_back: &str, id: Uuid) -> String {
    if form_back.starts_with("/bookings/arrivals") {
        form_back.to_string()
    } else {
        format!("/bookings/{id}")
    }
}

pub async fn arrive(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = back_to(form.get("back"), id);
    match state.app.record_arrival(&user.principal, id).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s("bookings.flash.arrived")),
        ),
        Err(e) => super::steps::refused(&state, &user, &to, e),
    }
}

pub async fn register(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = back_to(form.get("back"), id);
    let welcome_pack = form.get("welcome_pack") == "yes";
    match state
        .app
        .complete_registration(&user.principal, id, welcome_pack)
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s("bookings.flash.registered")),
        ),
        Err(e) => super::steps::refused(&state, &user, &to, e),
    }
}

// ---- today's arrivals ----

/// Bookings a page of arrivals lists.
const ARRIVALS_PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct ArrivalsQuery {
    property: Option<String>,
    date: Option<String>,
}

struct Row {
    id: String,
    rooms: String,
    guest: String,
    confirmation_no: String,
    state: &'static str,
    state_code: &'static str,
    stay: String,
    arrived: String,
    registration: ClockCell,
    can_arrive: bool,
    can_register: bool,
    /// The row's own state for the grid's colours: `arrived`, `registered` or empty.
    class: &'static str,
}

#[derive(Template)]
#[template(path = "bookings/arrivals.html")]
struct ArrivalsPage {
    c: Chrome,
    title: String,
    /// (id, name, chosen)
    properties: Vec<(String, String, bool)>,
    property_id: String,
    date: String,
    prev: String,
    next: String,
    today: String,
    is_today: bool,
    rows: Vec<Row>,
    has_property: bool,
    /// This page's address, where its step forms come back to.
    back: String,
    pager: PagerNav,
    now_ms: i64,
}

pub async fn arrivals(
    State(state): State<AppState>,
    user: UiUser,
    pager: Pager,
    Query(q): Query<ArrivalsQuery>,
) -> Response {
    let t = Tr(user.lang);
    let today = state.app.today();
    let day = q
        .date
        .as_deref()
        .and_then(|s| s.trim().parse::<Date>().ok())
        .unwrap_or(today);
    let property = q.property.as_deref().and_then(|s| s.parse::<Uuid>().ok());
    let found = match state
        .app
        .arrivals(
            &user.principal,
            property,
            day,
            ARRIVALS_PAGE,
            u64::from(pager.offset(ARRIVALS_PAGE)),
        )
        .await
    {
        Ok(f) => f,
        Err(e) => return error_page(&state, &user, "bookings_arrivals", e),
    };
    let shift = |n: i64| {
        day.checked_add(jiff::Span::new().days(n))
            .unwrap_or(day)
            .to_string()
    };
    let title = if day == today {
        t.s("bookings.arrivals.title").to_string()
    } else {
        t.s("bookings.arrivals.title_on")
            .replace("{date}", &day.to_string())
    };
    let mut page = ArrivalsPage {
        c: Chrome::new(&state, &user, "bookings_arrivals"),
        title,
        properties: Vec::new(),
        property_id: String::new(),
        date: day.to_string(),
        prev: shift(-1),
        next: shift(1),
        today: today.to_string(),
        is_today: day == today,
        rows: Vec::new(),
        has_property: found.is_some(),
        back: String::new(),
        pager: pager.nav(t, ARRIVALS_PAGE, Extent::more(false)),
        now_ms: state.app.now().as_millisecond(),
    };
    let Some(found) = found else {
        return render(StatusCode::OK, &page);
    };
    page.property_id = found.property.id.to_string();
    page.properties = found
        .properties
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone(), p.id == found.property.id))
        .collect();
    page.back = pager.href(pager.page());
    page.pager = pager.nav(t, ARRIVALS_PAGE, Extent::more(found.page.more));
    let separator = if user.lang == crate::i18n::Lang::ZhCn {
        "、"
    } else {
        ", "
    };
    page.rows = found
        .page
        .items
        .iter()
        .map(|r| {
            let b = &r.status.booking;
            let stay = r
                .status
                .facts
                .span
                .map(|(a, z)| format!("{} – {}", a.strftime("%m-%d"), z.strftime("%m-%d")))
                .unwrap_or_default();
            Row {
                id: b.id.to_string(),
                rooms: r.rooms.join(separator),
                guest: r.guest.clone().unwrap_or_else(|| "—".into()),
                confirmation_no: b.confirmation_no.clone().unwrap_or_default(),
                state: state_label(t, b.state),
                state_code: b.state.as_str(),
                stay,
                arrived: b
                    .arrived_at
                    .map(|a| a.to_zoned(state.tz.clone()).strftime("%H:%M").to_string())
                    .unwrap_or_else(|| t.s("bookings.arrival.not_arrived").to_string()),
                registration: clock_cell(&state, t, &r.status),
                can_arrive: r.status.allowed.contains(&ArrivalStep::Arrive),
                can_register: r.status.allowed.contains(&ArrivalStep::Register),
                class: match (b.arrived_at, b.registered_at) {
                    (_, Some(_)) => "registered",
                    (Some(_), None) => "arrived",
                    _ => "",
                },
            }
        })
        .collect();
    render(StatusCode::OK, &page)
}
