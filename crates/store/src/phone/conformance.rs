//! Conformance checks of the calls repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! calls_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            calls_are_stored_once_listed_newest_first_and_erased,
            cti_events_are_kept_once_and_calls_rewritten,
            one_open_callback_task_per_number_listed_and_erased);
    };
}

use crate::conformance::{sample_customer, t};
use crate::*;
use tripdesk_domain::phone::cti::EventKind;
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
        callback_task_id: None,
        ticket_id: None,
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

fn event(key: &str, kind: EventKind, at: &str, index: Option<&str>) -> CallEventRecord {
    CallEventRecord {
        call_key: key.into(),
        kind,
        at: t(at),
        direction: Direction::Inbound,
        line: "4008001234".into(),
        agent: None,
        number_sealed: index.map(|i| format!("sealed-{i}")),
        number_index: index.map(String::from),
        received_at: t("2026-11-02T01:00:00Z"),
    }
}

/// A CTI event is kept once per call and kind, read back in kind order; a stored call is
/// found by id and key and rewritten whole (facts, links); erasure forgets the events'
/// numbers.
pub async fn cti_events_are_kept_once_and_calls_rewritten(store: &dyn Store) {
    let mut tx = store.write().await.unwrap();
    let ended = event(
        "c1",
        EventKind::Ended,
        "2026-11-02T01:02:00Z",
        Some("idx-a"),
    );
    let ringing = event(
        "c1",
        EventKind::Ringing,
        "2026-11-02T01:00:00Z",
        Some("idx-a"),
    );
    assert!(tx.insert_call_event(&ended).await.unwrap());
    assert!(tx.insert_call_event(&ringing).await.unwrap());
    let retried = CallEventRecord {
        at: t("2026-11-02T05:00:00Z"),
        ..ended.clone()
    };
    assert!(!tx.insert_call_event(&retried).await.unwrap(), "kept once");
    assert!(tx
        .insert_call_event(&event(
            "c2",
            EventKind::Missed,
            "2026-11-02T01:00:00Z",
            None
        ))
        .await
        .unwrap());
    assert_eq!(
        tx.call_events("c1").await.unwrap(),
        vec![ringing.clone(), ended.clone()]
    );

    let mut c = call("c1", "2026-11-02T01:00:00Z", None, Some("idx-a"));
    c.source = "cti".into();
    tx.insert_calls(std::slice::from_ref(&c)).await.unwrap();
    assert_eq!(tx.get_call(c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(
        tx.get_call_by_key("cti", "c1").await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(tx.get_call_by_key("cdr", "c1").await.unwrap(), None);
    c.answered_at = None;
    c.disposition = Disposition::NoAnswer;
    c.ring_secs = 120;
    c.talk_secs = 0;
    c.agent = None;
    tx.update_call(&c).await.unwrap();
    assert_eq!(tx.get_call(c.id).await.unwrap(), Some(c.clone()));
    let missed = CallFilter {
        missed: true,
        ..CallFilter::default()
    };
    assert_eq!(
        tx.list_calls(&missed, 10, 0).await.unwrap(),
        vec![c.clone()]
    );

    let customer = sample_customer("林小雨");
    tx.insert_customer(&customer).await.unwrap();
    tx.erase_calls(customer.id, &["idx-a".to_string()])
        .await
        .unwrap();
    assert!(tx
        .call_events("c1")
        .await
        .unwrap()
        .iter()
        .all(|e| e.number_sealed.is_none() && e.number_index.is_none()));
    tx.commit().await.unwrap();
}

fn task(index: &str, customer: Option<Uuid>, at: &str) -> CallbackTask {
    CallbackTask {
        id: Uuid::now_v7(),
        number_index: Some(index.into()),
        number_sealed: Some(format!("sealed-{index}")),
        customer_id: customer,
        line: "4008001234".into(),
        missed_count: 1,
        first_missed_at: t(at),
        last_missed_at: t(at),
        created_at: t(at),
        done_at: None,
        done_by: None,
        outcome: None,
        note_sealed: None,
        callback_call_id: None,
    }
}

/// One open task per number (held by the database); a done task lets the number have a new
/// one; open tasks list oldest first, all newest first, by customer; erasure deletes the
/// customer's tasks and those of their phones, unlinking their calls.
pub async fn one_open_callback_task_per_number_listed_and_erased(store: &dyn Store) {
    let customer = sample_customer("林小雨");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&customer).await.unwrap();
    let mut a = task("idx-a", Some(customer.id), "2026-11-02T01:00:00Z");
    tx.insert_callback_task(&a).await.unwrap();
    let b = task("idx-b", None, "2026-11-02T02:00:00Z");
    tx.insert_callback_task(&b).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let second = task("idx-a", None, "2026-11-02T03:00:00Z");
    assert!(
        tx.insert_callback_task(&second).await.is_err(),
        "a second open task of a number"
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.open_callback_task("idx-a").await.unwrap(),
        Some(a.clone())
    );
    let mut c = call("k-a", "2026-11-02T01:00:00Z", None, Some("idx-a"));
    c.callback_task_id = Some(a.id);
    tx.insert_calls(std::slice::from_ref(&c)).await.unwrap();
    a.missed_count = 2;
    a.done_at = Some(t("2026-11-02T01:20:00Z"));
    a.outcome = Some("reached".into());
    a.note_sealed = Some("sealed-note".into());
    a.callback_call_id = Some(c.id);
    tx.update_callback_task(&a).await.unwrap();
    assert_eq!(tx.get_callback_task(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(tx.open_callback_task("idx-a").await.unwrap(), None);
    let again = task("idx-a", None, "2026-11-02T03:00:00Z");
    tx.insert_callback_task(&again).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let open = CallbackFilter {
        open: true,
        customer_id: None,
    };
    let ids = |v: Vec<CallbackTask>| v.into_iter().map(|k| k.id).collect::<Vec<_>>();
    assert_eq!(
        ids(r.list_callback_tasks(&open, 10, 0).await.unwrap()),
        [b.id, again.id]
    );
    assert_eq!(
        ids(r
            .list_callback_tasks(&CallbackFilter::default(), 10, 0)
            .await
            .unwrap()),
        [again.id, b.id, a.id]
    );
    let theirs = CallbackFilter {
        open: false,
        customer_id: Some(customer.id),
    };
    assert_eq!(
        ids(r.list_callback_tasks(&theirs, 10, 0).await.unwrap()),
        [a.id]
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.erase_callback_tasks(customer.id, &["idx-a".to_string()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        tx.get_call(c.id).await.unwrap().unwrap().callback_task_id,
        None
    );
    assert_eq!(
        ids(tx
            .list_callback_tasks(&CallbackFilter::default(), 10, 0)
            .await
            .unwrap()),
        [b.id]
    );
    tx.commit().await.unwrap();
}
