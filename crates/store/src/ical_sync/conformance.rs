//! Conformance checks of the calendar-subscription repository (re-exported by
//! [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! ical_sync_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            ical_subscriptions_round_trip, ical_subscriptions_fall_due_and_keep_outcomes,
            block_conflicts_are_noted_once);
    };
}

use crate::conformance::{futures_join_all, sample_booking_for_room, sample_property, t};
use crate::*;
use jiff::civil::date;
use jiff::Timestamp;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// A subscription of `room` to `source`, due at `next`.
pub fn sample_subscription(room: Uuid, source: &str, next: Timestamp) -> IcalSubscription {
    IcalSubscription {
        id: Uuid::now_v7(),
        room_id: room,
        source: source.into(),
        url: format!("https://www.airbnb.com/calendar/ical/{source}.ics?s=9f8e7d6c"),
        interval_minutes: 30,
        next_sync_at: next,
        created_by: None,
        created_at: t("2026-03-01T02:00:00Z"),
        last_sync: None,
        last_ok_at: None,
    }
}

/// What was written reads back the same, listed in the grid's order and paged, by property
/// and by room; a room follows a source once; deleting removes it.
pub async fn ical_subscriptions_round_trip(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 2).await;
    let (other_property, _, other_rooms) = sample_property(store, 1).await;
    let next = t("2026-03-01T02:00:00Z");
    // Inserted out of grid order: room 202 first.
    let subs = [
        sample_subscription(rooms[1].id, "airbnb", next),
        sample_subscription(rooms[0].id, "booking.com", next),
        sample_subscription(rooms[0].id, "airbnb", next),
        sample_subscription(other_rooms[0].id, "airbnb", next),
    ];
    let mut tx = store.write().await.unwrap();
    for s in &subs {
        tx.insert_ical_subscription(s).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_ical_subscription(subs[0].id).await.unwrap(),
        Some(subs[0].clone())
    );
    assert_eq!(r.get_ical_subscription(Uuid::now_v7()).await.unwrap(), None);
    let list = |property_id, room_id, limit, offset| IcalSubscriptionFilter {
        property_id,
        room_id,
        limit,
        offset,
    };
    let ids = |v: Vec<IcalSubscription>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(r
            .list_ical_subscriptions(&list(Some(property.id), None, 10, 0))
            .await
            .unwrap()),
        vec![subs[2].id, subs[1].id, subs[0].id],
        "room 201 (airbnb, booking.com), then room 202"
    );
    assert_eq!(
        ids(r
            .list_ical_subscriptions(&list(Some(property.id), None, 2, 1))
            .await
            .unwrap()),
        vec![subs[1].id, subs[0].id]
    );
    assert_eq!(
        ids(r
            .list_ical_subscriptions(&list(None, Some(rooms[1].id), 10, 0))
            .await
            .unwrap()),
        vec![subs[0].id]
    );
    assert_eq!(
        ids(r
            .list_ical_subscriptions(&list(Some(other_property.id), None, 10, 0))
            .await
            .unwrap()),
        vec![subs[3].id]
    );
    drop(r);

    let mut twin = sample_subscription(rooms[0].id, "airbnb", next);
    twin.url = "https://example.com/other.ics".into();
    let mut tx = store.write().await.unwrap();
    let refused = tx.insert_ical_subscription(&twin).await;
    assert!(
        matches!(refused, Err(StoreError::Duplicate { .. })),
        "one subscription per room and source: {refused:?}"
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_ical_subscription(subs[2].id).await.unwrap());
    assert!(!tx.delete_ical_subscription(subs[2].id).await.unwrap());
    // The source is free again on the room.
    tx.insert_ical_subscription(&twin).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.get_ical_subscription(subs[2].id).await.unwrap(), None);
    assert_eq!(
        r.get_ical_subscription(twin.id).await.unwrap(),
        Some(twin.clone())
    );
}

/// Due subscriptions come most overdue first; an outcome is recorded with when it is due
/// next; a failure keeps the last success's instant.
pub async fn ical_subscriptions_fall_due_and_keep_outcomes(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 3).await;
    let late = sample_subscription(rooms[0].id, "airbnb", t("2026-03-01T01:00:00Z"));
    let later = sample_subscription(rooms[1].id, "airbnb", t("2026-03-01T01:30:00Z"));
    let future = sample_subscription(rooms[2].id, "airbnb", t("2026-03-01T03:00:00Z"));
    let mut tx = store.write().await.unwrap();
    for s in [&future, &later, &late] {
        tx.insert_ical_subscription(s).await.unwrap();
    }
    tx.commit().await.unwrap();
    let now = t("2026-03-01T02:00:00Z");
    let mut r = store.read().await.unwrap();
    // Other checks' subscriptions may share the store: look at these three.
    let mine = |ids: Vec<Uuid>| {
        ids.into_iter()
            .filter(|id| [late.id, later.id, future.id].contains(id))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        mine(r.due_ical_subscriptions(now, 100).await.unwrap()),
        vec![late.id, later.id]
    );
    assert!(r.due_ical_subscriptions(now, 0).await.unwrap().is_empty());
    drop(r);

    let ok = IcalSyncOutcome {
        at: now,
        events: 3,
        nights: 7,
        conflicts: 1,
        error: None,
    };
    let failed = IcalSyncOutcome {
        at: t("2026-03-01T02:30:00Z"),
        events: 0,
        nights: 0,
        conflicts: 0,
        error: Some(IcalSyncError {
            code: "fetch.status".into(),
            detail: "HTTP 500".into(),
        }),
    };
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .record_ical_sync(late.id, &ok, t("2026-03-01T02:30:00Z"))
        .await
        .unwrap());
    assert!(!tx.record_ical_sync(Uuid::now_v7(), &ok, now).await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r.get_ical_subscription(late.id).await.unwrap().unwrap();
    assert_eq!(got.last_sync, Some(ok.clone()));
    assert_eq!(got.last_ok_at, Some(now));
    assert_eq!(got.next_sync_at, t("2026-03-01T02:30:00Z"));
    assert_eq!(
        mine(r.due_ical_subscriptions(now, 100).await.unwrap()),
        vec![later.id],
        "synced: no longer due"
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    assert!(tx
        .record_ical_sync(late.id, &failed, t("2026-03-01T03:00:00Z"))
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r.get_ical_subscription(late.id).await.unwrap().unwrap();
    assert_eq!(got.last_sync, Some(failed));
    assert_eq!(got.last_ok_at, Some(now), "the last success stays");
    assert_eq!(
        mine(
            r.due_ical_subscriptions(t("2026-03-01T03:00:00Z"), 100)
                .await
                .unwrap()
        ),
        vec![later.id, late.id, future.id]
    );
}

/// A conflict is new once: noting the same set again returns nothing, a conflict that went
/// away and came back is new again, sources are apart, and of concurrent imports one notes it.
pub async fn block_conflicts_are_noted_once(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let room = rooms[0].id;
    let first = sample_booking_for_room(store, room, date(2026, 7, 2), date(2026, 7, 4)).await;
    let second = sample_booking_for_room(store, room, date(2026, 7, 6), date(2026, 7, 7)).await;
    let at = t("2026-03-01T02:00:00Z");
    let both = [
        (date(2026, 7, 2), first),
        (date(2026, 7, 3), first),
        (date(2026, 7, 6), second),
    ];
    let note = |source: &'static str, set: Vec<(jiff::civil::Date, Uuid)>| async move {
        let mut tx = store.write().await.unwrap();
        let new = tx
            .note_block_conflicts(room, source, &set, at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        new
    };
    assert_eq!(note("airbnb", both.to_vec()).await, both.to_vec());
    assert_eq!(note("airbnb", both.to_vec()).await, vec![], "noted already");
    assert_eq!(
        note("booking.com", vec![both[2]]).await,
        vec![both[2]],
        "another source's conflict is its own"
    );
    // The booking moved away from 3 July: forgotten there.
    assert_eq!(note("airbnb", vec![both[0], both[2]]).await, vec![]);
    assert_eq!(
        note("airbnb", both.to_vec()).await,
        vec![both[1]],
        "it came back"
    );
    assert_eq!(note("airbnb", vec![]).await, vec![], "all gone");
    assert_eq!(note("airbnb", vec![both[0]]).await, vec![both[0]]);
    // A dropped transaction notes nothing.
    let mut tx = store.write().await.unwrap();
    let new = tx
        .note_block_conflicts(room, "vrbo", &[both[1]], at)
        .await
        .unwrap();
    assert_eq!(new, vec![both[1]]);
    drop(tx);
    let wins = AtomicUsize::new(0);
    let attempt = || {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            tokio::task::yield_now().await;
            let new = tx
                .note_block_conflicts(room, "vrbo", &[both[1]], at)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            wins.fetch_add(new.len(), Ordering::SeqCst);
        }
    };
    futures_join_all((0..6).map(|_| attempt()).collect()).await;
    assert_eq!(
        wins.load(Ordering::SeqCst),
        1,
        "one of six concurrent imports alerts"
    );
}
