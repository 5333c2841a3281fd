//! Changing a confirmed booking (issue 14 item 5): dates, room or party quoted line by line
//! and applied once the customer accepts — through the API and the booking's page, on two
//! nodes of one database (SQLite by default, PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`).
//! A change to free nights frees the old ones; to taken nights or beyond the seats left it
//! is 409 `sold_out` and changes nothing; the difference is collected or returned; a stale
//! quote is refused; two changes racing for the last room-night: exactly one wins.

mod common;

use axum::http::{header, Method, StatusCode};
use common::bookings::{call, homestay, id, nodes, tour, Nodes};
use common::{assert_problem, Reply};
use jiff::Timestamp;
use serde_json::{json, Value};

/// A confirmed booking of one room line (through the API, as `token`): its id.
async fn book_room(
    n: &Nodes,
    token: &str,
    room: &str,
    from: &str,
    to: &str,
    phone: &str,
) -> String {
    id(&n
        .post(
            "/api/v1/bookings",
            token,
            json!({"customer": {"name": "张晓梅", "phone": phone},
                   "lines": [{"room_id": room, "check_in": from, "check_out": to}],
                   "confirm": true}),
        )
        .await)
}

async fn pay(n: &Nodes, token: &str, booking: &str, fen: i64, reference: &str) {
    let r = n
        .post(
            &format!("/api/v1/bookings/{booking}/payments"),
            token,
            json!({"method": "wechat_pay", "amount_fen": fen, "reference": reference}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn quote(n: &Nodes, token: &str, booking: &str, lines: Value) -> Reply {
    n.post(
        &format!("/api/v1/bookings/{booking}/change-quotes"),
        token,
        json!({ "lines": lines }),
    )
    .await
}

async fn accept(n: &Nodes, token: &str, booking: &str, quote: &str) -> Reply {
    n.post(
        &format!("/api/v1/bookings/{booking}/change-quotes/{quote}/accept"),
        token,
        json!({}),
    )
    .await
}

/// A room booked anew for these nights: 201, or the 409 answer.
async fn try_book(n: &Nodes, token: &str, room: &str, from: &str, to: &str) -> Reply {
    n.post(
        "/api/v1/bookings",
        token,
        json!({"customer": {"name": "李雷", "phone": "13600000009"},
               "lines": [{"room_id": room, "check_in": from, "check_out": to}],
               "confirm": true}),
    )
    .await
}

/// The audit entries of `action` about `booking`.
async fn audited(n: &Nodes, admin: &str, action: &str, booking: &str) -> Vec<Value> {
    let r = n
        .get(&format!("/api/v1/audit?action={action}"), admin)
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

#[tokio::test]
async fn a_stay_moves_to_free_nights_frees_the_old_ones_and_the_difference_is_collected() {
    let n = nodes().await;
    let (admin, agent, boss) = (
        n.token("zhao.min").await,
        n.token("li.na").await,
        n.token("admin").await,
    );
    let hook = n
        .post(
            "/api/v1/webhooks",
            &boss,
            json!({"url": "https://crm.example.com/hooks/tripdesk", "events": ["*"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
    let (property, rooms) = homestay(&n, &admin, 2).await;
    // Monday 17 and Tuesday 18 May 2027, both before a working day: ¥480 + ¥480.
    let booking = book_room(
        &n,
        &agent,
        &rooms[0],
        "2027-05-17",
        "2027-05-19",
        "13812345678",
    )
    .await;
    pay(&n, &agent, &booking, 96_000, "4200000000202705170001").await;

    // Thursday 20 (before a Friday) and Friday 21 (before a Saturday): ¥480 + ¥580.
    let q = quote(
        &n,
        &agent,
        &booking,
        json!([{"line_no": 1, "check_in": "2027-05-20", "check_out": "2027-05-22"}]),
    )
    .await;
    assert_eq!(q.status, StatusCode::CREATED, "{}", q.text);
    let line = &q.body["lines"][0];
    assert_eq!(line["changed"], true);
    assert_eq!(line["before"]["check_in"], "2027-05-17");
    assert_eq!(line["after"]["check_in"], "2027-05-20");
    assert_eq!(
        (
            &line["before_fen"],
            &line["after_fen"],
            &line["difference_fen"]
        ),
        (&json!(96_000), &json!(106_000), &json!(10_000))
    );
    assert_eq!(q.body["fee_fen"], 0, "no policy defines a change fee");
    assert_eq!(q.body["old_total_fen"], 96_000);
    assert_eq!(q.body["new_total_fen"], 106_000);
    assert_eq!(q.body["difference_fen"], 10_000);
    assert_eq!(
        (
            &q.body["paid_fen"],
            &q.body["balance_due_fen"],
            &q.body["refund_fen"]
        ),
        (&json!(96_000), &json!(10_000), &json!(0)),
        "paid in full: the difference is still to pay"
    );
    let created: Timestamp = q.body["created_at"].as_str().unwrap().parse().unwrap();
    let expires: Timestamp = q.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires.duration_since(created),
        jiff::SignedDuration::from_hours(24)
    );
    let quote_id = q.body["id"].as_str().unwrap().to_string();
    // Quoting takes nothing: the new nights are still free to anyone.
    let avail = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-05-20&until=2027-05-22"
            ),
            &agent,
        )
        .await;
    assert_eq!(avail.body["room_types"][0]["free"], json!([2, 2]));
    let got = n
        .get(
            &format!("/api/v1/bookings/{booking}/change-quotes/{quote_id}"),
            &agent,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["new_total_fen"], 106_000);

    // The customer agrees (on the second node).
    let done = call(
        &n.b,
        Method::POST,
        &format!("/api/v1/bookings/{booking}/change-quotes/{quote_id}/accept"),
        &agent,
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let b = &done.body["booking"];
    assert_eq!(b["state"], "changed");
    assert_eq!(b["total_fen"], 106_000);
    assert_eq!(b["balance_fen"], 10_000);
    assert_eq!(
        (&b["starts_on"], &b["ends_on"]),
        (&json!("2027-05-20"), &json!("2027-05-22"))
    );
    assert_eq!(b["lines"][0]["check_in"], "2027-05-20");
    assert_eq!(b["lines"][0]["price_fen"], 106_000);
    assert!(done.body["refund"].is_null());
    assert!(done.body["quote"]["accepted_at"].is_string());
    assert_problem(
        &accept(&n, &agent, &booking, &quote_id).await,
        StatusCode::CONFLICT,
        "change.quote_used",
    );

    // The old nights are free for another booking; the new ones are held.
    assert_eq!(
        try_book(&n, &agent, &rooms[0], "2027-05-17", "2027-05-19")
            .await
            .status,
        StatusCode::CREATED
    );
    assert_problem(
        &try_book(&n, &agent, &rooms[0], "2027-05-21", "2027-05-22").await,
        StatusCode::CONFLICT,
        "sold_out",
    );

    // Audited with the lines before and after, no personal data; published to webhooks.
    let entries = audited(&n, &boss, "booking.changed", &booking).await;
    assert_eq!(entries.len(), 1);
    let s = &entries[0]["summary"];
    assert_eq!(s["before"][0]["check_in"], "2027-05-17");
    assert_eq!(s["after"][0]["check_in"], "2027-05-20");
    assert_eq!(
        (&s["old_total_fen"], &s["new_total_fen"]),
        (&json!(96_000), &json!(106_000))
    );
    assert_eq!(s["quote_id"], quote_id.as_str());
    let text = entries[0].to_string();
    assert!(
        !text.contains("13812345678") && !text.contains("张晓梅"),
        "{text}"
    );
    assert_eq!(
        audited(&n, &boss, "booking.change_quoted", &booking)
            .await
            .len(),
        1
    );
    let sent = n
        .get(
            &format!("/api/v1/messages?channel=webhook&related_type=booking&related_id={booking}"),
            &boss,
        )
        .await;
    assert!(
        sent.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["subject"] == "booking.changed"),
        "{}",
        sent.text
    );

    // A changed booking behaves as a confirmed one: paid, changed again, cancelled.
    pay(&n, &agent, &booking, 10_000, "4200000000202705170002").await;
    let got = n.get(&format!("/api/v1/bookings/{booking}"), &agent).await;
    assert_eq!(got.body["balance_fen"], 0);
    let again = quote(
        &n,
        &agent,
        &booking,
        json!([{"line_no": 1, "room_id": rooms[1]}]),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(
        again.body["difference_fen"], 0,
        "same type, same nights: same price"
    );
    let moved = accept(&n, &agent, &booking, again.body["id"].as_str().unwrap()).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        moved.body["booking"]["lines"][0]["room_id"],
        rooms[1].as_str()
    );
    let cancelled = n
        .post(
            &format!("/api/v1/bookings/{booking}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(
        cancelled.body["refund"]["computation"]["refund_fen"], 106_000,
        "cancelled days ahead: the lodging policy refunds all"
    );
    assert_eq!(
        try_book(&n, &agent, &rooms[1], "2027-05-20", "2027-05-22")
            .await
            .status,
        StatusCode::CREATED,
        "the cancelled change frees its nights"
    );
    // A change is never a cancellation's cause.
    let r = n
        .post(
            &format!("/api/v1/bookings/{booking}/cancel"),
            &agent,
            json!({"cause": "change"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    n.second.close().await;
}

#[tokio::test]
async fn taken_nights_are_sold_out_and_a_quote_that_no_longer_holds_changes_nothing() {
    let n = nodes().await;
    let (admin, agent, boss) = (
        n.token("zhao.min").await,
        n.token("li.na").await,
        n.token("admin").await,
    );
    let (_, rooms) = homestay(&n, &admin, 2).await;
    let a = book_room(
        &n,
        &agent,
        &rooms[0],
        "2027-05-17",
        "2027-05-19",
        "13812345678",
    )
    .await;
    book_room(
        &n,
        &agent,
        &rooms[1],
        "2027-05-24",
        "2027-05-26",
        "13812345679",
    )
    .await;

    // Onto nights another booking holds: 409 naming the room free then, nothing quoted.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "room_id": rooms[1], "check_in": "2027-05-24", "check_out": "2027-05-26"}]),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "sold_out");
    assert_eq!(r.body["errors"][0]["field"], "lines[0]");
    let alternatives: Vec<&str> = r.body["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["room_id"].as_str().unwrap())
        .collect();
    assert_eq!(alternatives, vec![rooms[0].as_str()]);
    assert!(audited(&n, &boss, "booking.change_quoted", &a)
        .await
        .is_empty());

    // Fields at fault are named.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_out": "2027-05-16"}]),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        (&r.body["errors"][0]["field"], &r.body["errors"][0]["code"]),
        (&json!("lines[0].check_out"), &json!("inventory.empty_stay"))
    );
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 2, "check_out": "2027-05-20"}]),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["field"], "lines[0].line_no",
        "{}",
        r.text
    );
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 1, "children": 0, "seniors": 0}}]),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["field"], "lines[0].travelers",
        "{}",
        r.text
    );
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_in": "2027-05-17"}]),
    )
    .await;
    assert_eq!(
        r.body["errors"][0]["code"], "change.unchanged",
        "{}",
        r.text
    );
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_in": "2027-02-27"}]),
    )
    .await;
    assert_eq!(
        (&r.body["errors"][0]["field"], &r.body["errors"][0]["code"]),
        (&json!("lines[0].check_in"), &json!("past")),
        "{}",
        r.text
    );
    let r = quote(&n, &agent, &a, json!([{"line_no": 1, "colour": "red"}])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // A quote whose nights are booked by someone else before the customer agrees.
    let q = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "room_id": rooms[1], "check_in": "2027-05-27", "check_out": "2027-05-28"}]),
    )
    .await;
    assert_eq!(q.status, StatusCode::CREATED, "{}", q.text);
    assert_eq!(
        try_book(&n, &agent, &rooms[1], "2027-05-27", "2027-05-28")
            .await
            .status,
        StatusCode::CREATED
    );
    let r = accept(&n, &agent, &a, q.body["id"].as_str().unwrap()).await;
    assert_problem(&r, StatusCode::CONFLICT, "sold_out");
    let unchanged = n.get(&format!("/api/v1/bookings/{a}"), &agent).await;
    assert_eq!(unchanged.body["state"], "confirmed");
    assert_eq!(unchanged.body["version"], 1, "nothing was written");
    assert_eq!(unchanged.body["lines"][0]["check_in"], "2027-05-17");
    assert_problem(
        &try_book(&n, &agent, &rooms[0], "2027-05-18", "2027-05-19").await,
        StatusCode::CONFLICT,
        "sold_out",
    );

    // Two quotes of one booking: once one is applied the other is stale. The booking's own
    // nights count as free to it (one night longer overlaps them).
    let longer = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_out": "2027-05-20"}]),
    )
    .await;
    assert_eq!(longer.status, StatusCode::CREATED, "{}", longer.text);
    let later = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_in": "2027-05-18", "check_out": "2027-05-20"}]),
    )
    .await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.text);
    let r = accept(&n, &agent, &a, later.body["id"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = accept(&n, &agent, &a, longer.body["id"].as_str().unwrap()).await;
    assert_problem(&r, StatusCode::CONFLICT, "change.stale_quote");

    // A price that moved since the quote (the holiday arrangement of 2027 published: Friday
    // 28 May a holiday, so the night before it costs the holiday rate).
    let q = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_in": "2027-05-27", "check_out": "2027-05-28"}]),
    )
    .await;
    assert_eq!(q.status, StatusCode::CREATED, "{}", q.text);
    assert_eq!(q.body["new_total_fen"], 48_000);
    let year = call(
        &n.a,
        Method::PUT,
        "/api/v1/calendars/cn-mainland/years/2027",
        &boss,
        Some(
            json!({"notice": "测试", "festivals": [{"zh": "测试假日", "en": "Test holiday",
                    "off": ["2027-05-28"], "work": []}]}),
        ),
    )
    .await;
    assert_eq!(year.status, StatusCode::OK, "{}", year.text);
    let r = accept(&n, &agent, &a, q.body["id"].as_str().unwrap()).await;
    assert_problem(&r, StatusCode::CONFLICT, "change.price_changed");
    let again = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "check_in": "2027-05-27", "check_out": "2027-05-28"}]),
    )
    .await;
    assert_eq!(again.body["new_total_fen"], 88_000, "{}", again.text);

    // An expired quote.
    n.clock.advance(jiff::SignedDuration::from_hours(25));
    let agent = n.token("li.na").await;
    let r = accept(&n, &agent, &a, again.body["id"].as_str().unwrap()).await;
    assert_problem(&r, StatusCode::CONFLICT, "change.quote_expired");

    // A held booking is cancelled and booked again, not changed.
    let held = id(&n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "韩梅梅", "phone": "13600000010"},
                   "lines": [{"room_id": rooms[0], "check_in": "2027-06-21", "check_out": "2027-06-22"}]}),
        )
        .await);
    let r = quote(
        &n,
        &agent,
        &held,
        json!([{"line_no": 1, "check_out": "2027-06-23"}]),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "invalid_transition");
    n.second.close().await;
}

#[tokio::test]
async fn a_party_beyond_the_seats_left_is_sold_out_and_a_smaller_one_is_refunded() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let departure = tour(&n, &admin, 4).await;
    let seats = |adults: u32, children: u32| {
        json!({"customer": {"name": "王芳", "phone": format!("1370000{adults}{children}01")},
               "lines": [{"departure_id": departure, "travelers": {"adults": adults, "children": children, "seniors": 0}}],
               "confirm": true})
    };
    let a = id(&n.post("/api/v1/bookings", &agent, seats(2, 0)).await);
    pay(&n, &agent, &a, 256_000, "4200000000202703010001").await;
    id(&n.post("/api/v1/bookings", &agent, seats(1, 0)).await);
    assert_eq!(seats_left(&n, &agent, &departure).await, 1);

    // Four travelers need two more seats; one is left.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 3, "children": 1, "seniors": 0}}]),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "sold_out");
    assert_eq!(r.body["errors"][0]["field"], "lines[0]");
    assert!(r.body["alternatives"].is_array());
    // Three fit: one more adult to pay.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 3, "children": 0, "seniors": 0}}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["difference_fen"], 128_000);
    assert_eq!(r.body["balance_due_fen"], 128_000);
    assert_eq!(r.body["refund_fen"], 0);
    assert_eq!(
        seats_left(&n, &agent, &departure).await,
        1,
        "a quote takes no seat"
    );

    // One traveler instead of two, paid in full: the difference goes back.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 1, "children": 0, "seniors": 0}}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["difference_fen"], -128_000);
    assert_eq!(
        (&r.body["balance_due_fen"], &r.body["refund_fen"]),
        (&json!(0), &json!(128_000))
    );
    let done = accept(&n, &agent, &a, r.body["id"].as_str().unwrap()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["booking"]["total_fen"], 128_000);
    assert_eq!(done.body["booking"]["paid_fen"], 256_000);
    assert_eq!(
        done.body["booking"]["balance_fen"], 0,
        "nothing due; the excess is owed back"
    );
    let refund = &done.body["refund"];
    assert_eq!(refund["computation"]["refund_fen"], 128_000);
    assert_eq!(refund["computation"]["lines"][0]["kind"], "overpaid");
    assert!(refund["due_at"].is_string());
    assert_eq!(
        seats_left(&n, &agent, &departure).await,
        2,
        "the seat given up is free again"
    );

    // While that refund is owed the booking does not change again; paid out, it may.
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 2, "children": 0, "seniors": 0}}]),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "change.refund_owed");
    let refund_id = refund["id"].as_str().unwrap();
    let paid = n
        .post(
            &format!("/api/v1/bookings/{a}/refunds/{refund_id}/payout"),
            &agent,
            json!({"method": "wechat_pay", "reference": "RF20270301-0001"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["paid_fen"], 128_000);
    assert_eq!(paid.body["refund_clock"]["state"], "met");
    let r = quote(
        &n,
        &agent,
        &a,
        json!([{"line_no": 1, "travelers": {"adults": 2, "children": 0, "seniors": 0}}]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    n.second.close().await;
}

async fn seats_left(n: &Nodes, token: &str, departure: &str) -> u64 {
    let d = n
        .get(&format!("/api/v1/departures/{departure}"), token)
        .await;
    d.body["seats_left"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_racing_for_the_last_room_night_on_two_nodes_leave_it_to_exactly_one() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (property, rooms) = homestay(&n, &admin, 1).await;
    // Six bookings of one room on six other nights, each quoted onto the same free night.
    let mut quoted = Vec::new();
    for (i, day) in [1, 3, 5, 7, 9, 11].into_iter().enumerate() {
        let from = format!("2027-06-{day:02}");
        let to = format!("2027-06-{:02}", day + 1);
        let b = book_room(&n, &agent, &rooms[0], &from, &to, &format!("1390000000{i}")).await;
        let q = quote(
            &n,
            &agent,
            &b,
            json!([{"line_no": 1, "check_in": "2027-06-20", "check_out": "2027-06-21"}]),
        )
        .await;
        assert_eq!(q.status, StatusCode::CREATED, "{}", q.text);
        quoted.push((b, q.body["id"].as_str().unwrap().to_string()));
    }
    let mut tasks = Vec::new();
    for (i, (b, q)) in quoted.iter().enumerate() {
        let router = if i % 2 == 0 { n.a.clone() } else { n.b.clone() };
        let (uri, token) = (
            format!("/api/v1/bookings/{b}/change-quotes/{q}/accept"),
            agent.clone(),
        );
        tasks.push(tokio::spawn(async move {
            call(&router, Method::POST, &uri, &token, None).await
        }));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    let won: Vec<usize> = (0..replies.len())
        .filter(|i| replies[*i].status == StatusCode::OK)
        .collect();
    assert_eq!(won.len(), 1, "exactly one change gets the night");
    for (i, r) in replies.iter().enumerate() {
        if i != won[0] {
            assert_problem(r, StatusCode::CONFLICT, "sold_out");
            let b = n
                .get(&format!("/api/v1/bookings/{}", quoted[i].0), &agent)
                .await;
            assert_eq!(b.body["state"], "confirmed", "the losers keep their nights");
        }
    }
    let grid = n
        .get(
            &format!(
                "/api/v1/availability?property_id={property}&from=2027-06-01&until=2027-06-22"
            ),
            &agent,
        )
        .await;
    let free: Vec<u64> = grid.body["room_types"][0]["free"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let taken = free.iter().filter(|f| **f == 0).count();
    assert_eq!(
        taken, 6,
        "five kept their night, one moved: six nights taken"
    );
    assert_eq!(free[19], 0, "the 20th is taken once");
    n.second.close().await;
}

#[tokio::test]
async fn the_change_form_keeps_what_was_typed_quotes_line_by_line_and_applies() {
    let n = nodes().await;
    let (admin, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &admin, 2).await;
    let booking = book_room(
        &n,
        &agent,
        &rooms[0],
        "2027-05-17",
        "2027-05-19",
        "13812345678",
    )
    .await;
    pay(&n, &agent, &booking, 96_000, "4200000000202705170009").await;
    book_room(
        &n,
        &agent,
        &rooms[1],
        "2027-05-24",
        "2027-05-26",
        "13812345670",
    )
    .await;
    let (cookie, csrf) = n.session("li.na").await;
    let uri = format!("/bookings/{booking}");
    let page = n.page(&uri, &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("变更预订"));
    assert!(page
        .text
        .contains("id=\"l1_check_in\" name=\"l1.check_in\" type=\"date\" value=\"2027-05-17\""));
    assert!(page
        .text
        .contains(&format!("<option value=\"{}\" selected>", rooms[0])));
    assert!(!page.text.contains("客户已同意，确认变更"), "no quote yet");

    let change = format!("{uri}/change");
    let post = |room: &str, from: &str, to: &str| {
        let fields = [
            ("_csrf".to_string(), csrf.clone()),
            ("l1.room".to_string(), room.to_string()),
            ("l1.check_in".to_string(), from.to_string()),
            ("l1.check_out".to_string(), to.to_string()),
        ];
        let (n, cookie, change) = (&n, cookie.clone(), change.clone());
        async move {
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            n.form(&change, &cookie, &refs).await
        }
    };
    // Not a date: back as typed with the message beside the field.
    let r = post(&rooms[0], "2027-05-20", "2027-05-32").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("value=\"2027-05-32\""));
    assert!(r.text.contains("value=\"2027-05-20\""));
    assert!(
        r.text.contains("请按 YYYY-MM-DD 填写离店日期。"),
        "{}",
        r.text
    );
    assert!(r.text.contains("href=\"#l1_check_out\""));
    // Check-out before check-in, and nothing changed: the use case's messages, in Chinese.
    let r = post(&rooms[0], "2027-05-20", "2027-05-19").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("离店日期须晚于入住日期。"), "{}", r.text);
    let r = post(&rooms[0], "2027-05-17", "2027-05-19").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("没有任何变更"), "{}", r.text);
    // Taken nights: 409 as typed, with what is free instead.
    let r = post(&rooms[1], "2027-05-24", "2027-05-26").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("新的房间或座位已被占用"));
    assert!(r
        .text
        .contains(&format!("<option value=\"{}\" selected>", rooms[1])));
    assert!(r.text.contains("value=\"2027-05-24\""));

    // Free nights: quoted, back to the page with the flash and the quote line by line.
    let r = post(&rooms[0], "2027-05-20", "2027-05-22").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with(&uri), "{to}");
    let page = n.page(&to, &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("已生成变更报价"), "the flash");
    for text in [
        "变更报价",
        "原价",
        "新价",
        "差额",
        "¥960",
        "¥1,060",
        "+¥100",
        "应补 ¥100",
        "变更后待付",
        "无（退改规则未规定变更费）",
        "客户已同意，确认变更",
    ] {
        assert!(page.text.contains(text), "{text} in {}", page.text);
    }
    assert!(
        page.text
            .contains("id=\"l1_check_in\" name=\"l1.check_in\" type=\"date\" value=\"2027-05-20\""),
        "the form shows the quoted change"
    );
    let accept_uri = page
        .text
        .split("action=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|a| a.ends_with("/accept"))
        .unwrap()
        .to_string();
    // Its address opened in the browser leads back to the booking.
    let r = n.page(&accept_uri, &cookie).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], uri.as_str());

    let r = n.form(&accept_uri, &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = n
        .page(r.headers[header::LOCATION].to_str().unwrap(), &cookie)
        .await;
    assert!(page.text.contains("预订已变更。"), "the flash");
    assert!(page.text.contains("已变更"), "the state");
    assert!(
        page.text.contains("2027-05-20 入住，2027-05-22 离店"),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("客户已同意，确认变更"),
        "the quote is used"
    );
    // Accepting it again: refused, said in Chinese.
    let r = n.form(&accept_uri, &cookie, &[("_csrf", &csrf)]).await;
    let page = n
        .page(r.headers[header::LOCATION].to_str().unwrap(), &cookie)
        .await;
    assert!(page.text.contains("该报价已经确认过。"), "{}", page.text);
    // Without the CSRF token nothing is posted.
    let r = n.form(&change, &cookie, &[("l1.room", &rooms[0])]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    n.second.close().await;
}
