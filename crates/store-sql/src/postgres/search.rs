// PostgreSQL's half of the search index's queries: `include!`d into `shared_search` after
// `shared/search.rs`, whose helpers it uses (`push_from_where`, `hit`).

/// Nothing is staged here: a document's `tsvector` is written with it (`shared/search.rs`).
async fn write_staged(_: &mut SqlTx) -> Result<(), StoreError> {
    Ok(())
}

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The share of documents holding each of the commonest tokens, as `ANALYZE` last sampled
/// them (`pg_stats.most_common_elems` of `search_docs.tokens`, 10,000 lexemes since
/// migration 0063). A token not listed is in fewer documents than any listed.
type TokenShares = HashMap<String, f32>;

/// How long the shares read from the catalogue are used before they are read again (reading
/// them parses 10,000 lexemes: about 10 ms, too much for every search; they change only
/// with the next `ANALYZE`).
const SHARES_FOR: Duration = Duration::from_secs(300);

type SharesCache = Mutex<HashMap<(String, String), (Instant, Arc<TokenShares>)>>;

/// The shares of one database and schema (tests run many schemas in one process).
async fn token_shares(conn: &mut <Db as sqlx::Database>::Connection, database: String, schema: String) -> Result<Arc<TokenShares>, StoreError> {
    static CACHE: std::sync::OnceLock<SharesCache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (database, schema);
    if let Some((read, shares)) = cache.lock().expect("the shares cache").get(&key) {
        if read.elapsed() < SHARES_FOR {
            return Ok(shares.clone());
        }
    }
    let rows: Vec<(String, f32)> = sqlx::query_as(
        "SELECT e.l, e.f FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(l, f) \
         WHERE s.schemaname = current_schema() AND s.tablename = 'search_docs' AND s.attname = 'tokens' \
           AND e.l IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    // (The shares run three longer than the lexemes: the least, the greatest, and the share
    // of empty vectors, each paired with a null lexeme.)
    let shares: TokenShares = rows.into_iter().collect();
    let shares = Arc::new(shares);
    cache.lock().expect("the shares cache").insert(key, (Instant::now(), shares.clone()));
    Ok(shares)
}

/// Where the search starts looking: the lowest `seq` of the newest documents that probably
/// hold the newest `window` matches, or `None` for every document. A search for a word in a
/// third of the documents finds its 2,000 newest matches among the newest 6,000 or so;
/// looking only there spares the GIN bitmap of 330,000 documents, or a walk of the primary
/// key reading every row. Every result holds every term, so the rarest term bounds the
/// estimate; a term not among the commonest is rare (its matches are few): every document.
/// Only an estimate: `search` widens the range when it holds too few matches.
async fn first_bound(conn: &mut <Db as sqlx::Database>::Connection, terms: &[Term], window: u32) -> Result<(Option<i64>, i64, f32), StoreError> {
    let (newest, database, schema): (Option<i64>, String, String) =
        sqlx::query_as("SELECT (SELECT MAX(seq) FROM search_docs), current_database()::text, current_schema()::text")
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
    let newest = newest.unwrap_or(0);
    let tokens: Vec<&str> = terms.iter().filter(|t| !t.prefix).map(|t| t.token.as_str()).collect();
    if tokens.is_empty() {
        return Ok((None, newest, 0.0));
    }
    let shares = token_shares(&mut *conn, database, schema).await?;
    let mut rarest = f32::INFINITY;
    for t in tokens {
        match shares.get(t) {
            Some(share) => rarest = rarest.min(*share),
            None => return Ok((None, newest, 0.0)),
        }
    }
    // Twice the expected reach: the share is a sample's, and recent documents may differ.
    let span = (2.0 * f64::from(window) / f64::from(rarest.max(1e-9))).ceil() as i64;
    Ok(((span < newest).then_some(newest - span), newest, rarest))
}

/// The share of documents holding a word below which its range is read through bitmaps.
const BITMAP_BELOW: f32 = 0.15;

/// How many times wider a range too short for the window is made, until it holds every
/// document.
const SPAN_GROWTH: i64 = 8;

/// PostgreSQL's search: the newest `window` matches ranked with `ts_rank`, the page taken, in
/// one statement: the matches are read newest first among the newest documents
/// (`first_bound`), and again over a wider range when that range holds fewer than the
/// window, so the result is that of ranking the newest matches of every document.
async fn search(
    conn: &mut <Db as sqlx::Database>::Connection,
    f: &SearchFilter,
    kinds: &[SearchKind],
    expression: &str,
    window: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    let (mut bound, newest, share) = first_bound(&mut *conn, &f.terms, window).await?;
    loop {
        // Below this share the range's matches are fetched through the bitmaps of the GIN
        // index and the primary key, not by walking the key backwards and testing each row's
        // vector (about 1.5 µs a row, which the planner does not count: 140,000 rows for a
        // word in 1.4 % of the documents). Above it the walk is shorter than the bitmap.
        let bitmaps = bound.is_some() && share < BITMAP_BELOW;
        if bitmaps {
            sqlx::query("SET LOCAL enable_indexscan = off").execute(&mut *conn).await.map_err(err)?;
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "WITH m AS MATERIALIZED (SELECT d.seq, d.kind, d.doc_id, d.ticket_id, d.at, d.tokens",
        );
        push_from_where(&mut qb, f, kinds, expression);
        if let Some(bound) = bound {
            // A number, not a subquery: the planner weighs the range it really is.
            qb.push(format!(" AND d.seq > {bound}"));
        }
        qb.push(" ORDER BY d.seq DESC LIMIT ")
            .push_bind(i64::from(window))
            .push(
                ") SELECT c.found, p.kind, p.doc_id, p.ticket_id, p.at, p.score \
                 FROM (SELECT COUNT(*) AS found FROM m) c LEFT JOIN LATERAL \
                 (SELECT m.seq, m.kind, m.doc_id, m.ticket_id, m.at, ts_rank(m.tokens, CAST(",
            )
            .push_bind(expression.to_string())
            .push(" AS tsquery)) AS score FROM m ORDER BY score DESC, m.seq DESC LIMIT ")
            .push_bind(i64::from(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset))
            .push(") p ON TRUE ORDER BY p.score DESC, p.seq DESC");
        // Planned for these words each time (an unnamed statement): one plan made for any
        // word walked the whole primary key backwards for a word no document holds.
        let rows = qb.build().persistent(false).fetch_all(&mut *conn).await.map_err(err)?;
        if bitmaps {
            sqlx::query("SET LOCAL enable_indexscan = on").execute(&mut *conn).await.map_err(err)?;
        }
        let found: i64 = match rows.first() {
            Some(r) => r.try_get("found").map_err(err)?,
            None => 0,
        };
        if let Some(b) = bound {
            if found < i64::from(window) {
                // Too few in the range: a wider one, at last every document.
                let span = (newest - b).saturating_mul(SPAN_GROWTH);
                bound = (span < newest).then_some(newest - span);
                continue;
            }
        }
        return rows
            .iter()
            .filter(|r| r.try_get::<Option<String>, _>("doc_id").ok().flatten().is_some())
            .map(|r| hit(r, f64::from(r.try_get::<f32, _>("score").map_err(err)?)))
            .collect();
    }
}
