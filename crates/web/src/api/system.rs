//! Health and metrics.

use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics))
}

/// Health of this node.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    status: String,
    /// `sqlite` or `postgres`.
    database: String,
    version: String,
}

/// Health check: 200 when this node can reach its database, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "Healthy", body = Health)))]
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    state
        .app
        .store
        .ping()
        .await
        .map_err(tripdesk_app::AppError::from)?;
    Ok(axum::Json(Health {
        status: "ok".into(),
        database: state.app.store.backend().as_str().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
