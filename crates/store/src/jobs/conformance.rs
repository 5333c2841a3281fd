//! Conformance of the job substrate's repository: enqueue with unique keys, claims with
//! leases, completion refused to a worker that lost its claim, retries, death, an admin's
//! retry, listing, and claims exclusive under concurrent workers (re-exported by
//! [`crate::conformance`]).

use crate::signal::Topic;
use crate::*;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashSet;
use std::future::Future;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

pub fn sample_job(kind: &str, run_at: Timestamp, unique_key: Option<&str>) -> NewJob {
    NewJob {
        id: Uuid::now_v7(),
        kind: kind.into(),
        payload: r#"{"n":1}"#.into(),
        run_at,
        max_attempts: 3,
        unique_key: unique_key.map(str::to_string),
        created_at: run_at,
    }
}

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! jobs_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            jobs_enqueue_claim_complete, jobs_unique_key_holds_one_pending,
            jobs_lapsed_lease_refuses_the_stale_runner, jobs_retry_then_dead_then_admin_retry,
            jobs_list_by_state_paged, jobs_claims_are_exclusive, jobs_commit_wakes_the_worker);
    };
}

/// A job is claimed only once its instant has come, then completed once.
pub async fn jobs_enqueue_claim_complete(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let later = sample_job("test.later", now + SignedDuration::from_mins(5), None);
    let due = sample_job("test.due", now, None);
    let mut tx = store.write().await.unwrap();
    assert!(tx.enqueue_job(&later).await.unwrap());
    assert!(tx.enqueue_job(&due).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.next_job_due().await.unwrap(), Some(now));
    let lease_until = now + SignedDuration::from_secs(60);
    let got = tx.claim_due_jobs(now, lease_until, 10).await.unwrap();
    assert_eq!(got.len(), 1);
    let job = &got[0];
    assert_eq!(
        (job.id, job.state, job.attempts),
        (due.id, JobState::Running, 1)
    );
    assert_eq!(job.payload, due.payload);
    assert_eq!(job.lease_until, Some(lease_until));
    // The claimed job's lease end is now the earliest instant (before `later`).
    assert_eq!(tx.next_job_due().await.unwrap(), Some(lease_until));
    assert!(tx
        .claim_due_jobs(now, lease_until, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(tx.complete_job(job.lease(), now).await.unwrap());
    // Twice: refused, it is no longer running.
    assert!(!tx.complete_job(job.lease(), now).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let done = tx.get_job(due.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.finished_at, Some(now));
    assert_eq!(done.lease_until, None);
    assert_eq!(tx.next_job_due().await.unwrap(), Some(later.run_at));
    assert!(tx.get_job(Uuid::now_v7()).await.unwrap().is_none());
}

/// At most one pending job per unique key; once it is done, the key is free again.
pub async fn jobs_unique_key_holds_one_pending(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let first = sample_job("test.recurring", now, Some("schedule:test.recurring"));
    let mut tx = store.write().await.unwrap();
    assert!(tx.enqueue_job(&first).await.unwrap());
    assert!(!tx
        .enqueue_job(&sample_job(
            "test.recurring",
            now,
            Some("schedule:test.recurring")
        ))
        .await
        .unwrap());
    assert!(tx
        .enqueue_job(&sample_job("test.recurring", now, Some("other")))
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert!(r
        .pending_job_with_key("schedule:test.recurring")
        .await
        .unwrap());
    assert!(!r.pending_job_with_key("nobody").await.unwrap());
    drop(r);
    let mut tx = store.write().await.unwrap();
    let got = tx
        .claim_due_jobs(now, now + SignedDuration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert!(
        tx.pending_job_with_key("schedule:test.recurring")
            .await
            .unwrap(),
        "running is pending"
    );
    // Still pending while running.
    assert!(!tx
        .enqueue_job(&sample_job(
            "test.recurring",
            now,
            Some("schedule:test.recurring")
        ))
        .await
        .unwrap());
    let claimed = got.iter().find(|j| j.id == first.id).unwrap();
    assert!(tx.complete_job(claimed.lease(), now).await.unwrap());
    assert!(!tx
        .pending_job_with_key("schedule:test.recurring")
        .await
        .unwrap());
    // Completed in this transaction: the next run may take the key.
    assert!(tx
        .enqueue_job(&sample_job(
            "test.recurring",
            now,
            Some("schedule:test.recurring")
        ))
        .await
        .unwrap());
    tx.commit().await.unwrap();
}

/// A worker whose lease lapsed loses the job: another claims it (one more attempt) and the
/// first worker's completion is refused.
pub async fn jobs_lapsed_lease_refuses_the_stale_runner(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let job = sample_job("test.lease", now, None);
    let mut tx = store.write().await.unwrap();
    tx.enqueue_job(&job).await.unwrap();
    let lease = now + SignedDuration::from_secs(30);
    let stale = tx.claim_due_jobs(now, lease, 1).await.unwrap().remove(0);
    tx.commit().await.unwrap();

    // Before the lease ends nobody else gets it; at its end another worker does.
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .claim_due_jobs(lease - SignedDuration::from_millis(1), lease, 1)
        .await
        .unwrap()
        .is_empty());
    let fresh = tx
        .claim_due_jobs(lease, lease + SignedDuration::from_secs(30), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((fresh.id, fresh.attempts), (job.id, 2));
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert!(!tx.complete_job(stale.lease(), lease).await.unwrap());
    assert!(!tx
        .fail_job(stale.lease(), JobRetry::Dead, "late", lease)
        .await
        .unwrap());
    assert!(tx.complete_job(fresh.lease(), lease).await.unwrap());
    tx.commit().await.unwrap();

    // A job whose lease lapsed on its last attempt turns dead instead of running again.
    let mut last = sample_job("test.lease.last", now, None);
    last.max_attempts = 1;
    let mut tx = store.write().await.unwrap();
    tx.enqueue_job(&last).await.unwrap();
    assert_eq!(tx.claim_due_jobs(now, lease, 5).await.unwrap().len(), 1);
    assert!(tx
        .claim_due_jobs(lease, lease + SignedDuration::from_secs(30), 5)
        .await
        .unwrap()
        .is_empty());
    let dead = tx.get_job(last.id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert!(dead.last_error.is_some());
    tx.commit().await.unwrap();
}

/// A failed attempt makes the job due again later; the last one makes it dead; an
/// administrator's retry makes it due again with fresh attempts.
pub async fn jobs_retry_then_dead_then_admin_retry(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let mut job = sample_job("test.failing", now, Some("one-per-x"));
    job.max_attempts = 2;
    let mut tx = store.write().await.unwrap();
    tx.enqueue_job(&job).await.unwrap();
    let lease = now + SignedDuration::from_secs(30);
    let first = tx.claim_due_jobs(now, lease, 1).await.unwrap().remove(0);
    let retry_at = now + SignedDuration::from_secs(10);
    assert!(tx
        .fail_job(first.lease(), JobRetry::At(retry_at), "boom 1", now)
        .await
        .unwrap());
    let due = tx.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (due.state, due.run_at, due.attempts),
        (JobState::Due, retry_at, 1)
    );
    assert_eq!(due.last_error.as_deref(), Some("boom 1"));
    assert!(tx.claim_due_jobs(now, lease, 1).await.unwrap().is_empty());
    let second = tx
        .claim_due_jobs(retry_at, lease, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(second.attempts, 2);
    assert!(tx
        .fail_job(second.lease(), JobRetry::Dead, "boom 2", retry_at)
        .await
        .unwrap());
    let dead = tx.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.unique_key, None, "a dead job frees its key");
    assert_eq!(dead.finished_at, Some(retry_at));
    assert!(tx
        .claim_due_jobs(t("2030-01-01T00:00:00Z"), lease, 5)
        .await
        .unwrap()
        .is_empty());
    // The key is free: "one pending per X" may be enqueued again.
    assert!(tx
        .enqueue_job(&sample_job("test.failing", now, Some("one-per-x")))
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let later = t("2026-03-02T02:00:00Z");
    let mut tx = store.write().await.unwrap();
    assert!(!tx.retry_dead_job(Uuid::now_v7(), later).await.unwrap());
    assert!(tx.retry_dead_job(job.id, later).await.unwrap());
    assert!(
        !tx.retry_dead_job(job.id, later).await.unwrap(),
        "no longer dead"
    );
    let again = tx.get_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (again.state, again.run_at, again.attempts, again.finished_at),
        (JobState::Due, later, 0, None)
    );
    tx.commit().await.unwrap();
}

/// Listing by state, newest first, in pages.
pub async fn jobs_list_by_state_paged(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let mut ids = Vec::new();
    let mut tx = store.write().await.unwrap();
    for _ in 0..5 {
        let job = sample_job("test.list", now + SignedDuration::from_hours(1), None);
        ids.push(job.id);
        tx.enqueue_job(&job).await.unwrap();
    }
    let mut dead = sample_job("test.list.dead", now, None);
    dead.max_attempts = 1;
    tx.enqueue_job(&dead).await.unwrap();
    let c = tx
        .claim_due_jobs(now, now + SignedDuration::from_secs(5), 1)
        .await
        .unwrap()
        .remove(0);
    tx.fail_job(c.lease(), JobRetry::Dead, "x", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let page = |state, limit, offset| JobFilter {
        state,
        kind: None,
        limit,
        offset,
    };
    let all = tx.list_jobs(&page(None, 100, 0)).await.unwrap();
    assert_eq!(all.len(), 6);
    let due = tx
        .list_jobs(&page(Some(JobState::Due), 3, 0))
        .await
        .unwrap();
    let rest = tx
        .list_jobs(&page(Some(JobState::Due), 3, 3))
        .await
        .unwrap();
    let listed: Vec<Uuid> = due.iter().chain(&rest).map(|j| j.id).collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let dead_list = tx
        .list_jobs(&page(Some(JobState::Dead), 10, 0))
        .await
        .unwrap();
    assert_eq!(dead_list.len(), 1);
    assert_eq!(dead_list[0].id, dead.id);
    let by_kind = tx
        .list_jobs(&JobFilter {
            kind: Some("test.list.dead".into()),
            limit: 10,
            ..JobFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(by_kind.len(), 1);
    drop(tx);

    // Pruning removes succeeded jobs finished before the instant, and nothing else.
    let mut tx = store.write().await.unwrap();
    let c = tx
        .claim_due_jobs(
            now + SignedDuration::from_hours(1),
            now + SignedDuration::from_hours(2),
            1,
        )
        .await
        .unwrap()
        .remove(0);
    assert!(tx
        .complete_job(c.lease(), now + SignedDuration::from_hours(1))
        .await
        .unwrap());
    let cut = now + SignedDuration::from_hours(1);
    assert_eq!(tx.prune_succeeded_jobs(cut, 10).await.unwrap(), 0);
    let cut = cut + SignedDuration::from_millis(1);
    assert_eq!(tx.prune_succeeded_jobs(cut, 10).await.unwrap(), 1);
    assert!(tx.get_job(c.id).await.unwrap().is_none());
    assert_eq!(tx.list_jobs(&page(None, 100, 0)).await.unwrap().len(), 5);
    tx.commit().await.unwrap();
}

/// Workers claiming at once never get the same job.
pub async fn jobs_claims_are_exclusive(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    for _ in 0..60 {
        tx.enqueue_job(&sample_job("test.burst", now, None))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let mut workers = Vec::new();
    for _ in 0..6 {
        let seen = &seen;
        workers.push(async move {
            loop {
                let mut tx = store.write().await.unwrap();
                let got = tx
                    .claim_due_jobs(now, now + SignedDuration::from_secs(60), 4)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                if got.is_empty() {
                    break;
                }
                seen.lock().unwrap().extend(got.iter().map(|j| j.id));
                tokio::task::yield_now().await;
            }
        });
    }
    crate::conformance::join_all_for_tests(workers).await;
    let all = seen.into_inner().unwrap();
    let distinct: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!(all.len(), 60);
    assert_eq!(distinct.len(), 60);
}

/// Committing a transaction that enqueued a job wakes the job worker; a rolled-back one does not.
pub async fn jobs_commit_wakes_the_worker(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let signals = store.signals();
    let mut sub = signals.subscribe(Topic::Jobs);
    sub.mark_seen();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());

    let mut tx = store.write().await.unwrap();
    tx.enqueue_job(&sample_job("test.wake", now, None))
        .await
        .unwrap();
    drop(tx);
    tokio::task::yield_now().await;
    assert!(std::pin::pin!(sub.changed()).poll(&mut cx).is_pending());

    let mut tx = store.write().await.unwrap();
    tx.enqueue_job(&sample_job("test.wake", now, None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(std::pin::pin!(sub.changed()).poll(&mut cx).is_ready());
}
