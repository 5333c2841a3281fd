//! The manual-handling list (issue 15 item 3) on SQLite or PostgreSQL
//! (`TRIPDESK_TEST_DATABASE_URL`): of ten bookings around 2027-03-10 — stays arriving,
//! leaving, in the house, the next day's, one cancelled; holds within the week and beyond it;
//! a tour leaving that day and one returning — the list of the day holds exactly those
//! arriving, departing and pending; with no day given it is today in China's time zone
//! (00:30 in Shanghai is still the previous day in UTC); the agent sees names and masked
//! phones, the supervisor full phones with one audit entry; the page and the PDF (read by
//! pdftotext) show every booking.

mod common;

use axum::http::{header, StatusCode};
use common::bookings::{homestay, id, nodes, Nodes};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tower::ServiceExt;
use tripdesk_store::{AuditFilter, DayList};
use uuid::Uuid;

/// Books `lines` for a new customer, confirmed or held, paid in full or not: the booking.
async fn book(
    n: &Nodes,
    agent: &str,
    name: &str,
    phone: &str,
    lines: Value,
    confirm: bool,
    pay: bool,
) -> Value {
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": {"name": name, "phone": phone}, "lines": lines, "confirm": confirm}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let booking = r.body.clone();
    if pay {
        let total = booking["total_fen"].as_i64().unwrap();
        let paid = n
            .post(
                &format!("/api/v1/bookings/{}/payments", id(&r)),
                agent,
                json!({"method": "cash", "amount_fen": total}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    }
    booking
}

fn room(r: &str, from: &str, to: &str) -> Value {
    json!([{"room_id": r, "check_in": from, "check_out": to}])
}

fn seats(departure: &str) -> Value {
    json!([{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}])
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_days_list_holds_exactly_its_arrivals_departures_and_pending_bookings() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &boss, 6).await;
    // A two-day tour: leaving 2027-03-10, and one leaving 03-09 (back on 03-10).
    let package = id(&n
        .post(
            "/api/v1/products",
            &boss,
            json!({"name": "黄山宏村二日游", "destination": "黄山", "keywords": [],
                   "scope": "domestic", "tags": ["sightseeing"],
                   "accessibility": {"wheelchair": false, "easy_walking": false}, "diets": [],
                   "itinerary": [{"day": 1, "title": "合肥—宏村", "description": "宏村"},
                                 {"day": 2, "title": "黄山", "description": "西海大峡谷"}],
                   "inclusions": [], "exclusions": [], "fees": [],
                   "accommodation": "标准间", "transport": "大巴", "meals": "1早2正", "notes": ""}),
        )
        .await);
    let departure = |date: &'static str| {
        let n = &n;
        let boss = boss.clone();
        let package = package.clone();
        async move {
            id(&n
                .post(
                    "/api/v1/departures",
                    &boss,
                    json!({"package_id": package, "date": date, "seats": 20, "min_group": 1,
                           "go_no_go": "2027-03-02", "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                           "meeting_time": "07:00", "meeting_point": "合肥南站北广场"}),
                )
                .await)
        }
    };
    let (leaving, returning) = (departure("2027-03-10").await, departure("2027-03-09").await);

    let a = book(
        &n,
        &agent,
        "王芳",
        "13700000001",
        room(&rooms[0], "2027-03-10", "2027-03-13"),
        true,
        false,
    )
    .await;
    let b = book(
        &n,
        &agent,
        "李雷",
        "13700000002",
        room(&rooms[1], "2027-03-07", "2027-03-10"),
        true,
        true,
    )
    .await;
    let c = book(
        &n,
        &agent,
        "韩梅梅",
        "13700000003",
        room(&rooms[2], "2027-03-09", "2027-03-12"),
        true,
        true,
    )
    .await;
    let d = book(
        &n,
        &agent,
        "赵磊",
        "13700000004",
        room(&rooms[3], "2027-03-10", "2027-03-11"),
        true,
        false,
    )
    .await;
    let e = book(
        &n,
        &agent,
        "周杰",
        "13700000005",
        room(&rooms[4], "2027-03-11", "2027-03-12"),
        true,
        true,
    )
    .await;
    let f = book(
        &n,
        &agent,
        "吴敏",
        "13700000006",
        room(&rooms[5], "2027-03-15", "2027-03-16"),
        false,
        false,
    )
    .await;
    let g = book(
        &n,
        &agent,
        "郑爽",
        "13700000007",
        room(&rooms[5], "2027-03-20", "2027-03-21"),
        false,
        false,
    )
    .await;
    let h = book(
        &n,
        &agent,
        "孙丽",
        "13700000008",
        seats(&leaving),
        true,
        false,
    )
    .await;
    let i = book(
        &n,
        &agent,
        "钱进",
        "13700000009",
        seats(&returning),
        true,
        true,
    )
    .await;
    let cancelled = n
        .post(
            &format!("/api/v1/bookings/{}/cancel", d["id"].as_str().unwrap()),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);

    // 00:30 on 2027-03-10 in Shanghai: still 03-09 in UTC.
    n.clock.set("2027-03-09T16:30:00Z".parse().unwrap());
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let as_agent = n.app.authenticate(&agent).await.unwrap();
    let list = n.app.manual_list(&as_agent, None, None).await.unwrap();
    assert_eq!(
        list.day.to_string(),
        "2027-03-10",
        "today in China's time zone"
    );
    let ids = |v: &[&Value]| -> BTreeSet<Uuid> {
        v.iter()
            .map(|b| b["id"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let listed = |l: DayList| -> BTreeSet<Uuid> {
        list.sections
            .iter()
            .find(|s| s.list == l)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.booking_id)
            .collect()
    };
    assert_eq!(
        listed(DayList::Arriving),
        ids(&[&a, &h]),
        "checking in, the tour leaving"
    );
    assert_eq!(
        listed(DayList::Departing),
        ids(&[&b, &i]),
        "checking out, the tour back"
    );
    assert_eq!(
        listed(DayList::Pending),
        ids(&[&a, &f, &h]),
        "unpaid from today, held within the week; not the hold of 03-20, not the paid"
    );
    let _ = (&c, &e, &g); // in the house, tomorrow's, beyond the week: on no list
    for s in &list.sections {
        assert_eq!(s.total, s.rows.len() as u64);
    }
    // The day before (UTC's date) is another list: B is still in the house then.
    let before = n
        .app
        .manual_list(&as_agent, Some("2027-03-09".parse().unwrap()), None)
        .await
        .unwrap();
    let arriving_before: BTreeSet<Uuid> = before.sections[0]
        .rows
        .iter()
        .map(|r| r.booking_id)
        .collect();
    assert_eq!(arriving_before, ids(&[&c, &i]));

    // What a row says: the agent sees the name and a masked phone, what is due.
    let row_a = list.sections[0]
        .rows
        .iter()
        .find(|r| r.booking_id.to_string() == a["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(row_a.customer.as_deref(), Some("王芳"));
    let phone = row_a.phone.clone().unwrap();
    assert!(
        phone.contains('*') && !phone.contains("13700000001"),
        "{phone}"
    );
    assert_eq!(row_a.due_fen, a["total_fen"].as_i64().unwrap());
    assert_eq!(row_a.party, 1);
    assert!(
        row_a.items[0].contains("2027-03-10→2027-03-13"),
        "{:?}",
        row_a.items
    );
    let row_h = list.sections[0]
        .rows
        .iter()
        .find(|r| r.booking_id.to_string() == h["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(row_h.party, 2);
    assert!(
        row_h.items[0].starts_with("黄山宏村二日游 · 2027-03-10"),
        "{:?}",
        row_h.items
    );

    // The supervisor prints full phones: one audit entry for the list.
    let as_boss = n.app.authenticate(&boss).await.unwrap();
    let full = n.app.manual_list(&as_boss, None, None).await.unwrap();
    assert!(full.phones_revealed);
    assert!(full.sections[0]
        .rows
        .iter()
        .any(|r| r.phone.as_deref() == Some("+8613700000001")
            || r.phone.as_deref() == Some("13700000001")));
    {
        let mut tx = n.app.store.read().await.unwrap();
        let audit = tx
            .list_audit(&AuditFilter {
                entity_type: Some("booking_manual_list".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "the agent's masked list is not a reveal");
        assert_eq!(audit[0].entity_id.as_deref(), Some("2027-03-10"));
    }

    // The page and the PDF.
    let (cookie, _) = n.session("li.na").await;
    let page = n.page("/bookings/manual-list", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    for name in ["王芳", "李雷", "吴敏", "孙丽", "钱进"] {
        assert!(page.text.contains(name), "{name} on the page");
    }
    for name in ["韩梅梅", "赵磊", "周杰", "郑爽"] {
        assert!(!page.text.contains(name), "{name} not on the page");
    }
    assert!(page
        .text
        .contains("href=\"/bookings/manual-list.pdf?date=2027-03-10\""));
    let req = axum::http::Request::builder()
        .uri("/bookings/manual-list.pdf?date=2027-03-10")
        .header("cookie", &cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = n.a.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/pdf");
    let pdf = res.into_body().collect().await.unwrap().to_bytes();
    // Narrow columns wrap a number over two lines: compare without the breaks.
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    for b in [&a, &b, &h, &i] {
        let no = b["confirmation_no"].as_str().unwrap();
        assert!(text.contains(no), "{no} in the PDF: {text}");
    }
    assert!(
        text.contains("人工处理名单") && text.contains("王芳") && !text.contains("郑爽"),
        "{text}"
    );

    // A system failure's board links its "switch to manual handling" item to the list.
    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "system_failure", "level": "general", "title": "预订系统故障",
                   "scope": {"regions": ["大理"], "from": "2027-03-10", "to": "2027-03-10"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let incident = declared.body["incident"]["id"].as_str().unwrap();
    let (cookie, _) = n.session("zhao.min").await;
    let board = n.page(&format!("/incidents/{incident}"), &cookie).await;
    assert_eq!(board.status, StatusCode::OK);
    let item = board
        .text
        .split("切换人工处理")
        .nth(1)
        .expect("the manual handling item");
    assert!(
        item.split("</li>")
            .next()
            .unwrap()
            .contains("href=\"/bookings/manual-list\""),
        "{item}"
    );
    let list = n.page("/bookings", &cookie).await;
    assert!(
        list.text.contains("href=\"/bookings/manual-list\""),
        "linked from the bookings list"
    );
}
