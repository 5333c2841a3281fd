//! A traveler's safety check-in (`/c/<token>`, the link in an emergency message): the
//! incident's title and two buttons, 我平安 and 我需要帮助 (a POST with the public forms'
//! anonymous CSRF token; opening the link records nothing). The token is the credential: one
//! that does not verify is 404. Not cached, no referrer.

use super::{chrome, csrf_ok, form_nonce, message, private, unexpected, with_cookie, PublicChrome};
use crate::ui::session::FormData;
use crate::ui::{local_time, render};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_domain::emergency::PersonStatus;

pub fn routes() -> Router<AppState> {
    Router::new().route("/c/{token}", get(page).post(answer))
}

#[derive(Template)]
#[template(path = "public/checkin.html")]
struct CheckinPage {
    p: PublicChrome,
    token: String,
    csrf: String,
    title: String,
    drill: bool,
    open: bool,
    /// `pending`, `safe` or `needs_help`.
    status: &'static str,
    answered_at: Option<String>,
    thanked: bool,
    alert: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckinQuery {
    done: Option<String>,
}

fn refused(state: &AppState, headers: &HeaderMap, token: &str, e: AppError) -> Response {
    let path = format!("/c/{token}");
    let t = chrome(state, headers, &path).t;
    let (status, which) = match &e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "invalid"),
        AppError::Conflict { code, .. } if *code == "incident.closed" => {
            (StatusCode::GONE, "closed")
        }
        _ => return unexpected(e),
    };
    private(message(
        state,
        headers,
        &path,
        status,
        t.s(&format!("public.checkin.{which}_title")),
        t.s(&format!("public.checkin.{which}")),
        None,
    ))
}

async fn checkin_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    thanked: bool,
    alert: Option<String>,
    status: StatusCode,
) -> Response {
    let view = match state.app.checkin_view(token).await {
        Ok(v) => v,
        Err(e) => return refused(state, headers, token, e),
    };
    let (nonce, set) = form_nonce(state, headers);
    let page = CheckinPage {
        p: chrome(state, headers, &format!("/c/{token}")),
        token: token.into(),
        csrf: state.app.public_form_token(&nonce).unwrap_or_default(),
        title: view.incident_title,
        drill: view.drill,
        open: view.open,
        status: view.status.as_str(),
        answered_at: view.answered_at.map(|at| local_time(state, at)),
        thanked,
        alert,
    };
    private(with_cookie(set, render(status, &page)))
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<CheckinQuery>,
) -> Response {
    checkin_page(
        &state,
        &headers,
        &token,
        q.done.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The traveler's button: `answer=safe` or `answer=needs_help`.
pub async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = chrome(&state, &headers, &format!("/c/{token}")).t;
    if !csrf_ok(&state, &headers, &form) {
        return checkin_page(
            &state,
            &headers,
            &token,
            false,
            Some(t.s("public.csrf_expired").into()),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let answer = match form.get("answer") {
        "safe" => PersonStatus::Safe,
        "needs_help" => PersonStatus::NeedsHelp,
        _ => {
            return checkin_page(
                &state,
                &headers,
                &token,
                false,
                Some(t.s("public.checkin.choose").into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    match state.app.checkin_by_link(&token, answer).await {
        Ok(_) => private(crate::ui::see_other(&format!("/c/{token}?done=1"))),
        Err(e) => refused(&state, &headers, &token, e),
    }
}
