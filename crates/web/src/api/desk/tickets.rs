//! Tickets: intake, queues and the complaint workflow.

use crate::api::rfc3339;
use crate::extract::{kept_json, replayed, ApiJson, ApiPath, ApiQuery, Auth, IdempotentJson};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::desk::{NewTicket, StepRequest, TicketDetail};
use tripdesk_app::idempotency::{Idempotency, Once};
use tripdesk_domain::desk::{Channel, Compensation, CompensationKind, Level, Step, TicketKind};
use tripdesk_store::{Ticket, TicketFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets, create_ticket))
        .routes(routes!(get_ticket))
        .routes(routes!(take_step))
        .routes(routes!(change_level))
        .routes(routes!(download_attachment))
        .merge(
            // Files are larger than the JSON bodies the rest of the API takes.
            OpenApiRouter::new()
                .routes(routes!(upload_attachment))
                .layer(axum::extract::DefaultBodyLimit::max(
                    tripdesk_app::desk_attachments::MAX_ATTACHMENT_BYTES + 64 * 1024,
                )),
        )
}

/// The customer as given at intake.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCustomer {
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    /// Mainland mobile or E.164. With a phone or email the customer record is found through
    /// the vault's blind index, or created (encrypted) on the fly.
    phone: Option<String>,
    email: Option<String>,
    /// An existing customer record instead of phone/email.
    id: Option<Uuid>,
}

/// A new ticket.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCreate {
    kind: TicketKind,
    channel: Channel,
    /// Default `general`; important alerts the supervisors, urgent also the emergency leader.
    level: Option<Level>,
    #[schema(min_length = 1, max_length = 200)]
    subject: String,
    #[schema(min_length = 1, max_length = 10000)]
    description: String,
    customer: TicketCustomer,
    /// The related booking or trip, as free text until bookings exist.
    booking_ref: Option<String>,
    /// e.g. `route`, `guide`, `logistics`, `housekeeping`, `food_beverage`.
    business_area: Option<String>,
    tags: Option<Vec<String>>,
}

/// A ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketView {
    id: Uuid,
    /// The reference the customer is given.
    number: String,
    kind: String,
    channel: String,
    level: String,
    state: String,
    subject: String,
    description: String,
    customer_id: Option<Uuid>,
    customer_name: String,
    booking_ref: Option<String>,
    business_area: Option<String>,
    tags: Vec<String>,
    group_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    compensation_kind: Option<String>,
    compensation_amount_fen: Option<i64>,
    compensation_approved: bool,
    cause: Option<String>,
    responsible_department_id: Option<Uuid>,
    responsible_person: Option<String>,
    last_satisfaction: Option<u8>,
    created_at: String,
    updated_at: String,
    resolved_at: Option<String>,
    closed_at: Option<String>,
}

impl TicketView {
    pub fn of(state: &AppState, t: &Ticket) -> Self {
        Self {
            id: t.id,
            number: t.number.clone(),
            kind: t.kind.as_str().into(),
            channel: t.channel.as_str().into(),
            level: t.level.as_str().into(),
            state: t.state.as_str().into(),
            subject: t.subject.clone(),
            description: t.description.clone(),
            customer_id: t.customer_id,
            customer_name: t.customer_name.clone(),
            booking_ref: t.booking_ref.clone(),
            business_area: t.business_area.clone(),
            tags: t.tags.clone(),
            group_id: t.group_id,
            assignee_id: t.assignee_id,
            compensation_kind: t.compensation_kind.map(|k| k.as_str().into()),
            compensation_amount_fen: t.compensation_amount_fen,
            compensation_approved: t.compensation_approved_at.is_some(),
            cause: t.cause.clone(),
            responsible_department_id: t.responsible_department_id,
            responsible_person: t.responsible_person.clone(),
            last_satisfaction: t.last_satisfaction,
            created_at: rfc3339(state, t.created_at),
            updated_at: rfc3339(state, t.updated_at),
            resolved_at: t.resolved_at.map(|x| rfc3339(state, x)),
            closed_at: t.closed_at.map(|x| rfc3339(state, x)),
        }
    }
}

/// One entry of the timeline.
#[derive(Serialize, ToSchema)]
pub struct TicketEventView {
    at: String,
    actor_name: String,
    kind: String,
    step: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    body: Option<String>,
    /// What the step caused, e.g. `start_clock:complaint.contact`, `notify:supervisors`.
    effects: Vec<String>,
}

/// A task arising from the ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketTaskView {
    id: Uuid,
    kind: String,
    department_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    title: String,
    body: String,
    created_at: String,
    /// When the task is due (a follow-up: when the visit is planned).
    due_at: Option<String>,
    done_at: Option<String>,
}

/// An SLA clock of the ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketClockView {
    id: Uuid,
    /// The SLA target, e.g. `complaint.contact`, `complaint.follow_up`.
    name: String,
    /// `running`, `paused`, `met`, `breached` or `cancelled` (as of now).
    state: String,
    started_at: String,
    /// The first late instant (RFC 3339).
    due_at: String,
    /// When a window opens (follow-up: not before this).
    opens_at: Option<String>,
    warn_at: Option<String>,
    stopped_at: Option<String>,
    /// `due_at` (and `opens_at`, `warn_at`) were computed on a provisional calendar year:
    /// weekends plus the statutory holidays, the State Council's arrangement for that year
    /// not imported yet. Recomputed (and cleared) when it is imported.
    provisional: bool,
}

fn clock_view(state: &AppState, c: &tripdesk_store::SlaClockRecord) -> TicketClockView {
    let now = state.app.now();
    TicketClockView {
        id: c.id,
        name: c.clock.target_key().to_string(),
        state: c.clock.state_at(now).as_str().to_string(),
        started_at: rfc3339(state, c.clock.started_at()),
        due_at: rfc3339(state, c.clock.due_at()),
        opens_at: c.clock.opens_at().map(|t| rfc3339(state, t)),
        warn_at: c.clock.warn_at().map(|t| rfc3339(state, t)),
        stopped_at: c.clock.stopped_at().map(|t| rfc3339(state, t)),
        provisional: c.clock.provisional(),
    }
}

/// A ticket with its timeline.
#[derive(Serialize, ToSchema)]
pub struct TicketDetailView {
    #[serde(flatten)]
    ticket: TicketView,
    /// The clocks still counting (running, paused, or breached and not yet stopped).
    sla_clocks: Vec<TicketClockView>,
    /// Every clock the ticket has had, finished ones included, oldest first.
    sla_history: Vec<TicketClockView>,
    /// Evidence and other files, oldest first.
    attachments: Vec<TicketAttachmentView>,
    events: Vec<TicketEventView>,
    tasks: Vec<TicketTaskView>,
    /// Steps allowed from the current state.
    next_steps: Vec<String>,
}

fn detail_view(state: &AppState, d: &TicketDetail) -> TicketDetailView {
    TicketDetailView {
        ticket: TicketView::of(state, &d.ticket),
        sla_clocks: d.running_clocks().map(|c| clock_view(state, c)).collect(),
        sla_history: d.clocks.iter().map(|c| clock_view(state, c)).collect(),
        attachments: d
            .attachments
            .iter()
            .map(|a| attachment_view(state, a))
            .collect(),
        events: d
            .events
            .iter()
            .map(|e| TicketEventView {
                at: rfc3339(state, e.at),
                actor_name: e.actor_name.clone(),
                kind: e.kind.clone(),
                step: e.step.clone(),
                from_state: e.from_state.clone(),
                to_state: e.to_state.clone(),
                body: e.body.clone(),
                effects: e
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                    .and_then(|v| v["effects"].as_array().cloned())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            })
            .collect(),
        tasks: d
            .tasks
            .iter()
            .map(|t| TicketTaskView {
                id: t.id,
                kind: t.kind.clone(),
                department_id: t.department_id,
                assignee_id: t.assignee_id,
                title: t.title.clone(),
                body: t.body.clone(),
                created_at: rfc3339(state, t.created_at),
                due_at: t.due_at.map(|x| rfc3339(state, x)),
                done_at: t.done_at.map(|x| rfc3339(state, x)),
            })
            .collect(),
        next_steps: d
            .next_steps
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    }
}

/// Takes a ticket (needs `work_tickets`). Safe to retry with an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = TicketCreate,
    params(crate::api::IdempotencyKeyHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created (or, with `Idempotent-Replayed: true`, the first answer to this key)", body = TicketDetailView)))]
async fn create_ticket(
    State(state): State<AppState>,
    Auth(p): Auth,
    IdempotentJson { body, request }: IdempotentJson<TicketCreate>,
) -> Result<Response, ApiError> {
    let respond = |d: &TicketDetail| kept_json(StatusCode::CREATED, &detail_view(&state, d));
    let once = request.as_ref().map(|request| Idempotency {
        request,
        respond: &respond,
    });
    let detail = state
        .app
        .create_ticket_once(
            &p,
            NewTicket {
                kind: body.kind,
                channel: body.channel,
                level: body.level,
                subject: body.subject,
                description: body.description,
                customer_name: body.customer.name,
                customer_phone: body.customer.phone,
                customer_email: body.customer.email,
                customer_id: body.customer.id,
                booking_ref: body.booking_ref,
                business_area: body.business_area,
                tags: body.tags.unwrap_or_default(),
            },
            once.as_ref(),
        )
        .await?;
    Ok(match detail {
        Once::Done(d) => (StatusCode::CREATED, Json(detail_view(&state, &d))).into_response(),
        Once::Replayed(kept) => replayed(kept),
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// One ticket with its timeline, tasks and next steps.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The ticket", body = TicketDetailView)))]
async fn get_ticket(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<TicketDetailView>, ApiError> {
    let detail = state.app.get_ticket(&p, path.id).await?;
    Ok(Json(detail_view(&state, &detail)))
}

/// A queue.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketQueue {
    /// Assigned to me.
    Mine,
    /// My handling group's.
    MyGroup,
    Unassigned,
    Urgent,
    /// Every open ticket.
    Open,
    All,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Default `open`.
    #[param(inline)]
    queue: Option<TicketQueue>,
    kind: Option<TicketKind>,
    level: Option<Level>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

/// A page of tickets.
#[derive(Serialize, ToSchema)]
pub struct TicketList {
    items: Vec<TicketView>,
    total: u64,
}

/// Lists tickets of a queue, most urgent first, then oldest first.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of tickets", body = TicketList)))]
async fn list_tickets(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<TicketList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 200)?;
    let mut filter = TicketFilter {
        kind: q.kind,
        level: q.level,
        open_only: true,
        limit,
        offset: q.offset.unwrap_or(0),
        ..Default::default()
    };
    match q.queue.unwrap_or(TicketQueue::Open) {
        TicketQueue::Mine => filter.assignee_id = Some(p.user_id),
        TicketQueue::MyGroup => filter.group_id = Some(p.department_id.unwrap_or(Uuid::nil())),
        TicketQueue::Unassigned => filter.unassigned = true,
        TicketQueue::Urgent => filter.level = Some(Level::Urgent),
        TicketQueue::Open => {}
        TicketQueue::All => filter.open_only = false,
    }
    let (tickets, total) = state.app.list_tickets(&p, &filter).await?;
    Ok(Json(TicketList {
        items: tickets.iter().map(|t| TicketView::of(&state, t)).collect(),
        total,
    }))
}

/// Compensation kind.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketCompensationKind {
    Refund,
    Voucher,
    Gift,
    Apology,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCompensation {
    kind: TicketCompensationKind,
    /// Amount in fen (1 元 = 100 fen).
    #[schema(minimum = 0)]
    amount_fen: i64,
}

/// A step and what it carries.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketStepBody {
    step: Step,
    /// triage
    level: Option<Level>,
    /// assign / reassign: the handling group (a department id)
    group_id: Option<Uuid>,
    /// assign / reassign: a member of the group; schedule_follow_up: the follow-up agent
    assignee_id: Option<Uuid>,
    /// propose_solution
    compensation: Option<TicketCompensation>,
    /// record_follow_up: 1–5
    #[schema(minimum = 1, maximum = 5)]
    satisfaction: Option<u8>,
    /// record_follow_up: overall rating of the agency, 1–5
    #[schema(minimum = 1, maximum = 5)]
    overall_rating: Option<u8>,
    suggestions: Option<String>,
    /// reassign, reopen, and an unsatisfied follow-up
    reason: Option<String>,
    /// record_follow_up with satisfaction 1–2: reopen at once
    reopen: Option<bool>,
    /// A note for the timeline (contact, investigation…)
    note: Option<String>,
    /// report_result: cause, responsible department and person
    cause: Option<String>,
    responsible_department_id: Option<Uuid>,
    responsible_person: Option<String>,
    /// propose_solution: improvement actions, each a task for the responsible department
    improvements: Option<Vec<String>>,
    /// schedule_follow_up: when the visit is planned (RFC 3339); inside the follow-up window,
    /// by default its first instant.
    #[schema(format = DateTime)]
    scheduled_at: Option<String>,
}

/// Takes a workflow step. A step not allowed in the current state answers 409 with
/// `allowed_next_steps`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/steps", tag = "tickets", params(IdPath), request_body = TicketStepBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The ticket after the step", body = TicketDetailView)))]
async fn take_step(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<TicketStepBody>,
) -> Result<Json<TicketDetailView>, ApiError> {
    let scheduled_at = b
        .scheduled_at
        .as_deref()
        .map(|s| crate::api::parse_instant("scheduled_at", s))
        .transpose()?;
    let req = StepRequest {
        scheduled_at,
        improvements: b.improvements.unwrap_or_default(),
        level: b.level,
        group_id: b.group_id,
        assignee_id: b.assignee_id,
        compensation: b.compensation.map(|c| Compensation {
            kind: match c.kind {
                TicketCompensationKind::Refund => CompensationKind::Refund,
                TicketCompensationKind::Voucher => CompensationKind::Voucher,
                TicketCompensationKind::Gift => CompensationKind::Gift,
                TicketCompensationKind::Apology => CompensationKind::Apology,
            },
            amount_fen: c.amount_fen,
        }),
        satisfaction: b.satisfaction,
        overall_rating: b.overall_rating,
        suggestions: b.suggestions,
        reason: b.reason,
        reopen: b.reopen.unwrap_or(false),
        note: b.note,
        cause: b.cause,
        responsible_department_id: b.responsible_department_id,
        responsible_person: b.responsible_person,
    };
    let detail = state
        .app
        .apply_step_detailed(&p, path.id, b.step, req)
        .await?;
    Ok(Json(detail_view(&state, &detail)))
}

/// A new triage level and why.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketLevelChange {
    level: Level,
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// Changes the triage level of an open ticket (audited; raising a complaint to important or
/// urgent alerts as triage does).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/level", tag = "tickets", params(IdPath), request_body = TicketLevelChange,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The ticket after the change", body = TicketDetailView)))]
async fn change_level(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<TicketLevelChange>,
) -> Result<Json<TicketDetailView>, ApiError> {
    let ticket = state
        .app
        .change_level(&p, path.id, b.level, &b.reason)
        .await?;
    let detail = state.app.get_ticket(&p, ticket.id).await?;
    Ok(Json(detail_view(&state, &detail)))
}

/// A file on the ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketAttachmentView {
    id: Uuid,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    /// SHA-256 of the content, hex.
    sha256: String,
    uploaded_by_name: String,
    created_at: String,
    /// Where to download it (audited).
    href: String,
}

fn attachment_view(
    state: &AppState,
    a: &tripdesk_app::desk_attachments::AttachmentInfo,
) -> TicketAttachmentView {
    TicketAttachmentView {
        id: a.id,
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        sha256: a.sha256.clone(),
        uploaded_by_name: a.uploaded_by_name.clone(),
        created_at: rfc3339(state, a.created_at),
        href: format!("/api/v1/tickets/{}/attachments/{}", a.ticket_id, a.id),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// The file's name as the customer or colleague gave it.
    file_name: String,
}

/// Attaches a file (the request body; its `Content-Type` names the type) to a ticket: evidence,
/// statements, photos, recordings — up to 10 MiB, sealed by the vault.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", params(IdPath, AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Attached", body = TicketAttachmentView)))]
async fn upload_attachment(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<AttachmentQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<TicketAttachmentView>), ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let info = state
        .app
        .add_ticket_attachment(
            &p,
            path.id,
            tripdesk_app::desk_attachments::NewAttachment {
                file_name: q.file_name,
                content_type,
                content: body.to_vec(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(attachment_view(&state, &info))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AttachmentPath {
    id: Uuid,
    attachment_id: Uuid,
}

/// Downloads an attachment (audited).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets", params(AttachmentPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>)))]
async fn download_attachment(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<AttachmentPath>,
) -> Result<axum::response::Response, ApiError> {
    let (info, content) = state
        .app
        .open_ticket_attachment(&p, path.id, path.attachment_id)
        .await?;
    Ok(attachment_response(
        &info.file_name,
        &info.content_type,
        content.expose_secret(),
    ))
}

/// A file download: always `attachment` (never rendered in the page), the name in RFC 6266 /
/// RFC 5987 form so Chinese names survive, with an ASCII fallback.
pub fn attachment_response(
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        content.to_vec(),
    )
        .into_response()
}
