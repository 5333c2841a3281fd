//! The steps of a booking after it is created: confirm, cancel (with the refund it owes),
//! complete, payments — and the job that expires an unpaid hold on time.
//!
//! Each step loads the booking, asks `tripdesk_domain::bookings::transition` whether it may
//! happen now, and writes the booking back conditionally on the version it read, so two
//! people (or a person and the expiry job) acting at once cannot both succeed.

use super::MAX_ALTERNATIVES;
use crate::jobs::JobHandler;
use crate::{App, AppError, Principal};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{
    compute_refund, offer_freed_seats, transition, BookingState, BookingStep, CancellationPolicy,
    Cause, LifecycleError, LodgingCharge, LodgingPreset, LodgingTerms, PolicyTerms, Refund,
    RefundCase, StepContext, TourTerms, TripScope, WaitlistEntry,
};
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::catalog::TourScope;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::events;
use tripdesk_store::{Booking, LineItem, Payment, PaymentMethod, RefundRecord, Tx};
use uuid::Uuid;

/// A payment as staff (or a payment webhook) record it.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub method: PaymentMethod,
    /// Fen, above zero.
    pub amount_fen: i64,
    /// The transfer or transaction number: a second payment with the same method and number
    /// is refused (a webhook delivered twice records one payment).
    pub reference: Option<String>,
}

/// A lifecycle refusal as the API's 409.
pub(crate) fn lifecycle_error(e: LifecycleError) -> AppError {
    match &e {
        LifecycleError::NotAllowed { allowed, .. } => AppError::InvalidTransition {
            message: e.to_string(),
            allowed: allowed.iter().map(|s| s.as_str()).collect(),
        },
        LifecycleError::BadHold { .. } => AppError::field("hold", e.code(), e.to_string()),
        _ => AppError::Conflict {
            code: e.code(),
            message: e.to_string(),
            field: None,
        },
    }
}

/// The policy a booking confirmed now is held to, from its products: the 2014 model
/// contract of its tour's scope (outbound when any line is outbound), or, for a stay,
/// free cancellation until the day before check-in and the first night after.
pub fn default_policy(scopes: &[TourScope], on: jiff::civil::Date) -> CancellationPolicy {
    let tour = if scopes.contains(&TourScope::Outbound) {
        Some(TripScope::Outbound)
    } else if scopes.contains(&TourScope::Domestic) {
        Some(TripScope::Domestic)
    } else {
        None
    };
    match tour {
        Some(scope) => CancellationPolicy {
            name: match scope {
                TripScope::Domestic => "团队境内旅游合同（示范文本）GF-2014-2401".into(),
                TripScope::Outbound => "团队出境旅游合同（示范文本）GF-2014-2402".into(),
            },
            effective_from: on,
            terms: PolicyTerms::Tour(TourTerms::model_2014(scope)),
        },
        None => CancellationPolicy {
            name: "入住前1天免费取消，之后收取首晚房费".into(),
            effective_from: on,
            terms: PolicyTerms::Lodging(LodgingTerms {
                preset: LodgingPreset::FreeUntil {
                    days: 1,
                    then: LodgingCharge::FirstNight,
                },
                free_postponement: false,
            }),
        },
    }
}

impl App {
    pub(super) fn step_context(&self, booking: &Booking) -> StepContext {
        StepContext {
            now: self.now(),
            today: self.today(),
            hold_expires_at: booking.hold_expires_at,
            starts_on: booking.starts_on,
            ends_on: booking.ends_on,
        }
    }

    /// Whether `step` is allowed on `booking` now: what a page offers (the step itself
    /// checks again in its transaction).
    pub fn booking_step_allowed(&self, booking: &Booking, step: BookingStep) -> bool {
        transition(booking.state, step, &self.step_context(booking)).is_ok()
    }

    /// Confirms `booking` in memory (the caller writes it): the state, a confirmation number,
    /// the policy it keeps (in force today for its products: [`App::policy_at_confirmation`]),
    /// the hold cleared.
    pub(crate) fn apply_confirm(
        &self,
        booking: &mut Booking,
        policy: CancellationPolicy,
    ) -> Result<(), AppError> {
        let ctx = self.step_context(booking);
        booking.state =
            transition(booking.state, BookingStep::Confirm, &ctx).map_err(lifecycle_error)?;
        booking.confirmation_no = Some(super::confirmation_number(ctx.today));
        booking.policy = Some(policy);
        booking.hold_kind = None;
        booking.hold_expires_at = None;
        booking.confirmed_at = Some(ctx.now);
        booking.updated_at = ctx.now;
        Ok(())
    }

    pub(crate) async fn load_for_step(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<Booking, AppError> {
        tx.get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))
    }

    /// Writes a changed booking back, refusing when someone else changed it since it was read.
    pub(super) async fn save_step(
        &self,
        tx: &mut dyn Tx,
        booking: &mut Booking,
    ) -> Result<(), AppError> {
        if !tx.update_booking(booking, booking.version).await? {
            return Err(AppError::Conflict {
                code: "booking.changed",
                message: "the booking was changed meanwhile; reload it".into(),
                field: None,
            });
        }
        booking.version += 1;
        // Its number (given at confirmation) and what it books (a change) are searched.
        self.index_booking(tx, booking).await?;
        Ok(())
    }

    /// Confirms a held booking (payment received or the deposit arranged).
    pub async fn confirm_booking(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Booking, AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let mut booking = self.load_for_step(&mut *tx, id).await?;
        let lines = self.line_policies(&mut *tx, &booking).await?;
        let policy = self
            .policy_at_confirmation(&mut *tx, &lines, self.today())
            .await?;
        self.apply_confirm(&mut booking, policy)?;
        self.save_step(&mut *tx, &mut booking).await?;
        let told = self
            .send_confirmation(&mut *tx, principal, &booking)
            .await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingConfirm,
            &booking,
            json!({ "confirmation_queued": told }),
        )
        .await?;
        self.publish_booking_event(&mut *tx, events::BOOKING_CONFIRMED, &booking)
            .await?;
        tx.commit().await?;
        Ok(booking)
    }

    pub(super) async fn audit_step(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        action: AuditAction,
        booking: &Booking,
        mut extra: serde_json::Value,
    ) -> Result<(), AppError> {
        extra["state"] = json!(booking.state.as_str());
        extra["confirmation_no"] = json!(booking.confirmation_no);
        self.audit(
            tx,
            principal,
            action,
            "booking",
            Some(booking.id.to_string()),
            extra,
        )
        .await
    }

    /// Cancels a booking. A held booking returns what was paid; a confirmed one is refunded
    /// by the policy stored at confirmation and `cause` (the refund is recorded with its
    /// explanation and due within 5 working days). Its inventory is freed, and seats freed
    /// on a departure are offered to its waitlist in order.
    pub async fn cancel_booking(
        &self,
        principal: &Principal,
        id: Uuid,
        cause: Cause,
    ) -> Result<(Booking, Option<RefundRecord>), AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let done = self
            .cancel_booking_in(&mut *tx, principal, id, cause)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// [`App::cancel_booking`] in the caller's transaction, its permission checked by the
    /// caller: the one cancellation path (a customer choosing the refund an incident offered
    /// cancels through it, so the refund record and its clock are the normal ones). Offers of
    /// a refund or postponement still waiting on the booking are withdrawn.
    pub(crate) async fn cancel_booking_in(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        id: Uuid,
        cause: Cause,
    ) -> Result<(Booking, Option<RefundRecord>), AppError> {
        let mut booking = self.load_for_step(tx, id).await?;
        let was = booking.state;
        let ctx = self.step_context(&booking);
        booking.state = transition(was, BookingStep::Cancel, &ctx).map_err(lifecycle_error)?;
        booking.closed_at = Some(ctx.now);
        booking.updated_at = ctx.now;
        booking.hold_kind = None;
        booking.hold_expires_at = None;
        // A change's refund still owed is paid out as recorded: not counted again here.
        let paid = self.paid_and_kept(tx, &booking).await?;
        let refund = if paid > 0 {
            let refund = match (&booking.policy, was) {
                (Some(policy), BookingState::Confirmed | BookingState::Changed) => {
                    let first_night = self.first_night_fen(tx, &booking).await?;
                    let case = RefundCase {
                        total_fen: booking.total_fen,
                        paid_fen: paid.min(booking.total_fen),
                        first_night_fen: first_night,
                        starts_on: booking.starts_on,
                        cancelled_on: ctx.today,
                    };
                    compute_refund(&policy.terms, &case, &cause)
                        .map_err(|e| AppError::field("cause", "refund", e.to_string()))?
                        .with_overpayment(paid - case.paid_fen)
                }
                // Nothing was promised yet: everything paid goes back.
                _ => everything_back(&booking, ctx.today)?,
            };
            Some(
                self.owe_refund(tx, principal, &booking, cause.clone(), refund)
                    .await?,
            )
        } else {
            None
        };
        self.save_step(tx, &mut booking).await?;
        self.close_registration_clock(tx, &booking).await?;
        let freed = tx.release_inventory(booking.id).await?;
        let offered = self.offer_to_waitlists(tx, &freed).await?;
        self.audit_step(
            tx,
            principal,
            AuditAction::BookingCancel,
            &booking,
            json!({
                "cause": cause.kind().as_str(),
                "refund_fen": refund.as_ref().map(|r| r.refund.refund_fen),
                "waitlist_offered": offered,
            }),
        )
        .await?;
        self.publish_booking_event(tx, events::BOOKING_CANCELLED, &booking)
            .await?;
        self.withdraw_remedies(tx, booking.id).await?;
        Ok((booking, refund))
    }

    /// The price of the first night of the booking's earliest room line, quoted again from
    /// its room type (what a first-night charge withholds); `None` without a room line.
    async fn first_night_fen(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<Option<i64>, AppError> {
        let first = booking
            .lines
            .iter()
            .filter_map(|l| match &l.item {
                LineItem::Room { room_id, stay } => Some((*room_id, *stay)),
                LineItem::Seats { .. } => None,
            })
            .min_by_key(|(_, stay)| stay.check_in());
        let Some((room_id, stay)) = first else {
            return Ok(None);
        };
        let Some(room) = tx.get_room(room_id).await? else {
            return Ok(None);
        };
        let Some(room_type) = tx.get_room_type(room.room_type_id).await? else {
            return Ok(None);
        };
        let calendar = self
            .load_calendar(tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let check_in = stay.check_in();
        let quote = room_type
            .stay_price(check_in, check_in.tomorrow().unwrap_or(check_in), |d| {
                super::catalog::day_kind(&calendar, d)
            })
            .map_err(super::catalog::catalog_error)?;
        Ok(Some(quote.total_fen))
    }

    /// Offers seats freed on departures to their waitlists (first fit in order), each party
    /// offered told by message ([`App::tell_waitlist_offer`]); returns how many parties were
    /// offered seats.
    pub(super) async fn offer_to_waitlists(
        &self,
        tx: &mut dyn Tx,
        freed: &[(Uuid, u32)],
    ) -> Result<usize, AppError> {
        let now = self.now();
        let mut offered = 0;
        for (departure, seats) in freed {
            let records: Vec<_> = tx
                .list_waitlist(*departure)
                .await?
                .into_iter()
                .filter(|e| e.offered_at.is_none())
                .collect();
            let waiting: Vec<WaitlistEntry<Uuid>> = records
                .iter()
                .map(|e| WaitlistEntry {
                    id: e.id,
                    party: e.party.size(),
                })
                .collect();
            let chosen = offer_freed_seats(*seats, &waiting)
                .map_err(|e| AppError::Internal(format!("waitlist: {e}")))?;
            for entry in chosen.iter().take(MAX_ALTERNATIVES * 10) {
                if tx.mark_waitlist_offered(entry.id, now).await? {
                    offered += 1;
                    // Told in this transaction: the offer and its message commit together.
                    if let Some(record) = records.iter().find(|r| r.id == entry.id) {
                        self.tell_waitlist_offer(tx, record).await?;
                    }
                }
            }
        }
        Ok(offered)
    }

    /// Marks a confirmed booking completed once its trip or stay has ended.
    pub async fn complete_booking(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Booking, AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let mut booking = self.load_for_step(&mut *tx, id).await?;
        let ctx = self.step_context(&booking);
        booking.state =
            transition(booking.state, BookingStep::Complete, &ctx).map_err(lifecycle_error)?;
        booking.closed_at = Some(ctx.now);
        booking.updated_at = ctx.now;
        self.save_step(&mut *tx, &mut booking).await?;
        self.close_registration_clock(&mut *tx, &booking).await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingComplete,
            &booking,
            json!({}),
        )
        .await?;
        self.publish_booking_event(&mut *tx, events::BOOKING_COMPLETED, &booking)
            .await?;
        tx.commit().await?;
        Ok(booking)
    }

    /// Records a payment on a live booking.
    pub async fn record_payment(
        &self,
        principal: &Principal,
        id: Uuid,
        input: NewPayment,
    ) -> Result<(Booking, Payment), AppError> {
        principal.require(Permission::MakeBookings)?;
        let reference = check_payment(&input, "reference")?;
        let mut tx = self.store.write().await?;
        let booking = self.load_for_step(&mut *tx, id).await?;
        let done = self
            .record_payment_in(
                &mut *tx,
                principal,
                booking,
                input,
                reference,
                PaymentAudit {
                    reference_field: "reference",
                    extra: json!({}),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Records a checked payment on `booking` in the caller's transaction: the payment row
    /// (a method and reference recorded before: 409 `payment_recorded` naming
    /// `audit.reference_field`), the booking's paid total, the audit entry (its summary
    /// `audit.extra` plus method and amount) and the `booking.paid` event. Staff and payment
    /// gateways both record through it.
    pub(crate) async fn record_payment_in(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        mut booking: Booking,
        input: NewPayment,
        reference: Option<String>,
        audit: PaymentAudit,
    ) -> Result<(Booking, Payment), AppError> {
        if !booking.state.holds_inventory() || booking.state == BookingState::Completed {
            return Err(AppError::Conflict {
                code: "booking.closed",
                message: format!("a {} booking takes no payment", booking.state),
                field: None,
            });
        }
        let now = self.now();
        let payment = Payment {
            id: Uuid::now_v7(),
            booking_id: booking.id,
            method: input.method,
            amount_fen: input.amount_fen,
            reference,
            recorded_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            recorded_at: now,
        };
        use crate::OnDuplicate;
        tx.insert_payment(&payment).await.on_duplicate(
            "payment_recorded",
            Some(audit.reference_field),
            "a payment with this method and reference is already recorded",
        )?;
        booking.paid_fen = booking
            .paid_fen
            .checked_add(payment.amount_fen)
            .ok_or_else(|| AppError::field("amount_fen", "overflow", "the amount is too large"))?;
        booking.updated_at = now;
        self.save_step(tx, &mut booking).await?;
        let mut summary = audit.extra;
        summary["method"] = json!(payment.method.as_str());
        summary["amount_fen"] = json!(payment.amount_fen);
        self.audit_step(
            tx,
            principal,
            AuditAction::BookingPayment,
            &booking,
            summary,
        )
        .await?;
        self.publish_booking_event(tx, events::BOOKING_PAID, &booking)
            .await?;
        Ok((booking, payment))
    }

    /// A booking's payments and refunds.
    pub async fn booking_money(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<(Vec<Payment>, Vec<RefundRecord>), AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        Ok((tx.list_payments(id).await?, tx.list_refunds(id).await?))
    }
}

/// What a payment's audit entry adds, and the field a duplicate reference is named by.
pub(crate) struct PaymentAudit {
    pub reference_field: &'static str,
    pub extra: serde_json::Value,
}

/// Checks a payment's amount (above 0 fen) and its reference (`reference_field`: one line, at
/// most 64 characters); returns the reference, blank as none.
pub(crate) fn check_payment(
    input: &NewPayment,
    reference_field: &str,
) -> Result<Option<String>, AppError> {
    let mut fields = Vec::new();
    if input.amount_fen <= 0 {
        fields.push(crate::FieldError::new(
            "amount_fen",
            "not_positive",
            "a payment is more than 0 fen",
        ));
    }
    let reference = input
        .reference
        .as_deref()
        .map(|r| crate::check_text(&mut fields, reference_field, r, 64, crate::Lines::One))
        .filter(|r| !r.is_empty());
    if fields.is_empty() {
        Ok(reference)
    } else {
        Err(AppError::Validation(fields))
    }
}

/// What goes back when nothing was promised yet (a hold cancelled or expired): everything
/// paid, explained as the refunds of confirmed bookings are.
fn everything_back(booking: &Booking, today: jiff::civil::Date) -> Result<Refund, AppError> {
    compute_refund(
        &default_policy(&[], today).terms,
        &RefundCase {
            total_fen: booking.paid_fen,
            paid_fen: booking.paid_fen,
            first_night_fen: None,
            starts_on: booking.starts_on,
            cancelled_on: today,
        },
        &Cause::Business,
    )
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Expires a hold that ran out unpaid, freeing its inventory — enqueued for the hold's
/// expiry instant when the booking is created. A booking confirmed or cancelled meanwhile is
/// left alone.
pub struct ExpireHold;

/// Which booking's hold to expire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpirePayload {
    pub booking_id: Uuid,
}

#[async_trait]
impl JobHandler for ExpireHold {
    const KIND: &'static str = "bookings.hold_expiry";
    type Payload = ExpirePayload;

    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        payload: ExpirePayload,
    ) -> Result<(), AppError> {
        let Some(mut booking) = tx.get_booking(payload.booking_id).await? else {
            return Ok(());
        };
        if booking.state != BookingState::Held {
            return Ok(());
        }
        let ctx = app.step_context(&booking);
        booking.state = match transition(booking.state, BookingStep::Expire, &ctx) {
            Ok(s) => s,
            // Extended meanwhile: its own job runs at the new instant.
            Err(LifecycleError::HoldStillOpen { .. }) => return Ok(()),
            Err(e) => return Err(AppError::Internal(e.to_string())),
        };
        booking.closed_at = Some(ctx.now);
        booking.updated_at = ctx.now;
        if !tx.update_booking(&booking, booking.version).await? {
            return Err(AppError::Unavailable(
                "the booking changed meanwhile".into(),
            ));
        }
        let system = App::console_principal();
        // A deposit paid toward a hold that ran out goes back in full, within 5 working days.
        if booking.paid_fen > 0 {
            let refund = everything_back(&booking, ctx.today)?;
            app.owe_refund(tx, &system, &booking, Cause::Customer, refund)
                .await?;
        }
        let freed = tx.release_inventory(booking.id).await?;
        let offered = app.offer_to_waitlists(tx, &freed).await?;
        app.audit_step(
            tx,
            &system,
            AuditAction::BookingExpire,
            &booking,
            json!({ "waitlist_offered": offered }),
        )
        .await?;
        app.publish_booking_event(tx, events::BOOKING_EXPIRED, &booking)
            .await?;
        app.withdraw_remedies(tx, booking.id).await?;
        Ok(())
    }
}
