//! `tripdesk bench chat`: web chat visitors at once on one node, message delivery time.
//!
//! 1. Baseline of the machine, measured in the same run: single-row commits per second
//!    through the store, and loopback HTTP round trips per second through the real server.
//! 2. `--visitors` chats opened through `POST /chat/start`, each by a new visitor (a name and
//!    a phone of their own: a new customer each), `--openers` at once: p50/p99 of a start.
//! 3. Every visitor's WebSocket (`/chat/ws`) stays connected, and `--agents` signed-in agents'
//!    sockets (`/desk/chats/ws`) each open an equal share of the chats.
//! 4. Every visitor sends `--messages` messages at random moments over `--seconds`, and for
//!    each the agent holding the chat answers one: the delivery time is from the send of a
//!    frame to its arrival at the other side's socket (written, committed, announced on the
//!    after-commit signal, read by the receiving socket, sent), both directions, p50/p99/max;
//!    every message must arrive exactly once.
//!
//! The clients run in the benchmark's process beside the server, on the same cores: the
//! figures include their cost.

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use hyper::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::bench_http::{Client, Server};

/// What one run measures.
pub struct Shape {
    pub visitors: usize,
    pub agents: usize,
    pub messages: usize,
    pub seconds: u64,
    pub openers: usize,
}

type Sent = Arc<Mutex<HashMap<String, Instant>>>;
type Times = Arc<Mutex<Vec<f64>>>;

pub async fn run(db: crate::DbArgs, shape: Shape) -> anyhow::Result<()> {
    if shape.visitors == 0 || shape.agents == 0 || shape.agents > shape.visitors {
        bail!("--visitors must be at least 1 and at least --agents (at least 1)");
    }
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    // Every visitor comes from 127.0.0.1: the public limits would refuse all but a few.
    config.public_form_per_ip_hour = u32::MAX / 2;
    config.public_form_per_hour = u32::MAX / 2;
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = bench(&config, &shape).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn line(label: &str, v: &Times) -> String {
    let mut v = v.lock().unwrap().clone();
    v.sort_by(f64::total_cmp);
    format!(
        "{label}: {n} delivered, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&v, 0.5),
        percentile(&v, 0.99),
        v.last().copied().unwrap_or(f64::NAN),
        n = v.len()
    )
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(addr: SocketAddr, path: &str, cookie: Option<&str>) -> anyhow::Result<Ws> {
    let mut req = format!("ws://{addr}{path}").into_client_request()?;
    req.headers_mut()
        .insert("origin", format!("http://{addr}").parse()?);
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse()?);
    }
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

async fn bench(config: &crate::config::Config, shape: &Shape) -> anyhow::Result<()> {
    let app = crate::bench_tickets::bench_app(config).await?;
    app.install_default_reply_templates().await?;
    println!(
        "tripdesk bench chat on {}; {}",
        config.location()?.describe(),
        crate::bench_http::machine()
    );
    let (one, many) = crate::bench_tickets::commits_per_sec(&app, 8).await?;
    let server = Server::start(config, app.clone()).await?;
    let addr = server.addr;
    let (rt_one, rt_many) = crate::bench_http::http_round_trips(addr, 8).await?;
    println!(
        "baseline: single-row commits/s: 1 writer {one:.0}, 8 writers {many:.0}; \
         loopback HTTP round trips/s: 1 client {rt_one:.0}, 8 clients {rt_many:.0}"
    );

    // Chats opened, each by a new visitor.
    let started = Instant::now();
    let starts: Times = Arc::default();
    let mut tokens: Vec<(String, String)> = Vec::with_capacity(shape.visitors);
    let per_opener = shape.visitors.div_ceil(shape.openers.max(1));
    let mut tasks = Vec::new();
    for o in 0..shape.openers.max(1) {
        let starts = starts.clone();
        let range = (o * per_opener)..((o + 1) * per_opener).min(shape.visitors);
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await?;
            let mut out = Vec::new();
            for i in range {
                let body = json!({
                    "name": format!("访客{i}"),
                    "phone": format!("139{:08}", 10_000_000 + i),
                    "message": "请问五一大理双廊还有海景房吗？",
                });
                let t = Instant::now();
                let reply = client
                    .send(
                        Method::POST,
                        "/chat/start",
                        &[("content-type", "application/json")],
                        Some(body.to_string().into()),
                    )
                    .await?;
                starts.lock().unwrap().push(t.elapsed().as_secs_f64() * 1e3);
                if reply.status != hyper::StatusCode::CREATED {
                    bail!("/chat/start answered {}: {:?}", reply.status, reply.body);
                }
                let v: Value = serde_json::from_slice(&reply.body)?;
                out.push((
                    v["token"].as_str().context("token")?.to_string(),
                    v["chat_id"].as_str().context("chat_id")?.to_string(),
                ));
            }
            anyhow::Ok(out)
        }));
    }
    for t in tasks {
        tokens.extend(t.await??);
    }
    let opened = started.elapsed().as_secs_f64();
    {
        let mut v = starts.lock().unwrap();
        v.sort_by(f64::total_cmp);
        println!(
            "{} chats opened by new visitors in {opened:.1} s ({:.0}/s, {} at once): \
             p50 {:.1} ms, p99 {:.1} ms",
            tokens.len(),
            tokens.len() as f64 / opened,
            shape.openers,
            percentile(&v, 0.5),
            percentile(&v, 0.99)
        );
    }

    // Agents: one session cookie each, one socket each, an equal share of the chats.
    let mut login = Client::connect(addr).await?;
    let reply = login
        .send(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some("username=li.na&password=tripdesk-demo&next=%2F".into()),
        )
        .await?;
    let cookie = reply
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie from /login")?
        .to_string();

    let to_agent: Times = Arc::default();
    let to_visitor: Times = Arc::default();
    let sent_by_visitor: Sent = Arc::default();
    let sent_by_agent: Sent = Arc::default();
    let total = shape.visitors * shape.messages;
    let deadline = Duration::from_secs(shape.seconds + 30);
    let mut handles = Vec::new();

    // Visitors: connect all first, then talk.
    let mut visitor_sockets = Vec::with_capacity(tokens.len());
    for (token, _) in &tokens {
        visitor_sockets.push(socket(addr, &format!("/chat/ws?token={token}&after=1"), None).await?);
    }
    let go = Arc::new(tokio::sync::Barrier::new(tokens.len() + shape.agents + 1));
    for (i, ws) in visitor_sockets.into_iter().enumerate() {
        let (mut tx, mut rx) = ws.split();
        let (sent, seen, times, go) = (
            sent_by_visitor.clone(),
            sent_by_agent.clone(),
            to_visitor.clone(),
            go.clone(),
        );
        let (messages, seconds) = (shape.messages, shape.seconds);
        handles.push(tokio::spawn(async move {
            let reader = tokio::spawn(async move {
                while let Some(Ok(m)) = rx.next().await {
                    if let Message::Text(t) = m {
                        let v: Value = serde_json::from_str(&t).unwrap_or_default();
                        if v["author"] == "agent" {
                            let text = v["text"].as_str().unwrap_or_default().to_string();
                            if let Some(at) = seen.lock().unwrap().remove(&text) {
                                times.lock().unwrap().push(at.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                    }
                }
            });
            go.wait().await;
            let mut rng = i as u64 * 2_654_435_761 + 1;
            for j in 0..messages {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let pause = (rng >> 33) % (2 * seconds * 1000 / messages.max(1) as u64).max(1);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let text = format!("v{i}-{j} 好的，请帮我预留");
                sent.lock().unwrap().insert(text.clone(), Instant::now());
                let frame = json!({"type": "say", "text": text}).to_string();
                if tx.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            (tx, reader)
        }));
    }

    // Agents: each opens its share of the chats and answers every visitor message once.
    let share = tokens.len().div_ceil(shape.agents);
    let mut agent_handles = Vec::new();
    for a in 0..shape.agents {
        let chats: Vec<String> = tokens
            .iter()
            .skip(a * share)
            .take(share)
            .map(|(_, c)| c.clone())
            .collect();
        let ws = socket(addr, "/desk/chats/ws", Some(&cookie)).await?;
        let (mut tx, mut rx) = ws.split();
        for c in &chats {
            let frame = json!({"type": "open", "chat": c}).to_string();
            tx.send(Message::Text(frame.into())).await?;
        }
        let (seen, sent, times, go) = (
            sent_by_visitor.clone(),
            sent_by_agent.clone(),
            to_agent.clone(),
            go.clone(),
        );
        agent_handles.push(tokio::spawn(async move {
            go.wait().await;
            while let Some(Ok(m)) = rx.next().await {
                let Message::Text(t) = m else { continue };
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] != "message" || v["author"] != "visitor" {
                    continue;
                }
                let text = v["text"].as_str().unwrap_or_default().to_string();
                let Some(at) = seen.lock().unwrap().remove(&text) else {
                    continue; // the first message of the chat, sent at its start
                };
                times.lock().unwrap().push(at.elapsed().as_secs_f64() * 1e3);
                let reply = format!("a:{text}");
                sent.lock().unwrap().insert(reply.clone(), Instant::now());
                let frame = json!({"type": "say", "chat": v["chat"], "text": reply}).to_string();
                if tx.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
        }));
    }
    go.wait().await;
    let talk = Instant::now();
    // Wait until every message has arrived both ways, or the deadline.
    while talk.elapsed() < deadline {
        let (a, b) = (
            to_agent.lock().unwrap().len(),
            to_visitor.lock().unwrap().len(),
        );
        if a >= total && b >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let talked = talk.elapsed().as_secs_f64();
    println!(
        "{} visitors and {} agents connected; {} messages each way over {talked:.1} s \
         ({:.0} messages/s written)",
        tokens.len(),
        shape.agents,
        total,
        2.0 * total as f64 / talked
    );
    println!("{}", line("visitor → agent", &to_agent));
    println!("{}", line("agent → visitor", &to_visitor));
    let lost = (
        sent_by_visitor.lock().unwrap().len(),
        sent_by_agent.lock().unwrap().len(),
    );
    println!(
        "not delivered: visitor → agent {}, agent → visitor {}",
        lost.0, lost.1
    );
    // Every visitor has sent all it had by now; closing the sockets ends their sessions.
    for h in handles {
        if let Ok((mut tx, reader)) = h.await {
            let _ = tx.close().await;
            reader.abort();
        }
    }
    for h in agent_handles {
        h.abort();
    }
    server.stop().await?;
    if lost != (0, 0) {
        bail!("messages were lost: {lost:?}");
    }
    Ok(())
}
