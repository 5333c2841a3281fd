//! The bookings pages in process (issue 14 item 3): the room-status grid shows held and
//! booked nights and links a free night to the booking form; the form comes back as typed
//! with each field's message, answers a taken room with alternatives, and books through
//! post/redirect/get; a role that may not book is refused; a post needs the CSRF token.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{harness, Harness, Reply};
use jiff::civil::Date;
use serde_json::{json, Value};
use tripdesk_store::NightUse;

/// A property with three rooms (201, 202, 203) made through the API by a supervisor; the
/// room ids in order.
async fn homestay(h: &Harness) -> Vec<String> {
    let admin = h.token("zhao.min").await;
    let id = |r: Reply| {
        assert!(r.status.is_success(), "{}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    };
    let property = id(h
        .api(
            Method::POST,
            "/api/v1/properties",
            &admin,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let room_type = id(h
        .api(
            Method::POST,
            &format!("/api/v1/properties/{property}/room-types"),
            &admin,
            json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                   "facilities": ["独立卫浴"], "accessibility": {"wheelchair": false, "easy_walking": true},
                   "base_rate": 48000, "weekend_rate": 58000, "holiday_rate": 88000}),
        )
        .await);
    let mut rooms = Vec::new();
    for i in 0..3 {
        rooms.push(id(h
            .api(
                Method::POST,
                "/api/v1/rooms",
                &admin,
                json!({"room_type_id": room_type, "label": format!("{}", 201 + i), "position": i}),
            )
            .await));
    }
    rooms
}

fn day(h: &Harness, n: i64) -> Date {
    h.app
        .today()
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
}

/// A booking through the API: its id.
async fn book(h: &Harness, room: &str, from: Date, to: Date, confirm: bool) -> String {
    let agent = h.token("li.na").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张晓梅", "phone": "13812345678"},
                   "lines": [{"room_id": room, "check_in": from.to_string(), "check_out": to.to_string()}],
                   "confirm": confirm}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Posts a form as a signed-in browser (cookie and the CSRF token given).
async fn post(h: &Harness, uri: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
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

/// [`post`] to the booking form with owned values.
async fn send_form(h: &Harness, cookie: String, v: Vec<(&'static str, String)>) -> Reply {
    let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(h, "/bookings/new", &cookie, &refs).await
}

/// The cells of a grid page, in order: (state, link).
fn cells(html: &str) -> Vec<(String, Option<String>)> {
    html.split("<td class=\"cell s-")
        .skip(1)
        .map(|s| {
            let state = s[..s.find('"').unwrap()].to_string();
            let cell = &s[..s.find("</td>").unwrap()];
            let href = cell
                .split("href=\"")
                .nth(1)
                .map(|h| h[..h.find('"').unwrap()].replace("&#38;", "&"));
            (state, href)
        })
        .collect()
}

#[tokio::test]
async fn the_grid_shows_held_and_booked_nights_and_a_free_night_opens_the_form() {
    let h = harness().await;
    let rooms = homestay(&h).await;
    let held = book(&h, &rooms[0], day(&h, 2), day(&h, 4), false).await;
    let booked = book(&h, &rooms[1], day(&h, 3), day(&h, 4), true).await;

    // An OTA's imported block and a closure on room 203 (no page makes them yet).
    let mut tx = h.store.store.write().await.unwrap();
    let room3 = rooms[2].parse().unwrap();
    let ota = NightUse::Blocked {
        source: "airbnb".into(),
    };
    let closed = NightUse::Closed {
        source: "维修".into(),
    };
    assert!(tx
        .replace_blocks(room3, &ota, &[day(&h, 5)])
        .await
        .unwrap()
        .is_empty());
    assert!(tx
        .replace_blocks(room3, &closed, &[day(&h, 6)])
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();

    let page = h.ui_get("/bookings/rooms", "li.na").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("房态"), "the title is Chinese");
    for label in ["空房", "预留", "已订", "已入住", "OTA占用", "关房"] {
        assert!(page.text.contains(label), "the legend names {label}");
    }
    let grid = cells(&page.text);
    assert_eq!(grid.len(), 3 * 14, "three rooms × 14 nights by default");
    // Room 201: held on days 2 and 3; room 202: booked on day 3.
    assert_eq!(grid[2].0, "held");
    assert_eq!(grid[3].0, "held");
    assert_eq!(grid[4].0, "free");
    assert_eq!(
        grid[2].1.as_deref(),
        Some(format!("/bookings/{held}").as_str())
    );
    assert_eq!(grid[14 + 3].0, "booked");
    assert_eq!(
        grid[14 + 3].1.as_deref(),
        Some(format!("/bookings/{booked}").as_str())
    );
    assert!(grid[14 + 2].0 == "free" && grid[28].0 == "free");
    // Blocked and closed nights are marks, not links, and say where they came from.
    assert_eq!(grid[28 + 5], ("blocked".to_string(), None));
    assert_eq!(grid[28 + 6], ("closed".to_string(), None));
    assert!(page.text.contains("OTA占用 (airbnb)"));
    assert!(page.text.contains(">OTA</span>") && page.text.contains(">关</span>"));
    // A free night links to the form for its room and date, which comes prefilled.
    let free = grid[28].1.clone().unwrap();
    assert_eq!(
        free,
        format!("/bookings/new?room={}&check_in={}", rooms[2], day(&h, 0))
    );
    let form = h.ui_get(&free, "li.na").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .text
        .contains(&format!("<option value=\"{}\" selected>", rooms[2])));
    assert!(
        form.text.contains(&format!("value=\"{}\"", day(&h, 1))),
        "one night by default"
    );

    // The month window and the next stretch.
    let month = h.ui_get("/bookings/rooms?days=31", "li.na").await;
    assert_eq!(cells(&month.text).len(), 3 * 31);
    let later = h
        .ui_get(&format!("/bookings/rooms?from={}", day(&h, 14)), "li.na")
        .await;
    assert!(cells(&later.text).iter().all(|(s, _)| s == "free"));
    assert!(
        page.text.contains(&format!("from={}", day(&h, 14))),
        "下一段 links on"
    );
}

#[tokio::test]
async fn the_form_keeps_what_was_typed_books_and_names_alternatives_when_taken() {
    let h = harness().await;
    let rooms = homestay(&h).await;
    let (cookie, csrf) = h.session("li.na").await;
    let (d5, d6) = (day(&h, 5).to_string(), day(&h, 6).to_string());
    let fields = |name: &'static str, phone: &'static str, room: String, out: String| {
        vec![
            ("_csrf", csrf.clone()),
            ("customer.name", name.to_string()),
            ("customer.phone", phone.to_string()),
            ("room", room),
            ("check_in", d5.clone()),
            ("check_out", out),
            ("hold", "checkout".to_string()),
            ("hold_minutes", "30".to_string()),
            ("hold_days", "3".to_string()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| send_form(&h, cookie.clone(), v);

    // Check-out on the check-in day: 422, everything as typed, the message beside the field.
    let r = send(fields(
        "王小明",
        "13912345678",
        rooms[0].clone(),
        d5.clone(),
    ))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("value=\"王小明\""));
    assert!(r.text.contains("value=\"13912345678\""));
    assert!(r
        .text
        .contains(&format!("<option value=\"{}\" selected>", rooms[0])));
    assert!(r.text.contains("离店日期须晚于入住日期。"), "{}", r.text);
    assert!(r.text.contains("href=\"#check_out\""));
    // An unreadable phone and no room chosen.
    let r = send(fields("王小明", "12ab", String::new(), d6.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请选择房间。"));
    assert!(r.text.contains("value=\"12ab\""));
    let r = send(fields("王小明", "12ab", rooms[0].clone(), d6.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("href=\"#customer_phone\""), "{}", r.text);
    assert!(
        r.text.contains("手机号"),
        "the message names the form's label"
    );

    // Booked: 303 to the booking's page, which shows it held with the flash.
    let r = send(fields(
        "王小明",
        "13912345678",
        rooms[0].clone(),
        d6.clone(),
    ))
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with("/bookings/"), "{to}");
    let page = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("预订已创建。"));
    assert!(page.text.contains("data-state=\"held\""));
    assert!(page.text.contains("¥480") || page.text.contains("¥580") || page.text.contains("¥880"));
    assert!(page.text.contains("departure-notice.pdf"));
    assert!(
        page.text.contains("/confirm\""),
        "a held booking offers 确认"
    );

    // The same room again: 409, as typed, with the other free rooms as links.
    let r = send(fields("李四", "13712345678", rooms[0].clone(), d6.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("value=\"李四\""));
    assert!(r.text.contains("已被占用"));
    assert!(r.text.contains(&format!(
        "href=\"/bookings/new?room={}&#38;check_in={d5}&#38;check_out={d6}\"",
        rooms[1]
    )));

    // Confirming from the page issues the confirmation number.
    let id = to
        .trim_start_matches("/bookings/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = post(
        &h,
        &format!("/bookings/{id}/confirm"),
        &cookie,
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h
        .call(
            Method::GET,
            &format!("/bookings/{id}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(page.text.contains("data-state=\"confirmed\""));
    assert!(page.text.contains("<span class=\"mono\">TD"));
    // Cancelling needs its confirmation box: without it nothing happens.
    let cancel = format!("/bookings/{id}/cancel");
    let r = post(
        &h,
        &cancel,
        &cookie,
        &[("_csrf", &csrf), ("cause", "customer")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = h
        .call(Method::GET, &back, &[("cookie", &cookie)], None)
        .await;
    assert!(page.text.contains("请先勾选"), "the refusal is shown");
    assert!(page.text.contains("data-state=\"confirmed\""));
    // The list shows it, newest first.
    let list = h.ui_get("/bookings?state=confirmed", "li.na").await;
    assert!(list.text.contains(&format!("/bookings/{id}")));
    let none = h.ui_get("/bookings?state=expired", "li.na").await;
    assert!(none.text.contains("没有预订。"));
}

#[tokio::test]
async fn a_role_that_may_not_book_is_refused_and_a_post_needs_its_token() {
    let h = harness().await;
    let rooms = homestay(&h).await;
    // A handler views the grid but may not book (no make_bookings).
    let grid = h.ui_get("/bookings/rooms", "wang.qiang").await;
    assert_eq!(grid.status, StatusCode::OK);
    let nights = cells(&grid.text);
    assert_eq!(nights.len(), 3 * 14);
    assert!(
        nights.iter().all(|(_, href)| href.is_none()),
        "no free night offers the form to someone who may not book"
    );
    let form = h.ui_get("/bookings/new", "wang.qiang").await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    let (cookie, csrf) = h.session("wang.qiang").await;
    let d = day(&h, 5).to_string();
    let out = day(&h, 6).to_string();
    let typed = |token: &str| -> Vec<(&'static str, String)> {
        vec![
            ("_csrf", token.to_string()),
            ("customer.name", "王小明".into()),
            ("customer.phone", "13912345678".into()),
            ("room", rooms[0].clone()),
            ("check_in", d.clone()),
            ("check_out", out.clone()),
            ("hold", "confirm".into()),
        ]
    };
    let v = typed(&csrf);
    let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&h, "/bookings/new", &cookie, &refs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // An agent's post without the token (or with another) books nothing.
    let (cookie, _) = h.session("li.na").await;
    for token in ["", "not-the-token"] {
        let v = typed(token);
        let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&h, "/bookings/new", &cookie, &refs).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{token:?}: {}", r.text);
    }
    let agent = h.token("li.na").await;
    let list: Value = h.get("/api/v1/bookings", &agent).await.body;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test]
async fn a_payment_is_recorded_from_the_booking_page_and_a_refused_one_keeps_what_was_typed() {
    let h = harness().await;
    let rooms = homestay(&h).await;
    let booking = book(&h, &rooms[0], day(&h, 3), day(&h, 5), true).await;
    let (cookie, csrf) = h.session("li.na").await;
    let page_uri = format!("/bookings/{booking}");
    let page = |cookie: String| {
        let (h, uri) = (&h, page_uri.clone());
        async move {
            h.call(Method::GET, &uri, &[("cookie", &cookie)], None)
                .await
        }
    };
    let before = page(cookie.clone()).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains("登记收款"), "{}", before.text);
    let uri = format!("/bookings/{booking}/payments");

    // Three decimals: 422, the page again with everything as typed and the error beside it.
    let r = post(
        &h,
        &uri,
        &cookie,
        &[
            ("_csrf", &csrf),
            ("method", "alipay"),
            ("amount", "12.345"),
            ("reference", "2027AP0001"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("value=\"12.345\""), "{}", r.text);
    assert!(r.text.contains("value=\"2027AP0001\""));
    assert!(r.text.contains("<option value=\"alipay\" selected>"));
    assert!(r.text.contains("class=\"field-error\""));

    // ¥300 by Alipay: recorded, back to the page with the notice and the new figures.
    let r = post(
        &h,
        &uri,
        &cookie,
        &[
            ("_csrf", &csrf),
            ("method", "alipay"),
            ("amount", "300"),
            ("reference", "2027AP0001"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = page(cookie.clone()).await;
    assert!(after.text.contains("¥300"), "{}", after.text);
    let agent = h.token("li.na").await;
    let money = h
        .get(&format!("/api/v1/bookings/{booking}/payments"), &agent)
        .await;
    assert_eq!(
        money.body["payments"][0]["amount_fen"], 30000,
        "{}",
        money.text
    );

    // The same transaction number again: refused beside the number, nothing recorded twice.
    let r = post(
        &h,
        &uri,
        &cookie,
        &[
            ("_csrf", &csrf),
            ("method", "alipay"),
            ("amount", "300"),
            ("reference", "2027AP0001"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("value=\"2027AP0001\""));
    let money = h
        .get(&format!("/api/v1/bookings/{booking}/payments"), &agent)
        .await;
    assert_eq!(money.body["payments"].as_array().unwrap().len(), 1);
}

/// A package with two departures (3 seats in 30 days, 5 seats in 37), made by a supervisor:
/// their ids.
async fn tour(h: &Harness) -> (String, String) {
    let admin = h.token("zhao.min").await;
    let post = |uri: &'static str, body: Value| {
        let (h, admin) = (h, admin.clone());
        async move {
            let r = h.api(Method::POST, uri, &admin, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let package = post(
        "/api/v1/products",
        json!({"name": "黄山宏村二日游", "destination": "黄山", "keywords": ["西海大峡谷"],
               "scope": "domestic", "tags": ["sightseeing"],
               "accessibility": {"wheelchair": false, "easy_walking": false}, "diets": [],
               "itinerary": [{"day": 1, "title": "合肥—宏村", "description": "宏村"},
                             {"day": 2, "title": "黄山", "description": "西海大峡谷"}],
               "inclusions": ["往返大巴"], "exclusions": ["索道"], "fees": [],
               "accommodation": "标准间", "transport": "大巴", "meals": "1早2正", "notes": ""}),
    )
    .await;
    let departure = |days: i64, seats: u32| {
        json!({"package_id": package, "date": day(h, days).to_string(), "seats": seats,
               "min_group": 1, "go_no_go": day(h, days - 10).to_string(),
               "prices": {"adult": 128000, "child": 68000, "senior": 98000},
               "meeting_time": "07:00", "meeting_point": "合肥南站北广场"})
    };
    let first = post("/api/v1/departures", departure(30, 3)).await;
    let later = post("/api/v1/departures", departure(37, 5)).await;
    (first, later)
}

#[tokio::test]
async fn seats_are_booked_from_the_departures_calendar_and_a_full_one_names_the_next() {
    let h = harness().await;
    let (first, later) = tour(&h).await;
    let (cookie, csrf) = h.session("li.na").await;
    let get = |uri: String| {
        let (h, cookie) = (&h, cookie.clone());
        async move {
            h.call(Method::GET, &uri, &[("cookie", &cookie)], None)
                .await
        }
    };
    let month = day(&h, 30).strftime("%Y-%m").to_string();
    let calendar = get(format!("/bookings/departures?month={month}")).await;
    assert_eq!(calendar.status, StatusCode::OK);
    assert!(
        calendar
            .text
            .contains(&format!("href=\"/bookings/new?departure={first}\"")),
        "the calendar links a departure with seats to the form"
    );
    let form = get(format!("/bookings/new?departure={first}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("黄山宏村二日游"));
    assert!(form.text.contains("¥1,280"), "adult price shown");
    assert!(form.text.contains("data-seats-left=\"3\""));
    let fields = |adults: &str, children: &str, seniors: &str, phone: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("departure", first.clone()),
            ("customer.name", "刘洋".to_string()),
            ("customer.phone", phone.to_string()),
            ("adults", adults.to_string()),
            ("children", children.to_string()),
            ("seniors", seniors.to_string()),
            ("hold", "confirm".to_string()),
            ("hold_minutes", "30".to_string()),
            ("hold_days", "3".to_string()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| send_form(&h, cookie.clone(), v);

    // Nobody travelling: 422, the form as typed with the message beside the adults.
    let r = send(fields("0", "0", "0", "13812340001")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("请至少填写 1 位出行人。"), "{}", r.text);
    assert!(r.text.contains("value=\"13812340001\""));
    assert!(
        r.text.contains("黄山宏村二日游"),
        "still the departure's form"
    );

    // Two adults and a senior: confirmed, the three seats taken.
    let r = send(fields("2", "0", "1", "13812340001")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let agent = h.token("li.na").await;
    let dep = h.get(&format!("/api/v1/departures/{first}"), &agent).await;
    assert_eq!(dep.body["seats_left"], 0, "{}", dep.text);

    // One more: sold out, and the answer links the form of the later departure.
    let r = send(fields("1", "0", "0", "13812340002")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text
            .contains(&format!("href=\"/bookings/new?departure={later}\"")),
        "{}",
        r.text
    );
}
