//! What the HTTP benchmarks (`bench tickets`, `bench inbox`) share: the real server — the
//! router, state, SLA engine and delivery workers `serve` runs — on a loopback port, a lean
//! HTTP/1.1 client (one keep-alive connection per simulated client, so the client costs the
//! shared cores as little as possible), concurrent request loops and their latency table.

use crate::config::Config;
use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tripdesk_app::App;

/// The server of a benchmark run, stopped (gracefully, as on SIGTERM) by [`Server::stop`].
pub struct Server {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Starts `serve` on 127.0.0.1 with an ephemeral port.
    pub async fn start(config: &Config, app: App) -> anyhow::Result<Self> {
        let mut config = config.clone();
        config.addr = "127.0.0.1:0".into();
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            crate::serve(
                &config,
                app,
                move |addr| {
                    let _ = ready_tx.send(addr);
                },
                async {
                    let _ = stop_rx.await;
                },
            )
            .await
        });
        match ready_rx.await {
            Ok(addr) => Ok(Self { addr, stop, task }),
            Err(_) => match task.await? {
                Err(e) => Err(e.context("the server did not start")),
                Ok(()) => bail!("the server stopped before it listened"),
            },
        }
    }

    /// Stops the server once every client connection is closed, and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

/// One keep-alive HTTP/1.1 connection to the server.
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

/// A response, body read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: HeaderValue::from_str(&addr.to_string())?,
        })
    }

    /// Sends one request; `headers` are added as given.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.host.clone());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body.unwrap_or_default()))?;
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let (parts, body) = res.into_parts();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await?.to_bytes(),
        })
    }
}

/// Latencies and wall time of one run.
pub struct Run {
    pub requests: usize,
    pub wall: Duration,
    /// Sorted, in milliseconds.
    pub latencies_ms: Vec<f64>,
}

impl Run {
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub fn percentile(&self, p: f64) -> f64 {
        let v = &self.latencies_ms;
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
        v[rank.min(v.len()) - 1]
    }

    /// One line of the table under [`header`].
    pub fn row(&self, concurrency: usize) -> String {
        format!(
            "{concurrency:>11} {:>9} {:>8.2} {:>10.0} {:>8.2} {:>8.2} {:>8.2}",
            self.requests,
            self.wall.as_secs_f64(),
            self.per_sec(),
            self.percentile(50.0),
            self.percentile(99.0),
            self.latencies_ms.last().copied().unwrap_or(f64::NAN),
        )
    }
}

/// The header of the table [`Run::row`] fills; `rate` names the throughput, e.g. `tickets/s`.
pub fn header(rate: &str) -> String {
    format!(
        "{:>11} {:>9} {:>8} {rate:>10} {:>8} {:>8} {:>8}",
        "concurrency", "requests", "seconds", "p50 ms", "p99 ms", "max ms"
    )
}

/// Runs `total` requests from `concurrency` clients at once, each on its own connection,
/// each sending its next request when the previous one is answered. `one(client, worker, i)`
/// sends request `i` and fails the run on an unexpected answer.
pub async fn drive<F, Fut>(
    addr: SocketAddr,
    concurrency: usize,
    total: usize,
    one: F,
) -> anyhow::Result<Run>
where
    F: Fn(Client, usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Client>> + Send,
{
    drive_nodes(&[addr], concurrency, total, one).await
}

/// [`drive`] against several nodes: client `w` connects to `addrs[w % addrs.len()]`.
pub async fn drive_nodes<F, Fut>(
    addrs: &[SocketAddr],
    concurrency: usize,
    total: usize,
    one: F,
) -> anyhow::Result<Run>
where
    F: Fn(Client, usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Client>> + Send,
{
    let one = Arc::new(one);
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        clients.push(Client::connect(addrs[w % addrs.len()]).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for (worker, client) in clients.into_iter().enumerate() {
        let (one, next) = (one.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = client;
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                client = one(client, worker, i).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut latencies_ms = Vec::with_capacity(total);
    for t in tasks {
        latencies_ms.extend(t.await??);
    }
    let wall = started.elapsed();
    latencies_ms.sort_by(f64::total_cmp);
    Ok(Run {
        requests: latencies_ms.len(),
        wall,
        latencies_ms,
    })
}

/// Levels of concurrency, e.g. `1,8,32`.
#[derive(Debug, Clone)]
pub struct Levels(pub Vec<usize>);

pub fn parse_levels(s: &str) -> Result<Levels, String> {
    s.split(',')
        .map(|p| match p.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!("{p:?} is not a number from 1 to 1024")),
        })
        .collect::<Result<_, _>>()
        .map(Levels)
}

/// Counts, e.g. `0,1000000`.
#[derive(Debug, Clone)]
pub struct Counts(pub Vec<usize>);

pub fn parse_counts(s: &str) -> Result<Counts, String> {
    s.split(',')
        .map(|p| {
            p.trim()
                .replace('_', "")
                .parse::<usize>()
                .map_err(|_| format!("{p:?} is not a whole number"))
        })
        .collect::<Result<_, _>>()
        .map(Counts)
}

/// The machine line printed above every table.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!("{cores} cores, load average {load} at start")
}

/// The machine baseline of the HTTP benchmarks, measured in the same run: loopback HTTP
/// round trips per second through the real server (`GET /static/app.css`: no database), one
/// client then `clients` at once, after a warm-up.
pub async fn http_round_trips(addr: SocketAddr, clients: usize) -> anyhow::Result<(f64, f64)> {
    let fetch = |client: Client, _worker: usize, _i: usize| async move {
        let mut client = client;
        let reply = client
            .send(Method::GET, "/static/app.css", &[], None)
            .await?;
        if reply.status != StatusCode::OK {
            bail!("GET /static/app.css answered {}", reply.status);
        }
        Ok(client)
    };
    drive(addr, clients, 500, fetch).await?;
    let one = drive(addr, 1, 3_000, fetch).await?.per_sec();
    let many = drive(addr, clients, 10_000, fetch).await?.per_sec();
    Ok((one, many))
}
