//! The web chat end to end over real WebSockets on loopback (issue 17 item 2): two nodes of
//! one database served on TCP (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`, where
//! the visitor talks to node a and the agents to node b, so every message crosses nodes by
//! the after-commit signal). A visitor's refused start names each field in Chinese; the
//! visitor's chat waits in the agents' queue with its 3-minute deadline; the first agent to
//! answer holds it (another is refused), messages go both ways in order, the visitor ends
//! it; a chat no one answers becomes a ticket at its deadline and the visitor is told; the
//! agents' socket refuses another site; the texts are sealed in the database.

mod common;

use axum::http::StatusCode;
use common::bookings::{nodes, Nodes};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tripdesk_app::jobs::{drain, standard_registry};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Serves a node's router on a loopback port; its address.
async fn serve(router: axum::Router) -> String {
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
    format!("127.0.0.1:{addr}", addr = addr.port())
}

async fn socket(addr: &str, path: &str, headers: &[(&'static str, String)]) -> Socket {
    let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut()
            .insert(*k, axum::http::HeaderValue::from_str(v).unwrap());
    }
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next frame matching `want`, skipping others; fails after 10 s.
async fn next(s: &mut Socket, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = tokio::time::timeout_at(deadline, s.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = got {
            let v: Value = serde_json::from_str(&text).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
}

async fn say(s: &mut Socket, frame: Value) {
    s.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// A plain GET on the served node: the status line and headers.
async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out)
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// `POST /chat/start` as the widget sends it (JSON, no session), on `router`.
async fn start(router: &axum::Router, body: Value) -> (StatusCode, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::post("/chat/start")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn is_message(author: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "message" && v["author"] == author
}

struct Served {
    visitor: String,
    agents: String,
    n: Nodes,
}

async fn served() -> Served {
    let n = nodes().await;
    n.app.store.listen_signals().await.unwrap();
    n.second.listen_signals().await.unwrap();
    let a = serve(n.a.clone()).await;
    // On SQLite the two stores of one file have no signal between them (one node is what
    // SQLite runs): the agents then use node a too.
    let agents = if std::env::var("TRIPDESK_TEST_DATABASE_URL").is_ok() {
        serve(n.b.clone()).await
    } else {
        a.clone()
    };
    Served {
        visitor: a,
        agents,
        n,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_visitor_and_an_agent_chat_across_nodes_and_an_unanswered_chat_becomes_a_ticket() {
    let Served { visitor, agents, n } = served().await;
    // The scripts the pages load are served (the widget's, the agents' page's).
    for path in ["/chat/widget.js", "/chat/widget.css", "/static/chats.js"] {
        let r = http_get(&visitor, path).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{path}: {r}");
    }

    // Refused: every field named, in Chinese, nothing stored.
    let (status, body) = start(&n.a, json!({"name": "", "phone": "12345", "message": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "message", "phone"] {
        assert!(fields.contains(&f), "{f} named: {body}");
    }
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| c > '\u{2e80}')),
        "in Chinese: {body}"
    );

    let started = n.app.now().as_millisecond();
    let (status, body) = start(
        &n.a,
        json!({"name": "林小雨", "phone": "13912345678", "message": "请问大理双廊五一还有海景房吗？"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let chat = body["chat_id"].as_str().unwrap().to_string();
    let mut v = socket(&visitor, &format!("/chat/ws?token={token}"), &[]).await;
    let first = next(&mut v, is_message("visitor")).await;
    assert_eq!(
        (first["seq"].as_i64(), first["text"].as_str()),
        (Some(1), Some("请问大理双廊五一还有海景房吗？"))
    );
    assert_eq!(
        next(&mut v, |f| f["type"] == "state").await["state"],
        "waiting"
    );

    // The agents' queue: the chat, its deadline three minutes after it started.
    let (cookie, _) = n.session("zhao.min").await;
    let same_site = format!("http://{agents}");
    let agent_headers = [("cookie", cookie.clone()), ("origin", same_site.clone())];
    let mut a = socket(&agents, "/desk/chats/ws", &agent_headers).await;
    let queue = next(&mut a, |f| f["type"] == "queue").await;
    assert_eq!(queue["waiting"][0]["id"], chat.as_str(), "{queue}");
    assert_eq!(queue["waiting"][0]["name"], "林小雨");
    assert_eq!(
        queue["waiting"][0]["due_ms"].as_i64(),
        Some(started + 180_000)
    );

    // Another site may not open an agent's socket with the agent's cookie.
    let evil = [
        ("cookie", cookie.clone()),
        ("origin", "http://evil.example".to_string()),
    ];
    let refused = format!("ws://{agents}/desk/chats/ws")
        .into_client_request()
        .map(|mut r| {
            for (k, val) in &evil {
                r.headers_mut().insert(*k, val.parse().unwrap());
            }
            r
        });
    assert!(
        tokio_tungstenite::connect_async(refused.unwrap())
            .await
            .is_err(),
        "a cross-site socket is refused"
    );

    // The first answer holds the chat; both sides see it; another agent is refused.
    say(&mut a, json!({"type": "open", "chat": chat})).await;
    assert_eq!(next(&mut a, is_message("visitor")).await["seq"], 1);
    say(
        &mut a,
        json!({"type": "say", "chat": chat, "text": "您好，五一还有两间海景房，需要帮您预留吗？"}),
    )
    .await;
    let answer = next(&mut v, is_message("agent")).await;
    assert_eq!(
        (answer["seq"].as_i64(), answer["text"].as_str()),
        (Some(2), Some("您好，五一还有两间海景房，需要帮您预留吗？"))
    );
    assert_eq!(
        next(&mut v, |f| f["type"] == "state").await["state"],
        "active"
    );
    assert_eq!(next(&mut a, is_message("agent")).await["seq"], 2);
    let (other_cookie, _) = n.session("li.na").await;
    let mut other = socket(
        &agents,
        "/desk/chats/ws",
        &[("cookie", other_cookie), ("origin", same_site)],
    )
    .await;
    say(
        &mut other,
        json!({"type": "say", "chat": chat, "text": "我来"}),
    )
    .await;
    let taken = next(&mut other, |f| f["type"] == "error").await;
    assert!(
        taken["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{2e80}'),
        "{taken}"
    );

    say(
        &mut v,
        json!({"type": "say", "text": "好的，帮我留一间，谢谢"}),
    )
    .await;
    assert_eq!(next(&mut a, is_message("visitor")).await["seq"], 3);
    say(&mut v, json!({"type": "end"})).await;
    assert_eq!(
        next(&mut a, |f| f["type"] == "state").await["state"],
        "ended"
    );
    say(&mut v, json!({"type": "say", "text": "还在吗"})).await;
    let ended = next(&mut v, |f| f["type"] == "error").await;
    assert!(
        ended["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{ended}"
    );

    // No one answers the next chat: at its deadline it becomes a ticket, the visitor is told.
    let (_, body) = start(
        &n.a,
        json!({"name": "陈大文", "phone": "13800001111", "message": "三亚亲子游还能报名吗"}),
    )
    .await;
    let token2 = body["token"].as_str().unwrap().to_string();
    let mut v2 = socket(&visitor, &format!("/chat/ws?token={token2}"), &[]).await;
    next(&mut v2, is_message("visitor")).await;
    n.clock.advance(jiff::SignedDuration::from_secs(181));
    let ran = drain(&n.app, &standard_registry().unwrap()).await.unwrap();
    assert!(ran >= 1);
    let told = next(&mut v2, is_message("system")).await;
    let text = told["text"].as_str().unwrap();
    assert!(text.contains("工单 TS"), "{text}");
    assert_eq!(
        next(&mut v2, |f| f["type"] == "state").await["state"],
        "ticketed"
    );
    let boss = n.token("zhao.min").await;
    let number = text
        .split("工单 ")
        .nth(1)
        .unwrap()
        .split('，')
        .next()
        .unwrap();
    let found = n.get("/api/v1/tickets?limit=200", &boss).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    let row = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == number)
        .unwrap_or_else(|| panic!("{number} listed: {}", found.text));
    assert_eq!(row["channel"], "chat");
    let ticket = n
        .get(
            &format!("/api/v1/tickets/{}", row["id"].as_str().unwrap()),
            &boss,
        )
        .await;
    assert!(
        ticket.text.contains("三亚亲子游还能报名吗"),
        "the transcript: {}",
        ticket.text
    );
    assert_eq!(
        drain(&n.app, &standard_registry().unwrap()).await.unwrap(),
        0,
        "once"
    );

    // Sealed: the visitors' words are not in the database file as typed.
    if let tripdesk_store_sql::Location::SqliteDir(_) = &n._store.location {
        let bytes = common::database_bytes(&n._store.location);
        let needle = "好的，帮我留一间".as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}
