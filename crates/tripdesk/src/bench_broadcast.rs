//! `tripdesk bench broadcast`: an emergency broadcast at the scale of a large agency's season.
//!
//! 1. Baseline of the machine, in the same run: single-row commits per second through the
//!    store, and loopback HTTP round trips per second through the real server.
//! 2. Seeds `--bookings` confirmed bookings over a 120-day summer season in 20 regions —
//!    five-day tours on daily departures and two-night homestay stays — of which
//!    `--affected`, each by a traveler of their own, are in 云南 during the week of a
//!    typhoon; the others are elsewhere, or in 云南 outside that week, by returning customers.
//!    Every booker has a mobile phone, sealed as the use cases seal it. Catalog through the
//!    use cases; bookings, customers and inventory through the store ports, 5,000 per
//!    transaction.
//! 3. Declares the incident (scope: 云南, the typhoon's week) through the use case: the time
//!    to find the affected travelers among all bookings.
//! 4. Broadcasts through the use case: the time to queue one SMS per traveler, each with its
//!    own check-in link, in one transaction.
//! 5. Starts the real server (`tripdesk serve`, a child process) with the SMS provider pointed
//!    at a loopback provider in this process that holds the configured rate, and watches the
//!    messages arrive; at `--kill-at` per cent it kills the server with SIGKILL and starts it
//!    again. At the end: messages lost (queued but never accepted by the provider), sends the
//!    provider saw twice (dropped by their `OutId`, as the providers do, and counted), the
//!    rate held, and the outbox's own count of delivered messages.

use crate::bench_broadcast_seed::{seed_bookings, seed_catalog, window};
use crate::bench_http::{self};
use crate::bench_tickets::{api_login, commits_per_sec};
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::Method;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_vault::KeyRing;
use uuid::Uuid;

const KEY_ID: &str = "LTAIbenchbroadcast";
const KEY_SECRET: &str = "bench-broadcast-secret";

/// What the benchmark seeds and sends.
pub struct Shape {
    pub bookings: usize,
    pub affected: usize,
    pub sms_rate: u32,
    pub kill_at: Option<u8>,
}

pub async fn run(db: crate::DbArgs, shape: Shape) -> anyhow::Result<()> {
    if shape.affected == 0 || shape.affected > shape.bookings {
        bail!("--affected must be between 1 and --bookings");
    }
    if !(1..=100_000).contains(&shape.sms_rate) {
        bail!("--sms-rate must be between 1 and 100000 messages per second");
    }
    if shape.kill_at.is_some_and(|k| !(1..=99).contains(&k)) {
        bail!("--kill-at must be a percentage between 1 and 99");
    }
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let sink = SmsSink::start(KEY_ID, KEY_SECRET).await?;
    sink.limit_rate(u64::from(shape.sms_rate));
    config.sms_base_url = Some(sink.url());
    config.sms_access_key_id = Some(KEY_ID.into());
    config.sms_access_key_secret = Some(crate::config::Hidden(KEY_SECRET.into()));
    config.sms_sign_name = Some("云游旅行".into());
    config.sms_template_code = Some("SMS_EMERGENCY".into());
    config.sms_rate_per_sec = Some(shape.sms_rate);
    let keys = Arc::new(KeyRing::generate());
    let result = broadcast(&config, &db, keys, &sink, &shape).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn broadcast(
    config: &crate::config::Config,
    db: &crate::DbArgs,
    keys: Arc<KeyRing>,
    sink: &SmsSink,
    shape: &Shape,
) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let app = crate::app_for(config, store.clone()).with_vault(keys.clone());
    app.seed_demo_organisation().await?;
    println!(
        "broadcast benchmark: {} database, {} bookings, {} affected, SMS at {}/s; {}",
        store.backend().as_str(),
        shape.bookings,
        shape.affected,
        shape.sms_rate,
        bench_http::machine()
    );
    let (one, eight) = commits_per_sec(&app, 8).await?;
    println!("baseline: {one:.0} single-row commits/s (1 writer), {eight:.0}/s (8 writers)");

    let started = Instant::now();
    let catalog = seed_catalog(&app).await?;
    println!(
        "catalog: {} tour packages, {} departures, {} rooms in {:.1} s",
        catalog.packages,
        catalog.departures.len(),
        catalog.rooms.len(),
        started.elapsed().as_secs_f64()
    );
    seed_bookings(&app, &keys, &catalog, shape).await?;
    let settled = Instant::now();
    app.store.settle_after_bulk_load().await?;
    println!(
        "settled the store in {:.1} s",
        settled.elapsed().as_secs_f64()
    );

    // The server first: its idle loopback round trips are the HTTP baseline.
    let mut server = ServerProcess::start(config, db, &keys).await?;
    let (http_one, http_many) = bench_http::http_round_trips(server.addr, 8).await?;
    println!(
        "baseline: {http_one:.0} HTTP round trips/s on loopback (1 client), {http_many:.0}/s (8)"
    );

    // The emergency leader (赵敏, a supervisor of the demo organisation) declares and
    // broadcasts through the server's API, as from the incidents page.
    let mut client = bench_http::Client::connect(server.addr).await?;
    let token = api_login(&mut client, "zhao.min").await?;
    let (from, to) = window();
    let declare = serde_json::json!({
        "kind": "natural_disaster", "level": "major", "title": "台风“海燕”影响云南",
        "description": "中央气象台发布台风红色预警，云南多地暴雨。", "warning_colour": "red",
        "drill": true, "no_answer_minutes": 120,
        "scope": {"regions": ["云南"], "from": from.to_string(), "to": to.to_string()},
    });
    let started = Instant::now();
    let declared = post(&mut client, &token, "/api/v1/incidents", &declare).await?;
    let find = started.elapsed();
    let found = declared["people"].as_u64().unwrap_or(0);
    let incident: Uuid = declared["incident"]["id"]
        .as_str()
        .context("no incident id in the answer")?
        .parse()?;
    println!(
        "declared (POST /api/v1/incidents): {found} affected travelers found among {} \
         bookings in {:.3} s",
        shape.bookings,
        find.as_secs_f64()
    );
    if found != shape.affected as u64 {
        bail!(
            "the incident found {found} travelers; {} were seeded in scope",
            shape.affected
        );
    }

    let started = Instant::now();
    let sent = post(
        &mut client,
        &token,
        &format!("/api/v1/incidents/{incident}/broadcasts"),
        &serde_json::json!({}),
    )
    .await?;
    let queued = started.elapsed();
    let count = |k: &str| sent[k].as_u64().unwrap_or(0);
    println!(
        "broadcast (POST …/broadcasts): {} messages queued ({} SMS, {} email, {} call tasks) \
         in {:.3} s ({:.0}/s), one transaction",
        count("sms") + count("email"),
        count("sms"),
        count("email"),
        count("calls"),
        queued.as_secs_f64(),
        (count("sms") + count("email")) as f64 / queued.as_secs_f64().max(1e-9)
    );
    let expected = count("sms") as usize;

    // Delivery, watched at the provider; the server killed once on the way if asked.
    let started = Instant::now();
    let deadline = Duration::from_secs(120 + 3 * (expected as u64 / u64::from(shape.sms_rate)));
    let mut killed: Option<(usize, Duration)> = None;
    let mut restarted_at: Option<Duration> = None;
    let mut last_progress = Instant::now();
    loop {
        let n = sink.accepted();
        if n >= expected {
            break;
        }
        if started.elapsed() > deadline {
            bail!(
                "after {:.0} s the provider has {n} of {expected} messages",
                started.elapsed().as_secs_f64()
            );
        }
        if let Some(k) = shape.kill_at {
            if killed.is_none() && n * 100 >= expected * usize::from(k) {
                server.kill().await?;
                killed = Some((n, started.elapsed()));
                println!(
                    "SIGKILL: the server killed with {n} of {expected} accepted ({:.1} s in)",
                    started.elapsed().as_secs_f64()
                );
                server = ServerProcess::start(config, db, &keys).await?;
                restarted_at = Some(started.elapsed());
            }
        }
        if last_progress.elapsed() > Duration::from_secs(10) {
            println!(
                "  {:.0} s: {n} of {expected} accepted by the provider",
                started.elapsed().as_secs_f64()
            );
            last_progress = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    // Give a resend after a lease a moment to show itself, then stop the server.
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.kill().await?;

    let messages = sink.messages();
    let mut per_second: BTreeMap<i64, u64> = BTreeMap::new();
    for m in &messages {
        *per_second.entry(m.at.as_second()).or_default() += 1;
    }
    let busiest = per_second.values().copied().max().unwrap_or(0);
    // The steady rate: the median second, the first and the last (partial) left out.
    let mut seconds: Vec<u64> = per_second.values().copied().collect();
    if seconds.len() > 2 {
        seconds = seconds[1..seconds.len() - 1].to_vec();
    }
    seconds.sort_unstable();
    let steady_rate = seconds.get(seconds.len() / 2).copied().unwrap_or(0);
    let lost = expected.saturating_sub(messages.len());
    println!(
        "delivered: {} of {expected} accepted by the provider in {:.1} s; median second {}/s \
         against the configured {}/s; busiest second {busiest}; answered 'over the rate' {} times",
        messages.len(),
        took.as_secs_f64(),
        steady_rate,
        shape.sms_rate,
        sink.throttled()
    );
    if let (Some((at, when)), Some(back)) = (killed, restarted_at) {
        println!(
            "SIGKILL at {at} accepted ({:.1} s), server serving again {:.1} s later: lost {lost}, \
             sends repeated to the provider {} (dropped by OutId, so travelers got each once)",
            when.as_secs_f64(),
            (back - when).as_secs_f64(),
            sink.duplicates()
        );
    } else {
        println!(
            "lost {lost}; sends repeated to the provider {}",
            sink.duplicates()
        );
    }
    let delivery = {
        let mut tx = app.store.read().await?;
        tx.incident_delivery(incident).await?
    };
    println!("the outbox's count for the incident: {delivery:?}");
    store.close().await;
    if lost > 0 {
        bail!("{lost} messages were lost");
    }
    Ok(())
}

/// POSTs JSON with the bearer token; the answer's JSON, or an error naming the status.
async fn post(
    client: &mut bench_http::Client,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let auth = format!("Bearer {token}");
    let reply = client
        .send(
            Method::POST,
            path,
            &[
                ("content-type", "application/json"),
                ("authorization", auth.as_str()),
            ],
            Some(Bytes::from(body.to_string())),
        )
        .await?;
    if !reply.status.is_success() {
        bail!(
            "POST {path} answered {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    Ok(serde_json::from_slice(&reply.body)?)
}

/// `tripdesk serve` as a child process on the benchmark's database and keys.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    async fn start(
        config: &crate::config::Config,
        db: &crate::DbArgs,
        keys: &KeyRing,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the tripdesk executable")?;
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .env("TRIPDESK_ADDR", "127.0.0.1:0")
            .env("TRIPDESK_VAULT_KEYS", keys.to_toml().expose_secret())
            .env("TRIPDESK_LOG_LEVEL", "warn")
            // A killed server's claimed messages come back to the next after this lease.
            .env("TRIPDESK_OUTBOX_LEASE_SECS", "10")
            .env(
                "TRIPDESK_SMS_BASE_URL",
                config.sms_base_url.clone().unwrap_or_default(),
            )
            .env("TRIPDESK_SMS_ACCESS_KEY_ID", KEY_ID)
            .env("TRIPDESK_SMS_ACCESS_KEY_SECRET", KEY_SECRET)
            .env(
                "TRIPDESK_SMS_SIGN_NAME",
                config.sms_sign_name.clone().unwrap_or_default(),
            )
            .env(
                "TRIPDESK_SMS_TEMPLATE_CODE",
                config.sms_template_code.clone().unwrap_or_default(),
            )
            .env(
                "TRIPDESK_SMS_RATE_PER_SEC",
                config.sms_rate_per_sec.unwrap_or(0).to_string(),
            )
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        match (&db.database_url, &db.data_dir) {
            (Some(url), _) => {
                cmd.env("TRIPDESK_DATABASE_URL", url);
            }
            _ => {
                cmd.env("TRIPDESK_DATA_DIR", &config.data_dir);
            }
        }
        if let Some(file) = &db.config {
            cmd.env("TRIPDESK_CONFIG", file);
        }
        let mut child = cmd.spawn().context("starting tripdesk serve")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    return Ok::<_, anyhow::Error>(rest.trim().parse::<SocketAddr>()?);
                }
            }
            bail!("the server stopped before listening")
        })
        .await
        .context("the server did not listen within 60 s")??;
        // Keep reading so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, addr })
    }

    /// SIGKILL: no shutdown, no flush — what a power cut or the OOM killer does.
    async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}
