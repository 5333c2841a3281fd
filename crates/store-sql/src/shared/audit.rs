// Audit repository, shared by both backends: `include!`d where `Db`, `SqlTx` and
// `AUDIT_HEAD_LOCK` are bound. (This file is not a module of its own.)

use super::{Db, SqlTx, AUDIT_HEAD_LOCK};
use super::shared_rows::Insert;
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::audit::{entry_mac, head_mac, ChainLink};
use tripdesk_store::{
    AuditEntry, AuditFilter, AuditHead, AuditRepo, AuditSigner, NewAuditEntry, StoreError,
};

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

/// One audit entry with the signer its MAC is computed with (`None`: no MAC).
type Signed<'a> = (&'a NewAuditEntry, Option<&'a AuditSigner>);

/// How many entries one linking transaction takes at most.
const LINK_BATCH: i64 = 1000;

/// Rows per multi-row INSERT into `audit_log` (12 parameters a row).
const INSERT_ROWS: usize = 200;

const AUDIT_LOG_COLUMNS: &str =
    "seq, id, at, actor_id, actor_name, action, entity_type, entity_id, summary, prev_hash, hash, mac";

const ENTRY_COLUMNS: &str = "id, at, actor_id, actor_name, action, entity_type, entity_id, summary";

impl SqlTx {
    /// Writes the entries this transaction appended; called by `commit` as the transaction's
    /// last statements. While the store queues entries (`Store::queue_audit`: PostgreSQL
    /// with a linker running in this process) they go unlinked into `audit_pending` for
    /// `link_pending_audit`, so no row or lock is shared by every writer; otherwise (SQLite,
    /// whose one writer already excludes every other; console commands) they are chained
    /// here. Once the chain is keyed, an entry appended without a signer is refused
    /// (`Unavailable`): an unkeyed entry after keyed ones would read as MACs stripped.
    pub(crate) async fn write_pending_audit(&mut self) -> Result<(), StoreError> {
        if self.pending_audit.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_audit);
        if !self.queue_audit {
            let entries: Vec<Signed<'_>> = pending.iter().map(|(e, s)| (e, s.as_ref())).collect();
            return self.chain_entries(&entries).await;
        }
        // One statement for all of them (an intake appends two: the customer and the ticket).
        // The keyed check reads the head without locking it: once the chain is keyed, every
        // entry must come with a signer.
        let all_signed = pending.iter().all(|(_, signer)| signer.is_some());
        if all_signed {
            // Signed entries need no look at the head: they go with the transaction's next
            // statement (`shared/rows.rs`), its COMMIT's on PostgreSQL.
            for (e, _) in &pending {
                let row = Insert::new("audit_pending", ENTRY_COLUMNS)
                    .val(e.id.to_string())
                    .val(ms(e.at))
                    .val(e.actor_id.map(|a| a.to_string()))
                    .val(&e.actor_name)
                    .val(&e.action)
                    .val(&e.entity_type)
                    .val(&e.entity_id)
                    .val(&e.summary);
                self.insert_row(row).await?;
            }
            self.queued_audit = true;
            return Ok(());
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "INSERT INTO audit_pending ({ENTRY_COLUMNS}) SELECT * FROM ("
        ));
        qb.push_values(&pending, |mut row, (e, _)| {
            row.push_bind(e.id.to_string())
                .push_bind(ms(e.at))
                .push_bind(e.actor_id.map(|a| a.to_string()))
                .push_bind(&e.actor_name)
                .push_bind(&e.action)
                .push_bind(&e.entity_type)
                .push_bind(&e.entity_id)
                .push_bind(&e.summary);
        });
        qb.push(") AS v WHERE ")
            .push_bind(all_signed)
            .push(" OR NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1 AND mac IS NOT NULL)");
        let queued = qb.build().execute(self.db().await?).await.map_err(err)?;
        if queued.rows_affected() != pending.len() as u64 {
            return Err(keyed_needs_signer());
        }
        self.queued_audit = true;
        Ok(())
    }

    /// Links up to `LINK_BATCH` queued entries into the chain, oldest first, each with a MAC
    /// under `signer` when given, and removes them from the queue; returns how many. The
    /// caller makes this transaction the only linker (PostgreSQL: an advisory lock; the head
    /// update is conditional as well) and commits it.
    pub(crate) async fn link_pending_audit(
        &mut self,
        signer: Option<&AuditSigner>,
    ) -> Result<u64, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT pos, {ENTRY_COLUMNS} FROM audit_pending ORDER BY pos LIMIT $1"
        ))
        .bind(LINK_BATCH)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut positions = Vec::with_capacity(rows.len());
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            positions.push(row.try_get::<i64, _>("pos").map_err(err)?);
            entries.push(new_entry_from_row(row)?);
        }
        let signed: Vec<Signed<'_>> = entries.iter().map(|e| (e, signer)).collect();
        self.chain_entries(&signed).await?;
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM audit_pending WHERE pos IN (");
        let mut list = qb.separated(", ");
        for p in &positions {
            list.push_bind(*p);
        }
        qb.push(")");
        let removed = qb.build().execute(self.db().await?).await.map_err(err)?;
        if removed.rows_affected() != positions.len() as u64 {
            return Err(StoreError::Other(
                "queued audit entries were linked by another transaction at the same time".into(),
            ));
        }
        Ok(positions.len() as u64)
    }

    /// Appends `entries` to the end of the chain: one head read (locked on PostgreSQL), one
    /// INSERT per `INSERT_ROWS` entries, one conditional head update. Each entry gets its
    /// MAC, and the head the MAC of its new end, when it comes with a signer; once the chain
    /// is keyed, an entry without one is refused.
    async fn chain_entries(&mut self, entries: &[Signed<'_>]) -> Result<(), StoreError> {
        let head = sqlx::query(&format!(
            "SELECT seq, hash, mac FROM audit_head WHERE id = 1{AUDIT_HEAD_LOCK}"
        ))
        .fetch_optional(self.db().await?)
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
        let mut linked = Vec::with_capacity(entries.len());
        for (e, signer) in entries {
            if keyed && signer.is_none() {
                return Err(keyed_needs_signer());
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
            entry.mac = signer.map(|s| entry_mac(&**s, &entry.hash));
            head_mac_now = signer.map(|s| head_mac(&**s, entry.seq, &entry.hash));
            keyed |= signer.is_some();
            prev_hash = entry.hash.clone();
            linked.push(entry);
        }
        for chunk in linked.chunks(INSERT_ROWS) {
            let mut qb =
                QueryBuilder::<Db>::new(format!("INSERT INTO audit_log ({AUDIT_LOG_COLUMNS}) "));
            qb.push_values(chunk, |mut b, entry| {
                b.push_bind(entry.seq)
                    .push_bind(entry.id.to_string())
                    .push_bind(ms(entry.at))
                    .push_bind(entry.actor_id.map(|a| a.to_string()))
                    .push_bind(entry.actor_name.clone())
                    .push_bind(entry.action.clone())
                    .push_bind(entry.entity_type.clone())
                    .push_bind(entry.entity_id.clone())
                    .push_bind(entry.summary.clone())
                    .push_bind(entry.prev_hash.clone())
                    .push_bind(entry.hash.clone())
                    .push_bind(entry.mac.clone());
            });
            qb.build().execute(self.db().await?).await.map_err(err)?;
        }
        let moved = sqlx::query(
            "UPDATE audit_head SET seq = $1, hash = $2, mac = $4 WHERE id = 1 AND seq = $3",
        )
        .bind(seq)
        .bind(&prev_hash)
        .bind(head_seq)
        .bind(&head_mac_now)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Other("the audit chain head moved during an append".into()));
        }
        Ok(())
    }
}

fn keyed_needs_signer() -> StoreError {
    StoreError::Unavailable("the audit log is keyed: writing to it needs the vault keys".into())
}

fn new_entry_from_row(row: &<Db as sqlx::Database>::Row) -> Result<NewAuditEntry, StoreError> {
    Ok(NewAuditEntry {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        at: ts(row.try_get("at").map_err(err)?)?,
        actor_id: opt_id(row.try_get("actor_id").map_err(err)?)?,
        actor_name: row.try_get("actor_name").map_err(err)?,
        action: row.try_get("action").map_err(err)?,
        entity_type: row.try_get("entity_type").map_err(err)?,
        entity_id: row.try_get("entity_id").map_err(err)?,
        summary: row.try_get("summary").map_err(err)?,
    })
}

/// A queued entry as listings show it: not yet in the chain (`seq` 0, no hash).
fn queued_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AuditEntry, StoreError> {
    let e = new_entry_from_row(row)?;
    Ok(AuditEntry {
        seq: 0,
        id: e.id,
        at: e.at,
        actor_id: e.actor_id,
        actor_name: e.actor_name,
        action: e.action,
        entity_type: e.entity_type,
        entity_id: e.entity_id,
        summary: e.summary,
        prev_hash: String::new(),
        hash: String::new(),
        mac: None,
    })
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
        // Queued entries (not yet linked: the newest) first, then the chain newest first.
        let (limit, offset) = (i64::from(f.limit.clamp(1, 1000)), i64::from(f.offset));
        let mut qb = QueryBuilder::<Db>::new(format!("SELECT {ENTRY_COLUMNS} FROM audit_pending"));
        push_audit_filter(&mut qb, f);
        qb.push(" ORDER BY pos DESC LIMIT ").push_bind(offset + limit);
        let queued = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        let mut out = queued
            .iter()
            .skip(f.offset as usize)
            .map(queued_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let rest = limit - out.len() as i64;
        if rest > 0 {
            let mut qb = QueryBuilder::<Db>::new("SELECT * FROM audit_log");
            push_audit_filter(&mut qb, f);
            qb.push(" ORDER BY seq DESC LIMIT ")
                .push_bind(rest)
                .push(" OFFSET ")
                .push_bind((offset - queued.len() as i64).max(0));
            let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
            for row in &rows {
                out.push(audit_from_row(row)?);
            }
        }
        Ok(out)
    }

    async fn count_audit(&mut self, f: &AuditFilter) -> Result<u64, StoreError> {
        let mut n = 0;
        for table in ["audit_log", "audit_pending"] {
            let mut qb = QueryBuilder::<Db>::new(format!("SELECT COUNT(*) AS n FROM {table}"));
            push_audit_filter(&mut qb, f);
            let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
            n += row.try_get::<i64, _>("n").map_err(err)? as u64;
        }
        Ok(n)
    }

    async fn audit_chain(&mut self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(i64::from(limit.max(1)))
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_head(&mut self) -> Result<Option<AuditHead>, StoreError> {
        let row = sqlx::query("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
            .fetch_optional(self.db().await?)
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
