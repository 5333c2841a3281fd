//! The provisional holiday calendar of mainland China: what the law fixes for a year whose
//! State Council arrangement (部分节假日安排的通知) is not known yet.
//!
//! The holiday regulations in force (全国年节及纪念日放假办法, as amended by the State Council
//! in November 2024, in force since 1 January 2025) give every citizen 13 days off:
//!
//! | festival | days |
//! |---|---|
//! | 元旦 New Year's Day | 1 January |
//! | 春节 Spring Festival | lunar New Year's Eve (除夕, the last day of the 12th lunar month) and 正月初一 to 初三 |
//! | 清明节 Qingming Festival | the day of the Qingming solar term (the sun at ecliptic longitude 15°) |
//! | 劳动节 Labour Day | 1 and 2 May |
//! | 端午节 Dragon Boat Festival | 农历五月初五 |
//! | 中秋节 Mid-Autumn Festival | 农历八月十五 |
//! | 国庆节 National Day | 1 to 3 October |
//!
//! and article 6: a day that falls on a Saturday or Sunday is given back on a working day
//! (补假). The provisional calendar gives it back on the first Monday-to-Friday after the
//! festival's days that is not already off; a festival day that coincides with another
//! festival's (Mid-Autumn on 1–3 October) is given back the same way. What the State
//! Council decides each year on top — bridging days and the weekend days worked to make up
//! for them (调休) — cannot be computed, so a provisional year has no make-up working days.
//!
//! Lunar dates come from ICU4X's `ChineseTraditional` calendar (data agreeing with the Hong
//! Kong Observatory and the Purple Mountain Observatory, 1900–2100); the Qingming day from
//! the sun's apparent longitude (Meeus, *Astronomical Algorithms*, ch. 25, to about 0.01°,
//! i.e. a quarter of an hour), judged in Beijing time. Provisional years are
//! [`PROVISIONAL_YEARS`]; outside them a calendar without data still refuses to compute.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::sync::OnceLock;

use icu_calendar::cal::ChineseTraditional;
use icu_calendar::Date as IcuDate;
use jiff::civil::{date, Date, Weekday};
use jiff::ToSpan;

use super::holidays::{Festival, YearHolidays};

/// Years for which a provisional arrangement is computed (the lunar data's range, with a
/// year's margin at each end for a festival run crossing New Year).
pub const PROVISIONAL_YEARS: RangeInclusive<i16> = 1901..=2099;

/// Title given to provisional years (their `notice`).
pub const PROVISIONAL_NOTICE: &str =
    "暂定：按《全国年节及纪念日放假办法》推算，待国务院放假安排 (provisional: statutory holidays only)";

/// One statutory holiday: its festival (Chinese and English names) and date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatutoryDay {
    pub festival_zh: &'static str,
    pub festival_en: &'static str,
    pub date: Date,
}

const NEW_YEAR: (&str, &str) = ("元旦", "New Year's Day");
const SPRING: (&str, &str) = ("春节", "Spring Festival");
const QINGMING: (&str, &str) = ("清明节", "Qingming Festival");
const LABOUR: (&str, &str) = ("劳动节", "Labour Day");
const DRAGON_BOAT: (&str, &str) = ("端午节", "Dragon Boat Festival");
const MID_AUTUMN: (&str, &str) = ("中秋节", "Mid-Autumn Festival");
const NATIONAL: (&str, &str) = ("国庆节", "National Day");

/// The 13 statutory days of `year` in festival order (New Year … National Day), or `None`
/// outside [`PROVISIONAL_YEARS`]. Two may share a date (Mid-Autumn on 1–3 October).
pub fn statutory_days(year: i16) -> Option<Vec<StatutoryDay>> {
    if !PROVISIONAL_YEARS.contains(&year) {
        return None;
    }
    let new_year = lunar_date(year, 1, 1)?;
    let eve = new_year.yesterday().ok()?;
    let day = |(zh, en): (&'static str, &'static str), date: Date| StatutoryDay {
        festival_zh: zh,
        festival_en: en,
        date,
    };
    let mut out = vec![day(NEW_YEAR, date(year, 1, 1))];
    for d in [eve, new_year, add(new_year, 1)?, add(new_year, 2)?] {
        out.push(day(SPRING, d));
    }
    out.push(day(QINGMING, qingming(year)?));
    out.push(day(LABOUR, date(year, 5, 1)));
    out.push(day(LABOUR, date(year, 5, 2)));
    out.push(day(DRAGON_BOAT, lunar_date(year, 5, 5)?));
    out.push(day(MID_AUTUMN, lunar_date(year, 8, 15)?));
    for d in 1..=3 {
        out.push(day(NATIONAL, date(year, 10, d)));
    }
    Some(out)
}

/// The provisional arrangement of `year` (see the module documentation), or `None` outside
/// [`PROVISIONAL_YEARS`]. Computed once per year and kept.
pub fn provisional_year(year: i16) -> Option<&'static YearHolidays> {
    const N: usize = (2099 - 1901 + 1) as usize;
    static YEARS: [OnceLock<Option<YearHolidays>>; N] = [const { OnceLock::new() }; N];
    if !PROVISIONAL_YEARS.contains(&year) {
        return None;
    }
    let slot = usize::try_from(year - PROVISIONAL_YEARS.start()).ok()?;
    YEARS[slot].get_or_init(|| build(year)).as_ref()
}

fn build(year: i16) -> Option<YearHolidays> {
    let days = statutory_days(year)?;
    // Festivals in their order, each with the dates it takes and how many it gives back.
    let mut festivals: Vec<((&'static str, &'static str), Vec<Date>, usize)> = Vec::new();
    let mut off: BTreeSet<Date> = BTreeSet::new();
    for d in &days {
        let key = (d.festival_zh, d.festival_en);
        if festivals.last().map(|f| f.0) != Some(key) {
            festivals.push((key, Vec::new(), 0));
        }
        let f = festivals.last_mut().expect("just pushed");
        if off.insert(d.date) {
            f.1.push(d.date);
            if is_weekend(d.date) {
                f.2 += 1;
            }
        } else {
            // Already another festival's day: given back like a weekend day.
            f.2 += 1;
        }
    }
    // Days given back (补假), festival by festival in date order, after the festival's last
    // day and after everything already off, on the first free Monday-to-Friday.
    festivals.sort_by_key(|f| f.1.iter().min().copied().unwrap_or(date(year, 12, 31)));
    let mut out = Vec::with_capacity(festivals.len());
    for ((zh, en), mut dates, owed) in festivals {
        let mut d = days
            .iter()
            .filter(|s| s.festival_zh == zh)
            .map(|s| s.date)
            .max()?;
        for _ in 0..owed {
            loop {
                d = d.tomorrow().ok()?;
                if !is_weekend(d) && !off.contains(&d) {
                    break;
                }
            }
            if d.year() != year {
                return None;
            }
            off.insert(d);
            dates.push(d);
        }
        out.push(Festival::new(zh, en, dates, []));
    }
    YearHolidays::new(year, Some(PROVISIONAL_NOTICE.to_owned()), out).ok()
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn add(d: Date, days: i64) -> Option<Date> {
    d.checked_add(days.days()).ok()
}

/// The Gregorian date of day `day` of the (non-leap) lunar month `month` of the Chinese year
/// that begins in Gregorian `year`.
pub fn lunar_date(year: i16, month: u8, day: u8) -> Option<Date> {
    // Lunar New Year falls between 21 January and 20 February; month 8 day 15 before
    // mid-October. Walk the Gregorian days from 20 January.
    let mut d = date(year, 1, 20);
    let cal = ChineseTraditional::new();
    while d.year() == year {
        let iso = IcuDate::try_new_iso(i32::from(d.year()), d.month() as u8, d.day() as u8).ok()?;
        let lunar = iso.to_calendar(cal);
        let m = lunar.month();
        // From 20 January on, a month numbered 1 to 8 is this lunar year's (the previous
        // year's months left in January are its 12th and maybe a leap 11th or 12th).
        if !m.to_input().is_leap() && m.number() == month && lunar.day_of_month().0 == day {
            return Some(d);
        }
        d = d.tomorrow().ok()?;
    }
    None
}

/// The date (Beijing time) of the Qingming solar term of `year`: the sun's apparent
/// ecliptic longitude reaches 15°.
pub fn qingming(year: i16) -> Option<Date> {
    solar_term_date(year, 15.0, 4, 4)
}

/// The Beijing date on which the sun's apparent longitude reaches `longitude` degrees,
/// starting the search at `month`/`day` of `year`.
fn solar_term_date(year: i16, longitude: f64, month: i8, day: i8) -> Option<Date> {
    // Julian Day (UT) of the start guess at 00:00 UT.
    let start = date(year, month, day);
    let epoch = date(1970, 1, 1);
    let days = (start - epoch).get_days();
    let mut jd = f64::from(days) + 2_440_587.5;
    let dt = delta_t_seconds(f64::from(year)) / 86_400.0;
    for _ in 0..50 {
        let lambda = apparent_solar_longitude(jd + dt);
        let mut diff = longitude - lambda;
        diff -= 360.0 * (diff / 360.0).round();
        // The sun moves about 360° / 365.2422 days.
        let step = diff * 365.2422 / 360.0;
        jd += step;
        if step.abs() < 1e-7 {
            break;
        }
    }
    // Beijing time is UT + 8 h.
    let unix_days = (jd - 2_440_587.5 + 8.0 / 24.0).floor();
    if !unix_days.is_finite() {
        return None;
    }
    epoch.checked_add((unix_days as i64).days()).ok()
}

/// The sun's apparent geocentric ecliptic longitude in degrees [0, 360) at Julian Ephemeris
/// Day `jde` (Meeus, ch. 25, "low accuracy": about 0.01°).
fn apparent_solar_longitude(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let m = (357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t).to_radians();
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * m.sin()
        + (0.019_993 - 0.000_101 * t) * (2.0 * m).sin()
        + 0.000_289 * (3.0 * m).sin();
    let omega = (125.04 - 1_934.136 * t).to_radians();
    let lambda = l0 + c - 0.005_69 - 0.004_78 * omega.sin();
    lambda.rem_euclid(360.0)
}

/// TT − UT in seconds (Espenak & Meeus's polynomials; a second's error is immaterial here).
fn delta_t_seconds(year: f64) -> f64 {
    let t = year - 2000.0;
    if (2005.0..2050.0).contains(&year) {
        62.92 + 0.322_17 * t + 0.005_589 * t * t
    } else if (1986.0..2005.0).contains(&year) {
        63.86 + 0.334_5 * t - 0.060_374 * t * t
    } else {
        let u = (year - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
            - if (2050.0..2150.0).contains(&year) {
                0.562_8 * (2150.0 - year)
            } else {
                0.0
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "寿星" century formula for Qingming (an independent method): day of April =
    /// ⌊Y·0.2422 + C⌋ − ⌊Y/4⌋ with Y the year's last two digits, C = 5.59 (1901–1999) or
    /// 4.81 (2000–2099).
    fn qingming_formula(year: i16) -> Date {
        let y = f64::from(year % 100);
        let c = if year < 2000 { 5.59 } else { 4.81 };
        let mut l = f64::from((year % 100) / 4);
        if year < 2000 {
            // In the 20th century the leap-day count is of (Y − 1) / 4.
            l = f64::from(((year % 100) - 1).max(0) / 4);
        }
        let day = (y * 0.2422 + c).floor() - l;
        date(year, 4, day as i8)
    }

    #[test]
    fn qingming_agrees_with_known_dates_and_the_century_formula() {
        for (y, d) in [
            (2024, 4),
            (2025, 4),
            (2026, 5),
            (2027, 5),
            (2028, 4),
            (2023, 5),
            (2020, 4),
            (2019, 5),
            (2008, 4),
        ] {
            assert_eq!(qingming(y), Some(date(y, 4, d)), "{y}");
        }
        for y in 2000..=2099 {
            assert_eq!(qingming(y), Some(qingming_formula(y)), "{y}");
        }
    }

    #[test]
    fn lunar_dates_agree_with_known_dates() {
        for (y, m, d) in [
            (2024, 2, 10),
            (2025, 1, 29),
            (2026, 2, 17),
            (2027, 2, 6),
            (2028, 1, 26),
            (2029, 2, 13),
            (2030, 2, 3),
            (2033, 1, 31),
            (2050, 1, 23),
        ] {
            assert_eq!(
                lunar_date(y, 1, 1),
                Some(date(y, m, d)),
                "Spring Festival {y}"
            );
        }
        assert_eq!(lunar_date(2027, 5, 5), Some(date(2027, 6, 9)));
        assert_eq!(lunar_date(2027, 8, 15), Some(date(2027, 9, 15)));
        assert_eq!(lunar_date(2025, 5, 5), Some(date(2025, 5, 31)));
        assert_eq!(lunar_date(2025, 8, 15), Some(date(2025, 10, 6)));
        assert_eq!(lunar_date(2026, 5, 5), Some(date(2026, 6, 19)));
        assert_eq!(lunar_date(2026, 8, 15), Some(date(2026, 9, 25)));
        // 2020: Mid-Autumn on National Day; 2023 had a leap 2nd month.
        assert_eq!(lunar_date(2020, 8, 15), Some(date(2020, 10, 1)));
        assert_eq!(lunar_date(2023, 5, 5), Some(date(2023, 6, 22)));
        assert_eq!(lunar_date(2028, 5, 5), Some(date(2028, 5, 28)));
    }

    #[test]
    fn every_provisional_year_has_the_thirteen_statutory_days_in_their_seasons() {
        for y in PROVISIONAL_YEARS {
            let days = statutory_days(y).expect("in range");
            assert_eq!(days.len(), 13, "{y}");
            let count = |zh: &str| days.iter().filter(|d| d.festival_zh == zh).count();
            assert_eq!(
                [
                    count("元旦"),
                    count("春节"),
                    count("清明节"),
                    count("劳动节"),
                    count("端午节"),
                    count("中秋节"),
                    count("国庆节")
                ],
                [1, 4, 1, 2, 1, 1, 3],
                "{y}"
            );
            let spring: Vec<Date> = days
                .iter()
                .filter(|d| d.festival_zh == "春节")
                .map(|d| d.date)
                .collect();
            assert!(
                spring[0] >= date(y, 1, 20) && spring[3] <= date(y, 2, 22),
                "{y}"
            );
            for w in spring.windows(2) {
                assert_eq!(w[0].tomorrow().unwrap(), w[1], "{y}");
            }
            for d in &days {
                assert_eq!(d.date.year(), y);
                let (lo, hi) = match d.festival_zh {
                    "清明节" => (date(y, 4, 3), date(y, 4, 6)),
                    "端午节" => (date(y, 5, 27), date(y, 6, 27)),
                    "中秋节" => (date(y, 9, 7), date(y, 10, 8)),
                    _ => (date(y, 1, 1), date(y, 12, 31)),
                };
                assert!(d.date >= lo && d.date <= hi, "{y} {:?}", d);
            }
            let distinct: BTreeSet<Date> = days.iter().map(|d| d.date).collect();
            let mid_autumn = days
                .iter()
                .find(|d| d.festival_zh == "中秋节")
                .unwrap()
                .date;
            let overlaps = mid_autumn >= date(y, 10, 1) && mid_autumn <= date(y, 10, 3);
            assert_eq!(distinct.len(), if overlaps { 12 } else { 13 }, "{y}");

            // The arrangement: every statutory day off, one weekday given back for each
            // one on a weekend or shared, no make-up working days.
            let year = provisional_year(y).expect("in range");
            assert!(year.make_up_days().is_empty());
            assert!(distinct.iter().all(|d| year.holidays().contains(d)), "{y}");
            let weekend = distinct.iter().filter(|d| is_weekend(**d)).count();
            let owed = weekend + (13 - distinct.len());
            let given: Vec<&Date> = year.holidays().difference(&distinct).collect();
            assert_eq!(given.len(), owed, "{y}: {given:?}");
            assert!(given.iter().all(|d| !is_weekend(**d)), "{y}");
        }
        assert!(statutory_days(1900).is_none() && statutory_days(2100).is_none());
        assert!(provisional_year(2100).is_none());
    }

    #[test]
    fn provisional_2027_and_2028() {
        let days = |y| -> Vec<Date> {
            provisional_year(y)
                .unwrap()
                .holidays()
                .iter()
                .copied()
                .collect()
        };
        // 2027: Jan 1 Fri; 除夕 Feb 5 Fri, Feb 6 Sat and 7 Sun given back on Feb 9 and 10;
        // Qingming Mon Apr 5; May 1 Sat, 2 Sun → May 3, 4; Jun 9; Sep 15; Oct 1 Fri, 2 Sat,
        // 3 Sun → Oct 4, 5.
        assert_eq!(
            days(2027),
            [
                date(2027, 1, 1),
                date(2027, 2, 5),
                date(2027, 2, 6),
                date(2027, 2, 7),
                date(2027, 2, 8),
                date(2027, 2, 9),
                date(2027, 2, 10),
                date(2027, 4, 5),
                date(2027, 5, 1),
                date(2027, 5, 2),
                date(2027, 5, 3),
                date(2027, 5, 4),
                date(2027, 6, 9),
                date(2027, 9, 15),
                date(2027, 10, 1),
                date(2027, 10, 2),
                date(2027, 10, 3),
                date(2027, 10, 4),
                date(2027, 10, 5),
            ]
        );
        // 2028: Jan 1 is a Saturday, given back on Monday 3 January.
        let d = days(2028);
        assert!(d.contains(&date(2028, 1, 1)) && d.contains(&date(2028, 1, 3)));
        assert!(!d.contains(&date(2028, 1, 2)));
        // Spring Festival 2028: 除夕 Tue Jan 25 to 初三 Fri Jan 28.
        for day in 25..=28 {
            assert!(d.contains(&date(2028, 1, day)));
        }
        assert!(d.contains(&date(2028, 4, 4)));
    }

    #[test]
    fn the_shipped_arrangements_give_at_least_the_statutory_days() {
        let shipped = super::super::HolidaySet::china_mainland();
        for y in shipped.years() {
            let official = shipped.year(y).unwrap();
            for d in statutory_days(y).unwrap() {
                // 2024 was arranged under the old regulations: no 除夕, one day of Labour Day
                // (its 2 May was off as a bridging day anyway).
                let old_rule = y < 2025 && d.festival_zh == "春节" && d.date == date(2024, 2, 9);
                if old_rule {
                    assert!(!official.holidays().contains(&d.date));
                    continue;
                }
                assert!(official.holidays().contains(&d.date), "{y}: {d:?}");
            }
            // Every day the provisional calendar gives off is off in the official one too,
            // for the years arranged under the regulations in force.
            if y >= 2025 {
                let provisional = provisional_year(y).unwrap();
                for d in provisional.holidays() {
                    assert!(official.holidays().contains(d), "{y}: {d}");
                }
            }
        }
    }
}
