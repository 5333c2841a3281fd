//! The desk's use cases: intake, queues, and the complaint workflow. Each step is decided by
//! `tripdesk_domain::desk::decide` and persisted in one transaction together with its
//! timeline entry, the handler record and any task it creates.

mod level;
mod steps;
pub(crate) mod texts;

use crate::customers::IntakeCustomer;
use crate::desk_effects::{clock_is_open, ClockStart, EffectContext};
use crate::idempotency::{Idempotency, Once};
use crate::{check_optional_text, check_text, App, AppError, FieldError, Lines, Principal};
use jiff::Timestamp;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{
    decide, next_steps, Actor, Channel, Compensation, Effect, Facts, Level, State, Step, StepError,
    StepInput, TicketKind,
};
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_store::{DeskTask, SlaClockRecord, Ticket, TicketEvent, TicketFilter, Tx};
use uuid::Uuid;

/// Compensation above this (in fen) needs a supervisor's approval: 500 元 by default.
pub const DEFAULT_APPROVAL_THRESHOLD_FEN: i64 = 50_000;

/// A new ticket as taken at intake.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub channel: Channel,
    pub level: Option<Level>,
    pub subject: String,
    pub description: String,
    pub customer_name: String,
    /// Found through the vault's blind index, or a new customer record is created.
    pub customer_phone: Option<String>,
    pub customer_email: Option<String>,
    /// An existing customer record (takes precedence over phone and email).
    pub customer_id: Option<Uuid>,
    pub booking_ref: Option<String>,
    pub business_area: Option<String>,
    pub tags: Vec<String>,
}

/// What a workflow step may carry.
#[derive(Debug, Clone, Default)]
pub struct StepRequest {
    pub level: Option<Level>,
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub compensation: Option<Compensation>,
    pub satisfaction: Option<u8>,
    pub overall_rating: Option<u8>,
    pub suggestions: Option<String>,
    pub reason: Option<String>,
    pub reopen: bool,
    pub note: Option<String>,
    pub cause: Option<String>,
    pub responsible_department_id: Option<Uuid>,
    pub responsible_person: Option<String>,
    /// propose_solution: improvement actions (e.g. 导游出团前一晚电话确认), each becomes a task
    /// for the responsible department, else the handling group.
    pub improvements: Vec<String>,
    /// schedule_follow_up: when the visit is planned; must lie inside the follow-up window
    /// (default: the window's first instant).
    pub scheduled_at: Option<Timestamp>,
}

/// A ticket with its timeline and tasks.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub events: Vec<TicketEvent>,
    pub tasks: Vec<DeskTask>,
    pub handlers: Vec<Uuid>,
    /// Steps allowed from the current state (whoever may take them).
    pub next_steps: Vec<Step>,
    /// Every SLA clock of the ticket, oldest first (see [`TicketDetail::running_clocks`]).
    pub clocks: Vec<SlaClockRecord>,
    /// Evidence and other files, oldest first.
    pub attachments: Vec<crate::desk_attachments::AttachmentInfo>,
}

impl TicketDetail {
    /// The steps `p` may take on this ticket now, in workflow order: the domain's rule
    /// (`offered_steps`: the state, the permission each step needs, separation of duties,
    /// approval) for complaints; closing or reopening for those who work tickets otherwise.
    /// What a page offers; any other step would be refused.
    pub fn steps_for(&self, p: &Principal) -> Vec<Step> {
        if self.ticket.kind == TicketKind::Complaint {
            let actor = actor_of(p, &self.ticket, &self.handlers);
            tripdesk_domain::desk::offered_steps(self.ticket.state, &actor, &facts_of(&self.ticket))
        } else if p.can(Permission::WorkTickets) {
            self.next_steps.clone()
        } else {
            Vec::new()
        }
    }

    /// Clocks still counting: running, paused, or breached and not yet stopped.
    pub fn running_clocks(&self) -> impl Iterator<Item = &SlaClockRecord> {
        self.clocks.iter().filter(|c| clock_is_open(c))
    }
}

pub(crate) fn step_error(e: StepError) -> AppError {
    match e {
        StepError::WrongState {
            step,
            state,
            allowed,
        } => AppError::InvalidTransition {
            message: format!("`{step}` is not allowed while the complaint is {state}"),
            allowed: allowed.into_iter().map(Step::as_str).collect(),
        },
        StepError::Forbidden { permission, .. } => AppError::Forbidden(permission.as_str()),
        StepError::SeparationOfDuties => AppError::Conflict {
            code: "separation_of_duties",
            message: e.to_string(),
            field: None,
        },
        StepError::ApprovalRequired | StepError::NothingToApprove => AppError::Conflict {
            code: e.code(),
            message: e.to_string(),
            field: None,
        },
        StepError::Invalid { field, message } => {
            AppError::field(field, "invalid", format!("{field} {message}"))
        }
    }
}

/// Who is acting on a ticket, as far as the workflow rules care.
pub(crate) fn actor_of<'a>(p: &'a Principal, ticket: &Ticket, handlers: &[Uuid]) -> Actor<'a> {
    Actor {
        roles: &p.roles,
        in_handling_group: ticket.group_id.is_some() && p.department_id == ticket.group_id,
        handled_ticket: handlers.contains(&p.user_id),
    }
}

/// The facts of a ticket the workflow rules look at.
pub(crate) fn facts_of(ticket: &Ticket) -> Facts {
    Facts {
        level: ticket.level,
        compensation: ticket.compensation_kind.map(|kind| Compensation {
            kind,
            amount_fen: ticket.compensation_amount_fen.unwrap_or(0),
        }),
        compensation_approved: ticket.compensation_approved_at.is_some(),
        approval_threshold_fen: DEFAULT_APPROVAL_THRESHOLD_FEN,
        last_satisfaction: ticket.last_satisfaction,
    }
}

/// How an intake differs from an agent's (the public form sets these).
#[derive(Debug, Clone, Default)]
pub(crate) struct IntakeOptions {
    /// A phone or an email is required (field `customer.contact`).
    pub require_contact: bool,
    /// Rate-limit counters `(key, limit)` bumped in the ticket's transaction.
    pub rate_keys: Vec<(String, u32)>,
}

/// The steps allowed from a ticket's state: the complaint workflow's, else close or reopen.
fn allowed_steps(ticket: &Ticket) -> Vec<Step> {
    if ticket.kind == TicketKind::Complaint {
        next_steps(ticket.state)
    } else if ticket.state.is_open() {
        vec![Step::Close]
    } else {
        vec![Step::Reopen]
    }
}

impl App {
    /// Takes a new ticket (agent intake and the API; the public form goes through
    /// [`App::submit_public_ticket`]).
    pub async fn create_ticket(
        &self,
        p: &Principal,
        input: NewTicket,
    ) -> Result<TicketDetail, AppError> {
        self.create_ticket_once(p, input, None).await?.done()
    }

    /// [`App::create_ticket`] made safe to retry with an idempotency key (see
    /// [`crate::idempotency`]).
    pub async fn create_ticket_once(
        &self,
        p: &Principal,
        input: NewTicket,
        once: Option<&Idempotency<'_, TicketDetail>>,
    ) -> Result<Once<TicketDetail>, AppError> {
        p.require(Permission::WorkTickets)?;
        self.take_ticket(p, input, IntakeOptions::default(), once)
            .await
    }

    /// Intake without the permission check: callers decide who may take a ticket.
    pub(crate) async fn take_ticket(
        &self,
        p: &Principal,
        input: NewTicket,
        opts: IntakeOptions,
        once: Option<&Idempotency<'_, TicketDetail>>,
    ) -> Result<Once<TicketDetail>, AppError> {
        let mut fields = Vec::new();
        let mut input = input;
        input.subject = check_text(&mut fields, "subject", &input.subject, 200, Lines::One);
        input.description = check_text(
            &mut fields,
            "description",
            &input.description,
            10_000,
            Lines::Many,
        );
        input.customer_name = check_text(
            &mut fields,
            "customer.name",
            &input.customer_name,
            80,
            Lines::One,
        );
        if input
            .tags
            .iter()
            .any(|t| t.contains(',') || tripdesk_domain::text::single_line(t, 30).is_err())
        {
            fields.push(FieldError::new(
                "tags",
                "invalid",
                "tags are 1 to 30 characters without commas",
            ));
        }
        check_optional_text(
            &mut fields,
            "booking_ref",
            input.booking_ref.as_deref(),
            100,
            Lines::One,
        );
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        if opts.require_contact && !given(&input.customer_phone) && !given(&input.customer_email) {
            fields.push(FieldError::new(
                "customer.contact",
                "required",
                "give a phone number or an email address so that we can reach you",
            ));
        }
        let intake = IntakeCustomer {
            name: input.customer_name.clone(),
            phone: input.customer_phone.clone(),
            email: input.customer_email.clone(),
        };
        let prepared = if input.customer_id.is_some() {
            None
        } else {
            match self.prepare_intake_customer(&intake, input.channel.as_str()) {
                Ok(p) => p,
                Err(errors) => {
                    fields.extend(errors);
                    None
                }
            }
        };
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let level = input.level.unwrap_or(Level::General);
        // The text work, before the writer is taken (see `desk::texts`).
        texts::normalize(&mut input);
        let words = self.ticket_texts_of(&input).await?;
        let mut tx = self.store.write().await?;
        if let Some(kept) = self.claim_once(&mut *tx, p, once).await? {
            tx.commit().await?;
            return Ok(Once::Replayed(kept));
        }
        self.count_intake(&mut *tx, &opts.rate_keys).await?;
        let customer_id = match (input.customer_id, prepared) {
            (Some(id), _) => {
                if tx.get_customer(id).await?.is_none() {
                    return Err(AppError::field(
                        "customer_id",
                        "unknown",
                        "no customer has this id",
                    ));
                }
                Some(id)
            }
            (None, Some(prepared)) => {
                Some(self.find_or_create_customer(&mut *tx, p, prepared).await?)
            }
            (None, None) => None,
        };
        let detail = self
            .insert_new_ticket_with(&mut *tx, p, input, level, customer_id, None, Some(words))
            .await?;
        self.keep_once(&mut *tx, p, once, &detail).await?;
        tx.commit().await?;
        Ok(Once::Done(detail))
    }

    /// Writes a new ticket whose input is checked and whose customer is known, in the
    /// caller's transaction: its number, routing, first-response clock, level alerts,
    /// timeline, search document and `ticket.created` event. Used by intake and by the
    /// emergency escalation of a traveler.
    pub(crate) async fn insert_new_ticket(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        input: NewTicket,
        level: Level,
        customer_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
    ) -> Result<TicketDetail, AppError> {
        self.insert_new_ticket_with(tx, p, input, level, customer_id, assignee_id, None)
            .await
    }

    /// [`App::insert_new_ticket`] with the words of the ticket's texts computed before the
    /// transaction (from the input normalized by `texts::normalize`), or here if `None`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_new_ticket_with(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        input: NewTicket,
        level: Level,
        customer_id: Option<Uuid>,
        assignee_id: Option<Uuid>,
        words: Option<texts::TicketTexts>,
    ) -> Result<TicketDetail, AppError> {
        let now = self.now();
        let n = tx.next_in_sequence("ticket").await?;
        let mut ticket = Ticket {
            id: Uuid::now_v7(),
            number: format!("TS{n:07}"),
            kind: input.kind,
            channel: input.channel,
            level,
            state: State::Received,
            subject: input.subject.trim().to_string(),
            description: input.description.trim().to_string(),
            customer_id,
            customer_name: input.customer_name.trim().to_string(),
            booking_ref: input
                .booking_ref
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            business_area: input
                .business_area
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            tags: input
                .tags
                .into_iter()
                .map(|t| t.trim().to_string())
                .collect(),
            group_id: None,
            assignee_id,
            compensation_kind: None,
            compensation_amount_fen: None,
            compensation_approved_by: None,
            compensation_approved_at: None,
            cause: None,
            responsible_department_id: None,
            responsible_person: None,
            last_satisfaction: None,
            created_by: Some(p.user_id).filter(|id| !id.is_nil()),
            created_at: now,
            updated_at: now,
            resolved_at: None,
            closed_at: None,
            version: 1,
        };
        // Inquiries and feedback go to the routed group at once; complaints are triaged first
        // (see `desk_routing`).
        if ticket.kind != TicketKind::Complaint {
            ticket.group_id = self
                .route_ticket(&mut *tx, &ticket)
                .await?
                .map(|r| r.group_id);
        }
        tx.insert_ticket(&ticket).await?;
        match words {
            Some(words) => {
                self.index_new_ticket(&mut *tx, &ticket, words.index_tokens)
                    .await?;
                if let Some(verdict) = words.verdict {
                    self.classify_new_ticket(&mut *tx, &ticket, verdict).await?;
                }
            }
            None => {
                self.index_ticket(&mut *tx, &ticket).await?;
                self.classify_ticket(&mut *tx, &ticket).await?;
            }
        }
        let mut done = Vec::new();
        let mut clocks = Vec::new();
        if let Some(key) = ticket.channel.first_response_target() {
            let answered = ticket.channel.answered_at_intake();
            let start = if answered {
                ClockStart::NewAnswered
            } else {
                ClockStart::New
            };
            if let Some(clock) = self
                .start_ticket_clock_as(&mut *tx, &ticket, key, start)
                .await?
            {
                done.push(format!("start_clock:{key}"));
                if answered {
                    done.push(format!("stop_clock:{key}"));
                }
                clocks.push(clock);
            }
        }
        if ticket.kind == TicketKind::Complaint {
            let alerts: Vec<Effect> = level.alerts().iter().copied().map(Effect::Notify).collect();
            done.extend(
                self.run_ticket_effects(&mut *tx, &ticket, &alerts, &EffectContext::default())
                    .await?,
            );
        }
        let created = self
            .record_event(
                &mut *tx,
                p,
                &ticket,
                "created",
                None,
                None,
                Some(State::Received),
                None,
                &done,
            )
            .await?;
        self.publish_ticket_created(&mut *tx, &ticket).await?;
        // Everything a new ticket has was written just now: the answer needs no read-back.
        let detail = TicketDetail {
            next_steps: allowed_steps(&ticket),
            ticket,
            events: vec![created],
            tasks: Vec::new(),
            handlers: Vec::new(),
            clocks,
            attachments: Vec::new(),
        };
        Ok(detail)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_event(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        ticket: &Ticket,
        kind: &str,
        step: Option<Step>,
        from: Option<State>,
        to: Option<State>,
        body: Option<String>,
        effects: &[String],
    ) -> Result<TicketEvent, AppError> {
        let data =
            serde_json::json!({ "effects": effects, "level": ticket.level.as_str() }).to_string();
        let event = TicketEvent {
            id: Uuid::now_v7(),
            ticket_id: ticket.id,
            at: self.now(),
            actor_id: Some(p.user_id).filter(|id| !id.is_nil()),
            actor_name: p.display_name.clone(),
            kind: kind.into(),
            step: step.map(|s| s.as_str().to_string()),
            from_state: from.map(|s| s.as_str().to_string()),
            to_state: to.map(|s| s.as_str().to_string()),
            body,
            data: Some(data),
        };
        tx.insert_ticket_event(&event).await?;
        self.index_new_ticket_event(&mut *tx, &event).await?;
        // The audit log names the step and its effects, never the notes (they may quote the
        // customer).
        let action = match kind {
            "created" => AuditAction::TicketCreated,
            "step" => AuditAction::TicketStep,
            "level_changed" => AuditAction::TicketLevelChanged,
            "attachment" => AuditAction::TicketAttachment,
            "survey_sent" => AuditAction::TicketSurveySent,
            other => {
                return Err(AppError::Internal(format!(
                    "ticket event {other:?} has no audit action"
                )))
            }
        };
        self.audit(
            tx,
            p,
            action,
            "ticket",
            Some(ticket.id.to_string()),
            serde_json::json!({
                "number": ticket.number,
                "step": step.map(Step::as_str),
                "from": from.map(State::as_str),
                "to": to.map(State::as_str),
                "level": ticket.level.as_str(),
                "effects": effects,
            }),
        )
        .await?;
        Ok(event)
    }

    /// Loads a ticket for `p`: every desk use case that reads or writes one ticket goes
    /// through here. A ticket outside `p`'s scope ([`Principal::ticket_scope`]) answers
    /// "not found", exactly as a missing one, so ticket ids cannot be probed.
    pub(crate) async fn ticket_for(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        id: Uuid,
    ) -> Result<Ticket, AppError> {
        tx.get_ticket(id)
            .await?
            .filter(|t| p.sees_ticket(t))
            .ok_or(AppError::NotFound("ticket"))
    }

    pub async fn get_ticket(&self, p: &Principal, id: Uuid) -> Result<TicketDetail, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let ticket = self.ticket_for(&mut *tx, p, id).await?;
        self.detail_of(&mut *tx, ticket).await
    }

    /// Everything the ticket page shows of `ticket`, read in `tx`.
    async fn detail_of(&self, tx: &mut dyn Tx, ticket: Ticket) -> Result<TicketDetail, AppError> {
        let id = ticket.id;
        let events = tx.list_ticket_events(id).await?;
        let tasks = tx.list_desk_tasks(id).await?;
        let handlers = tx.ticket_handlers(id).await?;
        let clocks = self.ticket_clocks(tx, id).await?;
        let attachments = self.attachments_of(tx, id).await?;
        let next = allowed_steps(&ticket);
        Ok(TicketDetail {
            ticket,
            events,
            tasks,
            handlers,
            next_steps: next,
            clocks,
            attachments,
        })
    }

    pub async fn list_tickets(
        &self,
        p: &Principal,
        filter: &TicketFilter,
    ) -> Result<(Vec<Ticket>, u64), AppError> {
        p.require(Permission::ViewDesk)?;
        let mut filter = filter.clone();
        p.scope_tickets(&mut filter);
        let mut tx = self.store.read().await?;
        let tickets = tx.list_tickets(&filter).await?;
        let total = tx.count_tickets(&filter).await?;
        Ok((tickets, total))
    }

    /// How many tickets a queue holds.
    pub async fn count_tickets(
        &self,
        p: &Principal,
        filter: &TicketFilter,
    ) -> Result<u64, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut filter = filter.clone();
        p.scope_tickets(&mut filter);
        let mut tx = self.store.read().await?;
        Ok(tx.count_tickets(&filter).await?)
    }
}

/// Inquiries and feedback have no workflow of their own: they are closed (and reopened).
fn simple_step(
    from: State,
    step: Step,
    p: &Principal,
) -> Result<tripdesk_domain::desk::Decision, AppError> {
    p.require(Permission::WorkTickets)?;
    match (step, from) {
        (Step::Close, s) if s.is_open() => Ok(tripdesk_domain::desk::Decision {
            to: State::Closed,
            effects: vec![Effect::CancelClocks],
        }),
        (Step::Reopen, State::Closed) => Ok(tripdesk_domain::desk::Decision {
            to: State::Received,
            effects: vec![],
        }),
        _ => Err(AppError::InvalidTransition {
            message: format!("`{step}` is not allowed for an inquiry or feedback that is {from}"),
            allowed: vec![if from.is_open() { "close" } else { "reopen" }],
        }),
    }
}
