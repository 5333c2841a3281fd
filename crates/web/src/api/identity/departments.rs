//! Departments and handling groups.

use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::identity::DepartmentInput;
use tripdesk_store::Department;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(get_department, update_department))
}

/// A department or group.
#[derive(Serialize, ToSchema)]
pub struct DepartmentView {
    id: Uuid,
    code: String,
    name_zh: String,
    name_en: String,
    business_unit_id: Option<Uuid>,
    /// Active members (only in lists).
    member_count: Option<u64>,
    created_at: String,
    updated_at: String,
}

impl DepartmentView {
    fn of(state: &AppState, d: &Department, member_count: Option<u64>) -> Self {
        Self {
            id: d.id,
            code: d.code.clone(),
            name_zh: d.name_zh.clone(),
            name_en: d.name_en.clone(),
            business_unit_id: d.business_unit_id,
            member_count,
            created_at: rfc3339(state, d.created_at),
            updated_at: rfc3339(state, d.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    items: Vec<DepartmentView>,
}

/// Lists departments with their member counts.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "All departments", body = DepartmentList)))]
async fn list_departments(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<DepartmentList>, ApiError> {
    let items = state.app.list_departments(&p).await?;
    Ok(Json(DepartmentList {
        items: items
            .iter()
            .map(|(d, n)| DepartmentView::of(&state, d, Some(*n)))
            .collect(),
    }))
}

/// A department as submitted.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    /// Stable short code: a–z, 0–9, `_`.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_]{1,40}$")]
    code: String,
    #[schema(min_length = 1, max_length = 80)]
    name_zh: String,
    #[schema(min_length = 1, max_length = 80)]
    name_en: String,
    business_unit_id: Option<Uuid>,
}

impl From<DepartmentBody> for DepartmentInput {
    fn from(b: DepartmentBody) -> Self {
        DepartmentInput {
            code: b.code,
            name_zh: b.name_zh,
            name_en: b.name_en,
            business_unit_id: b.business_unit_id,
        }
    }
}

/// Creates a department (needs `manage_users`).
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = DepartmentBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = DepartmentView)))]
async fn create_department(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    let d = state.app.create_department(&p, body.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(DepartmentView::of(&state, &d, None)),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The department", body = DepartmentView)))]
async fn get_department(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<DepartmentView>, ApiError> {
    let d = state.app.get_department(&p, path.id).await?;
    Ok(Json(DepartmentView::of(&state, &d, None)))
}

/// Replaces a department's code and names (needs `manage_users`).
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", params(IdPath), request_body = DepartmentBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The updated department", body = DepartmentView)))]
async fn update_department(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<Json<DepartmentView>, ApiError> {
    let d = state
        .app
        .update_department(&p, path.id, body.into())
        .await?;
    Ok(Json(DepartmentView::of(&state, &d, None)))
}
