//! `tripdesk bench tickets`: ticket intake through the API. Starts the real server on a
//! loopback port, signs agents in with bearer tokens and sends `POST /api/v1/tickets` from 1,
//! 8, 32… clients at once; every 201 counted has been committed (the use case commits before
//! it answers), and at the end the tickets in the store are counted against the 201s.
//!
//! Callers are new customers or returning ones in a chosen mix (`--mix`); `--prefill
//! 0,1000000` measures at each store size in turn, seeding the store in bulk up to it first
//! (`bench_seed`); on SQLite
//! `--synchronous normal,full` measures both durabilities in turn on the same file. Each
//! setting prints the machine baseline of the same minute (loopback HTTP round trips, single-
//! row commits), and each run the server's CPU per ticket, the cores it kept busy and the
//! disk's cache flushes per ticket (`bench_usage`: the load generator runs on threads of its
//! own, so its CPU is not counted as the server's).

use crate::bench_http::{self, Client, Server};
use crate::bench_seed::{seed_closed_tickets, Extras};
use crate::bench_usage::Usage;
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use std::sync::Arc;
use tripdesk_app::App;
use tripdesk_store::{Backend, TicketFilter};
use tripdesk_vault::KeyRing;

/// Agents of the demo organisation who take the tickets (round robin over the clients).
const AGENTS: [&str; 3] = ["li.na", "chen.jing", "emma.liu"];

const SUBJECTS: [&str; 6] = [
    "导游擅自更改行程，取消了西湖游船",
    "酒店房间与预订不符",
    "Refund for the cancelled Guilin tour",
    "咨询黄山三日游的出发日期",
    "民宿早餐时间能否提前",
    "接机司机迟到一小时",
];

/// Who calls with ticket `i`: a customer new to the store (`k`: unique in the store) or
/// returning caller `c` (created before the measured runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    New(usize),
    Returning(usize),
}

/// The share of tickets from new customers, in percent (`--mix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerMix(pub u8);

impl CallerMix {
    /// Whether ticket `i` comes from a new customer: exactly the share in every 100 tickets,
    /// spread over them.
    pub fn is_new(self, i: usize) -> bool {
        (i * 37 % 100) < usize::from(self.0)
    }
}

/// `new`, `returning` or the percent of new customers (`70`).
pub fn parse_mix(s: &str) -> Result<CallerMix, String> {
    match s {
        "new" => Ok(CallerMix(100)),
        "returning" => Ok(CallerMix(0)),
        p => match p.trim_end_matches('%').parse::<u8>() {
            Ok(n) if n <= 100 => Ok(CallerMix(n)),
            _ => Err(format!(
                "{s:?}: give new, returning or the percent of new customers (0-100)"
            )),
        },
    }
}

/// A varied, valid request body for ticket `i`: every kind and channel; one in ten
/// important and one in fifty urgent (complaints at those levels alert the supervisors);
/// customers by mainland mobile: a new one creates the customer record, sealed by the vault;
/// a returning one is found through the blind index.
pub fn ticket_body(i: usize, caller: Caller) -> String {
    let kind = ["complaint", "inquiry", "complaint", "feedback", "inquiry"][i % 5];
    let channel = ["phone", "email", "web_form", "chat", "on_site", "social"][i % 6];
    let level = match (i * 7) % 50 {
        0..5 => "important",
        5 => "urgent",
        _ => "general",
    };
    let area = [
        "route",
        "guide",
        "logistics",
        "housekeeping",
        "food_beverage",
    ][i % 5];
    let (name, phone) = match caller {
        Caller::New(k) => (format!("新客{k}"), format!("139{:08}", k % 100_000_000)),
        Caller::Returning(c) => (format!("客人{c}"), format!("1380013{c:04}")),
    };
    serde_json::json!({
        "kind": kind,
        "channel": channel,
        "level": level,
        "subject": SUBJECTS[i % SUBJECTS.len()],
        "description": format!("第 {i} 位客人来电反映：行程第二天的安排与合同不一致，要求说明原因并给出解决方案。"),
        "customer": { "name": name, "phone": phone },
        "business_area": area,
    })
    .to_string()
}

/// Signs a demo user in through the API and returns the bearer token.
pub async fn api_login(client: &mut Client, username: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({
        "username": username,
        "password": tripdesk_app::demo::DEMO_PASSWORD,
    })
    .to_string();
    let reply = client
        .send(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "application/json")],
            Some(Bytes::from(body)),
        )
        .await?;
    if reply.status != StatusCode::OK {
        bail!(
            "signing in as {username} answered {}: run the benchmark on a new database (it seeds the demo organisation)",
            reply.status
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&reply.body)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .context("no token in the login answer")
}

/// The app of a benchmark: the configured store, the demo organisation, fresh vault keys.
pub async fn bench_app(config: &crate::config::Config) -> anyhow::Result<App> {
    node_app(config, Arc::new(KeyRing::generate())).await
}

/// One node of a benchmark: its own store (its own connection pool) on the configured
/// database, the vault keys all nodes share, the demo organisation.
pub(crate) async fn node_app(
    config: &crate::config::Config,
    keys: Arc<KeyRing>,
) -> anyhow::Result<App> {
    let store = crate::open_store(config).await?;
    let app = crate::app_for(config, store).with_vault(keys);
    app.seed_demo_organisation().await?;
    Ok(app)
}

/// The database baseline measured in the same run: single-row write transactions committed
/// per second through the store (each client bumps a counter of its own: no row shared), one
/// client then `clients` at once, after a warm-up.
pub(crate) async fn commits_per_sec(app: &App, clients: usize) -> anyhow::Result<(f64, f64)> {
    async fn run(app: &App, clients: usize, per_client: usize) -> anyhow::Result<f64> {
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let store = app.store.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("bench-baseline-{c}");
                for _ in 0..per_client {
                    let mut tx = store.write().await?;
                    tx.next_in_sequence(&name).await?;
                    tx.commit().await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        Ok((clients * per_client) as f64 / started.elapsed().as_secs_f64())
    }
    run(app, clients, 20).await?;
    Ok((run(app, 1, 500).await?, run(app, clients, 200).await?))
}

/// What `bench tickets` is asked to measure.
pub struct Options {
    pub concurrency: Vec<usize>,
    pub count: usize,
    /// Returning callers (created before the measured runs when the mix has any).
    pub callers: usize,
    pub nodes: usize,
    pub mix: CallerMix,
    /// Store sizes to measure at in turn: before each, tickets are seeded in bulk up to it.
    pub prefill: Vec<usize>,
    /// SQLite: the runs' `synchronous` settings in turn (true: FULL), each on the same file.
    pub synchronous: Vec<bool>,
}

pub async fn run(db: crate::DbArgs, opts: Options) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    // One log line per request would measure the terminal.
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = tickets(&config, &opts).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// Seeds closed tickets (with customers, clocks, timeline entries and search documents, one
/// customer per two tickets) up to `target` in the store, then settles the store.
async fn prefill(app: &App, target: usize) -> anyhow::Result<()> {
    let have = count_tickets(app).await? as usize;
    if have >= target {
        println!("prefill: the store already holds {have} tickets; none seeded");
        return Ok(());
    }
    let n = target - have;
    let staff = crate::bench_inbox::staff(app, &[]).await?;
    let tag = format!("P{}-", jiff::Timestamp::now().as_second() % 100_000);
    let mut rng = crate::bench_inbox::Mix(target as u64);
    let extras = Extras {
        tickets_per_customer: 2,
        timeline_and_search: true,
    };
    let took = seed_closed_tickets(app, &staff, &mut rng, n, &tag, extras).await?;
    let settle = std::time::Instant::now();
    app.store.settle_after_bulk_load().await?;
    println!(
        "prefill: {n} closed tickets with {} customers (sealed phone, blind index), SLA clocks, timeline entries and search documents in {:.1} s ({:.0} tickets/s, {} per transaction through the store ports); settled in {:.1} s",
        n.div_ceil(2),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64().max(1e-9),
        crate::bench_seed::SEED_TX,
        settle.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn tickets(config: &crate::config::Config, opts: &Options) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&opts.callers) {
        bail!("--callers must be between 1 and 10000");
    }
    if !(1..=8).contains(&opts.nodes) {
        bail!("--nodes must be between 1 and 8");
    }
    let keys = Arc::new(KeyRing::generate());
    let sqlite = config.database_url.is_none();
    if sqlite {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let disk = crate::bench_usage::disk_stat_file(if sqlite {
        &config.data_dir
    } else {
        std::path::Path::new("/")
    });
    println!(
        "tripdesk bench tickets: POST /api/v1/tickets on {}, {}% new customers ({} returning callers), {} node(s) (a store and server each, one process); {}",
        config.location()?.describe(),
        opts.mix.0,
        opts.callers,
        opts.nodes,
        bench_http::machine()
    );
    println!(
        "server CPU: the process's minus the load generator's threads (/proc); flushes: the disk's completed flush requests ({}, whole machine)",
        disk.as_ref()
            .map_or("not found".to_string(), |d| d.display().to_string())
    );
    let clients = crate::bench_usage::client_runtime()?;
    let result = sizes(config, opts, &keys, disk.as_deref(), &clients).await;
    clients.shutdown_background();
    result
}

/// For each store size: the bulk seeding up to it, then the runs of each setting.
async fn sizes(
    config: &crate::config::Config,
    opts: &Options,
    keys: &Arc<KeyRing>,
    disk: Option<&std::path::Path>,
    clients: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let modes: Vec<Option<bool>> = if config.database_url.is_none() {
        opts.synchronous.iter().copied().map(Some).collect()
    } else {
        vec![None]
    };
    let mut callers_ready = opts.mix.0 == 100;
    for &size in &opts.prefill {
        if size > 0 {
            let app = node_app(config, keys.clone()).await?;
            prefill(&app, size).await?;
            app.store.close().await;
        }
        for &full in &modes {
            let mut config = config.clone();
            if let Some(full) = full {
                config.sqlite_synchronous_full = full;
            }
            measure(&config, opts, keys, disk, clients, &mut callers_ready).await?;
        }
    }
    Ok(())
}

/// The runs of one setting: fresh nodes on the store, the baseline, then each level.
async fn measure(
    config: &crate::config::Config,
    opts: &Options,
    keys: &Arc<KeyRing>,
    disk: Option<&std::path::Path>,
    clients: &tokio::runtime::Runtime,
    callers_ready: &mut bool,
) -> anyhow::Result<()> {
    let mut apps = Vec::with_capacity(opts.nodes);
    for _ in 0..opts.nodes {
        apps.push(node_app(config, keys.clone()).await?);
    }
    let app = apps[0].clone();
    let store = app.store.clone();
    let before = count_tickets(&app).await?;
    let durability = match store.backend() {
        Backend::Sqlite if config.sqlite_synchronous_full => {
            "synchronous=FULL: durable across a power cut"
        }
        Backend::Sqlite => "synchronous=NORMAL: WAL, durable across a process kill",
        Backend::Postgres => "as the server is configured (synchronous_commit)",
    };
    println!("{durability}; {before} tickets in the store");
    if let Some(due) = sla_due_soon(&app).await? {
        println!(
            "note: running SLA clocks fall due from {due} (earlier runs' tickets): the SLA engine \
             records their warnings and breaches, and their alerts go out, during the runs below, \
             on the same writer — for a figure of the store's size alone, measure on a copy of \
             a freshly seeded store"
        );
    }
    let mut servers = Vec::with_capacity(opts.nodes);
    for node in &apps {
        servers.push(Server::start(config, node.clone()).await?);
    }
    let addrs: Arc<Vec<_>> = Arc::new(servers.iter().map(|s| s.addr).collect());
    let widest = opts.concurrency.iter().copied().max().unwrap_or(1);
    let addr = addrs[0];
    let (http_one, http_many) = clients
        .spawn(async move { bench_http::http_round_trips(addr, widest).await })
        .await??;
    let (commits_one, commits_many) = commits_per_sec(&app, widest).await?;
    println!(
        "baseline: HTTP loopback round trips/s {http_one:.0} (1 client), {http_many:.0} ({widest}); \
         single-row commits/s {commits_one:.0} (1 client), {commits_many:.0} ({widest})"
    );
    let mut tokens = Vec::new();
    {
        let mut client = Client::connect(addrs[0]).await?;
        for agent in AGENTS {
            tokens.push(format!("Bearer {}", api_login(&mut client, agent).await?));
        }
    }
    let tokens = Arc::new(tokens);
    let mut created = 0;
    if !*callers_ready {
        // The returning callers' first tickets, not measured.
        let n = opts.callers;
        let run = drive(clients, &addrs, 8, n, tokens.clone(), move |i| {
            ticket_body(i, Caller::Returning(i))
        })
        .await?;
        created += run.requests;
        *callers_ready = true;
        println!("{n} returning callers created (not measured)");
    }
    println!(
        "{} {}",
        bench_http::header("tickets/s"),
        crate::bench_usage::COLUMNS
    );
    let (mix, callers) = (opts.mix, opts.callers);
    for &c in &opts.concurrency {
        // Ticket numbers of the bodies go on from what the store holds, so new customers'
        // phones are new on a store used before.
        let offset = before as usize + created;
        let usage = Usage::now(disk, store.writer_busy());
        let run = drive(clients, &addrs, c, opts.count, tokens.clone(), move |i| {
            let i = offset + i;
            let caller = if mix.is_new(i) {
                Caller::New(i)
            } else {
                Caller::Returning(i * 7919 % callers)
            };
            ticket_body(i, caller)
        })
        .await?;
        let spent = usage.since(disk, store.writer_busy());
        created += run.requests;
        println!("{} {}", run.row(c), spent.columns(run.requests));
    }
    // Counted through a new read transaction after the last answer (stopping the server
    // closes the store).
    let stored = count_tickets(&app).await? - before;
    for server in servers {
        server.stop().await?;
    }
    println!("answered 201: {created}; new tickets in the store: {stored}");
    if stored != created as u64 {
        bail!("{created} tickets were acknowledged but {stored} are stored");
    }
    Ok(())
}

/// `total` intakes from `concurrency` clients on the load generator's runtime; `body(i)` is
/// ticket `i`'s request body.
async fn drive(
    clients: &tokio::runtime::Runtime,
    addrs: &Arc<Vec<std::net::SocketAddr>>,
    concurrency: usize,
    total: usize,
    tokens: Arc<Vec<String>>,
    body: impl Fn(usize) -> String + Send + Sync + 'static,
) -> anyhow::Result<bench_http::Run> {
    let addrs = addrs.clone();
    let body = Arc::new(body);
    clients
        .spawn(async move {
            bench_http::drive_nodes(&addrs, concurrency, total, move |mut client, worker, i| {
                let auth = tokens[worker % tokens.len()].clone();
                let body = body(i);
                async move {
                    let reply = client
                        .send(
                            Method::POST,
                            "/api/v1/tickets",
                            &[
                                ("authorization", auth.as_str()),
                                ("content-type", "application/json"),
                            ],
                            Some(Bytes::from(body)),
                        )
                        .await?;
                    if reply.status != StatusCode::CREATED {
                        bail!(
                            "POST /api/v1/tickets answered {}: {}",
                            reply.status,
                            String::from_utf8_lossy(&reply.body)
                        );
                    }
                    Ok(client)
                }
            })
            .await
        })
        .await?
}

/// The earliest running SLA clock's due instant, when it falls within the next ten minutes.
async fn sla_due_soon(app: &App) -> anyhow::Result<Option<jiff::Timestamp>> {
    let mut tx = app.store.read().await?;
    Ok(due_soon(tx.earliest_sla_due().await?, app.now()))
}

/// `earliest` if a clock falls due before `now` plus ten minutes (already overdue included).
fn due_soon(earliest: Option<jiff::Timestamp>, now: jiff::Timestamp) -> Option<jiff::Timestamp> {
    earliest.filter(|due| *due < now + jiff::SignedDuration::from_mins(10))
}

async fn count_tickets(app: &App) -> anyhow::Result<u64> {
    let mut tx = app.store.read().await?;
    Ok(tx.count_tickets(&TicketFilter::default()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_due_within_ten_minutes_are_noted() {
        let now: jiff::Timestamp = "2026-12-08T00:00:00Z".parse().unwrap();
        let at = |m: i64| Some(now + jiff::SignedDuration::from_mins(m));
        assert_eq!(due_soon(at(-30), now), at(-30));
        assert_eq!(due_soon(at(9), now), at(9));
        assert_eq!(due_soon(at(10), now), None);
        assert_eq!(due_soon(None, now), None);
    }

    #[test]
    fn the_mix_names_the_share_of_new_customers() {
        assert_eq!(parse_mix("new"), Ok(CallerMix(100)));
        assert_eq!(parse_mix("returning"), Ok(CallerMix(0)));
        assert_eq!(parse_mix("70"), Ok(CallerMix(70)));
        assert_eq!(parse_mix("70%"), Ok(CallerMix(70)));
        assert!(parse_mix("101").is_err());
        assert!(parse_mix("some").is_err());
        for share in [0u8, 1, 30, 70, 99, 100] {
            let mix = CallerMix(share);
            // Exactly the share in every hundred tickets, wherever they start.
            for start in [0, 17, 1_000_003] {
                let new = (start..start + 100).filter(|&i| mix.is_new(i)).count();
                assert_eq!(new, usize::from(share), "share {share} from {start}");
            }
        }
    }

    #[test]
    fn new_callers_have_phones_of_their_own() {
        let phone = |c| {
            let v: serde_json::Value = serde_json::from_str(&ticket_body(5, c)).unwrap();
            v["customer"]["phone"].as_str().unwrap().to_string()
        };
        assert_eq!(phone(Caller::New(5)), "13900000005");
        assert_eq!(phone(Caller::New(4_000_123)), "13904000123");
        assert_eq!(phone(Caller::Returning(42)), "13800130042");
        assert_ne!(phone(Caller::New(42)), phone(Caller::Returning(42)));
    }
}
