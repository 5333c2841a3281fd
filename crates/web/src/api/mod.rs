//! The JSON API under `/api/v1`. Routes are registered through `utoipa_axum`, so a route that
//! exists is a route the OpenAPI document lists.

mod arrivals;
mod assessment;
mod audit;
mod booking_changes;
pub mod bookings;
pub mod calendars;
mod call_work;
mod calls;
pub mod catalog;
pub mod customers;
pub mod desk;
mod feedback;
mod ical_sync;
mod identity;
mod incidents;
mod jobs;
mod mailboxes;
mod notify;
mod payments;
mod policies;
pub mod quality;
pub mod recommendations;
pub mod search;
pub mod sla;
mod sms;
pub(crate) mod summaries;
mod system;
mod trip_documents;
mod waitlist;
mod wechat;

use crate::problem::{Problem, ProblemField};
use crate::AppState;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tripdesk API",
        description = "Customer-service operations for travel agencies, hotels and homestays. \
            Authenticate with `POST /api/v1/auth/login` (returns a bearer token) or an API token \
            (`tdk_…`) in `Authorization: Bearer …`. Errors are `application/problem+json`.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(
        Problem,
        ProblemField,
        tripdesk_domain::emergency::TeamRole,
        notify::webhooks::WebhookDelivery,
        notify::webhooks::WebhookRelated,
        tripdesk_app::webhook_events::WebhookTicket,
        tripdesk_app::webhook_events::TicketCreatedData,
        tripdesk_app::webhook_events::TicketLevelChangedData,
        tripdesk_app::webhook_events::TicketStepData,
        tripdesk_app::webhook_events::TicketReplySentData,
        tripdesk_app::webhook_events::SlaEventData,
        tripdesk_app::webhook_events::SurveyAnsweredData,
        tripdesk_app::webhook_events::CustomerErasedData,
        tripdesk_app::webhook_events::BookingEventData,
    )),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "Staff accounts and roles"),
        (name = "departments", description = "Departments and handling groups"),
        (name = "api-tokens", description = "Long-lived tokens for integrations"),
        (name = "tickets", description = "Inquiries, complaints and feedback; the complaint workflow"),
        (name = "desk", description = "Routing rules, reply templates, the agent inbox with SLA badges and the supervisor board"),
        (name = "customers", description = "Customers and their personal data: masked reads, audited reveals, consents, duplicates, PIPL copy and erasure, import and export"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "calendars", description = "Working-day calendars, China's holidays and make-up days, calendar arithmetic"),
        (name = "sla", description = "SLA policies, clocks and compliance figures"),
        (name = "messages", description = "Outgoing messages, delivery history, dead letters and rate limits; the SMS provider's signed delivery receipts and customers' replies"),
        (name = "templates", description = "Message templates per event and language, versioned"),
        (name = "notifications", description = "In-app notifications (the bell) and recipient preferences"),
        (name = "webhooks", description = "Signed event webhooks for integrators"),
        (name = "system", description = "Health and metrics"),
        (name = "jobs", description = "Deferred and recurring work: jobs by state, retry of dead jobs"),
        (name = "catalog", description = "Tour packages (products) and departures, lodging properties, room types and rooms, their cancellation policies as dated versions, availability, iCalendar feeds and OTA calendar subscriptions, and up to three products recommended for a customer's needs"),
        (name = "mailboxes", description = "Inbound email: the IMAP mailboxes polled into the desk, each one's last poll and error"),
        (name = "calls", description = "The hotline's calls: call-detail records imported from the PBX, the calls, the answer rate against 95 % and three rings"),
        (name = "incidents", description = "Emergencies: incidents found from bookings, broadcasts to every affected traveler, safety check-ins, the team and its checklist, escalation, the first report and the post-incident report"),
        (name = "assessment", description = "Monthly staff assessment: customer (survey), supervisor, peer and self ratings on satisfaction, response time, problem solving, product knowledge and communication; training and drill records; weighted results per agent and department; rewards and corrections"),
        (name = "feedback", description = "Feedback classification: the categories and sentiment of complaints, feedback tickets and survey comments, found automatically and corrected by staff (the classifier learns from corrections)"),
        (name = "quality", description = "Service quality: every published commitment's figure over a period with its target, trend and the clocks behind it; the figures published on the public commitments page"),
        (name = "search", description = "One search box over tickets, messages, customers (exact identifiers only), bookings and products, in simplified or traditional Chinese"),
        (name = "bookings", description = "Bookings of rooms and seats that cannot be double-booked: holds, confirmation, cancellation with refunds, payments recorded by staff or by a payment gateway's signed notification, changes quoted and accepted, pre-trip documents"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

/// The largest `offset` a list accepts: the document declares offsets as int32, and a value
/// the document calls invalid must be refused, not read.
pub const MAX_LIST_OFFSET: u32 = i32::MAX as u32;

/// `#[serde(deserialize_with)]` for a list's `offset` query parameter: 0 to
/// [`MAX_LIST_OFFSET`]; beyond it a 400 naming `offset`.
pub(crate) fn list_offset<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    match Option::<u32>::deserialize(d)? {
        Some(n) if n > MAX_LIST_OFFSET => Err(serde::de::Error::custom(format!(
            "offset must be between 0 and {MAX_LIST_OFFSET}"
        ))),
        v => Ok(v),
    }
}

/// A list's `limit` query parameter: `default` when absent, else 1 to `max` (the bounds each
/// list declares in the document), or a 400 naming `limit`. Every list checks it here.
pub(crate) fn page_limit(
    value: Option<u32>,
    default: u32,
    max: u32,
) -> Result<u32, crate::problem::ApiError> {
    let limit = value.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(crate::problem::ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_query",
            "a query parameter is invalid",
        )
        .with_field(
            "limit",
            "range",
            format!("limit must be between 1 and {max}"),
        ))
    }
}

/// The API router and its OpenAPI document.
pub fn router() -> (Router<AppState>, OpenApiDoc) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(system::routes())
        .merge(identity::routes())
        .merge(desk::routes())
        .merge(customers::routes())
        .merge(audit::routes())
        .merge(calendars::routes())
        .merge(sla::routes())
        .merge(notify::routes())
        .merge(jobs::routes())
        .merge(catalog::routes())
        .merge(ical_sync::routes())
        .merge(recommendations::routes())
        .merge(bookings::routes())
        .merge(policies::routes())
        .merge(payments::routes())
        .merge(booking_changes::routes())
        .merge(waitlist::routes())
        .merge(arrivals::routes())
        .merge(trip_documents::routes())
        .merge(search::routes())
        .merge(feedback::routes())
        .merge(assessment::routes())
        .merge(incidents::routes())
        .merge(sms::routes())
        .merge(calls::routes())
        .merge(call_work::routes())
        .merge(wechat::routes())
        .merge(mailboxes::routes())
        .merge(summaries::routes())
        .merge(quality::routes())
        .split_for_parts();
    add_error_responses(&mut doc);
    (router, doc)
}

/// Every operation can answer with a problem for these statuses; documenting them once here
/// keeps the document honest without repeating them on every handler.
fn add_error_responses(doc: &mut OpenApiDoc) {
    let problem = |desc: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(desc)
                .content(
                    "application/problem+json",
                    Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    )))),
                )
                .build(),
        )
    };
    let common: &[(&str, &str, bool)] = &[
        (
            "400",
            "Malformed request (bad JSON, bad query parameter)",
            true,
        ),
        (
            "401",
            "Not authenticated, or the token is invalid or expired",
            false,
        ),
        (
            "403",
            "Authenticated, but lacking the permission (or the CSRF token)",
            false,
        ),
        ("404", "No such resource", true),
        ("408", "The request took too long", true),
        ("409", "Conflicts with the current state", true),
        ("413", "The request body is too large", true),
        ("415", "The body must be JSON", true),
        ("422", "Invalid fields; `errors` names each one", true),
        ("429", "Too many requests; see Retry-After", true),
        ("500", "Internal error (a bug); quote the request id", true),
        ("503", "The database is unavailable", true),
    ];
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = path == "/healthz" || path == "/metrics" || path == "/api/v1/auth/login";
        for op in item_operations(item) {
            // An error a handler documents itself (`body = Problem`) is written as JSON by
            // utoipa; it is answered as problem+json like every other error.
            for (status, response) in op.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.as_str() >= "400", response) {
                    if let Some(content) = response.content.shift_remove("application/json") {
                        response
                            .content
                            .insert("application/problem+json".into(), content);
                    }
                }
            }
            for (status, desc, always) in common {
                if (*always || !public) && !op.responses.responses.contains_key(*status) {
                    op.responses
                        .responses
                        .insert(status.to_string(), problem(desc));
                }
            }
        }
    }
}

fn item_operations(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<&mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Whether `s` ends in an offset RFC 3339 allows: `Z`, or `±HH:MM` with HH ≤ 23 and MM ≤ 59.
/// (jiff reads offsets up to ±25:59:59, and `+0800` or `+08`; RFC 3339 does not.)
fn has_rfc3339_offset(s: &str) -> bool {
    let b = s.as_bytes();
    if b.last().is_some_and(|c| matches!(c, b'Z' | b'z')) {
        return true;
    }
    let Some(t) = b.len().checked_sub(6).map(|i| &b[i..]) else {
        return false;
    };
    let two = |x: &[u8]| {
        x.iter()
            .all(u8::is_ascii_digit)
            .then(|| (x[0] - b'0') * 10 + (x[1] - b'0'))
    };
    matches!(t[0], b'+' | b'-')
        && t[3] == b':'
        && two(&t[1..3]).is_some_and(|h| h <= 23)
        && two(&t[4..6]).is_some_and(|m| m <= 59)
}

/// The one parser of instants the API takes: RFC 3339 with its offset (`Z` or `±HH:MM`,
/// hours 00–23) required; anything else is a field error naming `field`.
/// Exactly that: no white space around it (the document declares `date-time`).
pub fn parse_instant(field: &str, s: &str) -> Result<jiff::Timestamp, tripdesk_app::AppError> {
    let refused = || {
        tripdesk_app::AppError::field(
            field,
            "invalid",
            format!(
                "{field} must be an RFC 3339 instant with its offset (Z or ±HH:MM, hours 00–23), e.g. 2025-09-30T17:00:00+08:00"
            ),
        )
    };
    if !has_rfc3339_offset(s) {
        return Err(refused());
    }
    s.parse::<jiff::Timestamp>().map_err(|_| refused())
}

/// Formats an instant as RFC 3339 in the organisation's zone, e.g. `2026-11-21T19:34:00+08:00`.
pub fn rfc3339(state: &AppState, t: jiff::Timestamp) -> String {
    let offset = state.tz.to_offset(t);
    t.display_with_offset(offset).to_string()
}

/// For PATCH bodies: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// The `Idempotency-Key` header of the create operations that accept one (see
/// `tripdesk_app::idempotency`): a retry with the same key and body answers the first
/// response with `Idempotent-Replayed: true` and writes nothing; the same key with another
/// body is refused (422, field `Idempotency-Key`). Keys live 24 hours.
#[derive(utoipa::IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
#[allow(dead_code)] // read by `extract::IdempotentJson`; this type only describes it
pub struct IdempotencyKeyHeader(
    /// 1 to 255 visible ASCII characters, e.g. a UUID the client chose for this request.
    #[param(min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    Option<String>,
);
