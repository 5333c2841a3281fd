//! SQLite and PostgreSQL backends of the tripdesk store.
//!
//! The SQL is written once, in `src/shared/*.rs`, and compiled twice: `sqlite.rs` and
//! `postgres.rs` each `include!` the shared files with `Db` bound to their driver. Where the
//! dialects differ (transactions, backups, schema introspection, later job claiming), each
//! backend module writes its own code. Migrations are kept per backend under `migrations/`
//! and a test checks that both produce the same schema outline.

mod convert;
pub mod postgres;
pub mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tripdesk_store::{Store, StoreError};

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// `tripdesk.db` inside this directory (created if missing).
    SqliteDir(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Location {
    /// The command-line options of `tripdesk` that name this location: the inverse of
    /// [`Location::from_options`] (`--data-dir DIR` or `--database-url URL`).
    pub fn command_line(&self) -> Vec<String> {
        match self {
            Location::SqliteDir(dir) => vec!["--data-dir".into(), dir.display().to_string()],
            Location::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    /// `database_url` wins when given; otherwise the SQLite file in `data_dir`.
    pub fn from_options(database_url: Option<&str>, data_dir: PathBuf) -> Result<Self, String> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Location::SqliteDir(data_dir)),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Location::Postgres(u.to_string()))
            }
            Some(u) if u.starts_with("sqlite:") => Ok(Location::SqliteDir(PathBuf::from(
                u.trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:"),
            ))),
            Some(_) => Err(
                "database URL must start with postgres:// or postgresql:// (or sqlite:DIR)"
                    .to_string(),
            ),
        }
    }

    /// A description safe to log: never includes a password.
    pub fn describe(&self) -> String {
        match self {
            Location::SqliteDir(dir) => format!("sqlite:{}", dir.join(sqlite::FILE_NAME).display()),
            Location::Postgres(url) => redact_url(url),
        }
    }
}

/// Tuning shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: `normal` (durable across a process kill; the default) or `full` (also
    /// across a power cut, at one fsync per commit).
    pub sqlite_synchronous_full: bool,
}

impl PoolSettings {
    /// PostgreSQL: how many write transactions of this node hold a connection at once —
    /// three quarters of the pool, so reads (every request authenticates with one) always
    /// find a connection; further writers queue in the process, first come first served.
    pub fn writers(&self) -> u32 {
        (self.max_connections - self.max_connections / 4).max(1)
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
            sqlite_synchronous_full: false,
        }
    }
}

/// Opens (creating if needed) and migrates the store at `location`.
pub async fn open(
    location: &Location,
    settings: &PoolSettings,
) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        Location::SqliteDir(dir) => Ok(Arc::new(sqlite::SqliteStore::open(dir, settings).await?)),
        Location::Postgres(url) => Ok(Arc::new(
            postgres::PgStore::open(url, settings, None).await?,
        )),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.internal:5432/tripdesk"),
            "postgres://app:***@db.internal:5432/tripdesk"
        );
        assert_eq!(
            redact_url("postgres://127.0.0.1/x"),
            "postgres://127.0.0.1/x"
        );
    }

    #[test]
    fn location_from_options() {
        let dir = PathBuf::from("/tmp/x");
        assert!(matches!(
            Location::from_options(None, dir.clone()).unwrap(),
            Location::SqliteDir(_)
        ));
        assert!(matches!(
            Location::from_options(Some("postgresql://h/db"), dir.clone()).unwrap(),
            Location::Postgres(_)
        ));
        assert!(Location::from_options(Some("mysql://h/db"), dir).is_err());
    }
}
