//! The SQLite backend's one writer: the connection every write transaction queues for, the
//! batches that share one `COMMIT` (group commit, see the backend's module documentation),
//! and the checkpointer that copies the WAL back into the database file.

use super::Db;
use crate::convert::err;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex, Notify, OwnedMutexGuard};
use tripdesk_store::StoreError;

/// The checkpointer runs at most this often while writes keep coming.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// Longest pause between attempts to take the write lock held by another process.
pub(super) const BUSY_RETRY_MAX: Duration = Duration::from_millis(50);

/// Most write transactions one COMMIT covers.
pub const MAX_BATCH: usize = 128;
/// A batch commits once it is this old even while more writers queue, so the database's
/// write lock is released regularly (other processes — a backup, a CLI command — get a turn).
pub const MAX_BATCH_AGE: Duration = Duration::from_millis(25);

/// What the writer runs before each COMMIT: the search documents the batch's members staged
/// go into the FTS5 index in one statement (`sqlite/search.rs`: FTS5 writes each statement's
/// tokens as a new index segment, and a segment per ticket was most of what indexing cost).
macro_rules! before_commit {
    () => {
        "INSERT INTO search_fts (rowid, tokens) SELECT rowid, tokens FROM temp.search_fts_staged; \
         DELETE FROM temp.search_fts_staged; "
    };
}
pub(super) use before_commit;

/// The batch's COMMIT, issued by a member that already released its savepoint (or by none).
pub(super) const COMMIT: &str = concat!(before_commit!(), "COMMIT");
/// The batch's COMMIT issued by the member whose savepoint is still open.
pub(super) const RELEASE_AND_COMMIT: &str = concat!("RELEASE tx; ", before_commit!(), "COMMIT");

/// A batch's outcome as its members receive it.
pub(super) type Outcome = watch::Receiver<Option<Result<(), String>>>;
type Publish = watch::Sender<Option<Result<(), String>>>;

/// Makes committed batches durable across a power cut (`synchronous=FULL`) without holding
/// up the writer: the writer commits with `synchronous=NORMAL` (the WAL frames are written,
/// not synced) and hands the batch here; a thread of its own syncs the WAL file
/// (`fdatasync`) and only then tells the batch's members their commit succeeded. Every batch
/// committed while one sync runs shares the next, so under load one sync covers many batches
/// while the writer goes on with the next ones — where SQLite's own FULL syncs inside the
/// COMMIT, holding the write lock and a runtime thread for the whole fsync.
///
/// A batch's changes are visible to readers from its COMMIT, a few milliseconds before they
/// are durable; a writer that read them commits after them in the WAL, so a power cut loses
/// it with them (WAL recovery keeps a prefix of the frames). What a member is told is exact:
/// `commit()` returns only after the sync that covers its batch.
pub(super) struct Syncer {
    queue: std::sync::mpsc::Sender<Publish>,
    /// Held by a test to keep the thread from syncing, so it can see a commit wait for it.
    #[cfg(test)]
    pub(super) pause: Arc<std::sync::Mutex<()>>,
}

impl Syncer {
    /// Starts the syncing thread for the WAL file `wal` (`<database>-wal`).
    pub(super) fn start(wal: std::path::PathBuf) -> std::io::Result<Self> {
        let (queue, batches) = std::sync::mpsc::channel::<Publish>();
        #[cfg(test)]
        let pause = Arc::new(std::sync::Mutex::new(()));
        #[cfg(test)]
        let paused = pause.clone();
        std::thread::Builder::new()
            .name("sqlite-wal-sync".into())
            .spawn(move || {
                let mut file: Option<std::fs::File> = None;
                // Ends when the writer (and with it the sender) is gone.
                while let Ok(first) = batches.recv() {
                    let mut waiting = vec![first];
                    waiting.extend(batches.try_iter());
                    #[cfg(test)]
                    let _paused = paused.lock();
                    // Opened again after a failure (and at the first batch: the WAL file
                    // exists once something was committed).
                    let synced = match file.take() {
                        Some(f) => Ok(f),
                        None => std::fs::File::open(&wal),
                    }
                    .and_then(|f| {
                        let r = f.sync_data();
                        if r.is_ok() {
                            file = Some(f);
                        }
                        r
                    });
                    let outcome = synced.map_err(|e| format!("syncing the WAL failed: {e}"));
                    for p in waiting {
                        let _ = p.send(Some(outcome.clone()));
                    }
                }
            })?;
        Ok(Self {
            queue,
            #[cfg(test)]
            pause,
        })
    }
}

/// Waits for a batch's outcome (`None`: it was already known to have succeeded).
pub(super) async fn outcome(pending: Option<Outcome>) -> Result<(), StoreError> {
    let Some(mut done) = pending else {
        return Ok(());
    };
    let _ = done.wait_for(Option::is_some).await;
    let outcome = done.borrow().clone();
    match outcome {
        Some(Ok(())) => Ok(()),
        Some(Err(why)) => Err(StoreError::Unavailable(format!("commit failed: {why}"))),
        None => Err(StoreError::Unavailable("commit outcome lost".into())),
    }
}

/// The one write connection and the database transaction currently open on it.
pub(super) struct Writer {
    /// `None` once the store is closed.
    pub(super) conn: Option<SqliteConnection>,
    pub(super) batch: Option<Batch>,
    /// An empty savepoint `tx` is open for the next member (opened in the same round trip
    /// that released the previous one, so a member waiting for the writer starts at once).
    pub(super) ready: bool,
    /// A member was dropped without committing: its savepoint must be rolled back before the
    /// connection is used again.
    pub(super) dirty: bool,
    /// Woken after each COMMIT: the WAL has grown, the checkpointer may copy it back.
    pub(super) committed: Arc<Notify>,
    /// Syncs the WAL after each COMMIT before the members hear of it (`synchronous=FULL`).
    pub(super) syncer: Option<Syncer>,
}

/// Write transactions sharing one database transaction.
pub(super) struct Batch {
    pub(super) id: u64,
    /// Members that released their savepoint and wait for the COMMIT.
    pub(super) members: usize,
    pub(super) started: Instant,
    /// The COMMIT's outcome, published once.
    pub(super) done: watch::Sender<Option<Result<(), String>>>,
}

/// A hold on the writer: the connection's guard, which adds the time it was held to the
/// queue's [`WriterQueue::busy`] when it is let go.
pub(super) struct Held {
    guard: OwnedMutexGuard<Writer>,
    since: Instant,
    busy: Arc<AtomicU64>,
}

impl Held {
    fn new(guard: OwnedMutexGuard<Writer>, busy: &Arc<AtomicU64>) -> Self {
        Self {
            guard,
            since: Instant::now(),
            busy: busy.clone(),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let held = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.busy.fetch_add(held, Ordering::Relaxed);
    }
}

impl Deref for Held {
    type Target = Writer;
    fn deref(&self) -> &Writer {
        &self.guard
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.guard
    }
}

/// Queues writers for the one connection and batches their commits.
pub(super) struct WriterQueue {
    pub(super) lock: Arc<Mutex<Writer>>,
    /// Nanoseconds the connection has been held by write transactions (their statements,
    /// the use case's work between them, the COMMITs) since the store opened: against the
    /// wall clock, how busy the one writer is (`Store::writer_busy`).
    pub(super) busy: Arc<AtomicU64>,
    /// Writers waiting in `Store::write` for the connection (not members awaiting a COMMIT).
    pub(super) waiting: AtomicUsize,
    pub(super) next_batch: AtomicU64,
    pub(super) acquire_timeout: Duration,
}

/// Counts a writer in the queue until it has the connection or gives up.
pub(super) struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// SQLite's "database is locked" (SQLITE_BUSY and its extended codes): another connection
/// holds the lock.
pub(super) fn is_busy(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5))
}

/// Copies the WAL back into the database file after commits, on `conn` — a connection with
/// a thread of its own, so the checkpoint's fsyncs never hold up the writer or the runtime.
/// PASSIVE: it never waits for readers or the writer, it copies what it can now. Ends when
/// `stop` is notified (the store closes) or the connection fails.
pub(super) async fn checkpoint_loop(
    mut conn: SqliteConnection,
    committed: Arc<Notify>,
    stop: Arc<Notify>,
) {
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

pub(super) fn closed() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

impl Writer {
    pub(super) fn conn(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        self.conn.as_mut().ok_or_else(closed)
    }

    /// Runs statements without parameters, several in one round trip to SQLite's thread.
    pub(super) async fn exec(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn()?.execute(sql).await.map_err(err)?;
        Ok(())
    }

    /// Rolls back the savepoint of a member dropped without committing (it stays open,
    /// empty, for the next member). If even that fails, the whole batch fails.
    pub(super) async fn clean(&mut self) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        match self.exec("ROLLBACK TO tx").await {
            Ok(()) => self.ready = true,
            Err(e) => self.abort_batch(e.to_string()).await,
        }
    }

    /// Commits the open batch (`sql` is [`COMMIT`], or [`RELEASE_AND_COMMIT`] for the member
    /// committing it) and tells the members the outcome — with a [`Syncer`], once it has
    /// synced the WAL: then the outcome to wait for (after releasing the writer) is returned.
    pub(super) async fn commit_batch(&mut self, sql: &str) -> Result<Option<Outcome>, StoreError> {
        let Some(batch) = self.batch.take() else {
            return Ok(None);
        };
        self.ready = false;
        let result = self.exec(sql).await;
        if result.is_ok() {
            self.committed.notify_one();
            if let Some(syncer) = &self.syncer {
                let pending = batch.done.subscribe();
                if let Err(unsent) = syncer.queue.send(batch.done) {
                    let _ = unsent
                        .0
                        .send(Some(Err("the WAL syncer has stopped".into())));
                }
                return Ok(Some(pending));
            }
        } else {
            // A failed COMMIT may leave the transaction open (e.g. a deferred constraint).
            let _ = self.exec("ROLLBACK").await;
        }
        let _ = batch
            .done
            .send(Some(result.as_ref().map(|_| ()).map_err(|e| e.to_string())));
        result.map(|()| None)
    }

    /// Rolls the open batch back: its members' `commit()` fail with `why`.
    pub(super) async fn abort_batch(&mut self, why: String) {
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
    pub(super) async fn begin(&self) -> Result<Held, StoreError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let in_queue = InQueue(&self.waiting);
        let w = tokio::time::timeout(self.acquire_timeout, self.lock.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for the writer".into()))?;
        let mut w = Held::new(w, &self.busy);
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
    pub(super) async fn settle(&self, w: &mut Writer) {
        w.clean().await;
        match &w.batch {
            Some(b) if b.members == 0 => w.abort_batch("nothing to commit".into()).await,
            Some(_) if self.waiting.load(Ordering::SeqCst) == 0 => {
                let _ = w.commit_batch(COMMIT).await;
            }
            _ => {}
        }
    }

    /// Commits a member: releases its savepoint, then commits the batch now or waits for
    /// the member who does.
    pub(super) async fn commit(&self, mut w: Held) -> Result<(), StoreError> {
        let batch = w.batch.as_mut().expect("a savepoint lives in a batch");
        batch.members += 1;
        if self.waiting.load(Ordering::SeqCst) == 0
            || batch.members >= MAX_BATCH
            || batch.started.elapsed() >= MAX_BATCH_AGE
        {
            let pending = w.commit_batch(RELEASE_AND_COMMIT).await?;
            drop(w);
            return outcome(pending).await;
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
            w = self.lock.clone().lock_owned() => Some(Some(Held::new(w, &self.busy))),
        };
        if let Some(Some(mut w)) = taken_back {
            w.clean().await;
            if w.batch.as_ref().is_some_and(|b| b.id == id) {
                let pending = w.commit_batch(COMMIT).await?;
                drop(w);
                return outcome(pending).await;
            }
        }
        // Committed by another member (and perhaps still being synced).
        outcome(Some(done)).await
    }
}

/// The connection of a transaction: a snapshot from the read pool, or the writer's
/// connection inside this transaction's savepoint.
pub(super) enum Conn {
    Read(sqlx::Transaction<'static, Db>),
    Write(WriteTx),
}

/// A write transaction's hold on the writer. Dropped without commit, its savepoint is rolled
/// back (in a task, since drop cannot wait) and the batch settled.
pub(super) struct WriteTx {
    pub(super) guard: Option<Held>,
    pub(super) queue: Arc<WriterQueue>,
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
