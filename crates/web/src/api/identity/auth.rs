//! Signing in and out.

use super::users::UserView;
use crate::api::rfc3339;
use crate::extract::{ApiJson, Auth, ClientIp};
use crate::problem::ApiError;
use crate::{session_cookie, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    #[schema(min_length = 1, max_length = 256)]
    password: String,
}

/// A session: use `token` as `Authorization: Bearer <token>`. The same session is also set
/// as an HttpOnly cookie; cookie-authenticated writes must send `csrf_token` in `X-CSRF-Token`.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    token: String,
    /// Always `Bearer`.
    token_type: String,
    /// RFC 3339; the expiry slides forward while the session is used.
    expires_at: String,
    csrf_token: String,
    user: UserView,
}

/// Signs in. After 5 failures for one username within 15 minutes (or 50 from one address)
/// further attempts answer 429 until the window passes.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = LoginResponse),
        (status = 401, description = "Wrong username or password", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let signed_in = state
        .app
        .login(&body.username, &body.password, ip.as_deref())
        .await?;
    let user = state
        .app
        .get_user(&signed_in.principal, signed_in.principal.user_id)
        .await?;
    let cookie = session_cookie(
        &state,
        &signed_in.token,
        state.app.settings.session_ttl.as_secs(),
    );
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookie)]),
        Json(LoginResponse {
            token: signed_in.token,
            token_type: "Bearer".into(),
            expires_at: rfc3339(&state, signed_in.session.expires_at),
            csrf_token: signed_in.session.csrf_token,
            user: UserView::of(&state, &user),
        }),
    ))
}

/// Signs out: ends the session and clears the cookie (API tokens are revoked instead).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<impl IntoResponse, ApiError> {
    state.app.logout(&p).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, session_cookie(&state, "", 0))]),
    ))
}

/// The signed-in user and what they may do.
#[derive(Serialize, ToSchema)]
pub struct Me {
    user: UserView,
    /// Permission names, e.g. `manage_users`.
    permissions: Vec<String>,
}

/// Who am I?
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The signed-in user", body = Me)))]
async fn me(State(state): State<AppState>, Auth(p): Auth) -> Result<Json<Me>, ApiError> {
    let user = state.app.get_user(&p, p.user_id).await?;
    let mut permissions: Vec<String> = user
        .roles
        .iter()
        .flat_map(|r| r.grants().iter().map(|g| g.as_str().to_string()))
        .collect();
    permissions.sort();
    permissions.dedup();
    Ok(Json(Me {
        user: UserView::of(&state, &user),
        permissions,
    }))
}
