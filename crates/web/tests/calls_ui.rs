//! The hotline's staff pages (issue 17 item 3) on the backend of this run: `/calls` lists
//! the open callback task with its clock (the number masked) and the calls, filtered and
//! paged; "called back" with a bad outcome comes back 422 with the note as typed, a good one
//! redirects and the task is gone; the "make ticket" form keeps what was typed when refused
//! and opens the ticket, which shows the call on its timeline; the answer-rate page shows the
//! figures against 95 % and refuses a bad CDR file naming its line, the file kept as pasted;
//! the customer page lists the customer's calls; both languages render.

mod common;

use axum::http::{Method, StatusCode};
use common::{harness_with, Harness};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::sms::SIGNATURE_HEADER;
use tripdesk_app::AppSettings;
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_vault::webhook::sign;

const SECRET: &str = "cti-hook-s3cret-0123456789";
const CALLER: &str = "13812345678";

async fn setup() -> (Harness, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let settings = AppSettings {
        cti_webhook_secret: Some(tripdesk_vault::Secret::new(SECRET.to_string())),
        ..Default::default()
    };
    (harness_with(clock.clone(), settings).await, clock)
}

async fn post_events(h: &Harness, clock: &ManualClock, events: Value) {
    let bytes = serde_json::to_vec(&events).unwrap();
    let signature = sign(SECRET, clock.now().as_second(), &bytes);
    let r = h
        .call_raw(
            Method::POST,
            "/api/v1/calls/events",
            &[
                ("content-type", "application/json"),
                (SIGNATURE_HEADER, &signature),
            ],
            Some(bytes),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn form(
    h: &Harness,
    session: &(String, String),
    uri: &str,
    fields: &[(&str, &str)],
) -> common::Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("_csrf", &session.1);
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    h.call(
        Method::POST,
        uri,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &session.0),
        ],
        Some(body.finish()),
    )
    .await
}

#[tokio::test]
async fn the_calls_pages_work_the_callbacks_tickets_and_answer_rate() {
    let (h, clock) = setup().await;
    let at = |secs: i64| (clock.now() + SignedDuration::from_secs(secs)).to_string();
    let boss = h.token("zhao.min").await;
    let customer = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &boss,
            json!({"name": "林小雨", "phones": [CALLER]}),
        )
        .await;
    let customer_id = customer.body["id"].as_str().unwrap().to_string();
    post_events(
        &h,
        &clock,
        json!([
            {"event": "ringing", "call_id": "1", "at": at(-600), "caller": CALLER, "called": "4008001234"},
            {"event": "missed", "call_id": "1", "at": at(-570), "caller": CALLER, "called": "4008001234"},
            {"event": "ringing", "call_id": "2", "at": at(-300), "caller": CALLER, "called": "4008001234"},
            {"event": "answered", "call_id": "2", "at": at(-295), "caller": CALLER, "called": "4008001234", "agent": "8001"},
            {"event": "ended", "call_id": "2", "at": at(-100), "caller": CALLER, "called": "4008001234", "agent": "8001"},
        ]),
    )
    .await;

    let page = h.ui_get("/calls", "li.na").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for shown in [
        "待回拨",
        "138****5678",
        "计时中",
        "生成工单",
        "呼入",
        "未接",
        "已接听",
    ] {
        assert!(page.text.contains(shown), "{shown} on /calls");
    }
    assert!(
        !page.text.contains(CALLER),
        "the number is masked for an agent"
    );
    let en = h
        .call(
            Method::GET,
            "/calls?missed=1",
            &[(
                "cookie",
                &format!(
                    "tripdesk_session={}; tripdesk_lang=en",
                    h.token("li.na").await
                ),
            )],
            None,
        )
        .await;
    assert!(en.text.contains("To call back"), "{}", en.text);
    assert_eq!(
        en.text.matches("class=\"call call-").count(),
        1,
        "missed only"
    );

    // Called back: a bad outcome keeps the note, a good one redirects.
    let session = h.session("li.na").await;
    let task = h.get("/api/v1/calls/callbacks", &boss).await;
    let task_id = task.body["items"][0]["id"].as_str().unwrap().to_string();
    let uri = format!("/calls/callbacks/{task_id}/done");
    let refused = form(
        &h,
        &session,
        &uri,
        &[
            ("outcome", "later"),
            ("note", "晚上再打"),
            ("back", "/calls"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("value=\"晚上再打\""),
        "the note as typed"
    );
    let done = form(
        &h,
        &session,
        &uri,
        &[
            ("outcome", "reached"),
            ("note", "已确认"),
            ("back", "/calls"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let page = h.ui_get("/calls", "li.na").await;
    assert!(page.text.contains("没有待回拨的未接来电"), "no task left");

    // Make ticket: refused keeps the notes, then the ticket opens with the call on it.
    let calls = h.get("/api/v1/calls", &boss).await;
    let call_id = calls.body["items"][0]["id"].as_str().unwrap().to_string();
    let form_page = h.ui_get(&format!("/calls/{call_id}/ticket"), "li.na").await;
    assert_eq!(form_page.status, StatusCode::OK, "{}", form_page.text);
    let uri = format!("/calls/{call_id}/ticket");
    let refused = form(
        &h,
        &session,
        &uri,
        &[("kind", "inquiry"), ("subject", ""), ("notes", "要改期")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("要改期"));
    let made = form(
        &h,
        &session,
        &uri,
        &[
            ("kind", "inquiry"),
            ("subject", "改期"),
            ("notes", "要改期到下周"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let to = made.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/desk/tickets/"), "{to}");
    let ticket = h.ui_get(&to, "li.na").await;
    assert!(
        ticket.text.contains("来电（由通话生成）"),
        "{}",
        ticket.text
    );

    // The customer's calls on their page.
    let customer_page = h
        .ui_get(&format!("/customers/{customer_id}"), "zhao.min")
        .await;
    assert_eq!(customer_page.status, StatusCode::OK);
    assert!(
        customer_page.text.contains("customer-calls"),
        "the calls section"
    );
    assert!(
        customer_page.text.contains("查看工单"),
        "the call made a ticket"
    );

    // The answer rate against 95 %; a bad file refused naming its line, kept as pasted.
    let day = clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let rate = h
        .ui_get(
            &format!("/calls/answer-rate?from={day}&to={day}"),
            "zhao.min",
        )
        .await;
    assert_eq!(rate.status, StatusCode::OK, "{}", rate.text);
    assert!(
        rate.text.contains("50.0 %"),
        "1 of 2 answered: {}",
        rate.text
    );
    assert!(rate.text.contains("95.0 %"));
    assert!(rate.text.contains("未达标"));
    let agent_rate = h.ui_get("/calls/answer-rate", "li.na").await;
    assert_eq!(agent_rate.status, StatusCode::FORBIDDEN);
    let admin = h.session("admin").await;
    let bad = form(
        &h,
        &admin,
        "/calls/cdr",
        &[
            ("csv", "\"\",\"1\",\"4008009999\"\n"),
            ("inbound_contexts", "from-trunk"),
            ("zone", "Asia/Shanghai"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text.contains("第 1 行"),
        "the line named in Chinese: {}",
        bad.text
    );
    assert!(
        bad.text.contains("4008009999"),
        "the file as pasted: {}",
        bad.text
    );
}
