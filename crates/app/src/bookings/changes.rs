//! Changing a confirmed booking (issue 14 item 5: "Changes (dates, room, party) re-check
//! inventory and are priced as a quote the customer accepts"). The rules are
//! `tripdesk_domain::bookings::change`; this module loads, prices and writes.
//!
//! - [`App::quote_change`]: the change applied to the booking's lines, each changed line
//!   priced as [`App::create_booking`] prices a new one (the room type's nightly rates by the
//!   office calendar, the departure's prices per traveler category) and its inventory checked
//!   free (409 `sold_out` naming alternatives, as creation does). Nothing is taken: the quote is
//!   **stored** (`booking_change_quotes`) with its expiry, 24 hours, because the customer often
//!   agrees later by phone, and audited as `booking.change_quoted`.
//! - [`App::accept_change`]: in one transaction, the booking written first (conditional on its
//!   version, so two changes or a change and a cancellation of one booking cannot both
//!   succeed), then the old inventory freed, the lines replaced and every line's inventory
//!   taken again with the statements creation uses (`take_room_nights`'s `ON CONFLICT DO
//!   NOTHING` on `(room_id, night)`, `take_seats`'s conditional UPDATE under its CHECK): two
//!   changes racing for the last room-night cannot both get it. A quote is accepted as quoted:
//!   refused (409) when it ran out (`change.quote_expired`), was used (`change.quote_used`), the
//!   booking's lines or total moved since (`change.stale_quote`), a changed line's price moved
//!   (`change.price_changed`) or its inventory is gone (`sold_out`). The booking becomes
//!   `changed`; what was paid beyond the new total is owed back (a refund under the 5-working-
//!   day clock); seats freed on a departure are offered to its waitlist; audited as
//!   `booking.changed` with the lines before and after (ids, dates, counts, amounts: no
//!   personal data) and published as the webhook event `booking.changed`.
//!
//! A held booking is not changed: it promised nothing and holds its inventory for minutes or
//! days, so it is cancelled and booked again (the lifecycle table has no `change` from held).

use crate::{App, AppError, FieldError, Principal};
use jiff::civil::Date;
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{
    apply_changes, change_fee, quote, transition, BookingStep, Cause, ChangeError, LineChange,
    Priced, QuoteContext, Settlement, QUOTE_VALID_FOR,
};
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::events;
use tripdesk_store::{
    Booking, BookingLine, ChangeQuoteRecord, LineItem, NightUse, RefundRecord, Tx,
};
use uuid::Uuid;

use super::steps::lifecycle_error;

/// A change quoted, and what it means for the money paid so far.
#[derive(Debug, Clone)]
pub struct QuotedChange {
    pub record: ChangeQuoteRecord,
    pub settlement: Settlement,
}

/// A change applied: the booking as it now is, the quote it followed, and the refund it owes
/// when the new total is below what was paid.
#[derive(Debug, Clone)]
pub struct AppliedChange {
    pub booking: Booking,
    pub record: ChangeQuoteRecord,
    pub settlement: Settlement,
    pub refund: Option<RefundRecord>,
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        message: message.into(),
        field: None,
    }
}

/// A domain refusal of a change asked in `changes`, naming the request's field.
fn change_error(e: ChangeError, changes: &[LineChange]) -> AppError {
    match e {
        ChangeError::Arrived => conflict(e.code(), e.to_string()),
        ChangeError::Mismatch => AppError::Internal(e.to_string()),
        e => {
            let field = e.field(|n| changes.iter().position(|c| c.line_no == n));
            AppError::field(&field, e.code(), e.to_string())
        }
    }
}

/// The same refusal when a quote is accepted: the quote no longer holds.
fn stale(e: ChangeError) -> AppError {
    match e {
        ChangeError::Arrived | ChangeError::Past { .. } => conflict(e.code(), e.to_string()),
        e => conflict(
            "change.stale_quote",
            format!("the quote no longer holds ({e}): quote the change again"),
        ),
    }
}

/// A booking line as the audit entry records it: ids, dates, counts and the price.
fn line_summary(item: &LineItem, price_fen: i64) -> serde_json::Value {
    match item {
        LineItem::Room { room_id, stay } => json!({
            "room_id": room_id,
            "check_in": stay.check_in().to_string(),
            "check_out": stay.check_out().to_string(),
            "price_fen": price_fen,
        }),
        LineItem::Seats {
            departure_id,
            party,
        } => json!({
            "departure_id": departure_id,
            "adults": party.adults,
            "children": party.children,
            "seniors": party.seniors,
            "price_fen": price_fen,
        }),
    }
}

impl App {
    /// What was paid toward a booking and not owed back: payments less refunds paid (the
    /// booking's `paid_fen`) less refunds recorded and not yet paid out.
    pub(crate) async fn paid_and_kept(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<i64, AppError> {
        let owed: i64 = tx
            .list_refunds(booking.id)
            .await?
            .iter()
            .filter(|r| r.paid_at.is_none())
            .map(|r| r.refund.refund_fen.max(0))
            .sum();
        Ok(booking.paid_fen - owed)
    }

    /// Refuses a change while a refund of an earlier change is still owed: paying it out
    /// first keeps what was paid, what is owed back and the balance due one consistent story.
    async fn no_refund_owed(&self, tx: &mut dyn Tx, booking: &Booking) -> Result<(), AppError> {
        if self.paid_and_kept(tx, booking).await? < booking.paid_fen {
            return Err(conflict(
                "change.refund_owed",
                "a refund of an earlier change is still owed: pay it out first",
            ));
        }
        Ok(())
    }

    /// The first and last days of a line left as it is (no price: it keeps its own).
    async fn line_days(&self, tx: &mut dyn Tx, item: &LineItem) -> Result<(Date, Date), AppError> {
        match item {
            LineItem::Room { stay, .. } => Ok((stay.check_in(), stay.check_out())),
            LineItem::Seats { departure_id, .. } => {
                let d = tx
                    .get_departure(*departure_id)
                    .await?
                    .ok_or(AppError::Internal("a booked departure is gone".into()))?;
                let package = tx
                    .get_package(d.departure.package_id)
                    .await?
                    .ok_or(AppError::Internal("a departure without its package".into()))?;
                Ok((
                    d.departure.date,
                    d.departure.return_date(package.package.days()),
                ))
            }
        }
    }

    /// The booking's lines after the change, each priced today if it changed (field names
    /// from `field_index`, the request's position of a line), with the changed lines kept
    /// where they were: another room of the same property, another departure of the same
    /// package.
    async fn price_change(
        &self,
        tx: &mut dyn Tx,
        current: &[BookingLine],
        after: &[LineItem],
        field_index: impl Fn(u32) -> usize,
    ) -> Result<Vec<Priced>, AppError> {
        let calendar = self
            .load_calendar(tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let mut priced = Vec::with_capacity(after.len());
        for (line, item) in current.iter().zip(after) {
            if line.item == *item {
                let (first_day, last_day) = self.line_days(tx, item).await?;
                priced.push(Priced {
                    item: item.clone(),
                    price_fen: line.price_fen,
                    first_day,
                    last_day,
                });
                continue;
            }
            let i = field_index(line.line_no);
            let (price_fen, first_day, last_day, _) =
                self.price_line(tx, i, item, &calendar).await?;
            self.same_place(tx, i, &line.item, item).await?;
            priced.push(Priced {
                item: item.clone(),
                price_fen,
                first_day,
                last_day,
            });
        }
        Ok(priced)
    }

    /// A room line stays in its property and a seats line in its package: a stay elsewhere
    /// or another tour is a new booking (its policy and documents are another product's).
    async fn same_place(
        &self,
        tx: &mut dyn Tx,
        i: usize,
        before: &LineItem,
        after: &LineItem,
    ) -> Result<(), AppError> {
        match (before, after) {
            (LineItem::Room { room_id: a, .. }, LineItem::Room { room_id: b, .. }) if a != b => {
                let (Some(a), Some(b)) = (tx.get_room(*a).await?, tx.get_room(*b).await?) else {
                    return Ok(());
                };
                if a.property_id != b.property_id {
                    return Err(AppError::field(
                        &format!("lines[{i}].room_id"),
                        "change.other_property",
                        "a change keeps the stay in its property: book the other one anew",
                    ));
                }
            }
            (
                LineItem::Seats {
                    departure_id: a, ..
                },
                LineItem::Seats {
                    departure_id: b, ..
                },
            ) if a != b => {
                let (Some(a), Some(b)) = (tx.get_departure(*a).await?, tx.get_departure(*b).await?)
                else {
                    return Ok(());
                };
                if a.departure.package_id != b.departure.package_id {
                    return Err(AppError::field(
                        &format!("lines[{i}].departure_id"),
                        "change.other_package",
                        "a change keeps the tour: another departure of the same package",
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The first changed line (by position) whose new inventory is not free now, counting the
    /// booking's own nights and seats as free to it. Reads only.
    async fn first_unavailable(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
        after: &[Priced],
    ) -> Result<Option<usize>, AppError> {
        // Seats per departure: what the booking holds now and would hold after.
        let mut own: HashMap<Uuid, u32> = HashMap::new();
        for l in &booking.lines {
            if let LineItem::Seats {
                departure_id,
                party,
            } = &l.item
            {
                *own.entry(*departure_id).or_default() += party.size();
            }
        }
        let mut wanted: HashMap<Uuid, u32> = HashMap::new();
        for (pos, (line, p)) in booking.lines.iter().zip(after).enumerate() {
            match &p.item {
                LineItem::Seats {
                    departure_id,
                    party,
                } => {
                    let w = wanted.entry(*departure_id).or_default();
                    *w += party.size();
                    if line.item == p.item {
                        continue;
                    }
                    let free = match tx.get_departure(*departure_id).await? {
                        Some(d) if !d.cancelled => {
                            d.seats_left() + own.get(departure_id).copied().unwrap_or(0)
                        }
                        _ => 0,
                    };
                    if *w > free {
                        return Ok(Some(pos));
                    }
                }
                LineItem::Room { room_id, stay } if line.item != p.item => {
                    let Some(room) = tx.get_room(*room_id).await? else {
                        return Ok(Some(pos));
                    };
                    let taken = tx
                        .room_nights(room.property_id, stay.check_in(), stay.check_out())
                        .await?
                        .into_iter()
                        .any(|n| {
                            n.room_id == *room_id
                                && stay.contains_night(n.night)
                                && n.used_by != NightUse::Booking(booking.id)
                        });
                    if taken {
                        return Ok(Some(pos));
                    }
                }
                LineItem::Room { .. } => {}
            }
        }
        Ok(None)
    }

    /// Quotes a change of a confirmed or changed booking (needs `make_bookings`): the lines
    /// as they are and as proposed, each priced, the fee (none) and the difference, checked
    /// against the inventory now (409 `sold_out` with alternatives when a new room-night or
    /// seat is taken). Stores the quote for [`QUOTE_VALID_FOR`]; takes no inventory.
    pub async fn quote_change(
        &self,
        principal: &Principal,
        booking_id: Uuid,
        changes: Vec<LineChange>,
    ) -> Result<QuotedChange, AppError> {
        principal.require(Permission::MakeBookings)?;
        if changes.len() > super::MAX_LINES {
            return Err(AppError::Validation(vec![FieldError::new(
                "lines",
                "count",
                format!("a booking has at most {} lines", super::MAX_LINES),
            )]));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let booking = self.load_for_step(&mut *tx, booking_id).await?;
        transition(
            booking.state,
            BookingStep::Change,
            &self.step_context(&booking),
        )
        .map_err(lifecycle_error)?;
        self.no_refund_owed(&mut *tx, &booking).await?;
        let items =
            apply_changes(&booking.lines, &changes).map_err(|e| change_error(e, &changes))?;
        let index = |n: u32| changes.iter().position(|c| c.line_no == n).unwrap_or(0);
        let after = self
            .price_change(&mut *tx, &booking.lines, &items, index)
            .await?;
        let q = quote(
            &booking.lines,
            booking.total_fen,
            &after,
            change_fee(booking.policy.as_ref()),
            QuoteContext {
                today: self.today(),
                starts_on: booking.starts_on,
                arrived: booking.arrived_at.is_some(),
            },
        )
        .map_err(|e| change_error(e, &changes))?;
        if let Some(pos) = self.first_unavailable(&mut *tx, &booking, &after).await? {
            drop(tx);
            let line = &booking.lines[pos];
            return Err(self.sold_out(index(line.line_no), &after[pos].item).await);
        }
        let settlement = q.settle(self.paid_and_kept(&mut *tx, &booking).await?);
        let record = ChangeQuoteRecord {
            id: Uuid::now_v7(),
            booking_id,
            quote: q,
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: now,
            expires_at: now + QUOTE_VALID_FOR,
            accepted_at: None,
            accepted_by: None,
        };
        tx.insert_change_quote(&record).await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingChangeQuoted,
            &booking,
            json!({
                "quote_id": record.id,
                "lines_changed": record.quote.changed_lines().count(),
                "old_total_fen": record.quote.old_total_fen,
                "new_total_fen": record.quote.new_total_fen,
                "difference_fen": record.quote.difference_fen,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(QuotedChange { record, settlement })
    }

    /// A booking's change quote, and what it would mean for the money paid now (needs
    /// `view_bookings`).
    pub async fn change_quote(
        &self,
        principal: &Principal,
        booking_id: Uuid,
        quote_id: Uuid,
    ) -> Result<QuotedChange, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let booking = self.load_for_step(&mut *tx, booking_id).await?;
        let record = tx
            .get_change_quote(quote_id)
            .await?
            .filter(|q| q.booking_id == booking_id)
            .ok_or(AppError::NotFound("change quote"))?;
        let settlement = record
            .quote
            .settle(self.paid_and_kept(&mut *tx, &booking).await?);
        Ok(QuotedChange { record, settlement })
    }

    /// The booking's latest quote still open (not accepted, not run out, made for the lines
    /// as they are), for its page (needs `view_bookings`).
    pub async fn open_change_quote(
        &self,
        principal: &Principal,
        booking: &Booking,
    ) -> Result<Option<QuotedChange>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let now = self.now();
        let mut tx = self.store.read().await?;
        let latest = tx
            .list_change_quotes(booking.id, 1)
            .await?
            .into_iter()
            .next();
        let Some(record) = latest.filter(|q| {
            q.accepted_at.is_none()
                && now < q.expires_at
                && q.quote.still_for(&booking.lines, booking.total_fen)
        }) else {
            return Ok(None);
        };
        let settlement = record
            .quote
            .settle(self.paid_and_kept(&mut *tx, booking).await?);
        Ok(Some(QuotedChange { record, settlement }))
    }

    /// Applies a quoted change the customer accepted (needs `make_bookings`), as quoted or not
    /// at all (module documentation).
    pub async fn accept_change(
        &self,
        principal: &Principal,
        booking_id: Uuid,
        quote_id: Uuid,
    ) -> Result<AppliedChange, AppError> {
        principal.require(Permission::MakeBookings)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut booking = self.load_for_step(&mut *tx, booking_id).await?;
        let mut record = tx
            .get_change_quote(quote_id)
            .await?
            .filter(|q| q.booking_id == booking_id)
            .ok_or(AppError::NotFound("change quote"))?;
        if record.accepted_at.is_some() {
            return Err(conflict(
                "change.quote_used",
                "this quote was accepted already",
            ));
        }
        if now >= record.expires_at {
            return Err(conflict(
                "change.quote_expired",
                format!(
                    "the quote ran out at {}: quote the change again",
                    record.expires_at
                ),
            ));
        }
        let ctx = self.step_context(&booking);
        let state =
            transition(booking.state, BookingStep::Change, &ctx).map_err(lifecycle_error)?;
        if !record.quote.still_for(&booking.lines, booking.total_fen) {
            return Err(conflict(
                "change.stale_quote",
                "the booking changed since it was quoted: quote the change again",
            ));
        }
        self.no_refund_owed(&mut *tx, &booking).await?;
        let before: Vec<BookingLine> = booking.lines.clone();
        let items: Vec<LineItem> = record.quote.lines.iter().map(|l| l.after.clone()).collect();
        let position = |n: u32| before.iter().position(|l| l.line_no == n).unwrap_or(0);
        let priced = self
            .price_change(&mut *tx, &before, &items, position)
            .await?;
        let moved = record.quote.price_moved(&priced);
        if !moved.is_empty() {
            let lines: Vec<String> = moved.iter().map(|(n, _, _)| n.to_string()).collect();
            return Err(conflict(
                "change.price_changed",
                format!(
                    "the price of line {} changed since the quote: quote the change again",
                    lines.join(", ")
                ),
            ));
        }
        let q = quote(
            &before,
            booking.total_fen,
            &priced,
            record.quote.fee_fen,
            QuoteContext {
                today: ctx.today,
                starts_on: booking.starts_on,
                arrived: booking.arrived_at.is_some(),
            },
        )
        .map_err(stale)?;

        // The booking first: its version makes this the one change (or step) of it now.
        let old_total = booking.total_fen;
        booking.state = state;
        booking.starts_on = q.starts_on;
        booking.ends_on = q.ends_on;
        booking.total_fen = q.new_total_fen;
        booking.updated_at = now;
        self.save_step(&mut *tx, &mut booking).await?;
        let freed = tx.release_inventory(booking.id).await?;
        booking.lines = q
            .lines
            .iter()
            .map(|l| BookingLine {
                line_no: l.line_no,
                item: l.after.clone(),
                price_fen: l.after_fen,
            })
            .collect();
        tx.replace_lines(booking.id, &booking.lines).await?;
        if let Some(pos) = super::take_inventory(&mut *tx, booking.id, &booking.lines).await? {
            drop(tx);
            return Err(self.sold_out(pos, &booking.lines[pos].item).await);
        }
        // Seats the booking holds again, per departure.
        let mut retaken: HashMap<Uuid, u32> = HashMap::new();
        for line in &booking.lines {
            if let LineItem::Seats {
                departure_id,
                party,
            } = &line.item
            {
                *retaken.entry(*departure_id).or_default() += party.size();
            }
        }
        let by = (!principal.user_id.is_nil()).then_some(principal.user_id);
        if !tx.accept_change_quote(record.id, by, now).await? {
            return Err(conflict(
                "change.quote_used",
                "this quote was accepted already",
            ));
        }
        record.accepted_at = Some(now);
        record.accepted_by = by;
        let paid = self.paid_and_kept(&mut *tx, &booking).await?;
        let settlement = q.settle(paid);
        let refund = match q.refund(paid, ctx.today) {
            Some(r) => Some(
                self.owe_refund(&mut *tx, principal, &booking, Cause::Change, r)
                    .await?,
            ),
            None => None,
        };
        // Seats the change gave up, per departure, go to the waitlists in order.
        let net_freed: Vec<(Uuid, u32)> = freed
            .into_iter()
            .filter_map(|(d, n)| {
                let kept = retaken.get(&d).copied().unwrap_or(0);
                (n > kept).then(|| (d, n - kept))
            })
            .collect();
        let offered = self.offer_to_waitlists(&mut *tx, &net_freed).await?;
        self.audit_step(
            &mut *tx,
            principal,
            AuditAction::BookingChanged,
            &booking,
            json!({
                "quote_id": record.id,
                "before": q.lines.iter().map(|l| line_summary(&l.before, l.before_fen)).collect::<Vec<_>>(),
                "after": q.lines.iter().map(|l| line_summary(&l.after, l.after_fen)).collect::<Vec<_>>(),
                "old_total_fen": old_total,
                "new_total_fen": booking.total_fen,
                "difference_fen": q.difference_fen,
                "fee_fen": q.fee_fen,
                "refund_fen": refund.as_ref().map(|r| r.refund.refund_fen),
                "waitlist_offered": offered,
            }),
        )
        .await?;
        self.publish_booking_event(&mut *tx, events::BOOKING_CHANGED, &booking)
            .await?;
        tx.commit().await?;
        Ok(AppliedChange {
            booking,
            record,
            settlement,
            refund,
        })
    }
}
