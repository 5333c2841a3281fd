//! Catalog and bookings through the API (issue 14): the last room-night and the last seat
//! go to exactly one of 200 concurrent requests on two nodes (two stores, two routers, one
//! database: SQLite by default, PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`); sold-out
//! answers name alternatives; holds expire on time through the job substrate; cancelling a
//! confirmed booking owes the refund of its policy, due within 5 working days.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::bookings::{call, homestay, id, nodes, tour, Nodes};
use common::{assert_problem, Reply};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use tripdesk_domain::clock::Clock;

/// 200 requests at once, alternating between the two nodes, each from a new customer;
/// returns the replies.
async fn race(n: &Nodes, token: &str, line: Value) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let router = if i % 2 == 0 { n.a.clone() } else { n.b.clone() };
        let token = token.to_string();
        let body = json!({
            "customer": {"name": format!("旅客{i}"), "phone": format!("139{:08}", 10_000 + i)},
            "lines": [line.clone()],
            "confirm": true,
        });
        tasks.push(tokio::spawn(async move {
            call(
                &router,
                Method::POST,
                "/api/v1/bookings",
                &token,
                Some(body),
            )
            .await
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

fn exactly_one_confirmed(replies: &[Reply]) {
    let won: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(won.len(), 1, "exactly one booking gets the last one");
    assert_eq!(won[0].body["state"], "confirmed");
    assert!(won[0].body["confirmation_no"]
        .as_str()
        .unwrap()
        .starts_with("TD"));
    for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_problem(r, StatusCode::CONFLICT, "sold_out");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_room_night_goes_to_exactly_one_of_200_requests_on_two_nodes() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 1).await;
    let replies = race(
        &n,
        &agent,
        json!({"room_id": rooms[0], "check_in": "2027-05-01", "check_out": "2027-05-02"}),
    )
    .await;
    exactly_one_confirmed(&replies);
    n.second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_seat_goes_to_exactly_one_of_200_requests_on_two_nodes() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let departure = tour(&n, &admin, 3).await;
    // Two of three seats are sold beforehand.
    let first = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "王芳", "phone": "13700000001"},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let replies = race(
        &n,
        &agent,
        json!({"departure_id": departure, "travelers": {"adults": 1, "children": 0, "seniors": 0}}),
    )
    .await;
    exactly_one_confirmed(&replies);
    let d = n
        .get(&format!("/api/v1/departures/{departure}"), &admin)
        .await;
    assert_eq!(
        (d.body["taken"].as_u64(), d.body["seats_left"].as_u64()),
        (Some(3), Some(0))
    );
    n.second.close().await;
}

#[tokio::test]
async fn a_booking_is_held_confirmed_paid_and_cancelled_with_its_refund() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (property, rooms) = homestay(&n, &admin, 2).await;
    // Thursday 18 March 2027 (before a working day) and Friday 19 (before a Saturday).
    let held = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张晓梅", "phone": "13812345678"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-03-18", "check_out": "2027-03-20"}],
                   "travelers": [{"name": "张晓梅", "document_kind": "resident_id",
                                  "document_number": "11010519491231002X", "category": "adult"}],
                   "hold": {"kind": "deposit", "days": 3}}),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{}", held.text);
    assert_eq!(held.body["state"], "held");
    assert_eq!(held.body["hold_kind"], "deposit");
    assert!(held.body["confirmation_no"].is_null());
    assert_eq!(
        held.body["total_fen"],
        48000 + 58000,
        "Thursday night, then Friday night before a Saturday"
    );
    assert!(!held.text.contains("13812345678") && !held.text.contains("11010519491231002X"));
    let booking = id(&held);

    let avail = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-03-18&until=2027-03-21"
            ),
            &agent,
        )
        .await;
    assert_eq!(avail.status, StatusCode::OK, "{}", avail.text);
    let free: Vec<u64> = avail.body["room_types"][0]["free"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(free, vec![1, 1, 2]);
    assert_eq!(
        avail.body["room_types"][0]["price_fen"],
        json!([48000, 58000, 58000])
    );
    assert_eq!(
        avail.body["day_kinds"],
        json!(["working", "rest_day", "rest_day"])
    );
    assert_eq!(avail.body["nights"][0], "2027-03-18");

    let paid = n
        .post(
            &format!("/api/v1/bookings/{booking}/payments"),
            &agent,
            json!({"method": "wechat_pay", "amount_fen": 106000, "reference": "4200001234202703010001"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    let twice = n
        .post(
            &format!("/api/v1/bookings/{booking}/payments"),
            &agent,
            json!({"method": "wechat_pay", "amount_fen": 106000, "reference": "4200001234202703010001"}),
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, "payment_recorded");

    let confirmed = n
        .post(
            &format!("/api/v1/bookings/{booking}/confirm"),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.body["state"], "confirmed");
    assert_eq!(confirmed.body["paid_fen"], 106000);
    assert_eq!(confirmed.body["balance_fen"], 0);
    let again = n
        .post(
            &format!("/api/v1/bookings/{booking}/confirm"),
            &agent,
            json!({}),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "invalid_transition");

    // The guest cancels on the day of check-in: the first night is withheld.
    n.clock.set("2027-03-18T02:00:00Z".parse().unwrap());
    // Two weeks later: the sessions of the morning have ended.
    let agent = n.token("li.na").await;
    let cancelled = n
        .post(
            &format!("/api/v1/bookings/{booking}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["booking"]["state"], "cancelled");
    let refund = &cancelled.body["refund"];
    assert_eq!(refund["computation"]["paid_fen"], 106000);
    assert_eq!(refund["computation"]["withheld_fen"], 48000);
    assert_eq!(refund["computation"]["refund_fen"], 106000 - 48000);
    let due: Timestamp = refund["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due > n.clock.now() + SignedDuration::from_hours(24 * 5));

    let avail = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-03-18&until=2027-03-20"
            ),
            &agent,
        )
        .await;
    let free: Vec<u64> = avail.body["room_types"][0]["free"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(free, vec![2, 2], "the nights are free again");
    let money = n
        .get(&format!("/api/v1/bookings/{booking}/payments"), &agent)
        .await;
    assert_eq!(money.body["payments"].as_array().unwrap().len(), 1);
    assert_eq!(money.body["refunds"].as_array().unwrap().len(), 1);

    // The refund is paid out on the second node within its 5 working days: the money goes
    // back as a negative payment and the refund-payment clock, started at the cancellation
    // with the refund's own deadline, is met. A second payout is refused.
    let refund_id = refund["id"].as_str().unwrap();
    n.clock.advance(SignedDuration::from_hours(26));
    let agent = n.token("li.na").await;
    let payout_uri = format!("/api/v1/bookings/{booking}/refunds/{refund_id}/payout");
    let paid = call(
        &n.b,
        Method::POST,
        &payout_uri,
        &agent,
        Some(json!({"method": "bank_transfer", "reference": "TK20270319-0001"})),
    )
    .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["payment"]["amount_fen"], -(106000 - 48000));
    assert_eq!(
        paid.body["paid_fen"], 48000,
        "what the policy withheld stays"
    );
    assert!(paid.body["refund"]["paid_at"].is_string());
    let clock = &paid.body["refund_clock"];
    assert_eq!(clock["target_key"], "refund.payment");
    assert_eq!(clock["state"], "met", "{clock}");
    assert_eq!(
        clock["due_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        due,
        "the clock's deadline is the refund's"
    );
    let again = n
        .post(
            &payout_uri,
            &agent,
            json!({"method": "bank_transfer", "reference": "TK20270319-0002"}),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "refund.already_paid");
    let money = n
        .get(&format!("/api/v1/bookings/{booking}/payments"), &agent)
        .await;
    assert_eq!(money.body["payments"].as_array().unwrap().len(), 2);
    assert!(money.body["refunds"][0]["paid_at"].is_string());
    n.second.close().await;
}

/// Integrators subscribe to the booking events by name (they were once published but
/// refused as subscriptions), and each delivery names the booking, never the customer.
#[tokio::test]
async fn booking_events_reach_an_endpoint_subscribed_to_them_by_name() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let root = n.token("admin").await;
    let hook = n
        .post(
            "/api/v1/webhooks",
            &root,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["booking.created", "booking.confirmed", "booking.cancelled"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
    let (_, rooms) = homestay(&n, &admin, 1).await;
    let made = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "吴海燕", "phone": "13912340001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-05-10", "check_out": "2027-05-12"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let booking = id(&made);
    let sent = n
        .get(
            &format!("/api/v1/messages?channel=webhook&related_type=booking&related_id={booking}"),
            &root,
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let mut events: Vec<&str> = sent.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    events.sort_unstable();
    assert_eq!(
        events,
        ["booking.confirmed", "booking.created"],
        "{}",
        sent.text
    );
    assert!(!sent.text.contains("13912340001") && !sent.text.contains("吴海燕"));
}

#[tokio::test]
async fn a_sold_out_room_names_the_free_rooms_and_a_sold_out_departure_other_dates() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 3).await;
    let stay = json!({"room_id": rooms[0], "check_in": "2027-06-01", "check_out": "2027-06-03"});
    let book = |line: Value, phone: &str| json!({"customer": {"name": "李雷", "phone": phone}, "lines": [line], "confirm": true});
    let first = n
        .post(
            "/api/v1/bookings",
            &agent,
            book(stay.clone(), "13600000001"),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = n
        .post("/api/v1/bookings", &agent, book(stay, "13600000002"))
        .await;
    assert_problem(&second, StatusCode::CONFLICT, "sold_out");
    let alternatives: Vec<&str> = second.body["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["room_id"].as_str().unwrap())
        .collect();
    assert_eq!(alternatives, vec![rooms[1].as_str(), rooms[2].as_str()]);
    assert_eq!(second.body["errors"][0]["field"], "lines[0]");

    let departure = tour(&n, &admin, 2).await;
    let package = n
        .get(&format!("/api/v1/departures/{departure}"), &admin)
        .await
        .body["package_id"]
        .as_str()
        .unwrap()
        .to_string();
    let later = id(&n
        .post(
            "/api/v1/departures",
            &admin,
            json!({"package_id": package, "date": "2027-05-08", "seats": 20, "min_group": 1,
                   "go_no_go": "2027-04-30", "prices": {"adult": 128000, "child": 68000, "senior": 98000}}),
        )
        .await);
    let family =
        json!({"departure_id": departure, "travelers": {"adults": 2, "children": 1, "seniors": 0}});
    let refused = n
        .post("/api/v1/bookings", &agent, book(family, "13600000003"))
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "sold_out");
    assert_eq!(
        refused.body["alternatives"][0]["departure_id"],
        later.as_str()
    );
    assert_eq!(refused.body["alternatives"][0]["seats_left"], 20);
    n.second.close().await;
}

#[tokio::test]
async fn an_unpaid_hold_expires_on_time_and_frees_its_room() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (property, rooms) = homestay(&n, &admin, 1).await;
    let held = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "韩梅梅", "phone": "13500000001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-07-01", "check_out": "2027-07-02"}],
                   "hold": {"kind": "checkout", "minutes": 15}}),
        )
        .await;
    let booking = id(&held);
    // A deposit paid toward the hold: it must go back when the hold runs out.
    let deposit = n
        .post(
            &format!("/api/v1/bookings/{booking}/payments"),
            &agent,
            json!({"method": "alipay", "amount_fen": 20000, "reference": "2027070122001"}),
        )
        .await;
    assert_eq!(deposit.status, StatusCode::CREATED, "{}", deposit.text);
    let registry = tripdesk_app::jobs::standard_registry().unwrap();
    n.clock.advance(SignedDuration::from_mins(14));
    tripdesk_app::jobs::drain(&n.app, &registry).await.unwrap();
    let still = n.get(&format!("/api/v1/bookings/{booking}"), &agent).await;
    assert_eq!(still.body["state"], "held", "not before its time");
    n.clock.advance(SignedDuration::from_mins(2));
    tripdesk_app::jobs::drain(&n.app, &registry).await.unwrap();
    let gone = n.get(&format!("/api/v1/bookings/{booking}"), &agent).await;
    assert_eq!(gone.body["state"], "expired");
    let late = n
        .post(
            &format!("/api/v1/bookings/{booking}/confirm"),
            &agent,
            json!({}),
        )
        .await;
    assert_problem(&late, StatusCode::CONFLICT, "invalid_transition");
    let money = n
        .get(&format!("/api/v1/bookings/{booking}/payments"), &agent)
        .await;
    let owed = &money.body["refunds"][0];
    assert_eq!(owed["computation"]["refund_fen"], 20000, "{}", money.text);
    assert!(owed["paid_at"].is_null());
    let clocks = n
        .get(
            &format!("/api/v1/sla/clocks?subject_type=booking&subject_id={booking}"),
            &admin,
        )
        .await;
    assert_eq!(clocks.status, StatusCode::OK, "{}", clocks.text);
    let refund_clocks: Vec<&Value> = clocks.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["target_key"] == "refund.payment")
        .collect();
    assert_eq!(refund_clocks.len(), 1, "{}", clocks.text);
    assert_eq!(refund_clocks[0]["state"], "running");
    let avail = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-07-01&until=2027-07-02"
            ),
            &agent,
        )
        .await;
    assert_eq!(avail.body["room_types"][0]["free"][0], 1);
    n.second.close().await;
}

#[tokio::test]
async fn bad_requests_name_their_fields_and_write_nothing() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 1).await;
    let cases = [
        (
            json!({"customer": {"name": "赵六", "phone": "13400000001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-07-03", "check_out": "2027-07-01"}]}),
            "lines[0].check_out",
        ),
        (
            json!({"customer": {"name": "赵六", "phone": "13400000001"},
                   "lines": [{"room_id": "01938f8e-0000-7000-8000-000000000099", "check_in": "2027-07-01", "check_out": "2027-07-02"}]}),
            "lines[0].room_id",
        ),
        (
            json!({"customer": {"name": "赵六"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-07-01", "check_out": "2027-07-02"}]}),
            "customer.phone",
        ),
        (
            json!({"customer": {"name": "赵六", "phone": "13400000001"}, "lines": []}),
            "lines",
        ),
        (
            json!({"customer": {"name": "赵六", "phone": "13400000001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-02-01", "check_out": "2027-02-02"}]}),
            "lines",
        ),
    ];
    for (body, field) in cases {
        let r = n.post("/api/v1/bookings", &agent, body).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let handler = n.token("wang.qiang").await;
    let refused = n
        .post(
            "/api/v1/bookings",
            &handler,
            json!({"customer": {"name": "赵六", "phone": "13400000001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-07-01", "check_out": "2027-07-02"}]}),
        )
        .await;
    assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    let list = n.get("/api/v1/bookings", &agent).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
    n.second.close().await;
}

#[tokio::test]
async fn a_booking_retried_with_its_idempotency_key_books_once() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 2).await;
    let body = json!({"customer": {"name": "周杰", "phone": "13300000001"},
                      "lines": [{"room_id": rooms[0], "check_in": "2027-08-01", "check_out": "2027-08-02"}],
                      "confirm": true});
    let send = |router: axum::Router, body: Value| {
        let agent = agent.clone();
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/bookings")
                .header("authorization", format!("Bearer {agent}"))
                .header("content-type", "application/json")
                .header("idempotency-key", "booking-2027-08-01-zhou")
                .body(Body::from(body.to_string()))
                .unwrap();
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let replayed = res.headers().get("idempotent-replayed").is_some();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                replayed,
                serde_json::from_slice::<Value>(&bytes).unwrap(),
            )
        }
    };
    let (first, replayed, a) = send(n.a.clone(), body.clone()).await;
    assert_eq!((first, replayed), (StatusCode::CREATED, false), "{a}");
    let (again, replayed, b) = send(n.b.clone(), body.clone()).await;
    assert_eq!((again, replayed), (StatusCode::CREATED, true), "{b}");
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["confirmation_no"], b["confirmation_no"]);
    let mut other = body;
    other["lines"][0]["room_id"] = json!(rooms[1]);
    let (reused, _, problem) = send(n.a.clone(), other).await;
    assert_eq!(reused, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let list = n.get("/api/v1/bookings", &agent).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    n.second.close().await;
}

#[tokio::test]
async fn the_departure_notice_pdf_names_the_traveler_and_the_meeting_place() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let departure = tour(&n, &admin, 30).await;
    let booked = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张晓梅", "phone": "13812340000"},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 1, "children": 0, "seniors": 0}}],
                   "travelers": [{"name": "张晓梅", "document_kind": "resident_id",
                                  "document_number": "11010519491231002X", "category": "adult"}],
                   "confirm": true}),
        )
        .await;
    let booking = id(&booked);
    let r = call(
        &n.a,
        Method::GET,
        &format!("/api/v1/bookings/{booking}/departure-notice.pdf"),
        &agent,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("notice.pdf");
    // The reply's bytes: `call` kept them as lossy text, so fetch them again raw.
    let req = Request::builder()
        .uri(format!("/api/v1/bookings/{booking}/departure-notice.pdf"))
        .header("authorization", format!("Bearer {agent}"))
        .body(Body::empty())
        .unwrap();
    let bytes =
        n.a.clone()
            .oneshot(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
    std::fs::write(&pdf, &bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "出团通知书",
        "张晓梅",
        "合肥南站北广场",
        "07:00",
        "黄山宏村二日游",
        "110 / 120",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        !text.contains("11010519491231002X"),
        "no ID number on the notice"
    );
    n.second.close().await;
}

/// Reads an .ics text with Python's icalendar (the standard library from PyPI that
/// `scripts/test` installs): each event as `YYYYMMDD-YYYYMMDD summary`.
fn python_events(ics: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, ics).unwrap();
    let script = "import sys, icalendar\n\
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        for e in cal.walk('VEVENT'):\n\
        \x20   print(e.decoded('DTSTART').strftime('%Y%m%d') + '-' + e.decoded('DTEND').strftime('%Y%m%d') + ' ' + str(e.get('SUMMARY')))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("python3 with icalendar (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn ical_feeds_parse_with_python_icalendar_and_an_airbnb_feed_blocks_its_nights() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (property, rooms) = homestay(&n, &admin, 2).await;
    let booked = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "孙丽", "phone": "13200000001"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-06-10", "check_out": "2027-06-12"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
    let airbnb = |start: &str, end: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\n\
             CALSCALE:GREGORIAN\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:{end}\r\nDTSTART;VALUE=DATE:{start}\r\n\
             UID:1418fb94e984-a2bbd2b2e4b1@airbnb.com\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let imported = n
        .post(
            &format!("/api/v1/rooms/{}/ical-import", rooms[0]),
            &admin,
            json!({"source": "airbnb", "ics": airbnb("20270611", "20270614")}),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text);
    assert_eq!(imported.body["nights"], 3);
    assert_eq!(
        imported.body["conflicts"],
        json!(["2027-06-11"]),
        "the booked night is a conflict"
    );
    let other = n
        .post(
            &format!("/api/v1/rooms/{}/ical-import", rooms[1]),
            &admin,
            json!({"source": "airbnb", "ics": airbnb("20270620", "20270622")}),
        )
        .await;
    assert_eq!(other.body["conflicts"], json!([]), "{}", other.text);
    let refused = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "孙丽", "phone": "13200000001"},
                   "lines": [{"room_id": rooms[1], "check_in": "2027-06-21", "check_out": "2027-06-22"}]}),
        )
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "sold_out");
    let avail = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-06-10&until=2027-06-14"
            ),
            &agent,
        )
        .await;
    assert_eq!(avail.body["room_types"][0]["free"], json!([1, 1, 1, 1]));

    let bad = n
        .post(
            &format!("/api/v1/rooms/{}/ical-import", rooms[0]),
            &admin,
            json!({"source": "airbnb", "ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2027\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}),
        )
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "body");

    let link = n
        .post(
            &format!("/api/v1/rooms/{}/ical-feed", rooms[0]),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    let path = link.body["path"].as_str().unwrap().to_string();
    let req = Request::builder().uri(&path).body(Body::empty()).unwrap();
    let res = n.b.clone().oneshot(req).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "no sign-in: the token is the credential"
    );
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let events = python_events(&ics);
    assert_eq!(
        events,
        vec![
            "20270610-20270612 已预订 Booked".to_string(),
            "20270612-20270614 不可预订 Not available".to_string(),
        ],
        "{ics}"
    );
    assert!(
        !ics.contains("孙丽") && !ics.contains("13200000001"),
        "no personal data in a feed"
    );

    let type_id = avail.body["room_types"][0]["room_type_id"]
        .as_str()
        .unwrap()
        .to_string();
    let type_link = n
        .post(
            &format!("/api/v1/room-types/{type_id}/ical-feed"),
            &admin,
            json!({}),
        )
        .await;
    let req = Request::builder()
        .uri(type_link.body["path"].as_str().unwrap())
        .body(Body::empty())
        .unwrap();
    let bytes =
        n.a.clone()
            .oneshot(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
    let type_events = python_events(std::str::from_utf8(&bytes).unwrap());
    assert!(
        type_events.is_empty(),
        "a room of the type is free every night: {type_events:?}"
    );
    let unknown = Request::builder()
        .uri("/api/v1/ical/ics_unknown.ics")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        n.a.clone().oneshot(unknown).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    n.second.close().await;
}

/// The booking's clocks of one target, as the SLA API lists them.
async fn clocks_of(n: &Nodes, token: &str, booking: &str, target: &str) -> Vec<Value> {
    let r = n
        .get(
            &format!("/api/v1/sla/clocks?subject_type=booking&subject_id={booking}"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["target_key"] == target)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_confirmation_reaches_the_customer_within_the_hour_or_staff_phone() {
    use tripdesk_delivery::{email::EmailChannel, testing::AioSmtpd, Channel, DispatcherConfig};
    tripdesk_delivery::install_tls_provider();
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 2).await;
    let book = |room: &str, customer: Value, confirm: bool| {
        json!({"customer": customer, "confirm": confirm,
               "lines": [{"room_id": room, "check_in": "2027-04-01", "check_out": "2027-04-03"}]})
    };

    // A customer with email: confirmed at once, the confirmation queued in the same
    // transaction and the 1-hour clock started.
    let mailed = id(&n
        .post(
            "/api/v1/bookings",
            &agent,
            book(
                &rooms[0],
                json!({"name": "周丽", "phone": "13700000011", "email": "zhou.li@example.com"}),
                true,
            ),
        )
        .await);
    let clock = &clocks_of(&n, &admin, &mailed, "booking.confirmation").await[0];
    assert_eq!(clock["state"], "running", "{clock}");

    // Ten minutes later the outbox hands it to a real SMTP server: that meets the clock,
    // in the transaction that records the message sent.
    n.clock.advance(SignedDuration::from_mins(10));
    let smtp = AioSmtpd::start(None, false);
    let email = EmailChannel::new(
        &smtp.url(None),
        "山海国际旅行社 <service@shanhai-travel.example>",
        1,
    )
    .unwrap();
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email)];
    let config = DispatcherConfig {
        workers: 1,
        node: "test".into(),
        ..Default::default()
    };
    let sent = tripdesk_delivery::dispatcher::run_until_idle(n.app.clone(), channels, config).await;
    assert!(sent >= 1, "{sent}");
    let received = smtp.received();
    assert!(
        received
            .iter()
            .any(|r| r.rcpt_tos == ["zhou.li@example.com"]),
        "{received:?}"
    );
    let clock = &clocks_of(&n, &admin, &mailed, "booking.confirmation").await[0];
    assert_eq!(clock["state"], "met", "{clock}");
    let stopped: Timestamp = clock["stopped_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(stopped, n.clock.now());

    // A customer with a phone only: nothing can carry the confirmation, the clock runs
    // until staff record that they phoned.
    let phoned = id(&n
        .post(
            "/api/v1/bookings",
            &agent,
            book(
                &rooms[1],
                json!({"name": "吴刚", "phone": "13700000012"}),
                true,
            ),
        )
        .await);
    n.clock.advance(SignedDuration::from_mins(20));
    let clock = &clocks_of(&n, &admin, &phoned, "booking.confirmation").await[0];
    assert_eq!(clock["state"], "running", "{clock}");
    let told = n
        .post(
            &format!("/api/v1/bookings/{phoned}/confirmation-told"),
            &agent,
            json!({"by": "phone"}),
        )
        .await;
    assert_eq!(told.status, StatusCode::OK, "{}", told.text);
    assert_eq!(told.body["confirmation_clock"]["state"], "met");

    // A held booking has nothing to tell yet; an unknown way of telling is named.
    let held = id(&n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "郑洁", "phone": "13700000013"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-04-05", "check_out": "2027-04-06"}],
                   "hold": {"kind": "checkout", "minutes": 15}}),
        )
        .await);
    let early = n
        .post(
            &format!("/api/v1/bookings/{held}/confirmation-told"),
            &agent,
            json!({"by": "phone"}),
        )
        .await;
    assert_problem(&early, StatusCode::CONFLICT, "booking.not_confirmed");
    let bad = n
        .post(
            &format!("/api/v1/bookings/{held}/confirmation-told"),
            &agent,
            json!({"by": "pigeon"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(clocks_of(&n, &admin, &held, "booking.confirmation")
        .await
        .is_empty());
    n.second.close().await;
}
