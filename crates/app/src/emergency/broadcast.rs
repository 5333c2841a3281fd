//! A broadcast: one message to every affected traveler, queued in one transaction (SMS when
//! a provider is configured and they have a phone, else email, else a call task), each with
//! the traveler's own check-in link, in the language of their record (`broadcast_text`); and the sweep that escalates those who have not
//! answered `no_answer_minutes` after it, once each.

use super::broadcast_text::{broadcast_vars, render_broadcast};
use super::{check_broadcast_text, INCIDENT_SUBJECT};
use crate::jobs::JobHandler;
use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use async_trait::async_trait;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::emergency::{CallReason, EventKind, IncidentState, PersonStatus};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::{CallTask, NewMessage, Tx};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// Who a broadcast goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Audience {
    /// Everyone in scope (the first message, an all-clear).
    #[default]
    All,
    /// Those not known to be safe (pending and needs help): an update.
    NotSafe,
    /// Those who have not answered: a reminder.
    Pending,
}

impl Audience {
    fn statuses(self) -> &'static [PersonStatus] {
        match self {
            Audience::All => &[
                PersonStatus::Pending,
                PersonStatus::Safe,
                PersonStatus::NeedsHelp,
            ],
            Audience::NotSafe => &[PersonStatus::Pending, PersonStatus::NeedsHelp],
            Audience::Pending => &[PersonStatus::Pending],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::All => "all",
            Audience::NotSafe => "not_safe",
            Audience::Pending => "pending",
        }
    }
}

/// What staff send.
#[derive(Debug, Clone)]
pub struct BroadcastRequest {
    pub audience: Audience,
    /// The Chinese text (`zh-CN`), for travelers whose record names no other language;
    /// its placeholders (`{{ link }}`: each traveler's check-in link, added at the end with
    /// the reply keywords when missing and the check-in is asked for) are those of
    /// [`super::BROADCAST_PLACEHOLDERS`]. `None`: the kind's template.
    pub body: Option<String>,
    /// The English text (`en`), for travelers whose record prefers English. `None`: the
    /// kind's template.
    pub body_en: Option<String>,
    /// Whether the message asks for a check-in (reply 1 / 2, or the link).
    pub ask_checkin: bool,
    /// Where the check-in page is served (`https://desk.example.cn`).
    pub base_url: String,
}

/// What a broadcast queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BroadcastOutcome {
    pub people: u64,
    pub sms: u64,
    pub email: u64,
    /// People with no way to message them: a call task each.
    pub calls: u64,
}

/// How many people a broadcast reads at once.
const CHUNK: u32 = 5_000;

fn checkin_link(keys: &KeyRing, base_url: &str, incident: Uuid, customer: Uuid) -> String {
    crate::public_desk::link(
        base_url,
        "c",
        &super::checkin_token(keys, incident, customer),
    )
}

impl App {
    /// Queues one message to each person of the audience in one transaction, and schedules
    /// the escalation of those who will not have answered `no_answer_minutes` later.
    pub async fn broadcast(
        &self,
        p: &Principal,
        incident_id: Uuid,
        req: BroadcastRequest,
    ) -> Result<BroadcastOutcome, AppError> {
        p.require(Permission::ManageIncidents)?;
        let mut fields: Vec<FieldError> = Vec::new();
        let mut typed: Vec<(&'static str, String)> = Vec::new();
        for (field, locale, text) in [
            ("body", "zh-CN", &req.body),
            ("body_en", "en", &req.body_en),
        ] {
            if let Some(t) = text.as_deref() {
                let t = check_text(&mut fields, field, t, 500, Lines::Many);
                check_broadcast_text(field, &t, false, &mut fields);
                typed.push((locale, t));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let keys = self.vault()?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let incident = self.open_incident(&mut *tx, incident_id).await?;
        // Each language's text: as staff typed it, else the kind's template.
        let mut texts = self.broadcast_templates(&mut *tx, incident.kind).await?;
        for t in &mut texts {
            if let Some((_, typed)) = typed.iter().find(|(l, _)| *l == t.locale) {
                t.text.clone_from(typed);
                t.template_version = None;
            }
        }
        let template_key = super::broadcast_template_key(incident.kind);
        let mut out = BroadcastOutcome::default();
        let mut after = None;
        let related = Some(incident.id.to_string());
        loop {
            let targets = tx
                .broadcast_targets(incident.id, req.audience.statuses(), after, CHUNK)
                .await?;
            let Some(last) = targets.last() else { break };
            after = Some(last.customer_id);
            let mut messages = Vec::with_capacity(targets.len());
            let mut calls = Vec::new();
            for t in &targets {
                out.people += 1;
                let link = checkin_link(keys, &req.base_url, incident.id, t.customer_id);
                let locale = super::broadcast_locale(t.language.as_deref());
                let chosen = texts
                    .iter()
                    .find(|x| x.locale == locale)
                    .unwrap_or(&texts[0]);
                let vars = broadcast_vars(&incident, chosen.locale, &link);
                let text = render_broadcast(&chosen.text, &vars, req.ask_checkin, chosen.locale)?;
                let Some((channel, recipient)) =
                    self.emergency_recipient(keys, t.phone.as_ref(), t.email.as_ref())?
                else {
                    out.calls += 1;
                    calls.push(CallTask {
                        incident_id: incident.id,
                        customer_id: t.customer_id,
                        reason: if t.phone.is_some() {
                            CallReason::NoSms
                        } else {
                            CallReason::NoContact
                        },
                        created_at: now,
                        outcome: None,
                        called_by: None,
                        called_at: None,
                        customer_name: String::new(),
                    });
                    continue;
                };
                match channel {
                    DeliveryChannel::Sms => out.sms += 1,
                    _ => out.email += 1,
                }
                messages.push(NewMessage {
                    id: Uuid::now_v7(),
                    channel: channel.as_str().into(),
                    recipient,
                    customer_id: Some(t.customer_id),
                    subject: incident.title.clone(),
                    body_text: text,
                    body_html: None,
                    event: Some(super::BROADCAST_EVENT.into()),
                    template_key: chosen.template_version.map(|_| template_key.clone()),
                    template_version: chosen.template_version,
                    locale: chosen.locale.into(),
                    related_type: Some(INCIDENT_SUBJECT.into()),
                    related_id: related.clone(),
                    emergency: true,
                    max_attempts: self.settings.notify.max_attempts,
                    due_at: now,
                    created_by: Some(p.user_id).filter(|u| !u.is_nil()),
                    created_at: now,
                    attachments: Vec::new(),
                    thread_references: None,
                });
            }
            tx.enqueue(&messages).await?;
            for c in &calls {
                tx.insert_call_task(c).await?;
            }
            if targets.len() < CHUNK as usize {
                break;
            }
        }
        if out.sms + out.email > 0 {
            tx.note_first_message(incident.id, now).await?;
        }
        if req.ask_checkin && out.people > 0 {
            let due = now + SignedDuration::from_mins(incident.no_answer_minutes);
            self.enqueue_job::<NoAnswerSweep>(
                &mut *tx,
                &SweepPayload {
                    incident_id: incident.id,
                },
                due,
                Some(&format!("incident_no_answer:{}", incident.id)),
            )
            .await?;
        }
        let detail = json!({ "audience": req.audience.as_str(), "people": out.people,
                             "sms": out.sms, "email": out.email, "calls": out.calls });
        self.record_step(
            &mut *tx,
            p,
            incident.id,
            EventKind::Broadcast,
            AuditAction::IncidentBroadcast,
            None,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// Escalates the people of an incident who have not answered when it runs: an urgent ticket
/// and a call task each, once (`escalate_person` claims each person). Runs once per
/// broadcast's deadline across nodes (the job substrate); a large incident is done in
/// batches, the job enqueueing its own next batch.
pub struct NoAnswerSweep;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SweepPayload {
    pub incident_id: Uuid,
}

/// People escalated per run of the sweep.
const SWEEP_BATCH: u32 = 200;

#[async_trait]
impl JobHandler for NoAnswerSweep {
    const KIND: &'static str = "emergency.no_answer";
    type Payload = SweepPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, payload: SweepPayload) -> Result<(), AppError> {
        let Some(incident) = tx.get_incident(payload.incident_id).await? else {
            return Ok(());
        };
        if incident.state != IncidentState::Open {
            return Ok(());
        }
        let people = tx.unanswered_people(incident.id, SWEEP_BATCH).await?;
        let cs_manager = super::cs_manager_of(tx, incident.id).await?;
        for customer in &people {
            app.escalate_person(tx, &incident, *customer, CallReason::NoAnswer, cs_manager)
                .await?;
        }
        if people.len() == SWEEP_BATCH as usize {
            // More remain: the next batch runs at once, after this one commits (the unique
            // key is free again once this job completes, so it carries none).
            app.enqueue_job::<NoAnswerSweep>(tx, &payload, app.now(), None)
                .await?;
        }
        Ok(())
    }
}
