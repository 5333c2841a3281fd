//! The webhooks page: an administrator adds an endpoint (its secret shown once, on the page
//! after the redirect, never again), pauses and deletes it, each change audited; a bad address
//! comes back with what was typed and a Chinese message; the page is for those who manage
//! notifications only.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use tripdesk_store::AuditFilter;

async fn post(h: &Harness, cookie: &str, uri: &str, body: &str) -> Reply {
    h.call(
        Method::POST,
        uri,
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.to_string()),
    )
    .await
}

async fn get(h: &Harness, cookie: &str, uri: &str) -> Reply {
    h.call(Method::GET, uri, &[("cookie", cookie)], None).await
}

fn location(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    r.headers["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn an_admin_adds_pauses_and_deletes_an_endpoint_and_sees_the_secret_once() {
    let h = harness().await;
    let (cookie, csrf) = h.session("admin").await;

    // A bad address: 422, the typed values kept, the message in Chinese beside the field.
    let r = post(
        &h,
        &cookie,
        "/notify/webhooks",
        &format!("_csrf={csrf}&url=ftp%3A%2F%2Fx&events=sla.breach&description=%E5%80%BC%E7%8F%AD%E7%B3%BB%E7%BB%9F"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains(r#"value="ftp://x""#),
        "the address as typed"
    );
    assert!(r.text.contains("值班系统"), "the description as typed");
    assert!(
        r.text.contains(r#"value="sla.breach" checked"#),
        "the chosen event kept"
    );
    assert!(
        r.text.contains("推送地址"),
        "the message names the form's label"
    );

    // Added: the redirect's page shows the secret once.
    let r = post(
        &h,
        &cookie,
        "/notify/webhooks",
        &format!("_csrf={csrf}&url=https%3A%2F%2Fhooks.example.com%2Ftripdesk&events=sla.breach&events=ticket.created&description=duty"),
    )
    .await;
    let to = location(&r);
    let page = get(&h, &cookie, &to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("推送地址已添加"));
    let secret = page
        .text
        .split(r#"<code class="secret" translate="no">"#)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_string();
    assert!(secret.len() > 20, "the secret is shown: {secret:?}");
    assert!(page.text.contains("https://hooks.example.com/tripdesk"));
    assert!(page.text.contains("新建工单") && page.text.contains("时效超时"));
    // Reloading shows it no more.
    let again = get(&h, &cookie, &to).await;
    assert!(!again.text.contains(&secret), "the secret is shown once");

    // Paused, then deleted; each change in the audit chain.
    let id = page
        .text
        .split("/notify/webhooks/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = post(
        &h,
        &cookie,
        &format!("/notify/webhooks/{id}/active"),
        &format!("_csrf={csrf}&active=false"),
    )
    .await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("已暂停"));
    let r = post(
        &h,
        &cookie,
        &format!("/notify/webhooks/{id}/delete"),
        &format!("_csrf={csrf}"),
    )
    .await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("推送地址已删除") && page.text.contains("还没有推送地址"));
    let mut tx = h.store.store.read().await.unwrap();
    for action in ["webhook.create", "webhook.update", "webhook.delete"] {
        let entries = tx
            .list_audit(&AuditFilter {
                action: Some(action.into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{action} audited once");
        assert!(
            !entries[0].summary.contains(&secret),
            "no secret in the audit log"
        );
    }
}

#[tokio::test]
async fn the_webhooks_page_is_for_those_who_manage_notifications() {
    let h = harness().await;
    let r = h.ui_get("/notify/webhooks", "li.na").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let home = h.ui_get("/", "li.na").await;
    assert!(!home.text.contains(r#"href="/notify/webhooks""#));
    let home = h.ui_get("/", "admin").await;
    assert!(home.text.contains(r#"href="/notify/webhooks""#));
}
