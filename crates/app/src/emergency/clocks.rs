//! An incident's clocks toward the tourism authority (issue 15 item 7): the first report
//! (首报: one hour for 较大 and above), the update reports (续报) while it is handled — each
//! one stops its clock and starts the next — and the closing summary (总结报告), due from the
//! moment handling ends (处置结束) and stopped when the incident is closed with it. Each is an
//! SLA clock on the incident under an admin-editable policy, so the deadlines show in the SLA
//! compliance figures with every other promise. The clocks run for the levels whose first
//! report has an hour (较大 and above); a 一般 incident's reports are recorded without one.

use super::INCIDENT_SUBJECT;
use crate::sla::{ClockAction, StartClock};
use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::emergency::EventKind;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{Incident, SlaClockFilter, SlaClockRecord, Tx};
use uuid::Uuid;

/// The SLA target of the first report to the tourism authority.
pub const FIRST_REPORT_TARGET: &str = "incident.first_report";
/// The SLA target of each update report while the incident is handled.
pub const UPDATE_REPORT_TARGET: &str = "incident.update_report";
/// The SLA target of the closing summary once handling has ended.
pub const CLOSING_SUMMARY_TARGET: &str = "incident.closing_summary";

/// An incident's report clocks, as the board and the report show them.
#[derive(Debug, Clone, Default)]
pub struct ReportClocks {
    /// The first report's clock, if the level has one.
    pub first: Option<SlaClockRecord>,
    /// The update reports' clocks in the order they started: each stopped one is an update
    /// made (met or late) or ended with handling; the last may be running.
    pub updates: Vec<SlaClockRecord>,
    /// The closing summary's clock, from the end of handling.
    pub summary: Option<SlaClockRecord>,
}

impl ReportClocks {
    /// The update report due next, if one is.
    pub fn update_due(&self) -> Option<&SlaClockRecord> {
        self.updates
            .last()
            .filter(|c| c.clock.stopped_at().is_none())
    }

    /// Update reports made late: their clock was breached when it stopped.
    pub fn updates_late(&self) -> usize {
        self.updates
            .iter()
            .filter(|c| c.clock.stopped_at().is_some() && c.clock.state() == ClockState::Breached)
            .count()
    }
}

impl App {
    /// Starts the clock of `target` on the incident, if its policy is enabled.
    pub(super) async fn start_incident_clock(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: &Incident,
        target: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let Some(policy) = self.sla_policy(tx, target).await?.filter(|p| p.enabled) else {
            return Ok(None);
        };
        let req = StartClock {
            subject_type: INCIDENT_SUBJECT.into(),
            subject_id: incident.id.to_string(),
            target_key: target.into(),
            channel: None,
            department_id: p.department_id,
            agent_id: (!p.user_id.is_nil()).then_some(p.user_id),
        };
        Ok(Some(self.start_clock_of(tx, req, &policy, false).await?))
    }

    /// The incident's report clocks, read in the caller's transaction.
    pub(super) async fn report_clocks(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<ReportClocks, AppError> {
        let mut clocks = tx
            .list_sla_clocks(&SlaClockFilter {
                subject_type: Some(INCIDENT_SUBJECT.into()),
                subject_id: Some(id.to_string()),
                ..Default::default()
            })
            .await?;
        clocks.sort_by_key(|c| (c.clock.started_at(), c.id));
        let mut out = ReportClocks::default();
        for c in clocks {
            match c.clock.target_key() {
                FIRST_REPORT_TARGET => out.first = Some(c),
                UPDATE_REPORT_TARGET => out.updates.push(c),
                CLOSING_SUMMARY_TARGET => out.summary = Some(c),
                _ => {}
            }
        }
        Ok(out)
    }

    /// After the first report: its clock stops (met or late) and the first update's starts.
    pub(super) async fn first_report_made(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: &Incident,
    ) -> Result<(), AppError> {
        let clocks = self.report_clocks(&mut *tx, incident.id).await?;
        if let Some(c) = clocks.first.filter(|c| c.clock.stopped_at().is_none()) {
            self.sla_clock_action(&mut *tx, c.id, ClockAction::Stop)
                .await?;
        }
        if incident.handling_ended_at.is_none() && incident.level.report_clock() {
            self.start_incident_clock(tx, p, incident, UPDATE_REPORT_TARGET)
                .await?;
        }
        Ok(())
    }

    /// Records an update report (续报) to the tourism authority: the running update clock
    /// stops (met or late) and the next one starts. Only after the first report and while
    /// the incident is handled.
    pub async fn report_incident_update(
        &self,
        p: &Principal,
        id: Uuid,
        note: &str,
    ) -> Result<Incident, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields: Vec<FieldError> = Vec::new();
        let note = check_text(&mut fields, "note", note, 500, Lines::Many);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let mut incident = self.open_incident(&mut *tx, id).await?;
        if incident.reported_at.is_none() {
            return Err(AppError::Conflict {
                code: "incident.not_reported",
                message: "make the first report before an update report".into(),
                field: None,
            });
        }
        if incident.handling_ended_at.is_some() {
            return Err(handling_ended());
        }
        let expected = incident.version;
        incident.update_reports += 1;
        incident.version += 1;
        if !tx.update_incident(&incident, expected).await? {
            return Err(super::changed());
        }
        let clocks = self.report_clocks(&mut *tx, id).await?;
        if let Some(c) = clocks.update_due() {
            self.sla_clock_action(&mut *tx, c.id, ClockAction::Stop)
                .await?;
        }
        if incident.level.report_clock() {
            self.start_incident_clock(&mut *tx, p, &incident, UPDATE_REPORT_TARGET)
                .await?;
        }
        self.record_step(
            &mut *tx,
            p,
            id,
            EventKind::UpdateReported,
            AuditAction::IncidentUpdateReport,
            None,
            json!({ "note": note, "number": incident.update_reports }),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Declares the incident's handling ended (处置结束): no more update reports are due,
    /// and the closing summary's clock starts. `version` is the version read.
    pub async fn end_incident_handling(
        &self,
        p: &Principal,
        id: Uuid,
        version: i64,
    ) -> Result<Incident, AppError> {
        p.require(Permission::ManageIncidents)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut incident = self.open_incident(&mut *tx, id).await?;
        if incident.handling_ended_at.is_some() {
            return Err(handling_ended());
        }
        if incident.version != version {
            return Err(super::changed());
        }
        incident.handling_ended_at = Some(now);
        incident.version += 1;
        if !tx.update_incident(&incident, version).await? {
            return Err(super::changed());
        }
        let clocks = self.report_clocks(&mut *tx, id).await?;
        if let Some(c) = clocks.update_due() {
            self.end_clock(&mut *tx, c).await?;
        }
        if incident.level.report_clock() {
            self.start_incident_clock(&mut *tx, p, &incident, CLOSING_SUMMARY_TARGET)
                .await?;
        }
        self.record_step(
            &mut *tx,
            p,
            id,
            EventKind::HandlingEnded,
            AuditAction::IncidentHandlingEnd,
            None,
            json!({ "drill": incident.drill }),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// At closing: the closing summary is given now, so its clock stops (met or late); an
    /// update clock still running (handling never declared ended) no longer applies.
    pub(super) async fn closing_clocks(&self, tx: &mut dyn Tx, id: Uuid) -> Result<(), AppError> {
        let clocks = self.report_clocks(&mut *tx, id).await?;
        if let Some(c) = clocks.update_due() {
            self.end_clock(&mut *tx, c).await?;
        }
        if let Some(c) = clocks.summary.filter(|c| c.clock.stopped_at().is_none()) {
            self.sla_clock_action(&mut *tx, c.id, ClockAction::Stop)
                .await?;
        }
        Ok(())
    }
}

fn handling_ended() -> AppError {
    AppError::Conflict {
        code: "incident.handling_ended",
        message: "the incident's handling has ended; only its closing summary remains".into(),
        field: None,
    }
}
