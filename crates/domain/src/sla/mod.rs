//! SLA clocks as pure state, for the engine that persists and schedules them.
//!
//! - An [`SlaTarget`] says how long something may take ("first response by phone within
//!   3 minutes") and how that time is counted ([`ClockKind`]): wall-clock minutes, working
//!   minutes of a calendar, or working days of a calendar. [`DEFAULT_TARGETS`] holds the
//!   figures of the service commitments.
//! - An [`SlaClock`] is one target running for one ticket, booking or call. Its transitions
//!   are pure: `start`, `pause`, `resume`, `stop`, `cancel` take the instant as an argument
//!   and return the new state or an [`SlaError`]. A store saves the clock after each one.
//! - A scheduler asks [`SlaClock::next_due`] when to wake up and calls [`SlaClock::fire`]
//!   then; `fire` returns each [`SlaEvent`] (warning, breach) exactly once.
//! - [`compliance`] turns clocks' outcomes and elapsed times into the figures of a report.

mod clock;
mod compliance;
mod target;

#[cfg(test)]
mod tests;

pub use clock::{ClockState, SlaClock, SlaClockParts, SlaEvent, Transition};
pub use compliance::{compliance, nearest_rank, Compliance, ComplianceSample};
pub use target::{ClockKind, SlaTarget, DEFAULT_TARGETS};

use jiff::Timestamp;

use crate::calendar::CalendarError;

/// Everything that can go wrong with SLA targets and clocks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    /// A target that cannot run (zero amount, warning at 100 %, window after the deadline…).
    #[error("SLA target {key:?}: {reason}")]
    BadTarget { key: String, reason: &'static str },
    /// The calendar handed in is not the one the target or clock runs on.
    #[error("SLA {key:?} runs on calendar {expected:?}, not {given:?}")]
    CalendarMismatch {
        key: String,
        expected: String,
        given: String,
    },
    /// The transition is not allowed in the clock's state (at the instant given).
    #[error("cannot {action} an SLA clock that is {state}")]
    InvalidTransition {
        state: ClockState,
        action: Transition,
    },
    /// The clock was met, cancelled, or stopped after its breach: nothing more can happen.
    #[error("the SLA clock is finished ({state})")]
    Finished { state: ClockState },
    /// A transition dated before the clock's last change.
    #[error("{at} is before the SLA clock's last change at {last}")]
    TimeWentBackwards { at: Timestamp, last: Timestamp },
    /// Working-time arithmetic failed (for example no holiday data for the year).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl SlaError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadTarget { .. } => "sla.bad_target",
            Self::CalendarMismatch { .. } => "sla.calendar_mismatch",
            Self::InvalidTransition { .. } => "sla.invalid_transition",
            Self::Finished { .. } => "sla.finished",
            Self::TimeWentBackwards { .. } => "sla.time_went_backwards",
            Self::Calendar(e) => e.code(),
        }
    }
}
