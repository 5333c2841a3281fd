//! A broadcast's text per incident kind and language (issue 15 item 5), on SQLite or
//! PostgreSQL (`TRIPDESK_TEST_DATABASE_URL`): the templates `incident.broadcast.<kind>` live in
//! the message template store; an administrator's edit is refused for an unknown placeholder
//! and a missing check-in link (each naming its field), saved and audited otherwise; a
//! typhoon broadcast to two guests in 大理 texts the one whose record prefers English in
//! English (the edited template) and the other in Chinese (the built-in one), each with their
//! own check-in link and reply keywords; the English guest's "1 SAFE" and a Chinese guest's
//! "2" are read by the SMS keyword check-in.

mod common;

use axum::http::{Method, StatusCode};
use common::bookings::{call, homestay, nodes_with, Nodes};
use serde_json::json;
use tripdesk_app::notify::NotifySettings;
use tripdesk_app::AppSettings;
use tripdesk_store::{AuditFilter, MessageFilter};
use uuid::Uuid;

async fn guest(n: &Nodes, agent: &str, room: &str, name: &str, phone: &str) -> String {
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": {"name": name, "phone": phone},
                   "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["customer_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn each_traveler_gets_the_broadcast_in_the_language_of_their_record() {
    let n = nodes_with(AppSettings {
        notify: NotifySettings {
            sms: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (admin, boss, agent) = (
        n.token("admin").await,
        n.token("zhao.min").await,
        n.token("li.na").await,
    );
    let (_, rooms) = homestay(&n, &boss, 2).await; // 云南省大理市双廊镇
    let wang = guest(&n, &agent, &rooms[0], "王芳", "13700000001").await;
    let john = guest(&n, &agent, &rooms[1], "John Smith", "13700000002").await;
    let r = call(
        &n.a,
        Method::PATCH,
        &format!("/api/v1/customers/{john}"),
        &agent,
        Some(json!({"preferred_language": "en-GB"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The administrator edits the English typhoon text: refused first, each error naming
    // its field.
    let save = |body: &str| {
        json!({"key": "incident.broadcast.natural_disaster", "locale": "en",
               "subject": "{{ drill }}[{{ title }}]", "body_text": body})
    };
    let refused = n
        .post(
            "/api/v1/templates",
            &admin,
            save("Typhoon over {{ region }}, {{ name }}: stay indoors."),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let errors: Vec<(String, String)> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("body_text".to_string(), "unknown_placeholder".to_string()),
            ("body_text".to_string(), "missing_link".to_string())
        ],
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("{{ name }}"),
        "names the placeholder: {}",
        refused.text
    );
    let refused = n
        .post(
            "/api/v1/templates",
            &admin,
            json!({"key": "incident.broadcast.flood", "locale": "en",
                   "subject": "x", "body_text": "{{ link }}"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.body["errors"][0]["field"], "key",
        "{}",
        refused.text
    );
    let saved = n
        .post(
            "/api/v1/templates",
            &admin,
            save("{{ drill }}Typhoon over {{ region }}: stay indoors. {{ keywords }}, or open {{ link }}"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    {
        let mut tx = n.app.store.read().await.unwrap();
        let audit = tx
            .list_audit(&AuditFilter {
                entity_type: Some("message_template".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.entity_id.as_deref() == Some("incident.broadcast.natural_disaster/en")),
            "the edit is audited"
        );
    }

    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A staff text naming an unknown placeholder is refused, naming the field.
    let refused = n
        .post(
            &format!("/api/v1/incidents/{incident}/broadcasts"),
            &boss,
            json!({"body_en": "Hello {{ hotel }} {{ link }}"}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(
        refused.body["errors"][0]["field"], "body_en",
        "{}",
        refused.text
    );
    assert_eq!(refused.body["errors"][0]["code"], "unknown_placeholder");

    let sent = n
        .post(
            &format!("/api/v1/incidents/{incident}/broadcasts"),
            &boss,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    assert_eq!(sent.body["sms"], 2, "{}", sent.text);

    let messages = {
        let mut tx = n.app.store.read().await.unwrap();
        tx.list_messages(&MessageFilter {
            related_type: Some("incident".into()),
            related_id: Some(incident.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
    };
    assert_eq!(messages.len(), 2);
    let keys = n.app.vault().unwrap();
    let inc = Uuid::parse_str(&incident).unwrap();
    let to = |c: &str| {
        messages
            .iter()
            .find(|m| m.customer_id.map(|x| x.to_string()).as_deref() == Some(c))
            .unwrap()
    };
    let (zh, en) = (to(&wang), to(&john));
    let link = |c: &str| {
        format!(
            "/c/{}",
            tripdesk_app::emergency::checkin_token(keys, inc, Uuid::parse_str(c).unwrap())
        )
    };
    assert_eq!(zh.locale, "zh-CN");
    assert_eq!(
        (zh.template_key.as_deref(), zh.template_version),
        (Some("incident.broadcast.natural_disaster"), Some(1)),
        "the Chinese template as installed"
    );
    assert!(
        zh.body_text
            .starts_with("【台风“海燕”影响大理】受天气影响，请您在大理注意安全")
            && zh.body_text.contains("请回复 1 安全")
            && zh.body_text.contains("回复 2 需要帮助")
            && zh.body_text.contains(&link(&wang))
            && !zh.body_text.contains("{{"),
        "{}",
        zh.body_text
    );
    assert_eq!(en.locale, "en");
    assert_eq!(
        (en.template_key.as_deref(), en.template_version),
        (Some("incident.broadcast.natural_disaster"), Some(2)),
        "the administrator's English template (version 2 of the installed one)"
    );
    assert!(
        en.body_text.starts_with(
            "Typhoon over 大理: stay indoors. Reply 1 SAFE if you are safe, 2 HELP if you need help, or open http"
        ) && en.body_text.ends_with(&link(&john)),
        "{}",
        en.body_text
    );

    // The English reply keyword and the Chinese one are read by the SMS check-in.
    for (who, text) in [(&john, "1 SAFE"), (&wang, "2")] {
        let mut tx = n.app.store.write().await.unwrap();
        let answers = n
            .app
            .checkin_by_sms(&mut *tx, &[Uuid::parse_str(who).unwrap()], text)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(answers.len(), 1, "{text}");
    }
    let person = |c: String| {
        let n = &n;
        let boss = boss.clone();
        let incident = incident.clone();
        async move {
            let r = call(
                &n.a,
                Method::GET,
                &format!("/api/v1/incidents/{incident}/people?limit=50"),
                &boss,
                None,
            )
            .await;
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["customer_id"] == c.as_str())
                .map(|p| p["status"].as_str().unwrap().to_string())
        }
    };
    assert_eq!(person(john.clone()).await.as_deref(), Some("safe"));
    assert_eq!(person(wang.clone()).await.as_deref(), Some("needs_help"));
}
