//! Conformance checks of a booking's change (re-exported by [`crate::conformance`]): the
//! lines replaced with their inventory moved in one transaction, change quotes kept and
//! accepted once, and two changes racing for the last room-night.

use super::conformance::sample_booking_for_room;
use crate::catalog::conformance::sample_property;
use crate::conformance::{futures_join_all, t};
use crate::*;
use jiff::civil::date;
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::bookings::{apply_changes, quote, LineChange, Priced, QuoteContext, Stay};
use uuid::Uuid;

/// Moves a booking of `room` to `to` (its one room line) the way the use case does: the
/// booking written first (conditional on its version), then the old inventory freed, the
/// lines replaced and the new nights taken. True when the nights were free.
async fn move_stay(tx: &mut dyn Tx, booking_id: Uuid, room: Uuid, to: Stay) -> bool {
    let mut b = tx.get_booking(booking_id).await.unwrap().unwrap();
    b.starts_on = to.check_in();
    b.ends_on = to.check_out();
    assert!(tx.update_booking(&b, b.version).await.unwrap());
    tx.release_inventory(booking_id).await.unwrap();
    let mut lines = b.lines.clone();
    lines[0].item = LineItem::Room {
        room_id: room,
        stay: to,
    };
    tx.replace_lines(booking_id, &lines).await.unwrap();
    tx.take_room_nights(booking_id, room, to).await.unwrap()
}

/// A change replaces the lines and moves the nights in one transaction: the old nights are
/// free for another booking, the new ones held; a rolled-back change leaves everything as it
/// was. Quotes read back whole, newest first, and are accepted once.
pub async fn a_change_moves_lines_and_inventory(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 2).await;
    let (a, b) = (rooms[0].id, rooms[1].id);
    let booking = sample_booking_for_room(store, a, date(2026, 12, 1), date(2026, 12, 3)).await;
    // Another booking holds room b on 5–6 December.
    sample_booking_for_room(store, b, date(2026, 12, 5), date(2026, 12, 7)).await;

    let mut tx = store.write().await.unwrap();
    let onto_taken = Stay::new(date(2026, 12, 4), date(2026, 12, 6)).unwrap();
    assert!(!move_stay(&mut *tx, booking, b, onto_taken).await);
    drop(tx);
    let mut r = store.read().await.unwrap();
    let unchanged = r.get_booking(booking).await.unwrap().unwrap();
    assert_eq!(unchanged.version, 1, "the refused change wrote nothing");
    assert_eq!(
        unchanged.lines[0].item,
        LineItem::Room {
            room_id: a,
            stay: Stay::new(date(2026, 12, 1), date(2026, 12, 3)).unwrap(),
        }
    );
    let nights = r
        .room_nights(property.id, date(2026, 12, 1), date(2026, 12, 31))
        .await
        .unwrap();
    assert_eq!(nights.len(), 4, "2 nights of each booking, as before");
    drop(r);

    // Later, one night longer in room b: the old nights of room a are freed.
    let longer = Stay::new(date(2026, 12, 2), date(2026, 12, 5)).unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(move_stay(&mut *tx, booking, b, longer).await);
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let moved = r.get_booking(booking).await.unwrap().unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.lines.len(), 1);
    assert_eq!(
        moved.lines[0].item,
        LineItem::Room {
            room_id: b,
            stay: longer
        }
    );
    let mine: Vec<_> = r
        .room_nights(property.id, date(2026, 12, 1), date(2026, 12, 31))
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.used_by == NightUse::Booking(booking))
        .map(|n| (n.room_id, n.night))
        .collect();
    assert_eq!(
        mine,
        vec![
            (b, date(2026, 12, 2)),
            (b, date(2026, 12, 3)),
            (b, date(2026, 12, 4))
        ]
    );
    drop(r);
    // The freed nights of room a take a new booking.
    sample_booking_for_room(store, a, date(2026, 12, 1), date(2026, 12, 3)).await;

    // Quotes.
    let items = apply_changes(
        &moved.lines,
        &[LineChange {
            line_no: 1,
            check_out: Some(date(2026, 12, 6)),
            ..Default::default()
        }],
    )
    .unwrap();
    let after: Vec<Priced> = items
        .into_iter()
        .map(|item| Priced {
            price_fen: 150_000,
            first_day: date(2026, 12, 2),
            last_day: date(2026, 12, 6),
            item,
        })
        .collect();
    let ctx = QuoteContext {
        today: date(2026, 11, 1),
        starts_on: moved.starts_on,
        arrived: false,
    };
    let q = quote(&moved.lines, moved.total_fen, &after, 0, ctx).unwrap();
    let now = t("2026-11-01T02:00:00Z");
    let record = |at: jiff::Timestamp| ChangeQuoteRecord {
        id: Uuid::now_v7(),
        booking_id: booking,
        quote: q.clone(),
        created_by: None,
        created_at: at,
        expires_at: at + tripdesk_domain::bookings::QUOTE_VALID_FOR,
        accepted_at: None,
        accepted_by: None,
    };
    let (first, second) = (
        record(now),
        record(now + jiff::SignedDuration::from_mins(5)),
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_change_quote(&first).await.unwrap();
    tx.insert_change_quote(&second).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_change_quote(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(r.get_change_quote(Uuid::now_v7()).await.unwrap(), None);
    let listed: Vec<Uuid> = r
        .list_change_quotes(booking, 10)
        .await
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(listed, vec![second.id, first.id], "newest first");
    assert_eq!(r.list_change_quotes(booking, 1).await.unwrap().len(), 1);
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(tx.accept_change_quote(second.id, None, now).await.unwrap());
    assert!(
        !tx.accept_change_quote(second.id, None, now).await.unwrap(),
        "once"
    );
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let accepted = r.get_change_quote(second.id).await.unwrap().unwrap();
    assert_eq!(accepted.accepted_at, Some(now));
}

/// Bookings changing at once onto the same free room-night: exactly one gets it, the others
/// keep what they had.
pub async fn two_changes_race_for_the_last_room_night(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 1).await;
    let room = rooms[0].id;
    let mut bookings = Vec::new();
    for day in [1, 4, 7, 10, 13, 16] {
        bookings.push(
            sample_booking_for_room(store, room, date(2027, 1, day), date(2027, 1, day + 1)).await,
        );
    }
    let target = Stay::new(date(2027, 1, 20), date(2027, 1, 21)).unwrap();
    let wins = AtomicUsize::new(0);
    let attempt = |booking: Uuid| {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            tokio::task::yield_now().await;
            if move_stay(&mut *tx, booking, room, target).await {
                tx.commit().await.unwrap();
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all(bookings.iter().map(|b| attempt(*b)).collect()).await;
    assert_eq!(wins.load(Ordering::SeqCst), 1, "one change gets the night");
    let mut r = store.read().await.unwrap();
    let nights = r
        .room_nights(property.id, date(2027, 1, 1), date(2027, 1, 31))
        .await
        .unwrap();
    assert_eq!(nights.len(), 6, "five bookings kept their night, one moved");
    assert_eq!(
        nights
            .iter()
            .filter(|n| n.night == date(2027, 1, 20))
            .count(),
        1
    );
}
