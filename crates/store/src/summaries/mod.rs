//! What a periodic summary reads (issue 18 item 3): the complaints received in a period, the
//! rectification and improvement tasks live in it, and the record that a period's summary
//! was sent — one row per cadence and period, so the scheduled e-mail goes out once however
//! many times the job runs or however many nodes run it.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::desk::{Level, State};
use uuid::Uuid;

/// A complaint as a summary lists it (no subject or customer: the summary goes by e-mail).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryComplaint {
    pub id: Uuid,
    pub number: String,
    pub level: Level,
    pub state: State,
    pub business_area: Option<String>,
    pub cause: Option<String>,
    pub compensation_amount_fen: Option<i64>,
    pub created_at: Timestamp,
}

/// A rectification or improvement task as a summary lists it, with its ticket's number.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryTask {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub ticket_number: String,
    /// `rectification` or `improvement`.
    pub kind: String,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub title: String,
    pub created_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
}

#[async_trait]
pub trait SummaryRepo: Send {
    /// The complaints created in `[from, until)`, oldest first.
    async fn summary_complaints(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<SummaryComplaint>, StoreError>;

    /// The rectification and improvement tasks live in `[from, until)`: created before
    /// `until` and not done before `from`; oldest first.
    async fn summary_tasks(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<SummaryTask>, StoreError>;

    /// Records that the summary of the period (`cadence`, first day) was sent; false when it
    /// was recorded before (a conditional insert: one wins across nodes).
    async fn record_summary_sent(
        &mut self,
        cadence: &str,
        period_from: Date,
        recipients: i64,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Whether the summary of the period was sent, and when.
    async fn summary_sent_at(
        &mut self,
        cadence: &str,
        period_from: Date,
    ) -> Result<Option<Timestamp>, StoreError>;
}
