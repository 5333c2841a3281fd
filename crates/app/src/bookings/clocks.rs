//! The SLA clocks a booking runs under, on subject `("booking", id)`: registration after
//! arrival (`checkin.registration`, 5 minutes) and the refund's payment after a cancellation
//! (`refund.payment`, 5 working days). Starting one, finding the latest of a target, and
//! closing one the booking no longer needs — shared by [`super::arrival`] and
//! [`super::refunds`].

use crate::sla::{ClockAction, StartClock};
use crate::{App, AppError, Principal};
use tripdesk_store::{Booking, SlaClockFilter, SlaClockRecord, Tx};
use uuid::Uuid;

/// The subject type of a booking's SLA clocks.
pub const BOOKING_SUBJECT: &str = "booking";

/// The latest clock of `target` among a booking's clocks.
pub(super) fn latest_clock(
    clocks: impl IntoIterator<Item = SlaClockRecord>,
    target: &str,
) -> Option<SlaClockRecord> {
    clocks
        .into_iter()
        .filter(|c| c.clock.target_key() == target)
        .max_by_key(|c| (c.clock.started_at(), c.id))
}

impl App {
    /// The latest clock of `target` started on a booking, if any.
    pub(super) async fn booking_clock_of(
        &self,
        tx: &mut dyn Tx,
        booking_id: Uuid,
        target: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let clocks = tx
            .list_sla_clocks(&SlaClockFilter {
                target_key: Some(target.into()),
                subject_type: Some(BOOKING_SUBJECT.into()),
                subject_id: Some(booking_id.to_string()),
                ..Default::default()
            })
            .await?;
        Ok(latest_clock(clocks, target))
    }

    /// Starts a clock of `target` on a booking, unless an administrator disabled its policy
    /// (the step is recorded all the same).
    pub(super) async fn start_booking_clock(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        booking: &Booking,
        target: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        let Some(policy) = self.sla_policy(tx, target).await?.filter(|p| p.enabled) else {
            return Ok(None);
        };
        let req = StartClock {
            subject_type: BOOKING_SUBJECT.into(),
            subject_id: booking.id.to_string(),
            target_key: target.into(),
            channel: None,
            department_id: principal.department_id,
            agent_id: (!principal.user_id.is_nil()).then_some(principal.user_id),
        };
        Ok(Some(self.start_clock_of(tx, req, &policy, false).await?))
    }

    /// Stops the booking's latest clock of `target` if it is still open: met before its
    /// deadline, or breached already (the breach stays; the stop records when it was done).
    pub(super) async fn stop_booking_clock(
        &self,
        tx: &mut dyn Tx,
        booking_id: Uuid,
        target: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        match self.booking_clock_of(tx, booking_id, target).await? {
            Some(c) if c.clock.stopped_at().is_none() => Ok(Some(
                self.sla_clock_action(tx, c.id, ClockAction::Stop).await?,
            )),
            other => Ok(other),
        }
    }
}
