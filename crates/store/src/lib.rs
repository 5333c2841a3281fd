//! The storage ports of tripdesk.
//!
//! Use cases talk to the database only through a [`Tx`]: a unit of work that is either a
//! read snapshot ([`Store::read`]) or a write transaction ([`Store::write`]). Everything a
//! use case changes — the entity, its audit entry, the outbox message it causes — goes
//! through one `Tx` and becomes visible atomically at [`Tx::commit`]; dropping a `Tx`
//! without committing rolls it back.
//!
//! Each capability has its own repository trait (`IdentityRepo`, `CustomerRepo`, `AuditRepo`, …); `Tx` is their union so
//! one transaction can span them. Backends live in `tripdesk-store-sql` and are held to the
//! [`conformance`] suite.

pub mod assessment;
pub mod attachment;
pub mod attempt;
pub mod audit;
pub mod bookings;
pub mod calendar;
pub mod catalog;
pub mod chat;
pub mod conformance;
pub mod conversation;
pub mod customer;
pub mod desk;
pub mod documents;
pub mod email_in;
pub mod emergency;
pub mod erasure;
mod error;
pub mod feedback;
pub mod gateways;
pub mod ical_sync;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod messaging;
pub mod notify;
pub mod phone;
pub mod policies;
pub mod quality;
pub mod search;
pub mod signal;
pub mod sla;
pub mod sms;
pub mod summaries;
pub mod survey;

pub use assessment::*;
pub use attachment::*;
pub use audit::*;
pub use bookings::*;
pub use calendar::*;
pub use catalog::*;
pub use chat::*;
pub use conversation::*;
pub use customer::*;
pub use desk::*;
pub use documents::*;
pub use email_in::*;
pub use emergency::*;
pub use erasure::*;
pub use error::StoreError;
pub use feedback::*;
pub use gateways::*;
pub use ical_sync::*;
pub use idempotency::*;
pub use identity::*;
pub use jobs::*;
pub use messaging::*;
pub use notify::*;
pub use phone::*;
pub use policies::*;
pub use quality::*;
pub use search::*;
pub use sla::*;
pub use sms::*;
pub use summaries::*;
pub use survey::*;

use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database tripdesk can store its data in.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Checks that the database answers (used by `/healthz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// A read-only snapshot. Writing through it is a programming error the backend may reject.
    async fn read(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// The session whose token hashes to `token_hash` and its user with their roles, read in
    /// one statement outside any transaction (every request authenticates: on PostgreSQL this
    /// is one round trip where a read transaction of three reads was five).
    async fn session_owner(&self, token_hash: &str) -> Result<Option<(Session, User)>, StoreError>;

    /// The API token whose secret hashes to `token_hash` and its user with their roles, as
    /// [`Store::session_owner`].
    async fn api_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User)>, StoreError>;

    /// A write transaction. On SQLite there is one writer at a time; keep these short and
    /// never open a second one while holding the first.
    async fn write(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// How long write transactions have held the one writer since the store opened (SQLite:
    /// against the wall clock, the share of time the writer is busy); `None` where writers do
    /// not queue for one connection (PostgreSQL).
    fn writer_busy(&self) -> Option<std::time::Duration> {
        None
    }

    /// A write transaction that first takes the store-wide seeding lock and holds it until
    /// it ends: the defaults installed at start-up (built-in calendars, SLA policies, message
    /// and reply templates) are checked and inserted by one node at a time when several start
    /// together, each seeing what the one before committed. PostgreSQL: a transaction-scoped
    /// advisory lock (a sibling of the migrations' lock, per schema); SQLite: the single
    /// writer already serialises.
    async fn write_seeding(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// Writes a consistent copy of the whole database to `path` while the store stays online.
    async fn backup_to(&self, path: &Path) -> Result<(), StoreError>;

    /// The migrated schema as (table, column, type class, not-null) rows, sorted, so the two
    /// backends can be compared. Type classes: `text`, `integer`, `real`, `blob`.
    async fn schema_outline(&self) -> Result<Vec<ColumnOutline>, StoreError>;

    /// This process's end of the after-commit signal: every commit's announcements are
    /// delivered to it (see [`signal`]).
    fn signals(&self) -> Arc<signal::Signals>;

    /// Starts feeding [`Store::signals`] with the announcements of commits made by other
    /// processes: PostgreSQL `LISTEN`s on the schema's channel, which every announcing commit
    /// notifies; SQLite has no such channel (waiters on one file find each other's work at
    /// [`signal::FALLBACK_POLL`]). Idempotent.
    async fn listen_signals(&self) -> Result<(), StoreError>;

    /// Closes every connection; waits for in-flight work to return its connection.
    async fn close(&self);

    /// Links queued audit entries into the chain, oldest first, with MACs under `signer` when
    /// given, in one transaction per batch; returns how many it linked. Backends whose
    /// writers link their entries at commit (SQLite) have none queued. On PostgreSQL a write
    /// queues its entries unlinked (see [`Store::queue_audit`]), so that no row is locked by
    /// every writer, and any node may link: one at a time (a transaction-scoped advisory lock; a node that finds it
    /// taken links nothing and returns 0). Run by `tripdesk serve` after commits and
    /// periodically, and before the chain is verified. Refuses (`Unavailable`) to link
    /// without a signer once the chain is keyed.
    async fn link_audit(&self, signer: Option<crate::AuditSigner>) -> Result<u64, StoreError>;

    /// Signalled (one stored permit) after a commit of this process queued audit entries
    /// for [`Store::link_audit`].
    fn audit_queued_signal(&self) -> Arc<tokio::sync::Notify>;

    /// While on, this store's write transactions queue their audit entries for
    /// [`Store::link_audit`] instead of chaining them at commit. Turned on by the linker of
    /// `tripdesk serve` while it runs, so a process without one (a console command) never
    /// leaves entries unlinked. PostgreSQL honours it; SQLite always chains at commit.
    fn queue_audit(&self, on: bool);

    /// Brings the planner's knowledge of the tables up to date after a bulk load (a seeding,
    /// an import): PostgreSQL vacuums and analyses the schema's tables (with autovacuum off a
    /// bulk-loaded table has no statistics and no visibility map, so no index-only scan);
    /// SQLite keeps its plans (see the backend). Returns each table's row count as the
    /// planner now estimates it, `None` where it holds no estimate. Slow on a big database:
    /// for maintenance and benchmarks, not for a request.
    async fn settle_after_bulk_load(&self) -> Result<Vec<TableEstimate>, StoreError>;

    /// Makes values deleted or overwritten by committed transactions unreadable in the
    /// database's files, after a PIPL erasure. SQLite (which runs with `secure_delete`, so
    /// freed space is zeroed) copies the WAL into the database and truncates it to nothing:
    /// the WAL keeps old page images until then. PostgreSQL vacuums `tables`, so the dead row
    /// versions that still hold the old values are removed from the tables and their indexes.
    async fn purge_free_space(&self, tables: &[&str]) -> Result<(), StoreError>;
}

/// A table's row count as the query planner estimates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEstimate {
    pub table: String,
    pub rows: Option<u64>,
}

/// One column of the migrated schema, backend-neutral.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnOutline {
    pub table: String,
    pub column: String,
    pub type_class: String,
    pub not_null: bool,
}

/// A unit of work spanning every repository. After any error the transaction is spent
/// (PostgreSQL aborts it): drop it and start again.
///
/// An insert whose outcome the caller does not read (a ticket, its timeline entry, a clock, a
/// new customer and its identifiers, booking rows) may be sent with the transaction's next
/// statement or its COMMIT (PostgreSQL: `store-sql/src/shared/rows.rs`). A constraint it
/// breaks is then reported there — `Duplicate` from a later call or from
/// [`Tx::commit`] — and nothing of the transaction is committed. Use cases that turn a
/// duplicate into a field error check first, or use an insert that is sent at once.
///
/// A write transaction may see another one's changes before they are durable (SQLite's group
/// commit: members of one batch share a database transaction, see `store-sql/src/sqlite.rs`).
/// A use case that finds something recorded before (a replayed notification, a claimed key)
/// and answers from it must [`Tx::commit`] — even with nothing written — before it answers or
/// reads on another transaction: the commit returns only once what it saw is committed.
#[async_trait]
pub trait Tx:
    IdentityRepo
    + CustomerRepo
    + AuditRepo
    + CalendarRepo
    + SlaRepo
    + OutboxRepo
    + NotificationRepo
    + DeskRepo
    + AttachmentRepo
    + SurveyRepo
    + FeedbackRepo
    + AssessmentRepo
    + ErasureRepo
    + IdempotencyRepo
    + JobRepo
    + CatalogRepo
    + BookingRepo
    + IcalSyncRepo
    + PolicyRepo
    + GatewayRepo
    + DocumentRepo
    + SearchRepo
    + EmergencyRepo
    + IncidentResponseRepo
    + IncidentRemedyRepo
    + IncidentCostRepo
    + IncidentFollowupRepo
    + SmsRepo
    + CallRepo
    + ChatRepo
    + ConversationRepo
    + QualityRepo
    + EmailInRepo
    + MessagingRepo
    + SummaryRepo
    + Send
{
    /// Makes every change of this transaction durable and visible, all or nothing.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Whether this transaction wrote something it will announce on `topic` at commit (a
    /// cache of what it changed must not be trusted inside it).
    fn announces(&self, topic: signal::Topic) -> bool;
}
