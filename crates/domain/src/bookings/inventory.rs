//! The inventory arithmetic the store enforces (issue 14 item 2): room-nights and departure
//! seats. The store holds the invariants with constraints and conditional updates; these
//! functions are the same rules in plain Rust, for answers, previews and property tests.
//!
//! - A stay's nights are its check-in date up to, not including, its check-out date
//!   (iCalendar's DTEND is the check-out day too); at least 1 night, at most
//!   [`MAX_STAY_NIGHTS`].
//! - Seats left = capacity − held − confirmed, never negative; asking for more than are left
//!   is [`InventoryError::SoldOut`] saying how many are left.
//! - Two stays overlap when they share a night: a stay checking out on the day another
//!   checks in does not overlap it.
//! - Freed seats go to the waitlist by [`offer_freed_seats`].

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

/// The longest stay one booking line may hold (longer stays are a contract, not a booking).
pub const MAX_STAY_NIGHTS: u32 = 90;

/// Why an inventory request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Check-out on or before check-in.
    #[error("check-out {check_out} must be after check-in {check_in}")]
    EmptyStay { check_in: Date, check_out: Date },
    /// More than [`MAX_STAY_NIGHTS`] nights.
    #[error("a stay of {nights} nights is longer than {MAX_STAY_NIGHTS}")]
    StayTooLong { nights: i64 },
    /// Fewer seats (or rooms) left than asked for (HTTP 409 `sold_out`).
    #[error("sold out: {left} left, {wanted} wanted")]
    SoldOut { left: u32, wanted: u32 },
    /// A request or waitlist entry for nobody.
    #[error("a party has at least one traveler")]
    EmptyParty,
}

impl InventoryError {
    /// Stable snake_case code for API answers (`sold_out` as the API names it).
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyStay { .. } => "inventory.empty_stay",
            Self::StayTooLong { .. } => "inventory.stay_too_long",
            Self::SoldOut { .. } => "sold_out",
            Self::EmptyParty => "inventory.empty_party",
        }
    }
}

/// A stay: nights from `check_in` (included) to `check_out` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StayParts")]
pub struct Stay {
    check_in: Date,
    check_out: Date,
}

#[derive(Deserialize)]
struct StayParts {
    check_in: Date,
    check_out: Date,
}

impl TryFrom<StayParts> for Stay {
    type Error = InventoryError;
    fn try_from(p: StayParts) -> Result<Self, Self::Error> {
        Stay::new(p.check_in, p.check_out)
    }
}

impl Stay {
    /// A stay of 1 to [`MAX_STAY_NIGHTS`] nights.
    pub fn new(check_in: Date, check_out: Date) -> Result<Stay, InventoryError> {
        if check_out <= check_in {
            return Err(InventoryError::EmptyStay {
                check_in,
                check_out,
            });
        }
        let nights = i64::from((check_out - check_in).get_days());
        if nights > i64::from(MAX_STAY_NIGHTS) {
            return Err(InventoryError::StayTooLong { nights });
        }
        Ok(Stay {
            check_in,
            check_out,
        })
    }

    pub fn check_in(&self) -> Date {
        self.check_in
    }

    pub fn check_out(&self) -> Date {
        self.check_out
    }

    /// The number of nights, 1 to [`MAX_STAY_NIGHTS`].
    pub fn nights(&self) -> u32 {
        u32::try_from((self.check_out - self.check_in).get_days())
            .expect("a stay has 1 to 90 nights")
    }

    /// The date of each night (the room-nights the store locks), in order.
    pub fn night_dates(&self) -> impl Iterator<Item = Date> + '_ {
        (0..i64::from(self.nights())).map(move |i| {
            self.check_in
                .checked_add(i.days())
                .expect("inside the stay, before its check-out date")
        })
    }

    /// Whether the stay includes the night of `date`.
    pub fn contains_night(&self, date: Date) -> bool {
        self.check_in <= date && date < self.check_out
    }

    /// Whether two stays share a night (half-open ranges: back-to-back stays do not).
    pub fn overlaps(&self, other: &Stay) -> bool {
        self.check_in < other.check_out && other.check_in < self.check_out
    }
}

/// Seats (or rooms) left: `capacity − held − confirmed`, never negative (a capacity lowered
/// below what is already sold leaves 0, not a debt).
pub fn seats_left(capacity: u32, held: u32, confirmed: u32) -> u32 {
    capacity.saturating_sub(held.saturating_add(confirmed))
}

/// A request for `wanted` seats: the seats left after it, or [`InventoryError::SoldOut`]
/// with how many are left.
pub fn request_seats(
    capacity: u32,
    held: u32,
    confirmed: u32,
    wanted: u32,
) -> Result<u32, InventoryError> {
    if wanted == 0 {
        return Err(InventoryError::EmptyParty);
    }
    let left = seats_left(capacity, held, confirmed);
    if wanted > left {
        return Err(InventoryError::SoldOut { left, wanted });
    }
    Ok(left - wanted)
}

/// One party on a departure's waitlist, in the order they joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry<Id> {
    pub id: Id,
    /// Travelers in the party, at least 1.
    pub party: u32,
}

/// Who is offered `freed` seats, in waitlist order.
///
/// The rule (first fit in order): walk the waitlist from the front; offer each party whose
/// whole party fits in the seats not yet offered, and take those seats; pass over a party
/// that does not fit — it keeps its place and is first to be considered for the next seats
/// freed. Nobody is ever offered seats while an earlier party that fits goes without, and a
/// party is never split (a family travels together). Seats stay unused only when no waiting
/// party fits them.
///
/// Why not strict first-in-first-out (stop at the first party that does not fit): seats freed
/// one at a time before departure would stay empty behind a large party that may never fit,
/// and the departure would leave with empty seats and a waiting list. The price is that a
/// large party can be passed over repeatedly; staff see its place and may hold freed seats
/// for it by hand.
pub fn offer_freed_seats<Id: Clone>(
    freed: u32,
    waitlist: &[WaitlistEntry<Id>],
) -> Result<Vec<WaitlistEntry<Id>>, InventoryError> {
    if waitlist.iter().any(|e| e.party == 0) {
        return Err(InventoryError::EmptyParty);
    }
    let mut left = freed;
    let mut offered = Vec::new();
    for entry in waitlist {
        if left == 0 {
            break;
        }
        if entry.party <= left {
            left -= entry.party;
            offered.push(entry.clone());
        }
    }
    Ok(offered)
}

#[cfg(test)]
mod tests;
