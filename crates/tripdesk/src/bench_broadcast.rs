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

use crate::bench_http::{self};
use crate::bench_tickets::{api_login, commits_per_sec};
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::Method;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tripdesk_app::bookings::catalog::NewProperty;
use tripdesk_app::App;
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_domain::bookings::{BookingLine, BookingState, LineItem, Stay};
use tripdesk_domain::catalog::{
    Accessibility, CategoryPrices, Departure, FeeItem, ItineraryDay, Party, RoomType, TourPackage,
    TourScope,
};
use tripdesk_store::{Booking, Customer};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// Bookings, customers and their inventory written per transaction while seeding.
const SEED_TX: usize = 5_000;
/// The season seeded: 120 days from 1 June.
const SEASON_DAYS: i64 = 120;
const TOUR_DAYS: i64 = 5;
/// Seats of a departure: a date's several coaches sold as one departure (团期).
const SEATS: u32 = 400;
const PACKAGES_PER_REGION: usize = 10;
const PROPERTIES_PER_REGION: usize = 4;
const ROOMS_PER_PROPERTY: usize = 25;
const KEY_ID: &str = "LTAIbenchbroadcast";
const KEY_SECRET: &str = "bench-broadcast-secret";

/// (region, province, as a tour's destination names the province): the first five are in
/// 云南, the typhoon's scope.
const REGIONS: [(&str, &str, &str); 20] = [
    ("大理", "云南省", "云南"),
    ("丽江", "云南省", "云南"),
    ("西双版纳", "云南省", "云南"),
    ("香格里拉", "云南省", "云南"),
    ("昆明", "云南省", "云南"),
    ("三亚", "海南省", "海南"),
    ("桂林", "广西壮族自治区", "广西"),
    ("黄山", "安徽省", "安徽"),
    ("张家界", "湖南省", "湖南"),
    ("厦门", "福建省", "福建"),
    ("九寨沟", "四川省", "四川"),
    ("成都", "四川省", "四川"),
    ("西安", "陕西省", "陕西"),
    ("杭州", "浙江省", "浙江"),
    ("苏州", "江苏省", "江苏"),
    ("青岛", "山东省", "山东"),
    ("哈尔滨", "黑龙江省", "黑龙江"),
    ("敦煌", "甘肃省", "甘肃"),
    ("拉萨", "西藏自治区", "西藏"),
    ("乌鲁木齐", "新疆维吾尔自治区", "新疆"),
];
const IN_SCOPE_REGIONS: usize = 5;

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
];

fn season_start() -> Date {
    jiff::civil::date(2031, 6, 1)
}

/// The typhoon's week: 20–26 July.
fn window() -> (Date, Date) {
    (
        jiff::civil::date(2031, 7, 20),
        jiff::civil::date(2031, 7, 26),
    )
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).expect("a date in range")
}

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

/// What the catalog seeding made.
struct Catalog {
    packages: usize,
    /// (departure, date, in 云南).
    departures: Vec<(Uuid, Date, bool)>,
    /// (room, in 云南).
    rooms: Vec<(Uuid, bool)>,
}

fn package(region: &str, province: &str, n: usize) -> TourPackage {
    TourPackage {
        id: Uuid::nil(),
        name: format!("{region}深度{}日游·线路{}", TOUR_DAYS, n + 1),
        destination: format!("{province}{region}"),
        keywords: vec![region.into(), province.into()],
        scope: TourScope::Domestic,
        tags: Vec::new(),
        accessibility: Accessibility::default(),
        diets: Vec::new(),
        itinerary: (1..=TOUR_DAYS as u16)
            .map(|day| ItineraryDay {
                day,
                title: format!("第{day}天 {region}"),
                description: "游览当地景点，入住酒店。".into(),
            })
            .collect(),
        inclusions: vec!["住宿".into(), "用车".into(), "导游".into()],
        exclusions: vec!["个人消费".into()],
        fees: vec![FeeItem {
            label: "团费".into(),
            amount_fen: 398_000,
        }],
        accommodation: "四星酒店双人间".into(),
        transport: "空调旅游大巴".into(),
        meals: "含早餐".into(),
        notes: String::new(),
    }
}

async fn seed_catalog(app: &App) -> anyhow::Result<Catalog> {
    let admin = App::console_principal();
    let now = app.now();
    let mut out = Catalog {
        packages: 0,
        departures: Vec::new(),
        rooms: Vec::new(),
    };
    for (r, (region, province, short)) in REGIONS.iter().enumerate() {
        let in_scope = r < IN_SCOPE_REGIONS;
        let mut departures = Vec::new();
        for n in 0..PACKAGES_PER_REGION {
            let p = app
                .create_package(&admin, package(region, short, n))
                .await?;
            out.packages += 1;
            for d in 0..SEASON_DAYS {
                let date = add_days(season_start(), d);
                departures.push(Departure {
                    id: Uuid::now_v7(),
                    package_id: p.package.id,
                    date,
                    seats: SEATS,
                    min_group: 10,
                    go_no_go: add_days(date, -7),
                    prices: CategoryPrices {
                        adult: 398_000,
                        child: 298_000,
                        senior: 358_000,
                    },
                    meeting_time: "07:30".into(),
                    meeting_point: format!("{region}机场"),
                    guide_name: String::new(),
                    guide_phone: String::new(),
                });
            }
        }
        let mut tx = app.store.write().await?;
        for d in &departures {
            d.validate(TourScope::Domestic)
                .map_err(|e| anyhow::anyhow!("a seeded departure is invalid: {e:?}"))?;
            tx.insert_departure(d, now).await?;
            out.departures.push((d.id, d.date, in_scope));
        }
        tx.commit().await?;
        for h in 0..PROPERTIES_PER_REGION {
            let property = app
                .create_property(
                    &admin,
                    NewProperty {
                        name: format!("{region}·云栖民宿{}号院", h + 1),
                        address: format!("{province}{region}市古城区{}号", 100 + h),
                        phone: "0872-2461888".into(),
                        check_in_time: "14:00".into(),
                        check_out_time: "12:00".into(),
                    },
                )
                .await?;
            let rt = app
                .create_room_type(
                    &admin,
                    RoomType {
                        id: Uuid::nil(),
                        property_id: property.id,
                        name: "庭院大床房".into(),
                        max_occupancy: 2,
                        facilities: vec!["独立卫浴".into()],
                        accessibility: Accessibility::default(),
                        base_rate: 48_000,
                        weekend_rate: Some(58_000),
                        holiday_rate: Some(78_000),
                    },
                )
                .await?;
            for k in 0..ROOMS_PER_PROPERTY {
                let room = app
                    .create_room(&admin, rt.id, &format!("{}{:02}", h + 1, k + 1), k as i64)
                    .await?;
                out.rooms.push((room.id, in_scope));
            }
        }
    }
    Ok(out)
}

/// What one seeded booking takes.
enum Slot {
    /// A two-night stay from the date.
    Stay(Uuid, Date),
    /// Seats on a departure.
    Seats(Uuid, Date, u32),
}

/// Hands out inventory in order: stays and seats in scope (云南, overlapping the typhoon's
/// week), and out of it (elsewhere, or in 云南 before or after).
struct Slots {
    stays: Vec<(Uuid, Date)>,
    stay_next: usize,
    departures: Vec<(Uuid, Date)>,
    departure_next: usize,
    seats_left: u32,
    /// Bookings handed out so far: every fiftieth is a stay while stays last.
    calls: usize,
}

impl Slots {
    fn new(catalog: &Catalog, in_scope: bool) -> Self {
        let (from, to) = window();
        // A stay [d, d+2) is affected when one of its nights falls in [from - 1, to] — kept
        // out of that band entirely when out of scope.
        let mut stays = Vec::new();
        for (room, yunnan) in &catalog.rooms {
            let mut d = season_start();
            while d < add_days(season_start(), SEASON_DAYS - 1) {
                let last_night = add_days(d, 1);
                let touches = last_night >= add_days(from, -1) && d <= to;
                if in_scope == (*yunnan && touches) {
                    stays.push((*room, d));
                }
                d = add_days(d, 2);
            }
        }
        let departures = catalog
            .departures
            .iter()
            .filter(|(_, date, yunnan)| {
                let back = add_days(*date, TOUR_DAYS - 1);
                let touches = back >= from && *date <= to;
                in_scope == (*yunnan && touches)
            })
            .map(|(id, date, _)| (*id, *date))
            .collect();
        Slots {
            stays,
            stay_next: 0,
            departures,
            departure_next: 0,
            seats_left: SEATS,
            calls: 0,
        }
    }

    /// One stay in fifty bookings while stays last, else seats for a party of `party`.
    fn next(&mut self, party: u32) -> Option<Slot> {
        self.calls += 1;
        if self.calls.is_multiple_of(50) && self.stay_next < self.stays.len() {
            let (room, d) = self.stays[self.stay_next];
            self.stay_next += 1;
            return Some(Slot::Stay(room, d));
        }
        loop {
            let &(id, date) = self.departures.get(self.departure_next)?;
            if self.seats_left >= party {
                self.seats_left -= party;
                return Some(Slot::Seats(id, date, party));
            }
            self.departure_next += 1;
            self.seats_left = SEATS;
        }
    }
}

fn customer(id: Uuid, i: usize, now: Timestamp) -> Customer {
    Customer {
        id,
        name: format!(
            "{}{}{}",
            SURNAMES[i % 16],
            GIVEN[(i / 16) % 16],
            GIVEN[(i / 256) % 16]
        ),
        birth_date_sealed: None,
        diet_sealed: None,
        allergies_sealed: None,
        accessibility_sealed: None,
        preferred_language: Some("zh-CN".into()),
        preferred_channel: Some("sms".into()),
        source_channel: Some("web".into()),
        tags: Vec::new(),
        notes: None,
        created_by: None,
        updated_by: None,
        created_at: now,
        updated_at: now,
        erased_at: None,
        merged_into: None,
    }
}

/// Booking `i` is in scope when `i·affected / bookings` steps: exactly `affected` of them,
/// spread evenly through the table.
fn in_scope(i: usize, shape: &Shape) -> bool {
    (i * shape.affected) / shape.bookings != ((i + 1) * shape.affected) / shape.bookings
}

async fn seed_bookings(
    app: &App,
    keys: &KeyRing,
    catalog: &Catalog,
    shape: &Shape,
) -> anyhow::Result<()> {
    let now = app.now();
    let mut inside = Slots::new(catalog, true);
    let mut outside = Slots::new(catalog, false);
    // Returning customers: those outside the scope book three times each on average.
    let pool = ((shape.bookings - shape.affected) / 3).max(1);
    let mut regulars: Vec<Option<Uuid>> = vec![None; pool];
    let started = Instant::now();
    let mut i = 0;
    let mut customers_made = 0usize;
    while i < shape.bookings {
        let end = (i + SEED_TX).min(shape.bookings);
        let mut tx = app.store.write().await?;
        for j in i..end {
            // Couples and travelers alone, alike in and out of scope.
            let party = 1 + ((j / 7) % 2) as u32;
            let scoped = in_scope(j, shape);
            let slot = if scoped {
                inside.next(party)
            } else {
                outside.next(party)
            };
            let Some(slot) = slot else {
                bail!(
                    "the seeded catalog holds too little inventory {} the scope for {} bookings \
                     with {} affected",
                    if scoped { "in" } else { "outside" },
                    shape.bookings,
                    shape.affected
                );
            };
            let (customer_id, new) = if scoped {
                (Uuid::now_v7(), true)
            } else {
                let k = j % pool;
                match regulars[k] {
                    Some(id) => (id, false),
                    None => {
                        let id = Uuid::now_v7();
                        regulars[k] = Some(id);
                        (id, true)
                    }
                }
            };
            if new {
                tx.insert_customer(&customer(customer_id, j, now)).await?;
                let phone = format!("139{:08}", customers_made);
                customers_made += 1;
                let identifier =
                    tripdesk_app::customers::sealed_phone(keys, customer_id, &phone, now)?;
                tx.insert_identifier(&identifier).await?;
            }
            let id = Uuid::now_v7();
            let (item, starts_on, ends_on, price) = match slot {
                Slot::Stay(room, d) => (
                    LineItem::Room {
                        room_id: room,
                        stay: Stay::new(d, add_days(d, 2))?,
                    },
                    d,
                    add_days(d, 2),
                    96_000,
                ),
                Slot::Seats(departure, d, seats) => (
                    LineItem::Seats {
                        departure_id: departure,
                        party: Party {
                            adults: seats,
                            children: 0,
                            seniors: 0,
                        },
                    },
                    d,
                    add_days(d, TOUR_DAYS - 1),
                    398_000 * i64::from(seats),
                ),
            };
            // As the booking use case does: the booking, then the inventory it takes.
            tx.insert_booking(&Booking {
                id,
                customer_id,
                state: BookingState::Confirmed,
                hold_kind: None,
                hold_expires_at: None,
                confirmation_no: Some(format!("BC{j:09}")),
                starts_on,
                ends_on,
                total_fen: price,
                paid_fen: price,
                policy: None,
                ticket_id: None,
                created_by: None,
                created_at: now,
                updated_at: now,
                confirmed_at: Some(now),
                closed_at: None,
                arrived_at: None,
                registered_at: None,
                welcome_pack_at: None,
                version: 1,
                lines: vec![BookingLine {
                    line_no: 1,
                    item: item.clone(),
                    price_fen: price,
                }],
                travelers: Vec::new(),
            })
            .await?;
            let took = match item {
                LineItem::Room { room_id, stay } => tx.take_room_nights(id, room_id, stay).await?,
                LineItem::Seats {
                    departure_id,
                    party,
                } => tx.take_seats(departure_id, party.size()).await?,
            };
            if !took {
                bail!("seeded inventory was taken twice");
            }
        }
        tx.commit().await?;
        i = end;
        if i % 100_000 < SEED_TX {
            println!(
                "  seeded {i} bookings ({:.0}/s)",
                i as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "seeded {} bookings ({} customers, {} affected) in {:.1} s",
        shape.bookings,
        customers_made,
        shape.affected,
        started.elapsed().as_secs_f64()
    );
    Ok(())
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
