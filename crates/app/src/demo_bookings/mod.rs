//! Demo catalog and bookings (issue 14 item 11): the agency's 20 packages with 200
//! departures and the homestay's 12 rooms ([`catalog`], [`packages`]), then about 1,000
//! bookings from three months ago to six months ahead ([`plan`]) — tours with their
//! travelers, stays — with payments, refunds of cancelled confirmed ones, holds with their
//! expiry jobs, and about 5 % linked to the demo tickets.
//!
//! Every booking, past or coming, is written straight through the store ports, 100 to a
//! transaction, not through [`App::create_booking`]: that use case refuses a start in the
//! past, stamps every booking "now" (a booking for next month was made weeks ago), and
//! publishes a `booking.created` webhook event for each — a thousand fake events on a demo
//! server — one transaction per booking. What it guarantees is kept: customers and
//! travelers are found or created sealed through the intake path (blind index, audit
//! entry), lines are priced by the domain on the office calendar, inventory is taken by the
//! same `take_seats` / `take_room_nights` the database arbitrates (a refusal is a bug in
//! this generator and fails the seeding), and a held booking gets its [`ExpireHold`] job.

mod catalog;
mod packages;
mod plan;
mod policies;

use crate::bookings::{ExpireHold, ExpirePayload};
use crate::customers::{DocumentInput, IntakeCustomer, NewCustomer};
use crate::demo_desk::Lcg;
use crate::{App, AppError, Principal};
use plan::{child, person, Draft, Gen, Plan, Priced, TicketPool, Who, PEOPLE};
use std::collections::HashMap;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::calendar::{china_time_zone, Calendar};
use tripdesk_domain::catalog::TravelerCategory;
use tripdesk_domain::desk::TicketKind;
use tripdesk_store::{Booking, TicketFilter, Traveler, Tx, UserFilter};
use uuid::Uuid;

/// Bookings the demo aims at (one may be skipped when no inventory fits it).
pub const DEMO_BOOKINGS: usize = 1000;
/// Bookings written per transaction.
const BATCH: usize = 100;
const SOURCES: &[&str] = &["phone", "web", "ota", "walk_in", "referral"];

impl App {
    /// Adds the demo catalog and bookings (see the module comment). Needs the demo staff
    /// and tickets; `seed_demo` calls it once, on a fresh organisation.
    pub async fn seed_demo_bookings(&self) -> Result<(), AppError> {
        let now = self.now();
        let today = self.today();
        let (staff, tickets, calendar) = {
            let mut tx = self.store.read().await?;
            let users = tx
                .list_users(&UserFilter {
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            let tickets = tx
                .list_tickets(&TicketFilter {
                    limit: 10_000,
                    ..Default::default()
                })
                .await?;
            let calendar = self
                .load_calendar(&mut *tx, Calendar::CHINA_MAINLAND_OFFICE)
                .await?;
            (users, tickets, calendar)
        };
        let who = |name: &str| {
            staff
                .iter()
                .find(|u| u.username == name)
                .map(|u| Principal::of(u, crate::auth::Credential::Console))
                .ok_or(AppError::NotFound("demo user"))
        };
        // Agents book tours; the homestay's front desk books its rooms.
        let agents = [who("li.na")?, who("chen.jing")?];
        let front_desk = who("zheng.hui")?;
        let mut linked = TicketPool::new();
        for t in &tickets {
            let homestay = matches!(
                t.business_area.as_deref(),
                Some("housekeeping" | "food_beverage")
            );
            // Complaints and feedback are about a trip taken; inquiries about one to come.
            let past = t.kind != TicketKind::Inquiry;
            linked
                .entry((homestay, past))
                .or_default()
                .0
                .push((t.id, t.customer_id));
        }

        let catalog = {
            let mut tx = self.store.write().await?;
            let catalog = self.write_demo_catalog(&mut *tx, today).await?;
            tx.commit().await?;
            catalog
        };
        self.seed_demo_policies(&catalog, today).await?;
        let mut g = Gen {
            rng: Lcg(20261203),
            zone: china_time_zone(),
            today,
            now,
            seats_taken: vec![0; catalog.departures.len()],
            nights: catalog.blocked.clone(),
            catalog,
            customers: HashMap::new(),
            calendar,
            tickets: linked,
            references: 0,
        };
        for batch in 0..DEMO_BOOKINGS.div_ceil(BATCH) {
            let mut tx = self.store.write().await?;
            for i in batch * BATCH..((batch + 1) * BATCH).min(DEMO_BOOKINGS) {
                let Some(draft) = g.draft()? else {
                    continue;
                };
                let by = match draft.plan {
                    Plan::Tour { .. } => &agents[i % agents.len()],
                    Plan::Rooms { .. } => &front_desk,
                };
                self.write_demo_booking(&mut *tx, &mut g, by, draft).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// A customer of the demo, found through the blind index or created sealed with its
    /// audit entry (the path a booking's customer and travelers take).
    async fn demo_customer(
        &self,
        tx: &mut dyn Tx,
        g: &mut Gen,
        principal: &Principal,
        who: Who,
    ) -> Result<Uuid, AppError> {
        if let Some(id) = g.customers.get(&who) {
            return Ok(*id);
        }
        let prepared = match who {
            Who::Person(ix) => {
                let (name, phone) = person(ix);
                let intake = IntakeCustomer {
                    name,
                    phone: Some(phone),
                    email: None,
                };
                self.prepare_intake_customer(&intake, SOURCES[(ix % 5) as usize])
                    .map_err(AppError::Validation)?
                    .ok_or(AppError::Internal("demo customer without a phone".into()))?
            }
            Who::Child(ix, n) => {
                let (name, number) = child(ix, n)?;
                self.prepare_customer(&NewCustomer {
                    name,
                    documents: vec![DocumentInput {
                        field: "resident_id".into(),
                        kind: "resident_id".into(),
                        number,
                    }],
                    source_channel: Some("phone".into()),
                    ..Default::default()
                })
                .map_err(AppError::Validation)?
            }
        };
        let id = self
            .find_or_create_customer(tx, principal, prepared)
            .await?;
        g.customers.insert(who, id);
        Ok(id)
    }

    /// The travelers of a tour: the booker, then companions (the people after the booker
    /// in the demo's list: a family or a group of friends) and the booker's children.
    async fn demo_travelers(
        &self,
        tx: &mut dyn Tx,
        g: &mut Gen,
        by: &Principal,
        d: &Draft,
        booker: Uuid,
    ) -> Result<Vec<Traveler>, AppError> {
        let Plan::Tour { party, .. } = d.plan else {
            return Ok(Vec::new());
        };
        let lead = if party.adults > 0 {
            TravelerCategory::Adult
        } else {
            TravelerCategory::Senior
        };
        let mut travelers = vec![Traveler {
            customer_id: booker,
            category: lead,
        }];
        let mut who = Vec::new();
        let mut next = d.booker;
        let others = [
            (party.adults.saturating_sub(1), TravelerCategory::Adult),
            (
                party.seniors - u32::from(lead == TravelerCategory::Senior),
                TravelerCategory::Senior,
            ),
        ];
        for (n, category) in others {
            for _ in 0..n {
                next = (next + 1) % PEOPLE;
                who.push((Who::Person(next), category));
            }
        }
        for n in 0..u64::from(party.children) {
            who.push((Who::Child(d.booker, n), TravelerCategory::Child));
        }
        for (w, category) in who {
            let customer_id = self.demo_customer(tx, g, by, w).await?;
            travelers.push(Traveler {
                customer_id,
                category,
            });
        }
        Ok(travelers)
    }

    /// Finds the draft's customers, prices it and writes it in `tx` with its inventory,
    /// payments, refund and hold-expiry job.
    async fn write_demo_booking(
        &self,
        tx: &mut dyn Tx,
        g: &mut Gen,
        by: &Principal,
        d: Draft,
    ) -> Result<(), AppError> {
        // A booking linked to a ticket is the ticket's customer's.
        let booker = match d.ticket.and_then(|(_, customer)| customer) {
            Some(id) => id,
            None => self.demo_customer(tx, g, by, Who::Person(d.booker)).await?,
        };
        let travelers = self.demo_travelers(tx, g, by, &d, booker).await?;
        let Priced {
            lines,
            scopes,
            first_night,
        } = g.price(&d.plan)?;
        let mut booking = Booking {
            id: Uuid::now_v7(),
            customer_id: booker,
            state: d.state,
            hold_kind: None,
            hold_expires_at: None,
            confirmation_no: None,
            starts_on: d.start,
            ends_on: d.end,
            total_fen: lines.iter().map(|l| l.price_fen).sum(),
            paid_fen: 0,
            policy: None,
            ticket_id: d.ticket.map(|(t, _)| t),
            created_by: Some(by.user_id),
            created_at: d.created,
            updated_at: d.created,
            confirmed_at: d.confirmed_at,
            closed_at: None,
            arrived_at: None,
            registered_at: None,
            welcome_pack_at: None,
            version: 1,
            lines,
            travelers,
        };
        g.settle(&mut booking, &d, &scopes);
        let (payments, refund) = g.money(&mut booking, &d, first_night, by.user_id)?;

        tx.insert_booking(&booking).await?;
        self.index_booking(&mut *tx, &booking).await?;
        if d.state.holds_inventory() {
            match &d.plan {
                Plan::Tour { dep, party } => {
                    if !tx
                        .take_seats(g.catalog.departures[*dep].id, party.size())
                        .await?
                    {
                        return Err(AppError::Internal("demo: a departure oversold".into()));
                    }
                    g.seats_taken[*dep] += party.size();
                }
                Plan::Rooms { rooms, stay } => {
                    for r in rooms {
                        let room = g.catalog.rooms[*r].id;
                        if !tx.take_room_nights(booking.id, room, *stay).await? {
                            return Err(AppError::Internal("demo: a room-night sold twice".into()));
                        }
                        g.nights.extend(stay.night_dates().map(|n| (*r, n)));
                    }
                }
            }
        }
        for payment in &payments {
            tx.insert_payment(payment).await?;
        }
        if let Some(refund) = &refund {
            tx.insert_refund(refund).await?;
        }
        if let (BookingState::Held, Some((_, at))) = (d.state, d.hold) {
            self.enqueue_job::<ExpireHold>(
                tx,
                &ExpirePayload {
                    booking_id: booking.id,
                },
                at,
                Some(&format!("booking_hold:{}", booking.id)),
            )
            .await?;
        }
        Ok(())
    }
}
