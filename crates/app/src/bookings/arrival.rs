//! Lodging arrival at the front desk (issue 14 item 9): guests arrive (到店), registration is
//! completed within 5 minutes (完成登记, the SLA target `checkin.registration`), the welcome
//! pack is given (欢迎礼包) — by the rules of `tripdesk_domain::bookings::lifecycle::arrival` —
//! and the front desk's list of a day's arrivals at a property.
//!
//! Each step writes the booking conditionally on the version it read (as the other steps of
//! [`super::steps`] do), starts or stops the registration clock on subject
//! `("booking", id)`, appends its audit entry and publishes its `booking.*` webhook event, all
//! in one transaction.

use super::clocks::{latest_clock, BOOKING_SUBJECT};
use crate::page::Page;
use crate::sla::ClockAction;
use crate::{App, AppError, Principal};
use jiff::civil::Date;
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{
    ArrivalAction, ArrivalEffect, ArrivalError, ArrivalFacts, ArrivalStep, REGISTRATION_TARGET,
};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::events;
use tripdesk_store::{Booking, LineItem, Property, SlaClockFilter, SlaClockRecord, Tx};
use uuid::Uuid;

/// A booking's arrival as the front desk sees it.
#[derive(Debug, Clone)]
pub struct ArrivalStatus {
    pub booking: Booking,
    pub facts: ArrivalFacts,
    /// The registration clock: the latest started on the booking, if any (none before the
    /// arrival, or when the policy was disabled at the time).
    pub clock: Option<SlaClockRecord>,
    /// The steps the rules allow now and the principal may take.
    pub allowed: Vec<ArrivalStep>,
}

/// One booking of a day's arrivals.
#[derive(Debug, Clone)]
pub struct ArrivalRow {
    pub status: ArrivalStatus,
    /// The labels of its rooms checking in that day, in grid order.
    pub rooms: Vec<String>,
    /// The booker's name, for a principal who may see customers.
    pub guest: Option<String>,
}

/// A day's arrivals at a property.
#[derive(Debug, Clone)]
pub struct Arrivals {
    pub property: Property,
    /// Every property, for the page's chooser.
    pub properties: Vec<Property>,
    pub day: Date,
    pub page: Page<ArrivalRow>,
}

/// An arrival rule's refusal as the API's 409, with the rule's code.
fn arrival_error(e: ArrivalError) -> AppError {
    AppError::Conflict {
        code: e.code(),
        message: e.to_string(),
        field: None,
    }
}

/// What the arrival rules look at on a booking.
pub fn arrival_facts(b: &Booking) -> ArrivalFacts {
    ArrivalFacts {
        state: b.state,
        span: ArrivalFacts::span_of(b.lines.iter().filter_map(|l| match &l.item {
            LineItem::Room { stay, .. } => Some(*stay),
            LineItem::Seats { .. } => None,
        })),
        arrived_at: b.arrived_at,
        registered_at: b.registered_at,
        welcome_pack_at: b.welcome_pack_at,
    }
}

impl App {
    fn arrival_status(
        &self,
        principal: &Principal,
        booking: Booking,
        clock: Option<SlaClockRecord>,
    ) -> ArrivalStatus {
        let facts = arrival_facts(&booking);
        let allowed = if principal.can(Permission::MakeBookings) {
            facts.allowed(self.today())
        } else {
            Vec::new()
        };
        ArrivalStatus {
            booking,
            facts,
            clock,
            allowed,
        }
    }

    /// Takes an arrival step on a booking in one transaction: the rule, the booking written
    /// back, the clock, the audit entry and the webhook event.
    async fn arrival_step(
        &self,
        principal: &Principal,
        id: Uuid,
        action: ArrivalAction,
    ) -> Result<ArrivalStatus, AppError> {
        principal.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let mut booking = tx
            .get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        let now = self.now();
        let next = arrival_facts(&booking)
            .apply(action, now, self.today())
            .map_err(arrival_error)?;
        booking.arrived_at = next.arrived_at;
        booking.registered_at = next.registered_at;
        booking.welcome_pack_at = next.welcome_pack_at;
        booking.updated_at = now;
        self.save_step(&mut *tx, &mut booking).await?;
        let clock = match action.step().effect() {
            ArrivalEffect::StartClock(target) => {
                self.start_booking_clock(&mut *tx, principal, &booking, target)
                    .await?
            }
            ArrivalEffect::MeetClock(_) => {
                self.stop_booking_clock(&mut *tx, booking.id, REGISTRATION_TARGET)
                    .await?
            }
        };
        let (audited, event, extra) = match action {
            ArrivalAction::Arrive => (
                AuditAction::BookingArrived,
                events::BOOKING_ARRIVED,
                json!({ "registration_due_at": clock.as_ref().map(|c| c.clock.due_at().to_string()) }),
            ),
            ArrivalAction::Register { welcome_pack } => (
                AuditAction::BookingRegistered,
                events::BOOKING_REGISTERED,
                json!({
                    "welcome_pack": welcome_pack,
                    "registration_clock": clock.as_ref().map(|c| c.clock.state().as_str()),
                }),
            ),
        };
        self.audit_step(&mut *tx, principal, audited, &booking, extra)
            .await?;
        self.publish_booking_event(&mut *tx, event, &booking)
            .await?;
        tx.commit().await?;
        Ok(self.arrival_status(principal, booking, clock))
    }

    /// Closes the registration clock of a booking that closes (cancelled or completed) with
    /// its guests arrived but never registered: the clock cannot be met without a
    /// registration, so it is cancelled — unless it is already late, when it is stopped and
    /// the breach stays on record. Without this the clock would run on a closed booking.
    pub(super) async fn close_registration_clock(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<(), AppError> {
        if booking.arrived_at.is_none() || booking.registered_at.is_some() {
            return Ok(());
        }
        let Some(c) = self
            .booking_clock_of(tx, booking.id, REGISTRATION_TARGET)
            .await?
        else {
            return Ok(());
        };
        if c.clock.stopped_at().is_some() {
            return Ok(());
        }
        let action = if self.now() < c.clock.due_at() {
            ClockAction::Cancel
        } else {
            ClockAction::Stop
        };
        match self.sla_clock_action(tx, c.id, action).await {
            // Due between the look and the cancel: a breach cannot be cancelled away.
            Err(_) if action == ClockAction::Cancel => {
                self.sla_clock_action(tx, c.id, ClockAction::Stop).await?;
            }
            other => {
                other?;
            }
        }
        Ok(())
    }

    /// 到店: the guests of a confirmed room booking are at the front desk (from the check-in
    /// day until the day before check-out); starts the 5-minute registration clock. Needs
    /// `make_bookings`; refused with a 409 naming the rule otherwise.
    pub async fn record_arrival(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<ArrivalStatus, AppError> {
        self.arrival_step(principal, id, ArrivalAction::Arrive)
            .await
    }

    /// 完成登记: registration completed after the arrival, with the welcome pack given or
    /// not; meets the registration clock (or stops it breached). Needs `make_bookings`.
    pub async fn complete_registration(
        &self,
        principal: &Principal,
        id: Uuid,
        welcome_pack: bool,
    ) -> Result<ArrivalStatus, AppError> {
        self.arrival_step(principal, id, ArrivalAction::Register { welcome_pack })
            .await
    }

    /// A booking's arrival: the facts, the registration clock and the steps allowed now.
    pub async fn booking_arrival(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<ArrivalStatus, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let booking = tx
            .get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        let clock = self
            .booking_clock_of(&mut *tx, id, REGISTRATION_TARGET)
            .await?;
        Ok(self.arrival_status(principal, booking, clock))
    }

    /// The bookings checking in on `day` at `property_id` (the first property by name when
    /// `None`), arrived or not, with their registration clocks: the front desk's list, in the
    /// grid's order of rooms, `limit` from `offset`. `Ok(None)` when there is no property.
    /// Reads a page in a fixed number of queries, whatever its length (one more per guest
    /// name, for those who may see customers).
    pub async fn arrivals(
        &self,
        principal: &Principal,
        property_id: Option<Uuid>,
        day: Date,
        limit: u32,
        offset: u64,
    ) -> Result<Option<Arrivals>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let properties = tx.list_properties(200, 0).await?;
        let property = match property_id {
            Some(id) => tx.get_property(id).await?.ok_or_else(|| {
                AppError::field("property_id", "unknown", "no property has this id")
            })?,
            None => match properties.first() {
                Some(p) => p.clone(),
                None => return Ok(None),
            },
        };
        let rows = tx
            .list_arrivals(property.id, day, Page::<()>::fetch_limit(limit), offset)
            .await?;
        let page = Page::of(rows, limit);
        let rooms: HashMap<Uuid, (i64, String)> = tx
            .list_rooms(Some(property.id), 10_000, 0)
            .await?
            .into_iter()
            .map(|r| (r.id, (r.position, r.label)))
            .collect();
        let mut clocks: HashMap<String, Vec<SlaClockRecord>> = HashMap::new();
        if !page.items.is_empty() {
            for c in tx
                .list_sla_clocks(&SlaClockFilter {
                    target_key: Some(REGISTRATION_TARGET.into()),
                    subject_type: Some(BOOKING_SUBJECT.into()),
                    subject_ids: page.items.iter().map(|b| b.id.to_string()).collect(),
                    ..Default::default()
                })
                .await?
            {
                clocks.entry(c.subject_id.clone()).or_default().push(c);
            }
        }
        let see_guests = principal.can(Permission::ViewCustomers);
        let mut out = Vec::with_capacity(page.items.len());
        for booking in page.items {
            let mut labels: Vec<&(i64, String)> = booking
                .lines
                .iter()
                .filter_map(|l| match &l.item {
                    LineItem::Room { room_id, stay } if stay.check_in() == day => {
                        rooms.get(room_id)
                    }
                    _ => None,
                })
                .collect();
            labels.sort();
            let guest = if see_guests {
                tx.get_customer(booking.customer_id)
                    .await?
                    .filter(|c| c.erased_at.is_none())
                    .map(|c| c.name)
            } else {
                None
            };
            let clock = latest_clock(
                clocks.remove(&booking.id.to_string()).unwrap_or_default(),
                REGISTRATION_TARGET,
            );
            out.push(ArrivalRow {
                rooms: labels.into_iter().map(|(_, l)| l.clone()).collect(),
                guest,
                status: self.arrival_status(principal, booking, clock),
            });
        }
        Ok(Some(Arrivals {
            property,
            properties,
            day,
            page: Page {
                items: out,
                more: page.more,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use tripdesk_domain::bookings::{BookingState, Stay};
    use tripdesk_store::BookingLine;

    #[test]
    fn the_facts_of_a_booking_span_its_rooms_only() {
        let stay = |a, b| Stay::new(a, b).unwrap();
        let b = Booking {
            id: Uuid::nil(),
            customer_id: Uuid::nil(),
            state: BookingState::Confirmed,
            hold_kind: None,
            hold_expires_at: None,
            confirmation_no: None,
            starts_on: date(2027, 5, 1),
            ends_on: date(2027, 5, 9),
            total_fen: 0,
            paid_fen: 0,
            policy: None,
            ticket_id: None,
            created_by: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            confirmed_at: None,
            closed_at: None,
            arrived_at: None,
            registered_at: None,
            welcome_pack_at: None,
            version: 1,
            lines: vec![
                BookingLine {
                    line_no: 1,
                    item: LineItem::Seats {
                        departure_id: Uuid::nil(),
                        party: Default::default(),
                    },
                    price_fen: 0,
                },
                BookingLine {
                    line_no: 2,
                    item: LineItem::Room {
                        room_id: Uuid::nil(),
                        stay: stay(date(2027, 5, 3), date(2027, 5, 5)),
                    },
                    price_fen: 0,
                },
            ],
            travelers: vec![],
        };
        assert_eq!(
            arrival_facts(&b).span,
            Some((date(2027, 5, 3), date(2027, 5, 5))),
            "the tour's dates are not the stay's"
        );
        let tour = Booking {
            lines: b.lines[..1].to_vec(),
            ..b
        };
        assert_eq!(arrival_facts(&tour).span, None);
    }
}
