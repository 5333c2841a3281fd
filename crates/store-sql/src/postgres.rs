//! The PostgreSQL backend, for deployments with several tripdesk nodes. Nothing here assumes
//! it is the only node: migrations take PostgreSQL's advisory lock, and every invariant is
//! held by constraints and conditional updates.

mod announcer;

use announcer::Announcer;

use crate::convert::err;
use crate::PoolSettings;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::Notify;
use tripdesk_store::signal::{PendingSignals, Signals, Topic};
use tripdesk_store::{Backend, ColumnOutline, Store, StoreError, TableEstimate, Tx};

pub type Db = sqlx::Postgres;

pub struct PgStore {
    pool: PgPool,
    /// This process's end of the after-commit signal.
    signals: Arc<Signals>,
    /// The NOTIFY channel of this database and schema.
    channel: Arc<str>,
    /// Prefixed to this store's notifications, so its listener skips what this process
    /// already delivered at commit.
    origin: Arc<str>,
    listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Sends this process's announcements to the other nodes.
    announcer: Arc<Announcer>,
    /// Sequence numbers this node took ahead.
    blocks: SequenceBlocks,
    /// Woken after a commit that queued audit entries for the linker.
    audit_signal: Arc<Notify>,
    /// Whether write transactions queue their audit entries (`Store::queue_audit`).
    audit_queue: Arc<std::sync::atomic::AtomicBool>,
    /// Permits for write transactions: `PoolSettings::writers()` of the pool's connections.
    writers: Arc<tokio::sync::Semaphore>,
    acquire_timeout: std::time::Duration,
}

/// Due SLA clocks are claimed with row locks; rows another node holds are skipped, so nodes
/// share the work instead of queueing behind each other.
const CLAIM_LOCK: &str = " FOR UPDATE SKIP LOCKED";

/// `sla_clocks c` where one ticket's clocks are looked up (the supervisor board); the planner
/// picks the index.
const TICKET_CLOCKS: &str = "sla_clocks c";

/// `tickets t` where the supervisor board reads open complaints; the planner picks the index.
const OPEN_TICKETS: &str = "tickets t";

/// The NOTIFY channel (suffixed with the schema) on which every commit announces what it
/// wrote (`tripdesk_store::signal`).
const SIGNAL_CHANNEL: &str = "tripdesk_signal";

/// A transaction on the PostgreSQL store.
pub struct SqlTx {
    tx: sqlx::Transaction<'static, Db>,
    /// What this transaction announces once it commits (see `tripdesk_store::signal`).
    announce: PendingSignals,
    signals: Arc<Signals>,
    announcer: Arc<Announcer>,
    /// Audit entries appended, written at commit (see `AuditRepo::append_audit`).
    pending_audit: Vec<(
        tripdesk_store::NewAuditEntry,
        Option<tripdesk_store::AuditSigner>,
    )>,
    /// A write transaction (not a read-only snapshot).
    write: Option<WritePermit>,
    /// Queue audit entries for the linker rather than chain them at commit.
    queue_audit: bool,
    /// Set when this transaction queued audit entries: committing wakes the linker.
    queued_audit: bool,
    audit_signal: Arc<Notify>,
    /// Rows inserted but not yet sent (see `shared/rows.rs`).
    rows: Vec<shared_rows::Insert>,
    /// This node's numbers taken ahead (see `SqlTx::next_from_sequence`).
    blocks: SequenceBlocks,
}

/// Numbers a node takes from a sequence at once (`SqlTx::next_from_sequence`).
const SEQUENCE_BLOCK: usize = 16;

/// Numbers taken from each sequence and not yet used, by sequence.
/// This node's blocks of sequence numbers, and the lock a refill holds: two transactions
/// refilling at once would each take a block and hand out numbers from both, leaving the rest
/// of one unused until later (a gap where none needed to be).
#[derive(Default)]
struct SequenceBlocksInner {
    numbers:
        std::sync::Mutex<std::collections::HashMap<&'static str, std::collections::VecDeque<i64>>>,
    refill: tokio::sync::Mutex<()>,
}

type SequenceBlocks = Arc<SequenceBlocksInner>;

/// Rows a transaction keeps before it sends them anyway (a bulk writer's batch).
const ROWS_KEPT: usize = 32;

/// A write transaction's place among this node's writers (see `PgStore::writers`).
type WritePermit = tokio::sync::OwnedSemaphorePermit;

impl SqlTx {
    fn new(
        tx: sqlx::Transaction<'static, Db>,
        store: &PgStore,
        write: Option<WritePermit>,
    ) -> Self {
        Self {
            tx,
            announce: PendingSignals::default(),
            signals: store.signals.clone(),
            announcer: store.announcer.clone(),
            pending_audit: Vec::new(),
            queue_audit: write.is_some()
                && store.audit_queue.load(std::sync::atomic::Ordering::Relaxed),
            write,
            queued_audit: false,
            audit_signal: store.audit_signal.clone(),
            rows: Vec::new(),
            blocks: store.blocks.clone(),
        }
    }

    /// The next number of `sequence` for this node. A node takes [`SEQUENCE_BLOCK`] numbers
    /// in one statement and hands them out in order, so most intakes need no round trip for
    /// their ticket number. Numbers stay unique on every node and increase on each; across
    /// nodes they interleave by block (a ticket of one node may carry a smaller number than an
    /// older one of another), and a restart leaves the rest of a block unused — gaps a
    /// rolled-back intake leaves too, the sequence being outside transactions.
    async fn next_from_sequence(&mut self, sequence: &'static str) -> Result<i64, StoreError> {
        let pop = |blocks: &SequenceBlocks| {
            blocks
                .numbers
                .lock()
                .expect("sequence blocks")
                .get_mut(sequence)
                .and_then(|b| b.pop_front())
        };
        if let Some(n) = pop(&self.blocks) {
            return Ok(n);
        }
        // Rows this transaction kept go out first: under the refill lock the only statement is
        // `nextval`, which waits for no lock, so a writer holding the refill never waits for a
        // writer waiting for it.
        self.send_rows().await?;
        let blocks = self.blocks.clone();
        let _refilling = blocks.refill.lock().await;
        // Another transaction may have refilled while this one waited.
        if let Some(n) = pop(&blocks) {
            return Ok(n);
        }
        let mut taken: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT nextval('{sequence}') FROM generate_series(1, {SEQUENCE_BLOCK})"
        ))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(err)?;
        taken.sort_unstable();
        let mut taken = std::collections::VecDeque::from(taken);
        let first = taken
            .pop_front()
            .ok_or_else(|| StoreError::Other(format!("{sequence} gave no number")))?;
        blocks
            .numbers
            .lock()
            .expect("sequence blocks")
            .entry(sequence)
            .or_default()
            .extend(taken);
        Ok(first)
    }

    /// Inserts `row` with the transaction's next statement (see `shared/rows.rs`).
    async fn insert_row(&mut self, row: shared_rows::Insert) -> Result<(), StoreError> {
        self.rows.push(row);
        if self.rows.len() >= ROWS_KEPT {
            self.send_rows().await?;
        }
        Ok(())
    }

    /// Inserts `row` now, with the rows kept before it in the same statement: for a row whose
    /// unique key is a rule the caller acts on (one running SLA clock per target and
    /// subject), so a `Duplicate` is reported by this call and not by a later one.
    async fn insert_row_now(&mut self, row: shared_rows::Insert) -> Result<(), StoreError> {
        self.rows.push(row);
        self.send_rows().await
    }

    /// Sends the rows kept so far.
    async fn send_rows(&mut self) -> Result<(), StoreError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        shared_rows::insert_rows(&mut self.tx, &rows).await
    }

    /// The connection for the transaction's next statement, once the rows kept have been
    /// sent: every statement of the shared repositories goes through here.
    async fn db(&mut self) -> Result<&mut sqlx::PgConnection, StoreError> {
        self.send_rows().await?;
        Ok(&mut *self.tx)
    }

    /// What a write transaction appends to a read of a row it is about to change:
    /// `FOR UPDATE`, so a concurrent writer of the same row (on any node) waits for this
    /// transaction and then reads what it committed, instead of deciding on a stale copy.
    /// Nothing in a read-only snapshot.
    fn row_lock(&self) -> &'static str {
        if self.write.is_some() {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    /// Remembers a clock's next due instant for the announcement at commit.
    fn note_due(&mut self, due: Option<i64>) {
        if let Some(d) = due {
            self.announce.note(Topic::Sla, Some(d));
        }
    }

    /// Announces, once this transaction commits, that something on `topic` is due at `due`
    /// (epoch ms) or now.
    fn note_signal(&mut self, topic: Topic, due: Option<i64>) {
        self.announce.note(topic, due);
    }

    /// Announces, once this transaction commits, that something on `topic` concerns `key`.
    fn note_signal_key(&mut self, topic: Topic, key: uuid::Uuid) {
        self.announce.note_key(topic, key);
    }
}

mod shared_rows {
    include!("shared/rows.rs");
}
mod shared_identity {
    include!("shared/identity.rs");
}
mod shared_customer {
    include!("shared/customer.rs");
}
mod shared_audit {
    include!("shared/audit.rs");
}

/// How the linker locks the chain head: the row lock, held until its commit (only linkers
/// take it, and they hold the linking lock already: a second safeguard).
const AUDIT_HEAD_LOCK: &str = " FOR UPDATE";

/// Named sequences kept in a PostgreSQL sequence rather than a `counters` row (which every
/// intake would lock until its commit): (name, sequence).
const SEQUENCES: &[(&str, &str)] = &[("ticket", "ticket_number_seq")];

mod shared_desk {
    include!("shared/desk.rs");
}
mod shared_desk_rules {
    include!("shared/desk_rules.rs");
}

mod shared_attachment {
    include!("shared/attachment.rs");
}

mod shared_survey {
    include!("shared/survey.rs");
}
mod shared_feedback {
    include!("shared/feedback.rs");
}
mod shared_assessment {
    include!("shared/assessment.rs");
}
mod shared_documents {
    include!("shared/documents.rs");
}
mod shared_erasure {
    include!("shared/erasure.rs");
}
mod shared_idempotency {
    include!("shared/idempotency.rs");
}

mod shared_calendar {
    include!("shared/calendar.rs");
}

mod shared_sla {
    include!("shared/sla.rs");
}

/// Row locking for claims: skip rows another node is claiming; lock the rate-limit bucket row.
/// The nights of a room joined by commas (availability reads one row per room).
const NIGHTS_JOINED: &str = "string_agg(n.night, ',')";
const LOCK_SKIP: &str = " FOR UPDATE SKIP LOCKED";
const LOCK_ROW: &str = " FOR UPDATE";

mod shared_notify {
    include!("shared/notify.rs");
}
mod shared_notification {
    include!("shared/notification.rs");
}

mod shared_jobs {
    include!("shared/jobs.rs");
}
mod shared_catalog {
    include!("shared/catalog.rs");
}
mod shared_bookings {
    include!("shared/bookings.rs");
}
mod shared_ical_sync {
    include!("shared/ical_sync.rs");
}
mod shared_policies {
    include!("shared/policies.rs");
}
mod shared_gateways {
    include!("shared/gateways.rs");
}
/// The rows of a JSON array of text bound as parameter `param`: one statement for a list of
/// any length, where a list of `$n` marks would be a statement of its own for each length,
/// each prepared anew and crowding the connection's statement cache.
fn json_text_array(param: u8) -> String {
    format!("SELECT jsonb_array_elements_text(CAST(${param} AS jsonb))")
}
mod shared_sms {
    include!("shared/sms.rs");
}

mod shared_phone {
    include!("shared/phone.rs");
}
mod shared_chat {
    include!("shared/chat.rs");
}
mod shared_conversation {
    include!("shared/conversation.rs");
}
mod shared_quality {
    include!("shared/quality.rs");
}
mod shared_email_in {
    include!("shared/email_in.rs");
}
mod shared_messaging {
    include!("shared/messaging.rs");
}
mod shared_summaries {
    include!("shared/summaries.rs");
}
/// A `tsvector` with a GIN index matches the search index, not FTS5 (`shared/search.rs`).
const FTS5: bool = false;
mod shared_search {
    include!("shared/search.rs");
    include!("postgres/search.rs");
}

/// The last day of departure `d`'s trip (package `t`: as many days as its itinerary), as
/// `YYYY-MM-DD`.
const TOUR_LAST_DAY: &str = "to_char(CAST(d.departs_on AS date) + \
     (jsonb_array_length(CAST(t.body AS jsonb) -> 'itinerary') - 1), 'YYYY-MM-DD')";

mod shared_emergency {
    include!("shared/emergency.rs");
}

mod shared_emergency_response {
    include!("shared/emergency_response.rs");
}

mod shared_emergency_remedies {
    include!("shared/emergency_remedies.rs");
}

mod shared_emergency_costs {
    include!("shared/emergency_costs.rs");
}

mod shared_emergency_followups {
    include!("shared/emergency_followups.rs");
}

impl PgStore {
    /// Connects and migrates. `schema`, when given, is created if missing and used as the
    /// search path (tests give each test its own schema).
    pub async fn open(
        url: &str,
        settings: &PoolSettings,
        schema: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?
            .application_name("tripdesk");
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Other("schema name must be [A-Za-z0-9_]".into()));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(err)?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&admin)
                .await
                .map_err(err)?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(err)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migrating PostgreSQL: {e}")))?;
        // One channel per schema, so nodes on one database (and tests sharing one) hear
        // exactly the commits of the schema they work in.
        let current: String = sqlx::query_scalar("SELECT current_schema()::text")
            .fetch_one(&pool)
            .await
            .map_err(err)?;
        let origin: Arc<str> = uuid::Uuid::now_v7().simple().to_string().into();
        Ok(Self {
            pool: pool.clone(),
            signals: Arc::new(Signals::default()),
            channel: format!("{SIGNAL_CHANNEL}_{current}").into(),
            origin: origin.clone(),
            listener: std::sync::Mutex::new(None),
            blocks: SequenceBlocks::default(),
            announcer: Arc::new(Announcer {
                pending: std::sync::Mutex::default(),
                sending: std::sync::atomic::AtomicBool::new(false),
                pool: pool.clone(),
                channel: format!("{SIGNAL_CHANNEL}_{current}").into(),
                origin: origin.clone(),
            }),
            audit_signal: Arc::new(Notify::new()),
            audit_queue: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            writers: Arc::new(tokio::sync::Semaphore::new(settings.writers() as usize)),
            acquire_timeout: settings.acquire_timeout,
        })
    }
}

impl PgStore {
    /// A writer's turn. Writers queue here, first come first served, before they take a
    /// connection: at most `PoolSettings::writers` hold one at a time (the rest of the pool
    /// stays free for reads — every request authenticates with one), and a writer waits in
    /// this process rather than inside PostgreSQL behind a row lock holding a connection.
    async fn write_permit(&self) -> Result<WritePermit, StoreError> {
        tokio::time::timeout(self.acquire_timeout, self.writers.clone().acquire_owned())
            .await
            .map_err(|_| {
                StoreError::Unavailable(
                    "timed out waiting for a database connection to write".into(),
                )
            })?
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))
    }
}

/// The first key of the seeding lock (`Store::write_seeding`): "tdsk"; the second is the
/// schema's `hashtext`.
pub const SEEDING_LOCK: i32 = 0x7464_736b;

/// The first key of the audit linking lock (`Store::link_audit`): "tdal"; the second is the
/// schema's `hashtext`.
pub const AUDIT_LINK_LOCK: i32 = 0x7464_616c;

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn read(&self) -> Result<Box<dyn Tx>, StoreError> {
        let tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(err)?;
        Ok(Box::new(SqlTx::new(tx, self, None)))
    }

    async fn session_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(tripdesk_store::Session, tripdesk_store::User)>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(err)?;
        shared_identity::session_owner(&mut conn, token_hash).await
    }

    async fn api_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(tripdesk_store::ApiToken, tripdesk_store::User)>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(err)?;
        shared_identity::api_token_owner(&mut conn, token_hash).await
    }

    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        let permit = self.write_permit().await?;
        let tx = self.pool.begin().await.map_err(err)?;
        Ok(Box::new(SqlTx::new(tx, self, Some(permit))))
    }

    async fn write_seeding(&self) -> Result<Box<dyn Tx>, StoreError> {
        let permit = self.write_permit().await?;
        let mut tx = self.pool.begin().await.map_err(err)?;
        // Released by COMMIT or ROLLBACK. Two-key form: its own key space, apart from the
        // single-key lock sqlx takes while migrating; the schema keeps tests (a schema each)
        // and deployments sharing a database apart.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(SEEDING_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        Ok(Box::new(SqlTx::new(tx, self, Some(permit))))
    }

    async fn link_audit(
        &self,
        signer: Option<tripdesk_store::AuditSigner>,
    ) -> Result<u64, StoreError> {
        let mut linked = 0;
        loop {
            // A look without a writer's permit first: most calls find nothing queued.
            let queued: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_pending)")
                .fetch_one(&self.pool)
                .await
                .map_err(err)?;
            if !queued {
                return Ok(linked);
            }
            let permit = self.write_permit().await?;
            let mut tx = self.pool.begin().await.map_err(err)?;
            // Another node linking now: leave the queue to it.
            let ours: bool = sqlx::query_scalar(
                "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))",
            )
            .bind(AUDIT_LINK_LOCK)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
            if !ours {
                return Ok(linked);
            }
            let mut sql = SqlTx::new(tx, self, Some(permit));
            let n = sql.link_pending_audit(signer.as_ref()).await?;
            Box::new(sql).commit().await?;
            linked += n;
            if n == 0 {
                return Ok(linked);
            }
        }
    }

    fn audit_queued_signal(&self) -> Arc<Notify> {
        self.audit_signal.clone()
    }

    fn queue_audit(&self, on: bool) {
        // Linking at commit would make every writer of every node wait for the head row
        // through its commit's WAL flush (docs/ARCHITECTURE.md, "Writes that scale across
        // nodes").
        self.audit_queue
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    async fn backup_to(&self, _path: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "online backup of PostgreSQL is done with pg_dump (see `tripdesk backup`)",
        ))
    }

    async fn schema_outline(&self) -> Result<Vec<ColumnOutline>, StoreError> {
        let rows = sqlx::query(
            "SELECT table_name::text AS tbl, column_name::text AS col, data_type::text AS ty, \
             (is_nullable = 'NO') AS nn FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
             AND data_type <> 'tsvector'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        let mut out = rows
            .iter()
            .map(|r| {
                let ty: String = r.try_get("ty").map_err(err)?;
                Ok(ColumnOutline {
                    table: r.try_get("tbl").map_err(err)?,
                    column: r.try_get("col").map_err(err)?,
                    type_class: crate::convert::type_class(&ty),
                    not_null: r.try_get("nn").map_err(err)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort();
        Ok(out)
    }

    async fn purge_free_space(&self, tables: &[&str]) -> Result<(), StoreError> {
        // An UPDATE or DELETE leaves the old row version in the table (and its index entries)
        // until VACUUM removes it; `pg_dump` never shows it, a copy of the data files would.
        // VACUUM cannot run in a transaction: a simple query on a pool connection. The
        // table names are the store's constants (the capabilities' declared fields and the like).
        if tables.is_empty() {
            return Ok(());
        }
        let mut names: Vec<&str> = tables.to_vec();
        names.sort_unstable();
        names.dedup();
        if let Some(bad) = names
            .iter()
            .find(|t| !t.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            return Err(StoreError::Other(format!("not a table name: {bad}")));
        }
        sqlx::raw_sql(&format!("VACUUM {}", names.join(", ")))
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn settle_after_bulk_load(&self) -> Result<Vec<TableEstimate>, StoreError> {
        // The schema is `current_schema()`, the same on every connection of the pool (tests
        // use one schema each). VACUUM cannot run in a transaction: a simple query.
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() ORDER BY relname",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        if !tables.is_empty() {
            // VACUUM sets the visibility map (index-only scans need it), ANALYZE the
            // statistics the planner chooses indexes by.
            sqlx::raw_sql(&format!("VACUUM (ANALYZE) {}", tables.join(", ")))
                .execute(&self.pool)
                .await
                .map_err(err)?;
        }
        let rows = sqlx::query(
            "SELECT c.relname::text AS tbl, c.reltuples::float8 AS n FROM pg_class c \
             JOIN pg_namespace s ON s.oid = c.relnamespace \
             WHERE s.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                let n: f64 = r.try_get("n").map_err(err)?;
                Ok(TableEstimate {
                    table: r.try_get("tbl").map_err(err)?,
                    // -1: never vacuumed nor analysed (PostgreSQL 14 and later).
                    rows: (n >= 0.0).then_some(n as u64),
                })
            })
            .collect()
    }

    fn signals(&self) -> Arc<Signals> {
        self.signals.clone()
    }

    async fn listen_signals(&self) -> Result<(), StoreError> {
        if self.listener.lock().expect("listener mutex").is_some() {
            return Ok(());
        }
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(err)?;
        listener.listen(&self.channel).await.map_err(err)?;
        let signals = self.signals.clone();
        let own = format!("{}|", self.origin);
        let task = tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        // This process delivered its own commits already.
                        if n.payload().starts_with(&own) {
                            continue;
                        }
                        let body = n.payload().split_once('|').map_or(n.payload(), |(_, b)| b);
                        signals.deliver(&PendingSignals::from_payload(body));
                    }
                    // The connection dropped (and will be re-made by the next call):
                    // notifications may have been missed, so every waiter looks again.
                    Ok(None) => signals.deliver(&PendingSignals::everything()),
                    Err(e) => {
                        tracing::warn!(error = %e, "signal listener failed; retrying");
                        signals.deliver(&PendingSignals::everything());
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let mut slot = self.listener.lock().expect("listener mutex");
        if slot.is_some() {
            task.abort();
        } else {
            *slot = Some(task);
        }
        Ok(())
    }

    async fn close(&self) {
        if let Some(task) = self.listener.lock().expect("listener mutex").take() {
            task.abort();
        }
        self.writers.close();
        self.pool.close().await;
    }
}

#[async_trait]
impl Tx for SqlTx {
    fn announces(&self, topic: Topic) -> bool {
        self.announce.has(topic)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.write_pending_audit().await?;
        self.send_rows().await?;
        let SqlTx {
            tx,
            announce,
            signals,
            announcer,
            pending_audit: _,
            write,
            queue_audit: _,
            queued_audit,
            audit_signal,
            rows: _,
            blocks: _,
        } = *self;
        tx.commit().await.map_err(err)?;
        if write.is_some() {
            tripdesk_store::attempt::note_commit();
        }
        drop(write);
        if queued_audit {
            audit_signal.notify_one();
        }
        if !announce.is_empty() {
            signals.deliver(&announce);
            announcer.announce(&announce);
        }
        Ok(())
    }
}
