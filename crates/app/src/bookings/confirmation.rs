//! The booking confirmation sent to the customer within 1 hour (product brief §1: "booking
//! confirmation sent to the customer ≤ 1 hour after the booking"; the SLA target
//! `booking.confirmation`, started by the lifecycle's confirm step).
//!
//! Confirming a booking starts the clock and, when the customer has an email address, queues
//! the `booking.confirmed` message through the outbox in the same transaction. The outbox's
//! hand-off of that message to the mail server meets the clock ([`App::message_delivered`],
//! in the transaction that records the message sent), so a mail server that is down shows as
//! a breach, not as a promise kept. A customer without email is told by phone: staff record
//! it ([`App::record_confirmation_told`]), which meets the clock too.

use crate::notify::{Notification, Recipient};
use crate::{App, AppError, Principal};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{BookingState, CONFIRMATION_TARGET};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, LineItem, OutboxMessage, SlaClockRecord, Tx};
use uuid::Uuid;

use super::clocks::BOOKING_SUBJECT;

/// The template of the confirmation message (a default template of every installation).
pub const CONFIRMATION_TEMPLATE: &str = "booking.confirmed";

/// How the customer was told of the confirmation when no message could carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToldBy {
    Phone,
    InPerson,
}

impl ToldBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ToldBy::Phone => "phone",
            ToldBy::InPerson => "in_person",
        }
    }
}

impl App {
    /// In the confirm step's transaction: starts the 1-hour clock and queues the
    /// confirmation to the customer's email when there is one. Returns whether a message was
    /// queued.
    pub(super) async fn send_confirmation(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        booking: &Booking,
    ) -> Result<bool, AppError> {
        self.start_booking_clock(tx, principal, booking, CONFIRMATION_TARGET)
            .await?;
        let Some(email) = self.customer_email(tx, Some(booking.customer_id)).await? else {
            return Ok(false);
        };
        // An administrator may have deleted the template: the booking is confirmed all the
        // same, and the running clock tells staff to phone.
        let mut has_template = false;
        for locale in ["zh-CN", "en"] {
            has_template |= tx
                .latest_template(CONFIRMATION_TEMPLATE, locale)
                .await?
                .is_some();
        }
        if !has_template {
            return Ok(false);
        }
        let customer = tx.get_customer(booking.customer_id).await?;
        let (name, locale) = customer
            .map(|c| (c.name, c.preferred_language))
            .unwrap_or_default();
        let vars = BTreeMap::from([
            ("name".to_string(), name),
            (
                "booking_no".to_string(),
                booking.confirmation_no.clone().unwrap_or_default(),
            ),
            ("product".to_string(), self.booked_what(tx, booking).await?),
            (
                "date".to_string(),
                format!("{} – {}", booking.starts_on, booking.ends_on),
            ),
            (
                "amount".to_string(),
                yuan((booking.total_fen - booking.paid_fen).max(0)),
            ),
            (
                "pay_by".to_string(),
                // Confirmed bookings pay before the trip or stay starts.
                booking.starts_on.to_string(),
            ),
        ]);
        self.enqueue_notifications(
            tx,
            &[Notification {
                template_key: CONFIRMATION_TEMPLATE.into(),
                recipient: Recipient {
                    preference_key: Some(format!("customer:{}", booking.customer_id)),
                    customer_id: Some(booking.customer_id),
                    email: Some(email),
                    user_id: None,
                    locale,
                },
                vars,
                related: Some((BOOKING_SUBJECT.to_string(), booking.id.to_string())),
                emergency: false,
                attachments: Vec::new(),
            }],
        )
        .await?;
        Ok(true)
    }

    /// What was booked, in a few words: the package of the first tour line, or the property
    /// and room type of the first room line.
    pub(super) async fn booked_what(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<String, AppError> {
        let Some(line) = booking.lines.first() else {
            return Ok(String::new());
        };
        Ok(match &line.item {
            LineItem::Seats { departure_id, .. } => match tx.get_departure(*departure_id).await? {
                Some(d) => tx
                    .get_package(d.departure.package_id)
                    .await?
                    .map(|p| p.package.name)
                    .unwrap_or_default(),
                None => String::new(),
            },
            LineItem::Room { room_id, .. } => match tx.get_room(*room_id).await? {
                Some(room) => {
                    let property = tx
                        .get_property(room.property_id)
                        .await?
                        .map(|p| p.name)
                        .unwrap_or_default();
                    let room_type = tx
                        .get_room_type(room.room_type_id)
                        .await?
                        .map(|t| t.name)
                        .unwrap_or_default();
                    format!("{property} {room_type}")
                }
                None => String::new(),
            },
        })
    }

    /// Called by the outbox in the transaction that records a message as handed to its
    /// channel: a booking's confirmation meets its 1-hour clock.
    pub async fn message_delivered(
        &self,
        tx: &mut dyn Tx,
        message: &OutboxMessage,
    ) -> Result<(), AppError> {
        if message.template_key.as_deref() != Some(CONFIRMATION_TEMPLATE)
            || message.related_type.as_deref() != Some(BOOKING_SUBJECT)
        {
            return Ok(());
        }
        let Some(id) = message
            .related_id
            .as_deref()
            .and_then(|s| s.parse::<Uuid>().ok())
        else {
            return Ok(());
        };
        self.stop_booking_clock(tx, id, CONFIRMATION_TARGET).await?;
        Ok(())
    }

    /// Staff told the customer of the confirmation themselves (by phone, or in person):
    /// meets the 1-hour clock if it is still open (or stops it breached). Needs
    /// `make_bookings`; 409 `booking.not_confirmed` for a booking not confirmed.
    pub async fn record_confirmation_told(
        &self,
        principal: &Principal,
        id: Uuid,
        by: ToldBy,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let booking = self.load_for_step(&mut *tx, id).await?;
        if !matches!(
            booking.state,
            BookingState::Confirmed | BookingState::Changed | BookingState::Completed
        ) {
            return Err(AppError::Conflict {
                code: "booking.not_confirmed",
                message: format!("a {} booking has no confirmation to tell", booking.state),
                field: None,
            });
        }
        let clock = self
            .stop_booking_clock(&mut *tx, id, CONFIRMATION_TARGET)
            .await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingConfirmationTold,
            &booking,
            json!({
                "by": by.as_str(),
                "confirmation_clock": clock.as_ref().map(|c| c.clock.state().as_str()),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(clock)
    }

    /// The booking's confirmation clock, if one was started.
    pub async fn confirmation_clock(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        self.booking_clock_of(&mut *tx, id, CONFIRMATION_TARGET)
            .await
    }
}
