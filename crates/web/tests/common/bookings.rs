//! Fixtures of the bookings tests (`bookings.rs`, `booking_changes.rs`): two nodes on one
//! database (SQLite by default, PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`) on a manual
//! clock, calls with a bearer token, a homestay with its rooms and a tour with a departure
//! made through the API.

use super::Reply;
use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_store_sql::testing::{fresh_store, TestStore};
use tripdesk_store_sql::PoolSettings;

/// Two nodes on one database, with the same vault keys (so both find a customer by phone).
pub struct Nodes {
    pub a: axum::Router,
    pub b: axum::Router,
    pub app: App,
    /// Node b's application: the same keys, another store pool and node name.
    pub app_b: App,
    pub clock: Arc<ManualClock>,
    pub _store: TestStore,
    pub second: Arc<dyn tripdesk_store::Store>,
}

pub async fn nodes() -> Nodes {
    nodes_with(AppSettings::default()).await
}

/// Two nodes with these settings (an SMS provider, email configured).
#[allow(dead_code)]
pub async fn nodes_with(settings: AppSettings) -> Nodes {
    let store = fresh_store().await;
    let second = tripdesk_store_sql::open(
        &store.location,
        &PoolSettings {
            max_connections: 16,
            ..PoolSettings::default()
        },
    )
    .await
    .unwrap();
    // A fixed "now" well before the dates booked below.
    let clock = Arc::new(ManualClock::new("2027-03-01T02:00:00Z".parse().unwrap()));
    let keys = Arc::new(tripdesk_vault::KeyRing::generate());
    let app = App::new(store.store.clone(), clock.clone(), settings.clone())
        .with_vault(keys.clone())
        .with_node("node-a");
    app.seed_demo_organisation().await.unwrap();
    let app_b = App::new(second.clone(), clock.clone(), settings)
        .with_vault(keys)
        .with_node("node-b");
    let web = || tripdesk_web::WebConfig {
        body_limit: 64 * 1024,
        ..Default::default()
    };
    let a = tripdesk_web::router(
        tripdesk_web::AppState::new(app.clone(), web())
            .await
            .unwrap(),
    );
    let b = tripdesk_web::router(
        tripdesk_web::AppState::new(app_b.clone(), web())
            .await
            .unwrap(),
    );
    Nodes {
        a,
        b,
        app,
        app_b,
        clock,
        _store: store,
        second,
    }
}

pub async fn call(
    router: &axum::Router,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(
            body.map(|b| Body::from(b.to_string()))
                .unwrap_or_else(Body::empty),
        )
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).to_string(),
    }
}

impl Nodes {
    pub async fn token(&self, username: &str) -> String {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"username": username, "password": "tripdesk-demo"}).to_string(),
            ))
            .unwrap();
        let res = self.a.clone().oneshot(req).await.unwrap();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Reply {
        call(&self.a, Method::POST, uri, token, Some(body)).await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        call(&self.a, Method::GET, uri, token, None).await
    }
}

pub fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A homestay with `rooms` rooms of one type; returns (property id, room ids).
pub async fn homestay(n: &Nodes, admin: &str, rooms: usize) -> (String, Vec<String>) {
    let property = id(&n
        .post(
            "/api/v1/properties",
            admin,
            json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                   "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
        )
        .await);
    let room_type = id(&n
        .post(
            &format!("/api/v1/properties/{property}/room-types"),
            admin,
            json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                   "facilities": ["独立卫浴", "观景阳台"],
                   "accessibility": {"wheelchair": false, "easy_walking": true},
                   "base_rate": 48000, "weekend_rate": 58000, "holiday_rate": 88000}),
        )
        .await);
    let mut ids = Vec::new();
    for i in 0..rooms {
        ids.push(id(&n
            .post(
                "/api/v1/rooms",
                admin,
                json!({"room_type_id": room_type, "label": format!("{}", 201 + i), "position": i}),
            )
            .await));
    }
    (property, ids)
}

/// A domestic package with one departure of `seats` seats on 2027-05-01.
pub async fn tour(n: &Nodes, admin: &str, seats: u32) -> String {
    let package = id(&n
        .post(
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
    id(&n
        .post(
            "/api/v1/departures",
            admin,
            json!({"package_id": package, "date": "2027-05-01", "seats": seats, "min_group": 1,
                   "go_no_go": "2027-04-20", "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                   "meeting_time": "07:00", "meeting_point": "合肥南站北广场"}),
        )
        .await)
}

impl Nodes {
    /// A browser session on node a: (cookie header, CSRF token of the session).
    pub async fn session(&self, username: &str) -> (String, String) {
        let login = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "username={username}&password=tripdesk-demo&next=%2F"
            )))
            .unwrap();
        let res = self.a.clone().oneshot(login).await.unwrap();
        let cookie = res.headers()[axum::http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let home = self.page("/", &cookie).await;
        let csrf = home
            .text
            .split("data-csrf=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        (cookie, csrf)
    }

    /// A page as the browser with `cookie` sees it.
    pub async fn page(&self, uri: &str, cookie: &str) -> Reply {
        let req = Request::builder()
            .uri(uri)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap();
        reply(self.a.clone().oneshot(req).await.unwrap()).await
    }

    /// A form posted by the browser with `cookie` (the fields include `_csrf`).
    pub async fn form(&self, uri: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.finish()))
            .unwrap();
        reply(self.a.clone().oneshot(req).await.unwrap()).await
    }
}

async fn reply(res: axum::response::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).to_string(),
    }
}

/// A request as a browser sends it: an optional cookie and a urlencoded form, no token.
pub async fn raw(
    router: &axum::Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: Option<String>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if form.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let res = router
        .clone()
        .oneshot(
            req.body(form.map(Body::from).unwrap_or_else(Body::empty))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).to_string(),
    }
}

/// A new customer: name, mobile, email.
pub type Guest<'a> = (&'a str, &'a str, Option<&'a str>);

/// Books `room` for three nights from 2027-03-10, confirmed, for a new customer; returns the
/// customer id.
pub async fn stay_guest(n: &Nodes, agent: &str, room: &str, who: Guest<'_>) -> String {
    let (name, phone, email) = who;
    let mut customer = json!({"name": name, "phone": phone});
    if let Some(e) = email {
        customer["email"] = json!(e);
    }
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": customer, "confirm": true,
                   "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}]}),
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::CREATED, "{}", r.text);
    r.body["customer_id"].as_str().unwrap().to_string()
}

/// The incident tests' three guests at a homestay in 大理 (云南省大理市双廊镇) from 2027-03-10
/// for three nights: 王芳 and 李雷 with a mobile and an email, 韩梅梅 with a mobile only.
/// Returns their customer ids.
pub async fn dali_guests(n: &Nodes, admin: &str, agent: &str) -> [String; 3] {
    let (_, rooms) = homestay(n, admin, 3).await;
    [
        stay_guest(
            n,
            agent,
            &rooms[0],
            ("王芳", "13700000001", Some("wangfang@example.cn")),
        )
        .await,
        stay_guest(
            n,
            agent,
            &rooms[1],
            ("李雷", "13700000002", Some("lilei@example.cn")),
        )
        .await,
        stay_guest(n, agent, &rooms[2], ("韩梅梅", "13700000003", None)).await,
    ]
}
