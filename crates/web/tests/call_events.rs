//! The hotline's live side (issue 17 item 3) on the backend of this run: the PBX's CTI posts
//! signed call events — in order, out of order (an `ended` before its late `answered`) and
//! again — and each call is one row with the right figures, in the list and the answer rate;
//! unsigned, wrongly signed and unreadable posts are refused, saying why; the same caller
//! missing three times is one callback task with its clock, stopped met by the agent's
//! "called back"; an answered outbound call to a number closes its task; a late callback
//! stops the clock breached; a missed call of an imported file makes a task too; a call
//! becomes a ticket with its customer (made from the sealed number) and is on the ticket's
//! timeline; no number is in the database in plaintext; erasure deletes the customer's tasks.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, database_bytes, harness_with, Harness};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::sms::SIGNATURE_HEADER;
use tripdesk_app::AppSettings;
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_vault::webhook::sign;

const SECRET: &str = "cti-hook-s3cret-0123456789";
const CALLER: &str = "13812345678";
const STRANGER: &str = "13698765432";

struct Setup {
    h: Harness,
    clock: Arc<ManualClock>,
}

async fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let settings = AppSettings {
        cti_webhook_secret: Some(tripdesk_vault::Secret::new(SECRET.to_string())),
        ..Default::default()
    };
    let h = harness_with(clock.clone(), settings).await;
    Setup { h, clock }
}

impl Setup {
    fn at(&self, secs: i64) -> String {
        (self.clock.now() + SignedDuration::from_secs(secs)).to_string()
    }

    async fn post(&self, events: &Value) -> common::Reply {
        let bytes = serde_json::to_vec(events).unwrap();
        let signature = sign(SECRET, self.clock.now().as_second(), &bytes);
        self.h
            .call_raw(
                Method::POST,
                "/api/v1/calls/events",
                &[
                    ("content-type", "application/json"),
                    (SIGNATURE_HEADER, &signature),
                ],
                Some(bytes),
            )
            .await
    }
}

fn ev(kind: &str, call: &str, at: &str, caller: &str, agent: Option<&str>) -> Value {
    json!({"event": kind, "call_id": call, "at": at, "caller": caller, "called": "4008001234",
           "agent": agent})
}

fn find<'a>(items: &'a Value, field: &str, value: &Value) -> &'a Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| &i[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {items}"))
}

#[tokio::test]
async fn events_in_any_order_and_retried_make_one_call_each() {
    let s = setup().await;
    let boss = s.h.token("zhao.min").await;
    // A: in order. B: ended first, then ringing; its answer comes late, in a second post.
    let first = json!([
        ev("ringing", "A-1", &s.at(-300), CALLER, None),
        ev("answered", "A-1", &s.at(-294), CALLER, Some("8001")),
        ev("ended", "A-1", &s.at(-174), CALLER, Some("8001")),
        ev("ended", "B-2", &s.at(-100), STRANGER, Some("8002")),
        ev("ringing", "B-2", &s.at(-200), STRANGER, None),
    ]);
    let r = s.post(&first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"received": 5, "repeated": 0, "calls": 2}));
    let calls = s.h.get("/api/v1/calls", &boss).await;
    let b = find(&calls.body["items"], "ring_secs", &json!(100));
    assert_eq!(b["disposition"], "no_answer", "ended without an answer yet");

    let late = json!([ev("answered", "B-2", &s.at(-180), STRANGER, Some("8002"))]);
    let r = s.post(&late).await;
    assert_eq!(r.body, json!({"received": 1, "repeated": 0, "calls": 1}));
    // The retry of both posts changes nothing.
    assert_eq!(
        s.post(&first).await.body,
        json!({"received": 0, "repeated": 5, "calls": 0})
    );
    assert_eq!(s.post(&late).await.body["repeated"], 1);

    let calls = s.h.get("/api/v1/calls", &boss).await;
    let items = calls.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", calls.text);
    let a = find(&calls.body["items"], "agent", &json!("8001"));
    assert_eq!(
        (&a["ring_secs"], &a["talk_secs"], &a["disposition"]),
        (&json!(6), &json!(120), &json!("answered"))
    );
    let b = find(&calls.body["items"], "agent", &json!("8002"));
    assert_eq!(
        (&b["ring_secs"], &b["talk_secs"], &b["disposition"]),
        (&json!(20), &json!(80), &json!("answered")),
        "the late answer turned B answered"
    );
    // A ringing call is not a call yet.
    let r = s
        .post(&json!([ev("ringing", "C-3", &s.at(-5), CALLER, None)]))
        .await;
    assert_eq!(r.body["calls"], 0);
    let day = s.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let rate =
        s.h.get(
            &format!("/api/v1/calls/answer-rate?from={day}&to={day}&zone=UTC"),
            &boss,
        )
        .await;
    assert_eq!(rate.body["total"]["offered"], 2, "{}", rate.text);
    assert_eq!(rate.body["total"]["answered"], 2);
    assert_eq!(rate.body["total"]["in_time"], 1, "B rang 20 s");
    // No callback task: nothing was missed.
    let tasks = s.h.get("/api/v1/calls/callbacks", &boss).await;
    assert_eq!(tasks.body["items"], json!([]), "{}", tasks.text);
}

#[tokio::test]
async fn bad_posts_are_refused_saying_why() {
    let s = setup().await;
    let body = json!([ev("ringing", "A-1", &s.at(0), CALLER, None)]);
    let bytes = serde_json::to_vec(&body).unwrap();
    let unsigned =
        s.h.call_raw(
            Method::POST,
            "/api/v1/calls/events",
            &[("content-type", "application/json")],
            Some(bytes.clone()),
        )
        .await;
    assert_eq!(
        unsigned.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        unsigned.text
    );
    assert!(unsigned
        .text
        .contains("X-Tripdesk-Signature header is missing"));
    let now = s.clock.now().as_second();
    for (signature, says) in [
        (
            sign("another-secret-0123456789", now, &bytes),
            "does not match",
        ),
        (sign(SECRET, now - 3600, &bytes), "more than 5 minutes"),
        ("v1=zz".to_string(), "malformed"),
    ] {
        let r =
            s.h.call_raw(
                Method::POST,
                "/api/v1/calls/events",
                &[
                    ("content-type", "application/json"),
                    (SIGNATURE_HEADER, &signature),
                ],
                Some(bytes.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        assert!(r.text.contains(says), "{says}: {}", r.text);
    }
    let bad = s
        .post(&json!([
            ev("ringing", "A-1", &s.at(0), CALLER, None),
            ev("hung_up", "A-1", "yesterday", CALLER, None),
        ]))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["[1].event", "[1].at"]);
    assert!(!bad.text.contains(CALLER), "no number in an error");
    let boss = s.h.token("zhao.min").await;
    assert_eq!(
        s.h.get("/api/v1/calls", &boss).await.body["items"],
        json!([])
    );
    // Without the secret configured, the endpoint says so.
    let plain = common::harness().await;
    let r = plain
        .call_raw(
            Method::POST,
            "/api/v1/calls/events",
            &[
                ("content-type", "application/json"),
                (SIGNATURE_HEADER, &sign(SECRET, now, &bytes)),
            ],
            Some(bytes),
        )
        .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(r.text.contains("cti_webhook_secret"), "{}", r.text);
}

/// Posts one missed call `secs` from now.
async fn missed(s: &Setup, call: &str, caller: &str, secs: i64) {
    let r = s
        .post(&json!([
            ev("ringing", call, &s.at(secs), caller, None),
            ev("missed", call, &s.at(secs + 30), caller, None),
        ]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_caller_missed_three_times_is_one_callback_whose_clock_the_callback_stops() {
    let s = setup().await;
    let (agent, boss) = (s.h.token("li.na").await, s.h.token("zhao.min").await);
    let customer =
        s.h.api(
            Method::POST,
            "/api/v1/customers",
            &boss,
            json!({"name": "林小雨", "phones": [CALLER]}),
        )
        .await;
    let customer_id = customer.body["id"].clone();
    for (i, secs) in [-900, -600, -300].into_iter().enumerate() {
        missed(&s, &format!("M-{i}"), CALLER, secs).await;
    }
    let tasks = s.h.get("/api/v1/calls/callbacks", &agent).await;
    assert_eq!(tasks.status, StatusCode::OK, "{}", tasks.text);
    let items = tasks.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", tasks.text);
    let task = &items[0];
    assert_eq!(task["missed_count"], 3);
    assert_eq!(task["customer_id"], customer_id);
    assert_eq!(task["clock_state"], "running");
    let due: Timestamp = task["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        due,
        s.clock.now() + SignedDuration::from_mins(30),
        "callback.missed_call: 30 minutes"
    );
    let id = task["id"].as_str().unwrap().to_string();
    // A retried post of a missed call counts nothing twice.
    missed(&s, "M-2", CALLER, -300).await;
    let again = s.h.get("/api/v1/calls/callbacks", &agent).await;
    assert_eq!(again.body["items"][0]["missed_count"], 3);

    s.clock.advance(SignedDuration::from_mins(10));
    let bad =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/callbacks/{id}/done"),
            &agent,
            json!({"outcome": "maybe"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "outcome");
    let done =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/callbacks/{id}/done"),
            &agent,
            json!({"outcome": "reached", "note": "客人改约明天出发"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["clock_state"], "met");
    assert_eq!(done.body["outcome"], "reached");
    let twice =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/callbacks/{id}/done"),
            &agent,
            json!({"outcome": "reached"}),
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, "done");
    assert_eq!(
        s.h.get("/api/v1/calls/callbacks", &agent).await.body["items"],
        json!([])
    );

    // Another caller: an answered outbound call to the number is the callback.
    missed(&s, "N-1", STRANGER, -60).await;
    let open = s.h.get("/api/v1/calls/callbacks", &agent).await;
    assert_eq!(open.body["items"].as_array().unwrap().len(), 1);
    let r = s
        .post(&json!([
            {"event": "ringing", "call_id": "O-1", "at": s.at(0), "direction": "outbound",
             "caller": "8001", "called": STRANGER, "agent": "8001"},
            {"event": "answered", "call_id": "O-1", "at": s.at(8), "direction": "outbound",
             "caller": "8001", "called": STRANGER, "agent": "8001"},
            {"event": "ended", "call_id": "O-1", "at": s.at(98), "direction": "outbound",
             "caller": "8001", "called": STRANGER, "agent": "8001"},
        ]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        s.h.get("/api/v1/calls/callbacks", &agent).await.body["items"],
        json!([])
    );
    let all = s.h.get("/api/v1/calls/callbacks?state=all", &agent).await;
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", all.text);
    assert_eq!(items[0]["outcome"], "reached");
    assert_eq!(items[0]["clock_state"], "met");

    // A third caller called back after 40 minutes: late.
    missed(&s, "L-1", "13512345670", -30).await;
    s.clock.advance(SignedDuration::from_mins(40));
    let late = s.h.get("/api/v1/calls/callbacks", &agent).await;
    let late_id = late.body["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(late.body["items"][0]["clock_state"], "breached");
    let done =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/callbacks/{late_id}/done"),
            &agent,
            json!({"outcome": "no_answer"}),
        )
        .await;
    assert_eq!(done.body["clock_state"], "breached", "{}", done.text);

    // No number is in the database in plaintext; erasure deletes the customer's tasks.
    let bytes = database_bytes(&s.h.store.location);
    for number in [CALLER, STRANGER, "客人改约明天出发"] {
        assert!(
            !bytes.windows(number.len()).any(|w| w == number.as_bytes()),
            "{number} is in the database files"
        );
    }
    let id = customer_id.as_str().unwrap();
    let theirs = format!("/api/v1/calls/callbacks?state=all&customer_id={id}");
    assert_eq!(
        s.h.get(&theirs, &boss).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let erased =
        s.h.api(
            Method::POST,
            &format!("/api/v1/customers/{id}/erase"),
            &boss,
            json!({"reason": "PIPL 删除申请 #2027-7"}),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text);
    assert_eq!(s.h.get(&theirs, &boss).await.body["items"], json!([]));
    let left = s.h.get("/api/v1/calls/callbacks?state=all", &boss).await;
    assert_eq!(
        left.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        left.text
    );
}

#[tokio::test]
async fn a_missed_call_of_an_imported_file_makes_a_callback_too() {
    let s = setup().await;
    let (admin, agent) = (s.h.token("admin").await, s.h.token("li.na").await);
    // 2027-07-20 09:50 Beijing time = 01:50 UTC, ten minutes before the clock's now.
    let line = format!(
        "\"\",\"{CALLER}\",\"4008001234\",\"from-trunk\",\"\",\"SIP/trunk-1\",\"\",\"Dial\",\
         \"SIP/8001,30\",\"2027-07-20 09:50:00\",\"\",\"2027-07-20 09:50:40\",40,0,\
         \"NO ANSWER\",\"DOCUMENTATION\",\"1784512200.1\",\"\"\n"
    );
    let old = line
        .replace("2027-07-20", "2027-07-01")
        .replace("1784512200.1", "1782870600.9");
    let r =
        s.h.api(
            Method::POST,
            "/api/v1/calls/cdr",
            &admin,
            json!({"csv": format!("{old}{line}"), "inbound_contexts": ["from-trunk"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tasks = s.h.get("/api/v1/calls/callbacks", &agent).await;
    let items = tasks.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the call of 1 July is history: {}",
        tasks.text
    );
    assert_eq!(items[0]["missed_count"], 1);
    assert_eq!(items[0]["clock_state"], "running");
}

#[tokio::test]
async fn a_call_becomes_a_ticket_with_its_customer_on_the_timeline() {
    let s = setup().await;
    let agent = s.h.token("li.na").await;
    let r = s
        .post(&json!([
            ev("ringing", "T-1", &s.at(-200), STRANGER, None),
            ev("answered", "T-1", &s.at(-195), STRANGER, Some("8003")),
            ev("ended", "T-1", &s.at(-15), STRANGER, Some("8003")),
        ]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let calls = s.h.get("/api/v1/calls", &agent).await;
    assert_eq!(
        calls.status,
        StatusCode::OK,
        "agents see the calls: {}",
        calls.text
    );
    let call = &calls.body["items"][0];
    assert_eq!(call["customer_id"], Value::Null, "an unknown number");
    let id = call["id"].as_str().unwrap();
    let refused =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"subject": "", "notes": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "subject");
    let made =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"subject": "询问黄山两日游", "notes": "两位老人，下周六出发，要无障碍房。",
                   "customer_name": "陈先生"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let ticket_id = made.body["ticket_id"].as_str().unwrap();
    let customer_id = made.body["customer_id"]
        .as_str()
        .expect("a customer made from the number");
    let ticket =
        s.h.get(&format!("/api/v1/tickets/{ticket_id}"), &agent)
            .await;
    assert_eq!(ticket.body["channel"], "phone", "{}", ticket.text);
    assert_eq!(ticket.body["customer_name"], "陈先生");
    let timeline =
        s.h.get(&format!("/api/v1/tickets/{ticket_id}/timeline"), &agent)
            .await;
    assert!(
        timeline.text.contains("\"call\""),
        "the call is on the timeline: {}",
        timeline.text
    );
    let again =
        s.h.api(
            Method::POST,
            &format!("/api/v1/calls/{id}/ticket"),
            &agent,
            json!({"subject": "又一次", "notes": "x"}),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "has_ticket");
    // The call is now the customer's.
    let theirs =
        s.h.get(&format!("/api/v1/calls?customer_id={customer_id}"), &agent)
            .await;
    assert_eq!(
        theirs.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        theirs.text
    );
}
