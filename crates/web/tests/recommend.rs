//! Needs-based matching made reachable (issue 14 scope 4), against the real store (SQLite by
//! default, PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`): a small catalog made through the
//! API; `POST /api/v1/recommendations` answers at most three products, none breaking a hard
//! constraint (dates, seats or rooms for the whole party as the inventory stands, wheelchair,
//! diet), each with its score's parts and a reason in Chinese, within budget before over it;
//! bad input is 422 naming the field. Then the pages: an inquiry ticket links to the needs
//! form, which starts from the catalog's words in the ticket, shows the cards with a link to
//! book a stay, and comes back as typed with the message beside the field.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness_with_clock, Harness, Reply};
use jiff::civil::Date;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

/// A harness whose today is 2027-03-01 (Beijing), well before the window searched.
async fn setup() -> Harness {
    let clock = Arc::new(ManualClock::new("2027-03-01T02:00:00Z".parse().unwrap()));
    harness_with_clock(clock).await
}

fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// What the catalog holds, by name.
struct Catalog {
    /// (departure id, package name), in the order of [`PACKAGES`].
    departures: Vec<(String, &'static str)>,
    rooms: Vec<String>,
}

/// A package of `days` days with one departure: (name, destination, tags, wheelchair, diets,
/// days, date, seats, adult price in fen).
#[allow(clippy::type_complexity)]
const PACKAGES: &[(&str, &str, &[&str], bool, &[&str], u16, &str, u32, i64)] = &[
    // Within the budget, vegetarian meals, culture.
    (
        "大理古城洱海四日游",
        "大理",
        &["culture", "leisure"],
        false,
        &["vegetarian"],
        4,
        "2027-05-02",
        10,
        300_000,
    ),
    // Wheelchair accessible, vegetarian and halal, over the budget.
    (
        "大理苍山无障碍三日游",
        "大理",
        &["senior_friendly", "leisure"],
        true,
        &["vegetarian", "halal"],
        3,
        "2027-05-03",
        10,
        450_000,
    ),
    // Returns after the window ends.
    (
        "丽江大理六日游",
        "丽江大理",
        &["culture", "family"],
        false,
        &["vegetarian"],
        6,
        "2027-05-08",
        10,
        280_000,
    ),
    // Two seats only.
    (
        "大理双廊私家小团",
        "大理",
        &["leisure"],
        false,
        &["vegetarian"],
        2,
        "2027-05-04",
        2,
        150_000,
    ),
    // Another place.
    (
        "黄山宏村二日游",
        "黄山",
        &["sightseeing"],
        false,
        &["vegetarian"],
        2,
        "2027-05-02",
        10,
        120_000,
    ),
    // Within budget, family, but no vegetarian meals.
    (
        "大理亲子三日游",
        "大理",
        &["family"],
        false,
        &[],
        3,
        "2027-05-05",
        10,
        200_000,
    ),
];

async fn catalog(h: &Harness) -> Catalog {
    let admin = h.token("zhao.min").await;
    let mut departures = Vec::new();
    for (name, destination, tags, wheelchair, diets, days, date, seats, adult) in PACKAGES {
        let itinerary: Vec<Value> = (1..=*days)
            .map(|d| json!({"day": d, "title": format!("第{d}天"), "description": ""}))
            .collect();
        let package = id(&h
            .api(
                Method::POST,
                "/api/v1/products",
                &admin,
                json!({"name": name, "destination": destination, "keywords": ["古城"],
                       "scope": "domestic", "tags": tags,
                       "accessibility": {"wheelchair": wheelchair, "easy_walking": wheelchair},
                       "diets": diets, "itinerary": itinerary, "inclusions": [], "exclusions": [],
                       "fees": [], "accommodation": "", "transport": "", "meals": "", "notes": ""}),
            )
            .await);
        let go_no_go = date
            .parse::<Date>()
            .unwrap()
            .checked_sub(jiff::Span::new().days(10))
            .unwrap();
        let departure = id(&h
            .api(
                Method::POST,
                "/api/v1/departures",
                &admin,
                json!({"package_id": package, "date": date, "seats": seats, "min_group": 1,
                       "go_no_go": go_no_go.to_string(),
                       "prices": {"adult": adult, "child": adult / 2, "senior": adult * 8 / 10}}),
            )
            .await);
        departures.push((departure, *name));
    }
    let property = id(&h
        .api(
            Method::POST,
            "/api/v1/properties",
            &admin,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let room_type = id(&h
        .api(
            Method::POST,
            &format!("/api/v1/properties/{property}/room-types"),
            &admin,
            json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                   "facilities": ["独立卫浴", "观景阳台"],
                   "accessibility": {"wheelchair": false, "easy_walking": true},
                   "base_rate": 30000, "weekend_rate": 35000, "holiday_rate": 50000}),
        )
        .await);
    let mut rooms = Vec::new();
    for i in 0..3 {
        rooms.push(id(&h
            .api(
                Method::POST,
                "/api/v1/rooms",
                &admin,
                json!({"room_type_id": room_type, "label": format!("{}", 201 + i), "position": i}),
            )
            .await));
    }
    Catalog { departures, rooms }
}

/// The needs most tests start from: 大理 in the first ten days of May, two adults, a child
/// and a senior, ¥3,500 a head.
fn needs() -> Value {
    json!({"keywords": ["大理"], "earliest": "2027-05-01", "latest": "2027-05-10",
           "budget_per_person": 350_000,
           "party": {"adults": 2, "children": 1, "seniors": 1},
           "preferences": ["culture"], "wheelchair": false, "diets": []})
}

async fn recommend(h: &Harness, token: &str, body: Value) -> Reply {
    h.api(Method::POST, "/api/v1/recommendations", token, body)
        .await
}

fn items(r: &Reply) -> &Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap()
}

fn names(r: &Reply) -> Vec<&str> {
    items(r)
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

/// Every hard constraint of `body`, checked against the store as it stands, for each item;
/// the score is its parts' sum, the reason one line of Chinese; within budget comes first.
async fn assert_sound(h: &Harness, token: &str, body: &Value, r: &Reply) {
    let list = items(r);
    assert!(list.len() <= 3, "{}", r.text);
    let party = &body["party"];
    let size: u64 = ["adults", "children", "seniors"]
        .iter()
        .map(|k| party[k].as_u64().unwrap())
        .sum();
    let (earliest, latest) = (
        body["earliest"].as_str().unwrap(),
        body["latest"].as_str().unwrap(),
    );
    let diets: Vec<&Value> = body["diets"].as_array().unwrap().iter().collect();
    let mut seen_over = false;
    for item in list {
        let (start, end) = (
            item["start"].as_str().unwrap(),
            item["end"].as_str().unwrap(),
        );
        assert!(earliest <= start && start <= end && end <= latest, "{item}");
        match item["kind"].as_str().unwrap() {
            "tour" => {
                let d = h
                    .get(
                        &format!(
                            "/api/v1/departures/{}",
                            item["departure_id"].as_str().unwrap()
                        ),
                        token,
                    )
                    .await;
                assert!(d.body["seats_left"].as_u64().unwrap() >= size, "{item}");
                let p = h
                    .get(
                        &format!("/api/v1/products/{}", item["product_id"].as_str().unwrap()),
                        token,
                    )
                    .await;
                for diet in &diets {
                    assert!(p.body["diets"].as_array().unwrap().contains(diet), "{item}");
                }
                if body["wheelchair"] == true {
                    assert_eq!(p.body["accessibility"]["wheelchair"], true, "{item}");
                }
                assert!(item["room_type_id"].is_null() && item["room_id"].is_null());
            }
            "stay" => {
                assert!(diets.is_empty() && body["wheelchair"] != true, "{item}");
                assert_eq!(item["room_type_id"], item["product_id"]);
                assert!(item["rooms"].as_u64().unwrap() * 2 >= size, "{item}");
                // The room offered is free for every night: a held booking of it succeeds.
                assert!(item["room_id"].is_string(), "{item}");
            }
            other => panic!("kind {other}"),
        }
        let parts = item["components"].as_array().unwrap();
        let kinds: Vec<&str> = parts.iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["destination", "preferences", "budget", "party_fit"]);
        let sum: i64 = parts.iter().map(|c| c["points"].as_i64().unwrap()).sum();
        assert_eq!(item["score"].as_i64().unwrap(), sum);
        let reason = item["reason"].as_str().unwrap();
        assert!(!reason.is_empty() && !reason.contains('\n'));
        assert!(
            reason
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "a reason in Chinese: {reason}"
        );
        match item["within_budget"].as_bool() {
            Some(false) => seen_over = true,
            Some(true) => assert!(!seen_over, "within budget ranks first: {}", r.text),
            None => assert!(body["budget_per_person"].is_null()),
        }
    }
}

#[tokio::test]
async fn at_most_three_products_none_breaking_a_hard_constraint_each_with_its_reason() {
    let h = setup().await;
    let c = catalog(&h).await;
    let agent = h.token("li.na").await;

    // 大理, a party of four: the two within-budget tours and the stay (two rooms); the
    // six-day tour returns too late, the small group has two seats, 黄山 is elsewhere, and
    // three within budget leave no place for the one over it.
    let body = needs();
    let r = recommend(&h, &agent, body.clone()).await;
    assert_sound(&h, &agent, &body, &r).await;
    let got = names(&r);
    assert_eq!(got.len(), 3, "{}", r.text);
    for name in [
        "大理古城洱海四日游",
        "大理亲子三日游",
        "洱海边·云舍民宿·海景大床房",
    ] {
        assert!(got.contains(&name), "{name} in {got:?}");
    }
    assert_eq!(got[0], "大理古城洱海四日游", "culture is met: {got:?}");
    let first = &items(&r)[0];
    assert_eq!(first["kind"], "tour");
    assert_eq!(first["within_budget"], true);
    assert_eq!(first["departure_id"].as_str().unwrap(), c.departures[0].0);
    assert_eq!(
        (first["start"].as_str(), first["end"].as_str()),
        (Some("2027-05-02"), Some("2027-05-05"))
    );
    // 2 × ¥3,000 + ¥1,500 + ¥2,400.
    assert_eq!(first["total_fen"], 990_000);
    assert_eq!(first["per_person_fen"], 247_500);
    let reason = first["reason"].as_str().unwrap();
    assert!(
        reason.contains("大理古城洱海四日游") && reason.contains("预算内"),
        "{reason}"
    );
    let stay = items(&r).iter().find(|i| i["kind"] == "stay").unwrap();
    assert_eq!(
        (stay["start"].as_str(), stay["end"].as_str()),
        (Some("2027-05-01"), Some("2027-05-10"))
    );
    assert_eq!(stay["rooms"], 2);
    assert!(c
        .rooms
        .contains(&stay["room_id"].as_str().unwrap().to_string()));

    // A vegetarian: the tour without vegetarian meals and the stay (no meals known) go; the
    // one over budget comes after the one within it.
    let mut veg = needs();
    veg["diets"] = json!(["vegetarian"]);
    let r = recommend(&h, &agent, veg.clone()).await;
    assert_sound(&h, &agent, &veg, &r).await;
    assert_eq!(names(&r), ["大理古城洱海四日游", "大理苍山无障碍三日游"]);
    assert_eq!(items(&r)[1]["within_budget"], false);
    assert!(items(&r)[1]["reason"]
        .as_str()
        .unwrap()
        .contains("超出预算"));

    // A wheelchair: only the accessible tour, though over budget.
    let mut wheel = veg.clone();
    wheel["wheelchair"] = json!(true);
    let r = recommend(&h, &agent, wheel.clone()).await;
    assert_sound(&h, &agent, &wheel, &r).await;
    assert_eq!(names(&r), ["大理苍山无障碍三日游"]);
    assert!(items(&r)[0]["reason"].as_str().unwrap().contains("轮椅"));

    // Seven travelers: three rooms of two are too few, every tour but the small group fits.
    let mut seven = needs();
    seven["party"] = json!({"adults": 7, "children": 0, "seniors": 0});
    seven["budget_per_person"] = Value::Null;
    let r = recommend(&h, &agent, seven.clone()).await;
    assert_sound(&h, &agent, &seven, &r).await;
    assert!(items(&r).iter().all(|i| i["kind"] == "tour"), "{}", r.text);
    assert!(items(&r).iter().all(|i| i["within_budget"].is_null()));

    // A stay of two nights from any day: the earliest day that fits.
    let mut short = needs();
    short["nights"] = json!(2);
    short["keywords"] = json!(["阳台"]);
    let r = recommend(&h, &agent, short.clone()).await;
    assert_sound(&h, &agent, &short, &r).await;
    assert_eq!(names(&r), ["洱海边·云舍民宿·海景大床房"]);
    assert_eq!(
        (items(&r)[0]["start"].as_str(), items(&r)[0]["end"].as_str()),
        (Some("2027-05-01"), Some("2027-05-03"))
    );

    // The inventory as it stands: with two of the three rooms booked for one night in the
    // window, no two rooms are free for the whole stay, so the stay is no longer offered.
    for room in &c.rooms[..2] {
        let b = h
            .api(
                Method::POST,
                "/api/v1/bookings",
                &agent,
                json!({"customer": {"name": "王芳", "phone": "13700000001"},
                       "lines": [{"room_id": room, "check_in": "2027-05-06", "check_out": "2027-05-07"}],
                       "confirm": true}),
            )
            .await;
        assert_eq!(b.status, StatusCode::CREATED, "{}", b.text);
    }
    let r = recommend(&h, &agent, needs()).await;
    assert_sound(&h, &agent, &needs(), &r).await;
    assert!(items(&r).iter().all(|i| i["kind"] == "tour"), "{}", r.text);
    // …but a two-night stay before those nights still is.
    let r = recommend(&h, &agent, short.clone()).await;
    assert_eq!(names(&r), ["洱海边·云舍民宿·海景大床房"]);
}

#[tokio::test]
async fn bad_needs_answer_422_naming_the_field() {
    let h = setup().await;
    let agent = h.token("li.na").await;
    let cases: &[(&str, Value, &str)] = &[
        ("latest", json!("2027-07-03"), "latest"),
        ("latest", json!("2027-04-30"), "latest"),
        ("earliest", json!("2027-02-27"), "earliest"),
        (
            "party",
            json!({"adults": 0, "children": 0, "seniors": 0}),
            "party",
        ),
        (
            "party",
            json!({"adults": 0, "children": 2, "seniors": 0}),
            "party.children",
        ),
        ("budget_per_person", json!(-1), "budget_per_person"),
        ("nights", json!(0), "nights"),
        ("nights", json!(10), "nights"),
        ("keywords", json!(["大理\u{7}"]), "keywords"),
        (
            "keywords",
            json!(["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "百"]),
            "keywords",
        ),
    ];
    for (key, value, field) in cases {
        let mut body = needs();
        body[*key] = value.clone();
        let r = recommend(&h, &agent, body).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), *field, "{key} = {value}: {}", r.text);
    }
    let mut long = needs();
    long["latest"] = json!("2027-07-03");
    let r = recommend(&h, &agent, long).await;
    assert_eq!(r.body["errors"][0]["code"], "too_long");
    // A value of the wrong shape names its field too.
    let mut diet = needs();
    diet["diets"] = json!(["paleo"]);
    let r = recommend(&h, &agent, diet).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(field_of(&r).starts_with("diets"), "{}", r.text);
    // Without a sign-in: 401.
    let r = h
        .json(Method::POST, "/api/v1/recommendations", None, needs())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A GET of a page as a signed-in browser.
async fn page(h: &Harness, cookie: &str, uri: &str) -> Reply {
    h.call(Method::GET, uri, &[("cookie", cookie)], None).await
}

#[tokio::test]
async fn the_needs_form_opens_from_an_inquiry_and_shows_cards_with_a_link_to_book() {
    let h = setup().await;
    let c = catalog(&h).await;
    let agent = h.token("li.na").await;
    let ticket = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({"kind": "inquiry", "channel": "phone", "level": "general",
                   "subject": "五一带老人孩子去大理", "description": "想住洱海边，人均三千五左右。",
                   "customer": {"name": "张伟"}}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.text);
    let ticket = ticket.body["id"].as_str().unwrap().to_string();
    let (cookie, _) = h.session("li.na").await;

    // The inquiry links to the form; a complaint does not.
    let t = page(&h, &cookie, &format!("/desk/tickets/{ticket}")).await;
    assert_eq!(t.status, StatusCode::OK);
    let link = format!("/bookings/recommend?ticket={ticket}");
    assert!(
        t.text.contains(&link) && t.text.contains("推荐产品"),
        "{}",
        t.text
    );
    let complaint = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({"kind": "complaint", "channel": "phone", "level": "general",
                   "subject": "导游迟到", "description": "导游迟到一小时。", "customer": {"name": "张伟"}}),
        )
        .await;
    let complaint = complaint.body["id"].as_str().unwrap();
    let t = page(&h, &cookie, &format!("/desk/tickets/{complaint}")).await;
    assert!(!t.text.contains("/bookings/recommend"));

    // The form starts from the catalog's words in the inquiry and names the ticket.
    let f = page(&h, &cookie, &link).await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text);
    assert!(
        f.text.contains(r#"name="keywords" value="大理""#),
        "{}",
        f.text
    );
    assert!(f.text.contains("五一带老人孩子去大理") && f.text.contains("返回工单"));
    assert!(!f.text.contains("data-recommendation"));

    // Sent: up to three cards, each with its reason, score parts, price and a link.
    let q = format!(
        "/bookings/recommend?ticket={ticket}&keywords=%E5%A4%A7%E7%90%86&earliest=2027-05-01&latest=2027-05-10&nights=&budget=3500&adults=2&children=1&seniors=1&pref=culture"
    );
    let r = page(&h, &cookie, &q).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.text.matches("data-recommendation").count(),
        3,
        "{}",
        r.text
    );
    assert!(r.text.contains("大理古城洱海四日游") && r.text.contains("推荐理由"));
    assert!(r.text.contains("人均在预算内") || r.text.contains("在预算内"));
    assert!(r.text.contains("目的地") && r.text.contains("同行人群"));
    assert!(r.text.contains(r#"name="pref" value="culture" checked"#));
    // The stay books through the booking form, room and dates filled in.
    let book = format!(
        "/bookings/new?room={}&#38;check_in=2027-05-01&#38;check_out=2027-05-10",
        c.rooms[0]
    );
    assert!(r.text.contains(&book), "{}", r.text);
    let form = page(&h, &cookie, &book.replace("&#38;", "&")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(r#"value="2027-05-10""#));
    // A tour books through the form in its departure mode, the departure chosen.
    let tour = c
        .departures
        .iter()
        .map(|(id, _)| format!("/bookings/new?departure={id}"))
        .find(|href| r.text.contains(href.as_str()))
        .unwrap_or_else(|| panic!("a tour card links its departure's form: {}", r.text));
    let form = page(&h, &cookie, &tour).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("data-seats-left"));

    // Bad input comes back as typed with the message beside the field (422).
    let bad = q.replace("latest=2027-05-10", "latest=2027-08-10");
    let r = page(&h, &cookie, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("日期范围最长 62 天"), "{}", r.text);
    assert!(r.text.contains(r#"value="2027-08-10""#) && r.text.contains(r#"value="3500""#));
    assert!(!r.text.contains("data-recommendation"));
    let r = page(&h, &cookie, &q.replace("adults=2", "adults=two")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("成人请填写 0–999 的整数") && r.text.contains(r#"value="two""#));
    let r = page(
        &h,
        &cookie,
        &q.replace(
            "adults=2&children=1&seniors=1",
            "adults=0&children=1&seniors=0",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("儿童须有成人或老人同行"), "{}", r.text);

    // In English the labels are English; the reason stays the Chinese line it is.
    let r = h
        .call(
            Method::GET,
            &q,
            &[("cookie", &format!("{cookie}; tripdesk_lang=en"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("Recommendations") && r.text.contains("Per person"));
    assert!(r.text.contains(r#"lang="zh-CN" data-reason"#));
}
