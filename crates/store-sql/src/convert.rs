//! Conversions between domain values and the columns both backends share: ids as UUID text,
//! instants as epoch milliseconds, and driver errors into `StoreError`.

use jiff::Timestamp;
use tripdesk_store::StoreError;
use uuid::Uuid;

pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn opt_ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(ms)
}

pub fn ts(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
}

pub fn opt_ts(ms: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    ms.map(ts).transpose()
}

pub fn id(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt("id is not a UUID".into()))
}

pub fn opt_id(text: Option<String>) -> Result<Option<Uuid>, StoreError> {
    text.as_deref().map(id).transpose()
}

/// A civil date as `YYYY-MM-DD` text (sorts as it compares).
pub fn day(d: jiff::civil::Date) -> String {
    d.to_string()
}

pub fn parse_day(text: &str) -> Result<jiff::civil::Date, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt("a stored day is not a date".into()))
}

/// A row's JSON column as its domain type.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise to JSON")
}

/// Maps a driver error — the one place SQLSTATEs become `StoreError`s. Constraint names
/// (never values) are kept for `Duplicate`.
pub fn err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                // PostgreSQL names the index; SQLite says "UNIQUE constraint failed: t.col".
                let constraint = db.constraint().map(str::to_string).unwrap_or_else(|| {
                    db.message()
                        .rsplit(": ")
                        .next()
                        .unwrap_or("key")
                        .to_string()
                });
                StoreError::Duplicate { constraint }
            } else if db.is_foreign_key_violation() {
                StoreError::BrokenReference
            } else if matches!(db.code().as_deref(), Some("40P01") | Some("40001")) {
                // Deadlock detected / serialization failure: PostgreSQL rolled this
                // transaction back so another could go on. Told to the request's attempt,
                // which serves the request again (see `tripdesk_store::attempt`).
                tripdesk_store::attempt::note_contention();
                StoreError::Contention(db.message().to_string())
            } else if matches!(db.code().as_deref(), Some("22021") | Some("22P05")) {
                // PostgreSQL refuses U+0000 in text; SQLite would store it. Refuse on both
                // (see `reject_nul`) and map what still reaches PostgreSQL to a clear error.
                StoreError::InvalidText
            } else {
                StoreError::Other(db.message().to_string())
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

/// Reduces a declared column type to a class both backends share.
pub fn type_class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let class = if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real")
        || t.contains("double")
        || t.contains("float")
        || t.contains("numeric")
    {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else if t.contains("bool") {
        "boolean"
    } else {
        return t;
    };
    class.to_string()
}
