//! `tripdesk search-reindex` on the backend of this test run: documents lost from the index
//! are written again from the records, and an administrator's dictionary is checked when the
//! configuration is loaded.

mod common;

use common::BIN;
use std::process::{Command, Output};
use std::sync::Arc;
use tripdesk_app::desk::NewTicket;
use tripdesk_app::search::SearchRequest;
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::search::SearchKind;
use tripdesk_store_sql::testing::fresh_store;

fn tripdesk(args: &[&str], db: &[String], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(db)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

async fn hits(app: &App, q: &str) -> usize {
    let admin = App::console_principal();
    let r = app
        .search(
            &admin,
            &SearchRequest {
                q: q.into(),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    r.groups.iter().map(|g| g.items.len()).sum()
}

#[tokio::test]
async fn reindex_writes_every_document_again() {
    let store = fresh_store().await;
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
    .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let agent = {
        let mut tx = app.store.read().await.unwrap();
        let u = tx.get_user_by_username("li.na").await.unwrap().unwrap();
        tripdesk_app::Principal {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            roles: u.roles,
            department_id: u.department_id,
            locale: u.locale,
            credential: tripdesk_app::auth::Credential::Console,
        }
    };
    app.create_ticket(
        &agent,
        NewTicket {
            kind: TicketKind::Inquiry,
            channel: Channel::Phone,
            level: Some(Level::General),
            subject: "龍脊梯田三日遊".into(),
            description: "想預訂龍脊梯田的民宿，申請退款政策是什麼？".into(),
            customer_name: "王芳".into(),
            customer_phone: Some("13500135000".into()),
            customer_email: None,
            customer_id: None,
            booking_ref: None,
            business_area: None,
            tags: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(hits(&app, "退款").await, 1);
    let mut tx = app.store.write().await.unwrap();
    tx.clear_search_docs(&SearchKind::INDEXED).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(hits(&app, "退款").await, 0);

    let db = store.location.command_line();
    let out = tripdesk(&["search-reindex"], &db, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("search index rebuilt"), "{said}");
    assert!(said.contains(" 1 tickets"), "{said}");
    assert_eq!(hits(&app, "退款").await, 1);
    assert_eq!(hits(&app, "龙脊梯田").await, 1);

    // An administrator's word list: used when valid, refused with its line when not.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("words.txt");
    std::fs::write(&good, "# 我们的线路\n龙脊梯田 500 ns\n").unwrap();
    let out = tripdesk(
        &["search-reindex"],
        &db,
        &[("TRIPDESK_SEARCH_DICTIONARY", good.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "龙脊梯田 500 ns\n龙脊 many\n").unwrap();
    let out = tripdesk(
        &["search-reindex"],
        &db,
        &[("TRIPDESK_SEARCH_DICTIONARY", bad.to_str().unwrap())],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("search_dictionary: line 2"), "{err}");
}
