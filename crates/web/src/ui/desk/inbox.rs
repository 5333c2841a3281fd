//! The desk's inbox: its queues with their counts, the filters, and each ticket's SLA badge.

use crate::i18n::{Lang, Tr};
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::UiUser;
use crate::ui::{error_page, local_time, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use tripdesk_app::desk_board::{is_queue, InboxFilters, InboxRequest, SlaBadge};
use tripdesk_domain::desk::{Channel, Level, State as TicketState, TicketKind};
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{Department, SlaRisk};
use uuid::Uuid;

pub(super) struct Opt {
    pub(super) value: String,
    pub(super) label: String,
}

pub(super) fn label(t: Tr, prefix: &str, key: &str) -> String {
    t.s(&format!("{prefix}.{key}")).to_string()
}

struct QueueTab {
    key: &'static str,
    label: String,
    /// One of the user's role queues (what waits for them), shown first.
    role: bool,
    /// A role queue with work in it.
    waiting: bool,
    /// The badge: the count, or `999+` at the cap.
    count: String,
    active: bool,
    href: String,
}

/// An option of a select, with whether it is chosen.
pub(super) struct Sel {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// An SLA badge as the page shows it; `app.js` counts it down from `due_ms`.
pub(crate) struct Badge {
    pub risk: &'static str,
    pub paused: bool,
    pub due_ms: i64,
    pub warn_ms: i64,
    pub text: String,
    pub title: String,
    /// Computed on a provisional calendar year: marked so next to the badge.
    pub provisional: bool,
}

/// `12:05` under an hour, `3小时05分` / `3h 05m` under a day, `2天3小时` / `2d 3h` beyond.
pub(crate) fn span_text(t: Tr, secs: i64) -> String {
    let s = secs.abs();
    let (d, h, m) = (
        t.s("desk.sla.unit_d"),
        t.s("desk.sla.unit_h"),
        t.s("desk.sla.unit_m"),
    );
    if s < 3600 {
        format!("{:02}:{:02}", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}{h}{:02}{m}", s / 3600, s % 3600 / 60)
    } else {
        format!("{}{d}{}{h}", s / 86_400, s % 86_400 / 3600)
            .trim()
            .to_string()
    }
}

/// SLA target keys → their names in the page's language.
pub(crate) async fn target_names(state: &AppState, user: &UiUser) -> HashMap<String, String> {
    state
        .app
        .list_sla_policies(&user.principal)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let name = if user.lang == Lang::ZhCn {
                p.target.name_zh.to_string()
            } else {
                p.target.name_en.to_string()
            };
            (p.target.key.to_string(), name)
        })
        .collect()
}

pub(crate) fn target_name(names: &HashMap<String, String>, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| key.to_string())
}

pub(crate) fn badge(
    state: &AppState,
    t: Tr,
    b: &SlaBadge,
    now: jiff::Timestamp,
    name: &str,
) -> Badge {
    let paused = b.state == ClockState::Paused;
    let left = (b.due_at.as_millisecond() - now.as_millisecond()) / 1000;
    let text = if paused {
        t.s("desk.sla.paused").to_string()
    } else if b.risk == SlaRisk::Breached {
        t.s("desk.sla.over")
            .replace("{t}", &span_text(t, left.min(0)))
    } else {
        t.s("desk.sla.left").replace("{t}", &span_text(t, left))
    };
    Badge {
        risk: b.risk.as_str(),
        paused,
        due_ms: b.due_at.as_millisecond(),
        warn_ms: b.warn_at.map(|w| w.as_millisecond()).unwrap_or(0),
        text,
        title: format!(
            "{} · {} {}{}",
            name,
            t.s("desk.sla.due"),
            local_time(state, b.due_at),
            if b.provisional {
                format!(" {}", t.s("calendar.provisional"))
            } else {
                String::new()
            }
        ),
        provisional: b.provisional,
    }
}

/// Tickets per page of a queue.
const PAGE: u32 = 100;

struct Row {
    id: Uuid,
    number: String,
    level: &'static str,
    level_label: String,
    kind_label: String,
    subject: String,
    customer: String,
    state_label: String,
    channel_label: String,
    group: String,
    created: String,
    badge: Option<Badge>,
}

#[derive(Template)]
#[template(path = "desk/inbox.html")]
struct InboxPage {
    c: Chrome,
    queues: Vec<QueueTab>,
    queue: &'static str,
    rows: Vec<Row>,
    total_label: String,
    pager: PagerNav,
    now_ms: i64,
    kinds: Vec<Sel>,
    levels: Vec<Sel>,
    states: Vec<Sel>,
    channels: Vec<Sel>,
    groups: Vec<Sel>,
    filtered: bool,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    queue: Option<String>,
    kind: Option<String>,
    level: Option<String>,
    state: Option<String>,
    channel: Option<String>,
    group_id: Option<String>,
}

pub(super) fn group_name(lang: Lang, groups: &[Department], id: Uuid) -> String {
    groups
        .iter()
        .find(|d| d.id == id)
        .map(|d| {
            if lang == Lang::ZhCn {
                d.name_zh.clone()
            } else {
                d.name_en.clone()
            }
        })
        .unwrap_or_default()
}

fn sels<T: Copy + PartialEq>(
    t: Tr,
    prefix: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    chosen: Option<T>,
) -> Vec<Sel> {
    all.iter()
        .map(|v| Sel {
            value: name(*v).into(),
            label: label(t, prefix, name(*v)),
            selected: chosen == Some(*v),
        })
        .collect()
}

pub async fn inbox(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<InboxQuery>,
    pager: Pager,
) -> Response {
    let t = Tr(user.lang);
    let queue = q.queue.as_deref().filter(|k| is_queue(k)).unwrap_or("open");
    let filters = InboxFilters {
        kind: q.kind.as_deref().and_then(TicketKind::parse),
        level: q.level.as_deref().and_then(Level::parse),
        state: q.state.as_deref().and_then(TicketState::parse),
        channel: q.channel.as_deref().and_then(Channel::parse),
        group_id: q.group_id.as_deref().and_then(|g| Uuid::parse_str(g).ok()),
    };
    let page = match state
        .app
        .desk_inbox(
            &user.principal,
            &InboxRequest {
                queue: queue.into(),
                filters: filters.clone(),
                limit: PAGE,
                offset: pager.offset(PAGE),
                with_counts: true,
            },
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "desk", e),
    };
    let groups = state
        .app
        .desk_groups(&user.principal)
        .await
        .unwrap_or_default();
    let names = target_names(&state, &user).await;
    // The filters carried by every tab link.
    let mut carried = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("kind", filters.kind.map(|x| x.as_str().to_string())),
        ("level", filters.level.map(|x| x.as_str().to_string())),
        ("state", filters.state.map(|x| x.as_str().to_string())),
        ("channel", filters.channel.map(|x| x.as_str().to_string())),
        ("group_id", filters.group_id.map(|x| x.to_string())),
    ] {
        if let Some(v) = v {
            carried.append_pair(k, &v);
        }
    }
    let carried = carried.finish();
    let queues = page
        .counts
        .iter()
        .map(|(key, count)| QueueTab {
            key,
            role: tripdesk_app::role_queues::role_queue(key).is_some(),
            waiting: *count > 0,
            label: match tripdesk_app::role_queues::role_queue(key) {
                Some(_) => crate::ui::queues::label(t, key).to_string(),
                None => label(t, "desk.queue", key),
            },
            count: tripdesk_app::desk_board::badge(*count),
            active: *key == page.queue,
            href: if carried.is_empty() {
                format!("/desk?queue={key}")
            } else {
                format!("/desk?queue={key}&{carried}")
            },
        })
        .collect();
    let rows =
        page.tickets
            .iter()
            .map(|it| {
                let tk = &it.ticket;
                Row {
                    id: tk.id,
                    number: tk.number.clone(),
                    level: tk.level.as_str(),
                    level_label: label(t, "level", tk.level.as_str()),
                    kind_label: label(t, "kind", tk.kind.as_str()),
                    subject: tk.subject.clone(),
                    customer: tk.customer_name.clone(),
                    state_label: label(t, "state", tk.state.as_str()),
                    channel_label: label(t, "channel", tk.channel.as_str()),
                    group: tk
                        .group_id
                        .map(|g| group_name(user.lang, &groups, g))
                        .unwrap_or_default(),
                    created: local_time(&state, tk.created_at),
                    badge: it.badge.as_ref().map(|b| {
                        badge(&state, t, b, page.now, &target_name(&names, &b.target_key))
                    }),
                }
            })
            .collect();
    let filtered = filters.kind.is_some()
        || filters.level.is_some()
        || filters.state.is_some()
        || filters.channel.is_some()
        || filters.group_id.is_some();
    // A count at the cap ("999+") is a lower bound: the next page is offered while pages
    // come full, and the number of pages is not claimed.
    let shown = page.tickets.len();
    let extent = if page.total >= tripdesk_app::desk_board::QUEUE_COUNT_CAP {
        Extent::more(shown as u32 == PAGE)
    } else {
        Extent::counted(pager.offset(PAGE), shown, page.total)
    };
    let page = InboxPage {
        pager: pager.nav(t, PAGE, extent),
        queues,
        queue: page.queue,
        rows,
        total_label: t
            .s("desk.count")
            .replace("{n}", &tripdesk_app::desk_board::badge(page.total)),
        now_ms: page.now.as_millisecond(),
        kinds: sels(
            t,
            "kind",
            &TicketKind::ALL,
            TicketKind::as_str,
            filters.kind,
        ),
        levels: sels(t, "level", &Level::ALL, Level::as_str, filters.level),
        states: sels(
            t,
            "state",
            &TicketState::ALL,
            TicketState::as_str,
            filters.state,
        ),
        channels: sels(
            t,
            "channel",
            &Channel::ALL,
            Channel::as_str,
            filters.channel,
        ),
        groups: groups
            .iter()
            .map(|d| Sel {
                value: d.id.to_string(),
                label: group_name(user.lang, &groups, d.id),
                selected: filters.group_id == Some(d.id),
            })
            .collect(),
        filtered,
        c: Chrome::new(&state, &user, "desk"),
    };
    render(StatusCode::OK, &page)
}
