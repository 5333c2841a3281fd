//! Emergencies end to end through the API and the traveler's check-in page, on two nodes of
//! one database (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`) on a clock the test
//! moves (issue 15): a typhoon drill over 大理 finds the guests staying there from their
//! bookings and nobody else; the broadcast queues one message per guest (email here, no SMS
//! provider configured) and a call task for the guest with no address; answers arrive by the
//! signed link (on the other node) and by SMS keyword; "needs help" becomes one urgent ticket
//! at once, and the guests who have not answered 30 minutes later become one each — with the
//! sweep run by both nodes at the same time, and run again.

mod common;

use axum::http::{header, Method, StatusCode};
use common::bookings::{call, dali_guests, homestay, nodes, raw, stay_guest, tour, Nodes};
use common::{assert_problem, Reply};
use serde_json::{json, Value};
use tripdesk_app::jobs::{drain, standard_registry};
use uuid::Uuid;

/// The check-in page on node b, then its form posted with the page's cookie and token.
async fn check_in(n: &Nodes, token: &str, answer: &str) -> Reply {
    let page = raw(&n.b, Method::GET, &format!("/c/{token}"), None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let cookie = page
        .headers
        .get(header::SET_COOKIE)
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default();
    let csrf = common::attr_after(&page.text, "name=\"_csrf\" value=\"")
        .unwrap()
        .to_string();
    let body = format!("_csrf={csrf}&answer={answer}");
    raw(
        &n.b,
        Method::POST,
        &format!("/c/{token}"),
        Some(&cookie),
        Some(body),
    )
    .await
}

async fn board(n: &Nodes, token: &str, incident: &str) -> Value {
    let r = n.get(&format!("/api/v1/incidents/{incident}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn person(n: &Nodes, token: &str, incident: &str, customer: &str) -> Value {
    let r = n
        .get(
            &format!("/api/v1/incidents/{incident}/people?limit=200"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["customer_id"] == customer)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_typhoon_drill_reaches_every_guest_and_escalates_each_once() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let [a, b, c] = dali_guests(&n, &boss, &agent).await;
    // A tour party to 黄山 in May: elsewhere and later, not affected.
    let departure = tour(&n, &boss, 20).await;
    let r = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张伟", "phone": "13700000009"},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let declare = json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
        "description": "气象台发布台风红色预警", "warning_colour": "red", "drill": true,
        "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}});
    assert_problem(
        &n.post("/api/v1/incidents", &agent, declare.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let bad = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "safety", "level": "large", "title": "x", "warning_colour": "red",
                   "scope": {"regions": [], "from": "2027-03-11", "to": "2027-03-10"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let declared = n.post("/api/v1/incidents", &boss, declare).await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    assert_eq!(
        declared.body["people"], 3,
        "the three guests in 大理, not the 黄山 party"
    );
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b0 = board(&n, &boss, &incident).await;
    assert_eq!(
        b0["report_clock"], "running",
        "较大: the first report runs on a clock"
    );

    // The CS manager receives the escalations.
    let users = n.get("/api/v1/users?limit=200", &boss).await;
    let sun = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "sun.li")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/team/cs_manager"),
        &boss,
        Some(json!({"user_id": sun})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

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
        json!({"people": 3, "sms": 0, "email": 2, "calls": 1}),
        "email to the two with an address; a call task for the one without (no SMS provider)"
    );
    let b1 = board(&n, &boss, &incident).await;
    assert_eq!(
        (b1["messages_pending"].as_u64(), b1["calls_open"].as_u64()),
        (Some(2), Some(1))
    );

    // A answers by the link on node b; B by SMS "2" (needs help), then "1" (stays needs help).
    let keys = n.app.vault().unwrap();
    let inc = Uuid::parse_str(&incident).unwrap();
    let token_a = tripdesk_app::emergency::checkin_token(keys, inc, Uuid::parse_str(&a).unwrap());
    let posted = check_in(&n, &token_a, "safe").await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let again = raw(
        &n.b,
        Method::GET,
        &format!("/c/{token_a}?done=1"),
        None,
        None,
    )
    .await;
    assert!(again.text.contains("已登记：平安"), "{}", again.text);
    assert_eq!(
        person(&n, &boss, &incident, &a).await["answered_via"],
        "link"
    );
    let forged = raw(
        &n.b,
        Method::GET,
        &format!("/c/{}", &token_a.replace('A', "B")),
        None,
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);

    let bid = Uuid::parse_str(&b).unwrap();
    for text in ["2 需要帮助", "1"] {
        let mut tx = n.app.store.write().await.unwrap();
        n.app.checkin_by_sms(&mut *tx, &[bid], text).await.unwrap();
        tx.commit().await.unwrap();
    }
    let pb = person(&n, &boss, &incident, &b).await;
    assert_eq!(
        (pb["status"].as_str(), pb["answered_via"].as_str()),
        (Some("needs_help"), Some("sms"))
    );
    assert!(
        pb["escalated_ticket_id"].is_string(),
        "needs help: an urgent ticket at once"
    );
    let ticket = n
        .get(
            &format!(
                "/api/v1/tickets/{}",
                pb["escalated_ticket_id"].as_str().unwrap()
            ),
            &boss,
        )
        .await;
    assert_eq!(ticket.status, StatusCode::OK, "{}", ticket.text);
    assert_eq!(ticket.body["level"], "urgent");
    assert_eq!(ticket.body["assignee_id"], sun.as_str());

    // 31 minutes on, both nodes run the no-answer sweep at once, then again: C once.
    n.clock.advance(jiff::SignedDuration::from_mins(31));
    let registry = standard_registry().unwrap();
    // Node b has the vault keys as a real second node would: the sweep seals the ticket's
    // customer name, and whichever node claims the job must be able to.
    let (ra, rb) = tokio::join!(drain(&n.app, &registry), drain(&n.app_b, &registry));
    assert!(ra.unwrap() + rb.unwrap() >= 1);
    drain(&n.app, &registry).await.unwrap();
    let pc = person(&n, &boss, &incident, &c).await;
    assert!(pc["escalated_ticket_id"].is_string(), "{pc}");
    assert!(
        person(&n, &boss, &incident, &a).await["escalated_at"].is_null(),
        "A answered"
    );
    let escalated = n
        .get(
            &format!("/api/v1/incidents/{incident}/people?escalated=true"),
            &boss,
        )
        .await;
    assert_eq!(
        escalated.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        escalated.text
    );
    let urgent = n.get("/api/v1/tickets?level=urgent&limit=200", &boss).await;
    assert_eq!(urgent.status, StatusCode::OK, "{}", urgent.text);
    let count = urgent.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["subject"]
                .as_str()
                .unwrap_or("")
                .contains("台风“海燕”影响大理")
        })
        .count();
    assert_eq!(count, 2, "one urgent ticket for B and one for C, not more");

    // Staff phone C: reached, safe.
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/calls/{c}"),
        &agent,
        Some(json!({"outcome": "reached"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/people/{c}/answer"),
        &agent,
        Some(json!({"status": "safe"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/checklist/notify_customers"),
        &agent,
        Some(json!({"done": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/checklist/nope"),
        &agent,
        Some(json!({"done": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let b2 = board(&n, &boss, &incident).await;
    assert_eq!(
        (
            b2["safe"].as_u64(),
            b2["needs_help"].as_u64(),
            b2["pending"].as_u64(),
            b2["escalated"].as_u64()
        ),
        (Some(2), Some(1), Some(0), Some(2))
    );

    // The board page: the guest who needs help by name, with their ticket; the checklist.
    let (cookie, _) = n.session("zhao.min").await;
    let page = n.page(&format!("/incidents/{incident}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for want in [
        "台风“海燕”影响大理",
        "李雷",
        "需要帮助",
        "应急清单",
        "立即发送",
        "☑",
    ] {
        assert!(page.text.contains(want), "{want} missing from the board");
    }
    let list = n.page("/incidents", &cookie).await;
    assert!(
        list.text.contains(&format!("/incidents/{incident}")),
        "{}",
        list.text
    );
    let (agent_cookie, _) = n.session("li.na").await;
    let seen = n
        .page(&format!("/incidents/{incident}"), &agent_cookie)
        .await;
    assert!(
        !seen.text.contains("立即发送"),
        "an agent may not broadcast"
    );

    // The first report within the hour, then the report and closing.
    let r = n
        .post(
            &format!("/api/v1/incidents/{incident}/report"),
            &boss,
            json!({"note": "已电话报告大理州文化和旅游局值班室"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(board(&n, &boss, &incident).await["report_clock"], "met");
    let report = n
        .get(&format!("/api/v1/incidents/{incident}/report"), &boss)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    assert_eq!(report.body["people"], 3);
    assert_eq!(report.body["not_answered"], 0);
    let version = r.body["version"].clone();
    let closed = n
        .post(
            &format!("/api/v1/incidents/{incident}/close"),
            &boss,
            json!({"summary": "演练结束：3 人全部确认，1 人需要帮助已处理。", "version": version}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.body["state"], "closed");
    let late = raw(&n.b, Method::GET, &format!("/c/{token_a}"), None, None).await;
    assert!(late.text.contains("该事件已结束"), "{}", late.text);
    assert!(
        !late.text.contains("name=\"answer\""),
        "no buttons once closed"
    );
}

/// Changing, reporting and closing an incident, and what each refuses: a stale version (409
/// `incident.changed`), a warning colour on a safety incident (422), a second first report
/// (409), an unknown call outcome (422), anything once closed (409 `incident.closed`). A
/// scope changed to another place recomputes the people; raising 一般 to 较大 starts the
/// report clock. The board's broadcast and checklist forms post through the page, and the
/// check-in page refuses a post without its token or without an answer.
#[tokio::test]
async fn an_incident_changes_by_version_and_refuses_what_does_not_fit() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &boss, 1).await; // 大理
    let guest_id = stay_guest(
        &n,
        &agent,
        &rooms[0],
        ("王芳", "13700000001", Some("wangfang@example.cn")),
    )
    .await;
    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "safety", "level": "general", "title": "大巴追尾",
                   "scope": {"regions": ["丽江"], "from": "2027-03-11", "to": "2027-03-11"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    assert_eq!(declared.body["people"], 0, "nobody stays in 丽江");
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        board(&n, &boss, &incident).await["report_clock"].is_null(),
        "一般: no clock"
    );
    let patch = |body: Value| {
        let (n, boss, uri) = (&n, boss.clone(), format!("/api/v1/incidents/{incident}"));
        async move { call(&n.a, Method::PATCH, &uri, &boss, Some(body)).await }
    };

    let moved = patch(
        json!({"scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-11"},
                             "level": "large", "version": 1}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        (moved.body["people"].as_u64(), moved.body["added"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(board(&n, &boss, &incident).await["report_clock"], "running");
    assert_problem(
        &patch(json!({"title": "改名", "version": 1})).await,
        StatusCode::CONFLICT,
        "incident.changed",
    );
    let colour = patch(json!({"warning_colour": "red", "version": 2})).await;
    assert_eq!(
        colour.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        colour.text
    );
    assert_eq!(common::field_of(&colour), "warning_colour");

    let added = n
        .post(
            &format!("/api/v1/incidents/{incident}/people"),
            &boss,
            json!({"customer_id": Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        added.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        added.text
    );
    let bad_call = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{incident}/calls/{guest_id}"),
        &agent,
        Some(json!({"outcome": "busy"})),
    )
    .await;
    assert_eq!(
        bad_call.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_call.text
    );

    // The board's forms: a broadcast with the kind's text edited, a checklist tick.
    let (cookie, csrf) = n.session("zhao.min").await;
    let sent = n
        .form(
            &format!("/incidents/{incident}/broadcast"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("audience", "all"),
                ("body", "【演练】请回复 1 报平安：{link}"),
                ("ask_checkin", "1"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let back = n
        .page(sent.headers[header::LOCATION].to_str().unwrap(), &cookie)
        .await;
    assert!(back.text.contains("已排队发送：1 人"), "{}", back.text);
    let ticked = n
        .form(
            &format!("/incidents/{incident}/checklist/call_120_110"),
            &cookie,
            &[("_csrf", &csrf), ("done", "1")],
        )
        .await;
    assert_eq!(ticked.status, StatusCode::SEE_OTHER, "{}", ticked.text);
    let report = n
        .get(&format!("/api/v1/incidents/{incident}/report"), &boss)
        .await;
    assert_eq!(report.body["checklist_done"], 1, "{}", report.text);

    // The traveler's page: no token, no answer.
    let token = tripdesk_app::emergency::checkin_token(
        n.app.vault().unwrap(),
        Uuid::parse_str(&incident).unwrap(),
        Uuid::parse_str(&guest_id).unwrap(),
    );
    let no_csrf = raw(
        &n.b,
        Method::POST,
        &format!("/c/{token}"),
        None,
        Some("answer=safe".into()),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.text);
    let no_answer = check_in(&n, &token, "maybe").await;
    assert_eq!(
        no_answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_answer.text
    );
    assert!(
        no_answer.text.contains("请选择“我平安”或“我需要帮助”"),
        "{}",
        no_answer.text
    );

    let r = n
        .post(
            &format!("/api/v1/incidents/{incident}/report"),
            &boss,
            json!({"note": "已报"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_problem(
        &n.post(
            &format!("/api/v1/incidents/{incident}/report"),
            &boss,
            json!({"note": "再报"}),
        )
        .await,
        StatusCode::CONFLICT,
        "incident.already_reported",
    );
    let closed = n
        .post(
            &format!("/api/v1/incidents/{incident}/close"),
            &boss,
            json!({"summary": "", "version": r.body["version"]}),
        )
        .await;
    assert_eq!(
        closed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty summary: {}",
        closed.text
    );
    let closed = n
        .post(
            &format!("/api/v1/incidents/{incident}/close"),
            &boss,
            json!({"summary": "无人受伤。", "version": r.body["version"]}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_problem(
        &n.post(
            &format!("/api/v1/incidents/{incident}/broadcasts"),
            &boss,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "incident.closed",
    );
}

/// Books `departure` for `name` (two adults, confirmed); returns the customer id.
async fn tour_party(n: &Nodes, token: &str, departure: &str, name: &str, phone: &str) -> String {
    let r = n
        .post(
            "/api/v1/bookings",
            token,
            json!({"customer": {"name": name, "phone": phone},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["customer_id"].as_str().unwrap().to_string()
}

/// The guide or tour leader of a departure on the road is one of the incident's people, found
/// by their phone (one customer record for all incidents), and leaves with the scope; a guide
/// named with a phone that is not a number (an extension) is left for staff to add by hand,
/// and the declaration says which departure's.
#[tokio::test]
async fn the_guides_of_departures_in_scope_are_among_the_affected() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let led = tour(&n, &boss, 20).await; // 黄山, 2027-05-01, two days
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/departures/{led}/guide"),
        &boss,
        Some(json!({"name": "李明（领队）", "phone": "139 0000 1234"})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.text);
    let unusable = tour(&n, &boss, 20).await;
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/departures/{unusable}/guide"),
        &boss,
        Some(json!({"name": "周导", "phone": "80012"})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.text);
    let zhang = tour_party(&n, &agent, &led, "张伟", "13700000009").await;
    let liu = tour_party(&n, &agent, &unusable, "刘洋", "13700000008").await;

    let declare = |title: &str| {
        json!({"kind": "safety", "level": "general", "title": title,
               "scope": {"regions": ["黄山"], "from": "2027-05-02", "to": "2027-05-02"}})
    };
    let first = n
        .post("/api/v1/incidents", &boss, declare("黄山索道停运"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.body["people"], 3, "two parties and one usable guide");
    let incident = first.body["incident"]["id"].as_str().unwrap().to_string();
    let people = n
        .get(&format!("/api/v1/incidents/{incident}/people"), &boss)
        .await;
    let items = people.body["items"].as_array().unwrap().clone();
    let guides: Vec<&Value> = items.iter().filter(|p| p["origin"] == "guide").collect();
    assert_eq!(guides.len(), 1, "{items:?}");
    let guide = guides[0]["customer_id"].as_str().unwrap().to_string();
    assert!(guides[0]["booking_id"].is_null());
    let mut travelers: Vec<&str> = items
        .iter()
        .filter(|p| p["origin"] == "booking")
        .map(|p| p["customer_id"].as_str().unwrap())
        .collect();
    travelers.sort();
    let mut want = vec![zhang.as_str(), liu.as_str()];
    want.sort();
    assert_eq!(travelers, want);
    let record = n.get(&format!("/api/v1/customers/{guide}"), &boss).await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.text);
    assert_eq!(record.body["name"], "李明（领队）");
    assert_eq!(
        first.body["guides_unusable"],
        json!([unusable]),
        "the declaration names the departure whose guide could not be added"
    );

    // A second incident finds the same guide: one customer record, not two.
    let second = n
        .post("/api/v1/incidents", &boss, declare("黄山暴雨"))
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let second_id = second.body["incident"]["id"].as_str().unwrap();
    let people = n
        .get(&format!("/api/v1/incidents/{second_id}/people"), &boss)
        .await;
    assert!(people.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["origin"] == "guide" && p["customer_id"] == guide.as_str()));

    // The scope moves away from 黄山: the guide leaves with the travelers.
    let moved = call(
        &n.a,
        Method::PATCH,
        &format!("/api/v1/incidents/{incident}"),
        &boss,
        Some(
            json!({"scope": {"regions": ["大理"], "from": "2027-05-02", "to": "2027-05-02"},
                    "version": 1}),
        ),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        (
            moved.body["people"].as_u64(),
            moved.body["dropped"].as_u64()
        ),
        (Some(0), Some(3))
    );
}
