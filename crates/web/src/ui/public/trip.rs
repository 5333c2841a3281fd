//! The traveler's pre-trip documents (`/trip/<token>`): the document as printable HTML (the
//! same model as the PDF), its PDF, and the receipt they confirm with a button (a POST with
//! the public forms' anonymous CSRF token; opening a link records nothing). The token is the
//! credential: a link that does not verify is 404, a cancelled booking's or one more than 30
//! days after its trip 410. The pages are not cached and send no referrer (the token is in
//! the address).

use super::{chrome, csrf_ok, form_nonce, message, private, unexpected, with_cookie, PublicChrome};
use crate::ui::session::FormData;
use crate::ui::{local_time, render};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::AppError;
use tripdesk_pdf::Document;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trip/{token}", get(page))
        .route("/trip/{token}/document.pdf", get(pdf))
        .route("/trip/{token}/received", get(to_receipt).post(receive))
}

#[derive(Template)]
#[template(path = "public/trip.html")]
struct TripPage {
    p: PublicChrome,
    token: String,
    csrf: String,
    doc: Document,
    /// When the traveler confirmed receipt (this sending).
    received: Option<String>,
    /// Just now (after the post).
    thanked: bool,
    alert: Option<String>,
}

#[derive(Deserialize)]
pub struct TripQuery {
    received: Option<String>,
}

/// A link that cannot open: 404 when it does not verify, 410 when its booking was cancelled
/// or the trip ended more than 30 days ago.
fn refused(state: &AppState, headers: &HeaderMap, token: &str, e: AppError) -> Response {
    let path = format!("/trip/{token}");
    let t = chrome(state, headers, &path).t;
    let (status, which) = match &e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "invalid"),
        AppError::Conflict { code, .. } => match *code {
            "documents.booking_closed" => (StatusCode::GONE, "closed"),
            "documents.link_expired" => (StatusCode::GONE, "expired"),
            _ => return unexpected(e),
        },
        _ => return unexpected(e),
    };
    private(message(
        state,
        headers,
        &path,
        status,
        t.s(&format!("public.trip.{which}_title")),
        t.s(&format!("public.trip.{which}")),
        None,
    ))
}

async fn trip_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    thanked: bool,
    alert: Option<String>,
    status: StatusCode,
) -> Response {
    let docs = match state.app.open_trip_documents(token).await {
        Ok(d) => d,
        Err(e) => return refused(state, headers, token, e),
    };
    let (nonce, set) = form_nonce(state, headers);
    let page = TripPage {
        p: chrome(state, headers, &format!("/trip/{token}")),
        token: token.into(),
        csrf: state.app.public_form_token(&nonce).unwrap_or_default(),
        doc: docs.document,
        received: docs.send.received_at.map(|at| local_time(state, at)),
        thanked,
        alert,
    };
    private(with_cookie(set, render(status, &page)))
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<TripQuery>,
) -> Response {
    trip_page(
        &state,
        &headers,
        &token,
        q.received.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The PDF of the same document.
pub async fn pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let docs = match state.app.open_trip_documents(&token).await {
        Ok(d) => d,
        Err(e) => return refused(&state, &headers, &token, e),
    };
    match state.render_pdf(docs.document).await {
        Ok(bytes) => private(
            (
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        "inline; filename=\"pre-trip-documents.pdf\"".to_string(),
                    ),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(e) => unexpected(e),
    }
}

/// The message's "confirm receipt" link opens the page at its button: nothing is recorded
/// by opening a link (mail scanners open them too).
pub async fn to_receipt(Path(token): Path<String>) -> Response {
    private(crate::ui::see_other(&format!("/trip/{token}#receipt")))
}

/// The traveler's button: records the receipt once, then back to the page with thanks.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !csrf_ok(&state, &headers, &form) {
        let t = chrome(&state, &headers, &format!("/trip/{token}")).t;
        return trip_page(
            &state,
            &headers,
            &token,
            false,
            Some(t.s("public.csrf_expired").into()),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    match state.app.confirm_documents_received(&token).await {
        Ok(_) => private(crate::ui::see_other(&format!(
            "/trip/{token}?received=1#receipt"
        ))),
        Err(e) => refused(&state, &headers, &token, e),
    }
}
