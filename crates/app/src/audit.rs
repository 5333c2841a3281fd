//! The audit log as the use cases see it: one helper that turns "who did what to which
//! entity" into an entry appended in the same transaction as the change, browsing for
//! supervisors, and verification of the hash chain for `tripdesk audit verify`.
//!
//! Summaries are JSON objects naming what changed. For customers they name fields, never
//! values: an erased customer's personal data must not live on in the (immutable) log.

use crate::{App, AppError, Principal};
use serde_json::Value;
use std::sync::Arc;
use tripdesk_domain::audit::{AuditAction, ChainBreak, ChainSigner, ChainVerifier};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{AuditEntry, AuditFilter, NewAuditEntry, Tx};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// The purpose of the audit chain's key among the vault's derived keys: HMAC-SHA256 under
/// `HMAC(index_key, 0xFF ‖ "tripdesk link key" ‖ 0 ‖ purpose)`. Derived from the index key,
/// which is never rotated, so MACs written before a key rotation still verify after it.
pub const AUDIT_KEY_PURPOSE: &str = "audit.chain.v1";

/// The audit chain's MACs under the vault's keys.
pub struct AuditKey(pub Arc<KeyRing>);

impl ChainSigner for AuditKey {
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        self.0.link_mac(AUDIT_KEY_PURPOSE, message)
    }
}

/// The fields that differ between two JSON objects describing a record before and after a
/// change, as `{"field": {"from": old, "to": new}}` (a field absent on one side is `null`
/// there). For settings (an SLA target's figures, a calendar's hours, a rate): callers pass
/// only fields that may be logged, never personal data.
pub(crate) fn changes(before: &Value, after: &Value) -> Value {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut out = serde_json::Map::new();
    for key in before.keys().chain(after.keys()) {
        let (from, to) = (
            before.get(key).unwrap_or(&Value::Null),
            after.get(key).unwrap_or(&Value::Null),
        );
        if from != to && !out.contains_key(key) {
            out.insert(key.clone(), serde_json::json!({ "from": from, "to": to }));
        }
    }
    Value::Object(out)
}

/// A page of audit entries, newest first.
#[derive(Debug)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: u64,
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerified {
    pub entries: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first entry with a MAC (`None` when checked without the keys, or the log is empty).
    pub first_keyed: Option<i64>,
    /// Whether the MACs were checked (the app holds the vault keys).
    pub keyed: bool,
}

impl App {
    /// An entry for `principal` doing `action` on an entity, stamped now.
    pub(crate) fn audit_entry(
        &self,
        principal: &Principal,
        action: AuditAction,
        entity_type: &str,
        entity_id: Option<String>,
        summary: Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            id: Uuid::now_v7(),
            at: self.now(),
            actor_id: (!principal.user_id.is_nil()).then_some(principal.user_id),
            actor_name: principal.username.clone(),
            action: action.code().into(),
            entity_type: entity_type.into(),
            entity_id,
            summary: summary.to_string(),
        }
    }

    /// Appends an entry inside the caller's transaction (written when it commits, as its
    /// last statements: see `AuditRepo::append_audit`).
    pub(crate) async fn audit(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        action: AuditAction,
        entity_type: &str,
        entity_id: Option<String>,
        summary: Value,
    ) -> Result<(), AppError> {
        let entry = self.audit_entry(principal, action, entity_type, entity_id, summary);
        self.append_audit(tx, &entry).await
    }

    /// Appends a prepared entry inside the caller's transaction, with its MAC when the app
    /// holds the vault keys (the one place entries reach the store).
    pub(crate) async fn append_audit(
        &self,
        tx: &mut dyn Tx,
        entry: &NewAuditEntry,
    ) -> Result<(), AppError> {
        Ok(tx.append_audit(entry, self.audit_signer()).await?)
    }

    /// The chain's MACs under the vault keys, when the app holds them.
    fn audit_signer(&self) -> Option<tripdesk_store::AuditSigner> {
        self.vault
            .clone()
            .map(|k| Arc::new(AuditKey(k)) as tripdesk_store::AuditSigner)
    }

    /// Links the entries queued by committed writes into the chain (`Store::link_audit`),
    /// with MACs when the app holds the vault keys; returns how many. What `AuditLinker`
    /// runs, and what verifying and anchoring run first.
    pub async fn link_audit(&self) -> Result<u64, AppError> {
        Ok(self.store.link_audit(self.audit_signer()).await?)
    }

    /// Covers entries written without the keys (an upgraded database, an administrator
    /// created before `keys init`) with a keyed one, so that from now on a log without MACs
    /// reads as tampered. Called at start-up with the keys; does nothing when the chain
    /// already ends with a keyed entry (or is empty). Returns whether it appended.
    pub async fn anchor_audit_chain(&self) -> Result<bool, AppError> {
        self.vault()?;
        self.link_audit().await?;
        let mut tx = self.store.write().await?;
        let Some(head) = tx.audit_head().await? else {
            return Ok(false);
        };
        if head.seq == 0 || head.mac.is_some() {
            return Ok(false);
        }
        let entry = NewAuditEntry {
            id: Uuid::now_v7(),
            at: self.now(),
            actor_id: None,
            actor_name: format!("tripdesk@{}", self.node()),
            action: AuditAction::AuditChainKeyed.code().into(),
            entity_type: "audit".into(),
            entity_id: None,
            summary: serde_json::json!({ "covers_up_to": head.seq }).to_string(),
        };
        self.append_audit(&mut *tx, &entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Browses the log (needs `view_audit`).
    pub async fn list_audit(
        &self,
        principal: &Principal,
        filter: &AuditFilter,
    ) -> Result<AuditPage, AppError> {
        principal.require(Permission::ViewAudit)?;
        let mut tx = self.store.read().await?;
        let entries = tx.list_audit(filter).await?;
        let total = tx.count_audit(filter).await?;
        Ok(AuditPage { entries, total })
    }

    /// Walks the whole chain in one read snapshot, checking the MACs when the app holds the
    /// vault keys. The outer error is the database's; the inner one names the first broken
    /// entry (or the missing head).
    pub async fn verify_audit(&self) -> Result<Result<AuditVerified, ChainBreak>, AppError> {
        // Entries committed before now are in the chain that is checked.
        self.link_audit().await?;
        let mut tx = self.store.read().await?;
        let key = self.vault.clone().map(AuditKey);
        let mut verifier = match &key {
            Some(k) => ChainVerifier::keyed(k),
            None => ChainVerifier::default(),
        };
        loop {
            let batch = tx.audit_chain(verifier.last_seq(), 1000).await?;
            if batch.is_empty() {
                break;
            }
            for entry in &batch {
                let texts = entry.id_texts();
                if let Err(broken) =
                    verifier.check(&entry.link(&texts), &entry.hash, entry.mac.as_deref())
                {
                    return Ok(Err(broken));
                }
            }
        }
        let head = tx.audit_head().await?;
        Ok(verifier
            .finish(
                head.as_ref()
                    .map(|h| (h.seq, h.hash.as_str(), h.mac.as_deref())),
            )
            .map(|()| {
                let head = head.expect("finish refuses a missing head");
                AuditVerified {
                    entries: verifier.checked(),
                    head_seq: head.seq,
                    head_hash: head.hash,
                    first_keyed: verifier.first_keyed(),
                    keyed: key.is_some(),
                }
            }))
    }
}

/// How long the linker waits for a wake-up before it looks at the queue anyway: entries
/// queued by other nodes' commits (which wake their own node's linker) or left by a node
/// that stopped.
const LINK_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// The background task of `tripdesk serve` that links queued audit entries into the chain
/// (`App::link_audit`): woken by this node's commits that queued entries, and every
/// [`LINK_EVERY`]. One call per round, so it can move onto any job runner as it is.
pub struct AuditLinker {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl AuditLinker {
    pub fn spawn(app: App) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let queued = app.store.audit_queued_signal();
        app.store.queue_audit(true);
        let task = tokio::spawn(async move {
            loop {
                if let Err(e) = app.link_audit().await {
                    tracing::warn!(error = %e, "audit linker: cannot link queued entries");
                }
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = queued.notified() => {}
                    () = tokio::time::sleep(LINK_EVERY) => {}
                }
            }
            // What the last commits queued goes into the chain before the store closes, and
            // writes from now on chain at commit.
            app.store.queue_audit(false);
            if let Err(e) = app.link_audit().await {
                tracing::warn!(error = %e, "audit linker: cannot link queued entries");
            }
        });
        Self { task, stop }
    }

    /// Links what is queued and stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::changes;
    use serde_json::json;

    #[test]
    fn changes_name_each_differing_field_once_with_both_values() {
        let before =
            json!({ "amount": 240, "calendar": "cn-mainland", "enabled": true, "gone": 1 });
        let after =
            json!({ "amount": 120, "calendar": "cn-mainland", "enabled": false, "new": "x" });
        assert_eq!(
            changes(&before, &after),
            json!({
                "amount": { "from": 240, "to": 120 },
                "enabled": { "from": true, "to": false },
                "gone": { "from": 1, "to": null },
                "new": { "from": null, "to": "x" },
            })
        );
        assert_eq!(changes(&after, &after), json!({}));
        assert_eq!(
            changes(&json!(null), &json!({ "a": 1 })),
            json!({ "a": { "from": null, "to": 1 } })
        );
    }
}
