//! The personal-data registry on the backend of this test run: a capability registered only
//! here (a loyalty programme with its own table, created by the test) stores a customer's
//! data; the PIPL copy includes it and erasure clears it, through the same use cases every
//! capability goes through — nothing in them names the capability.

use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{Labeled, NewCustomer};
use tripdesk_app::personal_data::PersonalData;
use tripdesk_app::{App, AppSettings, Principal};
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::customer::erasure::ERASED;
use tripdesk_domain::identity::Role;
use tripdesk_store::{AuditFilter, DataKind, TextColumn};
use tripdesk_store_sql::testing::{execute_beside, fresh_store};
use uuid::Uuid;

/// A capability the product does not have: members of a loyalty programme.
struct Loyalty;

const LOYALTY_FIELDS: &[TextColumn] = &[
    // The member's own nickname: exported and replaced whole (the default methods).
    TextColumn {
        table: "test_loyalty_members",
        key: "id",
        column: "nickname",
        kind: DataKind::Name,
        ticket_of: None,
        every_row: false,
        customer_of: Some("customer_id"),
    },
    // Notes staff write about any member: searched for the erased customer's values.
    TextColumn {
        table: "test_loyalty_members",
        key: "id",
        column: "staff_note",
        kind: DataKind::Text,
        ticket_of: None,
        every_row: true,
        customer_of: Some("customer_id"),
    },
];

impl PersonalData for Loyalty {
    fn name(&self) -> &'static str {
        "loyalty"
    }

    fn fields(&self) -> &'static [TextColumn] {
        LOYALTY_FIELDS
    }
}

fn principal(username: &str, role: Role) -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        username: username.into(),
        display_name: username.into(),
        roles: vec![role],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    }
}

fn customer(name: &str, phone: &str) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        phones: vec![Labeled::new("phone", phone)],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_capability_registered_only_here_is_in_the_copy_and_cleared_by_erasure() {
    let store = fresh_store().await;
    execute_beside(
        &store.location,
        "CREATE TABLE test_loyalty_members (id TEXT PRIMARY KEY NOT NULL, \
         customer_id TEXT NOT NULL, nickname TEXT, staff_note TEXT)",
    )
    .await;
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
    .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()))
    .with_personal_data(Arc::new(Loyalty));
    let agent = principal("li.na", Role::Agent);
    let sup = principal("zhao.min", Role::Supervisor);
    let new = |c| async {
        app.create_customer(&agent, c)
            .await
            .unwrap()
            .detail
            .customer
            .id
    };
    let member = new(customer("司马光", "13911112222")).await;
    let friend = new(customer("王安石", "13933334444")).await;
    execute_beside(
        &store.location,
        &format!(
            "INSERT INTO test_loyalty_members VALUES \
             ('m1', '{member}', '小光', '金卡会员，电话 139 1111 2222'), \
             ('m2', '{friend}', '安石', '由司马光推荐入会')"
        ),
    )
    .await;

    // The registry's union of declarations includes the new capability's searched column.
    let searched = app.personal_data().erasable_texts();
    assert!(searched
        .iter()
        .any(|c| c.table == "test_loyalty_members" && c.column == "staff_note"));
    assert!(
        !searched.iter().any(|c| c.column == "nickname"),
        "a name is searched only where declared so"
    );

    let copy = app.export_customer_data(&sup, member).await.unwrap();
    let rows = &copy["sections"]["loyalty"]["test_loyalty_members"];
    assert_eq!(rows[0]["key"], "m1");
    assert_eq!(rows[0]["nickname"], "小光");
    assert_eq!(rows[0]["staff_note"], "金卡会员，电话 139 1111 2222");
    assert_eq!(copy["sections"]["customers"]["customer"]["name"], "司马光");

    app.erase_customer(&sup, member, "PIPL 删除请求 #7")
        .await
        .unwrap();

    let after = app.export_customer_data(&sup, member).await.unwrap();
    let rows = &after["sections"]["loyalty"]["test_loyalty_members"];
    assert_eq!(rows[0]["nickname"], ERASED);
    assert_eq!(rows[0]["staff_note"], ERASED);
    // Another member's row keeps its own data but loses the erased customer's name.
    let friend_copy = app.export_customer_data(&sup, friend).await.unwrap();
    let note = friend_copy["sections"]["loyalty"]["test_loyalty_members"][0]["staff_note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!note.contains("司马光"), "{note}");
    assert!(note.contains("推荐入会"), "{note}");
    assert_eq!(
        friend_copy["sections"]["loyalty"]["test_loyalty_members"][0]["nickname"],
        "安石"
    );

    // The erasure's audit entry counts what the capability erased.
    let entries = {
        let mut r = store.store.read().await.unwrap();
        r.list_audit(&AuditFilter {
            action: Some("customer.erase".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
    };
    let summary: serde_json::Value = serde_json::from_str(&entries[0].summary).unwrap();
    assert_eq!(summary["loyalty"]["test_loyalty_members"], 2);
    assert!(!entries[0].summary.contains("司马光"));
}

#[tokio::test]
async fn today_s_capabilities_declare_their_fields() {
    let store = fresh_store().await;
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    );
    let names: Vec<_> = app.personal_data().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "customers",
            "feedback_model",
            "desk",
            "surveys",
            "notifications",
            "idempotency_keys",
            "bookings",
            "search_index",
            "sms_replies",
            "calls",
            "chats",
            "email_messages",
            "wechat"
        ]
    );
    let tables = app.personal_data().tables();
    for t in [
        "customers",
        "customer_identifiers",
        "tickets",
        "ticket_events",
        "ticket_attachments",
        "surveys",
        "outbox_messages",
        "inapp_notifications",
        "notification_preferences",
        "idempotency_keys",
        "search_docs",
        "feedback_learned",
        "sms_replies",
        "calls",
        "chat_messages",
        "email_messages",
        "wechat_users",
        "wechat_messages",
    ] {
        assert!(tables.contains(&t), "{t} is declared");
    }
    // Sealed values are never searched (ciphertext); free text is.
    let searched = app.personal_data().erasable_texts();
    assert!(searched.iter().all(|c| c.kind != DataKind::Sealed));
    // The search index is derived from the texts: remade, never searched.
    assert!(searched.iter().all(|c| c.kind != DataKind::Derived));
    assert!(searched
        .iter()
        .any(|c| c.table == "ticket_events" && c.column == "body"));
}
