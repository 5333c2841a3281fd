// Audit repository, shared by both backends: `include!`d where `Db`, `SqlTx` and
// `AUDIT_HEAD_LOCK` are bound. (This file is not a module of its own.)

use super::{Db, SqlTx, AUDIT_HEAD_LOCK};
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::audit::{entry_mac, head_mac, ChainLink};
use tripdesk_store::{AuditEntry, AuditFilter, AuditHead, AuditRepo, NewAuditEntry, StoreError};

fn audit_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: row.try_get("seq").map_err(err)?,
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        at: ts(row.try_get("at").map_err(err)?)?,
        actor_id: opt_id(row.try_get("actor_id").map_err(err)?)?,
        actor_name: row.try_get("actor_name").map_err(err)?,
        action: row.try_get("action").map_err(err)?,
        entity_type: row.try_get("entity_type").map_err(err)?,
        entity_id: row.try_get("entity_id").map_err(err)?,
        summary: row.try_get("summary").map_err(err)?,
        prev_hash: row.try_get("prev_hash").map_err(err)?,
        hash: row.try_get("hash").map_err(err)?,
        mac: row.try_get("mac").map_err(err)?,
    })
}

fn push_audit_filter(qb: &mut QueryBuilder<'_, Db>, f: &AuditFilter) {
    qb.push(" WHERE 1=1");
    if let Some(actor) = f.actor_id {
        qb.push(" AND actor_id = ").push_bind(actor.to_string());
    }
    if let Some(action) = f.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        if action.ends_with('.') {
            qb.push(" AND substr(action, 1, ")
                .push_bind(action.chars().count() as i32)
                .push(") = ")
                .push_bind(action.to_string());
        } else {
            qb.push(" AND action = ").push_bind(action.to_string());
        }
    }
    if let Some(t) = f.entity_type.as_deref().filter(|t| !t.is_empty()) {
        qb.push(" AND entity_type = ").push_bind(t.to_string());
    }
    if let Some(e) = f.entity_id.as_deref().filter(|e| !e.is_empty()) {
        qb.push(" AND entity_id = ").push_bind(e.to_string());
    }
    if let Some(from) = f.from {
        qb.push(" AND at >= ").push_bind(ms(from));
    }
    if let Some(to) = f.to {
        qb.push(" AND at < ").push_bind(ms(to));
    }
}

impl SqlTx {
    /// Chains and writes the entries this transaction appended; called by `commit` as the
    /// transaction's last statements, so the chain head is the last lock it takes. One head
    /// read (locked on PostgreSQL), one INSERT per entry, one head update. Each entry gets its
    /// MAC, and the head the MAC of its new end, when it was appended with a signer; once the
    /// chain is keyed, an entry without one is refused (`Unavailable`): an unkeyed entry after
    /// keyed ones would read as MACs stripped.
    pub(crate) async fn write_pending_audit(&mut self) -> Result<(), StoreError> {
        if self.pending_audit.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_audit);
        // Lock the head (PostgreSQL: FOR UPDATE; SQLite: the write transaction already holds
        // the database lock), so concurrent appends from any node form one chain.
        let head = sqlx::query(&format!(
            "SELECT seq, hash, mac FROM audit_head WHERE id = 1{AUDIT_HEAD_LOCK}"
        ))
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(err)?
        .ok_or_else(|| {
            StoreError::Corrupt(
                "the audit head row is missing: nothing can be appended to the audit log".into(),
            )
        })?;
        let head_seq: i64 = head.try_get("seq").map_err(err)?;
        let mut prev_hash: String = head.try_get("hash").map_err(err)?;
        let mut keyed = head.try_get::<Option<String>, _>("mac").map_err(err)?.is_some();
        let mut head_mac_now: Option<String> = None;
        let mut seq = head_seq;
        for (e, signer) in &pending {
            if keyed && signer.is_none() {
                return Err(StoreError::Unavailable(
                    "the audit log is keyed: writing to it needs the vault keys".into(),
                ));
            }
            seq += 1;
            let mut entry = AuditEntry {
                seq,
                id: e.id,
                at: e.at,
                actor_id: e.actor_id,
                actor_name: e.actor_name.clone(),
                action: e.action.clone(),
                entity_type: e.entity_type.clone(),
                entity_id: e.entity_id.clone(),
                summary: e.summary.clone(),
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
                mac: None,
            };
            let texts = entry.id_texts();
            let link: ChainLink<'_> = entry.link(&texts);
            entry.hash = link.hash();
            entry.mac = signer.as_deref().map(|s| entry_mac(s, &entry.hash));
            head_mac_now = signer.as_deref().map(|s| head_mac(s, entry.seq, &entry.hash));
            keyed |= signer.is_some();
            sqlx::query(
                "INSERT INTO audit_log (seq, id, at, actor_id, actor_name, action, entity_type, \
                 entity_id, summary, prev_hash, hash, mac) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(entry.seq)
            .bind(entry.id.to_string())
            .bind(ms(entry.at))
            .bind(entry.actor_id.map(|a| a.to_string()))
            .bind(&entry.actor_name)
            .bind(&entry.action)
            .bind(&entry.entity_type)
            .bind(&entry.entity_id)
            .bind(&entry.summary)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .bind(&entry.mac)
            .execute(&mut *self.tx)
            .await
            .map_err(err)?;
            prev_hash = entry.hash;
        }
        let moved = sqlx::query(
            "UPDATE audit_head SET seq = $1, hash = $2, mac = $4 WHERE id = 1 AND seq = $3",
        )
        .bind(seq)
        .bind(&prev_hash)
        .bind(head_seq)
        .bind(&head_mac_now)
        .execute(&mut *self.tx)
        .await
        .map_err(err)?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Other("the audit chain head moved during an append".into()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl AuditRepo for SqlTx {
    async fn append_audit(
        &mut self,
        e: &NewAuditEntry,
        signer: Option<tripdesk_store::AuditSigner>,
    ) -> Result<(), StoreError> {
        // Written by `write_pending_audit` at commit (see the trait).
        self.pending_audit.push((e.clone(), signer));
        Ok(())
    }

    async fn list_audit(&mut self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT * FROM audit_log");
        push_audit_filter(&mut qb, f);
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn count_audit(&mut self, f: &AuditFilter) -> Result<u64, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM audit_log");
        push_audit_filter(&mut qb, f);
        let row = qb.build().fetch_one(&mut *self.tx).await.map_err(err)?;
        Ok(row.try_get::<i64, _>("n").map_err(err)? as u64)
    }

    async fn audit_chain(&mut self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_head(&mut self) -> Result<Option<AuditHead>, StoreError> {
        let row = sqlx::query("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(err)?;
        row.map(|row| {
            Ok(AuditHead {
                seq: row.try_get("seq").map_err(err)?,
                hash: row.try_get("hash").map_err(err)?,
                mac: row.try_get("mac").map_err(err)?,
            })
        })
        .transpose()
    }
}
