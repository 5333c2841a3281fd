//! One attempt at serving a request, as the database saw it: did a transaction meet a
//! deadlock or serialization failure ([`StoreError::Contention`](crate::StoreError)), and did
//! a write transaction commit?
//!
//! PostgreSQL resolves a deadlock (or a serialization conflict) by rolling one transaction
//! back; running that transaction again from its start succeeds. A use case is one write
//! transaction whose effects — the entity, its audit entry, its outbox messages — all commit
//! together, so an attempt that met contention and committed nothing left no trace, and the
//! whole request can be served again. The web layer runs each request inside [`run`] and
//! does that, a bounded number of times with [`backoff`] between attempts; the backends call
//! [`note_contention`] where they map the SQLSTATE and [`note_commit`] after a write commits.
//! Outside [`run`] (jobs, the command line) the notes go nowhere.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Default)]
struct State {
    contention: AtomicBool,
    commits: AtomicU32,
}

tokio::task_local! {
    static ATTEMPT: Arc<State>;
}

/// What one attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// A transaction was rolled back by the database to resolve a conflict.
    pub met_contention: bool,
    /// Write transactions committed during the attempt.
    pub commits: u32,
}

impl Outcome {
    /// The attempt met contention and committed nothing: serving it again repeats nothing.
    pub fn may_retry(&self) -> bool {
        self.met_contention && self.commits == 0
    }
}

/// Runs `f` as one attempt and reports what the database saw of it.
pub async fn run<F: Future>(f: F) -> (F::Output, Outcome) {
    let state = Arc::new(State::default());
    let out = ATTEMPT.scope(state.clone(), f).await;
    let outcome = Outcome {
        met_contention: state.contention.load(Ordering::SeqCst),
        commits: state.commits.load(Ordering::SeqCst),
    };
    (out, outcome)
}

/// Called by a backend when the database aborted a transaction for contention.
pub fn note_contention() {
    let _ = ATTEMPT.try_with(|s| s.contention.store(true, Ordering::SeqCst));
}

/// Called by a backend after a write transaction committed.
pub fn note_commit() {
    let _ = ATTEMPT.try_with(|s| s.commits.fetch_add(1, Ordering::SeqCst));
}

/// Attempts per request, the first included. Each retry waits [`backoff`]; six attempts wait
/// at most ~0.3 s in all, far inside any request timeout.
pub const MAX_ATTEMPTS: u32 = 6;

/// The pause before retry `retry` (1 for the first retry): "full jitter" — uniformly between
/// zero and 5 ms × 2^retry, at most 200 ms — so transactions that collided do not collide
/// again in step. `random` is a uniform sample from [0, 1).
pub fn backoff(retry: u32, random: f64) -> Duration {
    let ceiling_ms = (5u64 << retry.min(10)).min(200) as f64;
    Duration::from_micros((ceiling_ms * 1000.0 * random.clamp(0.0, 1.0)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_attempt_reports_contention_and_commits() {
        let ((), clean) = run(async {}).await;
        assert!(!clean.may_retry());
        let ((), failed) = run(async { note_contention() }).await;
        assert!(failed.met_contention && failed.may_retry());
        let ((), after_commit) = run(async {
            note_commit();
            note_contention();
        })
        .await;
        assert_eq!(after_commit.commits, 1);
        assert!(
            !after_commit.may_retry(),
            "a committed transaction must not be repeated"
        );
        // Outside an attempt the notes are ignored.
        note_contention();
        note_commit();
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        assert_eq!(backoff(1, 0.0), Duration::ZERO);
        assert_eq!(backoff(1, 0.999_999), Duration::from_micros(9_999));
        assert_eq!(backoff(3, 0.5), Duration::from_millis(20));
        for retry in 1..100 {
            assert!(backoff(retry, 1.0) <= Duration::from_millis(200));
        }
        let total: Duration = (1..MAX_ATTEMPTS).map(|r| backoff(r, 1.0)).sum();
        assert!(total <= Duration::from_millis(700), "{total:?}");
    }
}
