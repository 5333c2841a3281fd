//! The job worker: one task per node that claims due jobs, runs each in its own
//! transaction (at most `concurrency` at once) and sleeps until the next job is due — woken
//! early by the after-commit signal when a job is enqueued (on this node, or on another
//! PostgreSQL node through `LISTEN`), and looking again at least every
//! [`tripdesk_store::signal::FALLBACK_POLL`].

use super::{enqueue_next_run, JobRegistry};
use crate::App;
use jiff::SignedDuration;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tripdesk_domain::jobs::AfterFailure;
use tripdesk_store::signal::{Topic, FALLBACK_POLL};
use tripdesk_store::{JobRecord, JobRetry};

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs running at once on this node.
    pub concurrency: usize,
    /// How long a claim lasts: a job whose worker has not finished by then (the node died)
    /// is claimed again by any worker.
    pub lease: SignedDuration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: SignedDuration::from_mins(5),
        }
    }
}

/// A running worker; [`JobWorker::shutdown`] stops it after the jobs in progress.
pub struct JobWorker {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl JobWorker {
    /// Ensures the recurring schedules are pending, then starts this node's worker.
    pub async fn spawn(app: App, registry: JobRegistry, settings: WorkerSettings) -> Self {
        if let Err(e) = app.store.listen_signals().await {
            tracing::warn!(error = %e, "cannot listen for other nodes' commits; relying on the fallback poll");
        }
        if let Err(e) = app.ensure_job_schedules(&registry).await {
            tracing::warn!(error = %e, "job worker: cannot enqueue the recurring schedules");
        }
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(app, Arc::new(registry), settings, stopped));
        Self { task, stop }
    }

    /// Stops claiming, waits for the jobs in progress, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    app: App,
    registry: Arc<JobRegistry>,
    settings: WorkerSettings,
    mut stopped: watch::Receiver<bool>,
) {
    let concurrency = settings.concurrency.max(1);
    let slots = Arc::new(Semaphore::new(concurrency));
    let signals = app.store.signals();
    let mut wake = signals.subscribe(Topic::Jobs);
    loop {
        if *stopped.borrow() {
            break;
        }
        // Awake and subscribed before looking: a job committed while we look wakes us again.
        signals.awake(Topic::Jobs);
        wake.mark_seen();
        let free = slots.available_permits();
        let mut claimed = 0;
        let mut failed = false;
        if free > 0 {
            match claim(&app, &settings, free).await {
                Ok(jobs) => {
                    claimed = jobs.len();
                    for job in jobs {
                        let permit = slots.clone().acquire_owned().await.expect("never closed");
                        let (app, registry) = (app.clone(), registry.clone());
                        tokio::spawn(async move {
                            run_job(&app, &registry, job).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "job worker: claiming failed; retrying shortly");
                    failed = true;
                }
            }
        }
        if claimed > 0 && claimed == free {
            // Maybe more: claim again once a slot frees.
            tokio::select! {
                p = slots.clone().acquire_owned() => drop(p),
                _ = stopped.changed() => {}
            }
            continue;
        }
        let now = app.now();
        let wait = if failed {
            Duration::from_secs(1)
        } else if free == 0 {
            Duration::from_millis(50)
        } else {
            let next = match app.store.read().await {
                Ok(mut tx) => tx.next_job_due().await.ok().flatten(),
                Err(_) => None,
            };
            match next {
                Some(due) if due <= now => {
                    if claimed > 0 {
                        Duration::ZERO
                    } else {
                        // Due, yet nothing claimable: another node is claiming those rows.
                        Duration::from_millis(50)
                    }
                }
                Some(due) => due.duration_since(now).unsigned_abs().min(FALLBACK_POLL),
                None => FALLBACK_POLL,
            }
        };
        if wait.is_zero() {
            continue;
        }
        let until = now
            .as_millisecond()
            .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        signals.sleeping_until(Topic::Jobs, until);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.changed() => {}
            _ = stopped.changed() => {}
        }
    }
    // Let the jobs in progress finish (each ends with its commit).
    let _ = slots.acquire_many(concurrency as u32).await;
}

async fn claim(
    app: &App,
    settings: &WorkerSettings,
    max: usize,
) -> Result<Vec<JobRecord>, tripdesk_store::StoreError> {
    let now = app.now();
    let mut tx = app.store.write().await?;
    let jobs = tx
        .claim_due_jobs(now, now + settings.lease, max as u32)
        .await?;
    tx.commit().await?;
    Ok(jobs)
}

/// Claims and runs, one after another, every job due now until none is left, and returns
/// how many ran: what the worker does, without its waiting (tests drain the queue with it
/// instead of sleeping).
pub async fn drain(app: &App, registry: &JobRegistry) -> Result<usize, crate::AppError> {
    let settings = WorkerSettings::default();
    let mut ran = 0;
    loop {
        let jobs = claim(app, &settings, 16).await?;
        if jobs.is_empty() {
            return Ok(ran);
        }
        for job in jobs {
            run_job(app, registry, job).await;
            ran += 1;
        }
    }
}

/// Runs one claimed job: its effect and its completion in one transaction, or — on failure —
/// the effect rolled back and the failure recorded (retry at the backoff, or dead).
pub(crate) async fn run_job(app: &App, registry: &JobRegistry, job: JobRecord) {
    let lease = job.lease();
    let outcome: Result<bool, String> = async {
        let handler = registry
            .handler(&job.kind)
            .ok_or_else(|| format!("no handler for job kind {}", job.kind))?;
        // What the handler reads outside the database, before any write transaction opens.
        let prepared = handler
            .prepare(app, &job.payload)
            .await
            .map_err(|e| describe(&e))?;
        let mut tx = app.store.write().await.map_err(|e| e.to_string())?;
        handler
            .run(app, &mut *tx, prepared)
            .await
            .map_err(|e| describe(&e))?;
        if !tx
            .complete_job(lease, app.now())
            .await
            .map_err(|e| e.to_string())?
        {
            // Another worker holds the job now (this one's lease lapsed): drop the effect.
            return Ok(false);
        }
        if let Some((kind, r)) = registry.schedule_of(&job) {
            enqueue_next_run(app, &mut *tx, registry, kind, r)
                .await
                .map_err(|e| describe(&e))?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        Ok(true)
    }
    .await;
    match outcome {
        Ok(true) => {
            tracing::debug!(job = %job.id, kind = %job.kind, "job succeeded");
        }
        Ok(false) => {
            tracing::warn!(job = %job.id, kind = %job.kind, "job lost its lease; its effect was not committed");
        }
        Err(error) => {
            if let Err(e) = record_failure(app, registry, &job, &error).await {
                tracing::warn!(job = %job.id, error = %e, "job worker: cannot record a failure; the lease will lapse");
            }
        }
    }
}

async fn record_failure(
    app: &App,
    registry: &JobRegistry,
    job: &JobRecord,
    error: &str,
) -> Result<(), crate::AppError> {
    let now = app.now();
    let retry = match registry
        .backoff
        .after_failure(job.attempts, job.max_attempts, now)
    {
        AfterFailure::RetryAt(at) => JobRetry::At(at),
        AfterFailure::Dead => JobRetry::Dead,
    };
    let mut tx = app.store.write().await?;
    if !tx.fail_job(job.lease(), retry.clone(), error, now).await? {
        return Ok(());
    }
    if retry == JobRetry::Dead {
        tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, "job dead after its last attempt");
        // A schedule goes on after a dead run.
        if let Some((kind, r)) = registry.schedule_of(job) {
            enqueue_next_run(app, &mut *tx, registry, kind, r).await?;
        }
    } else {
        tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, "job failed; retrying");
    }
    tx.commit().await?;
    Ok(())
}

/// What a failure says to administrators: the error's text, which for internal errors is
/// the logged detail (never personal data by the handlers' contract).
fn describe(e: &crate::AppError) -> String {
    match e {
        crate::AppError::Internal(detail) | crate::AppError::Unavailable(detail) => detail.clone(),
        other => other.to_string(),
    }
}
