//! `tripdesk bench quality`: the service-quality dashboard (`GET /quality`, every figure of a
//! month with the five months before it) over a year of records: a million tickets (each
//! with its SLA clock), 100,000 confirmed bookings by 30,000 customers, 100,000 hotline
//! calls, surveys and a year of heartbeats with outages, seeded in bulk through the store
//! ports (multi-row inserts, 5,000 tickets per transaction). Prints the machine and a
//! loopback HTTP baseline measured in the same run, then p50/p99 of the page fetched by 1
//! and 8 signed-in supervisors at once, for the last whole month and for one department.

use crate::bench_http::{self, Client, Server};
use crate::bench_inbox::{staff, ui_login, Mix};
use crate::bench_seed::{customer, seed_closed_tickets, spread, Extras, SEED_TX, SPAN_DAYS};
use anyhow::bail;
use hyper::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Instant;
use tripdesk_app::App;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::phone::{Direction, Disposition};
use tripdesk_domain::quality::Period;
use tripdesk_store::{Booking, CallRecord, Customer, TicketFilter};
use uuid::Uuid;

/// The supervisor the pages are fetched as (demo organisation).
const VIEWER: &str = "zhao.min";

pub async fn run(
    db: crate::DbArgs,
    tickets: usize,
    bookings: usize,
    agents: Vec<usize>,
    pages: usize,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = quality(&config, tickets, bookings, &agents, pages).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn quality(
    config: &crate::config::Config,
    tickets: usize,
    bookings: usize,
    agents: &[usize],
    pages: usize,
) -> anyhow::Result<()> {
    let app = crate::bench_tickets::bench_app(config).await?;
    println!(
        "tripdesk bench quality: GET /quality on {}; {}",
        config.location()?.describe(),
        bench_http::machine()
    );
    let (one, many) = crate::bench_tickets::commits_per_sec(&app, 8).await?;
    println!("baseline: single-row commits/s: 1 writer {one:.0}, 8 writers {many:.0}");
    seed(&app, tickets, bookings).await?;
    let server = Server::start(config, app.clone()).await?;
    let (one, many) = bench_http::http_round_trips(server.addr, 8).await?;
    println!("baseline: loopback HTTP round trips {one:.0}/s (1 client), {many:.0}/s (8 clients)");
    let cookie = {
        let mut client = Client::connect(server.addr).await?;
        ui_login(&mut client, VIEWER).await?
    };
    let today = app
        .now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date();
    let month = Period::month_of(today).previous()?;
    let group = {
        let s = staff(&app, &[]).await?;
        s.groups.first().map(|(g, _)| *g)
    };
    let mut urls = vec![(
        "month",
        format!("/quality?from={}&to={}", month.from, month.to),
    )];
    if let Some(g) = group {
        urls.push((
            "month, one department",
            format!("/quality?from={}&to={}&group={g}", month.from, month.to),
        ));
    }
    for (what, url) in urls {
        println!("{what}: {url}");
        println!("{}", bench_http::header("pages/s"));
        // Warm up.
        fetch(server.addr, &cookie, &url, 1, 5).await?;
        for &n in agents {
            let run = fetch(server.addr, &cookie, &url, n, pages).await?;
            println!("{}", run.row(n));
        }
    }
    server.stop().await?;
    Ok(())
}

async fn fetch(
    addr: std::net::SocketAddr,
    cookie: &str,
    url: &str,
    clients: usize,
    pages: usize,
) -> anyhow::Result<bench_http::Run> {
    let (cookie, url) = (Arc::new(cookie.to_string()), Arc::new(url.to_string()));
    bench_http::drive(addr, clients, pages, move |mut client, _, _| {
        let (cookie, url) = (cookie.clone(), url.clone());
        async move {
            let reply = client
                .send(Method::GET, &url, &[("cookie", cookie.as_str())], None)
                .await?;
            if reply.status != StatusCode::OK
                || !reply.body.windows(13).any(|w| w == b"class=\"chart\"")
            {
                bail!(
                    "GET {url} answered {} without charts: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body[..reply.body.len().min(400)])
                );
            }
            Ok(client)
        }
    })
    .await
}

/// Adds the year of records unless the store already holds `tickets` tickets; then settles
/// the store (planner statistics) as an operator would after a bulk load.
async fn seed(app: &App, tickets: usize, bookings: usize) -> anyhow::Result<()> {
    let have = {
        let mut tx = app.store.read().await?;
        tx.count_tickets(&TicketFilter::default()).await? as usize
    };
    if have >= tickets {
        println!("the store already holds {have} tickets; none seeded");
        return Ok(());
    }
    let staff = staff(app, &[]).await?;
    let tag = format!("Q{}-", Timestamp::now().as_second() % 100_000);
    let mut rng = Mix(tickets as u64);
    let now = app.now();
    let n = tickets - have;
    let took = seed_closed_tickets(app, &staff, &mut rng, n, &tag, Extras::default()).await?;
    println!(
        "seeded {n} tickets with their SLA clocks in {:.1} s",
        took.as_secs_f64()
    );
    let started = Instant::now();
    // Customers (30 % of the bookings' number), their bookings, calls and surveys' worth
    // of heartbeats.
    let customers: Vec<Customer> = (0..(bookings * 3 / 10).max(1))
        .map(|i| {
            let at = spread(&mut rng, i, bookings * 3 / 10, now);
            customer(&mut rng, at)
        })
        .collect();
    for chunk in customers.chunks(5_000) {
        let mut tx = app.store.write().await?;
        for c in chunk {
            tx.insert_customer(c).await?;
        }
        tx.commit().await?;
    }
    for (k, chunk) in (0..bookings).collect::<Vec<_>>().chunks(5_000).enumerate() {
        let mut tx = app.store.write().await?;
        for &i in chunk {
            let at = spread(&mut rng, i, bookings, now);
            // Customers book after they were created: pick one among those created by then.
            let upto = customers.partition_point(|c| c.created_at <= at).max(1);
            let customer_id = customers[rng.below(upto)].id;
            let confirmed = rng.below(100) < 90;
            tx.insert_booking(&Booking {
                id: Uuid::now_v7(),
                customer_id,
                state: if confirmed {
                    BookingState::Confirmed
                } else {
                    BookingState::Expired
                },
                hold_kind: None,
                hold_expires_at: None,
                confirmation_no: confirmed.then(|| format!("QB{k:03}{i:07}")),
                starts_on: at.to_zoned(jiff::tz::TimeZone::UTC).date(),
                ends_on: at.to_zoned(jiff::tz::TimeZone::UTC).date(),
                total_fen: 198_000,
                paid_fen: if confirmed { 198_000 } else { 0 },
                policy: None,
                ticket_id: None,
                created_by: None,
                created_at: at,
                updated_at: at,
                confirmed_at: confirmed.then(|| at + SignedDuration::from_mins(20)),
                closed_at: None,
                arrived_at: None,
                registered_at: None,
                welcome_pack_at: None,
                version: 1,
                lines: Vec::new(),
                travelers: Vec::new(),
            })
            .await?;
        }
        tx.commit().await?;
    }
    let calls: Vec<CallRecord> = (0..bookings)
        .map(|i| {
            let at = spread(&mut rng, i, bookings, now);
            let answered = rng.below(100) < 96;
            CallRecord {
                id: Uuid::now_v7(),
                source: "cdr".into(),
                call_key: format!("{tag}{i}"),
                direction: Direction::Inbound,
                line: "4008201234".into(),
                agent: answered.then(|| "8001".into()),
                customer_id: None,
                number_sealed: None,
                number_index: None,
                started_at: at,
                answered_at: answered.then(|| at + SignedDuration::from_secs(8)),
                ended_at: at + SignedDuration::from_secs(180),
                ring_secs: 8,
                talk_secs: if answered { 170 } else { 0 },
                disposition: if answered {
                    Disposition::Answered
                } else {
                    Disposition::NoAnswer
                },
                imported_at: now,
                imported_by: None,
                callback_task_id: None,
                ticket_id: None,
            }
        })
        .collect();
    for chunk in calls.chunks(SEED_TX) {
        let mut tx = app.store.write().await?;
        tx.insert_calls(chunk).await?;
        tx.commit().await?;
    }
    app.seed_demo_heartbeats(SPAN_DAYS, &[(60 * 24 * 40, 180), (60 * 24 * 200, 600)])
        .await?;
    println!(
        "seeded {} customers, {bookings} bookings, {} calls and a year of heartbeats in {:.1} s",
        customers.len(),
        calls.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    app.store.settle_after_bulk_load().await?;
    println!(
        "settled the store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
