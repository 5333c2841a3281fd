//! `tripdesk bench tickets`: ticket intake through the API. Starts the real server on a
//! loopback port, signs agents in with bearer tokens and sends `POST /api/v1/tickets` from 1,
//! 8, 32… clients at once; every 201 counted has been committed (the use case commits before
//! it answers), and at the end the tickets in the store are counted against the 201s.

use crate::bench_http::{self, Client, Server};
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

/// A varied, valid request body for ticket `i`: every kind and channel; one in ten
/// important and one in fifty urgent (complaints at those levels alert the supervisors);
/// customers by mainland mobile, `callers` distinct ones (the first ticket of each creates the
/// customer record, sealed by the vault; later ones find it through the blind index).
pub fn ticket_body(i: usize, callers: usize) -> String {
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
    let caller = i % callers;
    serde_json::json!({
        "kind": kind,
        "channel": channel,
        "level": level,
        "subject": SUBJECTS[i % SUBJECTS.len()],
        "description": format!("第 {i} 位客人来电反映：行程第二天的安排与合同不一致，要求说明原因并给出解决方案。"),
        "customer": {
            "name": format!("客人{caller}"),
            "phone": format!("1380013{caller:04}"),
        },
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

pub async fn run(
    db: crate::DbArgs,
    concurrency: Vec<usize>,
    count: usize,
    callers: usize,
    nodes: usize,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    // One log line per request would measure the terminal.
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = tickets(&config, &concurrency, count, callers, nodes).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn tickets(
    config: &crate::config::Config,
    concurrency: &[usize],
    count: usize,
    callers: usize,
    nodes: usize,
) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&callers) {
        bail!("--callers must be between 1 and 10000");
    }
    if !(1..=8).contains(&nodes) {
        bail!("--nodes must be between 1 and 8");
    }
    let keys = Arc::new(KeyRing::generate());
    let mut apps = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        apps.push(node_app(config, keys.clone()).await?);
    }
    let app = apps[0].clone();
    let store = app.store.clone();
    let before = count_tickets(&app).await?;
    let durability = match store.backend() {
        Backend::Sqlite if config.sqlite_synchronous_full => "synchronous=FULL: fsync per commit",
        Backend::Sqlite => "synchronous=NORMAL: WAL, durable across a process kill",
        Backend::Postgres => "as the server is configured (synchronous_commit)",
    };
    println!(
        "tripdesk bench tickets: POST /api/v1/tickets on {} ({durability}), {callers} callers, {nodes} node(s) (a store and server each, one process); {}",
        config.location()?.describe(),
        bench_http::machine()
    );
    let mut servers = Vec::with_capacity(nodes);
    for node in &apps {
        servers.push(Server::start(config, node.clone()).await?);
    }
    let addrs: Vec<_> = servers.iter().map(|s| s.addr).collect();
    let widest = concurrency.iter().copied().max().unwrap_or(1);
    let (http_one, http_many) = bench_http::http_round_trips(addrs[0], widest).await?;
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
    println!("{}", bench_http::header("tickets/s"));
    let mut created = 0;
    for &c in concurrency {
        let offset = created;
        let tokens = tokens.clone();
        let run = bench_http::drive_nodes(&addrs, c, count, move |mut client, worker, i| {
            let auth = tokens[worker % tokens.len()].clone();
            async move {
                let reply = client
                    .send(
                        Method::POST,
                        "/api/v1/tickets",
                        &[
                            ("authorization", auth.as_str()),
                            ("content-type", "application/json"),
                        ],
                        Some(Bytes::from(ticket_body(offset + i, callers))),
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
        .await?;
        created += run.requests;
        println!("{}", run.row(c));
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

async fn count_tickets(app: &App) -> anyhow::Result<u64> {
    let mut tx = app.store.read().await?;
    Ok(tx.count_tickets(&TicketFilter::default()).await?)
}
