//! Conformance of the attachment repository: a ticket's evidence files.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! attachment_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            ticket_attachments);
    };
}

use crate::conformance::{sample_ticket, t};
use crate::*;
use uuid::Uuid;

/// Attachments: stored and listed in order, content read apart from the description, a
/// ticket that does not exist refused, and rotation finds values sealed under other keys.
pub async fn ticket_attachments(store: &dyn Store) {
    use tripdesk_domain::desk::Level;
    let ticket = sample_ticket("TS-A1", Level::General, "2026-05-01T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&ticket).await.unwrap();
    let make = |n: u8, at: &str| TicketAttachment {
        id: Uuid::now_v7(),
        ticket_id: ticket.id,
        file_name_sealed: format!("v1.old.name{n}"),
        content_type: "image/jpeg".into(),
        size_bytes: 1000 + i64::from(n),
        sha256: format!("{n:064}"),
        uploaded_by: None,
        uploaded_by_name: "周杰".into(),
        created_at: t(at),
    };
    let first = make(1, "2026-05-01T02:00:00Z");
    let second = make(2, "2026-05-01T03:00:00Z");
    tx.insert_ticket_attachment(&second, "v1.new.content2")
        .await
        .unwrap();
    tx.insert_ticket_attachment(&first, "v1.old.content1")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let orphan = TicketAttachment {
        ticket_id: Uuid::now_v7(),
        ..make(3, "2026-05-01T04:00:00Z")
    };
    assert!(tx
        .insert_ticket_attachment(&orphan, "v1.old.x")
        .await
        .is_err());
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.list_ticket_attachments(ticket.id).await.unwrap(),
        [first.clone(), second.clone()]
    );
    assert_eq!(
        tx.get_ticket_attachment(second.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        tx.ticket_attachment_content(first.id)
            .await
            .unwrap()
            .as_deref(),
        Some("v1.old.content1")
    );
    assert_eq!(
        tx.get_ticket_attachment(Uuid::now_v7()).await.unwrap(),
        None
    );
    // Under the key `new`, both still need work (the second's name is sealed under `old`).
    let stale = tx
        .ticket_attachments_to_reseal("v1.new.", 10)
        .await
        .unwrap();
    assert_eq!(stale.len(), 2);
    for mut s in stale {
        s.file_name_sealed = s.file_name_sealed.replace("v1.old.", "v1.new.");
        s.content_sealed = s.content_sealed.replace("v1.old.", "v1.new.");
        tx.update_ticket_attachment_sealed(&s).await.unwrap();
    }
    assert!(tx
        .ticket_attachments_to_reseal("v1.new.", 10)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
}
