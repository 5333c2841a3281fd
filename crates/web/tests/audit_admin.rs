//! Administrative changes reach the audit chain: SLA policies, calendars and their holiday
//! years, message templates, webhooks and routing rules each append an entry in the
//! transaction that makes the change, naming the action, the entity and the actor — and the
//! chain verifies afterwards. Also the action vocabulary the API and the audit page offer.

mod common;

use common::{assert_problem, dept_id, harness, Harness};

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use tripdesk_domain::audit::AuditAction;

const NOTICE_2025: &str = include_str!("../../domain/data/calendars/notices/2025.txt");

/// The newest entry of `action`, checked to be the only one the change appended.
async fn entry(h: &Harness, token: &str, action: AuditAction, before: u64) -> Value {
    let r = h
        .get(&format!("/api/v1/audit?action={}", action.code()), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["total"].as_u64().unwrap(),
        before + 1,
        "{}: one entry per change: {}",
        action.code(),
        r.text
    );
    r.body["items"][0].clone()
}

async fn count(h: &Harness, token: &str, action: AuditAction) -> u64 {
    let r = h
        .get(
            &format!("/api/v1/audit?action={}&limit=1", action.code()),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["total"].as_u64().unwrap()
}

fn by(e: &Value, actor: &Value, entity_type: &str, entity_id: &str) {
    assert_eq!(e["actor_id"], actor["id"], "{e}");
    assert_eq!(e["actor_name"], actor["username"], "{e}");
    assert_eq!(e["entity_type"], entity_type, "{e}");
    assert_eq!(e["entity_id"], entity_id, "{e}");
}

/// The chain verifies with the keys, and covers every entry the API lists.
async fn chain_verifies(h: &Harness, token: &str) {
    let verified = h
        .app
        .verify_audit()
        .await
        .unwrap()
        .expect("the chain verifies");
    assert!(verified.keyed);
    let all = h.get("/api/v1/audit?limit=1", token).await;
    assert_eq!(verified.entries, all.body["total"].as_u64().unwrap());
    assert_eq!(
        verified.head_seq,
        all.body["items"][0]["seq"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn sla_policy_and_calendar_changes_are_chained_with_old_and_new_figures() {
    let h = harness().await;
    let login = h.login("admin").await;
    let (admin, me) = (login["token"].as_str().unwrap(), &login["user"]);

    // An SLA policy's figures: the entry says what they were and what they are.
    let n = count(&h, admin, AuditAction::SlaPolicyUpdate).await;
    let old = h.get("/api/v1/sla/policies/complaint.contact", admin).await;
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/sla/policies/complaint.contact",
            admin,
            json!({"amount": 45, "warn_at_percent": 50}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::SlaPolicyUpdate, n).await;
    by(&e, me, "sla_policy", "complaint.contact");
    assert_eq!(
        e["summary"]["changed"]["amount"],
        json!({"from": old.body["amount"], "to": 45}),
        "{e}"
    );
    assert_eq!(e["summary"]["changed"]["warn_at_percent"]["to"], 50, "{e}");
    assert!(
        e["summary"]["changed"].get("calendar").is_none(),
        "unchanged figures are not listed: {e}"
    );
    // A refused change appends nothing.
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/sla/policies/complaint.contact",
            admin,
            json!({"amount": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(count(&h, admin, AuditAction::SlaPolicyUpdate).await, n + 1);

    // A calendar created, edited, given a year by importing the State Council's notice, and
    // a year deleted.
    let n = count(&h, admin, AuditAction::CalendarCreate).await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars",
            admin,
            json!({"name": "yunqi-frontdesk", "description": "民宿前台",
                   "hours": {"mon": "08:00-20:00", "tue": "08:00-20:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let e = entry(&h, admin, AuditAction::CalendarCreate, n).await;
    by(&e, me, "calendar", "yunqi-frontdesk");
    assert_eq!(e["summary"]["hours"]["mon"], "08:00-20:00", "{e}");

    let n = count(&h, admin, AuditAction::CalendarUpdate).await;
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/calendars/yunqi-frontdesk",
            admin,
            json!({"hours": {"mon": "09:00-18:00", "tue": "08:00-20:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::CalendarUpdate, n).await;
    by(&e, me, "calendar", "yunqi-frontdesk");
    assert_eq!(
        e["summary"]["changed"]["hours"]["from"]["mon"], "08:00-20:00",
        "{e}"
    );
    assert_eq!(
        e["summary"]["changed"]["hours"]["to"]["mon"], "09:00-18:00",
        "{e}"
    );

    let n = count(&h, admin, AuditAction::CalendarHolidaysImported).await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/yunqi-frontdesk/import",
            admin,
            json!({"format": "notice", "year": 2025, "text": NOTICE_2025}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::CalendarHolidaysImported, n).await;
    by(&e, me, "calendar", "yunqi-frontdesk");
    assert_eq!(e["summary"]["years"], json!([2025]), "{e}");

    let n = count(&h, admin, AuditAction::CalendarHolidaysDeleted).await;
    let r = h
        .call(
            Method::DELETE,
            "/api/v1/calendars/yunqi-frontdesk/years/2025",
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let e = entry(&h, admin, AuditAction::CalendarHolidaysDeleted, n).await;
    by(&e, me, "calendar", "yunqi-frontdesk");
    assert_eq!(e["summary"]["year"], 2025, "{e}");

    chain_verifies(&h, admin).await;
}

#[tokio::test]
async fn template_webhook_and_routing_rule_changes_are_chained_without_their_content() {
    let h = harness().await;
    let login = h.login("admin").await;
    let (admin, me) = (login["token"].as_str().unwrap(), &login["user"]);

    // A notification template: its name and version, never its text.
    let n = count(&h, admin, AuditAction::MessageTemplateSave).await;
    let body = json!({"key": "trip.reminder", "locale": "zh-CN", "subject": "出发提醒",
        "body_text": "{{ name }}，您好！明天出发，导游电话 13800138000。"});
    let r = h
        .json(Method::POST, "/api/v1/templates", Some(admin), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut edited = body;
    edited["body_text"] = json!("{{ name }}，您好！明天 {{ time }} 集合。");
    let r = h
        .json(Method::POST, "/api/v1/templates", Some(admin), edited)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let all = h
        .get("/api/v1/audit?action=message_template.save", admin)
        .await;
    assert_eq!(all.body["total"].as_u64().unwrap(), n + 2, "{}", all.text);
    let e = &all.body["items"][0];
    by(e, me, "message_template", "trip.reminder/zh-CN");
    assert_eq!(e["summary"]["version"], 2, "{e}");
    assert_eq!(e["summary"]["changed"], json!(["body_text"]), "{e}");
    assert!(
        !all.text.contains("13800138000") && !all.text.contains("集合"),
        "{}",
        all.text
    );

    // A webhook: where it points, never the token in its address or its signing secret.
    let n = count(&h, admin, AuditAction::WebhookCreate).await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/webhooks",
            Some(admin),
            json!({"url": "https://crm.example.com/hooks/tripdesk?token=s3cr3t-t0ken",
                   "events": ["ticket.created"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (id, secret) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["secret"].as_str().unwrap().to_string(),
    );
    let e = entry(&h, admin, AuditAction::WebhookCreate, n).await;
    by(&e, me, "webhook", &id);
    assert_eq!(e["summary"]["origin"], "https://crm.example.com", "{e}");
    let n = count(&h, admin, AuditAction::WebhookUpdate).await;
    let r = h
        .json(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(admin),
            json!({"url": "https://crm.example.com/hooks/tripdesk?token=n3w-t0ken",
                   "events": ["ticket.created", "ticket.step"], "active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::WebhookUpdate, n).await;
    by(&e, me, "webhook", &id);
    let changed = &e["summary"]["changed"];
    assert_eq!(changed["active"], json!({"from": true, "to": false}), "{e}");
    assert!(changed.get("url_fingerprint").is_some(), "{e}");
    assert!(changed.get("origin").is_none(), "{e}");
    let log = h.get("/api/v1/audit?action=webhook.", admin).await;
    for leaked in ["s3cr3t", "n3w-t0ken", secret.as_str()] {
        assert!(!log.text.contains(leaked), "{leaked} in {}", log.text);
    }

    // A routing rule.
    let supervisor = h.login("zhao.min").await;
    let (sup, sup_user) = (supervisor["token"].as_str().unwrap(), &supervisor["user"]);
    let logistics = dept_id(&h, sup, "logistics").await;
    let n = count(&h, admin, AuditAction::RoutingRuleCreate).await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/routing-rules",
            sup,
            json!({"name": "空调投诉先到后勤", "priority": 1, "keywords": ["空调"],
                   "group_id": logistics}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rule = r.body["id"].as_str().unwrap().to_string();
    let e = entry(&h, admin, AuditAction::RoutingRuleCreate, n).await;
    by(&e, sup_user, "routing_rule", &rule);
    let n = count(&h, admin, AuditAction::RoutingRuleUpdate).await;
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/routing-rules/{rule}"),
            sup,
            json!({"name": "空调投诉先到后勤", "priority": 2, "keywords": ["空调"],
                   "group_id": logistics, "enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::RoutingRuleUpdate, n).await;
    by(&e, sup_user, "routing_rule", &rule);
    assert_eq!(e["summary"]["priority"], 2, "{e}");

    chain_verifies(&h, admin).await;
}

#[tokio::test]
async fn requeues_rate_limits_and_deletions_are_chained() {
    let h = harness().await;
    let login = h.login("admin").await;
    let (admin, me) = (login["token"].as_str().unwrap(), &login["user"]);
    let auth = format!("Bearer {admin}");

    let r = h
        .api(
            Method::PUT,
            "/api/v1/rate-limits/email",
            admin,
            json!({"per_second": 5, "burst": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = entry(&h, admin, AuditAction::RateLimitSet, 0).await;
    by(&e, me, "rate_limit", "email");
    assert_eq!(
        e["summary"]["changed"]["per_second"],
        json!({"from": null, "to": 5}),
        "{e}"
    );
    let r = h
        .call(
            Method::DELETE,
            "/api/v1/rate-limits/email",
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    by(
        &entry(&h, admin, AuditAction::RateLimitRemove, 0).await,
        me,
        "rate_limit",
        "email",
    );

    let body = json!({"key": "trip.reminder", "locale": "en", "subject": "Reminder",
        "body_text": "See you tomorrow."});
    let r = h
        .json(Method::POST, "/api/v1/templates", Some(admin), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = h
        .call(
            Method::DELETE,
            "/api/v1/templates/trip.reminder/en",
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let e = entry(&h, admin, AuditAction::MessageTemplateDelete, 0).await;
    by(&e, me, "message_template", "trip.reminder/en");
    assert_eq!(e["summary"]["versions"], 1, "{e}");

    let r = h
        .json(
            Method::POST,
            "/api/v1/webhooks",
            Some(admin),
            json!({"url": "https://crm.example.com/hooks", "events": ["*"]}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = h
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    by(
        &entry(&h, admin, AuditAction::WebhookDelete, 0).await,
        me,
        "webhook",
        &id,
    );

    chain_verifies(&h, admin).await;
}

#[tokio::test]
async fn the_api_and_the_page_offer_every_action_with_chinese_labels() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let r = h.get("/api/v1/audit/actions", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), AuditAction::ALL.len());
    let sla = items
        .iter()
        .find(|a| a["code"] == "sla_policy.update")
        .unwrap();
    assert_eq!(sla["group"], "sla_policy");
    assert_eq!(sla["label_zh"], "修改时限策略");
    let agent = h.token("li.na").await;
    assert_problem(
        &h.get("/api/v1/audit/actions", &agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // The filter takes a code or a group; anything else is named as the problem.
    let r = h.get("/api/v1/audit?action=sla_policy.", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h.get("/api/v1/audit?action=", &admin).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a blank action is no filter: {}",
        r.text
    );
    let r = h.get("/api/v1/audit?action=sla_policy.edit", &admin).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "action", "{}", r.text);

    // The page lists the groups and actions by their Chinese names.
    let page = h.ui_get("/audit?action=webhook.update", "admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(r#"<optgroup label="时限策略">"#)
            && page
                .text
                .contains(r#"<option value="webhook.update" selected>修改 Webhook</option>"#),
        "{}",
        page.text
    );
    let page = h.ui_get("/audit?action=nonsense", "admin").await;
    assert!(page.text.contains("没有这种操作"), "{}", page.text);
}
