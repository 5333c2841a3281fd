//! PostgreSQL names the ranges of `seq` a search document lies in inside its vector (migration
//! 0065), and a search for a common word looks for its matches in the newest ranges only
//! (`postgres/search.rs`). A PostgreSQL run only: SQLite's FTS5 reads its doclists by rowid.

use sqlx::Connection;
use tripdesk_domain::search::{SearchKind, Term};
use tripdesk_store::{SearchDoc, SearchFilter};
use uuid::Uuid;

/// Documents written: enough that a word in every one of them is looked for among the
/// newest only (the 2,000-match window and a quarter over its share of 1).
const DOCS: usize = 12_000;

/// Whether the `i`th document holds 旧闻: all of the first 8,192, then one in ten. Its share
/// (71 %) puts the range past the first 8,192, where it is in too few documents: the search
/// must widen the range.
fn old_news(i: usize) -> bool {
    i < 8_192 || i.is_multiple_of(10)
}

fn term(token: &str) -> Vec<Term> {
    vec![Term {
        token: token.into(),
        prefix: false,
    }]
}

#[tokio::test]
async fn a_common_word_is_found_in_the_newest_ranges_and_a_document_indexed_again_keeps_its_own() {
    let Some(url) = tripdesk_store_sql::testing::postgres_url() else {
        return;
    };
    let test = tripdesk_store_sql::testing::fresh_postgres(&url).await;
    let tripdesk_store_sql::Location::Postgres(schema_url) = &test.location else {
        unreachable!("a PostgreSQL test store")
    };
    let at: jiff::Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
    let ids: Vec<Uuid> = (0..DOCS).map(|_| Uuid::now_v7()).collect();
    for (c, chunk) in ids.chunks(2_500).enumerate() {
        let docs: Vec<SearchDoc> = chunk
            .iter()
            .enumerate()
            .map(|(j, id)| {
                let i = c * 2_500 + j;
                let mut tokens = vec!["常见".to_string(), "酒店".to_string()];
                if old_news(i) {
                    tokens.push("旧闻".into());
                }
                SearchDoc {
                    kind: SearchKind::Ticket,
                    id: *id,
                    ticket_id: None,
                    at,
                    tokens,
                }
            })
            .collect();
        let mut tx = test.store.write().await.unwrap();
        tx.index_search_docs(&docs).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut sql = sqlx::PgConnection::connect(schema_url).await.unwrap();
    sqlx::query("ANALYZE search_docs")
        .execute(&mut sql)
        .await
        .unwrap();
    let expected = |seq: i64| {
        let mut l = vec![
            format!("~12.{}", seq >> 12),
            format!("~16.{}", seq >> 16),
            format!("~20.{}", seq >> 20),
        ];
        l.sort();
        l
    };
    // Every document holds the three ranges of its own `seq`.
    for doc in [ids[0], ids[DOCS / 2], ids[DOCS - 1]] {
        let (seq, lexemes) = ranges(&mut sql, doc).await;
        assert_eq!(lexemes, expected(seq), "document {seq}");
    }

    // The word is in every document: the search reads only the newest ranges (the statistics
    // give it a share of 1), and finds what ranking every document would: equal scores, so
    // the newest first.
    let mut r = test.store.read().await.unwrap();
    let hits = found(&mut r, term("常见"), 30, 0).await;
    let newest: Vec<Uuid> = ids.iter().rev().take(30).copied().collect();
    assert_eq!(hits, newest);
    // Two common words, and a page past the first.
    let hits = found(&mut r, [term("常见"), term("酒店")].concat(), 10, 1_990).await;
    let page: Vec<Uuid> = ids.iter().rev().skip(1_990).take(10).copied().collect();
    assert_eq!(hits, page);
    // A word whose newest documents hold it less often than the rest: the first range holds
    // too few of its matches, and the search widens it until the window is full.
    let hits = found(&mut r, term("旧闻"), 50, 350).await;
    let holding: Vec<Uuid> = (0..DOCS)
        .rev()
        .filter(|i| old_news(*i))
        .map(|i| ids[i])
        .collect();
    assert_eq!(
        hits,
        holding[350..400].to_vec(),
        "the page straddles the sparse newest documents and the dense older ones"
    );
    drop(r);

    // An old document indexed again keeps its row and its `seq`, and the ranges of that
    // `seq`, not those of the number its insert proposed (past the newest).
    let old = ids[10];
    let (seq_before, _) = ranges(&mut sql, old).await;
    let mut tx = test.store.write().await.unwrap();
    tx.index_search_doc(&SearchDoc {
        kind: SearchKind::Ticket,
        id: old,
        ticket_id: None,
        at,
        tokens: vec!["常见".into(), "改过".into()],
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (seq, lexemes) = ranges(&mut sql, old).await;
    assert_eq!(seq, seq_before);
    assert_eq!(lexemes, expected(seq));
    assert!(
        !lexemes.contains(&format!("~12.{}", (DOCS as i64 + 1) >> 12)),
        "{lexemes:?}"
    );
    let mut r = test.store.read().await.unwrap();
    let hits = found(&mut r, term("改过"), 10, 0).await;
    assert_eq!(hits, vec![old]);
}

/// A document's `seq` and the range lexemes its vector holds, in order.
async fn ranges(sql: &mut sqlx::PgConnection, doc: Uuid) -> (i64, Vec<String>) {
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM search_docs WHERE doc_id = $1")
        .bind(doc.to_string())
        .fetch_one(&mut *sql)
        .await
        .unwrap();
    let mut lexemes: Vec<String> = sqlx::query_scalar(
        "SELECT u.lexeme FROM search_docs, unnest(tokens) AS u \
         WHERE doc_id = $1 AND u.lexeme LIKE '~%'",
    )
    .bind(doc.to_string())
    .fetch_all(&mut *sql)
    .await
    .unwrap();
    lexemes.sort();
    (seq, lexemes)
}

/// The ids a search of `terms` finds, the page at `offset` of `limit`.
async fn found(
    r: &mut Box<dyn tripdesk_store::Tx>,
    terms: Vec<Term>,
    limit: u32,
    offset: u32,
) -> Vec<Uuid> {
    r.search_docs(&SearchFilter {
        terms,
        limit,
        offset,
        ..Default::default()
    })
    .await
    .unwrap()
    .iter()
    .map(|h| h.id)
    .collect()
}
