//! The live board of an incident (`/incidents/{id}`): at the top what the leader must see at
//! a glance — how many are safe, need help, have not answered, how far the messages went and
//! how much of the checklist is done — then who needs help and who is silent by name, every
//! person paged and filtered by answer (`?people=safe|needs_help|pending|escalated`) with
//! the staff's answer form, the call list with its outcome form, the remedies offered to the
//! affected bookings ([`super::remedies`]), the team, the broadcast, the checklist and the
//! timeline. A form of the board refused for its input comes back on
//! the board as typed ([`Posted`]).

use super::authority::{clock_lines, ClockLine};
use super::remedies::{self, RemedyPanel};
use super::{row, Row};
use crate::i18n::Tr;
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::{error_page, local_time, render, Chrome, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tripdesk_app::emergency::Board;
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::emergency::{
    checklist, CallOutcome, IncidentKind, IncidentState, PersonStatus, TeamRole,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{CallTask, IncidentPerson, PeopleFilter, PersonOrigin};
use uuid::Uuid;

/// People per page of the board's list.
const PEOPLE_PAGE: u32 = 50;

/// The filters of the people list, in the order of its tabs.
const FILTERS: [&str; 5] = ["all", "needs_help", "pending", "safe", "escalated"];

fn filter_of(key: &str) -> PeopleFilter {
    match key {
        "escalated" => PeopleFilter {
            status: None,
            escalated: true,
        },
        other => PeopleFilter {
            status: PersonStatus::parse(other),
            escalated: false,
        },
    }
}

/// The board's lists as asked for: people by answer, offers by choice.
#[derive(Deserialize, Default)]
pub(super) struct BoardQuery {
    people: Option<String>,
    offers: Option<String>,
}

impl BoardQuery {
    /// The list's filter as a known key (`all` for anything else).
    pub(super) fn filter(&self) -> &'static str {
        let asked = self.people.as_deref().unwrap_or("all");
        FILTERS.into_iter().find(|f| *f == asked).unwrap_or("all")
    }
}

/// A form of the board that came back refused: the board again with that form as typed.
pub(super) struct Posted {
    /// `broadcast`, `add_person`, `team`, `remedy`.
    pub form: &'static str,
    pub f: FormState,
    pub status: StatusCode,
}

struct PersonRow {
    customer_id: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    via: String,
    at: String,
    ticket: Option<String>,
    booking: Option<String>,
    /// 手动添加 / 导游 after the name; empty for a traveler found from a booking.
    origin: &'static str,
    /// The channels tried, in order: (channel, mark key, mark text).
    tried: Vec<(String, &'static str, String)>,
}

fn person_row(state: &AppState, t: Tr, names: bool, p: &IncidentPerson) -> PersonRow {
    PersonRow {
        tried: Vec::new(),
        customer_id: p.customer_id.to_string(),
        name: if names {
            p.customer_name.clone()
        } else {
            t.s("incidents.person.hidden").into()
        },
        status: p.status.as_str(),
        status_label: t.s(&format!("incidents.status.{}", p.status.as_str())),
        via: p
            .answered_via
            .map(|v| t.s(&format!("incidents.via.{}", v.as_str())).to_string())
            .unwrap_or_default(),
        at: p
            .answered_at
            .map(|at| local_time(state, at))
            .unwrap_or_default(),
        ticket: p.escalated_ticket_id.map(|id| id.to_string()),
        booking: p.booking_id.map(|id| id.to_string()),
        origin: match p.origin {
            PersonOrigin::Booking => "",
            PersonOrigin::Manual => t.s("incidents.people.manual"),
            PersonOrigin::Guide => t.s("incidents.people.guide"),
        },
    }
}

struct CallRow {
    customer_id: String,
    name: String,
    reason: &'static str,
    since: String,
}

fn call_row(state: &AppState, t: Tr, names: bool, k: &CallTask) -> CallRow {
    CallRow {
        customer_id: k.customer_id.to_string(),
        name: if names {
            k.customer_name.clone()
        } else {
            t.s("incidents.person.hidden").into()
        },
        reason: t.s(&format!("incidents.reason.{}", k.reason.as_str())),
        since: local_time(state, k.created_at),
    }
}

struct Tab {
    label: String,
    href: String,
    current: bool,
}

struct Opt {
    value: String,
    label: String,
}

struct TeamRow {
    key: &'static str,
    label: &'static str,
    /// The user id holding the role, or empty.
    user: String,
    name: String,
}

struct ItemRow {
    key: &'static str,
    role: String,
    text: String,
    done: Option<String>,
    /// A page the item is done on (the manual-handling list), if it has one.
    link: Option<(String, String)>,
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
    /// The days it covers.
    window: String,
    people: u64,
    safe: u64,
    needs_help: u64,
    pending: u64,
    escalated: u64,
    delivered: u64,
    messages_pending: u64,
    messages_dead: u64,
    calls_open: u64,
    calls_done: u64,
    /// Percentages for the bars.
    safe_pct: u64,
    help_pct: u64,
    pending_pct: u64,
    delivered_pct: u64,
    items_pct: u64,
    /// The reports to the authority: first, updates, closing summary.
    authority: Vec<ClockLine>,
    reported: bool,
    handling_ended: bool,
    /// The incident's version, given back by the end-handling and close forms.
    version: i64,
    team: Vec<TeamRow>,
    staff: Vec<Opt>,
    items: Vec<ItemRow>,
    items_done: usize,
    help_rows: Vec<PersonRow>,
    pending_rows: Vec<PersonRow>,
    tabs: Vec<Tab>,
    list_rows: Vec<PersonRow>,
    pager: PagerNav,
    calls: Vec<CallRow>,
    outcomes: Vec<Opt>,
    /// Refunds and postponements offered (not for a drill).
    remedies: Option<RemedyPanel>,
    events: Vec<EventRow>,
    can_manage: bool,
    can_respond: bool,
    /// The broadcast's texts of the incident's kind, Chinese and English, as staff may edit
    /// them before sending (the kind's templates).
    body_zh: String,
    body_en: String,
    /// The template key administrators edit them under.
    template_key: String,
    can_edit_templates: bool,
    /// The board's own address with its list's filter and page (where its forms return).
    back: String,
    posted: &'static str,
    f: FormState,
}

fn pct(n: u64, of: u64) -> u64 {
    (n * 100).checked_div(of).unwrap_or(0)
}

/// The places of the scope (and how many named products, departures, properties).
fn scope_line(t: Tr, b: &Board) -> String {
    let s = &b.incident.scope;
    let mut scope = s.regions.join("、");
    let ids = s.property_ids.len() + s.package_ids.len() + s.departure_ids.len();
    if ids > 0 {
        scope = t.aside(
            &scope,
            &t.s("incidents.scope.ids").replace("{n}", &ids.to_string()),
        );
    }
    scope
}

pub(super) async fn board(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
    pager: Pager,
    Query(q): Query<BoardQuery>,
) -> Response {
    board_page(&state, &user, id, &pager, &q, None).await
}

/// The board, with a refused form as typed when there is one.
pub(super) async fn board_page(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
    pager: &Pager,
    lists: &BoardQuery,
    posted: Option<Posted>,
) -> Response {
    let filter = lists.filter();
    let t = Tr(user.lang);
    let p = &user.principal;
    let b = match state.app.incident_board(p, id).await {
        Ok(b) => b,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let texts = if p.can(Permission::ManageIncidents) {
        match state.app.broadcast_texts(p, &b.incident).await {
            Ok(t) => t,
            Err(e) => return error_page(state, user, "incidents", e),
        }
    } else {
        Vec::new()
    };
    let text_of = |locale: &str| {
        texts
            .iter()
            .find(|x| x.locale == locale)
            .map(|x| x.text.clone())
            .unwrap_or_default()
    };
    let offset = pager.offset(PEOPLE_PAGE);
    let list = match state
        .app
        .incident_people(p, id, filter_of(filter), PEOPLE_PAGE, u64::from(offset))
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let listed: Vec<Uuid> = list.items.iter().map(|x| x.customer_id).collect();
    let tried = match state.app.channels_tried(p, id, &listed).await {
        Ok(t) => t,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let offers = remedies::filter_of(lists.offers.as_deref());
    let remedies = match remedies::panel(state, t, p, &b.incident, pager, offers).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let open = b.incident.state == IncidentState::Open;
    let can_manage = open && p.can(Permission::ManageIncidents);
    // The team form offers the desk's active staff (only a manager sees it).
    let staff = if can_manage {
        state.app.desk_people(p).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let names = p.can(Permission::ViewCustomers);
    let c = &b.counts;
    let count_of = |key: &str| match key {
        "needs_help" => c.needs_help,
        "pending" => c.pending,
        "safe" => c.safe,
        "escalated" => c.escalated,
        _ => c.people,
    };
    let base = format!("/incidents/{id}");
    let tabs = FILTERS
        .iter()
        .map(|key| Tab {
            label: format!(
                "{} {}",
                t.s(&format!("incidents.filter.{key}")),
                count_of(key)
            ),
            href: if *key == "all" {
                format!("{base}#people")
            } else {
                format!("{base}?people={key}#people")
            },
            current: *key == filter,
        })
        .collect();
    let back = crate::ui::flash::without_flash_param(&pager.href(pager.page()));
    let authority = clock_lines(state, t, &b.incident, &b.clocks);
    let items: Vec<ItemRow> = b
        .checklist
        .iter()
        .map(|row| ItemRow {
            key: row.item.key,
            role: t
                .s(&format!("incidents.role.{}", row.item.role.as_str()))
                .into(),
            text: match user.lang {
                crate::i18n::Lang::ZhCn => row.item.zh.into(),
                crate::i18n::Lang::En => row.item.en.into(),
            },
            done: row.tick.as_ref().map(|tk| local_time(state, tk.done_at)),
            link: (row.item.key == "manual_handling").then(|| {
                (
                    "/bookings/manual-list".to_string(),
                    t.s("bookings.manual.link").to_string(),
                )
            }),
        })
        .collect();
    let items_done = items.iter().filter(|i| i.done.is_some()).count();
    let (posted_form, f, status) = match posted {
        Some(p) => (p.form, p.f, p.status),
        None => ("", FormState::default(), StatusCode::OK),
    };
    let page = BoardPage {
        c: Chrome::new(state, user, "incidents"),
        r: row(state, t, &b.incident),
        description: b.incident.description.clone(),
        scope: scope_line(t, &b),
        window: format!("{} – {}", b.incident.scope.from, b.incident.scope.to),
        people: c.people,
        safe: c.safe,
        needs_help: c.needs_help,
        pending: c.pending,
        escalated: c.escalated,
        delivered: b.delivered,
        messages_pending: b.messages_pending,
        messages_dead: b.messages_dead,
        calls_open: c.calls_open,
        calls_done: c.calls_done,
        safe_pct: pct(c.safe, c.people),
        help_pct: pct(c.needs_help, c.people),
        pending_pct: pct(c.pending, c.people),
        delivered_pct: pct(b.delivered, c.people),
        items_pct: pct(items_done as u64, items.len() as u64),
        authority,
        reported: b.incident.reported_at.is_some(),
        handling_ended: b.incident.handling_ended_at.is_some(),
        version: b.incident.version,
        team: TeamRole::ALL
            .iter()
            .map(|role| {
                let held = b.team.iter().find(|(r, _, _)| r == role);
                TeamRow {
                    key: role.as_str(),
                    label: t.s(&format!("incidents.role.{}", role.as_str())),
                    user: held.map(|(_, u, _)| u.to_string()).unwrap_or_default(),
                    name: held.map(|(_, _, n)| n.clone()).unwrap_or_default(),
                }
            })
            .collect(),
        staff: staff
            .iter()
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.display_name.clone(),
            })
            .collect(),
        items_done,
        items,
        help_rows: b
            .needs_help
            .iter()
            .map(|x| person_row(state, t, names, x))
            .collect(),
        pending_rows: b
            .pending
            .iter()
            .map(|x| person_row(state, t, names, x))
            .collect(),
        tabs,
        list_rows: list
            .items
            .iter()
            .map(|x| {
                let mut row = person_row(state, t, names, x);
                row.tried = tried
                    .get(&x.customer_id)
                    .map(|steps| {
                        steps
                            .iter()
                            .map(|c| {
                                (
                                    t.s(&format!("incidents.channel.{}", c.step.as_str()))
                                        .to_string(),
                                    c.mark,
                                    t.s(&format!("incidents.tried.{}", c.mark)).to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                row
            })
            .collect(),
        pager: pager.nav(
            t,
            PEOPLE_PAGE,
            Extent::counted(offset, list.items.len(), count_of(filter)),
        ),
        calls: b
            .calls
            .iter()
            .map(|k| call_row(state, t, names, k))
            .collect(),
        outcomes: CallOutcome::ALL
            .iter()
            .map(|o| Opt {
                value: o.as_str().into(),
                label: t.s(&format!("incidents.outcome.{}", o.as_str())).into(),
            })
            .collect(),
        remedies,
        events: b
            .timeline
            .iter()
            .map(|e| EventRow {
                at: local_time(state, e.at),
                text: event_text(t, b.incident.kind, &e.kind, &e.detail),
            })
            .collect(),
        can_manage,
        can_respond: open && p.can(Permission::RespondToIncidents),
        body_zh: text_of("zh-CN"),
        body_en: text_of("en"),
        template_key: tripdesk_app::emergency::broadcast_template_key(b.incident.kind),
        can_edit_templates: p.can(Permission::ManageNotifications),
        back,
        posted: posted_form,
        f,
    };
    render(status, &page)
}

/// One line of the timeline in the page's language (`incident` names its checklist): every
/// [`tripdesk_domain::emergency::EventKind`] has its text (`timeline_tests` walks them all).
pub(super) fn event_text(t: Tr, incident: IncidentKind, kind: &str, detail: &str) -> String {
    let d: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
    let n = |k: &str| d[k].as_u64().unwrap_or(0).to_string();
    let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
    let key = format!("incidents.event.{kind}");
    if !Tr::has(&key) {
        return kind.to_string();
    }
    let label = |prefix: &str, value: String| {
        let key = format!("incidents.{prefix}.{value}");
        if Tr::has(&key) {
            t.s(&key).to_string()
        } else {
            value
        }
    };
    let done = if d["done"].as_bool() == Some(false) {
        t.s("incidents.event.undone")
    } else {
        ""
    };
    t.s(&key)
        .replace("{people}", &n("people"))
        .replace("{sms}", &n("sms"))
        .replace("{email}", &n("email"))
        .replace("{calls}", &n("calls"))
        .replace("{offered}", &n("offered"))
        .replace("{customers}", &n("customers"))
        .replace("{no_contact}", &n("no_contact"))
        .replace("{choice}", &label("remedy", s("choice")))
        .replace("{amount}", &yuan(d["amount_fen"].as_i64().unwrap_or(0)))
        .replace("{status}", &label("status", s("status")))
        .replace("{via}", &label("via", s("via")))
        .replace("{reason}", &label("reason", s("reason")))
        .replace("{channel}", &label("channel", s("channel")))
        .replace("{failed}", &label("channel", s("failed")))
        .replace("{outcome}", &label("outcome", s("outcome")))
        .replace("{role}", &label("role", s("role")))
        .replace("{ticket}", &s("ticket"))
        .replace("{number}", &n("number"))
        .replace("{item}", &item_text(t, incident, &s("item")))
        .replace("{undone}", done)
        // Last: typed by staff, so whatever braces it holds stay as typed.
        .replace("{what}", &s("what"))
}

/// A checklist item's text in the page's language (its key when the checklist has no such
/// item any more).
fn item_text(t: Tr, incident: IncidentKind, key: &str) -> String {
    match checklist(incident).into_iter().find(|i| i.key == key) {
        Some(i) => match t.0 {
            crate::i18n::Lang::ZhCn => i.zh.into(),
            crate::i18n::Lang::En => i.en.into(),
        },
        None => key.into(),
    }
}
