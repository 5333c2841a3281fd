//! A fresh store for each test: SQLite in a temporary directory by default, or a new schema
//! in the PostgreSQL database named by `TRIPDESK_TEST_DATABASE_URL` when that is set.

use crate::{postgres::PgStore, sqlite::SqliteStore, Location, PoolSettings};
use std::sync::Arc;
use tripdesk_store::Store;

/// The environment variable that moves the whole test suite onto PostgreSQL.
pub const TEST_DATABASE_URL: &str = "TRIPDESK_TEST_DATABASE_URL";

/// A store that lives as long as this value (the SQLite directory is removed on drop).
pub struct TestStore {
    pub store: Arc<dyn Store>,
    /// Where the store lives, for starting a second server or a CLI command on it.
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
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
    }
}

/// A URL selecting a new, empty schema `t_<uuid>` in the database at `url`: nothing
/// migrated, as a new database would be (for nodes that must migrate it themselves).
pub async fn empty_postgres(url: &str) -> String {
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
    schema_url(url, &schema)
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
    let store = PgStore::open(url, &settings, Some(&schema))
        .await
        .expect("open PostgreSQL test store");
    TestStore {
        store: Arc::new(store),
        location: Location::Postgres(schema_url(url, &schema)),
        _dir: None,
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
