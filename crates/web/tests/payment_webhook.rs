//! Payments recorded by a payment gateway's signed notification (issue 14 item 5), through
//! the API: a valid notification records the payment and the booking's balance due drops; a
//! wrong, missing or stale signature is 401 and records nothing; the same notification id
//! again — in turn or eight at once — records one payment and answers 200 every time; an
//! unknown booking is 404, an amount of 0 or less 422; the audit entry's actor is "payment
//! gateway". The signature is the outgoing webhooks' (`tripdesk_vault::webhook::sign`).

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness_with_clock, Harness, Reply};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_vault::webhook::sign;

const NOW: &str = "2027-03-01T02:00:00Z";

struct Setup {
    h: Harness,
    clock: Arc<ManualClock>,
    secret: String,
    agent: String,
    /// A confirmed booking of one adult: 1,280 yuan.
    booking: Value,
}

async fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let h = harness_with_clock(clock.clone()).await;
    let (admin, sup, agent) = (
        h.token("admin").await,
        h.token("zhao.min").await,
        h.token("li.na").await,
    );
    let gateway = h
        .api(
            Method::POST,
            "/api/v1/payment-gateways",
            &admin,
            json!({"provider": "wechat", "description": "微信支付商户号 1900000109"}),
        )
        .await;
    assert_eq!(gateway.status, StatusCode::CREATED, "{}", gateway.text);
    let secret = gateway.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        gateway.body["notification_path"],
        "/api/v1/payment-notifications/wechat"
    );
    let package = h
        .api(
            Method::POST,
            "/api/v1/products",
            &sup,
            json!({"name": "千岛湖二日游", "destination": "千岛湖", "keywords": [],
                   "scope": "domestic", "tags": ["leisure"],
                   "accessibility": {"wheelchair": false, "easy_walking": true}, "diets": [],
                   "itinerary": [{"day": 1, "title": "杭州—千岛湖", "description": "游船"},
                                 {"day": 2, "title": "千岛湖", "description": "返程"}],
                   "inclusions": [], "exclusions": [], "fees": [],
                   "accommodation": "湖景房", "transport": "大巴", "meals": "1早1正", "notes": ""}),
        )
        .await;
    let departure = h
        .api(
            Method::POST,
            "/api/v1/departures",
            &sup,
            json!({"package_id": package.body["id"], "date": "2027-05-01", "seats": 30,
                   "min_group": 1, "go_no_go": "2027-04-20",
                   "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                   "meeting_time": "07:30", "meeting_point": "杭州黄龙体育中心"}),
        )
        .await;
    let booking = h
        .api(
            Method::POST,
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张晓梅", "phone": "13800138000"},
                   "lines": [{"departure_id": departure.body["id"], "travelers": {"adults": 1, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(booking.status, StatusCode::CREATED, "{}", booking.text);
    Setup {
        h,
        clock,
        secret,
        agent,
        booking: booking.body,
    }
}

impl Setup {
    fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// Posts `body` as gateway `provider` would, signed with `secret` at unix time `t`.
    async fn notify_as(&self, provider: &str, secret: &str, t: i64, body: &Value) -> Reply {
        let raw = body.to_string();
        let signature = sign(secret, t, raw.as_bytes());
        self.h
            .call(
                Method::POST,
                &format!("/api/v1/payment-notifications/{provider}"),
                &[
                    ("content-type", "application/json"),
                    ("x-tripdesk-signature", &signature),
                ],
                Some(raw),
            )
            .await
    }

    async fn notify(&self, body: &Value) -> Reply {
        self.notify_as("wechat", &self.secret, self.now(), body)
            .await
    }

    fn notification(&self, id: &str, amount_fen: i64) -> Value {
        json!({"notification_id": id, "confirmation_no": self.booking["confirmation_no"],
               "amount_fen": amount_fen, "method": "wechat_pay",
               "transaction_id": format!("4200001234{id}")})
    }

    async fn booking_now(&self) -> Value {
        let id = self.booking["id"].as_str().unwrap();
        self.h
            .get(&format!("/api/v1/bookings/{id}"), &self.agent)
            .await
            .body
    }

    async fn payments(&self) -> Vec<Value> {
        let id = self.booking["id"].as_str().unwrap();
        self.h
            .get(&format!("/api/v1/bookings/{id}/payments"), &self.agent)
            .await
            .body["payments"]
            .as_array()
            .unwrap()
            .clone()
    }
}

#[tokio::test]
async fn a_signed_notification_records_the_payment_and_the_balance_due_drops() {
    let s = setup().await;
    assert_eq!(s.booking["balance_fen"], 128000);
    let r = s.notify(&s.notification("wx-0001", 50000)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["replayed"], false);
    assert_eq!(r.body["booking_id"], s.booking["id"]);
    assert_eq!(r.body["amount_fen"], 50000);
    assert_eq!(r.body["paid_fen"], 50000);
    assert_eq!(r.body["balance_fen"], 78000);
    let booking = s.booking_now().await;
    assert_eq!(booking["paid_fen"], 50000);
    assert_eq!(booking["balance_fen"], 78000);
    let payments = s.payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["method"], "wechat_pay");
    assert_eq!(payments[0]["reference"], "4200001234wx-0001");
    assert_eq!(payments[0]["id"], r.body["payment_id"]);

    // By booking id too; the rest of the balance.
    let mut rest = s.notification("wx-0002", 78000);
    rest["confirmation_no"] = Value::Null;
    rest["booking_id"] = s.booking["id"].clone();
    rest["method"] = json!("alipay");
    let r = s.notify(&rest).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["balance_fen"], 0);

    // The audit chain names the payment gateway as the actor.
    let admin = s.h.token("admin").await;
    let audit =
        s.h.get("/api/v1/audit?action=booking.payment", &admin)
            .await;
    let entries = audit.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{}", audit.text);
    for e in entries {
        assert_eq!(e["actor_name"], "payment gateway", "{e}");
        assert_eq!(e["actor_id"], Value::Null);
        assert_eq!(e["summary"]["provider"], "wechat");
    }
    assert_eq!(entries[1]["summary"]["notification_id"], "wx-0001");
    assert_eq!(entries[1]["summary"]["amount_fen"], 50000);
}

#[tokio::test]
async fn a_wrong_missing_or_stale_signature_is_401_and_records_nothing() {
    let s = setup().await;
    let body = s.notification("wx-0001", 50000);
    let now = s.now();
    for (provider, secret, t, why) in [
        ("wechat", "whsec_not-the-secret", now, "does not match"),
        ("wechat", s.secret.as_str(), now - 301, "5 minutes"),
        ("wechat", s.secret.as_str(), now + 301, "5 minutes"),
        ("alipay", s.secret.as_str(), now, "no payment gateway"),
    ] {
        let r = s.notify_as(provider, secret, t, &body).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
        assert!(
            r.body["detail"].as_str().unwrap().contains(why),
            "{}",
            r.text
        );
    }
    // Within the 5 minutes either way it holds.
    let r = s.notify_as("wechat", &s.secret, now - 299, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(s.payments().await.len(), 1);

    // A body changed after signing, and no signature at all.
    let signed = sign(&s.secret, now, body.to_string().as_bytes());
    let mut changed = body.clone();
    changed["notification_id"] = json!("wx-0002");
    changed["amount_fen"] = json!(5000000);
    for headers in [
        vec![
            ("content-type", "application/json"),
            ("x-tripdesk-signature", signed.as_str()),
        ],
        vec![("content-type", "application/json")],
    ] {
        let r =
            s.h.call(
                Method::POST,
                "/api/v1/payment-notifications/wechat",
                &headers,
                Some(changed.to_string()),
            )
            .await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    assert_eq!(s.payments().await.len(), 1, "nothing more recorded");
    assert_eq!(s.booking_now().await["paid_fen"], 50000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_notification_again_records_one_payment_and_answers_200() {
    let s = setup().await;
    let body = s.notification("wx-0001", 50000);
    let first = s.notify(&body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // The gateway retries a minute later, signing again.
    s.clock.advance(SignedDuration::from_mins(1));
    let again = s.notify(&body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["payment_id"], first.body["payment_id"]);
    assert_eq!(again.body["balance_fen"], 78000);
    // Eight deliveries at once.
    let raw = s.notification("wx-0002", 10000).to_string();
    let signature = sign(&s.secret, s.now(), raw.as_bytes());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (router, raw, signature) = (s.h.router.clone(), raw.clone(), signature.clone());
        tasks.push(tokio::spawn(post_signed(router, signature, raw)));
    }
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    let mut payment_ids = Vec::new();
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        payment_ids.push(r.body["payment_id"].clone());
    }
    payment_ids.dedup();
    assert_eq!(payment_ids.len(), 1, "one payment for eight deliveries");
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.body["replayed"] == false)
            .count(),
        1
    );
    assert_eq!(s.payments().await.len(), 2);
    assert_eq!(s.booking_now().await["paid_fen"], 60000);

    // The same id with another body is not a replay.
    let r = s.notify(&s.notification("wx-0001", 99000)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        (field_of(&r), r.body["errors"][0]["code"].as_str()),
        ("notification_id", Some("reused"))
    );
    // Another notification of a transaction recorded before.
    let mut twice = s.notification("wx-0003", 50000);
    twice["transaction_id"] = json!("4200001234wx-0001");
    let r = s.notify(&twice).await;
    assert_problem(&r, StatusCode::CONFLICT, "payment_recorded");
    assert_eq!(s.payments().await.len(), 2);
}

#[tokio::test]
async fn an_unknown_booking_is_404_and_a_bad_amount_422() {
    let s = setup().await;
    let mut unknown = s.notification("wx-0001", 50000);
    unknown["confirmation_no"] = json!("TD270301ZZZZZZZZ");
    assert_problem(
        &s.notify(&unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    unknown["confirmation_no"] = Value::Null;
    unknown["booking_id"] = json!("01900000-0000-7000-8000-000000000000");
    assert_problem(
        &s.notify(&unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for amount in [0, -5000] {
        let r = s.notify(&s.notification("wx-0002", amount)).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), "amount_fen", "{}", r.text);
    }
    let mut cash = s.notification("wx-0003", 50000);
    cash["method"] = json!("cash");
    let r = s.notify(&cash).await;
    assert_eq!(field_of(&r), "method", "{}", r.text);
    let mut neither = s.notification("wx-0004", 50000);
    neither["confirmation_no"] = Value::Null;
    let r = s.notify(&neither).await;
    assert_eq!(field_of(&r), "booking_id", "{}", r.text);
    let mut unknown_field = s.notification("wx-0005", 50000);
    unknown_field["buyer_phone"] = json!("13800138000");
    let r = s.notify(&unknown_field).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(s.payments().await.len(), 0);
    // A notification refused (404) can be sent again once it is right: nothing was kept.
    let r = s.notify(&s.notification("wx-0001", 50000)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["replayed"], false);

    // A cancelled booking takes no payment.
    let id = s.booking["id"].as_str().unwrap();
    s.h.api(
        Method::POST,
        &format!("/api/v1/bookings/{id}/cancel"),
        &s.agent,
        json!({"cause": "customer"}),
    )
    .await;
    let r = s.notify(&s.notification("wx-0006", 1000)).await;
    assert_problem(&r, StatusCode::CONFLICT, "booking.closed");
}

#[tokio::test]
async fn gateways_are_an_administrators_and_their_secret_is_shown_once() {
    let s = setup().await;
    let admin = s.h.token("admin").await;
    let list = s.h.get("/api/v1/payment-gateways", &admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["items"][0]["provider"], "wechat");
    assert!(
        !list.text.contains(&s.secret),
        "the secret is not shown again"
    );
    assert_problem(
        &s.h.get("/api/v1/payment-gateways", &s.agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let again =
        s.h.api(
            Method::POST,
            "/api/v1/payment-gateways",
            &admin,
            json!({"provider": "wechat"}),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "gateway_taken");
    let bad =
        s.h.api(
            Method::POST,
            "/api/v1/payment-gateways",
            &admin,
            json!({"provider": "WeChat Pay"}),
        )
        .await;
    assert_eq!(field_of(&bad), "provider");
    let audit =
        s.h.get("/api/v1/audit?action=payment_gateway.create", &admin)
            .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1);
    assert!(!audit.text.contains(&s.secret), "never in the audit log");
    // Removed, its notifications are refused.
    let r =
        s.h.call(
            Method::DELETE,
            "/api/v1/payment-gateways/wechat",
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s.notify(&s.notification("wx-0001", 50000)).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// A signed notification to gateway `wechat`, on a task of its own.
async fn post_signed(router: axum::Router, signature: String, raw: String) -> Reply {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/payment-notifications/wechat")
        .header("content-type", "application/json")
        .header("x-tripdesk-signature", signature)
        .body(axum::body::Body::from(raw))
        .unwrap();
    let res = router.oneshot(req).await.unwrap();
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

#[tokio::test]
async fn the_gateways_page_adds_one_and_shows_its_secret_once() {
    let s = setup().await;
    let (cookie, csrf) = s.h.session("admin").await;
    let get = |uri: String| {
        let (h, cookie) = (&s.h, cookie.clone());
        async move {
            h.call(Method::GET, &uri, &[("cookie", &cookie)], None)
                .await
        }
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let (h, cookie) = (&s.h, cookie.clone());
        async move {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                body.append_pair(k, v);
            }
            h.call(
                Method::POST,
                "/notify/payment-gateways",
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(body.finish()),
            )
            .await
        }
    };
    let r = get("/notify/payment-gateways".into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("/api/v1/payment-notifications/wechat"));
    assert!(!r.text.contains(&s.secret));
    let webhooks = get("/notify/webhooks".into()).await;
    assert!(webhooks.text.contains("href=\"/notify/payment-gateways\""));

    let taken = post(vec![("_csrf", csrf.clone()), ("provider", "wechat".into())]).await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.text
    );
    assert!(
        taken.text.contains("网关名称：已有同名的支付网关。"),
        "{}",
        taken.text
    );
    let added = post(vec![
        ("_csrf", csrf.clone()),
        ("provider", "alipay".into()),
        ("description", "支付宝当面付".into()),
    ])
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let to = added.headers["location"].to_str().unwrap().to_string();
    let shown = get(to).await;
    let secret = shown
        .text
        .split("<code class=\"secret\" translate=\"no\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_default()
        .to_string();
    assert!(secret.starts_with("whsec_"), "{}", shown.text);
    let again = get("/notify/payment-gateways".into()).await;
    assert!(!again.text.contains(&secret), "shown once");
    // The secret shown signs notifications the new gateway's address accepts.
    let r = s
        .notify_as(
            "alipay",
            &secret,
            s.now(),
            &s.notification("ali-0001", 1000),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let (agent, _) = s.h.session("li.na").await;
    let r =
        s.h.call(
            Method::GET,
            "/notify/payment-gateways",
            &[("cookie", &agent)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
