//! `tripdesk search-reindex` on the backend of this test run: documents lost from the index
//! are written again from the records, and an administrator's dictionary is checked when the
//! configuration is loaded.

mod common;

use common::{app_and_agent, BIN};
use std::process::{Command, Output};
use tripdesk_app::desk::NewTicket;
use tripdesk_app::search::SearchRequest;
use tripdesk_app::App;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::search::SearchKind;

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

fn inquiry(subject: &str, description: &str) -> NewTicket {
    NewTicket {
        kind: TicketKind::Inquiry,
        channel: Channel::Phone,
        level: Some(Level::General),
        subject: subject.into(),
        description: description.into(),
        customer_name: "王芳".into(),
        customer_phone: Some("13500135000".into()),
        customer_email: None,
        customer_id: None,
        booking_ref: None,
        business_area: None,
        tags: vec![],
    }
}

/// A rebuild walks every ticket past its first batch (in pages after the last ticket read),
/// writes each ticket's and message's document again, and drops a document whose text is gone.
#[tokio::test]
async fn a_rebuild_reaches_every_ticket_and_drops_stale_documents() {
    let (_store, app, agent) = app_and_agent().await;
    let first = app
        .create_ticket(&agent, inquiry("黄山两日游", "客人来电咨询线路安排"))
        .await
        .unwrap()
        .ticket;
    // 1,200 more tickets like it (more than two of the rebuild's batches), one with a reply.
    let copies: Vec<_> = (0..1_200)
        .map(|i| tripdesk_store::Ticket {
            id: uuid::Uuid::now_v7(),
            number: format!("RB{i:06}"),
            ..first.clone()
        })
        .collect();
    let reply = tripdesk_store::TicketEvent {
        id: uuid::Uuid::now_v7(),
        ticket_id: copies[700].id,
        at: copies[700].created_at,
        actor_id: Some(agent.user_id),
        actor_name: "李娜".into(),
        kind: "reply".into(),
        step: None,
        from_state: None,
        to_state: None,
        body: Some("已为您安排西海大峡谷索道".into()),
        data: None,
    };
    // A message document whose entry has no text any more (as after an erasure).
    let stale = tripdesk_store::SearchDoc {
        kind: SearchKind::Message,
        id: uuid::Uuid::now_v7(),
        ticket_id: Some(first.id),
        at: first.created_at,
        tokens: vec!["旧话".into()],
    };
    let mut tx = app.store.write().await.unwrap();
    tx.insert_tickets(&copies).await.unwrap();
    tx.insert_ticket_event(&reply).await.unwrap();
    tx.index_search_doc(&stale).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(hits(&app, "索道").await, 0, "not indexed yet");

    let report = app.rebuild_search_index().await.unwrap();
    assert_eq!(report.tickets, 1_201);
    assert_eq!(report.messages, 1);
    assert_eq!(hits(&app, "索道").await, 1);
    assert_eq!(hits(&app, "旧话").await, 0, "the stale document is gone");
    let mut r = app.store.read().await.unwrap();
    assert_eq!(
        r.count_search_docs(SearchKind::Ticket).await.unwrap(),
        1_201
    );
    assert_eq!(r.count_search_docs(SearchKind::Message).await.unwrap(), 1);
    assert_eq!(
        r.search_doc_ticket(reply.id).await.unwrap(),
        Some(copies[700].id)
    );
    drop(r);
    // Again: the same documents, replaced in place.
    assert_eq!(app.rebuild_search_index().await.unwrap(), report);
    let mut r = app.store.read().await.unwrap();
    assert_eq!(
        r.count_search_docs(SearchKind::Ticket).await.unwrap(),
        1_201
    );
}

#[tokio::test]
async fn reindex_writes_every_document_again() {
    let (store, app, agent) = app_and_agent().await;
    app.create_ticket(
        &agent,
        inquiry(
            "龍脊梯田三日遊",
            "想預訂龍脊梯田的民宿，申請退款政策是什麼？",
        ),
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
