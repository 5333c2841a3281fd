//! `GET /api/v1/search`: the one search box over tickets, messages, customers, bookings and
//! products (see `tripdesk_app::search`).

use super::rfc3339;
use crate::extract::{ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::search::{SearchGroup, SearchItem, SearchRequest, SearchResults};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::desk::{Level, State as TicketState};
use tripdesk_domain::search::SearchKind;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// The search box's parameters, as the API and the page take them.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: Chinese (simplified or traditional), letters, digits; at most 100
    /// characters. A ticket or booking number, or a customer's exact phone number, email
    /// address or ID number.
    #[param(required = true, max_length = 100, example = "退款")]
    pub q: Option<String>,
    /// Only these kinds, comma-separated: `ticket`, `message`, `customer`, `booking`,
    /// `product` (default: every kind the caller may see).
    pub kind: Option<String>,
    /// Only tickets (and their messages) in this state, e.g. `received`, `closed`.
    pub state: Option<String>,
    /// Only tickets (and their messages) of this level: `general`, `important`, `urgent`.
    pub level: Option<String>,
    /// Only tickets (and their messages) of this handling group (department id).
    pub group_id: Option<String>,
    /// Written on or after this day (`YYYY-MM-DD`, China time).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Written on or before this day (`YYYY-MM-DD`, China time).
    #[param(format = Date)]
    pub until: Option<String>,
    /// The text is being typed: its last word may be the beginning of a word (suggestions).
    pub typing: Option<bool>,
    /// Page size, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    pub offset: Option<u32>,
}

impl SearchParams {
    /// The use case's request; a value naming nothing is a 422 naming its field.
    pub fn request(&self, default_limit: u32) -> Result<SearchRequest, AppError> {
        let mut fields = Vec::new();
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut kinds = Vec::new();
        if let Some(list) = blank(&self.kind) {
            for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                match SearchKind::parse(k) {
                    Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                    Some(_) => {}
                    None => {
                        fields.push(FieldError::new(
                            "kind",
                            "unknown",
                            "kind is a comma-separated list of ticket, message, customer, booking, product",
                        ));
                        break;
                    }
                }
            }
        }
        let state = blank(&self.state).and_then(|s| {
            let parsed = TicketState::parse(&s);
            if parsed.is_none() {
                fields.push(FieldError::new("state", "unknown", "not a ticket state"));
            }
            parsed
        });
        let level = blank(&self.level).and_then(|s| {
            let parsed = Level::parse(&s);
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "level",
                    "unknown",
                    "level is general, important or urgent",
                ));
            }
            parsed
        });
        let group_id = blank(&self.group_id).and_then(|s| {
            let parsed = Uuid::parse_str(&s).ok();
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "group_id",
                    "invalid",
                    "group_id is a department's id",
                ));
            }
            parsed
        });
        let mut day = |field: &str, v: &Option<String>| {
            blank(v).and_then(|s| {
                let parsed = s.parse::<jiff::civil::Date>().ok();
                if parsed.is_none() {
                    fields.push(FieldError::new(
                        field,
                        "invalid",
                        format!("{field} is a day, YYYY-MM-DD"),
                    ));
                }
                parsed
            })
        };
        let from = day("from", &self.from);
        let until = day("until", &self.until);
        let limit = self.limit.unwrap_or(default_limit).clamp(1, 50);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        Ok(SearchRequest {
            q: self.q.clone().unwrap_or_default(),
            kinds,
            state,
            level,
            group_id,
            from,
            until,
            typing: self.typing.unwrap_or(false),
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// One result.
#[derive(Serialize, ToSchema)]
pub struct SearchItemView {
    kind: SearchKind,
    id: Uuid,
    /// The ticket of a ticket or message.
    ticket_id: Option<Uuid>,
    /// Plain text.
    title: String,
    /// The title, HTML-escaped, the matched words in `<mark>`.
    title_html: String,
    /// The text around the first match, HTML-escaped, the matched words in `<mark>`.
    snippet_html: String,
    /// The page that shows it (a path of the web interface).
    link: String,
    /// A ticket's or booking's state.
    state: Option<String>,
    at: String,
    /// Higher is better, within this search (customers, found by an exact identifier: 0).
    score: f64,
}

/// The results of one kind, best first.
#[derive(Serialize, ToSchema)]
pub struct SearchGroupView {
    kind: SearchKind,
    items: Vec<SearchItemView>,
}

/// A page of results grouped by kind.
#[derive(Serialize, ToSchema)]
pub struct SearchResultsView {
    groups: Vec<SearchGroupView>,
    /// The offset of the next page, when there is one.
    next_offset: Option<u32>,
    /// The query's words as compared (folded: simplified script, lower case).
    words: Vec<String>,
}

fn item_view(state: &AppState, i: &SearchItem) -> SearchItemView {
    SearchItemView {
        kind: i.kind,
        id: i.id,
        ticket_id: i.ticket_id,
        title: i.title.clone(),
        title_html: i.title_html.clone(),
        snippet_html: i.snippet_html.clone(),
        link: i.link.clone(),
        state: i.state.clone(),
        at: rfc3339(state, i.at),
        score: i.score,
    }
}

fn results_view(state: &AppState, r: &SearchResults, req: &SearchRequest) -> SearchResultsView {
    SearchResultsView {
        groups: r
            .groups
            .iter()
            .map(|g: &SearchGroup| SearchGroupView {
                kind: g.kind,
                items: g.items.iter().map(|i| item_view(state, i)).collect(),
            })
            .collect(),
        next_offset: r.more.then(|| req.offset.saturating_add(req.limit)),
        words: r.words.clone(),
    }
}

/// Searches tickets, messages, customers, bookings and products (each kind needs the
/// permission that shows it: `view_desk`, `view_customers`, `view_bookings`; tickets and
/// messages keep to the caller's ticket scope). Ranked, grouped by kind, matched words
/// marked; customers only by an exact phone number, email address or ID number.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "A page of results", body = SearchResultsView),
        (status = 422, description = "No word to search for, text too long, or a filter naming nothing",
            body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn search(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResultsView>, ApiError> {
    let limit = super::page_limit(params.limit, 20, 50)?;
    let req = params.request(limit)?;
    let results = state.app.search(&p, &req).await?;
    Ok(Json(results_view(&state, &results, &req)))
}
