//! Records and repository of the audit log: an append-only, hash-chained record of every
//! write and every reveal of sensitive data (see `tripdesk_domain::audit` for the chain).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// An entry to append. The store assigns `seq`, `prev_hash` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub id: Uuid,
    pub at: Timestamp,
    /// The acting staff account; `None` for the console or an anonymous attempt.
    pub actor_id: Option<Uuid>,
    /// The actor's username at the time (kept even if the account is renamed).
    pub actor_name: String,
    /// The code of a `tripdesk_domain::audit::AuditAction`, e.g. `customer.reveal`.
    pub action: String,
    /// `customer`, `user`, `department`, `session`, `api_token`, `vault`.
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// JSON object describing the change. Never holds the plaintext of a sensitive value.
    pub summary: String,
}

/// A stored entry with its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps; 0 for an entry committed but not yet linked into the chain
    /// (listings show it first, without `prev_hash`, `hash` and `mac`: see
    /// [`AuditRepo::append_audit`]).
    pub seq: i64,
    pub id: Uuid,
    pub at: Timestamp,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
    /// The MAC of `hash` under the audit key (`tripdesk_domain::audit::entry_mac`); `None`
    /// for entries written without the vault keys.
    pub mac: Option<String>,
}

/// The end of the chain as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    /// `tripdesk_domain::audit::head_mac` once a keyed entry was appended.
    pub mac: Option<String>,
}

impl AuditEntry {
    /// The content the chain hash covers; `ids` holds the entry id and actor id as text
    /// (from [`AuditEntry::id_texts`]).
    pub fn link<'a>(&'a self, ids: &'a (String, String)) -> tripdesk_domain::audit::ChainLink<'a> {
        tripdesk_domain::audit::ChainLink {
            seq: self.seq,
            id: &ids.0,
            at_ms: self.at.as_millisecond(),
            actor_id: &ids.1,
            actor_name: &self.actor_name,
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: self.entity_id.as_deref().unwrap_or(""),
            summary: &self.summary,
            prev_hash: &self.prev_hash,
        }
    }

    /// The entry id and actor id as the chain hashes them.
    pub fn id_texts(&self) -> (String, String) {
        (
            self.id.to_string(),
            self.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        )
    }
}

/// Filters for browsing the log (newest first).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    /// An action (`customer.reveal`) or a prefix ending in `.` (`customer.`).
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
    pub limit: u32,
    pub offset: u32,
}

/// What keys the audit chain: kept with a transaction's pending entries until its commit.
pub type AuditSigner = std::sync::Arc<dyn tripdesk_domain::audit::ChainSigner>;

#[async_trait]
pub trait AuditRepo: Send {
    /// Adds an entry to the audit log **when the transaction commits**, as its last
    /// statements; dropping the transaction drops its entries. SQLite chains them there (the
    /// single writer holds the head anyway): sequence number, hash, MAC under `signer`, and
    /// the head moved. PostgreSQL queues them unlinked, so writers of every node share no
    /// row, and [`crate::Store::link_audit`] chains them moments later (with the linker's
    /// signer); until then listings show them with `seq` 0. Either way, once the chain is
    /// keyed the commit of an entry without a signer is refused (`Unavailable`): an unkeyed
    /// entry after keyed ones would read as MACs stripped.
    async fn append_audit(
        &mut self,
        entry: &NewAuditEntry,
        signer: Option<AuditSigner>,
    ) -> Result<(), StoreError>;
    /// Entries matching the filter, newest first: those not yet linked, then the chain.
    async fn list_audit(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
    async fn count_audit(&mut self, filter: &AuditFilter) -> Result<u64, StoreError>;
    /// Up to `limit` entries with `seq > after_seq`, in chain order (for verification).
    async fn audit_chain(
        &mut self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// The end of the chain (seq 0 and the genesis hash when empty); `None` when the head row
    /// is missing (removed by hand: the chain's end cannot be checked).
    async fn audit_head(&mut self) -> Result<Option<AuditHead>, StoreError>;
}
