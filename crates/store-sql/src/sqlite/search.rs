// SQLite's half of the search index's queries: `include!`d into `shared_search` after
// `shared/search.rs`, whose helpers it uses (`push_from_where`, `hit`).

/// The tokens of the documents the open batch's members indexed, until its COMMIT writes
/// them into `search_fts` in one statement (`writer::before_commit`). FTS5 writes the tokens
/// each statement gave it as a new segment of its index, which its merges must later fold
/// together: with every ticket intake writing its own, the segments and their merges were
/// most of what indexing a ticket cost the one writer (docs/PERFORMANCE.md, issue 16). A
/// temporary table of the writer's connection, in memory (`temp_store`): a member's savepoint
/// rolled back takes its staged rows with it, and nothing staged reaches the database file
/// but through `search_fts`.
pub(crate) const CREATE_STAGED: &str =
    "CREATE TEMP TABLE IF NOT EXISTS search_fts_staged (rowid INTEGER PRIMARY KEY, tokens TEXT NOT NULL)";

/// Writes what is staged into `search_fts` before the writer matches or compacts the index
/// itself (a write transaction sees what it indexed). A read transaction has nothing staged.
async fn write_staged(tx: &mut SqlTx) -> Result<(), StoreError> {
    if let super::Conn::Write(_) = tx.tx {
        sqlx::query(super::writer::before_commit!())
            .execute(tx.db().await?)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Matches of a term read to estimate how many documents hold it.
const IDF_SAMPLE: i64 = 200;

/// How many documents were numbered up to `seq` (gaps of deleted ones counted): one per
/// `seq` below `from`, the first `seq` whose low bits carry the kind (migration 0064), and one
/// per four `seq`s from there. What the weights count in, not `seq`s.
pub(super) fn documents_up_to(seq: i64, from: i64) -> i64 {
    if seq < from {
        seq
    } else {
        (from - 1) + (seq >> KIND_BITS) - ((from - 1) >> KIND_BITS)
    }
}

/// Each term's BM25 weight, `ln(1 + (N − n + ½) / (n + ½))` for `n` of `N` documents holding
/// it (as FTS5's `bm25()` has it), with `n` estimated from the term's `IDF_SAMPLE` newest
/// matches: their share of the documents written since the oldest of them, times the
/// documents there are (a term in fewer documents is counted). `bm25()` itself counts every
/// match of every term on each query, which for a common word was most of a search's time.
/// One term needs no weight: it scales every score alike.
async fn idf_weights(conn: &mut <Db as sqlx::Database>::Connection, terms: &[Term]) -> Result<Vec<f64>, StoreError> {
    if terms.len() < 2 {
        return Ok(Vec::new());
    }
    let (newest, from): (Option<i64>, i64) =
        sqlx::query_as("SELECT (SELECT MAX(seq) FROM search_docs), (SELECT from_seq FROM search_fts_kind_coded_from)")
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
    let ordinal = |seq: i64| documents_up_to(seq, from);
    let newest = newest.map(ordinal);
    let documents = newest.unwrap_or(0).max(1) as f64;
    let mut weights = Vec::with_capacity(terms.len());
    for term in terms {
        let (matches, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(rowid) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH $1 \
             ORDER BY rowid DESC LIMIT $2)",
        )
        .bind(match_expression(std::slice::from_ref(term)))
        .bind(IDF_SAMPLE)
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?;
        let holding = match oldest {
            Some(oldest) if matches == IDF_SAMPLE => {
                let oldest = ordinal(oldest);
                let span = (newest.unwrap_or(oldest) - oldest + 1).max(1) as f64;
                (matches as f64 / span).min(1.0) * documents
            }
            _ => matches as f64,
        };
        weights.push((1.0 + (documents - holding + 0.5) / (holding + 0.5)).ln());
    }
    Ok(weights)
}

/// SQLite's search: the `window`-th newest match found in index order without ranking
/// anything, the matches from it on ranked by `tripdesk_rank` in the index alone, and the
/// page's rows read after (see `sqlite/rank.rs`). Filtered by kind alone, the kind is read
/// from the rowid each match comes with (`kind_code`) rather than from its row — a B-tree
/// lookup per match, most of a filtered search's time for a rarer word — as long as the
/// window lies among the documents written so (migration 0064).
async fn search(
    conn: &mut <Db as sqlx::Database>::Connection,
    f: &SearchFilter,
    kinds: &[SearchKind],
    expression: &str,
    window: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    if kinds.len() < SearchKind::INDEXED.len() && !reads_more_than_kind(f) {
        let from: i64 = sqlx::query_scalar("SELECT from_seq FROM search_fts_kind_coded_from")
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
        let coded = Coded { from, kinds };
        let bound = window_bound(&mut *conn, f, &SearchKind::INDEXED, expression, window, Some(&coded)).await?;
        let older: bool = bound.is_none()
            && sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_docs WHERE seq < $1)")
                .bind(from)
                .fetch_one(&mut *conn)
                .await
                .map_err(err)?;
        if !older {
            return ranked(conn, f, &SearchKind::INDEXED, expression, bound, Some(&coded)).await;
        }
    }
    let bound = window_bound(&mut *conn, f, kinds, expression, window, None).await?;
    ranked(conn, f, kinds, expression, bound, None).await
}

/// Kinds read from the rowid: of the documents from `from` on, those of `kinds`.
struct Coded<'a> {
    from: i64,
    kinds: &'a [SearchKind],
}

impl Coded<'_> {
    /// The kinds' codes (the caller bounds the rowid: FTS5 takes one lower bound, and given
    /// two it may use the lower one and rank every match above it).
    fn push_kinds(&self, qb: &mut QueryBuilder<'_, Db>) {
        qb.push(format!(" AND (search_fts.rowid & {}) IN (", (1i64 << KIND_BITS) - 1));
        let mut codes = qb.separated(", ");
        for k in self.kinds {
            codes.push(kind_code(*k).to_string());
        }
        qb.push(")");
    }
}

/// The `window`-th newest match, if there are that many.
async fn window_bound(
    conn: &mut <Db as sqlx::Database>::Connection,
    f: &SearchFilter,
    kinds: &[SearchKind],
    expression: &str,
    window: u32,
    coded: Option<&Coded<'_>>,
) -> Result<Option<i64>, StoreError> {
    let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("SELECT search_fts.rowid");
    push_from_where(&mut qb, f, kinds, expression);
    if let Some(coded) = coded {
        coded.push_kinds(&mut qb);
        qb.push(" AND search_fts.rowid >= ").push_bind(coded.from);
    }
    qb.push(" ORDER BY search_fts.rowid DESC LIMIT 1 OFFSET ").push_bind(i64::from(window - 1));
    qb.build_query_scalar().fetch_optional(&mut *conn).await.map_err(err)
}

/// The page of the matches from `bound` on, ranked.
async fn ranked(
    conn: &mut <Db as sqlx::Database>::Connection,
    f: &SearchFilter,
    kinds: &[SearchKind],
    expression: &str,
    bound: Option<i64>,
    coded: Option<&Coded<'_>>,
) -> Result<Vec<SearchHit>, StoreError> {
    // Equal scores: the later written first.
    let weights = idf_weights(&mut *conn, &f.terms).await?;
    let mut qb: QueryBuilder<'_, Db> =
        QueryBuilder::new("SELECT d.kind, d.doc_id, d.ticket_id, d.at, r.score FROM (SELECT search_fts.rowid AS seq, ");
    qb.push(super::rank::NAME.to_str().expect("an ASCII name")).push("(search_fts");
    for w in weights {
        qb.push(", ").push_bind(w);
    }
    qb.push(") AS score");
    push_from_where(&mut qb, f, kinds, expression);
    if let Some(coded) = coded {
        coded.push_kinds(&mut qb);
    }
    // The window's bound is at or above the coded documents' first `seq` (it was found
    // among them); without one, every coded match is ranked.
    if let Some(lower) = bound.or(coded.map(|c| c.from)) {
        qb.push(" AND search_fts.rowid >= ").push_bind(lower);
    }
    qb.push(" ORDER BY score DESC, search_fts.rowid DESC LIMIT ")
        .push_bind(i64::from(f.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(f.offset))
        .push(") r JOIN search_docs d ON d.seq = r.seq ORDER BY r.score DESC, r.seq DESC");
    let rows = qb.build().fetch_all(&mut *conn).await.map_err(err)?;
    rows.iter().map(|r| hit(r, r.try_get::<f64, _>("score").map_err(err)?)).collect()
}
