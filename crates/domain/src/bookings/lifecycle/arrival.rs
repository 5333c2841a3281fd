//! Lodging arrival (issue 14 item 9; seed 000: 客户到达后，前台接待人员需在5分钟内完成登记，
//! 并提供欢迎礼包): the guests of a room booking **arrive** (到店), the front desk completes
//! their **registration** (入住登记) within the 5 minutes of the SLA target
//! [`REGISTRATION_TARGET`], and records whether the **welcome pack** (欢迎礼包) was given.
//!
//! Arrival and registration are facts recorded on a live booking, not states of the booking
//! lifecycle: a booking that has arrived is still confirmed (or changed) until it is completed.
//!
//! | step | allowed when |
//! | --- | --- |
//! | arrive | the booking has a room; it is confirmed or changed; it has not arrived yet; its first check-in day ≤ today < its last check-out day |
//! | register | the booking has a room; it has not been registered yet; it is confirmed or changed; it has arrived |
//!
//! - **Not the day before.** A guest who turns up the evening before the check-in day would
//!   sleep in a night the booking does not hold (it may be someone else's): that is a change
//!   of the booking (one more night), not its arrival. A guest arriving after midnight on the
//!   check-in day, or late on any night of the stay, arrives.
//! - **Not on the check-out day.** No night is left to stay: the stay was missed.
//! - **Registration has no date guard**: guests who arrive at 23:58 on the last night are
//!   registered after midnight, on the check-out day.
//! - **Once each.** A second arrival or registration is refused (it would move the recorded
//!   instant and restart or re-meet the clock); the checks of "once" come before the others,
//!   so the answer says what was already done.
//! - **The welcome pack** is recorded with the registration (given or not); its instant is
//!   the registration's.
//! - A booking with rooms on different dates arrives over its whole span: the earliest
//!   check-in to the latest check-out of its room lines ([`ArrivalFacts::span_of`]).

use std::fmt;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::BookingState;
use crate::bookings::Stay;

/// The SLA target of registration: 5 minutes of wall time from arrival (product brief §1).
pub const REGISTRATION_TARGET: &str = "checkin.registration";

/// The two steps of an arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ArrivalStepName))]
pub enum ArrivalStep {
    /// 到店: the guests are at the front desk; the registration clock starts.
    Arrive,
    /// 完成登记: registration completed (and the welcome pack given or not); the clock is met.
    Register,
}

impl ArrivalStep {
    pub const ALL: [ArrivalStep; 2] = [ArrivalStep::Arrive, ArrivalStep::Register];

    pub fn as_str(self) -> &'static str {
        match self {
            ArrivalStep::Arrive => "arrive",
            ArrivalStep::Register => "register",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// What the use case does with the registration clock in the step's transaction.
    pub fn effect(self) -> ArrivalEffect {
        match self {
            ArrivalStep::Arrive => ArrivalEffect::StartClock(REGISTRATION_TARGET),
            ArrivalStep::Register => ArrivalEffect::MeetClock(REGISTRATION_TARGET),
        }
    }
}

impl fmt::Display for ArrivalStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a step does to an SLA clock of the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrivalEffect {
    /// Start the clock of this target on the booking.
    StartClock(&'static str),
    /// Stop the booking's running clock of this target (met, or breached already).
    MeetClock(&'static str),
}

/// A step as requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrivalAction {
    Arrive,
    Register { welcome_pack: bool },
}

impl ArrivalAction {
    pub fn step(self) -> ArrivalStep {
        match self {
            ArrivalAction::Arrive => ArrivalStep::Arrive,
            ArrivalAction::Register { .. } => ArrivalStep::Register,
        }
    }
}

/// What the rules look at, and what the steps record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalFacts {
    pub state: BookingState,
    /// The first check-in and the last check-out of the booking's room lines; `None` for a
    /// booking without a room (a tour).
    pub span: Option<(Date, Date)>,
    pub arrived_at: Option<Timestamp>,
    pub registered_at: Option<Timestamp>,
    /// When the welcome pack was given (at registration), if it was.
    pub welcome_pack_at: Option<Timestamp>,
}

/// Why an arrival step was refused; each is a conflict with the booking as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrivalError {
    /// The booking has no room line.
    #[error("`{step}` refused: the booking has no room")]
    NotLodging { step: ArrivalStep },
    /// Held, completed, cancelled or expired.
    #[error("`{step}` refused: the booking is {state}, not confirmed")]
    NotConfirmed {
        step: ArrivalStep,
        state: BookingState,
    },
    /// Before the check-in day (the day before included).
    #[error("`arrive` refused: check-in is on {check_in}")]
    BeforeCheckIn { check_in: Date },
    /// On or after the check-out day.
    #[error("`arrive` refused: the stay ended on {check_out}")]
    AfterCheckOut { check_out: Date },
    #[error("`arrive` refused: the guests arrived at {at}")]
    AlreadyArrived { at: Timestamp },
    #[error("`register` refused: the guests have not arrived")]
    NotArrived,
    #[error("`register` refused: registration was completed at {at}")]
    AlreadyRegistered { at: Timestamp },
}

impl ArrivalError {
    /// Stable code for API answers (409) and the pages' text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotLodging { .. } => "booking.not_lodging",
            Self::NotConfirmed { .. } => "booking.not_confirmed",
            Self::BeforeCheckIn { .. } => "booking.before_check_in",
            Self::AfterCheckOut { .. } => "booking.after_check_out",
            Self::AlreadyArrived { .. } => "booking.already_arrived",
            Self::NotArrived => "booking.not_arrived",
            Self::AlreadyRegistered { .. } => "booking.already_registered",
        }
    }

    /// Every code, for the tests of the text tables.
    pub const CODES: [&'static str; 7] = [
        "booking.not_lodging",
        "booking.not_confirmed",
        "booking.before_check_in",
        "booking.after_check_out",
        "booking.already_arrived",
        "booking.not_arrived",
        "booking.already_registered",
    ];
}

/// The states in which guests may arrive and be registered.
fn live(state: BookingState) -> bool {
    matches!(state, BookingState::Confirmed | BookingState::Changed)
}

impl ArrivalFacts {
    /// The span of a booking's stays: the earliest check-in and the latest check-out.
    pub fn span_of(stays: impl IntoIterator<Item = Stay>) -> Option<(Date, Date)> {
        stays.into_iter().fold(None, |acc, s| {
            let (a, b) = (s.check_in(), s.check_out());
            Some(match acc {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            })
        })
    }

    /// Checks `step` on `today` (the business's civil date) against the table of the module.
    pub fn check(&self, step: ArrivalStep, today: Date) -> Result<(), ArrivalError> {
        let Some((check_in, check_out)) = self.span else {
            return Err(ArrivalError::NotLodging { step });
        };
        match step {
            ArrivalStep::Arrive => {
                if let Some(at) = self.arrived_at {
                    return Err(ArrivalError::AlreadyArrived { at });
                }
                if !live(self.state) {
                    return Err(ArrivalError::NotConfirmed {
                        step,
                        state: self.state,
                    });
                }
                if today < check_in {
                    return Err(ArrivalError::BeforeCheckIn { check_in });
                }
                if today >= check_out {
                    return Err(ArrivalError::AfterCheckOut { check_out });
                }
            }
            ArrivalStep::Register => {
                if let Some(at) = self.registered_at {
                    return Err(ArrivalError::AlreadyRegistered { at });
                }
                if !live(self.state) {
                    return Err(ArrivalError::NotConfirmed {
                        step,
                        state: self.state,
                    });
                }
                if self.arrived_at.is_none() {
                    return Err(ArrivalError::NotArrived);
                }
            }
        }
        Ok(())
    }

    /// The steps allowed now (what a page offers).
    pub fn allowed(&self, today: Date) -> Vec<ArrivalStep> {
        ArrivalStep::ALL
            .into_iter()
            .filter(|s| self.check(*s, today).is_ok())
            .collect()
    }

    /// The facts after `action` at `now` (civil date `today`). Registration is recorded no
    /// earlier than the arrival, so a node whose clock lags cannot record it before.
    pub fn apply(
        &self,
        action: ArrivalAction,
        now: Timestamp,
        today: Date,
    ) -> Result<ArrivalFacts, ArrivalError> {
        self.check(action.step(), today)?;
        Ok(match action {
            ArrivalAction::Arrive => ArrivalFacts {
                arrived_at: Some(now),
                ..*self
            },
            ArrivalAction::Register { welcome_pack } => {
                let at = self.arrived_at.map_or(now, |a| now.max(a));
                ArrivalFacts {
                    registered_at: Some(at),
                    welcome_pack_at: welcome_pack.then_some(at),
                    ..*self
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
