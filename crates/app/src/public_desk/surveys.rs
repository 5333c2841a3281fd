//! Satisfaction surveys: sending them on a closed ticket, opening and answering them by signed token.

use super::*;

impl App {
    /// A ticket's surveys (staff with the desk open).
    pub async fn list_surveys(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<Vec<Survey>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        self.ticket_for(&mut *tx, p, ticket_id).await?;
        Ok(tx.list_surveys(ticket_id).await?)
    }

    /// A follow-up agent sends a survey link for a complaint whose follow-up is scheduled.
    /// The agent must be allowed to record that follow-up (the same rules as by phone,
    /// checked now so the customer's answer will not be refused later). The link is valid
    /// [`SURVEY_LINK_DAYS`] days and once; it is emailed through the outbox when the customer
    /// has an email address, and returned for the agent to read out or send by SMS/WeChat.
    pub async fn send_survey(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        base_url: &str,
    ) -> Result<SurveyLink, AppError> {
        p.require(Permission::PerformFollowUp)?;
        let keys = self.vault()?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        if ticket.kind != TicketKind::Complaint || ticket.state != State::FollowUpScheduled {
            return Err(survey_error(
                "survey_not_due",
                "a survey link is sent for a complaint whose follow-up is scheduled",
            ));
        }
        let handlers = tx.ticket_handlers(ticket.id).await?;
        let probe = StepInput {
            satisfaction: Some(5),
            overall_rating: Some(5),
            ..Default::default()
        };
        decide(
            ticket.state,
            Step::RecordFollowUp,
            &crate::desk::actor_of(p, &ticket, &handlers),
            &crate::desk::facts_of(&ticket),
            &probe,
        )
        .map_err(crate::desk::step_error)?;

        let id = Uuid::now_v7();
        let expires_at = now + SignedDuration::from_hours(24 * SURVEY_LINK_DAYS);
        let token = survey_token(keys, id, expires_at);
        let url = link(base_url, "survey", &token);
        // The customer's email (opened from the vault) and language, when they have one.
        let contact = match (
            ticket.customer_id,
            self.customer_email(&mut *tx, ticket.customer_id).await?,
        ) {
            (Some(c), Some(email)) => {
                let language = tx.get_customer(c).await?.and_then(|c| c.preferred_language);
                Some((c, email, language))
            }
            _ => None,
        };
        let survey = Survey {
            id,
            ticket_id: ticket.id,
            token_hash: crate::secrets::token_hash(&token),
            agent_id: p.user_id,
            created_at: now,
            expires_at,
            emailed: contact.is_some(),
            used_at: None,
            answers: None,
        };
        tx.insert_survey(&survey).await?;
        let mut effects = Vec::new();
        if let Some((customer_id, email, locale)) = contact {
            let vars = BTreeMap::from([
                ("name".to_string(), ticket.customer_name.clone()),
                ("ticket_no".to_string(), ticket.number.clone()),
                ("summary".to_string(), ticket.subject.clone()),
                ("link".to_string(), url.clone()),
                ("days".to_string(), SURVEY_LINK_DAYS.to_string()),
            ]);
            self.enqueue_notifications(
                &mut *tx,
                &[Notification {
                    template_key: "complaint.survey".into(),
                    recipient: Recipient {
                        preference_key: Some(format!("customer:{customer_id}")),
                        customer_id: Some(customer_id),
                        email: Some(email),
                        user_id: None,
                        locale,
                    },
                    vars,
                    related: Some((
                        crate::desk_effects::TICKET_SUBJECT.to_string(),
                        ticket.id.to_string(),
                    )),
                    emergency: false,
                    attachments: Vec::new(),
                }],
            )
            .await?;
            effects.push("notify:customer".to_string());
        }
        self.record_event(
            &mut *tx,
            p,
            &ticket,
            "survey_sent",
            None,
            Some(ticket.state),
            Some(ticket.state),
            Some(format!(
                "发送满意度问卷链接，{} 前有效{}",
                expires_at
                    .to_zoned(tripdesk_domain::calendar::china_time_zone())
                    .strftime("%Y-%m-%d %H:%M"),
                if survey.emailed {
                    "，已发邮件"
                } else {
                    ""
                }
            )),
            &effects,
        )
        .await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::SurveySend,
            "survey",
            Some(id.to_string()),
            json!({ "ticket": ticket.number, "expires_at": expires_at, "emailed": survey.emailed }),
        )
        .await?;
        tx.commit().await?;
        Ok(SurveyLink { survey, token, url })
    }

    /// Checks a survey link before the customer answers: `NotFound` when it does not verify
    /// (tampered, or unknown), `Conflict` with code `survey_expired`, `survey_used` or
    /// `survey_closed` (the follow-up is no longer waiting for it).
    pub async fn open_survey(&self, token: &str) -> Result<SurveyInvitation, AppError> {
        let (survey, ticket) = self.survey_of(token).await?;
        if ticket.state != State::FollowUpScheduled {
            return Err(survey_error(
                "survey_closed",
                "this complaint's follow-up is already recorded",
            ));
        }
        Ok(SurveyInvitation {
            ticket_number: ticket.number,
            subject: ticket.subject,
            expires_at: survey.expires_at,
        })
    }

    pub(super) async fn survey_of(&self, token: &str) -> Result<(Survey, Ticket), AppError> {
        let (_, expires_at) =
            verify_survey_token(self.vault()?, token).ok_or(AppError::NotFound("survey link"))?;
        let mut tx = self.store.read().await?;
        let survey = tx
            .get_survey_by_token_hash(&crate::secrets::token_hash(token))
            .await?
            .ok_or(AppError::NotFound("survey link"))?;
        if survey.used_at.is_some() {
            return Err(survey_error(
                "survey_used",
                "this survey link was already used",
            ));
        }
        if expires_at <= self.now() {
            return Err(survey_error(
                "survey_expired",
                "this survey link has expired",
            ));
        }
        let ticket = tx
            .get_ticket(survey.ticket_id)
            .await?
            .ok_or(AppError::NotFound("survey link"))?;
        Ok((survey, ticket))
    }

    /// Records the customer's answer as the follow-up of the complaint, on behalf of the agent
    /// who sent the link, in one transaction with marking the link used: the follow-up is
    /// recorded once, or not at all (a refused answer leaves the link usable). A satisfaction
    /// of 1–2 needs the reason, creates the rectification task and reopens the complaint.
    pub async fn answer_survey(
        &self,
        token: &str,
        input: SurveyAnswerInput,
    ) -> Result<Ticket, AppError> {
        let (survey, _) = self.survey_of(token).await?;
        let answers = answer_fields(&input)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        if !tx.use_survey(survey.id, now, &answers).await? {
            // Another request used it first (or it expired this instant).
            return Err(survey_error(
                "survey_used",
                "this survey link was already used",
            ));
        }
        let agent = tx
            .get_user(survey.agent_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(|| {
                survey_error(
                    "survey_closed",
                    "the follow-up agent of this survey is no longer active",
                )
            })?;
        let mut p = Principal::of(
            &agent,
            Credential::Survey {
                survey_id: survey.id,
            },
        );
        // The timeline and the audit log show that the customer answered, through the link
        // of this agent.
        p.display_name = format!("{}（客户问卷）", agent.display_name);
        p.username = format!("{}+survey", agent.username);
        let unsatisfied = answers.satisfaction <= 2;
        let ticket = self
            .apply_step_in(
                &mut *tx,
                &p,
                survey.ticket_id,
                Step::RecordFollowUp,
                StepRequest {
                    satisfaction: Some(answers.satisfaction),
                    overall_rating: Some(answers.overall_rating),
                    suggestions: answers.suggestions.clone(),
                    reason: answers.reason.clone(),
                    reopen: unsatisfied,
                    note: Some(format!(
                        "客户通过问卷链接作答：满意度 {}，总体评价 {}。",
                        answers.satisfaction, answers.overall_rating
                    )),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| match e {
                AppError::InvalidTransition { .. } => survey_error(
                    "survey_closed",
                    "this complaint's follow-up is already recorded",
                ),
                // The agent's roles or group changed since the link was sent.
                AppError::Forbidden(_)
                | AppError::Conflict {
                    code: "separation_of_duties",
                    ..
                } => survey_error(
                    "survey_closed",
                    "this survey can no longer be recorded; we will contact you",
                ),
                other => other,
            })?;
        self.classify_survey(
            &mut *tx,
            survey.id,
            survey.ticket_id,
            answers.suggestions.as_deref(),
            answers.reason.as_deref(),
        )
        .await?;
        self.publish_survey_answered(
            &mut *tx,
            survey.id,
            &ticket,
            answers.satisfaction,
            answers.overall_rating,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(ticket = %ticket.number, satisfaction = answers.satisfaction, "survey answered");
        Ok(ticket)
    }
}
