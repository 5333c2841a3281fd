//! Bulk remedies under force majeure end to end (issue 15 item 6), on two nodes of one
//! database (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`) on a manual clock: a
//! typhoon over 大理 offers every affected booking a refund or a postponement at once — one
//! message per customer with their signed link, nothing for the 黄山 party elsewhere, nothing
//! twice when offered again; a customer chooses the refund by their link on the other node
//! (the booking is cancelled for force majeure with the normal refund record and its
//! 5-working-day clock); staff record a postponement given by phone (a ticket for the CS
//! manager); the same choice again is a no-op, another is refused; two nodes recording
//! different choices for one booking at once record one; a booking cancelled otherwise has
//! its offer withdrawn; every step is on the timeline and in the audit chain.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::bookings::{call, homestay, nodes, raw, tour, Nodes};
use common::{assert_problem, Reply};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

/// A booking of `room` for three nights from 2027-03-10 (confirmed unless `deposit`, then a
/// 5-day deposit hold), with `paid` fen recorded; returns (booking id, customer id, total).
#[allow(clippy::too_many_arguments)]
async fn book(
    n: &Nodes,
    agent: &str,
    room: &str,
    name: &str,
    phone: &str,
    email: Option<&str>,
    deposit: bool,
    paid: Option<i64>,
) -> (String, String, i64) {
    let mut customer = json!({"name": name, "phone": phone});
    if let Some(e) = email {
        customer["email"] = json!(e);
    }
    let mut body = json!({"customer": customer,
        "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}],
        "confirm": !deposit});
    if deposit {
        body["hold"] = json!({"kind": "deposit", "days": 5});
    }
    let r = n.post("/api/v1/bookings", agent, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let total = r.body["total_fen"].as_i64().unwrap();
    let amount = paid.unwrap_or(total);
    let p = n
        .post(
            &format!("/api/v1/bookings/{id}/payments"),
            agent,
            json!({"method": "wechat_pay", "amount_fen": amount, "reference": format!("WX{phone}")}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    (
        id,
        r.body["customer_id"].as_str().unwrap().to_string(),
        total,
    )
}

/// The remedies page on node b as a browser opens it: its cookie and form token.
async fn open_link(n: &Nodes, token: &str) -> (String, String) {
    let page = raw(&n.b, Method::GET, &format!("/r/{token}"), None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let cookie = page
        .headers
        .get(header::SET_COOKIE)
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default();
    let csrf = common::attr_after(&page.text, "name=\"_csrf\" value=\"")
        .unwrap()
        .to_string();
    (cookie, csrf)
}

/// The page's form for `booking` posted on node b by the browser of `opened`.
async fn choose_by_link(
    n: &Nodes,
    token: &str,
    opened: &(String, String),
    booking: &str,
    choice: &str,
) -> Reply {
    raw(
        &n.b,
        Method::POST,
        &format!("/r/{token}"),
        Some(&opened.0),
        Some(format!(
            "_csrf={}&booking={booking}&choice={choice}",
            opened.1
        )),
    )
    .await
}

async fn remedies(n: &Nodes, token: &str, incident: &str, query: &str) -> Value {
    let r = n
        .get(
            &format!("/api/v1/incidents/{incident}/remedies{query}"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn item<'a>(list: &'a Value, booking: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["booking_id"] == booking)
        .unwrap_or_else(|| panic!("{booking} not listed: {list}"))
}

async fn staff_choice(
    router: &axum::Router,
    token: &str,
    incident: &str,
    booking: &str,
    choice: &str,
) -> Reply {
    call(
        router,
        Method::POST,
        &format!("/api/v1/incidents/{incident}/remedies/{booking}/choice"),
        token,
        Some(json!({"choice": choice})),
    )
    .await
}

#[tokio::test]
async fn a_typhoon_offers_every_affected_booking_a_refund_or_a_postponement_once() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let admin = n.token("admin").await;
    let (_, rooms) = homestay(&n, &boss, 4).await; // 云南省大理市双廊镇
    let (a, a_customer, a_total) = book(
        &n,
        &agent,
        &rooms[0],
        "王芳",
        "13700000001",
        Some("wangfang@example.cn"),
        false,
        None,
    )
    .await;
    let (b, _, _) = book(
        &n,
        &agent,
        &rooms[1],
        "李雷",
        "13700000002",
        Some("lilei@example.cn"),
        false,
        Some(50_000),
    )
    .await;
    let (c, _, _) = book(
        &n,
        &agent,
        &rooms[2],
        "韩梅梅",
        "13700000003",
        None,
        false,
        None,
    )
    .await;
    let (d, d_customer, _) = book(
        &n,
        &agent,
        &rooms[3],
        "赵磊",
        "13700000004",
        Some("zhaolei@example.cn"),
        true,
        Some(10_000),
    )
    .await;
    // A tour party to 黄山 in May: elsewhere and later, offered nothing.
    let departure = tour(&n, &boss, 20).await;
    let r = n
        .post(
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "张伟", "phone": "13700000009", "email": "zw@example.cn"},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // A drill offers nothing: a choice would change a real booking.
    let drill = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "general", "title": "台风演练", "drill": true,
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(drill.status, StatusCode::CREATED, "{}", drill.text);
    let drill_id = drill.body["incident"]["id"].as_str().unwrap();
    assert_problem(
        &n.post(
            &format!("/api/v1/incidents/{drill_id}/remedies"),
            &boss,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "incident.drill",
    );

    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
                   "warning_colour": "red",
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    assert_eq!(declared.body["people"], 4);
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The CS manager receives the postponements to arrange.
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

    let offer_uri = format!("/api/v1/incidents/{incident}/remedies");
    assert_problem(
        &n.post(&offer_uri, &agent, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let offered = n.post(&offer_uri, &boss, json!({})).await;
    assert_eq!(offered.status, StatusCode::CREATED, "{}", offered.text);
    assert_eq!(
        offered.body,
        json!({"offered": 4, "customers": 4, "sms": 0, "email": 3, "no_contact": 1,
               "skipped": {}}),
        "email to the three with an address (no SMS provider); 韩梅梅 to call"
    );
    let again = n.post(&offer_uri, &boss, json!({})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["offered"], 0, "offered once: {}", again.text);
    let sent = n
        .get(
            &format!("/api/v1/messages?related_type=incident_remedy&related_id={incident}"),
            &boss,
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let messages = sent.body["items"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "one message per customer, once: {}",
        sent.text
    );
    assert!(messages.iter().all(|m| m["channel"] == "email"));

    let listed = remedies(&n, &boss, &incident, "").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 4, "{listed}");
    assert_eq!(listed["counts"]["offered"], 4);
    let la = item(&listed, &a);
    assert_eq!(
        (la["refund_fen"].as_i64(), la["paid_fen"].as_i64()),
        (Some(a_total), Some(a_total)),
        "force majeure: everything paid comes back"
    );
    assert_eq!(
        la["postpone_free"], false,
        "the lodging default charges a change"
    );
    assert_eq!(la["notified_via"], "email");
    assert!(item(&listed, &c)["notified_via"].is_null());
    assert_eq!(item(&listed, &b)["refund_fen"], 50_000);
    assert_eq!(item(&listed, &d)["booking_state"], "held");
    assert_eq!(
        item(&listed, &d)["postpone_free"],
        true,
        "a hold promised nothing"
    );

    // 王芳 chooses the refund by her link on node b; the page showed the money first.
    let keys = n.app.vault().unwrap();
    let inc = Uuid::parse_str(&incident).unwrap();
    let token_a =
        tripdesk_app::emergency::remedy_token(keys, inc, Uuid::parse_str(&a_customer).unwrap());
    let page = raw(&n.b, Method::GET, &format!("/r/{token_a}"), None, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    let yuan = tripdesk_domain::catalog::yuan(a_total);
    for want in [
        "台风“海燕”影响大理",
        "全额退款",
        "选择延期",
        yuan.as_str(),
        "由您承担",
    ] {
        assert!(page.text.contains(want), "{want} missing: {}", page.text);
    }
    let body = messages
        .iter()
        .find(|m| m["customer_id"] == a_customer.as_str())
        .unwrap();
    let message = n
        .get(
            &format!("/api/v1/messages/{}", body["id"].as_str().unwrap()),
            &boss,
        )
        .await;
    assert!(
        message.text.contains(&format!("/r/{token_a}")) && message.text.contains(&yuan),
        "the message carries her link and her refund: {}",
        message.text
    );
    let forged = raw(
        &n.b,
        Method::GET,
        &format!("/r/{}", token_a.replace('A', "B")),
        None,
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let checkin_token =
        tripdesk_app::emergency::checkin_token(keys, inc, Uuid::parse_str(&a_customer).unwrap());
    let other_purpose = raw(
        &n.b,
        Method::GET,
        &format!("/r/{checkin_token}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        other_purpose.status,
        StatusCode::NOT_FOUND,
        "a check-in link chooses nothing"
    );
    let opened = open_link(&n, &token_a).await;
    let no_csrf = raw(
        &n.b,
        Method::POST,
        &format!("/r/{token_a}"),
        None,
        Some(format!("booking={a}&choice=refund")),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.text);
    let neither = choose_by_link(&n, &token_a, &opened, &a, "maybe").await;
    assert_eq!(
        neither.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        neither.text
    );
    assert!(
        neither.text.contains("请选择“全额退款”或“延期”"),
        "{}",
        neither.text
    );
    let chosen = choose_by_link(&n, &token_a, &opened, &a, "refund").await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.text);
    let done = raw(
        &n.b,
        Method::GET,
        &format!("/r/{token_a}?done=1"),
        None,
        None,
    )
    .await;
    assert!(done.text.contains("已选择：全额退款"), "{}", done.text);
    assert!(
        !done.text.contains("name=\"choice\""),
        "no buttons once chosen"
    );
    let booking_a = n.get(&format!("/api/v1/bookings/{a}"), &agent).await;
    assert_eq!(booking_a.body["state"], "cancelled", "{}", booking_a.text);
    let money = n
        .get(&format!("/api/v1/bookings/{a}/payments"), &agent)
        .await;
    let refund = &money.body["refunds"][0];
    assert_eq!(
        refund["computation"]["refund_fen"], a_total,
        "{}",
        money.text
    );
    assert!(refund["due_at"].is_string() && refund["paid_at"].is_null());
    assert!(refund["computation"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["label_zh"].as_str().unwrap().contains("不可抗力")));
    let clocks = n
        .get(
            &format!("/api/v1/sla/clocks?subject_type=booking&subject_id={a}"),
            &admin,
        )
        .await;
    assert!(
        clocks.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["target_key"] == "refund.payment" && c["state"] == "running"),
        "the normal refund clock runs: {}",
        clocks.text
    );
    // Her mind changed (the page still open in another tab): refused in Chinese, the refund
    // stands.
    let changed = choose_by_link(&n, &token_a, &opened, &a, "postpone").await;
    assert_eq!(changed.status, StatusCode::CONFLICT, "{}", changed.text);
    assert!(changed.text.contains("已经选择过"), "{}", changed.text);
    assert_problem(
        &staff_choice(&n.a, &agent, &incident, &a, "postpone").await,
        StatusCode::CONFLICT,
        "remedy.already_chosen",
    );
    let repeat = staff_choice(&n.a, &agent, &incident, &a, "refund").await;
    assert_eq!(repeat.status, StatusCode::OK, "{}", repeat.text);
    assert_eq!(repeat.body["repeat"], true);

    // 李雷 tells the agent by phone he will postpone: a ticket for the CS manager.
    let wang = n.token("wang.qiang").await; // a handler: may answer, may not book
    assert_problem(
        &staff_choice(&n.a, &wang, &incident, &b, "postpone").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let postponed = staff_choice(&n.a, &agent, &incident, &b, "postpone").await;
    assert_eq!(postponed.status, StatusCode::OK, "{}", postponed.text);
    assert_eq!(postponed.body["repeat"], false);
    assert_eq!(postponed.body["remedy"]["state"], "postpone");
    assert_eq!(postponed.body["remedy"]["chosen_via"], "staff");
    let ticket_id = postponed.body["remedy"]["ticket_id"].as_str().unwrap();
    let ticket = n.get(&format!("/api/v1/tickets/{ticket_id}"), &boss).await;
    assert_eq!(ticket.status, StatusCode::OK, "{}", ticket.text);
    assert_eq!(ticket.body["assignee_id"], sun.as_str());
    assert!(ticket.body["subject"]
        .as_str()
        .unwrap()
        .contains("不可抗力延期"));
    let booking_b = n.get(&format!("/api/v1/bookings/{b}"), &agent).await;
    assert_eq!(
        booking_b.body["state"], "confirmed",
        "a postponement keeps the booking"
    );

    // Two nodes record different choices for 韩梅梅's booking at once: one lands.
    let (ra, rb) = tokio::join!(
        staff_choice(&n.a, &agent, &incident, &c, "refund"),
        staff_choice(&n.b, &boss, &incident, &c, "postpone"),
    );
    let (won, lost) = if ra.status == StatusCode::OK {
        (ra, rb)
    } else {
        (rb, ra)
    };
    assert_eq!(won.status, StatusCode::OK, "{}", won.text);
    assert_problem(&lost, StatusCode::CONFLICT, "remedy.already_chosen");
    let winner = won.body["remedy"]["state"].as_str().unwrap().to_string();
    let money_c = n
        .get(&format!("/api/v1/bookings/{c}/payments"), &agent)
        .await;
    let refunds_c = money_c.body["refunds"].as_array().unwrap().len();
    assert_eq!(
        refunds_c,
        usize::from(winner == "refund"),
        "{}",
        money_c.text
    );

    // 赵磊's hold is cancelled at the desk: his offer is withdrawn, his link says so.
    let cancelled = n
        .post(
            &format!("/api/v1/bookings/{d}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    let token_d =
        tripdesk_app::emergency::remedy_token(keys, inc, Uuid::parse_str(&d_customer).unwrap());
    let page_d = raw(&n.b, Method::GET, &format!("/r/{token_d}"), None, None).await;
    assert!(page_d.text.contains("该订单已取消"), "{}", page_d.text);
    assert_problem(
        &staff_choice(&n.a, &agent, &incident, &d, "refund").await,
        StatusCode::CONFLICT,
        "remedy.withdrawn",
    );

    let after = remedies(&n, &boss, &incident, "?state=postpone").await;
    let postpone_count = 1 + usize::from(winner == "postpone");
    assert_eq!(after["items"].as_array().unwrap().len(), postpone_count);
    assert_eq!(
        after["counts"],
        json!({"offered": 0, "refund": 2 - (postpone_count - 1), "postpone": postpone_count,
               "withdrawn": 1})
    );
    let bad = n
        .get(
            &format!("/api/v1/incidents/{incident}/remedies?state=chosen"),
            &boss,
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, "bad_query");

    // The timeline and the audit chain hold every step.
    let mut r = n.app.store.read().await.unwrap();
    let events = r.list_incident_events(inc, 100, 0).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "remedies_offered").count(),
        2
    );
    assert_eq!(kinds.iter().filter(|k| **k == "remedy_chosen").count(), 3);
    assert_eq!(
        kinds.iter().filter(|k| **k == "remedy_withdrawn").count(),
        1
    );
    drop(r);
    let audit = n
        .get(
            "/api/v1/audit?action=incident.remedy_choice&limit=50",
            &boss,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        3,
        "{}",
        audit.text
    );
    assert!(
        !audit.text.contains("wangfang@example.cn") && !audit.text.contains("王芳"),
        "no personal data in the audit: {}",
        audit.text
    );

    // The page in English keeps the money and the lines' Chinese, marked as such.
    let en = Request::builder()
        .uri(format!("/r/{token_a}"))
        .header("cookie", "tripdesk_lang=en")
        .body(Body::empty())
        .unwrap();
    let en = n.b.clone().oneshot(en).await.unwrap();
    let en =
        String::from_utf8(en.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(
        en.contains("Chosen: full refund") && !en.contains("已选择"),
        "{en}"
    );

    // PIPL erasure of 王芳 leaves the offers (ids and amounts) and her message without her
    // address; the offers held nothing personal.
    let erased = n
        .post(
            &format!("/api/v1/customers/{a_customer}/erase"),
            &boss,
            json!({"reason": "客户申请删除（工单 TS0000001）"}),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text);
    let kept = remedies(&n, &boss, &incident, "").await;
    assert_eq!(kept["items"].as_array().unwrap().len(), 4);
    let message = n
        .get(
            &format!("/api/v1/messages/{}", body["id"].as_str().unwrap()),
            &boss,
        )
        .await;
    assert!(
        !message.text.contains("wangfang@example.cn"),
        "{}",
        message.text
    );
}
