//! The desk beyond the ticket itself: replies and notes, inquiry → complaint, the merged
//! timeline, routing rules with the suggested group, reply templates, the agent inbox with SLA
//! badges and the supervisor board.

use super::tickets::TicketView;
use crate::api::rfc3339;
use crate::extract::{kept_json, replayed, ApiJson, ApiPath, ApiQuery, Auth, IdempotentJson};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::desk_board::{InboxFilters, InboxRequest, SlaBadge, TimelineEntry};
use tripdesk_app::desk_replies::{MessageKind, PostedMessage, ReplyTemplateInput};
use tripdesk_app::desk_routing::RuleInput;
use tripdesk_app::idempotency::{Idempotency, Once};
use tripdesk_domain::desk::{Channel, Level, State as TicketState, TicketKind};
use tripdesk_store::{ReplyTemplate, RoutingRuleRecord, SlaRisk};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_message))
        .routes(routes!(convert))
        .routes(routes!(timeline))
        .routes(routes!(suggested_group))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(list_replies, create_reply))
        .routes(routes!(get_reply, update_reply, delete_reply))
        .routes(routes!(inbox))
        .routes(routes!(board))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

// ---- replies, notes, conversion, timeline ----

/// A reply or note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketMessageBody {
    kind: MessageKind,
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
}

/// What posting did.
#[derive(Serialize, ToSchema)]
pub struct PostedView {
    /// The timeline entry.
    id: Uuid,
    kind: String,
    at: String,
    /// The outbox message carrying a reply to the customer's email (none without an email
    /// address on file).
    message_id: Option<Uuid>,
    /// The first-response clock the reply stopped, and how: `met` or `breached`.
    stopped_clock: Option<StoppedClock>,
}

#[derive(Serialize, ToSchema)]
pub struct StoppedClock {
    target_key: String,
    result: String,
}

/// Adds a reply to the customer (needs `work_tickets`; stops the first-response clock and
/// sends it by the channel the customer last wrote on — email, SMS, or WeChat within its
/// 48-hour window; 409 `wechat_window_closed` when that window closed and the customer has no
/// phone or email) or an internal note. Safe to retry with an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", params(IdPath, crate::api::IdempotencyKeyHeader), request_body = TicketMessageBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added to the timeline (or, with `Idempotent-Replayed: true`, the first answer to this key)", body = PostedView)))]
async fn post_message(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    IdempotentJson { body: b, request }: IdempotentJson<TicketMessageBody>,
) -> Result<Response, ApiError> {
    let kind = b.kind;
    let view = |posted: &PostedMessage| PostedView {
        id: posted.event.id,
        kind: posted.event.kind.clone(),
        at: rfc3339(&state, posted.event.at),
        message_id: posted.message_id,
        stopped_clock: posted
            .stopped_clock
            .clone()
            .map(|(target_key, result)| StoppedClock { target_key, result }),
    };
    let respond = |posted: &PostedMessage| kept_json(StatusCode::CREATED, &view(posted));
    let once = request.as_ref().map(|request| Idempotency {
        request,
        respond: &respond,
    });
    let posted = state
        .app
        .post_ticket_message_once(&p, path.id, kind, &b.body, once.as_ref())
        .await?;
    Ok(match posted {
        Once::Done(posted) => (StatusCode::CREATED, Json(view(&posted))).into_response(),
        Once::Replayed(kept) => replayed(kept),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertBody {
    /// Why the inquiry is a complaint (shown on the timeline).
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Turns an open inquiry into a complaint: same number and history, now in the complaint
/// workflow from `received` (409 `not_an_inquiry` / `ticket_closed` otherwise).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/convert", tag = "tickets", params(IdPath), request_body = ConvertBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The ticket, now a complaint", body = TicketView)))]
async fn convert(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<ConvertBody>,
) -> Result<Json<TicketView>, ApiError> {
    let t = state
        .app
        .convert_to_complaint(&p, path.id, b.reason.as_deref())
        .await?;
    Ok(Json(TicketView::of(&state, &t)))
}

/// One entry of the merged timeline.
#[derive(Serialize, ToSchema)]
pub struct TimelineItem {
    at: String,
    /// `ticket` (created, steps, replies, notes, conversion), `sla` (clock events) or
    /// `notification` (messages sent for the ticket).
    source: String,
    /// ticket: `created`, `step`, `reply`, `note`, `converted`…; sla: `started`, `warning`,
    /// `breach`, `met`…; notification: the message's state (`queued`, `sent`, `dead`…).
    kind: String,
    actor_name: Option<String>,
    step: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    body: Option<String>,
    /// sla: the clock's target, e.g. `first_response.phone`.
    target_key: Option<String>,
    /// notification: `email`, `in_app` or `webhook`.
    channel: Option<String>,
    /// notification: the subject (never the recipient's address).
    subject: Option<String>,
    message_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineView {
    items: Vec<TimelineItem>,
}

/// The ticket's whole timeline in time order: its entries, SLA events and notifications.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/timeline", tag = "tickets", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The timeline", body = TimelineView)))]
async fn timeline(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<TimelineView>, ApiError> {
    let entries = state.app.ticket_timeline(&p, path.id).await?;
    let items = entries
        .iter()
        .map(|e| match e {
            TimelineEntry::Ticket(ev) => TimelineItem {
                at: rfc3339(&state, ev.at),
                source: "ticket".into(),
                kind: ev.kind.clone(),
                actor_name: Some(ev.actor_name.clone()),
                step: ev.step.clone(),
                from_state: ev.from_state.clone(),
                to_state: ev.to_state.clone(),
                body: ev.body.clone(),
                target_key: None,
                channel: None,
                subject: None,
                message_id: None,
            },
            TimelineEntry::Sla(ev) => TimelineItem {
                at: rfc3339(&state, ev.at),
                source: "sla".into(),
                kind: ev.kind.as_str().into(),
                actor_name: None,
                step: None,
                from_state: None,
                to_state: None,
                body: None,
                target_key: Some(ev.target_key.clone()),
                channel: None,
                subject: None,
                message_id: None,
            },
            TimelineEntry::Message(m) => TimelineItem {
                at: rfc3339(&state, m.created_at),
                source: "notification".into(),
                kind: m.state.as_str().into(),
                actor_name: None,
                step: None,
                from_state: None,
                to_state: None,
                body: None,
                target_key: None,
                channel: Some(m.channel.clone()),
                subject: Some(m.subject.clone()),
                message_id: Some(m.id),
            },
        })
        .collect();
    Ok(Json(TimelineView { items }))
}

/// The handling group routing suggests.
#[derive(Serialize, ToSchema)]
pub struct SuggestionView {
    /// Null when no rule matches.
    group_id: Option<Uuid>,
    rule_id: Option<Uuid>,
    rule_name: Option<String>,
}

/// The handling group the routing rules suggest for this ticket (complaints are assigned to
/// it after triage; inquiries and feedback got it at intake).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/routing", tag = "tickets", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The suggestion", body = SuggestionView)))]
async fn suggested_group(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<SuggestionView>, ApiError> {
    let s = state.app.suggested_group(&p, path.id).await?;
    Ok(Json(SuggestionView {
        group_id: s.as_ref().map(|s| s.group_id),
        rule_id: s.as_ref().map(|s| s.rule_id),
        rule_name: s.map(|s| s.rule_name),
    }))
}

// ---- routing rules ----

/// A routing rule: every condition given must hold; the first enabled matching rule (lowest
/// priority) names the handling group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    /// Lower first (0–9999); default 100.
    #[schema(minimum = 0, maximum = 9999)]
    priority: Option<i32>,
    /// e.g. `route`, `guide`, `logistics`, `housekeeping`, `food_beverage`.
    business_area: Option<String>,
    /// Any of these in the subject or description (case-insensitive).
    keywords: Option<Vec<String>>,
    channel: Option<Channel>,
    /// The handling group (a department id).
    group_id: Uuid,
    /// Default true.
    enabled: Option<bool>,
}

impl From<RuleBody> for RuleInput {
    fn from(b: RuleBody) -> Self {
        RuleInput {
            name: b.name,
            priority: b.priority.unwrap_or(100),
            business_area: b.business_area,
            keywords: b.keywords.unwrap_or_default(),
            channel: b.channel,
            group_id: Some(b.group_id),
            enabled: b.enabled.unwrap_or(true),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    id: Uuid,
    name: String,
    priority: i32,
    business_area: Option<String>,
    keywords: Vec<String>,
    channel: Option<String>,
    group_id: Uuid,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

impl RuleView {
    fn of(state: &AppState, r: &RoutingRuleRecord) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            priority: r.priority,
            business_area: r.business_area.clone(),
            keywords: r.keywords.clone(),
            channel: r.channel.map(|c| c.as_str().into()),
            group_id: r.group_id,
            enabled: r.enabled,
            created_at: rfc3339(state, r.created_at),
            updated_at: rfc3339(state, r.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    items: Vec<RuleView>,
}

/// Routing rules in matching order.
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "desk",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The rules", body = RuleList)))]
async fn list_rules(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<RuleList>, ApiError> {
    let rules = state.app.list_routing_rules(&p).await?;
    Ok(Json(RuleList {
        items: rules.iter().map(|r| RuleView::of(&state, r)).collect(),
    }))
}

/// Adds a rule (needs `manage_desk`: supervisors and administrators).
#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "desk", request_body = RuleBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = RuleView)))]
async fn create_rule(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    let r = state.app.create_routing_rule(&p, b.into()).await?;
    Ok((StatusCode::CREATED, Json(RuleView::of(&state, &r))))
}

#[utoipa::path(get, path = "/api/v1/routing-rules/{id}", tag = "desk", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The rule", body = RuleView)))]
async fn get_rule(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<RuleView>, ApiError> {
    let r = state.app.get_routing_rule(&p, path.id).await?;
    Ok(Json(RuleView::of(&state, &r)))
}

/// Replaces a rule (needs `manage_desk`).
#[utoipa::path(put, path = "/api/v1/routing-rules/{id}", tag = "desk", params(IdPath), request_body = RuleBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Updated", body = RuleView)))]
async fn update_rule(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<Json<RuleView>, ApiError> {
    let r = state.app.update_routing_rule(&p, path.id, b.into()).await?;
    Ok(Json(RuleView::of(&state, &r)))
}

/// Deletes a rule (needs `manage_desk`).
#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", tag = "desk", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_rule(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_routing_rule(&p, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- reply templates ----

/// A reply template. `{{ customer }}`, `{{ number }}`, `{{ agent }}` and `{{ org }}` are
/// filled in when it is inserted on a ticket.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// Typed as `;key` + Tab in the reply box: a–z, 0–9, `_`; unique per language.
    #[schema(min_length = 1, max_length = 30)]
    key: String,
    /// `zh-CN` or `en`.
    locale: String,
    /// `greeting`, `closing` or `answer`.
    category: String,
    #[schema(min_length = 1, max_length = 80)]
    title: String,
    #[schema(min_length = 1, max_length = 4000)]
    body: String,
    /// Order in the picker; default 100.
    #[schema(minimum = 0, maximum = 9999)]
    position: Option<i32>,
}

impl From<ReplyBody> for ReplyTemplateInput {
    fn from(b: ReplyBody) -> Self {
        ReplyTemplateInput {
            key: b.key,
            locale: b.locale,
            category: b.category,
            title: b.title,
            body: b.body,
            position: b.position.unwrap_or(100),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReplyView {
    id: Uuid,
    key: String,
    locale: String,
    category: String,
    title: String,
    body: String,
    position: i32,
    updated_at: String,
}

impl ReplyView {
    fn of(state: &AppState, t: &ReplyTemplate) -> Self {
        Self {
            id: t.id,
            key: t.key.clone(),
            locale: t.locale.clone(),
            category: t.category.clone(),
            title: t.title.clone(),
            body: t.body.clone(),
            position: t.position,
            updated_at: rfc3339(state, t.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReplyList {
    items: Vec<ReplyView>,
}

/// Reply templates, by language and position.
#[utoipa::path(get, path = "/api/v1/reply-templates", tag = "desk",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The templates", body = ReplyList)))]
async fn list_replies(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<ReplyList>, ApiError> {
    let items = state.app.list_reply_templates(&p).await?;
    Ok(Json(ReplyList {
        items: items.iter().map(|t| ReplyView::of(&state, t)).collect(),
    }))
}

/// Adds a template (needs `manage_desk`).
#[utoipa::path(post, path = "/api/v1/reply-templates", tag = "desk", request_body = ReplyBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = ReplyView)))]
async fn create_reply(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<ReplyBody>,
) -> Result<(StatusCode, Json<ReplyView>), ApiError> {
    let t = state.app.create_reply_template(&p, b.into()).await?;
    Ok((StatusCode::CREATED, Json(ReplyView::of(&state, &t))))
}

#[utoipa::path(get, path = "/api/v1/reply-templates/{id}", tag = "desk", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The template", body = ReplyView)))]
async fn get_reply(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<ReplyView>, ApiError> {
    let t = state.app.get_reply_template(&p, path.id).await?;
    Ok(Json(ReplyView::of(&state, &t)))
}

/// Replaces a template (needs `manage_desk`).
#[utoipa::path(put, path = "/api/v1/reply-templates/{id}", tag = "desk", params(IdPath), request_body = ReplyBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Updated", body = ReplyView)))]
async fn update_reply(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<ReplyBody>,
) -> Result<Json<ReplyView>, ApiError> {
    let t = state
        .app
        .update_reply_template(&p, path.id, b.into())
        .await?;
    Ok(Json(ReplyView::of(&state, &t)))
}

/// Deletes a template (needs `manage_desk`).
#[utoipa::path(delete, path = "/api/v1/reply-templates/{id}", tag = "desk", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_reply(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_reply_template(&p, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- inbox and board ----

/// An inbox queue.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxQueueName {
    Open,
    Mine,
    MyGroup,
    Unassigned,
    Urgent,
    /// An SLA clock breached or past its warning instant.
    Breaching,
    All,
    /// Role queues (`tripdesk_app::role_queues`), each someone's by a permission (403 for
    /// others): compensation awaiting approval (`approve_compensation`)…
    ToApprove,
    /// …follow-up visits assigned to me (`perform_follow_up`)…
    ToFollowUp,
    /// …assigned complaints whose customer is not contacted yet (`handle_complaints`)…
    ToContact,
    /// …complaints whose follow-up is not scheduled yet (`schedule_follow_ups`).
    ToSchedule,
}

impl InboxQueueName {
    fn as_str(self) -> &'static str {
        match self {
            InboxQueueName::Open => "open",
            InboxQueueName::Mine => "mine",
            InboxQueueName::MyGroup => "my_group",
            InboxQueueName::Unassigned => "unassigned",
            InboxQueueName::Urgent => "urgent",
            InboxQueueName::Breaching => "breaching",
            InboxQueueName::All => "all",
            InboxQueueName::ToApprove => "to_approve",
            InboxQueueName::ToFollowUp => "to_follow_up",
            InboxQueueName::ToContact => "to_contact",
            InboxQueueName::ToSchedule => "to_schedule",
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Default `open`.
    #[param(inline)]
    queue: Option<InboxQueueName>,
    kind: Option<TicketKind>,
    level: Option<Level>,
    /// A workflow state, e.g. `received`, `assigned`, `closed`.
    #[param(
        pattern = "^(received|triaged|assigned|contacted|investigating|solution_proposed|resolved|result_reported|follow_up_scheduled|followed_up|closed|reopened)$"
    )]
    state: Option<String>,
    channel: Option<Channel>,
    /// A handling group (department id).
    group_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

/// A ticket's SLA badge: its most pressing open clock.
#[derive(Serialize, ToSchema)]
pub struct BadgeView {
    target_key: String,
    /// `running`, `paused` or `breached`.
    state: String,
    /// `on_track`, `at_risk` or `breached`.
    risk: String,
    due_at: String,
    warn_at: Option<String>,
    /// `due_at` was computed on a provisional calendar year (no State Council arrangement
    /// imported yet); it may move when the arrangement is imported.
    provisional: bool,
}

impl BadgeView {
    fn of(state: &AppState, b: &SlaBadge) -> Self {
        Self {
            target_key: b.target_key.clone(),
            state: b.state.as_str().into(),
            risk: b.risk.as_str().into(),
            due_at: rfc3339(state, b.due_at),
            warn_at: b.warn_at.map(|w| rfc3339(state, w)),
            provisional: b.provisional,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InboxItem {
    #[serde(flatten)]
    ticket: TicketView,
    sla: Option<BadgeView>,
}

#[derive(Serialize, ToSchema)]
pub struct QueueCount {
    queue: String,
    count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct InboxView {
    queue: String,
    items: Vec<InboxItem>,
    total: u64,
    /// Every queue's size with the same filters.
    queues: Vec<QueueCount>,
    /// The server's time the badges were computed at.
    now: String,
}

/// The agent inbox: a queue, filtered, each ticket with its SLA badge; the clocks of the page
/// are read in one query. The default queue `open` is newest first (a ticket created now is
/// on the first page); the others most urgent, then oldest first.
#[utoipa::path(get, path = "/api/v1/desk/inbox", tag = "desk", params(InboxQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of the queue", body = InboxView)))]
async fn inbox(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<InboxView>, ApiError> {
    let ticket_state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(TicketState::parse(s).ok_or_else(|| {
            ApiError::bad_request("state", "state must be a workflow state, e.g. received")
        })?),
    };
    let page = state
        .app
        .desk_inbox(
            &p,
            &InboxRequest {
                queue: q.queue.unwrap_or(InboxQueueName::Open).as_str().into(),
                filters: InboxFilters {
                    kind: q.kind,
                    level: q.level,
                    state: ticket_state,
                    channel: q.channel,
                    group_id: q.group_id,
                },
                limit: crate::api::page_limit(q.limit, 50, 200)?,
                offset: q.offset.unwrap_or(0),
                with_counts: true,
            },
        )
        .await?;
    Ok(Json(InboxView {
        queue: page.queue.into(),
        items: page
            .tickets
            .iter()
            .map(|t| InboxItem {
                ticket: TicketView::of(&state, &t.ticket),
                sla: t.badge.as_ref().map(|b| BadgeView::of(&state, b)),
            })
            .collect(),
        total: page.total,
        queues: page
            .counts
            .iter()
            .map(|(q, n)| QueueCount {
                queue: (*q).into(),
                count: *n,
            })
            .collect(),
        now: rfc3339(&state, page.now),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BoardCard {
    id: Uuid,
    number: String,
    subject: String,
    level: String,
    /// `on_track`, `at_risk` or `breached`.
    risk: String,
}

#[derive(Serialize, ToSchema)]
pub struct BoardColumnView {
    state: String,
    on_track: u64,
    at_risk: u64,
    breached: u64,
    total: u64,
    /// The riskiest tickets of the column.
    tickets: Vec<BoardCard>,
}

#[derive(Serialize, ToSchema)]
pub struct BoardView {
    columns: Vec<BoardColumnView>,
    on_track: u64,
    at_risk: u64,
    breached: u64,
    now: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Tickets shown per column (1–50, default 8).
    #[param(minimum = 1, maximum = 50)]
    per_state: Option<u32>,
}

/// The supervisor board: open complaints by workflow state and SLA risk (needs
/// `view_reports`).
#[utoipa::path(get, path = "/api/v1/desk/board", tag = "desk", params(BoardQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The board", body = BoardView)))]
async fn board(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<BoardView>, ApiError> {
    let per = q.per_state.unwrap_or(8);
    if !(1..=50).contains(&per) {
        return Err(ApiError::bad_request(
            "per_state",
            "per_state must be between 1 and 50",
        ));
    }
    let b = state.app.complaint_board(&p, per).await?;
    let n = |m: &std::collections::HashMap<SlaRisk, u64>, r| m.get(&r).copied().unwrap_or(0);
    Ok(Json(BoardView {
        columns: b
            .columns
            .iter()
            .map(|c| BoardColumnView {
                state: c.state.as_str().into(),
                on_track: n(&c.counts, SlaRisk::OnTrack),
                at_risk: n(&c.counts, SlaRisk::AtRisk),
                breached: n(&c.counts, SlaRisk::Breached),
                total: c.total,
                tickets: c
                    .tickets
                    .iter()
                    .map(|t| BoardCard {
                        id: t.ticket.id,
                        number: t.ticket.number.clone(),
                        subject: t.ticket.subject.clone(),
                        level: t.ticket.level.as_str().into(),
                        risk: t.risk.as_str().into(),
                    })
                    .collect(),
            })
            .collect(),
        on_track: n(&b.totals, SlaRisk::OnTrack),
        at_risk: n(&b.totals, SlaRisk::AtRisk),
        breached: n(&b.totals, SlaRisk::Breached),
        now: rfc3339(&state, b.now),
    }))
}
