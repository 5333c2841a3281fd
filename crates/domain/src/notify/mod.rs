//! Notification rules: which channels and languages exist, how long to wait before trying a
//! failed delivery again, when a recipient's quiet hours end, and the small template language
//! messages are written in ([`template`]).

pub mod template;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

/// A channel the outbox delivers through — not the channel a ticket came in by
/// ([`crate::desk::Channel`], the intake channel): an email is both, a phone call only the
/// latter, an in-app notification only the former. Voice and WeChat join this enum when
/// their adapters do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    Email,
    /// The staff member's bell in the web UI.
    InApp,
    /// A signed POST to an administrator's endpoint.
    Webhook,
    /// A text message through the configured SMS provider (`tripdesk_delivery::sms`).
    Sms,
}

impl DeliveryChannel {
    pub const ALL: [DeliveryChannel; 4] = [
        DeliveryChannel::Email,
        DeliveryChannel::InApp,
        DeliveryChannel::Webhook,
        DeliveryChannel::Sms,
    ];

    /// The stored name (`email`, `in_app`, `webhook`, `sms`), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Email => "email",
            DeliveryChannel::InApp => "in_app",
            DeliveryChannel::Webhook => "webhook",
            DeliveryChannel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The names of the channels that deliver today ([`DeliveryChannel::ALL`]).
pub const CHANNELS: [&str; DeliveryChannel::ALL.len()] = {
    let mut names = [""; DeliveryChannel::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = DeliveryChannel::ALL[i].as_str();
        i += 1;
    }
    names
};

/// Languages templates are written in.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// The events tripdesk publishes to webhook endpoints: the one list a subscription is
/// checked against (`*` subscribes to all of them). Names are stable: an integrator's
/// code matches on them, so one is only ever added, never renamed. Payloads carry ids,
/// numbers, kinds, levels, states and instants — never personal data (integrators fetch
/// details through the API with a token).
pub mod events {
    /// A ticket was taken (desk, API or the public form).
    pub const TICKET_CREATED: &str = "ticket.created";
    /// A ticket's triage level changed (the level-change action or the triage step).
    pub const TICKET_LEVEL_CHANGED: &str = "ticket.level_changed";
    /// A complaint got a handling group or assignee (the assign and reassign steps; also
    /// published as `ticket.step`).
    pub const TICKET_ASSIGNED: &str = "ticket.assigned";
    /// Any complaint workflow step; `data.step` names it.
    pub const TICKET_STEP: &str = "ticket.step";
    /// A reply was sent to the customer (internal notes are not published).
    pub const TICKET_REPLY_SENT: &str = "ticket.reply_sent";
    /// An SLA clock reached its warning instant.
    pub const SLA_WARNING: &str = "sla.warning";
    /// An SLA clock passed its deadline.
    pub const SLA_BREACH: &str = "sla.breach";
    /// A customer answered a follow-up survey.
    pub const SURVEY_ANSWERED: &str = "survey.answered";
    /// A customer's personal data was erased (PIPL).
    pub const CUSTOMER_ERASED: &str = "customer.erased";
    /// A booking was made (held, or confirmed at once).
    pub const BOOKING_CREATED: &str = "booking.created";
    /// A booking was confirmed (its confirmation number issued).
    pub const BOOKING_CONFIRMED: &str = "booking.confirmed";
    /// A booking's dates, rooms or party changed (an accepted change quote or an edit).
    pub const BOOKING_CHANGED: &str = "booking.changed";
    /// A payment was recorded on a booking (at the desk or by a gateway's notification).
    pub const BOOKING_PAID: &str = "booking.paid";
    /// A refund was recorded on a booking.
    pub const BOOKING_REFUNDED: &str = "booking.refunded";
    /// A booking was cancelled (by the customer, the agency or force majeure).
    pub const BOOKING_CANCELLED: &str = "booking.cancelled";
    /// An unpaid hold ran out and freed its inventory.
    pub const BOOKING_EXPIRED: &str = "booking.expired";
    /// The traveler arrived (checked in, or met at the departure).
    pub const BOOKING_ARRIVED: &str = "booking.arrived";
    /// The arrived traveler's registration was completed.
    pub const BOOKING_REGISTERED: &str = "booking.registered";
    /// The trip or stay ended.
    pub const BOOKING_COMPLETED: &str = "booking.completed";

    /// Every event, in the order the API document lists them.
    pub const ALL: [&str; 19] = [
        TICKET_CREATED,
        TICKET_LEVEL_CHANGED,
        TICKET_ASSIGNED,
        TICKET_STEP,
        TICKET_REPLY_SENT,
        SLA_WARNING,
        SLA_BREACH,
        SURVEY_ANSWERED,
        CUSTOMER_ERASED,
        BOOKING_CREATED,
        BOOKING_CONFIRMED,
        BOOKING_CHANGED,
        BOOKING_PAID,
        BOOKING_REFUNDED,
        BOOKING_CANCELLED,
        BOOKING_EXPIRED,
        BOOKING_ARRIVED,
        BOOKING_REGISTERED,
        BOOKING_COMPLETED,
    ];

    /// Whether a webhook may subscribe to `name` (an event of [`ALL`], or `*`).
    pub fn is_subscribable(name: &str) -> bool {
        name == "*" || ALL.contains(&name)
    }
}

pub fn is_channel(name: &str) -> bool {
    DeliveryChannel::parse(name).is_some()
}

/// Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed: `base`
/// doubled per attempt, never more than `cap`.
pub fn retry_delay(attempt: i64, base: SignedDuration, cap: SignedDuration) -> SignedDuration {
    crate::jobs::backoff(attempt, base, cap)
}

/// Quiet hours: a window of local time (minutes after midnight) in which only emergencies are
/// delivered. `start > end` wraps past midnight (22:00–08:00); `start == end` is no window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start_min: i64,
    pub end_min: i64,
}

impl QuietHours {
    /// `None` unless both ends are minutes of a day (0..1440).
    pub fn new(start_min: i64, end_min: i64) -> Option<Self> {
        let ok = |m: i64| (0..24 * 60).contains(&m);
        (ok(start_min) && ok(end_min)).then_some(Self { start_min, end_min })
    }

    fn contains(&self, minute: i64) -> bool {
        if self.start_min == self.end_min {
            false
        } else if self.start_min < self.end_min {
            (self.start_min..self.end_min).contains(&minute)
        } else {
            minute >= self.start_min || minute < self.end_min
        }
    }

    /// The first instant at or after `now` outside the window, in zone `tz`.
    pub fn release_at(&self, now: Timestamp, tz: &TimeZone) -> Timestamp {
        let local = now.to_zoned(tz.clone());
        let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
        if !self.contains(minute) {
            return now;
        }
        let end = Time::constant(0, 0, 0, 0)
            .checked_add((self.end_min).minutes())
            .unwrap_or(Time::MIN);
        let mut day = local.date();
        if self.start_min > self.end_min && minute >= self.start_min {
            day = day.tomorrow().unwrap_or(day);
        }
        day.to_datetime(end)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let base = SignedDuration::from_secs(30);
        let cap = SignedDuration::from_mins(60);
        let secs: Vec<i64> = (1..=9)
            .map(|a| retry_delay(a, base, cap).as_secs())
            .collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_delay(1000, base, cap), cap);
        assert_eq!(retry_delay(0, base, cap), base);
    }

    #[test]
    fn quiet_hours_across_midnight() {
        let sh = TimeZone::get("Asia/Shanghai").unwrap();
        let q = QuietHours::new(22 * 60, 8 * 60).unwrap();
        // 23:30 Shanghai = 15:30 UTC → released 08:00 Shanghai next day = 00:00 UTC.
        assert_eq!(
            q.release_at(t("2026-03-02T15:30:00Z"), &sh),
            t("2026-03-03T00:00:00Z")
        );
        // 06:00 Shanghai → 08:00 the same day.
        assert_eq!(
            q.release_at(t("2026-03-02T22:00:00Z"), &sh),
            t("2026-03-03T00:00:00Z")
        );
        // 12:00 Shanghai is outside the window.
        assert_eq!(
            q.release_at(t("2026-03-03T04:00:00Z"), &sh),
            t("2026-03-03T04:00:00Z")
        );
        // Exactly at the end it is free.
        assert_eq!(
            q.release_at(t("2026-03-03T00:00:00Z"), &sh),
            t("2026-03-03T00:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_inside_one_day_and_empty() {
        let utc = TimeZone::UTC;
        let q = QuietHours::new(12 * 60, 14 * 60).unwrap();
        assert_eq!(
            q.release_at(t("2026-03-02T13:15:00Z"), &utc),
            t("2026-03-02T14:00:00Z")
        );
        assert_eq!(
            q.release_at(t("2026-03-02T11:59:00Z"), &utc),
            t("2026-03-02T11:59:00Z")
        );
        let none = QuietHours::new(600, 600).unwrap();
        assert_eq!(
            none.release_at(t("2026-03-02T10:00:00Z"), &utc),
            t("2026-03-02T10:00:00Z")
        );
        assert!(QuietHours::new(-1, 10).is_none());
        assert!(QuietHours::new(0, 1440).is_none());
    }

    #[test]
    fn channels() {
        assert!(is_channel("email"));
        assert!(!is_channel("pigeon"));
        // Intake channels that deliver nothing are no delivery channels.
        assert!(!is_channel("phone") && !is_channel("web_form"));
        for c in DeliveryChannel::ALL {
            assert_eq!(DeliveryChannel::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
        assert_eq!(CHANNELS, ["email", "in_app", "webhook", "sms"]);
    }
}
