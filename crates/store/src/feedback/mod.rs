//! Records and repository of feedback classification: the categories and sentiment of each
//! complaint, feedback ticket and survey comment, and the counts staff corrections taught the
//! classifier (`tripdesk_domain::feedback`).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
pub use tripdesk_domain::feedback::FeedbackSource;
use tripdesk_domain::feedback::{Category, ModelKind, Sentiment};
use uuid::Uuid;

/// One classified text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackItem {
    pub source: FeedbackSource,
    pub item_id: Uuid,
    /// The ticket (of a survey: the ticket it followed up).
    pub ticket_id: Uuid,
    /// When the text arrived.
    pub at: Timestamp,
    /// Most likely first, never empty.
    pub categories: Vec<Category>,
    pub sentiment: Sentiment,
    /// Probability the text is positive, in thousandths (staff's correction: 1000 or 0).
    pub score: u16,
    pub classified_at: Timestamp,
    pub corrected_by: Option<Uuid>,
    pub corrected_at: Option<Timestamp>,
    /// What the item's last correction taught the model (taken back by the next one).
    pub trained: Option<(Vec<Category>, Sentiment)>,
}

/// Which classified texts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackFilter {
    pub source: Option<FeedbackSource>,
    pub category: Option<Category>,
    pub sentiment: Option<Sentiment>,
    /// Only corrected (true) or only not yet corrected (false).
    pub corrected: Option<bool>,
    /// Arrived at or after / before.
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// One learned count (see [`FeedbackRepo::add_learned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedCount {
    pub model: ModelKind,
    pub label: String,
    /// A word, or `#docs` / `#tokens` (the label's totals).
    pub term: String,
    pub count: i64,
}

#[async_trait]
pub trait FeedbackRepo: Send {
    /// Inserts the item, or replaces the one of the same source and item.
    async fn put_feedback(&mut self, item: &FeedbackItem) -> Result<(), StoreError>;
    async fn get_feedback(
        &mut self,
        source: FeedbackSource,
        item_id: Uuid,
    ) -> Result<Option<FeedbackItem>, StoreError>;
    /// Newest first (by arrival, then item).
    async fn list_feedback(
        &mut self,
        filter: &FeedbackFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<FeedbackItem>, StoreError>;
    async fn count_feedback(&mut self, filter: &FeedbackFilter) -> Result<u64, StoreError>;
    /// A ticket's items (the ticket's own and its surveys'), oldest first.
    async fn ticket_feedback(&mut self, ticket_id: Uuid) -> Result<Vec<FeedbackItem>, StoreError>;
    /// The learned counts of these terms and every label's totals.
    async fn learned_counts(&mut self, terms: &[String]) -> Result<Vec<LearnedCount>, StoreError>;
    /// Adds each count to the stored one (a missing row counts zero); a row that reaches
    /// zero is removed, its term with it.
    async fn add_learned(&mut self, counts: &[LearnedCount]) -> Result<(), StoreError>;
}
