//! The SLA clock engine on the backend of this test run: clocks start in the caller's
//! transaction, the engine wakes for an earlier clock without scanning, and with two engines
//! (two nodes: each its own pool and scheduler) on one database every warning and breach of
//! 1,000 clocks due in the same second is recorded exactly once.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tripdesk_app::sla::engine::{EngineSettings, SlaEngine};
use tripdesk_app::sla::{ClockAction, StartClock};
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::calendar::{china_time_zone, Calendar};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::sla::{ClockState, SlaClock, SlaTarget};
use tripdesk_store::{SlaClockRecord, SlaEventFilter, SlaEventKind, Store};
use tripdesk_store_sql::testing::fresh_store;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn start(subject: &str, target: &str) -> StartClock {
    StartClock {
        subject_type: "ticket".into(),
        subject_id: subject.into(),
        target_key: target.into(),
        channel: Some("phone".into()),
        ..Default::default()
    }
}

async fn events(store: &dyn Store, kind: SlaEventKind) -> Vec<tripdesk_store::SlaEventRecord> {
    let mut r = store.read().await.unwrap();
    r.list_sla_events(&SlaEventFilter {
        kind: Some(kind),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Polls (bounded) until `n` events of `kind` are recorded.
async fn wait_for(
    store: &dyn Store,
    kind: SlaEventKind,
    n: usize,
) -> Vec<tripdesk_store::SlaEventRecord> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = events(store, kind).await;
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} {} events after 120 s",
            got.len(),
            kind.as_str()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn clocks_start_and_stop_inside_the_callers_transaction() {
    let store = fresh_store().await;
    let clock = Arc::new(ManualClock::new(t("2025-09-30T09:00:00Z")));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default());
    app.ensure_builtin_calendars().await.unwrap();

    // Rolled back with the caller's transaction: no clock, no event.
    let mut tx = store.store.write().await.unwrap();
    app.start_sla_clock(&mut *tx, start("T-1", "first_response.email"))
        .await
        .unwrap();
    drop(tx);
    assert!(app.earliest_sla_due().await.unwrap().is_none());
    assert!(events(&*store.store, SlaEventKind::Started)
        .await
        .is_empty());

    // Committed: an email received Tuesday 30 Sep 17:00 Beijing is due on the first working
    // day after the National Day holiday, 9 Oct 17:00.
    clock.set(t("2025-09-30T09:00:00Z"));
    let mut tx = store.store.write().await.unwrap();
    let rec = app
        .start_sla_clock(&mut *tx, start("T-1", "first_response.email"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rec.clock.due_at(), t("2025-10-09T09:00:00Z"));
    assert_eq!(
        app.earliest_sla_due().await.unwrap(),
        rec.clock.warn_at(),
        "the warning comes first"
    );
    // Paused at 18:00 over the holiday while waiting for the customer (no working time
    // passes while paused), resumed at 09:00 on 9 Oct, stopped in time: met.
    clock.set(t("2025-09-30T10:00:00Z"));
    let mut tx = store.store.write().await.unwrap();
    app.sla_clock_action(&mut *tx, rec.id, ClockAction::Pause)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(app.earliest_sla_due().await.unwrap().is_none());
    clock.set(t("2025-10-09T01:00:00Z"));
    let mut tx = store.store.write().await.unwrap();
    let resumed = app
        .sla_clock_action(&mut *tx, rec.id, ClockAction::Resume)
        .await
        .unwrap();
    let stopped = app
        .sla_clock_action(&mut *tx, rec.id, ClockAction::Stop)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        resumed.clock.due_at(),
        t("2025-10-09T09:00:00Z"),
        "the paused hours were outside working time"
    );
    assert_eq!(stopped.clock.state(), ClockState::Met);
    assert_eq!(stopped.version, 4);
}

#[tokio::test]
async fn the_engine_fires_at_the_due_instant_and_wakes_for_an_earlier_clock() {
    let store = fresh_store().await;
    let clock = Arc::new(ManualClock::new(t("2025-10-01T02:00:00Z")));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default());
    app.ensure_builtin_calendars().await.unwrap();
    let mut tx = store.store.write().await.unwrap();
    let rec = app
        .start_sla_clock(&mut *tx, start("T-1", "complaint.contact"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A long re-check: whatever happens below is the engine being woken, not polling.
    let engine = SlaEngine::spawn(
        app.clone(),
        EngineSettings {
            batch: 10,
            recheck: Duration::from_secs(3600),
        },
    )
    .await;
    // Nothing is due: nothing fires.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(events(&*store.store, SlaEventKind::Warning)
        .await
        .is_empty());
    // 48 minutes in, the warning; at 60 minutes, the breach (each once, however often the
    // engine is told to look).
    clock.advance(SignedDuration::from_mins(48));
    engine.nudge();
    let w = wait_for(&*store.store, SlaEventKind::Warning, 1).await;
    assert_eq!(w[0].at, rec.clock.warn_at().unwrap());
    clock.advance(SignedDuration::from_mins(12));
    for _ in 0..3 {
        engine.nudge();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let b = wait_for(&*store.store, SlaEventKind::Breach, 1).await;
    assert_eq!(b[0].at, rec.clock.due_at());
    assert_eq!(b[0].recorded_at, clock.now_ms());

    // A clock committed already due wakes the sleeping engine by itself (no nudge, no poll).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let target = SlaTarget::default_for("first_response.phone").unwrap();
    let cal = Calendar::always_open(Calendar::HOTLINE, china_time_zone());
    let now = clock.now_ms();
    let overdue = SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "call".into(),
        subject_id: "C-1".into(),
        channel: Some("phone".into()),
        department_id: None,
        agent_id: None,
        clock: SlaClock::start(target, &cal, now - SignedDuration::from_mins(10)).unwrap(),
        version: 1,
        created_at: now,
    };
    let mut tx = store.store.write().await.unwrap();
    tx.insert_sla_clock(&overdue).await.unwrap();
    tx.commit().await.unwrap();
    let b = wait_for(&*store.store, SlaEventKind::Breach, 2).await;
    assert!(b.iter().any(|e| e.clock_id == overdue.id));
    engine.shutdown().await;
}

trait NowMs {
    fn now_ms(&self) -> Timestamp;
}

impl NowMs for ManualClock {
    fn now_ms(&self) -> Timestamp {
        use tripdesk_domain::clock::Clock;
        Timestamp::from_millisecond(self.now().as_millisecond()).unwrap()
    }
}

/// The "Must show" of the SLA engine: two nodes — each with its own connection pool and its
/// own scheduler — on one database (PostgreSQL when the suite runs there, one SQLite file
/// otherwise), 1,000 clocks due in the same second, each warning and each breach exactly once.
#[tokio::test]
async fn two_engines_fire_each_of_1000_clocks_exactly_once() {
    const CLOCKS: usize = 1000;
    let first = fresh_store().await;
    let second: Arc<dyn Store> = tripdesk_store_sql::open(
        &first.location,
        &tripdesk_store_sql::PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t0 = t("2025-10-01T02:00:00Z");
    let clock = Arc::new(ManualClock::new(t0));
    let node_a =
        App::new(first.store.clone(), clock.clone(), AppSettings::default()).with_node("node-a");
    let node_b =
        App::new(second.clone(), clock.clone(), AppSettings::default()).with_node("node-b");
    node_a.ensure_builtin_calendars().await.unwrap();

    // 1,000 phone calls at the same instant: all due at t0 + 3 min, warned at t0 + 2 min 24 s.
    for batch in 0..10 {
        let mut tx = first.store.write().await.unwrap();
        for i in 0..CLOCKS / 10 {
            node_a
                .start_sla_clock(
                    &mut *tx,
                    start(&format!("call-{batch}-{i}"), "first_response.phone"),
                )
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let settings = EngineSettings {
        batch: 25,
        recheck: Duration::from_secs(1),
    };
    let a = SlaEngine::spawn(node_a.clone(), settings.clone()).await;
    let b = SlaEngine::spawn(node_b.clone(), settings).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(events(&*first.store, SlaEventKind::Breach).await.is_empty());

    // Time jumps past the deadline: both nodes race for the same 1,000 clocks.
    clock.set(t0 + SignedDuration::from_secs(181));
    a.nudge();
    b.nudge();
    let breaches = wait_for(&*first.store, SlaEventKind::Breach, CLOCKS).await;
    let warnings = wait_for(&*first.store, SlaEventKind::Warning, CLOCKS).await;
    // Let both engines look again a few times: nothing more may fire.
    for _ in 0..5 {
        a.nudge();
        b.nudge();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.shutdown().await;
    b.shutdown().await;
    let breaches_after = events(&*first.store, SlaEventKind::Breach).await;
    let warnings_after = events(&*first.store, SlaEventKind::Warning).await;
    assert_eq!(breaches_after.len(), CLOCKS, "no breach recorded twice");
    assert_eq!(warnings_after.len(), CLOCKS, "no warning recorded twice");
    let mut per_clock: HashMap<Uuid, usize> = HashMap::new();
    for e in breaches.iter() {
        *per_clock.entry(e.clock_id).or_default() += 1;
    }
    assert_eq!(per_clock.len(), CLOCKS, "every clock breached");
    assert!(per_clock.values().all(|&n| n == 1));
    let due = t0 + SignedDuration::from_mins(3);
    assert!(
        breaches.iter().all(|e| e.at == due),
        "all due in the same second"
    );
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for e in &breaches {
        *per_node.entry(e.node.as_str()).or_default() += 1;
    }
    assert!(per_node.keys().all(|n| ["node-a", "node-b"].contains(n)));
    eprintln!(
        "breaches per node on {}: {per_node:?}",
        first.store.backend().as_str()
    );
    let _ = warnings;
    // And the clocks say so: breached, warned, updated once by whoever fired them.
    let mut r = first.store.read().await.unwrap();
    let clocks = r
        .list_sla_clocks(&tripdesk_store::SlaClockFilter::default())
        .await
        .unwrap();
    assert_eq!(clocks.len(), CLOCKS);
    assert!(clocks
        .iter()
        .all(|c| c.clock.state() == ClockState::Breached && c.clock.warned() && c.version == 2));
    drop(r);
    second.close().await;
}
