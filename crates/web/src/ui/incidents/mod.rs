//! The emergency pages: incidents newest first (`/incidents`) and the live board an emergency
//! leader runs an incident from (`/incidents/{id}`): who is safe, who needs help and who has
//! not answered, delivery progress, the first-report clock, the checklist with its ticks and
//! the timeline; with the broadcast and the checklist's tick as post forms.

mod text;

pub(crate) use text::TEXT;

use crate::i18n::{app_error, Tr};
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::UiForm;
use crate::ui::{error_page, local_time, render, see_other, see_other_with, Chrome, Flash, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tripdesk_app::emergency::{default_body, Audience, Board, BroadcastRequest};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Incident, IncidentPerson};
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(board))
        .route("/incidents/{id}/broadcast", post(broadcast))
        .route("/incidents/{id}/checklist/{item}", post(tick))
}

const PAGE_SIZE: u32 = 50;

struct Row {
    id: String,
    title: String,
    kind: String,
    level: String,
    level_code: &'static str,
    drill: bool,
    open: bool,
    declared: String,
}

fn row(state: &AppState, t: Tr, i: &Incident) -> Row {
    Row {
        id: i.id.to_string(),
        title: i.title.clone(),
        kind: t.s(&format!("incidents.kind.{}", i.kind.as_str())).into(),
        level: t.s(&format!("incidents.level.{}", i.level.as_str())).into(),
        level_code: i.level.as_str(),
        drill: i.drill,
        open: i.state == tripdesk_domain::emergency::IncidentState::Open,
        declared: local_time(state, i.declared_at),
    }
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: PagerNav,
}

async fn list(State(state): State<AppState>, user: UiUser, pager: Pager) -> Response {
    let t = Tr(user.lang);
    let page = match state
        .app
        .list_incidents(
            &user.principal,
            None,
            PAGE_SIZE,
            u64::from(pager.offset(PAGE_SIZE)),
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "incidents", e),
    };
    render(
        StatusCode::OK,
        &ListPage {
            c: Chrome::new(&state, &user, "incidents"),
            rows: page.items.iter().map(|i| row(&state, t, i)).collect(),
            pager: pager.nav(t, PAGE_SIZE, Extent::more(page.more)),
        },
    )
}

struct PersonRow {
    customer_id: String,
    name: String,
    via: String,
    at: String,
    ticket: Option<String>,
}

fn person_row(state: &AppState, t: Tr, b: &Board, p: &IncidentPerson) -> PersonRow {
    PersonRow {
        customer_id: p.customer_id.to_string(),
        name: b
            .names
            .get(&p.customer_id)
            .cloned()
            .unwrap_or_else(|| t.s("incidents.person.hidden").into()),
        via: p
            .answered_via
            .map(|v| t.s(&format!("incidents.via.{}", v.as_str())).to_string())
            .unwrap_or_default(),
        at: p
            .answered_at
            .map(|at| local_time(state, at))
            .unwrap_or_default(),
        ticket: p.escalated_ticket_id.map(|id| id.to_string()),
    }
}

struct ItemRow {
    key: &'static str,
    role: String,
    text: String,
    done: Option<String>,
}

struct EventRow {
    at: String,
    text: String,
}

#[derive(Template)]
#[template(path = "incidents/board.html")]
struct BoardPage {
    c: Chrome,
    r: Row,
    description: String,
    scope: String,
    people: u64,
    safe: u64,
    needs_help: u64,
    pending: u64,
    escalated: u64,
    delivered: u64,
    messages_pending: u64,
    messages_dead: u64,
    calls_open: u64,
    /// Percentages for the bars.
    safe_pct: u64,
    help_pct: u64,
    pending_pct: u64,
    delivered_pct: u64,
    report: String,
    report_class: &'static str,
    team: Vec<(String, String)>,
    items: Vec<ItemRow>,
    items_done: usize,
    help_rows: Vec<PersonRow>,
    pending_rows: Vec<PersonRow>,
    events: Vec<EventRow>,
    can_manage: bool,
    can_respond: bool,
    default_body: String,
}

fn pct(n: u64, of: u64) -> u64 {
    (n * 100).checked_div(of).unwrap_or(0)
}

async fn board(State(state): State<AppState>, user: UiUser, Path(id): Path<Uuid>) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let b = match state.app.incident_board(p, id).await {
        Ok(b) => b,
        Err(e) => return error_page(&state, &user, "incidents", e),
    };
    let now = state.app.now();
    let (report, report_class) = match (&b.report_clock, b.incident.reported_at) {
        (_, Some(at)) => (
            t.s("incidents.report.done")
                .replace("{at}", &local_time(&state, at)),
            "met",
        ),
        (Some(c), None) => {
            let st = c.clock.state_at(now);
            let class = if st.as_str() == "breached" {
                "breached"
            } else {
                "running"
            };
            (
                t.s("incidents.report.due")
                    .replace("{at}", &local_time(&state, c.clock.due_at())),
                class,
            )
        }
        (None, None) => (t.s("incidents.report.none").to_string(), "none"),
    };
    let s = &b.incident.scope;
    let mut scope = s.regions.join("、");
    let ids = s.property_ids.len() + s.package_ids.len() + s.departure_ids.len();
    if ids > 0 {
        scope = t.aside(
            &scope,
            &t.s("incidents.scope.ids").replace("{n}", &ids.to_string()),
        );
    }
    let scope = format!("{scope} · {} – {}", s.from, s.to);
    let items: Vec<ItemRow> = b
        .checklist
        .iter()
        .map(|c| ItemRow {
            key: c.item.key,
            role: t
                .s(&format!("incidents.role.{}", c.item.role.as_str()))
                .into(),
            text: match user.lang {
                crate::i18n::Lang::ZhCn => c.item.zh.into(),
                crate::i18n::Lang::En => c.item.en.into(),
            },
            done: c.tick.as_ref().map(|tk| local_time(&state, tk.done_at)),
        })
        .collect();
    let events = b
        .timeline
        .iter()
        .map(|e| EventRow {
            at: local_time(&state, e.at),
            text: event_text(t, &e.kind, &e.detail),
        })
        .collect();
    let c = &b.counts;
    let page = BoardPage {
        c: Chrome::new(&state, &user, "incidents"),
        r: row(&state, t, &b.incident),
        description: b.incident.description.clone(),
        scope,
        people: c.people,
        safe: c.safe,
        needs_help: c.needs_help,
        pending: c.pending,
        escalated: c.escalated,
        delivered: b.delivered,
        messages_pending: b.messages_pending,
        messages_dead: b.messages_dead,
        calls_open: c.calls_open,
        safe_pct: pct(c.safe, c.people),
        help_pct: pct(c.needs_help, c.people),
        pending_pct: pct(c.pending, c.people),
        delivered_pct: pct(b.delivered, c.people),
        report,
        report_class,
        team: b
            .team
            .iter()
            .map(|(role, _, name)| {
                (
                    t.s(&format!("incidents.role.{}", role.as_str()))
                        .to_string(),
                    name.clone(),
                )
            })
            .collect(),
        items_done: items.iter().filter(|i| i.done.is_some()).count(),
        items,
        help_rows: b
            .needs_help
            .iter()
            .map(|x| person_row(&state, t, &b, x))
            .collect(),
        pending_rows: b
            .pending
            .iter()
            .map(|x| person_row(&state, t, &b, x))
            .collect(),
        events,
        can_manage: p.can(Permission::ManageIncidents)
            && b.incident.state == tripdesk_domain::emergency::IncidentState::Open,
        can_respond: p.can(Permission::RespondToIncidents)
            && b.incident.state == tripdesk_domain::emergency::IncidentState::Open,
        default_body: default_body(&b.incident),
    };
    render(StatusCode::OK, &page)
}

/// One line of the timeline in the page's language.
fn event_text(t: Tr, kind: &str, detail: &str) -> String {
    let d: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
    let n = |k: &str| d[k].as_u64().unwrap_or(0).to_string();
    let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
    let key = format!("incidents.event.{kind}");
    if !Tr::has(&key) {
        return kind.to_string();
    }
    t.s(&key)
        .replace("{people}", &n("people"))
        .replace("{sms}", &n("sms"))
        .replace("{email}", &n("email"))
        .replace("{calls}", &n("calls"))
        .replace(
            "{status}",
            t.s(&format!("incidents.status.{}", s("status"))),
        )
        .replace("{via}", t.s(&format!("incidents.via.{}", s("via"))))
        .replace(
            "{reason}",
            t.s(&format!("incidents.reason.{}", s("reason"))),
        )
        .replace("{ticket}", &s("ticket"))
        .replace("{item}", &s("item"))
}

/// Sends the board's broadcast form: back to the board with what was queued.
async fn broadcast(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let audience = match form.get("audience") {
        "not_safe" => Audience::NotSafe,
        "pending" => Audience::Pending,
        _ => Audience::All,
    };
    let back = format!("/incidents/{id}");
    let req = BroadcastRequest {
        audience,
        body: Some(form.get("body").to_string()),
        ask_checkin: form.get("ask_checkin") == "1",
        base_url: crate::ui::public_base(&state, &headers),
    };
    match state.app.broadcast(&user.principal, id, req).await {
        Ok(o) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(
                t.s("incidents.flash.broadcast")
                    .replace("{people}", &o.people.to_string())
                    .replace("{sms}", &o.sms.to_string())
                    .replace("{email}", &o.email.to_string())
                    .replace("{calls}", &o.calls.to_string()),
            ),
        ),
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// Ticks or unticks a checklist item (`done=1|0`).
async fn tick(
    State(state): State<AppState>,
    Path((id, item)): Path<(Uuid, String)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = format!("/incidents/{id}#checklist");
    match state
        .app
        .tick_incident_item(&user.principal, id, &item, form.get("done") == "1")
        .await
    {
        Ok(()) => see_other(&back),
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}
