//! Long-lived API tokens for integrations.

use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::auth::Credential;
use tripdesk_store::ApiToken;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// An API token (without its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    id: Uuid,
    user_id: Uuid,
    name: String,
    /// The first characters, to tell tokens apart.
    prefix: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
}

impl TokenView {
    fn of(state: &AppState, t: &ApiToken) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: rfc3339(state, t.created_at),
            expires_at: t.expires_at.map(|x| rfc3339(state, x)),
            revoked_at: t.revoked_at.map(|x| rfc3339(state, x)),
            last_used_at: t.last_used_at.map(|x| rfc3339(state, x)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    items: Vec<TokenView>,
}

/// Lists API tokens (needs `manage_api_tokens`).
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "api-tokens",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "All tokens", body = TokenList)))]
async fn list_tokens(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.app.list_api_tokens(&p).await?;
    Ok(Json(TokenList {
        items: tokens.iter().map(|t| TokenView::of(&state, t)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. `OTA channel manager`.
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    /// Days until it expires (1–3650); absent: never.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
}

/// A new token; `token` is shown only now.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    token: String,
    #[serde(flatten)]
    details: TokenView,
}

/// Issues a token acting as the caller's account (needs `manage_api_tokens`).
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "api-tokens", request_body = CreateToken,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = CreatedToken)))]
async fn create_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let issued = state
        .app
        .issue_api_token(&p, &body.name, body.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: issued.token,
            details: TokenView::of(&state, &issued.record),
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// Revokes a token at once (needs `manage_api_tokens`). The token making the request cannot
/// revoke itself.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "api-tokens", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Revoked")))]
async fn revoke_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    if p.credential == (Credential::ApiToken { token_id: path.id }) {
        return Err(tripdesk_app::AppError::Conflict {
            code: "token_in_use",
            message: "a token cannot revoke itself; use another credential".into(),
            field: None,
        }
        .into());
    }
    state.app.revoke_api_token(&p, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
