//! The job substrate for administrators: jobs by state (dead ones first of interest) and the
//! retry of a dead job.

use super::rfc3339;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_store::{JobRecord, JobState};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
}

/// A job.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    id: Uuid,
    /// The handler that runs it, e.g. `jobs.prune_succeeded`.
    kind: String,
    state: JobState,
    /// Due: when it may run next; running: when it was claimed; otherwise when it last ran.
    run_at: String,
    attempts: i64,
    max_attempts: i64,
    /// Set while pending for a recurring schedule or "one pending per X" job.
    unique_key: Option<String>,
    /// The last failure, if any.
    last_error: Option<String>,
    created_at: String,
    finished_at: Option<String>,
}

impl JobView {
    pub fn of(state: &AppState, j: &JobRecord) -> Self {
        Self {
            id: j.id,
            kind: j.kind.clone(),
            state: j.state,
            run_at: rfc3339(state, j.run_at),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            unique_key: j.unique_key.clone(),
            last_error: j.last_error.clone(),
            created_at: rfc3339(state, j.created_at),
            finished_at: j.finished_at.map(|t| rfc3339(state, t)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct JobList {
    items: Vec<JobView>,
    /// Whether another page follows (ask again with `offset` + `limit`).
    more: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    state: Option<JobState>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// Jobs, newest first, optionally of one state (needs `manage_settings`).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of jobs", body = JobList)))]
async fn list_jobs(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<JobList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 500)?;
    let page = state
        .app
        .list_jobs(&p, q.state, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(JobList {
        items: page.jobs.iter().map(|j| JobView::of(&state, j)).collect(),
        more: page.more,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct JobPath {
    id: Uuid,
}

/// Puts a dead job back to due now with a fresh set of attempts (needs `manage_settings`;
/// audited). 409 `job_not_dead` when the job is not dead.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", params(JobPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Due again", body = JobView)))]
async fn retry_job(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<JobPath>,
) -> Result<Json<JobView>, ApiError> {
    let job = state.app.retry_job(&p, path.id).await?;
    Ok(Json(JobView::of(&state, &job)))
}
