//! Customers through the API and the UI, in-process, on the backend of this test run:
//! creation with the shorthand, blind-index search, masking for agents, audited reveals,
//! field errors, import/export and the audit log's access rules.

mod common;

use common::{harness, Harness};

use axum::http::{header, Method, StatusCode};
use serde_json::json;

const PHONE: &str = "13800138000";
const RESIDENT_ID: &str = "11010519491231002X";

impl Harness {
    async fn create_zhang_wei(&self, token: &str) -> String {
        let r = self
            .api(
                Method::POST,
                "/api/v1/customers",
                token,
                json!({"name": "张伟", "phone": PHONE, "resident_id": RESIDENT_ID}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn shorthand_create_is_masked_and_found_by_phone() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "张伟", "phone": PHONE, "resident_id": RESIDENT_ID}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["phone"], "138****8000");
    assert_eq!(r.body["resident_id"], "110105********002X");
    assert_eq!(r.body["birth_date"], "[hidden]");
    assert_eq!(r.body["status"], "active");
    assert!(
        !r.text.contains(PHONE) && !r.text.contains(RESIDENT_ID),
        "{}",
        r.text
    );
    let id = r.body["id"].as_str().unwrap().to_string();

    let found = h
        .get(&format!("/api/v1/customers?phone={PHONE}"), &agent)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["id"], id.as_str());
    assert!(!found.text.contains(RESIDENT_ID));
    let spaced = h
        .get("/api/v1/customers?phone=%2B86%20138-0013-8000", &agent)
        .await;
    assert_eq!(spaced.body["total"], 1, "any spelling finds it");
    let by_id = h
        .get(
            &format!("/api/v1/customers?resident_id={RESIDENT_ID}"),
            &agent,
        )
        .await;
    assert_eq!(by_id.body["items"][0]["id"], id.as_str());
    let by_name = h
        .get("/api/v1/customers?q=%E5%BC%A0%E4%BC%9F", &agent)
        .await;
    assert_eq!(by_name.body["total"], 1);

    let one = h.get(&format!("/api/v1/customers/{id}"), &agent).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["phone"], "138****8000");
    assert!(!one.text.contains(PHONE));

    // A second record with the same phone is created and reported as a possible duplicate.
    let again = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "张伟", "phones": ["+86 138 0013 8000"], "emails": ["zw@example.com"]}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["possible_duplicates"], json!([id]));
    let other = again.body["id"].as_str().unwrap();
    let dups = h
        .get(&format!("/api/v1/customers/{id}/duplicates"), &agent)
        .await;
    assert_eq!(dups.body["items"][0]["customer"]["id"], other);
    let merged = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{id}/merge"),
            &agent,
            json!({"duplicate_id": other}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.text);
    assert_eq!(merged.body["email"], "z*@example.com");
    let gone = h.get(&format!("/api/v1/customers/{other}"), &agent).await;
    assert_eq!(gone.body["status"], "merged");
}

#[tokio::test]
async fn a_wrong_check_character_names_resident_id() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "张伟", "phone": PHONE, "resident_id": "110105194912310021"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(r.body["errors"][0]["field"], "resident_id", "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], "resident_id.check_character");
    assert!(!r.text.contains("110105194912310021"), "{}", r.text);
    // Fields in the longer shape are named by their path.
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "", "phones": ["13800138000", "555"], "documents": [{"kind": "passport", "number": "?"}]}),
        )
        .await;
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    for f in ["name", "phones[1]", "documents[0].number"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    // A number where a string belongs is refused without echoing it.
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": "张伟", "phone": 13800138000u64}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "phone");
    assert!(!r.text.contains(PHONE), "{}", r.text);
    // Nothing was stored by the refused requests.
    let all = h
        .get("/api/v1/customers?q=%E5%BC%A0%E4%BC%9F", &agent)
        .await;
    assert_eq!(all.body["total"], 0);
}

#[tokio::test]
async fn agents_see_masks_and_supervisor_reveals_are_audited() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let sup = h.token("zhao.min").await;
    let id = h.create_zhang_wei(&agent).await;

    let denied = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{id}/reveal"),
            &agent,
            json!({"field": "phone", "reason": "回访"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert!(!denied.text.contains(PHONE));
    let no_reason = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{id}/reveal"),
            &sup,
            json!({"field": "phone", "reason": ""}),
        )
        .await;
    assert_eq!(no_reason.body["errors"][0]["field"], "reason");
    // Even a supervisor reads masks until revealing explicitly.
    let masked = h.get(&format!("/api/v1/customers/{id}"), &sup).await;
    assert_eq!(masked.body["phone"], "138****8000");
    let shown = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{id}/reveal"),
            &sup,
            json!({"field": "resident_id", "reason": "核对出行人证件"}),
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.body["value"], RESIDENT_ID);
    assert_eq!(shown.headers[header::CACHE_CONTROL], "no-store");

    let log = h
        .get(
            &format!("/api/v1/audit?action=customer.reveal&entity_id={id}"),
            &sup,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert_eq!(log.body["total"], 1);
    let entry = &log.body["items"][0];
    assert_eq!(entry["actor_name"], "zhao.min");
    assert_eq!(entry["summary"]["field"], "resident_id");
    assert_eq!(entry["summary"]["reason"], "核对出行人证件");
    assert!(entry["at"].as_str().unwrap().ends_with("+08:00"));
    // The whole log holds no plaintext.
    let everything = h.get("/api/v1/audit?limit=500", &sup).await;
    assert!(everything.body["total"].as_u64().unwrap() > 30);
    assert!(!everything.text.contains(PHONE) && !everything.text.contains(RESIDENT_ID));
    // Agents may not read the log; bad filters name the parameter.
    assert_eq!(
        h.get("/api/v1/audit", &agent).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = h.get("/api/v1/audit?from=yesterday", &sup).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["field"], "from");

    // PIPL copy and erasure through the API.
    let copy = h
        .call(
            Method::POST,
            &format!("/api/v1/customers/{id}/pipl-export"),
            &[("authorization", &format!("Bearer {sup}"))],
            None,
        )
        .await;
    assert_eq!(copy.status, StatusCode::OK);
    assert_eq!(
        copy.body["sections"]["customers"]["customer"]["birth_date"],
        "1949-12-31"
    );
    let erased = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{id}/erase"),
            &sup,
            json!({"reason": "客户来电要求删除 #2026-001"}),
        )
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.text);
    assert_eq!(erased.body["status"], "erased");
    assert_eq!(erased.body["identifiers"], json!([]));
    let found = h
        .get(&format!("/api/v1/customers?phone={PHONE}"), &agent)
        .await;
    assert_eq!(found.body["total"], 0);
}

#[tokio::test]
async fn the_customer_page_is_masked_for_agents_and_reveals_for_supervisors() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let id = h.create_zhang_wei(&agent).await;

    let (cookie, _) = h.session("li.na").await;
    let page = h
        .call(
            Method::GET,
            &format!("/customers/{id}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("138****8000") && page.text.contains("110105********002X"));
    assert!(!page.text.contains(PHONE) && !page.text.contains(RESIDENT_ID));
    assert!(!page.text.contains("/reveal"), "agents get no reveal form");
    assert!(
        page.text.contains("联系记录"),
        "the contact-history placeholder is there"
    );
    let list = h
        .call(
            Method::GET,
            "/customers?q=13800138000",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(list.text.contains("张伟") && list.text.contains("138****8000"));
    assert!(!list.text.contains(&format!(">{PHONE}<")));
    assert_eq!(
        h.call(Method::GET, "/audit", &[("cookie", &cookie)], None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let (cookie, csrf) = h.session("zhao.min").await;
    let page = h
        .call(
            Method::GET,
            &format!("/customers/{id}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(page.text.contains("/reveal") && !page.text.contains(PHONE));
    let form = format!("_csrf={csrf}&field=phone&reason=%E5%9B%9E%E8%AE%BF");
    let shown = h
        .call(
            Method::POST,
            &format!("/customers/{id}/reveal"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(form),
        )
        .await;
    // Post/redirect/get: the customer's page, the value carried by a single-use flash
    // (never in the address).
    assert_eq!(shown.status, StatusCode::SEE_OTHER, "{}", shown.text);
    let to = shown.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&format!("/customers/{id}?flash=")), "{to}");
    assert!(!to.contains("13800138000"));
    let shown = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert!(shown.text.contains("+8613800138000"));
    assert_eq!(shown.headers[header::CACHE_CONTROL], "no-store");
    // Shown once: a reload of that address is masked again (and reveals nothing: the log
    // below lists one reveal).
    let again = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert!(!again.text.contains(PHONE));
    let audit = h
        .call(
            Method::GET,
            "/audit?action=customer.reveal",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.text.contains("zhao.min") && audit.text.contains("回访"));
    assert!(!audit.text.contains(PHONE));
    // The English page renders too.
    let en = format!("{cookie}; tripdesk_lang=en");
    let page = h
        .call(
            Method::GET,
            &format!("/customers/{id}"),
            &[("cookie", &en)],
            None,
        )
        .await;
    assert!(page.text.contains("Contact history") && page.text.contains("Reveal"));
}

#[tokio::test]
async fn import_and_export_through_the_api() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let auth = format!("Bearer {agent}");
    let csv = "name,phone,resident_id\n张伟,13800138000,11010519491231002X\n李四,13900139000,110105194912310021\n";
    let r = h
        .call(
            Method::POST,
            "/api/v1/customers/import?dry_run=false",
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some(csv.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["committed"], false);
    assert_eq!(r.body["rejected"][0]["row"], 3);
    assert_eq!(r.body["rejected"][0]["field"], "resident_id");
    assert!(!r.text.contains("110105194912310021"));
    assert_eq!(
        h.get(&format!("/api/v1/customers?phone={PHONE}"), &agent)
            .await
            .body["total"],
        0,
        "nothing half-imported"
    );
    let good = "name,phone\n张伟,13800138000\n";
    let r = h
        .call(
            Method::POST,
            "/api/v1/customers/import?dry_run=false&format=csv",
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some(good.to_string()),
        )
        .await;
    assert_eq!(r.body["committed"], true, "{}", r.text);

    let file = h
        .get(&format!("/api/v1/customers/export?phone={PHONE}"), &agent)
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(file.text.contains("138****8000") && !file.text.contains(PHONE));
    let denied = h
        .get("/api/v1/customers/export?reveal_reason=need", &agent)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let sup = h.token("zhao.min").await;
    let plain = h
        .get(
            &format!("/api/v1/customers/export?format=xlsx&phone={PHONE}&reveal_reason=%E6%A0%B8%E5%AF%B9"),
            &sup,
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("customers.xlsx"));
}

/// Merging from the customer page asks for a confirmation (a box, no JavaScript needed), then
/// redirects to the kept record with one message that a reload does not repeat.
#[tokio::test]
async fn merging_from_the_page_confirms_first_and_redirects_with_a_message() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let mut ids = Vec::new();
    for name in ["刘洋", "刘 洋"] {
        let r = h
            .api(
                Method::POST,
                "/api/v1/customers",
                &agent,
                json!({"name": name, "phones": ["+86 137 0013 7000"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let (kept, other) = (&ids[0], &ids[1]);
    let (cookie, csrf) = h.session("li.na").await;
    let post = |body: String| {
        let cookie = cookie.clone();
        let h = &h;
        async move {
            h.call(
                Method::POST,
                &format!("/customers/{kept}/merge"),
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(body),
            )
            .await
        }
    };
    let page = h
        .call(
            Method::GET,
            &format!("/customers/{kept}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(
        page.text.contains("<details class=\"confirm\">") && page.text.contains("name=\"confirm\"")
    );
    let refused = post(format!("_csrf={csrf}&duplicate_id={other}")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("请勾选确认后再合并"));
    let still = h.get(&format!("/api/v1/customers/{other}"), &agent).await;
    assert_eq!(still.body["status"], "active", "nothing merged unconfirmed");
    let done = post(format!("_csrf={csrf}&duplicate_id={other}&confirm=yes")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let to = done.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&format!("/customers/{kept}?flash=")), "{to}");
    let shown = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert!(shown.text.contains("已合并"), "the message");
    let again = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.text.contains("data-flash"), "shown once");
    let gone = h.get(&format!("/api/v1/customers/{other}"), &agent).await;
    assert_eq!(gone.body["status"], "merged");
    // The action's address opened by hand leads to the page, not 405.
    let get = h
        .call(
            Method::GET,
            &format!("/customers/{kept}/merge"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(get.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get.headers["location"],
        format!("/customers/{kept}").as_str()
    );
    // An erasure without its confirmation comes back with the reason as typed.
    let (cookie, csrf) = h.session("zhao.min").await;
    let r = h
        .call(
            Method::POST,
            &format!("/customers/{kept}/erase"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!(
                "_csrf={csrf}&reason=%E5%AE%A2%E6%88%B7%E8%A6%81%E6%B1%82%E5%88%A0%E9%99%A4"
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请勾选确认后再删除"));
    assert!(r.text.contains("value=\"客户要求删除\""), "{}", r.text);
    assert!(!r.text.contains("请填写confirm"));
}
