//! The outbox dispatcher: a few worker tasks per node that claim due messages, send each
//! through its channel and record the outcome.
//!
//! How a message is delivered once, even with several nodes and crashes:
//! - A claim (one short transaction) marks a batch `sending`, leased to this worker until
//!   `now + lease`. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so nodes claiming at the
//!   same instant take different rows; SQLite has one writer, so claims never overlap.
//! - Each message is sent, then its outcome recorded at once in its own transaction — only if
//!   this worker still holds the claim. A worker never starts a send that could outlast its
//!   lease; what it cannot send in time it hands back.
//! - If the process dies, its claims lapse when the lease ends and another worker (on any
//!   node, or this one restarted) takes them again. The only duplicate possible is a message
//!   that was handed to the channel but whose outcome was not yet recorded when the process
//!   died: at most one per worker, i.e. `workers` per crash. Receivers can drop such
//!   duplicates by the message id (`X-Tripdesk-Message-Id`, `X-Tripdesk-Delivery`).
//!
//! Workers sleep until work is enqueued (a commit that enqueued announces it on the
//! after-commit signal's `outbox` topic: on this node, and on PostgreSQL on every node through
//! `LISTEN`), until the next message is due (a retry, quiet hours ending, a lapsed lease, a
//! rate-limit token), or at most `idle_poll` (the signal's fallback poll). Awake, a worker
//! first reads which channels have a message due and claims only from those, so the wake-ups
//! that find nothing (every worker hears every enqueue) take no write transaction.

use crate::channel::{Channel, ChannelError, Outgoing};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tripdesk_app::App;
use tripdesk_store::{AttemptOutcome, ClaimRequest, FinishedAttempt, OutboxMessage};

/// How soon a message refused for the channel's rate is tried again (uncounted; the claim
/// waits for a token of the channel's own rate limit as any other does).
const THROTTLED_RETRY: SignedDuration = SignedDuration::from_secs(1);

/// How the dispatcher of one node works.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Worker tasks on this node (each sends one message at a time).
    pub workers: usize,
    /// Messages claimed at once by a worker.
    pub batch: u32,
    /// How long a claim holds; a crashed node's messages are sent again after this.
    pub lease: Duration,
    /// Longest a single send may take (must be well below `lease`).
    pub send_timeout: Duration,
    /// Longest idle sleep (the safety net: SQLite files shared by several processes, a
    /// PostgreSQL listener reconnecting).
    pub idle_poll: Duration,
    /// This node's name in worker ids (`<node>-w<n>`), shown in attempt history.
    pub node: String,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            batch: 20,
            lease: Duration::from_secs(120),
            send_timeout: Duration::from_secs(30),
            idle_poll: tripdesk_store::signal::FALLBACK_POLL,
            node: default_node_name(),
        }
    }
}

/// `<hostname>-<pid>-<random>`: unique per process, so a restarted node never mistakes an
/// old claim for its own.
pub fn default_node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

struct Ctx {
    app: App,
    channels: Vec<Arc<dyn Channel>>,
    config: DispatcherConfig,
}

/// The running workers of this node.
pub struct Dispatcher {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Dispatcher {
    /// Starts the workers (and a task that publishes queue sizes as metrics).
    pub fn start(app: App, channels: Vec<Arc<dyn Channel>>, config: DispatcherConfig) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let ctx = Arc::new(Ctx {
            app,
            channels,
            config,
        });
        let mut tasks = Vec::new();
        // Hear other nodes' enqueues (PostgreSQL; idempotent, shared with the SLA engine).
        let store = ctx.app.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.listen_signals().await {
                tracing::warn!(error = %e, "cannot listen for other nodes' commits; relying on the fallback poll");
            }
        });
        for index in 0..ctx.config.workers.max(1) {
            tasks.push(tokio::spawn(worker(ctx.clone(), index, rx.clone())));
        }
        tasks.push(tokio::spawn(gauges(ctx.clone(), rx)));
        tracing::info!(
            workers = ctx.config.workers,
            channels = ?ctx.channels.iter().map(|c| c.name()).collect::<Vec<_>>(),
            node = %ctx.config.node,
            "outbox dispatcher started"
        );
        Self { shutdown, tasks }
    }

    /// Stops claiming, lets each worker finish the send in flight and record it, hands back
    /// what was claimed but not sent, and waits for the workers.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        tracing::info!("outbox dispatcher stopped");
    }
}

/// Delivers every message that is due now, with one worker on the current task, and returns
/// how many attempts it made. Uses the same claim/send/record path as the workers; for
/// commands and tests that want the queue drained before they go on.
pub async fn run_until_idle(
    app: App,
    channels: Vec<Arc<dyn Channel>>,
    config: DispatcherConfig,
) -> usize {
    let ctx = Ctx {
        app,
        channels,
        config,
    };
    let (_keep, rx) = watch::channel(false);
    let id = format!("{}-drain", ctx.config.node);
    let mut attempts = 0;
    loop {
        let mut claimed_any = false;
        for channel in &ctx.channels {
            let now = ctx.app.now();
            let lease_until = now + to_jiff(ctx.config.lease);
            let Ok(claimed) = claim(&ctx, channel.name(), &id, now, lease_until).await else {
                return attempts;
            };
            if !claimed.messages.is_empty() {
                claimed_any = true;
                attempts += claimed.messages.len();
                deliver_batch(&ctx, channel, &id, claimed.messages, lease_until, &rx).await;
            }
        }
        if !claimed_any {
            return attempts;
        }
    }
}

fn stopping(rx: &watch::Receiver<bool>) -> bool {
    *rx.borrow()
}

fn to_jiff(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

async fn worker(ctx: Arc<Ctx>, index: usize, mut shutdown: watch::Receiver<bool>) {
    let id = format!("{}-w{index}", ctx.config.node);
    let mut signal = ctx
        .app
        .store
        .signals()
        .subscribe(tripdesk_store::signal::Topic::Outbox);
    let n = ctx.channels.len();
    let idle = to_jiff(ctx.config.idle_poll);
    loop {
        if stopping(&shutdown) {
            break;
        }
        // Register for the wake-up before looking for work, so an enqueue that commits
        // while we look is not missed.
        signal.mark_seen();

        let now = ctx.app.now();
        let mut wake = now + idle;
        let mut worked = false;
        let mut open_channels = Vec::new();
        // Which channels have something due, read without taking the writer: a wake-up for
        // another channel's message (or one another worker already took) costs a read, not a
        // write transaction per channel. If the read fails, every channel is claimed from.
        let next_due = next_due_by_channel(&ctx).await;
        for k in 0..n {
            let channel = &ctx.channels[(index + k) % n];
            if let Some(next) = next_due.as_ref().map(|d| d[(index + k) % n]) {
                if next.is_none_or(|t| t > now) {
                    // Nothing due: its next due instant is known, so the wake-up is set here
                    // and not read again below.
                    wake = next.map_or(wake, |t| wake.min(t));
                    continue;
                }
            }
            let lease_until = now + to_jiff(ctx.config.lease);
            match claim(&ctx, channel.name(), &id, now, lease_until).await {
                Ok(claimed) => {
                    match claimed.throttled_until {
                        Some(t) => wake = wake.min(t),
                        None => open_channels.push(channel.name().to_string()),
                    }
                    if !claimed.messages.is_empty() {
                        worked = true;
                        deliver_batch(&ctx, channel, &id, claimed.messages, lease_until, &shutdown)
                            .await;
                    }
                }
                Err(e) => {
                    tracing::warn!(worker = %id, error = %e, "claiming outbox messages failed");
                    wake = wake.min(now + SignedDuration::from_secs(1));
                }
            }
            if stopping(&shutdown) {
                break;
            }
        }
        if worked {
            continue;
        }
        if !open_channels.is_empty() {
            if let Ok(mut tx) = ctx.app.store.read().await {
                if let Ok(Some(next)) = tx.next_due_at(&open_channels).await {
                    wake = wake.min(next);
                }
            }
        }
        let sleep = wake
            .duration_since(ctx.app.now())
            .clamp(SignedDuration::from_millis(20), idle)
            .unsigned_abs();
        tokio::select! {
            _ = signal.changed() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// When each of the node's channels (in `ctx.channels` order) next has a message due, from one
/// read transaction; `None` if it could not be read.
async fn next_due_by_channel(ctx: &Ctx) -> Option<Vec<Option<Timestamp>>> {
    let result = async {
        let mut tx = ctx.app.store.read().await?;
        let mut due = Vec::with_capacity(ctx.channels.len());
        for channel in &ctx.channels {
            due.push(tx.next_due_at(&[channel.name().to_string()]).await?);
        }
        Ok::<_, tripdesk_store::StoreError>(due)
    }
    .await;
    result
        .inspect_err(|e| tracing::warn!(error = %e, "reading when messages are due failed"))
        .ok()
}

async fn claim(
    ctx: &Ctx,
    channel: &str,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<tripdesk_store::Claimed, tripdesk_store::StoreError> {
    let mut tx = ctx.app.store.write().await?;
    let claimed = tx
        .claim_due(&ClaimRequest {
            channel: channel.to_string(),
            worker: worker.to_string(),
            now,
            lease_until,
            max: ctx.config.batch.max(1),
        })
        .await?;
    tx.commit().await?;
    if !claimed.messages.is_empty() {
        metrics::counter!("tripdesk_outbox_claimed_total", "channel" => channel.to_string())
            .increment(claimed.messages.len() as u64);
    }
    Ok(claimed)
}

async fn deliver_batch(
    ctx: &Ctx,
    channel: &Arc<dyn Channel>,
    worker: &str,
    messages: Vec<OutboxMessage>,
    lease_until: Timestamp,
    shutdown: &watch::Receiver<bool>,
) {
    let send_timeout = to_jiff(ctx.config.send_timeout);
    for (i, message) in messages.iter().enumerate() {
        let now = ctx.app.now();
        if stopping(shutdown) || now + send_timeout >= lease_until {
            let rest: Vec<_> = messages[i..].iter().map(|m| m.id).collect();
            release(ctx, worker, &rest).await;
            return;
        }
        deliver(ctx, channel, worker, message.clone()).await;
    }
}

async fn release(ctx: &Ctx, worker: &str, ids: &[uuid::Uuid]) {
    let result = async {
        let mut tx = ctx.app.store.write().await?;
        let n = tx.release_claims(worker, ids, ctx.app.now()).await?;
        tx.commit().await?;
        Ok::<_, tripdesk_store::StoreError>(n)
    }
    .await;
    if let Err(e) = result {
        // They come back when the lease lapses.
        tracing::warn!(worker, error = %e, "handing back claimed messages failed");
    }
}

async fn deliver(ctx: &Ctx, channel: &Arc<dyn Channel>, worker: &str, message: OutboxMessage) {
    let name = channel.name();
    let attachments = if channel.carries_attachments() {
        match load_attachments(ctx, &message).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(message_id = %message.id, error = %e, "loading attachments failed");
                return; // the lease lapses and the message is tried again
            }
        }
    } else {
        Vec::new()
    };
    let started = ctx.app.now();
    let clock = std::time::Instant::now();
    let outgoing = Outgoing {
        message,
        attachments,
    };
    let result = match tokio::time::timeout(ctx.config.send_timeout, channel.send(&outgoing)).await
    {
        Ok(r) => r,
        Err(_) => Err(ChannelError::retry("the send timed out")),
    };
    metrics::histogram!("tripdesk_outbox_send_seconds", "channel" => name)
        .record(clock.elapsed().as_secs_f64());
    let m = outgoing.message;
    let finished = ctx.app.now();
    let outcome = match result {
        Ok(receipt) => AttemptOutcome::Sent { receipt: receipt.0 },
        Err(e) if e.throttled => AttemptOutcome::Throttled {
            retry_at: finished + THROTTLED_RETRY,
            error: e.message,
        },
        Err(e) if e.retryable && m.attempts < m.max_attempts => AttemptOutcome::Retry {
            retry_at: ctx.app.settings.notify.retry_at(m.attempts, finished),
            error: e.message,
        },
        Err(e) => AttemptOutcome::Dead { error: e.message },
    };
    let report = FinishedAttempt {
        message_id: m.id,
        worker: worker.to_string(),
        started_at: started,
        finished_at: finished,
        outcome: outcome.clone(),
    };
    match record(ctx, &m, &report).await {
        Ok(true) => match &outcome {
            AttemptOutcome::Sent { .. } => {
                metrics::counter!("tripdesk_outbox_sent_total", "channel" => name).increment(1);
                let latency = finished.duration_since(m.created_at).as_secs_f64().max(0.0);
                metrics::histogram!("tripdesk_outbox_delivery_latency_seconds", "channel" => name)
                    .record(latency);
            }
            AttemptOutcome::Throttled { .. } => {
                metrics::counter!("tripdesk_outbox_throttled_total", "channel" => name)
                    .increment(1);
                tracing::debug!(message_id = %m.id, channel = name, "over the channel's rate; will retry");
            }
            AttemptOutcome::Retry { .. } => {
                metrics::counter!("tripdesk_outbox_failed_total", "channel" => name).increment(1);
                tracing::info!(message_id = %m.id, channel = name, attempt = m.attempts, "delivery failed; will retry");
            }
            AttemptOutcome::Dead { .. } => {
                metrics::counter!("tripdesk_outbox_dead_total", "channel" => name).increment(1);
                tracing::warn!(message_id = %m.id, channel = name, attempt = m.attempts, "delivery failed for good; message is dead");
            }
        },
        Ok(false) => {
            metrics::counter!("tripdesk_outbox_lost_claims_total", "channel" => name).increment(1);
            tracing::warn!(message_id = %m.id, channel = name, "claim lapsed before the outcome was recorded; another worker may send it again");
        }
        Err(e) => {
            tracing::error!(message_id = %m.id, channel = name, error = %e, "recording a delivery failed; it will be sent again after the lease");
        }
    }
}

async fn load_attachments(
    ctx: &Ctx,
    m: &OutboxMessage,
) -> Result<Vec<tripdesk_store::Attachment>, tripdesk_store::StoreError> {
    let mut tx = ctx.app.store.read().await?;
    tx.list_attachments(m.id).await
}

/// Records an outcome; retries a few times when the database hiccups, because a send that
/// is not recorded will be sent again. A message handed to its channel may meet a promise
/// (a booking's confirmation clock): [`App::message_delivered`] runs in the same transaction;
/// an emergency message given up leads to the traveler's next channel
/// ([`App::incident_message_failed`], in the same transaction).
async fn record(
    ctx: &Ctx,
    message: &OutboxMessage,
    report: &FinishedAttempt,
) -> Result<bool, tripdesk_app::AppError> {
    let mut delay = Duration::from_millis(50);
    let mut tries = 0;
    loop {
        let result = async {
            let mut tx = ctx.app.store.write().await?;
            let held = tx.finish_attempt(report).await?;
            if held && matches!(report.outcome, AttemptOutcome::Sent { .. }) {
                ctx.app.message_delivered(&mut *tx, message).await?;
            }
            // An emergency message given up: the traveler's next channel at once.
            if held && matches!(report.outcome, AttemptOutcome::Dead { .. }) {
                ctx.app.incident_message_failed(&mut *tx, message).await?;
            }
            tx.commit().await?;
            Ok::<bool, tripdesk_app::AppError>(held)
        }
        .await;
        match result {
            Ok(held) => return Ok(held),
            Err(e) if tries >= 5 => return Err(e),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
}

/// Publishes the number of messages per state every 15 seconds.
async fn gauges(ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Ok(mut tx) = ctx.app.store.read().await {
            if let Ok(c) = tx.count_messages_by_state().await {
                for (state, n) in [
                    ("queued", c.queued),
                    ("sending", c.sending),
                    ("retrying", c.retrying),
                    ("sent", c.sent),
                    ("dead", c.dead),
                ] {
                    metrics::gauge!("tripdesk_outbox_messages", "state" => state).set(n as f64);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(15)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
