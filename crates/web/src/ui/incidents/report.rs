//! The post-incident report as a page and a PDF (issue 15 item 9): one
//! `tripdesk_pdf::Document` built from [`Report`] in a language — the page's for
//! `/incidents/{id}/report` (HTML through `documents/document.html`, printable), Chinese for
//! `/incidents/{id}/report.pdf` (drawn by the pdf crate on a blocking thread). A drill's
//! report says so in its title, under it and in every page's footer. The page carries the
//! costs form (`POST /incidents/{id}/costs`) for those who may manage incidents; refused, it
//! comes back as typed.

use super::authority::clock_lines;
use super::board::event_text;
use super::form_refused;
use crate::i18n::{Lang, Tr};
use crate::ui::desk::inbox::span_text;
use crate::ui::form::yuan_to_fen;
use crate::ui::session::UiForm;
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use tripdesk_app::emergency::{NewIncidentCost, Report};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::emergency::IncidentState;
use tripdesk_domain::identity::Permission;
use tripdesk_pdf::{Block, Document, Section};
use uuid::Uuid;

/// The labels the costs form shows for its fields.
const COST_LABELS: &[(&str, &str)] = &[
    ("what", "incidents.cost.what"),
    ("amount_fen", "incidents.cost.amount"),
];

fn kv(t: Tr, key: &str, value: impl ToString) -> (String, String) {
    (t.s(key).to_string(), value.to_string())
}

fn table(t: Tr, header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        header: header.iter().map(|k| t.s(k).to_string()).collect(),
        rows,
    }
}

fn para(t: Tr, key: &str) -> Block {
    Block::Paragraph(t.s(key).to_string())
}

/// A headline time: elapsed from the declaration and the clock time, or why there is none.
fn timing(
    state: &AppState,
    t: Tr,
    declared: Timestamp,
    offset: Option<SignedDuration>,
    missing: String,
) -> String {
    match offset {
        Some(d) => t
            .s("incidents.report.t_value")
            .replace("{span}", &span_text(t, d.as_secs()))
            .replace(
                "{at}",
                &declared
                    .checked_add(d)
                    .map(|at| crate::ui::local_time_seconds(state, at))
                    .unwrap_or_default(),
            ),
        None => missing,
    }
}

/// The report as a document in `t`'s language.
pub(super) fn document(state: &AppState, t: Tr, r: &Report) -> Document {
    let i = &r.incident;
    let f = &r.figures;
    let drill = i.drill;
    let label = |prefix: &str, value: &str| t.s(&format!("incidents.{prefix}.{value}")).to_string();
    let mut kind = format!(
        "{} · {}",
        label("kind", i.kind.as_str()),
        label("level", i.level.as_str())
    );
    if let Some(c) = i.warning_colour {
        kind = format!("{kind} · {}", label("warning", c.as_str()));
    }
    let mut meta = vec![kind];
    if drill {
        meta.push(t.s("incidents.report.drill_note").to_string());
    }
    meta.push(
        t.s("incidents.report.scope")
            .replace("{scope}", &i.scope.regions.join("、"))
            .replace("{window}", &format!("{} – {}", i.scope.from, i.scope.to)),
    );
    meta.push(
        t.s("incidents.report.declared_by")
            .replace("{at}", &local_time(state, i.declared_at))
            .replace("{who}", r.staff_name(i.declared_by)),
    );
    meta.push(match (i.state, i.closed_at) {
        (IncidentState::Closed, Some(at)) => t
            .s("incidents.report.state_closed")
            .replace("{at}", &local_time(state, at)),
        _ => t.s("incidents.report.state_open").to_string(),
    });
    meta.push(
        t.s("incidents.report.made")
            .replace("{at}", &local_time(state, state.app.now())),
    );

    let not_reached = |n: usize| {
        t.s("incidents.report.t_not_reached")
            .replace("{n}", &n.to_string())
            .replace("{of}", &f.people.to_string())
    };
    let accounted = f.safe + f.needs_help;
    let timings = Section {
        heading: t.s("incidents.report.timings").into(),
        blocks: vec![
            Block::Highlight {
                label: t.s("incidents.report.t_declared").into(),
                value: crate::ui::local_time_seconds(state, i.declared_at),
            },
            Block::Highlight {
                label: t.s("incidents.report.t_first").into(),
                value: timing(
                    state,
                    t,
                    i.declared_at,
                    f.first_message,
                    t.s("incidents.report.t_none").into(),
                ),
            },
            Block::Highlight {
                label: t.s("incidents.report.t_delivered").into(),
                value: timing(
                    state,
                    t,
                    i.declared_at,
                    f.delivered_90,
                    not_reached(f.delivered),
                ),
            },
            Block::Highlight {
                label: t.s("incidents.report.t_accounted").into(),
                value: timing(
                    state,
                    t,
                    i.declared_at,
                    f.accounted_90,
                    not_reached(accounted),
                ),
            },
            para(t, "incidents.report.t_hint"),
        ],
    };

    let people = Section {
        heading: t.s("incidents.report.people").into(),
        blocks: vec![
            Block::KeyValues(vec![
                kv(t, "incidents.board.people", f.people),
                kv(t, "incidents.board.delivered", f.delivered),
                kv(t, "incidents.status.safe", f.safe),
                kv(t, "incidents.status.needs_help", f.needs_help),
                kv(t, "incidents.status.pending", f.not_answered),
                kv(t, "incidents.board.escalated", r.counts.escalated),
            ]),
            Block::Paragraph(
                t.s("incidents.report.calls")
                    .replace("{done}", &r.counts.calls_done.to_string())
                    .replace("{open}", &r.counts.calls_open.to_string()),
            ),
        ],
    };

    let mut needs = Vec::new();
    if r.needs.is_empty() {
        needs.push(para(t, "incidents.report.needs_none"));
    } else {
        let rows = r
            .needs
            .iter()
            .map(|n| {
                let name = if r.names {
                    n.person.customer_name.clone()
                } else {
                    t.s("incidents.person.hidden").to_string()
                };
                let (ticket, ticket_state) = match &n.ticket {
                    Some((_, number, s)) => (number.clone(), t.s(&format!("state.{}", s.as_str()))),
                    None => ("—".into(), "—"),
                };
                vec![
                    name,
                    label("status", n.person.status.as_str()),
                    ticket,
                    ticket_state.to_string(),
                    t.s(if n.open() {
                        "incidents.report.need_open"
                    } else {
                        "incidents.report.need_done"
                    })
                    .to_string(),
                ]
            })
            .collect();
        needs.push(table(
            t,
            &[
                "incidents.report.col_name",
                "incidents.report.col_status",
                "incidents.report.col_ticket",
                "incidents.report.col_ticket_state",
                "incidents.report.col_need",
            ],
            rows,
        ));
        if r.needs_more {
            needs.push(para(t, "incidents.report.needs_more"));
        }
    }

    let m = &r.remedies;
    let remedies = if m.offered + m.refund + m.postpone + m.withdrawn == 0 {
        vec![para(
            t,
            if drill {
                "incidents.report.remedies_drill"
            } else {
                "incidents.report.remedies_none"
            },
        )]
    } else {
        vec![Block::KeyValues(vec![
            kv(t, "incidents.report.r_offered", m.offered),
            kv(t, "incidents.report.r_refund", m.refund),
            kv(t, "incidents.report.r_postpone", m.postpone),
            kv(t, "incidents.report.r_withdrawn", m.withdrawn),
            kv(
                t,
                "incidents.report.r_refund_fen",
                yuan(r.totals.refunds_fen),
            ),
            kv(
                t,
                "incidents.report.r_offered_fen",
                yuan(r.totals.offered_refunds_fen),
            ),
        ])]
    };

    let mut costs = Vec::new();
    if r.costs.is_empty() {
        costs.push(para(t, "incidents.report.costs_none"));
    } else {
        costs.push(table(
            t,
            &[
                "incidents.report.col_at",
                "incidents.report.col_what",
                "incidents.report.col_amount",
                "incidents.report.col_by",
            ],
            r.costs
                .iter()
                .map(|c| {
                    vec![
                        local_time(state, c.entered_at),
                        c.what.clone(),
                        yuan(c.amount_fen),
                        c.entered_by_name.clone(),
                    ]
                })
                .collect(),
        ));
    }
    costs.push(Block::KeyValues(vec![
        (
            t.s("incidents.report.c_entered")
                .replace("{n}", &r.totals.lines.to_string()),
            yuan(r.totals.entered_fen),
        ),
        (
            t.s("incidents.report.c_refunds")
                .replace("{n}", &r.totals.refunds.to_string()),
            yuan(r.totals.refunds_fen),
        ),
        kv(t, "incidents.report.c_total", yuan(r.total_fen())),
    ]));

    let team = r
        .team
        .iter()
        .map(|(role, user)| {
            kv(
                t,
                &format!("incidents.role.{}", role.as_str()),
                r.staff_name(Some(*user)),
            )
        })
        .collect::<Vec<_>>();
    let done = r.checklist.iter().filter(|c| c.tick.is_some()).count();
    let checklist = table(
        t,
        &[
            "incidents.report.col_item",
            "incidents.report.col_role",
            "incidents.report.col_done",
            "incidents.report.col_done_by",
        ],
        r.checklist
            .iter()
            .map(|c| {
                let text = match t.0 {
                    Lang::ZhCn => c.item.zh,
                    Lang::En => c.item.en,
                };
                let (at, by) = match &c.tick {
                    Some(tk) => (
                        local_time(state, tk.done_at),
                        r.staff_name(tk.done_by).to_string(),
                    ),
                    None => ("—".into(), String::new()),
                };
                vec![
                    text.to_string(),
                    label("role", c.item.role.as_str()),
                    at,
                    by,
                ]
            })
            .collect(),
    );
    let timeline = table(
        t,
        &[
            "incidents.report.col_at",
            "incidents.report.col_event",
            "incidents.report.col_actor",
        ],
        r.timeline
            .iter()
            .map(|e| {
                vec![
                    crate::ui::local_time_seconds(state, e.at),
                    event_text(t, i.kind, &e.kind, &e.detail),
                    r.staff_name(e.actor_id).to_string(),
                ]
            })
            .collect(),
    );
    let summary = match &i.closing_summary {
        Some(s) if !s.is_empty() => Block::Paragraph(s.clone()),
        _ => para(t, "incidents.report.summary_none"),
    };
    let section = |key: &str, blocks: Vec<Block>| Section {
        heading: t.s(key).into(),
        blocks,
    };
    let mut sections = vec![
        timings,
        people,
        section("incidents.report.needs", needs),
        section("incidents.report.remedies", remedies),
        section("incidents.report.costs", costs),
        section(
            "incidents.report.authority",
            vec![Block::KeyValues(
                clock_lines(state, t, i, &r.clocks)
                    .into_iter()
                    .map(|l| (l.label, l.text))
                    .collect(),
            )],
        ),
    ];
    if !team.is_empty() {
        sections.push(section(
            "incidents.report.team",
            vec![Block::KeyValues(team)],
        ));
    }
    sections.push(Section {
        heading: t
            .s("incidents.report.checklist")
            .replace("{n}", &done.to_string())
            .replace("{of}", &r.checklist.len().to_string()),
        blocks: vec![checklist],
    });
    sections.push(section("incidents.report.summary", vec![summary]));
    sections.push(section("incidents.report.timeline", vec![timeline]));

    let mut title = format!("{} · {}", i.title, t.s("incidents.report.title"));
    let mut footer = format!("{} · {}", state.org_name, title);
    if drill {
        title = format!("{}{title}", t.s("incidents.report.drill_title"));
        footer = format!("{} · {footer}", t.s("incidents.report.drill_footer"));
    }
    Document {
        title,
        meta,
        sections,
        footer: Some(footer),
    }
}

#[derive(Template)]
#[template(path = "incidents/report.html")]
struct ReportPage {
    c: Chrome,
    id: String,
    title: String,
    drill: bool,
    doc: Document,
    doc_lang: &'static str,
    /// The costs form, for those who may manage incidents.
    can_cost: bool,
    f: FormState,
}

async fn report_page(state: &AppState, user: &UiUser, id: Uuid, f: FormState) -> Response {
    let t = Tr(user.lang);
    let r = match state.app.incident_report(&user.principal, id).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let page = ReportPage {
        c: Chrome::new(state, user, "incidents"),
        id: id.to_string(),
        title: r.incident.title.clone(),
        drill: r.incident.drill,
        doc: document(state, t, &r),
        doc_lang: match user.lang {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        },
        can_cost: user.principal.can(Permission::ManageIncidents),
        f,
    };
    render(page.f.status(), &page)
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
) -> Response {
    report_page(&state, &user, id, FormState::default()).await
}

/// The report in Chinese as PDF.
pub(super) async fn pdf(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<Uuid>,
) -> Response {
    let r = match state.app.incident_report(&user.principal, id).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, &user, "incidents", e),
    };
    let doc = document(&state, Tr(Lang::ZhCn), &r);
    match state.render_pdf(doc).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"incident-report-{id}.pdf\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(&state, &user, "incidents", e),
    }
}

/// The costs form's post: back to the report with a notice, or the report again with the
/// form as typed and its errors beside the fields (422).
pub(super) async fn add_cost(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let amount = yuan_to_fen(form.get("amount"));
    let Some(amount_fen) = amount.filter(|f| *f > 0) else {
        let mut fields = vec![FieldError::new(
            "amount_fen",
            "invalid",
            "an amount in yuan",
        )];
        if form.get("what").trim().is_empty() {
            fields.push(FieldError::new("what", "required", "what is required"));
        }
        let f = form_refused(t, &form, &fields, COST_LABELS);
        return report_page(&state, &user, id, f).await;
    };
    let input = NewIncidentCost {
        what: form.get("what").to_string(),
        amount_fen,
    };
    match state
        .app
        .add_incident_cost(&user.principal, id, input)
        .await
    {
        Ok(cost) => see_other_with(
            &state,
            &user,
            &format!("/incidents/{id}/report#costs"),
            Flash::done(
                t.s("incidents.flash.cost")
                    .replace("{what}", &cost.what)
                    .replace("{amount}", &yuan(cost.amount_fen)),
            ),
        ),
        Err(AppError::Validation(fields)) => {
            let f = form_refused(t, &form, &fields, COST_LABELS);
            report_page(&state, &user, id, f).await
        }
        Err(e) => error_page(&state, &user, "incidents", e),
    }
}
