//! The booking lifecycle (issue 14 item 5, seeds 002 and 004): a booking is **held** while
//! the customer checks out or pays the deposit, **confirmed** with a confirmation number,
//! **changed** any number of times (dates, room, party: re-checked and re-priced by the use
//! case), and **completed** once the trip or stay has ended; or it ends **cancelled** (by
//! either side, refunded by [`super::refund`](mod@super::refund)) or **expired** (an unpaid hold ran out).
//!
//! | from \ step | confirm | change | complete | cancel | expire |
//! | --- | --- | --- | --- | --- | --- |
//! | held | confirmed¹ | — | — | cancelled | expired² |
//! | confirmed | — | changed³ | completed⁴ | cancelled³ | — |
//! | changed | — | changed³ | completed⁴ | cancelled³ | — |
//! | completed, cancelled, expired | — | — | — | — | — |
//!
//! 1. Not once the hold's expiry instant has come, even if the expiry job has not run yet:
//!    its inventory may already be someone else's.
//! 2. Only at or after the hold's expiry instant.
//! 3. Not after the start date (departure day or check-in day): a cancellation on the start
//!    day itself is the contracts' "departure day" tier. Letting a hold go is always allowed:
//!    it promised nothing.
//! 4. Not before the end date (the last day of the trip, the check-out day).
//!
//! [`effects`] lists what the use case does with each step (policy stored and confirmation
//! clock started at confirmation; inventory freed for good only by cancel and expire, moved by
//! a change: the old freed and the new taken in one transaction). A change is quoted and
//! accepted by the rules of [`super::change`].
//!
//! Lodging guests' arrival, registration and welcome pack are facts recorded on a confirmed
//! booking, with rules of their own: [`arrival`].
//!
//! Holds: a [`Hold::Checkout`] lasts minutes (the customer is paying now); a
//! [`Hold::Deposit`] gives a payment deadline in days (seed 004: 告知客户支付方式和支付截止时间).

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

pub mod arrival;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BookingStateName))]
pub enum BookingState {
    /// 预留: inventory held until the hold expires or the booking is confirmed.
    Held,
    /// 已确认: confirmation number issued; the confirmation message is due within 1 hour.
    Confirmed,
    /// 已变更: confirmed, then changed (dates, room, party) at least once.
    Changed,
    /// 已完成: the trip or stay has ended.
    Completed,
    /// 已取消: cancelled by the customer or the business.
    Cancelled,
    /// 已过期: the hold ran out unpaid and its inventory was freed.
    Expired,
}

impl BookingState {
    pub const ALL: [BookingState; 6] = [
        BookingState::Held,
        BookingState::Confirmed,
        BookingState::Changed,
        BookingState::Completed,
        BookingState::Cancelled,
        BookingState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingState::Held => "held",
            BookingState::Confirmed => "confirmed",
            BookingState::Changed => "changed",
            BookingState::Completed => "completed",
            BookingState::Cancelled => "cancelled",
            BookingState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the booking's seats or room-nights count as taken: held, confirmed, changed —
    /// and completed, whose dates were used (they have passed, but a room-night of a
    /// completed stay is still not free to book again). Only cancelling and expiring free
    /// inventory; the store counts exactly these states as "held or confirmed".
    pub fn holds_inventory(self) -> bool {
        !matches!(self, BookingState::Cancelled | BookingState::Expired)
    }

    /// No step leads out of a final state: completed, cancelled, expired.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            BookingState::Completed | BookingState::Cancelled | BookingState::Expired
        )
    }
}

impl fmt::Display for BookingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can happen to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BookingStepName))]
pub enum BookingStep {
    /// Issue the confirmation number (payment received or the deposit arranged).
    Confirm,
    /// Dates, room or party changed after confirmation (the customer accepted the quote).
    Change,
    /// The trip or stay has ended.
    Complete,
    /// Either side cancels; the refund follows the policy stored at confirmation.
    Cancel,
    /// The hold ran out (the expiry job).
    Expire,
}

impl BookingStep {
    pub const ALL: [BookingStep; 5] = [
        BookingStep::Confirm,
        BookingStep::Change,
        BookingStep::Complete,
        BookingStep::Cancel,
        BookingStep::Expire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStep::Confirm => "confirm",
            BookingStep::Change => "change",
            BookingStep::Complete => "complete",
            BookingStep::Cancel => "cancel",
            BookingStep::Expire => "expire",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state this step leads to from `from` by the table of the module documentation,
    /// or `None` when the table has no such step (the guards are [`transition`]'s).
    pub fn target(self, from: BookingState) -> Option<BookingState> {
        use BookingState::*;
        match (self, from) {
            (BookingStep::Confirm, Held) => Some(Confirmed),
            (BookingStep::Change, Confirmed | Changed) => Some(Changed),
            (BookingStep::Complete, Confirmed | Changed) => Some(Completed),
            (BookingStep::Cancel, Held | Confirmed | Changed) => Some(Cancelled),
            (BookingStep::Expire, Held) => Some(Expired),
            _ => None,
        }
    }
}

impl fmt::Display for BookingStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps the table allows from `state` (what a 409 lists as allowed).
pub fn next_steps(state: BookingState) -> Vec<BookingStep> {
    BookingStep::ALL
        .into_iter()
        .filter(|s| s.target(state).is_some())
        .collect()
}

/// The SLA target the confirmation message runs under (1 hour, product brief §1).
pub const CONFIRMATION_TARGET: &str = "booking.confirmation";

/// What the use case does in the same transaction as a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingEffect {
    /// Keep a copy of the cancellation policy in force today
    /// ([`super::refund::policy_in_force`]) with the booking: later refunds follow it.
    StorePolicy,
    /// Issue the confirmation number.
    IssueConfirmationNumber,
    /// Start the SLA clock of this target.
    StartClock(&'static str),
    /// Regenerate the pre-trip documents and send them again (issue 14 item 8).
    RegenerateDocuments,
    /// Free the changed lines' old seats or room-nights and take the new ones, in the same
    /// transaction and by the same database guards as a new booking.
    MoveInventory,
    /// Owe back what was paid beyond the new total ([`super::ChangeQuote::refund`]).
    RefundExcess,
    /// Free the seats or room-nights at once.
    ReleaseInventory,
    /// Compute the refund by the stored policy ([`super::refund::compute_refund`]).
    ComputeRefund,
    /// Return anything paid toward a hold in full: nothing was confirmed, no policy applies.
    ReturnPayments,
}

/// The effects of `step` from `from` (empty when the table has no such step). A change's
/// inventory re-check and quote come before the step, in the use case.
pub fn effects(from: BookingState, step: BookingStep) -> Vec<BookingEffect> {
    use BookingEffect::*;
    if step.target(from).is_none() {
        return Vec::new();
    }
    match step {
        BookingStep::Confirm => vec![
            StorePolicy,
            IssueConfirmationNumber,
            StartClock(CONFIRMATION_TARGET),
        ],
        BookingStep::Change => vec![MoveInventory, RefundExcess, RegenerateDocuments],
        BookingStep::Complete => vec![],
        BookingStep::Cancel if from == BookingState::Held => {
            vec![ReleaseInventory, ReturnPayments]
        }
        BookingStep::Cancel => vec![ReleaseInventory, ComputeRefund],
        BookingStep::Expire => vec![ReleaseInventory, ReturnPayments],
    }
}

/// The facts the guards look at; time is passed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepContext {
    /// The instant of the step.
    pub now: Timestamp,
    /// `now`'s civil date in the business's time zone.
    pub today: Date,
    /// When the hold expires ([`Hold::expires_at`]); `None` once confirmed.
    pub hold_expires_at: Option<Timestamp>,
    /// Departure day or check-in day.
    pub starts_on: Date,
    /// Last day of the trip or check-out day.
    pub ends_on: Date,
}

/// Why a step was refused; each names the step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The table has no such step from this state (HTTP 409 with `allowed`).
    #[error("`{step}` is not allowed while the booking is {state}")]
    NotAllowed {
        step: BookingStep,
        state: BookingState,
        allowed: Vec<BookingStep>,
    },
    /// `confirm` after the hold's expiry instant.
    #[error("`{step}` refused: the hold expired at {expired_at}")]
    HoldExpired {
        step: BookingStep,
        expired_at: Timestamp,
    },
    /// `expire` before the hold's expiry instant (or on a booking without one).
    #[error("`{step}` refused: the hold is still open")]
    HoldStillOpen {
        step: BookingStep,
        expires_at: Option<Timestamp>,
    },
    /// `change` or `cancel` after the start date.
    #[error("`{step}` refused: the trip or stay started on {starts_on}")]
    AlreadyStarted { step: BookingStep, starts_on: Date },
    /// `complete` before the end date.
    #[error("`{step}` refused: the trip or stay ends on {ends_on}")]
    NotEnded { step: BookingStep, ends_on: Date },
    /// A hold that cannot be granted (bad length, start date passed, too late for a deposit).
    #[error("{kind} hold refused: {reason}")]
    BadHold {
        kind: HoldKind,
        reason: &'static str,
    },
}

impl LifecycleError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "booking.invalid_transition",
            Self::HoldExpired { .. } => "booking.hold_expired",
            Self::HoldStillOpen { .. } => "booking.hold_still_open",
            Self::AlreadyStarted { .. } => "booking.already_started",
            Self::NotEnded { .. } => "booking.not_ended",
            Self::BadHold { .. } => "booking.bad_hold",
        }
    }

    /// The step refused, when a step was taken.
    pub fn step(&self) -> Option<BookingStep> {
        match self {
            Self::NotAllowed { step, .. }
            | Self::HoldExpired { step, .. }
            | Self::HoldStillOpen { step, .. }
            | Self::AlreadyStarted { step, .. }
            | Self::NotEnded { step, .. } => Some(*step),
            Self::BadHold { .. } => None,
        }
    }
}

/// Checks `step` from `state` against the table and the guards (module documentation) and
/// returns the next state.
pub fn transition(
    state: BookingState,
    step: BookingStep,
    ctx: &StepContext,
) -> Result<BookingState, LifecycleError> {
    let Some(to) = step.target(state) else {
        return Err(LifecycleError::NotAllowed {
            step,
            state,
            allowed: next_steps(state),
        });
    };
    match step {
        BookingStep::Confirm => {
            if let Some(t) = ctx.hold_expires_at.filter(|t| ctx.now >= *t) {
                return Err(LifecycleError::HoldExpired {
                    step,
                    expired_at: t,
                });
            }
        }
        BookingStep::Expire => {
            if ctx.hold_expires_at.is_none_or(|t| ctx.now < t) {
                return Err(LifecycleError::HoldStillOpen {
                    step,
                    expires_at: ctx.hold_expires_at,
                });
            }
        }
        BookingStep::Change | BookingStep::Cancel => {
            if state != BookingState::Held && ctx.today > ctx.starts_on {
                return Err(LifecycleError::AlreadyStarted {
                    step,
                    starts_on: ctx.starts_on,
                });
            }
        }
        BookingStep::Complete => {
            if ctx.today < ctx.ends_on {
                return Err(LifecycleError::NotEnded {
                    step,
                    ends_on: ctx.ends_on,
                });
            }
        }
    }
    Ok(to)
}

/// The two kinds of hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = HoldKindName))]
pub enum HoldKind {
    /// 下单锁定: minutes while the customer pays online.
    Checkout,
    /// 定金/订金: days until the payment deadline.
    Deposit,
}

impl HoldKind {
    pub const ALL: [HoldKind; 2] = [HoldKind::Checkout, HoldKind::Deposit];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::Checkout => "checkout",
            HoldKind::Deposit => "deposit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for HoldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a hold lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hold {
    /// Expires `minutes` after it was taken (1 to [`Hold::MAX_CHECKOUT_MINUTES`]).
    Checkout { minutes: u32 },
    /// The payment deadline is the civil date `days` after the hold's own date (1 to
    /// [`Hold::MAX_DEPOSIT_DAYS`]), but never later than the day before the start date; the
    /// customer may pay until the end of that day, local time, and the hold expires at the
    /// first instant of the next day.
    Deposit { days: u32 },
}

impl Hold {
    /// A checkout hold longer than a day is a deposit hold in disguise.
    pub const MAX_CHECKOUT_MINUTES: u32 = 24 * 60;
    /// Sanity bound for deposit terms.
    pub const MAX_DEPOSIT_DAYS: u32 = 90;

    pub fn kind(self) -> HoldKind {
        match self {
            Hold::Checkout { .. } => HoldKind::Checkout,
            Hold::Deposit { .. } => HoldKind::Deposit,
        }
    }

    /// Checks the hold's length.
    pub fn validate(self) -> Result<(), LifecycleError> {
        let bad = |reason| {
            Err(LifecycleError::BadHold {
                kind: self.kind(),
                reason,
            })
        };
        match self {
            Hold::Checkout { minutes: 0 } => bad("a checkout hold lasts at least 1 minute"),
            Hold::Checkout { minutes } if minutes > Self::MAX_CHECKOUT_MINUTES => {
                bad("a checkout hold lasts at most 24 hours")
            }
            Hold::Deposit { days: 0 } => bad("a deposit hold lasts at least 1 day"),
            Hold::Deposit { days } if days > Self::MAX_DEPOSIT_DAYS => {
                bad("a deposit hold lasts at most 90 days")
            }
            _ => Ok(()),
        }
    }

    /// The payment deadline of a deposit hold taken at `held_at` for a trip or stay starting
    /// on `starts_on` (rule at [`Hold::Deposit`]); `None` for a checkout hold. Refused when
    /// the hold's date is the start date or later: there is no day left to pay by.
    pub fn payment_deadline(
        self,
        held_at: Timestamp,
        zone: &TimeZone,
        starts_on: Date,
    ) -> Result<Option<Date>, LifecycleError> {
        self.validate()?;
        let held_on = zone.to_datetime(held_at).date();
        self.check_start(held_on, starts_on)?;
        let Hold::Deposit { days } = self else {
            return Ok(None);
        };
        let by_terms = held_on
            .checked_add(i64::from(days).days())
            .map_err(|_| self.out_of_range())?;
        let day_before_start = starts_on.yesterday().map_err(|_| self.out_of_range())?;
        let deadline = by_terms.min(day_before_start);
        if deadline < held_on {
            return Err(LifecycleError::BadHold {
                kind: HoldKind::Deposit,
                reason: "the start is too close for a deposit: take a checkout hold",
            });
        }
        Ok(Some(deadline))
    }

    /// The instant the hold expires (the first instant it no longer holds): `held_at` plus
    /// the minutes of a checkout hold; the start of the day after the payment deadline, in
    /// `zone`, for a deposit hold.
    pub fn expires_at(
        self,
        held_at: Timestamp,
        zone: &TimeZone,
        starts_on: Date,
    ) -> Result<Timestamp, LifecycleError> {
        match (self, self.payment_deadline(held_at, zone, starts_on)?) {
            (Hold::Checkout { minutes }, _) => held_at
                .checked_add(SignedDuration::from_mins(i64::from(minutes)))
                .map_err(|_| self.out_of_range()),
            (Hold::Deposit { .. }, Some(deadline)) => {
                let next = deadline.tomorrow().map_err(|_| self.out_of_range())?;
                zone.to_zoned(next.to_datetime(jiff::civil::Time::midnight()))
                    .map(|z| z.timestamp())
                    .map_err(|_| self.out_of_range())
            }
            (Hold::Deposit { .. }, None) => unreachable!("a deposit hold has a deadline"),
        }
    }

    fn check_start(self, held_on: Date, starts_on: Date) -> Result<(), LifecycleError> {
        if held_on > starts_on {
            return Err(LifecycleError::BadHold {
                kind: self.kind(),
                reason: "the start date has passed",
            });
        }
        Ok(())
    }

    fn out_of_range(self) -> LifecycleError {
        LifecycleError::BadHold {
            kind: self.kind(),
            reason: "the expiry is outside the supported dates",
        }
    }
}

#[cfg(test)]
mod tests;
