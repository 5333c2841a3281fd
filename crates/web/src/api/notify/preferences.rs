//! Recipient preferences (channels, quiet hours) and per-channel rate limits.

use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_store::{Preference, RateLimit};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_preference, put_preference))
        .routes(routes!(list_rate_limits))
        .routes(routes!(put_rate_limit, delete_rate_limit))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RecipientPath {
    /// `user:<id>` or `customer:<id>`.
    recipient_key: String,
}

/// How a recipient wants to be reached.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceBody {
    /// `email` or `in_app`.
    channel: Option<String>,
    /// `zh-CN` or `en`.
    locale: Option<String>,
    /// Quiet hours start, minutes after local midnight (e.g. 1320 = 22:00).
    #[schema(minimum = 0, maximum = 1439)]
    quiet_start: Option<i64>,
    #[schema(minimum = 0, maximum = 1439)]
    quiet_end: Option<i64>,
    /// IANA zone of the quiet hours (default Asia/Shanghai).
    timezone: Option<String>,
}

/// A recipient's preferences (404 when none are set). A staff member reads their own;
/// another staff member's only an administrator; a customer's whoever may see customers.
#[utoipa::path(get, path = "/api/v1/preferences/{recipient_key}", tag = "notifications", params(RecipientPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Preferences", body = PreferenceBody)))]
async fn get_preference(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RecipientPath>,
) -> Result<Json<PreferenceBody>, ApiError> {
    let pref = state
        .app
        .get_preference(&p, &path.recipient_key)
        .await?
        .ok_or(tripdesk_app::AppError::NotFound("preference"))?;
    Ok(Json(PreferenceBody {
        channel: pref.channel,
        locale: pref.locale,
        quiet_start: pref.quiet_start,
        quiet_end: pref.quiet_end,
        timezone: Some(pref.timezone),
    }))
}

/// Sets a recipient's preferences: preferred channel and language, quiet hours (only
/// emergencies are delivered inside them). A staff member sets their own; another staff
/// member's only an administrator; a customer's whoever may edit customers. Audited
/// (`preference.set`).
#[utoipa::path(put, path = "/api/v1/preferences/{recipient_key}", tag = "notifications", params(RecipientPath), request_body = PreferenceBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved", body = PreferenceBody)))]
async fn put_preference(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<RecipientPath>,
    ApiJson(b): ApiJson<PreferenceBody>,
) -> Result<Json<PreferenceBody>, ApiError> {
    let saved = state
        .app
        .set_preference(
            &p,
            Preference {
                recipient_key: path.recipient_key,
                channel: b.channel,
                locale: b.locale,
                quiet_start: b.quiet_start,
                quiet_end: b.quiet_end,
                timezone: b.timezone.unwrap_or_else(|| "Asia/Shanghai".into()),
                updated_at: jiff::Timestamp::UNIX_EPOCH,
            },
        )
        .await?;
    Ok(Json(PreferenceBody {
        channel: saved.channel,
        locale: saved.locale,
        quiet_start: saved.quiet_start,
        quiet_end: saved.quiet_end,
        timezone: Some(saved.timezone),
    }))
}

/// A channel's send rate, shared by all nodes.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitBody {
    /// Messages per second.
    #[schema(minimum = 1, maximum = 100000)]
    per_second: i64,
    /// How many may go at once after a quiet spell.
    #[schema(minimum = 1, maximum = 100000)]
    burst: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitView {
    channel: String,
    per_second: i64,
    burst: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitList {
    items: Vec<RateLimitView>,
}

fn rate_view(r: RateLimit) -> RateLimitView {
    RateLimitView {
        channel: r.channel,
        per_second: r.per_second,
        burst: r.burst,
    }
}

/// Per-channel rate limits (needs `view_deliveries`).
#[utoipa::path(get, path = "/api/v1/rate-limits", tag = "messages",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Limits", body = RateLimitList)))]
async fn list_rate_limits(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<RateLimitList>, ApiError> {
    let items = state.app.list_rate_limits(&p).await?;
    Ok(Json(RateLimitList {
        items: items.into_iter().map(rate_view).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChannelPath {
    channel: String,
}

/// Sets a channel's rate limit (needs `manage_notifications`).
#[utoipa::path(put, path = "/api/v1/rate-limits/{channel}", tag = "messages", params(ChannelPath), request_body = RateLimitBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved", body = RateLimitView)))]
async fn put_rate_limit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ChannelPath>,
    ApiJson(b): ApiJson<RateLimitBody>,
) -> Result<Json<RateLimitView>, ApiError> {
    let r = state
        .app
        .set_rate_limit(
            &p,
            RateLimit {
                channel: path.channel,
                per_second: b.per_second,
                burst: b.burst,
            },
        )
        .await?;
    Ok(Json(rate_view(r)))
}

/// Removes a channel's rate limit.
#[utoipa::path(delete, path = "/api/v1/rate-limits/{channel}", tag = "messages", params(ChannelPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Removed")))]
async fn delete_rate_limit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ChannelPath>,
) -> Result<StatusCode, ApiError> {
    state.app.remove_rate_limit(&p, &path.channel).await?;
    Ok(StatusCode::NO_CONTENT)
}
