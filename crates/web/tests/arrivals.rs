//! Lodging arrival through the API and the pages (issue 14 item 9), on the backend of this
//! test run (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`), on a clock the test
//! moves: an arrival starts the 5-minute registration clock, a registration within it meets
//! it, a registration left undone breaches (fired by the SLA engine's pass), refused steps
//! answer 409 with the rule's code, bad input 422 naming the field; the front desk's list and
//! a booking's page offer the steps, and the grid shows the room checked in.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{assert_problem, field_of, harness_with_clock, Harness, Reply};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

struct Desk {
    h: Harness,
    clock: Arc<ManualClock>,
    /// zhao.min (administrator: catalog, audit), li.na (agent: books and receives guests).
    admin: String,
    agent: String,
    property: String,
    rooms: Vec<String>,
}

fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A homestay with three rooms, on 1 May 2027 at 10:00 in Beijing.
async fn desk() -> Desk {
    let clock = Arc::new(ManualClock::new(at("2027-05-01T02:00:00Z")));
    let h = harness_with_clock(clock.clone()).await;
    let (admin, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let post = |uri: String, body: Value| {
        let (h, admin) = (&h, admin.clone());
        async move { h.api(Method::POST, &uri, &admin, body).await }
    };
    let property = id(&post(
        "/api/v1/properties".into(),
        json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
               "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
    )
    .await);
    let room_type = id(&post(
        format!("/api/v1/properties/{property}/room-types"),
        json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
               "facilities": ["独立卫浴"], "accessibility": {"wheelchair": false, "easy_walking": true},
               "base_rate": 48000, "weekend_rate": 58000, "holiday_rate": 88000}),
    )
    .await);
    let mut rooms = Vec::new();
    for i in 0..3 {
        rooms.push(id(&post(
            "/api/v1/rooms".into(),
            json!({"room_type_id": room_type, "label": format!("{}", 201 + i), "position": i}),
        )
        .await));
    }
    Desk {
        h,
        clock,
        admin,
        agent,
        property,
        rooms,
    }
}

impl Desk {
    /// Moves the clock to `when` and signs in again (sessions last 12 hours).
    async fn at(&mut self, when: &str) {
        self.clock.set(at(when));
        self.admin = self.h.token("zhao.min").await;
        self.agent = self.h.token("li.na").await;
    }

    /// A booking of `room` for a stay, confirmed or held; returns its id.
    async fn book(&self, room: usize, check_in: &str, check_out: &str, confirm: bool) -> String {
        id(&self
            .post(
                "/api/v1/bookings",
                json!({"customer": {"name": "张晓梅", "phone": "13812345678"},
                       "lines": [{"room_id": self.rooms[room], "check_in": check_in, "check_out": check_out}],
                       "confirm": confirm}),
            )
            .await)
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.h.api(Method::POST, uri, &self.agent, body).await
    }

    async fn arrive(&self, booking: &str) -> Reply {
        self.post(&format!("/api/v1/bookings/{booking}/arrival"), json!({}))
            .await
    }

    async fn register(&self, booking: &str, welcome_pack: bool) -> Reply {
        self.post(
            &format!("/api/v1/bookings/{booking}/registration"),
            json!({ "welcome_pack": welcome_pack }),
        )
        .await
    }

    async fn arrival(&self, booking: &str) -> Reply {
        self.h
            .get(&format!("/api/v1/bookings/{booking}/arrival"), &self.agent)
            .await
    }

    /// The events of a clock, oldest first.
    async fn events(&self, clock: &Value) -> Vec<String> {
        let r = self
            .h
            .get(
                &format!("/api/v1/sla/clocks/{}", clock["id"].as_str().unwrap()),
                &self.admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut kinds: Vec<String> = r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect();
        kinds.reverse();
        kinds
    }

    /// The audit entries of `action` about `booking`.
    async fn audited(&self, action: &str, booking: &str) -> Vec<Value> {
        let r = self
            .h
            .get(&format!("/api/v1/audit?action={action}"), &self.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity_id"] == booking)
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn arrival_starts_the_clock_and_registration_within_five_minutes_meets_it() {
    let mut d = desk().await;
    // Monday 3 May to Wednesday 5 May.
    let booking = d.book(0, "2027-05-03", "2027-05-05", true).await;

    // The evening before the check-in day: the night of the 2nd is not the booking's.
    d.at("2027-05-02T12:00:00Z").await;
    assert_problem(
        &d.arrive(&booking).await,
        StatusCode::CONFLICT,
        "booking.before_check_in",
    );
    assert_problem(
        &d.register(&booking, true).await,
        StatusCode::CONFLICT,
        "booking.not_arrived",
    );
    let before = d.arrival(&booking).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(before.body["allowed_steps"], json!([]));
    assert!(before.body["registration_clock"].is_null());

    // 14:00 in Beijing on the check-in day.
    d.at("2027-05-03T06:00:00Z").await;
    let arrived = d.arrive(&booking).await;
    assert_eq!(arrived.status, StatusCode::OK, "{}", arrived.text);
    assert_eq!(arrived.body["arrived_at"], "2027-05-03T14:00:00+08:00");
    assert_eq!(arrived.body["check_in"], "2027-05-03");
    assert_eq!(arrived.body["allowed_steps"], json!(["register"]));
    let clock = &arrived.body["registration_clock"];
    assert_eq!(clock["target_key"], "checkin.registration");
    assert_eq!(clock["subject_type"], "booking");
    assert_eq!(clock["subject_id"], booking.as_str());
    assert_eq!(clock["state"], "running");
    assert_eq!(
        clock["due_at"], "2027-05-03T14:05:00+08:00",
        "5 minutes of wall time"
    );
    assert_problem(
        &d.arrive(&booking).await,
        StatusCode::CONFLICT,
        "booking.already_arrived",
    );

    // Registered after 3 minutes 20 seconds, the welcome pack given.
    d.clock.advance(SignedDuration::from_secs(200));
    let done = d.register(&booking, true).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["registered_at"], "2027-05-03T14:03:20+08:00");
    assert_eq!(done.body["welcome_pack_given"], true);
    assert_eq!(done.body["welcome_pack_at"], "2027-05-03T14:03:20+08:00");
    assert_eq!(done.body["allowed_steps"], json!([]));
    let clock = done.body["registration_clock"].clone();
    assert_eq!(clock["state"], "met");
    assert_eq!(clock["stopped_at"], "2027-05-03T14:03:20+08:00");
    assert_eq!(d.events(&clock).await, vec!["started", "met"]);
    assert_problem(
        &d.register(&booking, false).await,
        StatusCode::CONFLICT,
        "booking.already_registered",
    );

    // Nothing fires later for a met clock.
    d.clock.advance(SignedDuration::from_mins(30));
    d.h.app.fire_due_sla_clocks(100).await.unwrap();
    let later = d.arrival(&booking).await;
    assert_eq!(later.body["registration_clock"]["state"], "met");

    // One audit entry each, in the booking's chain of steps.
    let arrived = d.audited("booking.arrived", &booking).await;
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0]["actor_name"], "li.na", "{}", arrived[0]);
    let registered = d.audited("booking.registered", &booking).await;
    assert_eq!(registered.len(), 1);
    assert_eq!(
        registered[0]["summary"]["welcome_pack"], true,
        "{}",
        registered[0]
    );
    assert_eq!(registered[0]["summary"]["registration_clock"], "met");

    // The front desk's list of the day has it, registered in time; the next day's does not.
    let list =
        d.h.get(
            &format!(
                "/api/v1/arrivals?property_id={}&date=2027-05-03",
                d.property
            ),
            &d.agent,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["more"], false);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["booking_id"], booking.as_str());
    assert_eq!(items[0]["rooms"], json!(["201"]));
    assert_eq!(items[0]["guest_name"], "张晓梅");
    assert_eq!(items[0]["registration_clock"]["state"], "met");
    let next =
        d.h.get(
            &format!(
                "/api/v1/arrivals?property_id={}&date=2027-05-04",
                d.property
            ),
            &d.agent,
        )
        .await;
    assert_eq!(next.body["items"], json!([]));
}

#[tokio::test]
async fn a_registration_left_undone_breaches_and_a_late_one_stays_breached() {
    let mut d = desk().await;
    let booking = d.book(1, "2027-05-01", "2027-05-02", true).await;
    // Without the welcome pack this time.
    d.at("2027-05-01T11:30:00Z").await;
    let arrived = d.arrive(&booking).await;
    assert_eq!(arrived.status, StatusCode::OK, "{}", arrived.text);

    // Six minutes on, the SLA engine's pass breaches the clock.
    d.clock.advance(SignedDuration::from_mins(6));
    let fired = d.h.app.fire_due_sla_clocks(100).await.unwrap();
    assert!(fired.fired >= 1, "{fired:?}");
    let open = d.arrival(&booking).await;
    let clock = open.body["registration_clock"].clone();
    assert_eq!(clock["state"], "breached", "{}", open.text);
    assert!(
        clock["stopped_at"].is_null(),
        "still waiting for the registration"
    );
    assert_eq!(open.body["allowed_steps"], json!(["register"]));
    let today =
        d.h.get(
            &format!("/api/v1/arrivals?property_id={}", d.property),
            &d.agent,
        )
        .await;
    assert_eq!(
        today.body["date"], "2027-05-01",
        "today when no date is given"
    );
    assert_eq!(
        today.body["items"][0]["registration_clock"]["state"],
        "breached"
    );

    let late = d.register(&booking, false).await;
    assert_eq!(late.status, StatusCode::OK, "{}", late.text);
    assert_eq!(late.body["welcome_pack_given"], false);
    assert!(late.body["welcome_pack_at"].is_null());
    let clock = late.body["registration_clock"].clone();
    assert_eq!(clock["state"], "breached", "the breach stays");
    assert_eq!(clock["stopped_at"], "2027-05-01T19:36:00+08:00");
    assert_eq!(d.events(&clock).await, vec!["started", "warning", "breach"]);
    let registered = d.audited("booking.registered", &booking).await;
    assert_eq!(registered[0]["summary"]["registration_clock"], "breached");
}

#[tokio::test]
async fn a_booking_closed_before_registration_leaves_no_clock_running() {
    let mut d = desk().await;
    // Cancelled two minutes after the guests arrived: nothing can be met any more, the
    // clock is cancelled (left out of the compliance figures), not left running.
    let cancelled = d.book(0, "2027-05-01", "2027-05-02", true).await;
    d.at("2027-05-01T11:00:00Z").await;
    assert_eq!(d.arrive(&cancelled).await.status, StatusCode::OK);
    d.clock.advance(SignedDuration::from_mins(2));
    let r = d
        .post(
            &format!("/api/v1/bookings/{cancelled}/cancel"),
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let clock = d.arrival(&cancelled).await.body["registration_clock"].clone();
    assert_eq!(clock["state"], "cancelled", "{clock}");

    // Completed before the stay has ended: refused with the rule's code.
    let late = d.book(1, "2027-05-01", "2027-05-02", true).await;
    let early = d
        .post(&format!("/api/v1/bookings/{late}/complete"), json!({}))
        .await;
    assert_problem(&early, StatusCode::CONFLICT, "booking.not_ended");

    // Arrived at 23:58 on the last night, never registered, completed at 00:01 on the
    // check-out day (three minutes, inside the target): cancelled, never counted as met.
    d.at("2027-05-01T15:58:00Z").await;
    assert_eq!(d.arrive(&late).await.status, StatusCode::OK);
    let quick = d.book(2, "2027-05-01", "2027-05-02", true).await;
    assert_eq!(d.arrive(&quick).await.status, StatusCode::OK);
    d.at("2027-05-01T16:01:00Z").await;
    let done = d
        .post(&format!("/api/v1/bookings/{quick}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["state"], "completed");
    let clock = d.arrival(&quick).await.body["registration_clock"].clone();
    assert_eq!(clock["state"], "cancelled", "{clock}");

    // The other one completed at 00:10, after the 5 minutes: the breach stays on record,
    // stopped when the booking closed.
    d.at("2027-05-01T16:10:00Z").await;
    let done = d
        .post(&format!("/api/v1/bookings/{late}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let clock = d.arrival(&late).await.body["registration_clock"].clone();
    assert_eq!(clock["state"], "breached", "{clock}");
    assert_eq!(clock["stopped_at"], "2027-05-02T00:10:00+08:00");
    let audited = d.audited("booking.complete", &late).await;
    assert_eq!(audited.len(), 1, "completion is audited");
}

#[tokio::test]
async fn refused_steps_name_their_rule_and_bad_input_its_field() {
    let mut d = desk().await;
    let held = d.book(0, "2027-05-01", "2027-05-03", false).await;
    let stay = d.book(1, "2027-05-01", "2027-05-03", true).await;
    let cancelled = d.book(2, "2027-05-01", "2027-05-03", true).await;
    let c = d
        .post(
            &format!("/api/v1/bookings/{cancelled}/cancel"),
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);

    assert_problem(
        &d.arrive(&held).await,
        StatusCode::CONFLICT,
        "booking.not_confirmed",
    );
    assert_problem(
        &d.arrive(&cancelled).await,
        StatusCode::CONFLICT,
        "booking.not_confirmed",
    );
    let unknown = "01900000-0000-7000-8000-000000000000";
    assert_problem(&d.arrive(unknown).await, StatusCode::NOT_FOUND, "not_found");

    // Who may only look at bookings cannot receive guests.
    let handler = d.h.token("wang.qiang").await;
    let r =
        d.h.api(
            Method::POST,
            &format!("/api/v1/bookings/{stay}/arrival"),
            &handler,
            json!({}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        d.h.get(&format!("/api/v1/bookings/{stay}/arrival"), &handler)
            .await
            .status,
        StatusCode::OK
    );

    // The registration's body: the flag is required and a boolean; nothing else is taken.
    for body in [
        json!({}),
        json!({"welcome_pack": "yes"}),
        json!({"welcome_pack": true, "gift": 1}),
    ] {
        let r = d
            .post(
                &format!("/api/v1/bookings/{stay}/registration"),
                body.clone(),
            )
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let expected = if body.get("gift").is_some() {
            "gift"
        } else {
            "welcome_pack"
        };
        assert_eq!(field_of(&r), expected, "{}", r.text);
    }

    // The list: an unknown property is named, a malformed one and a bad limit refused; without
    // one, the first property's.
    let r =
        d.h.get(&format!("/api/v1/arrivals?property_id={unknown}"), &d.agent)
            .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "property_id");
    let r = d.h.get("/api/v1/arrivals?property_id=201", &d.agent).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    assert_eq!(field_of(&r), "property_id");
    let r = d.h.get("/api/v1/arrivals?date=2027-05-01", &d.agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["property_id"], d.property.as_str());
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        2,
        "the held and the confirmed stay, not the cancelled one"
    );
    let r =
        d.h.get(
            &format!("/api/v1/arrivals?property_id={}&limit=0", d.property),
            &d.agent,
        )
        .await;
    assert_eq!(field_of(&r), "limit");

    // On the check-out day the stay is over.
    d.at("2027-05-03T01:00:00Z").await;
    assert_problem(
        &d.arrive(&stay).await,
        StatusCode::CONFLICT,
        "booking.after_check_out",
    );
    // Nothing was recorded by the refusals.
    let a = d.arrival(&stay).await;
    assert!(a.body["arrived_at"].is_null(), "{}", a.text);
    assert!(d.audited("booking.arrived", &stay).await.is_empty());
}

#[tokio::test]
async fn a_days_arrivals_page_in_the_grids_order() {
    let mut d = desk().await;
    // Three bookings arrive on the 4th (rooms 203, 201, 202 booked in that order); one held.
    let b203 = d.book(2, "2027-05-04", "2027-05-06", true).await;
    let b201 = d.book(0, "2027-05-04", "2027-05-05", true).await;
    let b202 = d.book(1, "2027-05-04", "2027-05-05", false).await;
    let page = |offset: u32| {
        let d = &d;
        async move {
            d.h.get(
                &format!(
                    "/api/v1/arrivals?property_id={}&date=2027-05-04&limit=2&offset={offset}",
                    d.property
                ),
                &d.agent,
            )
            .await
        }
    };
    let first = page(0).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let ids = |r: &Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["booking_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), vec![b201.clone(), b202.clone()]);
    assert_eq!(first.body["more"], true);
    assert_eq!(first.body["items"][1]["state"], "held");
    let second = page(2).await;
    assert_eq!(ids(&second), vec![b203]);
    assert_eq!(second.body["more"], false);
    // A held booking is listed but not offered the arrival until confirmed.
    d.at("2027-05-04T06:00:00Z").await;
    let r = d.arrival(&b202).await;
    assert_eq!(r.body["allowed_steps"], json!([]), "{}", r.text);
    assert_eq!(
        d.arrival(&b201).await.body["allowed_steps"],
        json!(["arrive"])
    );
}

// ---- the pages ----

/// A form post in a browser session; returns the reply (a 303 and where it goes).
async fn form(h: &Harness, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    h.call(
        Method::POST,
        uri,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.finish()),
    )
    .await
}

async fn page(h: &Harness, cookie: &str, uri: &str) -> Reply {
    let r = h.call(Method::GET, uri, &[("cookie", cookie)], None).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
    r
}

#[tokio::test]
async fn the_front_desk_receives_guests_from_the_list_and_the_booking_page() {
    let mut d = desk().await;
    let first = d.book(0, "2027-05-01", "2027-05-03", true).await;
    let second = d.book(1, "2027-05-01", "2027-05-02", true).await;
    d.at("2027-05-01T07:00:00Z").await;
    let (cookie, csrf) = d.h.session("li.na").await;

    // 今日到店: both rows, each with its 到店 button; linked from the navigation.
    let list_uri = format!("/bookings/arrivals?property={}", d.property);
    let list = page(&d.h, &cookie, &list_uri).await;
    assert!(list.text.contains("<h1>今日到店</h1>"), "{}", list.text);
    assert!(list
        .text
        .contains("href=\"/bookings/arrivals\" aria-current=\"page\""));
    assert_eq!(list.text.matches("/arrival\"").count(), 2, "{}", list.text);
    assert!(list
        .text
        .contains(&format!("action=\"/bookings/{first}/arrival\"")));

    // 到店 from the list comes back to the list, the clock counting down.
    let r = form(
        &d.h,
        &cookie,
        &format!("/bookings/{first}/arrival"),
        &[("_csrf", &csrf), ("back", &list_uri)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with(&list_uri), "{to}");
    let list = page(&d.h, &cookie, &to).await;
    assert!(list.text.contains("已记录到店"), "the flash: {}", list.text);
    assert!(list.text.contains("剩余 05:00"), "{}", list.text);
    assert!(list.text.contains("data-sla-text"));
    assert!(list
        .text
        .contains(&format!("action=\"/bookings/{first}/registration\"")));
    assert!(list.text.contains("欢迎礼包已发"));

    // The booking page shows the same and registers, welcome pack ticked.
    d.clock.advance(SignedDuration::from_secs(130));
    let booking = page(&d.h, &cookie, &format!("/bookings/{first}")).await;
    assert!(booking.text.contains("到店与入住登记"), "{}", booking.text);
    assert!(booking.text.contains("剩余 02:50"), "{}", booking.text);
    assert!(booking.text.contains("完成登记"));
    assert!(!booking
        .text
        .contains(&format!("action=\"/bookings/{first}/arrival\"")));
    let r = form(
        &d.h,
        &cookie,
        &format!("/bookings/{first}/registration"),
        &[("_csrf", &csrf), ("welcome_pack", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with(&format!("/bookings/{first}")), "{to}");
    let booking = page(&d.h, &cookie, &to).await;
    assert!(booking.text.contains("入住登记已完成"), "{}", booking.text);
    assert!(
        booking.text.contains("按时完成，用时 02:10"),
        "{}",
        booking.text
    );
    assert!(
        booking.text.contains("<dd data-pack>已发</dd>"),
        "{}",
        booking.text
    );

    // A refusal comes back as the flash, in Chinese.
    let r = form(
        &d.h,
        &cookie,
        &format!("/bookings/{second}/registration"),
        &[("_csrf", &csrf)],
    )
    .await;
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let refused = page(&d.h, &cookie, &to).await;
    assert!(refused.text.contains("客人尚未到店"), "{}", refused.text);

    // The grid shows 201 checked in tonight, 202 booked.
    let grid = page(
        &d.h,
        &cookie,
        &format!("/bookings/rooms?property={}&from=2027-05-01", d.property),
    )
    .await;
    assert!(
        grid.text.contains("201 · 2027-05-01 · 已入住"),
        "{}",
        grid.text
    );
    assert!(grid.text.contains("202 · 2027-05-01 · 已订"));

    // In English, another day's list and its labels.
    let en = page(
        &d.h,
        &format!("{cookie}; tripdesk_lang=en"),
        &format!("{list_uri}&date=2027-05-02"),
    )
    .await;
    assert!(
        en.text.contains("<h1>Arrivals on 2027-05-02</h1>"),
        "{}",
        en.text
    );
    assert!(en.text.contains("No booking checks in on this day."));
    assert!(
        !en.text.contains("到店"),
        "no Chinese left in the English page"
    );

    // Who may only look sees the list without buttons.
    let (viewer, _) = d.h.session("wang.qiang").await;
    let list = page(&d.h, &viewer, &list_uri).await;
    assert!(
        list.text.contains("已登记") || list.text.contains("按时完成"),
        "{}",
        list.text
    );
    assert_eq!(
        list.text.matches("/arrival\"").count() + list.text.matches("/registration\"").count(),
        0,
        "{}",
        list.text
    );
}
