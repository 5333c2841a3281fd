//! A minimal SMTP server that accepts every message and counts it: the fast, dependency-free
//! receiving end for `tripdesk bench outbox` (so the benchmark measures tripdesk, not a slow
//! mail server). It speaks just enough SMTP for a client: EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT. Loopback only; not a mail server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the sink has received.
#[derive(Default)]
pub struct SinkStats {
    pub messages: AtomicU64,
    /// How often each `X-Tripdesk-Message-Id` arrived (duplicates show as counts above 1).
    pub ids: Mutex<HashMap<String, u32>>,
    /// Whether to keep each message's bytes in `kept` (tests that read the mail back; the
    /// benchmark keeps nothing).
    pub keep: std::sync::atomic::AtomicBool,
    /// The messages received while `keep` was on, as sent (dot-stuffing undone).
    pub kept: Mutex<Vec<Vec<u8>>>,
}

impl SinkStats {
    pub fn duplicates(&self) -> u64 {
        self.ids
            .lock()
            .map(|m| m.values().map(|n| u64::from(n.saturating_sub(1))).sum())
            .unwrap_or(0)
    }
}

/// A running sink; stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub stats: Arc<SinkStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// Listens on 127.0.0.1 at a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(SinkStats::default());
        let s = stats.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = session(socket, s).await;
                });
            }
        });
        Ok(Self { addr, stats, task })
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }
}

async fn session(socket: tokio::net::TcpStream, stats: Arc<SinkStats>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n")
                    .await?
            }
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut id = None;
                let mut in_headers = true;
                let keep = stats.keep.load(Ordering::Relaxed);
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    if keep {
                        let l = line.strip_prefix('.').unwrap_or(&line);
                        data.extend_from_slice(l.as_bytes());
                    }
                    if in_headers {
                        if line == "\r\n" || line == "\n" {
                            in_headers = false;
                        } else if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case(crate::email::MESSAGE_ID_HEADER) {
                                id = Some(value.trim().to_string());
                            }
                        }
                    }
                }
                if keep {
                    if let Ok(mut kept) = stats.kept.lock() {
                        kept.push(data);
                    }
                }
                stats.messages.fetch_add(1, Ordering::Relaxed);
                if let Some(id) = id {
                    if let Ok(mut ids) = stats.ids.lock() {
                        *ids.entry(id).or_insert(0) += 1;
                    }
                }
                write.write_all(b"250 OK queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 not implemented\r\n").await?,
        }
    }
}
