//! A fresh store for each test: SQLite in a temporary directory by default, or a new schema
//! in the PostgreSQL database named by `TRIPDESK_TEST_DATABASE_URL` when that is set. Both go
//! away with the value that holds them: the directory is removed, the schema dropped.

use crate::{postgres::PgStore, sqlite::SqliteStore, Location, PoolSettings};
use std::sync::Arc;
use tripdesk_store::Store;

/// The environment variable that moves the whole test suite onto PostgreSQL.
pub const TEST_DATABASE_URL: &str = "TRIPDESK_TEST_DATABASE_URL";

/// A store that lives as long as this value (the SQLite directory is removed, the
/// PostgreSQL schema dropped, when it is dropped).
pub struct TestStore {
    pub store: Arc<dyn Store>,
    /// Where the store lives, for starting a second server or a CLI command on it.
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<SchemaGuard>,
}

/// Drops a PostgreSQL test schema (and everything in it) when dropped.
///
/// `Drop` cannot await and may run on a runtime's worker thread, where blocking on that
/// runtime would deadlock: the drop runs on a thread of its own with its own single-threaded
/// runtime and connection, and is waited for, so the schema is gone when the test ends.
/// The test's own connections may still hold locks in the schema (sqlx rolls a dropped
/// transaction back on a task of the runtime this drop is blocking): the backends holding
/// locks on the schema's tables — only this test's, the schema is its own — are terminated
/// first. A lock timeout keeps anything else from hanging the test; the schema is then left
/// behind with a warning (CI drops the whole database at the end).
pub struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl SchemaGuard {
    /// The guard of `schema` in the database at `admin_url` (a URL without `search_path`).
    pub fn new(admin_url: &str, schema: &str) -> Self {
        assert!(
            schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "schema name must be [A-Za-z0-9_]"
        );
        Self {
            admin_url: admin_url.to_string(),
            schema: schema.to_string(),
        }
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            use sqlx::Connection;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                let sql = format!(
                    "SET lock_timeout = '5s';
                     SELECT pg_terminate_backend(pid) FROM (
                         SELECT DISTINCT l.pid FROM pg_locks l
                         JOIN pg_class c ON c.oid = l.relation
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = '{schema}' AND l.pid <> pg_backend_pid()) held;
                     DROP SCHEMA IF EXISTS {schema} CASCADE"
                );
                let mut done = Ok(());
                // A connection may take a lock between the two statements: try again.
                for _ in 0..3 {
                    done = sqlx::raw_sql(&sql).execute(&mut conn).await.map(drop);
                    if done.is_ok() {
                        break;
                    }
                }
                let _ = conn.close().await;
                done.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test schema {} left behind: {e}", self.schema),
            Err(_) => eprintln!("test schema {} left behind: the drop panicked", self.schema),
        }
    }
}

/// A new, empty PostgreSQL schema for processes a test starts; dropped with this value.
pub struct EmptySchema {
    /// A URL selecting the schema (`search_path`).
    pub url: String,
    _guard: SchemaGuard,
}

/// The PostgreSQL URL of the test run, if the suite runs on PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A migrated, empty store of the backend this test run targets.
pub async fn fresh_store() -> TestStore {
    match postgres_url() {
        Some(url) => fresh_postgres(&url).await,
        None => fresh_sqlite().await,
    }
}

pub async fn fresh_sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path(), &PoolSettings::default())
        .await
        .expect("open SQLite test store");
    TestStore {
        store: Arc::new(store),
        location: Location::SqliteDir(dir.path().to_path_buf()),
        _dir: Some(dir),
        _schema: None,
    }
}

/// A new, empty schema `t_<uuid>` in the database at `url`: nothing migrated, as a new
/// database would be (for nodes that must migrate it themselves). Keep the value until the
/// nodes using it are stopped: dropping it drops the schema.
pub async fn empty_postgres(url: &str) -> EmptySchema {
    use sqlx::Connection;
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the PostgreSQL test database");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create an empty schema");
    let _ = conn.close().await;
    EmptySchema {
        url: schema_url(url, &schema),
        _guard: SchemaGuard::new(url, &schema),
    }
}

fn schema_url(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// A new schema named `t_<uuid>` in the database at `url`; the URL handed out selects it.
pub async fn fresh_postgres(url: &str) -> TestStore {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let settings = PoolSettings {
        max_connections: 8,
        ..PoolSettings::default()
    };
    // Guarded before it exists: a failed open leaves nothing behind either.
    let guard = SchemaGuard::new(url, &schema);
    let store = PgStore::open(url, &settings, Some(&schema))
        .await
        .expect("open PostgreSQL test store");
    TestStore {
        store: Arc::new(store),
        location: Location::Postgres(schema_url(url, &schema)),
        _dir: None,
        _schema: Some(guard),
    }
}

/// Runs `sql` on the test's database beside the store (its own connection): for a test that
/// stands in for a capability with tables no migration creates.
pub async fn execute_beside(location: &Location, sql: &str) {
    use sqlx::Connection;
    match location {
        Location::SqliteDir(dir) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join("tripdesk.db"))
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open the SQLite test database");
            sqlx::raw_sql(sql)
                .execute(&mut conn)
                .await
                .expect("run the test's SQL");
            let _ = conn.close().await;
        }
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to the PostgreSQL test schema");
            sqlx::raw_sql(sql)
                .execute(&mut conn)
                .await
                .expect("run the test's SQL");
            let _ = conn.close().await;
        }
    }
}
