//! A ticket's page (its timeline, SLA clocks, attachments, reply templates and the next
//! steps the user may take) with the actions posted from it, and intake by an agent.

use crate::i18n::Tr;
use crate::ui::session::{FormData, UiForm, UiUser};
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tripdesk_app::desk::StepRequest;
use tripdesk_app::desk_board::{clock_risk, SlaBadge};
use tripdesk_app::desk_replies::{fill_reply, MessageKind};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::desk::{Compensation, CompensationKind, Level, Step, TicketKind};
use tripdesk_domain::identity::{Permission, Role};
use uuid::Uuid;

use super::inbox::{badge, group_name, label, target_name, target_names, Badge, Opt, Sel};
use super::timeline::{timeline_row, EventRow};
use crate::ui::form::yuan_to_fen;

struct TaskRow {
    kind: String,
    title: String,
    body: String,
}

struct ClockRow {
    name: String,
    badge: Badge,
}

struct TemplateOpt {
    key: String,
    locale: String,
    title: String,
    body: String,
}

struct TemplateGroup {
    label: String,
    items: Vec<TemplateOpt>,
}

#[derive(Template)]
#[template(path = "desk/ticket.html")]
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
    /// The customer's page, for those who may open it.
    customer_href: Option<String>,
    /// Who handles it: the assignee, else "—".
    assignee: String,
    /// Everyone who took a handling step (contact, investigation, solution, result).
    handlers: String,
    /// Who makes the follow-up visit, with when it is planned.
    follow_up: String,
    created: String,
    booking: String,
    group: String,
    compensation: String,
    suggestion: Option<String>,
    clocks: Vec<ClockRow>,
    now_ms: i64,
    events: Vec<EventRow>,
    tasks: Vec<TaskRow>,
    steps: Vec<Opt>,
    levels: Vec<Opt>,
    groups: Vec<Sel>,
    people: Vec<Opt>,
    comp_kinds: Vec<Opt>,
    templates: Vec<TemplateGroup>,
    can_reply: bool,
    /// WeChat's reply window for this customer, when they wrote on WeChat: the sentence,
    /// and whether it is open.
    wechat_window: Option<String>,
    wechat_open: bool,
    can_convert: bool,
    /// An inquiry, and the user may see the catalog: the needs form, from this ticket.
    can_recommend: bool,
    is_closed: bool,
    /// The classification of its text and its surveys' comments, and whether the user may
    /// correct it (the form returns to `back`).
    feedback: Vec<crate::ui::feedback::FeedbackRow>,
    can_correct_feedback: bool,
    back: String,
    attachments: Vec<AttachmentRow>,
    /// The form of this page that was posted and came back (`step`, `reply`, `level`,
    /// `convert`), or empty.
    posted: &'static str,
    /// What was typed in it, with its errors.
    f: FormState,
}

/// A form of the ticket page that came back refused: the page again, that form as typed.
struct Posted {
    form: &'static str,
    f: FormState,
    status: StatusCode,
}

impl Posted {
    /// The use case's field errors (422), labels as the ticket page shows them.
    fn invalid(form: &'static str, typed: &FormData, t: Tr, fields: &[FieldError]) -> Self {
        Self {
            form,
            f: FormState::typed(typed).refused(t, fields, TICKET_LABELS),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// A refusal that is not a field's (a conflict: 409), in the page's language.
    fn refused(form: &'static str, typed: &FormData, message: String, status: StatusCode) -> Self {
        Self {
            form,
            f: FormState::typed(typed).error(form, message),
            status,
        }
    }
}

/// The labels the ticket page's forms show, for their error messages.
const TICKET_LABELS: &[(&str, &str)] = &[
    ("step", "desk.next"),
    ("amount_yuan", "desk.amount_yuan"),
    ("body", "desk.reply.title"),
    ("reason", "desk.reason"),
    ("note", "desk.note"),
    ("cause", "desk.cause"),
    ("level", "desk.level"),
    ("group_id", "desk.group"),
    ("assignee_id", "desk.assignee"),
    ("satisfaction", "desk.satisfaction"),
    ("overall_rating", "desk.rating"),
    ("improvements", "desk.improvements"),
];

/// A use case's refusal that is not about one field, in the page's language: a known code's
/// sentence (`desk.conflict.<code>`), else what `i18n::app_error` says of it.
fn refusal_text(t: Tr, e: &AppError) -> String {
    match e {
        AppError::Conflict { code, .. } if Tr::has(&format!("desk.conflict.{code}")) => {
            t.s(&format!("desk.conflict.{code}")).to_string()
        }
        other => crate::i18n::app_error(t, other),
    }
}

/// The ticket page again after its form `which` was refused, that form as typed: its fields'
/// errors, or `why` the use case refused it (with the status the API would answer).
async fn refused(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
    which: &'static str,
    form: &FormData,
    e: AppError,
    why: fn(Tr, &AppError) -> String,
) -> Response {
    let t = Tr(user.lang);
    let p = match e {
        AppError::Validation(fields) => Posted::invalid(which, form, t, &fields),
        e => Posted::refused(which, form, why(t, &e), crate::problem::status_of(&e)),
    };
    ticket_page(state, user, id, Some(p)).await
}

/// A file on the ticket, as listed on its page.
struct AttachmentRow {
    name: String,
    href: String,
    size: String,
    by: String,
    at: String,
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
        b if b >= 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

async fn ticket_page(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
    posted: Option<Posted>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let d = match state.app.get_ticket(p, id).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "desk", e),
    };
    let timeline = match state.app.ticket_timeline(p, id).await {
        Ok(tl) => tl,
        Err(e) => return error_page(state, user, "desk", e),
    };
    let groups = state.app.desk_groups(p).await.unwrap_or_default();
    let suggestion = state.app.suggested_group(p, id).await.ok().flatten();
    let clocks = state
        .app
        .sla_clocks_of(p, "ticket", &id.to_string())
        .await
        .unwrap_or_default();
    let now = state.app.now();
    let templates = state.app.list_reply_templates(p).await.unwrap_or_default();
    let names = target_names(state, user).await;
    // Agents may not list staff, but the step form needs the people to choose.
    let people = state.app.desk_people(p).await.unwrap_or_default();
    let tk = &d.ticket;
    let name_of = |id: Uuid| {
        people
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| "—".into())
    };
    let follow_up = d
        .tasks
        .iter()
        .rev()
        .find(|k| k.kind == "follow_up")
        .and_then(|k| {
            let who = name_of(k.assignee_id?);
            Some(match (k.done_at, k.due_at) {
                (Some(_), _) => format!("{who} · {}", t.s("desk.follow_up.done")),
                (None, Some(due)) => {
                    format!(
                        "{who} · {} {}",
                        t.s("desk.follow_up.planned"),
                        local_time(state, due)
                    )
                }
                (None, None) => who,
            })
        })
        .unwrap_or_else(|| "—".into());
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
    let vars = [
        ("customer", tk.customer_name.as_str()),
        ("number", tk.number.as_str()),
        ("agent", p.display_name.as_str()),
        ("org", &state.org_name),
    ];
    let mut template_groups: Vec<TemplateGroup> = Vec::new();
    // The page's language first.
    let mut locales = vec![user.lang.code(), user.lang.other().code()];
    locales.dedup();
    for locale in locales {
        let items: Vec<TemplateOpt> = templates
            .iter()
            .filter(|r| r.locale == locale)
            .map(|r| TemplateOpt {
                key: r.key.clone(),
                locale: r.locale.clone(),
                title: format!("{} · ;{}", r.title, r.key),
                body: fill_reply(&r.body, &vars),
            })
            .collect();
        if !items.is_empty() {
            template_groups.push(TemplateGroup {
                label: label(t, "desk.locale", locale),
                items,
            });
        }
    }
    let preselected = tk.group_id.or(suggestion.as_ref().map(|s| s.group_id));
    let wechat_window = state
        .app
        .ticket_wechat_window(p, id)
        .await
        .ok()
        .flatten()
        .map(|w| {
            let text = if w.open {
                t.s(if w.sendable {
                    "desk.wechat.window_open"
                } else {
                    "desk.wechat.window_open_unsent"
                })
                .replace("{until}", &local_time(state, w.closes_at))
            } else {
                t.s("desk.wechat.window_closed")
                    .replace("{since}", &local_time(state, w.closes_at))
            };
            (w.open, text)
        });
    let page = TicketPage {
        wechat_open: wechat_window.as_ref().is_some_and(|w| w.0),
        wechat_window: wechat_window.map(|w| w.1),
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
        customer_href: tk
            .customer_id
            .filter(|_| p.can(Permission::ViewCustomers))
            .map(|c| format!("/customers/{c}")),
        assignee: tk.assignee_id.map(name_of).unwrap_or_else(|| "—".into()),
        handlers: if d.handlers.is_empty() {
            "—".into()
        } else {
            d.handlers
                .iter()
                .map(|h| name_of(*h))
                .collect::<Vec<_>>()
                .join("、")
        },
        follow_up,
        created: local_time(state, tk.created_at),
        booking: tk.booking_ref.clone().unwrap_or_else(|| "—".into()),
        group: tk
            .group_id
            .map(|g| group_name(user.lang, &groups, g))
            .unwrap_or_else(|| "—".into()),
        compensation,
        suggestion: suggestion.as_ref().map(|s| {
            t.aside(
                &group_name(user.lang, &groups, s.group_id),
                &format!("{} {}", t.s("desk.route.by_rule"), s.rule_name),
            )
        }),
        clocks: clocks
            .iter()
            .filter_map(|c| {
                let risk = clock_risk(c, now)?;
                let b = SlaBadge {
                    target_key: c.clock.target_key().to_string(),
                    state: c.clock.state(),
                    risk,
                    due_at: c.clock.due_at(),
                    warn_at: c.clock.warn_at(),
                    provisional: c.clock.provisional(),
                };
                let name = target_name(&names, c.clock.target_key());
                Some(ClockRow {
                    badge: badge(state, t, &b, now, &name),
                    name,
                })
            })
            .collect(),
        now_ms: now.as_millisecond(),
        events: timeline
            .iter()
            .map(|e| timeline_row(state, t, &names, e))
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
        // Only what this user may take now: the domain's rule, so nothing offered is refused.
        steps: d
            .steps_for(p)
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
        groups: groups
            .iter()
            .map(|dp| Sel {
                value: dp.id.to_string(),
                label: group_name(user.lang, &groups, dp.id),
                selected: preselected == Some(dp.id),
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
                    u.department_id
                        .map(|g| group_name(user.lang, &groups, g))
                        .unwrap_or_default()
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
        templates: template_groups,
        can_reply: p.can(Permission::WorkTickets) || p.can(Permission::PerformFollowUp),
        can_convert: tk.kind == TicketKind::Inquiry
            && tk.state.is_open()
            && p.can(Permission::WorkTickets),
        can_recommend: tk.kind == TicketKind::Inquiry && p.can(Permission::ViewBookings),
        is_closed: !tk.state.is_open(),
        feedback: crate::ui::feedback::ticket_rows(state, user, tk.id, &tk.number).await,
        can_correct_feedback: p.can(Permission::WorkTickets),
        back: format!("/desk/tickets/{}", tk.id),
        attachments: d
            .attachments
            .iter()
            .map(|a| AttachmentRow {
                name: a.file_name.clone(),
                href: format!("/api/v1/tickets/{}/attachments/{}", a.ticket_id, a.id),
                size: human_size(a.size_bytes),
                by: a.uploaded_by_name.clone(),
                at: local_time(state, a.created_at),
            })
            .collect(),
        posted: posted.as_ref().map(|p| p.form).unwrap_or(""),
        c: Chrome::new(state, user, "desk"),
        f: FormState::default(),
    };
    let (page, status) = match posted {
        Some(p) => (TicketPage { f: p.f, ..page }, p.status),
        None => (page, StatusCode::OK),
    };
    render(status, &page)
}

/// Adds a reply or an internal note from the ticket page.
pub async fn post_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "desk", AppError::NotFound("ticket"));
    };
    let t = Tr(user.lang);
    let kind = MessageKind::parse(form.get("kind")).unwrap_or(MessageKind::Reply);
    match state
        .app
        .post_ticket_message(&user.principal, id, kind, form.get("body"))
        .await
    {
        Ok(_) => {
            let done = match kind {
                MessageKind::Reply => "desk.flash.replied",
                MessageKind::Note => "desk.flash.noted",
            };
            see_other_with(
                &state,
                &user,
                &format!("/desk/tickets/{id}#timeline"),
                Flash::done(t.s(done)),
            )
        }
        Err(AppError::Conflict {
            code: "wechat_window_closed",
            ..
        }) => {
            // The sentence names when the window closed, in the page's language and zone.
            let since = state
                .app
                .ticket_wechat_window(&user.principal, id)
                .await
                .ok()
                .flatten()
                .map(|w| local_time(&state, w.closes_at))
                .unwrap_or_default();
            let p = Posted::refused(
                "reply",
                &form,
                t.s("desk.conflict.wechat_window_closed")
                    .replace("{since}", &since),
                StatusCode::CONFLICT,
            );
            ticket_page(&state, &user, id, Some(p)).await
        }
        Err(AppError::Conflict {
            code: "ticket_closed",
            ..
        }) => {
            let p = Posted::refused(
                "reply",
                &form,
                t.s("desk.reply.closed").into(),
                StatusCode::CONFLICT,
            );
            ticket_page(&state, &user, id, Some(p)).await
        }
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => {
            error_page(&state, &user, "desk", e)
        }
        Err(e) => refused(&state, &user, id, "reply", &form, e, refusal_text).await,
    }
}

/// Turns an inquiry into a complaint from the ticket page.
pub async fn convert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "desk", AppError::NotFound("ticket"));
    };
    let t = Tr(user.lang);
    if form.get("confirm") != "yes" {
        let p = Posted::refused(
            "convert",
            &form,
            t.s("desk.convert.confirm_needed").into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return ticket_page(&state, &user, id, Some(p)).await;
    }
    match state
        .app
        .convert_to_complaint(&user.principal, id, non_empty(&form, "reason").as_deref())
        .await
    {
        // A complaint goes back to intake for triage: a handler no longer sees it.
        Ok(tk) => {
            let to = if user.principal.sees_ticket(&tk) {
                format!("/desk/tickets/{id}")
            } else {
                "/desk".to_string()
            };
            let done = t.s("desk.flash.converted").replace("{number}", &tk.number);
            see_other_with(&state, &user, &to, Flash::done(done))
        }
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => {
            error_page(&state, &user, "desk", e)
        }
        Err(e) => refused(&state, &user, id, "convert", &form, e, refusal_text).await,
    }
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

pub(super) fn non_empty(form: &FormData, name: &str) -> Option<String> {
    let v = form.get(name).trim();
    (!v.is_empty()).then(|| v.to_string())
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
        let missing = [FieldError::new("step", "required", "choose a step")];
        let p = Posted::invalid("step", &form, t, &missing);
        return ticket_page(&state, &user, id, Some(p)).await;
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
                let bad = [FieldError::new("amount_yuan", "invalid", "not an amount")];
                let p = Posted::invalid("step", &form, t, &bad);
                return ticket_page(&state, &user, id, Some(p)).await;
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
        // A handler who handed the complaint to another group no longer sees it.
        Ok(tk) => {
            let to = if user.principal.sees_ticket(&tk) {
                format!("/desk/tickets/{id}")
            } else {
                "/desk".to_string()
            };
            let done = t
                .s("desk.flash.step")
                .replace("{step}", &label(t, "step", step.as_str()))
                .replace("{number}", &tk.number);
            see_other_with(&state, &user, &to, Flash::done(done))
        }
        Err(AppError::NotFound(_)) => {
            error_page(&state, &user, "desk", AppError::NotFound("ticket"))
        }
        Err(e) => refused(&state, &user, id, "step", &form, e, step_refusal).await,
    }
}

/// Why a step was refused, in the page's language: the permission it needs and who holds
/// it, separation of duties, a pending approval, a state that moved on.
fn step_refusal(t: Tr, e: &AppError) -> String {
    match e {
        AppError::Forbidden(permission) => {
            let key = format!("perm.{permission}");
            let what = if Tr::has(&key) {
                t.s(&key).to_string()
            } else {
                permission.to_string()
            };
            t.s("desk.refused.permission").replace("{p}", &what)
        }
        AppError::InvalidTransition { .. } => t.s("desk.refused.state").into(),
        AppError::Conflict { code, .. } => match *code {
            "separation_of_duties" => t.s("desk.sod").into(),
            "approval_required" => t.s("desk.refused.approval_required").into(),
            "nothing_to_approve" => t.s("desk.refused.nothing_to_approve").into(),
            "concurrent_update" => t.s("desk.refused.concurrent").into(),
            _ => refusal_text(t, e),
        },
        other => crate::i18n::app_error(t, other),
    }
}

/// The triage level changed from the ticket page (with a reason, audited).
pub async fn change_level(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "desk", AppError::NotFound("ticket"));
    };
    let t = Tr(user.lang);
    let Some(level) = Level::parse(form.get("level")) else {
        let missing = [FieldError::new("level", "required", "choose a level")];
        let p = Posted::invalid("level", &form, t, &missing);
        return ticket_page(&state, &user, id, Some(p)).await;
    };
    match state
        .app
        .change_level(&user.principal, id, level, form.get("reason"))
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("/desk/tickets/{id}"),
            Flash::done(
                t.s("desk.flash.level")
                    .replace("{level}", &label(t, "level", level.as_str())),
            ),
        ),
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => {
            error_page(&state, &user, "desk", e)
        }
        Err(e) => refused(&state, &user, id, "level", &form, e, refusal_text).await,
    }
}
