//! The dashboard's periods: a run of whole days (a civil date range, both ends included) and
//! the periods before it, for the trend. A period of whole calendar months steps back by
//! months (March's trend is February, January, …: months differ in length); any other
//! period steps back by its own number of days.

use jiff::civil::Date;
use jiff::ToSpan;

/// The longest period the dashboard measures (a year, leap or not).
pub const MAX_PERIOD_DAYS: i32 = 366;

/// A period that cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period ends before it starts")]
    Reversed,
    #[error("the period is longer than {MAX_PERIOD_DAYS} days")]
    TooLong,
    #[error("the period is out of the calendar's range")]
    OutOfRange,
}

/// Whole days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn new(from: Date, to: Date) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        let p = Self { from, to };
        if p.days() > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(p)
    }

    /// The calendar month holding `d`.
    pub fn month_of(d: Date) -> Self {
        Self {
            from: d.first_of_month(),
            to: d.last_of_month(),
        }
    }

    /// Days in the period.
    pub fn days(self) -> i32 {
        (self.to - self.from)
            .total((jiff::Unit::Day, self.from))
            .map_or(i32::MAX, |d| d as i32)
            .saturating_add(1)
    }

    /// Whole calendar months it covers, when it is made of them.
    pub fn whole_months(self) -> Option<i32> {
        if self.from.day() != 1 || self.to != self.to.last_of_month() {
            return None;
        }
        let months = (i32::from(self.to.year()) - i32::from(self.from.year())) * 12
            + i32::from(self.to.month())
            - i32::from(self.from.month())
            + 1;
        Some(months)
    }

    /// The period just before, of the same length (in months when made of whole months).
    pub fn previous(self) -> Result<Self, PeriodError> {
        self.step_back(self.whole_months())
    }

    /// The period just before: `months` whole months, or as many days as this one.
    fn step_back(self, months: Option<i32>) -> Result<Self, PeriodError> {
        let to = self
            .from
            .checked_sub(1.day())
            .map_err(|_| PeriodError::OutOfRange)?;
        let from = match months {
            Some(m) => self
                .from
                .checked_sub(m.months())
                .map_err(|_| PeriodError::OutOfRange)?,
            None => self
                .from
                .checked_sub(self.days().days())
                .map_err(|_| PeriodError::OutOfRange)?,
        };
        Ok(Self { from, to })
    }

    /// `n` periods ending with this one, oldest first (`n` ≥ 1); fewer when the calendar
    /// runs out. Every step is this period's: a run of days whose predecessor happens to be
    /// whole months (120 days back from 2010-08-24) still steps back by its days.
    pub fn trend(self, n: usize) -> Vec<Self> {
        let months = self.whole_months();
        let mut out = vec![self];
        while out.len() < n {
            match out.last().map(|p| p.step_back(months)) {
                Some(Ok(p)) => out.push(p),
                _ => break,
            }
        }
        out.reverse();
        out
    }

    pub fn contains(self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }
}
