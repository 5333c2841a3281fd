//! What an incident cost and the drill records (issue 15 item 9): [`IncidentCostRepo`] keeps
//! the lines staff enter (what, how much, who, when), adds them up with the refunds the
//! incident's remedies led to, and lists the drills with their count by period.

use super::Incident;
use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// One line of an incident's costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCost {
    pub id: Uuid,
    pub incident_id: Uuid,
    /// What was spent (a coach hired, rooms for a night).
    pub what: String,
    /// Above 0.
    pub amount_fen: i64,
    pub entered_by: Option<Uuid>,
    pub entered_at: Timestamp,
    /// The display name of who entered it (read with the row; ignored on writes).
    pub entered_by_name: String,
}

/// An incident's money: the lines entered and the refunds of its remedies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CostTotals {
    /// The lines entered, and their sum.
    pub lines: u64,
    pub entered_fen: i64,
    /// Refunds chosen by customers (as quoted in the offer), how many and their sum.
    pub refunds: u64,
    pub refunds_fen: i64,
    /// Refunds still offered (not chosen yet): what the incident may still cost.
    pub offered_refunds_fen: i64,
}

#[async_trait]
pub trait IncidentCostRepo: Send {
    async fn insert_incident_cost(&mut self, cost: &IncidentCost) -> Result<(), StoreError>;
    /// The incident's lines, oldest first.
    async fn list_incident_costs(
        &mut self,
        incident_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentCost>, StoreError>;
    async fn incident_cost_totals(&mut self, incident_id: Uuid) -> Result<CostTotals, StoreError>;
    /// Drills, newest first.
    async fn list_drills(&mut self, limit: u32, offset: u64) -> Result<Vec<Incident>, StoreError>;
    /// How many drills were declared in `[from, to)`.
    async fn count_drills(&mut self, from: Timestamp, to: Timestamp) -> Result<u64, StoreError>;
    /// When the first drill was declared (`None`: no drill yet).
    async fn first_drill_at(&mut self) -> Result<Option<Timestamp>, StoreError>;
}
