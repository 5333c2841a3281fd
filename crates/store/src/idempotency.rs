//! Idempotency keys: a create request retried with the same `Idempotency-Key` answers the
//! first response and writes nothing again. The key is claimed in the creating transaction and
//! its response kept in the same transaction, so the unique key (principal, key) lets the
//! database decide between two concurrent duplicates: the second waits for the first to end.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;

/// The first response to a request made with a key, kept for its replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptResponse {
    pub status: u16,
    /// The body as sent (JSON).
    pub body: String,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is new (or its earlier use expired): this transaction owns it and keeps its
    /// response before committing.
    Fresh,
    /// The key was used by a committed request: its digest, and its response when kept.
    Used {
        digest: String,
        response: Option<KeptResponse>,
    },
}

#[async_trait]
pub trait IdempotencyRepo: Send {
    /// Claims `key` for `principal` with the request's `digest`, first deleting the
    /// principal's keys that expired by `now`. When another transaction holds the same key
    /// uncommitted, PostgreSQL waits for it to end (the unique constraint decides); SQLite's
    /// single writer has already waited.
    async fn claim_idempotency_key(
        &mut self,
        principal: &str,
        key: &str,
        digest: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<KeyClaim, StoreError>;

    /// Keeps the response of the request that claimed `key` (same transaction).
    async fn keep_idempotent_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &KeptResponse,
    ) -> Result<(), StoreError>;
}

/// Conformance: a key is claimed once per principal, its response kept and found again, its
/// digest compared by the caller; an expired key is claimed afresh; a duplicate claimed while
/// the first is uncommitted is never fresh (the database decides).
pub async fn idempotency_key_claims(store: &dyn crate::Store) {
    let t0 = Timestamp::from_millisecond(1_800_000_000_000).expect("instant");
    let day = jiff::SignedDuration::from_hours(24);
    let kept = KeptResponse {
        status: 201,
        body: r#"{"id":"t1"}"#.into(),
    };
    let used = |digest: &str| KeyClaim::Used {
        digest: digest.into(),
        response: Some(kept.clone()),
    };

    let mut tx = store.write().await.expect("write");
    let claim = tx.claim_idempotency_key("p1", "k", "d1", t0, t0 + day);
    assert_eq!(claim.await.expect("claim"), KeyClaim::Fresh);
    tx.keep_idempotent_response("p1", "k", &kept)
        .await
        .expect("keep");
    tx.commit().await.expect("commit");

    let mut tx = store.write().await.expect("write");
    let later = t0 + jiff::SignedDuration::from_hours(1);
    let again = tx.claim_idempotency_key("p1", "k", "d2", later, later + day);
    assert_eq!(again.await.expect("claim"), used("d1"));
    // Keys are per principal.
    let theirs = tx.claim_idempotency_key("p2", "k", "d1", later, later + day);
    assert_eq!(theirs.await.expect("claim"), KeyClaim::Fresh);
    drop(tx);

    // A response is kept only for a key this transaction claimed.
    let mut tx = store.write().await.expect("write");
    assert!(tx
        .keep_idempotent_response("p1", "unclaimed", &kept)
        .await
        .is_err());
    drop(tx);

    // 24 hours on, the key is claimed afresh (the expired row deleted by the claim).
    let mut tx = store.write().await.expect("write");
    let expired = tx.claim_idempotency_key("p1", "k", "d3", t0 + day, t0 + day + day);
    assert_eq!(expired.await.expect("claim"), KeyClaim::Fresh);
    drop(tx);

    // A duplicate while the first is in flight: it waits for the first (PostgreSQL's unique
    // index, SQLite's writer) and finds its response, whatever the interleaving.
    let mut first = store.write().await.expect("write");
    let claim = first.claim_idempotency_key("p1", "race", "d", t0, t0 + day);
    assert_eq!(claim.await.expect("claim"), KeyClaim::Fresh);
    let second = async {
        let mut tx = store.write().await.expect("write");
        let claim = tx.claim_idempotency_key("p1", "race", "d", t0, t0 + day);
        claim.await.expect("claim")
    };
    let finish = async {
        first
            .keep_idempotent_response("p1", "race", &kept)
            .await
            .expect("keep");
        first.commit().await.expect("commit");
    };
    let (seen, ()) = tokio::join!(second, finish);
    assert_eq!(seen, used("d"));
}
