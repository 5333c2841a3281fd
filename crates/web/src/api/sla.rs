//! SLA policies, clocks and compliance figures.

use super::calendars::parse_instant;
use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use tripdesk_app::sla::{Breakdown, ClockAction, ComplianceQuery, PolicyInput, StartClock};
use tripdesk_app::AppError;
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::ClockKind;
use tripdesk_store::{SlaClockRecord, SlaEventRecord, SlaPolicy};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies))
        .routes(routes!(get_policy, update_policy))
        .routes(routes!(list_clocks, start_clock))
        .routes(routes!(get_clock))
        .routes(routes!(clock_action))
        .routes(routes!(get_compliance))
}

/// An SLA policy.
#[derive(Serialize, ToSchema)]
pub struct PolicyView {
    key: String,
    name_zh: String,
    name_en: String,
    kind: ClockKind,
    /// Minutes for hour kinds, working days for `working_days`.
    amount: u32,
    /// Start of a window in the same unit (follow-up 3–5 working days: 3).
    earliest: Option<u32>,
    calendar: String,
    /// Share of the allowed time after which the warning fires; 0 = none.
    warn_at_percent: u8,
    /// Subject statuses in which the clock pauses.
    pause_when: Vec<String>,
    notify_warning: Vec<Role>,
    notify_breach: Vec<Role>,
    enabled: bool,
    updated_at: String,
}

impl PolicyView {
    fn of(state: &AppState, p: &SlaPolicy) -> Self {
        let t = &p.target;
        Self {
            key: t.key.to_string(),
            name_zh: t.name_zh.to_string(),
            name_en: t.name_en.to_string(),
            kind: t.kind,
            amount: t.amount,
            earliest: t.earliest,
            calendar: t.calendar.to_string(),
            warn_at_percent: t.warn_at_percent,
            pause_when: p.pause_when.clone(),
            notify_warning: p.notify_warning.to_vec(),
            notify_breach: p.notify_breach.to_vec(),
            enabled: p.enabled,
            updated_at: rfc3339(state, p.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    items: Vec<PolicyView>,
}

/// Lists the SLA policies.
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "All policies", body = PolicyList)))]
async fn list_policies(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<PolicyList>, ApiError> {
    let items = state.app.list_sla_policies(&p).await?;
    Ok(Json(PolicyList {
        items: items.iter().map(|x| PolicyView::of(&state, x)).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyPath {
    /// The policy key, e.g. `first_response.email`.
    key: String,
}

/// One SLA policy.
#[utoipa::path(get, path = "/api/v1/sla/policies/{key}", tag = "sla", params(KeyPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The policy", body = PolicyView)))]
async fn get_policy(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<KeyPath>,
) -> Result<Json<PolicyView>, ApiError> {
    let x = state.app.get_sla_policy(&p, &path.key).await?;
    Ok(Json(PolicyView::of(&state, &x)))
}

/// Changes to a policy; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatch {
    name_zh: Option<String>,
    name_en: Option<String>,
    kind: Option<ClockKind>,
    #[schema(minimum = 1)]
    amount: Option<u32>,
    /// `null` removes the window.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<u32>)]
    earliest: Option<Option<u32>>,
    calendar: Option<String>,
    #[schema(maximum = 99)]
    warn_at_percent: Option<u8>,
    pause_when: Option<Vec<String>>,
    notify_warning: Option<Vec<Role>>,
    notify_breach: Option<Vec<Role>>,
    enabled: Option<bool>,
}

/// Changes a policy (needs `manage_settings`). Running clocks keep their deadlines.
#[utoipa::path(patch, path = "/api/v1/sla/policies/{key}", tag = "sla", params(KeyPath),
    request_body = PolicyPatch, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The updated policy", body = PolicyView)))]
async fn update_policy(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<KeyPath>,
    ApiJson(b): ApiJson<PolicyPatch>,
) -> Result<Json<PolicyView>, ApiError> {
    let cur = state.app.get_sla_policy(&p, &path.key).await?;
    let t = &cur.target;
    let input = PolicyInput {
        name_zh: b.name_zh.unwrap_or_else(|| t.name_zh.to_string()),
        name_en: b.name_en.unwrap_or_else(|| t.name_en.to_string()),
        kind: b.kind.map_or(t.kind, Into::into),
        amount: b.amount.unwrap_or(t.amount),
        earliest: b.earliest.unwrap_or(t.earliest),
        calendar: b.calendar.unwrap_or_else(|| t.calendar.to_string()),
        warn_at_percent: b.warn_at_percent.unwrap_or(t.warn_at_percent),
        pause_when: b.pause_when.unwrap_or(cur.pause_when.clone()),
        notify_warning: b
            .notify_warning
            .map_or(cur.notify_warning.clone(), |v| v.into_iter().collect()),
        notify_breach: b
            .notify_breach
            .map_or(cur.notify_breach.clone(), |v| v.into_iter().collect()),
        enabled: b.enabled.unwrap_or(cur.enabled),
    };
    let x = state.app.update_sla_policy(&p, &path.key, input).await?;
    Ok(Json(PolicyView::of(&state, &x)))
}

/// A clock.
#[derive(Serialize, ToSchema)]
pub struct ClockView {
    id: Uuid,
    target_key: String,
    subject_type: String,
    subject_id: String,
    channel: Option<String>,
    department_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    kind: ClockKind,
    calendar: String,
    /// `running`, `paused`, `met`, `breached` or `cancelled` (as of now).
    state: String,
    started_at: String,
    due_at: String,
    warn_at: Option<String>,
    opens_at: Option<String>,
    paused_at: Option<String>,
    warned: bool,
    stopped_at: Option<String>,
    /// When the engine looks at it next.
    next_due_at: Option<String>,
    /// The pending instants (due, warning, opening) were computed on a provisional calendar
    /// year — weekends plus the statutory holidays, the State Council's arrangement for
    /// that year not imported yet — and are recomputed when it is.
    provisional: bool,
    version: i64,
    /// Newest first (only on single clocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventView>>,
}

/// Something that happened to a clock.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// `started`, `paused`, `resumed`, `warning`, `breach`, `met` or `cancelled`.
    kind: String,
    at: String,
    recorded_at: String,
    node: String,
}

impl ClockView {
    pub(crate) fn of(
        state: &AppState,
        r: &SlaClockRecord,
        events: Option<&[SlaEventRecord]>,
    ) -> Self {
        let c = &r.clock;
        let t = |x: Timestamp| rfc3339(state, x);
        Self {
            id: r.id,
            target_key: c.target_key().to_string(),
            subject_type: r.subject_type.clone(),
            subject_id: r.subject_id.clone(),
            channel: r.channel.clone(),
            department_id: r.department_id,
            agent_id: r.agent_id,
            kind: c.kind(),
            calendar: c.calendar().to_string(),
            state: c.state_at(state.app.now()).as_str().to_string(),
            started_at: t(c.started_at()),
            due_at: t(c.due_at()),
            warn_at: c.warn_at().map(t),
            opens_at: c.opens_at().map(t),
            paused_at: c.paused_at().map(t),
            warned: c.warned(),
            stopped_at: c.stopped_at().map(t),
            next_due_at: r.next_due_at().map(t),
            provisional: c.provisional(),
            version: r.version,
            events: events.map(|es| {
                es.iter()
                    .map(|e| EventView {
                        kind: e.kind.as_str().to_string(),
                        at: t(e.at),
                        recorded_at: t(e.recorded_at),
                        node: e.node.clone(),
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClockList {
    items: Vec<ClockView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubjectQuery {
    subject_type: String,
    subject_id: String,
}

/// The clocks of a subject, oldest first.
#[utoipa::path(get, path = "/api/v1/sla/clocks", tag = "sla", params(SubjectQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The subject's clocks", body = ClockList)))]
async fn list_clocks(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SubjectQuery>,
) -> Result<Json<ClockList>, ApiError> {
    let items = state
        .app
        .sla_clocks_of(&p, &q.subject_type, &q.subject_id)
        .await?;
    Ok(Json(ClockList {
        items: items
            .iter()
            .map(|c| ClockView::of(&state, c, None))
            .collect(),
    }))
}

/// A clock to start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The policy, e.g. `first_response.phone`.
    target_key: String,
    /// `ticket`, `booking`, `call`… (a–z, 0–9, `_`).
    subject_type: String,
    #[schema(min_length = 1, max_length = 200)]
    subject_id: String,
    channel: Option<String>,
    department_id: Option<Uuid>,
    agent_id: Option<Uuid>,
}

/// Starts a clock (needs `work_tickets`); for integrations such as a telephone system. The
/// desk and bookings start their clocks themselves.
#[utoipa::path(post, path = "/api/v1/sla/clocks", tag = "sla", request_body = StartBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Started", body = ClockView)))]
async fn start_clock(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<StartBody>,
) -> Result<(StatusCode, Json<ClockView>), ApiError> {
    let rec = state
        .app
        .start_sla_clock_for(
            &p,
            StartClock {
                subject_type: b.subject_type,
                subject_id: b.subject_id,
                target_key: b.target_key,
                channel: b.channel,
                department_id: b.department_id,
                agent_id: b.agent_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ClockView::of(&state, &rec, None))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// A clock with its events.
#[utoipa::path(get, path = "/api/v1/sla/clocks/{id}", tag = "sla", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The clock", body = ClockView)))]
async fn get_clock(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<ClockView>, ApiError> {
    let d = state.app.sla_clock(&p, path.id).await?;
    Ok(Json(ClockView::of(&state, &d.clock, Some(&d.events))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ActionPath {
    id: Uuid,
    /// `pause`, `resume`, `stop` or `cancel`.
    #[param(inline)]
    action: ClockAction,
}

/// Pauses, resumes, stops or cancels a clock (needs `work_tickets`).
#[utoipa::path(post, path = "/api/v1/sla/clocks/{id}/{action}", tag = "sla", params(ActionPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The clock after the transition", body = ClockView)))]
async fn clock_action(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ActionPath>,
) -> Result<Json<ClockView>, ApiError> {
    let rec = state
        .app
        .sla_clock_action_for(&p, path.id, path.action)
        .await?;
    Ok(Json(ClockView::of(&state, &rec, None)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceParams {
    /// Start of the period: a date (`YYYY-MM-DD`, from its start in the organisation's zone)
    /// or an RFC 3339 instant.
    from: String,
    /// End of the period: a date (included) or an RFC 3339 instant (excluded).
    to: String,
    /// Break the figures down by `channel`, `department` or `agent`.
    by: Option<String>,
    /// Only this target.
    target_key: Option<String>,
}

/// Figures of one target (and breakdown value).
#[derive(Serialize, ToSchema)]
pub struct ComplianceView {
    target_key: String,
    name_zh: String,
    name_en: String,
    kind: ClockKind,
    /// The channel, department id or agent id (absent: not recorded, or no breakdown).
    group: Option<String>,
    met: u32,
    breached: u32,
    /// Running or paused, not yet late.
    running: u32,
    /// met / (met + breached), 0–1.
    share_met: Option<f64>,
    /// Median elapsed time of clocks with an outcome, in seconds (nearest rank).
    median_secs: Option<f64>,
    /// 90th percentile of the same, in seconds.
    p90_secs: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceReport {
    from: String,
    to: String,
    by: Option<String>,
    items: Vec<ComplianceView>,
}

/// A period bound: a date in the organisation's zone (`end` = the day after) or an instant.
pub fn period_bound(
    state: &AppState,
    field: &str,
    s: &str,
    end: bool,
) -> Result<Timestamp, AppError> {
    let s = s.trim();
    if s.len() == 10 {
        let d: Date = s.parse().map_err(|_| {
            AppError::field(
                field,
                "invalid",
                "expected YYYY-MM-DD or an RFC 3339 instant",
            )
        })?;
        let d = if end {
            d.tomorrow()
                .map_err(|_| AppError::field(field, "invalid", "date out of range"))?
        } else {
            d
        };
        return d
            .to_zoned(state.tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| AppError::field(field, "invalid", "date out of range"));
    }
    parse_instant(field, s)
}

fn secs(d: Option<SignedDuration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

/// Compliance per target over a period (needs `view_reports`): met, breached and running
/// counts, the share met, the median and 90th percentile of elapsed time; optionally by
/// channel, department or agent. Covers the clocks started in the period.
#[utoipa::path(get, path = "/api/v1/sla/compliance", tag = "sla", params(ComplianceParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The figures", body = ComplianceReport)))]
async fn get_compliance(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ComplianceParams>,
) -> Result<Json<ComplianceReport>, ApiError> {
    let from = period_bound(&state, "from", &q.from, false)?;
    let to = period_bound(&state, "to", &q.to, true)?;
    let by = match q.by.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(Breakdown::parse(b).ok_or_else(|| {
            AppError::field("by", "invalid", "by must be channel, department or agent")
        })?),
    };
    let rows = state
        .app
        .sla_compliance(
            &p,
            &ComplianceQuery {
                from,
                to,
                by,
                target_key: q.target_key.clone(),
            },
        )
        .await?;
    Ok(Json(ComplianceReport {
        from: rfc3339(&state, from),
        to: rfc3339(&state, to),
        by: q.by,
        items: rows
            .into_iter()
            .map(|r| ComplianceView {
                target_key: r.target_key,
                name_zh: r.name_zh,
                name_en: r.name_en,
                kind: r.kind,
                group: r.group,
                met: r.figures.met,
                breached: r.figures.breached,
                running: r.figures.running,
                share_met: r.figures.share_met,
                median_secs: secs(r.figures.median),
                p90_secs: secs(r.figures.p90),
            })
            .collect(),
    }))
}
