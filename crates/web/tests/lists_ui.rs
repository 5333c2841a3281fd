//! The one pager on the staff lists, in process: the desk's default queue pages past its first
//! hundred with the newest ticket first, and the customers list and the audit log page too,
//! each keeping its other query parameters.

mod common;

use axum::http::{Method, StatusCode};
use common::harness;
use serde_json::json;

/// The ticket numbers of an inbox page, in order.
fn numbers(html: &str) -> Vec<String> {
    html.split("<td class=\"mono c-num\"><a href=\"/desk/tickets/")
        .skip(1)
        .map(|s| {
            let s = &s[s.find("\">").unwrap() + 2..];
            s[..s.find('<').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_staff_lists_page_and_the_default_queue_shows_new_work_first() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let mut created = Vec::new();
    // Five urgent tickets first, then 100 general ones: by level the last general ticket
    // would sit at row 105, off the first page.
    for i in 0..105 {
        let level = if i < 5 { "urgent" } else { "general" };
        let r = h
            .api(
                Method::POST,
                "/api/v1/tickets",
                &agent,
                json!({
                    "kind": "complaint", "channel": "web_form", "level": level,
                    "subject": format!("投诉 {i}"), "description": "行程变更未通知。",
                    "customer": {"name": format!("客户{i}"), "email": format!("kehu{i}@example.com")}
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        created.push(r.body["number"].as_str().unwrap().to_string());
    }
    let newest = created.last().unwrap().clone();

    let page1 = h.ui_get("/desk", "li.na").await;
    assert_eq!(page1.status, StatusCode::OK);
    let first = numbers(&page1.text);
    assert_eq!(first.len(), 100);
    assert_eq!(first[0], newest, "the ticket created last is the first row");
    assert!(page1.text.contains("共 105 件"), "{}", page1.text);
    assert!(page1.text.contains("第 1 页 / 共 2 页"));
    assert!(page1.text.contains("rel=\"next\" href=\"/desk?page=2\""));
    assert!(!page1.text.contains("rel=\"prev\""));
    let page2 = h.ui_get("/desk?page=2", "li.na").await;
    let second = numbers(&page2.text);
    assert_eq!(second.len(), 5);
    let mut all: Vec<String> = first.iter().chain(&second).cloned().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 105, "two pages show every ticket once");
    assert!(page2.text.contains("rel=\"prev\" href=\"/desk\""));
    assert!(!page2.text.contains("rel=\"next\""));
    // The tab counts are the queue's, on every page.
    assert!(page2
        .text
        .contains("全部未结<span class=\"desk-tab-count\">105</span>"));

    // The urgent tab keeps level order (and here holds one page: no pager).
    let urgent = h.ui_get("/desk?queue=urgent", "li.na").await;
    assert_eq!(numbers(&urgent.text), created[..5].to_vec());
    assert!(!urgent.text.contains("class=\"pager\""));

    // Other parameters are kept; an unreadable or huge page is bounded, never an error.
    let all = h.ui_get("/desk?queue=all&kind=complaint", "li.na").await;
    assert!(
        all.text
            .contains("rel=\"next\" href=\"/desk?queue=all&#38;kind=complaint&#38;page=2\""),
        "{}",
        all.text
    );
    for bad in ["/desk?page=abc", "/desk?page=-1", "/desk?page=99999999999"] {
        let r = h.ui_get(bad, "li.na").await;
        assert_eq!(r.status, StatusCode::OK, "{bad}");
    }
    let beyond = h.ui_get("/desk?page=9", "li.na").await;
    assert!(numbers(&beyond.text).is_empty());
    assert!(beyond.text.contains("rel=\"prev\" href=\"/desk?page=8\""));

    // The customers list: 105 new customers at 100 a page.
    let customers = h.ui_get("/customers", "zhao.min").await;
    assert_eq!(customers.status, StatusCode::OK, "{}", customers.text);
    assert!(customers
        .text
        .contains("rel=\"next\" href=\"/customers?page=2\""));
    let c2 = h.ui_get("/customers?page=2", "zhao.min").await;
    assert!(c2.text.contains("rel=\"prev\" href=\"/customers\""));
    assert!(c2.text.contains("/customers/"));
    let searched = h
        .ui_get("/customers?q=%E5%AE%A2%E6%88%B7", "zhao.min")
        .await;
    assert!(
        searched
            .text
            .contains("rel=\"next\" href=\"/customers?q=%E5%AE%A2%E6%88%B7&#38;page=2\""),
        "the search is kept"
    );

    // The audit log: each intake appends entries, so more than a page (linked into the chain
    // as `serve`'s linker would).
    h.app.link_audit().await.unwrap();
    let audit = h.ui_get("/audit", "admin").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert!(audit.text.contains("rel=\"next\" href=\"/audit?page=2\""));
    let a2 = h.ui_get("/audit?page=2", "admin").await;
    assert!(a2.text.contains("第 2 页"));
    assert!(a2.text.contains("rel=\"prev\" href=\"/audit\""));
}
