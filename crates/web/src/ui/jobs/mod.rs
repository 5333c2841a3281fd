//! The administrators' page of the job substrate: jobs by state, newest first, in numbered
//! pages, with a retry button on dead jobs.

mod text;

pub(crate) use text::TEXT;

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
    page: u64,
    prev: Option<String>,
    next: Option<String>,
    back: String,
}

#[derive(Deserialize)]
pub struct JobsQuery {
    state: Option<String>,
    page: Option<u64>,
}

fn state_key(s: JobState) -> &'static str {
    match s {
        JobState::Due => "jobs.state.due",
        JobState::Running => "jobs.state.running",
        JobState::Succeeded => "jobs.state.succeeded",
        JobState::Dead => "jobs.state.dead",
    }
}

fn link(state: &str, page: u64) -> String {
    let mut q = Vec::new();
    if !state.is_empty() {
        q.push(format!("state={state}"));
    }
    if page > 1 {
        q.push(format!("page={page}"));
    }
    if q.is_empty() {
        "/admin/jobs".into()
    } else {
        format!("/admin/jobs?{}", q.join("&"))
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<JobsQuery>,
) -> Response {
    let t = Tr(user.lang);
    let selected = q.state.as_deref().and_then(JobState::parse);
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let listed = state
        .app
        .list_jobs(
            &user.principal,
            selected,
            PAGE,
            (page - 1) * u64::from(PAGE),
        )
        .await;
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "jobs", e),
    };
    let value = selected.map_or("", JobState::as_str);
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
            page,
            prev: (page > 1).then(|| link(value, page - 1)),
            next: listed.more.then(|| link(value, page + 1)),
            back: link(value, page),
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
