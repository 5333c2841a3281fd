//! A real headless Chromium for the browser tests (`browser.rs`, `browser_*.rs`): the demo
//! binary and chromedriver on ports they pick, a Chromium session, the console log read for
//! Content-Security-Policy violations. Screenshots go to `docs/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use fantoccini::{Client, ClientBuilder};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const STEP: Duration = Duration::from_secs(15);

/// Child processes killed when the test ends, however it ends (the last started first).
pub struct Processes(pub Vec<(&'static str, super::Announced)>);

impl Drop for Processes {
    fn drop(&mut self) {
        while let Some(process) = self.0.pop() {
            drop(process);
        }
    }
}

impl Processes {
    /// Fails if one of the children has already exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for (name, process) in &mut self.0 {
            if let Some(status) = process.child.try_wait()? {
                bail!("{name} exited early with {status}");
            }
        }
        Ok(())
    }
}

/// The address in chromedriver's "ChromeDriver was started successfully on port N." line.
pub fn chromedriver_address(line: &str) -> Option<String> {
    let port = line
        .split_once("started successfully on port ")?
        .1
        .trim_end_matches('.')
        .trim();
    port.parse::<u16>()
        .ok()
        .map(|port| format!("http://127.0.0.1:{port}"))
}

/// `tripdesk demo` on `data_dir` and chromedriver, each on a port it picked itself and
/// announced; returns them with the server's and the driver's base URLs.
pub async fn start_demo_and_driver(data_dir: &Path) -> anyhow::Result<(Processes, String, String)> {
    start_demo_and_driver_with(data_dir, &[]).await
}

/// [`start_demo_and_driver`] with further environment for the demo server (its
/// `TRIPDESK_*` configuration, e.g. an SMS provider on loopback).
pub async fn start_demo_and_driver_with(
    data_dir: &Path,
    env: &[(&str, String)],
) -> anyhow::Result<(Processes, String, String)> {
    let mut procs = Processes(Vec::new());
    let mut demo = Command::new(super::BIN);
    demo.arg("demo")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--addr", "127.0.0.1:0"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let (server, base) = super::spawn_announcing(
        &mut demo,
        "tripdesk demo",
        super::tripdesk_address,
        Box::new(std::io::sink()),
    )
    .await
    .context("start tripdesk demo")?;
    procs.0.push(("tripdesk demo", server));
    let (driver, driver_url) = super::spawn_announcing(
        Command::new(CHROMEDRIVER).arg("--port=0"),
        "chromedriver",
        chromedriver_address,
        Box::new(std::io::sink()),
    )
    .await
    .context("start chromedriver")?;
    procs.0.push(("chromedriver", driver));
    procs.check_alive()?;
    Ok((procs, base, driver_url))
}

pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

pub fn check_prerequisites() {
    for (path, what) in [(CHROMEDRIVER, "chromedriver"), (CHROMIUM, "chromium")] {
        assert!(
            Path::new(path).exists(),
            "{what} not found at {path}: the browser test needs it. Install it with \
             `apt-get install chromium chromium-driver fonts-noto-cjk` (scripts/test does this)."
        );
    }
    // Without a CJK font every Chinese glyph would be an empty box in the screenshots.
    if let Ok(out) = Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
    {
        assert!(
            !out.stdout.is_empty(),
            "no Chinese font installed: the screenshots would show empty boxes. \
             Install one with `apt-get install fonts-noto-cjk` (scripts/test does this)."
        );
    }
}

/// The demo server, chromedriver and a Chromium session, stopped when dropped.
pub struct Session {
    pub client: Client,
    pub base: String,
    /// The chromedriver, for a second browser (another profile: another person).
    pub driver_url: String,
    pub shots: PathBuf,
    // Dropped after the client: stops chromedriver and the server, then removes the data.
    pub _procs: Processes,
    pub _data_dir: tempfile::TempDir,
    pub _profile_dir: tempfile::TempDir,
}

pub async fn start_demo_in_chromium() -> anyhow::Result<Session> {
    start_demo_in_chromium_with(&[]).await
}

/// [`start_demo_in_chromium`] with further environment for the demo server.
pub async fn start_demo_in_chromium_with(env: &[(&str, String)]) -> anyhow::Result<Session> {
    // fantoccini's TLS (aws-lc-rs) and tripdesk's (ring) are both compiled in: name one.
    tripdesk_delivery::install_tls_provider();
    check_prerequisites();
    let data_dir = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let (procs, base, driver_url) = start_demo_and_driver_with(data_dir.path(), env).await?;

    let client = chromium_client(&driver_url, profile_dir.path()).await?;
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots)?;
    Ok(Session {
        client,
        base,
        driver_url,
        shots,
        _procs: procs,
        _data_dir: data_dir,
        _profile_dir: profile_dir,
    })
}

/// A Chromium session (headless, 1366×900, its profile in `profile_dir`, the console log kept
/// for [`csp_violations`]) through the chromedriver at `driver_url`.
pub async fn chromium_client(driver_url: &str, profile_dir: &Path) -> anyhow::Result<Client> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1366,900",
                format!("--user-data-dir={}", profile_dir.display()),
            ],
        }),
    );
    // The console log, read for Content-Security-Policy violations (`csp_violations`).
    caps.insert(
        "goog:loggingPrefs".into(),
        serde_json::json!({"browser": "ALL"}),
    );
    ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(driver_url)
        .await
        .context("open a Chromium session through chromedriver")
}

impl Session {
    /// Ends the browser cleanly (however the walk ended); dropping the session then stops
    /// chromedriver and the server.
    pub async fn finish(self, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
        let closed = self.client.clone().close().await;
        if let Err(e) = &outcome {
            // On stdout, which the test report shows before the server's long stderr.
            println!("the browser walk failed: {e:#}");
        }
        outcome?;
        closed?;
        Ok(())
    }
}

/// chromedriver's browser console log: the entries since the last read.
#[derive(Debug)]
pub struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The console messages in which Chromium reports a Content-Security-Policy violation
/// (an inline script, style or handler the policy refused), since the last call.
pub async fn csp_violations(c: &Client) -> anyhow::Result<Vec<String>> {
    let log = c.issue_cmd(BrowserLog).await?;
    Ok(log
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.contains("Content Security Policy"))
        .map(str::to_string)
        .collect())
}
