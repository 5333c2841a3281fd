//! Changing a confirmed booking (issue 14 item 5: "Changes (dates, room, party) re-check
//! inventory and are priced as a quote the customer accepts"; seed 002: 变更需重新确认库存).
//!
//! Rules:
//! - **One for one.** A change rewrites lines ([`apply_changes`]): a room line may get another
//!   room and/or other dates, a seats line another departure and/or another party; a field not
//!   given keeps its value. A line keeps its kind, and no line is added or removed — that is a
//!   new booking, or a cancellation.
//! - **Priced as a new booking today.** A line left as it is keeps the price it was booked at;
//!   a changed line is priced as a new booking of it would be today (the use case prices it
//!   from the catalog as booking creation does: nightly rates by the office calendar's kind of
//!   day, a departure's prices per traveler category) ([`quote`]).
//! - **No change fee.** Neither the 2014 model contracts nor the lodging presets (the policies
//!   tripdesk stores) define a fee for a change the customer asks for: [`change_fee`] is 0 for
//!   every policy. (Tourism Law art. 67's extra costs belong to a force-majeure postponement,
//!   [`super::postpone`].) The quote carries the fee as a figure of its own, so a policy that
//!   defines one adds it there and nowhere else.
//! - **The money.** The difference is the new total less the old. The balance due becomes the
//!   new total less what was paid; what was paid beyond the new total goes back in full as a
//!   refund explained like a cancellation's ([`ChangeQuote::refund`], paid within 5 working
//!   days). A deposit below the new total returns nothing: the balance just shrinks
//!   ([`ChangeQuote::settle`]).
//! - **A quote holds prices, not inventory.** It is good for [`QUOTE_VALID_FOR`]; accepting it
//!   re-prices the changed lines and takes their inventory again, and is refused when the
//!   booking's lines, a price ([`ChangeQuote::price_moved`]) or the inventory moved since.
//! - Guards: the lifecycle's (`change` only from confirmed or changed, not after the start
//!   date); a changed line does not start before today; two room lines never hold one room on
//!   the same night; once the guests have arrived the start date stays (a room swap at the
//!   desk is a change, a later arrival is not).

use super::inventory::{InventoryError, Stay};
use super::line::{BookingLine, LineItem};
use super::refund::{days_before, yuan, LineKind, Refund, RefundLine};
use super::CancellationPolicy;
use crate::catalog::{CatalogError, Party};
use jiff::civil::Date;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(test)]
mod tests;

/// How long a quote keeps its prices: the customer may agree by phone the next day.
pub const QUOTE_VALID_FOR: SignedDuration = SignedDuration::from_hours(24);

/// The fee `policy` charges for a change the customer asks for: none. The 2014 model
/// contracts and the lodging presets — the policies a booking stores at confirmation — define
/// no change fee; the quote carries the figure so a policy that defines one adds it here.
pub fn change_fee(policy: Option<&CancellationPolicy>) -> i64 {
    let _ = policy;
    0
}

/// One line's change as asked: the line by its number and the fields that change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineChange {
    pub line_no: u32,
    pub room_id: Option<Uuid>,
    pub check_in: Option<Date>,
    pub check_out: Option<Date>,
    pub departure_id: Option<Uuid>,
    pub party: Option<Party>,
}

/// Why a change cannot be quoted. `index` is the change's position in the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("the booking has no line with this number")]
    UnknownLine { index: usize },
    #[error("this line is changed twice")]
    DuplicateLine { index: usize },
    /// A room's field on a seats line, or a departure's on a room line.
    #[error("`{field}` does not apply to this line")]
    WrongKind { index: usize, field: &'static str },
    #[error("{error}")]
    Stay { index: usize, error: InventoryError },
    #[error("{error}")]
    Party { index: usize, error: CatalogError },
    #[error("nothing would change")]
    Unchanged,
    #[error("line {line_no} would start before today")]
    Past { line_no: u32 },
    #[error("line {line_no} books a room another line holds on the same night")]
    Overlap { line_no: u32 },
    #[error("the guests have arrived: the start date cannot move")]
    Arrived,
    #[error("the total is too large")]
    Overflow,
    /// The priced lines do not match the booking's (a caller's bug).
    #[error("the proposed lines do not match the booking's")]
    Mismatch,
}

impl ChangeError {
    /// Stable code for API answers (the booking form's codes where they mean the same).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownLine { .. } => "change.unknown_line",
            Self::DuplicateLine { .. } => "change.duplicate_line",
            Self::WrongKind { .. } => "change.wrong_kind",
            Self::Stay { error, .. } => error.code(),
            Self::Party { error, .. } => error.code(),
            Self::Unchanged => "change.unchanged",
            Self::Past { .. } => "past",
            Self::Overlap { .. } => "overlap",
            Self::Arrived => "change.arrived",
            Self::Overflow => "overflow",
            Self::Mismatch => "change.mismatch",
        }
    }

    /// The field at fault as the request names it (`lines[0].check_out`); `line_index` finds
    /// the request's position of a line number.
    pub fn field(&self, line_index: impl Fn(u32) -> Option<usize>) -> String {
        let at = |i: usize, name: &str| format!("lines[{i}].{name}");
        match self {
            Self::UnknownLine { index } | Self::DuplicateLine { index } => at(*index, "line_no"),
            Self::WrongKind { index, field } => at(*index, field),
            Self::Stay { index, .. } => at(*index, "check_out"),
            Self::Party { index, .. } => at(*index, "travelers"),
            Self::Past { line_no } | Self::Overlap { line_no } => match line_index(*line_no) {
                Some(i) => at(i, "check_in"),
                None => "lines".into(),
            },
            Self::Unchanged | Self::Arrived | Self::Overflow | Self::Mismatch => "lines".into(),
        }
    }
}

/// The booking's items with `changes` applied, in the booking's line order.
pub fn apply_changes(
    current: &[BookingLine],
    changes: &[LineChange],
) -> Result<Vec<LineItem>, ChangeError> {
    let mut items: Vec<LineItem> = current.iter().map(|l| l.item.clone()).collect();
    let mut seen = Vec::with_capacity(changes.len());
    for (index, c) in changes.iter().enumerate() {
        let Some(pos) = current.iter().position(|l| l.line_no == c.line_no) else {
            return Err(ChangeError::UnknownLine { index });
        };
        if seen.contains(&c.line_no) {
            return Err(ChangeError::DuplicateLine { index });
        }
        seen.push(c.line_no);
        let wrong = |field| Err(ChangeError::WrongKind { index, field });
        items[pos] = match &current[pos].item {
            LineItem::Room { room_id, stay } => {
                if c.departure_id.is_some() {
                    return wrong("departure_id");
                }
                if c.party.is_some() {
                    return wrong("travelers");
                }
                let stay = Stay::new(
                    c.check_in.unwrap_or(stay.check_in()),
                    c.check_out.unwrap_or(stay.check_out()),
                )
                .map_err(|error| ChangeError::Stay { index, error })?;
                LineItem::Room {
                    room_id: c.room_id.unwrap_or(*room_id),
                    stay,
                }
            }
            LineItem::Seats {
                departure_id,
                party,
            } => {
                if c.room_id.is_some() {
                    return wrong("room_id");
                }
                if c.check_in.is_some() {
                    return wrong("check_in");
                }
                if c.check_out.is_some() {
                    return wrong("check_out");
                }
                let party = c.party.unwrap_or(*party);
                party
                    .validate()
                    .map_err(|error| ChangeError::Party { index, error })?;
                LineItem::Seats {
                    departure_id: c.departure_id.unwrap_or(*departure_id),
                    party,
                }
            }
        };
    }
    if items.iter().zip(current).all(|(i, l)| *i == l.item) {
        return Err(ChangeError::Unchanged);
    }
    Ok(items)
}

/// A line after the change as the use case priced it today, with its first and last days
/// (check-in and check-out; departure and return).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub item: LineItem,
    pub price_fen: i64,
    pub first_day: Date,
    pub last_day: Date,
}

/// What the guards of [`quote`] look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteContext {
    /// Today in the business's zone.
    pub today: Date,
    /// The booking's start date as it is.
    pub starts_on: Date,
    /// Whether the guests have arrived at the front desk.
    pub arrived: bool,
}

/// One line as it is and as proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub line_no: u32,
    pub before: LineItem,
    /// The price it was booked at.
    pub before_fen: i64,
    pub after: LineItem,
    /// Unchanged: the price it was booked at; changed: today's price of the new line.
    pub after_fen: i64,
}

impl QuoteLine {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }

    /// What the line adds to the total (negative when it costs less).
    pub fn difference_fen(&self) -> i64 {
        self.after_fen - self.before_fen
    }
}

/// The price of a change, line by line: what the customer accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeQuote {
    pub lines: Vec<QuoteLine>,
    /// The booking's total as it is.
    pub old_total_fen: i64,
    /// The change fee ([`change_fee`]): 0 under every stored policy.
    pub fee_fen: i64,
    /// The lines as proposed plus the fee.
    pub new_total_fen: i64,
    /// `new_total_fen − old_total_fen`: more to pay when positive.
    pub difference_fen: i64,
    /// The booking's first and last days after the change.
    pub starts_on: Date,
    pub ends_on: Date,
}

/// What a change means for the money, given what the customer has paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Paid so far (payments less refunds paid and less refunds still owed).
    pub paid_fen: i64,
    /// Still to pay after the change (应补 when the change made it grow).
    pub balance_due_fen: i64,
    /// Paid beyond the new total: goes back to the customer (应退).
    pub refund_fen: i64,
}

/// Prices a change: `after` is the booking's lines with the change applied, in order, each
/// priced today ([`apply_changes`] then the catalog). Unchanged lines keep their price.
pub fn quote(
    current: &[BookingLine],
    old_total_fen: i64,
    after: &[Priced],
    fee_fen: i64,
    ctx: QuoteContext,
) -> Result<ChangeQuote, ChangeError> {
    if after.len() != current.len()
        || after
            .iter()
            .zip(current)
            .any(|(a, c)| !a.item.same_kind(&c.item))
        || fee_fen < 0
    {
        return Err(ChangeError::Mismatch);
    }
    if after.iter().zip(current).all(|(a, c)| a.item == c.item) {
        return Err(ChangeError::Unchanged);
    }
    let mut lines = Vec::with_capacity(after.len());
    let (mut starts_on, mut ends_on) = (Date::MAX, Date::MIN);
    for (a, c) in after.iter().zip(current) {
        let changed = a.item != c.item;
        if changed && a.first_day < ctx.today {
            return Err(ChangeError::Past { line_no: c.line_no });
        }
        starts_on = starts_on.min(a.first_day);
        ends_on = ends_on.max(a.last_day);
        lines.push(QuoteLine {
            line_no: c.line_no,
            before: c.item.clone(),
            before_fen: c.price_fen,
            after: a.item.clone(),
            after_fen: if changed { a.price_fen } else { c.price_fen },
        });
    }
    for (i, a) in lines.iter().enumerate() {
        if let LineItem::Room { room_id, stay } = &a.after {
            let clash = lines[..i].iter().any(|b| match &b.after {
                LineItem::Room {
                    room_id: other,
                    stay: s,
                } => other == room_id && s.overlaps(stay),
                LineItem::Seats { .. } => false,
            });
            if clash {
                return Err(ChangeError::Overlap { line_no: a.line_no });
            }
        }
    }
    if ctx.arrived && starts_on != ctx.starts_on {
        return Err(ChangeError::Arrived);
    }
    let new_total_fen = lines
        .iter()
        .try_fold(fee_fen, |s, l| s.checked_add(l.after_fen))
        .ok_or(ChangeError::Overflow)?;
    let difference_fen = new_total_fen
        .checked_sub(old_total_fen)
        .ok_or(ChangeError::Overflow)?;
    Ok(ChangeQuote {
        lines,
        old_total_fen,
        fee_fen,
        new_total_fen,
        difference_fen,
        starts_on,
        ends_on,
    })
}

impl ChangeQuote {
    /// The lines that change.
    pub fn changed_lines(&self) -> impl Iterator<Item = &QuoteLine> {
        self.lines.iter().filter(|l| l.changed())
    }

    /// Whether the quote was made for the booking's lines and total as they are now.
    pub fn still_for(&self, lines: &[BookingLine], total_fen: i64) -> bool {
        self.old_total_fen == total_fen
            && self.lines.len() == lines.len()
            && self.lines.iter().zip(lines).all(|(q, l)| {
                q.line_no == l.line_no && q.before == l.item && q.before_fen == l.price_fen
            })
    }

    /// The changed lines whose price today (`priced`, the proposal priced again in the
    /// quote's line order) differs from the quoted one: (line number, quoted, now).
    pub fn price_moved(&self, priced: &[Priced]) -> Vec<(u32, i64, i64)> {
        self.lines
            .iter()
            .zip(priced)
            .filter(|(q, p)| q.changed() && (q.after != p.item || q.after_fen != p.price_fen))
            .map(|(q, p)| (q.line_no, q.after_fen, p.price_fen))
            .collect()
    }

    /// The money after the change, `paid_fen` having been paid (and not owed back already).
    pub fn settle(&self, paid_fen: i64) -> Settlement {
        let paid_fen = paid_fen.max(0);
        Settlement {
            paid_fen,
            balance_due_fen: (self.new_total_fen - paid_fen).max(0),
            refund_fen: (paid_fen - self.new_total_fen).max(0),
        }
    }

    /// The refund a change owes when `paid_fen` exceeds the new total, explained as a
    /// cancellation's refund is (its one line returns the excess in full; no tier applies to
    /// money the changed booking no longer asks for). `None` when nothing goes back.
    pub fn refund(&self, paid_fen: i64, today: Date) -> Option<Refund> {
        let s = self.settle(paid_fen);
        if s.refund_fen == 0 {
            return None;
        }
        Some(Refund {
            paid_fen: s.refund_fen,
            withheld_fen: 0,
            compensation_fen: 0,
            refund_fen: s.refund_fen,
            shortfall_fen: 0,
            days_before: days_before(self.starts_on, today).unwrap_or(0),
            lines: vec![RefundLine {
                kind: LineKind::Overpaid,
                label_zh: format!(
                    "预订变更后总额{}，已付{}，多付的{}全额退还",
                    yuan(self.new_total_fen),
                    yuan(s.paid_fen),
                    yuan(s.refund_fen)
                ),
                amount_fen: s.refund_fen,
            }],
        })
    }
}
