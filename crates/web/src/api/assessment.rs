//! Staff assessment: monthly cycles, supervisor / peer / self ratings on the seed's five
//! criteria, training records, results per agent and department, rewards and corrections.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::assessment::{
    ActionInput, AgentResult, AssessmentResults, RatingInput, TrainingInput,
};
use tripdesk_domain::assessment::{ActionKind, CycleState, Marks, RaterKind, Subject};
use tripdesk_store::{AssessmentAction, AssessmentCycle, StaffRating, TrainingRecord};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cycles, open_cycle))
        .routes(routes!(close_cycle))
        .routes(routes!(rate))
        .routes(routes!(results))
        .routes(routes!(record_action))
        .routes(routes!(record_training))
}

/// A month's assessment.
#[derive(Serialize, ToSchema)]
pub struct CycleView {
    /// `YYYY-MM`.
    month: String,
    state: CycleState,
    opened_by: Uuid,
    opened_at: String,
    closed_by: Option<Uuid>,
    closed_at: Option<String>,
}

impl CycleView {
    fn of(state: &AppState, c: &AssessmentCycle) -> Self {
        Self {
            month: c.month.clone(),
            state: c.state,
            opened_by: c.opened_by,
            opened_at: rfc3339(state, c.opened_at),
            closed_by: c.closed_by,
            closed_at: c.closed_at.map(|t| rfc3339(state, t)),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CycleQuery {
    /// Page size, 1–120 (default 24).
    #[param(minimum = 1, maximum = 120)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// The months, newest first (needs `rate_colleagues` or `view_reports`).
#[utoipa::path(get, path = "/api/v1/assessment/cycles", tag = "assessment", params(CycleQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Newest month first", body = Vec<CycleView>)))]
async fn list_cycles(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CycleQuery>,
) -> Result<Json<Vec<CycleView>>, ApiError> {
    let limit = super::page_limit(q.limit, 24, 120)?;
    let cycles = state
        .app
        .list_assessments(&p, limit, q.offset.unwrap_or(0))
        .await?;
    Ok(Json(
        cycles.iter().map(|c| CycleView::of(&state, c)).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCycleBody {
    /// `YYYY-MM`, not after the current month.
    month: String,
}

/// Opens a month's assessment (needs `assess_staff`; audited). 409 `assessment_exists`.
#[utoipa::path(post, path = "/api/v1/assessment/cycles", tag = "assessment",
    request_body = OpenCycleBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Opened", body = CycleView)))]
async fn open_cycle(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<OpenCycleBody>,
) -> Result<(StatusCode, Json<CycleView>), ApiError> {
    let c = state.app.open_assessment(&p, &body.month).await?;
    Ok((StatusCode::CREATED, Json(CycleView::of(&state, &c))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MonthPath {
    /// `YYYY-MM`.
    month: String,
}

/// Closes a month's assessment: no rating changes after (needs `assess_staff`; audited).
/// 409 `assessment_closed` when it is closed.
#[utoipa::path(post, path = "/api/v1/assessment/cycles/{month}/close", tag = "assessment",
    params(MonthPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Closed", body = CycleView)))]
async fn close_cycle(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MonthPath>,
) -> Result<Json<CycleView>, ApiError> {
    let c = state.app.close_assessment(&p, &path.month).await?;
    Ok(Json(CycleView::of(&state, &c)))
}

/// Marks 1–5 on the seed's criteria; omit one not rated.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MarksBody {
    satisfaction: Option<u8>,
    response_time: Option<u8>,
    problem_solving: Option<u8>,
    product_knowledge: Option<u8>,
    communication: Option<u8>,
}

impl MarksBody {
    fn marks(&self) -> Marks {
        [
            self.satisfaction,
            self.response_time,
            self.problem_solving,
            self.product_knowledge,
            self.communication,
        ]
    }

    fn of(m: &Marks) -> Self {
        Self {
            satisfaction: m[0],
            response_time: m[1],
            problem_solving: m[2],
            product_knowledge: m[3],
            communication: m[4],
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    ratee_id: Uuid,
    /// `supervisor` (needs `assess_staff`), `peer` or `self` (need `rate_colleagues`).
    kind: RaterKind,
    marks: MarksBody,
    comment: Option<String>,
}

/// A rating entered.
#[derive(Serialize, ToSchema)]
pub struct RatingView {
    id: Uuid,
    ratee_id: Uuid,
    rater_id: Uuid,
    kind: RaterKind,
    marks: MarksBody,
    comment: Option<String>,
    at: String,
}

impl RatingView {
    fn of(state: &AppState, r: &StaffRating) -> Self {
        Self {
            id: r.id,
            ratee_id: r.ratee_id,
            rater_id: r.rater_id,
            kind: r.kind,
            marks: MarksBody::of(&r.marks),
            comment: r.comment.clone(),
            at: rfc3339(state, r.at),
        }
    }
}

/// Enters (or replaces) a rating in an open month (audited). 409 `assessment_closed`;
/// 422 when a mark is outside 1–5, none is given, or a self rating is about someone else
/// (a peer or supervisor rating about oneself).
#[utoipa::path(post, path = "/api/v1/assessment/cycles/{month}/ratings", tag = "assessment",
    params(MonthPath), request_body = RatingBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = RatingView)))]
async fn rate(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MonthPath>,
    ApiJson(body): ApiJson<RatingBody>,
) -> Result<Json<RatingView>, ApiError> {
    let r = state
        .app
        .rate_staff(
            &p,
            &path.month,
            &RatingInput {
                ratee_id: body.ratee_id,
                kind: body.kind,
                marks: body.marks.marks(),
                comment: body.comment,
            },
        )
        .await?;
    Ok(Json(RatingView::of(&state, &r)))
}

/// One agent's result.
#[derive(Serialize, ToSchema)]
pub struct AgentResultView {
    user_id: Uuid,
    name: String,
    department_id: Option<Uuid>,
    /// The department's name (Chinese).
    department: String,
    /// Weighted score 0–100 (customer 40 %, supervisor 30 %, peer 15 %, self 15 %; absent
    /// sources' weight shared out), absent without any rating.
    score: Option<f64>,
    /// Mean mark 1–5 per source: customer, supervisor, peer, self.
    customer: Option<f64>,
    supervisor: Option<f64>,
    peer: Option<f64>,
    #[serde(rename = "self")]
    self_rating: Option<f64>,
    /// Mean mark 1–5 per criterion over every rating.
    criteria: Vec<Option<f64>>,
    /// Ratings per source: customer, supervisor, peer, self.
    counts: Vec<usize>,
    trainings: usize,
    training_hours: f64,
    drills: u64,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl AgentResultView {
    fn of(a: &AgentResult) -> Self {
        let s = &a.score;
        Self {
            user_id: a.user_id,
            name: a.name.clone(),
            department_id: a.department_id,
            department: a.department.clone(),
            score: s.weighted.map(round2),
            customer: s.by_source[0].map(round2),
            supervisor: s.by_source[1].map(round2),
            peer: s.by_source[2].map(round2),
            self_rating: s.by_source[3].map(round2),
            criteria: s.by_criterion.iter().map(|c| c.map(round2)).collect(),
            counts: s.counts.to_vec(),
            trainings: a.trainings,
            training_hours: a.training_hours_tenths as f64 / 10.0,
            drills: a.drills,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentResultView {
    id: Option<Uuid>,
    name: String,
    agents: usize,
    /// Mean of its agents' scores.
    score: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ActionView {
    id: Uuid,
    subject: Subject,
    subject_id: Uuid,
    kind: ActionKind,
    note: String,
    recorded_by: Uuid,
    recorded_at: String,
}

impl ActionView {
    fn of(state: &AppState, a: &AssessmentAction) -> Self {
        Self {
            id: a.id,
            subject: a.subject,
            subject_id: a.subject_id,
            kind: a.kind,
            note: a.note.clone(),
            recorded_by: a.recorded_by,
            recorded_at: rfc3339(state, a.recorded_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TrainingView {
    id: Uuid,
    user_id: Uuid,
    title: String,
    #[schema(value_type = String, format = Date)]
    on_date: Date,
    hours: f64,
    recorded_by: Uuid,
}

impl TrainingView {
    fn of(t: &TrainingRecord) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            title: t.title.clone(),
            on_date: t.on_date,
            hours: t.hours_tenths as f64 / 10.0,
            recorded_by: t.recorded_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ResultsView {
    cycle: CycleView,
    /// Best score first.
    agents: Vec<AgentResultView>,
    departments: Vec<DepartmentResultView>,
    actions: Vec<ActionView>,
    trainings: Vec<TrainingView>,
}

/// A month's results per agent and per department, with its trainings, rewards and
/// corrections (needs `view_reports`).
#[utoipa::path(get, path = "/api/v1/assessment/cycles/{month}/results", tag = "assessment",
    params(MonthPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The month's results", body = ResultsView)))]
async fn results(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MonthPath>,
) -> Result<Json<ResultsView>, ApiError> {
    let r: AssessmentResults = state.app.assessment_results(&p, &path.month).await?;
    Ok(Json(ResultsView {
        cycle: CycleView::of(&state, &r.cycle),
        agents: r.agents.iter().map(AgentResultView::of).collect(),
        departments: r
            .departments
            .iter()
            .map(|d| DepartmentResultView {
                id: d.id,
                name: d.name.clone(),
                agents: d.agents,
                score: d.score.map(round2),
            })
            .collect(),
        actions: r
            .actions
            .iter()
            .map(|a| ActionView::of(&state, a))
            .collect(),
        trainings: r.trainings.iter().map(TrainingView::of).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    subject: Subject,
    /// The user or the department.
    subject_id: Uuid,
    kind: ActionKind,
    note: String,
}

/// Records a reward or correction on a month's results (needs `assess_staff`; audited).
#[utoipa::path(post, path = "/api/v1/assessment/cycles/{month}/actions", tag = "assessment",
    params(MonthPath), request_body = ActionBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Recorded", body = ActionView)))]
async fn record_action(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<MonthPath>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<(StatusCode, Json<ActionView>), ApiError> {
    let a = state
        .app
        .record_assessment_action(
            &p,
            &path.month,
            &ActionInput {
                subject: body.subject,
                subject_id: body.subject_id,
                kind: body.kind,
                note: body.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ActionView::of(&state, &a))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingBody {
    user_id: Uuid,
    title: String,
    #[schema(value_type = String, format = Date)]
    on_date: Date,
    /// 0.1 to 24.
    hours: f64,
}

/// Records a training a member of staff attended (needs `assess_staff`; audited).
#[utoipa::path(post, path = "/api/v1/assessment/trainings", tag = "assessment",
    request_body = TrainingBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Recorded", body = TrainingView)))]
async fn record_training(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<TrainingBody>,
) -> Result<(StatusCode, Json<TrainingView>), ApiError> {
    let hours_tenths = if body.hours.is_finite() {
        (body.hours * 10.0).round() as i64
    } else {
        0
    };
    let t = state
        .app
        .record_training(
            &p,
            &TrainingInput {
                user_id: body.user_id,
                title: body.title,
                on_date: body.on_date,
                hours_tenths,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(TrainingView::of(&t))))
}
