//! `Idempotency-Key` on the create endpoints (tickets, messages on a ticket), on the backend
//! of this test run: a retry answers the first response and writes nothing; the same key with
//! another body is refused; concurrent duplicates are decided by the database.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, harness, Harness, Reply};
use serde_json::json;

fn ticket_body(subject: &str) -> String {
    json!({
        "kind": "inquiry",
        "channel": "phone",
        "subject": subject,
        "description": "想确认出发时间",
        "customer": {"name": "林晓", "phone": "13700001111"}
    })
    .to_string()
}

async fn post(h: &Harness, token: &str, path: &str, key: Option<&str>, body: &str) -> Reply {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    h.call(Method::POST, path, &headers, Some(body.to_string()))
        .await
}

async fn tickets_with_subject(h: &Harness, token: &str, subject: &str) -> usize {
    let r = h.get("/api/v1/tickets?limit=100", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["subject"] == subject)
        .count()
}

fn replayed(r: &Reply) -> bool {
    r.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn the_same_post_with_the_same_key_twice_creates_one_ticket_and_another_body_is_422() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let key = "0190c8a2-6f1e-7a3b-9c4d-1e2f3a4b5c6d";

    let first = post(
        &h,
        &agent,
        "/api/v1/tickets",
        Some(key),
        &ticket_body("集合时间"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(!replayed(&first));
    let again = post(
        &h,
        &agent,
        "/api/v1/tickets",
        Some(key),
        &ticket_body("集合时间"),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert!(replayed(&again), "the retry is marked as a replay");
    assert_eq!(
        again.body, first.body,
        "the retry answers the first response"
    );
    assert_eq!(tickets_with_subject(&h, &agent, "集合时间").await, 1);

    // The same key with another body: refused, naming the header, nothing written.
    let other = post(
        &h,
        &agent,
        "/api/v1/tickets",
        Some(key),
        &ticket_body("返程时间"),
    )
    .await;
    assert_problem(
        &other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(other.body["errors"][0]["code"], "reused");
    assert_eq!(tickets_with_subject(&h, &agent, "返程时间").await, 0);

    // Without a key, the same body is a new ticket each time.
    for _ in 0..2 {
        let r = post(
            &h,
            &agent,
            "/api/v1/tickets",
            None,
            &ticket_body("集合时间"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(!replayed(&r));
    }
    assert_eq!(tickets_with_subject(&h, &agent, "集合时间").await, 3);

    // Keys belong to their principal: another agent's same key is their own.
    let other_agent = h.token("zhou.jie").await;
    let theirs = post(
        &h,
        &other_agent,
        "/api/v1/tickets",
        Some(key),
        &ticket_body("集合时间"),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert!(!replayed(&theirs));
    assert_ne!(theirs.body["id"], first.body["id"]);
}

#[tokio::test]
async fn a_key_must_be_1_to_255_visible_ascii_characters() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    for bad in [
        "a b".to_string(),
        "k".repeat(256),
        "键".into(),
        String::new(),
    ] {
        let r = post(
            &h,
            &agent,
            "/api/v1/tickets",
            Some(&bad),
            &ticket_body("钥匙"),
        )
        .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key", "{bad:?}");
    }
    assert_eq!(tickets_with_subject(&h, &agent, "钥匙").await, 0);
    let longest = "k".repeat(255);
    let r = post(
        &h,
        &agent,
        "/api/v1/tickets",
        Some(&longest),
        &ticket_body("钥匙"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_retried_reply_is_posted_once() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let t = post(&h, &agent, "/api/v1/tickets", None, &ticket_body("回复")).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let path = format!(
        "/api/v1/tickets/{}/messages",
        t.body["id"].as_str().unwrap()
    );
    let body = json!({"kind": "reply", "body": "出发时间是早上八点。"}).to_string();
    let first = post(&h, &agent, &path, Some("reply-1"), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = post(&h, &agent, &path, Some("reply-1"), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    let timeline = h
        .get(
            &format!("{}/timeline", path.trim_end_matches("/messages")),
            &agent,
        )
        .await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.text);
    let replies = timeline.text.matches("出发时间是早上八点。").count();
    assert_eq!(replies, 1, "{}", timeline.text);
    // The key names one request: on another ticket's path it is another request.
    let t2 = post(&h, &agent, "/api/v1/tickets", None, &ticket_body("回复二")).await;
    let path2 = format!(
        "/api/v1/tickets/{}/messages",
        t2.body["id"].as_str().unwrap()
    );
    let elsewhere = post(&h, &agent, &path2, Some("reply-1"), &body).await;
    assert_problem(
        &elsewhere,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(elsewhere.body["errors"][0]["field"], "Idempotency-Key");
}

#[tokio::test]
async fn concurrent_duplicates_create_one_ticket() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let body = ticket_body("并发");
    let calls = (0..8)
        .map(|_| post(&h, &agent, "/api/v1/tickets", Some("burst"), &body))
        .collect();
    let replies = join_all(calls).await;
    let mut ids = Vec::new();
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.body["id"].clone());
    }
    ids.dedup();
    assert_eq!(
        ids,
        vec![replies[0].body["id"].clone()],
        "one ticket answered to all"
    );
    assert_eq!(
        replies.iter().filter(|r| !replayed(r)).count(),
        1,
        "exactly one request created it"
    );
    assert_eq!(tickets_with_subject(&h, &agent, "并发").await, 1);
}

/// Runs the calls concurrently on this task: each holds its own connection and transaction,
/// so the database sees them in flight together.
async fn join_all<F: std::future::Future<Output = Reply>>(calls: Vec<F>) -> Vec<Reply> {
    let mut pinned: Vec<_> = calls.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<Reply>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => out[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}
