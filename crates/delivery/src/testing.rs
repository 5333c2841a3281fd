//! Test helpers: a real SMTP server (aiosmtpd from PyPI, `scripts/smtp_sink.py`) on loopback,
//! started per test and stopped when dropped. `scripts/test` installs aiosmtpd when missing.

use serde::Deserialize;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// One line of `received.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub n: u64,
    pub id: Option<String>,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub auth_user: Option<String>,
}

/// A running aiosmtpd.
pub struct AioSmtpd {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for AioSmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_sink.py")
}

impl AioSmtpd {
    /// Starts the server; `auth` = Some(("user", "password")) requires authentication.
    /// `keep_raw` writes each message to `<n>.eml`.
    pub fn start(auth: Option<(&str, &str)>, keep_raw: bool) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut cmd = Command::new("python3");
        cmd.arg(script()).arg("--out").arg(dir.path());
        if keep_raw {
            cmd.arg("--keep-raw");
        }
        if let Some((u, p)) = auth {
            cmd.arg("--auth").arg(format!("{u}:{p}"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("reading the sink's READY line");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!("smtp_sink.py did not start (is aiosmtpd installed?): {line:?}")
            });
        Self { child, port, dir }
    }

    /// `smtp://[user:pass@]127.0.0.1:<port>`.
    pub fn url(&self, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((u, p)) => format!("smtp://{u}:{p}@127.0.0.1:{}", self.port),
            None => format!("smtp://127.0.0.1:{}", self.port),
        }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        let text =
            std::fs::read_to_string(self.dir.path().join("received.jsonl")).unwrap_or_default();
        text.lines()
            // A line being written when read is skipped; the next read sees it whole.
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The raw bytes of message `n` (with `keep_raw`).
    pub fn raw(&self, n: u64) -> Vec<u8> {
        std::fs::read(self.dir.path().join(format!("{n}.eml"))).expect("raw message")
    }

    /// How often each message id arrived.
    pub fn id_counts(&self) -> HashMap<String, u32> {
        let mut counts = HashMap::new();
        for r in self.received() {
            if let Some(id) = r.id {
                *counts.entry(id).or_insert(0) += 1;
            }
        }
        counts
    }
}
