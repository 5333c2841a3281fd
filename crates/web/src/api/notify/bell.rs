//! The signed-in user's in-app notifications (the bell) and their unread count.

use super::IdPath;
use crate::api::rfc3339;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_store::InAppNotification;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    id: Uuid,
    message_id: Uuid,
    title: String,
    body: String,
    link: Option<String>,
    created_at: String,
    read_at: Option<String>,
}

impl NotificationView {
    fn of(state: &AppState, n: &InAppNotification) -> Self {
        Self {
            id: n.id,
            message_id: n.message_id,
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            created_at: rfc3339(state, n.created_at),
            read_at: n.read_at.map(|t| rfc3339(state, t)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    items: Vec<NotificationView>,
    unread: u64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    unread: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// The signed-in user's in-app notifications, newest first, and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Notifications", body = NotificationList)))]
async fn list_notifications(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let (items, unread) = state
        .app
        .my_notifications(
            &p,
            q.unread.unwrap_or(false),
            crate::api::page_limit(q.limit, 50, 500)?,
        )
        .await?;
    Ok(Json(NotificationList {
        items: items
            .iter()
            .map(|n| NotificationView::of(&state, n))
            .collect(),
        unread,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UnreadView {
    unread: u64,
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Unread count after", body = UnreadView)))]
async fn mark_read(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<UnreadView>, ApiError> {
    let unread = state.app.mark_notifications_read(&p, Some(path.id)).await?;
    Ok(Json(UnreadView { unread }))
}

/// Marks all of the user's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Unread count after", body = UnreadView)))]
async fn mark_all_read(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<UnreadView>, ApiError> {
    let unread = state.app.mark_notifications_read(&p, None).await?;
    Ok(Json(UnreadView { unread }))
}
