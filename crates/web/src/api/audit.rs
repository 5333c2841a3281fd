//! The audit log, for supervisors: every write and every reveal, newest first.

use super::rfc3339;
use crate::extract::{ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_store::{AuditEntry, AuditFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Position in the hash chain, 1, 2, 3, …
    seq: i64,
    id: Uuid,
    at: String,
    actor_id: Option<Uuid>,
    actor_name: String,
    /// e.g. `customer.reveal`, `customer.create`, `user.update`, `auth.login`.
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    /// What changed (field names, reasons), never a sensitive value.
    #[schema(value_type = Object)]
    summary: serde_json::Value,
    hash: String,
}

impl AuditEntryView {
    pub fn of(state: &AppState, e: &AuditEntry) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: rfc3339(state, e.at),
            actor_id: e.actor_id,
            actor_name: e.actor_name.clone(),
            action: e.action.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id.clone(),
            summary: serde_json::from_str(&e.summary).unwrap_or(serde_json::Value::Null),
            hash: e.hash.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    items: Vec<AuditEntryView>,
    total: u64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    actor_id: Option<Uuid>,
    /// An action, or a prefix ending in `.` (`customer.`).
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// RFC 3339 instant, inclusive.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339 instant, exclusive.
    #[param(format = DateTime)]
    to: Option<String>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// An RFC 3339 instant when given; a blank value is not an instant (the document declares
/// `date-time`), so it is refused like any other malformed one.
fn instant(field: &str, v: Option<String>) -> Result<Option<jiff::Timestamp>, ApiError> {
    v.map(|s| {
        super::parse_instant(field, &s).map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "bad_query",
                "a query parameter is invalid",
            )
            .with_field(
                field,
                "invalid",
                format!("{field} must be an RFC 3339 instant with its offset (Z or ±HH:MM)"),
            )
        })
    })
    .transpose()
}

/// Browses the audit log (needs `view_audit`), newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of entries", body = AuditList)))]
async fn list_audit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    let limit = super::page_limit(q.limit, 100, 500)?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action: q.action,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        from: instant("from", q.from)?,
        to: instant("to", q.to)?,
        limit,
        offset: q.offset.unwrap_or(0),
    };
    let page = state.app.list_audit(&p, &filter).await?;
    Ok(Json(AuditList {
        items: page
            .entries
            .iter()
            .map(|e| AuditEntryView::of(&state, e))
            .collect(),
        total: page.total,
    }))
}
