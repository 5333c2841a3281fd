//! Bulk remedies under force majeure (issue 15 item 6; seed 003: 不可抗力 → 可选择全额退款或延期;
//! Tourism Law art. 67): when an incident stops trips, every affected booking is offered a
//! refund or a postponement at once, and each customer's choice is recorded once.
//!
//! Rules:
//! - **Who is offered** ([`eligibility`]): a booking that still holds inventory and has not
//!   ended (held, confirmed, changed — not completed, cancelled or expired), of a person in
//!   the scope of an **open** incident, whose start day has not passed (a trip on the road
//!   is settled by hand, as a cancellation after the start is: the lifecycle refuses it).
//! - **What each option means** ([`RemedyOptions::of`]): the refund is what cancelling with
//!   [`Cause::ForceMajeure`] refunds — by the policy the booking keeps, without documented
//!   supplier costs, so everything paid comes back; a hold promised nothing and returns
//!   everything paid too. The postponement carries everything paid over to a new date:
//!   free when the policy says so (and for a hold), otherwise the extra costs of the change
//!   are the traveler's (art. 67: 合同变更的，因此增加的费用由旅游者承担), known only once the
//!   new date is quoted.
//! - **States** of an offer: `offered` → `refund` or `postpone` (the customer's choice), or
//!   `withdrawn` when the booking is cancelled or expires by another path while the offer
//!   waits. A choice is final.
//! - **Choosing** ([`choose`]): the same choice again is a no-op ([`ChoiceStep::Repeat`]);
//!   another choice after one was made is refused ([`RemedyError::AlreadyChosen`]), as is a
//!   choice on a withdrawn offer, on a booking that has ended, or after the start day.

#[cfg(test)]
mod tests;

use super::IncidentState;
use crate::bookings::{
    compute_refund, BookingState, Cause, LineKind, PolicyTerms, Refund, RefundCase, RefundError,
    RefundLine,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What the customer may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RemedyChoiceName))]
pub enum RemedyChoice {
    /// 全额退款: the booking is cancelled for force majeure and refunded.
    Refund,
    /// 延期: what was paid carries over to a new date staff arrange.
    Postpone,
}

impl RemedyChoice {
    pub const ALL: [RemedyChoice; 2] = [RemedyChoice::Refund, RemedyChoice::Postpone];

    pub fn as_str(self) -> &'static str {
        match self {
            RemedyChoice::Refund => "refund",
            RemedyChoice::Postpone => "postpone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RemedyStateName))]
pub enum RemedyState {
    /// Offered, no choice yet.
    Offered,
    /// The customer chose the refund (the booking is cancelled).
    Refund,
    /// The customer chose a postponement (staff arrange the new date).
    Postpone,
    /// The booking was cancelled or expired by another path before a choice.
    Withdrawn,
}

impl RemedyState {
    pub const ALL: [RemedyState; 4] = [
        RemedyState::Offered,
        RemedyState::Refund,
        RemedyState::Postpone,
        RemedyState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemedyState::Offered => "offered",
            RemedyState::Refund => "refund",
            RemedyState::Postpone => "postpone",
            RemedyState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The choice made, if one was.
    pub fn chosen(self) -> Option<RemedyChoice> {
        match self {
            RemedyState::Refund => Some(RemedyChoice::Refund),
            RemedyState::Postpone => Some(RemedyChoice::Postpone),
            RemedyState::Offered | RemedyState::Withdrawn => None,
        }
    }

    /// Whether cancelling or expiring the booking by another path withdraws the offer (only
    /// an offer still waiting for a choice: a choice made stays on record).
    pub fn withdrawn_by_cancel(self) -> bool {
        self == RemedyState::Offered
    }
}

impl From<RemedyChoice> for RemedyState {
    fn from(c: RemedyChoice) -> Self {
        match c {
            RemedyChoice::Refund => RemedyState::Refund,
            RemedyChoice::Postpone => RemedyState::Postpone,
        }
    }
}

/// How a choice reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RemedyViaName))]
pub enum RemedyVia {
    /// The customer's signed link in the offer's message.
    Link,
    /// Staff recording the customer's answer as given (by phone, in person).
    Staff,
}

impl RemedyVia {
    pub const ALL: [RemedyVia; 2] = [RemedyVia::Link, RemedyVia::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            RemedyVia::Link => "link",
            RemedyVia::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Why a booking is not offered a remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Ineligible {
    #[error("the incident is closed")]
    IncidentClosed,
    #[error("nobody of the booking is in the incident's scope")]
    NotInScope,
    /// Completed, cancelled or expired.
    #[error("the booking is {0}")]
    BookingClosed(BookingState),
    /// The start day has passed: the trip is on the road.
    #[error("the trip or stay started on {0}")]
    Started(Date),
}

impl Ineligible {
    /// Stable snake_case code (counted in an offer's outcome).
    pub fn code(self) -> &'static str {
        match self {
            Ineligible::IncidentClosed => "incident_closed",
            Ineligible::NotInScope => "not_in_scope",
            Ineligible::BookingClosed(_) => "booking_closed",
            Ineligible::Started(_) => "started",
        }
    }
}

/// Whether a booking may be offered a remedy `today` (rules in the module documentation).
pub fn eligibility(
    incident: IncidentState,
    in_scope: bool,
    booking: BookingState,
    starts_on: Date,
    today: Date,
) -> Result<(), Ineligible> {
    if incident != IncidentState::Open {
        return Err(Ineligible::IncidentClosed);
    }
    if !in_scope {
        return Err(Ineligible::NotInScope);
    }
    if booking.is_final() {
        return Err(Ineligible::BookingClosed(booking));
    }
    if today > starts_on {
        return Err(Ineligible::Started(starts_on));
    }
    Ok(())
}

/// The booking as the offer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemedyBooking<'a> {
    pub state: BookingState,
    pub starts_on: Date,
    pub total_fen: i64,
    /// Paid and kept: payments less refunds paid out and refunds still owed.
    pub paid_fen: i64,
    /// The policy kept at confirmation (`None` for a hold).
    pub policy: Option<&'a PolicyTerms>,
}

/// A postponement as offered: what carries over, and whether the change itself is free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostponementTerms {
    /// Free by the policy (or a hold: nothing was promised yet).
    pub free: bool,
    /// Everything paid carries over to the new date.
    pub credit_fen: i64,
    /// The explanation, line by line (adding up to `credit_fen`).
    pub lines: Vec<RefundLine>,
}

/// What each option means for one booking, in money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemedyOptions {
    /// What cancelling for force majeure refunds now.
    pub refund: Refund,
    pub postponement: PostponementTerms,
}

impl RemedyOptions {
    /// The two options of `booking` on `today` (rules in the module documentation). The
    /// refund is the one [`compute_refund`] gives the cancellation (and for a hold, as its
    /// cancellation does, everything paid).
    pub fn of(booking: &RemedyBooking<'_>, today: Date) -> Result<RemedyOptions, RefundError> {
        if booking.paid_fen < 0 {
            return Err(RefundError::BadAmount {
                field: "paid_fen",
                reason: "must not be negative",
            });
        }
        let promised = match (booking.policy, booking.state) {
            (Some(terms), BookingState::Confirmed | BookingState::Changed) => Some(terms),
            _ => None,
        };
        let force_majeure = Cause::ForceMajeure {
            unrecoverable: Vec::new(),
        };
        let refund = match promised {
            Some(terms) => {
                let kept = booking.paid_fen.min(booking.total_fen.max(0));
                let case = RefundCase {
                    total_fen: booking.total_fen,
                    paid_fen: kept,
                    first_night_fen: None,
                    starts_on: booking.starts_on,
                    cancelled_on: today,
                };
                compute_refund(terms, &case, &force_majeure)?
                    .with_overpayment(booking.paid_fen - kept)
            }
            // Nothing was promised: everything paid goes back, whatever the terms.
            None => compute_refund(
                &PolicyTerms::Lodging(crate::bookings::LodgingTerms {
                    preset: crate::bookings::LodgingPreset::NonRefundable,
                    free_postponement: true,
                }),
                &RefundCase {
                    total_fen: booking.paid_fen,
                    paid_fen: booking.paid_fen,
                    first_night_fen: None,
                    starts_on: booking.starts_on,
                    cancelled_on: today,
                },
                &force_majeure,
            )?,
        };
        let free = promised.is_none_or(|t| t.free_postponement());
        let label = if free {
            "不可抗力，免费延期，已付金额全部转入新日期"
        } else {
            "不可抗力延期，已付金额全部转入新日期；因变更增加的费用由旅游者承担，以新日期的报价为准"
        };
        let postponement = PostponementTerms {
            free,
            credit_fen: booking.paid_fen,
            lines: vec![
                RefundLine {
                    kind: LineKind::Paid,
                    label_zh: "已付金额".into(),
                    amount_fen: booking.paid_fen,
                },
                RefundLine {
                    kind: LineKind::Postponement,
                    label_zh: label.into(),
                    amount_fen: 0,
                },
            ],
        };
        Ok(RemedyOptions {
            refund,
            postponement,
        })
    }
}

/// Why a choice is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RemedyError {
    /// Another choice was recorded before: a choice is final.
    #[error("the customer chose {chosen:?} already; a choice is final")]
    AlreadyChosen { chosen: RemedyChoice },
    /// The booking was cancelled or expired by another path: nothing is offered any more.
    #[error("the offer was withdrawn: the booking was cancelled or expired meanwhile")]
    Withdrawn,
    /// The booking has ended (completed, cancelled, expired).
    #[error("the booking is {0}: nothing can be chosen for it")]
    BookingClosed(BookingState),
    /// The start day has passed: settled by hand.
    #[error("the trip or stay started on {0}: the choice is settled by staff")]
    Started(Date),
}

impl RemedyError {
    /// Stable code for API answers and the translated sentence.
    pub fn code(self) -> &'static str {
        match self {
            RemedyError::AlreadyChosen { .. } => "remedy.already_chosen",
            RemedyError::Withdrawn => "remedy.withdrawn",
            RemedyError::BookingClosed(_) => "remedy.booking_closed",
            RemedyError::Started(_) => "remedy.started",
        }
    }
}

/// What a choice does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceStep {
    /// Record it (and act: cancel and refund, or arrange the postponement).
    Record,
    /// The same choice was recorded before: nothing to do.
    Repeat,
}

/// The facts a choice is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferFacts {
    pub offer: RemedyState,
    pub booking: BookingState,
    pub starts_on: Date,
    pub today: Date,
}

/// Whether `choice` may be recorded on the offer (rules in the module documentation).
pub fn choose(facts: &OfferFacts, choice: RemedyChoice) -> Result<ChoiceStep, RemedyError> {
    match facts.offer {
        RemedyState::Withdrawn => Err(RemedyError::Withdrawn),
        RemedyState::Refund | RemedyState::Postpone => {
            let chosen = facts.offer.chosen().expect("a chosen state");
            if chosen == choice {
                Ok(ChoiceStep::Repeat)
            } else {
                Err(RemedyError::AlreadyChosen { chosen })
            }
        }
        RemedyState::Offered if facts.booking.is_final() => {
            Err(RemedyError::BookingClosed(facts.booking))
        }
        RemedyState::Offered if facts.today > facts.starts_on => {
            Err(RemedyError::Started(facts.starts_on))
        }
        RemedyState::Offered => Ok(ChoiceStep::Record),
    }
}
