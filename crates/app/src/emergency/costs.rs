//! What an incident cost (issue 15 item 9): staff enter each line — what, how much in fen,
//! recorded with who and when — for the post-incident report, open or closed (invoices
//! arrive after the incident ends), a drill too. A line is never changed once entered; each
//! is a line of the timeline and an entry of the audit chain.

use crate::page::Page;
use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::emergency::EventKind;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{CostTotals, IncidentCost};
use uuid::Uuid;

/// The most one line may be: ¥100,000,000 (a larger amount is a typing slip).
pub const MAX_COST_FEN: i64 = 10_000_000_000;

/// A line of cost to enter.
#[derive(Debug, Clone)]
pub struct NewIncidentCost {
    /// What was spent (1 to 200 characters, one line).
    pub what: String,
    /// In fen, 1 to [`MAX_COST_FEN`].
    pub amount_fen: i64,
}

impl App {
    /// Enters a line of an incident's costs (needs `manage_incidents`; audited).
    pub async fn add_incident_cost(
        &self,
        p: &Principal,
        incident_id: Uuid,
        input: NewIncidentCost,
    ) -> Result<IncidentCost, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields: Vec<FieldError> = Vec::new();
        let what = check_text(&mut fields, "what", &input.what, 200, Lines::One);
        if !(1..=MAX_COST_FEN).contains(&input.amount_fen) {
            fields.push(FieldError::new(
                "amount_fen",
                "out_of_range",
                format!("amount_fen is 1 to {MAX_COST_FEN}"),
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        if tx.get_incident(incident_id).await?.is_none() {
            return Err(AppError::NotFound("incident"));
        }
        let mut cost = IncidentCost {
            id: Uuid::now_v7(),
            incident_id,
            what,
            amount_fen: input.amount_fen,
            entered_by: Some(p.user_id).filter(|u| !u.is_nil()),
            entered_at: now,
            entered_by_name: String::new(),
        };
        tx.insert_incident_cost(&cost).await?;
        let detail = json!({ "cost_id": cost.id, "what": &cost.what,
                             "amount_fen": cost.amount_fen });
        self.record_step(
            &mut *tx,
            p,
            incident_id,
            EventKind::Cost,
            AuditAction::IncidentCost,
            None,
            detail,
        )
        .await?;
        tx.commit().await?;
        cost.entered_by_name = p.display_name.clone();
        Ok(cost)
    }

    /// An incident's cost lines, oldest first, and its totals (with its remedies' refunds).
    pub async fn incident_costs(
        &self,
        p: &Principal,
        incident_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<(Page<IncidentCost>, CostTotals), AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        if r.get_incident(incident_id).await?.is_none() {
            return Err(AppError::NotFound("incident"));
        }
        let rows = r
            .list_incident_costs(
                incident_id,
                Page::<IncidentCost>::fetch_limit(limit),
                offset,
            )
            .await?;
        let totals = r.incident_cost_totals(incident_id).await?;
        Ok((Page::of(rows, limit), totals))
    }
}
