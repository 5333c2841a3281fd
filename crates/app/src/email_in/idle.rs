//! IMAP IDLE where the server offers it (RFC 2177): a watcher per node keeps one connection
//! per enabled mailbox waiting in IDLE and, the moment the server reports a change, queues
//! the mailbox's `email.poll` (the job's unique key keeps it to one pending poll however many
//! nodes watch). The poll itself stays the job it always was — reading, taking and moving the
//! mark in one transaction — so IDLE only makes mail arrive in seconds instead of within the
//! minute of the sweep, which keeps running for servers without IDLE and for whatever a
//! watcher misses while it reconnects. A watcher queues one poll each time it connects (mail
//! that came while no one watched), re-issues IDLE every [`IDLE_MAX`] (servers drop an IDLE
//! after 30 minutes), stops for a mailbox turned off or deleted, and after an error waits
//! [`RETRY_AFTER`] (the poll records the error for administrators; the watcher only logs it).

use super::imap::{connect, imap_err, log_in};
use crate::App;
use std::collections::HashMap;
use std::time::Duration;
use tripdesk_store::EmailMailbox;
use uuid::Uuid;

/// How long one IDLE command waits before it is issued again.
pub const IDLE_MAX: Duration = Duration::from_secs(25 * 60);
/// How long a watcher waits after an error or a server without IDLE before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);
/// How often the list of mailboxes to watch is read again.
const RESCAN_EVERY: Duration = Duration::from_secs(60);

/// What one wait in IDLE ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Idled {
    /// The server reported a change (a new mail, most often).
    Changed,
    /// Nothing happened within the wait.
    Quiet,
    /// The server does not offer IDLE: the sweep's polls are all there is.
    NotOffered,
}

/// Connects, logs in and waits in IDLE on the mailbox's folder for at most `wait`;
/// `connected` is called once logged in and waiting. Errors are short texts (never the
/// password).
pub async fn idle_once(
    mailbox: &EmailMailbox,
    password: &str,
    wait: Duration,
    connected: impl FnOnce(),
) -> Result<Idled, String> {
    let stream = connect(mailbox).await?;
    let mut session = log_in(stream, mailbox, password).await?;
    let capabilities = session
        .capabilities()
        .await
        .map_err(|e| imap_err("capability", e))?;
    if !capabilities.has_str("IDLE") {
        let _ = session.logout().await;
        return Ok(Idled::NotOffered);
    }
    session
        .examine(&mailbox.folder)
        .await
        .map_err(|e| imap_err("examine", e))?;
    let mut idle = session.idle();
    idle.init().await.map_err(|e| imap_err("idle", e))?;
    connected();
    let (waiting, _interrupt) = idle.wait_with_timeout(wait);
    let outcome = match waiting.await.map_err(|e| imap_err("idle", e))? {
        async_imap::extensions::idle::IdleResponse::NewData(_) => Idled::Changed,
        _ => Idled::Quiet,
    };
    if let Ok(mut session) = idle.done().await {
        let _ = session.logout().await;
    }
    Ok(outcome)
}

/// The node's IDLE watchers (see the module's comment); stopped by [`MailboxWatcher::shutdown`].
pub struct MailboxWatcher {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl MailboxWatcher {
    pub fn spawn(app: App) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(watch_all(app, stopped));
        Self { task, stop }
    }

    /// Closes every IDLE connection and waits for the watchers to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn watch_all(app: App, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut watchers: HashMap<Uuid, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        match enabled_mailboxes(&app).await {
            Ok(ids) => {
                watchers.retain(|_, task| !task.is_finished());
                for id in ids {
                    watchers.entry(id).or_insert_with(|| {
                        tokio::spawn(watch_one(app.clone(), id, stopped.clone()))
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "mailbox watcher: cannot list the mailboxes"),
        }
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(RESCAN_EVERY) => {}
        }
    }
    for (_, task) in watchers {
        let _ = task.await;
    }
}

async fn enabled_mailboxes(app: &App) -> Result<Vec<Uuid>, crate::AppError> {
    let mut tx = app.store.read().await?;
    Ok(tx.enabled_mailboxes().await?)
}

/// Watches one mailbox until it is turned off or deleted, or the node stops.
async fn watch_one(app: App, id: Uuid, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        let mailbox = {
            let read = async {
                let mut tx = app.store.read().await?;
                Ok::<_, crate::AppError>(tx.get_mailbox(id).await?)
            };
            match read.await {
                Ok(Some(m)) if m.enabled => m,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(mailbox = %id, error = %e, "mailbox watcher: cannot read the mailbox");
                    if pause(&mut stopped, RETRY_AFTER).await {
                        return;
                    }
                    continue;
                }
            }
        };
        let password = match app.mailbox_password(&mailbox) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(mailbox = %id, error = %e, "mailbox watcher: cannot open the password");
                return;
            }
        };
        let queue = || {
            let app = app.clone();
            tokio::spawn(async move {
                if let Err(e) = app.queue_mailbox_poll(id).await {
                    tracing::warn!(mailbox = %id, error = %e, "mailbox watcher: cannot queue a poll");
                }
            });
        };
        let outcome = tokio::select! {
            _ = stopped.changed() => return,
            r = idle_once(&mailbox, password.expose_secret(), IDLE_MAX, queue) => r,
        };
        let wait = match outcome {
            Ok(Idled::Changed) => {
                if let Err(e) = app.queue_mailbox_poll(id).await {
                    tracing::warn!(mailbox = %id, error = %e, "mailbox watcher: cannot queue a poll");
                }
                Duration::ZERO
            }
            Ok(Idled::Quiet) => Duration::ZERO,
            Ok(Idled::NotOffered) => {
                tracing::info!(mailbox = %id, "the mailbox's server offers no IDLE: polled each minute");
                RETRY_AFTER * 30
            }
            Err(error) => {
                tracing::warn!(mailbox = %id, %error, "mailbox watcher: IDLE failed");
                RETRY_AFTER
            }
        };
        if !wait.is_zero() && pause(&mut stopped, wait).await {
            return;
        }
    }
}

/// Sleeps `wait`; true when the node is stopping.
async fn pause(stopped: &mut tokio::sync::watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        _ = stopped.changed() => true,
        () = tokio::time::sleep(wait) => false,
    }
}
