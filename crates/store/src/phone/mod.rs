//! Records and repository of phone calls (issue 17 item 3): the hotline's calls as the PBX
//! reported them (an imported call-detail file, later the CTI webhook), each with the
//! customer's number sealed by the vault and kept as its blind index, matched to a customer
//! when one holds that phone. The same call imported twice is one row (the unique key
//! `(source, call_key)`, held by the database).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::phone::{Direction, Disposition};
use uuid::Uuid;

/// A call as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: Uuid,
    /// `cdr` (an imported file) or `cti` (the PBX's live events).
    pub source: String,
    /// The PBX's id of the call, blinded (it may be built from the numbers).
    pub call_key: String,
    pub direction: Direction,
    /// The hotline number or queue called, or the extension calling out.
    pub line: String,
    /// The extension that answered or called.
    pub agent: Option<String>,
    pub customer_id: Option<Uuid>,
    /// The customer's number, sealed for this call's id; `None` once erased.
    pub number_sealed: Option<String>,
    /// The number's blind index as a customer's phone (E.164), when it reads as one.
    pub number_index: Option<String>,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Timestamp,
    pub ring_secs: i64,
    pub talk_secs: i64,
    pub disposition: Disposition,
    pub imported_at: Timestamp,
    pub imported_by: Option<Uuid>,
}

/// Which calls to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub customer_id: Option<Uuid>,
    pub direction: Option<Direction>,
    /// Calls started at or after.
    pub from: Option<Timestamp>,
    /// Calls started before.
    pub to: Option<Timestamp>,
}

#[async_trait]
pub trait CallRepo {
    /// Inserts the calls not stored yet (by `(source, call_key)`); how many were new.
    async fn insert_calls(&mut self, calls: &[CallRecord]) -> Result<u64, StoreError>;
    /// Newest first.
    async fn list_calls(
        &mut self,
        filter: &CallFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallRecord>, StoreError>;
    /// Erasure: forgets the number of the customer's calls and of calls from one of their
    /// phones (by blind index), and unlinks them; the call's times stay for the statistics.
    async fn erase_calls(
        &mut self,
        customer_id: Uuid,
        number_indexes: &[String],
    ) -> Result<u64, StoreError>;
}
