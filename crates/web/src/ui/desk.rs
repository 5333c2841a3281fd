//! The desk pages: the inbox with its queues, a ticket with its timeline and next step, and
//! intake by an agent.

use super::session::{FormData, UiForm, UiUser};
use super::{error_page, local_time, render, see_other, Chrome};
use crate::i18n::{Lang, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tripdesk_app::desk::{NewTicket, StepRequest};
use tripdesk_app::desk_queues::badge;
use tripdesk_app::AppError;
use tripdesk_domain::desk::{Channel, Compensation, CompensationKind, Level, Step, TicketKind};
use tripdesk_domain::identity::Role;
use tripdesk_store::{Ticket, TicketFilter, UserFilter};
use uuid::Uuid;

struct Opt {
    value: String,
    label: String,
}

fn label(t: Tr, prefix: &str, key: &str) -> String {
    t.s(&format!("{prefix}.{key}")).to_string()
}

struct QueueTab {
    key: &'static str,
    label: String,
    /// The badge: the count, or `999+`.
    count: String,
    active: bool,
}

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
    created: String,
}

#[derive(Template)]
#[template(path = "desk_inbox.html")]
struct InboxPage {
    c: Chrome,
    queues: Vec<QueueTab>,
    rows: Vec<Row>,
    total_label: String,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    queue: Option<String>,
}

const QUEUES: [&str; 6] = ["open", "mine", "my_group", "unassigned", "urgent", "all"];

fn queue_filter(queue: &str, user: &UiUser) -> TicketFilter {
    let mut f = TicketFilter {
        open_only: true,
        limit: 100,
        ..Default::default()
    };
    match queue {
        "mine" => f.assignee_id = Some(user.principal.user_id),
        "my_group" => f.group_id = Some(user.principal.department_id.unwrap_or(Uuid::nil())),
        "unassigned" => f.unassigned = true,
        "urgent" => f.level = Some(Level::Urgent),
        "all" => f.open_only = false,
        _ => {}
    }
    f
}

pub async fn inbox(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<InboxQuery>,
) -> Response {
    let t = Tr(user.lang);
    let current = q
        .queue
        .as_deref()
        .filter(|k| QUEUES.contains(k))
        .unwrap_or("open");
    // One read: the page shown and every badge (capped, so no badge scans the table).
    let filters: Vec<TicketFilter> = QUEUES.iter().map(|k| queue_filter(k, &user)).collect();
    let index = QUEUES.iter().position(|k| *k == current).unwrap_or(0);
    let page = match state
        .app
        .desk_queues(&user.principal, &filters[index], &filters)
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "desk", e),
    };
    let queues = QUEUES
        .iter()
        .zip(&page.counts)
        .map(|(&key, &n)| QueueTab {
            key,
            label: label(t, "desk.queue", key),
            count: badge(n),
            active: key == current,
        })
        .collect();
    let shown = (page.tickets, page.counts[index]);
    let rows = shown.0.iter().map(|tk| row(&state, t, tk)).collect();
    let page = InboxPage {
        queues,
        rows,
        total_label: t.s("users.count").replace("{n}", &badge(shown.1)),
        c: Chrome::new(&state, &user, "desk"),
    };
    render(StatusCode::OK, &page)
}

fn row(state: &AppState, t: Tr, tk: &Ticket) -> Row {
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
        created: local_time(state, tk.created_at),
    }
}

struct EventRow {
    at: String,
    actor: String,
    what: String,
    body: Option<String>,
    effects: String,
}

struct TaskRow {
    kind: String,
    title: String,
    body: String,
}

#[derive(Template)]
#[template(path = "desk_ticket.html")]
struct TicketPage {
    c: Chrome,
    id: Uuid,
    number: String,
    subject: String,
    description: String,
    level: &'static str,
    level_label: String,
    kind_label: String,
    state_label: String,
    channel_label: String,
    customer: String,
    created: String,
    booking: String,
    group: String,
    compensation: String,
    events: Vec<EventRow>,
    tasks: Vec<TaskRow>,
    steps: Vec<Opt>,
    levels: Vec<Opt>,
    groups: Vec<Opt>,
    people: Vec<Opt>,
    comp_kinds: Vec<Opt>,
    error: Option<String>,
}

async fn ticket_page(state: &AppState, user: &UiUser, id: Uuid, error: Option<String>) -> Response {
    let t = Tr(user.lang);
    let d = match state.app.get_ticket(&user.principal, id).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "desk", e),
    };
    let depts = state
        .app
        .list_departments(&user.principal)
        .await
        .unwrap_or_default();
    let dept_name = |id: Uuid| {
        depts
            .iter()
            .find(|(d, _)| d.id == id)
            .map(|(d, _)| {
                if user.lang == Lang::ZhCn {
                    d.name_zh.clone()
                } else {
                    d.name_en.clone()
                }
            })
            .unwrap_or_default()
    };
    let people = state
        .app
        .list_users(
            &user.principal,
            &UserFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .map(|p| p.users)
        .unwrap_or_default();
    let tk = &d.ticket;
    let compensation = match (tk.compensation_kind, tk.compensation_amount_fen) {
        (Some(k), Some(fen)) => format!(
            "{} ¥{}.{:02}{}",
            label(t, "comp", k.as_str()),
            fen / 100,
            fen % 100,
            if tk.compensation_approved_at.is_some() {
                format!(" · {}", t.s("desk.approved"))
            } else if fen > tripdesk_app::desk::DEFAULT_APPROVAL_THRESHOLD_FEN {
                format!(" · {}", t.s("desk.pending_approval"))
            } else {
                String::new()
            }
        ),
        _ => "—".into(),
    };
    let page = TicketPage {
        id: tk.id,
        number: tk.number.clone(),
        subject: tk.subject.clone(),
        description: tk.description.clone(),
        level: tk.level.as_str(),
        level_label: label(t, "level", tk.level.as_str()),
        kind_label: label(t, "kind", tk.kind.as_str()),
        state_label: label(t, "state", tk.state.as_str()),
        channel_label: label(t, "channel", tk.channel.as_str()),
        customer: tk.customer_name.clone(),
        created: local_time(state, tk.created_at),
        booking: tk.booking_ref.clone().unwrap_or_else(|| "—".into()),
        group: tk.group_id.map(dept_name).unwrap_or_else(|| "—".into()),
        compensation,
        events: d
            .events
            .iter()
            .map(|e| EventRow {
                at: local_time(state, e.at),
                actor: e.actor_name.clone(),
                what: match (&e.step, &e.to_state) {
                    (Some(step), Some(to)) => {
                        format!("{} → {}", label(t, "step", step), label(t, "state", to))
                    }
                    _ => label(t, "state", e.to_state.as_deref().unwrap_or("received")),
                },
                body: e.body.clone(),
                effects: e
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                    .and_then(|v| v["effects"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        tasks: d
            .tasks
            .iter()
            .map(|k| TaskRow {
                kind: k.kind.clone(),
                title: k.title.clone(),
                body: k.body.clone(),
            })
            .collect(),
        steps: d
            .next_steps
            .iter()
            .map(|s| Opt {
                value: s.as_str().into(),
                label: label(t, "step", s.as_str()),
            })
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| Opt {
                value: l.as_str().into(),
                label: label(t, "level", l.as_str()),
            })
            .collect(),
        groups: depts
            .iter()
            .map(|(dp, _)| Opt {
                value: dp.id.to_string(),
                label: if user.lang == Lang::ZhCn {
                    dp.name_zh.clone()
                } else {
                    dp.name_en.clone()
                },
            })
            .collect(),
        people: people
            .iter()
            .filter(|u| {
                u.roles
                    .iter()
                    .any(|r| matches!(r, Role::Handler | Role::FollowUp | Role::Supervisor))
            })
            .map(|u| Opt {
                value: u.id.to_string(),
                label: format!(
                    "{} · {}",
                    u.display_name,
                    u.department_id.map(dept_name).unwrap_or_default()
                ),
            })
            .collect(),
        comp_kinds: CompensationKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: label(t, "comp", k.as_str()),
            })
            .collect(),
        error,
        c: Chrome::new(state, user, "desk"),
    };
    render(StatusCode::OK, &page)
}

pub async fn ticket(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => ticket_page(&state, &user, id, None).await,
        Err(_) => error_page(&state, &user, "desk", AppError::NotFound("ticket")),
    }
}

fn uuid_field(form: &FormData, name: &str) -> Option<Uuid> {
    Uuid::parse_str(form.get(name)).ok()
}

fn non_empty(form: &FormData, name: &str) -> Option<String> {
    let v = form.get(name).trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// "12.5" yuan → 1250 fen; `None` when not a non-negative amount with at most two decimals.
fn yuan_to_fen(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

pub async fn take_step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "desk", AppError::NotFound("ticket"));
    };
    let t = Tr(user.lang);
    let Some(step) = Step::ALL
        .into_iter()
        .find(|s| s.as_str() == form.get("step"))
    else {
        return ticket_page(&state, &user, id, Some(t.s("desk.next").to_string())).await;
    };
    let compensation = match (
        CompensationKind::parse(form.get("compensation_kind")),
        form.get("amount_yuan").trim(),
    ) {
        (Some(CompensationKind::Apology), _) => Some(Compensation {
            kind: CompensationKind::Apology,
            amount_fen: 0,
        }),
        (Some(kind), amount) => match yuan_to_fen(amount) {
            Some(fen) => Some(Compensation {
                kind,
                amount_fen: fen,
            }),
            None => {
                return ticket_page(
                    &state,
                    &user,
                    id,
                    Some(format!(
                        "{}: {}",
                        t.s("desk.amount_yuan"),
                        form.get("amount_yuan")
                    )),
                )
                .await
            }
        },
        (None, _) => None,
    };
    let req = StepRequest {
        level: Level::parse(form.get("level")),
        group_id: uuid_field(&form, "group_id"),
        assignee_id: uuid_field(&form, "assignee_id"),
        compensation,
        satisfaction: form.get("satisfaction").trim().parse().ok(),
        overall_rating: form.get("overall_rating").trim().parse().ok(),
        suggestions: None,
        reason: non_empty(&form, "reason"),
        reopen: form.get("reopen") == "true",
        note: non_empty(&form, "note"),
        cause: non_empty(&form, "cause"),
        responsible_department_id: None,
        responsible_person: None,
        scheduled_at: None,
        improvements: form
            .get("improvements")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    };
    match state.app.apply_step(&user.principal, id, step, req).await {
        Ok(_) => see_other(&format!("/desk/tickets/{id}")),
        Err(AppError::NotFound(_)) => {
            error_page(&state, &user, "desk", AppError::NotFound("ticket"))
        }
        Err(AppError::Validation(fields)) => {
            let msg = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            ticket_page(&state, &user, id, Some(msg)).await
        }
        Err(e) => ticket_page(&state, &user, id, Some(e.to_string())).await,
    }
}

#[derive(Template)]
#[template(path = "desk_new.html")]
struct NewPage {
    c: Chrome,
    errors: Vec<String>,
    kinds: Vec<Opt>,
    channels: Vec<Opt>,
    levels: Vec<Opt>,
}

fn new_page(state: &AppState, user: &UiUser, errors: Vec<String>) -> Response {
    let t = Tr(user.lang);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &NewPage {
            errors,
            kinds: TicketKind::ALL
                .iter()
                .rev()
                .map(|k| Opt {
                    value: k.as_str().into(),
                    label: label(t, "kind", k.as_str()),
                })
                .collect(),
            channels: Channel::ALL
                .iter()
                .map(|k| Opt {
                    value: k.as_str().into(),
                    label: label(t, "channel", k.as_str()),
                })
                .collect(),
            levels: Level::ALL
                .iter()
                .map(|k| Opt {
                    value: k.as_str().into(),
                    label: label(t, "level", k.as_str()),
                })
                .collect(),
            c: Chrome::new(state, user, "desk"),
        },
    )
}

pub async fn new_ticket(State(state): State<AppState>, user: UiUser) -> Response {
    new_page(&state, &user, Vec::new())
}

pub async fn create_ticket(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let (Some(kind), Some(channel)) = (
        TicketKind::parse(form.get("kind")),
        Channel::parse(form.get("channel")),
    ) else {
        return new_page(&state, &user, vec!["kind / channel".into()]);
    };
    let input = NewTicket {
        kind,
        channel,
        level: Level::parse(form.get("level")),
        subject: form.get("subject").into(),
        description: form.get("description").into(),
        customer_name: form.get("customer_name").into(),
        customer_phone: non_empty(&form, "customer_phone"),
        customer_email: non_empty(&form, "customer_email"),
        customer_id: None,
        booking_ref: non_empty(&form, "booking_ref"),
        business_area: None,
        tags: vec![],
    };
    match state.app.create_ticket(&user.principal, input).await {
        Ok(tk) => see_other(&format!("/desk/tickets/{}", tk.id)),
        Err(AppError::Validation(fields)) => new_page(
            &state,
            &user,
            fields.into_iter().map(|f| f.message).collect(),
        ),
        Err(e) => error_page(&state, &user, "desk", e),
    }
}

#[cfg(test)]
mod tests {
    use super::yuan_to_fen;

    #[test]
    fn yuan_amounts() {
        assert_eq!(yuan_to_fen("800"), Some(80_000));
        assert_eq!(yuan_to_fen("12.5"), Some(1_250));
        assert_eq!(yuan_to_fen("0.05"), Some(5));
        assert_eq!(yuan_to_fen("1.234"), None);
        assert_eq!(yuan_to_fen("-1"), None);
        assert_eq!(yuan_to_fen(""), None);
        assert_eq!(yuan_to_fen("abc"), None);
    }
}
