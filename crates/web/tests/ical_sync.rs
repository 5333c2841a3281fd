//! OTA calendar subscriptions (issue 14 item 7), against a real HTTP server on 127.0.0.1
//! serving Airbnb-style feeds (nothing is fetched from anywhere else): a room subscribed to
//! an address has the feed's nights blocked once the due jobs run; a night a booking holds
//! alerts the staff who make bookings in their bell exactly once across polls; a server
//! answering 500, garbage, a redirect elsewhere or too much records why and blocks nothing
//! new; the page shows 上次同步 N 分钟前 and refuses bad addresses beside the field.

mod common;

use axum::extract::{Path, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tripdesk_app::jobs::{drain, standard_registry, JobRegistry};
use tripdesk_domain::clock::{Clock, ManualClock};

// ---- a tiny OTA on loopback ----

/// What the fake OTA answers for a path: a status, headers and a body.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

fn ok(body: String) -> Answer {
    Answer {
        status: StatusCode::OK,
        location: None,
        body,
    }
}

#[derive(Clone, Default)]
struct Ota {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

async fn serve_feed(State(ota): State<Ota>, Path(name): Path<String>) -> Response {
    *ota.hits.lock().unwrap().entry(name.clone()).or_default() += 1;
    let answer = ota.answers.lock().unwrap().get(&name).cloned();
    match answer {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(a) => {
            let mut r = (
                a.status,
                [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                a.body,
            )
                .into_response();
            if let Some(to) = a.location {
                r.headers_mut()
                    .insert(header::LOCATION, to.parse().unwrap());
            }
            r
        }
    }
}

struct FeedServer {
    base: String,
    ota: Ota,
}

impl FeedServer {
    async fn start() -> Self {
        let ota = Ota::default();
        let app = axum::Router::new()
            .route("/calendar/ical/{name}", axum::routing::get(serve_feed))
            .with_state(ota.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://{addr}/calendar/ical"),
            ota,
        }
    }

    /// The address of `name`, with a secret in its query as Airbnb writes it.
    fn url(&self, name: &str) -> String {
        format!("{}/{name}?s=5f0c1d2e3b4a5968", self.base)
    }

    fn answer(&self, name: &str, answer: Answer) {
        self.ota
            .answers
            .lock()
            .unwrap()
            .insert(name.to_string(), answer);
    }

    fn hits(&self, name: &str) -> usize {
        self.ota
            .hits
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

/// An Airbnb export: one all-day event per (start, end) as `YYYYMMDD`, DTEND the check-out.
fn airbnb(ranges: &[(&str, &str)]) -> String {
    let mut ics = String::from(
        "BEGIN:VCALENDAR\r\nPRODID:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\n",
    );
    for (i, (start, end)) in ranges.iter().enumerate() {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nDTEND;VALUE=DATE:{end}\r\nDTSTART;VALUE=DATE:{start}\r\nUID:1418fb94e984-a2bbd2b2e4b{i}@airbnb.com\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n"
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}

// ---- the homestay ----

struct World {
    h: Harness,
    clock: Arc<ManualClock>,
    registry: JobRegistry,
    /// zhao.min: a supervisor (manages the catalog, makes bookings).
    boss: String,
    /// li.na: an agent (makes bookings).
    agent: String,
    property: String,
    rooms: Vec<String>,
}

fn id_of(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn world(rooms: usize) -> World {
    let clock = Arc::new(ManualClock::new("2027-03-01T02:00:00Z".parse().unwrap()));
    let h = harness_with_clock(clock.clone()).await;
    let boss = h.token("zhao.min").await;
    let agent = h.token("li.na").await;
    let property = id_of(
        &h.api(
            Method::POST,
            "/api/v1/properties",
            &boss,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await,
    );
    let room_type = id_of(
        &h.api(
            Method::POST,
            &format!("/api/v1/properties/{property}/room-types"),
            &boss,
            json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                   "facilities": ["独立卫浴"], "accessibility": {"wheelchair": false, "easy_walking": true},
                   "base_rate": 48000}),
        )
        .await,
    );
    let mut ids = Vec::new();
    for i in 0..rooms {
        ids.push(id_of(
            &h.api(
                Method::POST,
                "/api/v1/rooms",
                &boss,
                json!({"room_type_id": room_type, "label": format!("{}", 201 + i), "position": i}),
            )
            .await,
        ));
    }
    World {
        registry: standard_registry().unwrap(),
        h,
        clock,
        boss,
        agent,
        property,
        rooms: ids,
    }
}

impl World {
    async fn subscribe(&self, room: &str, source: &str, url: &str) -> String {
        let r = self
            .h
            .api(
                Method::POST,
                "/api/v1/ical-subscriptions",
                &self.boss,
                json!({"room_id": room, "source": source, "url": url, "interval_minutes": 30}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        id_of(&r)
    }

    /// Runs every job due now, as a node's worker would (no sleeping).
    async fn run_due_jobs(&self) -> usize {
        drain(&self.h.app, &self.registry).await.unwrap()
    }

    /// Half an hour later: the schedule's sweep finds the subscriptions due again.
    async fn next_poll(&self) {
        self.h
            .app
            .ensure_job_schedules(&self.registry)
            .await
            .unwrap();
        self.clock.advance(jiff::SignedDuration::from_mins(31));
        self.run_due_jobs().await;
    }

    async fn subscription(&self, id: &str) -> Value {
        let r = self
            .h
            .get(&format!("/api/v1/ical-subscriptions/{id}"), &self.agent)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    /// Tries to book `room` for one night: whether the night was free.
    async fn night_is_free(&self, room: &str, night: &str) -> bool {
        let check_in: jiff::civil::Date = night.parse().unwrap();
        let check_out = check_in.tomorrow().unwrap();
        let r = self
            .h
            .api(
                Method::POST,
                "/api/v1/bookings",
                &self.agent,
                json!({"customer": {"name": "测试客人", "phone": "13200000009"},
                       "lines": [{"room_id": room, "check_in": night, "check_out": check_out.to_string()}]}),
            )
            .await;
        match r.status {
            StatusCode::CREATED => {
                // Give the night back.
                let id = id_of(&r);
                let c = self
                    .h
                    .api(
                        Method::POST,
                        &format!("/api/v1/bookings/{id}/cancel"),
                        &self.agent,
                        json!({"cause": "customer"}),
                    )
                    .await;
                assert!(c.status.is_success(), "{}", c.text);
                true
            }
            StatusCode::CONFLICT => {
                assert_eq!(r.body["code"], "sold_out", "{}", r.text);
                false
            }
            other => panic!("{other}: {}", r.text),
        }
    }

    async fn grid(&self, from: &str) -> String {
        let r = self
            .h
            .ui_get(
                &format!(
                    "/bookings/rooms?property={}&from={from}&days=14",
                    self.property
                ),
                "li.na",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        r.text
    }

    /// The outbox's messages of the conflict template about `booking`.
    async fn conflict_alerts(&self, booking: &str) -> Vec<Value> {
        let admin = self.h.token("admin").await;
        let r = self
            .h
            .get(
                &format!("/api/v1/messages?related_type=booking&related_id={booking}&limit=500"),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["template_key"] == "booking.ota_conflict")
            .cloned()
            .collect()
    }

    /// Delivers the outbox's in-app messages to the bells, as a node's dispatcher does.
    async fn deliver(&self) {
        let channels: Vec<Arc<dyn tripdesk_delivery::Channel>> = vec![Arc::new(
            tripdesk_delivery::inapp::InAppChannel::new(&self.h.app),
        )];
        tripdesk_delivery::dispatcher::run_until_idle(
            self.h.app.clone(),
            channels,
            tripdesk_delivery::DispatcherConfig {
                workers: 1,
                node: "test".into(),
                ..Default::default()
            },
        )
        .await;
    }

    /// The bell entries of `user` about an OTA conflict.
    async fn bell(&self, user: &str) -> Vec<Value> {
        let token = self.h.token(user).await;
        let r = self.h.get("/api/v1/notifications?limit=500", &token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["title"].as_str().unwrap_or("").contains("OTA"))
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn an_airbnb_address_blocks_its_nights_and_a_clash_with_a_booking_alerts_once() {
    let w = world(2).await;
    let ota = FeedServer::start().await;
    let booked = w
        .h
        .api(
            Method::POST,
            "/api/v1/bookings",
            &w.agent,
            json!({"customer": {"name": "孙丽", "phone": "13200000001"},
                   "lines": [{"room_id": w.rooms[0], "check_in": "2027-06-10", "check_out": "2027-06-12"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
    let booking = id_of(&booked);
    // Airbnb sold 11–13 June (the 11th is ours already: a double booking) and 1–2 July.
    ota.answer(
        "41234567.ics",
        ok(airbnb(&[
            ("20270611", "20270614"),
            ("20270701", "20270703"),
        ])),
    );
    let sub = w
        .subscribe(&w.rooms[0], "airbnb", &ota.url("41234567.ics"))
        .await;
    let before = w.subscription(&sub).await;
    assert_eq!(before["syncing"], true, "the first sync is queued at once");
    assert_eq!(before["last_sync"], Value::Null);
    assert_eq!(
        before["url"],
        format!("{}/41234567.ics?…", ota.base),
        "the secret in the query is not shown"
    );

    assert!(w.run_due_jobs().await >= 1);
    assert_eq!(ota.hits("41234567.ics"), 1);
    let s = w.subscription(&sub).await;
    let last = &s["last_sync"];
    assert_eq!(last["ok"], true, "{s}");
    assert_eq!(
        (&last["events"], &last["nights"], &last["conflicts"]),
        (&json!(2), &json!(5), &json!(1)),
        "{s}"
    );
    assert_eq!(last["age_seconds"], 0);
    assert_eq!(s["syncing"], false);
    assert_eq!(s["last_ok_at"], last["at"]);

    // The nights are hard blocks: not bookable, shown on the grid as the OTA's.
    for night in ["2027-06-12", "2027-06-13", "2027-07-01", "2027-07-02"] {
        assert!(!w.night_is_free(&w.rooms[0], night).await, "{night}");
    }
    assert!(w.night_is_free(&w.rooms[0], "2027-06-14").await);
    assert!(w.night_is_free(&w.rooms[1], "2027-06-12").await);
    let grid = w.grid("2027-06-10").await;
    assert!(
        grid.contains("201 · 2027-06-12 · OTA占用 (airbnb)"),
        "{grid}"
    );
    assert!(
        grid.contains("201 · 2027-06-11 · 已订"),
        "the booking keeps its night"
    );

    // The clash alerted each person who makes bookings once, in the bell, linking the booking.
    let alerts = w.conflict_alerts(&booking).await;
    let bells: Vec<&Value> = alerts.iter().filter(|m| m["channel"] == "in_app").collect();
    assert_eq!(bells.len(), 5, "2 supervisors and 3 agents: {alerts:?}");
    w.deliver().await;
    let bell = w.bell("li.na").await;
    assert_eq!(bell.len(), 1, "{bell:?}");
    assert_eq!(bell[0]["link"], format!("/bookings/{booking}"));
    assert!(
        bell[0]["title"].as_str().unwrap().contains("2027-06-11"),
        "{bell:?}"
    );
    assert!(
        bell[0]["body"].as_str().unwrap().contains("airbnb"),
        "{bell:?}"
    );
    assert!(
        w.bell("zhou.jie").await.is_empty(),
        "a handler makes no bookings"
    );

    // The next poll reads the same feed: the clash is not new, nobody is alerted again.
    w.next_poll().await;
    assert_eq!(ota.hits("41234567.ics"), 2, "polled again on schedule");
    let again = w.subscription(&sub).await;
    assert_ne!(again["last_sync"]["at"], last["at"]);
    assert_eq!(again["last_sync"]["conflicts"], 1);
    assert_eq!(w.conflict_alerts(&booking).await.len(), alerts.len());
    w.deliver().await;
    assert_eq!(
        w.bell("li.na").await.len(),
        1,
        "exactly one alert across two polls"
    );

    // Before its interval nothing is fetched; 立即同步 (an agent may) fetches at once.
    w.h.app.ensure_job_schedules(&w.registry).await.unwrap();
    w.clock.advance(jiff::SignedDuration::from_mins(5));
    w.run_due_jobs().await;
    assert_eq!(ota.hits("41234567.ics"), 2, "not due yet");
    let r =
        w.h.api(
            Method::POST,
            &format!("/api/v1/ical-subscriptions/{sub}/sync"),
            &w.agent,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["queued"], true);
    let twice =
        w.h.api(
            Method::POST,
            &format!("/api/v1/ical-subscriptions/{sub}/sync"),
            &w.boss,
            json!({}),
        )
        .await;
    assert_eq!(
        twice.body["queued"], false,
        "one sync of a subscription at a time"
    );
    w.run_due_jobs().await;
    assert_eq!(ota.hits("41234567.ics"), 3);
    let handler = w.h.token("zhou.jie").await;
    let r =
        w.h.api(
            Method::POST,
            &format!("/api/v1/ical-subscriptions/{sub}/sync"),
            &handler,
            json!({}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

    // The booking moves off the clash and a new one takes the night: a new conflict, alerted.
    let c =
        w.h.api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/cancel"),
            &w.agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert!(c.status.is_success(), "{}", c.text);
    let other = w
        .h
        .api(
            Method::POST,
            "/api/v1/bookings",
            &w.agent,
            json!({"customer": {"name": "王芳", "phone": "13700000001"},
                   "lines": [{"room_id": w.rooms[0], "check_in": "2027-06-11", "check_out": "2027-06-12"}],
                   "confirm": true}),
        )
        .await;
    // Cancelling freed only the booking's nights; the OTA's block of the 11th was refused
    // while the booking held it, so the night is free for this booking.
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    let other = id_of(&other);
    w.next_poll().await;
    assert_eq!(
        w.conflict_alerts(&other)
            .await
            .iter()
            .filter(|m| m["channel"] == "in_app")
            .count(),
        5
    );

    // Deleting the subscription keeps its blocks unless they are released.
    let admin = w.h.token("admin").await;
    let r =
        w.h.call(
            Method::DELETE,
            &format!("/api/v1/ical-subscriptions/{sub}?release_blocks=true"),
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(w.night_is_free(&w.rooms[0], "2027-07-01").await, "released");
    let r =
        w.h.get(&format!("/api/v1/ical-subscriptions/{sub}"), &admin)
            .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_server_answering_500_garbage_or_too_much_records_why_and_blocks_nothing_new() {
    let w = world(4).await;
    let ota = FeedServer::start().await;
    ota.answer("good.ics", ok(airbnb(&[("20270620", "20270622")])));
    ota.answer(
        "down.ics",
        Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            location: None,
            body: "oops".into(),
        },
    );
    ota.answer(
        "away.ics",
        Answer {
            status: StatusCode::FOUND,
            location: Some("ftp://127.0.0.1/feed.ics".into()),
            body: String::new(),
        },
    );
    ota.answer("huge.ics", ok("X".repeat(4 * 1024 * 1024 + 1)));
    let good = w
        .subscribe(&w.rooms[0], "airbnb", &ota.url("good.ics"))
        .await;
    let down = w
        .subscribe(&w.rooms[1], "airbnb", &ota.url("down.ics"))
        .await;
    let away = w
        .subscribe(&w.rooms[2], "booking.com", &ota.url("away.ics"))
        .await;
    let huge = w.subscribe(&w.rooms[3], "vrbo", &ota.url("huge.ics")).await;
    w.run_due_jobs().await;

    // One subscription's failure stops no other: each is its own job.
    let g = w.subscription(&good).await;
    assert_eq!(g["last_sync"]["ok"], true, "{g}");
    for (id, code) in [
        (&down, "fetch.status"),
        (&away, "fetch.redirect"),
        (&huge, "fetch.too_large"),
    ] {
        let s = w.subscription(id).await;
        assert_eq!(s["last_sync"]["ok"], false, "{s}");
        assert_eq!(s["last_sync"]["error"]["code"], code, "{s}");
        assert_eq!(s["last_ok_at"], Value::Null);
    }
    assert_eq!(
        w.subscription(&down).await["last_sync"]["error"]["detail"],
        "HTTP 500"
    );
    for room in &w.rooms[1..] {
        assert!(w.night_is_free(room, "2027-06-20").await, "nothing blocked");
    }
    assert!(!w.night_is_free(&w.rooms[0], "2027-06-20").await);

    // The good feed goes bad: the error is recorded, its earlier blocks stay.
    let first_ok = g["last_ok_at"].clone();
    for (answer, code) in [
        (
            Answer {
                status: StatusCode::SERVICE_UNAVAILABLE,
                location: None,
                body: String::new(),
            },
            "fetch.status",
        ),
        (
            ok("<html><body>Please sign in to Airbnb</body></html>".into()),
            "ics.not_a_calendar",
        ),
        (
            ok("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2027\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".into()),
            "ics.bad_date",
        ),
    ] {
        ota.answer("good.ics", answer);
        w.next_poll().await;
        let s = w.subscription(&good).await;
        assert_eq!(s["last_sync"]["error"]["code"], code, "{s}");
        assert_eq!(s["last_ok_at"], first_ok, "the last success stays");
        assert!(!w.night_is_free(&w.rooms[0], "2027-06-20").await, "{code}: kept");
        assert!(!w.night_is_free(&w.rooms[0], "2027-06-21").await, "{code}: kept");
        assert!(w.night_is_free(&w.rooms[0], "2027-06-22").await);
    }
    // The page says why in Chinese.
    let page =
        w.h.ui_get(
            &format!("/bookings/ota-sync?property={}", w.property),
            "zhao.min",
        )
        .await;
    assert!(
        page.text
            .contains("失败：日历中有无法识别的日期（第 3 行）"),
        "{}",
        page.text
    );
    assert!(page.text.contains("失败：OTA 服务器返回错误 500"));
    assert!(
        page.text.contains("原有占用保持不变（上次成功 "),
        "{}",
        page.text
    );
    assert!(page.text.contains("从未成功，没有导入任何占用。"));
    let grid = w.grid("2027-06-15").await;
    assert!(grid.contains("个同步失败"), "{grid}");
}

#[tokio::test]
async fn the_page_shows_the_age_of_the_last_sync_and_refuses_bad_addresses_beside_the_field() {
    let w = world(2).await;
    let ota = FeedServer::start().await;
    ota.answer("page.ics", ok(airbnb(&[("20270801", "20270803")])));
    let uri = format!("/bookings/ota-sync?property={}", w.property);
    let (cookie, csrf) = w.h.session("zhao.min").await;
    let post = |path: &str, body: String| {
        let cookie = cookie.clone();
        let path = path.to_string();
        let h = &w.h;
        async move {
            h.call(
                Method::POST,
                &path,
                &[
                    ("cookie", cookie.as_str()),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(body),
            )
            .await
        }
    };
    let form = |room: &str, source: &str, url: &str, interval: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("_csrf", &csrf)
            .append_pair("property", &w.property)
            .append_pair("room_id", room)
            .append_pair("source", source)
            .append_pair("url", url)
            .append_pair("interval_minutes", interval)
            .finish()
    };

    // Refused beside each field, as typed.
    for (room, source, url, interval, said) in [
        (
            w.rooms[0].as_str(),
            "airbnb",
            "webcal://www.airbnb.com/calendar/ical/1.ics",
            "30",
            "请把 webcal:// 改为 https://（同一个地址）。",
        ),
        (
            w.rooms[0].as_str(),
            "airbnb",
            "ftp://example.com/a.ics",
            "30",
            "只能使用以 http:// 或 https:// 开头的地址。",
        ),
        (w.rooms[0].as_str(), "airbnb", "", "30", "请填写日历地址。"),
        (
            w.rooms[0].as_str(),
            "airbnb",
            "https://www.airbnb.com/calendar/ical/1.ics",
            "3",
            "同步间隔最短 5 分钟。",
        ),
        (
            w.rooms[0].as_str(),
            "Air BnB",
            "https://www.airbnb.com/calendar/ical/1.ics",
            "30",
            "来源只能用",
        ),
        (
            "",
            "airbnb",
            "https://www.airbnb.com/calendar/ical/1.ics",
            "30",
            "请选择房间。",
        ),
    ] {
        let r = post("/bookings/ota-sync", form(room, source, url, interval)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{said}: {}",
            r.text
        );
        assert!(r.text.contains(said), "{said}: {}", r.text);
        assert!(r.text.contains("class=\"field-error\""));
        if !url.is_empty() {
            assert!(
                r.text.contains(&format!("value=\"{url}\"")),
                "kept as typed"
            );
        }
    }
    let none =
        w.h.get("/api/v1/ical-subscriptions?limit=200", &w.boss)
            .await;
    assert_eq!(
        none.body["items"],
        json!([]),
        "nothing added by a refused form"
    );

    // The API names each field at once; a source followed twice is a conflict.
    let r = w
        .h
        .api(
            Method::POST,
            "/api/v1/ical-subscriptions",
            &w.boss,
            json!({"room_id": w.rooms[0], "source": "", "url": "file:///etc/passwd", "interval_minutes": 2000}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("source", "invalid"),
            ("url", "scheme"),
            ("interval_minutes", "too_long")
        ]
    );
    let r =
        w.h.api(
            Method::POST,
            "/api/v1/ical-subscriptions",
            &w.agent,
            json!({"room_id": w.rooms[0], "source": "airbnb", "url": ota.url("page.ics")}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

    // Added from the page: post/redirect/get, then the first sync.
    let r = post(
        "/bookings/ota-sync",
        form(&w.rooms[0], "airbnb", &ota.url("page.ics"), ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = w.h.ui_get(&uri, "zhao.min").await;
    assert!(page.text.contains("尚未同步"), "{}", page.text);
    assert!(page.text.contains("同步中"));
    assert!(page.text.contains("每 30 分钟"), "the default interval");
    let dup =
        w.h.api(
            Method::POST,
            "/api/v1/ical-subscriptions",
            &w.boss,
            json!({"room_id": w.rooms[0], "source": "airbnb", "url": ota.url("other.ics")}),
        )
        .await;
    assert_problem(&dup, StatusCode::CONFLICT, "subscription_exists");
    assert_eq!(dup.body["errors"][0]["field"], "source", "{}", dup.text);

    w.run_due_jobs().await;
    w.clock.advance(jiff::SignedDuration::from_mins(7));
    let page = w.h.ui_get(&uri, "zhao.min").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("上次同步 7 分钟前"), "{}", page.text);
    assert!(page.text.contains("成功：1 个事件，2 晚被占用"));
    assert!(page.text.contains("立即同步"));
    assert!(page.text.contains(&format!("{}/page.ics?…", ota.base)));
    assert!(
        !page.text.contains("5f0c1d2e3b4a5968"),
        "the secret is never shown"
    );
    let grid = w.grid("2027-08-01").await;
    assert!(
        grid.contains("OTA 日历：1 个订阅，最久一次同步在 7 分钟前"),
        "{grid}"
    );
    assert!(grid.contains(&format!(
        "href=\"/bookings/ota-sync?property={}\"",
        w.property
    )));
    // In English too.
    let en =
        w.h.call(
            Method::GET,
            &uri,
            &[("cookie", &format!("{cookie}; tripdesk_lang=en"))],
            None,
        )
        .await;
    assert!(en.text.contains("Last synced 7 min ago"), "{}", en.text);
    let interface = regex::Regex::new(
        r"(?is)<(h1|h2|th|label|button|summary)\b[^>]*>(.*?)</(?:h1|h2|th|label|button|summary)>",
    )
    .unwrap();
    let han = regex::Regex::new(r"\p{Han}").unwrap();
    for c in interface.captures_iter(&en.text) {
        assert!(
            !han.is_match(&c[2]),
            "Chinese in the English page: {}",
            &c[0]
        );
    }

    // 立即同步 from the page: back with a notice, the sync queued.
    let id = w.h.get("/api/v1/ical-subscriptions", &w.boss).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", &csrf)
        .append_pair("back", &uri)
        .finish();
    let r = post(&format!("/bookings/ota-sync/{id}/sync"), body.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page =
        w.h.call(Method::GET, &to, &[("cookie", cookie.as_str())], None)
            .await;
    assert!(page.text.contains("已加入同步队列"), "{}", page.text);
    assert!(page.text.contains("同步中"));
    w.run_due_jobs().await;
    let page = w.h.ui_get(&uri, "zhao.min").await;
    assert!(page.text.contains("上次同步 刚刚"), "{}", page.text);

    // Deleting asks for the box first.
    let r = post(&format!("/bookings/ota-sync/{id}/delete"), body.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        w.h.get("/api/v1/ical-subscriptions", &w.boss).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let sure = format!("{body}&confirm=yes");
    let r = post(&format!("/bookings/ota-sync/{id}/delete"), sure).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        w.h.get("/api/v1/ical-subscriptions", &w.boss).await.body["items"],
        json!([])
    );
    // Kept: the nights stay blocked after deleting without releasing.
    assert!(!w.night_is_free(&w.rooms[0], "2027-08-01").await);
    let audit =
        w.h.get(
            "/api/v1/audit?action=catalog.&limit=200",
            &w.h.token("admin").await,
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "catalog.subscription_create",
        "catalog.blocks_import",
        "catalog.subscription_delete",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    let _ = w.clock.now();
}
