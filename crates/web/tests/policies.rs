//! Products' cancellation policies as dated data (issue 14 item 6), through the API: a
//! version effective tomorrow does not apply to a booking confirmed today; a cancellation is
//! refunded by the product's own tiers, which the refund's explanation shows; a later version
//! does not change what an existing booking is refunded; a room type's own preset wins over
//! its property's; versions are refused field by field.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness_with_clock, Harness, Reply};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

/// 2027-03-01 10:00 in Shanghai.
const NOW: &str = "2027-03-01T02:00:00Z";

async fn setup() -> (Harness, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    (harness_with_clock(clock.clone()).await, clock)
}

fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A domestic package with one departure on 2027-05-01 (adult 1,280 yuan); (package, departure).
async fn tour(h: &Harness, admin: &str) -> (String, String) {
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
    let departure = id(&h
        .api(
            Method::POST,
            "/api/v1/departures",
            admin,
            json!({"package_id": package, "date": "2027-05-01", "seats": 30, "min_group": 1,
                   "go_no_go": "2027-04-20", "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                   "meeting_time": "07:00", "meeting_point": "合肥南站北广场"}),
        )
        .await);
    (package, departure)
}

/// A confirmed booking of one adult on `departure`.
async fn book_seat(h: &Harness, agent: &str, departure: &str, phone: &str) -> Value {
    let r = h
        .api(
            Method::POST,
            "/api/v1/bookings",
            agent,
            json!({"customer": {"name": "张晓梅", "phone": phone},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 1, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "confirmed");
    r.body
}

async fn add_policy(h: &Harness, token: &str, path: &str, body: Value) -> Reply {
    h.api(Method::POST, path, token, body).await
}

fn tiers(v: &[(u32, f64)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(d, p)| json!({"days_before": d, "percent": p}))
            .collect(),
    )
}

#[tokio::test]
async fn a_version_effective_tomorrow_does_not_apply_to_a_booking_confirmed_today() {
    let (h, clock) = setup().await;
    let (sup, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let (package, departure) = tour(&h, &sup).await;
    let policies = format!("/api/v1/products/{package}/policies");
    let r = add_policy(
        &h,
        &sup,
        &policies,
        json!({"name": "黄山线路退改规则（明日起）", "effective_from": "2027-03-02",
               "tiers": tiers(&[(30, 0.0), (0, 90.0)])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["subject"], json!({"type": "package", "id": package}));
    assert_eq!(r.body["tiers"][1]["label_zh"], "出发前29日至出发当日：90%");

    // Today the package has no version in force: the 2014 model contract applies.
    let list = h.get(&policies, &agent).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["in_force"]["source"], "default");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let today = book_seat(&h, &agent, &departure, "13800138001").await;
    assert_eq!(today["policy"], "团队境内旅游合同（示范文本）GF-2014-2401");
    assert_eq!(today["policy_effective_from"], "2027-03-01");

    // Tomorrow it does (signed in again: a day outlives the session).
    clock.advance(SignedDuration::from_hours(24));
    let agent = h.token("li.na").await;
    let list = h.get(&policies, &agent).await;
    assert_eq!(list.body["in_force"]["source"], "own");
    assert_eq!(list.body["in_force"]["version_id"], r.body["id"]);
    let tomorrow = book_seat(&h, &agent, &departure, "13800138002").await;
    assert_eq!(tomorrow["policy"], "黄山线路退改规则（明日起）");
    assert_eq!(tomorrow["policy_effective_from"], "2027-03-02");
    // And yesterday's booking still holds the policy of its day.
    let again = h
        .get(
            &format!("/api/v1/bookings/{}", today["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(
        again.body["policy"],
        "团队境内旅游合同（示范文本）GF-2014-2401"
    );
}

#[tokio::test]
async fn a_refund_follows_the_products_own_tiers_and_a_later_version_changes_no_booking() {
    let (h, clock) = setup().await;
    let (sup, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let (package, departure) = tour(&h, &sup).await;
    let policies = format!("/api/v1/products/{package}/policies");
    let v1 = add_policy(
        &h,
        &sup,
        &policies,
        json!({"name": "黄山线路 2027 版", "effective_from": "2027-03-01",
               "tiers": tiers(&[(20, 0.0), (10, 15.0), (3, 35.0), (0, 80.0)])}),
    )
    .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.text);
    let booking = book_seat(&h, &agent, &departure, "13800138003").await;
    let booking_id = booking["id"].as_str().unwrap().to_string();
    assert_eq!(booking["policy"], "黄山线路 2027 版");
    let paid = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking_id}/payments"),
            &agent,
            json!({"method": "alipay", "amount_fen": 128000, "reference": "2027030122001"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);

    // A later version, in force at once: stricter.
    let v2 = add_policy(
        &h,
        &sup,
        &policies,
        json!({"name": "黄山线路 2027 版（修订）", "effective_from": "2027-03-01",
               "tiers": tiers(&[(20, 0.0), (0, 100.0)])}),
    )
    .await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.text);
    let list = h.get(&policies, &agent).await;
    assert_eq!(list.body["in_force"]["version_id"], v2.body["id"]);
    let ids: Vec<&Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["id"])
        .collect();
    assert_eq!(ids, [&v2.body["id"], &v1.body["id"]], "newest first");
    assert_eq!(
        book_seat(&h, &agent, &departure, "13800138004").await["policy"],
        "黄山线路 2027 版（修订）",
        "new bookings get the new version"
    );

    // Six days before departure the first booking is cancelled: its own tier of its version
    // (3–9 days: 35 %), not the revision's 100 %, nor the model contract's 20 %.
    clock.set("2027-04-25T02:00:00Z".parse().unwrap());
    let agent = h.token("li.na").await;
    let cancelled = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking_id}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    let refund = &cancelled.body["refund"]["computation"];
    assert_eq!(refund["days_before"], 6);
    assert_eq!(refund["withheld_fen"], 44800);
    assert_eq!(refund["refund_fen"], 83200);
    let lines: Vec<&str> = refund["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label_zh"].as_str().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "已付金额",
            "旅游者出发前9日至3日取消，扣除旅游费用总额1280.00元的35%"
        ]
    );
}

#[tokio::test]
async fn a_room_types_own_preset_wins_over_its_propertys() {
    let (h, clock) = setup().await;
    let (sup, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let property = id(&h
        .api(
            Method::POST,
            "/api/v1/properties",
            &sup,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let mut types = Vec::new();
    for name in ["海景大床房", "庭院双床房"] {
        types.push(id(&h
            .api(
                Method::POST,
                &format!("/api/v1/properties/{property}/room-types"),
                &sup,
                json!({"property_id": property, "name": name, "max_occupancy": 2,
                       "facilities": ["独立卫浴"],
                       "accessibility": {"wheelchair": false, "easy_walking": true},
                       "base_rate": 48000}),
            )
            .await));
    }
    let mut rooms = Vec::new();
    for (i, t) in types.iter().enumerate() {
        rooms.push(id(&h
            .api(
                Method::POST,
                "/api/v1/rooms",
                &sup,
                json!({"room_type_id": t, "label": format!("{}", 201 + i), "position": i}),
            )
            .await));
    }
    let whole = add_policy(
        &h,
        &sup,
        &format!("/api/v1/properties/{property}/policies"),
        json!({"name": "全店不可退", "effective_from": "2027-03-01",
               "lodging": {"preset": "non_refundable"}}),
    )
    .await;
    assert_eq!(whole.status, StatusCode::CREATED, "{}", whole.text);
    let own = add_policy(
        &h,
        &sup,
        &format!("/api/v1/room-types/{}/policies", types[0]),
        json!({"name": "海景房入住前3天免费取消", "effective_from": "2027-03-01",
               "lodging": {"preset": "free_until", "days": 3, "then": "first_night"}}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);
    assert_eq!(
        own.body["lodging"],
        json!({"preset": "free_until", "days": 3, "then": "first_night"})
    );
    let other = h
        .get(&format!("/api/v1/room-types/{}/policies", types[1]), &agent)
        .await;
    assert_eq!(other.body["in_force"]["source"], "property");
    assert_eq!(other.body["in_force"]["policy"]["name"], "全店不可退");
    let all = h
        .get(&format!("/api/v1/properties/{property}/policies"), &agent)
        .await;
    assert_eq!(
        all.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        all.text
    );

    let mut bookings = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        let r = h
            .api(
                Method::POST,
                "/api/v1/bookings",
                &agent,
                json!({"customer": {"name": "李雷", "phone": format!("1390013800{i}")},
                       "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-12"}],
                       "confirm": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let b = r.body["id"].as_str().unwrap().to_string();
        h.api(
            Method::POST,
            &format!("/api/v1/bookings/{b}/payments"),
            &agent,
            json!({"method": "cash", "amount_fen": r.body["total_fen"]}),
        )
        .await;
        bookings.push((b, r.body["policy"].clone()));
    }
    assert_eq!(bookings[0].1, "海景房入住前3天免费取消");
    assert_eq!(bookings[1].1, "全店不可退");
    // Five days before check-in: free for the sea-view room, nothing back for the other.
    clock.set("2027-03-05T02:00:00Z".parse().unwrap());
    let agent = h.token("li.na").await;
    let mut refunds = Vec::new();
    for (b, _) in &bookings {
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/bookings/{b}/cancel"),
                &agent,
                json!({"cause": "customer"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        refunds.push(r.body["refund"]["computation"].clone());
    }
    assert_eq!(refunds[0]["withheld_fen"], 0);
    assert_eq!(
        refunds[0]["lines"][1]["label_zh"],
        "入住前5日取消（入住前3日及以上免费取消），不扣费"
    );
    assert_eq!(refunds[1]["refund_fen"], 0);
}

#[tokio::test]
async fn versions_are_refused_field_by_field() {
    let (h, _clock) = setup().await;
    let (sup, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    let (package, _) = tour(&h, &sup).await;
    let policies = format!("/api/v1/products/{package}/policies");
    let ok = |extra: Value| {
        let mut body = json!({"name": "黄山线路", "effective_from": "2027-03-01",
                              "tiers": tiers(&[(7, 0.0), (0, 50.0)])});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            ok(json!({"tiers": tiers(&[(3, 0.0), (7, 20.0), (0, 40.0)])})),
            "tiers[1].days_before",
            "order",
        ),
        (
            ok(json!({"tiers": tiers(&[(7, 0.0), (1, 20.0)])})),
            "tiers[1].days_before",
            "last_not_zero",
        ),
        (
            ok(json!({"tiers": tiers(&[(7, 0.0), (0, 120.0)])})),
            "tiers[1].percent",
            "range",
        ),
        (
            ok(json!({"tiers": tiers(&[(7, 30.0), (0, 20.0)])})),
            "tiers[1].percent",
            "decreasing",
        ),
        (
            ok(json!({"tiers": tiers(&[(7, 0.125), (0, 20.0)])})),
            "tiers[0].percent",
            "precision",
        ),
        (ok(json!({"tiers": []})), "tiers", "required"),
        (
            ok(json!({"agency_tiers": tiers(&[(3, 0.0)])})),
            "agency_tiers[0].days_before",
            "last_not_zero",
        ),
        (
            ok(json!({"effective_from": "2027-02-28"})),
            "effective_from",
            "past",
        ),
        (ok(json!({"name": " "})), "name", "required"),
        (
            ok(json!({"lodging": {"preset": "non_refundable"}})),
            "lodging",
            "not_lodging",
        ),
    ];
    for (body, field, code) in cases {
        let r = add_policy(&h, &sup, &policies, body.clone()).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {}",
            r.text
        );
    }
    let r = add_policy(
        &h,
        &sup,
        &policies,
        json!({"name": "x", "effective_from": "2027-03-01"}),
    )
    .await;
    assert_eq!(
        (field_of(&r), r.body["errors"][0]["code"].as_str()),
        ("tiers", Some("required"))
    );
    let r = add_policy(
        &h,
        &sup,
        &policies,
        ok(json!({"tiers": [{"days_before": 7, "percent": 0, "share": 1}]})),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Lodging takes a preset, not tiers.
    let property = id(&h
        .api(
            Method::POST,
            "/api/v1/properties",
            &sup,
            json!({"name": "云舍", "address": "大理", "phone": "0872-2461888",
                   "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let lodging = format!("/api/v1/properties/{property}/policies");
    let r = add_policy(&h, &sup, &lodging, ok(json!({}))).await;
    assert_eq!(
        (field_of(&r), r.body["errors"][0]["code"].as_str()),
        ("tiers", Some("not_tour"))
    );
    let r = add_policy(
        &h,
        &sup,
        &lodging,
        json!({"name": "云舍", "effective_from": "2027-03-01", "lodging": {"preset": "free_until"}}),
    )
    .await;
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["lodging.days", "lodging.then"], "{}", r.text);

    // Who may: an agent reads, only catalog managers add; no such product is 404.
    let r = add_policy(&h, &agent, &policies, ok(json!({}))).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = add_policy(
        &h,
        &sup,
        "/api/v1/products/01900000-0000-7000-8000-000000000000/policies",
        ok(json!({})),
    )
    .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    for _ in 0..3 {
        assert_eq!(
            add_policy(&h, &sup, &policies, ok(json!({}))).await.status,
            StatusCode::CREATED
        );
    }
    let page = h.get(&format!("{policies}?limit=2"), &agent).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(page.body["more"], true);
    let rest = h.get(&format!("{policies}?limit=2&offset=2"), &agent).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["more"], false);

    // Each version is audited with its figures.
    let admin = h.token("admin").await;
    let audit = h
        .get("/api/v1/audit?action=catalog.policy_add", &admin)
        .await;
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        3,
        "{}",
        audit.text
    );
    assert_eq!(audit.body["items"][0]["summary"]["terms"]["kind"], "tiers");
}

/// Posts a form as a signed-in browser.
async fn post_form(h: &Harness, uri: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
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

async fn page(h: &Harness, uri: &str, cookie: &str) -> Reply {
    h.call(Method::GET, uri, &[("cookie", cookie)], None).await
}

#[tokio::test]
async fn the_package_page_shows_the_policy_in_force_its_versions_and_adds_one() {
    let (h, _clock) = setup().await;
    let sup = h.token("zhao.min").await;
    let (package, _) = tour(&h, &sup).await;
    let uri = format!("/bookings/packages/{package}");
    let (cookie, csrf) = h.session("zhao.min").await;

    // No version yet: the 2014 model contract, tier by tier.
    let r = page(&h, &uri, &cookie).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("默认规则（尚未设置自有规则）"),
        "{}",
        r.text
    );
    assert!(r.text.contains("团队境内旅游合同（示范文本）GF-2014-2401"));
    assert!(r.text.contains("出发前 6 日至 4 日"));
    assert!(r.text.contains("还没有版本"));
    assert!(
        r.text.contains("policy-form"),
        "a catalog manager is offered the form"
    );
    // The departures calendar links to the page.
    let cal = page(&h, "/bookings/departures?month=2027-05", &cookie).await;
    assert!(cal
        .text
        .contains(&format!("href=\"/bookings/packages/{package}\"")));

    // Refused: tiers out of order and a percentage over 100, kept as typed, each message
    // beside its row.
    let action = format!("{uri}/policies");
    let bad = post_form(
        &h,
        &action,
        &cookie,
        &[
            ("_csrf", &csrf),
            ("name", "黄山线路 2027 春季版"),
            ("effective_from", "2027-03-02"),
            ("tiers.0.days_before", "7"),
            ("tiers.0.percent", "0"),
            ("tiers.1.days_before", "14"),
            ("tiers.1.percent", "20"),
            ("tiers.3.days_before", "0"),
            ("tiers.3.percent", "120"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text.contains("href=\"#tiers_1_days_before\""),
        "{}",
        bad.text
    );
    assert!(
        bad.text
            .contains("第 2 档 出发前（日）及以上：各档天数须从大到小排列。"),
        "{}",
        bad.text
    );
    assert!(
        bad.text.contains("href=\"#tiers_3_percent\""),
        "blank row 3 kept its number: {}",
        bad.text
    );
    assert!(bad.text.contains("value=\"黄山线路 2027 春季版\""));
    assert!(bad.text.contains("name=\"tiers.3.percent\" value=\"120\""));

    // Added for tomorrow: post/redirect/get with the flash; today still the default.
    let ok = post_form(
        &h,
        &action,
        &cookie,
        &[
            ("_csrf", &csrf),
            ("name", "黄山线路 2027 春季版"),
            ("effective_from", "2027-03-02"),
            ("tiers.0.days_before", "15"),
            ("tiers.0.percent", "0"),
            ("tiers.1.days_before", "7"),
            ("tiers.1.percent", "12.5"),
            ("tiers.2.days_before", "0"),
            ("tiers.2.percent", "60"),
            ("free_postponement", "yes"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let to = ok.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&uri), "{to}");
    let after = page(&h, &to, &cookie).await;
    assert!(
        after.text.contains("已新增退改规则版本。"),
        "{}",
        after.text
    );
    assert!(after.text.contains("默认规则（尚未设置自有规则）"));
    assert!(after.text.contains("data-state=\"scheduled\""));
    assert!(
        after.text.contains("出发前 14 日至 7 日：12.5%"),
        "{}",
        after.text
    );

    // An agent reads the page without the form; the English page is English.
    let (agent, _) = h.session("li.na").await;
    let r = page(&h, &uri, &agent).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("policy-form"));
    let en = page(&h, &uri, &format!("{agent}; tripdesk_lang=en")).await;
    assert!(
        en.text.contains("The default (no policy of its own yet)"),
        "{}",
        en.text
    );
    assert!(en.text.contains("6 to 4 days before departure"));
}

#[tokio::test]
async fn the_property_page_adds_a_room_types_own_preset() {
    let (h, _clock) = setup().await;
    let sup = h.token("zhao.min").await;
    let property = id(&h
        .api(
            Method::POST,
            "/api/v1/properties",
            &sup,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let room_type = id(&h
        .api(
            Method::POST,
            &format!("/api/v1/properties/{property}/room-types"),
            &sup,
            json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                   "facilities": ["独立卫浴"],
                   "accessibility": {"wheelchair": false, "easy_walking": true},
                   "base_rate": 48000}),
        )
        .await);
    let uri = format!("/bookings/properties/{property}");
    let (cookie, csrf) = h.session("zhao.min").await;
    let r = page(&h, &uri, &cookie).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text
            .contains("入住前 1 日及以上取消免费，之后扣除首晚房费"),
        "{}",
        r.text
    );

    // free_until without its days comes back beside the field.
    let action = format!("{uri}/policies");
    let fields = |days: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("applies_to", room_type.clone()),
            ("name", "海景房入住前3天免费取消".to_string()),
            ("effective_from", "2027-03-01".to_string()),
            ("lodging.kind", "free_until".to_string()),
            ("lodging.days", days.to_string()),
            ("lodging.then", "total".to_string()),
        ]
    };
    let (h, action, cookie) = (&h, &action, &cookie);
    let send = |v: Vec<(&'static str, String)>| async move {
        let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post_form(h, action, cookie, &pairs).await
    };
    let bad = send(fields("")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("href=\"#lodging_days\""), "{}", bad.text);
    assert!(
        bad.text.contains("请填写入住前（日）及以上免费取消。"),
        "{}",
        bad.text
    );
    let ok = send(fields("3")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let after = page(h, &uri, cookie).await;
    assert!(
        after
            .text
            .contains("入住前 3 日及以上取消免费，之后扣除全部房费"),
        "{}",
        after.text
    );
    assert!(
        after.text.contains("本产品自有规则"),
        "the room type's own: {}",
        after.text
    );
    assert!(after.text.contains("data-state=\"in_force\""));
    let api = h
        .get(&format!("/api/v1/room-types/{room_type}/policies"), &sup)
        .await;
    assert_eq!(api.body["in_force"]["source"], "own");
    assert_eq!(
        api.body["in_force"]["policy"]["name"],
        "海景房入住前3天免费取消"
    );
}
