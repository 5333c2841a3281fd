//! Reading an OTA's availability feed into blocked nights.

use std::collections::BTreeSet;

use icalendar::parser::{read_calendar, Property as RawProperty};
use icalendar::{CalendarDateTime, DatePerhapsTime};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Span;

use crate::IcsError;

/// One event of an imported feed as nights: `start` is the first blocked night, `end` the
/// morning it is over (exclusive), always after `start`.
///
/// The rule, for feeds as Airbnb, Booking.com and Vrbo write them:
/// - all-day (`VALUE=DATE`): `DTEND` is exclusive, the check-out day; without `DTEND` or
///   `DURATION` the event is one day (RFC 5545 3.6.1), so one night;
/// - date-time (UTC `…Z`, `TZID=…` or floating): both ends are taken as dates in the
///   property's own time zone (the `zone` given to [`parse_feed`]); the nights from the start
///   date to the end date are blocked, and at least the night of the start date (a timed
///   block inside one day still closes that night: a hard block errs on the safe side);
/// - `DURATION` instead of `DTEND` is added to the start;
/// - `STATUS:CANCELLED` events block nothing and are left out;
/// - unknown properties and components (`VTIMEZONE`, `VALARM`, `X-…`) are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBlock {
    pub start: Date,
    pub end: Date,
    pub uid: Option<String>,
    /// The OTA's summary as written (Airbnb: "Reserved", "Airbnb (Not available)"); for
    /// staff, never re-published.
    pub summary: Option<String>,
    /// The line of the event's `BEGIN:VEVENT`, for a conflict report.
    pub line: usize,
}

impl ImportedBlock {
    /// The blocked nights, in order.
    pub fn nights(&self) -> impl Iterator<Item = Date> + '_ {
        self.start
            .series(Span::new().days(1))
            .take_while(move |d| *d < self.end)
    }
}

/// The nights from `from` up to (not including) `until` that any of `blocks` blocks.
pub fn blocked_nights(blocks: &[ImportedBlock], from: Date, until: Date) -> BTreeSet<Date> {
    let mut out = BTreeSet::new();
    for b in blocks {
        let start = b.start.max(from);
        let end = b.end.min(until);
        if start < end {
            out.extend(start.series(Span::new().days(1)).take_while(|d| *d < end));
        }
    }
    out
}

/// One unfolded content line and the physical line it starts on (1-based).
struct Logical {
    line: usize,
    text: String,
}

/// Where a `VEVENT` (directly under `VCALENDAR`) and its properties are in the file.
struct EventLines {
    begin: usize,
    props: Vec<(String, usize)>,
}

impl EventLines {
    fn line_of(&self, name: &str) -> usize {
        self.props
            .iter()
            .find(|(n, _)| n == name)
            .map_or(self.begin, |(_, l)| *l)
    }
}

/// Reads a feed into blocks, in the order of the file. `zone` is the property's time zone,
/// used to turn date-times into dates. Errors name the physical line.
pub fn parse_feed(text: &str, zone: &TimeZone) -> Result<Vec<ImportedBlock>, IcsError> {
    let lines = unfold(text)?;
    let first = lines.first().map_or(1, |l| l.line);
    if !lines
        .first()
        .is_some_and(|l| l.text.trim_end().eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(IcsError::NotACalendar { line: first });
    }

    // Syntax and nesting, with physical lines; where each top-level event's properties are.
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut events: Vec<EventLines> = Vec::new();
    let mut used = 0;
    for (i, l) in lines.iter().enumerate() {
        let (name, value) = split_line(l)?;
        match name.as_str() {
            "BEGIN" => {
                let component = value.trim().to_ascii_uppercase();
                if component.is_empty() {
                    return Err(syntax(l.line, "BEGIN without a component name"));
                }
                if component == "VEVENT" && stack.len() == 1 {
                    events.push(EventLines {
                        begin: l.line,
                        props: Vec::new(),
                    });
                }
                stack.push((component, l.line));
            }
            "END" => {
                let component = value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == component => {}
                    Some((open, _)) => {
                        return Err(IcsError::Nesting {
                            line: l.line,
                            reason: format!("END:{component} but BEGIN:{open} is open"),
                        })
                    }
                    None => {
                        return Err(IcsError::Nesting {
                            line: l.line,
                            reason: format!("END:{component} with nothing open"),
                        })
                    }
                }
                if stack.is_empty() {
                    // END:VCALENDAR: whatever follows is not ours to read.
                    used = i + 1;
                    break;
                }
            }
            _ => {
                if stack.len() == 2 && stack[1].0 == "VEVENT" {
                    if let Some(ev) = events.last_mut() {
                        ev.props.push((name, l.line));
                    }
                }
            }
        }
    }
    if let Some((open, line)) = stack.pop() {
        return Err(IcsError::Nesting {
            line,
            reason: format!("BEGIN:{open} is never closed"),
        });
    }

    let mut unfolded = String::with_capacity(text.len());
    for l in &lines[..used] {
        unfolded.push_str(&l.text);
        unfolded.push_str("\r\n");
    }
    let calendar = read_calendar(&unfolded).map_err(IcsError::Parser)?;
    let parsed: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .collect();
    if parsed.len() != events.len() {
        return Err(IcsError::Parser(format!(
            "found {} events, expected {}",
            parsed.len(),
            events.len()
        )));
    }

    let mut out = Vec::with_capacity(events.len());
    for (event, at) in parsed.into_iter().zip(&events) {
        let prop = |name: &str| {
            event
                .properties
                .iter()
                .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        };
        if prop("STATUS").is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("CANCELLED")) {
            continue;
        }
        for (name, what) in [
            ("RRULE", "RRULE (a repeating event)"),
            ("RDATE", "RDATE (extra occurrences)"),
        ] {
            if prop(name).is_some() {
                return Err(IcsError::Unsupported {
                    line: at.line_of(name),
                    what,
                });
            }
        }
        let dtstart = prop("DTSTART").ok_or(IcsError::MissingStart { line: at.begin })?;
        let (start_dt, timed) = read_date(dtstart, zone, at.line_of("DTSTART"))?;
        let start = start_dt.date();
        let end = if let Some(dtend) = prop("DTEND") {
            read_date(dtend, zone, at.line_of("DTEND"))?.0.date()
        } else if let Some(duration) = prop("DURATION") {
            let line = at.line_of("DURATION");
            let bad = || IcsError::BadDate {
                line,
                property: "DURATION".into(),
                value: duration.val.as_str().to_owned(),
            };
            let span: Span = duration.val.as_str().trim().parse().map_err(|_| bad())?;
            start_dt.checked_add(span).map_err(|_| bad())?.date()
        } else if timed {
            start
        } else {
            start.tomorrow().map_err(|_| IcsError::BadDate {
                line: at.line_of("DTSTART"),
                property: "DTSTART".into(),
                value: dtstart.val.as_str().to_owned(),
            })?
        };
        if end < start {
            let line = if prop("DTEND").is_some() {
                at.line_of("DTEND")
            } else {
                at.line_of("DURATION")
            };
            return Err(IcsError::EndBeforeStart { line });
        }
        let end = if end == start {
            start
                .tomorrow()
                .map_err(|_| IcsError::EndBeforeStart { line: at.begin })?
        } else {
            end
        };
        out.push(ImportedBlock {
            start,
            end,
            uid: prop("UID").map(|p| p.val.as_str().trim().to_owned()),
            summary: prop("SUMMARY").map(|p| p.val.clone().unescape_text().as_str().to_owned()),
            line: at.begin,
        });
    }
    Ok(out)
}

/// A DTSTART / DTEND as a civil date-time in `zone` (midnight for a DATE), and whether it
/// was a DATE-TIME.
fn read_date(
    p: &RawProperty<'_>,
    zone: &TimeZone,
    line: usize,
) -> Result<(DateTime, bool), IcsError> {
    let bad = || IcsError::BadDate {
        line,
        property: p.name.as_str().to_ascii_uppercase(),
        value: p.val.as_str().to_owned(),
    };
    let owned: icalendar::Property = p.clone().into();
    let value = DatePerhapsTime::from_property(&owned).ok_or_else(bad)?;
    let civil = |nd: chrono::NaiveDateTime| -> Result<DateTime, IcsError> {
        use chrono::{Datelike, Timelike};
        DateTime::new(
            i16::try_from(nd.year()).map_err(|_| bad())?,
            nd.month() as i8,
            nd.day() as i8,
            nd.hour() as i8,
            nd.minute() as i8,
            nd.second().min(59) as i8,
            0,
        )
        .map_err(|_| bad())
    };
    Ok(match value {
        DatePerhapsTime::Date(d) => (civil(d.and_time(chrono::NaiveTime::MIN))?, false),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(ndt)) => (civil(ndt)?, true),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc)) => {
            let ts = jiff::Timestamp::from_second(utc.timestamp()).map_err(|_| bad())?;
            (ts.to_zoned(zone.clone()).datetime(), true)
        }
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let local = civil(date_time)?;
            // A TZID we know is converted to the property's zone; one we do not (a VTIMEZONE
            // of the feed's own naming) keeps its wall-clock date.
            match TimeZone::get(tzid.trim_start_matches('/')) {
                Ok(tz) => {
                    let zoned = local.to_zoned(tz).map_err(|_| bad())?;
                    (zoned.with_time_zone(zone.clone()).datetime(), true)
                }
                Err(_) => (local, true),
            }
        }
    })
}

/// Logical lines with the physical line each starts on; blank lines dropped; a leading
/// byte-order mark ignored. Lines may end in CRLF or LF; a continuation starts with a space
/// or a tab (RFC 5545 3.1).
fn unfold(text: &str) -> Result<Vec<Logical>, IcsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<Logical> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            match out.last_mut() {
                Some(last) => last.text.push_str(rest),
                None => {
                    return Err(syntax(
                        i + 1,
                        "a continuation line with nothing to continue",
                    ))
                }
            }
        } else if !line.trim().is_empty() {
            out.push(Logical {
                line: i + 1,
                text: line.to_owned(),
            });
        }
    }
    Ok(out)
}

/// The upper-cased name of a content line and its value, or a syntax error naming the line.
fn split_line(l: &Logical) -> Result<(String, String), IcsError> {
    let name_end = l
        .text
        .find([';', ':'])
        .ok_or_else(|| syntax(l.line, "no ':' between the property name and its value"))?;
    let name = &l.text[..name_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(syntax(l.line, &format!("{name:?} is not a property name")));
    }
    // The value starts at the first ':' outside a quoted parameter value.
    let mut quoted = false;
    let mut colon = None;
    for (i, c) in l.text[name_end..].char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => {
                colon = Some(name_end + i);
                break;
            }
            _ => {}
        }
    }
    let colon =
        colon.ok_or_else(|| syntax(l.line, "no ':' between the property name and its value"))?;
    Ok((name.to_ascii_uppercase(), l.text[colon + 1..].to_owned()))
}

fn syntax(line: usize, reason: &str) -> IcsError {
    IcsError::Syntax {
        line,
        reason: reason.to_owned(),
    }
}
