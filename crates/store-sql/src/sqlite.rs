//! The SQLite backend: one file in the data directory, WAL journal, foreign keys on, one
//! writer connection (writes queue in the pool instead of spinning on SQLITE_BUSY) and a pool
//! of read-only connections that read snapshots while the writer works.

use crate::convert::err;
use crate::PoolSettings;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tripdesk_store::{Backend, ColumnOutline, DueSignal, Store, StoreError, Tx};

pub type Db = sqlx::Sqlite;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "tripdesk.db";

pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    reader: SqlitePool,
    signal: Arc<DueSignal>,
    /// Woken after a commit that enqueued outbox messages.
    outbox_signal: Arc<Notify>,
}

/// Claiming due SLA clocks needs no row lock on SQLite: a write transaction (`BEGIN
/// IMMEDIATE`) already excludes every other writer, of this process and of others.
const CLAIM_LOCK: &str = "";

/// A transaction on the SQLite store.
pub struct SqlTx {
    tx: sqlx::Transaction<'static, Db>,
    /// The earliest `next_due_at` of the SLA clocks written in this transaction, announced
    /// to the SLA engine once the transaction commits.
    due_min: Option<i64>,
    signal: Arc<DueSignal>,
    /// Set when this transaction enqueued outbox messages: committing wakes the workers.
    enqueued: bool,
    outbox_signal: Arc<Notify>,
}

impl SqlTx {
    fn new(tx: sqlx::Transaction<'static, Db>, store: &SqliteStore) -> Self {
        Self {
            tx,
            due_min: None,
            signal: store.signal.clone(),
            enqueued: false,
            outbox_signal: store.outbox_signal.clone(),
        }
    }

    /// Remembers a clock's next due instant for the announcement at commit.
    fn note_due(&mut self, due: Option<i64>) {
        if let Some(d) = due {
            self.due_min = Some(self.due_min.map_or(d, |m| m.min(d)));
        }
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
            .pragma("cache_size", "-32000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Other(format!("migrating SQLite: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(2))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(base.read_only(true))
            .await
            .map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            reader,
            signal: Arc::new(DueSignal::default()),
            outbox_signal: Arc::new(Notify::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
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
        Ok(Box::new(SqlTx::new(tx, self)))
    }

    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        // IMMEDIATE takes the write lock now, so a transaction never fails half-way because
        // another process (a CLI command, a backup) wrote in between.
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(err)?;
        Ok(Box::new(SqlTx::new(tx, self)))
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
        // VACUUM INTO writes a transactionally consistent copy while others keep working.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.reader)
            .await
            .map_err(err)?;
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

    fn sla_due_signal(&self) -> Arc<DueSignal> {
        self.signal.clone()
    }

    async fn listen_sla_due(&self) -> Result<(), StoreError> {
        // SQLite has no notification channel between processes; engines on one file find each
        // other's clocks at their bounded re-check (see the SLA engine).
        Ok(())
    }

    fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

#[async_trait]
impl Tx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqlTx {
            tx,
            due_min,
            signal,
            enqueued,
            outbox_signal,
        } = *self;
        tx.commit().await.map_err(err)?;
        if enqueued {
            outbox_signal.notify_waiters();
        }
        if let Some(due) = due_min {
            signal.offer(due);
        }
        Ok(())
    }
}
