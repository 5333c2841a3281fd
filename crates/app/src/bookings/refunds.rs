//! Refunds paid out (issue 14 item 6: "each refund … must be paid within 5 working days (an
//! SLA clock)"). A cancellation that owes money — or a change that lowered the total below
//! what was paid — starts the `refund.payment` clock on the booking ([`App::owe_refund`], in
//! that step's transaction); paying the refund
//! out records the money going back as a negative payment, marks the refund paid and stops
//! the clock — met in time, or breached on record — in one transaction.

use crate::{App, AppError, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{refund_payment_due, Cause, Refund, REFUND_PAYMENT_TARGET};
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::events;
use tripdesk_store::{Booking, Payment, PaymentMethod, RefundRecord, SlaClockRecord, Tx};
use uuid::Uuid;

/// A refund paid out, as staff record it: how the money went back and its transfer number.
#[derive(Debug, Clone)]
pub struct RefundPayout {
    pub method: PaymentMethod,
    pub reference: Option<String>,
}

/// A refund just paid, with its booking and the clock it stopped.
#[derive(Debug, Clone)]
pub struct PaidRefund {
    pub booking: Booking,
    pub refund: RefundRecord,
    pub payment: Payment,
    /// The `refund.payment` clock, stopped (none when the policy was disabled).
    pub clock: Option<SlaClockRecord>,
}

impl App {
    /// Records the refund a closing or changed booking owes (in the step's transaction), due 5
    /// working days from now on the office calendar, and starts its `refund.payment` clock
    /// when it owes money (nothing owed, nothing to pay: no clock). A booking runs one such
    /// clock at a time: while an earlier refund is still owed, its clock (the earlier
    /// deadline) covers this one too.
    pub(super) async fn owe_refund(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        booking: &Booking,
        cause: Cause,
        refund: Refund,
    ) -> Result<RefundRecord, AppError> {
        let now = self.now();
        let calendar = self
            .load_calendar(tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let due_at = refund_payment_due(&calendar, now)
            .map_err(|e| AppError::Internal(format!("refund deadline: {e}")))?;
        let record = RefundRecord {
            id: Uuid::now_v7(),
            booking_id: booking.id,
            cause,
            refund,
            due_at,
            created_at: now,
            paid_at: None,
            payment_id: None,
        };
        tx.insert_refund(&record).await?;
        let running = self
            .booking_clock_of(tx, booking.id, REFUND_PAYMENT_TARGET)
            .await?
            .is_some_and(|c| c.clock.stopped_at().is_none());
        if record.refund.refund_fen > 0 && !running {
            self.start_booking_clock(tx, principal, booking, REFUND_PAYMENT_TARGET)
                .await?;
        }
        Ok(record)
    }

    /// Pays a refund out (a cancellation's, or what a change returns): a negative payment of
    /// the refund's amount, the refund marked paid by it, the booking's paid total lowered,
    /// the `refund.payment` clock stopped once no other refund is owed; audited as
    /// `booking.refund_paid` and published as `booking.refunded`. Needs
    /// `make_bookings`. 409 `refund.already_paid` for a second payout, `refund.nothing_owed`
    /// for a refund of 0 fen.
    pub async fn pay_refund(
        &self,
        principal: &Principal,
        booking_id: Uuid,
        refund_id: Uuid,
        payout: RefundPayout,
    ) -> Result<PaidRefund, AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut fields = Vec::new();
        let reference = payout
            .reference
            .as_deref()
            .map(|r| crate::check_text(&mut fields, "reference", r, 64, crate::Lines::One))
            .filter(|r| !r.is_empty());
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let mut booking = self.load_for_step(&mut *tx, booking_id).await?;
        let refunds = tx.list_refunds(booking_id).await?;
        let others_owed = refunds
            .iter()
            .any(|r| r.id != refund_id && r.paid_at.is_none() && r.refund.refund_fen > 0);
        let mut refund = refunds
            .into_iter()
            .find(|r| r.id == refund_id)
            .ok_or(AppError::NotFound("refund"))?;
        if refund.paid_at.is_some() {
            return Err(already_paid());
        }
        let amount = refund.refund.refund_fen;
        if amount <= 0 {
            return Err(AppError::Conflict {
                code: "refund.nothing_owed",
                message: "this refund owes nothing".into(),
                field: None,
            });
        }
        let now = self.now();
        let payment = Payment {
            id: Uuid::now_v7(),
            booking_id,
            method: payout.method,
            amount_fen: -amount,
            reference,
            recorded_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            recorded_at: now,
        };
        use crate::OnDuplicate;
        tx.insert_payment(&payment).await.on_duplicate(
            "payment_recorded",
            Some("reference"),
            "a payment with this method and reference is already recorded",
        )?;
        // Conditional on the refund being unpaid: two payouts at once record one.
        if !tx.mark_refund_paid(refund.id, payment.id, now).await? {
            return Err(already_paid());
        }
        refund.paid_at = Some(now);
        refund.payment_id = Some(payment.id);
        booking.paid_fen -= amount;
        booking.updated_at = now;
        self.save_step(&mut *tx, &mut booking).await?;
        let clock = if others_owed {
            self.booking_clock_of(&mut *tx, booking_id, REFUND_PAYMENT_TARGET)
                .await?
        } else {
            self.stop_booking_clock(&mut *tx, booking_id, REFUND_PAYMENT_TARGET)
                .await?
        };
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingRefundPaid,
            &booking,
            json!({
                "refund_id": refund.id,
                "amount_fen": amount,
                "method": payment.method.as_str(),
                "refund_clock": clock.as_ref().map(|c| c.clock.state().as_str()),
            }),
        )
        .await?;
        self.publish_booking_event(&mut *tx, events::BOOKING_REFUNDED, &booking)
            .await?;
        tx.commit().await?;
        Ok(PaidRefund {
            booking,
            refund,
            payment,
            clock,
        })
    }
}

fn already_paid() -> AppError {
    AppError::Conflict {
        code: "refund.already_paid",
        message: "this refund is paid already".into(),
        field: None,
    }
}
