//! OTA calendar subscriptions of a property's rooms (`/bookings/ota-sync?property=`): each
//! with 上次同步 N 分钟前 and its outcome (what it read, or why it failed, in the page's
//! language), 立即同步, deletion (confirmed, its blocks kept or released), and the form that
//! adds one. The room grid links here with a line about them ([`grid_line`]).

use crate::i18n::{self, Tr};
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::UiForm;
use crate::ui::{error_page, local_time, render, see_other, see_other_with, Chrome, Flash};
use crate::ui::{FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::bookings::ical_sync::{NewSubscription, SubscriptionRow};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::ical_sync::Age;
use tripdesk_domain::identity::Permission;
use tripdesk_store::IcalSyncOutcome;
use uuid::Uuid;

/// The pages and steps of subscriptions.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/bookings/ota-sync", get(page).post(add))
        .route("/bookings/ota-sync/{id}/sync", get(to_page).post(sync_now))
        .route("/bookings/ota-sync/{id}/delete", get(to_page).post(remove))
}

/// Subscriptions a page lists.
const PAGE_SIZE: u32 = 50;

/// The add form's fields and the labels that name them.
const LABELS: &[(&str, &str)] = &[
    ("room_id", "bookings.sync.room"),
    ("source", "bookings.sync.source"),
    ("url", "bookings.sync.url"),
    ("interval_minutes", "bookings.sync.interval"),
];

/// How long ago, as the page says it.
pub(super) fn age_text(t: Tr, age: Age) -> String {
    let (key, n) = match age {
        Age::JustNow => return t.s("bookings.sync.age.just_now").to_string(),
        Age::Minutes(n) => ("bookings.sync.age.minutes", n),
        Age::Hours(n) => ("bookings.sync.age.hours", n),
        Age::Days(n) => ("bookings.sync.age.days", n),
    };
    t.s(key).replace("{n}", &n.to_string())
}

/// Why a sync failed, in the page's language: the code's sentence with the HTTP status or
/// the calendar's line read from the detail.
fn failure_text(t: Tr, code: &str, detail: &str) -> String {
    let key = format!("bookings.sync.fail.{code}");
    let key = if i18n::Tr::has(&key) {
        key
    } else {
        "bookings.sync.fail.other".to_string()
    };
    let number_after = |marker: &str| -> String {
        detail
            .split_once(marker)
            .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default()
    };
    t.s(&key)
        .replace("{status}", &number_after("HTTP "))
        .replace("{line}", &number_after("line "))
}

struct SubRow {
    id: String,
    room: String,
    source: String,
    url: String,
    every: String,
    /// 上次同步 N 分钟前, or 尚未同步.
    synced: String,
    /// The instant, for the tooltip.
    synced_at: String,
    /// `ok`, `failed` or `never`.
    class: &'static str,
    outcome: String,
    /// When failing: that the earlier blocks stay, and the last success's age.
    last_ok: String,
    syncing: bool,
}

fn sub_row(state: &AppState, t: Tr, r: &SubscriptionRow) -> SubRow {
    let now = state.app.now();
    let s = &r.sub;
    let (synced, synced_at, class, outcome, last_ok) = match &s.last_sync {
        None => (
            t.s("bookings.sync.never").to_string(),
            String::new(),
            "never",
            String::new(),
            String::new(),
        ),
        Some(o) => {
            let synced = t
                .s("bookings.sync.last")
                .replace("{age}", &age_text(t, Age::of(now, o.at)));
            let (class, outcome, last_ok) = describe(t, o, now, s.last_ok_at);
            (synced, local_time(state, o.at), class, outcome, last_ok)
        }
    };
    SubRow {
        id: s.id.to_string(),
        room: r.room_label.clone(),
        source: s.source.clone(),
        url: r.shown_url.clone(),
        every: t
            .s("bookings.sync.every")
            .replace("{n}", &s.interval_minutes.to_string()),
        synced,
        synced_at,
        class,
        outcome,
        last_ok,
        syncing: r.syncing,
    }
}

/// An outcome's class, sentence, and (when it failed) the last success's age.
fn describe(
    t: Tr,
    o: &IcalSyncOutcome,
    now: jiff::Timestamp,
    last_ok_at: Option<jiff::Timestamp>,
) -> (&'static str, String, String) {
    match &o.error {
        None => {
            let mut text = t
                .s("bookings.sync.ok")
                .replace("{events}", &o.events.to_string())
                .replace("{nights}", &o.nights.to_string());
            if o.conflicts > 0 {
                text = t.aside(
                    &text,
                    &t.s("bookings.sync.ok.conflicts")
                        .replace("{n}", &o.conflicts.to_string()),
                );
            }
            ("ok", text, String::new())
        }
        Some(e) => {
            let text = t
                .s("bookings.sync.failed")
                .replace("{reason}", &failure_text(t, &e.code, &e.detail));
            let last_ok = match last_ok_at {
                Some(at) => t
                    .s("bookings.sync.failed.kept")
                    .replace("{age}", &age_text(t, Age::of(now, at))),
                None => t.s("bookings.sync.never_ok").to_string(),
            };
            ("failed", text, last_ok)
        }
    }
}

#[derive(Template)]
#[template(path = "bookings/ota_sync.html")]
struct SyncPage {
    c: Chrome,
    /// (id, name, chosen)
    properties: Vec<(String, String, bool)>,
    property_id: String,
    has_property: bool,
    rows: Vec<SubRow>,
    /// The add form's rooms: (id, label, chosen).
    rooms: Vec<(String, String, bool)>,
    f: FormState,
    can_manage: bool,
    can_sync: bool,
    pager: PagerNav,
    /// This page's address, where its step forms come back to.
    back: String,
}

#[derive(Deserialize)]
pub struct SyncQuery {
    property: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    pager: Pager,
    Query(q): Query<SyncQuery>,
) -> Response {
    let property = q.property.as_deref().and_then(|s| s.parse::<Uuid>().ok());
    let f = FormState::with_defaults(&[("interval_minutes", "30")]);
    sync_page(&state, &user, &pager, property, f).await
}

/// The page of `property` (the first property when `None`), with the add form `f`.
async fn sync_page(
    state: &AppState,
    user: &UiUser,
    pager: &Pager,
    property: Option<Uuid>,
    f: FormState,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let properties = match state.app.list_properties(p, 200, 0).await {
        Ok(page) => page.items,
        Err(e) => return error_page(state, user, "bookings_rooms", e),
    };
    let chosen = property
        .filter(|id| properties.iter().any(|p| p.id == *id))
        .or_else(|| properties.first().map(|p| p.id));
    let mut page = SyncPage {
        c: Chrome::new(state, user, "bookings_rooms"),
        properties: properties
            .iter()
            .map(|p| (p.id.to_string(), p.name.clone(), Some(p.id) == chosen))
            .collect(),
        property_id: chosen.map(|id| id.to_string()).unwrap_or_default(),
        has_property: chosen.is_some(),
        rows: Vec::new(),
        rooms: Vec::new(),
        can_manage: p.can(Permission::ManageCatalog),
        can_sync: p.can(Permission::ManageCatalog) || p.can(Permission::MakeBookings),
        pager: pager.nav(t, PAGE_SIZE, Extent::more(false)),
        back: pager.href(pager.page()),
        f,
    };
    let Some(property) = chosen else {
        return render(page.f.status(), &page);
    };
    let subs = state
        .app
        .ical_subscriptions(
            p,
            Some(property),
            None,
            PAGE_SIZE,
            u64::from(pager.offset(PAGE_SIZE)),
        )
        .await;
    let rooms = state.app.list_rooms(p, Some(property), 1_000, 0).await;
    let (subs, rooms) = match (subs, rooms) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return error_page(state, user, "bookings_rooms", e),
    };
    page.pager = pager.nav(t, PAGE_SIZE, Extent::more(subs.more));
    page.rows = subs.items.iter().map(|r| sub_row(state, t, r)).collect();
    page.rooms = rooms
        .items
        .iter()
        .filter(|r| r.active)
        .map(|r| {
            let id = r.id.to_string();
            let chosen = page.f.is("room_id", &id);
            (id, r.label.clone(), chosen)
        })
        .collect();
    render(page.f.status(), &page)
}

/// The add form's errors beside its fields: this page's own sentence for each field and
/// code it knows, the shared one otherwise.
fn refused(t: Tr, mut f: FormState, fields: &[FieldError]) -> FormState {
    for e in fields {
        let key = format!("bookings.sync.err.{}.{}", e.field, e.code);
        f = if i18n::Tr::has(&key) {
            f.error(&e.field, t.s(&key))
        } else {
            f.refused(t, std::slice::from_ref(e), LABELS)
        };
    }
    f
}

/// Adds a subscription from the page's form: back to the page with a notice, or the page
/// again with the form as typed and its errors (422).
async fn add(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let property = form.get("property").parse::<Uuid>().ok();
    let pager = Pager::parse("/bookings/ota-sync", None);
    let mut problems = Vec::new();
    let room_id = form.get("room_id").parse::<Uuid>().ok();
    if room_id.is_none() {
        problems.push(FieldError::new("room_id", "required", "choose a room"));
    }
    let interval = form.get("interval_minutes").trim();
    let interval_minutes = if interval.is_empty() {
        None
    } else {
        match interval.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(FieldError::new(
                    "interval_minutes",
                    "invalid",
                    "the interval is whole minutes",
                ));
                // Refused by the use case too, so nothing is added behind a refused form.
                Some(-1)
            }
        }
    };
    let input = NewSubscription {
        room_id: room_id.unwrap_or_default(),
        source: form.get("source").to_string(),
        url: form.get("url").to_string(),
        interval_minutes,
    };
    let fields = match state
        .app
        .create_ical_subscription(&user.principal, &input)
        .await
    {
        Ok(row) => {
            return see_other_with(
                &state,
                &user,
                &format!("/bookings/ota-sync?property={}", row.property_id),
                Flash::done(t.s("bookings.sync.flash.added")),
            )
        }
        Err(e) => match e.into_field_errors("source") {
            Ok(fields) => fields,
            Err(e) => return error_page(&state, &user, "bookings_rooms", e),
        },
    };
    // The page's own findings first (an unchosen room is the use case's unknown room too).
    let mut all = problems;
    for f in fields {
        if !all.iter().any(|p| p.field == f.field) {
            all.push(f);
        }
    }
    let f = refused(t, FormState::typed(&form), &all);
    sync_page(&state, &user, &pager, property, f).await
}

/// A GET of a step's address (a reload): the page.
async fn to_page() -> Response {
    see_other("/bookings/ota-sync")
}

/// Where a step goes back to: the page it was taken from.
fn back_to(form_back: &str) -> String {
    if form_back.starts_with("/bookings/ota-sync") {
        form_back.to_string()
    } else {
        "/bookings/ota-sync".to_string()
    }
}

/// A step refused: back with the reason, or the error page for what is not a refusal.
fn step_refused(state: &AppState, user: &UiUser, to: &str, e: AppError) -> Response {
    match e {
        AppError::Conflict { .. } | AppError::Validation(_) => {
            let text = i18n::app_error(Tr(user.lang), &e);
            see_other_with(state, user, to, Flash::refused(text))
        }
        e => error_page(state, user, "bookings_rooms", e),
    }
}

async fn sync_now(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = back_to(form.get("back"));
    match state
        .app
        .sync_ical_subscription_now(&user.principal, id)
        .await
    {
        Ok(queued) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s(if queued {
                "bookings.sync.flash.queued"
            } else {
                "bookings.sync.flash.pending"
            })),
        ),
        Err(e) => step_refused(&state, &user, &to, e),
    }
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = back_to(form.get("back"));
    // Irreversible: the box is required by the page and checked here too.
    if form.get("confirm") != "yes" {
        return see_other_with(
            &state,
            &user,
            &to,
            Flash::refused(t.s("bookings.sync.delete.unsure")),
        );
    }
    let release = form.get("release") == "yes";
    match state
        .app
        .delete_ical_subscription(&user.principal, id, release)
        .await
    {
        Ok(()) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(t.s(if release {
                "bookings.sync.flash.released"
            } else {
                "bookings.sync.flash.deleted"
            })),
        ),
        Err(e) => step_refused(&state, &user, &to, e),
    }
}

/// The room grid's line about its property's subscriptions: how many, the stalest sync's
/// age, how many failing (and whether any is); `None` when reading them fails (the grid
/// shows without it).
pub(super) async fn grid_line(
    state: &AppState,
    user: &UiUser,
    property: Uuid,
) -> Option<(String, bool)> {
    let t = Tr(user.lang);
    let subs = state
        .app
        .ical_subscriptions(&user.principal, Some(property), None, 200, 0)
        .await
        .ok()?;
    let n = subs.items.len();
    if n == 0 {
        return Some((t.s("bookings.grid.ota.none").to_string(), false));
    }
    let now = state.app.now();
    let stalest = subs
        .items
        .iter()
        .map(|r| r.sub.last_sync.as_ref().map(|o| o.at))
        .min()
        .flatten();
    let mut line = match stalest {
        Some(at) => t
            .s("bookings.grid.ota")
            .replace("{n}", &n.to_string())
            .replace("{age}", &age_text(t, Age::of(now, at))),
        None => t
            .s("bookings.grid.ota.never")
            .replace("{n}", &n.to_string()),
    };
    let failing = subs
        .items
        .iter()
        .filter(|r| r.sub.last_sync.as_ref().is_some_and(|o| o.error.is_some()))
        .count();
    if failing > 0 {
        line = t.aside(
            &line,
            &t.s("bookings.grid.ota.failing")
                .replace("{n}", &failing.to_string()),
        );
    }
    Some((line, failing > 0))
}
