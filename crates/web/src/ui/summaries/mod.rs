//! The periodic summaries (`/reports`, issue 18 item 3) for supervisors and managers: the
//! recent weeks and months (paged), and one period's summary — complaints by level, state
//! and cause with compensation, rectification tasks and improvement actions with their due
//! and done instants, drills — with its PDF and Excel downloads (the API's).

mod text;

pub(crate) use text::TEXT;

use crate::i18n::Tr;
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::{error_page, local_time, render, Chrome, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tripdesk_app::summaries::{document, KpiFigure, Summary};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::feedback::Category;
use tripdesk_domain::quality::{Target, Verdict};
use tripdesk_domain::summaries::{Cadence, SummaryPeriod, TaskStanding};

/// Periods a page of each list shows.
const PAGE_SIZE: u32 = 12;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list))
        .route("/reports/{cadence}/{from}", get(show))
}

/// A period as a list or a heading names it.
fn period_name(t: Tr, p: SummaryPeriod) -> String {
    match p.cadence {
        Cadence::Week => {
            let iso = p.from.iso_week_date();
            t.s("summaries.week_of")
                .replace("{year}", &iso.year().to_string())
                .replace("{week}", &iso.week().to_string())
        }
        Cadence::Month => t
            .s("summaries.month_of")
            .replace("{year}", &p.from.year().to_string())
            .replace("{month}", &format!("{:02}", p.from.month())),
    }
}

fn period_span(t: Tr, p: SummaryPeriod) -> String {
    t.s("summaries.span")
        .replace("{from}", &p.from.to_string())
        .replace("{to}", &p.last_day().to_string())
}

struct PeriodRow {
    href: String,
    name: String,
    span: String,
    running: bool,
}

#[derive(Template)]
#[template(path = "summaries/list.html")]
struct ListPage {
    c: Chrome,
    weeks: Vec<PeriodRow>,
    months: Vec<PeriodRow>,
    weeks_nav: PagerNav,
    months_nav: PagerNav,
}

async fn list(State(state): State<AppState>, user: UiUser, pager: Pager) -> Response {
    let t = Tr(user.lang);
    let today = state.app.today();
    let rows = |cadence: Cadence, pager: &Pager| {
        let (periods, more) = state.app.summary_periods(
            &user.principal,
            cadence,
            PAGE_SIZE as usize,
            pager.offset(PAGE_SIZE) as usize,
        )?;
        let rows: Vec<PeriodRow> = periods
            .into_iter()
            .map(|p| PeriodRow {
                href: format!("/reports/{}/{}", cadence.as_str(), p.from),
                name: period_name(t, p),
                span: period_span(t, p),
                running: !p.ended(today),
            })
            .collect();
        Ok::<_, tripdesk_app::AppError>((rows, pager.nav(t, PAGE_SIZE, Extent::more(more))))
    };
    let both = rows(Cadence::Week, &pager)
        .and_then(|w| Ok((w, rows(Cadence::Month, &pager.keyed("mpage"))?)));
    let ((weeks, weeks_nav), (months, months_nav)) = match both {
        Ok(x) => x,
        Err(e) => return error_page(&state, &user, "reports", e),
    };
    render(
        StatusCode::OK,
        &ListPage {
            c: Chrome::new(&state, &user, "reports"),
            weeks,
            months,
            weeks_nav,
            months_nav,
        },
    )
}

struct KpiRow {
    name: String,
    target: String,
    value: String,
    previous: String,
    counts: String,
    verdict: &'static str,
    verdict_label: &'static str,
}

struct CountRow {
    label: String,
    count: u64,
}

struct TaskRow {
    ticket_id: String,
    ticket_number: String,
    title: String,
    department: String,
    due: String,
    done: String,
    standing: &'static str,
    standing_label: &'static str,
}

/// The rectification tasks or the improvement actions.
struct TaskSection {
    heading: &'static str,
    empty: &'static str,
    rows: Vec<TaskRow>,
}

struct DrillRow {
    id: String,
    title: String,
    declared: String,
    people: usize,
    safe: usize,
    needs_help: usize,
    not_answered: usize,
}

#[derive(Template)]
#[template(path = "summaries/show.html")]
struct ShowPage {
    c: Chrome,
    name: String,
    span: String,
    complete: bool,
    pdf: String,
    xlsx: String,
    total: u64,
    resolved: u64,
    unresolved: u64,
    compensated: u64,
    compensation: String,
    drill_count: usize,
    kpis: Vec<KpiRow>,
    levels: Vec<CountRow>,
    states: Vec<CountRow>,
    causes: Vec<CountRow>,
    causes_total: u64,
    task_sections: Vec<TaskSection>,
    drills: Vec<DrillRow>,
}

async fn show(
    State(state): State<AppState>,
    user: UiUser,
    Path((cadence, from)): Path<(String, String)>,
) -> Response {
    let t = Tr(user.lang);
    let loaded = async {
        let cadence = crate::api::summaries::cadence(&cadence)?;
        let from = crate::api::summaries::from_date(Some(&from))?;
        state
            .app
            .period_summary(&user.principal, cadence, from)
            .await
    }
    .await;
    let s = match loaded {
        Ok(s) => s,
        Err(e) => return error_page(&state, &user, "reports", e),
    };
    render(StatusCode::OK, &show_page(&state, &user, t, &s))
}

/// A cause as the page names it: a feedback category in the reader's language, a recorded
/// cause as written.
fn cause_label(t: Tr, cause: &str) -> String {
    let key = format!("feedback.cat.{cause}");
    if cause.is_empty() {
        t.s("summaries.no_cause").to_string()
    } else if Category::parse(cause).is_some() && Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        cause.to_string()
    }
}

fn kpi_row(t: Tr, f: &KpiFigure) -> KpiRow {
    let (verdict, verdict_label) = match f.verdict {
        Verdict::Met => ("met", t.s("quality.verdict.met")),
        Verdict::Missed => ("missed", t.s("quality.verdict.missed")),
        Verdict::NotMeasured => ("none", t.s("quality.verdict.none")),
    };
    let target = match f.target {
        Target::AtLeast { permille } => format!("≥ {}%", f64::from(permille) / 10.0),
        Target::Change { percent } if percent < 0 => t
            .s("quality.target.fall")
            .replace("{n}", &(-percent).to_string()),
        Target::Change { percent } => t
            .s("quality.target.rise")
            .replace("{n}", &percent.to_string()),
    };
    let current = f.current();
    KpiRow {
        name: t.s(&format!("quality.kpi.{}", f.kpi.as_str())).to_string(),
        target,
        value: document::value_text(f.unit, current.and_then(|p| p.value)),
        previous: document::value_text(f.unit, f.previous().and_then(|p| p.value)),
        counts: current
            .map(|_| super::quality::counts_text(t, f))
            .unwrap_or_default(),
        verdict,
        verdict_label,
    }
}

fn show_page(state: &AppState, user: &UiUser, t: Tr, s: &Summary) -> ShowPage {
    let tally = &s.tally;
    let query = format!("?from={}", s.period.from);
    let api = format!("/api/v1/quality/summaries/{}", s.period.cadence.as_str());
    let tasks = |kind: &str| -> Vec<TaskRow> {
        s.tasks_of(kind)
            .map(|l| TaskRow {
                ticket_id: l.task.ticket_id.to_string(),
                ticket_number: l.task.ticket_number.clone(),
                title: l.task.title.clone(),
                department: l.department.clone().unwrap_or_default(),
                due: l
                    .task
                    .due_at
                    .map(|x| local_time(state, x))
                    .unwrap_or_default(),
                done: l
                    .task
                    .done_at
                    .map(|x| local_time(state, x))
                    .unwrap_or_default(),
                standing: l.standing.as_str(),
                standing_label: t.s(match l.standing {
                    TaskStanding::Done => "summaries.standing.done",
                    TaskStanding::Overdue => "summaries.standing.overdue",
                    TaskStanding::Open => "summaries.standing.open",
                }),
            })
            .collect()
    };
    ShowPage {
        c: Chrome::new(state, user, "reports"),
        name: period_name(t, s.period),
        span: period_span(t, s.period),
        complete: s.complete,
        pdf: format!("{api}/summary.pdf{query}"),
        xlsx: format!("{api}/summary.xlsx{query}"),
        total: tally.total,
        resolved: tally.resolved,
        unresolved: tally.total - tally.resolved,
        compensated: tally.compensated,
        compensation: yuan(tally.compensation_fen),
        drill_count: s.drills.len(),
        kpis: s.kpis.iter().map(|f| kpi_row(t, f)).collect(),
        levels: tally
            .by_level
            .iter()
            .map(|(l, n)| CountRow {
                label: t.s(&format!("level.{}", l.as_str())).to_string(),
                count: *n,
            })
            .collect(),
        states: tally
            .by_state
            .iter()
            .map(|(x, n)| CountRow {
                label: t.s(&format!("state.{}", x.as_str())).to_string(),
                count: *n,
            })
            .collect(),
        causes: tally
            .causes
            .iter()
            .map(|(c, n)| CountRow {
                label: cause_label(t, c),
                count: *n,
            })
            .collect(),
        causes_total: tally.causes.iter().map(|(_, n)| n).sum(),
        task_sections: vec![
            TaskSection {
                heading: "summaries.rectification",
                empty: "summaries.no_rectification",
                rows: tasks("rectification"),
            },
            TaskSection {
                heading: "summaries.improvement",
                empty: "summaries.no_improvement",
                rows: tasks("improvement"),
            },
        ],
        drills: s
            .drills
            .iter()
            .map(|d| DrillRow {
                id: d.incident.id.to_string(),
                title: d.incident.title.clone(),
                declared: local_time(state, d.incident.declared_at),
                people: d.figures.people,
                safe: d.figures.safe,
                needs_help: d.figures.needs_help,
                not_answered: d.figures.not_answered,
            })
            .collect(),
    }
}
