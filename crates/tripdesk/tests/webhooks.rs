//! Webhooks end to end (issue 11, item 6): the real API on a socket takes a complaint and a
//! step, the real outbox dispatcher delivers the published events, and a real HTTP
//! subscriber on 127.0.0.1 receives them signed — verified with `webhook::verify`. On the
//! backend of the run (SQLite, or PostgreSQL with TRIPDESK_TEST_DATABASE_URL).

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tripdesk_app::{App, AppSettings};
use tripdesk_delivery::dispatcher::run_until_idle;
use tripdesk_delivery::webhook::{self, WebhookChannel};
use tripdesk_delivery::{Channel, DispatcherConfig};
use tripdesk_domain::clock::SystemClock;
use tripdesk_store_sql::testing::fresh_store;

#[derive(Default)]
struct Subscriber {
    seen: Mutex<Vec<(HeaderMap, String)>>,
}

async fn start_subscriber(sub: Arc<Subscriber>) -> String {
    let app = axum::Router::new().route(
        "/tripdesk",
        axum::routing::post(
            |axum::extract::State(sub): axum::extract::State<Arc<Subscriber>>,
             headers: HeaderMap,
             body: String| async move {
                sub.seen.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.with_state(sub)).await.unwrap();
    });
    format!("http://{addr}/tripdesk")
}

async fn start_server(app: App) -> String {
    let state = tripdesk_web::AppState::new(app, tripdesk_web::WebConfig::default())
        .await
        .unwrap();
    let router = tripdesk_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn token(&self, username: &str) -> String {
        let r: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": username, "password": "tripdesk-demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"].as_str().unwrap().to_string()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_subscriber_receives_ticket_created_and_a_step_signed() {
    let store = fresh_store().await;
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
    .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let api = Api {
        base: start_server(app.clone()).await,
        http: reqwest::Client::new(),
    };
    let subscriber = Arc::new(Subscriber::default());
    let url = start_subscriber(subscriber.clone()).await;

    let admin = api.token("admin").await;
    // An unknown event name is refused, naming the field and the events there are.
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhooks",
            &admin,
            json!({"url": url, "events": ["booking.teleported"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "events");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ticket.created"));
    let (status, hook) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/webhooks",
            &admin,
            json!({"url": url, "events": ["ticket.created", "ticket.step"], "description": "CRM"}),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();

    // An agent takes a complaint and triages it, through the API.
    let agent = api.token("li.na").await;
    let (status, ticket) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({
                "kind": "complaint", "channel": "phone", "level": "general",
                "subject": "导游迟到一小时", "description": "灵隐寺被取消。",
                "customer": {"name": "张伟", "phone": "13912345678", "email": "zhang.wei@example.com"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_string();
    let (status, after) = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            &agent,
            json!({"step": "triage", "level": "important"}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert!(
        subscriber.seen.lock().unwrap().is_empty(),
        "only the dispatcher delivers"
    );

    // The real outbox dispatcher delivers what the use cases published.
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(WebhookChannel::new(&app))];
    let config = DispatcherConfig {
        workers: 1,
        node: "test".into(),
        ..Default::default()
    };
    let sent = run_until_idle(app.clone(), channels, config).await;
    assert_eq!(sent, 2, "ticket.created and ticket.step");

    let seen = subscriber.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let now = jiff::Timestamp::now().as_second();
    let mut events = Vec::new();
    for (headers, body) in &seen {
        let signature = headers[webhook::SIGNATURE_HEADER].to_str().unwrap();
        assert_eq!(
            webhook::verify(&secret, signature, body.as_bytes(), now),
            Ok(())
        );
        assert_eq!(
            webhook::verify("whsec_another", signature, body.as_bytes(), now),
            Err(webhook::VerifyError::Mismatch)
        );
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            headers[webhook::EVENT_HEADER],
            payload["event"].as_str().unwrap()
        );
        assert_eq!(
            headers[webhook::DELIVERY_HEADER],
            payload["id"].as_str().unwrap()
        );
        assert_eq!(payload["related"]["type"], "ticket");
        assert_eq!(payload["related"]["id"], id.as_str());
        let t = &payload["data"]["ticket"];
        assert_eq!(t["id"], id.as_str());
        assert_eq!(t["number"], ticket["number"]);
        assert_eq!(t["kind"], "complaint");
        assert_eq!(t["channel"], "phone");
        // Never personal data: no name, phone, email, subject or description.
        for secret_text in ["张伟", "13912345678", "zhang.wei", "导游迟到", "灵隐寺"] {
            assert!(!body.contains(secret_text), "{secret_text} in {body}");
        }
        events.push(payload);
    }
    events.sort_by_key(|p| p["event"].as_str().unwrap().to_string());
    let created = &events[0];
    assert_eq!(created["event"], "ticket.created");
    assert_eq!(created["data"]["ticket"]["state"], "received");
    assert_eq!(created["data"]["ticket"]["level"], "general");
    assert!(created["data"]["at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .is_ok());
    let step = &events[1];
    assert_eq!(step["event"], "ticket.step");
    assert_eq!(step["data"]["step"], "triage");
    assert_eq!(step["data"]["from_state"], "received");
    assert_eq!(step["data"]["to_state"], "triaged");
    assert_eq!(step["data"]["ticket"]["level"], "important");
    assert!(step["created_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .is_ok());
}
