//! The audit log for supervisors: the hash-chained entries, filtered by action, actor, entity
//! and time.

mod text;

pub(crate) use text::TEXT;

use super::session::UiUser;
use super::{error_page, local_time, render, Chrome};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_store::AuditFilter;
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_link: Option<String>,
    summary: String,
}

struct ActionOption {
    value: &'static str,
    selected: bool,
}

/// Actions offered in the filter (a trailing `.` filters by prefix).
const AUDIT_ACTIONS: [&str; 14] = [
    "customer.",
    "customer.reveal",
    "customer.create",
    "customer.update",
    "customer.consent",
    "customer.merge",
    "customer.erase",
    "customer.export",
    "customer.export_list",
    "user.",
    "department.",
    "auth.",
    "api_token.",
    "vault.",
];

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    c: Chrome,
    actions: Vec<ActionOption>,
    actor: String,
    entity_id: String,
    rows: Vec<AuditRow>,
    count_label: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    entity_id: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    let t = Tr(user.lang);
    let actor_id = match q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(name) => match state.app.store.read().await.map_err(AppError::from) {
            Ok(mut tx) => match tx.get_user_by_username(&name.to_lowercase()).await {
                Ok(Some(u)) => Some(u.id),
                // An unknown name matches nothing.
                Ok(None) => Some(Uuid::nil()),
                Err(e) => return error_page(&state, &user, "customers", e.into()),
            },
            Err(e) => return error_page(&state, &user, "customers", e),
        },
    };
    let filter = AuditFilter {
        actor_id,
        action: q.action.clone().filter(|a| !a.is_empty()),
        entity_id: q.entity_id.clone().filter(|a| !a.is_empty()),
        limit: 200,
        ..Default::default()
    };
    let page = match state.app.list_audit(&user.principal, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    let rows = page
        .entries
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: local_time(&state, e.at),
            actor: e.actor_name.clone(),
            action: e.action.clone(),
            entity: format!("{} {}", e.entity_type, e.entity_id.as_deref().unwrap_or("")),
            entity_link: (e.entity_type == "customer")
                .then(|| e.entity_id.clone())
                .flatten()
                .map(|id| format!("/customers/{id}")),
            summary: e.summary.clone(),
        })
        .collect();
    render(
        StatusCode::OK,
        &AuditPage {
            actions: AUDIT_ACTIONS
                .iter()
                .map(|a| ActionOption {
                    value: a,
                    selected: q.action.as_deref() == Some(*a),
                })
                .collect(),
            actor: q.actor.unwrap_or_default(),
            entity_id: q.entity_id.unwrap_or_default(),
            rows,
            count_label: t.s("audit.count").replace("{n}", &page.total.to_string()),
            c: Chrome::new(&state, &user, "audit"),
        },
    )
}
