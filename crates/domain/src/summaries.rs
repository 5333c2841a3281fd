//! Periodic summaries (issue 18 item 3): which weeks and months there are, which one has
//! just ended, and the tallies a summary shows — complaints by level and state, their
//! compensation, the top causes, tasks open and done. Plain rules over records the app
//! reads; no I/O, no clock (today is passed in).

use crate::desk::{Level, State};
use jiff::civil::Date;
use jiff::ToSpan;
use std::collections::BTreeMap;

/// How often a summary is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cadence {
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Cadence {
    pub const ALL: [Cadence; 2] = [Cadence::Week, Cadence::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Week => "week",
            Cadence::Month => "month",
        }
    }

    /// `week` / `weekly`, `month` / `monthly`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" | "weekly" => Some(Cadence::Week),
            "month" | "monthly" => Some(Cadence::Month),
            _ => None,
        }
    }
}

/// One week (Monday–Sunday) or one calendar month: `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SummaryPeriod {
    pub cadence: Cadence,
    pub from: Date,
    /// The first day after the period.
    pub until: Date,
}

impl SummaryPeriod {
    /// The week or month holding `day`.
    pub fn containing(cadence: Cadence, day: Date) -> Self {
        let from = match cadence {
            Cadence::Week => day
                .checked_sub((day.weekday().to_monday_zero_offset() as i64).days())
                .unwrap_or(day),
            Cadence::Month => day.first_of_month(),
        };
        let until = match cadence {
            Cadence::Week => from.checked_add(7.days()).unwrap_or(from),
            Cadence::Month => from.checked_add(1.month()).unwrap_or(from),
        };
        SummaryPeriod {
            cadence,
            from,
            until,
        }
    }

    /// The period a `from` date names, when it starts one (a Monday; the first of a month).
    pub fn starting(cadence: Cadence, from: Date) -> Option<Self> {
        let p = Self::containing(cadence, from);
        (p.from == from).then_some(p)
    }

    /// The period before this one.
    pub fn previous(self) -> Self {
        let day = self.from.yesterday().unwrap_or(self.from);
        Self::containing(self.cadence, day)
    }

    /// The latest period that has ended by `today` (the one before today's).
    pub fn last_ended(cadence: Cadence, today: Date) -> Self {
        Self::containing(cadence, today).previous()
    }

    /// Today's period and the `n - 1` before it, newest first.
    pub fn recent(cadence: Cadence, today: Date, n: usize) -> Vec<Self> {
        let mut out = Vec::with_capacity(n);
        let mut p = Self::containing(cadence, today);
        for _ in 0..n {
            out.push(p);
            p = p.previous();
        }
        out
    }

    /// The last day of the period.
    pub fn last_day(self) -> Date {
        self.until.yesterday().unwrap_or(self.until)
    }

    /// Whether the period has ended by `today`.
    pub fn ended(self, today: Date) -> bool {
        self.until <= today
    }

    /// A short Chinese name: `2026年第49周（12-01 至 12-07）` / `2026年11月`.
    pub fn title_zh(self) -> String {
        match self.cadence {
            Cadence::Week => format!(
                "{}年第{}周（{} 至 {}）",
                self.from.iso_week_date().year(),
                self.from.iso_week_date().week(),
                self.from,
                self.last_day()
            ),
            Cadence::Month => format!("{}年{}月", self.from.year(), self.from.month()),
        }
    }

    /// A short name in English: `Week 49 of 2026 (2026-12-01 – 2026-12-07)` / `2026-11`.
    pub fn title_en(self) -> String {
        match self.cadence {
            Cadence::Week => format!(
                "Week {} of {} ({} – {})",
                self.from.iso_week_date().week(),
                self.from.iso_week_date().year(),
                self.from,
                self.last_day()
            ),
            Cadence::Month => format!("{}-{:02}", self.from.year(), self.from.month()),
        }
    }
}

/// A complaint as a summary counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintFacts {
    pub level: Level,
    pub state: State,
    pub compensation_fen: Option<i64>,
    /// The cause as classified (feedback categories) or as recorded on the ticket.
    pub causes: Vec<String>,
}

/// Whether a complaint in `state` counts as resolved (resolved and every state after it).
pub fn is_resolved(state: State) -> bool {
    matches!(
        state,
        State::Resolved
            | State::ResultReported
            | State::FollowUpScheduled
            | State::FollowedUp
            | State::Closed
    )
}

/// The complaints of a period, counted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplaintTally {
    pub total: u64,
    pub resolved: u64,
    /// Every level, in `Level` order (urgent first), with its count (zero kept).
    pub by_level: Vec<(Level, u64)>,
    /// The states that occur, in workflow order.
    pub by_state: Vec<(State, u64)>,
    /// Sum of the compensation amounts, fen.
    pub compensation_fen: i64,
    /// Complaints with a compensation amount.
    pub compensated: u64,
    /// Causes, most frequent first (ties by name); a complaint with none counts under "".
    pub causes: Vec<(String, u64)>,
}

impl ComplaintTally {
    pub fn of(complaints: &[ComplaintFacts]) -> Self {
        let mut t = ComplaintTally {
            total: complaints.len() as u64,
            ..Default::default()
        };
        let mut levels: BTreeMap<Level, u64> = BTreeMap::new();
        let mut states: BTreeMap<usize, u64> = BTreeMap::new();
        let mut causes: BTreeMap<&str, u64> = BTreeMap::new();
        for c in complaints {
            *levels.entry(c.level).or_default() += 1;
            let pos = State::ALL.iter().position(|s| *s == c.state).unwrap_or(0);
            *states.entry(pos).or_default() += 1;
            if is_resolved(c.state) {
                t.resolved += 1;
            }
            if let Some(fen) = c.compensation_fen {
                t.compensation_fen += fen;
                t.compensated += 1;
            }
            if c.causes.is_empty() {
                *causes.entry("").or_default() += 1;
            }
            for cause in &c.causes {
                *causes.entry(cause.as_str()).or_default() += 1;
            }
        }
        t.by_level = [Level::Urgent, Level::Important, Level::General]
            .into_iter()
            .map(|l| (l, levels.get(&l).copied().unwrap_or(0)))
            .collect();
        t.by_state = states
            .into_iter()
            .map(|(i, n)| (State::ALL[i], n))
            .collect();
        let mut causes: Vec<(String, u64)> = causes
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        t.causes = causes;
        t
    }
}

/// Where a task stands at the end of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskStanding {
    /// Done by the end of the period.
    Done,
    /// Open, its due instant passed by the end of the period.
    Overdue,
    /// Open, not yet due (or without a due instant).
    Open,
}

impl TaskStanding {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStanding::Done => "done",
            TaskStanding::Overdue => "overdue",
            TaskStanding::Open => "open",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            TaskStanding::Done => "已完成",
            TaskStanding::Overdue => "已逾期",
            TaskStanding::Open => "进行中",
        }
    }

    /// A task's standing at instant `end` (epoch ms), from its due and done instants.
    pub fn at(end_ms: i64, due_ms: Option<i64>, done_ms: Option<i64>) -> Self {
        match (done_ms, due_ms) {
            (Some(done), _) if done < end_ms => TaskStanding::Done,
            (_, Some(due)) if due < end_ms => TaskStanding::Overdue,
            _ => TaskStanding::Open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, Weekday};
    use proptest::prelude::*;

    #[test]
    fn weeks_run_monday_to_sunday_and_months_are_calendar_months() {
        let p = SummaryPeriod::containing(Cadence::Week, date(2026, 12, 6));
        assert_eq!((p.from, p.until), (date(2026, 11, 30), date(2026, 12, 7)));
        assert_eq!(p.last_day(), date(2026, 12, 6));
        assert_eq!(p.from.weekday(), Weekday::Monday);
        let m = SummaryPeriod::containing(Cadence::Month, date(2024, 2, 29));
        assert_eq!((m.from, m.until), (date(2024, 2, 1), date(2024, 3, 1)));
        assert_eq!(
            SummaryPeriod::last_ended(Cadence::Month, date(2026, 1, 1)).from,
            date(2025, 12, 1)
        );
        assert_eq!(
            SummaryPeriod::last_ended(Cadence::Week, date(2026, 12, 7)).from,
            date(2026, 11, 30)
        );
        assert!(SummaryPeriod::starting(Cadence::Week, date(2026, 12, 1)).is_none());
        assert!(SummaryPeriod::starting(Cadence::Month, date(2026, 12, 1)).is_some());
        assert_eq!(m.title_zh(), "2024年2月");
        assert_eq!(p.title_en(), "Week 49 of 2026 (2026-11-30 – 2026-12-06)");
        assert_eq!(Cadence::parse("weekly"), Some(Cadence::Week));
        assert_eq!(Cadence::parse("year"), None);
    }

    #[test]
    fn tally_counts_levels_states_money_and_causes() {
        let c = |level, state, fen: Option<i64>, causes: &[&str]| ComplaintFacts {
            level,
            state,
            compensation_fen: fen,
            causes: causes.iter().map(|s| s.to_string()).collect(),
        };
        let t = ComplaintTally::of(&[
            c(Level::Urgent, State::Closed, Some(20_000), &["hotel"]),
            c(Level::General, State::Received, None, &["guide", "hotel"]),
            c(Level::General, State::Resolved, Some(5_000), &[]),
        ]);
        assert_eq!(t.total, 3);
        assert_eq!(t.resolved, 2);
        assert_eq!(
            t.by_level,
            [
                (Level::Urgent, 1),
                (Level::Important, 0),
                (Level::General, 2)
            ]
        );
        assert_eq!(
            t.by_state,
            [
                (State::Received, 1),
                (State::Resolved, 1),
                (State::Closed, 1)
            ]
        );
        assert_eq!((t.compensation_fen, t.compensated), (25_000, 2));
        assert_eq!(t.causes[0], ("hotel".to_string(), 2));
        assert_eq!(t.causes.len(), 3);
    }

    #[test]
    fn task_standing_at_the_end_of_the_period() {
        assert_eq!(
            TaskStanding::at(100, Some(50), Some(99)),
            TaskStanding::Done
        );
        assert_eq!(
            TaskStanding::at(100, Some(50), Some(100)),
            TaskStanding::Overdue
        );
        assert_eq!(TaskStanding::at(100, Some(150), None), TaskStanding::Open);
        assert_eq!(TaskStanding::at(100, None, None), TaskStanding::Open);
    }

    proptest! {
        /// Periods tile the calendar: each holds its day, the one before ends where it
        /// starts, weeks are seven days from a Monday, months start on the first.
        #[test]
        fn periods_tile_the_calendar(days in 0i64..40_000, month in any::<bool>()) {
            let day = date(1990, 1, 1).checked_add(days.days()).unwrap();
            let cadence = if month { Cadence::Month } else { Cadence::Week };
            let p = SummaryPeriod::containing(cadence, day);
            prop_assert!(p.from <= day && day < p.until);
            prop_assert_eq!(p.previous().until, p.from);
            prop_assert_eq!(SummaryPeriod::starting(cadence, p.from), Some(p));
            prop_assert!(SummaryPeriod::last_ended(cadence, day).ended(day));
            prop_assert!(!p.ended(day));
            match cadence {
                Cadence::Week => {
                    prop_assert_eq!(p.from.weekday(), Weekday::Monday);
                    prop_assert_eq!((p.until - p.from).get_days(), 7);
                }
                Cadence::Month => prop_assert_eq!(p.from.day(), 1),
            }
        }

        /// The tally's parts add up to its total.
        #[test]
        fn tally_parts_sum_to_the_total(
            rows in proptest::collection::vec((0usize..3, 0usize..12, proptest::option::of(0i64..100_000)), 0..40)
        ) {
            let levels = [Level::General, Level::Important, Level::Urgent];
            let facts: Vec<_> = rows.iter().map(|&(l, s, fen)| ComplaintFacts {
                level: levels[l], state: State::ALL[s], compensation_fen: fen, causes: vec![],
            }).collect();
            let t = ComplaintTally::of(&facts);
            prop_assert_eq!(t.by_level.iter().map(|x| x.1).sum::<u64>(), t.total);
            prop_assert_eq!(t.by_state.iter().map(|x| x.1).sum::<u64>(), t.total);
            prop_assert_eq!(t.compensation_fen, rows.iter().filter_map(|r| r.2).sum::<i64>());
            prop_assert!(t.resolved <= t.total);
        }
    }
}
