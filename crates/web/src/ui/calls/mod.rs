//! The hotline's pages (issue 17 item 3): `/calls` — the callback tasks of missed calls with
//! their clocks and a "called back" form, then the calls, paged and filtered, each with a
//! "make ticket" link (`/calls/{id}/ticket`, a form that keeps what was typed); the answer
//! rate against 95 % and three rings with the CDR upload (`rate`); the customer's calls on
//! the customer page ([`customer_calls`]).

mod rate;
mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::{UiForm, UiUser};
use super::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tripdesk_app::phone::callbacks::{CallbackView, OUTCOMES};
use tripdesk_app::phone::ticket::CallTicket;
use tripdesk_app::{AppError, Principal};
use tripdesk_domain::customer::Phone;
use tripdesk_domain::desk::TicketKind;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::phone::Direction;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{CallFilter, CallRecord, CallbackFilter};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calls", get(list))
        .route("/calls/callbacks/{id}/done", post(record_callback))
        .route("/calls/{id}/ticket", get(ticket_form).post(create_ticket))
        .route("/calls/answer-rate", get(rate::page))
        .route("/calls/cdr", post(rate::import))
}

/// Calls per page.
const PAGE: u32 = 30;
/// Open callback tasks shown at the top of `/calls`.
const CALLBACKS: u32 = 50;
/// Calls shown on a customer's page.
const CUSTOMER_CALLS: u32 = 20;

/// One call as the lists show it.
pub(crate) struct CallRow {
    pub id: Uuid,
    pub at: String,
    pub direction: &'static str,
    pub direction_label: &'static str,
    pub line: String,
    pub agent: String,
    pub customer_id: Option<Uuid>,
    pub ring_secs: i64,
    pub talk: String,
    pub disposition: &'static str,
    pub disposition_label: &'static str,
    pub answered: bool,
    /// Rung longer than three rings before the answer (or not answered).
    pub slow: bool,
    pub ticket_id: Option<Uuid>,
    pub source: String,
}

impl CallRow {
    pub(crate) fn of(state: &AppState, t: Tr, c: &CallRecord) -> Self {
        CallRow {
            id: c.id,
            at: local_time(state, c.started_at),
            direction: c.direction.as_str(),
            direction_label: t.s(&format!("calls.direction.{}", c.direction.as_str())),
            line: c.line.clone(),
            agent: c.agent.clone().unwrap_or_default(),
            customer_id: c.customer_id,
            ring_secs: c.ring_secs,
            talk: format!("{}:{:02}", c.talk_secs / 60, c.talk_secs % 60),
            disposition: c.disposition.as_str(),
            disposition_label: t.s(&format!("calls.disposition.{}", c.disposition.as_str())),
            answered: c.answered_at.is_some(),
            slow: c.ring_secs > tripdesk_domain::phone::RING_TARGET_SECS,
            ticket_id: c.ticket_id,
            source: c.source.to_uppercase(),
        }
    }
}

/// One open callback task with its clock.
struct CallbackRow {
    id: Uuid,
    customer_id: Option<Uuid>,
    number: String,
    tel: String,
    line: String,
    missed_count: i64,
    first_missed: String,
    last_missed: String,
    due: String,
    clock: &'static str,
    clock_label: &'static str,
    /// The badge's class: `on_track` or `breached`.
    risk: &'static str,
    /// This row's form came back refused (the page's `f` holds it).
    refused: bool,
}

/// A task's row; the number masked, dialable (`tel:`) only for those who may see sensitive
/// data in full, as the customer page shows phones.
fn callback_row(state: &AppState, t: Tr, v: &CallbackView, reveal: bool) -> CallbackRow {
    let number = state
        .app
        .open_callback_number(&v.task)
        .ok()
        .flatten()
        .unwrap_or_default();
    let (masked, tel) = match Phone::parse(&number) {
        Ok(p) => (
            p.masked(),
            if reveal {
                p.as_e164().to_string()
            } else {
                String::new()
            },
        ),
        Err(_) => (
            tripdesk_domain::customer::mask_phone(&number),
            String::new(),
        ),
    };
    let clock = v
        .clock
        .as_ref()
        .map(|c| c.clock.state_at(state.app.now()))
        .unwrap_or(ClockState::Cancelled);
    CallbackRow {
        id: v.task.id,
        customer_id: v.task.customer_id,
        number: masked,
        tel,
        line: v.task.line.clone(),
        missed_count: v.task.missed_count,
        first_missed: local_time(state, v.task.first_missed_at),
        last_missed: local_time(state, v.task.last_missed_at),
        due: v
            .clock
            .as_ref()
            .map(|c| local_time(state, c.clock.due_at()))
            .unwrap_or_default(),
        risk: if clock == ClockState::Breached {
            "breached"
        } else {
            "on_track"
        },
        refused: false,
        clock: clock.as_str(),
        clock_label: t.s(&format!("calls.clock.{}", clock.as_str())),
    }
}

struct Opt {
    value: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "calls/list.html")]
struct CallsPage {
    c: Chrome,
    callbacks: Vec<CallbackRow>,
    callbacks_more: bool,
    outcomes: Vec<Opt>,
    rows: Vec<CallRow>,
    pager: PagerNav,
    direction: String,
    missed: bool,
    from: String,
    to: String,
    back: String,
    can_work: bool,
    can_report: bool,
    /// The callback form that came back refused, and the task it was for.
    f: FormState,
}

#[derive(Deserialize, Default)]
pub struct CallsQuery {
    direction: Option<String>,
    missed: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// A day `YYYY-MM-DD` of the server's zone as its first instant (`None`: empty or unreadable).
fn day_start(state: &AppState, s: &str) -> Option<jiff::Timestamp> {
    let d = s.trim().parse::<jiff::civil::Date>().ok()?;
    d.to_zoned(state.tz.clone()).ok().map(|z| z.timestamp())
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<CallsQuery>,
    pager: Pager,
) -> Response {
    calls_page(&state, &user, q, pager, FormState::default(), None).await
}

async fn calls_page(
    state: &AppState,
    user: &UiUser,
    q: CallsQuery,
    pager: Pager,
    f: FormState,
    f_task: Option<Uuid>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let direction = q.direction.as_deref().and_then(Direction::parse);
    let missed = q.missed.as_deref() == Some("1");
    let (from, to) = (q.from.unwrap_or_default(), q.to.unwrap_or_default());
    let filter = CallFilter {
        direction,
        missed,
        from: day_start(state, &from),
        to: day_start(state, &to).map(|t| t + jiff::SignedDuration::from_hours(24)),
        ..CallFilter::default()
    };
    let calls = match state
        .app
        .list_calls(p, filter, PAGE, u64::from(pager.offset(PAGE)))
        .await
    {
        Ok(c) => c,
        Err(e) => return error_page(state, user, "calls", e),
    };
    let callbacks = match state
        .app
        .list_callbacks(
            p,
            CallbackFilter {
                open: true,
                customer_id: None,
            },
            CALLBACKS,
            0,
        )
        .await
    {
        Ok(c) => c,
        Err(e) => return error_page(state, user, "calls", e),
    };
    let page = CallsPage {
        callbacks: callbacks
            .items
            .iter()
            .map(|v| {
                let mut row = callback_row(state, t, v, p.can(Permission::RevealSensitive));
                row.refused = f_task == Some(row.id);
                row
            })
            .collect(),
        callbacks_more: callbacks.more,
        outcomes: OUTCOMES
            .iter()
            .map(|o| Opt {
                value: o,
                label: t.s(&format!("calls.outcome.{o}")),
            })
            .collect(),
        rows: calls
            .items
            .iter()
            .map(|c| CallRow::of(state, t, c))
            .collect(),
        pager: pager.nav(t, PAGE, Extent::more(calls.more)),
        direction: direction
            .map(|d| d.as_str().to_string())
            .unwrap_or_default(),
        missed,
        from,
        to,
        back: pager.href(pager.page()),
        can_work: p.can(Permission::WorkTickets),
        can_report: p.can(Permission::ViewReports),
        f,
        c: Chrome::new(state, user, "calls"),
    };
    render(page.f.status(), &page)
}

/// The "called back" form: done → back to the list with a flash; refused → the list with
/// the form as typed and the message beside it.
pub async fn record_callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "calls", AppError::NotFound("callback task"));
    };
    let note = Some(form.get("note")).filter(|n| !n.trim().is_empty());
    match state
        .app
        .record_callback(&user.principal, id, form.get("outcome"), note)
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &back_to_calls(form.get("back")),
            Flash::done(t.s("calls.flash.called_back")),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(
                t,
                &fields,
                &[("outcome", "calls.outcome"), ("note", "calls.note")],
            );
            let back = back_to_calls(form.get("back"));
            let query = back.split_once('?').map(|(_, q)| q.to_string());
            let q: CallsQuery = query
                .as_deref()
                .and_then(|q| serde_urlencoded::from_str(q).ok())
                .unwrap_or_default();
            let pager = Pager::parse("/calls", query.as_deref());
            calls_page(&state, &user, q, pager, f, Some(id)).await
        }
        Err(e) => error_page(&state, &user, "calls", e),
    }
}

/// Where a form of `/calls` goes back to: the list as it was, never elsewhere.
fn back_to_calls(back: &str) -> String {
    if back.starts_with("/calls") && !back.starts_with("/calls/") {
        back.to_string()
    } else {
        "/calls".into()
    }
}

#[derive(Template)]
#[template(path = "calls/ticket.html")]
struct TicketPage {
    c: Chrome,
    call: CallRow,
    kinds: Vec<Opt>,
    f: FormState,
}

async fn find_call(state: &AppState, p: &Principal, id: &str) -> Result<CallRecord, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("call"))?;
    state.app.get_call(p, id).await
}

fn ticket_page(state: &AppState, user: &UiUser, call: &CallRecord, f: FormState) -> Response {
    let t = Tr(user.lang);
    let page = TicketPage {
        call: CallRow::of(state, t, call),
        kinds: TicketKind::ALL
            .iter()
            .rev()
            .map(|k| Opt {
                value: k.as_str(),
                label: t.s(&format!("kind.{}", k.as_str())),
            })
            .collect(),
        f,
        c: Chrome::new(state, user, "calls"),
    };
    render(page.f.status(), &page)
}

pub async fn ticket_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: UiUser,
) -> Response {
    if let Err(e) = user.principal.require(Permission::WorkTickets) {
        return error_page(&state, &user, "calls", e);
    }
    match find_call(&state, &user.principal, &id).await {
        Ok(call) => {
            let kind = TicketKind::Inquiry.as_str();
            ticket_page(
                &state,
                &user,
                &call,
                FormState::with_defaults(&[("kind", kind)]),
            )
        }
        Err(e) => error_page(&state, &user, "calls", e),
    }
}

pub async fn create_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let call = match find_call(&state, &user.principal, &id).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &user, "calls", e),
    };
    let input = CallTicket {
        kind: TicketKind::parse(form.get("kind")).unwrap_or(TicketKind::Inquiry),
        subject: form.get("subject").into(),
        notes: form.get("notes").into(),
        customer_name: Some(form.get("customer_name").to_string()),
    };
    match state
        .app
        .call_to_ticket(&user.principal, call.id, input)
        .await
    {
        Ok(d) => see_other_with(
            &state,
            &user,
            &format!("/desk/tickets/{}", d.ticket.id),
            Flash::done(t.s("calls.flash.ticket")),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(
                t,
                &fields,
                &[
                    ("subject", "desk.subject"),
                    ("notes", "calls.notes"),
                    ("customer_name", "desk.customer_name"),
                ],
            );
            ticket_page(&state, &user, &call, f)
        }
        Err(e) => error_page(&state, &user, "calls", e),
    }
}

/// The customer's latest calls, for the customer page (empty for those who may not see
/// the desk).
pub(crate) async fn customer_calls(state: &AppState, user: &UiUser, id: Uuid) -> Vec<CallRow> {
    let t = Tr(user.lang);
    if !user.principal.can(Permission::ViewDesk) {
        return Vec::new();
    }
    let filter = CallFilter {
        customer_id: Some(id),
        ..CallFilter::default()
    };
    state
        .app
        .list_calls(&user.principal, filter, CUSTOMER_CALLS, 0)
        .await
        .map(|page| {
            page.items
                .iter()
                .map(|c| CallRow::of(state, t, c))
                .collect()
        })
        .unwrap_or_default()
}
