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
    let store = crate::open_store(config).await?;
    let app = crate::app_for(config, store).with_vault(Arc::new(KeyRing::generate()));
    app.seed_demo_organisation().await?;
    Ok(app)
}

pub async fn run(
    db: crate::DbArgs,
    concurrency: Vec<usize>,
    count: usize,
    callers: usize,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    // One log line per request would measure the terminal.
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = tickets(&config, &concurrency, count, callers).await;
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
) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&callers) {
        bail!("--callers must be between 1 and 10000");
    }
    let app = bench_app(config).await?;
    let store = app.store.clone();
    let before = count_tickets(&app).await?;
    let durability = match store.backend() {
        Backend::Sqlite if config.sqlite_synchronous_full => "synchronous=FULL: fsync per commit",
        Backend::Sqlite => "synchronous=NORMAL: WAL, durable across a process kill",
        Backend::Postgres => "as the server is configured (synchronous_commit)",
    };
    println!(
        "tripdesk bench tickets: POST /api/v1/tickets on {} ({durability}), {callers} callers; {}",
        config.location()?.describe(),
        bench_http::machine()
    );
    let server = Server::start(config, app.clone()).await?;
    let mut tokens = Vec::new();
    {
        let mut client = Client::connect(server.addr).await?;
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
        let run = bench_http::drive(server.addr, c, count, move |mut client, worker, i| {
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
    server.stop().await?;
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
