//! The waitlist of a sold-out departure (issue 14): staff put a customer on it through the
//! API or the departures calendar; seats left refuse it (book instead), a customer waits
//! once; a cancellation offers the freed seats first fit in order and queues a message to
//! the customer offered, in the same transaction.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{assert_problem, harness, Harness, Reply};
use jiff::civil::Date;
use serde_json::{json, Value};
use tripdesk_store::MessageFilter;

fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn day(h: &Harness, n: i64) -> Date {
    h.app
        .today()
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
}

/// A domestic package with one departure of `seats` seats 40 days from today.
async fn tour(h: &Harness, admin: &str, seats: u32) -> String {
    let package = id(&h
        .api(
            Method::POST,
            "/api/v1/products",
            admin,
            json!({"name": "黄山宏村二日游", "destination": "黄山", "keywords": ["西海大峡谷"],
                   "scope": "domestic", "tags": ["sightseeing"],
                   "accessibility": {"wheelchair": false, "easy_walking": false}, "diets": [],
                   "itinerary": [{"day": 1, "title": "合肥—宏村", "description": "宏村"},
                                 {"day": 2, "title": "黄山", "description": "西海大峡谷"}],
                   "inclusions": ["往返大巴"], "exclusions": ["索道"], "fees": [],
                   "accommodation": "标准间", "transport": "大巴", "meals": "1早2正", "notes": ""}),
        )
        .await);
    id(&h
        .api(
            Method::POST,
            "/api/v1/departures",
            admin,
            json!({"package_id": package, "date": day(h, 40).to_string(), "seats": seats,
                   "min_group": 1, "go_no_go": day(h, 30).to_string(),
                   "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                   "meeting_time": "07:00", "meeting_point": "合肥南站北广场"}),
        )
        .await)
}

/// A confirmed booking of `adults` seats on `departure`: its id.
async fn book_seats(h: &Harness, agent: &str, departure: &str, adults: u32) -> String {
    id(&h
        .api(
            Method::POST,
            "/api/v1/bookings",
            agent,
            json!({"customer": {"name": "张晓梅", "phone": "13812345678"},
                   "lines": [{"departure_id": departure,
                              "travelers": {"adults": adults, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await)
}

async fn join(h: &Harness, token: &str, departure: &str, body: Value) -> Reply {
    h.api(
        Method::POST,
        &format!("/api/v1/departures/{departure}/waitlist"),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn a_sold_out_departure_keeps_a_waitlist_offered_freed_seats_in_order() {
    let h = harness().await;
    let (admin, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let departure = tour(&h, &admin, 2).await;
    let wang = json!({"customer": {"name": "王芳", "phone": "13700000001",
                                   "email": "wang.fang@example.com"}, "seats": 1});

    // Seats are left: book them instead.
    let r = join(&h, &agent, &departure, wang.clone()).await;
    assert_problem(&r, StatusCode::CONFLICT, "waitlist.seats_available");

    let booking = book_seats(&h, &agent, &departure, 2).await;
    let first = join(&h, &agent, &departure, wang.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(
        (
            &first.body["position"],
            &first.body["state"],
            &first.body["seats"]
        ),
        (&json!(1), &json!("waiting"), &json!(1))
    );
    assert_eq!(first.body["customer"], "王*", "the name is masked");
    assert!(
        !first.text.contains("13700000001"),
        "no phone in the answer"
    );

    // The same customer (found by phone) waits once.
    let again = join(&h, &agent, &departure, wang).await;
    assert_problem(&again, StatusCode::CONFLICT, "waitlist.already_waiting");

    let second = join(
        &h,
        &agent,
        &departure,
        json!({"customer": {"name": "李雷", "phone": "13700000002",
                            "email": "li.lei@example.com"}, "seats": 2}),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    assert_eq!(second.body["position"], 2);

    // More seats than the departure has, an unknown departure.
    let too_many = join(
        &h,
        &agent,
        &departure,
        json!({"customer": {"name": "韩梅梅", "phone": "13700000003"}, "seats": 3}),
    )
    .await;
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_many.text
    );
    let unknown = join(
        &h,
        &agent,
        "01938f8e-0000-7000-8000-000000000009",
        json!({"customer_id": first.body["customer_id"], "seats": 1}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);

    // Cancelling the booking frees its 2 seats: first fit in order offers 王芳 her 1 seat;
    // 李雷's party of 2 does not fit in the 1 seat left and keeps its place.
    let cancelled = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);

    let list = h
        .get(&format!("/api/v1/departures/{departure}/waitlist"), &agent)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let states: Vec<(&str, &str)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["customer"].as_str().unwrap(),
                e["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("王*", "offered"), ("李*", "waiting")]);
    assert_eq!(list.body["more"], false);
    // Paged like every list: the declared bounds (the generic probes of tests/openapi.rs
    // skip lists under a record).
    let page = |q: &str| format!("/api/v1/departures/{departure}/waitlist?{q}");
    for bad in ["limit=0", "limit=201", "offset=2147483648"] {
        let r = h.get(&page(bad), &agent).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    }
    let one = h.get(&page("limit=1&offset=1"), &agent).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(
        (
            one.body["items"][0]["position"].clone(),
            one.body["more"].clone()
        ),
        (json!(2), json!(false))
    );
    let head = h.get(&page("limit=1"), &agent).await;
    assert_eq!(head.body["more"], true, "{}", head.text);

    // The customer offered seats is told, in the cancellation's transaction.
    let wang_id: uuid::Uuid = first.body["customer_id"].as_str().unwrap().parse().unwrap();
    let mut r = h.store.store.read().await.unwrap();
    let told = r
        .list_messages(&MessageFilter {
            customer_id: Some(wang_id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(told.len(), 1, "one message to the customer offered seats");
    let m = &told[0];
    assert_eq!(
        (m.channel.as_str(), m.recipient.as_str(), m.event.as_deref()),
        ("email", "wang.fang@example.com", Some("waitlist.offered"))
    );
    assert!(m.subject.contains("黄山宏村二日游"), "{}", m.subject);
    assert!(
        m.body_text.contains(&day(&h, 40).to_string())
            && m.body_text.contains("1 个座位")
            && m.body_text.contains("联系我们"),
        "{}",
        m.body_text
    );
    let li_id: uuid::Uuid = second.body["customer_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let not_told = r
        .list_messages(&MessageFilter {
            customer_id: Some(li_id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(not_told.is_empty(), "a party that does not fit is not told");
}

/// Posts a form as a signed-in browser.
async fn post(h: &Harness, uri: &str, cookie: &str, csrf: &str, fields: &[(&str, &str)]) -> Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("_csrf", csrf);
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

#[tokio::test]
async fn the_departures_calendar_shows_the_waitlist_and_its_join_form() {
    let h = harness().await;
    let (admin, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let departure = tour(&h, &admin, 1).await;
    book_seats(&h, &agent, &departure, 1).await;
    let month = day(&h, 40).strftime("%Y-%m").to_string();
    let (cookie, csrf) = h.session("li.na").await;
    let page = h
        .call(
            Method::GET,
            &format!("/bookings/departures?month={month}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let action = format!("/bookings/departures/{departure}/waitlist");
    assert!(
        page.text.contains(&action),
        "a sold-out departure offers the form"
    );
    assert!(page.text.contains("还没有人候补"));

    // No phone: the form comes back with what was typed and the message beside the field.
    let refused = post(
        &h,
        &action,
        &cookie,
        &csrf,
        &[
            ("month", &month),
            ("customer.name", "王芳"),
            ("customer.phone", ""),
            ("seats", "1"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("value=\"王芳\""), "the name is kept");
    assert!(refused.text.contains("id=\"form-errors\""));
    assert!(
        refused.text.contains("id=\"customer_phone\""),
        "the error links reach the field"
    );

    let done = post(
        &h,
        &action,
        &cookie,
        &csrf,
        &[
            ("month", &month),
            ("customer.name", "王芳"),
            ("customer.phone", "13700000001"),
            ("seats", "1"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let to = done.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        to.starts_with(&format!("/bookings/departures?month={month}")),
        "{to}"
    );

    let after = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert!(
        after.text.contains("排第 1 位"),
        "the notice names the place"
    );
    assert!(after.text.contains("王*") && after.text.contains("候补中"));
    assert!(!after.text.contains("13700000001"));
    assert!(
        after
            .text
            .contains("<td class=\"num\">1</td><td class=\"guide-cell\">"),
        "the waiting count"
    );

    // Twice: refused in the page's language, as typed.
    let twice = post(
        &h,
        &action,
        &cookie,
        &csrf,
        &[
            ("month", &month),
            ("customer.name", "王芳"),
            ("customer.phone", "13700000001"),
            ("seats", "1"),
        ],
    )
    .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.text
    );
    assert!(
        twice.text.contains("该客户已在此团期的候补名单上"),
        "{}",
        twice.text
    );
}
