//! iCalendar (RFC 5545) for room availability (issue 14 scope 7).
//!
//! - [`render_feed`] writes the .ics feed of a room's or a room type's unavailable nights:
//!   one all-day `VEVENT` per blocked range, `DTEND` the check-out day (exclusive), a
//!   `SUMMARY` chosen from a fixed list ([`BlockReason`]) so no guest's name, phone or booking
//!   detail can ever reach an OTA through the feed.
//! - [`parse_feed`] reads an OTA's feed (Airbnb, Booking.com, Vrbo style) into
//!   [`ImportedBlock`]s, each a range of nights; [`blocked_nights`] lists the nights inside a
//!   window. Errors name the line of the file they are on ([`IcsError::line`]).
//!
//! # Why the `icalendar` crate, and what is ours
//! The writing and the low-level reading are the `icalendar` crate's (hoodie/icalendar, the
//! most used iCalendar crate, maintained since 2016): line folding at 75 octets without
//! splitting a UTF-8 character, TEXT escaping, CRLF line ends, unfolding, parameters with
//! quoted values and the DATE / DATE-TIME value forms. Hand-written, each of those is a known
//! source of bugs (a Chinese character cut in two at the fold, an unescaped comma).
//!
//! Two things the crate cannot do for us, so they are here:
//! 1. Which nights an event blocks ([`ImportedBlock`] documents the rule: all-day `DTEND` is
//!    exclusive; a timed event blocks the nights from its start date to its end date, at
//!    least one; `DURATION` instead of `DTEND`; cancelled events block nothing).
//! 2. Errors that name the line of the original file. The crate's parser reports positions in
//!    the unfolded text, so [`parse_feed`] first unfolds the text itself, keeping each
//!    logical line's first physical line number, checks the line syntax and the
//!    `BEGIN`/`END` nesting there, and only then hands the unfolded text to the crate.

mod import;
mod render;

pub use import::{blocked_nights, parse_feed, ImportedBlock};
pub use render::{ranges_from_nights, render_feed, BlockReason, BlockedRange, Feed, PRODID};

/// Everything that can be wrong with a feed we read, or with ranges we are asked to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    /// The text does not start with `BEGIN:VCALENDAR` (an HTML error page, an empty body).
    #[error("line {line}: not an iCalendar file (expected BEGIN:VCALENDAR)")]
    NotACalendar { line: usize },
    /// A content line that is not `NAME[;PARAM=VALUE…]:VALUE`.
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    /// An `END` that does not close the open component, or a component left open.
    #[error("line {line}: {reason}")]
    Nesting { line: usize, reason: String },
    /// An event without a `DTSTART`.
    #[error("line {line}: the event has no DTSTART")]
    MissingStart { line: usize },
    /// A date or date-time (or duration) that cannot be read.
    #[error("line {line}: {property} value {value:?} is not a valid date")]
    BadDate {
        line: usize,
        property: String,
        value: String,
    },
    /// The event ends before it starts.
    #[error("line {line}: the event ends before it starts")]
    EndBeforeStart { line: usize },
    /// A feature we do not expand; blocks must not be silently missed.
    #[error("line {line}: {what} is not supported in an availability feed")]
    Unsupported { line: usize, what: &'static str },
    /// The iCalendar library refused the text after our own checks passed.
    #[error("the iCalendar parser refused the feed: {0}")]
    Parser(String),
    /// A range to write whose check-out is not after its first night.
    #[error("blocked range {index}: the end {end} is not after the start {start}")]
    EmptyRange {
        index: usize,
        start: jiff::civil::Date,
        end: jiff::civil::Date,
    },
}

impl IcsError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotACalendar { .. } => "ics.not_a_calendar",
            Self::Syntax { .. } => "ics.syntax",
            Self::Nesting { .. } => "ics.nesting",
            Self::MissingStart { .. } => "ics.missing_start",
            Self::BadDate { .. } => "ics.bad_date",
            Self::EndBeforeStart { .. } => "ics.end_before_start",
            Self::Unsupported { .. } => "ics.unsupported",
            Self::Parser(_) => "ics.parser",
            Self::EmptyRange { .. } => "ics.empty_range",
        }
    }

    /// The physical line (1-based) of the feed the error is on, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::NotACalendar { line }
            | Self::Syntax { line, .. }
            | Self::Nesting { line, .. }
            | Self::MissingStart { line }
            | Self::BadDate { line, .. }
            | Self::EndBeforeStart { line }
            | Self::Unsupported { line, .. } => Some(*line),
            Self::Parser(_) | Self::EmptyRange { .. } => None,
        }
    }
}
