//! Working hours: local wall-clock intervals per weekday.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};

use super::CalendarError;

/// Minutes in a day; a [`TimeRange`] may end at this value, meaning midnight at the end of
/// the day (written `24:00`).
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// A span of local wall-clock time inside one day, start inclusive, end exclusive, to the
/// minute. `09:00-18:00` is nine hours; `00:00-24:00` is the whole day.
///
/// Written and read (`FromStr`, `Display`, serde) as `"HH:MM-HH:MM"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// The whole day, `00:00-24:00`.
    pub const ALL_DAY: TimeRange = TimeRange::const_new(0, MINUTES_PER_DAY);

    /// A range from minutes since midnight; `end` may be 1440 (24:00). Fails unless
    /// `start < end <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Result<Self, CalendarError> {
        if end_minute > MINUTES_PER_DAY {
            return Err(bad_hours(
                format!("{start_minute}-{end_minute}"),
                "ends after 24:00",
            ));
        }
        if start_minute >= end_minute {
            return Err(bad_hours(
                format!("{start_minute}-{end_minute}"),
                "must end after it starts",
            ));
        }
        Ok(Self {
            start: start_minute,
            end: end_minute,
        })
    }

    /// For constants known to be valid; a bad pair fails at compile time in a `const`.
    pub(crate) const fn const_new(start: u16, end: u16) -> Self {
        assert!(start < end && end <= MINUTES_PER_DAY, "invalid TimeRange");
        Self { start, end }
    }

    /// Start, in minutes since local midnight.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// End (exclusive), in minutes since local midnight; 1440 is midnight at the day's end.
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Length in minutes (by the wall clock; a daylight-saving change inside it is not counted).
    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

fn bad_hours(value: String, reason: &'static str) -> CalendarError {
    CalendarError::BadHours { value, reason }
}

fn parse_hm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

impl FromStr for TimeRange {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| bad_hours(s.to_owned(), "expected HH:MM-HH:MM"))?;
        match (parse_hm(a), parse_hm(b)) {
            (Some(start), Some(end)) => TimeRange::new(start, end)
                .map_err(|_| bad_hours(s.to_owned(), "must end after it starts")),
            _ => Err(bad_hours(s.to_owned(), "expected HH:MM-HH:MM")),
        }
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl TryFrom<String> for TimeRange {
    type Error = CalendarError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeRange> for String {
    fn from(r: TimeRange) -> String {
        r.to_string()
    }
}

/// Sorts ranges and rejects overlaps (ranges that only touch, `09:00-12:00` and
/// `12:00-13:00`, are fine).
pub(crate) fn normalize(mut ranges: Vec<TimeRange>) -> Result<Vec<TimeRange>, CalendarError> {
    ranges.sort();
    for pair in ranges.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(bad_hours(
                format!("{}, {}", pair[0], pair[1]),
                "working intervals overlap",
            ));
        }
    }
    Ok(ranges)
}

/// Writes intervals as `09:00-12:00,13:00-18:00` (empty for none), the form stores and forms use.
pub fn format_ranges(ranges: &[TimeRange]) -> String {
    ranges
        .iter()
        .map(TimeRange::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads what [`format_ranges`] writes (spaces allowed around commas); sorted, overlaps refused.
pub fn parse_ranges(text: &str) -> Result<Vec<TimeRange>, CalendarError> {
    let ranges = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect::<Result<Vec<TimeRange>, _>>()?;
    normalize(ranges)
}

/// Working hours for each day of the week (Monday first). A weekday with no interval is not
/// a working day (unless a holiday arrangement makes it a make-up working day).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [Vec<TimeRange>; 7],
}

impl WeeklyHours {
    /// No working hours on any day.
    pub fn closed() -> Self {
        Self::default()
    }

    /// The same intervals Monday to Friday, Saturday and Sunday closed.
    pub fn monday_to_friday(ranges: Vec<TimeRange>) -> Result<Self, CalendarError> {
        let ranges = normalize(ranges)?;
        let mut week = Self::closed();
        for day in &mut week.days[..5] {
            day.clone_from(&ranges);
        }
        Ok(week)
    }

    /// The same intervals every day of the week.
    pub fn every_day(ranges: Vec<TimeRange>) -> Result<Self, CalendarError> {
        let ranges = normalize(ranges)?;
        let mut week = Self::closed();
        for day in &mut week.days {
            day.clone_from(&ranges);
        }
        Ok(week)
    }

    /// Sets one weekday's intervals (sorted; overlapping intervals are an error).
    pub fn with_day(
        mut self,
        weekday: Weekday,
        ranges: Vec<TimeRange>,
    ) -> Result<Self, CalendarError> {
        self.days[index(weekday)] = normalize(ranges)?;
        Ok(self)
    }

    /// The intervals of a weekday, sorted.
    pub fn on(&self, weekday: Weekday) -> &[TimeRange] {
        &self.days[index(weekday)]
    }

    /// Whether no day has any working interval.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

fn index(weekday: Weekday) -> usize {
    // Monday = 0 .. Sunday = 6, always in range.
    weekday.to_monday_zero_offset() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_parse_and_print() {
        let r: TimeRange = "09:00-18:00".parse().unwrap();
        assert_eq!(
            (r.start_minute(), r.end_minute(), r.minutes()),
            (540, 1080, 540)
        );
        assert_eq!(r.to_string(), "09:00-18:00");
        assert_eq!(
            "00:00-24:00".parse::<TimeRange>().unwrap(),
            TimeRange::ALL_DAY
        );
        assert_eq!(TimeRange::ALL_DAY.to_string(), "00:00-24:00");
        for bad in [
            "18:00-09:00",
            "09:00-09:00",
            "9-18",
            "09:00-24:30",
            "25:00-26:00",
            "09:60-10:00",
            "",
        ] {
            assert!(
                matches!(
                    bad.parse::<TimeRange>(),
                    Err(CalendarError::BadHours { .. })
                ),
                "{bad}"
            );
        }
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"09:00-18:00\"");
        assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), r);
        assert!(serde_json::from_str::<TimeRange>("\"18:00-09:00\"").is_err());
    }

    #[test]
    fn range_lists_print_and_parse() {
        let r = parse_ranges(" 13:30-18:00, 09:00-12:00 ").unwrap();
        assert_eq!(format_ranges(&r), "09:00-12:00,13:30-18:00");
        assert!(parse_ranges("").unwrap().is_empty());
        assert!(parse_ranges("09:00-12:00,11:00-13:00").is_err());
        assert!(parse_ranges("9-12").is_err());
    }

    #[test]
    fn weekly_hours_reject_overlaps_and_sort() {
        let morning: TimeRange = "09:00-12:00".parse().unwrap();
        let afternoon: TimeRange = "13:30-18:00".parse().unwrap();
        let week = WeeklyHours::monday_to_friday(vec![afternoon, morning]).unwrap();
        assert_eq!(week.on(Weekday::Wednesday), &[morning, afternoon]);
        assert!(week.on(Weekday::Saturday).is_empty());
        let overlapping: TimeRange = "11:00-14:00".parse().unwrap();
        assert!(WeeklyHours::monday_to_friday(vec![morning, overlapping]).is_err());
        let touching: TimeRange = "12:00-13:30".parse().unwrap();
        assert!(WeeklyHours::monday_to_friday(vec![morning, touching, afternoon]).is_ok());
        assert!(WeeklyHours::closed().is_closed());
        let sat = WeeklyHours::closed()
            .with_day(Weekday::Saturday, vec![morning])
            .unwrap();
        assert_eq!(sat.on(Weekday::Saturday), &[morning]);
    }
}
