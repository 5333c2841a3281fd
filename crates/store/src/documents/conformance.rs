//! Conformance checks of the pre-trip documents repository (re-exported by
//! [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! documents_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            document_sends_round_trip, documents_received_once_under_race);
    };
}

use crate::bookings::conformance::sample_booking_for_room;
use crate::catalog::conformance::sample_property;
use crate::conformance::{futures_join_all, t};
use crate::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

fn sample_send(booking_id: Uuid, at: Timestamp, hash: &str) -> DocumentSend {
    DocumentSend {
        id: Uuid::now_v7(),
        booking_id,
        sent_at: at,
        sent_by: None,
        channel: "email".into(),
        preferred: Some("wechat".into()),
        fallback: Some("not_deliverable".into()),
        content_hash: hash.into(),
        message_id: Some(Uuid::now_v7()),
        received_at: None,
    }
}

async fn a_booking(store: &dyn Store) -> Uuid {
    let (_, _, rooms) = sample_property(store, 1).await;
    sample_booking_for_room(store, rooms[0].id, date(2026, 10, 1), date(2026, 10, 3)).await
}

/// Sendings read back whole by id and listed newest first up to the limit, per booking; an
/// unknown id is none.
pub async fn document_sends_round_trip(store: &dyn Store) {
    let booking = a_booking(store).await;
    let other = a_booking(store).await;
    let t0 = t("2026-09-20T02:00:00Z");
    let first = sample_send(booking, t0, &"a".repeat(64));
    let mut second = sample_send(booking, t0 + SignedDuration::from_hours(1), &"b".repeat(64));
    second.preferred = None;
    second.fallback = None;
    second.message_id = None;
    let elsewhere = sample_send(other, t0, &"c".repeat(64));
    let mut tx = store.write().await.unwrap();
    for s in [&first, &second, &elsewhere] {
        tx.insert_document_send(s).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_document_send(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(r.get_document_send(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        r.list_document_sends(booking, 10).await.unwrap(),
        vec![second.clone(), first.clone()]
    );
    assert_eq!(
        r.list_document_sends(booking, 1).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(
        r.list_document_sends(other, 10).await.unwrap(),
        vec![elsewhere]
    );
    assert!(r
        .list_document_sends(Uuid::now_v7(), 10)
        .await
        .unwrap()
        .is_empty());
    drop(r);

    // Received once: the first time is kept.
    let at = t0 + SignedDuration::from_hours(5);
    let mut tx = store.write().await.unwrap();
    assert!(tx.mark_documents_received(first.id, at).await.unwrap());
    assert!(!tx
        .mark_documents_received(first.id, at + SignedDuration::from_hours(1))
        .await
        .unwrap());
    assert!(!tx
        .mark_documents_received(Uuid::now_v7(), at)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r.get_document_send(first.id).await.unwrap().unwrap();
    assert_eq!(got.received_at, Some(at));
    assert_eq!(
        r.get_document_send(second.id)
            .await
            .unwrap()
            .unwrap()
            .received_at,
        None
    );
}

/// Eight confirmations race, each in its own write transaction (on PostgreSQL on separate
/// connections at once): exactly one records the receipt.
pub async fn documents_received_once_under_race(store: &dyn Store) {
    let booking = a_booking(store).await;
    let t0 = t("2026-09-20T02:00:00Z");
    let send = sample_send(booking, t0, &"d".repeat(64));
    let mut tx = store.write().await.unwrap();
    tx.insert_document_send(&send).await.unwrap();
    tx.commit().await.unwrap();

    let wins = AtomicUsize::new(0);
    let attempt = |i: i64| {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            let won = tx
                .mark_documents_received(send.id, t0 + SignedDuration::from_mins(i))
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            if won {
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all((0..8i64).map(attempt).collect()).await;
    assert_eq!(
        wins.load(Ordering::SeqCst),
        1,
        "exactly one confirmation is recorded"
    );
}
