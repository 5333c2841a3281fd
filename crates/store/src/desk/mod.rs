//! Records and repository of the desk: tickets, their timeline, handlers and tasks.

pub(crate) mod conformance;
mod rules;
pub(crate) mod rules_conformance;

pub use rules::*;

use crate::{SlaClockRecord, StoreError};
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::desk::{Channel, CompensationKind, Level, State, TicketKind};
use uuid::Uuid;

/// A ticket: an inquiry, a complaint or feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: Uuid,
    /// The reference the customer sees, e.g. `TS0000042`.
    pub number: String,
    pub kind: TicketKind,
    pub channel: Channel,
    pub level: Level,
    pub state: State,
    pub subject: String,
    pub description: String,
    pub customer_id: Option<Uuid>,
    /// The name as given at intake (shown in queues without a vault look-up).
    pub customer_name: String,
    pub booking_ref: Option<String>,
    pub business_area: Option<String>,
    pub tags: Vec<String>,
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub compensation_kind: Option<CompensationKind>,
    pub compensation_amount_fen: Option<i64>,
    pub compensation_approved_by: Option<Uuid>,
    pub compensation_approved_at: Option<Timestamp>,
    pub cause: Option<String>,
    pub responsible_department_id: Option<Uuid>,
    pub responsible_person: Option<String>,
    pub last_satisfaction: Option<u8>,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Bumped by every update; updates are conditional on it (no lost updates across nodes).
    pub version: i64,
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketEvent {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub at: Timestamp,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    /// `created`, `step`, `note`, `level_changed`, `reassigned`, `task_created`, …
    pub kind: String,
    pub step: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub body: Option<String>,
    /// JSON with details (never plaintext personal data).
    pub data: Option<String>,
}

/// A task arising from a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskTask {
    pub id: Uuid,
    pub ticket_id: Uuid,
    /// `rectification`, `improvement` or `follow_up`.
    pub kind: String,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
}

/// Which tickets a queue shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub kind: Option<TicketKind>,
    pub level: Option<Level>,
    pub states: Vec<State>,
    /// Only tickets that are not closed.
    pub open_only: bool,
    pub group_id: Option<Uuid>,
    /// The viewer's scope (`tripdesk_domain::desk::Scope`): `Some(groups)` keeps only the
    /// tickets of these handling groups (none: no ticket); `None` keeps every ticket.
    pub groups: Option<Vec<Uuid>>,
    pub assignee_id: Option<Uuid>,
    /// Only tickets assigned to this user or on which they hold an open task (a follow-up
    /// visit, an improvement): the "mine" queue.
    pub mine: Option<Uuid>,
    /// Only tickets on which this user holds an open task of this kind (`follow_up`).
    pub open_task: Option<(String, Uuid)>,
    /// Only tickets whose compensation is above this amount (fen) and not yet approved.
    pub awaiting_approval_above: Option<i64>,
    pub unassigned: bool,
    pub customer_id: Option<Uuid>,
    pub channel: Option<Channel>,
    /// Only tickets with an open SLA clock breached, or past its warning instant, at this
    /// instant (the "breaching soon" queue).
    pub sla_risk_at: Option<Timestamp>,
    pub order: TicketOrder,
    pub limit: u32,
    pub offset: u32,
}

/// The order a list of tickets comes in; `id` breaks ties in both, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketOrder {
    /// Level first (urgent → general), then oldest first: the work queues.
    #[default]
    Level,
    /// Newest first: the feed of arrivals, where a ticket created now is the first row.
    Newest,
}

#[async_trait]
pub trait DeskRepo: Send {
    /// The next value of a named sequence (1, 2, …). SQLite takes it inside this transaction;
    /// PostgreSQL keeps `ticket` in a sequence, outside it, so intakes of every node share no
    /// row until their commits, and a rolled-back intake leaves a gap.
    async fn next_in_sequence(&mut self, name: &str) -> Result<i64, StoreError>;

    async fn insert_ticket(&mut self, ticket: &Ticket) -> Result<(), StoreError>;
    /// Inserts many tickets in few statements (bulk loads such as `tripdesk bench inbox`);
    /// writes no timeline entries.
    async fn insert_tickets(&mut self, tickets: &[Ticket]) -> Result<(), StoreError>;
    /// Writes every field if the stored version equals `ticket.version - 1`; false when another
    /// writer got there first (the caller reloads and retries or reports a conflict).
    async fn update_ticket(&mut self, ticket: &Ticket) -> Result<bool, StoreError>;
    /// In a write transaction the row is locked until the transaction ends (PostgreSQL
    /// `FOR UPDATE`; SQLite's single writer excludes the others anyway): a use case reads the
    /// ticket it is about to change, and a concurrent one on any node waits and then reads
    /// the committed result — so a step or reply never decides on a stale ticket. Lock
    /// order: a ticket before its SLA clocks, the audit head last (at commit).
    async fn get_ticket(&mut self, id: Uuid) -> Result<Option<Ticket>, StoreError>;
    async fn get_ticket_by_number(&mut self, number: &str) -> Result<Option<Ticket>, StoreError>;
    /// A ticket's number, never locking the row (the SLA engine names the ticket in an alert
    /// while it holds the ticket's clocks; locking the ticket there would invert the order).
    async fn ticket_number(&mut self, id: Uuid) -> Result<Option<String>, StoreError>;
    /// Most urgent first, then oldest first.
    async fn list_tickets(&mut self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError>;
    async fn count_tickets(&mut self, filter: &TicketFilter) -> Result<u64, StoreError>;
    /// Every ticket, `limit` at a time in id order, after the ticket `after` (`None`: from
    /// the first): a walk over the whole desk (the search index's rebuild) whose every page
    /// costs what the first does, where an offset re-reads all the pages before it.
    async fn tickets_after(
        &mut self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError>;
    /// `count_tickets` of several filters in one statement, each counting stops at `cap`: a
    /// queue badge reads at most `cap` index entries however many tickets match ("999+").
    async fn count_tickets_capped(
        &mut self,
        filters: &[TicketFilter],
        cap: u64,
    ) -> Result<Vec<u64>, StoreError>;

    async fn insert_ticket_event(&mut self, event: &TicketEvent) -> Result<(), StoreError>;
    async fn list_ticket_events(&mut self, ticket_id: Uuid)
        -> Result<Vec<TicketEvent>, StoreError>;

    /// Records that `user_id` took part in handling the ticket (idempotent).
    async fn add_ticket_handler(
        &mut self,
        ticket_id: Uuid,
        user_id: Uuid,
    ) -> Result<(), StoreError>;
    async fn ticket_handlers(&mut self, ticket_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    async fn insert_desk_task(&mut self, task: &DeskTask) -> Result<(), StoreError>;
    async fn list_desk_tasks(&mut self, ticket_id: Uuid) -> Result<Vec<DeskTask>, StoreError>;
    /// Marks the ticket's open tasks of `kind` done at `at`; returns how many were open.
    async fn complete_desk_tasks(
        &mut self,
        ticket_id: Uuid,
        kind: &str,
        at: Timestamp,
    ) -> Result<u64, StoreError>;

    // Routing rules (the desk's settings), in matching order: priority, then oldest.
    async fn list_routing_rules(&mut self) -> Result<Vec<RoutingRuleRecord>, StoreError>;
    async fn get_routing_rule(&mut self, id: Uuid)
        -> Result<Option<RoutingRuleRecord>, StoreError>;
    async fn insert_routing_rule(&mut self, rule: &RoutingRuleRecord) -> Result<(), StoreError>;
    /// False when absent.
    async fn update_routing_rule(&mut self, rule: &RoutingRuleRecord) -> Result<bool, StoreError>;
    async fn delete_routing_rule(&mut self, id: Uuid) -> Result<bool, StoreError>;

    // Reply templates, by language, position, key.
    async fn list_reply_templates(&mut self) -> Result<Vec<ReplyTemplate>, StoreError>;
    async fn get_reply_template(&mut self, id: Uuid) -> Result<Option<ReplyTemplate>, StoreError>;
    /// `Duplicate` when the key exists in that language.
    async fn insert_reply_template(&mut self, template: &ReplyTemplate) -> Result<(), StoreError>;
    /// Inserts unless the key exists in that language; true when inserted (seeding).
    async fn insert_reply_template_if_absent(
        &mut self,
        template: &ReplyTemplate,
    ) -> Result<bool, StoreError>;
    /// False when absent; `Duplicate` when the new key is taken in that language.
    async fn update_reply_template(&mut self, template: &ReplyTemplate)
        -> Result<bool, StoreError>;
    async fn delete_reply_template(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Every SLA clock of these tickets, in one query (the inbox's badges).
    async fn ticket_sla_clocks(
        &mut self,
        ticket_ids: &[Uuid],
    ) -> Result<Vec<SlaClockRecord>, StoreError>;
    /// The SLA events of a ticket's clocks, oldest first.
    async fn ticket_sla_events(
        &mut self,
        ticket_id: Uuid,
    ) -> Result<Vec<crate::SlaEventRecord>, StoreError>;
    /// Open complaints counted by state and SLA risk at `now` (empty cells left out).
    async fn complaint_board_counts(
        &mut self,
        now: Timestamp,
    ) -> Result<Vec<BoardCount>, StoreError>;
    /// Up to `per_state` open complaints of each state, riskiest first, then most urgent and oldest.
    async fn complaint_board_tickets(
        &mut self,
        now: Timestamp,
        per_state: u32,
    ) -> Result<Vec<BoardTicket>, StoreError>;
}
