//! The clock engine: one task per node that sleeps until the earliest due instant of all
//! clocks and fires what is due then.
//!
//! - **No scan.** Each pass asks the store for the earliest `next_due_at` (one look-up in a
//!   partial index) and fires only clocks whose instant has come, in batches.
//! - **Woken early** when a clock is committed with an earlier instant than the one slept
//!   to: every commit announces its clocks' earliest instant on the after-commit signal's
//!   `sla` topic (`tripdesk_store::signal`), in this process and, on PostgreSQL, to every
//!   node through `LISTEN`; announcements due after the engine's wake-up do not wake it.
//! - **Bounded re-check.** However long the next instant is away, the engine looks again
//!   after `recheck` (default [`FALLBACK_POLL`]): one index look-up, the safety net for
//!   SQLite files shared by several processes (no notification channel) and for
//!   notifications lost while a listener reconnects.
//! - **Exactly once.** See [`App::fire_due_sla_clocks`].
//! - **Holiday data.** At start and then hourly the engine asks
//!   [`App::warn_missing_holiday_years`] to warn the administrators of a missing holiday
//!   arrangement (once per calendar and year across nodes).
//!
//! The engine reads time from the app's [`tripdesk_domain::clock::Clock`]; with a manual clock
//! tests move time and call [`SlaEngine::nudge`].

use crate::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tripdesk_store::signal::{Signals, Topic, FALLBACK_POLL};

/// How often the engine checks whether a holiday arrangement is missing (also at start);
/// the warning itself goes out once per calendar and year.
const HOLIDAY_CHECK_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Tuning of the engine.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Clocks fired per transaction.
    pub batch: u32,
    /// Longest sleep without looking at the store again.
    pub recheck: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            batch: 200,
            recheck: FALLBACK_POLL,
        }
    }
}

/// A running engine; dropping it leaves the task running, [`SlaEngine::shutdown`] stops it.
pub struct SlaEngine {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
    signals: Arc<Signals>,
}

impl SlaEngine {
    /// Starts the engine of this node.
    pub async fn spawn(app: App, settings: EngineSettings) -> Self {
        let signals = app.store.signals();
        if let Err(e) = app.store.listen_signals().await {
            tracing::warn!(error = %e, "cannot listen for SLA clocks of other nodes; relying on the re-check interval");
        }
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(app, settings, signals.clone(), stopped));
        Self {
            task,
            stop,
            signals,
        }
    }

    /// Makes the engine look at the store now (tests call this after moving a manual clock).
    pub fn nudge(&self) {
        self.signals.wake(Topic::Sla);
    }

    /// Stops the engine after the pass in progress.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    app: App,
    settings: EngineSettings,
    signals: Arc<Signals>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut wake = signals.subscribe(Topic::Sla);
    let batch = settings.batch.max(1);
    // When administrators were last checked for a missing holiday arrangement.
    let mut holidays_checked: Option<jiff::Timestamp> = None;
    loop {
        if *stopped.borrow() {
            return;
        }
        signals.awake(Topic::Sla);
        wake.mark_seen();
        let now = app.now();
        if holidays_checked.is_none_or(|t| now.duration_since(t) >= HOLIDAY_CHECK_EVERY) {
            holidays_checked = Some(now);
            if let Err(e) = app.warn_missing_holiday_years().await {
                tracing::warn!(error = %e, "SLA engine: cannot check for missing holiday data");
            }
        }
        // Fire everything due, batch after batch.
        let mut failed = false;
        let mut claimed_any = false;
        loop {
            match app.fire_due_sla_clocks(batch).await {
                Ok(out) => {
                    claimed_any |= out.claimed > 0;
                    if out.claimed < batch as usize || *stopped.borrow() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "SLA engine: firing failed; retrying shortly");
                    failed = true;
                    break;
                }
            }
        }
        let now = app.now();
        let wait = if failed {
            Duration::from_secs(1)
        } else {
            match app.earliest_sla_due().await {
                Ok(Some(due)) if due <= now => {
                    if claimed_any {
                        Duration::ZERO
                    } else {
                        // Due, yet nothing claimable: another node holds those rows and is
                        // firing them. Look again shortly rather than spin.
                        Duration::from_millis(50)
                    }
                }
                Ok(Some(due)) => {
                    let until = due.duration_since(now).unsigned_abs();
                    until.min(settings.recheck)
                }
                Ok(None) => settings.recheck,
                Err(e) => {
                    tracing::warn!(error = %e, "SLA engine: cannot read the next due instant");
                    Duration::from_secs(1)
                }
            }
        };
        if wait.is_zero() {
            continue;
        }
        let wake_ms = now
            .as_millisecond()
            .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        signals.sleeping_until(Topic::Sla, wake_ms);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.changed() => {}
            _ = async {
                // A dropped handle never stops the engine (and must not wake it either).
                if stopped.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            } => {}
        }
    }
}
