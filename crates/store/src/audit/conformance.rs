//! Conformance of the audit repository: the hash chain, its keyed MACs, concurrent appends
//! and the lock order that keeps writers from deadlocking.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! audit_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            audit_chain, concurrent_audit_appends, lock_order_ticket_then_audit_head,
            audit_listed_before_linking, concurrent_linkers, concurrent_ticket_numbers);
    };
}

use crate::conformance::{futures_join_all, sample_ticket, t};
use crate::*;
use uuid::Uuid;

fn audit_draft(action: &str, entity: &str) -> NewAuditEntry {
    NewAuditEntry {
        id: Uuid::now_v7(),
        at: t("2026-03-01T08:00:00Z"),
        actor_id: Some(Uuid::now_v7()),
        actor_name: "zhao.min".into(),
        action: action.into(),
        entity_type: "customer".into(),
        entity_id: Some(entity.into()),
        summary: "{\"field\":\"phone\"}".into(),
    }
}

/// A stand-in for the vault's audit key.
struct TestAuditKey;

impl tripdesk_domain::audit::ChainSigner for TestAuditKey {
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(b"test audit key")
            .chain_update(message)
            .finalize()
            .into()
    }
}

/// The audit log chains every entry to the one before; filters and the chain walk work;
/// a dropped transaction leaves no entry and no moved head; entries appended with a key
/// carry MACs (entry and head), and once keyed the chain refuses an unkeyed append.
pub async fn audit_chain(store: &dyn Store) {
    use tripdesk_domain::audit::{entry_mac, head_mac, ChainVerifier, GENESIS_HASH};
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.audit_head().await.unwrap(),
        Some(AuditHead {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
            mac: None
        })
    );
    drop(r);
    let mut tx = store.write().await.unwrap();
    let drafts = [
        audit_draft("customer.create", "c1"),
        audit_draft("customer.reveal", "c1"),
    ];
    for d in &drafts {
        tx.append_audit(d, None).await.unwrap();
    }
    // Appends are written at commit: nothing of them shows before.
    assert_eq!(
        tx.audit_head().await.unwrap().map(|h| (h.seq, h.hash)),
        Some((0, GENESIS_HASH.to_string()))
    );
    tx.commit().await.unwrap();
    store.link_audit(None).await.unwrap();
    let mut r = store.read().await.unwrap();
    let chain = r.audit_chain(0, 10).await.unwrap();
    drop(r);
    let [first, second] = [chain[0].clone(), chain[1].clone()];
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!((first.id, second.id), (drafts[0].id, drafts[1].id));
    assert_eq!(first.action, "customer.create");
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(second.prev_hash, first.hash);

    let mut tx = store.write().await.unwrap();
    tx.append_audit(&audit_draft("customer.update", "c2"), None)
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let mut other = audit_draft("user.create", "u1");
    other.entity_type = "user".into();
    other.actor_id = None;
    other.entity_id = None;
    tx.append_audit(&other, Some(std::sync::Arc::new(TestAuditKey)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store
        .link_audit(Some(std::sync::Arc::new(TestAuditKey)))
        .await
        .unwrap();

    // Once keyed, the chain refuses an entry without a MAC (at commit, where entries are
    // written), and nothing of that transaction stays.
    let mut tx = store.write().await.unwrap();
    tx.append_audit(&audit_draft("customer.update", "c3"), None)
        .await
        .unwrap();
    assert!(
        matches!(tx.commit().await, Err(StoreError::Unavailable(_))),
        "a keyed chain refuses an entry without a MAC"
    );

    let mut r = store.read().await.unwrap();
    let third = r.audit_chain(2, 10).await.unwrap();
    assert_eq!(third.len(), 1, "{third:?}");
    assert_eq!(
        (third[0].seq, third[0].id, &third[0].prev_hash),
        (3, other.id, &second.hash),
        "the dropped append left no gap"
    );
    let third = third[0].clone();
    assert_eq!(third.mac, Some(entry_mac(&TestAuditKey, &third.hash)));
    let f = |action: Option<&str>, entity_type: Option<&str>| AuditFilter {
        action: action.map(Into::into),
        entity_type: entity_type.map(Into::into),
        limit: 100,
        ..Default::default()
    };
    let all = r.list_audit(&f(None, None)).await.unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(all[2], first);
    assert_eq!(r.count_audit(&f(Some("customer."), None)).await.unwrap(), 2);
    assert_eq!(
        r.count_audit(&f(Some("customer.reveal"), None))
            .await
            .unwrap(),
        1
    );
    assert_eq!(r.count_audit(&f(Some("customer"), None)).await.unwrap(), 0);
    assert_eq!(r.count_audit(&f(None, Some("user"))).await.unwrap(), 1);
    let by_entity = AuditFilter {
        entity_id: Some("c1".into()),
        actor_id: first.actor_id,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.list_audit(&by_entity).await.unwrap(), vec![first.clone()]);

    let mut v = ChainVerifier::keyed(&TestAuditKey);
    let mut after = 0;
    loop {
        let batch = r.audit_chain(after, 2).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            let texts = e.id_texts();
            v.check(&e.link(&texts), &e.hash, e.mac.as_deref()).unwrap();
            after = e.seq;
        }
    }
    let head = r.audit_head().await.unwrap().unwrap();
    assert_eq!(head.mac, Some(head_mac(&TestAuditKey, 3, &third.hash)));
    v.finish(Some((head.seq, &head.hash, head.mac.as_deref())))
        .unwrap();
    assert_eq!((v.checked(), v.first_keyed()), (3, Some(3)));
}

/// Appends from many concurrent transactions form one unbroken chain.
pub async fn concurrent_audit_appends(store: &dyn Store) {
    let mut futs = Vec::new();
    for i in 0..12 {
        futs.push(async move {
            let mut tx = store.write().await.unwrap();
            tx.append_audit(
                &audit_draft("customer.update", &format!("c{i}")),
                Some(std::sync::Arc::new(TestAuditKey)),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        });
    }
    futures_join_all(futs).await;
    store
        .link_audit(Some(std::sync::Arc::new(TestAuditKey)))
        .await
        .unwrap();
    let mut r = store.read().await.unwrap();
    let chain = r.audit_chain(0, 100).await.unwrap();
    assert_eq!(chain.len(), 12);
    let mut v = tripdesk_domain::audit::ChainVerifier::keyed(&TestAuditKey);
    for e in &chain {
        let texts = e.id_texts();
        v.check(&e.link(&texts), &e.hash, e.mac.as_deref()).unwrap();
    }
    let head = r.audit_head().await.unwrap().unwrap();
    v.finish(Some((head.seq, &head.hash, head.mac.as_deref())))
        .unwrap();
}

/// A committed entry shows in listings at once, before it is linked (PostgreSQL queues it:
/// `seq` 0, no hash), and newest first; linking gives it its place in the chain.
pub async fn audit_listed_before_linking(store: &dyn Store) {
    store.queue_audit(true);
    let key = || Some(std::sync::Arc::new(TestAuditKey) as crate::AuditSigner);
    let (a, b) = (
        audit_draft("customer.create", "q1"),
        audit_draft("customer.update", "q1"),
    );
    for d in [&a, &b] {
        let mut tx = store.write().await.unwrap();
        tx.append_audit(d, key()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let all = AuditFilter {
        limit: 100,
        ..Default::default()
    };
    let mut r = store.read().await.unwrap();
    let listed = r.list_audit(&all).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        [b.id, a.id]
    );
    assert_eq!(r.count_audit(&all).await.unwrap(), 2);
    let second_page = AuditFilter {
        limit: 1,
        offset: 1,
        ..Default::default()
    };
    assert_eq!(r.list_audit(&second_page).await.unwrap()[0].id, a.id);
    let queued = listed.iter().filter(|e| e.seq == 0).count();
    drop(r);
    // SQLite links at commit, PostgreSQL in the linker: both entries either way.
    assert_eq!(store.link_audit(key()).await.unwrap(), queued as u64);
    assert_eq!(
        store.link_audit(key()).await.unwrap(),
        0,
        "nothing left queued"
    );
    let mut r = store.read().await.unwrap();
    let listed = r.list_audit(&all).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| (e.seq, e.id)).collect::<Vec<_>>(),
        [(2, b.id), (1, a.id)]
    );
    assert!(listed.iter().all(|e| e.mac.is_some()));
    let head = r.audit_head().await.unwrap().unwrap();
    assert_eq!((head.seq, &head.hash), (2, &listed[0].hash));
}

/// Linkers running at once (one per node) link every queued entry exactly once, into one
/// unbroken chain, while writers keep committing.
pub async fn concurrent_linkers(store: &dyn Store) {
    store.queue_audit(true);
    let key = || Some(std::sync::Arc::new(TestAuditKey) as crate::AuditSigner);
    let mut futs = Vec::new();
    for i in 0..16 {
        futs.push(async move {
            let mut tx = store.write().await.unwrap();
            tx.append_audit(&audit_draft("ticket.create", &format!("t{i}")), key())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            store.link_audit(key()).await.unwrap();
        });
    }
    futures_join_all(futs).await;
    store.link_audit(key()).await.unwrap();
    let mut r = store.read().await.unwrap();
    let chain = r.audit_chain(0, 100).await.unwrap();
    assert_eq!(chain.len(), 16);
    let mut v = tripdesk_domain::audit::ChainVerifier::keyed(&TestAuditKey);
    for e in &chain {
        let texts = e.id_texts();
        v.check(&e.link(&texts), &e.hash, e.mac.as_deref()).unwrap();
    }
    let head = r.audit_head().await.unwrap().unwrap();
    v.finish(Some((head.seq, &head.hash, head.mac.as_deref())))
        .unwrap();
    let listed = r
        .list_audit(&AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(listed.iter().all(|e| e.seq > 0), "nothing left unlinked");
}

/// Ticket numbers from concurrent transactions are distinct.
pub async fn concurrent_ticket_numbers(store: &dyn Store) {
    let numbers = std::sync::Mutex::new(Vec::new());
    let mut futs = Vec::new();
    for _ in 0..16 {
        let numbers = &numbers;
        futs.push(async move {
            let mut tx = store.write().await.unwrap();
            let n = tx.next_in_sequence("ticket").await.unwrap();
            tx.commit().await.unwrap();
            numbers.lock().unwrap().push(n);
        });
    }
    futures_join_all(futs).await;
    let mut numbers = numbers.into_inner().unwrap();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers, (1..=16).collect::<Vec<i64>>());
}

/// The lock order that keeps writers from deadlocking (the intake deadlock of issue 11): a
/// write transaction reads the ticket it changes with a row lock, and its audit entries are
/// written at commit, so the audit head is the last lock it takes. Here T1 appends an entry
/// and then wants the ticket T2 holds, while T2 appends and commits: with the head locked at
/// append time T1 would hold the head and wait for the ticket while T2 held the ticket and
/// waited for the head — PostgreSQL would abort one of them. Both must commit, T2's entry
/// first. (SQLite's single writer cannot hold two write transactions at once: nothing to
/// order there, and this check would wait for itself.)
pub async fn lock_order_ticket_then_audit_head(store: &dyn Store) {
    if store.backend() == Backend::Sqlite {
        return;
    }
    let ticket = sample_ticket(
        "TL1",
        tripdesk_domain::desk::Level::General,
        "2026-06-01T08:00:00Z",
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&ticket).await.unwrap();
    tx.commit().await.unwrap();

    let (first, second) = (
        audit_draft("ticket.step", "t1"),
        audit_draft("ticket.reply", "t2"),
    );
    let mut t1 = store.write().await.unwrap();
    t1.append_audit(&first, None).await.unwrap();
    let mut t2 = store.write().await.unwrap();
    let mut held = t2.get_ticket(ticket.id).await.unwrap().unwrap();
    let (r1, r2) = tokio::join!(
        async {
            // Waits for T2's row lock, then reads what T2 committed.
            let seen = t1.get_ticket(ticket.id).await?.expect("the ticket");
            t1.commit().await?;
            Ok::<_, StoreError>(seen)
        },
        async {
            t2.append_audit(&second, None).await?;
            held.subject = "导游迟到一小时（已联系）".into();
            held.version += 1;
            assert!(t2.update_ticket(&held).await?);
            t2.commit().await
        }
    );
    r2.expect("the transaction holding the ticket commits");
    let seen = r1.expect("the transaction appending first commits too");
    assert_eq!(seen.version, 2, "T1 read the ticket after T2's commit");
    store.link_audit(None).await.unwrap();
    let mut r = store.read().await.unwrap();
    let chain = r.audit_chain(0, 10).await.unwrap();
    assert_eq!(
        chain.iter().map(|e| e.id).collect::<Vec<_>>(),
        [second.id, first.id],
        "chained in commit order"
    );
}
