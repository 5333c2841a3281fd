//! The audit log for supervisors: the hash-chained entries, filtered by action, actor, entity
//! and time.

mod summary;
mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::UiUser;
use super::{error_page, local_time, render, Chrome};
use crate::i18n::{self, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_domain::audit::AuditAction;
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
    action_label: String,
    entity: String,
    entity_link: Option<String>,
    summary: Vec<String>,
}

struct ActionOption {
    value: String,
    label: String,
    selected: bool,
}

/// A group of actions in the filter: all of the group (a trailing `.` filters by prefix),
/// then each action, labelled in the page's language.
struct ActionGroup {
    label: &'static str,
    all: ActionOption,
    actions: Vec<ActionOption>,
}

fn action_groups(t: Tr, selected: Option<&str>) -> Vec<ActionGroup> {
    let option = |value: String, label: String| ActionOption {
        selected: selected == Some(value.as_str()),
        value,
        label,
    };
    AuditAction::groups()
        .into_iter()
        .map(|g| {
            let label = i18n::audit_group_label(t, g);
            ActionGroup {
                label,
                all: option(
                    format!("{g}."),
                    t.s("audit.all_of").replace("{group}", label),
                ),
                actions: AuditAction::ALL
                    .iter()
                    .filter(|a| a.group() == g)
                    .map(|a| option(a.code().to_string(), i18n::audit_action_label(t, a.code())))
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    c: Chrome,
    groups: Vec<ActionGroup>,
    action_error: Option<&'static str>,
    actor: String,
    entity_id: String,
    rows: Vec<AuditRow>,
    count_label: String,
    pager: PagerNav,
}

/// Entries per page of the log.
const PAGE: u32 = 100;

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
    pager: Pager,
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
    let action = q.action.clone().filter(|a| !a.is_empty());
    // An action no list offers matches nothing: say so rather than show an empty page.
    let action_error = action
        .as_deref()
        .filter(|a| !AuditAction::is_filter(a))
        .map(|_| t.s("audit.unknown_action"));
    let filter = AuditFilter {
        actor_id,
        action,
        entity_id: q.entity_id.clone().filter(|a| !a.is_empty()),
        limit: PAGE,
        offset: pager.offset(PAGE),
        ..Default::default()
    };
    let targets = crate::ui::desk::inbox::target_names(&state, &user).await;
    let page = match state.app.list_audit(&user.principal, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    let rows: Vec<AuditRow> = page
        .entries
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: local_time(&state, e.at),
            actor: e.actor_name.clone(),
            action_label: i18n::audit_action_label(t, &e.action),
            action: e.action.clone(),
            entity: format!("{} {}", e.entity_type, e.entity_id.as_deref().unwrap_or("")),
            entity_link: match (e.entity_type.as_str(), e.entity_id.as_deref()) {
                ("customer", Some(id)) => Some(format!("/customers/{id}")),
                ("ticket", Some(id)) => Some(format!("/desk/tickets/{id}")),
                _ => None,
            },
            summary: summary::readable(t, &targets, &e.summary),
        })
        .collect();
    render(
        StatusCode::OK,
        &AuditPage {
            groups: action_groups(t, q.action.as_deref()),
            action_error,
            actor: q.actor.unwrap_or_default(),
            entity_id: q.entity_id.unwrap_or_default(),
            pager: pager.nav(
                t,
                PAGE,
                Extent::counted(pager.offset(PAGE), rows.len(), page.total),
            ),
            rows,
            count_label: t.s("audit.count").replace("{n}", &page.total.to_string()),
            c: Chrome::new(&state, &user, "audit"),
        },
    )
}
