//! The audit log as the use cases see it: one helper that turns "who did what to which
//! entity" into an entry appended in the same transaction as the change, browsing for
//! supervisors, and verification of the hash chain for `tripdesk audit verify`.
//!
//! Summaries are JSON objects naming what changed. For customers they name fields, never
//! values: an erased customer's personal data must not live on in the (immutable) log.

use crate::{App, AppError, Principal};
use serde_json::Value;
use tripdesk_domain::audit::{ChainBreak, ChainVerifier};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{AuditEntry, AuditFilter, NewAuditEntry, Tx};
use uuid::Uuid;

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
}

impl App {
    /// An entry for `principal` doing `action` on an entity, stamped now.
    pub(crate) fn audit_entry(
        &self,
        principal: &Principal,
        action: &str,
        entity_type: &str,
        entity_id: Option<String>,
        summary: Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            id: Uuid::now_v7(),
            at: self.now(),
            actor_id: (!principal.user_id.is_nil()).then_some(principal.user_id),
            actor_name: principal.username.clone(),
            action: action.into(),
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
        action: &str,
        entity_type: &str,
        entity_id: Option<String>,
        summary: Value,
    ) -> Result<(), AppError> {
        let entry = self.audit_entry(principal, action, entity_type, entity_id, summary);
        Ok(tx.append_audit(&entry).await?)
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

    /// Walks the whole chain in one read snapshot. The outer error is the database's; the
    /// inner one names the first broken entry.
    pub async fn verify_audit(&self) -> Result<Result<AuditVerified, ChainBreak>, AppError> {
        let mut tx = self.store.read().await?;
        let mut verifier = ChainVerifier::default();
        loop {
            let batch = tx.audit_chain(verifier.last_seq(), 1000).await?;
            if batch.is_empty() {
                break;
            }
            for entry in &batch {
                let texts = entry.id_texts();
                if let Err(broken) = verifier.check(&entry.link(&texts), &entry.hash) {
                    return Ok(Err(broken));
                }
            }
        }
        let (head_seq, head_hash) = tx.audit_head().await?;
        Ok(verifier
            .finish(head_seq, &head_hash)
            .map(|()| AuditVerified {
                entries: verifier.checked(),
                head_seq,
                head_hash,
            }))
    }
}
