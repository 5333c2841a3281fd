//! A booking's pre-trip documents for integrators and staff: whether they were sent, received
//! and are still what the booking gives (`GET`), and sending them (`POST …/send`). The PDF is
//! `GET /api/v1/bookings/{id}/departure-notice.pdf` (`api::bookings`); the traveler's pages
//! (`/trip/<token>`) are the UI's.

use super::rfc3339;
use crate::extract::{ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::documents::{trip_link, DocumentsStatus, SentDocuments};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(documents_status))
        .routes(routes!(send_documents))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BookingPath {
    /// The booking.
    id: Uuid,
}

/// One sending of the documents.
#[derive(Serialize, ToSchema)]
pub struct SentView {
    id: Uuid,
    sent_at: String,
    /// The channel it went on (`email`).
    channel: String,
    /// The customer's preferred channel, when they named one (`email`, `sms`, `wechat`, `phone`).
    preferred: Option<String>,
    /// Why it did not go on the preferred channel: `not_deliverable` (nothing delivers there
    /// yet) or `no_address`.
    fallback: Option<String>,
    /// SHA-256 of the document's content as sent.
    content_hash: String,
    message_id: Option<Uuid>,
    /// The message's state in the outbox (`queued`, `sending`, `retrying`, `sent`, `dead`).
    message_state: Option<String>,
    /// When the traveler confirmed receiving it.
    received_at: Option<String>,
    /// The traveler's page (also the way to hand the documents over another way).
    link: String,
    pdf: String,
}

impl SentView {
    fn of(state: &AppState, base: &str, s: &SentDocuments) -> Self {
        let link = trip_link(base, &s.token);
        Self {
            id: s.send.id,
            sent_at: rfc3339(state, s.send.sent_at),
            channel: s.send.channel.clone(),
            preferred: s.send.preferred.clone(),
            fallback: s.send.fallback.clone(),
            content_hash: s.send.content_hash.clone(),
            message_id: s.send.message_id,
            message_state: s.message_state.map(|m| m.as_str().to_string()),
            received_at: s.send.received_at.map(|t| rfc3339(state, t)),
            pdf: format!("{link}/document.pdf"),
            link,
        }
    }
}

/// A booking's documents now.
#[derive(Serialize, ToSchema)]
pub struct DocumentsView {
    /// `not_sent`, `current` (what was sent is what the booking gives now) or `outdated`
    /// (the booking changed since: send again).
    freshness: String,
    /// SHA-256 of the document the booking gives now.
    content_hash: String,
    /// Whether they may be sent now; else `refusal` says why (`documents.not_confirmed`,
    /// `documents.trip_over`).
    can_send: bool,
    refusal: Option<String>,
    last_sent: Option<SentView>,
}

impl DocumentsView {
    fn of(state: &AppState, base: &str, d: &DocumentsStatus) -> Self {
        Self {
            freshness: d.freshness.as_str().into(),
            content_hash: d.content_hash.clone(),
            can_send: d.refusal.is_none(),
            refusal: d.refusal.map(|r| r.code().to_string()),
            last_sent: d.last.as_ref().map(|s| SentView::of(state, base, s)),
        }
    }
}

/// The booking's pre-trip documents: whether they were sent (when, on which channel, why not
/// the preferred one), whether the traveler confirmed receiving them, and whether what was
/// sent is still what the booking gives (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/documents", tag = "bookings", params(BookingPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The documents' state", body = DocumentsView)))]
async fn documents_status(
    State(state): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    ApiPath(path): ApiPath<BookingPath>,
) -> Result<Json<DocumentsView>, ApiError> {
    let status = state.app.documents_status(&p, path.id).await?;
    let base = crate::ui::public_base(&state, &headers);
    Ok(Json(DocumentsView::of(&state, &base, &status)))
}

/// Sends the pre-trip documents to the customer (needs `make_bookings`; audited): one message
/// through the outbox on the customer's preferred channel when one delivers (today email),
/// else by email with the reason recorded, with links to their page, the PDF and the receipt
/// confirmation. 409 `documents.not_confirmed` (held, completed, cancelled), `documents.trip_over`,
/// `documents.no_channel` (no email address: print the PDF or hand over the link),
/// `documents.template_missing`.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/documents/send", tag = "bookings", params(BookingPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Sent", body = SentView)))]
async fn send_documents(
    State(state): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    ApiPath(path): ApiPath<BookingPath>,
) -> Result<(StatusCode, Json<SentView>), ApiError> {
    let base = crate::ui::public_base(&state, &headers);
    let sent = state.app.send_trip_documents(&p, path.id, &base).await?;
    Ok((
        StatusCode::CREATED,
        Json(SentView::of(&state, &base, &sent)),
    ))
}
