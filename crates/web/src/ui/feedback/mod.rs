//! Feedback classification pages: the list of classified texts (supervisors and managers,
//! `view_reports`) with filters and numbered pages, the panel on the ticket page, and the
//! correction form both post (`work_tickets`; the classifier learns from it).

mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::{UiForm, UiUser};
use super::{error_page, local_time, render, see_other_with, Chrome, Flash};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tripdesk_app::feedback::FeedbackCorrection;
use tripdesk_app::AppError;
use tripdesk_domain::feedback::{Category, FeedbackSource, Sentiment};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{FeedbackFilter, FeedbackItem};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(list))
        .route("/feedback/{source}/{item_id}/correct", post(correct))
}

/// Items per page.
const PAGE: u32 = 30;

/// A choice in a filter or a correction form.
pub(crate) struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub on: bool,
}

/// One classified text as the pages show it, with its correction form's choices.
pub(crate) struct FeedbackRow {
    pub source: &'static str,
    pub source_label: &'static str,
    pub item_id: Uuid,
    pub ticket_id: Uuid,
    pub ticket_number: String,
    pub text: String,
    pub at: String,
    pub categories: Vec<Choice>,
    pub sentiments: Vec<Choice>,
    pub sentiment: &'static str,
    pub sentiment_label: &'static str,
    pub score: String,
    pub corrected: bool,
}

fn category_label(t: Tr, c: Category) -> &'static str {
    t.s(&format!("feedback.cat.{}", c.as_str()))
}

fn sentiment_label(t: Tr, s: Sentiment) -> &'static str {
    t.s(&format!("feedback.sent.{}", s.as_str()))
}

/// The row of an item (`text`, `ticket_number` as the page knows them).
pub(crate) fn row(
    state: &AppState,
    t: Tr,
    i: &FeedbackItem,
    ticket_number: String,
    text: String,
) -> FeedbackRow {
    // The item's categories first (most likely first), then the others, so the chips and
    // the form read in the same order.
    let mut order: Vec<Category> = i.categories.clone();
    order.extend(Category::ALL.iter().filter(|c| !i.categories.contains(c)));
    FeedbackRow {
        source: i.source.as_str(),
        source_label: t.s(&format!("feedback.source.{}", i.source.as_str())),
        item_id: i.item_id,
        ticket_id: i.ticket_id,
        ticket_number,
        text,
        at: local_time(state, i.at),
        categories: order
            .into_iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: category_label(t, c),
                on: i.categories.contains(&c),
            })
            .collect(),
        sentiments: Sentiment::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: sentiment_label(t, *s),
                on: *s == i.sentiment,
            })
            .collect(),
        sentiment: i.sentiment.as_str(),
        sentiment_label: sentiment_label(t, i.sentiment),
        score: format!("{:.2}", f64::from(i.score) / 1000.0),
        corrected: i.corrected_at.is_some(),
    }
}

/// The rows of a ticket's panel (its own text and its surveys' comments).
pub(crate) async fn ticket_rows(
    state: &AppState,
    user: &UiUser,
    ticket_id: Uuid,
    number: &str,
) -> Vec<FeedbackRow> {
    let t = Tr(user.lang);
    state
        .app
        .ticket_feedback(&user.principal, ticket_id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|i| row(state, t, i, number.to_string(), String::new()))
        .collect()
}

#[derive(Template)]
#[template(path = "feedback/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<FeedbackRow>,
    categories: Vec<Choice>,
    sentiments: Vec<Choice>,
    sources: Vec<Choice>,
    corrected: Vec<Choice>,
    can_correct: bool,
    pager: PagerNav,
    back: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    sentiment: Option<String>,
    source: Option<String>,
    corrected: Option<String>,
}

fn choices(values: &[(&'static str, &'static str)], selected: &str, t: Tr) -> Vec<Choice> {
    std::iter::once(("", "feedback.all"))
        .chain(values.iter().copied())
        .map(|(value, key)| Choice {
            value,
            label: t.s(key),
            on: value == selected,
        })
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ListQuery>,
    pager: Pager,
) -> Response {
    let t = Tr(user.lang);
    let filter = FeedbackFilter {
        category: q.category.as_deref().and_then(Category::parse),
        sentiment: q.sentiment.as_deref().and_then(Sentiment::parse),
        source: q.source.as_deref().and_then(FeedbackSource::parse),
        corrected: match q.corrected.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        ..Default::default()
    };
    let offset = pager.offset(PAGE);
    let (page, total) = match state
        .app
        .list_feedback(&user.principal, &filter, PAGE, offset)
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "feedback", e),
    };
    let rows: Vec<FeedbackRow> = page
        .items
        .iter()
        .map(|e| row(&state, t, &e.item, e.ticket_number.clone(), e.text.clone()))
        .collect();
    let category_keys: Vec<(&'static str, String)> = Category::ALL
        .iter()
        .map(|c| (c.as_str(), format!("feedback.cat.{}", c.as_str())))
        .collect();
    let mut categories = vec![Choice {
        value: "",
        label: t.s("feedback.all"),
        on: filter.category.is_none(),
    }];
    categories.extend(category_keys.iter().map(|(v, k)| Choice {
        value: v,
        label: t.s(k),
        on: filter.category.map(Category::as_str) == Some(*v),
    }));
    let shown = rows.len();
    render(
        StatusCode::OK,
        &ListPage {
            categories,
            sentiments: choices(
                &[
                    ("negative", "feedback.sent.negative"),
                    ("positive", "feedback.sent.positive"),
                ],
                filter.sentiment.map(Sentiment::as_str).unwrap_or(""),
                t,
            ),
            sources: choices(
                &[
                    ("ticket", "feedback.source.ticket"),
                    ("survey", "feedback.source.survey"),
                ],
                filter.source.map(FeedbackSource::as_str).unwrap_or(""),
                t,
            ),
            corrected: choices(
                &[
                    ("yes", "feedback.corrected.yes"),
                    ("no", "feedback.corrected.no"),
                ],
                q.corrected.as_deref().unwrap_or(""),
                t,
            ),
            rows,
            can_correct: user.principal.can(Permission::WorkTickets),
            pager: pager.nav(t, PAGE, Extent::counted(offset, shown, total)),
            back: pager.href(pager.page()),
            c: Chrome::new(&state, &user, "feedback"),
        },
    )
}

/// The page a correction returns to: the form's `back` when it is the feedback list or a
/// ticket page, else the list.
fn back_of(back: &str) -> &str {
    if back.starts_with("/feedback") || back.starts_with("/desk/tickets/") {
        back
    } else {
        "/feedback"
    }
}

pub async fn correct(
    State(state): State<AppState>,
    Path((source, item_id)): Path<(String, String)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let (Some(source), Ok(item_id)) = (FeedbackSource::parse(&source), Uuid::parse_str(&item_id))
    else {
        return error_page(
            &state,
            &user,
            "feedback",
            AppError::NotFound("feedback item"),
        );
    };
    let back = back_of(form.get("back")).to_string();
    let categories: Vec<Category> = form
        .all("categories")
        .into_iter()
        .filter_map(Category::parse)
        .collect();
    let Some(sentiment) = Sentiment::parse(form.get("sentiment")) else {
        return see_other_with(
            &state,
            &user,
            &back,
            Flash::refused(t.s("feedback.error.count")),
        );
    };
    let input = FeedbackCorrection {
        categories,
        sentiment,
    };
    match state
        .app
        .correct_feedback(&user.principal, source, item_id, &input)
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(t.s("feedback.flash.saved")),
        ),
        Err(AppError::Validation(_)) => see_other_with(
            &state,
            &user,
            &back,
            Flash::refused(t.s("feedback.error.count")),
        ),
        Err(e) => error_page(&state, &user, "feedback", e),
    }
}
