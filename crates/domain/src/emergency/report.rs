//! The figures of the post-incident report: declared → first message → 90 % delivered → 90 %
//! accounted for.

use jiff::{SignedDuration, Timestamp};

/// The instant by which `share` (0–1] of `total` had happened, given the instants at which
/// each happened (in any order). `None` when fewer than that share ever happened, or when
/// there is no one to count.
pub fn time_to_share(mut instants: Vec<Timestamp>, total: usize, share: f64) -> Option<Timestamp> {
    if total == 0 || !(share > 0.0 && share <= 1.0) {
        return None;
    }
    let needed = ((total as f64) * share).ceil() as usize;
    let needed = needed.max(1);
    if instants.len() < needed {
        return None;
    }
    instants.sort_unstable();
    Some(instants[needed - 1])
}

/// The report's headline figures, each an offset from the declaration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportFigures {
    pub people: usize,
    pub delivered: usize,
    pub safe: usize,
    pub needs_help: usize,
    pub not_answered: usize,
    pub first_message: Option<SignedDuration>,
    pub delivered_90: Option<SignedDuration>,
    pub accounted_90: Option<SignedDuration>,
}

impl ReportFigures {
    /// Computes the figures from the declaration instant, the first message's, and each
    /// traveler's delivery and answer instants.
    pub fn compute(
        declared_at: Timestamp,
        first_message_at: Option<Timestamp>,
        people: usize,
        delivered_at: Vec<Timestamp>,
        answered_at: Vec<Timestamp>,
        safe: usize,
        needs_help: usize,
    ) -> Self {
        let since = |t: Timestamp| t.duration_since(declared_at);
        let delivered = delivered_at.len();
        let answered = answered_at.len();
        ReportFigures {
            people,
            delivered,
            safe,
            needs_help,
            not_answered: people.saturating_sub(answered),
            first_message: first_message_at.map(since),
            delivered_90: time_to_share(delivered_at, people, 0.9).map(since),
            accounted_90: time_to_share(answered_at, people, 0.9).map(since),
        }
    }
}
