//! Records and repository of phone calls (issue 17 item 3): the hotline's calls as the PBX
//! reported them (an imported call-detail file, later the CTI webhook), each with the
//! customer's number sealed by the vault and kept as its blind index, matched to a customer
//! when one holds that phone. The same call imported twice is one row (the unique key
//! `(source, call_key)`, held by the database).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::phone::cti::EventKind;
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
    /// The callback task this missed call is counted on (once).
    pub callback_task_id: Option<Uuid>,
    /// The ticket an agent turned the call into.
    pub ticket_id: Option<Uuid>,
}

/// One CTI event as kept: once per `(call_key, kind)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEventRecord {
    /// The PBX's call id, blinded.
    pub call_key: String,
    pub kind: EventKind,
    pub at: Timestamp,
    pub direction: Direction,
    pub line: String,
    pub agent: Option<String>,
    /// The customer's number sealed for the `call_key`; `None` when withheld or erased.
    pub number_sealed: Option<String>,
    /// Its blind index as a customer's phone.
    pub number_index: Option<String>,
    pub received_at: Timestamp,
}

/// A missed inbound call to be called back: one open task per number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTask {
    pub id: Uuid,
    /// The number's blind index as a customer's phone (`None` once erased).
    pub number_index: Option<String>,
    /// The number, sealed for the task's id.
    pub number_sealed: Option<String>,
    pub customer_id: Option<Uuid>,
    /// The line of the last missed call.
    pub line: String,
    pub missed_count: i64,
    pub first_missed_at: Timestamp,
    pub last_missed_at: Timestamp,
    pub created_at: Timestamp,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<Uuid>,
    /// `reached`, `no_answer`, `voicemail`, `wrong_number` (an agent's), `withdrawn` (its
    /// only missed call turned out answered).
    pub outcome: Option<String>,
    /// The agent's note, sealed for the task's id.
    pub note_sealed: Option<String>,
    /// The outbound call that reached the number.
    pub callback_call_id: Option<Uuid>,
}

/// Which callback tasks to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackFilter {
    /// Only open tasks (oldest first); otherwise all, newest first.
    pub open: bool,
    pub customer_id: Option<Uuid>,
}

/// Which calls to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub customer_id: Option<Uuid>,
    pub direction: Option<Direction>,
    /// Only unanswered calls.
    pub missed: bool,
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

    async fn get_call(&mut self, id: Uuid) -> Result<Option<CallRecord>, StoreError>;
    async fn get_call_by_key(
        &mut self,
        source: &str,
        call_key: &str,
    ) -> Result<Option<CallRecord>, StoreError>;
    /// Writes a stored call's facts, links and number (by id).
    async fn update_call(&mut self, call: &CallRecord) -> Result<(), StoreError>;
    /// Keeps a CTI event unless one of its kind is kept for the call; whether it was new.
    async fn insert_call_event(&mut self, event: &CallEventRecord) -> Result<bool, StoreError>;
    /// The events kept for a call, in kind order.
    async fn call_events(&mut self, call_key: &str) -> Result<Vec<CallEventRecord>, StoreError>;

    /// The open callback task of a number.
    async fn open_callback_task(
        &mut self,
        number_index: &str,
    ) -> Result<Option<CallbackTask>, StoreError>;
    async fn get_callback_task(&mut self, id: Uuid) -> Result<Option<CallbackTask>, StoreError>;
    /// A second open task of a number is a conflict.
    async fn insert_callback_task(&mut self, task: &CallbackTask) -> Result<(), StoreError>;
    /// Writes a task's counts, customer and completion (by id).
    async fn update_callback_task(&mut self, task: &CallbackTask) -> Result<(), StoreError>;
    async fn list_callback_tasks(
        &mut self,
        filter: &CallbackFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallbackTask>, StoreError>;
    /// Erasure: deletes the callback tasks of the customer and of their phones (unlinking
    /// their calls) and forgets the numbers of CTI events from their phones.
    async fn erase_callback_tasks(
        &mut self,
        customer_id: Uuid,
        number_indexes: &[String],
    ) -> Result<u64, StoreError>;
}
