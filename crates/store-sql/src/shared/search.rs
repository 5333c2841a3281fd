// The full-text search index, shared by both backends: `include!`d where `Db`, `SqlTx` and
// `FTS5` are bound. The tokens come made (tripdesk_domain::search); each backend only stores
// and matches them: SQLite in the FTS5 table `search_fts` (rowid = `search_docs.seq`),
// PostgreSQL in `search_docs.tokens`, a `tsvector` written as a literal (the lexemes are
// exactly the tokens) under a GIN index. Migration 0035. On SQLite a write transaction stages
// its documents' tokens and the batch's COMMIT writes them into FTS5 (`sqlite/search.rs`,
// `write_staged`); PostgreSQL writes them at once. How each backend finds and ranks a
// search's newest matches is its own: `sqlite/search.rs` and `postgres/search.rs`, included
// after this file, each define `search`.

use super::{Db, SqlTx, FTS5};
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::{QueryBuilder, Row};
use std::collections::BTreeMap;
use tripdesk_domain::search::{SearchKind, Term};
use tripdesk_store::{SearchDoc, SearchFilter, SearchHit, SearchRepo, StoreError};
use uuid::Uuid;

/// PostgreSQL keeps positions up to this one and at most 256 per lexeme.
const MAX_POSITION: usize = 16_383;
const MAX_POSITIONS_PER_TOKEN: usize = 255;

/// A token quoted for a `tsvector` or `tsquery` literal.
fn pg_quote(token: &str) -> String {
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

/// The `tsvector` literal of a document's tokens, with positions (ranking counts them).
fn tsvector_literal(tokens: &[String]) -> String {
    let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in tokens.iter().enumerate() {
        let p = positions.entry(t.as_str()).or_default();
        let pos = (i + 1).min(MAX_POSITION);
        if p.len() < MAX_POSITIONS_PER_TOKEN && p.last() != Some(&pos) {
            p.push(pos);
        }
    }
    let mut out = String::new();
    for (token, ps) in positions {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&pg_quote(token));
        out.push(':');
        let list: Vec<String> = ps.iter().map(usize::to_string).collect();
        out.push_str(&list.join(","));
    }
    out
}

/// On SQLite a document's `seq` (the FTS5 rowid) holds its kind in its lowest bits
/// (`kind_code`), so a search filtered by kind reads it from the rowid the index gives rather
/// than from each match's row (`sqlite/search.rs`, migration 0064).
const KIND_BITS: u32 = 2;

/// A kind's code in the lowest [`KIND_BITS`] of its documents' `seq` on SQLite.
pub(super) fn kind_code(kind: SearchKind) -> i64 {
    match kind {
        SearchKind::Ticket => 0,
        SearchKind::Message => 1,
        SearchKind::Booking => 2,
        SearchKind::Product => 3,
        // Never indexed (`check_indexed` refuses them before a `seq` is made).
        SearchKind::Customer => 0,
    }
}

/// The match expression: every term (FTS5 query syntax, or a `tsquery`).
fn match_expression(terms: &[Term]) -> String {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| {
            if FTS5 {
                // Tokens hold no `"`: only letters, digits and CJK characters.
                format!("\"{}\"{}", t.token, if t.prefix { "*" } else { "" })
            } else {
                format!("{}{}", pg_quote(&t.token), if t.prefix { ":*" } else { "" })
            }
        })
        .collect();
    parts.join(if FTS5 { " AND " } else { " & " })
}

/// How many of the newest matches a search ranks: a word in a third of a million tickets
/// would otherwise be ranked in all of them for every page (seconds); an agent looks for a
/// recent case, and the best of the 2,000 newest is what the first pages show.
const RANK_WINDOW: u32 = 2_000;

/// Documents written by one statement of a bulk write (five parameters each, well inside
/// both databases' limits).
const DOCS_PER_STATEMENT: usize = 1_000;

/// Whether a search filters on the document's row (`search_docs d`) or its ticket.
fn filters_documents(f: &SearchFilter, kinds: &[SearchKind]) -> bool {
    kinds.len() < SearchKind::INDEXED.len() || reads_more_than_kind(f)
}

/// Whether the filter reads more of a document than its kind: its ticket or its time.
fn reads_more_than_kind(f: &SearchFilter) -> bool {
    f.ticket_groups.is_some() || f.state.is_some() || f.level.is_some() || f.group_id.is_some() || f.from.is_some() || f.until.is_some()
}

/// ` FROM … WHERE …`: the documents holding every term, of `kinds`, inside the filter. On
/// SQLite the documents' rows are joined only when the filter reads them (a search of
/// everything ranks the index alone and reads the page's rows after).
fn push_from_where(qb: &mut QueryBuilder<'_, Db>, f: &SearchFilter, kinds: &[SearchKind], expression: &str) {
    if FTS5 {
        qb.push(" FROM search_fts");
        if filters_documents(f, kinds) {
            qb.push(" JOIN search_docs d ON d.seq = search_fts.rowid");
        }
    } else {
        qb.push(" FROM search_docs d");
    }
    let ticket_filter = f.state.is_some() || f.level.is_some() || f.group_id.is_some();
    let scoped = f.ticket_groups.as_ref().is_some_and(|g| !g.is_empty());
    if ticket_filter || scoped {
        qb.push(" LEFT JOIN tickets t ON t.id = d.ticket_id");
    }
    if FTS5 {
        qb.push(" WHERE search_fts MATCH ").push_bind(expression.to_string());
    } else {
        qb.push(" WHERE d.tokens @@ CAST(").push_bind(expression.to_string()).push(" AS tsquery)");
    }
    if kinds.len() < SearchKind::INDEXED.len() {
        qb.push(" AND d.kind IN (");
        let mut list = qb.separated(", ");
        for k in kinds {
            list.push_bind(k.as_str());
        }
        list.push_unseparated(")");
    }
    match f.ticket_groups.as_deref() {
        None => {}
        Some([]) => {
            qb.push(" AND d.ticket_id IS NULL");
        }
        Some(groups) => {
            qb.push(" AND (d.ticket_id IS NULL OR t.group_id IN (");
            let mut list = qb.separated(", ");
            for g in groups {
                list.push_bind(g.to_string());
            }
            list.push_unseparated("))");
        }
    }
    if let Some(state) = f.state {
        qb.push(" AND t.state = ").push_bind(state.as_str());
    }
    if let Some(level) = f.level {
        qb.push(" AND t.priority = ").push_bind(level.priority());
    }
    if let Some(group) = f.group_id {
        qb.push(" AND t.group_id = ").push_bind(group.to_string());
    }
    if let Some(from) = f.from {
        qb.push(" AND d.at >= ").push_bind(ms(from));
    }
    if let Some(until) = f.until {
        qb.push(" AND d.at < ").push_bind(ms(until));
    }
}

/// A result row (`kind`, `doc_id`, `ticket_id`, `at`) as a hit with its score.
fn hit(r: &<Db as sqlx::Database>::Row, score: f64) -> Result<SearchHit, StoreError> {
    Ok(SearchHit {
        kind: kind_of(&r.try_get::<String, _>("kind").map_err(err)?)?,
        id: id(&r.try_get::<String, _>("doc_id").map_err(err)?)?,
        ticket_id: opt_id(r.try_get("ticket_id").map_err(err)?)?,
        at: ts(r.try_get("at").map_err(err)?)?,
        score,
    })
}

fn kind_of(text: &str) -> Result<SearchKind, StoreError> {
    SearchKind::parse(text).ok_or_else(|| StoreError::Corrupt("unknown search document kind".into()))
}

fn check_indexed(kind: SearchKind) -> Result<(), StoreError> {
    if SearchKind::INDEXED.contains(&kind) {
        Ok(())
    } else {
        Err(StoreError::Other(format!("{} documents are not indexed", kind.as_str())))
    }
}

#[async_trait::async_trait]
impl SearchRepo for SqlTx {
    async fn index_search_docs(&mut self, docs: &[SearchDoc]) -> Result<(), StoreError> {
        // The one way documents are written, one or many (`index_search_doc` is this with
        // one). Many per statement: SQLite's FTS5 writes its pending tokens out as a new
        // segment at the end of each statement, so one statement per document left a segment
        // per document for the merges to fold (most of a bulk seeding's time at a million).
        for d in docs {
            check_indexed(d.kind)?;
        }
        // Of one id written twice in the call, the later document stands (as one by one).
        let last: std::collections::HashMap<Uuid, usize> = docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
        let docs: Vec<&SearchDoc> = docs.iter().enumerate().filter(|(i, d)| last[&d.id] == *i).map(|(_, d)| d).collect();
        for chunk in docs.chunks(DOCS_PER_STATEMENT) {
            if FTS5 {
                // Those already indexed (a rebuild) leave first, tokens and row, and are
                // written again below with the rest.
                let mut qb = QueryBuilder::<Db>::new("SELECT seq FROM search_docs WHERE doc_id IN (");
                let mut ids = qb.separated(", ");
                for d in chunk {
                    ids.push_bind(d.id.to_string());
                }
                qb.push(")");
                let existing: Vec<i64> = qb.build_query_scalar().fetch_all(self.db().await?).await.map_err(err)?;
                if !existing.is_empty() {
                    for table in ["search_fts WHERE rowid", "temp.search_fts_staged WHERE rowid", "search_docs WHERE seq"] {
                        let mut qb = QueryBuilder::<Db>::new(format!("DELETE FROM {table} IN ("));
                        let mut seqs = qb.separated(", ");
                        for seq in &existing {
                            seqs.push_bind(*seq);
                        }
                        qb.push(")");
                        qb.build().execute(self.db().await?).await.map_err(err)?;
                    }
                }
                // Each `seq` carries the document's kind in its two lowest bits, so a search
                // filtered by kind reads it from the index's rowid, not from the row
                // (`KIND_BITS`); the rest keeps counting up.
                let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM search_docs").fetch_one(self.db().await?).await.map_err(err)?;
                let next = (newest.unwrap_or(0) >> KIND_BITS) + 1;
                let rows: Vec<(i64, &SearchDoc)> = chunk.iter().enumerate().map(|(i, d)| (((next + i as i64) << KIND_BITS) | kind_code(d.kind), *d)).collect();
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO search_docs (seq, doc_id, kind, ticket_id, at) ");
                qb.push_values(&rows, |mut row, (seq, d)| {
                    row.push_bind(*seq)
                        .push_bind(d.id.to_string())
                        .push_bind(d.kind.as_str())
                        .push_bind(d.ticket_id.map(|t| t.to_string()))
                        .push_bind(ms(d.at));
                });
                qb.build().execute(self.db().await?).await.map_err(err)?;
                let rows: Vec<(i64, String)> = rows.iter().map(|(seq, d)| (*seq, d.tokens.join(" "))).collect();
                // Staged: the batch's COMMIT writes them into `search_fts` (`sqlite/search.rs`).
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO temp.search_fts_staged (rowid, tokens) ");
                qb.push_values(rows, |mut row, (seq, tokens)| {
                    row.push_bind(seq).push_bind(tokens);
                });
                qb.build().execute(self.db().await?).await.map_err(err)?;
            } else {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO search_docs (doc_id, kind, ticket_id, at, tokens) ");
                qb.push_values(chunk, |mut row, d| {
                    row.push_bind(d.id.to_string())
                        .push_bind(d.kind.as_str())
                        .push_bind(d.ticket_id.map(|t| t.to_string()))
                        .push_bind(ms(d.at))
                        .push("CAST(")
                        .push_bind_unseparated(tsvector_literal(&d.tokens))
                        .push_unseparated(" AS tsvector)");
                });
                // A document indexed again keeps its row and `seq`: the ranges the insert's
                // trigger gave the proposed `seq` are swapped for the row's (migration 0065).
                qb.push(
                    " ON CONFLICT (doc_id) DO UPDATE SET kind = EXCLUDED.kind, \
                     ticket_id = EXCLUDED.ticket_id, at = EXCLUDED.at, \
                     tokens = ts_delete(EXCLUDED.tokens, search_seq_lexemes(EXCLUDED.seq)) \
                     || array_to_tsvector(search_seq_lexemes(search_docs.seq))",
                );
                qb.build().execute(self.db().await?).await.map_err(err)?;
            }
        }
        Ok(())
    }

    async fn remove_search_doc(&mut self, doc: Uuid) -> Result<bool, StoreError> {
        let conn = self.db().await?;
        let seq: Option<i64> = sqlx::query_scalar("DELETE FROM search_docs WHERE doc_id = $1 RETURNING seq")
            .bind(doc.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(err)?;
        if let (true, Some(seq)) = (FTS5, seq) {
            for table in ["search_fts", "temp.search_fts_staged"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE rowid = $1"))
                    .bind(seq)
                    .execute(&mut *conn)
                    .await
                    .map_err(err)?;
            }
        }
        Ok(seq.is_some())
    }

    async fn clear_search_docs(&mut self, kinds: &[SearchKind]) -> Result<u64, StoreError> {
        let conn = self.db().await?;
        let mut removed = 0;
        for kind in kinds {
            if FTS5 {
                for table in ["search_fts", "temp.search_fts_staged"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE rowid IN (SELECT seq FROM search_docs WHERE kind = $1)"))
                        .bind(kind.as_str())
                        .execute(&mut *conn)
                        .await
                        .map_err(err)?;
                }
            }
            removed += sqlx::query("DELETE FROM search_docs WHERE kind = $1")
                .bind(kind.as_str())
                .execute(&mut *conn)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(removed)
    }

    async fn search_docs(&mut self, f: &SearchFilter) -> Result<Vec<SearchHit>, StoreError> {
        if f.terms.is_empty() {
            return Err(StoreError::Other("a search needs at least one term".into()));
        }
        let kinds: Vec<SearchKind> = if f.kinds.is_empty() {
            SearchKind::INDEXED.to_vec()
        } else {
            f.kinds.iter().copied().filter(|k| SearchKind::INDEXED.contains(k)).collect()
        };
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let expression = match_expression(&f.terms);
        // The newest `window` matches are ranked (or as far as the page reaches); `search` is
        // the backend's own (`sqlite/search.rs`, `postgres/search.rs`).
        let window = RANK_WINDOW.max(f.offset.saturating_add(f.limit));
        write_staged(self).await?;
        search(self.db().await?, f, &kinds, &expression, window).await
    }

    async fn count_search_docs(&mut self, kind: SearchKind) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_docs WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(self.db().await?)
            .await
            .map_err(err)?;
        Ok(n as u64)
    }

    async fn compact_search_index(&mut self) -> Result<(), StoreError> {
        if FTS5 {
            write_staged(self).await?;
            sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn search_doc_ticket(&mut self, doc: Uuid) -> Result<Option<Uuid>, StoreError> {
        let ticket: Option<Option<String>> = sqlx::query_scalar("SELECT ticket_id FROM search_docs WHERE doc_id = $1")
            .bind(doc.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        opt_id(ticket.flatten())
    }

    async fn ticket_search_docs(&mut self, ticket_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT doc_id FROM search_docs WHERE ticket_id = $1 ORDER BY doc_id")
            .bind(ticket_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        ids.iter().map(|i| id(i)).collect()
    }
}
