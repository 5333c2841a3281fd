//! A traveler's channels in order (issue 15 item 5: SMS, then a voice-call task, then email)
//! on two nodes of one database (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`)
//! with the loopback SMS provider (`tripdesk_delivery::sms_sink`) and email configured: a
//! typhoon broadcast texts five guests in 大理; the text to one number the provider refuses
//! dies in the outbox and a call task (`sms_failed`) appears at once; the handset's failed
//! receipt of another's, posted to the other node, does the same, posted again nothing more;
//! a guest who answered "safe" before their text died is not called; a call not answered
//! sends the same text with the check-in link by email, once however often the outcome is
//! recorded; a wrong number for a guest with no email sends nothing; the board shows per
//! person which channels were tried, and the timeline each step.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::bookings::{call, homestay, nodes_with, Nodes};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use tripdesk_app::notify::NotifySettings;
use tripdesk_app::sms::{wire, SIGNATURE_HEADER};
use tripdesk_app::AppSettings;
use tripdesk_delivery::sms::{SmsChannel, SmsConfig};
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_delivery::{Channel, DispatcherConfig};
use tripdesk_domain::clock::Clock;
use tripdesk_store::MessageFilter;
use uuid::Uuid;

const KEY_ID: &str = "LTAI-tripdesk-test";
const KEY_SECRET: &str = "access-key-s3cret";
const HOOK_SECRET: &str = "sms-hook-s3cret-0123456789";

/// Books `room` for three nights from 2027-03-10; returns the customer id.
async fn guest(n: &Nodes, agent: &str, room: &str, name: &str, phone: &str, email: bool) -> String {
    let mut customer = json!({"name": name, "phone": phone});
    if email {
        customer["email"] = json!(format!("{phone}@example.cn"));
    }
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": customer,
                   "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["customer_id"].as_str().unwrap().to_string()
}

/// The incident's messages to `customer`, oldest first (with their text).
async fn messages_to(
    n: &Nodes,
    incident: &str,
    customer: &str,
) -> Vec<tripdesk_store::OutboxMessage> {
    let mut tx = n.app.store.read().await.unwrap();
    let mut all = tx
        .list_messages(&MessageFilter {
            related_type: Some("incident".into()),
            related_id: Some(incident.to_string()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    all.retain(|m| m.customer_id.map(|c| c.to_string()).as_deref() == Some(customer));
    all.sort_by_key(|m| (m.created_at, m.id));
    all
}

/// Every call task of the incident (made or not): (customer, reason, outcome).
async fn calls(n: &Nodes, _token: &str, incident: &str) -> Vec<(String, String, Option<String>)> {
    let mut r = n.app.store.read().await.unwrap();
    r.list_call_tasks(incident.parse().unwrap(), false, 200, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|k| {
            (
                k.customer_id.to_string(),
                k.reason.as_str().to_string(),
                k.outcome.map(|o| o.as_str().to_string()),
            )
        })
        .collect()
}

fn call_of<'a>(calls: &'a [(String, String, Option<String>)], customer: &str) -> Option<&'a str> {
    calls.iter().find(|c| c.0 == customer).map(|c| c.1.as_str())
}

/// Receipts posted to node b, signed as the provider signs them.
async fn post_receipts(n: &Nodes, receipts: &Value) -> (StatusCode, Value) {
    let body = serde_json::to_vec(receipts).unwrap();
    let signature = tripdesk_vault::webhook::sign(HOOK_SECRET, n.clock.now().as_second(), &body);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/sms/receipts")
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(Body::from(body))
        .unwrap();
    let res = n.b.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn record_call(n: &Nodes, token: &str, incident: &str, customer: &str, outcome: &str) {
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/calls/{customer}"),
        token,
        Some(json!({"outcome": outcome})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn each_traveler_is_tried_on_the_next_channel_when_one_fails() {
    let settings = AppSettings {
        notify: NotifySettings {
            sms: true,
            email: true,
            sms_webhook_secret: Some(tripdesk_vault::Secret::new(HOOK_SECRET.to_string())),
            ..Default::default()
        },
        ..Default::default()
    };
    let n = nodes_with(settings).await;
    let sink = SmsSink::start_with_clock(KEY_ID, KEY_SECRET, n.clock.clone())
        .await
        .unwrap();
    let sms: Arc<dyn Channel> = Arc::new(
        SmsChannel::new(
            &n.app,
            SmsConfig {
                base_url: sink.url(),
                access_key_id: KEY_ID.into(),
                access_key_secret: tripdesk_vault::Secret::new(KEY_SECRET.to_string()),
                sign_name: "云途旅行".into(),
                template_code: "SMS_276150001".into(),
                timeout: std::time::Duration::from_secs(5),
            },
        )
        .unwrap(),
    );
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &boss, 5).await; // 云南省大理市双廊镇
    let a = guest(&n, &agent, &rooms[0], "王芳", "13700000001", true).await;
    let b = guest(&n, &agent, &rooms[1], "李雷", "13700000002", true).await;
    let c = guest(&n, &agent, &rooms[2], "韩梅梅", "13700000003", true).await;
    let d = guest(&n, &agent, &rooms[3], "赵磊", "13700000004", false).await;
    let e = guest(&n, &agent, &rooms[4], "周杰", "13700000005", true).await;
    // The provider refuses A's and E's numbers for good.
    for phone in ["+8613700000001", "+8613700000005"] {
        sink.refuse_number(phone, wire::MOBILE_NUMBER_ILLEGAL);
    }

    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = n
        .post(
            &format!("/api/v1/incidents/{incident}/broadcasts"),
            &boss,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    assert_eq!(
        sent.body,
        json!({"people": 5, "sms": 5, "email": 0, "calls": 0}),
        "SMS first for everyone with a mobile"
    );
    assert!(calls(&n, &boss, &incident).await.is_empty());

    // E answers "safe" by the link before the outbox reaches their text.
    let keys = n.app.vault().unwrap();
    let inc = Uuid::parse_str(&incident).unwrap();
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/people/{e}/answer"),
        &agent,
        Some(json!({"status": "safe"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // The outbox sends: A's and E's texts die; A gets a call task at once, E (safe) none.
    tripdesk_delivery::dispatcher::run_until_idle(
        n.app.clone(),
        vec![sms.clone()],
        DispatcherConfig::default(),
    )
    .await;
    assert_eq!(sink.messages().len(), 3, "B, C and D's texts accepted");
    let open = calls(&n, &boss, &incident).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(call_of(&open, &a), Some("sms_failed"));
    assert!(call_of(&open, &e).is_none(), "E answered: no call");

    // B's handset never got it: the failed receipt (on node b) makes B's call task; the same
    // receipt again changes nothing.
    let b_sms = messages_to(&n, &incident, &b).await;
    assert_eq!(b_sms.len(), 1);
    let receipt = json!([{"out_id": b_sms[0].id, "success": false, "err_code": "MN:0001",
                          "report_time": "2027-03-01T02:00:09Z"}]);
    let (status, answer) = post_receipts(&n, &receipt).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["recorded"], 1);
    let (_, answer) = post_receipts(&n, &receipt).await;
    assert_eq!(answer["repeated"], 1);
    let open = calls(&n, &boss, &incident).await;
    assert_eq!(open.len(), 2, "{open:?}");
    assert_eq!(call_of(&open, &b), Some("sms_failed"));

    // Staff call A (no answer twice) and B (reached): A's text goes by email, once, with
    // the check-in link; B is not emailed.
    record_call(&n, &agent, &incident, &a, "no_answer").await;
    record_call(&n, &agent, &incident, &a, "no_answer").await;
    record_call(&n, &agent, &incident, &b, "reached").await;
    let to_a = messages_to(&n, &incident, &a).await;
    assert_eq!(
        to_a.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(),
        vec!["sms", "email"],
        "one email after the call"
    );
    let email = &to_a[1];
    assert_eq!(email.event.as_deref(), Some("incident.followup"));
    assert!(email.emergency, "no quiet hours");
    assert_eq!(email.recipient, "13700000001@example.cn");
    let token_a = tripdesk_app::emergency::checkin_token(keys, inc, Uuid::parse_str(&a).unwrap());
    assert!(
        email.body_text.contains(&format!("/c/{token_a}"))
            && email.body_text.contains("我们致电您未能接通")
            && email.body_text.contains(&to_a[0].body_text),
        "the same text with her check-in link: {}",
        email.body_text
    );
    assert_eq!(messages_to(&n, &incident, &b).await.len(), 1);

    // C's text arrived but C stays silent; the sweep 31 minutes on escalates C and D (a call
    // each); C's call not answered → email; D's wrong number, no email address → nothing.
    n.clock.advance(jiff::SignedDuration::from_mins(31));
    let registry = tripdesk_app::jobs::standard_registry().unwrap();
    tripdesk_app::jobs::drain(&n.app, &registry).await.unwrap();
    let open = calls(&n, &boss, &incident).await;
    assert_eq!(call_of(&open, &c), Some("no_answer"));
    assert_eq!(
        call_of(&open, &a),
        Some("sms_failed"),
        "A's call task stays the one made at once"
    );
    record_call(&n, &agent, &incident, &c, "no_answer").await;
    record_call(&n, &agent, &incident, &d, "wrong_number").await;
    let to_c = messages_to(&n, &incident, &c).await;
    assert_eq!(
        to_c.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(),
        vec!["sms", "email"]
    );
    assert_eq!(
        messages_to(&n, &incident, &d).await.len(),
        1,
        "no email for D"
    );

    // The board shows per person which channels were tried; the timeline each step.
    let (cookie, _) = n.session("zhao.min").await;
    let page = n.page(&format!("/incidents/{incident}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let people = page
        .text
        .split("class=\"grid incident-people\"")
        .nth(1)
        .unwrap();
    let row_of = |name: &str| -> String {
        let at = people.find(&format!(">{name}</a>")).unwrap();
        let end = people[at..].find("</tr>").unwrap();
        people[at..at + end].to_string()
    };
    let ra = row_of("王芳");
    for want in ["短信 失败", "电话 无人接听", "邮件 排队中"] {
        assert!(ra.contains(want), "{want} missing from A's row: {ra}");
    }
    let rb = row_of("李雷");
    assert!(
        rb.contains("短信 失败") && rb.contains("电话 已接通"),
        "{rb}"
    );
    let rd = row_of("赵磊");
    assert!(
        rd.contains("短信 已发出") && rd.contains("电话 号码错误") && !rd.contains("邮件"),
        "{rd}"
    );
    for want in ["短信未送达，已列入待拨电话", "电话未能联系上，已改发邮件"]
    {
        assert!(page.text.contains(want), "{want} missing from the timeline");
    }
    // The JSON API's people list says the same per person.
    let listed = n
        .get(&format!("/api/v1/incidents/{incident}/people"), &boss)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let tried_of = |who: &str| -> Vec<(String, String)> {
        let person = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["customer_id"] == who)
            .unwrap_or_else(|| panic!("{who} listed: {}", listed.text));
        person["channels_tried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().unwrap().to_string();
                (s("channel"), s("state"))
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        tried_of(&a),
        pairs(&[
            ("sms", "failed"),
            ("call", "no_answer"),
            ("email", "queued")
        ])
    );
    assert_eq!(
        tried_of(&b),
        pairs(&[("sms", "failed"), ("call", "reached")])
    );
    assert_eq!(
        tried_of(&d),
        pairs(&[("sms", "sent"), ("call", "wrong_number")])
    );
    // …and its OpenAPI document describes the field.
    let doc = n.get("/api/v1/openapi.json", &boss).await.body;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["PersonView"]["properties"]["channels_tried"].is_object()
            && schemas["ChannelTriedView"]["properties"]["state"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("no_answer")),
        "{}",
        schemas["PersonView"]
    );
    let mut r = n.app.store.read().await.unwrap();
    let events = r.list_incident_events(inc, 100, 0).await.unwrap();
    let count = |k: &str| events.iter().filter(|e| e.kind == k).count();
    assert_eq!((count("call_queued"), count("followup")), (2, 2));
    for e in &events {
        assert!(
            !e.detail.contains("13700000") && !e.detail.contains("example.cn"),
            "no contact in the timeline: {}",
            e.detail
        );
    }
}
