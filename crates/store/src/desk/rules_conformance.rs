//! Conformance of the desk's settings: routing rules in matching order, updates and deletes;
//! reply templates unique per key and language, and seeding that keeps edits. Run by
//! `desk_conformance_tests!` (`conformance.rs` beside this file).

use crate::conformance::sample_department;
use crate::*;
use jiff::Timestamp;
use tripdesk_domain::desk::Channel;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn rule(name: &str, priority: i32, group: Uuid, at: &str) -> RoutingRuleRecord {
    RoutingRuleRecord {
        id: Uuid::now_v7(),
        name: name.into(),
        priority,
        business_area: Some("guide".into()),
        keywords: vec!["导游".into(), "guide".into()],
        channel: Some(Channel::Phone),
        group_id: group,
        enabled: true,
        created_at: t(at),
        updated_at: t(at),
    }
}

fn reply(key: &str, locale: &str, position: i32) -> ReplyTemplate {
    let at = t("2026-05-01T00:00:00Z");
    ReplyTemplate {
        id: Uuid::now_v7(),
        key: key.into(),
        locale: locale.into(),
        category: "greeting".into(),
        title: format!("标题 {key}"),
        body: format!("您好，{key}"),
        position,
        updated_by: None,
        created_at: at,
        updated_at: at,
    }
}

/// Routing rules in matching order, updates and deletes; reply templates unique per key and
/// language, seeding that keeps edits.
pub async fn desk_rules_and_templates(store: &dyn Store) {
    let guide = sample_department("guide_management");
    let route = sample_department("route_planning");
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&guide).await.unwrap();
    tx.insert_department(&route).await.unwrap();
    let late = rule("late", 20, route.id, "2026-05-01T00:00:00Z");
    let first = rule("first", 10, guide.id, "2026-05-02T00:00:00Z");
    let tie = rule("tie, older first", 20, guide.id, "2026-05-03T00:00:00Z");
    for r in [&late, &first, &tie] {
        tx.insert_routing_rule(r).await.unwrap();
    }
    tx.commit().await.unwrap();
    // A failed statement spoils a PostgreSQL transaction: refusals get their own.
    let mut tx = store.write().await.unwrap();
    let dangling = rule("no such group", 1, Uuid::now_v7(), "2026-05-01T00:00:00Z");
    assert!(matches!(
        tx.insert_routing_rule(&dangling).await,
        Err(StoreError::BrokenReference)
    ));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let names: Vec<_> = tx
        .list_routing_rules()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["first", "late", "tie, older first"]);
    assert_eq!(tx.get_routing_rule(first.id).await.unwrap().unwrap(), first);
    let mut changed = late.clone();
    changed.priority = 5;
    changed.business_area = None;
    changed.keywords = vec![];
    changed.channel = None;
    changed.enabled = false;
    changed.updated_at = t("2026-05-04T00:00:00Z");
    assert!(tx.update_routing_rule(&changed).await.unwrap());
    assert_eq!(
        tx.get_routing_rule(late.id).await.unwrap().unwrap(),
        changed
    );
    assert_eq!(tx.list_routing_rules().await.unwrap()[0].id, late.id);
    assert!(tx.delete_routing_rule(tie.id).await.unwrap());
    assert!(!tx.delete_routing_rule(tie.id).await.unwrap());
    assert!(!tx.update_routing_rule(&tie).await.unwrap());
    assert_eq!(tx.list_routing_rules().await.unwrap().len(), 2);

    let greet_zh = reply("greet", "zh-CN", 1);
    let greet_en = reply("greet", "en", 1);
    let close_zh = reply("close", "zh-CN", 9);
    for r in [&close_zh, &greet_zh, &greet_en] {
        tx.insert_reply_template(r).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_reply_template(&reply("greet", "zh-CN", 3)).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let order: Vec<_> = tx
        .list_reply_templates()
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}/{}", r.locale, r.key))
        .collect();
    assert_eq!(order, ["en/greet", "zh-CN/greet", "zh-CN/close"]);
    let mut edited = greet_zh.clone();
    edited.body = "您好，这里是山海国际旅行社。".into();
    edited.updated_at = t("2026-05-05T00:00:00Z");
    assert!(tx.update_reply_template(&edited).await.unwrap());
    assert_eq!(
        tx.get_reply_template(greet_zh.id).await.unwrap().unwrap(),
        edited
    );
    // Seeding again keeps the edit.
    assert!(!tx
        .insert_reply_template_if_absent(&reply("greet", "zh-CN", 1))
        .await
        .unwrap());
    assert!(tx
        .insert_reply_template_if_absent(&reply("refund", "zh-CN", 5))
        .await
        .unwrap());
    assert_eq!(
        tx.get_reply_template(greet_zh.id)
            .await
            .unwrap()
            .unwrap()
            .body,
        "您好，这里是山海国际旅行社。"
    );
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let mut clash = close_zh.clone();
    clash.key = "greet".into();
    assert!(matches!(
        tx.update_reply_template(&clash).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_reply_template(close_zh.id).await.unwrap());
    assert!(!tx.delete_reply_template(close_zh.id).await.unwrap());
    assert_eq!(
        tx.list_reply_templates().await.unwrap().len(),
        3,
        "greet ×2 and refund"
    );
    tx.commit().await.unwrap();
}
