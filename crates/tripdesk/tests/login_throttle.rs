//! Sign-in throttling against the real server over HTTP (on PostgreSQL when
//! `TRIPDESK_TEST_DATABASE_URL` is set): parallel guesses cannot get more passwords checked
//! than the limit, a guesser locks out only their own address, and guesses spread over many
//! addresses meet the slower per-username bound.

mod common;

use common::{serve_command, test_keys, Node, BIN};
use std::process::{Command, Stdio};
use tripdesk_store_sql::testing::fresh_store;

const PASSWORD: &str = "a strong password";

/// Creates user `ops` and starts `serve` behind a (pretend) proxy, so each request can name
/// its client address in `X-Forwarded-For`. The node comes second so it is dropped (killed)
/// before the store's schema is.
async fn serve_with_user() -> (tripdesk_store_sql::testing::TestStore, Node) {
    let store = fresh_store().await;
    let args = store.location.command_line();
    let mut admin = Command::new(BIN)
        .args(["admin", "create", "--username", "ops", "--password-stdin"])
        .args(&args)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .env("TRIPDESK_VAULT_KEYS", test_keys())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    admin
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(admin.wait().unwrap().success());
    let mut serve = serve_command(&args);
    serve
        .env("TRIPDESK_TRUST_FORWARDED_FOR", "true")
        .env("TRIPDESK_MAX_CONNECTIONS", "32");
    let node = Node::start(serve).await;
    (store, node)
}

/// Sends `n` sign-ins at once, each from `address(i)`; returns (status, Retry-After, body).
async fn sign_in_at_once(
    base: &str,
    n: usize,
    password: &'static str,
    address: impl Fn(usize) -> String,
) -> Vec<(u16, Option<String>, serde_json::Value)> {
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let client = client.clone();
        let url = format!("{base}/api/v1/auth/login");
        let from = address(i);
        tasks.spawn(async move {
            let r = client
                .post(url)
                .header("x-forwarded-for", from)
                .json(&serde_json::json!({"username": "ops", "password": password}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body = r.json().await.unwrap_or(serde_json::Value::Null);
            (status, retry, body)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_get_at_most_the_limit_checked_and_lock_out_only_the_guesser() {
    let (_store, node) = serve_with_user().await;
    let base = node.base.as_str();

    // 100 wrong passwords from one address, all at once: at most 5 are checked (401), the
    // others answer 429 with Retry-After and a problem naming the limit.
    let replies = sign_in_at_once(base, 100, "wrong password!", |_| "203.0.113.9".into()).await;
    let checked = replies.iter().filter(|r| r.0 == 401).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.0 == 429).collect();
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(checked, 5, "the five allowed attempts are checked");
    assert_eq!(checked + refused.len(), 100, "{replies:?}");
    for (_, retry, body) in &refused {
        let secs: u64 = retry.as_deref().expect("Retry-After").parse().unwrap();
        assert!((1..=15 * 60).contains(&secs), "{secs}");
        assert_eq!(body["code"], "throttled", "{body}");
    }
    // The right password from that address waits too …
    let r = sign_in_at_once(base, 1, PASSWORD, |_| "203.0.113.9".into()).await;
    assert_eq!(r[0].0, 429);
    // … but the real user at their own desk is not locked out.
    let r = sign_in_at_once(base, 1, PASSWORD, |_| "198.51.100.7".into()).await;
    assert_eq!(r[0].0, 200, "{:?}", r[0].2);

    // Guesses spread over many addresses meet the per-username bound (50 an hour): 5 were
    // counted above, so 45 more are checked and the rest refused, whatever their address.
    let replies = sign_in_at_once(base, 60, "wrong password!", |i| {
        format!("10.9.{}.{}", i / 200, i % 200 + 1)
    })
    .await;
    let checked = replies.iter().filter(|r| r.0 == 401).count();
    let refused = replies.iter().filter(|r| r.0 == 429).count();
    assert_eq!((checked, refused), (45, 15), "{replies:?}");
}
