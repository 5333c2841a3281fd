use thiserror::Error;

/// What can go wrong in a backend, in terms the use cases can act on. Messages never carry
/// the values of a row (they may be personal data), only table, column and constraint names.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint was violated; `constraint` names the index or the columns.
    #[error("a record with the same {constraint} already exists")]
    Duplicate { constraint: String },
    /// A foreign key pointed at a row that does not exist (or a row still referenced was deleted).
    #[error("a referenced record does not exist or is still in use")]
    BrokenReference,
    /// A text value holds a character the database cannot store (U+0000 on PostgreSQL).
    #[error("a text value contains a character that cannot be stored (U+0000)")]
    InvalidText,
    /// The database could not be reached or is overloaded (pool timeout, connection refused).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database aborted the transaction to resolve a conflict with another one (PostgreSQL
    /// SQLSTATE 40P01 deadlock, 40001 serialization failure). Nothing of it was committed;
    /// running the whole transaction again from its start succeeds (see [`crate::attempt`]).
    #[error("the transaction met a concurrent one and was rolled back: {0}")]
    Contention(String),
    /// The operation is not supported by this backend.
    #[error("not supported on this database: {0}")]
    Unsupported(&'static str),
    /// Stored data could not be read back into its type (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Anything else the driver reported.
    #[error("database error: {0}")]
    Other(String),
}
