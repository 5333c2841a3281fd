//! A traveler's channels in order until one is confirmed (issue 15 item 5): the broadcast
//! sends the first ([`super::contact`]); when one fails, the next follows at once, as
//! `tripdesk_domain::emergency::next_step` decides from where each step stands for that
//! person:
//! - an SMS (or email) of the incident given up by the outbox or reported undelivered by the
//!   provider's receipt ([`App::incident_message_failed`], in the transaction recording it):
//!   a call task for that person, reason `sms_failed` / `email_failed` (one per person and
//!   incident: the call tasks' primary key), without waiting for the no-answer sweep;
//! - a call not answered or to a wrong number ([`App::record_incident_call`]): the same
//!   broadcast message, with the person's check-in link, by email — once per person and
//!   broadcast message (`incident_followups`' primary key).
//!
//! Each step is a line of the timeline (`call_queued`, `followup`). WeChat (issue 17) is a
//! fourth step after email in the domain's order; its follow-up goes through
//! [`App::send_followup`] like the email's once the outbox has a WeChat channel.

use super::{event, INCIDENT_SUBJECT};
use crate::{App, AppError, Principal};
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::emergency::{
    next_step, CallOutcome, CallReason, ContactStep, EventKind, IncidentState, StepState, Trail,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{
    CallTask, ContactMessage, Incident, IncidentFollowup, MessageState, NewMessage, OutboxMessage,
    SealedContact, Tx,
};
use uuid::Uuid;

/// The event of a broadcast's message.
pub const BROADCAST_EVENT: &str = "incident.broadcast";
/// The event of a follow-up's message.
pub const FOLLOWUP_EVENT: &str = "incident.followup";

/// What staff see of one channel tried for one person (the board's per-person trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelTried {
    pub step: ContactStep,
    /// `queued` (or retrying), `sent`, `delivered` (the handset's receipt), `failed`; for a
    /// call `open` or its outcome (`reached`, `no_answer`, `wrong_number`).
    pub mark: &'static str,
}

fn step_of_channel(channel: &str) -> Option<ContactStep> {
    ContactStep::parse(channel).filter(|s| s.automatic())
}

fn message_state(m: &ContactMessage) -> StepState {
    match m.state {
        MessageState::Queued | MessageState::Sending | MessageState::Retrying => {
            StepState::Underway
        }
        MessageState::Sent | MessageState::Dead => StepState::Done,
    }
}

fn message_mark(m: &ContactMessage) -> &'static str {
    match (m.state, m.handset) {
        (_, Some(tripdesk_store::HandsetState::Failed)) | (MessageState::Dead, _) => "failed",
        (_, Some(tripdesk_store::HandsetState::Delivered)) => "delivered",
        (MessageState::Sent, None) => "sent",
        _ => "queued",
    }
}

/// Where each step stands for the broadcast message `about`: its own channel, the follow-ups
/// sent for it, the person's call task.
fn trail_of(
    about: Option<&ContactMessage>,
    messages: &[ContactMessage],
    followups: &[IncidentFollowup],
    call: Option<&CallTask>,
) -> Trail {
    let mut trail = Trail {
        call: call.map_or(StepState::Untried, |c| StepState::of_call(c.outcome)),
        ..Trail::default()
    };
    let Some(about) = about else {
        return trail;
    };
    let ours = messages.iter().filter(|m| {
        m.id == about.id
            || followups
                .iter()
                .any(|f| f.after_message_id == about.id && f.message_id == m.id)
    });
    for m in ours {
        let state = message_state(m);
        let slot = match step_of_channel(&m.channel) {
            Some(ContactStep::Sms) => &mut trail.sms,
            Some(ContactStep::Email) => &mut trail.email,
            _ => continue,
        };
        if *slot != StepState::Underway {
            *slot = state;
        }
    }
    // A follow-up written but not yet visible as a message counts as tried.
    for f in followups.iter().filter(|f| f.after_message_id == about.id) {
        match f.channel {
            ContactStep::Sms if trail.sms == StepState::Untried => trail.sms = StepState::Done,
            ContactStep::Email if trail.email == StepState::Untried => {
                trail.email = StepState::Done
            }
            _ => {}
        }
    }
    trail
}

impl App {
    /// Called in the transaction that gives an outbox message up (dead) or records its
    /// handset's failed receipt: for a message of an open incident to a person who has not
    /// answered, the next step of their sequence (a call task at once, reason `sms_failed`).
    pub async fn incident_message_failed(
        &self,
        tx: &mut dyn Tx,
        message: &OutboxMessage,
    ) -> Result<(), AppError> {
        let event = message.event.as_deref();
        if message.related_type.as_deref() != Some(INCIDENT_SUBJECT)
            || !matches!(event, Some(BROADCAST_EVENT) | Some(FOLLOWUP_EVENT))
        {
            return Ok(());
        }
        let (Some(customer), Some(incident_id), Some(failed)) = (
            message.customer_id,
            message.related_id.as_deref().and_then(|s| s.parse().ok()),
            step_of_channel(&message.channel),
        ) else {
            return Ok(());
        };
        let Some(incident) = tx.get_incident(incident_id).await? else {
            return Ok(());
        };
        // The broadcast message followed: this one, or the one a follow-up repeats.
        let about = if event == Some(FOLLOWUP_EVENT) {
            tx.followups_of(incident.id, &[customer])
                .await?
                .into_iter()
                .find(|f| f.message_id == message.id)
                .map(|f| f.after_message_id)
        } else {
            Some(message.id)
        };
        let detail = json!({ "failed": failed.as_str() });
        self.next_in_sequence(tx, &incident, customer, failed, about, detail)
            .await
    }

    /// After a call's outcome: not answered or a wrong number leads to the next step (the
    /// latest broadcast message by email).
    pub(super) async fn incident_call_failed(
        &self,
        tx: &mut dyn Tx,
        incident: &Incident,
        customer: Uuid,
        outcome: CallOutcome,
    ) -> Result<(), AppError> {
        if outcome == CallOutcome::Reached {
            return Ok(());
        }
        let detail = json!({ "failed": "call", "outcome": outcome.as_str() });
        self.next_in_sequence(tx, incident, customer, ContactStep::Call, None, detail)
            .await
    }

    /// Reads where the person's steps stand for the broadcast message `about` (the latest
    /// broadcast message to them when `None`), asks the domain what comes after `failed`, and
    /// does it.
    async fn next_in_sequence(
        &self,
        tx: &mut dyn Tx,
        incident: &Incident,
        customer: Uuid,
        failed: ContactStep,
        about: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        if incident.state != IncidentState::Open {
            return Ok(());
        }
        let Some(person) = tx.get_incident_person(incident.id, customer).await? else {
            return Ok(());
        };
        if !person.in_scope {
            return Ok(());
        }
        let messages = tx.contact_messages(incident.id, &[customer]).await?;
        let followups = tx.followups_of(incident.id, &[customer]).await?;
        let calls = tx.call_tasks_of(incident.id, &[customer]).await?;
        let about = match about {
            Some(id) => messages.iter().find(|m| m.id == id),
            None => messages
                .iter()
                .rev()
                .find(|m| m.event.as_deref() == Some(BROADCAST_EVENT)),
        };
        let (phone, email) = self.contacts_of(tx, customer).await?;
        let reach = self.emergency_reach(phone.as_ref(), email.as_ref());
        let trail = trail_of(about, &messages, &followups, calls.first());
        let Some(next) = next_step(person.status, failed, &trail, reach) else {
            return Ok(());
        };
        let now = self.now();
        let mut detail = detail;
        detail["channel"] = json!(next.as_str());
        match next {
            ContactStep::Call => {
                let reason: CallReason = failed.call_reason();
                let task = CallTask {
                    incident_id: incident.id,
                    customer_id: customer,
                    reason,
                    created_at: now,
                    outcome: None,
                    called_by: None,
                    called_at: None,
                    customer_name: String::new(),
                };
                if tx.insert_call_task(&task).await? {
                    detail["reason"] = json!(reason.as_str());
                    tx.insert_incident_events(&[event(
                        incident.id,
                        now,
                        EventKind::CallQueued,
                        None,
                        Some(customer),
                        detail,
                    )])
                    .await?;
                }
            }
            step => {
                let Some(about) = about else {
                    // Nothing was sent to repeat (their call task came from having no way
                    // to message them).
                    return Ok(());
                };
                if self
                    .send_followup(
                        tx,
                        incident,
                        customer,
                        about.id,
                        step,
                        failed,
                        (phone.as_ref(), email.as_ref()),
                    )
                    .await?
                {
                    tx.insert_incident_events(&[event(
                        incident.id,
                        now,
                        EventKind::Followup,
                        None,
                        Some(customer),
                        detail,
                    )])
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Sends the broadcast message `about` again on `step` (email; SMS; WeChat to come), with
    /// a line saying why: once per message and channel, false when it was sent before or
    /// cannot be.
    #[allow(clippy::too_many_arguments)]
    async fn send_followup(
        &self,
        tx: &mut dyn Tx,
        incident: &Incident,
        customer: Uuid,
        about: Uuid,
        step: ContactStep,
        failed: ContactStep,
        (phone, email): (Option<&SealedContact>, Option<&SealedContact>),
    ) -> Result<bool, AppError> {
        let Ok(keys) = self.vault() else {
            return Ok(false);
        };
        let Some((channel, recipient)) = self.recipient_on(keys, step, phone, email)? else {
            return Ok(false);
        };
        let Some(original) = tx.get_message(about).await? else {
            return Ok(false);
        };
        let now = self.now();
        let id = Uuid::now_v7();
        let claimed = tx
            .insert_followup(&IncidentFollowup {
                after_message_id: about,
                channel: step,
                incident_id: incident.id,
                customer_id: customer,
                message_id: id,
                after_step: failed,
                created_at: now,
            })
            .await?;
        if !claimed {
            return Ok(false);
        }
        let why = match failed {
            ContactStep::Call => "我们致电您未能接通",
            ContactStep::Sms => "我们发给您的短信未能送达",
            ContactStep::Email => "我们发给您的邮件未能送达",
        };
        tx.enqueue(&[NewMessage {
            id,
            channel: channel.as_str().into(),
            recipient,
            customer_id: Some(customer),
            subject: original.subject.clone(),
            body_text: format!(
                "{why}，以下是此前发给您的紧急通知，请打开其中的链接报平安：\n\n{}",
                original.body_text
            ),
            body_html: None,
            event: Some(FOLLOWUP_EVENT.into()),
            template_key: None,
            template_version: None,
            locale: original.locale.clone(),
            related_type: Some(INCIDENT_SUBJECT.into()),
            related_id: Some(incident.id.to_string()),
            emergency: true,
            max_attempts: self.settings.notify.max_attempts,
            due_at: now,
            created_by: None,
            created_at: now,
            attachments: Vec::new(),
            thread_references: None,
        }])
        .await?;
        Ok(true)
    }

    /// A customer's primary phone and email (else their first), sealed.
    async fn contacts_of(
        &self,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<(Option<SealedContact>, Option<SealedContact>), AppError> {
        let identifiers = tx.list_identifiers(customer).await?;
        let pick = |kind: &str| {
            identifiers
                .iter()
                .filter(|i| i.kind == kind)
                .max_by_key(|i| i.is_primary)
                .map(|i| SealedContact {
                    identifier_id: i.id,
                    sealed: i.sealed.clone(),
                })
        };
        Ok((pick("phone"), pick("email")))
    }

    /// The channels tried for each of these people of the incident, in the sequence's order
    /// (the board's people list; needs `view_incidents`).
    pub async fn channels_tried(
        &self,
        p: &Principal,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<ChannelTried>>, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut tx = self.store.read().await?;
        let messages = tx.contact_messages(incident_id, customers).await?;
        let calls = tx.call_tasks_of(incident_id, customers).await?;
        let mut out: HashMap<Uuid, Vec<ChannelTried>> = HashMap::new();
        for m in &messages {
            let Some(step) = step_of_channel(&m.channel) else {
                continue;
            };
            let tried = out.entry(m.customer_id).or_default();
            let mark = message_mark(m);
            // One mark per channel: the latest message's.
            match tried.iter_mut().find(|t| t.step == step) {
                Some(t) => t.mark = mark,
                None => tried.push(ChannelTried { step, mark }),
            }
        }
        for c in &calls {
            out.entry(c.customer_id).or_default().push(ChannelTried {
                step: ContactStep::Call,
                mark: c.outcome.map_or("open", |o| o.as_str()),
            });
        }
        for tried in out.values_mut() {
            tried.sort_by_key(|t| ContactStep::ORDER.iter().position(|s| *s == t.step));
        }
        Ok(out)
    }
}
