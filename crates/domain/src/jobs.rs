//! Rules of deferred and recurring work (the job substrate): a job's states, the delay before
//! a failed job runs again, and when a recurring schedule runs next. Pure: instants come in as
//! arguments.
//!
//! A job is `due` until a worker claims it (`running`, under a lease); its handler's effect
//! and the job's completion commit together (`succeeded`); a failure puts it back to `due`
//! at [`backoff`] after now, or `dead` once its attempts are spent; an administrator may put a
//! dead job back to `due`.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = JobStateName))]
pub enum JobState {
    /// Waiting for its instant (or for a worker, once that has come).
    Due,
    /// Claimed by a worker, which holds it until its lease ends.
    Running,
    /// Its effect committed, with the job, exactly once.
    Succeeded,
    /// Failed on every attempt it was allowed; an administrator may retry it.
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Due,
        JobState::Running,
        JobState::Succeeded,
        JobState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Due => "due",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == s)
    }

    /// Whether `self → to` is a transition of the job's life: claim (due → running),
    /// success (running → succeeded), failure (running → due, or → dead on the last
    /// attempt), a lapsed lease taken over by another worker (running → running) and an
    /// administrator's retry (dead → due).
    pub fn can_become(self, to: JobState) -> bool {
        use JobState::*;
        matches!(
            (self, to),
            (Due, Running)
                | (Running, Succeeded)
                | (Running, Due)
                | (Running, Dead)
                | (Running, Running)
                | (Dead, Due)
        )
    }
}

/// What happens to a job whose attempt number `attempt` (1-based) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Due again at this instant.
    RetryAt(Timestamp),
    /// No attempt left.
    Dead,
}

/// How a failed job is retried: `base` doubled per failed attempt, never more than `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: SignedDuration,
    pub cap: SignedDuration,
}

impl Default for Backoff {
    /// 10 s, 20 s, 40 s, … at most one hour.
    fn default() -> Self {
        Self {
            base: SignedDuration::from_secs(10),
            cap: SignedDuration::from_hours(1),
        }
    }
}

impl Backoff {
    /// The delay after failed attempt `attempt` (1-based; below 1 counts as 1).
    pub fn delay(&self, attempt: i64) -> SignedDuration {
        backoff(attempt, self.base, self.cap)
    }

    /// What follows failed attempt `attempt` of a job allowed `max_attempts`.
    pub fn after_failure(&self, attempt: i64, max_attempts: i64, now: Timestamp) -> AfterFailure {
        if attempt >= max_attempts {
            AfterFailure::Dead
        } else {
            AfterFailure::RetryAt(now.saturating_add(self.delay(attempt)).unwrap_or(now))
        }
    }
}

/// Delay before the attempt after failed attempt `attempt` (1-based): `base` doubled per
/// attempt, never more than `cap`, never negative. The one backoff rule of tripdesk (outbox
/// deliveries use it too).
pub fn backoff(attempt: i64, base: SignedDuration, cap: SignedDuration) -> SignedDuration {
    let doublings = attempt.clamp(1, 40) - 1;
    let factor = 1_i64.checked_shl(doublings as u32).unwrap_or(i64::MAX);
    let ms = base.as_millis().saturating_mul(i128::from(factor));
    let capped = ms.min(cap.as_millis()).max(0);
    SignedDuration::from_millis(i64::try_from(capped).unwrap_or(i64::MAX))
}

/// When a recurring job runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every `minutes` minutes (at least one), counted from the Unix epoch, so every node
    /// computes the same instants.
    EveryMinutes(u32),
    /// Once a day at this local time in `zone` (mainland China: [`crate::calendar::china_time_zone`]).
    DailyAt { time: Time, zone: TimeZone },
}

/// A schedule that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a recurring job runs at least every minute")]
    ZeroInterval,
}

impl Schedule {
    /// Every `minutes` minutes; zero is refused.
    pub fn every_minutes(minutes: u32) -> Result<Self, ScheduleError> {
        if minutes == 0 {
            return Err(ScheduleError::ZeroInterval);
        }
        Ok(Schedule::EveryMinutes(minutes))
    }

    /// Daily at `hour:minute` China time.
    pub fn daily_china(hour: i8, minute: i8) -> Self {
        Schedule::DailyAt {
            time: Time::constant(hour, minute, 0, 0),
            zone: crate::calendar::china_time_zone(),
        }
    }

    /// The first run strictly after `now`.
    pub fn next_after(&self, now: Timestamp) -> Timestamp {
        match self {
            Schedule::EveryMinutes(minutes) => {
                let period = i64::from((*minutes).max(1)) * 60_000;
                let ms = now.as_millisecond();
                let next = (ms.div_euclid(period) + 1).saturating_mul(period);
                Timestamp::from_millisecond(next).unwrap_or(Timestamp::MAX)
            }
            Schedule::DailyAt { time, zone } => {
                let local = now.to_zoned(zone.clone());
                let today = local.date();
                // A local time skipped by a transition (none in China since 1991) resolves
                // to the instant after the gap: still one run that day.
                let mut day = today;
                for _ in 0..3 {
                    if let Ok(at) = day.to_datetime(*time).to_zoned(zone.clone()) {
                        if at.timestamp() > now {
                            return at.timestamp();
                        }
                    }
                    match day.checked_add(1.day()) {
                        Ok(d) => day = d,
                        Err(_) => break,
                    }
                }
                Timestamp::MAX
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn states_round_trip_and_transitions_are_exactly_the_life() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("queued"), None);
        use JobState::*;
        let allowed = [
            (Due, Running),
            (Running, Succeeded),
            (Running, Due),
            (Running, Dead),
            (Running, Running),
            (Dead, Due),
        ];
        for from in JobState::ALL {
            for to in JobState::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        // Nothing leaves `succeeded`: a job's effect happens once.
        assert!(JobState::ALL.iter().all(|&to| !Succeeded.can_become(to)));
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let b = Backoff {
            base: SignedDuration::from_secs(10),
            cap: SignedDuration::from_secs(60),
        };
        let delays: Vec<i64> = (0..=6).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(delays, [10, 10, 20, 40, 60, 60, 60]);
        assert_eq!(b.delay(i64::MAX).as_secs(), 60);
    }

    #[test]
    fn the_last_attempt_makes_a_job_dead() {
        let b = Backoff::default();
        let now = t("2026-12-02T04:00:00Z");
        assert_eq!(
            b.after_failure(1, 3, now),
            AfterFailure::RetryAt(t("2026-12-02T04:00:10Z"))
        );
        assert_eq!(
            b.after_failure(2, 3, now),
            AfterFailure::RetryAt(t("2026-12-02T04:00:20Z"))
        );
        assert_eq!(b.after_failure(3, 3, now), AfterFailure::Dead);
        assert_eq!(b.after_failure(4, 3, now), AfterFailure::Dead);
        assert_eq!(b.after_failure(1, 1, now), AfterFailure::Dead);
    }

    #[test]
    fn every_n_minutes_runs_on_the_grid_strictly_after_now() {
        let s = Schedule::every_minutes(15).unwrap();
        assert_eq!(
            s.next_after(t("2026-12-02T04:07:30Z")),
            t("2026-12-02T04:15:00Z")
        );
        // On the grid: the next one, never now.
        assert_eq!(
            s.next_after(t("2026-12-02T04:15:00Z")),
            t("2026-12-02T04:30:00Z")
        );
        assert_eq!(Schedule::every_minutes(0), Err(ScheduleError::ZeroInterval));
    }

    #[test]
    fn daily_runs_at_china_local_time() {
        let s = Schedule::daily_china(2, 30);
        // 2026-12-02 01:00 in Shanghai = 2026-12-01T17:00Z: today at 02:30 local.
        assert_eq!(
            s.next_after(t("2026-12-01T17:00:00Z")),
            t("2026-12-01T18:30:00Z")
        );
        // Exactly at the run: tomorrow's.
        assert_eq!(
            s.next_after(t("2026-12-01T18:30:00Z")),
            t("2026-12-02T18:30:00Z")
        );
        // Late in the UTC day, already the next day in Shanghai.
        assert_eq!(
            s.next_after(t("2026-12-02T20:00:00Z")),
            t("2026-12-03T18:30:00Z")
        );
    }

    #[test]
    fn daily_at_a_skipped_local_time_still_runs_once_that_day() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let s = Schedule::DailyAt {
            time: Time::constant(2, 30, 0, 0),
            zone: ny,
        };
        // 2026-03-08: 02:00 → 03:00 in New York; 02:30 does not exist.
        let next = s.next_after(t("2026-03-08T05:00:00Z"));
        assert!(next > t("2026-03-08T05:00:00Z"));
        assert!(next < t("2026-03-09T05:00:00Z"), "{next}");
    }

    fn instant() -> impl Strategy<Value = Timestamp> {
        // 1990 … 2100
        (631_152_000_000_i64..4_102_444_800_000)
            .prop_map(|ms| Timestamp::from_millisecond(ms).unwrap())
    }

    proptest! {
        #[test]
        fn backoff_is_monotone_capped_and_never_negative(
            base_ms in 0_i64..10_000_000,
            cap_ms in 0_i64..100_000_000,
            a in -5_i64..100,
        ) {
            let base = SignedDuration::from_millis(base_ms);
            let cap = SignedDuration::from_millis(cap_ms);
            let d = backoff(a, base, cap);
            let next = backoff(a + 1, base, cap);
            prop_assert!(d <= next);
            prop_assert!(d <= cap.max(SignedDuration::ZERO));
            prop_assert!(d >= SignedDuration::ZERO);
            prop_assert!(d >= base.min(cap).max(SignedDuration::ZERO));
        }

        #[test]
        fn a_retry_is_never_before_now(attempt in 1_i64..20, max in 1_i64..20, now in instant()) {
            match Backoff::default().after_failure(attempt, max, now) {
                AfterFailure::RetryAt(at) => {
                    prop_assert!(attempt < max);
                    prop_assert!(at > now);
                }
                AfterFailure::Dead => prop_assert!(attempt >= max),
            }
        }

        #[test]
        fn every_minutes_next_is_strictly_after_and_within_one_period(minutes in 1_u32..10_000, now in instant()) {
            let s = Schedule::every_minutes(minutes).unwrap();
            let next = s.next_after(now);
            prop_assert!(next > now);
            prop_assert!(next.as_millisecond() - now.as_millisecond() <= i64::from(minutes) * 60_000);
            prop_assert_eq!(next.as_millisecond() % (i64::from(minutes) * 60_000), 0);
            // From the run itself, the next run is one period on.
            prop_assert_eq!(s.next_after(next).as_millisecond() - next.as_millisecond(), i64::from(minutes) * 60_000);
        }

        #[test]
        fn daily_next_is_strictly_after_within_a_day_at_the_local_time(
            h in 0_i8..24, m in 0_i8..60, now in instant(),
        ) {
            let s = Schedule::daily_china(h, m);
            let next = s.next_after(now);
            prop_assert!(next > now);
            prop_assert!(next.duration_since(now) <= SignedDuration::from_hours(24));
            let local = next.to_zoned(crate::calendar::china_time_zone());
            prop_assert_eq!((local.hour(), local.minute(), local.second()), (h, m, 0));
        }
    }
}
