//! Helpers shared by the binary's tests: the vault keys every process of a test binary uses,
//! child processes that bind port 0 themselves and say on stdout which address they got
//! (no port is picked beforehand and handed on, so no other process can take it meanwhile),
//! and an app on a fresh store of the run for tests that then run a console command on it.
#![allow(dead_code)]

/// The headless Chromium of the browser tests.
pub mod chromium;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_tripdesk");

/// How long a child may take to say where it listens.
pub const STARTUP: Duration = Duration::from_secs(60);

/// Vault keys shared by every process of this test binary (given through the environment,
/// as a deployment with several nodes would).
pub fn test_keys() -> &'static str {
    static KEYS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        tripdesk_vault::KeyRing::generate()
            .to_toml()
            .expose_secret()
            .clone()
    })
}

/// `tripdesk serve` on a port the system picks, with the test keys and quiet logs; `args`
/// name the database (see `Location::command_line`) and any further options.
pub fn serve_command(args: &[String]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .env("TRIPDESK_VAULT_KEYS", test_keys())
        .stderr(Stdio::inherit());
    cmd
}

/// The address in tripdesk's `listening on http://…` line.
pub fn tripdesk_address(line: &str) -> Option<String> {
    line.strip_prefix("listening on ")
        .map(|url| url.trim().to_string())
}

/// A child process whose stdout a thread copies on; both are done with when dropped.
pub struct Announced {
    pub child: Child,
    copier: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Announced {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipe is closed now: everything the child wrote has been copied.
        if let Some(copier) = self.copier.take() {
            let _ = copier.join();
        }
    }
}

/// Spawns `cmd` with its stdout piped and waits (at most [`STARTUP`]) for the first line
/// `found` recognises, returning what it made of it; all of stdout goes on to `rest`.
/// Fails when the child exits or closes stdout first (its stderr says why).
pub async fn spawn_announcing(
    cmd: &mut Command,
    what: &str,
    found: fn(&str) -> Option<String>,
    mut rest: Box<dyn Write + Send>,
) -> anyhow::Result<(Announced, String)> {
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = tokio::sync::oneshot::channel();
    let copier = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut tx = Some(tx);
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(value) = tx.as_ref().and_then(|_| found(&line)) {
                let _ = tx.take().expect("not sent yet").send(value);
            }
            let _ = writeln!(rest, "{line}");
        }
    });
    let mut announced = Announced {
        child,
        copier: Some(copier),
    };
    match tokio::time::timeout(STARTUP, rx).await {
        Ok(Ok(value)) => Ok((announced, value)),
        Ok(Err(_)) => {
            let status = announced.child.wait()?;
            anyhow::bail!(
                "{what} exited ({status}) before saying where it listens; its error is above"
            )
        }
        Err(_) => anyhow::bail!("{what} did not say where it listens within {STARTUP:?}"),
    }
}

/// A server process, killed (SIGKILL: no graceful shutdown) and reaped when dropped.
pub struct Node {
    _process: Announced,
    /// `http://127.0.0.1:<port>`, as the server announced it.
    pub base: String,
}

impl Node {
    /// Starts `cmd` (a `serve` or `demo` on `--addr 127.0.0.1:0`) and returns once it listens.
    pub async fn start(cmd: Command) -> Node {
        Self::start_with_stdout(cmd, Box::new(std::io::sink())).await
    }

    /// As [`Node::start`], the server's further stdout written to `rest`.
    pub async fn start_with_stdout(mut cmd: Command, rest: Box<dyn Write + Send>) -> Node {
        let (process, base) = spawn_announcing(&mut cmd, "the server", tripdesk_address, rest)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        Node {
            _process: process,
            base,
        }
    }

    /// `tripdesk serve` with the test keys on `args` (see [`serve_command`]).
    pub async fn serve(args: &[String]) -> Node {
        Self::start(serve_command(args)).await
    }
}

/// An app on a fresh store of this run with the demo organisation, and its agent li.na.
pub async fn app_and_agent() -> (
    tripdesk_store_sql::testing::TestStore,
    tripdesk_app::App,
    tripdesk_app::Principal,
) {
    let store = tripdesk_store_sql::testing::fresh_store().await;
    let app = tripdesk_app::App::new(
        store.store.clone(),
        std::sync::Arc::new(tripdesk_domain::clock::SystemClock),
        tripdesk_app::AppSettings::default(),
    )
    .with_vault(std::sync::Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let agent = {
        let mut tx = app.store.read().await.unwrap();
        let u = tx.get_user_by_username("li.na").await.unwrap().unwrap();
        tripdesk_app::Principal::of(&u, tripdesk_app::auth::Credential::Console)
    };
    (store, app, agent)
}
