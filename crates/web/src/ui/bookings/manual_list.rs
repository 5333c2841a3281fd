//! The manual-handling list (issue 15 item 3): `/bookings/manual-list?date=` shows a day's
//! bookings arriving, departing and pending as one printable document (A4, no navigation,
//! rows kept whole, headers repeated on each printed page), each list up to
//! [`PAGE_ROWS`] bookings with its count; `/bookings/manual-list.pdf?date=` holds every
//! booking, through the same `tripdesk_pdf::Document`. The system-failure checklist's
//! "switch to manual handling" and the bookings pages link here.

use super::{error_page, render, Chrome, UiUser};
use crate::i18n::{Lang, Tr};
use crate::ui::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use serde::Deserialize;
use tripdesk_app::bookings::manual_list::{ManualList, ManualRow};
use tripdesk_domain::catalog::yuan;
use tripdesk_pdf::{Block, Document, Section};

/// The bookings of each list the page shows (the PDF holds all).
pub const PAGE_ROWS: u32 = 500;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/bookings/manual-list", get(page))
        .route("/bookings/manual-list.pdf", get(pdf))
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
}

impl DayQuery {
    /// The day asked for; an unreadable one is today's.
    fn day(&self) -> Option<Date> {
        self.date.as_deref().and_then(|s| s.trim().parse().ok())
    }
}

fn row(t: Tr, r: &ManualRow, see_names: bool) -> Vec<String> {
    let mut cells = vec![
        r.confirmation_no
            .clone()
            .unwrap_or_else(|| t.s("bookings.manual.unconfirmed").to_string()),
        r.items.join("\n"),
        format!("{} → {}", r.starts_on, r.ends_on),
        r.party.to_string(),
    ];
    if see_names {
        cells.push(r.customer.clone().unwrap_or_default());
        cells.push(r.phone.clone().unwrap_or_default());
    }
    cells.push(
        t.s(&format!("bookings.state.{}", r.state.as_str()))
            .to_string(),
    );
    cells.push(if r.due_fen > 0 {
        yuan(r.due_fen)
    } else {
        String::new()
    });
    cells
}

/// The list as a document in `t`'s language.
pub fn document(state: &AppState, t: Tr, list: &ManualList, see_names: bool) -> Document {
    let mut header = vec![
        t.s("bookings.manual.col.number").to_string(),
        t.s("bookings.manual.col.what").to_string(),
        t.s("bookings.manual.col.dates").to_string(),
        t.s("bookings.manual.col.party").to_string(),
    ];
    if see_names {
        header.push(t.s("bookings.manual.col.customer").to_string());
        header.push(t.s("bookings.manual.col.phone").to_string());
    }
    header.push(t.s("bookings.manual.col.state").to_string());
    header.push(t.s("bookings.manual.col.due").to_string());
    let sections = list
        .sections
        .iter()
        .map(|s| {
            let heading = t
                .s(&format!("bookings.manual.{}", s.list.as_str()))
                .replace("{n}", &s.total.to_string());
            let mut blocks = Vec::new();
            if s.total == 0 {
                blocks.push(Block::Paragraph(t.s("bookings.manual.none").to_string()));
            } else {
                if (s.rows.len() as u64) < s.total {
                    blocks.push(Block::Paragraph(
                        t.s("bookings.manual.partial")
                            .replace("{shown}", &s.rows.len().to_string())
                            .replace("{n}", &s.total.to_string()),
                    ));
                }
                blocks.push(Block::Table {
                    header: header.clone(),
                    rows: s.rows.iter().map(|r| row(t, r, see_names)).collect(),
                });
            }
            Section { heading, blocks }
        })
        .collect();
    let mut meta = vec![
        t.s("bookings.manual.meta")
            .replace("{date}", &list.day.to_string())
            .replace("{at}", &local_time(state, list.generated_at)),
        t.s("bookings.manual.pending_hint").to_string(),
    ];
    if !see_names {
        meta.push(t.s("bookings.manual.no_names").to_string());
    } else if !list.phones_revealed {
        meta.push(t.s("bookings.manual.masked").to_string());
    }
    Document {
        title: t
            .s("bookings.manual.doc_title")
            .replace("{date}", &list.day.to_string()),
        meta,
        sections,
        footer: Some(
            t.s("bookings.manual.footer")
                .replace("{date}", &list.day.to_string()),
        ),
    }
}

#[derive(Template)]
#[template(path = "bookings/manual_list.html")]
struct ManualPage {
    c: Chrome,
    date: String,
    prev: String,
    next: String,
    doc: Document,
    doc_lang: &'static str,
}

fn see_names(user: &UiUser) -> bool {
    user.principal
        .can(tripdesk_domain::identity::Permission::ViewCustomers)
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<DayQuery>,
) -> Response {
    let t = Tr(user.lang);
    let list = match state
        .app
        .manual_list(&user.principal, q.day(), Some(PAGE_ROWS))
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "bookings", e),
    };
    let shift = |n: i64| {
        list.day
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(list.day)
            .to_string()
    };
    let page = ManualPage {
        c: Chrome::new(&state, &user, "bookings"),
        date: list.day.to_string(),
        prev: shift(-1),
        next: shift(1),
        doc: document(&state, t, &list, see_names(&user)),
        doc_lang: match user.lang {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        },
    };
    render(axum::http::StatusCode::OK, &page)
}

/// The whole list as PDF, in the page's language.
pub(super) async fn pdf(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<DayQuery>,
) -> Response {
    let list = match state.app.manual_list(&user.principal, q.day(), None).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "bookings", e),
    };
    let doc = document(&state, Tr(user.lang), &list, see_names(&user));
    match state.render_pdf(doc).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"manual-list-{}.pdf\"", list.day),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(&state, &user, "bookings", e),
    }
}
