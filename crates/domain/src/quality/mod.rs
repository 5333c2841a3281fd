//! Service quality (issue 18): the published commitments as key figures — each with its
//! target, its figure over a period, the periods before it (the trend) and whether the target
//! is met. Pure arithmetic: the counts come from the store, time comes in as arguments.
//!
//! A figure is a ratio of two counts ([`Ratio`]) so the dashboard can show what it is made
//! of; its value is a share (0–1), or complaints per 100 bookings for the complaint rate,
//! or a plain count for new customers by word of mouth. Targets are either a fixed floor
//! (answer rate ≥ 95 %) or a change against the period before (complaint rate −20 %).

mod period;
#[cfg(test)]
mod tests;

pub use period::{Period, PeriodError, MAX_PERIOD_DAYS};

use serde::{Deserialize, Serialize};

/// The share of clocks met that a clock commitment (first response ≤ 3 minutes, booking
/// confirmation ≤ 1 hour, …) is held to on the dashboard: the agency's own target, the same
/// as the hotline's answer rate. The seeds state the deadlines, not a share.
pub const CLOCK_SHARE_TARGET_PERMILLE: u32 = 950;
/// Survey answers rated satisfied (4 or 5 of 5) — the agency's own target (the seeds name
/// satisfaction as a key figure without a number).
pub const SATISFACTION_TARGET_PERMILLE: u32 = 900;
/// A survey answer at or above this (of 5) counts as satisfied.
pub const SATISFIED_AT: i64 = 4;
/// Booking system uptime (seed 000): at least 99 %.
pub const UPTIME_TARGET_PERMILLE: u32 = 990;
/// The customer source that means word of mouth (`customers.source_channel`).
pub const WORD_OF_MOUTH_SOURCE: &str = "referral";

/// One published commitment measured on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Kpi {
    /// Inbound hotline calls answered ÷ offered (≥ 95 %).
    AnswerRate,
    /// First response by phone within 3 minutes (SLA clocks met ÷ decided).
    FirstResponsePhone,
    /// First response in chat within 3 minutes.
    FirstResponseChat,
    /// First reply on social media / WeChat within 30 minutes.
    FirstResponseSocial,
    /// Email answered within one working day.
    FirstResponseEmail,
    /// Booking confirmation sent within 1 hour.
    BookingConfirmation,
    /// The handling group contacts the complainant within 1 hour of assignment.
    ComplaintContact,
    /// The result reported to intake within 24 hours of completion.
    ComplaintResult,
    /// The follow-up 3–5 working days after completion (1–2 for important complaints).
    ComplaintFollowUp,
    /// Minutes in which a node of the booking system recorded that it served ÷ minutes
    /// measured (≥ 99 %).
    Uptime,
    /// Complaints per 100 bookings (−20 % against the period before).
    ComplaintRate,
    /// Customers booking in the period who had booked before ÷ customers booking (+10 %).
    RepurchaseRate,
    /// New customers who came by word of mouth (+15 %); the share of all new is shown too.
    WordOfMouth,
    /// Survey answers satisfied (4–5 of 5) ÷ answered (≥ 90 %).
    Satisfaction,
}

/// What a figure can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    pub channel: bool,
    pub group: bool,
    pub agent: bool,
}

impl Kpi {
    pub const ALL: [Kpi; 14] = [
        Kpi::AnswerRate,
        Kpi::FirstResponsePhone,
        Kpi::FirstResponseChat,
        Kpi::FirstResponseSocial,
        Kpi::FirstResponseEmail,
        Kpi::BookingConfirmation,
        Kpi::ComplaintContact,
        Kpi::ComplaintResult,
        Kpi::ComplaintFollowUp,
        Kpi::Uptime,
        Kpi::ComplaintRate,
        Kpi::RepurchaseRate,
        Kpi::WordOfMouth,
        Kpi::Satisfaction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::AnswerRate => "answer_rate",
            Kpi::FirstResponsePhone => "first_response_phone",
            Kpi::FirstResponseChat => "first_response_chat",
            Kpi::FirstResponseSocial => "first_response_social",
            Kpi::FirstResponseEmail => "first_response_email",
            Kpi::BookingConfirmation => "booking_confirmation",
            Kpi::ComplaintContact => "complaint_contact",
            Kpi::ComplaintResult => "complaint_result",
            Kpi::ComplaintFollowUp => "complaint_follow_up",
            Kpi::Uptime => "uptime",
            Kpi::ComplaintRate => "complaint_rate",
            Kpi::RepurchaseRate => "repurchase_rate",
            Kpi::WordOfMouth => "word_of_mouth",
            Kpi::Satisfaction => "satisfaction",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The SLA targets whose clocks make this figure (met ÷ met + breached), if it is one.
    pub fn clock_targets(self) -> &'static [&'static str] {
        match self {
            Kpi::FirstResponsePhone => &["first_response.phone"],
            Kpi::FirstResponseChat => &["first_response.chat"],
            Kpi::FirstResponseSocial => &["first_response.social"],
            Kpi::FirstResponseEmail => &["first_response.email"],
            Kpi::BookingConfirmation => &["booking.confirmation"],
            Kpi::ComplaintContact => &["complaint.contact"],
            Kpi::ComplaintResult => &["complaint.result_report"],
            Kpi::ComplaintFollowUp => &["complaint.follow_up", "complaint.follow_up.important"],
            _ => &[],
        }
    }

    /// The dimensions the figure's records carry (a clock records its channel, department
    /// and agent; a call only its line; a booking none of them).
    pub fn dimensions(self) -> Dimensions {
        match self {
            k if !k.clock_targets().is_empty() => Dimensions {
                channel: true,
                group: true,
                agent: true,
            },
            Kpi::Satisfaction => Dimensions {
                channel: true,
                group: true,
                agent: true,
            },
            // Calls are the phone channel itself.
            Kpi::AnswerRate => Dimensions {
                channel: true,
                group: false,
                agent: false,
            },
            _ => Dimensions::default(),
        }
    }

    /// Whether the figure exists under these filters: a filter the records cannot answer
    /// makes no figure (rather than an unfiltered one that looks filtered). The answer rate
    /// under a channel other than `phone` has no calls.
    pub fn applies(self, channel: Option<&str>, group: bool, agent: bool) -> bool {
        let d = self.dimensions();
        let channel_ok = match channel {
            None => true,
            Some(c) if self == Kpi::AnswerRate => c == "phone",
            Some(_) => d.channel,
        };
        channel_ok && (!group || d.group) && (!agent || d.agent)
    }

    pub fn target(self) -> Target {
        match self {
            Kpi::AnswerRate => Target::AtLeast {
                permille: crate::phone::ANSWER_RATE_TARGET_PERMILLE,
            },
            Kpi::Uptime => Target::AtLeast {
                permille: UPTIME_TARGET_PERMILLE,
            },
            Kpi::Satisfaction => Target::AtLeast {
                permille: SATISFACTION_TARGET_PERMILLE,
            },
            Kpi::ComplaintRate => Target::Change { percent: -20 },
            Kpi::RepurchaseRate => Target::Change { percent: 10 },
            Kpi::WordOfMouth => Target::Change { percent: 15 },
            _ => Target::AtLeast {
                permille: CLOCK_SHARE_TARGET_PERMILLE,
            },
        }
    }

    /// How the value reads: a share, per 100, or a count.
    pub fn unit(self) -> Unit {
        match self {
            Kpi::ComplaintRate => Unit::Per100,
            Kpi::WordOfMouth => Unit::Count,
            _ => Unit::Share,
        }
    }
}

/// The unit of a figure's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    /// 0–1, shown as a percentage.
    Share,
    /// Per 100 of the denominator.
    Per100,
    /// A number of things (the numerator itself).
    Count,
}

/// A commitment's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Target {
    /// The value at least `permille` / 1000 (a share).
    AtLeast { permille: u32 },
    /// The value changed by at least `percent` % against the period before (negative: a
    /// fall of at least that much).
    Change { percent: i32 },
}

/// Two counts: `num` of `den` (answered of offered, complaints of bookings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub fn new(num: u64, den: u64) -> Self {
        Self { num, den }
    }

    /// The figure's value in `unit`; `None` when there is nothing to measure (no calls, no
    /// bookings). A count is its numerator whatever the denominator.
    pub fn value(self, unit: Unit) -> Option<f64> {
        match unit {
            Unit::Count => Some(self.num as f64),
            _ if self.den == 0 => None,
            Unit::Share => Some(self.num as f64 / self.den as f64),
            Unit::Per100 => Some(self.num as f64 * 100.0 / self.den as f64),
        }
    }

    /// The share num ÷ den, `None` for an empty denominator.
    pub fn share(self) -> Option<f64> {
        self.value(Unit::Share)
    }
}

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Verdict {
    Met,
    Missed,
    /// No figure, or (for a change target) no figure of the period before to compare with.
    NotMeasured,
}

impl Target {
    /// The value the figure must reach (at least, or at most for a fall) given the period
    /// before's value; `None` for a change target without a previous value.
    pub fn threshold(self, previous: Option<f64>) -> Option<f64> {
        match self {
            Target::AtLeast { permille } => Some(f64::from(permille) / 1000.0),
            Target::Change { percent } => {
                previous.map(|p| p * (100.0 + f64::from(percent)) / 100.0)
            }
        }
    }

    /// Judges `value` against the target. A change target compares with the previous
    /// period's value: a rise of `percent` % or more (a fall for negative percentages) is
    /// met. Exactly on the threshold is met (computed in integers where the counts allow).
    pub fn judge(self, value: Option<f64>, previous: Option<f64>) -> Verdict {
        let (Some(v), Some(t)) = (value, self.threshold(previous)) else {
            return Verdict::NotMeasured;
        };
        // A tolerance of rounding (values are ratios of counts under 2^53).
        let eps = 1e-9 * t.abs().max(1.0);
        let met = match self {
            Target::AtLeast { .. } => v + eps >= t,
            Target::Change { percent } if percent < 0 => v <= t + eps,
            Target::Change { .. } => v + eps >= t,
        };
        if met {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    }
}

/// Judges a share given as counts against a floor in permille, exactly (no floating point):
/// `num / den ≥ permille / 1000`.
pub fn share_at_least(r: Ratio, permille: u32) -> Option<bool> {
    (r.den > 0).then(|| u128::from(r.num) * 1000 >= u128::from(r.den) * u128::from(permille))
}

/// The change of `value` against `previous` in percent (`None` when either is missing or the
/// previous is zero).
pub fn change_percent(value: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (value, previous) {
        (Some(v), Some(p)) if p != 0.0 => Some((v - p) * 100.0 / p),
        _ => None,
    }
}

/// Minutes of uptime: `up` minutes with a heartbeat out of `measured` minutes.
pub fn uptime(up: u64, measured: u64) -> Ratio {
    Ratio::new(up.min(measured), measured)
}

/// Minutes in `[from_ms, to_ms)` measured for uptime: from the first heartbeat ever (before
/// it the system was not installed) to `now` (the future is not measured), in whole minutes.
pub fn measured_minutes(
    from_ms: i64,
    to_ms: i64,
    first_ms: Option<i64>,
    now_ms: i64,
) -> (i64, i64) {
    let Some(first) = first_ms else {
        return (0, 0);
    };
    let start = minute_floor(from_ms.max(first));
    let end = minute_floor(to_ms.min(now_ms));
    if end <= start {
        return (start, start);
    }
    (start, end)
}

/// The start of the minute holding `ms` (epoch milliseconds).
pub fn minute_floor(ms: i64) -> i64 {
    ms.div_euclid(60_000) * 60_000
}
