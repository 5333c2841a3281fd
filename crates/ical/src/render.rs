//! The .ics feed of a room's (or room type's) unavailable nights, for OTAs to import.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};
use jiff::civil::Date;
use jiff::Timestamp;

use crate::IcsError;

/// Our product identifier (RFC 5545 3.7.3).
pub const PRODID: &str = "-//tripdesk//Room availability 1.0//ZH";

/// Why nights are unavailable, as an OTA may show it. A closed list on purpose: the
/// `SUMMARY` of a published event can never carry a guest's name, phone or request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// Held or booked by a guest.
    Booked,
    /// Closed by the host (maintenance, own use).
    Closed,
    /// Unavailable for any other reason (blocked by another channel's feed).
    Unavailable,
}

impl BlockReason {
    /// The `SUMMARY` text: Chinese first, English after it, for hosts on either side.
    pub fn summary(self) -> &'static str {
        match self {
            BlockReason::Booked => "已预订 Booked",
            BlockReason::Closed => "暂停接待 Closed",
            BlockReason::Unavailable => "不可预订 Not available",
        }
    }
}

/// A run of unavailable nights: from the night of `start` up to the night before `end`
/// (`end` is the check-out day, exclusive, as `DTEND` of an all-day event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedRange {
    pub start: Date,
    pub end: Date,
    /// Stable across renders so a calendar updates the event instead of adding one; opaque
    /// (an id, never personal data), e.g. `room-3f2a…-20260501@tripdesk`.
    pub uid: String,
    pub reason: BlockReason,
}

/// One feed: a calendar name (the room or room type, never a guest), the instant it is
/// rendered (`DTSTAMP`; time is passed in, not read), and its ranges.
#[derive(Debug, Clone, Copy)]
pub struct Feed<'a> {
    pub name: &'a str,
    pub stamp: Timestamp,
    pub ranges: &'a [BlockedRange],
}

/// The feed as RFC 5545 text: `VCALENDAR` with `PRODID`, `VERSION:2.0`, `CALSCALE`,
/// `METHOD:PUBLISH`, the calendar's name (`NAME`, `X-WR-CALNAME`) and a one-hour refresh
/// hint; one all-day `VEVENT` per range (`UID`, `DTSTAMP`, `DTSTART;VALUE=DATE`,
/// `DTEND;VALUE=DATE` = the check-out day, `SUMMARY` from [`BlockReason`], `TRANSP:OPAQUE`).
/// Lines end in CRLF and are folded at 75 octets. Refuses a range whose end is not after
/// its start.
pub fn render_feed(feed: &Feed<'_>) -> Result<String, IcsError> {
    let stamp = to_chrono_utc(feed.stamp);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        // Both TEXT. icalendar 0.17 escapes X-WR-CALNAME as it writes but not NAME (RFC 7986,
        // unknown to it), so NAME is escaped here; tests/feeds.rs checks both.
        .append_property(Property::new("NAME", escape_text(feed.name)))
        .append_property(Property::new("X-WR-CALNAME", feed.name))
        .append_property(
            Property::new("REFRESH-INTERVAL", "PT1H")
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for (index, range) in feed.ranges.iter().enumerate() {
        if range.end <= range.start {
            return Err(IcsError::EmptyRange {
                index,
                start: range.start,
                end: range.end,
            });
        }
        let event = Event::new()
            .uid(&range.uid)
            .timestamp(stamp)
            .starts(to_naive(range.start))
            .ends(to_naive(range.end))
            .summary(range.reason.summary())
            .add_property("TRANSP", "OPAQUE")
            .done();
        calendar.push(event);
    }
    Ok(calendar.to_string())
}

/// Blocked nights (in any order, repeats allowed) as ranges of consecutive nights, each with
/// the UID `{uid_prefix}-{YYYYMMDD of its first night}@tripdesk`.
pub fn ranges_from_nights(
    nights: impl IntoIterator<Item = Date>,
    reason: BlockReason,
    uid_prefix: &str,
) -> Vec<BlockedRange> {
    let mut nights: Vec<Date> = nights.into_iter().collect();
    nights.sort_unstable();
    nights.dedup();
    let mut out: Vec<BlockedRange> = Vec::new();
    for night in nights {
        let Ok(next) = night.tomorrow() else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last.end == night => last.end = next,
            _ => out.push(BlockedRange {
                start: night,
                end: next,
                uid: format!("{uid_prefix}-{}@tripdesk", night.strftime("%Y%m%d")),
                reason,
            }),
        }
    }
    out
}

pub(crate) fn to_naive(d: Date) -> NaiveDate {
    NaiveDate::from_ymd_opt(i32::from(d.year()), d.month() as u32, d.day() as u32)
        .expect("every jiff civil date is a chrono date")
}

fn to_chrono_utc(t: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.as_second(), 0).expect("jiff's range is inside chrono's")
}

/// RFC 5545 3.3.11 TEXT escaping (backslash, semicolon, comma, newline).
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
