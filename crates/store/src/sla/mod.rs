//! Records and repository of the SLA engine: policies (targets with their pause and escalation
//! settings), running clocks with their next due instant, and the events they fired.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::{SlaClock, SlaTarget};
use uuid::Uuid;

/// An SLA target as configured by the organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    pub target: SlaTarget,
    /// Statuses of the subject in which the clock pauses, e.g. `waiting_customer`; the desk
    /// pauses and resumes the clock when its tickets enter and leave them.
    pub pause_when: Vec<String>,
    /// Roles told when the warning fires.
    pub notify_warning: Vec<Role>,
    /// Roles told when the breach fires.
    pub notify_breach: Vec<Role>,
    /// A disabled policy starts no new clocks; running ones go on.
    pub enabled: bool,
    pub updated_at: Timestamp,
}

/// One clock running for one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaClockRecord {
    pub id: Uuid,
    /// What the clock is about, e.g. `ticket`, `booking`, `call`.
    pub subject_type: String,
    /// The subject's id, as text (tickets and bookings are UUIDs, calls may be anything).
    pub subject_id: String,
    /// For compliance breakdowns: the channel (`phone`, `email`, …), department and agent.
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub clock: SlaClock,
    /// Optimistic-concurrency version: every update must name the version it read.
    pub version: i64,
    pub created_at: Timestamp,
}

impl SlaClockRecord {
    /// When the engine has to look at this clock next (`None`: never again by itself).
    pub fn next_due_at(&self) -> Option<Timestamp> {
        self.clock.next_due()
    }
}

/// What happened to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaEventKind {
    Started,
    Paused,
    Resumed,
    Warning,
    Breach,
    Met,
    Cancelled,
}

impl SlaEventKind {
    pub const ALL: [SlaEventKind; 7] = [
        SlaEventKind::Started,
        SlaEventKind::Paused,
        SlaEventKind::Resumed,
        SlaEventKind::Warning,
        SlaEventKind::Breach,
        SlaEventKind::Met,
        SlaEventKind::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaEventKind::Started => "started",
            SlaEventKind::Paused => "paused",
            SlaEventKind::Resumed => "resumed",
            SlaEventKind::Warning => "warning",
            SlaEventKind::Breach => "breach",
            SlaEventKind::Met => "met",
            SlaEventKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A recorded event. Warnings and breaches are unique per clock (a unique index holds it).
#[derive(Debug, Clone, PartialEq)]
pub struct SlaEventRecord {
    pub id: Uuid,
    pub clock_id: Uuid,
    pub kind: SlaEventKind,
    /// When it happened: the warning or due instant for firings, the transition otherwise.
    pub at: Timestamp,
    /// When it was written (for a firing, `recorded_at - at` is the engine's lag).
    pub recorded_at: Timestamp,
    /// The node that wrote it (host name and process id), for operators.
    pub node: String,
    pub target_key: String,
    pub subject_type: String,
    pub subject_id: String,
}

/// Which clocks to list.
#[derive(Debug, Clone, Default)]
pub struct SlaClockFilter {
    pub target_key: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// Clocks of any of these subjects (one read for a page of them); empty: any subject.
    pub subject_ids: Vec<String>,
    /// Clocks started at or after this instant.
    pub started_from: Option<Timestamp>,
    /// Clocks started before this instant.
    pub started_before: Option<Timestamp>,
    /// 0 means no limit.
    pub limit: u32,
}

/// Which events to list (newest first).
#[derive(Debug, Clone, Default)]
pub struct SlaEventFilter {
    pub clock_id: Option<Uuid>,
    pub kind: Option<SlaEventKind>,
    /// 0 means no limit.
    pub limit: u32,
}

#[async_trait]
pub trait SlaRepo: Send {
    async fn list_sla_policies(&mut self) -> Result<Vec<SlaPolicy>, StoreError>;
    async fn get_sla_policy(&mut self, key: &str) -> Result<Option<SlaPolicy>, StoreError>;
    /// Inserts a policy unless its key exists; true when inserted.
    async fn insert_sla_policy_if_absent(&mut self, policy: &SlaPolicy)
        -> Result<bool, StoreError>;
    /// Replaces every field but the key; false when absent.
    async fn update_sla_policy(&mut self, policy: &SlaPolicy) -> Result<bool, StoreError>;

    async fn insert_sla_clock(&mut self, clock: &SlaClockRecord) -> Result<(), StoreError>;
    /// Many clocks in few statements (imports, benchmarks).
    async fn insert_sla_clocks(&mut self, clocks: &[SlaClockRecord]) -> Result<(), StoreError>;
    /// Saves a clock if its stored version is still `clock.version`, and stores it as
    /// `clock.version + 1`; false when another writer got there first (or it is gone).
    async fn update_sla_clock(&mut self, clock: &SlaClockRecord) -> Result<bool, StoreError>;
    async fn get_sla_clock(&mut self, id: Uuid) -> Result<Option<SlaClockRecord>, StoreError>;
    /// The running or paused clock of a target on a subject (at most one: a unique index).
    async fn active_sla_clock(
        &mut self,
        subject_type: &str,
        subject_id: &str,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, StoreError>;
    /// Clocks by filter, oldest start first.
    async fn list_sla_clocks(
        &mut self,
        filter: &SlaClockFilter,
    ) -> Result<Vec<SlaClockRecord>, StoreError>;
    /// Up to `limit` open (not stopped) clocks of `calendar` whose instants were computed
    /// on a provisional year, by id after `after` (keyset paging).
    async fn provisional_sla_clocks(
        &mut self,
        calendar: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<SlaClockRecord>, StoreError>;
    /// The earliest `next_due_at` of all clocks (one index look-up).
    async fn earliest_sla_due(&mut self) -> Result<Option<Timestamp>, StoreError>;
    /// Up to `limit` clocks whose `next_due_at` is at or before `now`, earliest first, locked
    /// for this transaction. On PostgreSQL rows locked by another node are skipped
    /// (`FOR UPDATE SKIP LOCKED`); on SQLite the write transaction is exclusive anyway.
    async fn claim_due_sla_clocks(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<SlaClockRecord>, StoreError>;

    /// Records an event. A second warning or breach of the same clock is not inserted and
    /// false is returned.
    async fn insert_sla_event(&mut self, event: &SlaEventRecord) -> Result<bool, StoreError>;
    async fn list_sla_events(
        &mut self,
        filter: &SlaEventFilter,
    ) -> Result<Vec<SlaEventRecord>, StoreError>;
}
