//! Adding a working-day calendar from the calendars page: refused input comes back as typed
//! with Chinese messages beside the fields; a good one is created (audited) and its page
//! follows; agents see no form.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use tripdesk_store::AuditFilter;

async fn post(h: &Harness, cookie: &str, body: &str) -> Reply {
    h.call(
        Method::POST,
        "/calendars",
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn an_admin_adds_a_calendar_from_the_page() {
    let h = harness().await;
    let (cookie, csrf) = h.session("admin").await;
    let page = h
        .call(Method::GET, "/calendars", &[("cookie", &cookie)], None)
        .await;
    assert!(
        page.text.contains(r#"action="/calendars""#),
        "the form is offered"
    );
    assert!(
        page.text.contains(r#"value="Asia/Shanghai""#),
        "China's zone by default"
    );

    // Refused: a bad name, zone and Monday; everything comes back as typed, in Chinese.
    let r = post(
        &h,
        &cookie,
        &format!("_csrf={csrf}&name=Front+Desk&description=%E5%89%8D%E5%8F%B0&mode=office&zone=Mars%2FBase&hours.mon=9+to+6&hours.tue=09%3A00-18%3A00"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"value="Front Desk""#) && r.text.contains(r#"value="前台""#));
    assert!(r.text.contains(r#"value="9 to 6""#) && r.text.contains(r#"value="Mars/Base""#));
    assert!(
        r.text.contains("不是 IANA 时区"),
        "the zone's message in Chinese"
    );
    assert!(
        r.text.contains("周一：工作时间应写成"),
        "Monday's message names Monday"
    );

    // Accepted: the calendar's page follows, with its message; the change is audited.
    let r = post(
        &h,
        &cookie,
        &format!("_csrf={csrf}&name=front-desk&description=&mode=office&zone=Asia%2FShanghai&hours.mon=08%3A00-20%3A00&hours.sat=09%3A00-12%3A00"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/calendars/front-desk"), "{to}");
    let page = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("日历已创建"));
    let mut tx = h.store.store.read().await.unwrap();
    let audited = tx
        .list_audit(&AuditFilter {
            action: Some("calendar.create".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    drop(tx);

    // The same name again: refused beside the name.
    let r = post(
        &h,
        &cookie,
        &format!("_csrf={csrf}&name=front-desk&mode=office&zone=Asia%2FShanghai&hours.mon=08%3A00-20%3A00"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("已有同名日历"), "{}", r.text);
}

#[tokio::test]
async fn agents_see_no_calendar_form() {
    let h = harness().await;
    let page = h.ui_get("/calendars", "li.na").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(r#"action="/calendars""#));
}
