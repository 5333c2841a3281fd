//! Records and repositories of emergencies: [`EmergencyRepo`] holds incidents and the people
//! each affects (found from bookings in one statement, or added by hand) with their answers,
//! escalations and how far their messages went; [`IncidentResponseRepo`] the response —
//! voice-call tasks, the team, the checklist's ticks and the timeline;
//! [`IncidentRemedyRepo`] the refund or postponement offered to each affected booking under
//! force majeure and the customer's choice; [`IncidentCostRepo`] what an incident cost, and
//! the drill records.
//!
//! What must happen once is held by the database: a person is one row per incident (primary
//! key), an escalation is claimed by a conditional update (`escalated_at IS NULL`), a call
//! task is one row per person and incident.

pub(crate) mod conformance;
pub(crate) mod cost_conformance;
mod costs;
pub(crate) mod followup_conformance;
mod followups;
mod remedies;
pub(crate) mod remedy_conformance;

pub use costs::{CostTotals, IncidentCost, IncidentCostRepo};
pub use followups::{ContactMessage, IncidentFollowup, IncidentFollowupRepo};
pub use remedies::{IncidentRemedy, IncidentRemedyRepo, RemedyCandidate, RemedyCounts, RemedyRow};

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::emergency::{
    AnswerVia, CallOutcome, CallReason, IncidentKind, IncidentLevel, IncidentState, PersonStatus,
    Scope, TeamRole, WarningColour,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: Uuid,
    pub kind: IncidentKind,
    pub level: IncidentLevel,
    pub title: String,
    pub description: String,
    pub warning_colour: Option<WarningColour>,
    pub scope: Scope,
    pub drill: bool,
    pub state: IncidentState,
    pub no_answer_minutes: i64,
    /// The urgent complaint that opened it, if one did.
    pub ticket_id: Option<Uuid>,
    pub declared_by: Option<Uuid>,
    pub declared_at: Timestamp,
    pub first_message_at: Option<Timestamp>,
    /// The first report to the tourism authority.
    pub reported_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub closing_summary: Option<String>,
    /// Handling ended (处置结束): update reports stop, the closing summary is due.
    pub handling_ended_at: Option<Timestamp>,
    /// Update reports (续报) made to the authority.
    pub update_reports: i64,
    pub version: i64,
}

/// Where a person came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonOrigin {
    Booking,
    Manual,
    /// The guide or tour leader of a departure in scope (导游/领队), found or kept as a
    /// customer record by their phone so that messages reach them as they reach travelers.
    Guide,
}

impl PersonOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonOrigin::Booking => "booking",
            PersonOrigin::Manual => "manual",
            PersonOrigin::Guide => "guide",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "booking" => Some(PersonOrigin::Booking),
            "manual" => Some(PersonOrigin::Manual),
            "guide" => Some(PersonOrigin::Guide),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentPerson {
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    pub origin: PersonOrigin,
    /// One booking that put them in scope (the earliest by id).
    pub booking_id: Option<Uuid>,
    pub in_scope: bool,
    pub status: PersonStatus,
    pub answered_at: Option<Timestamp>,
    pub answered_via: Option<AnswerVia>,
    pub escalated_at: Option<Timestamp>,
    pub escalated_ticket_id: Option<Uuid>,
    pub added_at: Timestamp,
    /// The customer's name as stored (read with the row; ignored on writes).
    pub customer_name: String,
}

/// What a recomputation of the affected people did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AffectedCount {
    /// People in scope now.
    pub in_scope: u64,
    /// Of them, people not in the incident before.
    pub added: u64,
    /// People from bookings no longer in scope.
    pub dropped: u64,
}

/// The guide of a departure the scope reaches (one with live bookings whose trip overlaps
/// the window), as the departure names them: a business contact, kept in plain text there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGuide {
    pub departure_id: Uuid,
    pub guide_name: String,
    pub guide_phone: String,
}

/// A person's way to be reached, read for a broadcast: their primary phone's identifier (the
/// sealed value opens with the identifier's id) and their primary email's, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastTarget {
    pub customer_id: Uuid,
    pub status: PersonStatus,
    pub phone: Option<SealedContact>,
    pub email: Option<SealedContact>,
    /// The customer record's preferred language (a free tag: `zh-CN`, `en`, …), if any.
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedContact {
    pub identifier_id: Uuid,
    pub sealed: String,
}

/// The board's counts of one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncidentCounts {
    pub people: u64,
    pub safe: u64,
    pub needs_help: u64,
    pub pending: u64,
    pub escalated: u64,
    pub calls_open: u64,
    pub calls_done: u64,
}

/// How far an incident's messages went (the outbox rows related to the incident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncidentDelivery {
    /// People with at least one message handed to its channel.
    pub people_sent: u64,
    /// Messages queued, sending or waiting to retry.
    pub pending: u64,
    /// Messages given up.
    pub dead: u64,
}

/// Which people a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleFilter {
    pub status: Option<PersonStatus>,
    /// Only those escalated to a ticket.
    pub escalated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTask {
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    pub reason: CallReason,
    pub created_at: Timestamp,
    /// Set once called.
    pub outcome: Option<CallOutcome>,
    pub called_by: Option<Uuid>,
    pub called_at: Option<Timestamp>,
    /// The customer's name as stored (read with the row; ignored on writes).
    pub customer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEvent {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub at: Timestamp,
    /// `declared`, `scope_changed`, `broadcast`, `answer`, `escalated`, `call`, `checklist`,
    /// `team`, `reported`, `closed`, `person_added`, `remedies_offered`, `remedy_chosen`,
    /// `remedy_withdrawn`.
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// JSON without personal data.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistTick {
    pub item_key: String,
    pub done_by: Option<Uuid>,
    pub done_at: Timestamp,
}

#[async_trait]
pub trait EmergencyRepo: Send {
    async fn insert_incident(&mut self, incident: &Incident) -> Result<(), StoreError>;
    async fn get_incident(&mut self, id: Uuid) -> Result<Option<Incident>, StoreError>;
    /// Writes `incident` if its stored version is `expected` (then version + 1 is stored by
    /// the caller's value); false when someone changed it meanwhile.
    async fn update_incident(
        &mut self,
        incident: &Incident,
        expected: i64,
    ) -> Result<bool, StoreError>;
    /// Newest first.
    async fn list_incidents(
        &mut self,
        state: Option<IncidentState>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Incident>, StoreError>;
    /// Sets `first_message_at` if it is not set yet.
    async fn note_first_message(&mut self, id: Uuid, at: Timestamp) -> Result<(), StoreError>;

    /// Finds, from bookings, everyone the scope reaches — the travelers (or, for a booking
    /// that names none, its customer) of each booking holding inventory (held, confirmed,
    /// changed) with a room night of an in-scope property within the window, or seats on an
    /// in-scope departure whose trip overlaps the window — and makes them the incident's
    /// in-scope people from bookings: new people are added pending, people who were out of
    /// scope come back with their answer, people from bookings the scope no longer reaches
    /// are marked out of scope. One statement per step, whatever the number of people.
    /// `guides` (customer ids of the guides of [`Self::scope_guides`]) are the in-scope
    /// people of origin guide in the same way.
    async fn compute_affected(
        &mut self,
        incident_id: Uuid,
        scope: &Scope,
        guides: &[Uuid],
        now: Timestamp,
    ) -> Result<AffectedCount, StoreError>;
    /// The guides of the departures the scope reaches (those with a guide named), by
    /// departure id.
    async fn scope_guides(&mut self, scope: &Scope) -> Result<Vec<ScopeGuide>, StoreError>;
    /// Adds a person by hand (in scope, pending). False when they are in the incident
    /// already (then they are put back in scope).
    async fn add_incident_person(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn get_incident_person(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Option<IncidentPerson>, StoreError>;
    /// In-scope people by customer id (the pager's key is the customer id).
    async fn list_incident_people(
        &mut self,
        incident_id: Uuid,
        filter: PeopleFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentPerson>, StoreError>;
    async fn incident_counts(&mut self, incident_id: Uuid) -> Result<IncidentCounts, StoreError>;
    /// The in-scope people with `status` in `statuses`, with their primary phone and email,
    /// in customer id order after `after`, at most `limit`.
    async fn broadcast_targets(
        &mut self,
        incident_id: Uuid,
        statuses: &[PersonStatus],
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<BroadcastTarget>, StoreError>;
    /// Records an answer if it is `from` the status the caller read (a conditional update);
    /// false when it changed meanwhile.
    async fn record_answer(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        from: PersonStatus,
        to: PersonStatus,
        via: AnswerVia,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Claims the person's escalation: true for exactly one caller, ever.
    async fn claim_escalation(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn set_escalation_ticket(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<(), StoreError>;
    /// In-scope people still pending and not escalated, customer id order, at most `limit`.
    async fn unanswered_people(
        &mut self,
        incident_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError>;
    /// The open incidents (newest first) a customer is in scope of.
    async fn open_incidents_of(&mut self, customer_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    /// How far the incident's messages (outbox rows related to (`incident`, id)) went.
    async fn incident_delivery(
        &mut self,
        incident_id: Uuid,
    ) -> Result<IncidentDelivery, StoreError>;
    /// The instants at which each in-scope person's first message (an outbox row related to
    /// (`incident`, id) for their customer id) was sent, and at which each answered — for
    /// the report.
    async fn incident_instants(
        &mut self,
        incident_id: Uuid,
    ) -> Result<(Vec<Timestamp>, Vec<Timestamp>), StoreError>;
}

/// The response to an incident: voice-call tasks, the team, the checklist's ticks and the
/// timeline.
#[async_trait]
pub trait IncidentResponseRepo: Send {
    /// A call task, once per person and incident: false when one exists.
    async fn insert_call_task(&mut self, task: &CallTask) -> Result<bool, StoreError>;
    /// Records a call's outcome; false when there is no such task.
    async fn record_call(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        outcome: CallOutcome,
        by: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Open calls first (oldest first), then the done ones. `open_only`: the calls still to
    /// make — not made, of a person in scope not known to be safe.
    async fn list_call_tasks(
        &mut self,
        incident_id: Uuid,
        open_only: bool,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallTask>, StoreError>;

    async fn set_team_member(
        &mut self,
        incident_id: Uuid,
        role: TeamRole,
        user_id: Option<Uuid>,
    ) -> Result<(), StoreError>;
    async fn incident_team(
        &mut self,
        incident_id: Uuid,
    ) -> Result<Vec<(TeamRole, Uuid)>, StoreError>;
    /// False when the item was ticked before.
    async fn tick_checklist(
        &mut self,
        incident_id: Uuid,
        item_key: &str,
        by: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn untick_checklist(
        &mut self,
        incident_id: Uuid,
        item_key: &str,
    ) -> Result<bool, StoreError>;
    async fn incident_checklist(
        &mut self,
        incident_id: Uuid,
    ) -> Result<Vec<ChecklistTick>, StoreError>;

    async fn insert_incident_events(&mut self, events: &[IncidentEvent]) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_incident_events(
        &mut self,
        incident_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentEvent>, StoreError>;
}
