//! A traveler's answer — 平安 or 需要帮助 — by the signed link in their message, by an SMS
//! reply with a keyword, or recorded by staff; and the escalation of someone who needs help
//! or has not answered into one urgent ticket in the CS manager's queue.

use super::{event, INCIDENT_SUBJECT};
use crate::desk::NewTicket;
use crate::public_desk::{decode, encode, TAG, VERSION};
use crate::{App, AppError, Principal};
use jiff::Timestamp;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::emergency::{
    answer_replaces, parse_reply, AnswerVia, CallReason, EventKind, IncidentState, PersonStatus,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{CallTask, Incident, Tx};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

const CHECKIN_PURPOSE: &str = "emergency-checkin";

/// The signed check-in token of one person in one incident (no expiry: a traveler may answer
/// while the incident is open; a closed incident's link says so).
pub fn checkin_token(keys: &KeyRing, incident: Uuid, customer: Uuid) -> String {
    person_token(keys, CHECKIN_PURPOSE, incident, customer)
}

/// The (incident, customer) a check-in token names, if its signature holds.
pub fn verify_checkin_token(keys: &KeyRing, token: &str) -> Option<(Uuid, Uuid)> {
    verify_person_token(keys, CHECKIN_PURPOSE, token)
}

/// A token naming one person of one incident for `purpose` (the check-in, the remedies'
/// choice): `0x01 || incident || customer || tag`, signed with the link HMAC.
pub(super) fn person_token(
    keys: &KeyRing,
    purpose: &str,
    incident: Uuid,
    customer: Uuid,
) -> String {
    let body = [&[VERSION][..], incident.as_bytes(), customer.as_bytes()].concat();
    let tag = keys.link_mac(purpose, &body);
    encode(&[&body, &tag[..TAG]])
}

/// The (incident, customer) of a [`person_token`] for `purpose`, if its signature holds.
pub(super) fn verify_person_token(
    keys: &KeyRing,
    purpose: &str,
    token: &str,
) -> Option<(Uuid, Uuid)> {
    let bytes = decode(token, 1 + 32 + TAG)?;
    let (body, tag) = bytes.split_at(33);
    if !keys.verify_link_mac(purpose, body, tag) {
        return None;
    }
    Some((
        Uuid::from_slice(&body[1..17]).ok()?,
        Uuid::from_slice(&body[17..33]).ok()?,
    ))
}

/// What the traveler's check-in page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinView {
    pub incident_title: String,
    pub drill: bool,
    pub open: bool,
    pub status: PersonStatus,
    pub answered_at: Option<Timestamp>,
}

/// One answer read from an SMS reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsAnswer {
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    pub status: PersonStatus,
    /// False when the answer changed nothing (a repeat, or "safe" after "needs help").
    pub recorded: bool,
}

impl App {
    /// The check-in page of a token; 404 for a token that does not verify or names no one.
    pub async fn checkin_view(&self, token: &str) -> Result<CheckinView, AppError> {
        let (incident, customer) =
            verify_checkin_token(self.vault()?, token).ok_or(AppError::NotFound("check-in"))?;
        let mut r = self.store.read().await?;
        let i = r
            .get_incident(incident)
            .await?
            .ok_or(AppError::NotFound("check-in"))?;
        let person = r
            .get_incident_person(incident, customer)
            .await?
            .ok_or(AppError::NotFound("check-in"))?;
        Ok(CheckinView {
            incident_title: i.title,
            drill: i.drill,
            open: i.state == IncidentState::Open,
            status: person.status,
            answered_at: person.answered_at,
        })
    }

    /// The traveler's answer through their link. A closed incident answers 409.
    pub async fn checkin_by_link(
        &self,
        token: &str,
        answer: PersonStatus,
    ) -> Result<CheckinView, AppError> {
        let (incident, customer) =
            verify_checkin_token(self.vault()?, token).ok_or(AppError::NotFound("check-in"))?;
        if answer == PersonStatus::Pending {
            return Err(AppError::field(
                "answer",
                "invalid",
                "answer is safe or needs_help",
            ));
        }
        let mut tx = self.store.write().await?;
        let i = tx
            .get_incident(incident)
            .await?
            .ok_or(AppError::NotFound("check-in"))?;
        if i.state != IncidentState::Open {
            return Err(super::closed());
        }
        self.apply_answer(&mut *tx, &i, customer, answer, AnswerVia::Link, None)
            .await?
            .ok_or(AppError::NotFound("check-in"))?;
        let person = tx
            .get_incident_person(incident, customer)
            .await?
            .ok_or(AppError::NotFound("check-in"))?;
        tx.commit().await?;
        Ok(CheckinView {
            incident_title: i.title,
            drill: i.drill,
            open: true,
            status: person.status,
            answered_at: person.answered_at,
        })
    }

    /// Reads an SMS reply from `customers` (the customers its phone belongs to, found by the
    /// blind index) and records its answer in each open incident they are in, in the
    /// caller's transaction (the one that stores the reply). A reply that is no answer
    /// records nothing.
    pub async fn checkin_by_sms(
        &self,
        tx: &mut dyn Tx,
        customers: &[Uuid],
        text: &str,
    ) -> Result<Vec<SmsAnswer>, AppError> {
        let Some(answer) = parse_reply(text) else {
            return Ok(Vec::new());
        };
        let status = answer.status();
        let mut out = Vec::new();
        for &customer in customers {
            for incident in tx.open_incidents_of(customer).await? {
                let Some(i) = tx.get_incident(incident).await? else {
                    continue;
                };
                let recorded = self
                    .apply_answer(tx, &i, customer, status, AnswerVia::Sms, None)
                    .await?
                    .unwrap_or(false);
                out.push(SmsAnswer {
                    incident_id: incident,
                    customer_id: customer,
                    status,
                    recorded,
                });
            }
        }
        Ok(out)
    }

    /// Staff record a traveler's answer (they phoned, the guide saw them); staff may also
    /// put "needs help" back to safe or pending.
    pub async fn record_incident_answer(
        &self,
        p: &Principal,
        incident: Uuid,
        customer: Uuid,
        status: PersonStatus,
    ) -> Result<(), AppError> {
        p.require(Permission::RespondToIncidents)?;
        let mut tx = self.store.write().await?;
        let i = self.open_incident(&mut *tx, incident).await?;
        let recorded = self
            .apply_answer(&mut *tx, &i, customer, status, AnswerVia::Staff, Some(p))
            .await?
            .ok_or(AppError::NotFound("incident person"))?;
        if recorded {
            self.audit(
                &mut *tx,
                p,
                AuditAction::IncidentAnswer,
                INCIDENT_SUBJECT,
                Some(incident.to_string()),
                json!({ "customer_id": customer, "status": status.as_str() }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records `status` for the person if it replaces what is recorded; a "needs help"
    /// escalates them. `None` when they are not in the incident; `Some(false)` when nothing
    /// changed.
    async fn apply_answer(
        &self,
        tx: &mut dyn Tx,
        incident: &Incident,
        customer: Uuid,
        status: PersonStatus,
        via: AnswerVia,
        staff: Option<&Principal>,
    ) -> Result<Option<bool>, AppError> {
        let Some(person) = tx.get_incident_person(incident.id, customer).await? else {
            return Ok(None);
        };
        if !answer_replaces(person.status, status, staff.is_some()) {
            return Ok(Some(false));
        }
        let now = self.now();
        if !tx
            .record_answer(incident.id, customer, person.status, status, via, now)
            .await?
        {
            // Another answer landed between the read and the write (PostgreSQL): it stands.
            return Ok(Some(false));
        }
        tx.insert_incident_events(&[event(
            incident.id,
            now,
            EventKind::Answer,
            staff.map(|p| p.user_id),
            Some(customer),
            json!({ "status": status.as_str(), "via": via.as_str() }),
        )])
        .await?;
        if status == PersonStatus::NeedsHelp {
            let cs_manager = super::cs_manager_of(tx, incident.id).await?;
            self.escalate_person(tx, incident, customer, CallReason::NeedsHelp, cs_manager)
                .await?;
        }
        Ok(Some(true))
    }

    /// Makes the person one urgent ticket assigned to `cs_manager` (the incident's, read by
    /// the caller once for many people) and one call task — once per person and incident,
    /// whatever the number of nodes and answers (the claim is a conditional update). False
    /// when they were escalated before.
    pub(crate) async fn escalate_person(
        &self,
        tx: &mut dyn Tx,
        incident: &Incident,
        customer: Uuid,
        reason: CallReason,
        cs_manager: Option<Uuid>,
    ) -> Result<bool, AppError> {
        let now = self.now();
        if !tx.claim_escalation(incident.id, customer, now).await? {
            return Ok(false);
        }
        let name = tx
            .get_customer(customer)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let drill = if incident.drill { "【演练】" } else { "" };
        let (subject, description) = match reason {
            CallReason::NeedsHelp => (
                format!("{drill}【应急求助】{}", incident.title),
                format!(
                    "游客在突发事件“{}”中回复需要帮助，请立即联系并记录处理情况。",
                    incident.title
                ),
            ),
            _ => (
                format!("{drill}【应急未回复】{}", incident.title),
                format!(
                    "游客在群发后 {} 分钟内未报平安，请电话联系确认其安全。",
                    incident.no_answer_minutes
                ),
            ),
        };
        let system = App::console_principal();
        let input = NewTicket {
            kind: TicketKind::Inquiry,
            channel: Channel::Phone,
            level: Some(Level::Urgent),
            subject: subject.chars().take(200).collect(),
            description,
            customer_name: if name.trim().is_empty() {
                "—".into()
            } else {
                name
            },
            customer_phone: None,
            customer_email: None,
            customer_id: Some(customer),
            booking_ref: None,
            business_area: None,
            tags: vec!["应急".into()],
        };
        let ticket = self
            .insert_new_ticket(
                tx,
                &system,
                input,
                Level::Urgent,
                Some(customer),
                cs_manager,
            )
            .await?;
        tx.set_escalation_ticket(incident.id, customer, ticket.ticket.id)
            .await?;
        tx.insert_call_task(&CallTask {
            incident_id: incident.id,
            customer_id: customer,
            reason,
            created_at: now,
            outcome: None,
            called_by: None,
            called_at: None,
            customer_name: String::new(),
        })
        .await?;
        tx.insert_incident_events(&[event(
            incident.id,
            now,
            EventKind::Escalated,
            None,
            Some(customer),
            json!({ "reason": reason.as_str(), "ticket": ticket.ticket.number }),
        )])
        .await?;
        Ok(true)
    }
}
