//! `tripdesk bench bookings`: confirmed bookings through the API, and availability reads.
//!
//! Starts the real server(s) on loopback, creates a homestay chain of `room_types` room types
//! with `rooms_per_type` rooms each, and sends `POST /api/v1/bookings` with `confirm: true`
//! from 1, 8, 32… clients at once; each request books one night of a room no other request
//! books (room i mod rooms, night i / rooms), from a customer who is new (the first of each
//! caller) or returning, so every 201 took inventory and issued a confirmation number. At the
//! end the room-nights in the store are counted against the 201s. Then
//! `GET /api/v1/availability` for every room type over 365 nights is fetched by 1 and 8
//! clients: its p50/p99.

use crate::bench_http::{self, Client, Server};
use crate::bench_tickets::{api_login, commits_per_sec, node_app};
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use jiff::civil::Date;
use std::sync::Arc;
use tripdesk_app::bookings::catalog::NewProperty;
use tripdesk_app::App;
use tripdesk_domain::catalog::{Accessibility, RoomType};
use tripdesk_store::Backend;
use tripdesk_vault::KeyRing;
use uuid::Uuid;

const AGENTS: [&str; 3] = ["li.na", "chen.jing", "emma.liu"];

/// The first night booked and the first night of the availability window.
fn first_night() -> Date {
    jiff::civil::date(2031, 1, 1)
}

/// What the benchmark books and reads.
pub struct Shape {
    pub room_types: usize,
    pub rooms_per_type: usize,
    pub callers: usize,
}

/// Creates the property, its room types and rooms through the use cases; returns the
/// property and the room ids in order.
async fn homestay(app: &App, shape: &Shape) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let admin = App::console_principal();
    let property = app
        .create_property(
            &admin,
            NewProperty {
                name: "洱海边·云舍民宿（压测）".into(),
                address: "云南省大理市双廊镇".into(),
                phone: "0872-2461888".into(),
                check_in_time: "14:00".into(),
                check_out_time: "12:00".into(),
            },
        )
        .await?;
    let mut rooms = Vec::new();
    for t in 0..shape.room_types {
        let rt = app
            .create_room_type(
                &admin,
                RoomType {
                    id: Uuid::nil(),
                    property_id: property.id,
                    name: format!("房型{t:02}"),
                    max_occupancy: 2,
                    facilities: vec!["独立卫浴".into()],
                    accessibility: Accessibility::default(),
                    base_rate: 38_000 + 1_000 * t as i64,
                    weekend_rate: Some(48_000),
                    holiday_rate: Some(68_000),
                },
            )
            .await?;
        for r in 0..shape.rooms_per_type {
            let room = app
                .create_room(
                    &admin,
                    rt.id,
                    &format!("{t:02}-{r:02}"),
                    (t * 100 + r) as i64,
                )
                .await?;
            rooms.push(room.id);
        }
    }
    Ok((property.id, rooms))
}

/// The body of booking `i`: one night of room `i mod rooms`, night `i / rooms`.
fn booking_body(i: usize, rooms: &[Uuid], callers: usize) -> String {
    let room = rooms[i % rooms.len()];
    let night = first_night()
        .checked_add(jiff::Span::new().days((i / rooms.len()) as i64))
        .expect("a night within the calendar");
    let caller = i % callers;
    serde_json::json!({
        "customer": {"name": format!("住客{caller}"), "phone": format!("1390013{caller:04}")},
        "lines": [{"room_id": room, "check_in": night.to_string(),
                   "check_out": night.tomorrow().expect("next day").to_string()}],
        "confirm": true,
    })
    .to_string()
}

pub async fn run(
    db: crate::DbArgs,
    concurrency: Vec<usize>,
    count: usize,
    shape: Shape,
    nodes: usize,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = bookings(&config, &concurrency, count, &shape, nodes).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn bookings(
    config: &crate::config::Config,
    concurrency: &[usize],
    count: usize,
    shape: &Shape,
    nodes: usize,
) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&shape.callers) {
        bail!("--callers must be between 1 and 10000");
    }
    if !(1..=8).contains(&nodes) {
        bail!("--nodes must be between 1 and 8");
    }
    if shape.room_types == 0 || shape.rooms_per_type == 0 {
        bail!("--room-types and --rooms-per-type must be at least 1");
    }
    let keys = Arc::new(KeyRing::generate());
    let mut apps = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        apps.push(node_app(config, keys.clone()).await?);
    }
    let app = apps[0].clone();
    let (property, rooms) = homestay(&app, shape).await?;
    let total: usize = concurrency.iter().map(|_| count).sum();
    let nights_needed = total.div_ceil(rooms.len());
    if nights_needed > 3_000 {
        bail!(
            "{total} bookings over {} rooms need {nights_needed} nights: add rooms",
            rooms.len()
        );
    }
    let durability = match app.store.backend() {
        Backend::Sqlite if config.sqlite_synchronous_full => "synchronous=FULL: fsync per commit",
        Backend::Sqlite => "synchronous=NORMAL: WAL, durable across a process kill",
        Backend::Postgres => "as the server is configured (synchronous_commit)",
    };
    println!(
        "tripdesk bench bookings: POST /api/v1/bookings (confirm) on {} ({durability}), {} room types × {} rooms, {} callers, {nodes} node(s); {}",
        config.location()?.describe(),
        shape.room_types,
        shape.rooms_per_type,
        shape.callers,
        bench_http::machine()
    );
    let mut servers = Vec::with_capacity(nodes);
    for node in &apps {
        servers.push(Server::start(config, node.clone()).await?);
    }
    let addrs: Vec<_> = servers.iter().map(|s| s.addr).collect();
    let widest = concurrency.iter().copied().max().unwrap_or(1).max(8);
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
    let rooms = Arc::new(rooms);
    println!("{}", bench_http::header("bookings/s"));
    let mut created = 0;
    for &c in concurrency {
        let offset = created;
        let (tokens, rooms) = (tokens.clone(), rooms.clone());
        let callers = shape.callers;
        let run = bench_http::drive_nodes(&addrs, c, count, move |mut client, worker, i| {
            let auth = tokens[worker % tokens.len()].clone();
            let body = booking_body(offset + i, &rooms, callers);
            async move {
                let reply = client
                    .send(
                        Method::POST,
                        "/api/v1/bookings",
                        &[
                            ("authorization", auth.as_str()),
                            ("content-type", "application/json"),
                        ],
                        Some(Bytes::from(body)),
                    )
                    .await?;
                if reply.status != StatusCode::CREATED {
                    bail!(
                        "POST /api/v1/bookings answered {}: {}",
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
    let until = first_night()
        .checked_add(jiff::Span::new().days(365))
        .context("window end")?;
    let stored = {
        let mut tx = app.store.read().await?;
        tx.room_nights(
            property,
            first_night(),
            first_night().checked_add(jiff::Span::new().days(3_000))?,
        )
        .await?
        .len()
    };
    println!("answered 201: {created}; room-nights taken in the store: {stored}");
    if stored != created {
        bail!("{created} bookings were confirmed but {stored} room-nights are taken");
    }

    let uri = format!(
        "/api/v1/availability?property_id={property}&from={}&until={until}",
        first_night()
    );
    println!(
        "GET /api/v1/availability: {} room types × 365 nights ({} of them with bookings)",
        shape.room_types,
        nights_needed.min(365)
    );
    println!("{}", bench_http::header("reads/s"));
    for c in [1usize, 8] {
        let (tokens, uri) = (tokens.clone(), uri.clone());
        let run = bench_http::drive_nodes(&addrs, c, 400, move |mut client, worker, _| {
            let auth = tokens[worker % tokens.len()].clone();
            let uri = uri.clone();
            async move {
                let reply = client
                    .send(Method::GET, &uri, &[("authorization", auth.as_str())], None)
                    .await?;
                if reply.status != StatusCode::OK {
                    bail!("GET availability answered {}", reply.status);
                }
                Ok(client)
            }
        })
        .await?;
        println!("{}", run.row(c));
    }
    for server in servers {
        server.stop().await?;
    }
    Ok(())
}
