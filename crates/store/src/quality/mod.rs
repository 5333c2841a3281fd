//! Service quality (issue 18): the counts behind the dashboard's figures, each one aggregate
//! over a period read on indexes (no rows come back) — the large ones (clock outcomes,
//! complaints, minutes up) from an hourly rollup the database keeps in the same transaction
//! as each change of the records, plus the partial hours at the period's edges — the booking
//! system's heartbeats, and which figures the agency publishes on its commitments page.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// The records a figure counts: those of `[from, to)` (by when they started: a clock's
/// start, a ticket's, booking's or customer's creation, a call's start, a survey's answer),
/// optionally of one channel, handling group (department) or agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityScope {
    pub from: Timestamp,
    pub to: Timestamp,
    pub channel: Option<String>,
    pub group: Option<Uuid>,
    pub agent: Option<Uuid>,
}

impl QualityScope {
    pub fn period(from: Timestamp, to: Timestamp) -> Self {
        Self {
            from,
            to,
            channel: None,
            group: None,
            agent: None,
        }
    }
}

/// The clocks of one SLA target with an outcome: met, or breached (stored as breached, or
/// still running past its deadline at `now` — as the SLA compliance report counts them).
/// Cancelled, paused and running-in-time clocks count in neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockCounts {
    pub target_key: String,
    pub met: u64,
    pub breached: u64,
}

/// Confirmed bookings made in a period and the customers who made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookingCounts {
    /// Bookings created in the period that were confirmed.
    pub bookings: u64,
    /// Distinct customers of those bookings.
    pub customers: u64,
    /// Of them, customers with a confirmed booking created before their first one in the
    /// period (a second booking).
    pub returning: u64,
}

/// A clock behind a figure (for the list of cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockCase {
    pub id: Uuid,
    pub target_key: String,
    pub subject_type: String,
    pub subject_id: String,
    /// The ticket's number when the subject is a ticket.
    pub label: Option<String>,
    pub channel: Option<String>,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
    /// `met` or `breached` (as of now).
    pub outcome: String,
}

#[async_trait]
pub trait QualityRepo {
    /// Met and breached clocks per target among `targets`, started in the scope (targets
    /// with neither are left out).
    async fn quality_clock_counts(
        &mut self,
        scope: &QualityScope,
        targets: &[&str],
        now: Timestamp,
    ) -> Result<Vec<ClockCounts>, StoreError>;

    /// The clocks behind a clock figure, breached first then newest (a page).
    async fn quality_clock_cases(
        &mut self,
        scope: &QualityScope,
        targets: &[&str],
        now: Timestamp,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ClockCase>, StoreError>;

    /// Inbound calls started in `[from, to)`: (offered, answered).
    async fn quality_call_counts(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(u64, u64), StoreError>;

    /// Complaints (tickets of kind `complaint`) created in `[from, to)`.
    async fn quality_complaints(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Confirmed bookings created in `[from, to)` and their customers.
    async fn quality_bookings(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BookingCounts, StoreError>;

    /// Customers created in `[from, to)` (not merged into another): (all, of `source`).
    async fn quality_new_customers(
        &mut self,
        from: Timestamp,
        to: Timestamp,
        source: &str,
    ) -> Result<(u64, u64), StoreError>;

    /// Surveys answered in the scope (by when answered; the channel and group of their
    /// ticket, the agent who sent them): (answered with a satisfaction, satisfied — at least
    /// `satisfied_at`).
    async fn quality_surveys(
        &mut self,
        scope: &QualityScope,
        satisfied_at: i64,
    ) -> Result<(u64, u64), StoreError>;

    /// Records that `node` served in the minute starting at `minute` (once per node and
    /// minute: true when new).
    async fn record_heartbeat(&mut self, node: &str, minute: Timestamp)
        -> Result<bool, StoreError>;

    /// Records many minutes of `node` at once (a history); returns how many were new.
    async fn record_heartbeats(
        &mut self,
        node: &str,
        minutes: &[Timestamp],
    ) -> Result<u64, StoreError>;

    /// Minutes in `[from, to)` in which any node recorded a heartbeat.
    async fn heartbeat_minutes(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError>;

    /// The first heartbeat ever recorded (uptime is measured from it).
    async fn first_heartbeat(&mut self) -> Result<Option<Timestamp>, StoreError>;

    /// The figures the agency publishes on its commitments page (their keys), sorted.
    async fn public_kpis(&mut self) -> Result<Vec<String>, StoreError>;

    /// Replaces the published figures.
    async fn set_public_kpis(&mut self, keys: &[String], at: Timestamp) -> Result<(), StoreError>;
}
