//! Pages of bookings: the room-status grid (房态) staff book from, the bookings list, the
//! departures calendar; the booking form and a booking's page are in [`booking`].

mod booking;
mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::{error_page, render, Chrome, UiUser};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
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
            "/bookings/new",
            get(booking::new_form).post(booking::create),
        )
        .route("/bookings/{id}", get(booking::page))
        .route(
            "/bookings/{id}/confirm",
            get(super::up_one).post(booking::confirm),
        )
        .route(
            "/bookings/{id}/cancel",
            get(super::up_one).post(booking::cancel),
        )
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
    };
    // Only someone who may book is offered the form from a free night.
    let can_book = user.principal.can(Permission::MakeBookings);
    let Some(g) = g else {
        return render(StatusCode::OK, &page);
    };
    page.property_id = g.property.id.to_string();
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

struct DepartureRow {
    date: String,
    weekday: &'static str,
    package: String,
    seats: u32,
    taken: u32,
    left: u32,
    cancelled: bool,
}

#[derive(Template)]
#[template(path = "bookings/departures.html")]
struct DeparturesPage {
    c: Chrome,
    month: String,
    prev: String,
    next: String,
    rows: Vec<DepartureRow>,
}

/// Departures a month page lists at most.
const MONTH_DEPARTURES: u32 = 500;

pub async fn departures(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let t = Tr(user.lang);
    let today = state.app.today();
    let first = q
        .month
        .as_deref()
        .and_then(|m| format!("{}-01", m.trim()).parse::<Date>().ok())
        .unwrap_or_else(|| today.first_of_month());
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
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &user, "bookings_departures", e),
    };
    let rows = list
        .items
        .iter()
        .map(|d| DepartureRow {
            date: d.departure.date.to_string(),
            weekday: t.s(weekday_key(d.departure.date.weekday())),
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
        })
        .collect();
    let month = |d: Date| d.strftime("%Y-%m").to_string();
    render(
        StatusCode::OK,
        &DeparturesPage {
            c: Chrome::new(&state, &user, "bookings_departures"),
            month: month(first),
            prev: month(prev),
            next: month(next),
            rows,
        },
    )
}
