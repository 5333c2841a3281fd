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

use crate::convert::err;
use crate::PoolSettings;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Executor, Row, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex, Notify, OwnedMutexGuard};
use tripdesk_store::signal::{PendingSignals, Signals, Topic};
use tripdesk_store::{Backend, ColumnOutline, Store, StoreError, TableEstimate, Tx};

pub type Db = sqlx::Sqlite;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "tripdesk.db";

pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<WriterQueue>,
    reader: SqlitePool,
    /// This process's end of the after-commit signal.
    signals: Arc<Signals>,
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
/// The checkpointer runs at most this often while writes keep coming.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// Longest pause between attempts to take the write lock held by another process.
const BUSY_RETRY_MAX: Duration = Duration::from_millis(50);

/// `sla_clocks c` where one ticket's clocks are looked up (the supervisor board): by its
/// subject index. SQLite otherwise chose the at-risk index (it matches the open-clock
/// condition) and walked every at-risk clock per ticket.
const TICKET_CLOCKS: &str = "sla_clocks c INDEXED BY sla_clocks_subject_idx";

/// `tickets t` where the supervisor board reads open complaints: from the open tickets'
/// partial index. Grouping by state, SQLite chose the (state, …) index and walked all of it,
/// closed tickets included (about three times the CPU time at 1,000,000 tickets).
const OPEN_TICKETS: &str = "tickets t INDEXED BY tickets_open_idx";

/// Most write transactions one COMMIT covers.
pub const MAX_BATCH: usize = 128;
/// A batch commits once it is this old even while more writers queue, so the database's
/// write lock is released regularly (other processes — a backup, a CLI command — get a turn).
pub const MAX_BATCH_AGE: Duration = Duration::from_millis(25);

/// The one write connection and the database transaction currently open on it.
struct Writer {
    /// `None` once the store is closed.
    conn: Option<SqliteConnection>,
    batch: Option<Batch>,
    /// An empty savepoint `tx` is open for the next member (opened in the same round trip
    /// that released the previous one, so a member waiting for the writer starts at once).
    ready: bool,
    /// A member was dropped without committing: its savepoint must be rolled back before the
    /// connection is used again.
    dirty: bool,
    /// Woken after each COMMIT: the WAL has grown, the checkpointer may copy it back.
    committed: Arc<Notify>,
}

/// Write transactions sharing one database transaction.
struct Batch {
    id: u64,
    /// Members that released their savepoint and wait for the COMMIT.
    members: usize,
    started: Instant,
    /// The COMMIT's outcome, published once.
    done: watch::Sender<Option<Result<(), String>>>,
}

/// Queues writers for the one connection and batches their commits.
struct WriterQueue {
    lock: Arc<Mutex<Writer>>,
    /// Writers waiting in `Store::write` for the connection (not members awaiting a COMMIT).
    waiting: AtomicUsize,
    next_batch: AtomicU64,
    acquire_timeout: Duration,
}

/// Counts a writer in the queue until it has the connection or gives up.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// SQLite's "database is locked" (SQLITE_BUSY and its extended codes): another connection
/// holds the lock.
fn is_busy(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5))
}

/// Copies the WAL back into the database file after commits, on `conn` — a connection with
/// a thread of its own, so the checkpoint's fsyncs never hold up the writer or the runtime.
/// PASSIVE: it never waits for readers or the writer, it copies what it can now. Ends when
/// `stop` is notified (the store closes) or the connection fails.
async fn checkpoint_loop(mut conn: SqliteConnection, committed: Arc<Notify>, stop: Arc<Notify>) {
    loop {
        tokio::select! {
            _ = committed.notified() => {}
            _ = stop.notified() => break,
        }
        if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "WAL checkpoint failed; the writer checkpoints by itself");
        }
        tokio::select! {
            _ = tokio::time::sleep(CHECKPOINT_INTERVAL) => {}
            _ = stop.notified() => break,
        }
    }
    let _ = conn.close().await;
}

fn closed() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

impl Writer {
    fn conn(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        self.conn.as_mut().ok_or_else(closed)
    }

    /// Runs statements without parameters, several in one round trip to SQLite's thread.
    async fn exec(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn()?.execute(sql).await.map_err(err)?;
        Ok(())
    }

    /// Rolls back the savepoint of a member dropped without committing (it stays open,
    /// empty, for the next member). If even that fails, the whole batch fails.
    async fn clean(&mut self) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        match self.exec("ROLLBACK TO tx").await {
            Ok(()) => self.ready = true,
            Err(e) => self.abort_batch(e.to_string()).await,
        }
    }

    /// Commits the open batch (`sql` is `COMMIT`, or `RELEASE tx; COMMIT` for the member
    /// committing it) and tells the members the outcome.
    async fn commit_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        self.ready = false;
        let result = self.exec(sql).await;
        if result.is_ok() {
            self.committed.notify_one();
        } else {
            // A failed COMMIT may leave the transaction open (e.g. a deferred constraint).
            let _ = self.exec("ROLLBACK").await;
        }
        let _ = batch
            .done
            .send(Some(result.as_ref().map(|_| ()).map_err(|e| e.to_string())));
        result
    }

    /// Rolls the open batch back: its members' `commit()` fail with `why`.
    async fn abort_batch(&mut self, why: String) {
        self.ready = false;
        self.dirty = false;
        if let Some(batch) = self.batch.take() {
            let _ = self.exec("ROLLBACK").await;
            let _ = batch.done.send(Some(Err(why)));
        }
    }
}

impl WriterQueue {
    /// Waits for the connection, then opens (or joins) the batch and a savepoint.
    async fn begin(&self) -> Result<OwnedMutexGuard<Writer>, StoreError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let in_queue = InQueue(&self.waiting);
        let mut w = tokio::time::timeout(self.acquire_timeout, self.lock.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for the writer".into()))?;
        drop(in_queue);
        w.clean().await;
        if w.batch.is_none() {
            // IMMEDIATE takes the write lock now, so a transaction never fails half-way
            // because another process (a CLI command, a backup) wrote in between. While that
            // process holds it, wait here (asynchronously: the connection's busy timeout is
            // zero, so SQLite never sleeps on the runtime's thread).
            let since = Instant::now();
            let mut pause = Duration::from_millis(1);
            loop {
                match w.conn()?.execute("BEGIN IMMEDIATE; SAVEPOINT tx").await {
                    Ok(_) => break,
                    Err(e) => {
                        let _ = w.exec("ROLLBACK").await;
                        if !is_busy(&e) {
                            return Err(err(e));
                        }
                        if since.elapsed() >= self.acquire_timeout {
                            return Err(StoreError::Unavailable(
                                "another process holds the database's write lock".into(),
                            ));
                        }
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(BUSY_RETRY_MAX);
                    }
                }
            }
            w.batch = Some(Batch {
                id: self.next_batch.fetch_add(1, Ordering::Relaxed),
                members: 0,
                started: Instant::now(),
                done: watch::channel(None).0,
            });
        } else if !std::mem::take(&mut w.ready) {
            if let Err(e) = w.exec("SAVEPOINT tx").await {
                w.abort_batch(e.to_string()).await;
                return Err(e);
            }
        }
        Ok(w)
    }

    /// After a member left without committing: rolls back its savepoint, then commits
    /// what the batch holds if no writer is queued to carry it on (an empty batch is rolled
    /// back, releasing the database's write lock).
    async fn settle(&self, w: &mut Writer) {
        w.clean().await;
        match &w.batch {
            Some(b) if b.members == 0 => w.abort_batch("nothing to commit".into()).await,
            Some(_) if self.waiting.load(Ordering::SeqCst) == 0 => {
                let _ = w.commit_batch("COMMIT").await;
            }
            _ => {}
        }
    }

    /// Commits a member: releases its savepoint, then commits the batch now or waits for
    /// the member who does.
    async fn commit(&self, mut w: OwnedMutexGuard<Writer>) -> Result<(), StoreError> {
        let batch = w.batch.as_mut().expect("a savepoint lives in a batch");
        batch.members += 1;
        if self.waiting.load(Ordering::SeqCst) == 0
            || batch.members >= MAX_BATCH
            || batch.started.elapsed() >= MAX_BATCH_AGE
        {
            return w.commit_batch("RELEASE tx; COMMIT").await;
        }
        let (id, mut done) = (batch.id, batch.done.subscribe());
        // Release this member's savepoint and open the next member's in one round trip.
        if let Err(e) = w.exec("RELEASE tx; SAVEPOINT tx").await {
            w.abort_batch(e.to_string()).await;
            return Err(e);
        }
        w.ready = true;
        drop(w);
        // The writers queued now join this batch and the last of them commits it. Should
        // they go away instead, this member gets the connection back and commits.
        let taken_back = tokio::select! {
            r = done.wait_for(Option::is_some) => {
                r.is_err().then_some(None)
            }
            w = self.lock.clone().lock_owned() => Some(Some(w)),
        };
        if let Some(Some(mut w)) = taken_back {
            w.clean().await;
            if w.batch.as_ref().is_some_and(|b| b.id == id) {
                return w.commit_batch("COMMIT").await;
            }
        }
        let outcome = done.borrow().clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(why)) => Err(StoreError::Unavailable(format!("commit failed: {why}"))),
            None => Err(StoreError::Unavailable("commit outcome lost".into())),
        }
    }
}

/// The connection of a transaction: a snapshot from the read pool, or the writer's
/// connection inside this transaction's savepoint.
enum Conn {
    Read(sqlx::Transaction<'static, Db>),
    Write(WriteTx),
}

/// A write transaction's hold on the writer. Dropped without commit, its savepoint is rolled
/// back (in a task, since drop cannot wait) and the batch settled.
struct WriteTx {
    guard: Option<OwnedMutexGuard<Writer>>,
    queue: Arc<WriterQueue>,
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(mut w) = self.guard.take() {
            w.dirty = true;
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let queue = self.queue.clone();
                rt.spawn(async move { queue.settle(&mut w).await });
            }
            // Without a runtime the next writer rolls the savepoint back.
        }
    }
}

impl Deref for Conn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Conn::Read(tx) => tx,
            Conn::Write(w) => w
                .guard
                .as_ref()
                .and_then(|g| g.conn.as_ref())
                .expect("a live write transaction holds the open connection"),
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Conn::Read(tx) => tx,
            Conn::Write(w) => w
                .guard
                .as_mut()
                .and_then(|g| g.conn.as_mut())
                .expect("a live write transaction holds the open connection"),
        }
    }
}

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
}

impl SqlTx {
    fn new(tx: Conn, store: &SqliteStore) -> Self {
        Self {
            tx,
            announce: PendingSignals::default(),
            signals: store.signals.clone(),
            pending_audit: Vec::new(),
        }
    }

    /// What a write transaction appends to a read of a row it is about to change: nothing,
    /// the single writer already excludes every other writer.
    fn row_lock(&self) -> &'static str {
        ""
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
mod shared_erasure {
    include!("shared/erasure.rs");
}

mod shared_calendar {
    include!("shared/calendar.rs");
}

mod shared_sla {
    include!("shared/sla.rs");
}

/// Row locking for claims: none needed, the one writer claims one batch at a time.
const LOCK_SKIP: &str = "";
const LOCK_ROW: &str = "";

mod shared_notify {
    include!("shared/notify.rs");
}

mod shared_jobs {
    include!("shared/jobs.rs");
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
        let writer = base
            .clone()
            .run_on_calling_thread(true)
            .busy_timeout(Duration::ZERO)
            .pragma(
                "wal_autocheckpoint",
                WRITER_AUTOCHECKPOINT_PAGES.to_string(),
            )
            .connect()
            .await
            .map_err(err)?;
        // A local file needs no liveness ping before each use (a round trip to SQLite's
        // thread per transaction saved).
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(settings.max_connections.max(2))
            .acquire_timeout(settings.acquire_timeout)
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
                })),
                waiting: AtomicUsize::new(0),
                next_batch: AtomicU64::new(0),
                acquire_timeout: settings.acquire_timeout,
            }),
            reader,
            signals: Arc::new(Signals::default()),
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

    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        let guard = self.writer.begin().await?;
        let tx = Conn::Write(WriteTx {
            guard: Some(guard),
            queue: self.writer.clone(),
        });
        Ok(Box::new(SqlTx::new(tx, self)))
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
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
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

    async fn close(&self) {
        let mut w = self.writer.lock.lock().await;
        w.clean().await;
        let _ = w.commit_batch("COMMIT").await;
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
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.write_pending_audit().await?;
        let SqlTx {
            tx,
            announce,
            signals,
            pending_audit: _,
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
mod tests {
    use super::*;

    async fn open() -> (tempfile::TempDir, Arc<SqliteStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), &PoolSettings::default())
            .await
            .unwrap();
        (dir, Arc::new(store))
    }

    fn department(code: &str) -> tripdesk_store::Department {
        let now = jiff::Timestamp::now();
        tripdesk_store::Department {
            id: uuid::Uuid::now_v7(),
            code: code.into(),
            name_zh: code.into(),
            name_en: code.into(),
            business_unit_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Rows of `departments` with this code, read over a connection of its own.
    async fn seen_elsewhere(dir: &Path, code: &str) -> i64 {
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.join(FILE_NAME))
            .read_only(true)
            .connect()
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM departments WHERE code = $1")
            .bind(code)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    /// Many writers at once share few COMMITs, and each `commit()` returns only once its row
    /// is committed: another connection sees it right away.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_commits_share_a_commit_and_are_committed_on_return() {
        let (dir, store) = open().await;
        let mut tasks = Vec::new();
        for i in 0..64 {
            let (store, path) = (store.clone(), dir.path().to_path_buf());
            tasks.push(tokio::spawn(async move {
                let mut tx = store.write().await.unwrap();
                tx.insert_department(&department(&format!("d{i}")))
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
                assert_eq!(seen_elsewhere(&path, &format!("d{i}")).await, 1);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let batches = store.writer.next_batch.load(Ordering::SeqCst);
        assert!(batches < 64, "64 writers took {batches} COMMITs");
    }

    /// Polls a future once, as a runtime would: `Some` if it finished without waiting.
    fn poll_once<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    /// The writer runs its statements on the calling thread: a whole write transaction —
    /// BEGIN, an insert, COMMIT — finishes within one poll, where a connection with a thread
    /// of its own would have to wait for that thread's answer at the first statement.
    #[tokio::test]
    async fn a_write_transaction_runs_on_the_calling_thread() {
        let (dir, store) = open().await;
        let done = poll_once(async {
            let mut tx = store.write().await?;
            tx.insert_department(&department("inline")).await?;
            tx.commit().await
        });
        assert!(
            matches!(done, Some(Ok(()))),
            "the write finished in one poll: {done:?}"
        );
        assert_eq!(seen_elsewhere(dir.path(), "inline").await, 1);
    }

    /// While another process holds the write lock, a writer waits without blocking the
    /// runtime's thread (here the only one: the ticker keeps ticking), then writes once the
    /// lock is released; held past the acquire timeout, the write fails saying why.
    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_another_process_s_write_lock_does_not_block_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let settings = PoolSettings {
            acquire_timeout: Duration::from_millis(400),
            ..PoolSettings::default()
        };
        let store = Arc::new(SqliteStore::open(dir.path(), &settings).await.unwrap());
        let mut other = SqliteConnectOptions::new()
            .filename(dir.path().join(FILE_NAME))
            .connect()
            .await
            .unwrap();
        other.execute("BEGIN IMMEDIATE").await.unwrap();

        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.write().await?;
                tx.insert_department(&department("after-lock")).await?;
                tx.commit().await
            })
        };
        let mut ticks = 0;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            ticks += 1;
        }
        assert_eq!(ticks, 20);
        assert!(!writer.is_finished(), "the writer waits for the lock");
        other.execute("COMMIT").await.unwrap();
        writer.await.unwrap().unwrap();
        assert_eq!(seen_elsewhere(dir.path(), "after-lock").await, 1);

        other.execute("BEGIN IMMEDIATE").await.unwrap();
        let refused = match store.write().await {
            Err(e) => e.to_string(),
            Ok(_) => "the write lock was taken".into(),
        };
        assert!(refused.contains("write lock"), "{refused}");
        other.execute("ROLLBACK").await.unwrap();
    }

    /// The checkpointer copies committed pages back into the database file; the writer's own
    /// automatic checkpoint waits for thousands of pages, so the file grows only through it.
    #[tokio::test]
    async fn the_checkpointer_copies_the_wal_into_the_database_file() {
        let (dir, store) = open().await;
        let file = dir.path().join(FILE_NAME);
        let before = std::fs::metadata(&file).unwrap().len();
        let mut tx = store.write().await.unwrap();
        for i in 0..300 {
            let mut d = department(&format!("grow-{i}"));
            d.name_zh = "线路策划部".repeat(40);
            tx.insert_department(&d).await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut grown = false;
        for _ in 0..100 {
            if std::fs::metadata(&file).unwrap().len() > before + 64 * 1024 {
                grown = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            grown,
            "the database file grew from {before} bytes within 2 s"
        );
        store.close().await;
    }

    /// The bundled SQLite is built as `.cargo/config.toml` says: without the process-wide
    /// memory-statistics and shared page-cache mutexes that connections working at once on
    /// the runtime's threads contended on.
    #[tokio::test]
    async fn the_bundled_sqlite_is_built_without_its_global_mutexes() {
        let (_dir, store) = open().await;
        let used = |option: &'static str| {
            let store = store.clone();
            async move {
                let n: i64 = sqlx::query_scalar("SELECT sqlite_compileoption_used($1)")
                    .bind(option)
                    .fetch_one(&store.reader)
                    .await
                    .unwrap();
                n == 1
            }
        };
        assert!(used("DEFAULT_MEMSTATUS=0").await);
        assert!(!used("ENABLE_MEMORY_MANAGEMENT").await);
        assert!(used("THREADSAFE=1").await, "the query itself works");
    }

    /// Dropping a store without closing it ends its checkpointer.
    #[tokio::test]
    async fn a_dropped_store_stops_its_checkpointer() {
        let (_dir, store) = open().await;
        let task = store
            .checkpoint
            .lock()
            .unwrap()
            .take()
            .expect("a running checkpointer");
        drop(store);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the checkpointer ended")
            .unwrap();
    }

    /// When the shared COMMIT fails, every member's `commit()` fails and none of their rows
    /// exist; the next writer starts afresh.
    #[tokio::test]
    async fn a_failed_commit_fails_every_member() {
        let (dir, store) = open().await;
        let mut first = store.write().await.unwrap();
        first.insert_department(&department("first")).await.unwrap();
        // A second writer queues behind the first, so the first's commit waits for it.
        let queue = store.writer.clone();
        let second = tokio::spawn(async move {
            let mut w = queue.begin().await.unwrap();
            // A foreign key checked only at COMMIT: the shared COMMIT fails.
            w.exec("PRAGMA defer_foreign_keys = ON").await.unwrap();
            w.exec(
                "INSERT INTO ticket_handlers (ticket_id, user_id) VALUES ('no-ticket', 'no-user')",
            )
            .await
            .unwrap();
            queue.commit(w).await
        });
        while store.writer.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let first = first.commit().await;
        let second = second.await.unwrap();
        assert!(
            second.is_err(),
            "the member whose row breaks the COMMIT fails"
        );
        assert!(
            first.is_err(),
            "and so does every other member of the batch"
        );
        assert_eq!(seen_elsewhere(dir.path(), "first").await, 0);

        let mut tx = store.write().await.unwrap();
        tx.insert_department(&department("after")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(seen_elsewhere(dir.path(), "after").await, 1);
    }
}
