//! The mailboxes page: an administrator adds an IMAP mailbox (a refused form comes back as
//! typed, the message naming the field in Chinese; the password is sealed and never shown in
//! the list), sees its last poll's error in the server's words, queues a poll (once: a second
//! request while one waits says so) and turns polling off; every change audited; the page is
//! for administrators only.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use tripdesk_store::{AuditFilter, MailboxPoll};

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

const PASSWORD: &str = "imap-Secret-7731";

#[tokio::test]
async fn an_admin_adds_a_mailbox_polls_it_and_turns_it_off() {
    let h = harness().await;
    let (cookie, csrf) = h.session("admin").await;

    // The empty page offers IMAPS on 993 and INBOX.
    let page = get(&h, &cookie, "/channels/mailboxes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("还没有收件邮箱"));
    assert!(page.text.contains(r#"value="993""#) && page.text.contains(r#"value="INBOX""#));

    // A port that is no number: 422, everything typed kept, the port named.
    let typed = format!(
        "_csrf={csrf}&name=%E5%AE%A2%E6%9C%8D%E4%BF%A1%E7%AE%B1&host=imap.exmail.qq.com&port=99x&tls=on&username=support%40agency.cn&password={PASSWORD}&folder=INBOX"
    );
    let r = post(&h, &cookie, "/channels/mailboxes", &typed).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("客服信箱") && r.text.contains(r#"value="99x""#));
    assert!(r.text.contains("support@agency.cn"));
    assert!(r.text.contains("端口应为 1 至 65535 的数字"));
    // A host with a slash: the use case's refusal beside the field, in the page's label.
    let r = post(
        &h,
        &cookie,
        "/channels/mailboxes",
        &typed
            .replace("port=99x", "port=993")
            .replace("host=imap.exmail.qq.com", "host=imap%2Fx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"id="host-error""#), "{}", r.text);
    assert!(r.text.contains("IMAP 服务器"));

    // Added: listed by name and server, never with its password.
    let r = post(
        &h,
        &cookie,
        "/channels/mailboxes",
        &typed.replace("port=99x", "port=993"),
    )
    .await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("收件邮箱已添加"), "{}", page.text);
    assert!(page.text.contains("imap.exmail.qq.com:993"));
    assert!(page.text.contains("尚未读取") && page.text.contains("读取中"));
    assert!(!page.text.contains(PASSWORD), "the password is never shown");
    // The same name again: refused by name.
    let r = post(
        &h,
        &cookie,
        "/channels/mailboxes",
        &typed.replace("port=99x", "port=993"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"id="name-error""#));

    let id = page
        .text
        .split("/channels/mailboxes/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse::<uuid::Uuid>()
        .unwrap();

    // A failed poll shows the server's words.
    {
        let mut tx = h.store.store.write().await.unwrap();
        tx.record_mailbox_poll(
            id,
            &MailboxPoll {
                at: jiff::Timestamp::now(),
                uid_validity: None,
                last_uid: 0,
                taken: 0,
                error: Some("login: AUTHENTICATIONFAILED".into()),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let page = get(&h, &cookie, "/channels/mailboxes").await;
    assert!(page.text.contains("login: AUTHENTICATIONFAILED"));

    // Poll now: queued once.
    let poll = format!("/channels/mailboxes/{id}/poll");
    let r = post(&h, &cookie, &poll, &format!("_csrf={csrf}")).await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("已安排立即读取"), "{}", page.text);
    let r = post(&h, &cookie, &poll, &format!("_csrf={csrf}")).await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("已有一次读取在排队"));

    // Turned off, then on.
    let enabled = format!("/channels/mailboxes/{id}/enabled");
    let r = post(
        &h,
        &cookie,
        &enabled,
        &format!("_csrf={csrf}&enabled=false"),
    )
    .await;
    let page = get(&h, &cookie, &location(&r)).await;
    assert!(page.text.contains("已停用"));
    assert!(page.text.contains(r#"name="enabled" value="true""#));
    // A mailbox that does not exist: not found, nothing changed.
    let r = post(
        &h,
        &cookie,
        "/channels/mailboxes/not-an-id/enabled",
        &format!("_csrf={csrf}&enabled=true"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let mut tx = h.store.store.read().await.unwrap();
    for (action, n) in [("mailbox.create", 1), ("mailbox.enable", 1)] {
        let entries = tx
            .list_audit(&AuditFilter {
                action: Some(action.into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), n, "{action} audited");
        assert!(!entries[0].summary.contains(PASSWORD));
    }
}

#[tokio::test]
async fn the_mailboxes_page_is_for_administrators() {
    let h = harness().await;
    let r = h.ui_get("/channels/mailboxes", "li.na").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let home = h.ui_get("/", "li.na").await;
    assert!(!home.text.contains(r#"href="/channels/mailboxes""#));
    let home = h.ui_get("/", "admin").await;
    assert!(home.text.contains(r#"href="/channels/mailboxes""#));
}
