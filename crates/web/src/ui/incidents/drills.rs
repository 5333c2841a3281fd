//! The drill records (`/incidents/drills`, issue 15 item 9): every drill, newest first, with
//! its key figures — date, kind, people, time to 90 % delivered and to 90 % accounted for —
//! and its report; how many drills each year saw; paged with the shared pager.

use super::{row, Row};
use crate::i18n::Tr;
use crate::ui::desk::inbox::span_text;
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::{error_page, render, Chrome, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

const PAGE_SIZE: u32 = 50;

struct DrillRow {
    r: Row,
    people: usize,
    delivered_90: String,
    accounted_90: String,
}

#[derive(Template)]
#[template(path = "incidents/drills.html")]
struct DrillsPage {
    c: Chrome,
    rows: Vec<DrillRow>,
    years: Vec<String>,
    pager: PagerNav,
}

pub(super) async fn list(State(state): State<AppState>, user: UiUser, pager: Pager) -> Response {
    let t = Tr(user.lang);
    let (page, years) = match state
        .app
        .drill_records(
            &user.principal,
            PAGE_SIZE,
            u64::from(pager.offset(PAGE_SIZE)),
        )
        .await
    {
        Ok(x) => x,
        Err(e) => return error_page(&state, &user, "incidents", e),
    };
    let span = |d: Option<jiff::SignedDuration>| match d {
        Some(d) => span_text(t, d.as_secs()),
        None => t.s("incidents.drills.not_reached").to_string(),
    };
    let page_view = DrillsPage {
        c: Chrome::new(&state, &user, "incidents"),
        rows: page
            .items
            .iter()
            .map(|d| DrillRow {
                r: row(&state, t, &d.incident),
                people: d.figures.people,
                delivered_90: span(d.figures.delivered_90),
                accounted_90: span(d.figures.accounted_90),
            })
            .collect(),
        years: years
            .iter()
            .map(|y| {
                t.s("incidents.drills.year")
                    .replace("{year}", &y.year.to_string())
                    .replace("{n}", &y.drills.to_string())
            })
            .collect(),
        pager: pager.nav(t, PAGE_SIZE, Extent::more(page.more)),
    };
    render(StatusCode::OK, &page_view)
}
