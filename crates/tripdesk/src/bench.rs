//! `tripdesk bench sla`: the SLA engine under a million running clocks. It measures the cost
//! of starting a clock (the use case, one transaction each), the CPU the engine uses while
//! nothing is due, and the time from a clock's due instant to its breach being recorded.
//! Run it on an empty data directory or database: it writes clocks.
//! The other benchmarks: `bench_outbox.rs`, `bench_tickets.rs`, `bench_inbox.rs`,
//! `bench_bookings.rs`, `bench_search.rs`, `bench_broadcast.rs`, `bench_email.rs`,
//! `bench_quality.rs`.

use crate::{app_for, load_config, open_store, telemetry, DbArgs};
use anyhow::{bail, Context};
use clap::Subcommand;
use jiff::{SignedDuration, Timestamp};
use std::time::{Duration, Instant};
use tripdesk_app::sla::engine::{EngineSettings, SlaEngine};
use tripdesk_app::sla::StartClock;
use tripdesk_domain::calendar::{china_time_zone, Calendar};
use tripdesk_domain::sla::{ClockKind, SlaClock, SlaTarget};
use tripdesk_store::{SlaClockRecord, SlaEventFilter, SlaEventKind};
use uuid::Uuid;

/// SQLite's `synchronous` settings for `bench tickets`, in turn (true: FULL).
#[derive(Debug, Clone)]
pub struct Synchronous(pub Vec<bool>);

fn parse_synchronous(s: &str) -> Result<Synchronous, String> {
    s.split(',')
        .map(|p| match p.trim() {
            "normal" => Ok(false),
            "full" => Ok(true),
            other => Err(format!("{other:?}: give normal, full or normal,full")),
        })
        .collect::<Result<_, _>>()
        .map(Synchronous)
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Running clocks, idle CPU, breach latency and start cost of the SLA engine.
    Sla {
        /// Running clocks in the store while measuring (due weeks ahead).
        #[arg(long, default_value_t = 1_000_000)]
        clocks: u32,
        /// Clocks started through the use case to time a start (part of --clocks).
        #[arg(long, default_value_t = 2_000)]
        starts: u32,
        /// Clocks made due during the latency run.
        #[arg(long, default_value_t = 1_000)]
        due: u32,
        /// Seconds over which the due clocks fall due (evenly spread).
        #[arg(long, default_value_t = 10)]
        due_over_secs: u32,
        /// Seconds of idle measured.
        #[arg(long, default_value_t = 10)]
        idle_secs: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enqueue N emails, then deliver them with this node's workers and report the rates.
    Outbox {
        /// Messages to enqueue and deliver.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        /// SMTP server to deliver to; default: a minimal SMTP sink started in this process.
        #[arg(long)]
        smtp_url: Option<String>,
        /// Delivery workers (default: outbox_workers of the configuration).
        #[arg(long)]
        workers: Option<usize>,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// `POST /api/v1/tickets` through the real server from 1, 8, 32… clients at once:
    /// throughput and p50/p99 latency of durable ticket creation.
    Tickets {
        /// Clients at once, one run each (comma-separated).
        #[arg(long, default_value = "1,8,32", value_parser = crate::bench_http::parse_levels)]
        concurrency: crate::bench_http::Levels,
        /// Tickets created per run.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Who calls: `new` (a new customer per ticket: the record is created, sealed),
        /// `returning` (callers found through the blind index) or the percent of new ones.
        #[arg(long, default_value = "new", value_parser = crate::bench_tickets::parse_mix)]
        mix: crate::bench_tickets::CallerMix,
        /// Returning callers (created through the API before the measured runs when the mix
        /// has any; ticket i picks one of them). A few (e.g. 8) make the clients call for the
        /// same customers at once. At most 10,000.
        #[arg(long, default_value_t = 4_000)]
        callers: usize,
        /// Store sizes to measure at, in turn (comma-separated, e.g. `0,1000000`): before
        /// each, closed tickets are seeded in bulk up to it through the store ports (with
        /// customers, SLA clocks, timeline entries and search documents).
        #[arg(long, default_value = "0", value_parser = crate::bench_http::parse_counts)]
        prefill: crate::bench_http::Counts,
        /// SQLite's `synchronous` for the runs, in turn on the same file: `normal`, `full`
        /// or both (`normal,full`); default: the configuration's (sqlite_synchronous_full).
        #[arg(long, value_parser = parse_synchronous)]
        synchronous: Option<Synchronous>,
        /// Nodes serving the clients (client w talks to node w mod this): each a store with
        /// its own connection pool and a server of its own, in this process, on the one
        /// database (on PostgreSQL: what several machines would be). At most 8.
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// `POST /api/v1/bookings` (confirmed at once) through the real server from 1, 8, 32…
    /// clients, each booking a room-night no other takes; then `GET /api/v1/availability`
    /// of every room type over 365 nights from 1 and 8 clients.
    Bookings {
        /// Clients at once, one run each (comma-separated).
        #[arg(long, default_value = "1,8,32", value_parser = crate::bench_http::parse_levels)]
        concurrency: crate::bench_http::Levels,
        /// Bookings confirmed per run.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Room types of the property (availability reads all of them).
        #[arg(long, default_value_t = 50)]
        room_types: usize,
        /// Rooms of each room type.
        #[arg(long, default_value_t = 4)]
        rooms_per_type: usize,
        /// Distinct customers (booking i comes from customer i mod this; the first booking of
        /// each creates the customer record, later ones find it). At most 10,000.
        #[arg(long, default_value_t = 4_000)]
        callers: usize,
        /// Nodes serving the clients (each a store and a server, in this process). At most 8.
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// The agent inbox (`GET /desk`) with a million tickets in the store, fetched by 1, 8…
    /// signed-in agents at once: p50/p99 and pages per second.
    Inbox {
        /// Tickets in the store while measuring (seeded in bulk up to this number).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Agents fetching at once, one run each (comma-separated).
        #[arg(long, default_value = "1,8", value_parser = crate::bench_http::parse_levels)]
        agents: crate::bench_http::Levels,
        /// Pages fetched per run.
        #[arg(long, default_value_t = 5_000)]
        pages: usize,
        /// Percent of the open tickets seeded with an SLA clock at risk (half breached, half
        /// past their warning); the others' clocks are on track, closed tickets' met.
        #[arg(long, default_value_t = 30)]
        at_risk: u8,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// An emergency broadcast: affected travelers found among a million bookings, one SMS
    /// each queued, delivered by the real server at the provider's rate to a loopback
    /// provider, the server killed with SIGKILL on the way (`bench_broadcast.rs`).
    Broadcast {
        /// Confirmed bookings in the store (seeded).
        #[arg(long, default_value_t = 1_000_000)]
        bookings: usize,
        /// Of them, bookings in the incident's scope, each by a traveler of their own.
        #[arg(long, default_value_t = 100_000)]
        affected: usize,
        /// The SMS provider's rate (messages per second) configured and held by the
        /// loopback provider.
        #[arg(long, default_value_t = 1_000)]
        sms_rate: u32,
        /// Kill the server with SIGKILL when this per cent of the messages has been accepted
        /// by the provider, and start it again (0: never).
        #[arg(long, default_value_t = 40)]
        kill_at: u8,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Web chat: visitors opening chats and staying connected on one node, each sending
    /// messages an agent answers; delivery time both ways (`bench_chat.rs`).
    Chat {
        /// Visitors at once, each with a chat of their own (a new customer each).
        #[arg(long, default_value_t = 1_000)]
        visitors: usize,
        /// Agents' sockets, each holding an equal share of the chats.
        #[arg(long, default_value_t = 10)]
        agents: usize,
        /// Messages each visitor sends (each answered by the agent).
        #[arg(long, default_value_t = 10)]
        messages: usize,
        /// Seconds over which the messages are spread.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Chats opened at once while the visitors arrive.
        #[arg(long, default_value_t = 8)]
        openers: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Inbound email parsed and threaded into the desk: new senders opening tickets and
    /// answers threading into them (`bench_email.rs`).
    Email {
        /// Mails taken.
        #[arg(long, default_value_t = 5_000)]
        mails: usize,
        /// Mails per transaction (a poll takes up to 200 in one).
        #[arg(long, default_value_t = 200)]
        batch: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// The service-quality dashboard (`GET /quality`, a month and its trend) over a year of
    /// records: a million tickets with their SLA clocks, 100,000 bookings and calls, a
    /// year of heartbeats; p50/p99 from 1 and 8 supervisors at once (`bench_quality.rs`).
    Quality {
        /// Tickets in the store while measuring (seeded in bulk up to this number).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Bookings seeded (and as many hotline calls).
        #[arg(long, default_value_t = 100_000)]
        bookings: usize,
        /// Supervisors fetching at once, one run each (comma-separated).
        #[arg(long, default_value = "1,8", value_parser = crate::bench_http::parse_levels)]
        viewers: crate::bench_http::Levels,
        /// Pages fetched per run.
        #[arg(long, default_value_t = 200)]
        pages: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Chinese full-text search with a million tickets in the index: what indexing adds to
    /// an intake transaction, then p50/p99 of common words, rare words and ticket numbers
    /// from 8 searchers at once (`bench_search.rs`).
    Search {
        /// Ticket documents in the index while measuring (seeded in bulk up to this number).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Searches at once.
        #[arg(long, default_value_t = 8)]
        searchers: usize,
        /// Searches per class of query.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        /// Database to use; default: a new SQLite database in a temporary directory.
        #[command(flatten)]
        db: DbArgs,
    },
}

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; clock
/// ticks are 1/100 s there).
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("unexpected /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) / 100.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(label: &str, unit: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    println!(
        "{label}: n={} median={:.3}{unit} p90={:.3}{unit} p99={:.3}{unit} max={:.3}{unit}",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 90.0),
        percentile(&v, 99.0),
        v.last().copied().unwrap_or(f64::NAN),
    );
}

/// A clock on the hotline calendar whose deadline falls at `due`, without a warning.
fn clock_due_at(
    target: &SlaTarget,
    cal: &Calendar,
    due: Timestamp,
    subject: String,
) -> SlaClockRecord {
    let start = due - SignedDuration::from_mins(i64::from(target.amount));
    let clock = SlaClock::start(target, cal, start).expect("a wall-clock target always starts");
    SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "bench".into(),
        subject_id: subject,
        channel: Some("phone".into()),
        department_id: None,
        agent_id: None,
        clock,
        version: 1,
        created_at: start,
    }
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    let (clocks, starts, due, due_over_secs, idle_secs, db) = match command {
        BenchCommand::Sla {
            clocks,
            starts,
            due,
            due_over_secs,
            idle_secs,
            db,
        } => (clocks, starts, due, due_over_secs, idle_secs, db),
        BenchCommand::Outbox {
            messages,
            smtp_url,
            workers,
            db,
        } => return crate::bench_outbox::run(messages, smtp_url, workers, db).await,
        BenchCommand::Tickets {
            concurrency,
            count,
            mix,
            callers,
            prefill,
            synchronous,
            nodes,
            db,
        } => {
            let synchronous = match synchronous {
                Some(s) => s.0,
                None => vec![load_config(&db, None)?.sqlite_synchronous_full],
            };
            let opts = crate::bench_tickets::Options {
                concurrency: concurrency.0,
                count,
                callers,
                nodes,
                mix,
                prefill: prefill.0,
                synchronous,
            };
            return crate::bench_tickets::run(db, opts).await;
        }
        BenchCommand::Bookings {
            concurrency,
            count,
            room_types,
            rooms_per_type,
            callers,
            nodes,
            db,
        } => {
            let shape = crate::bench_bookings::Shape {
                room_types,
                rooms_per_type,
                callers,
            };
            return crate::bench_bookings::run(db, concurrency.0, count, shape, nodes).await;
        }
        BenchCommand::Inbox {
            tickets,
            agents,
            pages,
            at_risk,
            db,
        } => return crate::bench_inbox::run(db, tickets, agents.0, pages, at_risk).await,
        BenchCommand::Quality {
            tickets,
            bookings,
            viewers,
            pages,
            db,
        } => return crate::bench_quality::run(db, tickets, bookings, viewers.0, pages).await,
        BenchCommand::Broadcast {
            bookings,
            affected,
            sms_rate,
            kill_at,
            db,
        } => {
            let shape = crate::bench_broadcast::Shape {
                bookings,
                affected,
                sms_rate,
                kill_at: (kill_at > 0).then_some(kill_at),
            };
            return crate::bench_broadcast::run(db, shape).await;
        }
        BenchCommand::Search {
            tickets,
            searchers,
            queries,
            db,
        } => return crate::bench_search::run(db, tickets, searchers.max(1), queries).await,
        BenchCommand::Chat {
            visitors,
            agents,
            messages,
            seconds,
            openers,
            db,
        } => {
            let shape = crate::bench_chat::Shape {
                visitors,
                agents,
                messages,
                seconds,
                openers,
            };
            return crate::bench_chat::run(db, shape).await;
        }
        BenchCommand::Email { mails, batch, db } => {
            return crate::bench_email::run(db, mails, batch).await
        }
    };
    if starts > clocks {
        bail!("--starts must not exceed --clocks");
    }
    let mut config = load_config(&db, None)?;
    // The audit line of every breach would drown the figures.
    config.log_level = "warn".into();
    telemetry::init(&config);
    let store = open_store(&config).await?;
    let app = app_for(&config, store.clone());
    app.ensure_builtin_calendars().await?;
    {
        let mut r = store.read().await?;
        if r.earliest_sla_due().await?.is_some() {
            bail!("the store already has running clocks; run the benchmark on an empty one");
        }
    }
    println!(
        "tripdesk bench sla on {} ({} running clocks)",
        config.location()?.describe(),
        clocks
    );

    // 1. Starting clocks through the use case, one transaction each.
    let mut lat = Vec::with_capacity(starts as usize);
    let began = Instant::now();
    for i in 0..starts {
        let t = Instant::now();
        let mut tx = store.write().await?;
        app.start_sla_clock(
            &mut *tx,
            StartClock {
                subject_type: "bench".into(),
                subject_id: format!("start-{i}"),
                target_key: "complaint.result_report".into(),
                channel: Some("phone".into()),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let secs = began.elapsed().as_secs_f64();
    summary(
        "start a clock (use case + commit, one at a time)",
        " ms",
        lat,
    );
    println!(
        "  {:.0} starts/s on one connection",
        f64::from(starts) / secs
    );

    // 2. Fill up to the requested number of running clocks, due 30 to 60 days ahead.
    let target = SlaTarget {
        key: "bench.breach".into(),
        name_zh: "基准".into(),
        name_en: "Benchmark".into(),
        kind: ClockKind::CalendarHours,
        amount: 60,
        earliest: None,
        calendar: Calendar::HOTLINE.into(),
        warn_at_percent: 0,
    };
    let cal = Calendar::always_open(Calendar::HOTLINE, china_time_zone());
    let now = app.now();
    let fill = clocks - starts;
    let began = Instant::now();
    let mut made = 0u32;
    while made < fill {
        let n = (fill - made).min(10_000);
        let batch: Vec<_> = (made..made + n)
            .map(|i| {
                let due = now
                    + SignedDuration::from_hours(24 * 30)
                    + SignedDuration::from_secs(i64::from(i) * 2);
                clock_due_at(&target, &cal, due, format!("fill-{i}"))
            })
            .collect();
        let mut tx = store.write().await?;
        tx.insert_sla_clocks(&batch).await?;
        tx.commit().await?;
        made += n;
    }
    println!(
        "bulk-inserted {fill} running clocks in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // 3. Idle: the engine sleeps until the earliest instant (weeks away) or its re-check.
    let engine = SlaEngine::spawn(
        app.clone(),
        EngineSettings {
            recheck: Duration::from_secs(config.sla_recheck_secs),
            ..Default::default()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = cpu_seconds()?;
    let wall0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(u64::from(idle_secs))).await;
    let cpu = cpu_seconds()? - cpu0;
    let wall = wall0.elapsed().as_secs_f64();
    println!(
        "idle: {cpu:.3} s CPU in {wall:.1} s wall = {:.2} % of one core (whole process, engine waiting)",
        100.0 * cpu / wall
    );

    // 4. Latency: clocks falling due over the next seconds, breaches recorded by the engine.
    let first = app.now() + SignedDuration::from_secs(3);
    let step_ms = i64::from(due_over_secs) * 1000 / i64::from(due.max(1));
    let batch: Vec<_> = (0..due)
        .map(|i| {
            let at = first + SignedDuration::from_millis(i64::from(i) * step_ms);
            clock_due_at(&target, &cal, at, format!("due-{i}"))
        })
        .collect();
    let mut tx = store.write().await?;
    tx.insert_sla_clocks(&batch).await?;
    tx.commit().await?;
    let cpu0 = cpu_seconds()?;
    let deadline = Instant::now() + Duration::from_secs(u64::from(due_over_secs) + 60);
    let breaches = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut r = store.read().await?;
        let events = r
            .list_sla_events(&SlaEventFilter {
                kind: Some(SlaEventKind::Breach),
                ..Default::default()
            })
            .await?;
        if events.len() >= due as usize {
            break events;
        }
        if Instant::now() > deadline {
            bail!("only {} of {due} breaches recorded in time", events.len());
        }
    };
    let cpu = cpu_seconds()? - cpu0;
    engine.shutdown().await;
    let lags: Vec<f64> = breaches
        .iter()
        .map(|e| e.recorded_at.duration_since(e.at).as_secs_f64() * 1000.0)
        .collect();
    summary(
        &format!("due instant -> breach recorded ({due} clocks due over {due_over_secs} s)"),
        " ms",
        lags,
    );
    println!("  CPU while firing: {cpu:.2} s");
    store.close().await;
    Ok(())
}
