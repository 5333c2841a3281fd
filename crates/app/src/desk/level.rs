//! Changing a ticket's triage level, and the staff list the desk's pickers offer.

use super::*;

impl App {
    /// Changes a ticket's triage level at any point before it is closed, with a reason;
    /// raising a complaint to important or urgent alerts as triage does. Recorded on the
    /// timeline and in the audit log.
    pub async fn change_level(
        &self,
        p: &Principal,
        id: Uuid,
        level: Level,
        reason: &str,
    ) -> Result<Ticket, AppError> {
        p.require(Permission::WorkTickets)?;
        let reason = tripdesk_domain::text::multi_line(reason, 500).map_err(|e| match e {
            tripdesk_domain::text::TextError::Empty
            | tripdesk_domain::text::TextError::TooLong { .. } => AppError::field(
                "reason",
                "required",
                "say why the level changes (1 to 500 characters)",
            ),
            e => AppError::Validation(vec![FieldError::text("reason", e)]),
        })?;
        let reason = reason.as_str();
        let mut tx = self.store.write().await?;
        let mut ticket = self.ticket_for(&mut *tx, p, id).await?;
        if !ticket.state.is_open() {
            return Err(AppError::Conflict {
                code: "ticket_closed",
                message: "a closed ticket's level cannot change; reopen it first".into(),
                field: None,
            });
        }
        if ticket.level == level {
            return Err(AppError::field(
                "level",
                "unchanged",
                format!("the ticket is already {}", level.as_str()),
            ));
        }
        let raised = level > ticket.level;
        let from_level = ticket.level;
        ticket.level = level;
        ticket.updated_at = self.now();
        ticket.version += 1;
        if !tx.update_ticket(&ticket).await? {
            return Err(AppError::Conflict {
                code: "concurrent_update",
                message: "the ticket was changed by someone else; reload and try again".into(),
                field: None,
            });
        }
        let effects: Vec<Effect> = if raised && ticket.kind == TicketKind::Complaint {
            level.alerts().iter().copied().map(Effect::Notify).collect()
        } else {
            Vec::new()
        };
        let ctx = EffectContext {
            reason: Some(reason.to_string()),
            ..Default::default()
        };
        let done = self
            .run_ticket_effects(&mut *tx, &ticket, &effects, &ctx)
            .await?;
        self.record_event(
            &mut *tx,
            p,
            &ticket,
            "level_changed",
            None,
            Some(ticket.state),
            Some(ticket.state),
            Some(reason.to_string()),
            &done,
        )
        .await?;
        self.publish_level_changed(&mut *tx, &ticket, from_level, p.user_id)
            .await?;
        tx.commit().await?;
        Ok(ticket)
    }
}

impl App {
    /// The active staff the desk's forms offer (assignees, follow-up agents): anyone who
    /// works the desk may read their names, without the staff administration's `view_users`.
    pub async fn desk_people(&self, p: &Principal) -> Result<Vec<tripdesk_store::User>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .list_users(&tripdesk_store::UserFilter {
                limit: 1000,
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .collect())
    }
}
