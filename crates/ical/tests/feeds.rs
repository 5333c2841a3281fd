//! The feed we publish (structure, folding, escaping, no personal data), reading OTA feeds
//! (an Airbnb-style fixture, date-time forms), errors that name the line, and the round trip.

use std::collections::BTreeSet;

use jiff::civil::{date, Date};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use proptest::prelude::*;
use tripdesk_ical::*;

fn shanghai() -> TimeZone {
    // A fixed +08:00 zone keeps the tests independent of the machine's time-zone database.
    TimeZone::fixed(jiff::tz::offset(8))
}

fn stamp() -> Timestamp {
    "2026-12-02T08:30:00Z".parse().unwrap()
}

fn range(start: Date, end: Date, uid: &str, reason: BlockReason) -> BlockedRange {
    BlockedRange {
        start,
        end,
        uid: uid.into(),
        reason,
    }
}

fn physical_lines(ics: &str) -> Vec<&str> {
    assert!(ics.ends_with("\r\n"));
    let body = &ics[..ics.len() - 2];
    for (i, l) in body.split("\r\n").enumerate() {
        assert!(
            !l.contains('\n') && !l.contains('\r'),
            "bare line break in line {i}"
        );
    }
    body.split("\r\n").collect()
}

fn unfolded(ics: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in physical_lines(ics) {
        match l.strip_prefix(' ') {
            Some(rest) => out.last_mut().unwrap().push_str(rest),
            None => out.push(l.to_owned()),
        }
    }
    out
}

#[test]
fn the_feed_has_one_all_day_event_per_range_with_an_exclusive_end() {
    let ranges = [
        range(
            date(2026, 5, 1),
            date(2026, 5, 3),
            "room-7-20260501@tripdesk",
            BlockReason::Booked,
        ),
        range(
            date(2026, 5, 10),
            date(2026, 5, 11),
            "room-7-20260510@tripdesk",
            BlockReason::Closed,
        ),
    ];
    let ics = render_feed(&Feed {
        name: "苍山小院 洱海景观大床房",
        stamp: stamp(),
        ranges: &ranges,
    })
    .unwrap();
    let lines = unfolded(&ics);
    let expected = [
        "BEGIN:VCALENDAR",
        "PRODID:-//tripdesk//Room availability 1.0//ZH",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:苍山小院 洱海景观大床房",
        "X-WR-CALNAME:苍山小院 洱海景观大床房",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ];
    assert_eq!(&lines[..expected.len()], expected);
    assert_eq!(lines.last().unwrap(), "END:VCALENDAR");
    let events: Vec<&[String]> = lines.split(|l| l == "BEGIN:VEVENT").skip(1).collect();
    assert_eq!(events.len(), 2);
    let first: BTreeSet<&str> = events[0].iter().map(String::as_str).collect();
    for want in [
        "UID:room-7-20260501@tripdesk",
        "DTSTAMP:20261202T083000Z",
        "DTSTART;VALUE=DATE:20260501",
        "DTEND;VALUE=DATE:20260503",
        "SUMMARY:已预订 Booked",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ] {
        assert!(first.contains(want), "{want} missing from {first:?}");
    }
    assert!(events[1].iter().any(|l| l == "SUMMARY:暂停接待 Closed"));
    assert!(events[1].iter().any(|l| l == "DTEND;VALUE=DATE:20260511"));
}

#[test]
fn summaries_come_from_a_fixed_list() {
    let all = [
        BlockReason::Booked,
        BlockReason::Closed,
        BlockReason::Unavailable,
    ];
    let texts: Vec<&str> = all.iter().map(|r| r.summary()).collect();
    assert_eq!(
        texts,
        ["已预订 Booked", "暂停接待 Closed", "不可预订 Not available"]
    );
}

#[test]
fn long_lines_fold_at_75_octets_without_splitting_a_character_and_text_is_escaped() {
    let name = "大理古城·苍山脚下的小院, 洱海景观大床房; 含早餐\\双人 ".repeat(4);
    let ics = render_feed(&Feed {
        name: &name,
        stamp: stamp(),
        ranges: &[range(
            date(2026, 5, 1),
            date(2026, 5, 2),
            &"u".repeat(120),
            BlockReason::Unavailable,
        )],
    })
    .unwrap();
    let lines = physical_lines(&ics);
    assert!(lines.iter().all(|l| l.len() <= 75), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with(' ')),
        "nothing was folded"
    );
    let escaped = name
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;");
    let unfolded = unfolded(&ics);
    let calname = unfolded
        .iter()
        .find(|l| l.starts_with("X-WR-CALNAME:"))
        .unwrap();
    assert_eq!(calname, &format!("X-WR-CALNAME:{escaped}"));
    assert!(unfolded.contains(&format!("NAME:{escaped}")));
    assert!(unfolded.contains(&format!("UID:{}", "u".repeat(120))));
    // And our reader gives the range back.
    let blocks = parse_feed(&ics, &shanghai()).unwrap();
    assert_eq!(
        (blocks[0].start, blocks[0].end),
        (date(2026, 5, 1), date(2026, 5, 2))
    );
    assert_eq!(blocks[0].summary.as_deref(), Some("不可预订 Not available"));
}

#[test]
fn an_empty_range_is_refused() {
    let err = render_feed(&Feed {
        name: "x",
        stamp: stamp(),
        ranges: &[range(
            date(2026, 5, 1),
            date(2026, 5, 1),
            "a",
            BlockReason::Booked,
        )],
    })
    .unwrap_err();
    assert_eq!(err.code(), "ics.empty_range");
    let empty = render_feed(&Feed {
        name: "x",
        stamp: stamp(),
        ranges: &[],
    })
    .unwrap();
    assert!(!empty.contains("VEVENT"));
    assert!(parse_feed(&empty, &shanghai()).unwrap().is_empty());
}

#[test]
fn nights_coalesce_into_ranges_with_stable_uids() {
    let nights = [
        date(2026, 5, 3),
        date(2026, 5, 1),
        date(2026, 5, 2),
        date(2026, 5, 2),
        date(2026, 5, 7),
    ];
    let ranges = ranges_from_nights(nights, BlockReason::Booked, "room-7");
    assert_eq!(
        ranges,
        [
            range(
                date(2026, 5, 1),
                date(2026, 5, 4),
                "room-7-20260501@tripdesk",
                BlockReason::Booked
            ),
            range(
                date(2026, 5, 7),
                date(2026, 5, 8),
                "room-7-20260507@tripdesk",
                BlockReason::Booked
            ),
        ]
    );
    assert!(ranges_from_nights([], BlockReason::Booked, "r").is_empty());
}

#[test]
fn an_airbnb_feed_blocks_its_nights() {
    let text = include_str!("fixtures/airbnb.ics");
    assert!(text.contains("\r\n "), "the fixture has folded lines");
    let blocks = parse_feed(text, &shanghai()).unwrap();
    let spans: Vec<(Date, Date)> = blocks.iter().map(|b| (b.start, b.end)).collect();
    assert_eq!(
        spans,
        [
            (date(2026, 5, 1), date(2026, 5, 3)),
            (date(2026, 5, 5), date(2026, 5, 9)),
            (date(2026, 5, 28), date(2026, 6, 1)),
        ]
    );
    assert_eq!(blocks[0].summary.as_deref(), Some("Reserved"));
    assert_eq!(blocks[0].line, 5);
    assert_eq!(blocks[1].line, 13);
    assert_eq!(
        blocks[2].uid.as_deref(),
        Some("7f3c9a2e51d8-0d6b4e8f2a1c49e7b3f5a9c0e2d4b816@airbnb.com")
    );
    let nights = blocked_nights(&blocks, date(2026, 5, 1), date(2026, 7, 1));
    let expected: BTreeSet<Date> = [1, 2, 5, 6, 7, 8, 28, 29, 30, 31]
        .into_iter()
        .map(|d| date(2026, 5, d))
        .collect();
    assert_eq!(nights, expected);
    // The check-out days and the cancelled event's nights stay free.
    assert!(!nights.contains(&date(2026, 5, 3)));
    assert!(!nights.contains(&date(2026, 6, 10)));
    // A window clips.
    let clipped = blocked_nights(&blocks, date(2026, 5, 2), date(2026, 5, 6));
    assert_eq!(
        clipped.into_iter().collect::<Vec<_>>(),
        [date(2026, 5, 2), date(2026, 5, 5)]
    );
    assert_eq!(blocks[1].nights().count(), 4);
}

fn feed(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{events}END:VCALENDAR\r\n")
}

fn one(event: &str) -> Result<Vec<(Date, Date)>, IcsError> {
    let text = feed(&format!("BEGIN:VEVENT\r\nUID:x\r\n{event}END:VEVENT\r\n"));
    parse_feed(&text, &shanghai()).map(|bs| bs.iter().map(|b| (b.start, b.end)).collect())
}

#[test]
fn date_time_forms_become_nights_in_the_property_zone() {
    let d = |m, day| date(2026, m, day);
    // UTC: 06:00Z is 14:00 in Shanghai; 03:00Z on the 3rd is 11:00 there.
    assert_eq!(
        one("DTSTART:20260501T060000Z\r\nDTEND:20260503T030000Z\r\n").unwrap(),
        [(d(5, 1), d(5, 3))]
    );
    // 17:00Z on 30 April is already 1 May in Shanghai.
    assert_eq!(
        one("DTSTART:20260430T170000Z\r\nDTEND:20260502T020000Z\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
    // Floating and a TZID nobody knows: the wall-clock dates.
    assert_eq!(
        one("DTSTART:20260501T140000\r\nDTEND:20260504T110000\r\n").unwrap(),
        [(d(5, 1), d(5, 4))]
    );
    assert_eq!(
        one("DTSTART;TZID=\"Custom Zone\":20260501T140000\r\nDTEND;TZID=\"Custom Zone\":20260502T110000\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
    // A timed block inside one day closes that night.
    assert_eq!(
        one("DTSTART:20260501T090000\r\nDTEND:20260501T120000\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
    // DATE without DTEND is one day; DATE-TIME without one, at least its night.
    assert_eq!(
        one("DTSTART;VALUE=DATE:20260501\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
    assert_eq!(
        one("DTSTART:20260501T150000Z\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
    // DURATION instead of DTEND.
    assert_eq!(
        one("DTSTART;VALUE=DATE:20260501\r\nDURATION:P3D\r\n").unwrap(),
        [(d(5, 1), d(5, 4))]
    );
    assert_eq!(
        one("DTSTART;VALUE=DATE:20260501\r\nDURATION:P1W\r\n").unwrap(),
        [(d(5, 1), d(5, 8))]
    );
    // A DATE written without VALUE=DATE, and lower-case names.
    assert_eq!(
        one("dtstart:20260501\r\ndtend:20260502\r\n").unwrap(),
        [(d(5, 1), d(5, 2))]
    );
}

#[test]
fn unknown_properties_components_and_lf_endings_are_fine() {
    let text = "\u{feff}BEGIN:VCALENDAR\nVERSION:2.0\nX-WR-CALNAME:Booking.com\nBEGIN:VTIMEZONE\nTZID:Asia/Shanghai\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0800\nTZOFFSETTO:+0800\nEND:STANDARD\nEND:VTIMEZONE\n\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260801\nDTEND;VALUE=DATE:20260803\nUID:bdc-1\nDESCRIPTION:\nX-UNKNOWN;FOO=\"a:b\":value\nSUMMARY:CLOSED - Not available\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDTSTART:20200101T000000\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";
    let blocks = parse_feed(text, &shanghai()).unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        (blocks[0].start, blocks[0].end),
        (date(2026, 8, 1), date(2026, 8, 3))
    );
    assert_eq!(blocks[0].line, 13);
    assert_eq!(blocks[0].summary.as_deref(), Some("CLOSED - Not available"));
}

#[test]
fn errors_name_the_physical_line() {
    let z = shanghai();
    let err = |text: &str| parse_feed(text, &z).unwrap_err();

    let e = err("<!DOCTYPE html>\r\n<html>");
    assert_eq!((e.code(), e.line()), ("ics.not_a_calendar", Some(1)));
    assert_eq!(err("").code(), "ics.not_a_calendar");
    let e = err(" folded\r\nBEGIN:VCALENDAR\r\n");
    assert_eq!((e.code(), e.line()), ("ics.syntax", Some(1)));

    // Line 5 is the second physical line of a folded DESCRIPTION; the bad line is 7.
    let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDESCRIPTION:a long\r\n  description\r\nDTSTART;VALUE=DATE:20260501\r\nDTEND;VALUE=DATE:2026-05-03\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let e = err(text);
    assert_eq!((e.code(), e.line()), ("ics.bad_date", Some(7)));
    assert_eq!(
        e.to_string(),
        "line 7: DTEND value \"2026-05-03\" is not a valid date"
    );

    let e = err("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis is not a property\r\nEND:VCALENDAR\r\n");
    assert_eq!((e.code(), e.line()), ("ics.syntax", Some(3)));
    let e = err("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
    assert_eq!((e.code(), e.line()), ("ics.nesting", Some(3)));
    let e = err("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260501\r\n");
    assert_eq!((e.code(), e.line()), ("ics.nesting", Some(2)));
    let e = err(&feed("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"));
    assert_eq!((e.code(), e.line()), ("ics.missing_start", Some(4)));
    let e = err(&feed("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260505\r\nDTEND;VALUE=DATE:20260503\r\nEND:VEVENT\r\n"));
    assert_eq!((e.code(), e.line()), ("ics.end_before_start", Some(6)));
    let e = err(&feed(
        "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260505\r\nDURATION:-P2D\r\nEND:VEVENT\r\n",
    ));
    assert_eq!((e.code(), e.line()), ("ics.end_before_start", Some(6)));
    let e = err(&feed(
        "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260505\r\nDURATION:three days\r\nEND:VEVENT\r\n",
    ));
    assert_eq!((e.code(), e.line()), ("ics.bad_date", Some(6)));
    let e = err(&feed(
        "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260505\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n",
    ));
    assert_eq!((e.code(), e.line()), ("ics.unsupported", Some(6)));
}

#[test]
fn a_rendered_feed_reads_back() {
    let ranges = [
        range(
            date(2026, 1, 30),
            date(2026, 2, 2),
            "a@tripdesk",
            BlockReason::Booked,
        ),
        range(
            date(2026, 12, 31),
            date(2027, 1, 1),
            "b@tripdesk",
            BlockReason::Closed,
        ),
    ];
    let ics = render_feed(&Feed {
        name: "房型 A",
        stamp: stamp(),
        ranges: &ranges,
    })
    .unwrap();
    let blocks = parse_feed(&ics, &shanghai()).unwrap();
    let back: Vec<(Date, Date, Option<&str>, Option<&str>)> = blocks
        .iter()
        .map(|b| (b.start, b.end, b.uid.as_deref(), b.summary.as_deref()))
        .collect();
    assert_eq!(
        back,
        [
            (
                date(2026, 1, 30),
                date(2026, 2, 2),
                Some("a@tripdesk"),
                Some("已预订 Booked")
            ),
            (
                date(2026, 12, 31),
                date(2027, 1, 1),
                Some("b@tripdesk"),
                Some("暂停接待 Closed")
            ),
        ]
    );
}

proptest! {
    /// Any set of nights, published and read back, blocks exactly those nights.
    #[test]
    fn nights_survive_the_round_trip(offsets in proptest::collection::btree_set(0i32..400, 0..60)) {
        let base = date(2026, 1, 1);
        let nights: BTreeSet<Date> = offsets
            .iter()
            .map(|o| base.checked_add(jiff::Span::new().days(*o)).unwrap())
            .collect();
        let ranges = ranges_from_nights(nights.iter().copied(), BlockReason::Booked, "room-1");
        let ics = render_feed(&Feed { name: "一号房", stamp: stamp(), ranges: &ranges }).unwrap();
        prop_assert!(ics.split("\r\n").all(|l| l.len() <= 75));
        let blocks = parse_feed(&ics, &shanghai()).unwrap();
        prop_assert_eq!(blocks.len(), ranges.len());
        let back = blocked_nights(&blocks, base, date(2028, 1, 1));
        prop_assert_eq!(back, nights);
    }
}
