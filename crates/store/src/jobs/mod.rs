//! Records and repository of the job substrate: durable deferred and recurring work.
//!
//! A job is enqueued with [`JobRepo::enqueue_job`] inside the caller's transaction, so it
//! exists exactly when the change that asked for it is committed. Workers take due jobs with
//! [`JobRepo::claim_due_jobs`] (a lease: PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite its single
//! writer). The handler's effect and [`JobRepo::complete_job`] share one transaction, and
//! completing is a conditional update on the claim (the job still `running` under the same
//! attempt number): a worker whose lease lapsed — and whose job another worker took over —
//! has its commit refused, so the effect commits once.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

pub use tripdesk_domain::jobs::JobState;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub id: Uuid,
    /// Which handler runs it (`HANDLER::KIND`).
    pub kind: String,
    /// The handler's typed payload, as JSON text.
    pub payload: String,
    /// Not run before this instant.
    pub run_at: Timestamp,
    /// Attempts before it turns dead (at least 1).
    pub max_attempts: i64,
    /// At most one job with this key is pending (due or running) at a time: a recurring
    /// schedule's next run, "one pending per X".
    pub unique_key: Option<String>,
    pub created_at: Timestamp,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    /// Due: when it may run next. Running: when it was claimed. Done or dead: when it was last tried.
    pub run_at: Timestamp,
    /// Attempts started so far (a claim starts one).
    pub attempts: i64,
    pub max_attempts: i64,
    pub unique_key: Option<String>,
    /// While running: the claim's end; a worker past it has lost the job.
    pub lease_until: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

impl JobRecord {
    /// The claim this record was returned under (by [`JobRepo::claim_due_jobs`]).
    pub fn lease(&self) -> JobLease {
        JobLease {
            id: self.id,
            attempt: self.attempts,
        }
    }
}

/// One claim of a job: completing or failing it succeeds only while it is still this claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobLease {
    pub id: Uuid,
    pub attempt: i64,
}

/// How a failed attempt ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRetry {
    /// Due again at this instant.
    At(Timestamp),
    /// No attempt left: dead (its unique key is freed, so a schedule goes on).
    Dead,
}

/// Jobs by state, for the administrators' list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

#[async_trait]
pub trait JobRepo: Send {
    /// Writes a due job. With a `unique_key` another pending job already holds, nothing is
    /// written and false is returned.
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<bool, StoreError>;

    /// Claims up to `limit` jobs due at `now` (earliest first) — and jobs whose lease lapsed
    /// (the worker died): each becomes `running` until `lease_until` with one more attempt.
    /// A lapsed job that had no attempt left turns dead instead. On PostgreSQL jobs another
    /// node is claiming are skipped.
    async fn claim_due_jobs(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError>;

    /// Marks the claimed job succeeded. Call it in the transaction that holds the job's
    /// effect. False — and the caller must not commit — when the claim is no longer held
    /// (its lease lapsed and another worker took the job).
    async fn complete_job(&mut self, lease: JobLease, now: Timestamp) -> Result<bool, StoreError>;

    /// Records a failed attempt: due again at the given instant, or dead. False when the
    /// claim is no longer held (nothing changed).
    async fn fail_job(
        &mut self,
        lease: JobLease,
        retry: JobRetry,
        error: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Puts a dead job back to due at `now` with a fresh set of attempts. False when no dead
    /// job has this id.
    async fn retry_dead_job(&mut self, id: Uuid, now: Timestamp) -> Result<bool, StoreError>;

    async fn get_job(&mut self, id: Uuid) -> Result<Option<JobRecord>, StoreError>;

    /// Newest first.
    async fn list_jobs(&mut self, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError>;

    /// Deletes up to `limit` succeeded jobs finished before `before`; returns how many.
    async fn prune_succeeded_jobs(
        &mut self,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// The earliest instant a job becomes claimable: a due job's `run_at` or a running job's
    /// lease end.
    async fn next_job_due(&mut self) -> Result<Option<Timestamp>, StoreError>;

    /// Whether a pending (due or running) job holds `unique_key` ("is a sync of X queued?").
    async fn pending_job_with_key(&mut self, unique_key: &str) -> Result<bool, StoreError>;
}
