//! SLA targets and the default figures of the service commitments.

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::SlaError;
use crate::calendar::Calendar;

/// How a target's time is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = KindName))]
pub enum ClockKind {
    /// Wall-clock minutes, nights and holidays included.
    CalendarHours,
    /// Minutes inside the calendar's working hours.
    WorkingHours,
    /// Working days of the calendar: the deadline is the same local time on the n-th
    /// working day after the start ([`Calendar::add_working_days`]).
    WorkingDays,
}

impl ClockKind {
    pub const ALL: [ClockKind; 3] = [
        ClockKind::CalendarHours,
        ClockKind::WorkingHours,
        ClockKind::WorkingDays,
    ];

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::CalendarHours => "calendar_hours",
            ClockKind::WorkingHours => "working_hours",
            ClockKind::WorkingDays => "working_days",
        }
    }

    /// The kind named by [`ClockKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The deadline `amount` units after `from` (minutes for hour kinds, days for days).
    pub(crate) fn deadline(
        self,
        calendar: &Calendar,
        from: Timestamp,
        amount: u32,
    ) -> Result<Timestamp, SlaError> {
        let minutes = SignedDuration::from_mins(i64::from(amount));
        Ok(match self {
            ClockKind::CalendarHours => calendar.add_hours(from, minutes)?,
            ClockKind::WorkingHours => calendar.add_working_hours(from, minutes)?,
            ClockKind::WorkingDays => calendar.add_working_days(from, amount)?,
        })
    }

    /// Time counted between two instants: wall time for calendar hours, working time of the
    /// calendar otherwise.
    pub(crate) fn measure(
        self,
        calendar: &Calendar,
        a: Timestamp,
        b: Timestamp,
    ) -> Result<SignedDuration, SlaError> {
        Ok(match self {
            ClockKind::CalendarHours => b.duration_since(a),
            ClockKind::WorkingHours | ClockKind::WorkingDays => {
                calendar.working_time_between(a, b)?
            }
        })
    }

    /// `from` moved on by `amount` of counted time (the inverse of [`ClockKind::measure`]).
    pub(crate) fn advance(
        self,
        calendar: &Calendar,
        from: Timestamp,
        amount: SignedDuration,
    ) -> Result<Timestamp, SlaError> {
        Ok(match self {
            ClockKind::CalendarHours => calendar.add_hours(from, amount)?,
            ClockKind::WorkingHours | ClockKind::WorkingDays => {
                calendar.add_working_hours(from, amount)?
            }
        })
    }
}

/// How long something may take. Stored configuration; [`DEFAULT_TARGETS`] are the figures of
/// the published service commitments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// Stable dotted key, e.g. `first_response.phone`.
    pub key: Cow<'static, str>,
    pub name_zh: Cow<'static, str>,
    pub name_en: Cow<'static, str>,
    pub kind: ClockKind,
    /// Minutes for [`ClockKind::CalendarHours`] and [`ClockKind::WorkingHours`], working days
    /// for [`ClockKind::WorkingDays`]. At least 1.
    pub amount: u32,
    /// Start of a window, in the same unit: the work should not be done before it (follow-up
    /// 3–5 working days after completion: `earliest = 3`, `amount = 5`). Fires no event.
    pub earliest: Option<u32>,
    /// Name of the [`Calendar`] whose time counts.
    pub calendar: Cow<'static, str>,
    /// Share of the allowed time after which a warning fires, 1–99; 0 means no warning.
    pub warn_at_percent: u8,
}

impl SlaTarget {
    /// Checks the target can run: a key, an amount of at least 1, a window that opens before
    /// the deadline, a warning share of 0–99.
    pub fn validate(&self) -> Result<(), SlaError> {
        let bad = |reason| {
            Err(SlaError::BadTarget {
                key: self.key.to_string(),
                reason,
            })
        };
        if self.key.trim().is_empty() {
            return bad("the key is empty");
        }
        if self.amount == 0 {
            return bad("the amount must be at least 1");
        }
        if self.earliest.is_some_and(|e| e >= self.amount) {
            return bad("the window must open before the deadline");
        }
        if self.warn_at_percent >= 100 {
            return bad("the warning share must be below 100 %");
        }
        Ok(())
    }

    /// A default target by key.
    pub fn default_for(key: &str) -> Option<&'static SlaTarget> {
        DEFAULT_TARGETS.iter().find(|t| t.key == key)
    }

    /// Whether this deadline is promised to travelers (the public commitments page lists
    /// it): first responses, contact and follow-up after a complaint, booking confirmation,
    /// the refund's payment, calling back a missed call. The others are the agency's own
    /// duties: the result reported to intake, the guests' registration after check-in, the
    /// reports to the tourism authority.
    pub fn promised_to_travelers(&self) -> bool {
        let key = self.key.as_ref();
        key.starts_with("first_response.")
            || key.starts_with("complaint.follow_up")
            || matches!(
                key,
                "complaint.contact"
                    | "booking.confirmation"
                    | "refund.payment"
                    | "callback.missed_call"
            )
    }
}

const fn target(
    key: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    kind: ClockKind,
    amount: u32,
    earliest: Option<u32>,
    calendar: &'static str,
) -> SlaTarget {
    SlaTarget {
        key: Cow::Borrowed(key),
        name_zh: Cow::Borrowed(name_zh),
        name_en: Cow::Borrowed(name_en),
        kind,
        amount,
        earliest,
        calendar: Cow::Borrowed(calendar),
        warn_at_percent: 80,
    }
}

const HOTLINE: &str = Calendar::HOTLINE;
const OFFICE: &str = Calendar::CHINA_MAINLAND_OFFICE;

/// The service commitments as targets (product brief §1–§2). Minute targets count wall time
/// (the hotline answers 24 h, so its calendar is always open); email and follow-up count
/// China working days of the office calendar. All warn at 80 %.
pub const DEFAULT_TARGETS: &[SlaTarget] = &[
    target(
        "first_response.phone",
        "电话首次响应",
        "First response by phone",
        ClockKind::CalendarHours,
        3,
        None,
        HOTLINE,
    ),
    target(
        "first_response.chat",
        "在线咨询首次响应",
        "First response in chat",
        ClockKind::CalendarHours,
        3,
        None,
        HOTLINE,
    ),
    target(
        "first_response.social",
        "社交媒体/微信首次回复",
        "First reply on social media / WeChat",
        ClockKind::CalendarHours,
        30,
        None,
        HOTLINE,
    ),
    target(
        "first_response.email",
        "邮件首次回复",
        "First reply by email",
        ClockKind::WorkingDays,
        1,
        None,
        OFFICE,
    ),
    target(
        "complaint.contact",
        "处理小组联系客户",
        "Handling group contacts the customer after assignment",
        ClockKind::CalendarHours,
        60,
        None,
        HOTLINE,
    ),
    target(
        "complaint.result_report",
        "处理结果反馈受理部门",
        "Result reported to intake after completion",
        ClockKind::CalendarHours,
        24 * 60,
        None,
        HOTLINE,
    ),
    target(
        "complaint.follow_up",
        "投诉回访",
        "Follow-up after completion",
        ClockKind::WorkingDays,
        5,
        Some(3),
        OFFICE,
    ),
    target(
        "complaint.follow_up.important",
        "重要投诉回访",
        "Follow-up after completion, important complaint",
        ClockKind::WorkingDays,
        2,
        Some(1),
        OFFICE,
    ),
    target(
        "booking.confirmation",
        "预订确认发送",
        "Booking confirmation sent",
        ClockKind::CalendarHours,
        60,
        None,
        HOTLINE,
    ),
    target(
        "checkin.registration",
        "入住登记",
        "Check-in registration after arrival",
        ClockKind::CalendarHours,
        5,
        None,
        HOTLINE,
    ),
    target(
        "refund.payment",
        "退款支付",
        "Refund paid after cancellation",
        ClockKind::WorkingDays,
        5,
        None,
        OFFICE,
    ),
    target(
        "incident.first_report",
        "突发事件首报主管部门",
        "Incident first reported to the tourism authority",
        ClockKind::CalendarHours,
        60,
        None,
        HOTLINE,
    ),
    // 续报: while an incident is handled, the authority hears of its progress at least once a
    // day; each update report restarts the clock.
    target(
        "incident.update_report",
        "突发事件续报主管部门",
        "Incident update reported to the tourism authority",
        ClockKind::CalendarHours,
        1440,
        None,
        HOTLINE,
    ),
    // 总结报告: after handling ends, the closing summary (course, causes, lessons,
    // improvements) within five working days.
    target(
        "incident.closing_summary",
        "突发事件总结报告",
        "Incident closing summary after handling ends",
        ClockKind::WorkingDays,
        5,
        None,
        OFFICE,
    ),
    // 未接来电回拨: a missed call on the hotline is called back within 30 minutes — the
    // hotline's 24 h calendar, half of the hour a handling group has to contact a customer.
    target(
        "callback.missed_call",
        "未接来电回拨",
        "Missed call called back",
        ClockKind::CalendarHours,
        30,
        None,
        HOTLINE,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_promises_are_the_travelers_deadlines() {
        let public: Vec<_> = DEFAULT_TARGETS
            .iter()
            .filter(|t| t.promised_to_travelers())
            .map(|t| t.key.as_ref())
            .collect();
        assert_eq!(
            public,
            [
                "first_response.phone",
                "first_response.chat",
                "first_response.social",
                "first_response.email",
                "complaint.contact",
                "complaint.follow_up",
                "complaint.follow_up.important",
                "booking.confirmation",
                "refund.payment",
                "callback.missed_call",
            ]
        );
    }

    #[test]
    fn default_targets_are_valid_and_unique() {
        let mut keys: Vec<_> = DEFAULT_TARGETS.iter().map(|t| t.key.as_ref()).collect();
        for t in DEFAULT_TARGETS {
            t.validate().unwrap();
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), DEFAULT_TARGETS.len());
        let figures: Vec<_> = DEFAULT_TARGETS
            .iter()
            .map(|t| (t.key.as_ref(), t.kind, t.amount, t.earliest))
            .collect();
        assert_eq!(
            figures,
            vec![
                ("first_response.phone", ClockKind::CalendarHours, 3, None),
                ("first_response.chat", ClockKind::CalendarHours, 3, None),
                ("first_response.social", ClockKind::CalendarHours, 30, None),
                ("first_response.email", ClockKind::WorkingDays, 1, None),
                ("complaint.contact", ClockKind::CalendarHours, 60, None),
                (
                    "complaint.result_report",
                    ClockKind::CalendarHours,
                    1440,
                    None
                ),
                ("complaint.follow_up", ClockKind::WorkingDays, 5, Some(3)),
                (
                    "complaint.follow_up.important",
                    ClockKind::WorkingDays,
                    2,
                    Some(1)
                ),
                ("booking.confirmation", ClockKind::CalendarHours, 60, None),
                ("checkin.registration", ClockKind::CalendarHours, 5, None),
                ("refund.payment", ClockKind::WorkingDays, 5, None),
                ("incident.first_report", ClockKind::CalendarHours, 60, None),
                (
                    "incident.update_report",
                    ClockKind::CalendarHours,
                    1440,
                    None
                ),
                ("incident.closing_summary", ClockKind::WorkingDays, 5, None),
                ("callback.missed_call", ClockKind::CalendarHours, 30, None),
            ]
        );
        assert_eq!(
            SlaTarget::default_for("complaint.contact").unwrap().amount,
            60
        );
        assert!(SlaTarget::default_for("nope").is_none());
    }

    #[test]
    fn invalid_targets_are_refused() {
        let base = SlaTarget::default_for("complaint.follow_up")
            .unwrap()
            .clone();
        let cases = [
            (
                SlaTarget {
                    amount: 0,
                    ..base.clone()
                },
                "the amount must be at least 1",
            ),
            (
                SlaTarget {
                    earliest: Some(5),
                    ..base.clone()
                },
                "the window must open before the deadline",
            ),
            (
                SlaTarget {
                    warn_at_percent: 100,
                    ..base.clone()
                },
                "the warning share must be below 100 %",
            ),
            (
                SlaTarget {
                    key: " ".into(),
                    ..base.clone()
                },
                "the key is empty",
            ),
        ];
        for (t, want) in cases {
            assert!(
                matches!(t.validate(), Err(SlaError::BadTarget { reason, .. }) if reason == want),
                "{want}"
            );
        }
    }

    #[test]
    fn targets_round_trip_through_json() {
        let t = SlaTarget::default_for("first_response.email").unwrap();
        let json = serde_json::to_string(t).unwrap();
        assert!(json.contains("\"kind\":\"working_days\""), "{json}");
        let back: SlaTarget = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, t);
    }
}
