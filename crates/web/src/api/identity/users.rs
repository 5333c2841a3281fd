//! Staff accounts.

use crate::api::{nullable, rfc3339};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::identity::{NewUser, UserChanges};
use tripdesk_domain::identity::Role;
use tripdesk_store::{User, UserFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

/// Interface language.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub enum Locale {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
}

/// A staff account as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department_id: Option<Uuid>,
    pub roles: Vec<Role>,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub disabled: bool,
    /// RFC 3339, in the organisation's zone.
    pub created_at: String,
    pub updated_at: String,
}

impl UserView {
    pub fn of(state: &AppState, u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            department_id: u.department_id,
            roles: u.roles.to_vec(),
            locale: u.locale.clone(),
            disabled: u.disabled_at.is_some(),
            created_at: rfc3339(state, u.created_at),
            updated_at: rfc3339(state, u.updated_at),
        }
    }
}

/// A page of users.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    /// Users matching the filter, over all pages.
    pub total: u64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Substring of the username or display name.
    q: Option<String>,
    department_id: Option<Uuid>,
    role: Option<Role>,
    /// Include disabled accounts (default false).
    include_disabled: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

/// Lists staff accounts.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of users", body = UserList)))]
async fn list_users(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<UserList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 200)?;
    let filter = UserFilter {
        department_id: q.department_id,
        role: q.role,
        query: q.q,
        include_disabled: q.include_disabled.unwrap_or(false),
        limit,
        offset: q.offset.unwrap_or(0),
    };
    let page = state.app.list_users(&p, &filter).await?;
    Ok(Json(UserList {
        items: page.users.iter().map(|u| UserView::of(&state, u)).collect(),
        total: page.total,
    }))
}

/// A new staff account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–32 characters of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    #[schema(min_length = 3, max_length = 32, pattern = "^[a-z][a-z0-9._-]{2,31}$")]
    username: String,
    #[schema(min_length = 1, max_length = 80)]
    display_name: String,
    email: Option<String>,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    department_id: Option<Uuid>,
    #[schema(min_items = 1)]
    roles: Vec<Role>,
    locale: Option<Locale>,
}

/// Creates a staff account (needs `manage_users`).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = UserView)))]
async fn create_user(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let user = state
        .app
        .create_user(
            &p,
            NewUser {
                username: body.username,
                display_name: body.display_name,
                email: body.email,
                password: body.password,
                department_id: body.department_id,
                roles: body.roles.into_iter().collect(),
                locale: body.locale.map(|l| l.as_str().to_string()),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::of(&state, &user))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// One staff account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The user", body = UserView)))]
async fn get_user(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.app.get_user(&p, path.id).await?;
    Ok(Json(UserView::of(&state, &user)))
}

/// Changes to a staff account; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 80)]
    display_name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// `null` removes the user from any department.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    department_id: Option<Option<Uuid>>,
    #[schema(min_items = 1)]
    roles: Option<Vec<Role>>,
    locale: Option<Locale>,
    /// Disabling signs the user out everywhere.
    disabled: Option<bool>,
    /// A new password; signs the user out everywhere.
    #[schema(min_length = 10, max_length = 256)]
    password: Option<String>,
}

/// Updates a staff account (needs `manage_users`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(IdPath), request_body = UpdateUser,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The updated user", body = UserView)))]
async fn update_user(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    let user = state
        .app
        .update_user(
            &p,
            path.id,
            UserChanges {
                display_name: body.display_name,
                email: body.email,
                department_id: body.department_id,
                roles: body.roles.map(|r| r.into_iter().collect()),
                locale: body.locale.map(|l| l.as_str().to_string()),
                disabled: body.disabled,
                password: body.password,
            },
        )
        .await?;
    Ok(Json(UserView::of(&state, &user)))
}
