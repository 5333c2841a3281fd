//! One SLA clock and its transitions.
//!
//! States and what moves between them (`at` is always passed in):
//!
//! | from | `pause` | `resume` | `stop` | `cancel` | `fire` |
//! | --- | --- | --- | --- | --- | --- |
//! | Running | Paused | error | Met | Cancelled | warning, then breach at `due_at` → Breached |
//! | Paused | error | Running, deadlines pushed | Met | Cancelled | nothing |
//! | Breached, open | error | error | stays Breached, stopped | error | nothing |
//! | Met, Cancelled, Breached stopped | finished | finished | finished | finished | nothing |
//!
//! - `due_at` is the first late instant: stopped before it is met, at or after it breached.
//! - A running clock whose `due_at` has passed is treated as Breached by every transition,
//!   even if `fire` has not run yet: `stop` fires the missed events first and returns them,
//!   `pause` and `cancel` are refused. A breach cannot be cancelled away.
//! - Pausing stops the clock from counting; `resume` pushes `due_at`, `warn_at` (if not yet
//!   warned) and `opens_at` (if not yet open) later by the time paused — wall time for
//!   [`ClockKind::CalendarHours`], the calendar's working time otherwise, so a pause over a
//!   night or a holiday costs nothing for working-time targets.
//! - Transitions dated before the previous one are refused; `fire` may be called any time,
//!   any number of times: each event comes out once.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::compliance::ComplianceSample;
use super::target::{ClockKind, SlaTarget};
use super::SlaError;
use crate::calendar::Calendar;

/// Where a clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    /// Stopped before its deadline.
    Met,
    /// Its deadline passed before it was stopped (it may still be open: see
    /// [`SlaClock::stopped_at`]).
    Breached,
    /// No longer applies (ticket withdrawn, booking cancelled).
    Cancelled,
}

impl ClockState {
    pub const ALL: [ClockState; 5] = [
        ClockState::Running,
        ClockState::Paused,
        ClockState::Met,
        ClockState::Breached,
        ClockState::Cancelled,
    ];

    /// The state named by [`ClockState::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
            ClockState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ClockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transition, as named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Pause,
    Resume,
    Stop,
    Cancel,
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transition::Pause => "pause",
            Transition::Resume => "resume",
            Transition::Stop => "stop",
            Transition::Cancel => "cancel",
        })
    }
}

/// Something a clock announces, once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SlaEvent {
    /// The warning share of the allowed time has been used.
    Warning {
        target_key: String,
        warn_at: Timestamp,
        due_at: Timestamp,
    },
    /// The deadline passed; `due_at` is when the breach happened, whenever it was noticed.
    Breach {
        target_key: String,
        due_at: Timestamp,
    },
}

/// One target running for one subject (ticket, booking, call). Saved whole after every
/// transition; see the module documentation for the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    target_key: String,
    kind: ClockKind,
    calendar: String,
    state: ClockState,
    started_at: Timestamp,
    due_at: Timestamp,
    warn_at: Option<Timestamp>,
    opens_at: Option<Timestamp>,
    paused_at: Option<Timestamp>,
    paused_total: SignedDuration,
    warned: bool,
    breached_at: Option<Timestamp>,
    stopped_at: Option<Timestamp>,
    last_change_at: Timestamp,
    /// The pending instants were computed on a provisional calendar year (no State Council
    /// arrangement yet): shown as such, recomputed when the arrangement is imported.
    #[serde(default)]
    provisional: bool,
}

impl SlaClock {
    /// Starts a clock for `target` at `at`, on the target's calendar. The warning falls when
    /// `warn_at_percent` of the allowed time (counted as the target counts it) is used; there
    /// is none when the share is 0 or no time counts before the deadline (a working-days
    /// target started and due outside working hours).
    pub fn start(target: &SlaTarget, calendar: &Calendar, at: Timestamp) -> Result<Self, SlaError> {
        target.validate()?;
        if calendar.name() != target.calendar {
            return Err(SlaError::CalendarMismatch {
                key: target.key.to_string(),
                expected: target.calendar.to_string(),
                given: calendar.name().to_owned(),
            });
        }
        let kind = target.kind;
        let due_at = kind.deadline(calendar, at, target.amount)?;
        let allowed = kind.measure(calendar, at, due_at)?;
        let warn_at = if target.warn_at_percent > 0 && allowed.is_positive() {
            let share = scale(allowed, target.warn_at_percent);
            Some(kind.advance(calendar, at, share)?)
        } else {
            None
        };
        let opens_at = target
            .earliest
            .map(|n| kind.deadline(calendar, at, n))
            .transpose()?;
        Ok(Self {
            target_key: target.key.to_string(),
            kind,
            calendar: target.calendar.to_string(),
            state: ClockState::Running,
            started_at: at,
            due_at,
            warn_at,
            opens_at,
            paused_at: None,
            paused_total: SignedDuration::ZERO,
            warned: false,
            breached_at: None,
            stopped_at: None,
            last_change_at: at,
            provisional: provisional(kind, calendar, at, opens_at.unwrap_or(at).max(due_at)),
        })
    }

    /// Stops counting at `at`. Returns a warning that was due and not yet fired.
    pub fn pause(&mut self, at: Timestamp) -> Result<Vec<SlaEvent>, SlaError> {
        self.check(at, Transition::Pause, &[ClockState::Running])?;
        let events = self.fire(at);
        self.state = ClockState::Paused;
        self.paused_at = Some(at);
        self.last_change_at = at;
        Ok(events)
    }

    /// Counts again from `at`, pushing the pending instants later by the time paused.
    pub fn resume(&mut self, at: Timestamp, calendar: &Calendar) -> Result<(), SlaError> {
        self.check(at, Transition::Resume, &[ClockState::Paused])?;
        self.check_calendar(calendar)?;
        let paused_at = self
            .paused_at
            .expect("a paused clock records when it paused");
        let paused = self.kind.measure(calendar, paused_at, at)?;
        let due_at = self.kind.advance(calendar, self.due_at, paused)?;
        let warn_at = match self.warn_at {
            Some(w) if !self.warned => Some(self.kind.advance(calendar, w, paused)?),
            other => other,
        };
        let opens_at = match self.opens_at {
            Some(o) if o > paused_at => Some(self.kind.advance(calendar, o, paused)?),
            other => other,
        };
        // All fallible work is done: commit.
        self.due_at = due_at;
        self.warn_at = warn_at;
        self.opens_at = opens_at;
        self.paused_total += paused;
        self.paused_at = None;
        self.state = ClockState::Running;
        self.last_change_at = at;
        self.provisional = provisional(self.kind, calendar, self.started_at, self.horizon());
        Ok(())
    }

    /// The latest pending instant (due, opening), for judging whether it is provisional.
    fn horizon(&self) -> Timestamp {
        self.opens_at.map_or(self.due_at, |o| o.max(self.due_at))
    }

    /// Recomputes the pending instants of an open clock after its calendar's holiday data
    /// changed from `before` to `after` (an arrangement imported for a provisional year).
    /// Time already counted is kept: each pending instant is moved so that the same amount
    /// of counted time lies between the start and it — for working-day clocks never paused,
    /// the same number of working days. Breached, stopped and calendar-hours clocks do not
    /// move. Returns whether anything changed (instants or the provisional mark).
    pub fn recompute(&mut self, before: &Calendar, after: &Calendar) -> Result<bool, SlaError> {
        self.check_calendar(before)?;
        self.check_calendar(after)?;
        let open = matches!(self.state, ClockState::Running | ClockState::Paused)
            && self.breached_at.is_none()
            && self.stopped_at.is_none();
        if !open {
            return Ok(false);
        }
        let start = self.started_at;
        let kind = self.kind;
        let by_days = kind == ClockKind::WorkingDays && self.paused_total.is_zero();
        let map = |t: Timestamp| -> Result<Timestamp, SlaError> {
            Ok(match kind {
                ClockKind::CalendarHours => t,
                _ if by_days => {
                    let n = before.working_days_between(start, t)?;
                    after.add_working_days(start, u32::try_from(n.max(0)).unwrap_or(0))?
                }
                _ => after.add_working_hours(start, before.working_time_between(start, t)?)?,
            })
        };
        // A warning is a share of working time, so it moves by time, not by days.
        let map_time = |t: Timestamp| -> Result<Timestamp, SlaError> {
            Ok(match kind {
                ClockKind::CalendarHours => t,
                _ => after.add_working_hours(start, before.working_time_between(start, t)?)?,
            })
        };
        let due_at = map(self.due_at)?;
        let warn_at = match self.warn_at {
            Some(w) if !self.warned => Some(map_time(w)?),
            other => other,
        };
        let opens_at = self.opens_at.map(map).transpose()?;
        let horizon = opens_at.map_or(due_at, |o| o.max(due_at));
        let provisional = provisional(kind, after, start, horizon);
        let changed = due_at != self.due_at
            || warn_at != self.warn_at
            || opens_at != self.opens_at
            || provisional != self.provisional;
        self.due_at = due_at;
        self.warn_at = warn_at;
        self.opens_at = opens_at;
        self.provisional = provisional;
        Ok(changed)
    }

    /// The work is done at `at`: Met if before `due_at`, otherwise Breached (and stopped).
    /// Returns the events that were due and not yet fired.
    pub fn stop(&mut self, at: Timestamp) -> Result<Vec<SlaEvent>, SlaError> {
        self.check(
            at,
            Transition::Stop,
            &[
                ClockState::Running,
                ClockState::Paused,
                ClockState::Breached,
            ],
        )?;
        let events = self.fire(at);
        if self.state != ClockState::Breached {
            self.state = ClockState::Met;
        }
        self.paused_at = None;
        self.stopped_at = Some(at);
        self.last_change_at = at;
        Ok(events)
    }

    /// The target no longer applies. A breached clock cannot be cancelled: the breach stays.
    pub fn cancel(&mut self, at: Timestamp) -> Result<(), SlaError> {
        self.check(
            at,
            Transition::Cancel,
            &[ClockState::Running, ClockState::Paused],
        )?;
        self.state = ClockState::Cancelled;
        self.paused_at = None;
        self.stopped_at = Some(at);
        self.last_change_at = at;
        Ok(())
    }

    /// Fires what is due at `at`: the warning, then the breach, each once in the clock's life.
    /// Only a running clock fires; calling again returns nothing new.
    pub fn fire(&mut self, at: Timestamp) -> Vec<SlaEvent> {
        let mut events = Vec::new();
        if self.state != ClockState::Running {
            return events;
        }
        if let Some(warn_at) = self.warn_at {
            if !self.warned && at >= warn_at {
                self.warned = true;
                events.push(SlaEvent::Warning {
                    target_key: self.target_key.clone(),
                    warn_at,
                    due_at: self.due_at,
                });
            }
        }
        if at >= self.due_at {
            self.state = ClockState::Breached;
            self.breached_at = Some(self.due_at);
            events.push(SlaEvent::Breach {
                target_key: self.target_key.clone(),
                due_at: self.due_at,
            });
        }
        events
    }

    /// The next instant at which [`SlaClock::fire`] has something to fire, if any: the
    /// warning, else the deadline, of a running clock.
    pub fn next_due(&self) -> Option<Timestamp> {
        if self.state != ClockState::Running {
            return None;
        }
        match self.warn_at {
            Some(w) if !self.warned => Some(w.min(self.due_at)),
            _ => Some(self.due_at),
        }
    }

    /// The state as of `at`: a running clock past its deadline is Breached even before
    /// `fire` has run.
    pub fn state_at(&self, at: Timestamp) -> ClockState {
        if self.state == ClockState::Running && at >= self.due_at {
            ClockState::Breached
        } else {
            self.state
        }
    }

    /// Time counted so far (as the target counts it), pauses excluded: up to the stop, the
    /// pause in progress, or `at`.
    pub fn elapsed(&self, at: Timestamp, calendar: &Calendar) -> Result<SignedDuration, SlaError> {
        self.check_calendar(calendar)?;
        let end = self.stopped_at.or(self.paused_at).unwrap_or(at);
        Ok(self.kind.measure(calendar, self.started_at, end)? - self.paused_total)
    }

    /// This clock as an input of [`super::compliance`].
    pub fn compliance_sample(
        &self,
        at: Timestamp,
        calendar: &Calendar,
    ) -> Result<ComplianceSample, SlaError> {
        Ok(ComplianceSample {
            state: self.state_at(at),
            elapsed: self.elapsed(at, calendar)?,
        })
    }

    fn check(
        &self,
        at: Timestamp,
        action: Transition,
        allowed: &[ClockState],
    ) -> Result<(), SlaError> {
        if self.stopped_at.is_some() {
            return Err(SlaError::Finished { state: self.state });
        }
        if at < self.last_change_at {
            return Err(SlaError::TimeWentBackwards {
                at,
                last: self.last_change_at,
            });
        }
        let state = self.state_at(at);
        if !allowed.contains(&state) {
            return Err(SlaError::InvalidTransition { state, action });
        }
        Ok(())
    }

    fn check_calendar(&self, calendar: &Calendar) -> Result<(), SlaError> {
        if calendar.name() != self.calendar {
            return Err(SlaError::CalendarMismatch {
                key: self.target_key.clone(),
                expected: self.calendar.clone(),
                given: calendar.name().to_owned(),
            });
        }
        Ok(())
    }

    pub fn target_key(&self) -> &str {
        &self.target_key
    }
    pub fn kind(&self) -> ClockKind {
        self.kind
    }
    pub fn calendar(&self) -> &str {
        &self.calendar
    }
    /// The stored state (see [`SlaClock::state_at`] for the state at an instant).
    pub fn state(&self) -> ClockState {
        self.state
    }
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }
    /// The first late instant, after any pushes by pauses.
    pub fn due_at(&self) -> Timestamp {
        self.due_at
    }
    pub fn warn_at(&self) -> Option<Timestamp> {
        self.warn_at
    }
    /// Start of the window before which the work should not be done (follow-up).
    pub fn opens_at(&self) -> Option<Timestamp> {
        self.opens_at
    }
    /// When the pause in progress began.
    pub fn paused_at(&self) -> Option<Timestamp> {
        self.paused_at
    }
    /// Time paused so far (completed pauses), counted as the target counts time.
    pub fn paused_total(&self) -> SignedDuration {
        self.paused_total
    }
    pub fn warned(&self) -> bool {
        self.warned
    }
    /// When the breach happened (the `due_at` in force then).
    pub fn breached_at(&self) -> Option<Timestamp> {
        self.breached_at
    }
    /// When the clock was stopped or cancelled.
    pub fn stopped_at(&self) -> Option<Timestamp> {
        self.stopped_at
    }
    /// Whether its pending instants were computed on a provisional calendar year.
    pub fn provisional(&self) -> bool {
        self.provisional
    }
}

/// Every field of an [`SlaClock`], for a store to save and load it. Restoring trusts the
/// parts (they came from [`SlaClock::to_parts`]); nothing else should build them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaClockParts {
    pub target_key: String,
    pub kind: ClockKind,
    pub calendar: String,
    pub state: ClockState,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub warn_at: Option<Timestamp>,
    pub opens_at: Option<Timestamp>,
    pub paused_at: Option<Timestamp>,
    pub paused_total: SignedDuration,
    pub warned: bool,
    pub breached_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub last_change_at: Timestamp,
    pub provisional: bool,
}

impl SlaClock {
    /// The clock's fields, to save.
    pub fn to_parts(&self) -> SlaClockParts {
        SlaClockParts {
            target_key: self.target_key.clone(),
            kind: self.kind,
            calendar: self.calendar.clone(),
            state: self.state,
            started_at: self.started_at,
            due_at: self.due_at,
            warn_at: self.warn_at,
            opens_at: self.opens_at,
            paused_at: self.paused_at,
            paused_total: self.paused_total,
            warned: self.warned,
            breached_at: self.breached_at,
            stopped_at: self.stopped_at,
            last_change_at: self.last_change_at,
            provisional: self.provisional,
        }
    }

    /// A clock as saved by [`SlaClock::to_parts`].
    pub fn from_parts(p: SlaClockParts) -> Self {
        Self {
            target_key: p.target_key,
            kind: p.kind,
            calendar: p.calendar,
            state: p.state,
            started_at: p.started_at,
            due_at: p.due_at,
            warn_at: p.warn_at,
            opens_at: p.opens_at,
            paused_at: p.paused_at,
            paused_total: p.paused_total,
            warned: p.warned,
            breached_at: p.breached_at,
            stopped_at: p.stopped_at,
            last_change_at: p.last_change_at,
            provisional: p.provisional,
        }
    }
}

/// Whether instants counted between `a` and `b` used a provisional calendar year (never for
/// wall-clock targets, which do not consult holidays).
fn provisional(kind: ClockKind, calendar: &Calendar, a: Timestamp, b: Timestamp) -> bool {
    kind != ClockKind::CalendarHours && calendar.provisional_between(a, b)
}

/// `percent` % of a duration, to the nanosecond (rounded down).
fn scale(d: SignedDuration, percent: u8) -> SignedDuration {
    SignedDuration::from_nanos_i128(d.as_nanos() * i128::from(percent) / 100)
}
