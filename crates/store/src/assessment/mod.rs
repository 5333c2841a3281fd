//! Records and repository of staff assessment (`tripdesk_domain::assessment`): monthly
//! cycles, the supervisor, peer and self ratings entered in them, training records, the
//! rewards and corrections decided on the results; and the figures read from other
//! capabilities — customers' survey answers per agent, emergency drills per team member.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::assessment::{ActionKind, CycleState, Marks, RaterKind, Subject};
use uuid::Uuid;

/// A month's assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentCycle {
    pub id: Uuid,
    /// `YYYY-MM`, one cycle per month.
    pub month: String,
    pub state: CycleState,
    pub opened_by: Uuid,
    pub opened_at: Timestamp,
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<Timestamp>,
}

/// A supervisor's, peer's or self rating of an agent in a cycle: one per rater, ratee and
/// kind (entering it again replaces it while the cycle is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRating {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub ratee_id: Uuid,
    pub rater_id: Uuid,
    pub kind: RaterKind,
    pub marks: Marks,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// A training a member of staff attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub on_date: Date,
    /// Hours, in tenths (15 = 1.5 h).
    pub hours_tenths: i64,
    pub recorded_by: Uuid,
    pub recorded_at: Timestamp,
}

/// A reward or correction recorded on a cycle's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentAction {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub subject: Subject,
    /// The user or the department.
    pub subject_id: Uuid,
    pub kind: ActionKind,
    pub note: String,
    pub recorded_by: Uuid,
    pub recorded_at: Timestamp,
}

#[async_trait]
pub trait AssessmentRepo: Send {
    /// `Duplicate` when the month has a cycle.
    async fn insert_cycle(&mut self, cycle: &AssessmentCycle) -> Result<(), StoreError>;
    async fn get_cycle(&mut self, month: &str) -> Result<Option<AssessmentCycle>, StoreError>;
    /// Newest month first.
    async fn list_cycles(
        &mut self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AssessmentCycle>, StoreError>;
    /// Closes an open cycle (one conditional update); false when it was not open.
    async fn close_cycle(&mut self, id: Uuid, by: Uuid, at: Timestamp) -> Result<bool, StoreError>;
    /// Inserts, or replaces the rating of the same cycle, ratee, rater and kind.
    async fn put_rating(&mut self, rating: &StaffRating) -> Result<(), StoreError>;
    /// A cycle's ratings, oldest first.
    async fn list_ratings(&mut self, cycle_id: Uuid) -> Result<Vec<StaffRating>, StoreError>;
    /// Customers' satisfaction (1–5) from the surveys answered in `[from, until)`, each for
    /// the agent the ticket was assigned to (else the one who took it in).
    async fn survey_satisfaction(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Uuid, u8)>, StoreError>;
    /// For each member of an emergency team, how many drills declared in `[from, until)`
    /// they were on the team of.
    async fn drill_counts(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Uuid, u64)>, StoreError>;
    async fn insert_training(&mut self, record: &TrainingRecord) -> Result<(), StoreError>;
    /// The trainings on days in `[from, until)`, by day.
    async fn list_training(
        &mut self,
        from: Date,
        until: Date,
    ) -> Result<Vec<TrainingRecord>, StoreError>;
    async fn insert_assessment_action(
        &mut self,
        action: &AssessmentAction,
    ) -> Result<(), StoreError>;
    /// A cycle's rewards and corrections, oldest first.
    async fn list_assessment_actions(
        &mut self,
        cycle_id: Uuid,
    ) -> Result<Vec<AssessmentAction>, StoreError>;
}
