//! The job substrate as the use cases see it: typed handlers, `enqueue` inside the caller's
//! transaction, recurring schedules, the worker that runs due jobs, and the administrators'
//! list and retry.
//!
//! A capability adds a job by implementing [`JobHandler`] (a kind, a serde payload, `run`)
//! and registering it in the [`JobRegistry`] the worker is started with
//! (`tripdesk serve` builds it in `tripdesk::jobs_registry`). Its use cases enqueue with
//! [`App::enqueue_job`] in their own transaction; recurring work is registered with
//! [`JobRegistry::recurring`].
//!
//! A job that must first read something outside the database (an OTA's calendar over HTTP)
//! implements [`PreparedJobHandler`] instead: its `prepare` runs after the claim and before
//! the job's transaction opens, so no write transaction — SQLite's one writer — is held
//! across network I/O; `run` gets what it read.
//!
//! **Exactly once.** The handler runs inside the transaction that completes the job, and
//! completing is a conditional update on the claim ([`tripdesk_store::JobRepo::complete_job`]):
//! if this worker's lease lapsed and another worker took the job, the completion matches no
//! row and the transaction — with the handler's effect — is dropped. So the effect commits
//! once however many nodes run, die or stall. A handler must therefore keep its effect in
//! the transaction it is given (an outside effect, such as sending mail, is an outbox message
//! enqueued in it).

pub mod prune;
mod worker;

pub use worker::{drain, JobWorker, WorkerSettings};

use crate::{App, AppError, Principal};
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::jobs::{Backoff, Schedule};
use tripdesk_store::{JobFilter, JobRecord, JobState, NewJob, Tx};
use uuid::Uuid;

/// Deferred work of one kind.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The kind stored with each job, `capability.what` (e.g. `bookings.hold_expiry`).
    const KIND: &'static str;
    /// Attempts before the job turns dead.
    const MAX_ATTEMPTS: i64 = 5;
    /// What one job carries (stored as JSON; keep personal data out of it — store an id).
    type Payload: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Does the work inside `tx`, which commits it together with the job's completion. An
    /// error rolls the effect back and the job is retried after the backoff (its text is
    /// kept with the job and shown to administrators: never personal data).
    async fn run(&self, app: &App, tx: &mut dyn Tx, payload: Self::Payload)
        -> Result<(), AppError>;
}

/// Deferred work that first reads something outside the database — an OTA's calendar over
/// HTTP — and then commits its effect like a [`JobHandler`].
///
/// `prepare` runs after the job is claimed and before its transaction opens: network I/O
/// never holds a write transaction (on SQLite, the one writer every request waits for). It
/// must have no effect of its own — it runs again on every attempt, and on another node if
/// this one dies — and only reads (an HTTP GET). Its result goes to `run`, whose effect
/// commits with the job's completion, exactly once.
#[async_trait]
pub trait PreparedJobHandler: Send + Sync + 'static {
    /// The kind stored with each job, `capability.what`.
    const KIND: &'static str;
    /// Attempts before the job turns dead.
    const MAX_ATTEMPTS: i64 = 5;
    /// What one job carries (stored as JSON; ids, never personal data).
    type Payload: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What `prepare` read, handed to `run`.
    type Prepared: Send + 'static;

    /// Reads what the job needs from outside, with no transaction open. An error fails the
    /// attempt (retried after the backoff).
    async fn prepare(&self, app: &App, payload: &Self::Payload)
        -> Result<Self::Prepared, AppError>;

    /// Does the work inside `tx`, which commits it together with the job's completion.
    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        payload: Self::Payload,
        prepared: Self::Prepared,
    ) -> Result<(), AppError>;
}

/// What a handler prepared outside the transaction, with its type erased (each handler
/// downcasts its own).
type Prepared = Box<dyn std::any::Any + Send>;

/// A handler with its payload type erased, as the registry keeps it.
#[async_trait]
trait Erased: Send + Sync {
    /// Reads the payload, and whatever the handler reads outside the transaction.
    async fn prepare(&self, app: &App, payload: &str) -> Result<Prepared, AppError>;
    /// The effect, inside the job's transaction.
    async fn run(&self, app: &App, tx: &mut dyn Tx, prepared: Prepared) -> Result<(), AppError>;
    fn max_attempts(&self) -> i64;
}

fn read_payload<P: DeserializeOwned>(kind: &str, payload: &str) -> Result<P, AppError> {
    serde_json::from_str(payload)
        .map_err(|e| AppError::Internal(format!("job payload of {kind} unreadable: {e}")))
}

fn mixed_up(kind: &str) -> AppError {
    AppError::Internal(format!("job {kind}: prepared for another kind"))
}

struct Typed<H>(H);

#[async_trait]
impl<H: JobHandler> Erased for Typed<H> {
    async fn prepare(&self, _app: &App, payload: &str) -> Result<Prepared, AppError> {
        Ok(Box::new(read_payload::<H::Payload>(H::KIND, payload)?))
    }

    async fn run(&self, app: &App, tx: &mut dyn Tx, prepared: Prepared) -> Result<(), AppError> {
        let payload = prepared
            .downcast::<H::Payload>()
            .map_err(|_| mixed_up(H::KIND))?;
        self.0.run(app, tx, *payload).await
    }

    fn max_attempts(&self) -> i64 {
        H::MAX_ATTEMPTS
    }
}

struct TwoStep<H>(H);

#[async_trait]
impl<H: PreparedJobHandler> Erased for TwoStep<H> {
    async fn prepare(&self, app: &App, payload: &str) -> Result<Prepared, AppError> {
        let payload = read_payload::<H::Payload>(H::KIND, payload)?;
        let prepared = self.0.prepare(app, &payload).await?;
        Ok(Box::new((payload, prepared)))
    }

    async fn run(&self, app: &App, tx: &mut dyn Tx, prepared: Prepared) -> Result<(), AppError> {
        let both = prepared
            .downcast::<(H::Payload, H::Prepared)>()
            .map_err(|_| mixed_up(H::KIND))?;
        let (payload, prepared) = *both;
        self.0.run(app, tx, payload, prepared).await
    }

    fn max_attempts(&self) -> i64 {
        H::MAX_ATTEMPTS
    }
}

/// A recurring job: its schedule and the payload each run gets.
pub(crate) struct Recurring {
    pub schedule: Schedule,
    pub payload: String,
}

/// The handlers a worker runs, and the recurring schedules it keeps.
#[derive(Default, Clone)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Arc<dyn Erased>>,
    recurring: HashMap<&'static str, Arc<Recurring>>,
    backoff: Backoff,
}

impl JobRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The retry delays (default: 10 s doubled per attempt, at most one hour).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Registers a handler. A kind registered twice is a programming error.
    pub fn register<H: JobHandler>(mut self, handler: H) -> Self {
        let previous = self.handlers.insert(H::KIND, Arc::new(Typed(handler)));
        assert!(previous.is_none(), "job kind {} registered twice", H::KIND);
        self
    }

    /// Registers a handler that reads outside the database before its transaction (see
    /// [`PreparedJobHandler`]). A kind registered twice is a programming error.
    pub fn register_prepared<H: PreparedJobHandler>(mut self, handler: H) -> Self {
        let previous = self.handlers.insert(H::KIND, Arc::new(TwoStep(handler)));
        assert!(previous.is_none(), "job kind {} registered twice", H::KIND);
        self
    }

    /// Registers a handler that also runs on `schedule` with `payload`. The worker keeps one
    /// pending run per schedule (its unique key), enqueued at start-up and after each run.
    pub fn recurring<H: JobHandler>(
        self,
        handler: H,
        schedule: Schedule,
        payload: &H::Payload,
    ) -> Result<Self, AppError> {
        let payload = serde_json::to_string(payload)
            .map_err(|e| AppError::Internal(format!("job payload of {}: {e}", H::KIND)))?;
        let mut this = self.register(handler);
        this.recurring
            .insert(H::KIND, Arc::new(Recurring { schedule, payload }));
        Ok(this)
    }

    /// [`JobRegistry::recurring`] for a [`PreparedJobHandler`].
    pub fn recurring_prepared<H: PreparedJobHandler>(
        self,
        handler: H,
        schedule: Schedule,
        payload: &H::Payload,
    ) -> Result<Self, AppError> {
        let payload = serde_json::to_string(payload)
            .map_err(|e| AppError::Internal(format!("job payload of {}: {e}", H::KIND)))?;
        let mut this = self.register_prepared(handler);
        this.recurring
            .insert(H::KIND, Arc::new(Recurring { schedule, payload }));
        Ok(this)
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort_unstable();
        k
    }

    fn handler(&self, kind: &str) -> Option<&Arc<dyn Erased>> {
        self.handlers.get(kind)
    }

    /// The recurring schedule of `job`, if it is a scheduled run.
    fn schedule_of(&self, job: &JobRecord) -> Option<(&'static str, &Arc<Recurring>)> {
        let (kind, r) = self.recurring.get_key_value(job.kind.as_str())?;
        (job.unique_key.as_deref() == Some(schedule_key(kind).as_str())).then_some((*kind, r))
    }
}

/// Every capability's handlers and schedules: what `tripdesk serve` runs. A capability adds
/// its job here.
pub fn standard_registry() -> Result<JobRegistry, AppError> {
    JobRegistry::new()
        .recurring(
            prune::PruneSucceededJobs,
            Schedule::every_minutes(prune::PRUNE_EVERY_MINUTES)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            &prune::PrunePayload::default(),
        )?
        .recurring(
            crate::quality::Heartbeat,
            Schedule::every_minutes(crate::quality::HEARTBEAT_EVERY_MINUTES)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            &crate::quality::HeartbeatPayload::default(),
        )?
        .register(crate::bookings::ExpireHold)
        .register(crate::emergency::NoAnswerSweep)
        .register(crate::chat::ChatUnanswered)
        .recurring(
            crate::bookings::ical_sync::SweepIcalSubscriptions,
            Schedule::every_minutes(1).map_err(|e| AppError::Internal(e.to_string()))?,
            &crate::bookings::ical_sync::SweepPayload::default(),
        )?
        .register_prepared(crate::bookings::ical_sync::SyncIcalSubscription::new(
            crate::bookings::feed_fetch::FetchLimits::default(),
        )?)
        .recurring(
            crate::email_in::imap::SweepMailboxes,
            Schedule::every_minutes(1).map_err(|e| AppError::Internal(e.to_string()))?,
            &crate::email_in::imap::SweepPayload::default(),
        )?
        .register_prepared(crate::email_in::imap::PollMailbox)
        .recurring_prepared(
            crate::summaries::job::SendSummaries,
            Schedule::daily_china(crate::summaries::job::SEND_AT_HOUR, 0),
            &crate::summaries::job::SendSummariesPayload::default(),
        )
}

/// The unique key that keeps one pending run per schedule.
fn schedule_key(kind: &str) -> String {
    format!("schedule:{kind}")
}

/// One page of jobs for the administrators.
#[derive(Debug)]
pub struct JobPage {
    pub jobs: Vec<JobRecord>,
    /// Whether another page follows.
    pub more: bool,
}

impl App {
    /// Enqueues a job of handler `H` in the caller's transaction, to run at or after
    /// `run_at`. With a `unique_key` another pending job holds, nothing is enqueued and false
    /// is returned ("one pending per X").
    pub async fn enqueue_job<H: JobHandler>(
        &self,
        tx: &mut dyn Tx,
        payload: &H::Payload,
        run_at: jiff::Timestamp,
        unique_key: Option<&str>,
    ) -> Result<bool, AppError> {
        self.enqueue_kind(tx, H::KIND, H::MAX_ATTEMPTS, payload, run_at, unique_key)
            .await
    }

    /// [`App::enqueue_job`] for a [`PreparedJobHandler`].
    pub async fn enqueue_prepared_job<H: PreparedJobHandler>(
        &self,
        tx: &mut dyn Tx,
        payload: &H::Payload,
        run_at: jiff::Timestamp,
        unique_key: Option<&str>,
    ) -> Result<bool, AppError> {
        self.enqueue_kind(tx, H::KIND, H::MAX_ATTEMPTS, payload, run_at, unique_key)
            .await
    }

    async fn enqueue_kind<P: Serialize>(
        &self,
        tx: &mut dyn Tx,
        kind: &'static str,
        max_attempts: i64,
        payload: &P,
        run_at: jiff::Timestamp,
        unique_key: Option<&str>,
    ) -> Result<bool, AppError> {
        let payload = serde_json::to_string(payload)
            .map_err(|e| AppError::Internal(format!("job payload of {kind}: {e}")))?;
        Ok(tx
            .enqueue_job(&NewJob {
                id: Uuid::now_v7(),
                kind: kind.into(),
                payload,
                run_at,
                max_attempts: max_attempts.max(1),
                unique_key: unique_key.map(str::to_string),
                created_at: self.now(),
            })
            .await?)
    }

    /// Makes sure each recurring schedule of `registry` has its next run pending (idempotent:
    /// the schedule's unique key lets one node's enqueue win). Returns how many it enqueued.
    pub async fn ensure_job_schedules(&self, registry: &JobRegistry) -> Result<usize, AppError> {
        let mut tx = self.store.write().await?;
        let mut added = 0;
        let mut kinds: Vec<_> = registry.recurring.iter().collect();
        kinds.sort_by_key(|(k, _)| **k);
        for (kind, r) in kinds {
            if enqueue_next_run(self, &mut *tx, registry, kind, r).await? {
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Jobs, newest first, optionally of one state (administrators).
    pub async fn list_jobs(
        &self,
        principal: &Principal,
        state: Option<JobState>,
        limit: u32,
        offset: u64,
    ) -> Result<JobPage, AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut tx = self.store.read().await?;
        let mut jobs = tx
            .list_jobs(&JobFilter {
                state,
                kind: None,
                limit: limit.saturating_add(1),
                offset,
            })
            .await?;
        let more = jobs.len() > limit as usize;
        jobs.truncate(limit as usize);
        Ok(JobPage { jobs, more })
    }

    /// Puts a dead job back to due now with a fresh set of attempts (administrators),
    /// audited in the same transaction.
    pub async fn retry_job(&self, principal: &Principal, id: Uuid) -> Result<JobRecord, AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut tx = self.store.write().await?;
        let job = tx.get_job(id).await?.ok_or(AppError::NotFound("job"))?;
        if job.state != JobState::Dead {
            return Err(AppError::Conflict {
                code: "job_not_dead",
                message: "only a dead job can be retried".into(),
                field: None,
            });
        }
        if !tx.retry_dead_job(id, self.now()).await? {
            return Err(AppError::Conflict {
                code: "job_not_dead",
                message: "only a dead job can be retried".into(),
                field: None,
            });
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::JobRetry,
            "job",
            Some(id.to_string()),
            serde_json::json!({ "kind": job.kind, "attempts_before": job.attempts }),
        )
        .await?;
        let job = tx.get_job(id).await?.ok_or(AppError::NotFound("job"))?;
        tx.commit().await?;
        Ok(job)
    }
}

/// Enqueues the next run of a recurring schedule (nothing when one is pending).
async fn enqueue_next_run(
    app: &App,
    tx: &mut dyn Tx,
    registry: &JobRegistry,
    kind: &'static str,
    r: &Recurring,
) -> Result<bool, AppError> {
    let max_attempts = registry
        .handler(kind)
        .map_or(1, |h| h.max_attempts())
        .max(1);
    Ok(tx
        .enqueue_job(&NewJob {
            id: Uuid::now_v7(),
            kind: kind.into(),
            payload: r.payload.clone(),
            run_at: r.schedule.next_after(app.now()),
            max_attempts,
            unique_key: Some(schedule_key(kind)),
            created_at: app.now(),
        })
        .await?)
}
