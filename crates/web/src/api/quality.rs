//! Service quality: the key figures against the published commitments, the clocks behind a
//! clock figure, and the figures published on the public commitments page.

use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::quality::{KpiFigure, KpiQuery, DEFAULT_TREND, MAX_TREND};
use tripdesk_app::AppError;
use tripdesk_domain::quality::{Kpi, Period, PeriodError, Ratio, Target, Unit, Verdict};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kpis))
        .routes(routes!(cases))
        .routes(routes!(get_public, set_public))
}

/// The period and filters of the dashboard.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`; at most 366 days.
    pub to: String,
    /// Only records of this channel (`phone`, `email`, `chat`, `social`, `web_form`, `on_site`).
    pub channel: Option<String>,
    /// Only records of this handling group (department id).
    pub group: Option<Uuid>,
    /// Only records of this agent (user id).
    pub agent: Option<Uuid>,
    /// Periods on the trend, this one last (1–12, default 6).
    #[param(minimum = 1, maximum = 12)]
    pub trend: Option<usize>,
}

fn day(field: &str, s: &str) -> Result<Date, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::field(field, "invalid", "expected YYYY-MM-DD"))
}

impl KpiParams {
    /// The query these parameters ask, or the field at fault.
    pub fn query(&self) -> Result<KpiQuery, AppError> {
        let period = Period::new(day("from", &self.from)?, day("to", &self.to)?).map_err(|e| {
            let code = match e {
                PeriodError::Reversed => "reversed",
                PeriodError::TooLong => "calendar.range_too_long",
                PeriodError::OutOfRange => "invalid",
            };
            AppError::field("to", code, e.to_string())
        })?;
        let trend = self.trend.unwrap_or(DEFAULT_TREND);
        if !(1..=MAX_TREND).contains(&trend) {
            return Err(AppError::field("trend", "invalid", "trend must be 1 to 12"));
        }
        let channel = self.channel.clone().filter(|c| !c.trim().is_empty());
        if let Some(c) = &channel {
            if tripdesk_domain::desk::Channel::parse(c).is_none() {
                return Err(AppError::field("channel", "invalid", "unknown channel"));
            }
        }
        Ok(KpiQuery {
            period,
            trend,
            channel,
            group: self.group,
            agent: self.agent,
        })
    }
}

/// One period's figure.
#[derive(Serialize, ToSchema)]
pub struct KpiPointView {
    from: String,
    to: String,
    /// The counts behind it: `num` of `den`.
    ratio: Ratio,
    /// A share (0–1), per 100 or a count, as `unit` says; absent when nothing was measured.
    value: Option<f64>,
}

/// A commitment's figure.
#[derive(Serialize, ToSchema)]
pub struct KpiView {
    kpi: Kpi,
    target: Target,
    unit: Unit,
    /// False when the records of this figure cannot be filtered as asked (no figure then).
    applies: bool,
    /// The asked period's value (the trend's last point).
    value: Option<f64>,
    ratio: Ratio,
    /// The value to reach (for a change target, from the period before's).
    threshold: Option<f64>,
    change_percent: Option<f64>,
    verdict: Verdict,
    /// The trend, oldest first; the asked period last.
    trend: Vec<KpiPointView>,
}

impl KpiView {
    pub fn of(f: &KpiFigure) -> Self {
        let cur = f.current();
        Self {
            kpi: f.kpi,
            target: f.target,
            unit: f.unit,
            applies: f.applies,
            value: cur.and_then(|p| p.value),
            ratio: cur.map(|p| p.ratio).unwrap_or_default(),
            threshold: f.threshold,
            change_percent: f.change_percent,
            verdict: f.verdict,
            trend: f
                .points
                .iter()
                .map(|p| KpiPointView {
                    from: p.period.from.to_string(),
                    to: p.period.to.to_string(),
                    ratio: p.ratio,
                    value: p.value,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KpiReport {
    from: String,
    to: String,
    items: Vec<KpiView>,
}

/// Every published commitment's figure over a period (needs `view_reports`): its target,
/// the counts behind it, the verdict and the trend of the periods before. A period of whole
/// months steps back by months. Figures whose records lack an asked filter (bookings have
/// no agent) come with `applies: false` and no value.
#[utoipa::path(get, path = "/api/v1/quality/kpis", tag = "quality", params(KpiParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The figures", body = KpiReport)))]
async fn kpis(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<KpiParams>,
) -> Result<Json<KpiReport>, ApiError> {
    let query = q.query()?;
    let figures = state.app.quality_kpis(&p, &query, &state.tz).await?;
    Ok(Json(KpiReport {
        from: query.period.from.to_string(),
        to: query.period.to.to_string(),
        items: figures.iter().map(KpiView::of).collect(),
    }))
}

/// Which clocks to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseParams {
    /// A clock figure (`first_response_phone`, `booking_confirmation`, …).
    kpi: String,
    from: String,
    to: String,
    channel: Option<String>,
    group: Option<Uuid>,
    agent: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    offset: Option<u64>,
}

/// A clock behind a figure.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    clock_id: Uuid,
    target_key: String,
    /// `ticket` or `booking`.
    subject_type: String,
    subject_id: String,
    /// The ticket's number.
    label: Option<String>,
    channel: Option<String>,
    started_at: String,
    due_at: String,
    stopped_at: Option<String>,
    /// `met` or `breached`.
    outcome: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    items: Vec<CaseView>,
}

/// The clocks behind a clock figure in a period, breached first (needs `view_reports`).
#[utoipa::path(get, path = "/api/v1/quality/cases", tag = "quality", params(CaseParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The clocks", body = CaseList)))]
async fn cases(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CaseParams>,
) -> Result<Json<CaseList>, ApiError> {
    let kpi = Kpi::parse(&q.kpi)
        .filter(|k| !k.clock_targets().is_empty())
        .ok_or_else(|| AppError::field("kpi", "invalid", "kpi must be a clock figure"))?;
    let query = KpiParams {
        from: q.from,
        to: q.to,
        channel: q.channel,
        group: q.group,
        agent: q.agent,
        trend: Some(1),
    }
    .query()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::field("limit", "invalid", "limit must be 1 to 200").into());
    }
    let rows = state
        .app
        .quality_cases(&p, kpi, &query, &state.tz, limit, q.offset.unwrap_or(0))
        .await?;
    let at = |t| super::rfc3339(&state, t);
    Ok(Json(CaseList {
        items: rows
            .into_iter()
            .map(|c| CaseView {
                clock_id: c.id,
                target_key: c.target_key,
                subject_type: c.subject_type,
                subject_id: c.subject_id,
                label: c.label,
                channel: c.channel,
                started_at: at(c.started_at),
                due_at: at(c.due_at),
                stopped_at: c.stopped_at.map(at),
                outcome: c.outcome,
            })
            .collect(),
    }))
}

/// The figures published on the public commitments page.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicKpis {
    kpis: Vec<Kpi>,
}

/// The figures published on the public commitments page (needs `view_reports`).
#[utoipa::path(get, path = "/api/v1/quality/public", tag = "quality",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The published figures", body = PublicKpis)))]
async fn get_public(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<PublicKpis>, ApiError> {
    Ok(Json(PublicKpis {
        kpis: state.app.public_kpi_keys(&p).await?,
    }))
}

/// Chooses the figures published on the public commitments page (needs `manage_settings`;
/// audited).
#[utoipa::path(put, path = "/api/v1/quality/public", tag = "quality", request_body = PublicKpis,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The published figures", body = PublicKpis)))]
async fn set_public(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<PublicKpis>,
) -> Result<Json<PublicKpis>, ApiError> {
    Ok(Json(PublicKpis {
        kpis: state.app.set_public_kpis(&p, &b.kpis).await?,
    }))
}
