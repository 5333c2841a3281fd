//! The hotline's live side (issue 17 item 3): the PBX's CTI posts call events by signed
//! webhook; agents work the callback tasks of missed calls and turn calls into tickets.

use crate::extract::{parse_json, require_json, ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::phone::callbacks::CallbackView;
use tripdesk_app::phone::cti::wire;
use tripdesk_app::phone::ticket::CallTicket;
use tripdesk_app::sms::SIGNATURE_HEADER;
use tripdesk_app::AppError;
use tripdesk_domain::desk::TicketKind;
use tripdesk_store::CallbackFilter;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive_events))
        .routes(routes!(list_callbacks))
        .routes(routes!(record_callback))
        .routes(routes!(call_ticket))
}

/// The PBX's CTI posts call events (a JSON array, at most 1,000): `ringing`, `answered`,
/// `missed`, `ended`, each naming its call. Each is kept once per call and kind — a retried
/// post changes nothing (`repeated`) — and a call's record is rebuilt from its events in
/// whatever order they came, once it is over; a missed inbound call makes or counts its
/// caller's callback task. 401 when the signature is missing, wrong, more than 5 minutes
/// off, or CTI events are not configured; 422 naming `[i].field` when any event cannot be
/// read — nothing is kept then.
#[utoipa::path(post, path = "/api/v1/calls/events", tag = "calls",
    params(("X-Tripdesk-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex of HMAC-SHA256(cti_webhook_secret, \"<t>.<raw body>\")>`; `t` within 5 minutes of the server's clock")),
    request_body = Vec<wire::Event>,
    responses((status = 200, description = "Kept", body = wire::Answer)))]
async fn receive_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<wire::Answer>, ApiError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let verified = state.app.verify_cti_webhook(signature, &body)?;
    require_json(&headers)?;
    let events: Vec<wire::Event> = parse_json(&body)?;
    Ok(Json(
        state.app.receive_call_events(verified, &events).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallbacksQuery {
    /// `open` (the default: oldest first) or `all` (newest first).
    state: Option<String>,
    customer_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// A callback task and its clock; the number is never shown here (the customer is linked).
#[derive(Serialize, ToSchema)]
pub struct CallbackTaskView {
    id: Uuid,
    customer_id: Option<Uuid>,
    line: String,
    /// Missed calls from the number counted on the task.
    missed_count: i64,
    first_missed_at: String,
    last_missed_at: String,
    created_at: String,
    done_at: Option<String>,
    outcome: Option<String>,
    /// The clock's deadline (policy `callback.missed_call`).
    due_at: Option<String>,
    /// `running`, `met`, `breached`, `cancelled`…
    clock_state: Option<String>,
}

impl CallbackTaskView {
    fn of(state: &AppState, v: &CallbackView) -> Self {
        let t = &v.task;
        CallbackTaskView {
            id: t.id,
            customer_id: t.customer_id,
            line: t.line.clone(),
            missed_count: t.missed_count,
            first_missed_at: super::rfc3339(state, t.first_missed_at),
            last_missed_at: super::rfc3339(state, t.last_missed_at),
            created_at: super::rfc3339(state, t.created_at),
            done_at: t.done_at.map(|d| super::rfc3339(state, d)),
            outcome: t.outcome.clone(),
            due_at: v
                .clock
                .as_ref()
                .map(|c| super::rfc3339(state, c.clock.due_at())),
            clock_state: v
                .clock
                .as_ref()
                .map(|c| c.clock.state_at(state.app.now()).as_str().to_string()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CallbackList {
    items: Vec<CallbackTaskView>,
    more: bool,
}

/// Callback tasks of missed calls with their clocks (needs `view_desk`).
#[utoipa::path(get, path = "/api/v1/calls/callbacks", tag = "calls", params(CallbacksQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Callback tasks", body = CallbackList)))]
async fn list_callbacks(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CallbacksQuery>,
) -> Result<Json<CallbackList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let open = match q.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => {
            return Err(AppError::field("state", "unknown", "state must be open or all").into())
        }
    };
    let filter = CallbackFilter {
        open,
        customer_id: q.customer_id,
    };
    let page = state
        .app
        .list_callbacks(&p, filter, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(CallbackList {
        more: page.more,
        items: page
            .items
            .iter()
            .map(|v| CallbackTaskView::of(&state, v))
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CallIdPath {
    id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// `reached`, `no_answer`, `voicemail` or `wrong_number`.
    outcome: String,
    note: Option<String>,
}

/// An agent records a callback (needs `work_tickets`): the task is done, its clock stopped
/// met or late. 409 `done` when it was recorded before.
#[utoipa::path(post, path = "/api/v1/calls/callbacks/{id}/done", tag = "calls",
    params(CallIdPath), request_body = CallbackBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Recorded", body = CallbackTaskView)))]
async fn record_callback(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<CallIdPath>,
    ApiJson(b): ApiJson<CallbackBody>,
) -> Result<Json<CallbackTaskView>, ApiError> {
    let task = state
        .app
        .record_callback(&p, path.id, &b.outcome, b.note.as_deref())
        .await?;
    let clock = state
        .app
        .list_callbacks(
            &p,
            CallbackFilter {
                open: false,
                customer_id: None,
            },
            200,
            0,
        )
        .await?
        .items
        .into_iter()
        .find(|v| v.task.id == task.id)
        .and_then(|v| v.clock);
    Ok(Json(CallbackTaskView::of(
        &state,
        &CallbackView { task, clock },
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallTicketBody {
    /// `inquiry` (default), `complaint` or `feedback`.
    kind: Option<TicketKind>,
    subject: String,
    /// The agent's notes of the call: the ticket's description.
    notes: String,
    /// The caller's name when the call matched no customer.
    customer_name: Option<String>,
}

/// The ticket a call became.
#[derive(Serialize, ToSchema)]
pub struct CallTicketView {
    ticket_id: Uuid,
    number: String,
    customer_id: Option<Uuid>,
}

/// Turns a call into a ticket with the agent's notes (needs `work_tickets`): channel phone,
/// the call's customer (or one made from its number), the call on the ticket's timeline.
/// 409 `has_ticket` when it is one already.
#[utoipa::path(post, path = "/api/v1/calls/{id}/ticket", tag = "calls",
    params(CallIdPath), request_body = CallTicketBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The ticket", body = CallTicketView)))]
async fn call_ticket(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<CallIdPath>,
    ApiJson(b): ApiJson<CallTicketBody>,
) -> Result<(StatusCode, Json<CallTicketView>), ApiError> {
    let d = state
        .app
        .call_to_ticket(
            &p,
            path.id,
            CallTicket {
                kind: b.kind.unwrap_or(TicketKind::Inquiry),
                subject: b.subject,
                notes: b.notes,
                customer_name: b.customer_name,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CallTicketView {
            ticket_id: d.ticket.id,
            number: d.ticket.number,
            customer_id: d.ticket.customer_id,
        }),
    ))
}
