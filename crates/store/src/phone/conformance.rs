//! Conformance checks of the calls repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! calls_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            calls_are_stored_once_listed_newest_first_and_erased);
    };
}

use crate::conformance::{sample_customer, t};
use crate::*;
use tripdesk_domain::phone::{Direction, Disposition};
use uuid::Uuid;

fn call(key: &str, at: &str, customer: Option<Uuid>, index: Option<&str>) -> CallRecord {
    let started_at = t(at);
    CallRecord {
        id: Uuid::now_v7(),
        source: "cdr".into(),
        call_key: key.into(),
        direction: Direction::Inbound,
        line: "4008001234".into(),
        agent: Some("8001".into()),
        customer_id: customer,
        number_sealed: Some(format!("sealed-{key}")),
        number_index: index.map(String::from),
        started_at,
        answered_at: Some(started_at + jiff::SignedDuration::from_secs(8)),
        ended_at: started_at + jiff::SignedDuration::from_secs(188),
        ring_secs: 8,
        talk_secs: 180,
        disposition: Disposition::Answered,
        imported_at: t("2026-11-03T01:00:00Z"),
        imported_by: None,
    }
}

/// A call imported twice is one row; calls list newest first, by customer, direction and
/// time; erasure forgets the numbers of the customer's calls and of calls from their phone
/// and keeps the times.
pub async fn calls_are_stored_once_listed_newest_first_and_erased(store: &dyn Store) {
    let customer = sample_customer("林小雨");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&customer).await.unwrap();
    let first = call(
        "k1",
        "2026-11-02T01:00:00Z",
        Some(customer.id),
        Some("idx-a"),
    );
    let second = call("k2", "2026-11-02T02:00:00Z", None, Some("idx-a"));
    let mut other = call("k3", "2026-11-02T03:00:00Z", None, Some("idx-b"));
    other.direction = Direction::Outbound;
    other.answered_at = None;
    other.disposition = Disposition::NoAnswer;
    assert_eq!(
        tx.insert_calls(&[first.clone(), second.clone(), other.clone()])
            .await
            .unwrap(),
        3
    );
    let again = CallRecord {
        id: Uuid::now_v7(),
        ..first.clone()
    };
    assert_eq!(
        tx.insert_calls(&[again]).await.unwrap(),
        0,
        "same key: kept once"
    );
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let all = r.list_calls(&CallFilter::default(), 10, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.call_key.as_str()).collect::<Vec<_>>(),
        ["k3", "k2", "k1"]
    );
    assert_eq!(all[2], first, "read back as written");
    assert_eq!(all[0], other);
    let theirs = CallFilter {
        customer_id: Some(customer.id),
        ..CallFilter::default()
    };
    assert_eq!(
        r.list_calls(&theirs, 10, 0).await.unwrap(),
        vec![first.clone()]
    );
    let inbound_in_window = CallFilter {
        direction: Some(Direction::Inbound),
        from: Some(t("2026-11-02T01:30:00Z")),
        to: Some(t("2026-11-02T04:00:00Z")),
        ..CallFilter::default()
    };
    assert_eq!(
        r.list_calls(&inbound_in_window, 10, 0).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(
        r.list_calls(&CallFilter::default(), 1, 1).await.unwrap(),
        vec![second.clone()]
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.erase_calls(customer.id, &["idx-a".to_string()])
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let all = r.list_calls(&CallFilter::default(), 10, 0).await.unwrap();
    for c in &all[1..] {
        assert_eq!(
            (
                c.number_sealed.as_deref(),
                c.number_index.as_deref(),
                c.customer_id
            ),
            (None, None, None)
        );
        assert_eq!(c.ring_secs, 8, "times stay for the statistics");
    }
    assert_eq!(
        all[0].number_sealed.as_deref(),
        Some("sealed-k3"),
        "another number is kept"
    );
}
