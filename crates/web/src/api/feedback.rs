//! Feedback classification: the categories and sentiment of complaints, feedback tickets and
//! survey comments, and staff's corrections (which the classifier learns from).

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::feedback::{FeedbackCorrection, FeedbackEntry};
use tripdesk_domain::desk::TicketKind;
use tripdesk_domain::feedback::{Category, FeedbackSource, Sentiment};
use tripdesk_store::{FeedbackFilter, FeedbackItem};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_feedback))
        .routes(routes!(ticket_feedback))
        .routes(routes!(correct_feedback))
}

/// What a text was classified as.
#[derive(Serialize, ToSchema)]
pub struct FeedbackView {
    source: FeedbackSource,
    /// The ticket (source `ticket`) or the survey (source `survey`).
    item_id: Uuid,
    ticket_id: Uuid,
    /// When the text arrived.
    at: String,
    /// Most likely first.
    categories: Vec<Category>,
    sentiment: Sentiment,
    /// Probability the text is positive, 0–1000 (a correction: 0 or 1000).
    score: u16,
    classified_at: String,
    /// Set once staff corrected it.
    corrected_by: Option<Uuid>,
    corrected_at: Option<String>,
}

impl FeedbackView {
    fn of(state: &AppState, i: &FeedbackItem) -> Self {
        Self {
            source: i.source,
            item_id: i.item_id,
            ticket_id: i.ticket_id,
            at: rfc3339(state, i.at),
            categories: i.categories.clone(),
            sentiment: i.sentiment,
            score: i.score,
            classified_at: rfc3339(state, i.classified_at),
            corrected_by: i.corrected_by,
            corrected_at: i.corrected_at.map(|t| rfc3339(state, t)),
        }
    }
}

/// A classified text and what it is about.
#[derive(Serialize, ToSchema)]
pub struct FeedbackEntryView {
    #[serde(flatten)]
    item: FeedbackView,
    ticket_number: String,
    ticket_kind: TicketKind,
    /// The ticket's subject, or the survey's comment.
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackList {
    items: Vec<FeedbackEntryView>,
    /// How many match the filters in all.
    total: u64,
    /// Whether another page follows (ask again with `offset` + `limit`).
    more: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    source: Option<FeedbackSource>,
    category: Option<Category>,
    sentiment: Option<Sentiment>,
    /// Only corrected (true) or only not yet corrected (false) items.
    corrected: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// Classified texts, newest first (needs `view_reports`).
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of classified texts", body = FeedbackList)))]
async fn list_feedback(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<FeedbackQuery>,
) -> Result<Json<FeedbackList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let filter = FeedbackFilter {
        source: q.source,
        category: q.category,
        sentiment: q.sentiment,
        corrected: q.corrected,
        ..Default::default()
    };
    let (page, total) = state
        .app
        .list_feedback(&p, &filter, limit, q.offset.unwrap_or(0))
        .await?;
    Ok(Json(FeedbackList {
        items: page
            .items
            .iter()
            .map(|e: &FeedbackEntry| FeedbackEntryView {
                item: FeedbackView::of(&state, &e.item),
                ticket_number: e.ticket_number.clone(),
                ticket_kind: e.ticket_kind,
                text: e.text.clone(),
            })
            .collect(),
        total,
        more: page.more,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TicketFeedbackPath {
    id: Uuid,
}

/// A ticket's classified texts: its own and its surveys' (needs `view_desk` and the ticket in
/// the caller's scope).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/feedback", tag = "feedback",
    params(TicketFeedbackPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Oldest first", body = Vec<FeedbackView>)))]
async fn ticket_feedback(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TicketFeedbackPath>,
) -> Result<Json<Vec<FeedbackView>>, ApiError> {
    let items = state.app.ticket_feedback(&p, path.id).await?;
    Ok(Json(
        items.iter().map(|i| FeedbackView::of(&state, i)).collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FeedbackItemPath {
    source: FeedbackSource,
    item_id: Uuid,
}

/// What staff say a text is about.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackCorrectionBody {
    /// One to three, most important first.
    categories: Vec<Category>,
    sentiment: Sentiment,
}

/// Corrects a text's categories and sentiment; the classifier learns from the correction
/// (needs `work_tickets` and the ticket in the caller's scope; audited). 422 `categories`
/// when none or more than three are given.
#[utoipa::path(put, path = "/api/v1/feedback/{source}/{item_id}", tag = "feedback",
    params(FeedbackItemPath), request_body = FeedbackCorrectionBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Corrected", body = FeedbackView)))]
async fn correct_feedback(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<FeedbackItemPath>,
    ApiJson(body): ApiJson<FeedbackCorrectionBody>,
) -> Result<Json<FeedbackView>, ApiError> {
    let item = state
        .app
        .correct_feedback(
            &p,
            path.source,
            path.item_id,
            &FeedbackCorrection {
                categories: body.categories,
                sentiment: body.sentiment,
            },
        )
        .await?;
    Ok(Json(FeedbackView::of(&state, &item)))
}
