//! What probing from outside found (issue 11, items 4, 8 and 10), checked per class: every
//! redirect stays on this server, cross-origin form posts are refused, pages carry a
//! Content-Security-Policy, and input that should be refused is, with a problem naming the
//! field.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::json;

/// Targets that must never be followed: absolute URLs, protocol-relative and backslash
/// forms, control characters raw and percent-encoded (one and two levels).
const HOSTILE: &[&str] = &[
    "https://evil.example/",
    "http:evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/\n/evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
];
const HOSTILE_ENCODED: &[&str] = &[
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",
    "/%0A/evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
];

fn query_encoded(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn location(r: &Reply) -> &str {
    r.headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn every_redirect_target_from_the_request_lands_on_this_server() {
    let h = harness().await;
    let (cookie, _) = h.session("li.na").await;
    // Each hostile target as the parameter's value, and (for the encoded ones) also with its
    // percent-escapes encoded once more, so the server decodes it to the escaped form.
    let mut targets: Vec<String> = HOSTILE.iter().map(|s| query_encoded(s)).collect();
    targets.extend(HOSTILE_ENCODED.iter().map(|s| s.to_string()));
    targets.extend(HOSTILE_ENCODED.iter().map(|s| query_encoded(s)));
    for next in &targets {
        let r = h
            .call(Method::GET, &format!("/lang?to=en&next={next}"), &[], None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "/lang next={next}: {}",
            r.text
        );
        assert_eq!(location(&r), "/", "/lang next={next}");

        // Signed in already: the login page sends the user on.
        let r = h
            .call(
                Method::GET,
                &format!("/login?next={next}"),
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "/login next={next}: {}",
            r.text
        );
        assert_eq!(location(&r), "/", "/login next={next}");

        // Not signed in: the form carries `/` onwards, not the target.
        let r = h
            .call(Method::GET, &format!("/login?next={next}"), &[], None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{next}");
        assert!(
            r.text.contains(r#"name="next" value="/""#),
            "login form next={next}"
        );

        let r = h
            .call(
                Method::POST,
                "/login",
                &[("content-type", "application/x-www-form-urlencoded")],
                Some(format!("username=li.na&password=tripdesk-demo&next={next}")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "POST /login next={next}: {}",
            r.text
        );
        assert_eq!(location(&r), "/", "POST /login next={next}");
    }
    // Same-origin paths are still followed.
    let r = h
        .call(
            Method::GET,
            "/lang?to=en&next=%2Fdesk%3Fqueue%3Dmine",
            &[],
            None,
        )
        .await;
    assert_eq!(location(&r), "/desk?queue=mine");
    let r = h
        .call(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some("username=li.na&password=tripdesk-demo&next=%2Fcustomers%3Fq%3D%E7%8E%8B".into()),
        )
        .await;
    assert_eq!(location(&r), "/customers?q=%E7%8E%8B");
}

/// The delivery page's `back` field is a redirect target too.
#[tokio::test]
async fn the_retry_forms_back_target_cannot_leave_or_break_the_header() {
    let h = harness().await;
    let (cookie, csrf) = h.session("admin").await;
    for back in [
        "/notify/%0d%0aX:%201",
        "/notify/\\evil.example",
        "//evil.example",
    ] {
        let r = h
            .call(
                Method::POST,
                "/notify/messages/0190f5a6-0000-7000-8000-000000000000/retry",
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(format!("_csrf={csrf}&back={}", query_encoded(back))),
            )
            .await;
        assert!(
            r.status != StatusCode::INTERNAL_SERVER_ERROR,
            "{back}: {}",
            r.text
        );
        let to = location(&r);
        assert!(
            to.is_empty() || to.starts_with("/notify/") || to == "/",
            "{back} -> {to}"
        );
    }
}

#[tokio::test]
async fn cross_origin_sign_in_is_refused() {
    let h = harness().await;
    let form = Some("username=li.na&password=tripdesk-demo&next=%2F".to_string());
    let ct = ("content-type", "application/x-www-form-urlencoded");
    for headers in [
        vec![
            ct,
            ("host", "desk.example"),
            ("origin", "https://evil.example"),
        ],
        vec![ct, ("host", "desk.example"), ("origin", "null")],
        vec![
            ct,
            ("host", "desk.example"),
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
        vec![ct, ("sec-fetch-site", "same-site")],
    ] {
        let r = h.call(Method::POST, "/login", &headers, form.clone()).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "cross_origin");
        assert_eq!(field_of(&r), "origin");
        assert!(
            !r.headers.contains_key(header::SET_COOKIE),
            "no session for a cross-site post"
        );
    }
    // The same form from the server's own pages signs in.
    for headers in [
        vec![
            ct,
            ("host", "desk.example"),
            ("origin", "http://desk.example"),
        ],
        vec![
            ct,
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://desk.example"),
        ],
        vec![ct],
    ] {
        let r = h.call(Method::POST, "/login", &headers, form.clone()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{headers:?}: {}", r.text);
    }
    // Signed-in forms too: a cross-site post is refused before its CSRF token is looked at.
    let (cookie, csrf) = h.session("li.na").await;
    let r = h
        .call(
            Method::POST,
            "/logout",
            &[("cookie", &cookie), ct, ("sec-fetch-site", "cross-site")],
            Some(format!("_csrf={csrf}")),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "cross_origin");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_without_inline_script() {
    let h = harness().await;
    let login = h.call(Method::GET, "/login", &[], None).await;
    let home = h.ui_get("/", "li.na").await;
    let desk = h.ui_get("/desk", "li.na").await;
    let contact = h.call(Method::GET, "/contact", &[], None).await;
    for page in [&login, &home, &desk, &contact] {
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(
            csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
        // Nothing inline that the policy would block.
        let text = page.text.to_lowercase();
        assert!(
            !text.contains("<script>") && !text.contains("<script type"),
            "inline script"
        );
        assert!(
            !text.contains(" style=") && !text.contains("<style"),
            "inline style"
        );
        assert!(
            !text.contains(" onclick=") && !text.contains(" onload=") && !text.contains("hx-on")
        );
    }
    assert!(
        home.text.contains(r#"name="htmx-config""#),
        "htmx told not to inject its style"
    );
}

#[tokio::test]
async fn trailing_data_after_a_json_body_is_refused() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let auth = format!("Bearer {admin}");
    let r = h
        .call(
            Method::POST,
            "/api/v1/departments",
            &[("authorization", &auth), ("content-type", "application/json")],
            Some(
                r#"{"code":"a1","name_zh":"甲","name_en":"A"}{"code":"b1","name_zh":"乙","name_en":"B"}"#
                    .into(),
            ),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(field_of(&r), "body");
    // Trailing whitespace is fine.
    let r = h
        .call(
            Method::POST,
            "/api/v1/departments",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some("{\"code\":\"a1\",\"name_zh\":\"甲\",\"name_en\":\"A\"}\n ".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn invisible_multi_line_and_direction_changing_text_is_refused_field_by_field() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let admin = h.token("admin").await;
    let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
        // Names made only of zero-width characters or a BOM.
        (
            "/api/v1/customers",
            json!({"name": "\u{200B}\u{200D}", "phone": "13800138000"}),
            "name",
            "required",
        ),
        (
            "/api/v1/customers",
            json!({"name": "\u{FEFF}", "phone": "13800138000"}),
            "name",
            "required",
        ),
        (
            "/api/v1/customers",
            json!({"name": "张\r\n伟", "phone": "13800138000"}),
            "name",
            "line_break",
        ),
        (
            "/api/v1/departments",
            json!({"code": "x1", "name_zh": "\u{2060}", "name_en": "X"}),
            "name_zh",
            "required",
        ),
        (
            "/api/v1/departments",
            json!({"code": "x2", "name_zh": "甲\n乙", "name_en": "X"}),
            "name_zh",
            "line_break",
        ),
        // CR/LF in ticket subjects and customer names.
        (
            "/api/v1/tickets",
            json!({"kind": "inquiry", "channel": "phone", "subject": "退款\r\nBcc: x@evil.example",
                   "description": "d", "customer": {"name": "张伟", "phone": "13912345678"}}),
            "subject",
            "line_break",
        ),
        (
            "/api/v1/tickets",
            json!({"kind": "inquiry", "channel": "phone", "subject": "退款",
                   "description": "d", "customer": {"name": "张伟\n", "phone": "13912345678"}}),
            "",
            "",
        ),
        (
            "/api/v1/tickets",
            json!({"kind": "inquiry", "channel": "phone", "subject": "退款",
                   "description": "d", "customer": {"name": "张\n伟", "phone": "13912345678"}}),
            "customer.name",
            "line_break",
        ),
        (
            "/api/v1/tickets",
            json!({"kind": "inquiry", "channel": "phone", "subject": "\u{200B}",
                   "description": "d", "customer": {"name": "张伟", "phone": "13912345678"}}),
            "subject",
            "required",
        ),
        (
            "/api/v1/tickets",
            json!({"kind": "inquiry", "channel": "phone", "subject": "退款",
                   "description": "第一行\n\u{202E}第二行", "customer": {"name": "张伟", "phone": "13912345678"}}),
            "description",
            "bidi_control",
        ),
    ];
    for (uri, body, field, code) in cases {
        let token = if uri.contains("departments") {
            &admin
        } else {
            &agent
        };
        let r = h.api(Method::POST, uri, token, body.clone()).await;
        if field.is_empty() {
            // A trailing line break is only surrounding whitespace: trimmed, accepted.
            assert_eq!(r.status, StatusCode::CREATED, "{body}: {}", r.text);
            continue;
        }
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {}",
            r.text
        );
    }
}

#[tokio::test]
async fn attachment_names_with_direction_controls_and_oversized_files_are_refused() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let t = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({"kind": "complaint", "channel": "phone", "subject": "导游迟到",
                   "description": "d", "customer": {"name": "张伟", "phone": "13912345678"}}),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let id = t.body["id"].as_str().unwrap();
    let auth = format!("Bearer {agent}");
    let upload = |name: &str, body: Vec<u8>| {
        let uri = format!(
            "/api/v1/tickets/{id}/attachments?file_name={}",
            query_encoded(name)
        );
        let h = &h;
        let auth = auth.clone();
        async move {
            h.call_raw(
                Method::POST,
                &uri,
                &[
                    ("authorization", &auth),
                    ("content-type", "application/pdf"),
                ],
                Some(body),
            )
            .await
        }
    };
    for (name, code) in [
        ("invoice\u{202E}fdp.exe", "bidi_control"),
        ("a\u{2067}b.pdf", "bidi_control"),
        ("evidence\r\n.pdf", "line_break"),
        ("\u{200B}\u{FEFF}", "required"),
    ] {
        let r = upload(name, b"%PDF-1.4 test".to_vec()).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), "file_name", "{name:?}");
        assert_eq!(r.body["errors"][0]["code"], code, "{name:?}: {}", r.text);
    }
    // 16 MiB: over the upload limit, answered as a problem like every other refusal.
    let r = upload("big.pdf", vec![b'x'; 16 * 1024 * 1024]).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(field_of(&r), "body");
    assert!(
        r.headers.contains_key(header::CONTENT_SECURITY_POLICY),
        "headers kept"
    );
    // And a JSON body over the general limit the same way.
    let r = h
        .api(
            Method::POST,
            "/api/v1/departments",
            &agent,
            json!({"code": "x".repeat(128 * 1024)}),
        )
        .await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn offsets_outside_rfc_3339_are_field_errors() {
    let h = harness().await;
    let t = h.token("li.na").await;
    for from in [
        "2025-09-30T17:00:00+25:00",
        "2025-09-30T17:00:00+24:00",
        "2025-09-30T17:00:00-25:59",
        "2025-09-30T17:00:00+08:60",
        "2025-09-30T17:00:00+0800",
        "2025-09-30T17:00:00+08",
        "2025-09-30T17:00:00",
        "2025-09-30",
    ] {
        let r = h
            .api(
                Method::POST,
                "/api/v1/calendars/cn-mainland/add",
                &t,
                json!({"from": from, "working_days": 1}),
            )
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), "from", "{from}");
    }
    for ok in [
        "2025-09-30T17:00:00+08:00",
        "2025-09-30T09:00:00Z",
        "2025-09-30T03:00:00-23:59",
    ] {
        let r = h
            .api(
                Method::POST,
                "/api/v1/calendars/cn-mainland/add",
                &t,
                json!({"from": ok, "working_days": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{ok}: {}", r.text);
    }
    // The audit log's query bounds use the same parser.
    let admin = h.token("admin").await;
    let r = h
        .get("/api/v1/audit?from=2026-01-01T00:00:00%2B25:00", &admin)
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    assert_eq!(field_of(&r), "from");
}
