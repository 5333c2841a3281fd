//! What a desk step causes besides the ticket row: SLA clocks started, stopped or cancelled,
//! and notifications to the people an `Audience` names — all in the step's transaction, so a
//! ticket, its clocks and its alerts commit together or not at all.

use crate::notify::{Notification, Recipient};
use crate::sla::{ClockAction, StartClock};
use crate::{App, AppError};
use std::collections::BTreeMap;
use tripdesk_domain::desk::{Audience, Effect, Level, Step, TicketKind};
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{SlaClockFilter, SlaClockRecord, Ticket, Tx, User, UserFilter};
use uuid::Uuid;

/// The SLA subject type of tickets.
pub const TICKET_SUBJECT: &str = "ticket";

/// Whether a clock still counts (running, paused, or breached but not yet stopped).
pub fn clock_is_open(c: &SlaClockRecord) -> bool {
    c.clock.stopped_at().is_none() && c.clock.state() != ClockState::Cancelled
}

/// The template a notification effect uses, from the step that caused it and the audience.
fn template_key(step: Option<Step>, audience: Audience, level: Level) -> &'static str {
    match (step, audience) {
        (_, Audience::EmergencyLeader) => "complaint.urgent",
        (Some(Step::Assign | Step::Reassign), Audience::HandlingGroup) => "complaint.assigned",
        (Some(Step::ProposeSolution), Audience::Supervisors) => "complaint.approval_needed",
        (Some(Step::ScheduleFollowUp), Audience::FollowUpTeam) => "complaint.follow_up_assigned",
        (Some(Step::RecordFollowUp), Audience::Supervisors) => "complaint.unsatisfied",
        (Some(Step::Reopen), Audience::Supervisors) => "complaint.reopened",
        (_, Audience::Supervisors) if level == Level::Urgent => "complaint.urgent",
        (_, Audience::Supervisors) => "complaint.important",
        (_, Audience::HandlingGroup) => "complaint.assigned",
        // Customers hear from the desk through replies and surveys: no members, no template.
        (_, Audience::FollowUpTeam | Audience::Customer) => "complaint.follow_up_assigned",
    }
}

/// A staff member as a notification recipient: their preferences, email and in-app bell.
pub(crate) fn staff_recipient(u: &User) -> Recipient {
    Recipient {
        preference_key: Some(format!("user:{}", u.id)),
        customer_id: None,
        email: u.email.clone(),
        user_id: Some(u.id),
        locale: Some(u.locale.clone()),
    }
}

/// How a ticket clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClockStart {
    /// On a ticket that may already have an open clock of the target (then none starts).
    Again,
    /// On a ticket being taken now.
    New,
    /// On a ticket being taken now whose response is made as it is taken (a phone call):
    /// stored already met.
    NewAnswered,
}

/// Context a step gives its effects beyond the ticket.
#[derive(Debug, Clone, Default)]
pub(crate) struct EffectContext {
    pub step: Option<Step>,
    /// The follow-up agent just scheduled.
    pub follow_up_agent: Option<Uuid>,
    pub reason: Option<String>,
}

impl App {
    /// Starts a ticket clock unless its policy is missing or switched off (an administrator's
    /// choice must not block intake), or the ticket already has an open clock of the target.
    /// Returns the clock started.
    pub(crate) async fn start_ticket_clock(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        self.start_ticket_clock_as(tx, ticket, target_key, ClockStart::Again)
            .await
    }

    /// [`App::start_ticket_clock`], told whether the ticket is new (it has no clocks yet, so
    /// none is looked for) and whether the response was made as the clock starts.
    pub(crate) async fn start_ticket_clock_as(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        target_key: &str,
        start: ClockStart,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let policy = match self.sla_policy(tx, target_key).await? {
            Some(p) if p.enabled => p,
            _ => return Ok(None),
        };
        if start == ClockStart::Again
            && self
                .open_ticket_clock(tx, ticket, target_key)
                .await?
                .is_some()
        {
            return Ok(None);
        }
        let req = StartClock {
            subject_type: TICKET_SUBJECT.into(),
            subject_id: ticket.id.to_string(),
            target_key: target_key.into(),
            channel: Some(ticket.channel.as_str().into()),
            department_id: ticket.group_id,
            agent_id: ticket.assignee_id,
        };
        let met = start == ClockStart::NewAnswered;
        Ok(Some(self.start_clock_of(tx, req, &policy, met).await?))
    }

    /// The ticket's clock of a target that still counts: running or paused, or breached
    /// (the engine fired it) and not yet stopped — a late answer still stops it.
    pub(crate) async fn open_ticket_clock(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let id = ticket.id.to_string();
        if let Some(c) = tx.active_sla_clock(TICKET_SUBJECT, &id, target_key).await? {
            return Ok(Some(c));
        }
        Ok(tx
            .list_sla_clocks(&SlaClockFilter {
                target_key: Some(target_key.to_string()),
                subject_type: Some(TICKET_SUBJECT.into()),
                subject_id: Some(id),
                ..Default::default()
            })
            .await?
            .into_iter()
            .find(clock_is_open))
    }

    /// Stops the ticket's open clock of a target, if there is one.
    pub(crate) async fn stop_ticket_clock(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let Some(c) = self.open_ticket_clock(tx, ticket, target_key).await? else {
            return Ok(None);
        };
        Ok(Some(
            self.sla_clock_action(tx, c.id, ClockAction::Stop).await?,
        ))
    }

    /// Every clock of a ticket, oldest first.
    pub(crate) async fn ticket_clocks(
        &self,
        tx: &mut dyn Tx,
        ticket_id: Uuid,
    ) -> Result<Vec<SlaClockRecord>, AppError> {
        Ok(tx
            .list_sla_clocks(&SlaClockFilter {
                subject_type: Some(TICKET_SUBJECT.into()),
                subject_id: Some(ticket_id.to_string()),
                ..Default::default()
            })
            .await?)
    }

    /// The staff an audience names for this ticket. The emergency leader is, until the
    /// emergency module defines its leadership group, every administrator (the duty manager
    /// who holds the keys); the handling group is the assignee, else the group's members.
    async fn audience_members(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        audience: Audience,
        ctx: &EffectContext,
    ) -> Result<Vec<User>, AppError> {
        let by_role = |role| UserFilter {
            role: Some(role),
            limit: 500,
            ..Default::default()
        };
        let users = match audience {
            Audience::Supervisors => tx.list_users(&by_role(Role::Supervisor)).await?,
            Audience::EmergencyLeader => tx.list_users(&by_role(Role::Admin)).await?,
            Audience::HandlingGroup => match (ticket.assignee_id, ticket.group_id) {
                (Some(a), _) => tx.get_user(a).await?.into_iter().collect(),
                (None, Some(g)) => {
                    tx.list_users(&UserFilter {
                        department_id: Some(g),
                        limit: 500,
                        ..Default::default()
                    })
                    .await?
                }
                (None, None) => Vec::new(),
            },
            Audience::FollowUpTeam => match ctx.follow_up_agent {
                Some(a) => tx.get_user(a).await?.into_iter().collect(),
                None => tx.list_users(&by_role(Role::FollowUp)).await?,
            },
            // Customers hear from the desk through replies and surveys, not step alerts.
            Audience::Customer => Vec::new(),
        };
        Ok(users
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .collect())
    }

    /// Runs a step's effects in `tx`; returns what happened, for the timeline (e.g.
    /// `start_clock:complaint.contact`, `notify:supervisors`).
    pub(crate) async fn run_ticket_effects(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        effects: &[Effect],
        ctx: &EffectContext,
    ) -> Result<Vec<String>, AppError> {
        let mut done = Vec::new();
        for effect in effects {
            match effect {
                Effect::StartClock(key) => {
                    if self.start_ticket_clock(tx, ticket, key).await?.is_some() {
                        done.push(format!("start_clock:{key}"));
                    }
                }
                Effect::StopClock(key) => {
                    if self.stop_ticket_clock(tx, ticket, key).await?.is_some() {
                        done.push(format!("stop_clock:{key}"));
                    }
                }
                Effect::CancelClocks => {
                    for c in self.ticket_clocks(tx, ticket.id).await? {
                        if clock_is_open(&c) {
                            let key = c.clock.target_key().to_string();
                            self.sla_clock_action(tx, c.id, ClockAction::Cancel).await?;
                            done.push(format!("cancel_clock:{key}"));
                        }
                    }
                }
                Effect::Notify(audience) => {
                    self.notify_audience(tx, ticket, *audience, ctx).await?;
                    let name = serde_json::to_value(audience)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    done.push(format!("notify:{name}"));
                }
                Effect::CreateRectificationTask => done.push("rectification_task".into()),
                Effect::ReopenAfterFollowUp => done.push("reopen".into()),
            }
        }
        Ok(done)
    }

    async fn notify_audience(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        audience: Audience,
        ctx: &EffectContext,
    ) -> Result<usize, AppError> {
        let members = self.audience_members(tx, ticket, audience, ctx).await?;
        if members.is_empty() {
            return Ok(0);
        }
        let key = template_key(ctx.step, audience, ticket.level);
        let mut vars = BTreeMap::new();
        vars.insert("ticket_no".to_string(), ticket.number.clone());
        vars.insert("customer".to_string(), ticket.customer_name.clone());
        vars.insert("summary".to_string(), ticket.subject.clone());
        vars.insert("level".to_string(), ticket.level.as_str().to_string());
        vars.insert(
            "amount".to_string(),
            ticket
                .compensation_amount_fen
                .map(|f| format!("{}.{:02} 元", f / 100, f % 100))
                .unwrap_or_default(),
        );
        vars.insert("reason".to_string(), ctx.reason.clone().unwrap_or_default());
        vars.insert("link".to_string(), format!("/desk/tickets/{}", ticket.id));
        let urgent = ticket.level == Level::Urgent && ticket.kind == TicketKind::Complaint;
        let batch: Vec<Notification> = members
            .iter()
            .map(|u| Notification {
                template_key: key.to_string(),
                recipient: staff_recipient(u),
                vars: vars.clone(),
                related: Some((TICKET_SUBJECT.to_string(), ticket.id.to_string())),
                emergency: urgent,
                attachments: Vec::new(),
            })
            .collect();
        self.enqueue_alerts(tx, &batch).await
    }
}
