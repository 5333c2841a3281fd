//! The one place every SLA event passes through, inside the transaction that changes the
//! clock: it records the event row, and it is where escalation and the audit log attach.

use crate::{App, AppError};
use jiff::Timestamp;
use tripdesk_store::{SlaClockRecord, SlaEventKind, SlaEventRecord, SlaPolicy, Tx};
use uuid::Uuid;

impl App {
    /// Records one event of `clock` (a firing or a transition) in `tx`. Returns false when
    /// the event was a warning or breach already recorded for this clock (the database's
    /// unique index refused it), in which case nothing else may happen for it.
    ///
    /// `at` is when the event happened (the warning or due instant for firings), `policy`
    /// the clock's policy as configured now (for whom to tell).
    pub(crate) async fn on_sla_event(
        &self,
        tx: &mut dyn Tx,
        clock: &SlaClockRecord,
        kind: SlaEventKind,
        at: Timestamp,
        policy: Option<&SlaPolicy>,
    ) -> Result<bool, AppError> {
        let event = SlaEventRecord {
            id: Uuid::now_v7(),
            clock_id: clock.id,
            kind,
            at,
            recorded_at: self.now(),
            node: self.node().to_string(),
            target_key: clock.clock.target_key().to_string(),
            subject_type: clock.subject_type.clone(),
            subject_id: clock.subject_id.clone(),
        };
        if !tx.insert_sla_event(&event).await? {
            return Ok(false);
        }
        if matches!(kind, SlaEventKind::Warning | SlaEventKind::Breach) {
            let notify = policy.map_or(&[][..], |p| match kind {
                SlaEventKind::Warning => &p.notify_warning[..],
                _ => &p.notify_breach[..],
            });
            // ESCALATION AND AUDIT HOOK. The notifications outbox (escalating to the roles in
            // `notify`, and to the clock's agent and department) and the audit log write their
            // rows here, through `tx`, so they commit exactly when the firing does — once.
            tracing::info!(
                target: "audit",
                event = %format!("sla_{}", kind.as_str()),
                clock_id = %clock.id,
                target_key = %event.target_key,
                subject_type = %clock.subject_type,
                notify = ?notify.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "SLA {}",
                kind.as_str()
            );
        }
        Ok(true)
    }
}
