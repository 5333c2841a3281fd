//! What tripdesk tells webhook subscribers, and in which words: the payload (`data`) of each
//! event of [`tripdesk_domain::notify::events`], published through [`App::publish_event`] in
//! the transaction of the change it reports — an event is delivered if and only if its
//! change committed.
//!
//! Payloads are stable and carry no personal data: ids, the ticket number, kind, channel,
//! level, state, group, assignee and instants (RFC 3339, UTC). No customer name, phone, email,
//! subject, description or reply text: an integrator fetches details through the API with a
//! token, where permissions and masking apply.

use crate::{App, AppError};
use jiff::Timestamp;
use serde::Serialize;
use tripdesk_domain::desk::{Level, State, Step};
use tripdesk_domain::notify::events;
use tripdesk_store::{Booking, SlaClockRecord, SlaEventKind, Ticket, Tx};
use uuid::Uuid;

fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

/// A ticket as every ticket event names it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookTicket {
    pub id: Uuid,
    /// The reference the customer sees, e.g. `TS0000042`.
    pub number: String,
    /// `inquiry`, `complaint` or `feedback`.
    pub kind: String,
    /// `phone`, `email`, `web_form`, `chat`, `on_site` or `social`.
    pub channel: String,
    /// `general`, `important` or `urgent`.
    pub level: String,
    /// The workflow state after the event, e.g. `received`, `assigned`, `closed`.
    pub state: String,
    /// The handling group (a department id), once routed or assigned.
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl WebhookTicket {
    pub fn of(t: &Ticket) -> Self {
        Self {
            id: t.id,
            number: t.number.clone(),
            kind: t.kind.as_str().into(),
            channel: t.channel.as_str().into(),
            level: t.level.as_str().into(),
            state: t.state.as_str().into(),
            group_id: t.group_id,
            assignee_id: t.assignee_id,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// `ticket.created`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketCreatedData {
    pub ticket: WebhookTicket,
    /// The staff member who took it (absent for the public form).
    pub created_by: Option<Uuid>,
    /// RFC 3339.
    pub at: String,
}

/// `ticket.level_changed`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketLevelChangedData {
    pub ticket: WebhookTicket,
    pub from_level: String,
    pub to_level: String,
    pub actor_id: Option<Uuid>,
    /// RFC 3339.
    pub at: String,
}

/// `ticket.step` (every complaint workflow step) and `ticket.assigned` (the `assign` and
/// `reassign` steps).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketStepData {
    pub ticket: WebhookTicket,
    /// `triage`, `assign`, `reassign`, `record_contact`, `start_investigation`,
    /// `propose_solution`, `approve_compensation`, `resolve`, `report_result`,
    /// `schedule_follow_up`, `record_follow_up`, `close` or `reopen`.
    pub step: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_id: Option<Uuid>,
    /// RFC 3339.
    pub at: String,
}

/// `ticket.reply_sent`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketReplySentData {
    pub ticket: WebhookTicket,
    /// The timeline entry of the reply (`GET /api/v1/tickets/{id}/timeline`).
    pub event_id: Uuid,
    /// Whether the reply was queued to the customer's email.
    pub emailed: bool,
    pub actor_id: Option<Uuid>,
    /// RFC 3339.
    pub at: String,
}

/// `sla.warning` and `sla.breach`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaEventData {
    pub clock_id: Uuid,
    /// The SLA target, e.g. `complaint.first_response`.
    pub target: String,
    /// What the clock times: `ticket`, or an integration's subject.
    pub subject_type: String,
    pub subject_id: String,
    /// The ticket, when the clock times one.
    pub ticket: Option<WebhookTicket>,
    /// RFC 3339.
    pub due_at: String,
    /// RFC 3339.
    pub warn_at: Option<String>,
    /// When the warning or breach instant was reached, RFC 3339.
    pub at: String,
}

/// `survey.answered`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyAnsweredData {
    pub survey_id: Uuid,
    /// The complaint after the answer was recorded (reopened when unsatisfied).
    pub ticket: WebhookTicket,
    /// 1–5.
    pub satisfaction: u8,
    /// 1–5.
    pub overall_rating: u8,
    /// RFC 3339.
    pub at: String,
}

/// `customer.erased`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerErasedData {
    pub customer_id: Uuid,
    /// RFC 3339.
    pub at: String,
}

/// Every `booking.*` event: the booking as it stands after the change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingEventData {
    pub id: Uuid,
    /// `held`, `confirmed`, `changed`, `cancelled`, `expired`, `completed`, `closed`.
    pub state: String,
    /// Issued at confirmation.
    pub confirmation_no: Option<String>,
    pub customer_id: Uuid,
    /// The first night or departure day (`YYYY-MM-DD`).
    pub starts_on: String,
    /// The last day (`YYYY-MM-DD`).
    pub ends_on: String,
    pub total_fen: i64,
    pub paid_fen: i64,
    /// RFC 3339.
    pub at: String,
}

fn related(ticket: &Ticket) -> Option<(String, String)> {
    Some(("ticket".into(), ticket.id.to_string()))
}

fn json<T: Serialize>(data: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(data).map_err(|e| AppError::Internal(e.to_string()))
}

impl App {
    pub(crate) async fn publish_ticket_created(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
    ) -> Result<(), AppError> {
        let data = TicketCreatedData {
            ticket: WebhookTicket::of(ticket),
            created_by: ticket.created_by,
            at: rfc3339(ticket.created_at),
        };
        self.publish_event(tx, events::TICKET_CREATED, &json(&data)?, related(ticket))
            .await?;
        Ok(())
    }

    pub(crate) async fn publish_level_changed(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        from: Level,
        actor: Uuid,
    ) -> Result<(), AppError> {
        let data = TicketLevelChangedData {
            ticket: WebhookTicket::of(ticket),
            from_level: from.as_str().into(),
            to_level: ticket.level.as_str().into(),
            actor_id: (!actor.is_nil()).then_some(actor),
            at: rfc3339(self.now()),
        };
        self.publish_event(
            tx,
            events::TICKET_LEVEL_CHANGED,
            &json(&data)?,
            related(ticket),
        )
        .await?;
        Ok(())
    }

    /// A workflow step: `ticket.step`, plus `ticket.assigned` for assign and reassign and
    /// `ticket.level_changed` when the step (triage) changed the level.
    pub(crate) async fn publish_step(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        step: Step,
        from: State,
        from_level: Level,
        actor: Uuid,
    ) -> Result<(), AppError> {
        let data = json(&TicketStepData {
            ticket: WebhookTicket::of(ticket),
            step: step.as_str().into(),
            from_state: from.as_str().into(),
            to_state: ticket.state.as_str().into(),
            actor_id: (!actor.is_nil()).then_some(actor),
            at: rfc3339(self.now()),
        })?;
        self.publish_event(tx, events::TICKET_STEP, &data, related(ticket))
            .await?;
        if matches!(step, Step::Assign | Step::Reassign) {
            self.publish_event(tx, events::TICKET_ASSIGNED, &data, related(ticket))
                .await?;
        }
        if ticket.level != from_level {
            self.publish_level_changed(tx, ticket, from_level, actor)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn publish_reply_sent(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
        event_id: Uuid,
        emailed: bool,
        actor: Uuid,
    ) -> Result<(), AppError> {
        let data = TicketReplySentData {
            ticket: WebhookTicket::of(ticket),
            event_id,
            emailed,
            actor_id: (!actor.is_nil()).then_some(actor),
            at: rfc3339(self.now()),
        };
        self.publish_event(
            tx,
            events::TICKET_REPLY_SENT,
            &json(&data)?,
            related(ticket),
        )
        .await?;
        Ok(())
    }

    /// An SLA warning or breach (other clock events are not published).
    pub(crate) async fn publish_sla_event(
        &self,
        tx: &mut dyn Tx,
        clock: &SlaClockRecord,
        kind: SlaEventKind,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let event = match kind {
            SlaEventKind::Warning => events::SLA_WARNING,
            SlaEventKind::Breach => events::SLA_BREACH,
            _ => return Ok(()),
        };
        if !self.has_subscriber(tx, event).await? {
            return Ok(());
        }
        let ticket = match (
            clock.subject_type.as_str(),
            Uuid::parse_str(&clock.subject_id),
        ) {
            ("ticket", Ok(id)) => tx.get_ticket(id).await?,
            _ => None,
        };
        let data = SlaEventData {
            clock_id: clock.id,
            target: clock.clock.target_key().to_string(),
            subject_type: clock.subject_type.clone(),
            subject_id: clock.subject_id.clone(),
            ticket: ticket.as_ref().map(WebhookTicket::of),
            due_at: rfc3339(clock.clock.due_at()),
            warn_at: clock.clock.warn_at().map(rfc3339),
            at: rfc3339(at),
        };
        self.publish_event(
            tx,
            event,
            &json(&data)?,
            Some((clock.subject_type.clone(), clock.subject_id.clone())),
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn publish_survey_answered(
        &self,
        tx: &mut dyn Tx,
        survey_id: Uuid,
        ticket: &Ticket,
        satisfaction: u8,
        overall_rating: u8,
    ) -> Result<(), AppError> {
        let data = SurveyAnsweredData {
            survey_id,
            ticket: WebhookTicket::of(ticket),
            satisfaction,
            overall_rating,
            at: rfc3339(self.now()),
        };
        self.publish_event(tx, events::SURVEY_ANSWERED, &json(&data)?, related(ticket))
            .await?;
        Ok(())
    }

    /// Publishes a `booking.*` event of [`events::ALL`]; most installations subscribe to
    /// nothing, so no payload is built for nobody (a hot path of every booking step).
    pub(crate) async fn publish_booking_event(
        &self,
        tx: &mut dyn Tx,
        event: &'static str,
        booking: &Booking,
    ) -> Result<(), AppError> {
        if !self.has_subscriber(tx, event).await? {
            return Ok(());
        }
        let data = BookingEventData {
            id: booking.id,
            state: booking.state.as_str().into(),
            confirmation_no: booking.confirmation_no.clone(),
            customer_id: booking.customer_id,
            starts_on: booking.starts_on.to_string(),
            ends_on: booking.ends_on.to_string(),
            total_fen: booking.total_fen,
            paid_fen: booking.paid_fen,
            at: rfc3339(self.now()),
        };
        self.publish_event(
            tx,
            event,
            &json(&data)?,
            Some(("booking".into(), booking.id.to_string())),
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn publish_customer_erased(
        &self,
        tx: &mut dyn Tx,
        customer_id: Uuid,
    ) -> Result<(), AppError> {
        let data = CustomerErasedData {
            customer_id,
            at: rfc3339(self.now()),
        };
        self.publish_event(
            tx,
            events::CUSTOMER_ERASED,
            &json(&data)?,
            Some(("customer".into(), customer_id.to_string())),
        )
        .await?;
        Ok(())
    }
}
