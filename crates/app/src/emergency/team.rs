//! Running an incident: its team and checklist, voice-call tasks, the first report to the
//! tourism authority under its clock, closing with a summary, and the live board (the
//! post-incident report is [`super::report`]).

use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::emergency::{
    checklist, CallOutcome, ChecklistItem, EventKind, IncidentState, PersonStatus, TeamRole,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{
    CallTask, ChecklistTick, Incident, IncidentCounts, IncidentEvent, IncidentPerson,
};
use uuid::Uuid;

/// One line of the checklist with its tick.
#[derive(Debug, Clone)]
pub struct ChecklistRow {
    pub item: ChecklistItem,
    pub tick: Option<ChecklistTick>,
}

/// What the emergency leader watches.
#[derive(Debug, Clone)]
pub struct Board {
    pub incident: Incident,
    pub counts: IncidentCounts,
    /// People reached: at least one message handed to its channel.
    pub delivered: u64,
    /// Messages still queued or retrying, and given up.
    pub messages_pending: u64,
    pub messages_dead: u64,
    pub team: Vec<(TeamRole, Uuid, String)>,
    pub checklist: Vec<ChecklistRow>,
    /// The clocks of the reports to the authority.
    pub clocks: super::ReportClocks,
    pub needs_help: Vec<IncidentPerson>,
    pub pending: Vec<IncidentPerson>,
    pub calls: Vec<CallTask>,
    pub timeline: Vec<IncidentEvent>,
    /// Customer names of the people listed (customer id → name), empty for those who may
    /// not see customers.
    pub names: std::collections::HashMap<Uuid, String>,
}

/// How many people of each column the board lists.
const BOARD_PEOPLE: u32 = 50;

pub(super) fn checklist_rows(incident: &Incident, ticks: Vec<ChecklistTick>) -> Vec<ChecklistRow> {
    checklist(incident.kind)
        .into_iter()
        .map(|item| ChecklistRow {
            tick: ticks.iter().find(|t| t.item_key == item.key).cloned(),
            item,
        })
        .collect()
}

impl App {
    /// Assigns (or clears) a team role.
    pub async fn set_incident_team(
        &self,
        p: &Principal,
        id: Uuid,
        role: TeamRole,
        user_id: Option<Uuid>,
    ) -> Result<(), AppError> {
        self.assign_incident_team(p, id, &[(role, user_id)])
            .await
            .map(drop)
    }

    /// Assigns the roles given (a role with `None` is cleared) in one transaction; a role
    /// already held by that person is left alone. Each change is a timeline line and an
    /// audit entry. Returns how many roles changed.
    pub async fn assign_incident_team(
        &self,
        p: &Principal,
        id: Uuid,
        roles: &[(TeamRole, Option<Uuid>)],
    ) -> Result<usize, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut tx = self.store.write().await?;
        self.open_incident(&mut *tx, id).await?;
        let current = tx.incident_team(id).await?;
        let mut changed = 0;
        for &(role, user_id) in roles {
            let held = current.iter().find(|(r, _)| *r == role).map(|(_, u)| *u);
            if held == user_id {
                continue;
            }
            if let Some(user) = user_id {
                match tx.get_user(user).await? {
                    Some(u) if u.disabled_at.is_none() => {}
                    _ => {
                        return Err(AppError::field(
                            "user_id",
                            "unknown",
                            "no active staff member has this id",
                        ))
                    }
                }
            }
            tx.set_team_member(id, role, user_id).await?;
            let detail = json!({ "role": role.as_str(), "user_id": user_id });
            self.record_step(
                &mut *tx,
                p,
                id,
                EventKind::Team,
                AuditAction::IncidentTeam,
                None,
                detail,
            )
            .await?;
            changed += 1;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Ticks (or unticks) an item of the incident's checklist.
    pub async fn tick_incident_item(
        &self,
        p: &Principal,
        id: Uuid,
        item_key: &str,
        done: bool,
    ) -> Result<(), AppError> {
        p.require(Permission::RespondToIncidents)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let incident = self.open_incident(&mut *tx, id).await?;
        let Some(item) = checklist(incident.kind)
            .into_iter()
            .find(|i| i.key == item_key)
        else {
            return Err(AppError::field(
                "item",
                "unknown",
                "this incident's checklist has no such item",
            ));
        };
        let changed = if done {
            tx.tick_checklist(id, item.key, p.user_id, now).await?
        } else {
            tx.untick_checklist(id, item.key).await?
        };
        if changed {
            let detail = json!({ "item": item.key, "done": done });
            self.record_step(
                &mut *tx,
                p,
                id,
                EventKind::Checklist,
                AuditAction::IncidentChecklist,
                None,
                detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a voice call's outcome; a traveler reached is asked how they are, which staff
    /// record with [`App::record_incident_answer`].
    pub async fn record_incident_call(
        &self,
        p: &Principal,
        id: Uuid,
        customer: Uuid,
        outcome: CallOutcome,
    ) -> Result<(), AppError> {
        p.require(Permission::RespondToIncidents)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let incident = self.open_incident(&mut *tx, id).await?;
        if !tx
            .record_call(id, customer, outcome, p.user_id, now)
            .await?
        {
            return Err(AppError::NotFound("call task"));
        }
        let detail = json!({ "customer_id": customer, "outcome": outcome.as_str() });
        self.record_step(
            &mut *tx,
            p,
            id,
            EventKind::Call,
            AuditAction::IncidentCall,
            Some(customer),
            detail,
        )
        .await?;
        // Not answered, a wrong number: the next channel at once (the email).
        self.incident_call_failed(&mut *tx, &incident, customer, outcome)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the first report to the tourism authority (to whom, how): the clock stops,
    /// met or late.
    pub async fn report_incident(
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
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut incident = self.open_incident(&mut *tx, id).await?;
        if incident.reported_at.is_some() {
            return Err(AppError::Conflict {
                code: "incident.already_reported",
                message: "the first report is recorded already".into(),
                field: None,
            });
        }
        let expected = incident.version;
        incident.reported_at = Some(now);
        incident.version += 1;
        if !tx.update_incident(&incident, expected).await? {
            return Err(super::changed());
        }
        self.first_report_made(&mut *tx, p, &incident).await?;
        tx.tick_checklist(id, "report_authority", p.user_id, now)
            .await?;
        self.record_step(
            &mut *tx,
            p,
            id,
            EventKind::Reported,
            AuditAction::IncidentReport,
            None,
            json!({ "note": note }),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Closes an incident with its summary: the closing summary's clock stops, an update
    /// clock still running ends. A first-report clock still running stays, breached if late.
    pub async fn close_incident(
        &self,
        p: &Principal,
        id: Uuid,
        summary: &str,
        version: i64,
    ) -> Result<Incident, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields: Vec<FieldError> = Vec::new();
        let summary = check_text(&mut fields, "summary", summary, 4_000, Lines::Many);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut incident = self.open_incident(&mut *tx, id).await?;
        if incident.version != version {
            return Err(super::changed());
        }
        incident.state = IncidentState::Closed;
        incident.closed_at = Some(now);
        incident.handling_ended_at.get_or_insert(now);
        incident.closing_summary = Some(summary.trim().to_string());
        incident.version += 1;
        if !tx.update_incident(&incident, version).await? {
            return Err(super::changed());
        }
        self.closing_clocks(&mut *tx, id).await?;
        self.record_step(
            &mut *tx,
            p,
            id,
            EventKind::Closed,
            AuditAction::IncidentClose,
            None,
            json!({ "drill": incident.drill }),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Everything the incident board shows, in one read transaction.
    pub async fn incident_board(&self, p: &Principal, id: Uuid) -> Result<Board, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        let incident = r
            .get_incident(id)
            .await?
            .ok_or(AppError::NotFound("incident"))?;
        let counts = r.incident_counts(id).await?;
        let delivery = r.incident_delivery(id).await?;
        let team_ids = r.incident_team(id).await?;
        let mut team = Vec::with_capacity(team_ids.len());
        for (role, user) in team_ids {
            let name = r
                .get_user(user)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            team.push((role, user, name));
        }
        let ticks = r.incident_checklist(id).await?;
        let clocks = self.report_clocks(&mut *r, id).await?;
        let needs_help = self
            .people_with(&mut *r, id, PersonStatus::NeedsHelp, BOARD_PEOPLE)
            .await?;
        let pending = self
            .people_with(&mut *r, id, PersonStatus::Pending, BOARD_PEOPLE)
            .await?;
        let calls = r.list_call_tasks(id, true, BOARD_PEOPLE, 0).await?;
        let timeline = r.list_incident_events(id, 30, 0).await?;
        // Names only for those who may see customers (read with the rows, one query each).
        let names = if p.can(Permission::ViewCustomers) {
            needs_help
                .iter()
                .chain(&pending)
                .map(|x| (x.customer_id, x.customer_name.clone()))
                .chain(
                    calls
                        .iter()
                        .map(|c| (c.customer_id, c.customer_name.clone())),
                )
                .collect()
        } else {
            std::collections::HashMap::new()
        };
        Ok(Board {
            checklist: checklist_rows(&incident, ticks),
            incident,
            counts,
            delivered: delivery.people_sent,
            messages_pending: delivery.pending,
            messages_dead: delivery.dead,
            team,
            clocks,
            needs_help,
            pending,
            calls,
            timeline,
            names,
        })
    }
}
