//! Periodic summaries (issue 18 item 3): a week's or a month's service quality as JSON, as a
//! Chinese PDF and as an XLSX workbook (one sheet per section with its totals row).

use super::rfc3339;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::summaries::{document, Summary};
use tripdesk_app::AppError;
use tripdesk_domain::summaries::Cadence;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_summary))
        .routes(routes!(summary_pdf))
        .routes(routes!(summary_xlsx))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CadencePath {
    /// `week` (Monday–Sunday) or `month`.
    cadence: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// The period's first day, `YYYY-MM-DD`: a Monday for a week, the 1st for a month.
    /// Default: the last ended week or month.
    from: Option<String>,
}

/// A count of complaints under a name (a level, a state, a cause).
#[derive(Serialize, ToSchema)]
pub struct SummaryCount {
    key: String,
    count: u64,
}

/// The complaints of the period, counted.
#[derive(Serialize, ToSchema)]
pub struct SummaryComplaints {
    total: u64,
    resolved: u64,
    /// Complaints with a compensation amount, and its sum in fen.
    compensated: u64,
    compensation_fen: i64,
    /// Urgent, important, general.
    by_level: Vec<SummaryCount>,
    /// The states that occur, in workflow order.
    by_state: Vec<SummaryCount>,
    /// Causes, most frequent first: feedback categories (`guide`, `lodging`, …), a cause as
    /// recorded for a complaint not classified, `""` for none. A complaint in two categories
    /// counts in both.
    causes: Vec<SummaryCount>,
}

/// A rectification task or improvement action live in the period.
#[derive(Serialize, ToSchema)]
pub struct SummaryTaskView {
    id: Uuid,
    ticket_id: Uuid,
    ticket_number: String,
    /// `rectification` or `improvement`.
    kind: String,
    title: String,
    department: Option<String>,
    created_at: String,
    due_at: Option<String>,
    done_at: Option<String>,
    /// At the end of the period (or now): `done`, `overdue` or `open`.
    standing: String,
}

/// A drill held in the period and its key figures.
#[derive(Serialize, ToSchema)]
pub struct SummaryDrillView {
    id: Uuid,
    title: String,
    declared_at: String,
    people: usize,
    delivered: usize,
    safe: usize,
    needs_help: usize,
    not_answered: usize,
}

/// A commitment's figure over the period against its target.
#[derive(Serialize, ToSchema)]
pub struct SummaryKpiView {
    /// The figure's key, as on the dashboard (`answer_rate`, `complaint_rate`, …).
    kpi: String,
    target: tripdesk_domain::quality::Target,
    unit: tripdesk_domain::quality::Unit,
    /// The period's counts and value (`None`: nothing measured).
    num: u64,
    den: u64,
    value: Option<f64>,
    /// The period before's value (a change target compares with it).
    previous: Option<f64>,
    verdict: tripdesk_domain::quality::Verdict,
}

/// A week's or a month's summary.
#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    /// `week` or `month`.
    cadence: String,
    /// First and last day of the period.
    from: String,
    to: String,
    /// Whether the period has ended (otherwise the figures run to now).
    complete: bool,
    generated_at: String,
    kpis: Vec<SummaryKpiView>,
    complaints: SummaryComplaints,
    tasks: Vec<SummaryTaskView>,
    drills: Vec<SummaryDrillView>,
}

impl SummaryView {
    fn of(state: &AppState, s: &Summary) -> Self {
        let t = &s.tally;
        let count = |key: &str, count: u64| SummaryCount {
            key: key.to_string(),
            count,
        };
        SummaryView {
            cadence: s.period.cadence.as_str().into(),
            from: s.period.from.to_string(),
            to: s.period.last_day().to_string(),
            complete: s.complete,
            generated_at: rfc3339(state, s.generated_at),
            kpis: s
                .kpis
                .iter()
                .map(|f| SummaryKpiView {
                    kpi: f.kpi.as_str().into(),
                    target: f.target,
                    unit: f.unit,
                    num: f.current().map_or(0, |p| p.ratio.num),
                    den: f.current().map_or(0, |p| p.ratio.den),
                    value: f.current().and_then(|p| p.value),
                    previous: f.previous().and_then(|p| p.value),
                    verdict: f.verdict,
                })
                .collect(),
            complaints: SummaryComplaints {
                total: t.total,
                resolved: t.resolved,
                compensated: t.compensated,
                compensation_fen: t.compensation_fen,
                by_level: t
                    .by_level
                    .iter()
                    .map(|(l, n)| count(l.as_str(), *n))
                    .collect(),
                by_state: t
                    .by_state
                    .iter()
                    .map(|(x, n)| count(x.as_str(), *n))
                    .collect(),
                causes: t.causes.iter().map(|(c, n)| count(c, *n)).collect(),
            },
            tasks: s
                .tasks
                .iter()
                .map(|l| SummaryTaskView {
                    id: l.task.id,
                    ticket_id: l.task.ticket_id,
                    ticket_number: l.task.ticket_number.clone(),
                    kind: l.task.kind.clone(),
                    title: l.task.title.clone(),
                    department: l.department.clone(),
                    created_at: rfc3339(state, l.task.created_at),
                    due_at: l.task.due_at.map(|t| rfc3339(state, t)),
                    done_at: l.task.done_at.map(|t| rfc3339(state, t)),
                    standing: l.standing.as_str().into(),
                })
                .collect(),
            drills: s
                .drills
                .iter()
                .map(|d| SummaryDrillView {
                    id: d.incident.id,
                    title: d.incident.title.clone(),
                    declared_at: rfc3339(state, d.incident.declared_at),
                    people: d.figures.people,
                    delivered: d.figures.delivered,
                    safe: d.figures.safe,
                    needs_help: d.figures.needs_help,
                    not_answered: d.figures.not_answered,
                })
                .collect(),
        }
    }
}

/// The cadence of the path, or 400 naming it.
pub(crate) fn cadence(s: &str) -> Result<Cadence, AppError> {
    Cadence::parse(s)
        .ok_or_else(|| AppError::field("cadence", "invalid", "cadence must be week or month"))
}

/// `from` as a date, or 400 naming it.
pub(crate) fn from_date(s: Option<&str>) -> Result<Option<Date>, AppError> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Date>()
                .map_err(|_| AppError::field("from", "invalid", "from must be a date YYYY-MM-DD"))
        })
        .transpose()
}

async fn load(
    state: &AppState,
    p: &tripdesk_app::Principal,
    path: &CadencePath,
    q: &SummaryParams,
) -> Result<Summary, AppError> {
    state
        .app
        .period_summary(p, cadence(&path.cadence)?, from_date(q.from.as_deref())?)
        .await
}

/// A week's or a month's summary (needs `view_reports`): complaints by level, state and
/// cause with compensation, rectification tasks and improvement actions with their due and
/// done instants, drills. 422 when `from` does not start a period or lies ahead.
#[utoipa::path(get, path = "/api/v1/quality/summaries/{cadence}", tag = "quality",
    params(CadencePath, SummaryParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The summary", body = SummaryView)))]
async fn get_summary(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<CadencePath>,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> Result<Json<SummaryView>, ApiError> {
    let s = load(&state, &p, &path, &q).await?;
    Ok(Json(SummaryView::of(&state, &s)))
}

fn download(content_type: &str, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The summary as a Chinese PDF (needs `view_reports`). 503 when the server has no CJK font.
#[utoipa::path(get, path = "/api/v1/quality/summaries/{cadence}/summary.pdf", tag = "quality",
    params(CadencePath, SummaryParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>)))]
async fn summary_pdf(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<CadencePath>,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> Result<Response, ApiError> {
    let s = load(&state, &p, &path, &q).await?;
    let bytes = state
        .render_pdf(document::pdf_document(&s, &state.org_name))
        .await?;
    Ok(download(
        "application/pdf",
        document::file_name(&s, "pdf"),
        bytes,
    ))
}

/// The summary as an XLSX workbook, a sheet per section with its totals row (needs
/// `view_reports`).
#[utoipa::path(get, path = "/api/v1/quality/summaries/{cadence}/summary.xlsx", tag = "quality",
    params(CadencePath, SummaryParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn summary_xlsx(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<CadencePath>,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> Result<Response, ApiError> {
    let s = load(&state, &p, &path, &q).await?;
    let bytes = document::workbook(&s)?;
    Ok(download(
        tripdesk_sheets::Format::Xlsx.content_type(),
        document::file_name(&s, "xlsx"),
        bytes,
    ))
}
