//! OTA calendar subscriptions for integrators and staff (issue 14 item 7): a room follows an
//! OTA's .ics address, fetched on a schedule and imported as hard blocks; the list shows
//! each one's last sync — when, how long ago, what it read or why it failed.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::ical_sync::{NewSubscription, SubscriptionRow};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(get_subscription, delete_subscription))
        .routes(routes!(sync_subscription))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubscriptionPath {
    /// The subscription.
    id: Uuid,
}

/// A room's subscription to an OTA's calendar.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"room_id": "0195f3a2-7c41-7d3e-9a1b-2c3d4e5f6a7b", "source": "airbnb",
    "url": "https://www.airbnb.com/calendar/ical/41234567.ics?s=5f0c1d2e3b4a59687766554433221100",
    "interval_minutes": 30}))]
pub struct IcalSubscriptionBody {
    room_id: Uuid,
    /// Where the calendar comes from: 1–40 characters of a–z, 0–9, `.`, `_`, `-` (`airbnb`,
    /// `booking.com`). A room follows a source once; the source's blocks are what each
    /// import replaces.
    source: String,
    /// The OTA's export address, `http://` or `https://` (a `webcal://` address is refused:
    /// write it as `https://`). Redirects are followed to http(s) only, never from https to
    /// http.
    url: String,
    /// Fetched every this many minutes, 5–1440 (default 30).
    #[schema(minimum = 5, maximum = 1440)]
    interval_minutes: Option<i64>,
}

/// Why the last sync failed.
#[derive(Serialize, ToSchema)]
pub struct IcalSyncErrorView {
    /// `fetch.timeout`, `fetch.connect`, `fetch.redirect`, `fetch.status`, `fetch.too_large`,
    /// `fetch.encoding`, `fetch.failed`, or the calendar's own (`ics.not_a_calendar`,
    /// `ics.syntax`, …).
    code: String,
    /// In English, for administrators: the HTTP status, the line of the calendar.
    detail: String,
}

/// The last sync of a subscription.
#[derive(Serialize, ToSchema)]
pub struct IcalSyncView {
    at: String,
    /// Seconds between it and now.
    age_seconds: i64,
    /// Whether it imported the calendar. When it did not, nothing was imported and the
    /// earlier blocks stay.
    ok: bool,
    /// Events read, nights from today on they block, and of those the nights a booking or
    /// another source held (not blocked; a booking's alerts staff).
    events: u32,
    nights: u32,
    conflicts: u32,
    error: Option<IcalSyncErrorView>,
}

#[derive(Serialize, ToSchema)]
pub struct IcalSubscriptionView {
    id: Uuid,
    room_id: Uuid,
    room_label: String,
    property_id: Uuid,
    source: String,
    /// The address without its query (where OTAs put the calendar's secret): `…?…`.
    url: String,
    interval_minutes: u32,
    /// When it is due next (a sync waits for the minute after).
    next_sync_at: String,
    /// A sync is queued or running now.
    syncing: bool,
    /// The last attempt; absent before the first.
    last_sync: Option<IcalSyncView>,
    /// The last attempt that imported the calendar.
    last_ok_at: Option<String>,
    created_at: String,
}

impl IcalSubscriptionView {
    fn of(state: &AppState, row: SubscriptionRow) -> Self {
        let now = state.app.now();
        let s = row.sub;
        Self {
            id: s.id,
            room_id: s.room_id,
            room_label: row.room_label,
            property_id: row.property_id,
            source: s.source,
            url: row.shown_url,
            interval_minutes: s.interval_minutes,
            next_sync_at: rfc3339(state, s.next_sync_at),
            syncing: row.syncing,
            last_sync: s.last_sync.map(|o| IcalSyncView {
                at: rfc3339(state, o.at),
                age_seconds: now.as_second().saturating_sub(o.at.as_second()).max(0),
                ok: o.error.is_none(),
                events: o.events,
                nights: o.nights,
                conflicts: o.conflicts,
                error: o.error.map(|e| IcalSyncErrorView {
                    code: e.code,
                    detail: e.detail,
                }),
            }),
            last_ok_at: s.last_ok_at.map(|t| rfc3339(state, t)),
            created_at: rfc3339(state, s.created_at),
        }
    }
}

/// Subscribes a room to an OTA's calendar address (needs `manage_catalog`; audited). Its
/// first sync is queued at once; then every `interval_minutes`. 422 naming each field at
/// fault (`room_id` unknown, `source`, `url`, `interval_minutes`); 409
/// `subscription_exists` when the room follows that source already.
#[utoipa::path(post, path = "/api/v1/ical-subscriptions", tag = "catalog",
    request_body = IcalSubscriptionBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Subscribed; the first sync is queued", body = IcalSubscriptionView)))]
async fn create_subscription(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<IcalSubscriptionBody>,
) -> Result<(StatusCode, Json<IcalSubscriptionView>), ApiError> {
    let row = state
        .app
        .create_ical_subscription(
            &p,
            &NewSubscription {
                room_id: body.room_id,
                source: body.source,
                url: body.url,
                interval_minutes: body.interval_minutes,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IcalSubscriptionView::of(&state, row)),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// One property's rooms.
    property_id: Option<Uuid>,
    /// One room.
    room_id: Option<Uuid>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct IcalSubscriptionList {
    items: Vec<IcalSubscriptionView>,
    /// Whether another page follows (ask again with `offset` + `limit`).
    more: bool,
}

/// Calendar subscriptions in the room grid's order, each with its last sync: when, how long
/// ago, and what it read or why it failed (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/ical-subscriptions", tag = "catalog",
    params(SubscriptionQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of subscriptions", body = IcalSubscriptionList)))]
async fn list_subscriptions(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SubscriptionQuery>,
) -> Result<Json<IcalSubscriptionList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .ical_subscriptions(
            &p,
            q.property_id,
            q.room_id,
            limit,
            u64::from(q.offset.unwrap_or(0)),
        )
        .await?;
    Ok(Json(IcalSubscriptionList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|r| IcalSubscriptionView::of(&state, r))
            .collect(),
    }))
}

/// One subscription with its last sync (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/ical-subscriptions/{id}", tag = "catalog",
    params(SubscriptionPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The subscription", body = IcalSubscriptionView)))]
async fn get_subscription(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<SubscriptionPath>,
) -> Result<Json<IcalSubscriptionView>, ApiError> {
    let row = state.app.ical_subscription(&p, path.id).await?;
    Ok(Json(IcalSubscriptionView::of(&state, row)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteSubscriptionQuery {
    /// Also free the nights this source blocks on the room (default: they stay blocked, so
    /// an OTA still selling the room cannot double-book it).
    release_blocks: Option<bool>,
}

/// Ends a subscription (needs `manage_catalog`; audited). Its blocks stay unless
/// `release_blocks=true`.
#[utoipa::path(delete, path = "/api/v1/ical-subscriptions/{id}", tag = "catalog",
    params(SubscriptionPath, DeleteSubscriptionQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_subscription(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<SubscriptionPath>,
    ApiQuery(q): ApiQuery<DeleteSubscriptionQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_ical_subscription(&p, path.id, q.release_blocks.unwrap_or(false))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a sync was queued.
#[derive(Serialize, ToSchema)]
pub struct IcalSyncQueued {
    /// False when one was queued or running already (it will do).
    queued: bool,
}

/// Queues a sync of the subscription now (needs `make_bookings` or `manage_catalog`): the
/// job worker fetches and imports it within moments; read the outcome from the subscription.
#[utoipa::path(post, path = "/api/v1/ical-subscriptions/{id}/sync", tag = "catalog",
    params(SubscriptionPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 202, description = "Queued", body = IcalSyncQueued)))]
async fn sync_subscription(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<SubscriptionPath>,
) -> Result<(StatusCode, Json<IcalSyncQueued>), ApiError> {
    let queued = state.app.sync_ical_subscription_now(&p, path.id).await?;
    Ok((StatusCode::ACCEPTED, Json(IcalSyncQueued { queued })))
}
