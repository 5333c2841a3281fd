//! The administrators' page of the job substrate: jobs by state, newest first, in numbered
//! pages (the one pager, `ui::pager`), with a retry button on dead jobs.

mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::{UiForm, UiUser};
use super::{error_page, local_time_seconds, render, see_other, Chrome};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_store::JobState;
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(list))
        .route("/admin/jobs/{id}/retry", post(retry))
}

/// Jobs per page.
const PAGE: u32 = 50;

struct JobRow {
    id: Uuid,
    kind: String,
    state: &'static str,
    state_label: &'static str,
    run_at: String,
    attempts: String,
    last_error: String,
    dead: bool,
}

struct StateTab {
    value: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "jobs/list.html")]
struct JobsPage {
    c: Chrome,
    tabs: Vec<StateTab>,
    rows: Vec<JobRow>,
    pager: PagerNav,
    back: String,
}

#[derive(Deserialize)]
pub struct JobsQuery {
    state: Option<String>,
}

fn state_key(s: JobState) -> &'static str {
    match s {
        JobState::Due => "jobs.state.due",
        JobState::Running => "jobs.state.running",
        JobState::Succeeded => "jobs.state.succeeded",
        JobState::Dead => "jobs.state.dead",
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<JobsQuery>,
    pager: Pager,
) -> Response {
    let t = Tr(user.lang);
    let selected = q.state.as_deref().and_then(JobState::parse);
    let listed = state
        .app
        .list_jobs(
            &user.principal,
            selected,
            PAGE,
            u64::from(pager.offset(PAGE)),
        )
        .await;
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "jobs", e),
    };
    let mut tabs = vec![StateTab {
        value: "",
        label: t.s("jobs.all"),
        current: selected.is_none(),
    }];
    for s in JobState::ALL {
        tabs.push(StateTab {
            value: s.as_str(),
            label: t.s(state_key(s)),
            current: selected == Some(s),
        });
    }
    let rows = listed
        .jobs
        .iter()
        .map(|j| JobRow {
            id: j.id,
            kind: j.kind.clone(),
            state: j.state.as_str(),
            state_label: t.s(state_key(j.state)),
            run_at: local_time_seconds(&state, j.run_at),
            attempts: format!("{}/{}", j.attempts, j.max_attempts),
            last_error: j.last_error.clone().unwrap_or_default(),
            dead: j.state == JobState::Dead,
        })
        .collect();
    render(
        StatusCode::OK,
        &JobsPage {
            tabs,
            rows,
            pager: pager.nav(t, PAGE, Extent::more(listed.more)),
            back: pager.href(pager.page()),
            c: Chrome::new(&state, &user, "jobs"),
        },
    )
}

pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "jobs", AppError::NotFound("job"));
    };
    match state.app.retry_job(&user.principal, id).await {
        Ok(_) | Err(AppError::Conflict { .. }) => {
            let back = form.get("back");
            if back.starts_with("/admin/jobs") {
                see_other(back)
            } else {
                see_other("/admin/jobs")
            }
        }
        Err(e) => error_page(&state, &user, "jobs", e),
    }
}
