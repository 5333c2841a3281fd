//! Search (issue 16) through the API and the page, in-process, on the backend of this run:
//! 投訴 finds 投诉 and the reverse, 退款 finds 申请退款, 西海大峡谷 is found by 西海 and by
//! 大峡谷; matched words marked after escaping; ticket scope; customers by exact phone
//! through the blind index only; bad input as 422 naming the field; erasure empties the index
//! of the customer's words; the page in both languages.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness, Harness};
use serde_json::{json, Value};

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Harness {
    async fn ticket(&self, token: &str, kind: &str, subject: &str, description: &str) -> Value {
        let r = self
            .api(
                Method::POST,
                "/api/v1/tickets",
                token,
                json!({
                    "kind": kind, "channel": "phone", "level": "general",
                    "subject": subject, "description": description,
                    "customer": {"name": "李雷", "phone": "13700137000"}
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    async fn search(&self, token: &str, query: &str) -> Value {
        let r = self.get(&format!("/api/v1/search?{query}"), token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }
}

/// The ids of one kind's results.
fn ids(body: &Value, kind: &str) -> Vec<String> {
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == kind)
        .flat_map(|g| g["items"].as_array().unwrap().iter())
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_three_examples_in_either_script() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let traditional = h
        .ticket(
            &agent,
            "complaint",
            "投訴導遊態度",
            "導遊在西海大峽谷催促客人購物",
        )
        .await;
    let simplified = h
        .ticket(&agent, "complaint", "投诉酒店", "客人投诉房间有异味")
        .await;
    let refund = h.ticket(&agent, "inquiry", "订单问题", "申请退款").await;
    let canyon = h
        .ticket(
            &agent,
            "inquiry",
            "行程咨询",
            "想去黄山西海大峡谷，需要几天？",
        )
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();

    for q in ["投诉", "投訴"] {
        let found = ids(&h.search(&agent, &format!("q={}", enc(q))).await, "ticket");
        assert!(found.contains(&id(&traditional)), "{q}: {found:?}");
        assert!(found.contains(&id(&simplified)), "{q}: {found:?}");
        assert!(!found.contains(&id(&refund)), "{q}");
    }
    let found = h.search(&agent, &format!("q={}", enc("退款"))).await;
    assert_eq!(ids(&found, "ticket"), vec![id(&refund)]);
    let item = &found["groups"][0]["items"][0];
    assert_eq!(item["snippet_html"], "申请<mark>退款</mark>");
    assert_eq!(item["link"], format!("/desk/tickets/{}", id(&refund)));
    assert_eq!(found["words"], json!(["退款"]));
    for q in ["西海", "大峡谷", "西海大峡谷", "大峽谷"] {
        let found = ids(&h.search(&agent, &format!("q={}", enc(q))).await, "ticket");
        let mut want = vec![id(&traditional), id(&canyon)];
        want.sort();
        let mut got = found.clone();
        got.sort();
        assert_eq!(got, want, "{q}");
    }
    // The traditional text is marked where the simplified query matched it.
    let found = h.search(&agent, &format!("q={}", enc("大峡谷"))).await;
    let texts = found.to_string();
    assert!(texts.contains("西海<mark>大峽谷</mark>"), "{texts}");

    // A ticket's number, in any case.
    let number = refund["number"].as_str().unwrap();
    let by_number = h
        .search(&agent, &format!("q={}", number.to_lowercase()))
        .await;
    assert_eq!(ids(&by_number, "ticket"), vec![id(&refund)]);
}

#[tokio::test]
async fn replies_are_found_and_marked_after_escaping() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let t = h.ticket(&agent, "inquiry", "行程单", "请发行程单").await;
    let tid = t["id"].as_str().unwrap();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{tid}/messages"),
            &agent,
            json!({"kind": "note", "body": "<script>alert(1)</script> 客人要求退款"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let found = h
        .search(&agent, &format!("q={}&kind=message", enc("退款")))
        .await;
    let groups = found["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["kind"], "message");
    let item = &groups[0]["items"][0];
    assert_eq!(item["ticket_id"], tid);
    assert_eq!(
        item["snippet_html"],
        "&lt;script&gt;alert(1)&lt;/script&gt; 客人要求<mark>退款</mark>"
    );
}

#[tokio::test]
async fn bad_input_is_422_naming_the_field() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    for (query, field) in [
        ("q=", "q"),
        ("", "q"),
        ("q=%EF%BC%8C%E3%80%82", "q"),
        (&format!("q={}", enc(&"退".repeat(101))) as &str, "q"),
        ("q=a&kind=tickets", "kind"),
        ("q=a&level=high", "level"),
        ("q=a&state=open", "state"),
        ("q=a&from=2026-13-01", "from"),
        ("q=a&group_id=x", "group_id"),
        ("q=a&from=2026-05-02&until=2026-05-01", "until"),
    ] {
        let r = h.get(&format!("/api/v1/search?{query}"), &agent).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), field, "{query}: {}", r.text);
    }
    // Malformed, as for every list: 400 naming the parameter.
    let r = h.get("/api/v1/search?q=a&limit=0", &agent).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    assert_eq!(field_of(&r), "limit");
    let r = h.get("/api/v1/search?q=a&bogus=1", &agent).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn scope_and_permissions() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    // A complaint is triaged before it reaches a handling group: a handler does not see it.
    let t = h
        .ticket(
            &agent,
            "complaint",
            "导游强制购物",
            "导游带客人去了三家购物店",
        )
        .await;
    let q = format!("q={}", enc("购物店"));
    assert_eq!(
        ids(&h.search(&agent, &q).await, "ticket"),
        vec![t["id"].as_str().unwrap().to_string()]
    );
    let handler = h.token("wang.qiang").await;
    let seen = h.search(&handler, &q).await;
    assert!(ids(&seen, "ticket").is_empty(), "{seen}");
    let r = h.get(&format!("/api/v1/search?{q}"), "not-a-token").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn customers_by_exact_phone_only() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "韩梅梅", "phone": "13900139000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let customer = r.body["id"].as_str().unwrap().to_string();
    for q in ["13900139000", "139 0013 9000", "+86 139-0013-9000"] {
        let found = h.search(&agent, &format!("q={}", enc(q))).await;
        assert_eq!(ids(&found, "customer"), vec![customer.clone()], "{q}");
        let shown = found["groups"].to_string();
        assert!(
            !shown.contains("13900139000") && shown.contains("139****9000"),
            "masked: {shown}"
        );
    }
    // Not by a part of the number, nor by the name: the text index holds no customer.
    for q in ["0013", "1390013", "韩梅梅"] {
        let found = h.search(&agent, &format!("q={}", enc(q))).await;
        assert!(ids(&found, "customer").is_empty(), "{q}: {found}");
    }
}

#[tokio::test]
async fn erasure_removes_the_customers_words_from_the_index() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let sup = h.token("zhao.min").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({
                "kind": "inquiry", "channel": "phone",
                "subject": "司马相如的退款",
                "description": "我是司马相如，电话13612345678，申请退款到招商银行",
                "customer": {"name": "司马相如", "phone": "13612345678"}
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let customer = r.body["customer_id"].as_str().unwrap().to_string();
    for q in ["司马相如", "13612345678", "招商银行"] {
        assert_eq!(
            ids(&h.search(&agent, &format!("q={}", enc(q))).await, "ticket").len(),
            1,
            "{q}"
        );
    }
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{customer}/erase"),
            &sup,
            json!({"reason": "PIPL 删除申请 #2026-099"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for q in ["司马相如", "13612345678", "招商银行", "退款"] {
        let found = h.search(&agent, &format!("q={}", enc(q))).await;
        assert!(ids(&found, "ticket").is_empty(), "{q}: {found}");
    }
    // The erased ticket is found by its placeholder, as it now reads.
    let found = h.search(&agent, &format!("q={}", enc("已删除"))).await;
    assert_eq!(ids(&found, "ticket").len(), 1, "{found}");
}

#[tokio::test]
async fn the_page_in_both_languages() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    h.ticket(&agent, "inquiry", "订单问题", "申请退款").await;
    let page = h
        .ui_get(&format!("/search?q={}", enc("退款")), "li.na")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("申请<mark>退款</mark>"), "{}", page.text);
    assert!(page.text.contains("<h2>工单"), "{}", page.text);
    assert!(page.text.contains("action=\"/search\""));
    // The box in every staff page's header.
    let home = h.ui_get("/", "li.na").await;
    assert!(home.text.contains("class=\"topsearch\""), "{}", home.text);
    // A query without a word: the message beside the box, in Chinese, as typed.
    let bad = h.ui_get("/search?q=%EF%BC%8C", "li.na").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("请输入要搜索的文字"), "{}", bad.text);
    assert!(bad.text.contains("value=\"，\""), "{}", bad.text);
    // English.
    let (cookie, _) = h.session("li.na").await;
    let cookie = format!("{cookie}; tripdesk_lang=en");
    let en = h
        .call(
            Method::GET,
            &format!("/search?q={}", enc("退款")),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(en.text.contains("<h2>Tickets"), "{}", en.text);
    // The route is in the OpenAPI document.
    let doc = h.get("/api/v1/openapi.json", &agent).await;
    assert!(doc.body["paths"]["/api/v1/search"]["get"].is_object());
}
