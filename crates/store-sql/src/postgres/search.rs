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
async fn first_bound(conn: &mut <Db as sqlx::Database>::Connection, terms: &[Term], window: u32) -> Result<(Option<i64>, i64), StoreError> {
    let (newest, database, schema): (Option<i64>, String, String) =
        sqlx::query_as("SELECT (SELECT MAX(seq) FROM search_docs), current_database()::text, current_schema()::text")
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
    let newest = newest.unwrap_or(0);
    let tokens: Vec<&str> = terms.iter().filter(|t| !t.prefix).map(|t| t.token.as_str()).collect();
    if tokens.is_empty() {
        return Ok((None, newest));
    }
    let shares = token_shares(&mut *conn, database, schema).await?;
    let mut rarest = f32::INFINITY;
    for t in tokens {
        match shares.get(t) {
            Some(share) => rarest = rarest.min(*share),
            None => return Ok((None, newest)),
        }
    }
    // A quarter past the expected reach: the share is a sample's, and recent documents may
    // differ (`search` widens a range that proved too short by what it held).
    let span = (SPAN_SLACK * f64::from(window) / f64::from(rarest.max(1e-9))).ceil() as i64;
    Ok(((span < newest).then_some(newest - span), newest))
}

/// The sizes (as powers of two) of the ranges of `seq` each document's vector names
/// (migration 0065, `search_seq_lexemes`), largest first.
const RANGE_BITS: [u32; 3] = [20, 16, 12];

/// The range lexemes covering every `seq` from about `first` up to `newest` and past it, and
/// the first `seq` they cover. The ranges are of one size at the start, the largest no more
/// than a quarter of the span (so the range grows by at most a quarter: `first` is only an
/// estimate), and as large as they align after, so a span of a million `seq`s takes a dozen.
/// The last may end past `newest`: newer documents are welcome.
fn seq_ranges(first: i64, newest: i64) -> (Vec<String>, i64) {
    let span = newest.saturating_sub(first).max(0);
    let smallest = RANGE_BITS[RANGE_BITS.len() - 1];
    let start_bits = RANGE_BITS.into_iter().find(|b| (4_i64 << b) <= span).unwrap_or(smallest);
    let start = (first.max(0) >> start_bits) << start_bits;
    let mut at = start;
    let mut out = Vec::new();
    while at <= newest {
        let bits = RANGE_BITS.into_iter().find(|b| at & ((1 << b) - 1) == 0).unwrap_or(smallest);
        out.push(pg_quote(&format!("~{bits}.{}", at >> bits)));
        at += 1 << bits;
    }
    (out, start)
}

/// How far past the expected reach of the window a range of the newest documents goes: every
/// match in it is read, so slack costs reads on every search, and too little costs a second
/// statement now and then.
const SPAN_SLACK: f64 = 1.25;

/// The span a range too short for the window is widened to: by the share of matches it held
/// (with the same slack), at least twice and at most eight times as wide (none held).
fn wider_span(span: i64, found: i64, window: u32) -> i64 {
    let needed = SPAN_SLACK * f64::from(window) / (found.max(1) as f64);
    span.saturating_mul((needed.ceil() as i64).clamp(2, 8))
}

/// PostgreSQL's search: the newest `window` matches ranked with `ts_rank`, the page taken, in
/// one statement: the matches are read among the newest documents (`first_bound`), and again
/// over a wider range when that range holds fewer than the window, so the result is that of
/// ranking the newest matches of every document.
async fn search(
    conn: &mut <Db as sqlx::Database>::Connection,
    f: &SearchFilter,
    kinds: &[SearchKind],
    expression: &str,
    window: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    let (mut bound, newest) = first_bound(&mut *conn, &f.terms, window).await?;
    loop {
        // The range is named in the match, so the GIN index intersects the words with it and
        // only the range's matches are read (migration 0065).
        let (matched, start) = match bound {
            Some(b) => {
                let (ranges, start) = seq_ranges(b + 1, newest);
                (format!("({expression}) & ({})", ranges.join(" | ")), Some(start))
            }
            None => (expression.to_string(), None),
        };
        // A bounded search reads those matches through the GIN index alone, never by walking
        // the primary key backwards and testing each row's vector (the planner does not count
        // that test: 140,000 rows for a word in 1.4 % of the documents). And in this process
        // only: two more processes for a search of 20 ms would only make eight searchers at
        // once wait on each other.
        let bitmaps = bound.is_some();
        if bitmaps {
            // (Two statements, one round trip: a plain string goes by the simple protocol.)
            sqlx::Executor::execute(&mut *conn, "SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0")
                .await
                .map_err(err)?;
        }
        // The window carries only each match's `seq` and place in the table (`ctid`): its
        // vector, about 2 KB, is read again only for the window's rows, to rank them, rather
        // than sorted with all the range's matches (which spilled to disk).
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("WITH m AS MATERIALIZED (SELECT d.seq, d.ctid AS place");
        push_from_where(&mut qb, f, kinds, &matched);
        qb.push(" ORDER BY d.seq DESC LIMIT ")
            .push_bind(i64::from(window))
            .push(
                ") SELECT c.found, p.kind, p.doc_id, p.ticket_id, p.at, p.score \
                 FROM (SELECT COUNT(*) AS found FROM m) c LEFT JOIN LATERAL \
                 (SELECT r.seq, r.kind, r.doc_id, r.ticket_id, r.at, ts_rank(r.tokens, CAST(",
            )
            .push_bind(expression.to_string())
            .push(
                " AS tsquery)) AS score FROM search_docs r WHERE r.ctid = ANY (ARRAY(SELECT place FROM m)) \
                 ORDER BY score DESC, r.seq DESC LIMIT ",
            )
            .push_bind(i64::from(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset))
            .push(") p ON TRUE ORDER BY p.score DESC, p.seq DESC");
        // Planned for these words each time (an unnamed statement): one plan made for any
        // word walked the whole primary key backwards for a word no document holds.
        let rows = qb.build().persistent(false).fetch_all(&mut *conn).await.map_err(err)?;
        if bitmaps {
            sqlx::Executor::execute(&mut *conn, "RESET enable_indexscan; RESET max_parallel_workers_per_gather")
                .await
                .map_err(err)?;
        }
        let found: i64 = match rows.first() {
            Some(r) => r.try_get("found").map_err(err)?,
            None => 0,
        };
        if let Some(start) = start {
            if found < i64::from(window) {
                // Too few in the range: a wider one, at last every document.
                let span = wider_span(newest - start, found, window);
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

#[cfg(test)]
mod seq_range_tests {
    use super::*;

    /// The `seq`s a list of range lexemes covers.
    fn covered(ranges: &[String]) -> Vec<(i64, i64)> {
        ranges
            .iter()
            .map(|r| {
                let (bits, n) = r.trim_matches(['\'', '~']).split_once('.').unwrap();
                let (bits, n): (u32, i64) = (bits.parse().unwrap(), n.parse().unwrap());
                (n << bits, (n + 1) << bits)
            })
            .collect()
    }

    #[test]
    fn a_short_range_is_widened_by_what_it_held() {
        // Half the window: two and a half times (rounded up to three) as wide.
        assert_eq!(wider_span(10_000, 1_000, 2_000), 30_000);
        // Nearly all of it: still twice.
        assert_eq!(wider_span(10_000, 1_990, 2_000), 20_000);
        // Nothing, or next to nothing: eight times.
        assert_eq!(wider_span(10_000, 0, 2_000), 80_000);
        assert_eq!(wider_span(10_000, 3, 2_000), 80_000);
        assert_eq!(wider_span(i64::MAX / 2, 0, 2_000), i64::MAX);
    }

    #[test]
    fn the_ranges_cover_every_seq_from_near_the_first_past_the_newest_once() {
        for (first, newest) in [(1, 1), (1, 999_999), (4_095, 4_096), (612_386, 1_000_000), (990_001, 1_000_000), (65_536, 3_000_000), (2_500_000, 9_000_000), (5, 4)] {
            let (lexemes, start) = seq_ranges(first, newest);
            let ranges = covered(&lexemes);
            assert_eq!(ranges[0].0, start);
            // Contiguous, in order, past the newest.
            assert!(ranges.windows(2).all(|w| w[0].1 == w[1].0), "{ranges:?}");
            assert!(ranges.last().unwrap().1 > newest);
            if newest < first {
                assert_eq!(lexemes.len(), 1);
                continue;
            }
            // From the first, or before it by less than a quarter of the span (or one
            // smallest range).
            let span = newest - first;
            assert!(start <= first && (first - start < 4_096 || first - start <= span / 4), "{first}..{newest}: {ranges:?}");
            // Few: at most 15 of each size that does not fit a larger one, then the largest.
            assert!(lexemes.len() <= 30 + span as usize / (1 << 20) + 2, "{first}..{newest}: {}", lexemes.len());
        }
    }
}
