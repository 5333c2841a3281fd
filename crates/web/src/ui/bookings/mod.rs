//! Pages of bookings: the room-status grid (房态) staff book from, the bookings list, the
//! departures calendar; the booking form and a booking's page are in [`booking`] (its change
//! form and quote in [`change`], the steps posted from it in [`steps`]), the front
//! desk's arrivals and a booking's arrival panel in [`arrival`], the needs form with its
//! recommendations in [`recommend`], the OTA calendar subscriptions in [`ota_sync`], a
//! package's and a property's page with their cancellation policies in [`policies`].

mod arrival;
mod arrival_text;
mod booking;
mod change;
mod documents;
mod documents_text;
mod manual_list;
mod manual_list_text;
mod ota_sync;
mod ota_sync_text;
mod policies;
mod policy_text;
mod recommend;
mod steps;
mod text;

pub(crate) use arrival_text::ARRIVAL_TEXT;
pub(crate) use documents_text::DOCUMENTS_TEXT;
pub(crate) use manual_list_text::MANUAL_LIST_TEXT;
pub(crate) use ota_sync_text::OTA_SYNC_TEXT;
pub(crate) use policy_text::POLICY_TEXT;
pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::UiForm;
use super::{error_page, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use tripdesk_app::bookings::grid::CellState;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::catalog::{yuan, DayKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{BookingFilter, DepartureFilter};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bookings", get(list))
        .route("/bookings/rooms", get(grid))
        .route("/bookings/departures", get(departures))
        .route(
            "/bookings/departures/{id}/waitlist",
            get(back_to_departures).post(join_waitlist),
        )
        .route(
            "/bookings/departures/{id}/guide",
            get(back_to_departures).post(documents::set_guide),
        )
        .route("/bookings/recommend", get(recommend::page))
        .route("/bookings/packages/{id}", get(policies::package_page))
        .route(
            "/bookings/packages/{id}/policies",
            get(super::up_one).post(policies::add_package_policy),
        )
        .route("/bookings/properties/{id}", get(policies::property_page))
        .route(
            "/bookings/properties/{id}/policies",
            get(super::up_one).post(policies::add_property_policy),
        )
        .route(
            "/bookings/new",
            get(booking::new_form).post(booking::create),
        )
        .route("/bookings/{id}", get(booking::page))
        .route(
            "/bookings/{id}/confirm",
            get(super::up_one).post(steps::confirm),
        )
        .route(
            "/bookings/{id}/cancel",
            get(super::up_one).post(steps::cancel),
        )
        .route(
            "/bookings/{id}/refunds/{refund_id}/payout",
            get(super::up_one).post(steps::pay_refund),
        )
        .route(
            "/bookings/{id}/payments",
            get(super::up_one).post(steps::record_payment),
        )
        .route(
            "/bookings/{id}/confirmation-told",
            get(super::up_one).post(steps::confirmation_told),
        )
        .route("/bookings/{id}/documents", get(documents::page))
        .route(
            "/bookings/{id}/documents/send",
            get(super::up_one).post(documents::send),
        )
        .route(
            "/bookings/{id}/complete",
            get(super::up_one).post(steps::complete),
        )
        .route(
            "/bookings/{id}/change",
            get(super::up_one).post(change::quote),
        )
        .route(
            "/bookings/{id}/change-quotes/{quote_id}/accept",
            get(change::back_to_booking).post(change::accept),
        )
        .merge(arrival::routes())
        .merge(manual_list::routes())
        .merge(ota_sync::routes())
}

/// The two windows the grid offers: two weeks, or a month.
const GRID_WINDOWS: [i32; 2] = [14, 31];

fn weekday_key(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "weekday.mon",
        Weekday::Tuesday => "weekday.tue",
        Weekday::Wednesday => "weekday.wed",
        Weekday::Thursday => "weekday.thu",
        Weekday::Friday => "weekday.fri",
        Weekday::Saturday => "weekday.sat",
        Weekday::Sunday => "weekday.sun",
    }
}

/// A booking state's label.
pub(crate) fn state_label(t: Tr, s: BookingState) -> &'static str {
    t.s(&format!("bookings.state.{}", s.as_str()))
}

/// A cell's short mark (the grid is read by its marks as well as its colours).
fn cell_mark(t: Tr, s: CellState) -> &'static str {
    let zh = t.lang() == "zh-CN";
    match (s, zh) {
        (CellState::Free, _) => "+",
        (CellState::Held, true) => "留",
        (CellState::Booked, true) => "订",
        (CellState::CheckedIn, true) => "住",
        (CellState::Blocked, true) => "OTA",
        (CellState::Closed, true) => "关",
        (CellState::Held, false) => "H",
        (CellState::Booked, false) => "B",
        (CellState::CheckedIn, false) => "In",
        (CellState::Blocked, false) => "OTA",
        (CellState::Closed, false) => "×",
    }
}

// ---- the room-status grid ----

#[derive(Deserialize)]
pub struct GridQuery {
    property: Option<String>,
    from: Option<String>,
    days: Option<String>,
}

struct DayHead {
    date: String,
    label: String,
    weekday: &'static str,
    /// `holiday`, `rest`, `makeup` (a weekend worked) or empty.
    class: &'static str,
    mark: &'static str,
    today: bool,
}

struct Cell {
    state: &'static str,
    mark: &'static str,
    /// What a screen reader and a tooltip say: the state, the room and the night.
    label: String,
    /// Free: the booking form; a booking: its page; a block: none.
    href: Option<String>,
}

struct Row {
    id: String,
    label: String,
    room_type: String,
    cells: Vec<Cell>,
}

struct LegendItem {
    state: &'static str,
    mark: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "bookings/grid.html")]
struct GridPage {
    c: Chrome,
    /// (id, name, chosen)
    properties: Vec<(String, String, bool)>,
    property_id: String,
    caption: String,
    from: String,
    days: i32,
    windows: Vec<(i32, String)>,
    prev: String,
    next: String,
    today: String,
    heads: Vec<DayHead>,
    rows: Vec<Row>,
    legend: Vec<LegendItem>,
    has_property: bool,
    /// The line about the property's OTA calendar subscriptions, and whether any fails.
    ota_line: Option<(String, bool)>,
}

pub async fn grid(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<GridQuery>,
) -> Response {
    let t = Tr(user.lang);
    let today = state.app.today();
    let from = q
        .from
        .as_deref()
        .and_then(|s| s.trim().parse::<Date>().ok())
        .unwrap_or(today);
    let days = q
        .days
        .as_deref()
        .and_then(|s| s.parse::<i32>().ok())
        .filter(|d| GRID_WINDOWS.contains(d))
        .unwrap_or(GRID_WINDOWS[0]);
    let property = q.property.as_deref().and_then(|s| s.parse::<Uuid>().ok());
    let g = match state
        .app
        .room_grid(&user.principal, property, from, days)
        .await
    {
        Ok(g) => g,
        Err(e) => return error_page(&state, &user, "bookings_rooms", e),
    };
    let shift = |n: i32| {
        from.checked_add(jiff::Span::new().days(n))
            .unwrap_or(from)
            .to_string()
    };
    let legend = CellState::ALL
        .iter()
        .map(|s| LegendItem {
            state: s.as_str(),
            mark: cell_mark(t, *s),
            label: t.s(&format!("bookings.cell.{}", s.as_str())),
        })
        .collect();
    let windows = GRID_WINDOWS
        .iter()
        .map(|n| {
            (
                *n,
                t.s("bookings.grid.days_n").replace("{n}", &n.to_string()),
            )
        })
        .collect();
    let mut page = GridPage {
        c: Chrome::new(&state, &user, "bookings_rooms"),
        properties: Vec::new(),
        property_id: String::new(),
        caption: String::new(),
        from: from.to_string(),
        days,
        windows,
        prev: shift(-days),
        next: shift(days),
        today: today.to_string(),
        heads: Vec::new(),
        rows: Vec::new(),
        legend,
        has_property: g.is_some(),
        ota_line: None,
    };
    // Only someone who may book is offered the form from a free night.
    let can_book = user.principal.can(Permission::MakeBookings);
    let Some(g) = g else {
        return render(StatusCode::OK, &page);
    };
    page.property_id = g.property.id.to_string();
    page.ota_line = ota_sync::grid_line(&state, &user, g.property.id).await;
    page.caption = t
        .s("bookings.grid.caption")
        .replace("{property}", &g.property.name)
        .replace("{from}", &from.to_string())
        .replace("{n}", &days.to_string());
    page.properties = g
        .properties
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone(), p.id == g.property.id))
        .collect();
    page.heads = g
        .days
        .iter()
        .map(|d| {
            let weekend = matches!(d.date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let (class, mark) = match d.kind {
                DayKind::Holiday => ("holiday", t.s("bookings.grid.holiday")),
                DayKind::RestDay => ("rest", ""),
                DayKind::Working if weekend => ("makeup", t.s("bookings.grid.makeup")),
                DayKind::Working => ("", ""),
            };
            DayHead {
                date: d.date.to_string(),
                label: d.date.strftime("%m-%d").to_string(),
                weekday: t.s(weekday_key(d.date.weekday())),
                class,
                mark,
                today: d.date == today,
            }
        })
        .collect();
    page.rows = g
        .rows
        .iter()
        .map(|r| Row {
            id: r.room.id.to_string(),
            label: r.room.label.clone(),
            room_type: r.room_type.clone(),
            cells: r
                .cells
                .iter()
                .map(|c| {
                    let what = t.s(&format!("bookings.cell.{}", c.state.as_str()));
                    let mut label = format!("{} · {} · {}", r.room.label, c.night, what);
                    if let Some(source) = &c.source {
                        label.push_str(&format!(" ({source})"));
                    }
                    let href = match (c.state, c.booking_id) {
                        (CellState::Free, _) if can_book && c.night >= today => Some(format!(
                            "/bookings/new?room={}&check_in={}",
                            r.room.id, c.night
                        )),
                        (_, Some(id)) => Some(format!("/bookings/{id}")),
                        _ => None,
                    };
                    if c.state == CellState::Free && href.is_some() {
                        label = t
                            .s("bookings.grid.book_cell")
                            .replace("{room}", &r.room.label)
                            .replace("{date}", &c.night.to_string());
                    }
                    Cell {
                        state: c.state.as_str(),
                        mark: cell_mark(t, c.state),
                        label,
                        href,
                    }
                })
                .collect(),
        })
        .collect();
    render(StatusCode::OK, &page)
}

// ---- the bookings list ----

/// Rows a page of the bookings list shows.
const LIST_PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

struct ListRow {
    id: String,
    confirmation_no: String,
    state: &'static str,
    state_code: &'static str,
    starts_on: String,
    ends_on: String,
    total: String,
    created: String,
}

#[derive(Template)]
#[template(path = "bookings/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ListRow>,
    states: Vec<(&'static str, &'static str, bool)>,
    pager: PagerNav,
    can_book: bool,
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    pager: Pager,
    Query(q): Query<ListQuery>,
) -> Response {
    let t = Tr(user.lang);
    let chosen = q.state.as_deref().and_then(BookingState::parse);
    let page = match state
        .app
        .list_bookings(
            &user.principal,
            BookingFilter {
                state: chosen,
                limit: LIST_PAGE,
                offset: u64::from(pager.offset(LIST_PAGE)),
                ..Default::default()
            },
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "bookings", e),
    };
    let rows = page
        .items
        .iter()
        .map(|b| ListRow {
            id: b.id.to_string(),
            confirmation_no: b.confirmation_no.clone().unwrap_or_default(),
            state: state_label(t, b.state),
            state_code: b.state.as_str(),
            starts_on: b.starts_on.to_string(),
            ends_on: b.ends_on.to_string(),
            total: yuan(b.total_fen),
            created: super::local_time(&state, b.created_at),
        })
        .collect();
    render(
        StatusCode::OK,
        &ListPage {
            c: Chrome::new(&state, &user, "bookings"),
            rows,
            states: BookingState::ALL
                .iter()
                .map(|s| (s.as_str(), state_label(t, *s), chosen == Some(*s)))
                .collect(),
            pager: pager.nav(t, LIST_PAGE, Extent::more(page.more)),
            can_book: user.principal.can(Permission::MakeBookings),
        },
    )
}

// ---- the departures calendar ----

#[derive(Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// One party on a departure's waitlist, as the calendar lists it.
struct WaitRow {
    position: u32,
    customer: String,
    seats: u32,
    /// `waiting` or `offered` (its class and its label).
    state: &'static str,
    label: &'static str,
}

struct DepartureRow {
    id: String,
    date: String,
    weekday: &'static str,
    package: String,
    /// The package's page (its cancellation policy).
    package_id: String,
    seats: u32,
    taken: u32,
    left: u32,
    cancelled: bool,
    /// Parties still waiting (not yet offered seats).
    waiting: u32,
    /// No seat left: the waitlist and its join form are shown.
    sold_out: bool,
    /// Seats left on a departure not yet gone: the row links to the booking form.
    bookable: bool,
    entries: Vec<WaitRow>,
    /// The join form holds what was typed (a post that failed for this departure).
    typed: bool,
    /// Prefix of the join form's input ids (none on the form whose errors the page lists,
    /// so the error links reach its fields).
    prefix: String,
    /// The guide the documents name (`李明（导游） 139 0571 2201`), empty when none.
    guide_name: String,
    guide_phone: String,
    /// The guide form holds what was typed (open, its errors beside its fields).
    guide_typed: bool,
    guide_prefix: String,
}

/// Which of a departure's forms came back refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DepartureForm {
    Waitlist,
    Guide,
}

#[derive(Template)]
#[template(path = "bookings/departures.html")]
struct DeparturesPage {
    c: Chrome,
    month: String,
    prev: String,
    next: String,
    rows: Vec<DepartureRow>,
    can_book: bool,
    /// Whether the guide forms are offered (`manage_catalog`).
    can_edit_guides: bool,
    /// The failed form's values and errors (empty otherwise).
    f: FormState,
}

/// Departures a month page lists at most.
const MONTH_DEPARTURES: u32 = 500;
/// Waitlist entries a sold-out departure lists at most on the calendar.
const CALENDAR_WAITLIST: u32 = 50;

/// The labels of the join form, for the messages beside its fields.
const WAITLIST_LABELS: &[(&str, &str)] = &[
    ("customer.name", "bookings.new.name"),
    ("customer.phone", "bookings.new.phone"),
    ("customer.email", "bookings.waitlist.email"),
    ("seats", "bookings.waitlist.seats"),
];

pub(super) fn month_start(today: Date, month: Option<&str>) -> Date {
    month
        .and_then(|m| format!("{}-01", m.trim()).parse::<Date>().ok())
        .unwrap_or_else(|| today.first_of_month())
}

pub async fn departures(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let first = month_start(state.app.today(), q.month.as_deref());
    departures_page(&state, &user, first, None).await
}

/// The calendar of the month starting `first`; `failed` is a form that came back with
/// errors (its departure, which form, and what was typed).
pub(super) async fn departures_page(
    state: &AppState,
    user: &UiUser,
    first: Date,
    failed: Option<(Uuid, DepartureForm, FormState)>,
) -> Response {
    let t = Tr(user.lang);
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first);
    let prev = first
        .checked_sub(jiff::Span::new().months(1))
        .unwrap_or(first);
    let list = state
        .app
        .list_departures(
            &user.principal,
            DepartureFilter {
                from: Some(first),
                until: Some(next),
                limit: MONTH_DEPARTURES,
                ..Default::default()
            },
        )
        .await;
    let packages = state
        .app
        .list_packages(&user.principal, false, 1_000, 0)
        .await;
    let (list, packages) = match (list, packages) {
        (Ok(l), Ok(p)) => (l, p),
        (Err(e), _) | (_, Err(e)) => return error_page(state, user, "bookings_departures", e),
    };
    let ids: Vec<Uuid> = list.items.iter().map(|d| d.departure.id).collect();
    let counts = match state.app.waitlist_counts(&user.principal, &ids).await {
        Ok(c) => c,
        Err(e) => return error_page(state, user, "bookings_departures", e),
    };
    let (failed_id, which, f) = match failed {
        Some((id, which, f)) => (Some(id), Some(which), f),
        None => (None, None, FormState::default()),
    };
    let mut rows = Vec::with_capacity(list.items.len());
    for (i, d) in list.items.iter().enumerate() {
        let id = d.departure.id;
        let sold_out = !d.cancelled && d.seats_left() == 0;
        let entries = if sold_out {
            match state
                .app
                .list_waitlist(&user.principal, id, CALENDAR_WAITLIST, 0)
                .await
            {
                Ok(page) => page
                    .items
                    .iter()
                    .map(|w| WaitRow {
                        position: w.position,
                        customer: w.customer_masked.clone(),
                        seats: w.entry.party.size(),
                        state: w.state(),
                        label: t.s(&format!("bookings.waitlist.state.{}", w.state())),
                    })
                    .collect(),
                Err(e) => return error_page(state, user, "bookings_departures", e),
            }
        } else {
            Vec::new()
        };
        let typed = failed_id == Some(id) && which == Some(DepartureForm::Waitlist);
        let guide_typed = failed_id == Some(id) && which == Some(DepartureForm::Guide);
        rows.push(DepartureRow {
            id: id.to_string(),
            date: d.departure.date.to_string(),
            weekday: t.s(weekday_key(d.departure.date.weekday())),
            package_id: d.departure.package_id.to_string(),
            package: packages
                .items
                .iter()
                .find(|p| p.package.id == d.departure.package_id)
                .map(|p| p.package.name.clone())
                .unwrap_or_default(),
            seats: d.departure.seats,
            taken: d.taken,
            left: d.seats_left(),
            cancelled: d.cancelled,
            bookable: !d.cancelled && d.seats_left() > 0 && d.departure.date >= state.app.today(),
            waiting: counts.iter().find(|(d, _)| *d == id).map_or(0, |(_, n)| *n),
            sold_out,
            entries,
            typed,
            prefix: if typed {
                String::new()
            } else {
                format!("wl{i}-")
            },
            guide_name: d.departure.guide_name.clone(),
            guide_phone: d.departure.guide_phone.clone(),
            guide_typed,
            guide_prefix: if guide_typed {
                String::new()
            } else {
                format!("g{i}-")
            },
        });
    }
    let month = |d: Date| d.strftime("%Y-%m").to_string();
    render(
        f.status(),
        &DeparturesPage {
            c: Chrome::new(state, user, "bookings_departures"),
            month: month(first),
            prev: month(prev),
            next: month(next),
            rows,
            can_book: user.principal.can(Permission::MakeBookings),
            can_edit_guides: user.principal.can(Permission::ManageCatalog),
            f,
        },
    )
}

/// A GET of the join form's address (a reload after a failed post): the calendar.
async fn back_to_departures() -> Response {
    super::see_other("/bookings/departures")
}

/// Puts a customer on a sold-out departure's waitlist from the calendar's join form: back to
/// the month with a notice, or the calendar again with the form as typed and its errors.
async fn join_waitlist(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    use tripdesk_app::bookings::waitlist::JoinWaitlist;
    use tripdesk_app::bookings::BookingCustomer;
    use tripdesk_app::customers::IntakeCustomer;
    let t = Tr(user.lang);
    let first = month_start(state.app.today(), Some(form.get("month")));
    let back = |f: FormState| {
        departures_page(&state, &user, first, Some((id, DepartureForm::Waitlist, f)))
    };
    let seats = match form.get("seats").trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            let f = FormState::typed(&form).refused(
                t,
                &[tripdesk_app::FieldError::new(
                    "seats",
                    "required",
                    "seats must be a whole number",
                )],
                WAITLIST_LABELS,
            );
            return back(f).await;
        }
    };
    let req = JoinWaitlist {
        departure_id: id,
        customer: BookingCustomer::Contact(IntakeCustomer {
            name: form.get("customer.name").to_string(),
            phone: Some(form.get("customer.phone").to_string()),
            // The offer of freed seats goes by email: without one, staff phone.
            email: Some(form.get("customer.email").trim().to_string()).filter(|e| !e.is_empty()),
        }),
        seats,
        source_channel: "desk".into(),
    };
    match state.app.join_waitlist(&user.principal, req).await {
        Ok(w) => see_other_with(
            &state,
            &user,
            &format!(
                "/bookings/departures?month={}#d-{id}",
                first.strftime("%Y-%m")
            ),
            Flash::done(
                t.s("bookings.flash.waitlisted")
                    .replace("{position}", &w.position.to_string()),
            ),
        ),
        Err(e) => match e.into_field_errors("seats") {
            Ok(fields) => {
                let fields: Vec<_> = fields
                    .into_iter()
                    .map(|mut f| {
                        if f.field == "customer" {
                            f.field = "customer.phone".into();
                        }
                        f
                    })
                    .collect();
                back(FormState::typed(&form).refused(t, &fields, WAITLIST_LABELS)).await
            }
            Err(e) => error_page(&state, &user, "bookings_departures", e),
        },
    }
}
