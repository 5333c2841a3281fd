//! Conformance checks of the booking repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! bookings_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            bookings_round_trip, last_room_night_goes_to_one_booking, last_seats_go_to_one_party,
            released_inventory_is_free_again, payments_refunds_and_waitlist,
            arrivals_of_a_day_at_a_property, a_change_moves_lines_and_inventory,
            two_changes_race_for_the_last_room_night);
    };
}

use crate::catalog::conformance::{sample_departure, sample_package, sample_property};
use crate::conformance::{futures_join_all, sample_customer, t};
use crate::*;
use jiff::civil::{date, Date};
use jiff::Timestamp;
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::bookings::{
    compute_refund, BookingState, CancellationPolicy, Cause, HoldKind, PolicyTerms, RefundCase,
    Stay, TourTerms, TripScope,
};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use uuid::Uuid;

async fn new_customer(store: &dyn Store) -> Uuid {
    let customer = sample_customer("王**");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&customer).await.unwrap();
    tx.commit().await.unwrap();
    customer.id
}

/// A held booking of `customer` with `lines`, created at `now`.
pub fn sample_booking(customer_id: Uuid, lines: Vec<BookingLine>, now: Timestamp) -> Booking {
    let (mut starts, mut ends) = (Date::MAX, Date::MIN);
    for line in &lines {
        let (s, e) = match &line.item {
            LineItem::Room { stay, .. } => (stay.check_in(), stay.check_out()),
            LineItem::Seats { .. } => (date(2026, 8, 1), date(2026, 8, 2)),
        };
        starts = starts.min(s);
        ends = ends.max(e);
    }
    Booking {
        id: Uuid::now_v7(),
        customer_id,
        state: BookingState::Held,
        hold_kind: Some(HoldKind::Checkout),
        hold_expires_at: Some(now + jiff::SignedDuration::from_mins(15)),
        confirmation_no: None,
        starts_on: starts,
        ends_on: ends,
        total_fen: lines.iter().map(|l| l.price_fen).sum(),
        paid_fen: 0,
        policy: None,
        ticket_id: None,
        created_by: None,
        created_at: now,
        updated_at: now,
        confirmed_at: None,
        closed_at: None,
        arrived_at: None,
        registered_at: None,
        welcome_pack_at: None,
        version: 1,
        lines,
        travelers: vec![Traveler {
            customer_id,
            category: TravelerCategory::Adult,
        }],
    }
}

fn room_line(room_id: Uuid, check_in: Date, check_out: Date) -> BookingLine {
    BookingLine {
        line_no: 1,
        item: LineItem::Room {
            room_id,
            stay: Stay::new(check_in, check_out).unwrap(),
        },
        price_fen: 96_000,
    }
}

/// A committed held booking of `room_id` for a stay; returns its id.
pub async fn sample_booking_for_room(
    store: &dyn Store,
    room_id: Uuid,
    check_in: Date,
    check_out: Date,
) -> Uuid {
    let customer = new_customer(store).await;
    let booking = sample_booking(
        customer,
        vec![room_line(room_id, check_in, check_out)],
        t("2026-06-01T02:00:00Z"),
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_booking(&booking).await.unwrap();
    let stay = Stay::new(check_in, check_out).unwrap();
    assert!(tx
        .take_room_nights(booking.id, room_id, stay)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    booking.id
}

fn domestic_policy() -> CancellationPolicy {
    CancellationPolicy {
        name: "国内团队游示范合同".into(),
        effective_from: date(2026, 1, 1),
        terms: PolicyTerms::Tour(TourTerms::model_2014(TripScope::Domestic)),
    }
}

/// A booking with a room line and a seats line reads back whole, by id, by confirmation
/// number and in lists; updates are conditional on the version.
pub async fn bookings_round_trip(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let package = sample_package("大理丽江五日游");
    let departure = sample_departure(package.package.id, date(2026, 8, 1), 20);
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let customer = new_customer(store).await;
    let companion = new_customer(store).await;
    let now = t("2026-06-01T02:00:00Z");
    let party = Party {
        adults: 1,
        children: 1,
        seniors: 0,
    };
    let mut booking = sample_booking(
        customer,
        vec![
            room_line(rooms[0].id, date(2026, 7, 30), date(2026, 8, 1)),
            BookingLine {
                line_no: 2,
                item: LineItem::Seats {
                    departure_id: departure.id,
                    party,
                },
                price_fen: 196_000,
            },
        ],
        now,
    );
    booking.travelers.push(Traveler {
        customer_id: companion,
        category: TravelerCategory::Child,
    });
    let mut tx = store.write().await.unwrap();
    tx.insert_booking(&booking).await.unwrap();
    assert!(tx.take_seats(departure.id, party.size()).await.unwrap());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_booking(booking.id).await.unwrap(),
        Some(booking.clone())
    );
    assert_eq!(
        r.get_departure(departure.id).await.unwrap().unwrap().taken,
        2
    );
    drop(r);

    let mut confirmed = booking.clone();
    confirmed.state = BookingState::Confirmed;
    confirmed.hold_kind = None;
    confirmed.hold_expires_at = None;
    confirmed.confirmation_no = Some("TD2606AB12".into());
    confirmed.policy = Some(domestic_policy());
    confirmed.confirmed_at = Some(now);
    confirmed.paid_fen = 292_000;
    confirmed.arrived_at = Some(t("2026-07-30T07:00:00Z"));
    confirmed.registered_at = Some(t("2026-07-30T07:04:00Z"));
    confirmed.welcome_pack_at = confirmed.registered_at;
    let mut tx = store.write().await.unwrap();
    assert!(tx.update_booking(&confirmed, 1).await.unwrap());
    assert!(
        !tx.update_booking(&confirmed, 1).await.unwrap(),
        "stale version"
    );
    tx.commit().await.unwrap();
    confirmed.version = 2;

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_booking_by_confirmation("TD2606AB12").await.unwrap(),
        Some(confirmed.clone())
    );
    let mine = r
        .list_bookings(&BookingFilter {
            customer_id: Some(customer),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine, vec![confirmed.clone()]);
    let held = r
        .list_bookings(&BookingFilter {
            customer_id: Some(customer),
            state: Some(BookingState::Held),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(held.is_empty());
    drop(r);

    let mut twin = sample_booking(customer, vec![], now);
    twin.starts_on = date(2026, 9, 1);
    twin.ends_on = date(2026, 9, 2);
    twin.confirmation_no = Some("TD2606AB12".into());
    let mut tx = store.write().await.unwrap();
    let refused = match tx.insert_booking(&twin).await {
        Err(e) => Err(e),
        Ok(()) => tx.commit().await,
    };
    assert!(
        matches!(refused, Err(StoreError::Duplicate { .. })),
        "{refused:?}"
    );
}

/// Many transactions race for the same room-night: exactly one takes it.
pub async fn last_room_night_goes_to_one_booking(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let room = rooms[0].id;
    let mut customers = Vec::new();
    for _ in 0..12 {
        customers.push(new_customer(store).await);
    }
    let wins = AtomicUsize::new(0);
    let now = t("2026-06-01T02:00:00Z");
    let attempt = |customer: Uuid| {
        let wins = &wins;
        async move {
            let line = room_line(room, date(2026, 10, 2), date(2026, 10, 4));
            let booking = sample_booking(customer, vec![line], now);
            let mut tx = store.write().await.unwrap();
            tx.insert_booking(&booking).await.unwrap();
            tokio::task::yield_now().await;
            let stay = Stay::new(date(2026, 10, 2), date(2026, 10, 4)).unwrap();
            if tx.take_room_nights(booking.id, room, stay).await.unwrap() {
                tx.commit().await.unwrap();
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all(customers.iter().map(|c| attempt(*c)).collect()).await;
    assert_eq!(
        wins.load(Ordering::SeqCst),
        1,
        "one booking gets the nights"
    );
    let mut r = store.read().await.unwrap();
    let held = r
        .list_rooms(Some(rooms[0].property_id), 10, 0)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let nights = r
        .room_nights(rooms[0].property_id, date(2026, 10, 1), date(2026, 10, 31))
        .await
        .unwrap();
    assert_eq!(nights.len(), 2, "the 2nd and 3rd of October, once each");
}

/// Seats are taken up to the departure's capacity and never beyond, under a race.
pub async fn last_seats_go_to_one_party(store: &dyn Store) {
    let package = sample_package("张家界三日游");
    let departure = sample_departure(package.package.id, date(2026, 9, 10), 5);
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    assert!(tx.take_seats(departure.id, 3).await.unwrap());
    assert!(!tx.take_seats(departure.id, 3).await.unwrap(), "3 + 3 > 5");
    assert!(
        !tx.take_seats(Uuid::now_v7(), 1).await.unwrap(),
        "no such departure"
    );
    tx.commit().await.unwrap();
    let wins = AtomicUsize::new(0);
    let attempt = || {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            tokio::task::yield_now().await;
            if tx.take_seats(departure.id, 1).await.unwrap() {
                tx.commit().await.unwrap();
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all((0..10).map(|_| attempt()).collect()).await;
    assert_eq!(wins.load(Ordering::SeqCst), 2, "the last two seats");
    let mut r = store.read().await.unwrap();
    let d = r.get_departure(departure.id).await.unwrap().unwrap();
    assert_eq!((d.taken, d.seats_left()), (5, 0));
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .cancel_departure(departure.id, package.created_at)
        .await
        .unwrap());
    tx.commit().await.unwrap();
}

/// Releasing a booking's inventory frees its nights and seats for the next booking.
pub async fn released_inventory_is_free_again(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 1).await;
    let room = rooms[0].id;
    let first = sample_booking_for_room(store, room, date(2026, 11, 1), date(2026, 11, 3)).await;
    let package = sample_package("婺源三日游");
    let departure = sample_departure(package.package.id, date(2026, 11, 10), 4);
    let customer = new_customer(store).await;
    let party = Party {
        adults: 2,
        children: 0,
        seniors: 2,
    };
    let seats = sample_booking(
        customer,
        vec![BookingLine {
            line_no: 1,
            item: LineItem::Seats {
                departure_id: departure.id,
                party,
            },
            price_fen: 400_000,
        }],
        t("2026-06-01T02:00:00Z"),
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    tx.insert_booking(&seats).await.unwrap();
    assert!(tx.take_seats(departure.id, 4).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.release_inventory(first).await.unwrap(), vec![]);
    assert_eq!(
        tx.release_inventory(seats.id).await.unwrap(),
        vec![(departure.id, 4)]
    );
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert!(r
        .room_nights(property.id, date(2026, 11, 1), date(2026, 11, 30))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        r.get_departure(departure.id).await.unwrap().unwrap().taken,
        0
    );
    drop(r);
    sample_booking_for_room(store, room, date(2026, 11, 2), date(2026, 11, 5)).await;
}

/// Payments are unique per method and reference; a refund is marked paid once; the
/// waitlist keeps its order and offers each party once.
pub async fn payments_refunds_and_waitlist(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let booking =
        sample_booking_for_room(store, rooms[0].id, date(2026, 12, 1), date(2026, 12, 2)).await;
    let now = t("2026-06-02T03:00:00Z");
    let payment = Payment {
        id: Uuid::now_v7(),
        booking_id: booking,
        method: PaymentMethod::WechatPay,
        amount_fen: 96_000,
        reference: Some("4200001234202606020001".into()),
        recorded_by: None,
        recorded_at: now,
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_payment(&payment).await.unwrap();
    tx.commit().await.unwrap();
    let mut again = payment.clone();
    again.id = Uuid::now_v7();
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_payment(&again).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);

    let case = RefundCase {
        total_fen: 96_000,
        paid_fen: 96_000,
        first_night_fen: Some(96_000),
        starts_on: date(2026, 12, 1),
        cancelled_on: date(2026, 11, 28),
    };
    let refund = RefundRecord {
        id: Uuid::now_v7(),
        booking_id: booking,
        cause: Cause::Customer,
        refund: compute_refund(&domestic_policy().terms, &case, &Cause::Customer).unwrap(),
        due_at: t("2026-12-04T16:00:00Z"),
        created_at: now,
        paid_at: None,
        payment_id: None,
    };
    let back = Payment {
        id: Uuid::now_v7(),
        amount_fen: -refund.refund.refund_fen,
        reference: None,
        ..payment.clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_refund(&refund).await.unwrap();
    tx.insert_payment(&back).await.unwrap();
    assert!(tx.mark_refund_paid(refund.id, back.id, now).await.unwrap());
    assert!(!tx.mark_refund_paid(refund.id, back.id, now).await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.list_payments(booking).await.unwrap(),
        vec![payment, back.clone()]
    );
    let refunds = r.list_refunds(booking).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].refund, refund.refund);
    assert_eq!(
        (refunds[0].paid_at, refunds[0].payment_id),
        (Some(now), Some(back.id))
    );
    drop(r);

    let package = sample_package("九寨沟四日游");
    let departure = sample_departure(package.package.id, date(2026, 10, 20), 2);
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut entries = Vec::new();
    for i in 0..3 {
        let entry = WaitlistEntryRecord {
            id: Uuid::now_v7(),
            departure_id: departure.id,
            customer_id: new_customer(store).await,
            party: Party {
                adults: 1 + i,
                children: 0,
                seniors: 0,
            },
            joined_at: now + jiff::SignedDuration::from_mins(i64::from(i)),
            offered_at: None,
        };
        let mut tx = store.write().await.unwrap();
        tx.join_waitlist(&entry).await.unwrap();
        tx.commit().await.unwrap();
        entries.push(entry);
    }
    let mut tx = store.write().await.unwrap();
    assert!(tx.mark_waitlist_offered(entries[1].id, now).await.unwrap());
    assert!(!tx.mark_waitlist_offered(entries[1].id, now).await.unwrap());
    tx.commit().await.unwrap();
    entries[1].offered_at = Some(now);
    let mut r = store.read().await.unwrap();
    assert_eq!(r.list_waitlist(departure.id).await.unwrap(), entries);
    assert_eq!(
        r.waitlist_counts(&[departure.id, Uuid::now_v7()])
            .await
            .unwrap(),
        vec![(departure.id, 2)],
        "offered parties no longer count as waiting"
    );
    drop(r);
    // A customer waits once: a second entry while the first waits is a duplicate; once
    // offered seats they may join again.
    let mut tx = store.write().await.unwrap();
    let again = |of: &WaitlistEntryRecord| WaitlistEntryRecord {
        id: Uuid::now_v7(),
        offered_at: None,
        ..of.clone()
    };
    assert!(matches!(
        tx.join_waitlist(&again(&entries[0])).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    tx.join_waitlist(&again(&entries[1])).await.unwrap();
    tx.commit().await.unwrap();
}

/// The arrivals of a day at a property: live bookings with a room of the property checking in
/// that day, each once however many of its rooms arrive, in the grid's order, paged; not
/// another day's, another property's, or a cancelled booking's.
pub async fn arrivals_of_a_day_at_a_property(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 4).await;
    let (_, _, elsewhere) = sample_property(store, 1).await;
    let day = date(2026, 7, 10);
    let next = date(2026, 7, 12);
    // Room 204 (position 3) and room 202 (position 1) arrive; 201 tomorrow.
    let late_in_grid = sample_booking_for_room(store, rooms[3].id, day, next).await;
    let early_in_grid = sample_booking_for_room(store, rooms[1].id, day, next).await;
    sample_booking_for_room(store, rooms[0].id, date(2026, 7, 11), next).await;
    sample_booking_for_room(store, elsewhere[0].id, day, next).await;
    // A party in two rooms (201 and 203) is one arrival, placed by 201.
    let customer = new_customer(store).await;
    let mut lines = vec![
        room_line(rooms[2].id, day, next),
        room_line(rooms[0].id, day, date(2026, 7, 11)),
    ];
    lines[1].line_no = 2;
    let party = sample_booking(customer, lines, t("2026-06-01T02:00:00Z"));
    let mut tx = store.write().await.unwrap();
    tx.insert_booking(&party).await.unwrap();
    tx.commit().await.unwrap();
    // A cancelled booking does not arrive.
    let cancelled =
        sample_booking_for_room(store, rooms[2].id, date(2026, 7, 12), date(2026, 7, 13)).await;
    let mut r = store.read().await.unwrap();
    let mut gone = r.get_booking(cancelled).await.unwrap().unwrap();
    drop(r);
    gone.state = BookingState::Cancelled;
    let mut tx = store.write().await.unwrap();
    assert!(tx.update_booking(&gone, gone.version).await.unwrap());
    tx.release_inventory(cancelled).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let ids = |v: Vec<Booking>| v.into_iter().map(|b| b.id).collect::<Vec<_>>();
    let all = r.list_arrivals(property.id, day, 10, 0).await.unwrap();
    assert_eq!(
        all.iter().find(|b| b.id == party.id).map(|b| b.lines.len()),
        Some(2),
        "read whole"
    );
    assert_eq!(ids(all), vec![party.id, early_in_grid, late_in_grid]);
    assert_eq!(
        ids(r.list_arrivals(property.id, day, 2, 1).await.unwrap()),
        vec![early_in_grid, late_in_grid]
    );
    assert!(r
        .list_arrivals(property.id, day, 10, 3)
        .await
        .unwrap()
        .is_empty());
    assert!(
        r.list_arrivals(property.id, date(2026, 7, 12), 10, 0)
            .await
            .unwrap()
            .is_empty(),
        "the cancelled booking is not arriving"
    );
}
