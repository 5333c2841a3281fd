//! Pre-trip documents (issue 14 item 8; product brief §3: "e-contract, itinerary, departure
//! notice, hotel info, guide contact, destination tips, emergency contacts — sent on the
//! customer's preferred channel, receipt confirmed, key facts highlighted"): the rules the use
//! cases decide with.
//!
//! - [`may_send`]: documents go to a confirmed (or changed) booking whose trip has not ended.
//! - [`choose_channel`]: the customer's preferred channel when something can deliver on it,
//!   else the first channel that can reach them, with the reason recorded ([`Fallback`]).
//! - [`link_open`]: the traveler's link works while the booking is live and until
//!   [`LINK_DAYS_AFTER_TRIP`] days after the trip ends.
//! - [`freshness`]: a document sent is current while the content built from the booking as
//!   it stands hashes the same; otherwise it is outdated and should be sent again.
//! - [`contract_terms_zh`]: the cancellation policy stored with the booking, in words.

use jiff::civil::Date;

use super::lifecycle::BookingState;
use super::refund::{CancellationPolicy, LodgingCharge, LodgingPreset, PolicyTerms};

#[cfg(test)]
mod tests;

/// How long after the last day of the trip the traveler's link still opens.
pub const LINK_DAYS_AFTER_TRIP: i64 = 30;

/// Why documents cannot be sent or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Held, completed, cancelled or expired: nothing is promised, or nothing is left to go to.
    #[error("documents are sent for a confirmed booking")]
    NotConfirmed,
    /// The trip or stay has ended.
    #[error("the trip is over")]
    TripOver,
    /// No channel that delivers can reach the customer (no email address).
    #[error("no channel can reach the customer")]
    NoChannel,
    /// The booking was cancelled or its hold expired: its link shows nothing any more.
    #[error("the booking was cancelled")]
    BookingClosed,
    /// The link's time ran out ([`LINK_DAYS_AFTER_TRIP`] days after the trip).
    #[error("the link has expired")]
    LinkExpired,
}

impl DocumentError {
    /// Stable code for API answers and the pages' sentences.
    pub fn code(self) -> &'static str {
        match self {
            DocumentError::NotConfirmed => "documents.not_confirmed",
            DocumentError::TripOver => "documents.trip_over",
            DocumentError::NoChannel => "documents.no_channel",
            DocumentError::BookingClosed => "documents.booking_closed",
            DocumentError::LinkExpired => "documents.link_expired",
        }
    }
}

/// Whether a booking's documents may be sent on `today`: it is confirmed or changed (a hold
/// promised nothing yet; completed, cancelled and expired bookings have no trip ahead) and its
/// last day has not passed.
pub fn may_send(state: BookingState, ends_on: Date, today: Date) -> Result<(), DocumentError> {
    if !matches!(state, BookingState::Confirmed | BookingState::Changed) {
        return Err(DocumentError::NotConfirmed);
    }
    if today > ends_on {
        return Err(DocumentError::TripOver);
    }
    Ok(())
}

/// Whether the traveler's link may show the documents on `today`: the booking still holds its
/// trip (not cancelled or expired), and no more than [`LINK_DAYS_AFTER_TRIP`] days have passed
/// since its last day. A held booking's link (it never gets one) and a completed one's open.
pub fn link_open(state: BookingState, ends_on: Date, today: Date) -> Result<(), DocumentError> {
    if !state.holds_inventory() {
        return Err(DocumentError::BookingClosed);
    }
    let last = ends_on
        .checked_add(jiff::Span::new().days(LINK_DAYS_AFTER_TRIP))
        .unwrap_or(Date::MAX);
    if today > last {
        return Err(DocumentError::LinkExpired);
    }
    Ok(())
}

/// A way a customer says they want to be reached (the customer record's preferred channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerChannel {
    Email,
    Sms,
    Wechat,
    Phone,
}

impl CustomerChannel {
    pub const ALL: [CustomerChannel; 4] = [
        CustomerChannel::Email,
        CustomerChannel::Sms,
        CustomerChannel::Wechat,
        CustomerChannel::Phone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerChannel::Email => "email",
            CustomerChannel::Sms => "sms",
            CustomerChannel::Wechat => "wechat",
            CustomerChannel::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CustomerChannel::Email => "电子邮件",
            CustomerChannel::Sms => "短信",
            CustomerChannel::Wechat => "微信",
            CustomerChannel::Phone => "电话",
        }
    }
}

/// Why a message went on another channel than the customer's preferred one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Nothing delivers on the preferred channel yet (SMS, WeChat, a phone call cannot carry a
    /// document).
    NotDeliverable,
    /// The preferred channel delivers, but the customer has no address for it.
    NoAddress,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::NotDeliverable => "not_deliverable",
            Fallback::NoAddress => "no_address",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Fallback::NotDeliverable, Fallback::NoAddress]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// The channel a message goes on, and why it is not the preferred one when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelChoice {
    pub channel: CustomerChannel,
    pub preferred: Option<CustomerChannel>,
    /// `None` when the message goes on the preferred channel, or the customer named none.
    pub fallback: Option<Fallback>,
}

/// Picks the channel: the preferred one when it is in `deliverable` (what the outbox can send
/// on, in order of choice) and `reachable` (the customer has an address for it); else the
/// first deliverable channel that reaches the customer, with the reason. `NoChannel` when none
/// does.
pub fn choose_channel(
    preferred: Option<CustomerChannel>,
    deliverable: &[CustomerChannel],
    reachable: impl Fn(CustomerChannel) -> bool,
) -> Result<ChannelChoice, DocumentError> {
    if let Some(p) = preferred {
        if deliverable.contains(&p) && reachable(p) {
            return Ok(ChannelChoice {
                channel: p,
                preferred,
                fallback: None,
            });
        }
    }
    let channel = deliverable
        .iter()
        .copied()
        .find(|c| reachable(*c))
        .ok_or(DocumentError::NoChannel)?;
    Ok(ChannelChoice {
        channel,
        preferred,
        fallback: preferred.map(|p| {
            if deliverable.contains(&p) {
                Fallback::NoAddress
            } else {
                Fallback::NotDeliverable
            }
        }),
    })
}

/// Whether a document sent is still what the booking would give now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Never sent.
    NotSent,
    /// The content sent hashes as the content now: 没有变化.
    Current,
    /// The booking (or what it names: the departure, the hotel, the policy) changed since: the
    /// document should be sent again.
    Outdated,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::NotSent => "not_sent",
            Freshness::Current => "current",
            Freshness::Outdated => "outdated",
        }
    }
}

/// Compares the hash of the content sent last (if any) with the hash of the content now.
pub fn freshness(sent: Option<&str>, now: &str) -> Freshness {
    match sent {
        None => Freshness::NotSent,
        Some(h) if h == now => Freshness::Current,
        Some(_) => Freshness::Outdated,
    }
}

/// The cancellation policy stored with the booking at confirmation, in sentences a traveler
/// reads on the e-contract summary: who cancels, when, and what is withheld or paid.
pub fn contract_terms_zh(policy: &CancellationPolicy) -> Vec<String> {
    let mut out = Vec::new();
    match &policy.terms {
        PolicyTerms::Tour(t) => {
            let customer: Vec<String> = t
                .customer
                .tiers()
                .iter()
                .map(|tier| {
                    if tier.basis_points == 0 {
                        format!("{}取消，不扣费用", tier.days_zh("出发"))
                    } else {
                        format!(
                            "{}取消，扣除团费的 {}",
                            tier.days_zh("出发"),
                            tier.percent()
                        )
                    }
                })
                .collect();
            out.push(format!("旅游者解除合同：{}。", customer.join("；")));
            let agency: Vec<String> = t
                .agency
                .tiers()
                .iter()
                .filter(|tier| tier.basis_points > 0)
                .map(|tier| {
                    format!(
                        "{}取消，另付团费的 {}",
                        tier.days_zh("出发"),
                        tier.percent()
                    )
                })
                .collect();
            if agency.is_empty() {
                out.push("旅行社解除合同：全额退还团费。".into());
            } else {
                out.push(format!(
                    "旅行社解除合同：全额退还团费，并支付违约金：{}。",
                    agency.join("；")
                ));
            }
            out.push(format!(
                "如报名人数不足成团人数，旅行社至迟于出发前 {} 日通知，全额退还团费。",
                t.group_notice_days
            ));
        }
        PolicyTerms::Lodging(l) => {
            out.push(match l.preset {
                LodgingPreset::FreeUntil { days, then } => format!(
                    "入住前 {days} 日（含）之前取消免费；之后取消扣除{}。",
                    charge_zh(then)
                ),
                LodgingPreset::FirstNight => "取消预订将扣除首晚房费。".into(),
                LodgingPreset::NonRefundable => "本预订不可取消，取消不退还房费。".into(),
            });
            out.push("商家取消预订：全额退还房费。".into());
        }
    }
    out.push(if policy.terms.free_postponement() {
        "因不可抗力不能成行：可选择退还全部可退费用（扣除已实际发生且不可退还的费用），或免费延期。"
            .into()
    } else {
        "因不可抗力不能成行：退还全部可退费用（扣除已实际发生且不可退还的费用）。".into()
    });
    out
}

fn charge_zh(charge: LodgingCharge) -> &'static str {
    match charge {
        LodgingCharge::FirstNight => "首晚房费",
        LodgingCharge::Total => "全部房费",
    }
}
