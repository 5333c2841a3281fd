//! The in-process test harness shared by the web tests.
#![allow(dead_code)]

pub mod bookings;
pub mod dovecot;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::SystemClock;
use tripdesk_store_sql::testing::{fresh_store, TestStore};

pub struct Harness {
    pub router: axum::Router,
    pub store: TestStore,
    /// The app behind the router (with its vault keys), for what no route offers, such as
    /// verifying the audit chain.
    pub app: App,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn harness() -> Harness {
    harness_with(Arc::new(SystemClock), AppSettings::default()).await
}

/// The harness on a clock the test controls (e.g. a `ManualClock`).
pub async fn harness_with_clock(clock: Arc<dyn tripdesk_domain::clock::Clock>) -> Harness {
    harness_with(clock, AppSettings::default()).await
}

/// A harness with its own clock and settings (limits, time travel).
pub async fn harness_with(
    clock: Arc<dyn tripdesk_domain::clock::Clock>,
    settings: AppSettings,
) -> Harness {
    harness_configured(
        clock,
        settings,
        tripdesk_web::WebConfig {
            body_limit: 64 * 1024,
            ..Default::default()
        },
    )
    .await
}

/// A harness with its own clock, settings and HTTP configuration.
pub async fn harness_configured(
    clock: Arc<dyn tripdesk_domain::clock::Clock>,
    settings: AppSettings,
    web: tripdesk_web::WebConfig,
) -> Harness {
    let store = fresh_store().await;
    let app = App::new(store.store.clone(), clock, settings)
        .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let state = tripdesk_web::AppState::new(app.clone(), web).await.unwrap();
    Harness {
        router: tripdesk_web::router(state),
        store,
        app,
    }
}

impl Harness {
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Reply {
        self.call_raw(method, uri, headers, body.map(String::into_bytes))
            .await
    }

    /// A call with a binary body (e.g. an XLSX upload).
    pub async fn call_raw(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map(Into::into).unwrap_or_else(Body::empty))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn json(&self, method: Method, uri: &str, token: Option<&str>, body: Value) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a));
        }
        self.call(method, uri, &headers, Some(body.to_string()))
            .await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.call(Method::GET, uri, &[("authorization", &auth)], None)
            .await
    }

    pub async fn login(&self, username: &str) -> Value {
        self.login_with(username, "tripdesk-demo").await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> Value {
        let r = self
            .json(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    pub async fn token(&self, username: &str) -> String {
        self.login(username).await["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub fn assert_problem(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{}",
        r.text
    );
    assert_eq!(r.body["code"], code, "{}", r.text);
    assert_eq!(r.body["status"], status.as_u16());
    assert!(
        r.body["request_id"].as_str().is_some_and(|id| id.len() > 8),
        "{}",
        r.text
    );
}

/// The id of the demo department with this code (`guide`, `route` …), as `token` sees it.
pub async fn dept_id(h: &Harness, token: &str, code: &str) -> String {
    let r = h.get("/api/v1/departments", token).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn field_of(r: &Reply) -> &str {
    r.body["errors"][0]["field"].as_str().unwrap_or("")
}

impl Harness {
    /// A UI page as a signed-in user (zh-CN).
    pub async fn ui_get(&self, uri: &str, username: &str) -> Reply {
        let token = self.token(username).await;
        let cookie = format!("tripdesk_session={token}");
        self.call(Method::GET, uri, &[("cookie", &cookie)], None)
            .await
    }
}

impl Harness {
    /// A JSON call with a bearer token.
    pub async fn api(&self, method: Method, uri: &str, token: &str, body: Value) -> Reply {
        self.json(method, uri, Some(token), body).await
    }

    /// A browser session: (cookie header, CSRF token of the session).
    pub async fn session(&self, username: &str) -> (String, String) {
        let r = self
            .call(
                Method::POST,
                "/login",
                &[("content-type", "application/x-www-form-urlencoded")],
                Some(format!(
                    "username={username}&password=tripdesk-demo&next=%2F"
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let cookie = r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let page = self
            .call(Method::GET, "/", &[("cookie", &cookie)], None)
            .await;
        let csrf = page
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
}

// ---- the public pages (contact form, survey links) as a customer's browser ----

/// A browser of the public pages: its form cookie and the CSRF token of the last form.
pub struct Visitor {
    pub cookie: String,
    pub csrf: String,
}

pub fn attr_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let rest = text.split(marker).nth(1)?;
    rest.split('"').next()
}

/// Opens a public form page (GET) and keeps its cookie and token.
pub async fn visit(h: &Harness, uri: &str, cookie: Option<&str>) -> (Reply, Visitor) {
    let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
    let r = h.call(Method::GET, uri, &headers, None).await;
    let cookie = match r.headers.get(header::SET_COOKIE) {
        Some(set) => set.to_str().unwrap().split(';').next().unwrap().to_string(),
        None => cookie.unwrap_or_default().to_string(),
    };
    let csrf = attr_after(&r.text, "name=\"_csrf\" value=\"")
        .unwrap_or_default()
        .to_string();
    (r, Visitor { cookie, csrf })
}

/// Posts a form from a client address (the address the server sees on the socket).
pub async fn post_form(
    h: &Harness,
    uri: &str,
    v: &Visitor,
    fields: &[(&str, &str)],
    ip: Option<&str>,
) -> Reply {
    post_form_via(h, uri, v, fields, ip, None).await
}

/// The same through a proxy that sent `X-Forwarded-For`.
pub async fn post_form_via(
    h: &Harness,
    uri: &str,
    v: &Visitor,
    fields: &[(&str, &str)],
    ip: Option<&str>,
    forwarded_for: Option<&str>,
) -> Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("_csrf", &v.csrf);
    for (k, val) in fields {
        body.append_pair(k, val);
    }
    let mut req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &v.cookie)
        .header("x-forwarded-for", forwarded_for.unwrap_or(""))
        .body(Body::from(body.finish()))
        .unwrap();
    if let Some(ip) = ip {
        let addr: std::net::SocketAddr = format!("{ip}:50000").parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    Reply {
        status,
        headers,
        body: Value::Null,
        text,
    }
}

/// The bytes of the test's database as an intruder would read them: SQLite's file and its
/// WAL, or PostgreSQL's data dumped by `pg_dump`.
pub fn database_bytes(location: &tripdesk_store_sql::Location) -> Vec<u8> {
    match location {
        tripdesk_store_sql::Location::SqliteDir(dir) => {
            let mut bytes = std::fs::read(dir.join("tripdesk.db")).expect("the database file");
            bytes.extend(std::fs::read(dir.join("tripdesk.db-wal")).unwrap_or_default());
            bytes
        }
        tripdesk_store_sql::Location::Postgres(url) => {
            let schema = url
                .rsplit("search_path%3D")
                .next()
                .expect("the test URL names its schema");
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", "--schema", schema, "--dbname", url])
                .output()
                .expect("pg_dump is installed (postgresql-client)");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}
