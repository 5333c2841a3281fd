//! The API in-process, on the backend of this test run (SQLite, or PostgreSQL with
//! TRIPDESK_TEST_DATABASE_URL): authentication, permissions, field-level errors, limits, CSRF
//! and the OpenAPI document.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{assert_problem, field_of, harness};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn healthz_reports_the_database() {
    let h = harness().await;
    let r = h.call(Method::GET, "/healthz", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert!(["sqlite", "postgres"].contains(&r.body["database"].as_str().unwrap()));
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn login_returns_a_token_and_an_httponly_cookie() {
    let h = harness().await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "li.na", "password": "tripdesk-demo"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = r.body["token"].as_str().unwrap();
    assert!(token.starts_with("tds_"));
    assert_eq!(r.body["user"]["display_name"], "李娜");
    assert!(r.body["user"].get("password_hash").is_none());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        r.body["expires_at"].as_str().unwrap().ends_with("+08:00"),
        "shown in Asia/Shanghai"
    );

    let me = h.get("/api/v1/auth/me", token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["username"], "li.na");
    assert!(me.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "work_tickets"));

    // Logout ends the session.
    let auth = format!("Bearer {token}");
    let out = h
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_problem(
        &h.get("/api/v1/auth/me", token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

#[tokio::test]
async fn wrong_passwords_are_throttled() {
    let h = harness().await;
    for _ in 0..5 {
        let r = h
            .json(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"username": "chen.jing", "password": "wrong-password"}),
            )
            .await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Even the right password waits now.
    let r = h
        .json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "chen.jing", "password": "tripdesk-demo"}),
        )
        .await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, "throttled");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Other users are not affected.
    h.login("li.na").await;
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let h = harness().await;
    let admin = h.token("admin").await;

    let r = h
        .json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "admin"}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "password");

    let r = h
        .json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "a", "password": "b", "remember": true}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "remember");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");

    let r = h
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "application/json")],
            Some("{not json".into()),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");

    let r = h
        .call(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "text/plain")],
            Some("x".into()),
        )
        .await;
    assert_problem(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    let r = h
        .json(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            json!({"username": "9bad", "display_name": "", "password": "short", "roles": []}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "display_name", "password", "roles"]);
    assert!(
        !r.text.contains("short"),
        "the submitted password is never echoed"
    );

    let r = h
        .json(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "x.y", "display_name": "X", "password": "long enough!", "roles": ["pilot"]}))
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "roles[0]");

    let r = h.get("/api/v1/users?limit=abc", &admin).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    assert_eq!(field_of(&r), "limit");

    let r = h.get("/api/v1/users/not-a-uuid", &admin).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = h.get("/api/v1/nothing-here", &admin).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let h = harness().await;
    let big = json!({"username": "a".repeat(100 * 1024), "password": "x"});
    let r = h.json(Method::POST, "/api/v1/auth/login", None, big).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn permissions_are_checked() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let admin = h.token("admin").await;
    let supervisor = h.token("zhao.min").await;

    assert_problem(
        &h.get("/api/v1/users", "").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_problem(
        &h.get("/api/v1/users", "tds_forged").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_problem(
        &h.get("/api/v1/users", &agent).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let r = h.get("/api/v1/users", &supervisor).await;
    assert_eq!(r.status, StatusCode::OK, "supervisors may list staff");
    assert_eq!(r.body["total"], 13);

    let new_user = json!({"username": "xu.ming", "display_name": "许明", "password": "a long password", "roles": ["agent"]});
    let r = h
        .json(
            Method::POST,
            "/api/v1/users",
            Some(&supervisor),
            new_user.clone(),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .json(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            new_user.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = h
        .json(Method::POST, "/api/v1/users", Some(&admin), new_user)
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "username_taken");
    assert_eq!(field_of(&r), "username");

    // Disabling signs the user out and stops new sign-ins.
    let xu = h.login_with("xu.ming", "a long password").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Used once, so this server holds the principal in its cache.
    assert_eq!(h.get("/api/v1/auth/me", &xu).await.status, StatusCode::OK);
    let r = h
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            json!({"disabled": true, "email": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["disabled"], true);
    assert_problem(
        &h.get("/api/v1/auth/me", &xu).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let r = h
        .json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"username": "xu.ming", "password": "a long password"}),
        )
        .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");

    // An admin cannot lock themselves out.
    let me = h.get("/api/v1/auth/me", &admin).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = h
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            Some(&admin),
            json!({"roles": ["agent"]}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn departments_and_api_tokens() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let r = h.get("/api/v1/departments", &admin).await;
    let names: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name_zh"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "客服部",
        "线路策划部",
        "导游管理部",
        "后勤保障部",
        "回访小组",
        "监督岗",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    let r = h
        .json(
            Method::POST,
            "/api/v1/departments",
            Some(&admin),
            json!({"code": "customer_service", "name_zh": "重复", "name_en": "Dup"}),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "department_code_taken");
    let r = h
        .json(
            Method::POST,
            "/api/v1/departments",
            Some(&admin),
            json!({"code": "transport", "name_zh": "车队", "name_en": "Transport"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let r = h
        .json(
            Method::POST,
            "/api/v1/api-tokens",
            Some(&admin),
            json!({"name": "OTA sync", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let api_token = r.body["token"].as_str().unwrap().to_string();
    let token_id = r.body["id"].as_str().unwrap().to_string();
    assert!(api_token.starts_with("tdk_"));
    assert_eq!(
        h.get("/api/v1/users", &api_token).await.status,
        StatusCode::OK,
        "acts as its owner"
    );
    let auth = format!("Bearer {api_token}");
    let r = h
        .call(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{token_id}"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "token_in_use");
    let auth = format!("Bearer {admin}");
    let r = h
        .call(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{token_id}"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_problem(
        &h.get("/api/v1/users", &api_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let list = h.get("/api/v1/api-tokens", &admin).await;
    assert!(list.body["items"][0]["revoked_at"].is_string());
    assert!(
        !list.text.contains(&api_token),
        "the secret is never listed"
    );
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    let h = harness().await;
    let login = h.login("admin").await;
    let token = login["token"].as_str().unwrap();
    let csrf = login["csrf_token"].as_str().unwrap();
    let cookie = format!("tripdesk_session={token}");
    let body = json!({"code": "spa", "name_zh": "水疗", "name_en": "Spa"}).to_string();
    let r = h
        .call(
            Method::POST,
            "/api/v1/departments",
            &[("cookie", &cookie), ("content-type", "application/json")],
            Some(body.clone()),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "csrf");
    let r = h
        .call(
            Method::POST,
            "/api/v1/departments",
            &[
                ("cookie", &cookie),
                ("content-type", "application/json"),
                ("x-csrf-token", csrf),
            ],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Reads over the cookie need no token.
    let r = h
        .call(
            Method::GET,
            "/api/v1/departments",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn openapi_is_3_1_and_lists_every_route() {
    let h = harness().await;
    let r = h.call(Method::GET, "/api/v1/openapi.json", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/departments", "get"),
        ("/api/v1/departments", "post"),
        ("/api/v1/departments/{id}", "get"),
        ("/api/v1/departments/{id}", "patch"),
        ("/api/v1/api-tokens", "get"),
        ("/api/v1/api-tokens", "post"),
        ("/api/v1/api-tokens/{id}", "delete"),
        ("/api/v1/tickets", "get"),
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets/{id}", "get"),
        ("/api/v1/tickets/{id}/attachments", "post"),
        ("/api/v1/tickets/{id}/attachments/{attachment_id}", "get"),
        ("/api/v1/tickets/{id}/level", "post"),
        ("/api/v1/tickets/{id}/steps", "post"),
        ("/api/v1/tickets/{id}/surveys", "get"),
        ("/api/v1/tickets/{id}/surveys", "post"),
        ("/api/v1/tickets/{id}/tracking-link", "get"),
        ("/api/v1/customers", "get"),
        ("/api/v1/customers", "post"),
        ("/api/v1/customers/export", "get"),
        ("/api/v1/customers/import", "post"),
        ("/api/v1/customers/{id}/conversation", "get"),
        ("/api/v1/customers/{id}", "get"),
        ("/api/v1/customers/{id}", "patch"),
        ("/api/v1/customers/{id}/reveal", "post"),
        ("/api/v1/customers/{id}/consents", "post"),
        ("/api/v1/customers/{id}/duplicates", "get"),
        ("/api/v1/customers/{id}/merge", "post"),
        ("/api/v1/customers/{id}/pipl-export", "post"),
        ("/api/v1/customers/{id}/erase", "post"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/actions", "get"),
        ("/api/v1/calendars", "get"),
        ("/api/v1/calendars", "post"),
        ("/api/v1/calendars/{name}", "get"),
        ("/api/v1/calendars/{name}", "patch"),
        ("/api/v1/calendars/{name}", "delete"),
        ("/api/v1/calendars/{name}/years/{year}", "get"),
        ("/api/v1/calendars/{name}/years/{year}", "put"),
        ("/api/v1/calendars/{name}/years/{year}", "delete"),
        ("/api/v1/calendars/{name}/import", "post"),
        ("/api/v1/calendars/{name}/workdays", "get"),
        ("/api/v1/calendars/{name}/add", "post"),
        ("/api/v1/sla/policies", "get"),
        ("/api/v1/sla/policies/{key}", "get"),
        ("/api/v1/sla/policies/{key}", "patch"),
        ("/api/v1/sla/clocks", "get"),
        ("/api/v1/sla/clocks", "post"),
        ("/api/v1/sla/clocks/{id}", "get"),
        ("/api/v1/sla/clocks/{id}/{action}", "post"),
        ("/api/v1/sla/compliance", "get"),
        ("/api/v1/messages", "get"),
        ("/api/v1/messages", "post"),
        ("/api/v1/messages/{id}", "get"),
        ("/api/v1/messages/{id}/retry", "post"),
        ("/api/v1/message-stats", "get"),
        ("/api/v1/templates", "get"),
        ("/api/v1/templates", "post"),
        ("/api/v1/templates/{key}/{locale}", "get"),
        ("/api/v1/templates/{key}/{locale}", "delete"),
        ("/api/v1/templates/{key}/{locale}/preview", "post"),
        ("/api/v1/template-preview", "post"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/{id}/read", "post"),
        ("/api/v1/notifications/read-all", "post"),
        ("/api/v1/webhooks", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{id}", "get"),
        ("/api/v1/webhooks/{id}", "patch"),
        ("/api/v1/webhooks/{id}", "delete"),
        ("/api/v1/preferences/{recipient_key}", "get"),
        ("/api/v1/preferences/{recipient_key}", "put"),
        ("/api/v1/rate-limits", "get"),
        ("/api/v1/rate-limits/{channel}", "put"),
        ("/api/v1/rate-limits/{channel}", "delete"),
        ("/api/v1/tickets/{id}/messages", "post"),
        ("/api/v1/tickets/{id}/convert", "post"),
        ("/api/v1/tickets/{id}/timeline", "get"),
        ("/api/v1/tickets/{id}/routing", "get"),
        ("/api/v1/routing-rules", "get"),
        ("/api/v1/routing-rules", "post"),
        ("/api/v1/routing-rules/{id}", "get"),
        ("/api/v1/routing-rules/{id}", "put"),
        ("/api/v1/routing-rules/{id}", "delete"),
        ("/api/v1/reply-templates", "get"),
        ("/api/v1/reply-templates", "post"),
        ("/api/v1/reply-templates/{id}", "get"),
        ("/api/v1/reply-templates/{id}", "put"),
        ("/api/v1/reply-templates/{id}", "delete"),
        ("/api/v1/desk/inbox", "get"),
        ("/api/v1/desk/board", "get"),
        ("/api/v1/jobs", "get"),
        ("/api/v1/jobs/{id}/retry", "post"),
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/{id}", "get"),
        ("/api/v1/products/{id}/policies", "get"),
        ("/api/v1/products/{id}/policies", "post"),
        ("/api/v1/properties/{id}/policies", "get"),
        ("/api/v1/properties/{id}/policies", "post"),
        ("/api/v1/room-types/{id}/policies", "get"),
        ("/api/v1/room-types/{id}/policies", "post"),
        ("/api/v1/departures", "get"),
        ("/api/v1/departures", "post"),
        ("/api/v1/departures/{id}", "get"),
        ("/api/v1/departures/{id}/waitlist", "get"),
        ("/api/v1/departures/{id}/waitlist", "post"),
        ("/api/v1/properties", "get"),
        ("/api/v1/properties", "post"),
        ("/api/v1/properties/{id}/room-types", "get"),
        ("/api/v1/properties/{id}/room-types", "post"),
        ("/api/v1/rooms", "get"),
        ("/api/v1/rooms", "post"),
        ("/api/v1/availability", "get"),
        ("/api/v1/recommendations", "post"),
        ("/api/v1/rooms/{id}/ical-feed", "post"),
        ("/api/v1/room-types/{id}/ical-feed", "post"),
        ("/api/v1/ical/{file}", "get"),
        ("/api/v1/incidents", "get"),
        ("/api/v1/incidents", "post"),
        ("/api/v1/incidents/{id}", "get"),
        ("/api/v1/incidents/{id}", "patch"),
        ("/api/v1/incidents/{id}/broadcasts", "post"),
        ("/api/v1/incidents/{id}/people", "get"),
        ("/api/v1/incidents/{id}/people", "post"),
        ("/api/v1/incidents/{id}/people/{customer_id}/answer", "put"),
        ("/api/v1/incidents/{id}/team/{role}", "put"),
        ("/api/v1/incidents/{id}/checklist/{item}", "put"),
        ("/api/v1/incidents/{id}/calls/{customer_id}", "put"),
        ("/api/v1/incidents/{id}/report", "post"),
        ("/api/v1/incidents/{id}/report", "get"),
        ("/api/v1/incidents/{id}/update-report", "post"),
        ("/api/v1/incidents/{id}/end-handling", "post"),
        ("/api/v1/incidents/{id}/close", "post"),
        ("/api/v1/incidents/{id}/remedies", "get"),
        ("/api/v1/incidents/{id}/remedies", "post"),
        (
            "/api/v1/incidents/{id}/remedies/{booking_id}/choice",
            "post",
        ),
        ("/api/v1/incidents/{id}/costs", "get"),
        ("/api/v1/incidents/{id}/costs", "post"),
        ("/api/v1/drills", "get"),
        ("/api/v1/rooms/{id}/ical-import", "post"),
        ("/api/v1/ical-subscriptions", "get"),
        ("/api/v1/ical-subscriptions", "post"),
        ("/api/v1/ical-subscriptions/{id}", "get"),
        ("/api/v1/ical-subscriptions/{id}", "delete"),
        ("/api/v1/ical-subscriptions/{id}/sync", "post"),
        ("/api/v1/bookings", "get"),
        ("/api/v1/bookings", "post"),
        ("/api/v1/bookings/{id}", "get"),
        ("/api/v1/bookings/{id}/confirm", "post"),
        ("/api/v1/bookings/{id}/complete", "post"),
        ("/api/v1/bookings/{id}/confirmation-told", "post"),
        ("/api/v1/bookings/{id}/refunds/{refund_id}/payout", "post"),
        ("/api/v1/bookings/{id}/cancel", "post"),
        ("/api/v1/bookings/{id}/payments", "get"),
        ("/api/v1/bookings/{id}/payments", "post"),
        ("/api/v1/payment-gateways", "get"),
        ("/api/v1/payment-gateways", "post"),
        ("/api/v1/payment-gateways/{provider}", "delete"),
        ("/api/v1/payment-notifications/{provider}", "post"),
        ("/api/v1/bookings/{id}/departure-notice.pdf", "get"),
        ("/api/v1/bookings/{id}/documents", "get"),
        ("/api/v1/bookings/{id}/documents/send", "post"),
        ("/api/v1/departures/{id}/guide", "put"),
        ("/api/v1/bookings/{id}/change-quotes", "post"),
        ("/api/v1/bookings/{id}/change-quotes/{quote_id}", "get"),
        (
            "/api/v1/bookings/{id}/change-quotes/{quote_id}/accept",
            "post",
        ),
        ("/api/v1/bookings/{id}/arrival", "get"),
        ("/api/v1/bookings/{id}/arrival", "post"),
        ("/api/v1/bookings/{id}/registration", "post"),
        ("/api/v1/arrivals", "get"),
        ("/api/v1/search", "get"),
        ("/api/v1/feedback", "get"),
        ("/api/v1/feedback/{source}/{item_id}", "put"),
        ("/api/v1/tickets/{id}/feedback", "get"),
        ("/api/v1/assessment/cycles", "get"),
        ("/api/v1/assessment/cycles", "post"),
        ("/api/v1/assessment/cycles/{month}/close", "post"),
        ("/api/v1/assessment/cycles/{month}/ratings", "post"),
        ("/api/v1/assessment/cycles/{month}/results", "get"),
        ("/api/v1/assessment/cycles/{month}/actions", "post"),
        ("/api/v1/assessment/trainings", "post"),
        ("/api/v1/calls", "get"),
        ("/api/v1/calls/answer-rate", "get"),
        ("/api/v1/quality/kpis", "get"),
        ("/api/v1/quality/cases", "get"),
        ("/api/v1/quality/public", "get"),
        ("/api/v1/quality/public", "put"),
        ("/api/v1/calls/cdr", "post"),
        ("/api/v1/calls/events", "post"),
        ("/api/v1/calls/callbacks", "get"),
        ("/api/v1/calls/callbacks/{id}/done", "post"),
        ("/api/v1/calls/{id}/ticket", "post"),
        ("/api/v1/wechat/push", "get"),
        ("/api/v1/wechat/push", "post"),
        ("/api/v1/mailboxes", "get"),
        ("/api/v1/mailboxes", "post"),
        ("/api/v1/mailboxes/{id}", "get"),
        ("/api/v1/mailboxes/{id}/enabled", "put"),
        ("/api/v1/mailboxes/{id}/poll", "post"),
        ("/api/v1/sms/receipts", "post"),
        ("/api/v1/sms/replies", "post"),
        ("/api/v1/quality/summaries/{cadence}", "get"),
        ("/api/v1/quality/summaries/{cadence}/summary.pdf", "get"),
        ("/api/v1/quality/summaries/{cadence}/summary.xlsx", "get"),
    ];
    let listed: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        listed,
        expected.len(),
        "every operation is expected here: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, method) in expected {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(
            op["responses"]["500"].is_object(),
            "{method} {path} documents errors"
        );
        // And the route really exists: an unauthenticated call is not a 404 from the fallback.
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let uri = path
            .replace("{id}", "01900000-0000-7000-8000-000000000000")
            .replace("{name}", "cn-mainland")
            .replace("{year}", "2025")
            .replace("{key}", "complaint.contact")
            .replace("{action}", "stop")
            .replace("{provider}", "wechat");
        let r = h
            .call(
                m,
                &uri,
                &[("content-type", "application/json")],
                Some("{}".into()),
            )
            .await;
        assert!(
            !(r.status == StatusCode::NOT_FOUND && r.body["title"] == "route not found"),
            "{method} {path} not routed"
        );
    }
}

#[tokio::test]
async fn metrics_count_requests() {
    let h = harness().await;
    h.call(Method::GET, "/healthz", &[], None).await;
    let r = h.call(Method::GET, "/metrics", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(
        r.text.contains("tripdesk_http_requests_total"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn ui_pages_need_a_session_and_render_in_both_languages() {
    let h = harness().await;
    let r = h.call(Method::GET, "/admin/users", &[], None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/login?next=%2Fadmin%2Fusers");

    let login = h.call(Method::GET, "/login", &[], None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains("lang=\"zh-CN\"") && login.text.contains("登录"));

    let form = "username=admin&password=tripdesk-demo&next=%2Fadmin%2Fusers";
    let r = h
        .call(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(form.into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/admin/users");
    let set_cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    let session = set_cookie.split(';').next().unwrap().to_string();

    let page = h
        .call(Method::GET, "/admin/users", &[("cookie", &session)], None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for name in ["王芳", "赵敏", "员工账号", "共 13 人"] {
        assert!(page.text.contains(name), "{name} missing");
    }
    let en_cookie = format!("{session}; tripdesk_lang=en");
    let page = h
        .call(
            Method::GET,
            "/admin/departments",
            &[("cookie", &en_cookie)],
            None,
        )
        .await;
    assert!(
        page.text.contains("Chinese name") && page.text.contains("lang=\"en\""),
        "{}",
        page.text
    );

    // A form post without the CSRF field is refused, with it accepted.
    let r = h
        .call(
            Method::POST,
            "/admin/departments",
            &[
                ("cookie", &session),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some("code=tea&name_zh=%E8%8C%B6&name_en=Tea".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = h
        .call(
            Method::GET,
            "/admin/departments",
            &[("cookie", &session)],
            None,
        )
        .await;
    let csrf = page
        .text
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let body = format!("_csrf={csrf}&code=tea&name_zh=%E8%8C%B6&name_en=Tea");
    let r = h
        .call(
            Method::POST,
            "/admin/departments",
            &[
                ("cookie", &session),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
}

// ---- notifications ----

#[tokio::test]
async fn one_off_messages_are_queued_and_show_their_delivery_state() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(&admin),
            json!({"channel": "email", "to": "someone@example.com", "subject": "您好：行程确认", "body": "正文"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["state"], "queued");
    assert_eq!(r.body["to"], "someone@example.com");

    let got = h.get(&format!("/api/v1/messages/{id}"), &admin).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["state"], "queued");
    assert_eq!(got.body["subject"], "您好：行程确认");
    assert_eq!(got.body["history"], json!([]));
    assert_eq!(got.body["attempts"], 0);

    // Field-level errors.
    for (body, field) in [
        (
            json!({"channel": "email", "to": "not-an-address", "subject": "s", "body": "b"}),
            "to",
        ),
        (
            json!({"channel": "pigeon", "to": "a@example.com", "subject": "s", "body": "b"}),
            "channel",
        ),
        (
            json!({"channel": "email", "to": "a@example.com", "subject": "", "body": "b"}),
            "subject",
        ),
        (
            json!({"channel": "in_app", "to": "nobody.here", "subject": "s", "body": "b"}),
            "to",
        ),
    ] {
        let r = h
            .json(Method::POST, "/api/v1/messages", Some(&admin), body)
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), field, "{}", r.text);
    }
    let r = h
        .json(
            Method::POST,
            "/api/v1/messages",
            None,
            json!({"channel": "email"}),
        )
        .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");

    // An agent sends and sees their own messages, not other people's.
    let agent = h.token("li.na").await;
    let mine = h
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(&agent),
            json!({"channel": "in_app", "to": "zhao.min", "subject": "请回电", "body": "客户陈女士来电"}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text);
    let list = h.get("/api/v1/messages", &agent).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_problem(
        &h.get(&format!("/api/v1/messages/{id}"), &agent).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Admins see everything and filter by state.
    let all = h
        .get("/api/v1/messages?state=queued&limit=500", &admin)
        .await;
    assert!(
        all.body["items"].as_array().unwrap().len() >= 2,
        "{}",
        all.text
    );
    let bad = h.get("/api/v1/messages?state=lost", &admin).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, "bad_query");
    let stats = h.get("/api/v1/message-stats", &admin).await;
    assert!(stats.body["queued"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn dead_letters_are_listed_and_retried_by_admins() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/messages",
            Some(&admin),
            json!({"channel": "email", "to": "gone@example.com", "subject": "s", "body": "b"}),
        )
        .await;
    let id: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    // A worker gives up on it.
    let store = h.store.store.clone();
    let now = jiff::Timestamp::now();
    let mut tx = store.write().await.unwrap();
    let claimed = tx
        .claim_due(&tripdesk_store::ClaimRequest {
            channel: "email".into(),
            worker: "w".into(),
            now,
            lease_until: now + jiff::SignedDuration::from_secs(60),
            max: 100,
        })
        .await
        .unwrap();
    assert!(claimed.messages.iter().any(|m| m.id == id));
    for m in &claimed.messages {
        tx.finish_attempt(&tripdesk_store::FinishedAttempt {
            message_id: m.id,
            worker: "w".into(),
            started_at: now,
            finished_at: now,
            outcome: tripdesk_store::AttemptOutcome::Dead {
                error: "550 mailbox unavailable".into(),
            },
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let dead = h.get("/api/v1/messages?state=dead", &admin).await;
    assert_eq!(dead.body["items"][0]["id"], id.to_string());
    assert_eq!(
        dead.body["items"][0]["last_error"],
        "550 mailbox unavailable"
    );
    let supervisor = h.token("zhao.min").await;
    let r = h
        .json(
            Method::POST,
            &format!("/api/v1/messages/{id}/retry"),
            Some(&supervisor),
            json!({}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/messages/{id}/retry"),
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "queued");
    // The requeue is in the audit chain: what was requeued, not to whom.
    let audit = h.get("/api/v1/audit?action=message.requeue", &admin).await;
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    assert_eq!(audit.body["items"][0]["entity_id"], id.to_string());
    assert_eq!(audit.body["items"][0]["actor_name"], "admin");
    assert!(!audit.text.contains("gone@example.com"), "{}", audit.text);
    let again = h
        .call(
            Method::POST,
            &format!("/api/v1/messages/{id}/retry"),
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, "not_dead");
    let detail = h.get(&format!("/api/v1/messages/{id}"), &admin).await;
    let outcomes: Vec<_> = detail.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes, ["dead", "requeued"]);

    // The UI lists the dead letter with a retry button for the admin.
    let page = h.ui_get("/notify/messages?state=dead", "admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("发送记录"));
}

#[tokio::test]
async fn templates_are_versioned_and_previewed() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let list = h.get("/api/v1/templates", &admin).await;
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["key"] == "booking.confirmed"));
    let body = json!({"key": "trip.reminder", "locale": "zh-CN", "subject": "出发提醒：{{ product }}", "body_text": "{{ name }}，您好！明天出发。"});
    let v1 = h
        .json(
            Method::POST,
            "/api/v1/templates",
            Some(&admin),
            body.clone(),
        )
        .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.text);
    assert_eq!(v1.body["version"], 1);
    let mut edited = body.clone();
    edited["body_text"] = json!("{{ name }}，您好！明天 {{ time }} 集合。");
    let v2 = h
        .json(Method::POST, "/api/v1/templates", Some(&admin), edited)
        .await;
    assert_eq!(v2.body["version"], 2);
    let versions = h.get("/api/v1/templates/trip.reminder/zh-CN", &admin).await;
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 2);

    let preview = h
        .json(
            Method::POST,
            "/api/v1/templates/trip.reminder/zh-CN/preview",
            Some(&admin),
            json!({"vars": {"name": "张伟", "product": "黄山两日游"}}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["version"], 2);
    assert_eq!(preview.body["subject"], "出发提醒：黄山两日游");
    assert_eq!(preview.body["body_text"], "张伟，您好！明天 «time» 集合。");
    let old = h
        .json(
            Method::POST,
            "/api/v1/templates/trip.reminder/zh-CN/preview",
            Some(&admin),
            json!({"version": 1, "vars": {"name": "张伟", "product": "x"}}),
        )
        .await;
    assert_eq!(old.body["body_text"], "张伟，您好！明天出发。");

    let broken = h
        .json(
            Method::POST,
            "/api/v1/templates",
            Some(&admin),
            json!({"key": "x.y", "locale": "en", "subject": "Hi {{ name", "body_text": "b"}),
        )
        .await;
    assert_problem(
        &broken,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(field_of(&broken), "subject");
    let agent = h.token("li.na").await;
    let r = h
        .json(Method::POST, "/api/v1/templates", Some(&agent), body)
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

    let page = h
        .ui_get(
            "/notify/templates/edit?key=trip.reminder&locale=zh-CN",
            "admin",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("v2") && page.text.contains("«name»"),
        "{}",
        page.text
    );
    let del = h
        .call(
            Method::DELETE,
            "/api/v1/templates/trip.reminder/zh-CN",
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_bell_lists_streams_and_marks_read() {
    let h = harness().await;
    // An important complaint alerts the supervisor, in the bell whatever email does;
    // deliver the in-app messages as the in-app channel does.
    let agent = h.token("li.na").await;
    let t = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "phone", "level": "important", "subject": "导游擅自更改行程", "description": "取消了西湖游船", "customer": {"name": "陈女士"}}))
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let (ticket_id, ticket_no) = (
        t.body["id"].as_str().unwrap().to_string(),
        t.body["number"].as_str().unwrap().to_string(),
    );
    let store = h.store.store.clone();
    let now = jiff::Timestamp::now();
    let mut tx = store.write().await.unwrap();
    let claimed = tx
        .claim_due(&tripdesk_store::ClaimRequest {
            channel: "in_app".into(),
            worker: "w".into(),
            now,
            lease_until: now + jiff::SignedDuration::from_secs(60),
            max: 100,
        })
        .await
        .unwrap();
    assert!(!claimed.messages.is_empty());
    for m in &claimed.messages {
        tx.insert_inapp(&tripdesk_store::InAppNotification {
            id: uuid::Uuid::now_v7(),
            message_id: m.id,
            user_id: m.recipient.parse().unwrap(),
            title: m.subject.clone(),
            body: m.body_text.clone(),
            link: tripdesk_app::notify::related_link(
                m.related_type.as_deref(),
                m.related_id.as_deref(),
            ),
            created_at: now,
            read_at: None,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let token = h.token("zhao.min").await;
    let list = h.get("/api/v1/notifications", &token).await;
    assert_eq!(list.body["unread"], 1, "{}", list.text);
    let title = list.body["items"][0]["title"].as_str().unwrap();
    assert!(title.contains(&ticket_no), "{title}");

    // The live stream starts with the unread count.
    let req = Request::builder()
        .uri("/notifications/stream")
        .header("cookie", format!("tripdesk_session={token}"))
        .body(Body::empty())
        .unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = res.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let text = String::from_utf8_lossy(&frame);
    assert!(
        text.contains("event: unread") && text.contains("{\"unread\":1}"),
        "{text}"
    );

    let id = list.body["items"][0]["id"].as_str().unwrap();
    let auth = format!("Bearer {token}");
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.body["unread"], 0, "{}", r.text);
    // Someone else's notification is not found.
    let other = h.token("li.na").await;
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            &[("authorization", &format!("Bearer {other}"))],
            None,
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let page = h.ui_get("/notifications", "zhao.min").await;
    assert!(page.text.contains(&ticket_no) && page.text.contains("data-bell"));
    assert!(
        page.text
            .contains(&format!("href=\"/desk/tickets/{ticket_id}\"")),
        "the bell's entry opens the ticket: {}",
        page.text
    );
}

#[tokio::test]
async fn webhook_endpoints_show_their_secret_once() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/webhooks",
            Some(&admin),
            json!({"url": "https://crm.example.com/hooks/tripdesk", "events": ["ticket.created"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = r.body["id"].as_str().unwrap();
    let got = h.get(&format!("/api/v1/webhooks/{id}"), &admin).await;
    assert!(got.body.get("secret").is_none(), "{}", got.text);
    let bad = h
        .json(
            Method::POST,
            "/api/v1/webhooks",
            Some(&admin),
            json!({"url": "ftp://x", "events": []}),
        )
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&bad), "url");
    let r = h
        .json(
            Method::PUT,
            "/api/v1/rate-limits/email",
            Some(&admin),
            json!({"per_second": 50, "burst": 100}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let limits = h.get("/api/v1/rate-limits", &admin).await;
    assert_eq!(limits.body["items"][0]["per_second"], 50);
    let me = h.get("/api/v1/auth/me", &admin).await;
    let key = format!("user:{}", me.body["user"]["id"].as_str().unwrap());
    let r = h
        .json(
            Method::PUT,
            &format!("/api/v1/preferences/{key}"),
            Some(&admin),
            json!({"channel": "email", "locale": "en", "quiet_start": 1320, "quiet_end": 480}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h
        .json(
            Method::PUT,
            &format!("/api/v1/preferences/{key}"),
            Some(&admin),
            json!({"quiet_start": 1320}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn nul_characters_are_refused_everywhere() {
    let h = harness().await;
    let r = h
        .call(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some("username=ad%00min&password=x".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "username");
    let admin = h.token("admin").await;
    let r = h
        .json(
            Method::POST,
            "/api/v1/departments",
            Some(&admin),
            json!({"code": "x", "name_zh": "客\u{0}服", "name_en": "X"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // In a query parameter's value: the same 422 naming it; in its name: a malformed query.
    let r = h.get("/api/v1/customers?q=%E5%BC%A0%00", &admin).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "q", "{}", r.text);
    let r = h.get("/api/v1/customers?q%00=x", &admin).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
}
