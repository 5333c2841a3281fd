//! Working-day calendars: which days are working days, which hours of them count, and
//! arithmetic on instants in working time.
//!
//! Rules:
//! - A [`Calendar`] works in its own time zone (mainland China: `Asia/Shanghai`). Instants
//!   ([`Timestamp`]) come in and go out; days and hours are judged on the local wall clock,
//!   so daylight-saving changes in other zones are handled by jiff.
//! - In [`CalendarMode::Office`] a day is a working day when it is not a public holiday and
//!   either its weekday has working hours or it is a make-up working day (调休上班, a weekend
//!   day worked to make up for a holiday, with the calendar's make-up hours, by default
//!   Monday's). A year without the State Council's arrangement is never treated as
//!   holiday-free: it is computed on the *provisional* calendar ([`provisional`]: weekends
//!   plus the statutory holidays the regulations fix, lunar dates computed), and results
//!   that touched such a year say so ([`Calendar::provisional_between`]). Only a year
//!   outside [`PROVISIONAL_YEARS`] without data is an error
//!   ([`CalendarError::NoHolidayData`]).
//! - In [`CalendarMode::AlwaysOpen`] (the 24 h hotline) every hour of every day counts,
//!   holidays included, and no holiday data is needed.
//! - Ranges are limited to [`MAX_RANGE_YEARS`] years.
//!
//! Holiday data ships in `data/calendars/cn-mainland.toml` (2024–2026, from the State Council
//! notices whose text is in `data/calendars/notices/`); administrators import further years
//! in the same format ([`parse_toml`]) or from the notice text ([`notice::parse_notice`]).

mod holidays;
mod hours;
pub mod notice;
pub mod provisional;

#[cfg(test)]
mod tests;

pub use holidays::{
    parse_toml, Festival, HolidaySet, YearHolidays, CN_MAINLAND_TOML, FORMAT_VERSION,
};
pub use hours::{format_ranges, parse_ranges, TimeRange, WeeklyHours, MINUTES_PER_DAY};
pub use notice::{parse_notice, Notice, NoticeFestival};
pub use provisional::{provisional_year, PROVISIONAL_YEARS};

use jiff::civil::{Date, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};

/// Longest range, in years, that any calendar computation may span.
pub const MAX_RANGE_YEARS: i16 = 10;

/// Everything that can go wrong with calendars and holiday data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A computation touched a year whose holiday arrangement is not loaded and for which no
    /// provisional calendar is computed (outside [`PROVISIONAL_YEARS`]).
    #[error("no holiday data for {year}: import the State Council arrangement for {year} first")]
    NoHolidayData { year: i16 },
    /// `from` is after `to`.
    #[error("date range {from} to {to} is reversed")]
    ReversedRange { from: Date, to: Date },
    /// A range longer than [`MAX_RANGE_YEARS`].
    #[error("date range {from} to {to} is longer than {MAX_RANGE_YEARS} years")]
    RangeTooLong { from: Date, to: Date },
    /// Working time to add was negative.
    #[error("working time to add must not be negative (got {amount})")]
    NegativeDuration { amount: SignedDuration },
    /// The result is outside the instants jiff can represent.
    #[error("result is outside the supported range of instants")]
    OutOfRange,
    /// Working hours that are not `HH:MM-HH:MM` with start before end, or overlap.
    #[error("working hours {value:?}: {reason}")]
    BadHours { value: String, reason: &'static str },
    /// A holiday file that is not valid TOML or has unknown keys; the message carries the line.
    #[error("holiday data: {message}")]
    Syntax { message: String },
    /// A holiday file of another format version.
    #[error("holiday data format {found} is not supported (expected {expected})")]
    UnsupportedFormat { found: i64, expected: i64 },
    /// A year outside 1900..=2200.
    #[error("holiday data: year {year} is not between 1900 and 2200")]
    BadYear { year: i64 },
    /// An entry that is not `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`, or not a real date.
    #[error("holiday data for {year}, {festival}: {value:?} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)")]
    BadDate {
        year: i16,
        festival: String,
        value: String,
    },
    /// A range that ends before it starts or is implausibly long.
    #[error("holiday data for {year}, {festival}: range {value:?} {reason}")]
    BadRange {
        year: i16,
        festival: String,
        value: String,
        reason: &'static str,
    },
    /// A date listed under a year it does not belong to.
    #[error("holiday data for {year}, {festival}: {date} is not in {year}")]
    DateOutsideYear {
        year: i16,
        festival: String,
        date: Date,
    },
    /// A date listed twice.
    #[error("holiday data for {year}: {date} is listed more than once")]
    DuplicateDate { year: i16, date: Date },
    /// A date listed as a holiday and as a make-up working day.
    #[error(
        "holiday data for {year}: {date} is listed both as a holiday and as a make-up working day"
    )]
    HolidayAndMakeUp { year: i16, date: Date },
    /// A make-up working day on Monday to Friday (those are working days anyway).
    #[error("holiday data for {year}: make-up working day {date} is a {weekday:?}, not a Saturday or Sunday")]
    MakeUpNotWeekend {
        year: i16,
        date: Date,
        weekday: Weekday,
    },
    /// A year given twice.
    #[error("holiday data for {year} is given twice")]
    DuplicateYear { year: i16 },
    /// A festival without a holiday date.
    #[error("holiday data for {year}: festival {festival} has no holiday date")]
    EmptyFestival { year: i16, festival: String },
    /// A festival with an empty Chinese or English name.
    #[error("holiday data for {year}: every festival needs a Chinese and an English name")]
    MissingName { year: i16 },
    /// A line of a State Council notice that could not be read.
    #[error("notice line {line}: {message}")]
    Notice { line: usize, message: String },
}

impl CalendarError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoHolidayData { .. } => "calendar.no_holiday_data",
            Self::ReversedRange { .. } => "calendar.reversed_range",
            Self::RangeTooLong { .. } => "calendar.range_too_long",
            Self::NegativeDuration { .. } => "calendar.negative_duration",
            Self::OutOfRange => "calendar.out_of_range",
            Self::BadHours { .. } => "calendar.bad_hours",
            Self::Syntax { .. } => "holidays.syntax",
            Self::UnsupportedFormat { .. } => "holidays.unsupported_format",
            Self::BadYear { .. } => "holidays.bad_year",
            Self::BadDate { .. } => "holidays.bad_date",
            Self::BadRange { .. } => "holidays.bad_range",
            Self::DateOutsideYear { .. } => "holidays.date_outside_year",
            Self::DuplicateDate { .. } => "holidays.duplicate_date",
            Self::HolidayAndMakeUp { .. } => "holidays.holiday_and_make_up",
            Self::MakeUpNotWeekend { .. } => "holidays.make_up_not_weekend",
            Self::DuplicateYear { .. } => "holidays.duplicate_year",
            Self::EmptyFestival { .. } => "holidays.empty_festival",
            Self::MissingName { .. } => "holidays.missing_name",
            Self::Notice { .. } => "holidays.notice",
        }
    }
}

/// How a calendar counts time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ModeName))]
pub enum CalendarMode {
    /// Weekly working hours, public holidays off, make-up days on; needs holiday data.
    Office,
    /// Every hour of every day, holidays included (the 24 h hotline).
    AlwaysOpen,
}

impl CalendarMode {
    pub const ALL: [CalendarMode; 2] = [CalendarMode::Office, CalendarMode::AlwaysOpen];

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarMode::Office => "office",
            CalendarMode::AlwaysOpen => "always_open",
        }
    }

    /// The mode named by [`CalendarMode::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The mainland China time zone, `Asia/Shanghai`. Should the system have no time-zone
/// database, UTC+08:00 is used: the two agree for every instant since 1991.
pub fn china_time_zone() -> TimeZone {
    TimeZone::get(Calendar::CHINA_TIME_ZONE)
        .unwrap_or_else(|_| TimeZone::fixed(Offset::constant(8)))
}

/// A working-time calendar (see the module documentation for the rules).
#[derive(Clone, Debug)]
pub struct Calendar {
    name: String,
    zone: TimeZone,
    mode: CalendarMode,
    weekly: WeeklyHours,
    make_up_hours: Vec<TimeRange>,
    holidays: HolidaySet,
}

const OFFICE_DAY: TimeRange = TimeRange::const_new(9 * 60, 18 * 60);
const ALL_DAY: &[TimeRange] = &[TimeRange::ALL_DAY];

impl Calendar {
    /// Name of [`Calendar::china_mainland_office`].
    pub const CHINA_MAINLAND_OFFICE: &'static str = "cn-mainland";
    /// Name used for the 24 h hotline calendar by the default SLA targets.
    pub const HOTLINE: &'static str = "hotline";
    /// IANA name of the mainland China time zone.
    pub const CHINA_TIME_ZONE: &'static str = "Asia/Shanghai";

    /// An office calendar. Make-up working days use Monday's hours until
    /// [`Calendar::with_make_up_hours`] says otherwise.
    pub fn new(
        name: impl Into<String>,
        zone: TimeZone,
        weekly: WeeklyHours,
        holidays: HolidaySet,
    ) -> Self {
        let make_up_hours = weekly.on(Weekday::Monday).to_vec();
        Self {
            name: name.into(),
            zone,
            mode: CalendarMode::Office,
            weekly,
            make_up_hours,
            holidays,
        }
    }

    /// The hours worked on make-up working days.
    pub fn with_make_up_hours(mut self, ranges: Vec<TimeRange>) -> Result<Self, CalendarError> {
        self.make_up_hours = hours::normalize(ranges)?;
        Ok(self)
    }

    /// Mainland China office hours: Monday to Friday 09:00–18:00 Beijing time, the official
    /// public holidays off, make-up working days worked 09:00–18:00.
    pub fn china_mainland_office() -> Self {
        let weekly = WeeklyHours::monday_to_friday(vec![OFFICE_DAY])
            .expect("09:00-18:00 is one valid interval");
        Self::new(
            Self::CHINA_MAINLAND_OFFICE,
            china_time_zone(),
            weekly,
            HolidaySet::china_mainland(),
        )
    }

    /// A calendar where every hour of every day counts, holidays included.
    pub fn always_open(name: impl Into<String>, zone: TimeZone) -> Self {
        let week =
            WeeklyHours::every_day(vec![TimeRange::ALL_DAY]).expect("one interval never overlaps");
        Self {
            name: name.into(),
            zone,
            mode: CalendarMode::AlwaysOpen,
            weekly: week,
            make_up_hours: vec![TimeRange::ALL_DAY],
            holidays: HolidaySet::empty(),
        }
    }

    /// The calendar's name, which SLA targets refer to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone days and hours are judged in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// How time is counted.
    pub fn mode(&self) -> CalendarMode {
        self.mode
    }

    /// Working hours per weekday.
    pub fn weekly_hours(&self) -> &WeeklyHours {
        &self.weekly
    }

    /// Working hours on make-up working days.
    pub fn make_up_hours(&self) -> &[TimeRange] {
        &self.make_up_hours
    }

    /// The holiday arrangements in use.
    pub fn holidays(&self) -> &HolidaySet {
        &self.holidays
    }

    /// For importing a new year's arrangement.
    pub fn holidays_mut(&mut self) -> &mut HolidaySet {
        &mut self.holidays
    }

    /// Whether the calendar answers for dates of `year` from official data (always, when
    /// always open); otherwise it answers provisionally or not at all.
    pub fn covers_year(&self, year: i16) -> bool {
        self.mode == CalendarMode::AlwaysOpen || self.holidays.covers(year)
    }

    /// Whether dates of `year` are judged on the provisional calendar: an office calendar
    /// without the year's arrangement, the year within [`PROVISIONAL_YEARS`].
    pub fn is_provisional_year(&self, year: i16) -> bool {
        !self.covers_year(year) && PROVISIONAL_YEARS.contains(&year)
    }

    /// The years judged provisionally from `a`'s local date to `b`'s (either order): a
    /// result computed between the two is provisional exactly when this is not empty.
    pub fn provisional_years_between(&self, a: Timestamp, b: Timestamp) -> Vec<i16> {
        let ya = self.zone.to_datetime(a).date().year();
        let yb = self.zone.to_datetime(b).date().year();
        (ya.min(yb)..=ya.max(yb))
            .filter(|&y| self.is_provisional_year(y))
            .collect()
    }

    /// Whether anything computed between `a` and `b` used the provisional calendar.
    pub fn provisional_between(&self, a: Timestamp, b: Timestamp) -> bool {
        !self.provisional_years_between(a, b).is_empty()
    }

    /// The working intervals of a local date: empty on a day off.
    pub fn working_hours_on(&self, date: Date) -> Result<&[TimeRange], CalendarError> {
        if self.mode == CalendarMode::AlwaysOpen {
            return Ok(ALL_DAY);
        }
        let year = match self.holidays.year(date.year()) {
            Some(y) => y,
            None => provisional_year(date.year())
                .ok_or(CalendarError::NoHolidayData { year: date.year() })?,
        };
        Ok(if year.holidays().contains(&date) {
            &[]
        } else if year.make_up_days().contains(&date) {
            &self.make_up_hours
        } else {
            self.weekly.on(date.weekday())
        })
    }

    /// Whether a local date is a working day: in the China office calendar, Monday to Friday
    /// unless a public holiday, Saturday and Sunday only when a make-up working day.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        Ok(!self.working_hours_on(date)?.is_empty())
    }

    /// The working days from `from` to `to`, both included.
    pub fn workdays(&self, from: Date, to: Date) -> Result<Vec<Date>, CalendarError> {
        if from > to {
            return Err(CalendarError::ReversedRange { from, to });
        }
        check_span(from, to)?;
        let mut out = Vec::new();
        let mut d = from;
        loop {
            if self.is_working_day(d)? {
                out.push(d);
            }
            if d == to {
                return Ok(out);
            }
            d = next(d)?;
        }
    }

    /// The same local time of day on the `n`-th working day after `from`'s local date (`from`'s
    /// own date never counts; `n = 0` gives `from`). Should that local time not exist on the
    /// day (a daylight-saving gap), the later one is taken.
    ///
    /// Example: 2025-09-30 17:00 Beijing + 3 working days = 2025-10-11 17:00 (1–8 October are
    /// holidays, 9 and 10 October are the first two working days, Saturday 11 October is a
    /// make-up working day).
    pub fn add_working_days(&self, from: Timestamp, n: u32) -> Result<Timestamp, CalendarError> {
        if n == 0 {
            return Ok(from);
        }
        let local = self.zone.to_datetime(from);
        let start = local.date();
        let limit = horizon(start)?;
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = next(d)?;
            if d > limit {
                return Err(CalendarError::RangeTooLong { from: start, to: d });
            }
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        self.zone
            .to_timestamp(d.to_datetime(local.time()))
            .map_err(|_| CalendarError::OutOfRange)
    }

    /// Working days from `a`'s local date to `b`'s: those after `a`'s date up to and
    /// including `b`'s; negative when `b` is before `a`. It undoes
    /// [`Calendar::add_working_days`]: `working_days_between(t, add_working_days(t, n)) == n`.
    pub fn working_days_between(&self, a: Timestamp, b: Timestamp) -> Result<i64, CalendarError> {
        let da = self.zone.to_datetime(a).date();
        let db = self.zone.to_datetime(b).date();
        let (lo, hi, sign) = if da <= db { (da, db, 1) } else { (db, da, -1) };
        check_span(lo, hi)?;
        let mut count = 0i64;
        let mut d = lo;
        while d < hi {
            d = next(d)?;
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }

    /// Adds working time: only time inside the working intervals of working days is consumed.
    /// The result is the instant the amount is used up, so it may be the end of an interval
    /// (Friday 17:00 + 1 h = Friday 18:00; + 2 h = Monday 10:00 with 09:00–18:00 hours).
    /// Zero gives `from` unchanged.
    pub fn add_working_hours(
        &self,
        from: Timestamp,
        amount: SignedDuration,
    ) -> Result<Timestamp, CalendarError> {
        if amount.is_negative() {
            return Err(CalendarError::NegativeDuration { amount });
        }
        if amount.is_zero() {
            return Ok(from);
        }
        let start = self.zone.to_datetime(from).date();
        let limit = horizon(start)?;
        let mut d = start;
        let mut left = amount;
        loop {
            for (s, e) in self.intervals(d)? {
                if e <= from {
                    continue;
                }
                let begin = s.max(from);
                let available = e.duration_since(begin);
                if left <= available {
                    return begin
                        .checked_add(left)
                        .map_err(|_| CalendarError::OutOfRange);
                }
                left -= available;
            }
            d = next(d)?;
            if d > limit {
                return Err(CalendarError::RangeTooLong { from: start, to: d });
            }
        }
    }

    /// Adds elapsed (calendar) time, ignoring working hours; for completeness, so callers
    /// need not special-case calendar-time targets.
    pub fn add_hours(
        &self,
        from: Timestamp,
        amount: SignedDuration,
    ) -> Result<Timestamp, CalendarError> {
        from.checked_add(amount)
            .map_err(|_| CalendarError::OutOfRange)
    }

    /// Working time elapsed from `a` to `b`: the parts of `[a, b)` inside working intervals
    /// of working days; negative when `b` is before `a`. It undoes
    /// [`Calendar::add_working_hours`].
    pub fn working_time_between(
        &self,
        a: Timestamp,
        b: Timestamp,
    ) -> Result<SignedDuration, CalendarError> {
        if b < a {
            return Ok(-self.working_time_between(b, a)?);
        }
        let da = self.zone.to_datetime(a).date();
        let db = self.zone.to_datetime(b).date();
        check_span(da, db)?;
        let mut total = SignedDuration::ZERO;
        let mut d = da;
        loop {
            for (s, e) in self.intervals(d)? {
                let (lo, hi) = (s.max(a), e.min(b));
                if hi > lo {
                    total += hi.duration_since(lo);
                }
            }
            if d >= db {
                return Ok(total);
            }
            d = next(d)?;
        }
    }

    /// The working intervals of a local date as instants, in order.
    fn intervals(&self, date: Date) -> Result<Vec<(Timestamp, Timestamp)>, CalendarError> {
        let ranges = self.working_hours_on(date)?;
        let mut out = Vec::with_capacity(ranges.len());
        for r in ranges {
            let s = self.instant(date, r.start_minute())?;
            let e = self.instant(date, r.end_minute())?;
            // Across a daylight-saving change an interval may shrink to nothing.
            if e > s {
                out.push((s, e));
            }
        }
        Ok(out)
    }

    /// The instant of a local wall-clock minute of a date (minute 1440 = next midnight);
    /// a time in a daylight-saving gap is moved forward, as jiff's "compatible" rule does.
    fn instant(&self, date: Date, minute: u16) -> Result<Timestamp, CalendarError> {
        let (date, minute) = if minute >= MINUTES_PER_DAY {
            (next(date)?, 0)
        } else {
            (date, minute)
        };
        // minute < 1440, so hour < 24 and minute < 60 fit in i8.
        let dt = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        self.zone
            .to_timestamp(dt)
            .map_err(|_| CalendarError::OutOfRange)
    }
}

fn next(d: Date) -> Result<Date, CalendarError> {
    d.tomorrow().map_err(|_| CalendarError::OutOfRange)
}

/// The last date a computation starting on `from` may reach.
fn horizon(from: Date) -> Result<Date, CalendarError> {
    from.checked_add(Span::new().years(MAX_RANGE_YEARS))
        .map_err(|_| CalendarError::OutOfRange)
}

fn check_span(from: Date, to: Date) -> Result<(), CalendarError> {
    if to > horizon(from)? {
        return Err(CalendarError::RangeTooLong { from, to });
    }
    Ok(())
}
