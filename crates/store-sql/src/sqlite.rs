//! The SQLite backend: one file in the data directory, WAL journal, foreign keys on, one
//! writer connection (writes queue for it instead of spinning on SQLITE_BUSY) and a pool of
//! read-only connections that read snapshots while the writer works.
//!
//! **Statements run on the calling thread.** sqlx gives every SQLite connection a thread of
//! its own and hands each statement to it and each row back; on a busy two-core machine those
//! hand-offs (two thread wake-ups per statement) cost more than the statements, and a ticket
//! intake is a dozen statements. So the writer and the readers use the patched driver's
//! `run_on_calling_thread` (vendor/README.md): SQLite runs inside the async task, which is
//! what SQLite's own speed allows (microseconds per keyed statement). Two things that could
//! block a runtime thread for long are kept off it: waiting for another process's write lock
//! (the writer's busy timeout is zero and [`WriterQueue::begin`] retries asynchronously) and
//! the WAL checkpoint with its fsyncs (done by [`checkpoint_loop`] on a connection with a
//! thread of its own; the writer's automatic checkpoint is only a safety net).
//!
//! **Group commit.** SQLite has one writer, and a durable COMMIT (the WAL write, and its fsync
//! with `synchronous=FULL`) is most of the cost of a short transaction. So write transactions
//! that queue for the writer share one database transaction: the first opens it
//! (`BEGIN IMMEDIATE`), each runs inside its own `SAVEPOINT` (a failing one rolls back to it
//! alone), and its `commit()` releases the savepoint and then waits until the shared `COMMIT`
//! has succeeded — issued by the last member when no other writer is queued, or when the batch
//! reaches [`MAX_BATCH`] members or [`MAX_BATCH_AGE`]. A caller therefore never returns from
//! `commit()` before its changes are committed exactly as durably as without batching, and if
//! the shared COMMIT fails, every member's `commit()` fails.
//!
//! **Durable commits off the writer.** With `synchronous=FULL` the writer still commits with
//! NORMAL, and a thread of its own syncs the WAL file before the batch's members hear that
//! they committed (`writer::Syncer`): batches committed during one sync share the next, and
//! the writer goes on meanwhile instead of waiting for the disk inside the COMMIT.

use crate::convert::err;
use crate::PoolSettings;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor, Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Notify};
use tripdesk_store::signal::{PendingSignals, Signals, Topic};
use tripdesk_store::{Backend, ColumnOutline, Store, StoreError, TableEstimate, Tx};

mod rank;
mod writer;

use writer::{checkpoint_loop, Conn, WriteTx, Writer, WriterQueue};
pub use writer::{MAX_BATCH, MAX_BATCH_AGE};

pub type Db = sqlx::Sqlite;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "tripdesk.db";

pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<WriterQueue>,
    reader: SqlitePool,
    /// This process's end of the after-commit signal.
    signals: Arc<Signals>,
    /// Never woken: writers link their audit entries at commit (`Store::audit_queued_signal`).
    audit_signal: Arc<Notify>,
    /// Ends [`checkpoint_loop`] when the store closes.
    checkpoint_stop: Arc<Notify>,
    checkpoint: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Claiming due SLA clocks needs no row lock on SQLite: a write transaction (`BEGIN
/// IMMEDIATE`) already excludes every other writer, of this process and of others.
const CLAIM_LOCK: &str = "";

/// WAL pages after which the writer checkpoints by itself, should the checkpointer fall
/// behind (it normally runs long before: see [`checkpoint_loop`]).
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 20_000;

/// `sla_clocks c` where one ticket's clocks are looked up (the supervisor board): by its
/// subject index. SQLite otherwise chose the at-risk index (it matches the open-clock
/// condition) and walked every at-risk clock per ticket.
const TICKET_CLOCKS: &str = "sla_clocks c INDEXED BY sla_clocks_subject_idx";

/// `tickets t` where the supervisor board reads open complaints: from the open tickets'
/// partial index. Grouping by state, SQLite chose the (state, …) index and walked all of it,
/// closed tickets included (about three times the CPU time at 1,000,000 tickets).
const OPEN_TICKETS: &str = "tickets t INDEXED BY tickets_open_idx";

/// A transaction on the SQLite store.
pub struct SqlTx {
    tx: Conn,
    /// What this transaction announces once it commits (see `tripdesk_store::signal`).
    announce: PendingSignals,
    signals: Arc<Signals>,
    /// Audit entries appended, written at commit (see `AuditRepo::append_audit`).
    pending_audit: Vec<(
        tripdesk_store::NewAuditEntry,
        Option<tripdesk_store::AuditSigner>,
    )>,
    /// Never set here: each write transaction chains its audit entries at its commit
    /// (`Store::queue_audit` is ignored).
    queue_audit: bool,
    queued_audit: bool,
}

impl SqlTx {
    fn new(tx: Conn, store: &SqliteStore) -> Self {
        Self {
            tx,
            announce: PendingSignals::default(),
            signals: store.signals.clone(),
            pending_audit: Vec::new(),
            queue_audit: false,
            queued_audit: false,
        }
    }

    /// What a write transaction appends to a read of a row it is about to change: nothing,
    /// the single writer already excludes every other writer.
    fn row_lock(&self) -> &'static str {
        ""
    }

    /// Inserts `row` now: the store is in the process, a statement costs no round trip (see
    /// `shared/rows.rs`).
    async fn insert_row(&mut self, row: shared_rows::Insert) -> Result<(), StoreError> {
        shared_rows::insert_rows(&mut self.tx, std::slice::from_ref(&row)).await
    }

    /// Inserts `row` now (as [`SqlTx::insert_row`] always does here).
    async fn insert_row_now(&mut self, row: shared_rows::Insert) -> Result<(), StoreError> {
        self.insert_row(row).await
    }

    /// SQLite keeps no sequences (`SEQUENCES` is empty: the single writer bumps a `counters`
    /// row in turn), so the shared code never asks for one here.
    async fn next_from_sequence(&mut self, sequence: &'static str) -> Result<i64, StoreError> {
        Err(StoreError::Other(format!(
            "SQLite has no sequence {sequence}"
        )))
    }

    /// The connection for the transaction's next statement.
    async fn db(&mut self) -> Result<&mut sqlx::SqliteConnection, StoreError> {
        Ok(&mut *self.tx)
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

/// How an audit append locks the chain head: nothing more is needed, the write transaction (BEGIN IMMEDIATE) already holds the only write lock.
const AUDIT_HEAD_LOCK: &str = "";

/// Named sequences kept outside `counters`: none, the single writer takes the row in turn.
const SEQUENCES: &[(&str, &str)] = &[];

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

/// Row locking for claims: none needed, the one writer claims one batch at a time.
/// The nights of a room joined by commas (availability reads one row per room).
const NIGHTS_JOINED: &str = "group_concat(n.night, ',')";
const LOCK_SKIP: &str = "";
const LOCK_ROW: &str = "";

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
    format!("SELECT value FROM json_each(${param})")
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
/// FTS5 matches the search index (`shared/search.rs`).
const FTS5: bool = true;
mod shared_search {
    include!("shared/search.rs");
    include!("sqlite/search.rs");
}

/// The last day of departure `d`'s trip (package `t`: as many days as its itinerary), as
/// `YYYY-MM-DD`.
const TOUR_LAST_DAY: &str =
    "date(d.departs_on, '+' || (json_array_length(t.body, '$.itinerary') - 1) || ' days')";

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

impl SqliteStore {
    /// Opens `dir/tripdesk.db`, creating the directory and file if needed, and migrates it.
    pub async fn open(dir: &Path, settings: &PoolSettings) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        Self::open_file(&dir.join(FILE_NAME), settings).await
    }

    /// Opens a database file directly (used for restores and backups checks).
    pub async fn open_file(path: &Path, settings: &PoolSettings) -> Result<Self, StoreError> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if settings.sqlite_synchronous_full {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000")
            // Deleted and overwritten content is zeroed in the page (and freed pages wholly),
            // so an erased customer's values do not linger in free space; see
            // `purge_free_space` for the WAL.
            .pragma("secure_delete", "on");
        // Migrates (waiting up to the busy timeout for another process's write lock), then
        // stays as the checkpointer's connection: the one connection with a thread of its own.
        let mut checkpointer = base
            .clone()
            .create_if_missing(true)
            .connect()
            .await
            .map_err(err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut checkpointer)
            .await
            .map_err(|e| StoreError::Other(format!("migrating SQLite: {e}")))?;
        // FULL durability comes from the syncer, after the COMMIT and off the writer (see
        // `writer::Syncer`): the writer itself commits with NORMAL.
        let syncer = if settings.sqlite_synchronous_full {
            let mut wal = path.as_os_str().to_owned();
            wal.push("-wal");
            Some(writer::Syncer::start(wal.into()).map_err(|e| {
                StoreError::Unavailable(format!("cannot start the WAL syncer: {e}"))
            })?)
        } else {
            None
        };
        let mut writer = base
            .clone()
            .synchronous(SqliteSynchronous::Normal)
            .run_on_calling_thread(true)
            .busy_timeout(Duration::ZERO)
            .pragma(
                "wal_autocheckpoint",
                WRITER_AUTOCHECKPOINT_PAGES.to_string(),
            )
            .connect()
            .await
            .map_err(err)?;
        rank::register(&mut writer)
            .await
            .map_err(StoreError::Unavailable)?;
        writer
            .execute(shared_search::CREATE_STAGED)
            .await
            .map_err(err)?;
        // A local file needs no liveness ping before each use (a round trip to SQLite's
        // thread per transaction saved).
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(settings.max_connections.max(2))
            .acquire_timeout(settings.acquire_timeout)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    rank::register(conn)
                        .await
                        .map_err(|e| sqlx::Error::Configuration(e.into()))
                })
            })
            .connect_with(base.read_only(true).run_on_calling_thread(true))
            .await
            .map_err(err)?;
        let committed = Arc::new(Notify::new());
        let checkpoint_stop = Arc::new(Notify::new());
        let checkpoint = tokio::spawn(checkpoint_loop(
            checkpointer,
            committed.clone(),
            checkpoint_stop.clone(),
        ));
        Ok(Self {
            path: path.to_path_buf(),
            writer: Arc::new(WriterQueue {
                lock: Arc::new(Mutex::new(Writer {
                    conn: Some(writer),
                    batch: None,
                    ready: false,
                    dirty: false,
                    committed,
                    syncer,
                })),
                busy: Arc::new(AtomicU64::new(0)),
                waiting: AtomicUsize::new(0),
                next_batch: AtomicU64::new(0),
                acquire_timeout: settings.acquire_timeout,
            }),
            reader,
            signals: Arc::new(Signals::default()),
            audit_signal: Arc::new(Notify::new()),
            checkpoint_stop,
            checkpoint: std::sync::Mutex::new(Some(checkpoint)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A store dropped without `close()` still ends its checkpointer (and its connection).
impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoint_stop.notify_one();
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn read(&self) -> Result<Box<dyn Tx>, StoreError> {
        let tx = self.reader.begin().await.map_err(err)?;
        Ok(Box::new(SqlTx::new(Conn::Read(tx), self)))
    }

    async fn session_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(tripdesk_store::Session, tripdesk_store::User)>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(err)?;
        shared_identity::session_owner(&mut conn, token_hash).await
    }

    async fn api_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(tripdesk_store::ApiToken, tripdesk_store::User)>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(err)?;
        shared_identity::api_token_owner(&mut conn, token_hash).await
    }

    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        let guard = self.writer.begin().await?;
        let tx = Conn::Write(WriteTx {
            guard: Some(guard),
            queue: self.writer.clone(),
        });
        Ok(Box::new(SqlTx::new(tx, self)))
    }

    async fn link_audit(
        &self,
        signer: Option<tripdesk_store::AuditSigner>,
    ) -> Result<u64, StoreError> {
        // Entries are linked at commit here; the queue is empty unless a database written
        // by other code is opened. Linked the same way as on PostgreSQL all the same.
        let queued: i64 = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_pending)")
            .fetch_one(&self.reader)
            .await
            .map_err(err)?;
        if queued == 0 {
            return Ok(0);
        }
        let mut linked = 0;
        loop {
            let guard = self.writer.begin().await?;
            let tx = Conn::Write(WriteTx {
                guard: Some(guard),
                queue: self.writer.clone(),
            });
            let mut sql = SqlTx::new(tx, self);
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

    fn queue_audit(&self, _on: bool) {
        // The single writer holds the database lock through every commit anyway: chaining
        // there costs no waiting, and queueing would add a second write per entry.
    }

    async fn write_seeding(&self) -> Result<Box<dyn Tx>, StoreError> {
        // The write lock (BEGIN IMMEDIATE) is the seeding lock: one writer at a time, across
        // processes too.
        self.write().await
    }

    async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Other(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Other("backup path is not valid UTF-8".into()))?;
        // VACUUM INTO writes a transactionally consistent copy while others keep working. It
        // reads the whole file: on a connection with a thread of its own, not on a runtime
        // thread through the read pool.
        let mut conn = SqliteConnectOptions::new()
            .filename(&self.path)
            .read_only(true)
            .connect()
            .await
            .map_err(err)?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut conn)
            .await
            .map_err(err);
        let _ = conn.close().await;
        copied?;
        Ok(())
    }

    async fn schema_outline(&self) -> Result<Vec<ColumnOutline>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.name AS tbl, p.name AS col, p.type AS ty, p.\"notnull\" AS nn, p.pk AS pk \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             AND m.name NOT LIKE 'search\\_fts%' ESCAPE '\\'",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(err)?;
        let mut out = rows
            .iter()
            .map(|r| {
                let ty: String = r.try_get("ty").map_err(err)?;
                let nn: i64 = r.try_get("nn").map_err(err)?;
                let pk: i64 = r.try_get("pk").map_err(err)?;
                Ok(ColumnOutline {
                    table: r.try_get("tbl").map_err(err)?,
                    column: r.try_get("col").map_err(err)?,
                    type_class: crate::convert::type_class(&ty),
                    not_null: nn != 0 || pk != 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort();
        Ok(out)
    }

    async fn purge_free_space(&self, _tables: &[&str]) -> Result<(), StoreError> {
        // Every connection runs with secure_delete, so the erasure's transaction left no old
        // value in the database's pages; but the WAL still holds the pages as they were
        // before (and as earlier transactions wrote them) until a checkpoint copies the WAL
        // back and TRUNCATE empties the file. It waits (busy timeout) for the writer and for
        // readers of older snapshots; a checkpoint already running (the checkpointer's, woken
        // by the erasure's own commit) makes it return busy at once, so it is tried again for
        // up to 10 s. On a connection with a thread of its own, like backups.
        let mut conn = SqliteConnectOptions::new()
            .filename(&self.path)
            .busy_timeout(Duration::from_secs(2))
            .pragma("secure_delete", "on")
            .connect()
            .await
            .map_err(err)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let result = loop {
            let busy: Result<i64, StoreError> = async {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&mut conn)
                    .await
                    .map_err(err)?;
                row.try_get(0).map_err(err)
            }
            .await;
            match busy {
                Ok(0) => break Ok(()),
                Ok(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(_) => {
                    break Err(StoreError::Unavailable(
                        "the WAL could not be emptied after the erasure: another connection \
                         kept an older snapshot open; the next checkpoint will do it"
                            .into(),
                    ))
                }
                Err(e) => break Err(e),
            }
        };
        let _ = conn.close().await;
        result
    }

    async fn settle_after_bulk_load(&self) -> Result<Vec<TableEstimate>, StoreError> {
        // SQLite's planner needs no statistics for our queries: every queue names the
        // predicate of its partial index (see migrations 0008–0011). Measured at 1,000,000
        // tickets (docs/PERFORMANCE.md), ANALYZE did not make the inbox faster, so nothing is
        // run; the estimates are those of an earlier ANALYZE, if any.
        let stats: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
        )
        .fetch_one(&self.reader)
        .await
        .map_err(err)?;
        let sql = if stats > 0 {
            "SELECT m.name AS tbl, (SELECT MAX(CAST(s.stat AS INTEGER)) FROM sqlite_stat1 s \
             WHERE s.tbl = m.name) AS n FROM sqlite_master m \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name"
        } else {
            "SELECT name AS tbl, NULL AS n FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        };
        let rows = sqlx::query(sql)
            .fetch_all(&self.reader)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| {
                let n: Option<i64> = r.try_get("n").map_err(err)?;
                Ok(TableEstimate {
                    table: r.try_get("tbl").map_err(err)?,
                    rows: n.map(|n| n as u64),
                })
            })
            .collect()
    }

    fn signals(&self) -> Arc<Signals> {
        self.signals.clone()
    }

    async fn listen_signals(&self) -> Result<(), StoreError> {
        // SQLite has no notification channel between processes; waiters on one file find each
        // other's work at `signal::FALLBACK_POLL`.
        Ok(())
    }

    fn writer_busy(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_nanos(
            self.writer.busy.load(Ordering::Relaxed),
        ))
    }

    async fn close(&self) {
        let mut w = self.writer.lock.lock().await;
        w.clean().await;
        if let Ok(pending) = w.commit_batch(writer::COMMIT).await {
            let _ = writer::outcome(pending).await;
        }
        if let Some(conn) = w.conn.take() {
            let _ = conn.close().await;
        }
        drop(w);
        self.reader.close().await;
        self.checkpoint_stop.notify_one();
        let checkpoint = self.checkpoint.lock().ok().and_then(|mut c| c.take());
        if let Some(task) = checkpoint {
            let _ = task.await;
        }
    }
}

#[async_trait]
impl Tx for SqlTx {
    fn announces(&self, topic: Topic) -> bool {
        self.announce.has(topic)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.write_pending_audit().await?;
        let SqlTx {
            tx,
            announce,
            signals,
            pending_audit: _,
            queue_audit: _,
            queued_audit: _,
        } = *self;
        match tx {
            Conn::Read(tx) => tx.commit().await.map_err(err)?,
            Conn::Write(mut w) => {
                let guard = w.guard.take().expect("an uncommitted write transaction");
                w.queue.commit(guard).await?;
                tripdesk_store::attempt::note_commit();
            }
        }
        if !announce.is_empty() {
            signals.deliver(&announce);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
