//! The complaint workflow's steps: each decided by the domain and stored with its timeline, audit entry, handler record and tasks in one transaction.

use super::*;

impl App {
    /// Takes one workflow step on a ticket.
    pub async fn apply_step(
        &self,
        p: &Principal,
        id: Uuid,
        step: Step,
        req: StepRequest,
    ) -> Result<Ticket, AppError> {
        let mut tx = self.store.write().await?;
        let ticket = self.apply_step_in(&mut *tx, p, id, step, req).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// [`App::apply_step`], answering with the ticket as the step left it, read in the
    /// step's transaction: a handler who hands a complaint to another group (reassign) took
    /// the step on a ticket of their scope and gets its outcome, though the ticket is then
    /// out of their scope for every later read.
    pub async fn apply_step_detailed(
        &self,
        p: &Principal,
        id: Uuid,
        step: Step,
        req: StepRequest,
    ) -> Result<TicketDetail, AppError> {
        let mut tx = self.store.write().await?;
        let ticket = self.apply_step_in(&mut *tx, p, id, step, req).await?;
        let detail = self.detail_of(&mut *tx, ticket).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// [`App::apply_step`] in the caller's transaction (a survey answer marks its link used
    /// in the same one).
    pub(crate) async fn apply_step_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        id: Uuid,
        step: Step,
        req: StepRequest,
    ) -> Result<Ticket, AppError> {
        let now = self.now();
        let mut ticket = self.ticket_for(&mut *tx, p, id).await?;
        let handlers = tx.ticket_handlers(id).await?;
        let actor = actor_of(p, &ticket, &handlers);
        let facts = facts_of(&ticket);
        let input = StepInput {
            level: req.level,
            compensation: req.compensation,
            satisfaction: req.satisfaction,
            overall_rating: req.overall_rating,
            reason: req.reason.clone(),
            reopen: req.reopen,
        };
        let from = ticket.state;
        let from_level = ticket.level;
        let decision = if ticket.kind == TicketKind::Complaint {
            decide(from, step, &actor, &facts, &input).map_err(step_error)?
        } else {
            simple_step(from, step, p)?
        };

        // Step-specific data, checked against the store.
        let mut follow_up_agent = None;
        match step {
            Step::Triage => ticket.level = req.level.unwrap_or(ticket.level),
            Step::Assign | Step::Reassign => {
                let group = req.group_id.or(ticket.group_id).ok_or_else(|| {
                    AppError::field("group_id", "required", "choose the handling group")
                })?;
                if tx.get_department(group).await?.is_none() {
                    return Err(AppError::field(
                        "group_id",
                        "unknown",
                        "no department has this id",
                    ));
                }
                if let Some(a) = req.assignee_id {
                    match tx.get_user(a).await? {
                        Some(u) if u.disabled_at.is_none() && u.department_id == Some(group) => {}
                        _ => {
                            return Err(AppError::field(
                                "assignee_id",
                                "unknown",
                                "the assignee must be an active member of the handling group",
                            ))
                        }
                    }
                }
                ticket.group_id = Some(group);
                ticket.assignee_id = req.assignee_id;
            }
            Step::ProposeSolution => {
                if req.improvements.len() > 10
                    // Each action becomes a task's title: one line.
                    || req
                        .improvements
                        .iter()
                        .any(|i| tripdesk_domain::text::single_line(i, 500).is_err())
                {
                    return Err(AppError::field(
                        "improvements",
                        "invalid",
                        "up to 10 improvement actions, each one line of 1 to 500 characters",
                    ));
                }
                for action in &req.improvements {
                    tx.insert_desk_task(&DeskTask {
                        id: Uuid::now_v7(),
                        ticket_id: ticket.id,
                        kind: "improvement".into(),
                        department_id: ticket.responsible_department_id.or(ticket.group_id),
                        assignee_id: None,
                        title: format!("改进 {}：{}", ticket.number, action.trim()),
                        body: action.trim().to_string(),
                        created_at: now,
                        due_at: None,
                        done_at: None,
                    })
                    .await?;
                }
                let c = req.compensation.expect("decide checked it");
                ticket.compensation_kind = Some(c.kind);
                ticket.compensation_amount_fen = Some(c.amount_fen);
                ticket.compensation_approved_by = None;
                ticket.compensation_approved_at = None;
            }
            Step::ApproveCompensation => {
                ticket.compensation_approved_by = Some(p.user_id);
                ticket.compensation_approved_at = Some(now);
            }
            Step::Resolve => ticket.resolved_at = Some(now),
            Step::ReportResult => {
                if let Some(d) = req.responsible_department_id {
                    if tx.get_department(d).await?.is_none() {
                        return Err(AppError::field(
                            "responsible_department_id",
                            "unknown",
                            "no department has this id",
                        ));
                    }
                }
                ticket.cause = req.cause.clone().or(ticket.cause.take());
                ticket.responsible_department_id = req
                    .responsible_department_id
                    .or(ticket.responsible_department_id);
                ticket.responsible_person = req
                    .responsible_person
                    .clone()
                    .or(ticket.responsible_person.take());
            }
            Step::ScheduleFollowUp => {
                let who = req.assignee_id.ok_or_else(|| {
                    AppError::field(
                        "assignee_id",
                        "required",
                        "choose who performs the follow-up",
                    )
                })?;
                let user = tx.get_user(who).await?.filter(|u| u.disabled_at.is_none());
                let Some(user) = user else {
                    return Err(AppError::field(
                        "assignee_id",
                        "unknown",
                        "no active user has this id",
                    ));
                };
                if !user.roles.contains(&Role::FollowUp) {
                    return Err(AppError::field(
                        "assignee_id",
                        "not_follow_up",
                        "the assignee must be on the follow-up team",
                    ));
                }
                if user.department_id.is_some() && user.department_id == ticket.group_id
                    || handlers.contains(&who)
                {
                    return Err(AppError::Conflict {
                        code: "separation_of_duties",
                        message: "the follow-up must be done by someone outside the handling group who did not handle the complaint".into(),
                        field: Some("assignee_id".into()),
                    });
                }
                // The visit is planned inside the follow-up window the policy sets
                // (3–5 China working days after completion by default).
                let window = tx
                    .active_sla_clock(
                        crate::desk_effects::TICKET_SUBJECT,
                        &ticket.id.to_string(),
                        ticket.level.follow_up_target(),
                    )
                    .await?
                    .map(|c| (c.clock.opens_at().unwrap_or(now).max(now), c.clock.due_at()));
                let planned = match (req.scheduled_at, window) {
                    (Some(at), Some((opens, due))) if at < opens || at >= due => {
                        return Err(AppError::field(
                            "scheduled_at",
                            "outside_window",
                            format!(
                                "the follow-up must be planned from {} until before {}",
                                opens.strftime("%Y-%m-%d %H:%M UTC"),
                                due.strftime("%Y-%m-%d %H:%M UTC")
                            ),
                        ))
                    }
                    (Some(at), _) => Some(at),
                    (None, Some((opens, _))) => Some(opens),
                    (None, None) => None,
                };
                follow_up_agent = Some(who);
                tx.insert_desk_task(&DeskTask {
                    id: Uuid::now_v7(),
                    ticket_id: ticket.id,
                    kind: "follow_up".into(),
                    department_id: user.department_id,
                    assignee_id: Some(who),
                    title: format!("回访 {}", ticket.number),
                    body: ticket.subject.clone(),
                    created_at: now,
                    due_at: planned,
                    done_at: None,
                })
                .await?;
            }
            Step::RecordFollowUp => {
                ticket.last_satisfaction = req.satisfaction;
                // The visit is made: the follow-up team's task is done.
                tx.complete_desk_tasks(ticket.id, "follow_up", now).await?;
            }
            Step::Close => ticket.closed_at = Some(now),
            Step::Reopen => {
                ticket.closed_at = None;
                ticket.resolved_at = None;
            }
            Step::RecordContact | Step::StartInvestigation => {}
        }

        ticket.state = decision.to;
        if decision.effects.contains(&Effect::ReopenAfterFollowUp) {
            ticket.state = State::Reopened;
            ticket.resolved_at = None;
        }
        if decision.effects.contains(&Effect::CreateRectificationTask) {
            tx.insert_desk_task(&DeskTask {
                id: Uuid::now_v7(),
                ticket_id: ticket.id,
                kind: "rectification".into(),
                department_id: ticket.responsible_department_id.or(ticket.group_id),
                assignee_id: None,
                title: format!("整改 {}：{}", ticket.number, ticket.subject),
                body: req.reason.clone().unwrap_or_default(),
                created_at: now,
                due_at: None,
                done_at: None,
            })
            .await?;
        }
        if matches!(
            step,
            Step::RecordContact
                | Step::StartInvestigation
                | Step::ProposeSolution
                | Step::Resolve
                | Step::ReportResult
        ) {
            tx.add_ticket_handler(ticket.id, p.user_id).await?;
        }
        ticket.updated_at = now;
        ticket.version += 1;
        if !tx.update_ticket(&ticket).await? {
            return Err(AppError::Conflict {
                code: "concurrent_update",
                message: "the ticket was changed by someone else; reload and try again".into(),
                field: None,
            });
        }
        let mut effects = decision.effects.clone();
        // Contact with the customer, and closing, answer the first-response clock.
        if matches!(step, Step::RecordContact | Step::Close) {
            if let Some(key) = ticket.channel.first_response_target() {
                effects.insert(0, Effect::StopClock(key));
            }
        }
        let ctx = EffectContext {
            step: Some(step),
            follow_up_agent,
            reason: req.reason.clone(),
        };
        let effects = self
            .run_ticket_effects(&mut *tx, &ticket, &effects, &ctx)
            .await?;
        let body = [req.note, req.reason, req.suggestions]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let body = (!body.is_empty()).then_some(body);
        self.record_event(
            &mut *tx,
            p,
            &ticket,
            "step",
            Some(step),
            Some(from),
            Some(ticket.state),
            body,
            &effects,
        )
        .await?;
        self.publish_step(&mut *tx, &ticket, step, from, from_level, p.user_id)
            .await?;
        Ok(ticket)
    }
}
