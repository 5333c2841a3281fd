//! Reading a mailbox over IMAP, and the jobs that poll: `email.sweep` each minute queues one
//! `email.poll` per enabled mailbox (one pending per mailbox). A poll reads, with no
//! transaction open, the UIDs above where the mailbox stopped (`BODY.PEEK[]`: nothing is
//! marked read or deleted on the server), then takes the mails into the desk and moves the
//! mailbox's mark in one transaction with the job's completion — a poll that dies before it
//! commits takes nothing and the next reads the same mails again; a mail seen twice is one
//! row (its Message-ID). A new UIDVALIDITY starts the folder again from its first UID.

use super::MAILBOX_PASSWORD_FIELD;
use crate::jobs::{JobHandler, PreparedJobHandler};
use crate::{App, AppError, Principal};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{EmailMailbox, MailboxPoll, Tx};
use uuid::Uuid;

/// Mails one poll takes at most (the rest wait for the next poll, a minute later).
pub const POLL_BATCH: usize = 200;
/// Connecting, logging in and each command give up after this.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// A mail larger than this is left on the server (recorded as skipped).
const MAX_MAIL_BYTES: usize = 25 * 1024 * 1024;

/// What one read of a mailbox found.
#[derive(Debug, Default)]
pub struct MailboxRead {
    pub uid_validity: Option<u32>,
    /// (UID, the whole mail) in UID order.
    pub mails: Vec<(u32, Vec<u8>)>,
}

/// A connection to an IMAP server, plain or TLS.
pub(super) trait ImapStream:
    AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send
{
}
impl<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send> ImapStream for T {}

/// Connects to the mailbox's server (TLS from the first byte when `tls`, webpki's roots).
pub(super) async fn connect(mailbox: &EmailMailbox) -> Result<Box<dyn ImapStream>, String> {
    let connect = tokio::net::TcpStream::connect((mailbox.host.as_str(), mailbox.port));
    let tcp = tokio::time::timeout(IO_TIMEOUT, connect)
        .await
        .map_err(|_| "connect: timed out".to_string())?
        .map_err(|e| format!("connect: {}", e.kind()))?;
    let _ = tcp.set_nodelay(true);
    if !mailbox.tls {
        return Ok(Box::new(tcp));
    }
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("tls: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
        .map_err(|_| "tls: the host is not a valid server name".to_string())?;
    let tls = tokio::time::timeout(
        IO_TIMEOUT,
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| "tls: timed out".to_string())?
    .map_err(|e| format!("tls: {e}"))?;
    Ok(Box::new(tls))
}

/// An IMAP error as administrators read it: what was being done, and the server's words.
pub(super) fn imap_err(what: &str, e: async_imap::error::Error) -> String {
    format!("{what}: {}", cut(&e.to_string()))
}

/// Reads the server's greeting and logs in.
pub(super) async fn log_in(
    stream: Box<dyn ImapStream>,
    mailbox: &EmailMailbox,
    password: &str,
) -> Result<async_imap::Session<Box<dyn ImapStream>>, String> {
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| format!("greeting: {}", e.kind()))?
        .ok_or_else(|| "greeting: the server closed the connection".to_string())?;
    client
        .login(&mailbox.username, password)
        .await
        .map_err(|(e, _)| imap_err("login", e))
}

/// Reads the mails above `mailbox.last_uid` (all of them after a new UIDVALIDITY), at most
/// [`POLL_BATCH`]. Errors are short texts for administrators (never the password).
pub async fn read_mailbox(mailbox: &EmailMailbox, password: &str) -> Result<MailboxRead, String> {
    let work = async {
        let stream = connect(mailbox).await?;
        read_over(stream, mailbox, password).await
    };
    tokio::time::timeout(IO_TIMEOUT * 4, work)
        .await
        .map_err(|_| "imap: timed out".to_string())?
}

async fn read_over(
    stream: Box<dyn ImapStream>,
    mailbox: &EmailMailbox,
    password: &str,
) -> Result<MailboxRead, String> {
    let mut session = log_in(stream, mailbox, password).await?;
    let selected = session
        .examine(&mailbox.folder)
        .await
        .map_err(|e| imap_err("examine", e))?;
    let validity = selected.uid_validity;
    let after = if validity.is_some() && validity == mailbox.uid_validity {
        mailbox.last_uid
    } else {
        0
    };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", after.saturating_add(1)))
        .await
        .map_err(|e| imap_err("search", e))?
        .into_iter()
        .filter(|u| *u > after)
        .collect();
    uids.sort_unstable();
    uids.truncate(POLL_BATCH);
    let mut mails = Vec::with_capacity(uids.len());
    if !uids.is_empty() {
        let set: Vec<String> = uids.iter().map(u32::to_string).collect();
        let fetched: Vec<_> = session
            .uid_fetch(set.join(","), "(UID RFC822.SIZE BODY.PEEK[])")
            .await
            .map_err(|e| imap_err("fetch", e))?
            .try_collect()
            .await
            .map_err(|e| imap_err("fetch", e))?;
        for f in fetched {
            let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                continue;
            };
            if uid > after && body.len() <= MAX_MAIL_BYTES {
                mails.push((uid, body.to_vec()));
            }
        }
        mails.sort_by_key(|(uid, _)| *uid);
    }
    let _ = session.logout().await;
    Ok(MailboxRead {
        uid_validity: validity,
        mails,
    })
}

fn cut(s: &str) -> String {
    s.chars().take(300).collect()
}

fn poll_key(id: Uuid) -> String {
    format!("email_poll:{id}")
}

/// Each minute: queues a poll of each enabled mailbox.
pub struct SweepMailboxes;

/// A sweep carries nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SweepPayload {}

#[async_trait]
impl JobHandler for SweepMailboxes {
    const KIND: &'static str = "email.sweep";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = SweepPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, _: SweepPayload) -> Result<(), AppError> {
        for id in tx.enabled_mailboxes().await? {
            app.enqueue_prepared_job::<PollMailbox>(
                tx,
                &PollPayload { mailbox_id: id },
                app.now(),
                Some(&poll_key(id)),
            )
            .await?;
        }
        Ok(())
    }
}

/// Reads one mailbox and takes its new mails (see the module's comment).
pub struct PollMailbox;

/// Which mailbox to poll.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PollPayload {
    pub mailbox_id: Uuid,
}

/// What the read found: nothing when the mailbox is gone or off.
pub enum Polled {
    Skip,
    Read(Result<MailboxRead, String>),
}

#[async_trait]
impl PreparedJobHandler for PollMailbox {
    const KIND: &'static str = "email.poll";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = PollPayload;
    type Prepared = Polled;

    async fn prepare(&self, app: &App, payload: &PollPayload) -> Result<Polled, AppError> {
        let mailbox = {
            let mut tx = app.store.read().await?;
            tx.get_mailbox(payload.mailbox_id).await?
        };
        let Some(mailbox) = mailbox.filter(|m| m.enabled) else {
            return Ok(Polled::Skip);
        };
        let password = app.mailbox_password(&mailbox)?;
        Ok(Polled::Read(
            read_mailbox(&mailbox, password.expose_secret()).await,
        ))
    }

    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        payload: PollPayload,
        polled: Polled,
    ) -> Result<(), AppError> {
        let Polled::Read(read) = polled else {
            return Ok(());
        };
        let Some(mailbox) = tx.get_mailbox(payload.mailbox_id).await? else {
            return Ok(());
        };
        let now = app.now();
        let poll = match read {
            Err(error) => {
                tracing::warn!(mailbox = %mailbox.id, %error, "mailbox could not be polled");
                MailboxPoll {
                    at: now,
                    uid_validity: mailbox.uid_validity,
                    last_uid: mailbox.last_uid,
                    taken: 0,
                    error: Some(error),
                }
            }
            Ok(read) => {
                let restart = read.uid_validity != mailbox.uid_validity;
                let mut last_uid = if restart { 0 } else { mailbox.last_uid };
                let mut taken = 0;
                for (uid, raw) in &read.mails {
                    let outcome = app.take_email_in(tx, Some(mailbox.id), raw).await?;
                    if outcome.ticket_id().is_some() {
                        taken += 1;
                    }
                    last_uid = last_uid.max(*uid);
                }
                if !read.mails.is_empty() {
                    tracing::info!(mailbox = %mailbox.id, read = read.mails.len(), taken, "mailbox polled");
                }
                MailboxPoll {
                    at: now,
                    uid_validity: read.uid_validity,
                    last_uid,
                    taken,
                    error: None,
                }
            }
        };
        tx.record_mailbox_poll(mailbox.id, &poll).await?;
        Ok(())
    }
}

impl App {
    /// The mailbox's password, opened from the vault.
    pub(super) fn mailbox_password(
        &self,
        mailbox: &EmailMailbox,
    ) -> Result<tripdesk_vault::Secret<String>, AppError> {
        self.vault()?
            .decrypt(
                MAILBOX_PASSWORD_FIELD,
                &mailbox.id.to_string(),
                &mailbox.password_sealed,
            )
            .map_err(|e| AppError::Internal(format!("cannot open a mailbox password: {e}")))
    }

    /// Queues a poll of the mailbox now (needs `manage_settings`); false when one is pending.
    pub async fn poll_mailbox_now(&self, p: &Principal, id: Uuid) -> Result<bool, AppError> {
        p.require(Permission::ManageSettings)?;
        self.queue_mailbox_poll(id).await
    }

    /// Queues a poll of the mailbox now, for whoever learnt that mail arrived (an
    /// administrator, the IDLE watcher); false when one is pending.
    pub(super) async fn queue_mailbox_poll(&self, id: Uuid) -> Result<bool, AppError> {
        let mut tx = self.store.write().await?;
        tx.get_mailbox(id)
            .await?
            .ok_or(AppError::NotFound("mailbox"))?;
        let queued = self
            .enqueue_prepared_job::<PollMailbox>(
                &mut *tx,
                &PollPayload { mailbox_id: id },
                self.now(),
                Some(&poll_key(id)),
            )
            .await?;
        tx.commit().await?;
        Ok(queued)
    }
}
