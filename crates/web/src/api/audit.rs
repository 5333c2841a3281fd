//! The audit log, for supervisors: every write and every reveal, newest first.

use super::rfc3339;
use crate::extract::{ApiQuery, Auth};
use crate::i18n::{Lang, Tr};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_domain::audit::AuditAction;
use tripdesk_store::{AuditEntry, AuditFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(list_audit_actions))
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
    /// e.g. `customer.reveal`, `sla_policy.update`, `auth.login`: one of
    /// `GET /api/v1/audit/actions` (entries of older releases keep the codes they had).
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
    /// An action of `GET /api/v1/audit/actions`, or a group followed by a dot (`customer.`).
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
    // A blank action is no filter (as on the page); anything else must name an action or a group.
    let action = q.action.filter(|a| !a.trim().is_empty());
    if let Some(a) = action.as_deref().filter(|a| !AuditAction::is_filter(a)) {
        let shown: String = a.chars().take(60).collect();
        // Well-formed text naming no action: a rule the document cannot state, so 422 (as
        // an id naming no record), not 400.
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "a query parameter names no audit action",
        )
        .with_field(
            "action",
            "unknown",
            format!(
                "no audit action {shown:?}: give one of GET /api/v1/audit/actions, or a group followed by a dot"
            ),
        ));
    }
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action,
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

/// One kind of audited action, with its labels.
#[derive(Serialize, ToSchema)]
pub struct AuditActionView {
    /// The stable code entries carry and `action` filters by, e.g. `sla_policy.update`.
    code: &'static str,
    /// The entity group (`sla_policy`): `action=sla_policy.` filters the whole group.
    group: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct AuditActionList {
    items: Vec<AuditActionView>,
}

/// The actions the audit log records, grouped by entity, with their Chinese and English
/// labels (needs `view_audit`).
#[utoipa::path(get, path = "/api/v1/audit/actions", tag = "audit",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Every action", body = AuditActionList)))]
async fn list_audit_actions(Auth(p): Auth) -> Result<Json<AuditActionList>, ApiError> {
    p.require(tripdesk_domain::identity::Permission::ViewAudit)?;
    Ok(Json(AuditActionList {
        items: AuditAction::ALL
            .iter()
            .map(|a| {
                let key = format!("audit.act.{}", a.code());
                AuditActionView {
                    code: a.code(),
                    group: a.group(),
                    label_zh: Tr(Lang::ZhCn).s(&key),
                    label_en: Tr(Lang::En).s(&key),
                }
            })
            .collect(),
    }))
}
