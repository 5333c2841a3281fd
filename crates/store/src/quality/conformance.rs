//! Conformance checks of the quality counts (re-exported by [`crate::conformance`]). The
//! figures against independent scans of many records are checked end to end by
//! `crates/web/tests/quality.rs`; these pin the edges of each count.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! quality_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            heartbeats_count_each_minute_once_across_nodes,
            clock_counts_take_running_clocks_past_due_as_breached,
            published_figures_are_replaced_whole);
    };
}

use crate::conformance::{sample_ticket, sample_ticket_clock};
use crate::*;
use jiff::{SignedDuration, Timestamp};
use tripdesk_domain::desk::Level;
use tripdesk_domain::sla::ClockState;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

/// Two nodes in one minute are one minute up; the same node twice is recorded once; the
/// period's bounds include its start and exclude its end; the first heartbeat is the oldest.
pub async fn heartbeats_count_each_minute_once_across_nodes(store: &dyn Store) {
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.first_heartbeat().await.unwrap(), None);
    let m0 = t("2026-05-01T00:00:00Z");
    let m = |i: i64| m0 + SignedDuration::from_mins(i);
    assert!(tx.record_heartbeat("a", m(0)).await.unwrap());
    assert!(!tx.record_heartbeat("a", m(0)).await.unwrap());
    assert!(tx.record_heartbeat("b", m(0)).await.unwrap());
    assert!(tx.record_heartbeat("a", m(1)).await.unwrap());
    assert!(tx.record_heartbeat("b", m(3)).await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.heartbeat_minutes(m(0), m(4)).await.unwrap(), 3);
    assert_eq!(r.heartbeat_minutes(m(1), m(3)).await.unwrap(), 1);
    assert_eq!(r.heartbeat_minutes(m(4), m(9)).await.unwrap(), 0);
    assert_eq!(r.first_heartbeat().await.unwrap(), Some(m(0)));
}

/// Met clocks count as met; breached ones, and running ones past their deadline, as
/// breached; cancelled, paused and running-in-time ones nowhere; the channel filter and the
/// period (by start) apply; the cases list the breached first.
pub async fn clock_counts_take_running_clocks_past_due_as_breached(store: &dyn Store) {
    let now = t("2026-06-01T10:00:00Z");
    let h = SignedDuration::from_hours;
    let tk = sample_ticket("QC1", Level::General, "2026-06-01T01:00:00Z");
    let key = "first_response.phone";
    let clock = |state, started: Timestamp, due: Timestamp, stopped| {
        sample_ticket_clock(&tk, key, state, started, None, due, stopped)
    };
    let s = t("2026-06-01T02:00:00Z");
    let met = clock(ClockState::Met, s, s + h(1), Some(s + h(0)));
    let breached = clock(ClockState::Breached, s, s + h(1), Some(s + h(2)));
    let late = clock(ClockState::Running, s, s + h(1), None);
    let in_time = clock(ClockState::Running, s, now + h(1), None);
    let cancelled = clock(ClockState::Cancelled, s, s + h(1), Some(s));
    let before = clock(ClockState::Met, s - h(48), s - h(47), Some(s - h(47)));
    let mut email = clock(ClockState::Met, s, s + h(1), Some(s));
    email.channel = Some("email".into());
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&tk).await.unwrap();
    for c in [
        &met, &breached, &late, &in_time, &cancelled, &before, &email,
    ] {
        tx.insert_sla_clock(c).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let scope = QualityScope::period(t("2026-06-01T00:00:00Z"), t("2026-06-02T00:00:00Z"));
    let counts = r.quality_clock_counts(&scope, &[key], now).await.unwrap();
    assert_eq!(
        counts,
        vec![ClockCounts {
            target_key: key.into(),
            met: 2,
            breached: 2
        }]
    );
    let phone = QualityScope {
        channel: Some("phone".into()),
        ..scope.clone()
    };
    let counts = r.quality_clock_counts(&phone, &[key], now).await.unwrap();
    assert_eq!((counts[0].met, counts[0].breached), (1, 2));
    let cases = r
        .quality_clock_cases(&phone, &[key], now, 10, 0)
        .await
        .unwrap();
    let outcomes: Vec<_> = cases.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(outcomes, ["breached", "breached", "met"]);
    assert!(cases.iter().all(|c| c.label.as_deref() == Some("QC1")));
    assert!(r
        .quality_clock_counts(&scope, &[], now)
        .await
        .unwrap()
        .is_empty());
}

/// The published figures are whatever was set last, sorted.
pub async fn published_figures_are_replaced_whole(store: &dyn Store) {
    let at = t("2026-06-01T10:00:00Z");
    let mut tx = store.write().await.unwrap();
    assert!(tx.public_kpis().await.unwrap().is_empty());
    tx.set_public_kpis(&["uptime".into(), "answer_rate".into()], at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.public_kpis().await.unwrap(), ["answer_rate", "uptime"]);
    tx.set_public_kpis(&["satisfaction".into()], at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.public_kpis().await.unwrap(), ["satisfaction"]);
}
