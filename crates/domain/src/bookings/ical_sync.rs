//! Subscriptions to OTAs' calendar feeds (issue 14 item 7): a room follows an OTA's .ics
//! address (Airbnb, Booking.com, Vrbo export their calendars this way), fetched every N
//! minutes and imported as hard blocks. The rules here are pure: which addresses may be
//! fetched, how often, where a redirect may lead, when the next fetch is due and how old the
//! last one is. The fetching and importing are the app's.

use jiff::{SignedDuration, Timestamp};

/// How often a feed is fetched unless staff choose otherwise, in minutes.
pub const DEFAULT_INTERVAL_MINUTES: u32 = 30;
/// The shortest interval: OTAs refresh their exports every few minutes at best, and a
/// shorter poll would only load their servers (and ours).
pub const MIN_INTERVAL_MINUTES: u32 = 5;
/// The longest interval: a day. A feed fetched less often than daily misses same-day bookings.
pub const MAX_INTERVAL_MINUTES: u32 = 24 * 60;
/// The longest address accepted.
pub const MAX_URL_CHARS: usize = 2000;
/// Redirects followed at most before a fetch fails.
pub const MAX_REDIRECTS: usize = 5;

/// Why an address cannot be subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeedUrlError {
    #[error("the calendar address is required")]
    Required,
    #[error("the calendar address is longer than 2000 characters")]
    TooLong,
    /// `webcal://` is how calendar apps spell an http(s) subscription; we fetch over HTTP.
    #[error("write a webcal:// address as https:// (the same address over HTTPS)")]
    Webcal,
    #[error("only http:// and https:// addresses can be fetched")]
    Scheme,
    /// A user name or password inside the address (`https://user:pass@host/…`): it would be
    /// shown on pages and kept in logs of proxies; OTAs put their secret in the path or query.
    #[error("the address must not carry a user name or password")]
    Credentials,
    #[error("not a web address (https://host/path…)")]
    Invalid,
}

impl FeedUrlError {
    /// Stable code (the field is `url`).
    pub fn code(self) -> &'static str {
        match self {
            FeedUrlError::Required => "required",
            FeedUrlError::TooLong => "too_long",
            FeedUrlError::Webcal => "webcal",
            FeedUrlError::Scheme => "scheme",
            FeedUrlError::Credentials => "credentials",
            FeedUrlError::Invalid => "invalid",
        }
    }
}

/// Checks a feed address as typed (surrounding blanks ignored) and returns it normalised
/// (scheme and host in lower case, the path percent-encoded as a client sends it).
pub fn check_feed_url(raw: &str) -> Result<String, FeedUrlError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FeedUrlError::Required);
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(FeedUrlError::TooLong);
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FeedUrlError::Invalid);
    }
    let scheme = raw
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "http" | "https" => {}
        "webcal" | "webcals" => return Err(FeedUrlError::Webcal),
        s if !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            return Err(FeedUrlError::Scheme)
        }
        _ => return Err(FeedUrlError::Invalid),
    }
    let url = url::Url::parse(raw).map_err(|_| FeedUrlError::Invalid)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FeedUrlError::Credentials);
    }
    match url.host_str() {
        Some(h) if !h.is_empty() => {}
        _ => return Err(FeedUrlError::Invalid),
    }
    let mut url = url;
    url.set_fragment(None);
    Ok(url.into())
}

/// The address as pages and the API show it: scheme, host, port and path, with the query
/// (where OTAs put the calendar's secret, Airbnb's `?s=…`) replaced by `?…`.
pub fn shown_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return String::new();
    };
    let mut shown = format!(
        "{}://{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or_default()
    );
    if let Some(port) = parsed.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(parsed.path());
    if parsed.query().is_some() {
        shown.push_str("?…");
    }
    shown
}

/// Why an interval is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    #[error("a calendar is fetched at most every 5 minutes")]
    TooShort,
    #[error("a calendar is fetched at least once a day (1440 minutes)")]
    TooLong,
}

impl IntervalError {
    /// Stable code (the field is `interval_minutes`).
    pub fn code(self) -> &'static str {
        match self {
            IntervalError::TooShort => "too_short",
            IntervalError::TooLong => "too_long",
        }
    }
}

/// The interval in minutes: from [`MIN_INTERVAL_MINUTES`] to [`MAX_INTERVAL_MINUTES`].
pub fn check_interval(minutes: i64) -> Result<u32, IntervalError> {
    if minutes < i64::from(MIN_INTERVAL_MINUTES) {
        Err(IntervalError::TooShort)
    } else if minutes > i64::from(MAX_INTERVAL_MINUTES) {
        Err(IntervalError::TooLong)
    } else {
        Ok(minutes as u32)
    }
}

/// When a feed synced (or tried to) at `at` is due again.
pub fn next_sync_at(at: Timestamp, interval_minutes: u32) -> Timestamp {
    let minutes = interval_minutes.clamp(MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES);
    at.saturating_add(SignedDuration::from_mins(i64::from(minutes)))
        .unwrap_or(Timestamp::MAX)
}

/// Whether a fetch may follow a redirect to `next_scheme`, having started at `schemes[0]`
/// and been redirected through the rest: at most [`MAX_REDIRECTS`] hops, only to http(s),
/// and never from https down to http (the address and the OTA's secret would travel in
/// clear text).
pub fn redirect_allowed(schemes: &[&str], next_scheme: &str) -> bool {
    if schemes.len() > MAX_REDIRECTS {
        return false;
    }
    let next = next_scheme.to_ascii_lowercase();
    match next.as_str() {
        "https" => true,
        "http" => schemes.iter().all(|s| s.eq_ignore_ascii_case("http")),
        _ => false,
    }
}

/// How long ago something happened, as a page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// Under a minute ago (or a moment ahead: another node's clock).
    JustNow,
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

impl Age {
    /// The age of `at` seen at `now`, rounded down: 59 minutes are minutes, 24 hours a day.
    pub fn of(now: Timestamp, at: Timestamp) -> Age {
        let secs = now.as_second().saturating_sub(at.as_second());
        let minutes = secs / 60;
        if minutes < 1 {
            Age::JustNow
        } else if minutes < 60 {
            Age::Minutes(minutes)
        } else if minutes < 24 * 60 {
            Age::Hours(minutes / 60)
        } else {
            Age::Days(minutes / (24 * 60))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airbnb_and_booking_addresses_are_accepted_and_normalised() {
        assert_eq!(
            check_feed_url("  https://www.airbnb.com/calendar/ical/12345.ics?s=abc123  "),
            Ok("https://www.airbnb.com/calendar/ical/12345.ics?s=abc123".into())
        );
        assert_eq!(
            check_feed_url("HTTPS://Admin.Booking.com/hotel/hoteladmin/ical.html?t=9f8e#top"),
            Ok("https://admin.booking.com/hotel/hoteladmin/ical.html?t=9f8e".into())
        );
        assert_eq!(
            check_feed_url("http://127.0.0.1:8080/feed.ics"),
            Ok("http://127.0.0.1:8080/feed.ics".into())
        );
        assert_eq!(
            check_feed_url("https://例子.中国/日历.ics"),
            Ok("https://xn--fsqu00a.xn--fiqs8s/%E6%97%A5%E5%8E%86.ics".into())
        );
    }

    #[test]
    fn bad_addresses_say_why() {
        use FeedUrlError::*;
        for (raw, want) in [
            ("", Required),
            ("   ", Required),
            ("webcal://www.airbnb.com/calendar/ical/1.ics", Webcal),
            ("WEBCALS://example.com/a.ics", Webcal),
            ("ftp://example.com/a.ics", Scheme),
            ("file:///etc/passwd", Scheme),
            ("javascript:alert(1)", Scheme),
            ("data:text/calendar,BEGIN", Scheme),
            ("www.airbnb.com/calendar/ical/1.ics", Invalid),
            ("://example.com", Invalid),
            ("https://", Invalid),
            ("https://exa mple.com/a.ics", Invalid),
            ("https://example.com/a\n.ics", Invalid),
            ("https://user:secret@example.com/a.ics", Credentials),
            ("https://user@example.com/a.ics", Credentials),
        ] {
            assert_eq!(check_feed_url(raw), Err(want), "{raw:?}");
            assert!(!want.code().is_empty());
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check_feed_url(&long), Err(TooLong));
    }

    #[test]
    fn a_shown_address_hides_the_query_where_the_secret_is() {
        assert_eq!(
            shown_url("https://www.airbnb.com/calendar/ical/12345.ics?s=abc123"),
            "https://www.airbnb.com/calendar/ical/12345.ics?…"
        );
        assert_eq!(
            shown_url("http://127.0.0.1:8080/feed.ics"),
            "http://127.0.0.1:8080/feed.ics"
        );
        assert_eq!(shown_url("not a url"), "");
    }

    #[test]
    fn intervals_are_five_minutes_to_a_day() {
        assert_eq!(check_interval(4), Err(IntervalError::TooShort));
        assert_eq!(check_interval(-30), Err(IntervalError::TooShort));
        assert_eq!(check_interval(5), Ok(5));
        assert_eq!(
            check_interval(i64::from(DEFAULT_INTERVAL_MINUTES)),
            Ok(DEFAULT_INTERVAL_MINUTES)
        );
        assert_eq!(check_interval(1440), Ok(1440));
        assert_eq!(check_interval(1441), Err(IntervalError::TooLong));
        assert_eq!(check_interval(i64::MAX), Err(IntervalError::TooLong));
        let at: Timestamp = "2027-03-01T02:00:00Z".parse().unwrap();
        assert_eq!(next_sync_at(at, 30).to_string(), "2027-03-01T02:30:00Z");
        assert_eq!(
            next_sync_at(at, 1),
            next_sync_at(at, MIN_INTERVAL_MINUTES),
            "a stored interval below the minimum is read as the minimum"
        );
        assert_eq!(next_sync_at(Timestamp::MAX, 30), Timestamp::MAX);
    }

    #[test]
    fn redirects_stay_on_http_and_never_step_down_from_https() {
        assert!(redirect_allowed(&["https"], "https"));
        assert!(redirect_allowed(&["http"], "https"), "an upgrade");
        assert!(redirect_allowed(&["http"], "http"));
        assert!(redirect_allowed(&["http", "http"], "HTTP"));
        assert!(!redirect_allowed(&["https"], "http"), "a downgrade");
        assert!(!redirect_allowed(&["http", "https"], "http"));
        for other in ["ftp", "file", "webcal", "data", ""] {
            assert!(!redirect_allowed(&["https"], other), "{other}");
        }
        let hops = vec!["https"; MAX_REDIRECTS];
        assert!(redirect_allowed(&hops, "https"));
        let hops = vec!["https"; MAX_REDIRECTS + 1];
        assert!(!redirect_allowed(&hops, "https"), "too many hops");
    }

    #[test]
    fn ages_round_down_to_the_unit_a_person_reads() {
        let now: Timestamp = "2027-03-01T12:00:00Z".parse().unwrap();
        let ago = |secs: i64| Age::of(now, now - SignedDuration::from_secs(secs));
        assert_eq!(
            ago(-30),
            Age::JustNow,
            "another node's clock a little ahead"
        );
        assert_eq!(ago(0), Age::JustNow);
        assert_eq!(ago(59), Age::JustNow);
        assert_eq!(ago(60), Age::Minutes(1));
        assert_eq!(ago(7 * 60 + 59), Age::Minutes(7));
        assert_eq!(ago(59 * 60 + 59), Age::Minutes(59));
        assert_eq!(ago(60 * 60), Age::Hours(1));
        assert_eq!(ago(23 * 3600 + 3599), Age::Hours(23));
        assert_eq!(ago(24 * 3600), Age::Days(1));
        assert_eq!(ago(400 * 24 * 3600), Age::Days(400));
    }
}
