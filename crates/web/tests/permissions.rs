//! Who may reach whose data (issue 11, items 5 and 7): another staff member's notification
//! preferences, and the tickets of another handling group.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};

async fn user_id(h: &Harness, token: &str) -> String {
    let me = h.get("/api/v1/auth/me", token).await;
    me.body["user"]["id"].as_str().unwrap().to_string()
}

async fn preference_audits(h: &Harness, admin: &str, key: &str) -> Vec<Value> {
    let r = h
        .get(
            &format!("/api/v1/audit?action=preference.set&entity_id={key}"),
            admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn only_the_user_and_an_admin_reach_a_staff_members_preferences() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let supervisor = h.token("zhao.min").await;
    let admin = h.token("admin").await;
    let key = format!("user:{}", user_id(&h, &supervisor).await);
    let uri = format!("/api/v1/preferences/{key}");
    let silence = json!({"channel": "in_app", "quiet_start": 0, "quiet_end": 1439});

    // An agent can neither silence a supervisor's alerts nor read how they are reached.
    let r = h.api(Method::PUT, &uri, &agent, silence.clone()).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h.get(&uri, &agent).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    // Neither can another supervisor.
    let other = h.token("sun.li").await;
    let r = h.api(Method::PUT, &uri, &other, silence.clone()).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    assert!(preference_audits(&h, &admin, &key).await.is_empty());

    // The supervisor themselves: 200, audited as their own act.
    let r = h
        .api(
            Method::PUT,
            &uri,
            &supervisor,
            json!({"channel": "email", "locale": "en"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h.get(&uri, &supervisor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["channel"], "email");
    let audits = preference_audits(&h, &admin, &key).await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0]["actor_name"], "zhao.min");
    assert_eq!(
        audits[0]["summary"]["fields"],
        json!(["channel", "locale", "timezone"])
    );

    // An administrator: 200 both ways, audited under the administrator's name.
    let r = h.api(Method::PUT, &uri, &admin, silence).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h.get(&uri, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["quiet_start"], 0);
    let audits = preference_audits(&h, &admin, &key).await;
    assert_eq!(audits.len(), 2, "{audits:?}");
    assert_eq!(audits[0]["actor_name"], "admin");

    // A customer's preferences: whoever may edit customers (an agent), not a handler.
    let customer = format!("/api/v1/preferences/customer:{}", uuid::Uuid::now_v7());
    let handler = h.token("wang.qiang").await;
    let r = h
        .api(Method::PUT, &customer, &handler, json!({"locale": "en"}))
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .api(Method::PUT, &customer, &agent, json!({"locale": "en"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A malformed key is still named by the validation, not hidden behind a 403.
    let r = h
        .api(
            Method::PUT,
            "/api/v1/preferences/someone",
            &agent,
            json!({"locale": "en"}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

/// The handling group's complaint of the issue: a guide-management complaint, assigned to
/// 周杰 (guide management), with an evidence file. Returns (ticket, attachment id).
async fn guide_complaint(h: &Harness, agent: &str, admin: &str) -> (Value, String) {
    let r = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            agent,
            json!({
                "kind": "complaint", "channel": "email", "level": "general",
                "subject": "导游擅自更改行程", "description": "取消了西湖游船。",
                "customer": {"name": "陈女士", "email": "chen@example.com"},
                "business_area": "guide"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let guide = dept_id(h, admin, "guide_management").await;
    let zhou = h.get("/api/v1/users?q=zhou.jie", admin).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for body in [
        json!({"step": "triage", "level": "general"}),
        json!({"step": "assign", "group_id": guide, "assignee_id": zhou}),
    ] {
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/steps"),
                agent,
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let auth = format!("Bearer {agent}");
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/attachments?file_name=receipt.txt"),
            &[("authorization", &auth), ("content-type", "text/plain")],
            Some("船票收据".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let attachment = r.body["id"].as_str().unwrap().to_string();
    let t = h.get(&format!("/api/v1/tickets/{id}"), agent).await.body;
    (t, attachment)
}

#[tokio::test]
async fn a_handler_of_another_group_finds_no_trace_of_the_ticket() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let (t, attachment) = guide_complaint(&h, &agent, &admin).await;
    let id = t["id"].as_str().unwrap();
    let number = t["number"].as_str().unwrap();
    let clock = t["sla_clocks"][0]["id"].as_str().expect("a running clock");

    // 王强 plans routes: the guide-management complaint is not his group's.
    let other = h.token("wang.qiang").await;
    let reads = [
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/timeline"),
        format!("/api/v1/tickets/{id}/routing"),
        format!("/api/v1/tickets/{id}/surveys"),
        format!("/api/v1/tickets/{id}/tracking-link"),
        format!("/api/v1/tickets/{id}/attachments/{attachment}"),
        format!("/api/v1/sla/clocks/{clock}"),
        format!("/api/v1/sla/clocks?subject_type=ticket&subject_id={id}"),
    ];
    for uri in &reads {
        let r = h.get(uri, &other).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        assert!(!r.text.contains(number), "{uri}: {}", r.text);
    }
    let writes = [
        (
            format!("/api/v1/tickets/{id}/steps"),
            json!({"step": "propose_solution", "note": "改线路"}),
        ),
        (
            format!("/api/v1/tickets/{id}/level"),
            json!({"level": "urgent", "reason": "试试"}),
        ),
        (
            format!("/api/v1/tickets/{id}/messages"),
            json!({"kind": "note", "body": "看看"}),
        ),
        (
            format!("/api/v1/tickets/{id}/convert"),
            json!({"reason": "试试"}),
        ),
        (format!("/api/v1/tickets/{id}/surveys"), json!({})),
        (format!("/api/v1/sla/clocks/{clock}/pause"), json!({})),
    ];
    for (uri, body) in &writes {
        let r = h.api(Method::POST, uri, &other, body.clone()).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
            "{uri}: {} {}",
            r.status,
            r.text
        );
        if r.status == StatusCode::FORBIDDEN {
            // Refused by the role before the ticket was looked at: still says nothing of it.
            assert!(!r.text.contains(number), "{uri}: {}", r.text);
        }
    }
    let auth = format!("Bearer {other}");
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/attachments?file_name=x.txt"),
            &[("authorization", &auth), ("content-type", "text/plain")],
            Some("x".into()),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    // Nothing was written by any of it.
    let after = h.get(&format!("/api/v1/tickets/{id}"), &agent).await.body;
    assert_eq!(after["state"], "assigned");
    assert_eq!(after["level"], "general");
    assert_eq!(after["events"], t["events"]);

    // Lists: the ticket is counted nowhere for him, and paging stays right.
    let list = h.get("/api/v1/tickets?limit=100", &other).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(!list.text.contains(id), "{}", list.text);
    assert_eq!(
        list.body["total"].as_u64().unwrap(),
        list.body["items"].as_array().unwrap().len() as u64
    );
    for queue in [
        "open",
        "all",
        "unassigned",
        "breaching",
        "urgent",
        "mine",
        "my_group",
    ] {
        let r = h
            .get(&format!("/api/v1/desk/inbox?queue={queue}"), &other)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{queue}: {}", r.text);
        assert!(!r.text.contains(id), "{queue}: {}", r.text);
    }
    let (cookie, _) = h.session("wang.qiang").await;
    for uri in [
        format!("/desk/tickets/{id}"),
        format!("/desk/tickets/{id}/customer"),
        format!("/desk/find?number={number}"),
    ] {
        let r = h
            .call(Method::GET, &uri, &[("cookie", &cookie)], None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.text);
    }
    let r = h
        .call(Method::GET, "/desk?queue=all", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains(number), "the inbox page lists it");

    // The ticket's own group, intake, follow-up, supervisors and administrators see it.
    for who in ["zhou.jie", "li.na", "wang.fang", "zhao.min", "admin"] {
        let token = h.token(who).await;
        let r = h.get(&format!("/api/v1/tickets/{id}"), &token).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        let r = h
            .get(&format!("/api/v1/tickets/{id}/timeline"), &token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        let r = h.get("/api/v1/desk/inbox?queue=all", &token).await;
        assert!(r.text.contains(id), "{who} sees it in the inbox");
        let r = h.get("/api/v1/tickets?limit=100", &token).await;
        assert!(r.text.contains(id), "{who} sees it in the list");
        let (cookie, _) = h.session(who).await;
        let r = h
            .call(
                Method::GET,
                &format!("/desk/find?number={number}"),
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{who}");
    }
    // And the handler of the group acts on it.
    let zhou = h.token("zhou.jie").await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            &zhou,
            json!({"step": "record_contact", "note": "已联系陈女士"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h
        .get(
            &format!("/api/v1/tickets/{id}/attachments/{attachment}"),
            &zhou,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Handing it to route planning: the step answers with its outcome, then the ticket is
    // route planning's — 王强 sees it, 周杰 no longer does.
    let route = dept_id(&h, &admin, "route_planning").await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            &zhou,
            json!({"step": "reassign", "group_id": route, "reason": "属线路问题"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["group_id"], route.as_str(), "{}", r.text);
    let r = h.get(&format!("/api/v1/tickets/{id}"), &zhou).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = h.get(&format!("/api/v1/tickets/{id}"), &other).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn only_administrators_write_to_a_webhook_endpoint() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let supervisor = h.token("zhao.min").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/webhooks",
            &admin,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hook = r.body["id"].as_str().unwrap().to_string();
    let to_hook = json!({"channel": "webhook", "to": hook, "subject": "test", "body": "x"});
    // A staff member who may send messages may not write to the integration, nor learn
    // whether an endpoint id exists.
    for body in [
        to_hook.clone(),
        json!({"channel": "webhook", "to": uuid::Uuid::now_v7(), "subject": "t", "body": "x"}),
        json!({"channel": "in_app", "to": "li.na", "subject": "t", "body": "x",
               "related_type": "webhook", "related_id": hook}),
    ] {
        let r = h
            .api(Method::POST, "/api/v1/messages", &supervisor, body)
            .await;
        assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    }
    let r = h
        .api(Method::POST, "/api/v1/messages", &admin, to_hook)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Subscriptions name events tripdesk publishes.
    let r = h
        .api(
            Method::POST,
            "/api/v1/webhooks",
            &admin,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["ticket.created", "booking.teleported"]}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "events");
    // The document lists them, and describes each payload.
    let doc = h
        .call(Method::GET, "/api/v1/openapi.json", &[], None)
        .await
        .body;
    let events = &doc["components"]["schemas"]["WebhookBody"]["properties"]["events"];
    let names: Vec<&str> = events["items"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut want = vec!["*"];
    want.extend(tripdesk_domain::notify::events::ALL);
    assert_eq!(names, want);
    for schema in [
        "WebhookDelivery",
        "WebhookTicket",
        "TicketCreatedData",
        "TicketLevelChangedData",
        "TicketStepData",
        "TicketReplySentData",
        "SlaEventData",
        "SurveyAnsweredData",
        "CustomerErasedData",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} is described"
        );
    }
}
