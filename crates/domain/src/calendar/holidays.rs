//! Public-holiday arrangements (节假日安排): holiday dates and make-up working days per year,
//! and the TOML format they are shipped and imported in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use super::CalendarError;

/// Mainland China's arrangements, shipped with the program (see the file for its format).
pub const CN_MAINLAND_TOML: &str = include_str!("../../data/calendars/cn-mainland.toml");

/// The only version of the holiday-data format so far (`format = 1` in the file).
pub const FORMAT_VERSION: i64 = 1;

/// Years a holiday file may describe; anything else is a typo.
const YEARS: std::ops::RangeInclusive<i16> = 1900..=2200;

/// Longest holiday run one entry may describe, to catch typos such as `2025-01-28..2025-12-04`.
const MAX_RUN_DAYS: i32 = 31;

/// One festival of a year's arrangement: its holiday dates (放假) and the weekend days
/// turned into working days to make up for them (调休上班).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Festival {
    name_zh: String,
    name_en: String,
    off: BTreeSet<Date>,
    work: BTreeSet<Date>,
}

impl Festival {
    /// A festival; dates are kept sorted. Checks happen in [`YearHolidays::new`].
    pub fn new(
        name_zh: impl Into<String>,
        name_en: impl Into<String>,
        off: impl IntoIterator<Item = Date>,
        work: impl IntoIterator<Item = Date>,
    ) -> Self {
        Self {
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            off: off.into_iter().collect(),
            work: work.into_iter().collect(),
        }
    }

    /// Chinese name as in the notice, e.g. `春节`.
    pub fn name_zh(&self) -> &str {
        &self.name_zh
    }

    /// English name, e.g. `Spring Festival`.
    pub fn name_en(&self) -> &str {
        &self.name_en
    }

    /// Holiday dates, sorted.
    pub fn off(&self) -> &BTreeSet<Date> {
        &self.off
    }

    /// Make-up working days, sorted.
    pub fn work(&self) -> &BTreeSet<Date> {
        &self.work
    }
}

/// A checked arrangement for one year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearHolidays {
    year: i16,
    notice: Option<String>,
    festivals: Vec<Festival>,
    off: BTreeSet<Date>,
    work: BTreeSet<Date>,
}

impl YearHolidays {
    /// Checks and builds a year's arrangement. Rules: the year is within 1900..=2200; every
    /// festival has names and at least one holiday date; every date is inside `year`; no date
    /// is listed twice; no date is both a holiday and a make-up working day; every make-up
    /// working day is a Saturday or a Sunday.
    pub fn new(
        year: i16,
        notice: Option<String>,
        festivals: Vec<Festival>,
    ) -> Result<Self, CalendarError> {
        if !YEARS.contains(&year) {
            return Err(CalendarError::BadYear { year: year.into() });
        }
        let mut off = BTreeSet::new();
        let mut work = BTreeSet::new();
        // Duplicates inside one festival collapse in its sets, so they are checked on the raw
        // lists by the TOML reader; here we check across festivals.
        for f in &festivals {
            if f.name_zh.trim().is_empty() || f.name_en.trim().is_empty() {
                return Err(CalendarError::MissingName { year });
            }
            if f.off.is_empty() {
                return Err(CalendarError::EmptyFestival {
                    year,
                    festival: f.name_zh.clone(),
                });
            }
            for &date in f.off.iter().chain(&f.work) {
                if date.year() != year {
                    return Err(CalendarError::DateOutsideYear {
                        year,
                        festival: f.name_zh.clone(),
                        date,
                    });
                }
            }
            for &date in &f.off {
                if !off.insert(date) {
                    return Err(CalendarError::DuplicateDate { year, date });
                }
            }
            for &date in &f.work {
                if !work.insert(date) {
                    return Err(CalendarError::DuplicateDate { year, date });
                }
                let weekday = date.weekday();
                if !matches!(weekday, Weekday::Saturday | Weekday::Sunday) {
                    return Err(CalendarError::MakeUpNotWeekend {
                        year,
                        date,
                        weekday,
                    });
                }
            }
        }
        if let Some(&date) = off.intersection(&work).next() {
            return Err(CalendarError::HolidayAndMakeUp { year, date });
        }
        Ok(Self {
            year,
            notice,
            festivals,
            off,
            work,
        })
    }

    /// The year described.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// Title or reference of the source notice, when given.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Festivals in the notice's order.
    pub fn festivals(&self) -> &[Festival] {
        &self.festivals
    }

    /// Every holiday date of the year, sorted.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.off
    }

    /// Every make-up working day of the year, sorted.
    pub fn make_up_days(&self) -> &BTreeSet<Date> {
        &self.work
    }
}

/// Holiday arrangements for a set of years. A year not in the set is *unknown*, not "no
/// holidays": calendars judge it on the provisional calendar ([`super::provisional`]) and
/// say so, or refuse outside its years ([`CalendarError::NoHolidayData`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidaySet {
    years: BTreeMap<i16, YearHolidays>,
}

impl HolidaySet {
    /// No year known.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Mainland China's official arrangements shipped with the program (2024–2026).
    pub fn china_mainland() -> Self {
        static PARSED: OnceLock<HolidaySet> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                HolidaySet::from_toml(CN_MAINLAND_TOML)
                    .expect("the shipped cn-mainland.toml is checked by the test suite")
            })
            .clone()
    }

    /// Reads a holiday file (format in `data/calendars/cn-mainland.toml`) into a new set.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let mut set = Self::empty();
        for year in parse_toml(text)? {
            set.insert(year)?;
        }
        Ok(set)
    }

    /// Adds a year; a year already present is an error (use [`HolidaySet::replace`] to correct
    /// one).
    pub fn insert(&mut self, year: YearHolidays) -> Result<(), CalendarError> {
        match self.years.entry(year.year) {
            std::collections::btree_map::Entry::Occupied(_) => {
                Err(CalendarError::DuplicateYear { year: year.year })
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(year);
                Ok(())
            }
        }
    }

    /// Adds or replaces a year, returning the one replaced.
    pub fn replace(&mut self, year: YearHolidays) -> Option<YearHolidays> {
        self.years.insert(year.year, year)
    }

    /// Whether the year's arrangement is known.
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains_key(&year)
    }

    /// The years known, ascending.
    pub fn years(&self) -> impl Iterator<Item = i16> + '_ {
        self.years.keys().copied()
    }

    /// The arrangement of one year.
    pub fn year(&self, year: i16) -> Option<&YearHolidays> {
        self.years.get(&year)
    }

    /// Whether the date is a public holiday (`false` for an unknown year).
    pub fn is_holiday(&self, date: Date) -> bool {
        self.years
            .get(&date.year())
            .is_some_and(|y| y.off.contains(&date))
    }

    /// Whether the date is a make-up working day (`false` for an unknown year).
    pub fn is_make_up_day(&self, date: Date) -> bool {
        self.years
            .get(&date.year())
            .is_some_and(|y| y.work.contains(&date))
    }

    /// The festival a holiday or make-up working day belongs to.
    pub fn festival_on(&self, date: Date) -> Option<&Festival> {
        self.years
            .get(&date.year())?
            .festivals
            .iter()
            .find(|f| f.off.contains(&date) || f.work.contains(&date))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    format: i64,
    #[serde(default)]
    year: Vec<YearRepr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRepr {
    year: i64,
    notice: Option<String>,
    #[serde(default)]
    festival: Vec<FestivalRepr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FestivalRepr {
    zh: String,
    en: String,
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

/// Parses a holiday file into checked years (not yet merged into a set, so an import can
/// show what it would add).
pub fn parse_toml(text: &str) -> Result<Vec<YearHolidays>, CalendarError> {
    let file: FileRepr = toml::from_str(text).map_err(|e| CalendarError::Syntax {
        message: e.to_string().trim_end().to_owned(),
    })?;
    if file.format != FORMAT_VERSION {
        return Err(CalendarError::UnsupportedFormat {
            found: file.format,
            expected: FORMAT_VERSION,
        });
    }
    let mut years = Vec::with_capacity(file.year.len());
    let mut seen = BTreeSet::new();
    for y in file.year {
        let year = i16::try_from(y.year)
            .ok()
            .filter(|year| YEARS.contains(year))
            .ok_or(CalendarError::BadYear { year: y.year })?;
        if !seen.insert(year) {
            return Err(CalendarError::DuplicateYear { year });
        }
        let mut festivals = Vec::with_capacity(y.festival.len());
        for f in y.festival {
            let off = expand(year, &f.zh, &f.off)?;
            let work = expand(year, &f.zh, &f.work)?;
            festivals.push(Festival::new(f.zh, f.en, off, work));
        }
        years.push(YearHolidays::new(year, y.notice, festivals)?);
    }
    Ok(years)
}

/// Expands `"YYYY-MM-DD"` and `"YYYY-MM-DD..YYYY-MM-DD"` entries, reporting duplicates.
fn expand(year: i16, festival: &str, entries: &[String]) -> Result<Vec<Date>, CalendarError> {
    let bad = |value: &str| CalendarError::BadDate {
        year,
        festival: festival.to_owned(),
        value: value.to_owned(),
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in entries {
        let (first, last) = match entry.split_once("..") {
            Some((a, b)) => (
                parse_date(a).ok_or_else(|| bad(entry))?,
                parse_date(b).ok_or_else(|| bad(entry))?,
            ),
            None => {
                let d = parse_date(entry).ok_or_else(|| bad(entry))?;
                (d, d)
            }
        };
        if last < first {
            return Err(CalendarError::BadRange {
                year,
                festival: festival.to_owned(),
                value: entry.clone(),
                reason: "ends before it starts",
            });
        }
        let mut date = first;
        for _ in 0..MAX_RUN_DAYS {
            if !seen.insert(date) {
                return Err(CalendarError::DuplicateDate { year, date });
            }
            out.push(date);
            if date == last {
                break;
            }
            date = date.tomorrow().map_err(|_| bad(entry))?;
        }
        if *out.last().expect("at least one date was pushed") != last {
            return Err(CalendarError::BadRange {
                year,
                festival: festival.to_owned(),
                value: entry.clone(),
                reason: "is longer than 31 days",
            });
        }
    }
    Ok(out)
}

/// Strict `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i16 = s[0..4].parse().ok()?;
    let m: i8 = s[5..7].parse().ok()?;
    let d: i8 = s[8..10].parse().ok()?;
    Date::new(y, m, d).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const HEAD: &str = "format = 1\n[[year]]\nyear = 2027\n";

    fn festival(off: &str, work: &str) -> String {
        format!("{HEAD}[[year.festival]]\nzh = \"春节\"\nen = \"Spring Festival\"\noff = [{off}]\nwork = [{work}]\n")
    }

    #[test]
    fn shipped_data_parses_with_three_years() {
        let set = HolidaySet::china_mainland();
        assert_eq!(set.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
        let y2025 = set.year(2025).unwrap();
        assert_eq!(y2025.festivals().len(), 6);
        assert_eq!(y2025.holidays().len(), 1 + 8 + 3 + 5 + 3 + 8);
        assert_eq!(y2025.make_up_days().len(), 5);
        assert!(set.is_holiday(date(2025, 1, 28)));
        assert!(set.is_make_up_day(date(2025, 2, 8)));
        assert!(!set.is_holiday(date(2027, 1, 1)));
        assert_eq!(
            set.festival_on(date(2025, 10, 11)).unwrap().name_en(),
            "National Day and Mid-Autumn Festival"
        );
        assert_eq!(
            set.festival_on(date(2026, 2, 14)).unwrap().name_zh(),
            "春节"
        );
        assert!(set.festival_on(date(2026, 3, 2)).is_none());
    }

    #[test]
    fn a_new_year_can_be_imported() {
        let text = festival(
            "\"2027-02-05..2027-02-11\"",
            "\"2027-01-31\", \"2027-02-20\"",
        );
        let mut set = HolidaySet::china_mainland();
        for year in parse_toml(&text).unwrap() {
            set.insert(year).unwrap();
        }
        assert!(set.covers(2027));
        assert!(set.is_holiday(date(2027, 2, 8)));
        // Importing the same year again is refused; replacing is explicit.
        let again = parse_toml(&text).unwrap().pop().unwrap();
        assert_eq!(
            set.insert(again.clone()),
            Err(CalendarError::DuplicateYear { year: 2027 })
        );
        assert!(set.replace(again).is_some());
    }

    #[test]
    fn import_errors_are_specific() {
        let cases: Vec<(String, CalendarError)> = vec![
            (
                festival("\"2027-02-30\"", ""),
                CalendarError::BadDate {
                    year: 2027,
                    festival: "春节".into(),
                    value: "2027-02-30".into(),
                },
            ),
            (
                festival("\"2027/02/05\"", ""),
                CalendarError::BadDate {
                    year: 2027,
                    festival: "春节".into(),
                    value: "2027/02/05".into(),
                },
            ),
            (
                festival("\"2026-12-31..2027-01-01\"", ""),
                CalendarError::DateOutsideYear {
                    year: 2027,
                    festival: "春节".into(),
                    date: date(2026, 12, 31),
                },
            ),
            (
                festival("\"2027-02-05..2027-02-11\"", "\"2027-02-06\""),
                CalendarError::HolidayAndMakeUp {
                    year: 2027,
                    date: date(2027, 2, 6),
                },
            ),
            (
                festival("\"2027-02-05\"", "\"2027-02-03\""),
                CalendarError::MakeUpNotWeekend {
                    year: 2027,
                    date: date(2027, 2, 3),
                    weekday: Weekday::Wednesday,
                },
            ),
            (
                festival("\"2027-02-05..2027-02-07\", \"2027-02-07\"", ""),
                CalendarError::DuplicateDate {
                    year: 2027,
                    date: date(2027, 2, 7),
                },
            ),
            (
                festival("\"2027-02-11..2027-02-05\"", ""),
                CalendarError::BadRange {
                    year: 2027,
                    festival: "春节".into(),
                    value: "2027-02-11..2027-02-05".into(),
                    reason: "ends before it starts",
                },
            ),
            (
                festival("\"2027-01-01..2027-12-31\"", ""),
                CalendarError::BadRange {
                    year: 2027,
                    festival: "春节".into(),
                    value: "2027-01-01..2027-12-31".into(),
                    reason: "is longer than 31 days",
                },
            ),
            (
                festival("", ""),
                CalendarError::EmptyFestival {
                    year: 2027,
                    festival: "春节".into(),
                },
            ),
            (
                "format = 2\n".into(),
                CalendarError::UnsupportedFormat {
                    found: 2,
                    expected: 1,
                },
            ),
            (
                "format = 1\n[[year]]\nyear = 2027\n[[year]]\nyear = 2027\n".into(),
                CalendarError::DuplicateYear { year: 2027 },
            ),
            (
                "format = 1\n[[year]]\nyear = 20207\n".into(),
                CalendarError::BadYear { year: 20207 },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_toml(&text), Err(want), "{text}");
        }
        // A date listed by two festivals of the same year.
        let two = format!(
            "{HEAD}[[year.festival]]\nzh = \"a\"\nen = \"a\"\noff = [\"2027-05-01\"]\n\
             [[year.festival]]\nzh = \"b\"\nen = \"b\"\noff = [\"2027-05-01\"]\n"
        );
        assert_eq!(
            parse_toml(&two),
            Err(CalendarError::DuplicateDate {
                year: 2027,
                date: date(2027, 5, 1)
            })
        );
        // Syntax errors and unknown keys carry the reader's message with the line.
        let err = parse_toml("format = 1\n[[year]]\nyear = 2027\nnotes = 3\n").unwrap_err();
        assert!(
            matches!(&err, CalendarError::Syntax { message } if message.contains("notes")),
            "{err}"
        );
        let err = parse_toml("format = 1\n[[year]]\nyear = 2027\n[[year.festival]]\nzh = \"春节\"\nen = \"x\"\noff = [2027-02-05]\n")
            .unwrap_err();
        assert!(
            matches!(&err, CalendarError::Syntax { message } if message.contains("line 7")),
            "{err}"
        );
    }

    #[test]
    fn holiday_and_make_up_day_across_festivals_is_refused() {
        let text = format!(
            "{HEAD}[[year.festival]]\nzh = \"a\"\nen = \"a\"\noff = [\"2027-05-01\"]\n\
             [[year.festival]]\nzh = \"b\"\nen = \"b\"\noff = [\"2027-06-01\"]\nwork = [\"2027-05-01\"]\n"
        );
        assert_eq!(
            parse_toml(&text),
            Err(CalendarError::HolidayAndMakeUp {
                year: 2027,
                date: date(2027, 5, 1)
            })
        );
    }
}
