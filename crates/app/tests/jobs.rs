//! The job substrate on the backend of this test run: a job scheduled before a restart runs
//! once after it (the store really closed and opened again); two nodes (two stores, two
//! workers on one database) run a burst of 1,000 jobs each exactly once; a failing job
//! retries with backoff and turns dead; recurring schedules are enqueued once.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tripdesk_app::jobs::{drain, JobHandler, JobRegistry, JobWorker, WorkerSettings};
use tripdesk_app::{App, AppError, AppSettings};
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_domain::jobs::{Backoff, Schedule};
use tripdesk_store::{JobFilter, JobState, MessageFilter, NewMessage, Store, Tx};
use tripdesk_store_sql::testing::{fresh_store, postgres_url};
use tripdesk_store_sql::PoolSettings;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The effect every test job writes in its transaction: an outbox message related to
/// (`job-effect`, n), with the node that ran it as subject. Nothing is unique about it, so
/// a job run twice would leave two.
struct Effect;

#[derive(Serialize, Deserialize)]
struct EffectPayload {
    n: u32,
}

#[async_trait]
impl JobHandler for Effect {
    const KIND: &'static str = "test.effect";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = EffectPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, p: EffectPayload) -> Result<(), AppError> {
        let now = app.now();
        tx.enqueue(&[NewMessage {
            id: Uuid::now_v7(),
            channel: "in_app".into(),
            recipient: Uuid::nil().to_string(),
            customer_id: None,
            subject: app.node().into(),
            body_text: String::new(),
            body_html: None,
            event: None,
            template_key: None,
            template_version: None,
            locale: "zh-CN".into(),
            related_type: Some("job-effect".into()),
            related_id: Some(p.n.to_string()),
            emergency: false,
            max_attempts: 1,
            // Never due: no dispatcher runs here anyway.
            due_at: t("2100-01-01T00:00:00Z"),
            created_by: None,
            created_at: now,
            attachments: Vec::new(),
            thread_references: None,
        }])
        .await?;
        Ok(())
    }
}

/// Every effect written so far: job number → the nodes that ran it.
async fn effects(store: &dyn Store) -> HashMap<u32, Vec<String>> {
    let mut out: HashMap<u32, Vec<String>> = HashMap::new();
    let mut before = None;
    loop {
        let mut tx = store.read().await.unwrap();
        let page = tx
            .list_messages(&MessageFilter {
                related_type: Some("job-effect".into()),
                before,
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else {
            return out;
        };
        before = Some(last.id);
        for m in &page {
            let n = m.related_id.as_deref().unwrap().parse().unwrap();
            out.entry(n).or_default().push(m.subject.clone());
        }
    }
}

/// Polls (bounded, 120 s) until `n` jobs succeeded.
async fn wait_for_succeeded(store: &dyn Store, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut tx = store.read().await.unwrap();
        let done = tx
            .list_jobs(&JobFilter {
                state: Some(JobState::Succeeded),
                limit: n as u32 + 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .len();
        drop(tx);
        if done >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {n} jobs succeeded after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn registry() -> JobRegistry {
    JobRegistry::new().register(Effect)
}

async fn enqueue_effects(app: &App, range: std::ops::Range<u32>, run_at: Timestamp) -> Vec<Uuid> {
    let mut tx = app.store.write().await.unwrap();
    for n in range {
        assert!(app
            .enqueue_job::<Effect>(&mut *tx, &EffectPayload { n }, run_at, None)
            .await
            .unwrap());
    }
    tx.commit().await.unwrap();
    let mut tx = app.store.read().await.unwrap();
    tx.list_jobs(&JobFilter {
        limit: 10_000,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|j| j.id)
    .collect()
}

/// A job enqueued for a few seconds later, with the worker running, then the node stopped
/// and its store closed before the job's instant; a new store on the same database (a
/// restarted node) runs it after its instant, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_scheduled_before_a_restart_runs_once_after_it() {
    let test = fresh_store().await;
    let t0 = t("2026-12-02T04:00:00Z");
    let clock = Arc::new(ManualClock::new(t0));
    let before = App::new(test.store.clone(), clock.clone(), AppSettings::default())
        .with_node("before-restart");
    let worker = JobWorker::spawn(before.clone(), registry(), WorkerSettings::default()).await;
    let ids = enqueue_effects(&before, 0..1, t0 + SignedDuration::from_secs(5)).await;
    tokio::task::yield_now().await;
    worker.shutdown().await;
    assert!(
        effects(&*test.store).await.is_empty(),
        "not before its instant"
    );
    test.store.close().await;
    drop(before);

    let reopened = tripdesk_store_sql::open(&test.location, &PoolSettings::default())
        .await
        .unwrap();
    clock.advance(SignedDuration::from_secs(6));
    let after = App::new(reopened.clone(), clock.clone(), AppSettings::default())
        .with_node("after-restart");
    let worker = JobWorker::spawn(after.clone(), registry(), WorkerSettings::default()).await;
    wait_for_succeeded(&*reopened, 1).await;
    worker.shutdown().await;

    let done = effects(&*reopened).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[&0], vec!["after-restart".to_string()]);
    let mut tx = reopened.read().await.unwrap();
    let job = tx.get_job(ids[0]).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Succeeded, 1));
    drop(tx);
    reopened.close().await;
}

/// Two nodes — two stores with their own pools, each with a worker — on one database run
/// a burst of 1,000 jobs: each job's effect is committed exactly once. On PostgreSQL both
/// nodes take part (the enqueuing commit's NOTIFY wakes the other node's worker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_run_a_burst_of_1000_jobs_each_exactly_once() {
    let test = fresh_store().await;
    let second = tripdesk_store_sql::open(
        &test.location,
        &PoolSettings {
            max_connections: 8,
            ..PoolSettings::default()
        },
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(t("2026-12-02T04:00:00Z")));
    let a = App::new(test.store.clone(), clock.clone(), AppSettings::default()).with_node("node-a");
    let b = App::new(second.clone(), clock.clone(), AppSettings::default()).with_node("node-b");
    let wa = JobWorker::spawn(a.clone(), registry(), WorkerSettings::default()).await;
    let wb = JobWorker::spawn(b.clone(), registry(), WorkerSettings::default()).await;

    enqueue_effects(&a, 0..1000, clock.now()).await;
    wait_for_succeeded(&*test.store, 1000).await;
    wa.shutdown().await;
    wb.shutdown().await;

    let done = effects(&*test.store).await;
    assert_eq!(done.len(), 1000, "every job's effect is there");
    let doubled: Vec<_> = done.iter().filter(|(_, nodes)| nodes.len() != 1).collect();
    assert!(doubled.is_empty(), "effects written twice: {doubled:?}");
    let by_node = |node: &str| done.values().filter(|v| v[0] == node).count();
    if postgres_url().is_some() {
        assert!(
            by_node("node-a") > 0 && by_node("node-b") > 0,
            "both nodes ran jobs: a {} b {}",
            by_node("node-a"),
            by_node("node-b")
        );
    }
    second.close().await;
}

/// Fails while `broken` is set.
struct Flaky(Arc<AtomicBool>);

#[async_trait]
impl JobHandler for Flaky {
    const KIND: &'static str = "test.flaky";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = EffectPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, p: EffectPayload) -> Result<(), AppError> {
        // The effect is written first: a failure must roll it back.
        Effect.run(app, tx, p).await?;
        if self.0.load(Ordering::SeqCst) {
            return Err(AppError::Unavailable(
                "the partner system did not answer".into(),
            ));
        }
        Ok(())
    }
}

/// A failing job is retried after the backoff (1 s, then 2 s), turns dead after its third
/// attempt with nothing of its effect committed, and once retried (here directly through
/// the store; the API test retries through `POST /api/v1/jobs/{id}/retry`) runs once.
#[tokio::test]
async fn a_failing_job_retries_with_backoff_then_turns_dead() {
    let test = fresh_store().await;
    let t0 = t("2026-12-02T04:00:00Z");
    let clock = Arc::new(ManualClock::new(t0));
    let app = App::new(test.store.clone(), clock.clone(), AppSettings::default());
    let broken = Arc::new(AtomicBool::new(true));
    let registry = JobRegistry::new()
        .register(Flaky(broken.clone()))
        .with_backoff(Backoff {
            base: SignedDuration::from_secs(1),
            cap: SignedDuration::from_secs(60),
        });
    let mut tx = app.store.write().await.unwrap();
    app.enqueue_job::<Flaky>(&mut *tx, &EffectPayload { n: 7 }, t0, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let job_state = || async {
        let mut tx = test.store.read().await.unwrap();
        let jobs = tx
            .list_jobs(&JobFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1);
        jobs.into_iter().next().unwrap()
    };

    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    let j = job_state().await;
    assert_eq!(
        (j.state, j.attempts, j.run_at),
        (JobState::Due, 1, t0 + SignedDuration::from_secs(1))
    );
    assert_eq!(
        j.last_error.as_deref(),
        Some("the partner system did not answer")
    );
    // Not before its backoff.
    assert_eq!(drain(&app, &registry).await.unwrap(), 0);
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    let j = job_state().await;
    assert_eq!(
        (j.state, j.attempts, j.run_at),
        (JobState::Due, 2, t0 + SignedDuration::from_secs(3))
    );
    clock.advance(SignedDuration::from_secs(2));
    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    let j = job_state().await;
    assert_eq!((j.state, j.attempts), (JobState::Dead, 3));
    clock.advance(SignedDuration::from_hours(10));
    assert_eq!(
        drain(&app, &registry).await.unwrap(),
        0,
        "a dead job is not run"
    );
    assert!(
        effects(&*test.store).await.is_empty(),
        "failed attempts left no effect"
    );

    broken.store(false, Ordering::SeqCst);
    let mut tx = test.store.write().await.unwrap();
    assert!(tx.retry_dead_job(j.id, clock.now()).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    assert_eq!(job_state().await.state, JobState::Succeeded);
    assert_eq!(effects(&*test.store).await[&7].len(), 1);
}

/// A recurring schedule has one pending run however often nodes start; each run enqueues
/// the next at the schedule's next instant.
#[tokio::test]
async fn a_recurring_schedule_keeps_one_pending_run() {
    let test = fresh_store().await;
    let t0 = t("2026-12-02T04:07:00Z");
    let clock = Arc::new(ManualClock::new(t0));
    let app = App::new(test.store.clone(), clock.clone(), AppSettings::default());
    let registry = || {
        JobRegistry::new()
            .recurring(
                Effect,
                Schedule::every_minutes(15).unwrap(),
                &EffectPayload { n: 1 },
            )
            .unwrap()
    };
    assert_eq!(app.ensure_job_schedules(&registry()).await.unwrap(), 1);
    assert_eq!(app.ensure_job_schedules(&registry()).await.unwrap(), 0);
    let pending = || async {
        let mut tx = test.store.read().await.unwrap();
        tx.list_jobs(&JobFilter {
            state: Some(JobState::Due),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
    };
    let due = pending().await;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].run_at, t("2026-12-02T04:15:00Z"));

    clock.set(t("2026-12-02T04:15:00Z"));
    assert_eq!(drain(&app, &registry()).await.unwrap(), 1);
    let due = pending().await;
    assert_eq!(due.len(), 1, "the next run, and only it");
    assert_eq!(due[0].run_at, t("2026-12-02T04:30:00Z"));
    assert_eq!(effects(&*test.store).await[&1].len(), 1);
}
