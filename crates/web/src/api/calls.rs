//! The hotline's calls (issue 17 item 3): a call-detail file of the PBX imported, the calls
//! listed, and the answer rate against the published 95 % and three rings.

use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tripdesk_app::phone::{AnswerReport, CdrImport, CdrImported};
use tripdesk_app::AppError;
use tripdesk_domain::phone::{AnswerCounts, Direction, Disposition};
use tripdesk_store::{CallFilter, CallRecord};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_cdr))
        .routes(routes!(list_calls))
        .routes(routes!(answer_rate))
}

/// The zone of the PBX's local times and of the report's days when none is given.
const DEFAULT_ZONE: &str = "Asia/Shanghai";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"csv": "\"\",\"13800138000\",\"4008001234\",\"from-trunk\",…",
    "inbound_contexts": ["from-trunk"], "zone": "Asia/Shanghai"}))]
pub struct CdrBody {
    /// The contents of Asterisk's `Master.csv` (cdr_csv; `loguniqueid` recommended).
    csv: String,
    /// The dialplan contexts the hotline's calls arrive in; calls in others are outbound.
    inbound_contexts: Vec<String>,
    /// The PBX's time zone (IANA; default Asia/Shanghai).
    zone: Option<String>,
}

/// Imports a call-detail file (needs `manage_settings`; audited): every call or, when any
/// line cannot be read, none — each bad line named as `line <n>.<column>`. A call imported
/// before is skipped; each caller is matched to the customer holding that phone.
#[utoipa::path(post, path = "/api/v1/calls/cdr", tag = "calls", request_body = CdrBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Imported", body = CdrImported)))]
async fn import_cdr(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CdrBody>,
) -> Result<Json<CdrImported>, ApiError> {
    let how = CdrImport {
        inbound_contexts: b.inbound_contexts,
        zone: b.zone.unwrap_or_else(|| DEFAULT_ZONE.into()),
    };
    Ok(Json(state.app.import_cdr(&p, b.csv.as_bytes(), how).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallsQuery {
    customer_id: Option<Uuid>,
    direction: Option<Direction>,
    /// Calls started at or after (RFC 3339).
    from: Option<String>,
    /// Calls started before (RFC 3339).
    to: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// A call; the customer's number is never shown here (the customer is linked).
#[derive(Serialize, ToSchema)]
pub struct CallView {
    id: Uuid,
    direction: Direction,
    line: String,
    agent: Option<String>,
    customer_id: Option<Uuid>,
    started_at: String,
    answered_at: Option<String>,
    ended_at: String,
    ring_secs: i64,
    talk_secs: i64,
    disposition: Disposition,
}

impl CallView {
    fn of(state: &AppState, c: CallRecord) -> Self {
        CallView {
            id: c.id,
            direction: c.direction,
            line: c.line,
            agent: c.agent,
            customer_id: c.customer_id,
            started_at: super::rfc3339(state, c.started_at),
            answered_at: c.answered_at.map(|t| super::rfc3339(state, t)),
            ended_at: super::rfc3339(state, c.ended_at),
            ring_secs: c.ring_secs,
            talk_secs: c.talk_secs,
            disposition: c.disposition,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CallList {
    items: Vec<CallView>,
    more: bool,
}

fn instant(field: &str, v: Option<String>) -> Result<Option<Timestamp>, AppError> {
    v.map(|s| {
        s.trim().parse::<Timestamp>().map_err(|_| {
            AppError::field(
                field,
                "not_a_time",
                "give an RFC 3339 time, e.g. 2026-11-02T09:00:00+08:00",
            )
        })
    })
    .transpose()
}

/// Calls, newest first (needs `view_desk`; by customer also `view_customers`).
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", params(CallsQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Calls", body = CallList)))]
async fn list_calls(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CallsQuery>,
) -> Result<Json<CallList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let filter = CallFilter {
        customer_id: q.customer_id,
        direction: q.direction,
        missed: false,
        from: instant("from", q.from)?,
        to: instant("to", q.to)?,
    };
    let page = state
        .app
        .list_calls(&p, filter, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(CallList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|c| CallView::of(&state, c))
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RateQuery {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// Last day (included), `YYYY-MM-DD`; at most 366 days after `from`.
    to: String,
    /// The zone the days are counted in (IANA; default the server's).
    zone: Option<String>,
}

/// One group's figures.
#[derive(Serialize, ToSchema)]
pub struct RateRow {
    /// The day, line or agent's extension.
    key: String,
    offered: u64,
    answered: u64,
    /// Answered within three rings (15 s).
    in_time: u64,
    /// Answered per thousand offered, rounded down.
    answer_rate_permille: Option<u32>,
    /// Answered within three rings per thousand answered.
    in_time_permille: Option<u32>,
    /// Mean seconds rung before an answer, in tenths.
    mean_ring_tenths: Option<u64>,
    /// At least 95 % answered.
    meets_target: Option<bool>,
}

fn row(key: String, c: &AnswerCounts) -> RateRow {
    RateRow {
        key,
        offered: c.offered,
        answered: c.answered,
        in_time: c.in_time,
        answer_rate_permille: c.answer_rate_permille(),
        in_time_permille: c.in_time_permille(),
        mean_ring_tenths: c.mean_ring_tenths(),
        meets_target: c.meets_target(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AnswerRateView {
    /// The target: answered per thousand offered.
    target_permille: u32,
    total: RateRow,
    by_day: Vec<RateRow>,
    by_line: Vec<RateRow>,
    by_agent: Vec<RateRow>,
}

/// The answer rate of the inbound calls of a period (needs `view_reports`): whole, by day,
/// by line and by the agent who answered, against the published 95 % and three rings.
#[utoipa::path(get, path = "/api/v1/calls/answer-rate", tag = "calls", params(RateQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The answer rate", body = AnswerRateView)))]
async fn answer_rate(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RateQuery>,
) -> Result<Json<AnswerRateView>, ApiError> {
    let zone = match q.zone {
        Some(name) => tripdesk_app::calendar::parse_zone("zone", &name)?,
        None => state.tz.clone(),
    };
    let day = |field: &str, s: &str| {
        s.trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| AppError::field(field, "not_a_date", "give a date YYYY-MM-DD"))
    };
    let (first, last) = (day("from", &q.from)?, day("to", &q.to)?);
    if last < first || first.until(last).map(|s| s.get_days()).unwrap_or(i32::MAX) > 366 {
        return Err(AppError::field(
            "to",
            "range",
            "the last day must be on or after the first, at most 366 days later",
        )
        .into());
    }
    let start = |d: jiff::civil::Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| AppError::field("zone", "invalid", "the day does not exist in this zone"))
    };
    let from = start(first)?;
    let to =
        start(last.tomorrow().map_err(|_| {
            AppError::field("to", "range", "the last day is too far in the future")
        })?)?;
    let r: AnswerReport = state.app.answer_rate(&p, from, to, &zone).await?;
    let rows = |v: Vec<(String, AnswerCounts)>| v.into_iter().map(|(k, c)| row(k, &c)).collect();
    Ok(Json(AnswerRateView {
        target_permille: tripdesk_domain::phone::ANSWER_RATE_TARGET_PERMILLE,
        total: row("total".into(), &r.total),
        by_day: rows(r.by_day),
        by_line: rows(r.by_line),
        by_agent: rows(r.by_agent),
    }))
}
