//! Reports to the tourism authority and closing: the first report (首报), update reports
//! (续报) while the incident is handled, the end of handling (处置结束) and the closing
//! summary (总结报告), each under its clock ([`ClocksView`]).

use super::{IncidentPath, IncidentView};
use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::emergency::ReportClocks;
use tripdesk_store::{Incident, SlaClockRecord};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(report_update))
        .routes(routes!(end_handling))
        .routes(routes!(close))
}

/// One report's clock.
#[derive(Serialize, ToSchema)]
pub struct ReportClockView {
    /// `running`, `paused`, `met`, `breached` or `cancelled`, now.
    state: String,
    started_at: String,
    due_at: String,
    /// When it was stopped (the report made) or cancelled.
    stopped_at: Option<String>,
}

impl ReportClockView {
    fn of(state: &AppState, c: &SlaClockRecord) -> Self {
        Self {
            state: c.clock.state_at(state.app.now()).as_str().to_string(),
            started_at: rfc3339(state, c.clock.started_at()),
            due_at: rfc3339(state, c.clock.due_at()),
            stopped_at: c.clock.stopped_at().map(|t| rfc3339(state, t)),
        }
    }
}

/// The clocks of the reports to the authority (absent where the level sets no hour, or the
/// report is not due yet).
#[derive(Serialize, ToSchema)]
pub struct ClocksView {
    first_report: Option<ReportClockView>,
    /// The update report due next, while the incident is handled.
    update_due: Option<ReportClockView>,
    /// Update reports made, and how many of them after their deadline.
    updates_made: u32,
    updates_late: u32,
    /// From the end of handling to the closing summary.
    closing_summary: Option<ReportClockView>,
}

impl ClocksView {
    pub(super) fn of(state: &AppState, i: &Incident, c: &ReportClocks) -> Self {
        Self {
            first_report: c.first.as_ref().map(|x| ReportClockView::of(state, x)),
            update_due: c.update_due().map(|x| ReportClockView::of(state, x)),
            updates_made: i.update_reports as u32,
            updates_late: c.updates_late() as u32,
            closing_summary: c.summary.as_ref().map(|x| ReportClockView::of(state, x)),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// To whom and how (e.g. 已电话报告三亚市旅游和文化广电体育局值班室).
    note: String,
}

/// Records the first report to the tourism authority (needs `manage_incidents`; audited):
/// its clock stops and the first update report's starts. 409 `incident.already_reported`.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/report", tag = "incidents",
    params(IncidentPath), request_body = ReportBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = IncidentView)))]
async fn report(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<ReportBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let i = state.app.report_incident(&p, path.id, &body.note).await?;
    Ok(Json(IncidentView::of(&state, i)))
}

/// Records an update report (续报) to the tourism authority (needs `manage_incidents`;
/// audited): the update clock running stops, met or late, and the next one starts. 409
/// `incident.not_reported` before the first report, `incident.handling_ended` after the end
/// of handling.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/update-report", tag = "incidents",
    params(IncidentPath), request_body = ReportBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = IncidentView)))]
async fn report_update(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<ReportBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let i = state
        .app
        .report_incident_update(&p, path.id, &body.note)
        .await?;
    Ok(Json(IncidentView::of(&state, i)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndHandlingBody {
    /// The version read; a change made meanwhile answers 409 `incident.changed`.
    version: i64,
}

/// Declares the incident's handling ended (处置结束; needs `manage_incidents`; audited): no
/// more update reports are due and the closing summary's clock starts. 409
/// `incident.handling_ended` if it already has.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/end-handling", tag = "incidents",
    params(IncidentPath), request_body = EndHandlingBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Handling ended", body = IncidentView)))]
async fn end_handling(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<EndHandlingBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let i = state
        .app
        .end_incident_handling(&p, path.id, body.version)
        .await?;
    Ok(Json(IncidentView::of(&state, i)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// The closing summary: what happened, what was done, what to improve.
    summary: String,
    version: i64,
}

/// Closes an incident with its summary (needs `manage_incidents`; audited): the closing
/// summary's clock stops, met or late.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents",
    params(IncidentPath), request_body = CloseBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Closed", body = IncidentView)))]
async fn close(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let i = state
        .app
        .close_incident(&p, path.id, &body.summary, body.version)
        .await?;
    Ok(Json(IncidentView::of(&state, i)))
}
