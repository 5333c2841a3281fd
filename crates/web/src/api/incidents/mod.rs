//! Emergencies: declare an incident over a scope, watch its board, broadcast to every affected
//! traveler, record answers, calls, the team and the checklist, report and close; offer
//! every affected booking a refund or a postponement ([`remedies`]); what it cost and the
//! drill records ([`costs`]).

mod authority;
mod costs;
mod remedies;

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::emergency::{
    Audience, BroadcastOutcome, BroadcastRequest, ChannelTried, DeclareIncident, UpdateIncident,
};
use tripdesk_domain::emergency::{
    CallOutcome, IncidentKind, IncidentLevel, IncidentState, PersonStatus, Scope, TeamRole,
    WarningColour,
};
use tripdesk_store::{Incident, IncidentPerson, PeopleFilter};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, declare_incident))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(broadcast))
        .routes(routes!(list_people, add_person))
        .routes(routes!(record_answer))
        .routes(routes!(set_team))
        .routes(routes!(tick_item))
        .routes(routes!(record_call))
        .routes(routes!(get_report))
        .merge(authority::routes())
        .merge(remedies::routes())
        .merge(costs::routes())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IncidentPath {
    /// The incident.
    id: Uuid,
}

/// An incident as stored.
#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    id: Uuid,
    kind: IncidentKind,
    level: IncidentLevel,
    title: String,
    description: String,
    warning_colour: Option<WarningColour>,
    scope: Scope,
    /// A drill: measured and reported like a real incident, marked as a drill.
    drill: bool,
    state: IncidentState,
    no_answer_minutes: i64,
    ticket_id: Option<Uuid>,
    declared_at: String,
    first_message_at: Option<String>,
    reported_at: Option<String>,
    closed_at: Option<String>,
    closing_summary: Option<String>,
    /// Handling ended (处置结束): update reports stop, the closing summary is due.
    handling_ended_at: Option<String>,
    /// Give it back to PATCH and close: a change made meanwhile answers 409.
    version: i64,
}

impl IncidentView {
    fn of(state: &AppState, i: Incident) -> Self {
        Self {
            id: i.id,
            kind: i.kind,
            level: i.level,
            title: i.title,
            description: i.description,
            warning_colour: i.warning_colour,
            scope: i.scope,
            drill: i.drill,
            state: i.state,
            no_answer_minutes: i.no_answer_minutes,
            ticket_id: i.ticket_id,
            declared_at: rfc3339(state, i.declared_at),
            first_message_at: i.first_message_at.map(|t| rfc3339(state, t)),
            reported_at: i.reported_at.map(|t| rfc3339(state, t)),
            closed_at: i.closed_at.map(|t| rfc3339(state, t)),
            closing_summary: i.closing_summary,
            handling_ended_at: i.handling_ended_at.map(|t| rfc3339(state, t)),
            version: i.version,
        }
    }
}

/// An incident to declare.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”登陆三亚",
    "description": "气象台发布台风红色预警", "warning_colour": "red", "drill": true,
    "scope": {"regions": ["三亚"], "from": "2026-09-01", "to": "2026-09-03"}}))]
pub struct DeclareBody {
    kind: IncidentKind,
    level: IncidentLevel,
    /// 1 to 120 characters.
    title: String,
    #[serde(default)]
    description: String,
    /// Only for a natural disaster: the weather warning's colour.
    warning_colour: Option<WarningColour>,
    scope: Scope,
    #[serde(default)]
    drill: bool,
    /// Minutes after a broadcast before those who have not answered are escalated (5–1440,
    /// default 30).
    #[schema(minimum = 5, maximum = 1440)]
    no_answer_minutes: Option<i64>,
    /// The urgent complaint that opened it.
    ticket_id: Option<Uuid>,
}

/// An incident with how many people its scope reaches.
#[derive(Serialize, ToSchema)]
pub struct IncidentChangeView {
    incident: IncidentView,
    people: u64,
    added: u64,
    dropped: u64,
    /// Departures in scope whose guide's phone is not a number that can be reached: add
    /// those guides by hand.
    guides_unusable: Vec<Uuid>,
}

/// Declares an incident (needs `manage_incidents`; audited). Its people are found from
/// bookings at once; a level of 较大 or above starts the 1-hour clock of the first report.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = DeclareBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Declared", body = IncidentChangeView)))]
async fn declare_incident(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<DeclareBody>,
) -> Result<(StatusCode, Json<IncidentChangeView>), ApiError> {
    let change = state
        .app
        .declare_incident(
            &p,
            DeclareIncident {
                kind: body.kind,
                level: body.level,
                title: body.title,
                description: body.description,
                warning_colour: body.warning_colour,
                scope: body.scope,
                drill: body.drill,
                no_answer_minutes: body.no_answer_minutes,
                ticket_id: body.ticket_id,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IncidentChangeView {
            people: change.affected.in_scope,
            added: change.affected.added,
            dropped: change.affected.dropped,
            guides_unusable: change.guides_unusable,
            incident: IncidentView::of(&state, change.incident),
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentsQuery {
    state: Option<IncidentState>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentList {
    items: Vec<IncidentView>,
    more: bool,
}

/// Incidents, newest first (needs `view_incidents`).
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentsQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of incidents", body = IncidentList)))]
async fn list_incidents(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<IncidentsQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .list_incidents(&p, q.state, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(IncidentList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|i| IncidentView::of(&state, i))
            .collect(),
    }))
}

/// The board's figures.
#[derive(Serialize, ToSchema)]
pub struct IncidentBoardView {
    incident: IncidentView,
    people: u64,
    safe: u64,
    needs_help: u64,
    /// Not answered yet.
    pending: u64,
    /// Escalated to an urgent ticket (needs help, or no answer in time).
    escalated: u64,
    /// People reached: at least one message handed to its channel.
    delivered: u64,
    messages_pending: u64,
    messages_dead: u64,
    calls_open: u64,
    calls_done: u64,
    /// Checklist items done, of all.
    checklist_done: u32,
    checklist_total: u32,
    /// The first report's clock: `running`, `met`, `breached`, … (absent for 一般).
    report_clock: Option<String>,
    report_due_at: Option<String>,
    /// The clocks of every report to the authority: first, updates, closing summary.
    clocks: authority::ClocksView,
}

/// An incident with its live figures (needs `view_incidents`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(IncidentPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The incident and its board", body = IncidentBoardView)))]
async fn get_incident(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
) -> Result<Json<IncidentBoardView>, ApiError> {
    let b = state.app.incident_board(&p, path.id).await?;
    let now = state.app.now();
    Ok(Json(IncidentBoardView {
        people: b.counts.people,
        safe: b.counts.safe,
        needs_help: b.counts.needs_help,
        pending: b.counts.pending,
        escalated: b.counts.escalated,
        delivered: b.delivered,
        messages_pending: b.messages_pending,
        messages_dead: b.messages_dead,
        calls_open: b.counts.calls_open,
        calls_done: b.counts.calls_done,
        checklist_done: b.checklist.iter().filter(|c| c.tick.is_some()).count() as u32,
        checklist_total: b.checklist.len() as u32,
        report_clock: b
            .clocks
            .first
            .as_ref()
            .map(|c| c.clock.state_at(now).as_str().to_string()),
        report_due_at: b
            .clocks
            .first
            .as_ref()
            .map(|c| rfc3339(&state, c.clock.due_at())),
        clocks: authority::ClocksView::of(&state, &b.incident, &b.clocks),
        incident: IncidentView::of(&state, b.incident),
    }))
}

/// A change: each field given replaces the stored one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    level: Option<IncidentLevel>,
    title: Option<String>,
    description: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<WarningColour>)]
    warning_colour: Option<Option<WarningColour>>,
    /// A new scope: the people are recomputed (answers kept).
    scope: Option<Scope>,
    #[schema(minimum = 5, maximum = 1440)]
    no_answer_minutes: Option<i64>,
    /// The version read.
    version: i64,
}

/// Changes an open incident (needs `manage_incidents`; audited). 409 `incident.changed` when
/// someone changed it meanwhile, `incident.closed` once closed.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", params(IncidentPath),
    request_body = UpdateBody, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Changed", body = IncidentChangeView)))]
async fn update_incident(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<IncidentChangeView>, ApiError> {
    let change = state
        .app
        .update_incident(
            &p,
            path.id,
            UpdateIncident {
                level: body.level,
                title: body.title,
                description: body.description,
                warning_colour: body.warning_colour,
                scope: body.scope,
                no_answer_minutes: body.no_answer_minutes,
                version: body.version,
            },
        )
        .await?;
    Ok(Json(IncidentChangeView {
        people: change.affected.in_scope,
        added: change.affected.added,
        dropped: change.affected.dropped,
        guides_unusable: change.guides_unusable,
        incident: IncidentView::of(&state, change.incident),
    }))
}

/// What to send.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastBody {
    /// Everyone (default), those not known to be safe, or those who have not answered.
    #[serde(default)]
    audience: Audience,
    /// The Chinese text (`zh-CN`, for travelers whose record names no other language), up
    /// to 500 characters, with the placeholders `{{ title }}`, `{{ region }}`, `{{ link }}`
    /// (each traveler's check-in link), `{{ keywords }}` and `{{ drill }}`. Default: the
    /// template of the incident's kind (`incident.broadcast.<kind>`).
    body: Option<String>,
    /// The English text, for travelers whose record prefers English. Default: the template.
    body_en: Option<String>,
    /// Ask travelers to answer (reply 1 / 2 or the link), and escalate those who do not
    /// (default true).
    ask_checkin: Option<bool>,
}

/// Sends one message to each person of the audience (needs `manage_incidents`; audited): SMS
/// when a provider is configured and they have a phone, else email, else a call task; all
/// queued in one transaction, ignoring quiet hours.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/broadcasts", tag = "incidents",
    params(IncidentPath), request_body = BroadcastBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Queued", body = BroadcastOutcome)))]
async fn broadcast(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BroadcastBody>,
) -> Result<(StatusCode, Json<BroadcastOutcome>), ApiError> {
    let out = state
        .app
        .broadcast(
            &p,
            path.id,
            BroadcastRequest {
                audience: body.audience,
                body: body.body,
                body_en: body.body_en,
                ask_checkin: body.ask_checkin.unwrap_or(true),
                base_url: crate::ui::public_base(&state, &headers),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    status: Option<PersonStatus>,
    /// Only those escalated to an urgent ticket.
    #[serde(default)]
    escalated: bool,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// One affected person.
#[derive(Serialize, ToSchema)]
pub struct PersonView {
    customer_id: Uuid,
    /// `booking` (found from bookings), `guide` (the guide or tour leader of a departure in
    /// scope) or `manual` (added by hand).
    origin: String,
    booking_id: Option<Uuid>,
    status: PersonStatus,
    answered_at: Option<String>,
    /// `link`, `sms` or `staff`.
    answered_via: Option<String>,
    escalated_at: Option<String>,
    escalated_ticket_id: Option<Uuid>,
    /// The channels tried for them so far, in the sequence's order (SMS, call, email) —
    /// what the board shows per person.
    channels_tried: Vec<ChannelTriedView>,
}

/// One channel tried for a person, and how far it went.
#[derive(Serialize, ToSchema)]
pub struct ChannelTriedView {
    /// `sms`, `call` or `email`.
    #[schema(example = "sms")]
    channel: String,
    /// A message's: `queued`, `sent` (handed to the provider), `delivered` (the handset's
    /// receipt) or `failed`; a call's: `open` (to make), `reached`, `no_answer` or
    /// `wrong_number`.
    #[schema(example = "delivered")]
    state: String,
}

impl PersonView {
    fn of(state: &AppState, p: IncidentPerson, tried: Vec<ChannelTried>) -> Self {
        Self {
            customer_id: p.customer_id,
            origin: p.origin.as_str().into(),
            booking_id: p.booking_id,
            status: p.status,
            answered_at: p.answered_at.map(|t| rfc3339(state, t)),
            answered_via: p.answered_via.map(|v| v.as_str().into()),
            escalated_at: p.escalated_at.map(|t| rfc3339(state, t)),
            escalated_ticket_id: p.escalated_ticket_id,
            channels_tried: tried
                .into_iter()
                .map(|t| ChannelTriedView {
                    channel: t.step.as_str().into(),
                    state: t.mark.into(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PeopleList {
    items: Vec<PersonView>,
    more: bool,
}

/// The people the incident reaches, by customer id (needs `view_incidents`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/people", tag = "incidents",
    params(IncidentPath, PeopleQuery), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of people", body = PeopleList)))]
async fn list_people(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<PeopleList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let page = state
        .app
        .incident_people(
            &p,
            path.id,
            PeopleFilter {
                status: q.status,
                escalated: q.escalated,
            },
            limit,
            u64::from(q.offset.unwrap_or(0)),
        )
        .await?;
    let listed: Vec<Uuid> = page.items.iter().map(|x| x.customer_id).collect();
    let mut tried = state.app.channels_tried(&p, path.id, &listed).await?;
    Ok(Json(PeopleList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|x| {
                let t = tried.remove(&x.customer_id).unwrap_or_default();
                PersonView::of(&state, x, t)
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPersonBody {
    customer_id: Uuid,
}

/// Adds a customer to an open incident by hand (needs `manage_incidents`; audited).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/people", tag = "incidents",
    params(IncidentPath), request_body = AddPersonBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "In the incident", body = PersonView)))]
async fn add_person(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<AddPersonBody>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let person = state
        .app
        .add_incident_person(&p, path.id, body.customer_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PersonView::of(&state, person, Vec::new())),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PersonPath {
    id: Uuid,
    customer_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    status: PersonStatus,
}

/// Records a traveler's answer as staff learned it (needs `respond_to_incidents`; audited).
/// "Needs help" escalates them to one urgent ticket.
#[utoipa::path(put, path = "/api/v1/incidents/{id}/people/{customer_id}/answer",
    tag = "incidents", params(PersonPath), request_body = AnswerBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Recorded")))]
async fn record_answer(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<PersonPath>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .record_incident_answer(&p, path.id, path.customer_id, body.status)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TeamPath {
    id: Uuid,
    role: TeamRole,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    /// The staff member, or `null` to clear the role.
    user_id: Option<Uuid>,
}

/// Assigns a team role (needs `manage_incidents`; audited). The CS manager receives the
/// urgent tickets of travelers who need help or do not answer.
#[utoipa::path(put, path = "/api/v1/incidents/{id}/team/{role}", tag = "incidents",
    params(TeamPath), request_body = TeamBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Assigned")))]
async fn set_team(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TeamPath>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .set_incident_team(&p, path.id, path.role, body.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ItemPath {
    id: Uuid,
    /// The item's key (`call_120_110`, `notify_customers`, …).
    item: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TickBody {
    done: bool,
}

/// Ticks or unticks a checklist item, with time and person (needs `respond_to_incidents`).
#[utoipa::path(put, path = "/api/v1/incidents/{id}/checklist/{item}", tag = "incidents",
    params(ItemPath), request_body = TickBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Recorded")))]
async fn tick_item(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ItemPath>,
    ApiJson(body): ApiJson<TickBody>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .tick_incident_item(&p, path.id, &path.item, body.done)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    outcome: CallOutcome,
}

/// Records a voice call's outcome (needs `respond_to_incidents`; audited).
#[utoipa::path(put, path = "/api/v1/incidents/{id}/calls/{customer_id}", tag = "incidents",
    params(PersonPath), request_body = CallBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Recorded")))]
async fn record_call(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<PersonPath>,
    ApiJson(body): ApiJson<CallBody>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .record_incident_call(&p, path.id, path.customer_id, body.outcome)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The post-incident report's figures, each in seconds from the declaration.
#[derive(Serialize, ToSchema)]
pub struct ReportView {
    incident: IncidentView,
    people: u64,
    delivered: u64,
    safe: u64,
    needs_help: u64,
    not_answered: u64,
    first_message_secs: Option<i64>,
    delivered_90_secs: Option<i64>,
    accounted_90_secs: Option<i64>,
    checklist_done: u32,
    checklist_total: u32,
    /// People still needing help, or escalated with their ticket not resolved.
    open_needs: u64,
    /// Remedies: offers waiting for a choice, refunds and postponements chosen.
    remedies_offered: u64,
    remedies_refund: u64,
    remedies_postpone: u64,
    costs: costs::CostTotalsView,
    /// The reports to the authority: first, updates, closing summary, met or late.
    clocks: authority::ClocksView,
}

/// The post-incident report (needs `view_incidents`): declared → first message → 90 %
/// delivered → 90 % accounted for, open needs, remedies and costs. The same report as a page
/// and a PDF: `/incidents/{id}/report` and `/incidents/{id}/report.pdf`.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/report", tag = "incidents",
    params(IncidentPath), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The report", body = ReportView)))]
async fn get_report(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
) -> Result<Json<ReportView>, ApiError> {
    let r = state.app.incident_report(&p, path.id).await?;
    let secs = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs());
    Ok(Json(ReportView {
        people: r.figures.people as u64,
        delivered: r.figures.delivered as u64,
        safe: r.figures.safe as u64,
        needs_help: r.figures.needs_help as u64,
        not_answered: r.figures.not_answered as u64,
        first_message_secs: secs(r.figures.first_message),
        delivered_90_secs: secs(r.figures.delivered_90),
        accounted_90_secs: secs(r.figures.accounted_90),
        checklist_done: r.checklist.iter().filter(|c| c.tick.is_some()).count() as u32,
        checklist_total: r.checklist.len() as u32,
        open_needs: r.needs.iter().filter(|n| n.open()).count() as u64,
        remedies_offered: r.remedies.offered,
        remedies_refund: r.remedies.refund,
        remedies_postpone: r.remedies.postpone,
        costs: r.totals.into(),
        clocks: authority::ClocksView::of(&state, &r.incident, &r.clocks),
        incident: IncidentView::of(&state, r.incident),
    }))
}
