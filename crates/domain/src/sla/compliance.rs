//! Compliance figures over a set of clocks.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::ClockState;

/// One clock's contribution: its state (as of the report instant, see
/// [`super::SlaClock::state_at`]) and the time it counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceSample {
    pub state: ClockState,
    pub elapsed: SignedDuration,
}

/// Figures for a report.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Compliance {
    /// Clocks stopped in time.
    pub met: u32,
    /// Clocks past their deadline, stopped or still open.
    pub breached: u32,
    /// Clocks running or paused, not yet late.
    pub running: u32,
    /// `met / (met + breached)`, between 0 and 1; `None` when no clock has an outcome.
    pub share_met: Option<f64>,
    /// Median elapsed time of the clocks with an outcome (met or breached), nearest rank.
    pub median: Option<SignedDuration>,
    /// 90th percentile of the same, nearest rank.
    pub p90: Option<SignedDuration>,
}

/// Counts outcomes and summarises elapsed times. Cancelled clocks are left out entirely;
/// running and paused ones are only counted, since their time is not final.
///
/// Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the
/// value at rank ⌈p/100 × n⌉ (1-based). It is always one of the observed values, so the
/// median of an even count is the lower middle value, not an average.
pub fn compliance(samples: &[ComplianceSample]) -> Compliance {
    let (mut met, mut breached, mut running) = (0u32, 0u32, 0u32);
    let mut times = Vec::with_capacity(samples.len());
    for s in samples {
        match s.state {
            ClockState::Met => met += 1,
            ClockState::Breached => breached += 1,
            ClockState::Running | ClockState::Paused => running += 1,
            ClockState::Cancelled => continue,
        }
        if matches!(s.state, ClockState::Met | ClockState::Breached) {
            times.push(s.elapsed);
        }
    }
    times.sort_unstable();
    let decided = met + breached;
    Compliance {
        met,
        breached,
        running,
        share_met: (decided > 0).then(|| f64::from(met) / f64::from(decided)),
        median: nearest_rank(&times, 50),
        p90: nearest_rank(&times, 90),
    }
}

/// The `percent`-th percentile (1–100) of ascending `sorted` values by nearest rank;
/// `None` for no values. Values outside 1–100 are clamped.
pub fn nearest_rank(sorted: &[SignedDuration], percent: u8) -> Option<SignedDuration> {
    if sorted.is_empty() {
        return None;
    }
    let p = usize::from(percent.clamp(1, 100));
    let rank = (p * sorted.len()).div_ceil(100); // ⌈p·n/100⌉, at least 1
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(state: ClockState, mins: i64) -> ComplianceSample {
        ComplianceSample {
            state,
            elapsed: SignedDuration::from_mins(mins),
        }
    }

    fn m(mins: i64) -> SignedDuration {
        SignedDuration::from_mins(mins)
    }

    #[test]
    fn nearest_rank_examples() {
        let v: Vec<_> = [15, 20, 35, 40, 50].map(m).to_vec();
        // Classic worked example: 5 values, P30 = rank 2, P40 = rank 2, P50 = rank 3, P100 = rank 5.
        assert_eq!(nearest_rank(&v, 30), Some(m(20)));
        assert_eq!(nearest_rank(&v, 40), Some(m(20)));
        assert_eq!(nearest_rank(&v, 50), Some(m(35)));
        assert_eq!(nearest_rank(&v, 100), Some(m(50)));
        assert_eq!(nearest_rank(&v, 0), Some(m(15)));
        assert_eq!(nearest_rank(&[], 50), None);
        let ten: Vec<_> = (1..=10).map(m).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(m(5)));
        assert_eq!(nearest_rank(&ten, 90), Some(m(9)));
        assert_eq!(nearest_rank(&ten, 91), Some(m(10)));
    }

    #[test]
    fn figures_over_mixed_outcomes() {
        let samples = [
            s(ClockState::Met, 2),
            s(ClockState::Met, 1),
            s(ClockState::Breached, 9),
            s(ClockState::Met, 3),
            s(ClockState::Running, 100),
            s(ClockState::Paused, 50),
            s(ClockState::Cancelled, 1000),
            s(ClockState::Met, 2),
        ];
        let c = compliance(&samples);
        assert_eq!((c.met, c.breached, c.running), (4, 1, 2));
        assert_eq!(c.share_met, Some(0.8));
        // Outcome times sorted: 1, 2, 2, 3, 9.
        assert_eq!(c.median, Some(m(2)));
        assert_eq!(c.p90, Some(m(9)));
    }

    #[test]
    fn no_outcome_yet() {
        let c = compliance(&[s(ClockState::Running, 1), s(ClockState::Cancelled, 2)]);
        assert_eq!((c.met, c.breached, c.running), (0, 0, 1));
        assert_eq!((c.share_met, c.median, c.p90), (None, None, None));
        assert_eq!(compliance(&[]).share_met, None);
    }
}
