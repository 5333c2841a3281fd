//! Emergencies (issue 15): an incident declared over a scope finds its affected travelers
//! from bookings, is run by a team with its kind's checklist, reaches every traveler
//! (`broadcast`), records who is safe and who needs help (`checkin`) and escalates the rest
//! once each, under the clock of its first report to the tourism authority; its affected
//! bookings are offered a refund or a postponement under force majeure (`remedies`), and each
//! customer's choice is recorded once (`remedy_choice`); what it cost is entered by staff
//! (`costs`), and it ends in a report, drills too (`report`).

mod broadcast;
mod broadcast_text;
mod checkin;
mod clocks;
mod contact;
mod costs;
mod guides;
mod remedies;
mod remedy_choice;
pub(crate) mod report;
mod sequence;
mod team;

pub use broadcast::{Audience, BroadcastOutcome, BroadcastRequest, NoAnswerSweep};
pub(crate) use broadcast_text::check_broadcast_template;
pub use broadcast_text::{
    broadcast_locale, broadcast_template_key, check_broadcast_text, reply_keywords, BroadcastText,
    BROADCAST_LOCALES, BROADCAST_PLACEHOLDERS, BROADCAST_TEMPLATE_PREFIX,
};
pub use checkin::{checkin_token, verify_checkin_token, CheckinView, SmsAnswer};
pub use clocks::{ReportClocks, CLOSING_SUMMARY_TARGET, FIRST_REPORT_TARGET, UPDATE_REPORT_TARGET};
pub use costs::{NewIncidentCost, MAX_COST_FEN};
pub use remedies::{RemedyOffer, REMEDY_SUBJECT};
pub use remedy_choice::{
    remedy_token, verify_remedy_token, RemedyChosen, RemedyLinkView, RemedyOfferView,
};
pub use report::{DrillRecord, DrillYear, OpenNeed, Report};
pub use sequence::{ChannelTried, BROADCAST_EVENT, FOLLOWUP_EVENT};
pub use team::{Board, ChecklistRow};

use crate::page::Page;
use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use jiff::Timestamp;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::emergency::{
    EventKind, IncidentKind, IncidentLevel, IncidentState, PersonStatus, Scope, TeamRole,
    WarningColour, DEFAULT_NO_ANSWER_MINUTES, NO_ANSWER_MINUTES,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{AffectedCount, Incident, IncidentEvent, IncidentPerson, PeopleFilter, Tx};
use uuid::Uuid;

/// The subject type of an incident's clocks.
pub const INCIDENT_SUBJECT: &str = "incident";

/// What staff give to declare an incident.
#[derive(Debug, Clone)]
pub struct DeclareIncident {
    pub kind: IncidentKind,
    pub level: IncidentLevel,
    pub title: String,
    pub description: String,
    pub warning_colour: Option<WarningColour>,
    pub scope: Scope,
    pub drill: bool,
    /// Minutes after a broadcast before those who have not answered are escalated.
    pub no_answer_minutes: Option<i64>,
    /// The urgent complaint that opened it.
    pub ticket_id: Option<Uuid>,
}

/// A change of an open incident: each field given replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct UpdateIncident {
    pub level: Option<IncidentLevel>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub warning_colour: Option<Option<WarningColour>>,
    pub scope: Option<Scope>,
    pub no_answer_minutes: Option<i64>,
    /// The version read; a change made meanwhile answers 409 `incident.changed`.
    pub version: i64,
}

/// An incident with what its declaration or change found.
#[derive(Debug, Clone)]
pub struct IncidentChange {
    pub incident: Incident,
    pub affected: AffectedCount,
    /// Departures in scope whose guide's phone is not a number to reach (staff add the guide
    /// by hand).
    pub guides_unusable: Vec<Uuid>,
}

pub(crate) fn changed() -> AppError {
    AppError::Conflict {
        code: "incident.changed",
        message: "the incident was changed by someone else meanwhile; reload it".into(),
        field: None,
    }
}

pub(crate) fn closed() -> AppError {
    AppError::Conflict {
        code: "incident.closed",
        message: "the incident is closed".into(),
        field: None,
    }
}

fn check_scope(fields: &mut Vec<FieldError>, scope: Scope) -> Option<Scope> {
    match scope.normalised() {
        Ok(s) => Some(s),
        Err(e) => {
            fields.push(FieldError::new(e.field(), e.code(), e.to_string()));
            None
        }
    }
}

/// The description is optional: empty stays empty, anything else is checked as typed text.
fn check_description(fields: &mut Vec<FieldError>, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    check_text(fields, "description", text, 4_000, Lines::Many)
}

fn check_minutes(fields: &mut Vec<FieldError>, minutes: i64) {
    if !NO_ANSWER_MINUTES.contains(&minutes) {
        fields.push(FieldError::new(
            "no_answer_minutes",
            "out_of_range",
            format!(
                "no_answer_minutes is {} to {}",
                NO_ANSWER_MINUTES.start(),
                NO_ANSWER_MINUTES.end()
            ),
        ));
    }
}

/// The incident's CS manager, who receives its escalations.
pub(crate) async fn cs_manager_of(
    tx: &mut dyn Tx,
    incident: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(tx
        .incident_team(incident)
        .await?
        .into_iter()
        .find(|(role, _)| *role == TeamRole::CsManager)
        .map(|(_, user)| user))
}

pub(crate) fn event(
    incident: Uuid,
    at: Timestamp,
    kind: EventKind,
    actor: Option<Uuid>,
    customer: Option<Uuid>,
    detail: serde_json::Value,
) -> IncidentEvent {
    IncidentEvent {
        id: Uuid::now_v7(),
        incident_id: incident,
        at,
        kind: kind.as_str().into(),
        actor_id: actor.filter(|u| !u.is_nil()),
        customer_id: customer,
        detail: detail.to_string(),
    }
}

impl App {
    /// Records what staff did to an incident: a line of its timeline and the audit chain's
    /// entry, with the same detail (ids and counts, never personal data).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_step(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: Uuid,
        kind: EventKind,
        action: AuditAction,
        customer: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        tx.insert_incident_events(&[event(
            incident,
            self.now(),
            kind,
            Some(p.user_id),
            customer,
            detail.clone(),
        )])
        .await?;
        self.audit(
            tx,
            p,
            action,
            INCIDENT_SUBJECT,
            Some(incident.to_string()),
            detail,
        )
        .await
    }

    /// Declares an incident: finds its affected people from bookings, sets up its checklist
    /// and — for a level the rules set an hour for — starts the clock of the first report.
    pub async fn declare_incident(
        &self,
        p: &Principal,
        input: DeclareIncident,
    ) -> Result<IncidentChange, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields = Vec::new();
        let title = check_text(&mut fields, "title", &input.title, 120, Lines::One);
        let description = check_description(&mut fields, &input.description);
        let scope = check_scope(&mut fields, input.scope);
        let minutes = input.no_answer_minutes.unwrap_or(DEFAULT_NO_ANSWER_MINUTES);
        check_minutes(&mut fields, minutes);
        if input.warning_colour.is_some() && input.kind != IncidentKind::NaturalDisaster {
            fields.push(FieldError::new(
                "warning_colour",
                "not_a_disaster",
                "a weather warning's colour belongs to a natural disaster",
            ));
        }
        let Some(scope) = scope.filter(|_| fields.is_empty()) else {
            return Err(AppError::Validation(fields));
        };
        let now = self.now();
        let mut tx = self.store.write().await?;
        if let Some(ticket) = input.ticket_id {
            if tx.get_ticket(ticket).await?.is_none() {
                return Err(AppError::field(
                    "ticket_id",
                    "unknown",
                    "no ticket has this id",
                ));
            }
        }
        let incident = Incident {
            id: Uuid::now_v7(),
            kind: input.kind,
            level: input.level,
            title: title.trim().to_string(),
            description: description.trim().to_string(),
            warning_colour: input.warning_colour,
            scope,
            drill: input.drill,
            state: IncidentState::Open,
            no_answer_minutes: minutes,
            ticket_id: input.ticket_id,
            declared_by: Some(p.user_id).filter(|u| !u.is_nil()),
            declared_at: now,
            first_message_at: None,
            reported_at: None,
            closed_at: None,
            closing_summary: None,
            handling_ended_at: None,
            update_reports: 0,
            version: 1,
        };
        tx.insert_incident(&incident).await?;
        let found = self.find_affected(&mut *tx, p, &incident, now).await?;
        let affected = found.affected;
        if incident.level.report_clock() {
            self.start_incident_clock(&mut *tx, p, &incident, FIRST_REPORT_TARGET)
                .await?;
        }
        self.record_step(
            &mut *tx,
            p,
            incident.id,
            EventKind::Declared,
            AuditAction::IncidentDeclare,
            None,
            json!({ "kind": incident.kind.as_str(), "level": incident.level.as_str(),
                    "drill": incident.drill, "scope": &incident.scope,
                    "people": affected.in_scope, "guides": found.guides,
                    "guides_unusable": found.guides_unusable }),
        )
        .await?;
        tx.commit().await?;
        Ok(IncidentChange {
            incident,
            affected,
            guides_unusable: found.guides_unusable,
        })
    }

    /// Changes an open incident; a new scope recomputes its people (answers are kept).
    pub async fn update_incident(
        &self,
        p: &Principal,
        id: Uuid,
        change: UpdateIncident,
    ) -> Result<IncidentChange, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields = Vec::new();
        let title = change
            .title
            .as_deref()
            .map(|t| check_text(&mut fields, "title", t, 120, Lines::One));
        let description = change
            .description
            .as_deref()
            .map(|t| check_description(&mut fields, t));
        let scope = change.scope.map(|s| check_scope(&mut fields, s));
        if let Some(m) = change.no_answer_minutes {
            check_minutes(&mut fields, m);
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut incident = self.open_incident(&mut *tx, id).await?;
        if incident.version != change.version {
            return Err(changed());
        }
        if let Some(Some(_)) = change.warning_colour {
            if incident.kind != IncidentKind::NaturalDisaster {
                return Err(AppError::field(
                    "warning_colour",
                    "not_a_disaster",
                    "a weather warning's colour belongs to a natural disaster",
                ));
            }
        }
        let before = incident.clone();
        let raised_to_clock = change
            .level
            .is_some_and(|l| l.report_clock() && !incident.level.report_clock());
        if let Some(l) = change.level {
            incident.level = l;
        }
        if let Some(t) = title {
            incident.title = t.trim().to_string();
        }
        if let Some(d) = description {
            incident.description = d.trim().to_string();
        }
        if let Some(c) = change.warning_colour {
            incident.warning_colour = c;
        }
        if let Some(m) = change.no_answer_minutes {
            incident.no_answer_minutes = m;
        }
        let new_scope = scope.flatten();
        let scope_changed = new_scope.as_ref().is_some_and(|s| *s != incident.scope);
        if let Some(s) = new_scope {
            incident.scope = s;
        }
        incident.version += 1;
        if !tx.update_incident(&incident, change.version).await? {
            return Err(changed());
        }
        let found = if scope_changed {
            self.find_affected(&mut *tx, p, &incident, now).await?
        } else {
            let c = tx.incident_counts(incident.id).await?;
            guides::Found {
                affected: AffectedCount {
                    in_scope: c.people,
                    ..AffectedCount::default()
                },
                ..Default::default()
            }
        };
        let affected = found.affected;
        if raised_to_clock {
            // Raised to a level with an hour: the report due next gets its clock.
            let target = match (incident.reported_at, incident.handling_ended_at) {
                (None, _) => Some(FIRST_REPORT_TARGET),
                (Some(_), None) => Some(UPDATE_REPORT_TARGET),
                (Some(_), Some(_)) => None,
            };
            if let Some(target) = target {
                self.start_incident_clock(&mut *tx, p, &incident, target)
                    .await?;
            }
        }
        let detail = json!({
            "level": (before.level != incident.level).then(|| incident.level.as_str()),
            "scope_changed": scope_changed,
            "people": affected.in_scope, "added": affected.added, "dropped": affected.dropped,
            "guides": found.guides, "guides_unusable": found.guides_unusable,
        });
        self.record_step(
            &mut *tx,
            p,
            incident.id,
            EventKind::Updated,
            AuditAction::IncidentUpdate,
            None,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(IncidentChange {
            incident,
            affected,
            guides_unusable: found.guides_unusable,
        })
    }

    pub async fn get_incident(&self, p: &Principal, id: Uuid) -> Result<Incident, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        r.get_incident(id)
            .await?
            .ok_or(AppError::NotFound("incident"))
    }

    /// Newest first.
    pub async fn list_incidents(
        &self,
        p: &Principal,
        state: Option<IncidentState>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<Incident>, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        let rows = r
            .list_incidents(state, Page::<Incident>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// The incident's in-scope people, by customer id.
    pub async fn incident_people(
        &self,
        p: &Principal,
        id: Uuid,
        filter: PeopleFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Page<IncidentPerson>, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        if r.get_incident(id).await?.is_none() {
            return Err(AppError::NotFound("incident"));
        }
        let rows = r
            .list_incident_people(
                id,
                filter,
                Page::<IncidentPerson>::fetch_limit(limit),
                offset,
            )
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// Adds a customer to an open incident by hand (a traveler who booked elsewhere, a
    /// family member on the trip).
    pub async fn add_incident_person(
        &self,
        p: &Principal,
        id: Uuid,
        customer_id: Uuid,
    ) -> Result<IncidentPerson, AppError> {
        p.require(Permission::ManageIncidents)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        self.open_incident(&mut *tx, id).await?;
        if tx.get_customer(customer_id).await?.is_none() {
            return Err(AppError::field(
                "customer_id",
                "unknown",
                "no customer has this id",
            ));
        }
        let added = tx.add_incident_person(id, customer_id, now).await?;
        if added {
            self.record_step(
                &mut *tx,
                p,
                id,
                EventKind::PersonAdded,
                AuditAction::IncidentPersonAdd,
                Some(customer_id),
                json!({ "customer_id": customer_id }),
            )
            .await?;
        }
        let person = tx
            .get_incident_person(id, customer_id)
            .await?
            .ok_or_else(|| AppError::Internal("the person just added is gone".into()))?;
        tx.commit().await?;
        Ok(person)
    }

    /// The incident, refused 404 when missing and 409 when closed.
    pub(crate) async fn open_incident(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<Incident, AppError> {
        let incident = tx
            .get_incident(id)
            .await?
            .ok_or(AppError::NotFound("incident"))?;
        if incident.state != IncidentState::Open {
            return Err(closed());
        }
        Ok(incident)
    }

    /// People whose answer is `status` (for the board's columns), first `limit`.
    pub(crate) async fn people_with(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
        status: PersonStatus,
        limit: u32,
    ) -> Result<Vec<IncidentPerson>, AppError> {
        Ok(tx
            .list_incident_people(
                id,
                PeopleFilter {
                    status: Some(status),
                    escalated: false,
                },
                limit,
                0,
            )
            .await?)
    }
}
