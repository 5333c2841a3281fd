//! Working-day arithmetic around China's holidays and make-up days.

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn office() -> Calendar {
    Calendar::china_mainland_office()
}

/// A Beijing-time instant, e.g. `bj("2025-09-30T17:00")`.
fn bj(local: &str) -> Timestamp {
    format!("{local}:00+08:00[Asia/Shanghai]")
        .parse::<jiff::Zoned>()
        .unwrap()
        .timestamp()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn lunch_break_calendar() -> Calendar {
    let week = WeeklyHours::monday_to_friday(vec![
        "09:00-12:00".parse().unwrap(),
        "13:30-18:00".parse().unwrap(),
    ])
    .unwrap();
    Calendar::new(
        "lunch",
        china_time_zone(),
        week,
        HolidaySet::china_mainland(),
    )
}

#[test]
fn required_example_national_day_2025() {
    let from = bj("2025-09-30T17:00");
    assert_eq!(
        office().add_working_days(from, 3).unwrap(),
        bj("2025-10-11T17:00")
    );
    assert_eq!(
        office()
            .working_days_between(from, bj("2025-10-11T17:00"))
            .unwrap(),
        3
    );
}

/// Working days per year, computed, and re-derived from the data by counting.
#[test]
fn working_days_per_year() {
    let cal = office();
    let count = |y: i16| cal.workdays(date(y, 1, 1), date(y, 12, 31)).unwrap().len();
    assert_eq!(count(2024), 251);
    // The official 2025 and 2026 arrangements each give 13 statutory holiday days off
    // net of make-up days (年节 13 天): 261 weekdays − 13 = 248.
    assert_eq!(count(2025), 248);
    assert_eq!(count(2026), 248);
    for y in 2024..=2026 {
        let data = cal.holidays().year(y).unwrap();
        let weekdays = date(y, 1, 1)
            .series(Span::new().days(1))
            .take_while(|d| d.year() == y)
            .filter(|d| d.weekday().to_monday_zero_offset() < 5)
            .count();
        let weekday_holidays = data
            .holidays()
            .iter()
            .filter(|d| d.weekday().to_monday_zero_offset() < 5)
            .count();
        assert_eq!(
            count(y),
            weekdays - weekday_holidays + data.make_up_days().len(),
            "{y}"
        );
    }
}

/// Every day of 2024–2026, judged by the calendar, against the rule applied to the data.
#[test]
fn every_day_2024_to_2026_matches_the_data() {
    let cal = office();
    let data = HolidaySet::china_mainland();
    let days = cal.workdays(date(2024, 1, 1), date(2026, 12, 31)).unwrap();
    let expected: Vec<Date> = date(2024, 1, 1)
        .series(Span::new().days(1))
        .take_while(|d| d.year() <= 2026)
        .filter(|&d| {
            let weekday = d.weekday().to_monday_zero_offset() < 5;
            (weekday && !data.is_holiday(d)) || data.is_make_up_day(d)
        })
        .collect();
    assert_eq!(days, expected);
    assert_eq!(days.len(), 251 + 248 + 248);
}

#[test]
fn is_working_day_samples() {
    let cal = office();
    let cases = [
        (date(2025, 1, 1), false),  // 元旦, Wednesday
        (date(2025, 1, 2), true),   // Thursday
        (date(2025, 1, 26), true),  // Sunday, 春节 make-up day
        (date(2025, 2, 8), true),   // Saturday, 春节 make-up day
        (date(2025, 2, 9), false),  // ordinary Sunday
        (date(2025, 4, 4), false),  // 清明, Friday
        (date(2025, 10, 8), false), // last day of 国庆节、中秋节
        (date(2025, 10, 11), true), // make-up Saturday
        (date(2024, 10, 7), false), // Monday in the 2024 National Day week
        (date(2026, 1, 4), true),   // Sunday make-up after 元旦 2026
    ];
    for (d, want) in cases {
        assert_eq!(cal.is_working_day(d).unwrap(), want, "{d}");
    }
}

#[test]
fn spring_festival_2024() {
    let cal = office();
    // Friday 9 Feb (除夕) is a working day; 10–17 Feb off; Sunday 18 Feb is a make-up day.
    assert_eq!(
        cal.add_working_days(bj("2024-02-09T10:00"), 1).unwrap(),
        bj("2024-02-18T10:00")
    );
    assert_eq!(
        cal.add_working_days(bj("2024-02-09T10:00"), 2).unwrap(),
        bj("2024-02-19T10:00")
    );
    // Sunday 4 Feb is worked too.
    assert_eq!(
        cal.add_working_days(bj("2024-02-02T10:00"), 1).unwrap(),
        bj("2024-02-04T10:00")
    );
    assert_eq!(
        cal.add_working_hours(bj("2024-02-09T17:00"), hours(2))
            .unwrap(),
        bj("2024-02-18T10:00")
    );
}

#[test]
fn spring_festival_2025() {
    let cal = office();
    // Monday 27 Jan 15:00, then 28 Jan – 4 Feb off: next working day Wednesday 5 Feb.
    assert_eq!(
        cal.add_working_days(bj("2025-01-27T15:00"), 1).unwrap(),
        bj("2025-02-05T15:00")
    );
    // Saturday 25 Jan (ordinary) → Sunday 26 Jan (make-up).
    assert_eq!(
        cal.add_working_days(bj("2025-01-25T11:00"), 1).unwrap(),
        bj("2025-01-26T11:00")
    );
    assert_eq!(
        cal.working_time_between(bj("2025-01-27T09:00"), bj("2025-02-05T09:00"))
            .unwrap(),
        hours(9)
    );
    assert_eq!(
        cal.workdays(date(2025, 1, 25), date(2025, 2, 9)).unwrap(),
        vec![
            date(2025, 1, 26),
            date(2025, 1, 27),
            date(2025, 2, 5),
            date(2025, 2, 6),
            date(2025, 2, 7),
            date(2025, 2, 8)
        ]
    );
}

#[test]
fn spring_festival_2026() {
    let cal = office();
    // Friday 13 Feb → Saturday 14 Feb (make-up) → Tuesday 24 Feb (15–23 off).
    assert_eq!(
        cal.add_working_days(bj("2026-02-13T12:00"), 1).unwrap(),
        bj("2026-02-14T12:00")
    );
    assert_eq!(
        cal.add_working_days(bj("2026-02-13T12:00"), 2).unwrap(),
        bj("2026-02-24T12:00")
    );
    assert_eq!(
        cal.working_days_between(bj("2026-02-13T12:00"), bj("2026-02-28T08:00"))
            .unwrap(),
        6
    );
}

#[test]
fn national_day_2024_with_make_up_saturday() {
    let cal = office();
    // Monday 30 Sep, 1–7 Oct off, 8–11 Oct, then Saturday 12 Oct worked.
    let from = bj("2024-09-30T10:00");
    assert_eq!(
        cal.add_working_days(from, 1).unwrap(),
        bj("2024-10-08T10:00")
    );
    assert_eq!(
        cal.add_working_days(from, 5).unwrap(),
        bj("2024-10-12T10:00")
    );
    assert_eq!(
        cal.add_working_days(from, 6).unwrap(),
        bj("2024-10-14T10:00")
    );
    // Sunday 29 Sep is worked.
    assert_eq!(
        cal.add_working_days(bj("2024-09-27T10:00"), 1).unwrap(),
        bj("2024-09-29T10:00")
    );
}

#[test]
fn start_on_a_holiday() {
    let cal = office();
    let from = bj("2025-10-03T11:00"); // Friday in the National Day holiday
    assert_eq!(
        cal.add_working_days(from, 1).unwrap(),
        bj("2025-10-09T11:00")
    );
    assert_eq!(
        cal.add_working_hours(from, hours(1)).unwrap(),
        bj("2025-10-09T10:00")
    );
    assert_eq!(
        cal.working_time_between(from, bj("2025-10-09T09:00"))
            .unwrap(),
        SignedDuration::ZERO
    );
}

#[test]
fn start_on_a_make_up_saturday() {
    let cal = office();
    let from = bj("2025-10-11T16:00"); // make-up Saturday, 09:00–18:00 worked
    assert_eq!(
        cal.add_working_hours(from, hours(2)).unwrap(),
        bj("2025-10-11T18:00")
    );
    assert_eq!(
        cal.add_working_hours(from, hours(3)).unwrap(),
        bj("2025-10-13T10:00")
    );
    assert_eq!(
        cal.add_working_days(from, 1).unwrap(),
        bj("2025-10-13T16:00")
    );
    assert_eq!(
        cal.working_hours_on(date(2025, 10, 11)).unwrap(),
        &[OFFICE_DAY]
    );
}

#[test]
fn year_boundary_2025_to_2026() {
    let cal = office();
    // 1–3 Jan 2026 off, Sunday 4 Jan worked.
    let from = bj("2025-12-31T17:30");
    assert_eq!(
        cal.add_working_days(from, 1).unwrap(),
        bj("2026-01-04T17:30")
    );
    assert_eq!(
        cal.add_working_days(from, 2).unwrap(),
        bj("2026-01-05T17:30")
    );
    assert_eq!(
        cal.add_working_hours(from, hours(1)).unwrap(),
        bj("2026-01-04T09:30")
    );
    assert_eq!(
        cal.working_days_between(from, bj("2026-01-05T08:00"))
            .unwrap(),
        2
    );
    assert_eq!(
        cal.workdays(date(2025, 12, 30), date(2026, 1, 5)).unwrap(),
        vec![
            date(2025, 12, 30),
            date(2025, 12, 31),
            date(2026, 1, 4),
            date(2026, 1, 5)
        ]
    );
}

#[test]
fn working_hours_over_a_weekend() {
    let cal = office();
    let friday = bj("2025-03-07T17:00");
    assert_eq!(
        cal.add_working_hours(friday, hours(1)).unwrap(),
        bj("2025-03-07T18:00")
    );
    assert_eq!(
        cal.add_working_hours(friday, hours(2)).unwrap(),
        bj("2025-03-10T10:00")
    );
    assert_eq!(
        cal.working_time_between(friday, bj("2025-03-10T10:00"))
            .unwrap(),
        hours(2)
    );
    // Starting on Saturday night counts from Monday 09:00.
    assert_eq!(
        cal.add_working_hours(bj("2025-03-08T22:00"), mins(30))
            .unwrap(),
        bj("2025-03-10T09:30")
    );
}

#[test]
fn working_hours_over_a_holiday() {
    let cal = office();
    // Wednesday 30 April 17:00; 1–5 May off.
    let from = bj("2025-04-30T17:00");
    assert_eq!(
        cal.add_working_hours(from, hours(2)).unwrap(),
        bj("2025-05-06T10:00")
    );
    // A full working week (45 h) from Monday 29 Sep 2025 09:00: 29 and 30 Sep, 9, 10, 11 Oct.
    assert_eq!(
        cal.add_working_hours(bj("2025-09-29T09:00"), hours(45))
            .unwrap(),
        bj("2025-10-11T18:00")
    );
    assert_eq!(
        cal.working_time_between(bj("2025-09-29T09:00"), bj("2025-10-13T09:00"))
            .unwrap(),
        hours(45)
    );
}

#[test]
fn lunch_break_intervals() {
    let cal = lunch_break_calendar();
    let friday = bj("2025-03-07T11:30");
    assert_eq!(
        cal.add_working_hours(friday, hours(1)).unwrap(),
        bj("2025-03-07T14:00")
    );
    assert_eq!(
        cal.add_working_hours(friday, mins(30)).unwrap(),
        bj("2025-03-07T12:00")
    );
    // Starting inside the break counts from 13:30.
    assert_eq!(
        cal.add_working_hours(bj("2025-03-07T12:15"), mins(10))
            .unwrap(),
        bj("2025-03-07T13:40")
    );
    assert_eq!(
        cal.add_working_hours(bj("2025-03-07T17:30"), hours(1))
            .unwrap(),
        bj("2025-03-10T09:30")
    );
    assert_eq!(
        cal.working_time_between(bj("2025-03-07T11:00"), bj("2025-03-07T14:00"))
            .unwrap(),
        mins(90)
    );
    // 7.5 working hours a day.
    assert_eq!(
        cal.working_time_between(bj("2025-03-10T00:00"), bj("2025-03-11T00:00"))
            .unwrap(),
        mins(450)
    );
    // Make-up days follow Monday's hours, break included.
    assert_eq!(cal.working_hours_on(date(2025, 10, 11)).unwrap().len(), 2);
}

#[test]
fn make_up_hours_can_differ() {
    let cal = office()
        .with_make_up_hours(vec!["10:00-16:00".parse().unwrap()])
        .unwrap();
    assert_eq!(
        cal.add_working_hours(bj("2025-10-11T09:00"), hours(1))
            .unwrap(),
        bj("2025-10-11T11:00")
    );
    assert_eq!(
        cal.add_working_hours(bj("2025-10-11T15:00"), hours(2))
            .unwrap(),
        bj("2025-10-13T10:00")
    );
}

#[test]
fn always_open_hotline_counts_holidays() {
    let cal = Calendar::always_open(Calendar::HOTLINE, china_time_zone());
    let from = bj("2025-10-01T23:00"); // National Day
    assert!(cal.is_working_day(date(2025, 10, 1)).unwrap());
    assert_eq!(
        cal.add_working_hours(from, hours(2)).unwrap(),
        bj("2025-10-02T01:00")
    );
    assert_eq!(
        cal.add_working_days(from, 3).unwrap(),
        bj("2025-10-04T23:00")
    );
    assert_eq!(
        cal.working_time_between(from, bj("2025-10-08T23:00"))
            .unwrap(),
        hours(7 * 24)
    );
    assert_eq!(
        cal.working_days_between(from, bj("2025-10-08T01:00"))
            .unwrap(),
        7
    );
    // No holiday data needed for any year.
    assert!(cal.covers_year(2031));
    assert_eq!(
        cal.add_working_hours(bj("2031-02-01T12:00"), hours(24))
            .unwrap(),
        bj("2031-02-02T12:00")
    );
    assert_eq!(
        cal.workdays(date(2031, 1, 1), date(2031, 12, 31))
            .unwrap()
            .len(),
        365
    );
}

#[test]
fn add_hours_is_wall_time() {
    let cal = office();
    assert_eq!(
        cal.add_hours(bj("2025-10-01T10:00"), hours(3)).unwrap(),
        bj("2025-10-01T13:00")
    );
}

#[test]
fn daylight_saving_is_handled_in_other_zones() {
    // New York, no holidays in 2025, 09:00–18:00 Monday to Friday; DST starts Sunday 9 March.
    let ny = TimeZone::get("America/New_York").unwrap();
    let mut holidays = HolidaySet::empty();
    holidays
        .insert(YearHolidays::new(2025, None, vec![]).unwrap())
        .unwrap();
    let week = WeeklyHours::monday_to_friday(vec![OFFICE_DAY]).unwrap();
    let cal = Calendar::new("ny", ny.clone(), week, holidays);
    let at = |s: &str| {
        format!("{s}[America/New_York]")
            .parse::<jiff::Zoned>()
            .unwrap()
            .timestamp()
    };
    let friday = at("2025-03-07T17:00-05:00");
    assert_eq!(
        cal.add_working_hours(friday, hours(2)).unwrap(),
        at("2025-03-10T10:00-04:00")
    );
    assert_eq!(
        cal.add_working_days(friday, 1).unwrap(),
        at("2025-03-10T17:00-04:00")
    );
    let open = Calendar::always_open("ny-24", ny);
    // The day of the change has 23 hours.
    assert_eq!(
        open.working_time_between(at("2025-03-09T00:00-05:00"), at("2025-03-10T00:00-04:00"))
            .unwrap(),
        hours(23)
    );
}

#[test]
fn errors() {
    let cal = office();
    // Outside the provisional calendar's years, a year without data is still refused.
    assert_eq!(
        cal.is_working_day(date(2100, 1, 4)),
        Err(CalendarError::NoHolidayData { year: 2100 })
    );
    assert_eq!(
        cal.add_working_days(bj("2099-12-30T10:00"), 5),
        Err(CalendarError::NoHolidayData { year: 2100 })
    );
    assert_eq!(
        cal.is_working_day(date(1900, 12, 31)),
        Err(CalendarError::NoHolidayData { year: 1900 })
    );
    assert_eq!(
        cal.workdays(date(2025, 2, 1), date(2025, 1, 1)),
        Err(CalendarError::ReversedRange {
            from: date(2025, 2, 1),
            to: date(2025, 1, 1)
        })
    );
    assert!(matches!(
        cal.workdays(date(2024, 1, 1), date(2034, 1, 2)),
        Err(CalendarError::RangeTooLong { .. })
    ));
    let open = Calendar::always_open("h", china_time_zone());
    assert!(matches!(
        open.add_working_days(bj("2025-01-01T00:00"), 4000),
        Err(CalendarError::RangeTooLong { .. })
    ));
    assert!(matches!(
        cal.add_working_hours(bj("2025-01-01T00:00"), hours(-1)),
        Err(CalendarError::NegativeDuration { .. })
    ));
    assert_eq!(
        CalendarError::NoHolidayData { year: 2027 }.code(),
        "calendar.no_holiday_data"
    );
    assert_eq!(
        CalendarError::NoHolidayData { year: 2027 }.to_string(),
        "no holiday data for 2027: import the State Council arrangement for 2027 first"
    );
}

#[test]
fn a_year_without_data_is_computed_on_the_provisional_calendar() {
    let cal = office();
    // 2027 has no arrangement: weekends plus the statutory holidays.
    assert!(!cal.covers_year(2027) && cal.is_provisional_year(2027));
    assert!(!cal.is_provisional_year(2026) && !cal.is_provisional_year(2100));
    assert_eq!(cal.is_working_day(date(2027, 1, 4)), Ok(true));
    assert_eq!(cal.is_working_day(date(2027, 1, 1)), Ok(false));
    assert_eq!(cal.is_working_day(date(2027, 1, 2)), Ok(false));
    // Spring Festival 2027: 除夕 5 February to 初三 8 February, the weekend days given back
    // on 9 and 10 February.
    for d in 5..=10 {
        assert_eq!(cal.is_working_day(date(2027, 2, d)), Ok(false), "{d}");
    }
    assert_eq!(cal.is_working_day(date(2027, 2, 11)), Ok(true));
    // 2026-12-30 (Wednesday) + 5 working days: 31 Dec, then 4, 5, 6, 7 January 2027.
    let from = bj("2026-12-30T10:00");
    let due = cal.add_working_days(from, 5).unwrap();
    assert_eq!(due, bj("2027-01-07T10:00"));
    assert_eq!(cal.provisional_years_between(from, due), vec![2027]);
    assert!(!cal.provisional_between(from, bj("2026-12-31T18:00")));
    assert_eq!(
        cal.workdays(date(2026, 12, 28), date(2027, 1, 8))
            .unwrap()
            .len(),
        9
    );
    // 2023 (before the shipped data) too.
    assert_eq!(
        cal.add_working_hours(bj("2023-12-29T10:00"), hours(1)),
        Ok(bj("2023-12-29T11:00"))
    );
    assert_eq!(
        cal.provisional_years_between(bj("2023-12-29T10:00"), bj("2024-01-02T10:00")),
        vec![2023]
    );
    // The always-open calendar is never provisional.
    let open = Calendar::always_open("h", china_time_zone());
    assert!(!open.provisional_between(bj("2027-01-01T00:00"), bj("2030-01-01T00:00")));

    // Importing the year replaces the provisional calendar with the arrangement.
    let mut cal = cal;
    let y2027 = YearHolidays::new(
        2027,
        None,
        vec![Festival::new(
            "元旦",
            "New Year's Day",
            [date(2027, 1, 1)],
            [],
        )],
    )
    .unwrap();
    cal.holidays_mut().insert(y2027).unwrap();
    assert!(cal.covers_year(2027) && !cal.is_provisional_year(2027));
    assert_eq!(cal.is_working_day(date(2027, 1, 4)), Ok(true));
    assert_eq!(cal.is_working_day(date(2027, 1, 1)), Ok(false));
    // Only what the arrangement lists is off now.
    assert_eq!(cal.is_working_day(date(2027, 2, 9)), Ok(true));
}

#[test]
fn zero_amounts_and_reversed_instants() {
    let cal = office();
    let sat = bj("2025-03-08T10:00");
    assert_eq!(cal.add_working_days(sat, 0).unwrap(), sat);
    assert_eq!(
        cal.add_working_hours(sat, SignedDuration::ZERO).unwrap(),
        sat
    );
    let (a, b) = (bj("2025-03-07T10:00"), bj("2025-03-10T10:00"));
    assert_eq!(cal.working_time_between(b, a).unwrap(), -hours(9));
    assert_eq!(cal.working_days_between(b, a).unwrap(), -1);
}

/// Instants from 2024-01-01 to 2026-10-31, Beijing time, at any second: early enough that
/// the amounts below stay inside the years with holiday data.
fn instant() -> impl Strategy<Value = Timestamp> {
    let lo = bj("2024-01-01T00:00").as_second();
    let hi = bj("2026-10-31T00:00").as_second();
    (lo..hi).prop_map(|s| Timestamp::from_second(s).unwrap())
}

fn calendars() -> impl Strategy<Value = Calendar> {
    prop_oneof![
        Just(office()),
        Just(lunch_break_calendar()),
        Just(Calendar::always_open(Calendar::HOTLINE, china_time_zone())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn add_working_days_lands_on_a_working_day_and_inverts(cal in calendars(), t in instant(), n in 1u32..30) {
        let r = cal.add_working_days(t, n).unwrap();
        let local = cal.zone().to_datetime(r);
        prop_assert!(cal.is_working_day(local.date()).unwrap());
        prop_assert_eq!(local.time(), cal.zone().to_datetime(t).time());
        prop_assert_eq!(cal.working_days_between(t, r).unwrap(), i64::from(n));
        prop_assert_eq!(cal.working_days_between(r, t).unwrap(), -i64::from(n));
    }

    #[test]
    fn add_working_days_is_monotonic(cal in calendars(), t in instant(), a in 0u32..25, b in 0u32..25) {
        let (ra, rb) = (cal.add_working_days(t, a).unwrap(), cal.add_working_days(t, b).unwrap());
        prop_assert_eq!(a.cmp(&b), ra.cmp(&rb));
    }

    #[test]
    fn add_working_hours_inverts(cal in calendars(), t in instant(), m in 0i64..(120 * 60)) {
        let amount = mins(m);
        let r = cal.add_working_hours(t, amount).unwrap();
        prop_assert!(r >= t);
        prop_assert_eq!(cal.working_time_between(t, r).unwrap(), amount);
    }

    #[test]
    fn add_working_hours_is_monotonic(cal in calendars(), t in instant(), a in 0i64..6000, b in 0i64..6000) {
        let (ra, rb) = (cal.add_working_hours(t, mins(a)).unwrap(), cal.add_working_hours(t, mins(b)).unwrap());
        prop_assert_eq!(a.cmp(&b), ra.cmp(&rb));
    }

    #[test]
    fn working_time_is_additive(cal in calendars(), a in instant(), b in instant(), c in instant()) {
        let ab = cal.working_time_between(a, b).unwrap();
        let bc = cal.working_time_between(b, c).unwrap();
        prop_assert_eq!(ab + bc, cal.working_time_between(a, c).unwrap());
        prop_assert_eq!(cal.working_time_between(b, a).unwrap(), -ab);
        prop_assert!(ab.abs() <= a.duration_since(b).abs());
    }
}
