//! The search page (`/search`): one box over tickets, messages, customers, bookings and
//! products, results grouped by kind with the matched words marked, in numbered pages (the
//! one pager). The box in the header of every staff page posts here. While the person types,
//! htmx asks again (`HX-Request`) and the results below the box are replaced: those answers
//! take the last word as the beginning of a word, so they act as suggestions.

mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::UiUser;
use super::{error_page, local_time, render, Chrome};
use crate::api::search::SearchParams;
use crate::i18n::{field_errors, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_domain::desk::Level;
use tripdesk_domain::search::SearchKind;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(page))
}

/// Results per page.
const PAGE: u32 = 20;

struct ItemRow {
    title_html: String,
    snippet_html: String,
    link: String,
    state: String,
    state_key: String,
    at: String,
}

struct GroupRow {
    kind: &'static str,
    label: &'static str,
    items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "search/page.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    kinds: Vec<(&'static str, &'static str, bool)>,
    levels: Vec<(&'static str, &'static str, bool)>,
    from: String,
    until: String,
    error: Option<String>,
    groups: Vec<GroupRow>,
    pager: PagerNav,
}

/// The page's parameters: the API's, and the pager's `page`.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    q: Option<String>,
    kind: Option<String>,
    level: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

fn state_label(t: Tr, kind: SearchKind, state: &str) -> String {
    let key = match kind {
        SearchKind::Booking => format!("bookings.state.{state}"),
        _ => format!("state.{state}"),
    };
    if Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        state.to_string()
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    pager: Pager,
) -> Response {
    let t = Tr(user.lang);
    let typing = headers.get("hx-request").is_some_and(|v| v == "true");
    let text = q.q.clone().unwrap_or_default();
    let params = SearchParams {
        q: Some(text.clone()),
        kind: q.kind.clone(),
        level: q.level.clone(),
        from: q.from.clone(),
        until: q.until.clone(),
        typing: Some(typing),
        limit: Some(PAGE),
        offset: Some(pager.offset(PAGE)),
        ..Default::default()
    };
    let mut error = None;
    let mut groups = Vec::new();
    let mut more = false;
    if !text.trim().is_empty() {
        let result = match params.request(PAGE) {
            Ok(req) => state.app.search(&user.principal, &req).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => {
                more = r.more;
                groups = r
                    .groups
                    .iter()
                    .map(|g| GroupRow {
                        kind: g.kind.as_str(),
                        label: t.s(&format!("search.kind.{}", g.kind.as_str())),
                        items: g
                            .items
                            .iter()
                            .map(|i| ItemRow {
                                title_html: i.title_html.clone(),
                                snippet_html: i.snippet_html.clone(),
                                link: i.link.clone(),
                                state: i
                                    .state
                                    .as_deref()
                                    .map(|s| state_label(t, i.kind, s))
                                    .unwrap_or_default(),
                                state_key: i.state.clone().unwrap_or_default(),
                                at: local_time(&state, i.at),
                            })
                            .collect(),
                    })
                    .collect();
            }
            Err(AppError::Validation(fields)) => {
                error = Some(field_errors(t, &fields).join(" "));
            }
            Err(e) => return error_page(&state, &user, "search", e),
        }
    }
    let selected_kind = q.kind.as_deref().unwrap_or("");
    let selected_level = q.level.as_deref().unwrap_or("");
    let page = SearchPage {
        q: text,
        kinds: SearchKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    t.s(&format!("search.kind.{}", k.as_str())),
                    k.as_str() == selected_kind,
                )
            })
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| {
                (
                    l.as_str(),
                    t.s(&format!("level.{}", l.as_str())),
                    l.as_str() == selected_level,
                )
            })
            .collect(),
        from: q.from.unwrap_or_default(),
        until: q.until.unwrap_or_default(),
        groups,
        pager: pager.nav(t, PAGE, Extent::more(more)),
        c: Chrome::new(&state, &user, "search"),
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}
