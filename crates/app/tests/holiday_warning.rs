//! From 1 October, when next year's State Council holiday arrangement is missing, the
//! administrators get one in-app notification per calendar and year, however many nodes
//! check and however often; the warning is audited and importing the year ends it.

use std::sync::Arc;
use tripdesk_app::calendar::HolidaySource;
use tripdesk_app::calendar_provisional::HolidayGap;
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_store::{AuditFilter, MessageFilter, Store};
use tripdesk_store_sql::testing::fresh_store;

async fn warnings(store: &dyn Store) -> Vec<(String, String)> {
    let mut r = store.read().await.unwrap();
    r.list_messages(&MessageFilter {
        related_type: Some("calendar".into()),
        related_id: Some("cn-mainland".into()),
        limit: 500,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .filter(|m| m.template_key.as_deref() == Some("calendar.holidays_missing"))
    .map(|m| (m.channel, m.subject))
    .collect()
}

#[tokio::test]
async fn administrators_are_warned_once_from_the_first_of_october() {
    let store = fresh_store().await;
    // 30 September 2026, 23:00 in Beijing: 2027 is missing but it is not October yet.
    let clock = Arc::new(ManualClock::new("2026-09-30T15:00:00Z".parse().unwrap()));
    let keys = Arc::new(tripdesk_vault::KeyRing::generate());
    let node_a = App::new(store.store.clone(), clock.clone(), AppSettings::default())
        .with_vault(keys.clone());
    let node_b =
        App::new(store.store.clone(), clock.clone(), AppSettings::default()).with_vault(keys);
    node_a.seed_demo_organisation().await.unwrap();
    let admin = node_a.login("admin", "tripdesk-demo", None).await.unwrap();
    let agent = node_a.login("li.na", "tripdesk-demo", None).await.unwrap();
    assert_eq!(node_a.warn_missing_holiday_years().await.unwrap(), 0);
    assert!(node_a
        .holiday_data_gaps(&admin.principal)
        .await
        .unwrap()
        .is_empty());
    assert!(node_a.holiday_data_gaps(&agent.principal).await.is_err());

    // 1 October, 00:00 in Beijing.
    clock.set("2026-09-30T16:00:00Z".parse().unwrap());
    assert_eq!(
        node_a.holiday_data_gaps(&admin.principal).await.unwrap(),
        vec![HolidayGap {
            calendar: "cn-mainland".into(),
            year: 2027,
            current: false
        }]
    );
    let (a, b) = tokio::join!(
        node_a.warn_missing_holiday_years(),
        node_b.warn_missing_holiday_years()
    );
    let sent = a.unwrap() + b.unwrap();
    assert!(sent >= 1, "the demo organisation has an administrator");
    let w = warnings(store.store.as_ref()).await;
    assert_eq!(w.len(), sent);
    assert!(w.iter().all(|(channel, subject)| channel == "in_app"
        && subject.contains("2027")
        && subject.contains("cn-mainland")));
    // Checked again later, on either node: nothing new.
    clock.set("2026-11-15T02:00:00Z".parse().unwrap());
    assert_eq!(node_a.warn_missing_holiday_years().await.unwrap(), 0);
    assert_eq!(node_b.warn_missing_holiday_years().await.unwrap(), 0);
    assert_eq!(warnings(store.store.as_ref()).await.len(), sent);
    let audit = {
        let mut r = store.store.read().await.unwrap();
        r.list_audit(&AuditFilter {
            action: Some("calendar.holidays_missing".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
    };
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entity_id.as_deref(), Some("cn-mainland"));

    // The arrangement is imported: nothing is missing any more.
    let toml = "format = 1\n[[year]]\nyear = 2027\n[[year.festival]]\nzh = \"元旦\"\nen = \"New Year's Day\"\noff = [\"2027-01-01\"]\n";
    node_a
        .import_holidays(
            &admin.principal,
            "cn-mainland",
            HolidaySource::Toml(toml.into()),
            false,
        )
        .await
        .unwrap();
    assert!(node_b
        .holiday_data_gaps(&admin.principal)
        .await
        .unwrap()
        .is_empty());
}
