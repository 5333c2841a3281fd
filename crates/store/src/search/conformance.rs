//! Conformance checks of the search index (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! search_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            search_finds_words_in_either_script, search_documents_are_replaced_and_removed,
            search_documents_are_written_in_bulk,
            search_keeps_to_the_scope_and_filters, search_ranks_and_pages,
            search_ranks_the_newest_matches_wherever_they_are);
    };
}

use crate::conformance::sample_department;
use crate::desk::conformance::sample_ticket;
use crate::*;
use jiff::Timestamp;
use std::sync::OnceLock;
use tripdesk_domain::desk::{Level, State};
use tripdesk_domain::search::{Analyzer, Query, SearchKind};
use uuid::Uuid;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::new)
}

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn doc(kind: SearchKind, ticket: Option<Uuid>, at: &str, text: &str) -> SearchDoc {
    SearchDoc {
        kind,
        id: Uuid::now_v7(),
        ticket_id: ticket,
        at: t(at),
        tokens: analyzer().index_tokens(text),
    }
}

fn filter(q: &str) -> SearchFilter {
    SearchFilter {
        terms: Query::parse(q).unwrap().terms,
        limit: 50,
        ..Default::default()
    }
}

async fn ids(store: &dyn Store, f: &SearchFilter) -> Vec<Uuid> {
    let mut r = store.read().await.unwrap();
    r.search_docs(f)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

async fn found(store: &dyn Store, q: &str) -> Vec<Uuid> {
    ids(store, &filter(q)).await
}

/// 投訴 finds 投诉 and the reverse; 退款 finds 申请退款; 西海大峡谷 by 西海 and by 大峡谷; an
/// order number in full-width digits; a word being typed, as a prefix.
pub async fn search_finds_words_in_either_script(store: &dyn Store) {
    let traditional = doc(
        SearchKind::Ticket,
        None,
        "2026-05-01T01:00:00Z",
        "客人投訴導遊態度",
    );
    let simplified = doc(
        SearchKind::Message,
        None,
        "2026-05-01T02:00:00Z",
        "客人投诉导游态度",
    );
    let refund = doc(SearchKind::Ticket, None, "2026-05-01T03:00:00Z", "申请退款");
    let canyon = doc(
        SearchKind::Product,
        None,
        "2026-05-01T04:00:00Z",
        "黄山西海大峡谷一日游",
    );
    let order = doc(
        SearchKind::Booking,
        None,
        "2026-05-01T05:00:00Z",
        "确认号 ＢＫ２０２６０８１５",
    );
    let mut tx = store.write().await.unwrap();
    for d in [&traditional, &simplified, &refund, &canyon, &order] {
        tx.index_search_doc(d).await.unwrap();
    }
    // Uncommitted: seen inside the transaction, by nobody else.
    let inside = tx.search_docs(&filter("退款")).await.unwrap();
    assert_eq!(inside.len(), 1);
    assert!(found(store, "退款").await.is_empty());
    tx.commit().await.unwrap();

    let both = [traditional.id, simplified.id];
    for q in ["投诉", "投訴", "導遊", "导游态度"] {
        let mut got = found(store, q).await;
        got.sort();
        let mut want = both.to_vec();
        want.sort();
        assert_eq!(got, want, "{q}");
    }
    assert_eq!(found(store, "退款").await, vec![refund.id]);
    for q in ["西海", "大峡谷", "西海大峡谷", "峡"] {
        assert_eq!(found(store, q).await, vec![canyon.id], "{q}");
    }
    assert!(found(store, "东海").await.is_empty());
    assert_eq!(found(store, "bk20260815").await, vec![order.id]);
    assert_eq!(found(store, "20260815").await, vec![order.id]);
    let typing = Query::parse("bk2026").unwrap().typing("bk2026");
    let hits = ids(
        store,
        &SearchFilter {
            terms: typing.terms,
            limit: 10,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(hits, vec![order.id]);
    let mut r = store.read().await.unwrap();
    assert_eq!(r.count_search_docs(SearchKind::Ticket).await.unwrap(), 2);
    assert_eq!(r.count_search_docs(SearchKind::Product).await.unwrap(), 1);
}

/// Writing a document again replaces its tokens; removing it removes them; a rolled-back
/// transaction leaves the index as it was; clearing a kind leaves the others.
pub async fn search_documents_are_replaced_and_removed(store: &dyn Store) {
    let mut d = doc(SearchKind::Ticket, None, "2026-05-01T01:00:00Z", "申请退款");
    let other = doc(
        SearchKind::Product,
        None,
        "2026-05-01T01:00:00Z",
        "退款政策",
    );
    let mut tx = store.write().await.unwrap();
    tx.index_search_doc(&d).await.unwrap();
    tx.index_search_doc(&other).await.unwrap();
    tx.commit().await.unwrap();

    d.tokens = analyzer().index_tokens("[已删除]");
    let mut tx = store.write().await.unwrap();
    tx.index_search_doc(&d).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(found(store, "退款").await, vec![other.id]);
    assert_eq!(found(store, "已删除").await, vec![d.id]);

    let mut tx = store.write().await.unwrap();
    assert!(tx.remove_search_doc(d.id).await.unwrap());
    assert!(!tx.remove_search_doc(d.id).await.unwrap());
    drop(tx); // rolled back
    assert_eq!(found(store, "已删除").await, vec![d.id]);

    let mut tx = store.write().await.unwrap();
    assert!(tx.remove_search_doc(d.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(found(store, "已删除").await.is_empty());
    let mut r = store.read().await.unwrap();
    assert_eq!(r.count_search_docs(SearchKind::Ticket).await.unwrap(), 0);
    drop(r);

    let mut tx = store.write().await.unwrap();
    tx.index_search_doc(&d).await.unwrap();
    assert_eq!(
        tx.clear_search_docs(&[SearchKind::Ticket, SearchKind::Message])
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(found(store, "退款").await, vec![other.id]);
    assert!(found(store, "已删除").await.is_empty());
}

/// Many documents written at once (past one statement's share) are all found; one already
/// indexed is replaced; of one id written twice in the call, the later stands.
pub async fn search_documents_are_written_in_bulk(store: &dyn Store) {
    let old = doc(
        SearchKind::Ticket,
        None,
        "2026-05-01T01:00:00Z",
        "黄山旧文本",
    );
    let mut tx = store.write().await.unwrap();
    tx.index_search_doc(&old).await.unwrap();
    tx.commit().await.unwrap();

    let mut docs: Vec<SearchDoc> = (0..1_200)
        .map(|_| doc(SearchKind::Ticket, None, "2026-05-02T01:00:00Z", "申请退款"))
        .collect();
    docs[500] = SearchDoc {
        tokens: analyzer().index_tokens("申请退款"),
        ..old.clone()
    };
    let twice = doc(
        SearchKind::Message,
        None,
        "2026-05-02T01:00:00Z",
        "西湖游船",
    );
    docs[3] = twice.clone();
    docs[1_100] = SearchDoc {
        tokens: analyzer().index_tokens("洱海骑行"),
        ..twice.clone()
    };
    let last = doc(SearchKind::Ticket, None, "2026-05-02T01:00:00Z", "丽江古城");
    docs[1_199] = last.clone();
    let mut tx = store.write().await.unwrap();
    tx.index_search_docs(&docs).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    // 1,200 written, one of them twice, one of them the old document: 1,198 tickets.
    assert_eq!(
        r.count_search_docs(SearchKind::Ticket).await.unwrap(),
        1_198
    );
    assert_eq!(r.count_search_docs(SearchKind::Message).await.unwrap(), 1);
    drop(r);
    assert!(
        found(store, "黄山").await.is_empty(),
        "the old text is gone"
    );
    assert!(
        found(store, "西湖").await.is_empty(),
        "the earlier of the two is gone"
    );
    assert_eq!(found(store, "洱海").await, vec![twice.id]);
    assert_eq!(found(store, "丽江").await, vec![last.id]);
    let refunds = ids(
        store,
        &SearchFilter {
            limit: 2_000,
            ..filter("退款")
        },
    )
    .await;
    assert_eq!(refunds.len(), 1_197);
    assert!(refunds.contains(&old.id));
}

/// Ticket and message documents keep to the viewer's groups and to the ticket filters, read
/// from the ticket as it is now; other kinds are not limited by them.
pub async fn search_keeps_to_the_scope_and_filters(store: &dyn Store) {
    let (ga, gb) = (sample_department("SA"), sample_department("SB"));
    let mut ta = sample_ticket("TSA1", Level::Urgent, "2026-05-01T01:00:00Z");
    ta.group_id = Some(ga.id);
    let mut tb = sample_ticket("TSB1", Level::General, "2026-05-02T01:00:00Z");
    tb.group_id = Some(gb.id);
    tb.state = State::Closed;
    let a = doc(
        SearchKind::Ticket,
        Some(ta.id),
        "2026-05-01T01:00:00Z",
        "导游迟到 退款",
    );
    let a_msg = doc(
        SearchKind::Message,
        Some(ta.id),
        "2026-05-01T02:00:00Z",
        "已同意退款",
    );
    let b = doc(
        SearchKind::Ticket,
        Some(tb.id),
        "2026-05-02T01:00:00Z",
        "要求退款",
    );
    let p = doc(
        SearchKind::Product,
        None,
        "2026-05-03T01:00:00Z",
        "退款政策",
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&ga).await.unwrap();
    tx.insert_department(&gb).await.unwrap();
    tx.insert_ticket(&ta).await.unwrap();
    tx.insert_ticket(&tb).await.unwrap();
    for d in [&a, &a_msg, &b, &p] {
        tx.index_search_doc(d).await.unwrap();
    }
    tx.commit().await.unwrap();

    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v
    };
    let all = sorted(vec![a.id, a_msg.id, b.id, p.id]);
    assert_eq!(sorted(found(store, "退款").await), all);
    let scoped = |groups: Vec<Uuid>| SearchFilter {
        ticket_groups: Some(groups),
        ..filter("退款")
    };
    assert_eq!(
        sorted(ids(store, &scoped(vec![ga.id])).await),
        sorted(vec![a.id, a_msg.id, p.id])
    );
    assert_eq!(ids(store, &scoped(vec![])).await, vec![p.id]);
    let closed = SearchFilter {
        state: Some(State::Closed),
        ..filter("退款")
    };
    assert_eq!(ids(store, &closed).await, vec![b.id]);
    let urgent = SearchFilter {
        level: Some(Level::Urgent),
        ..filter("退款")
    };
    assert_eq!(
        sorted(ids(store, &urgent).await),
        sorted(vec![a.id, a_msg.id])
    );
    let group_b_seen_by_a = SearchFilter {
        group_id: Some(gb.id),
        ..scoped(vec![ga.id])
    };
    assert!(ids(store, &group_b_seen_by_a).await.is_empty());
    let messages = SearchFilter {
        kinds: vec![SearchKind::Message],
        ..filter("退款")
    };
    assert_eq!(ids(store, &messages).await, vec![a_msg.id]);
    let customers_only = SearchFilter {
        kinds: vec![SearchKind::Customer],
        ..filter("退款")
    };
    assert!(ids(store, &customers_only).await.is_empty());
    let dated = SearchFilter {
        from: Some(t("2026-05-02T00:00:00Z")),
        until: Some(t("2026-05-03T00:00:00Z")),
        ..filter("退款")
    };
    assert_eq!(ids(store, &dated).await, vec![b.id]);
    // A hit carries its ticket.
    let mut r = store.read().await.unwrap();
    let hits = r.search_docs(&messages).await.unwrap();
    assert_eq!(hits[0].ticket_id, Some(ta.id));
    assert_eq!(hits[0].kind, SearchKind::Message);
    assert_eq!(r.search_doc_ticket(a_msg.id).await.unwrap(), Some(ta.id));
    assert_eq!(r.search_doc_ticket(p.id).await.unwrap(), None);
    assert_eq!(r.search_doc_ticket(Uuid::now_v7()).await.unwrap(), None);
    let mut docs = r.ticket_search_docs(ta.id).await.unwrap();
    docs.sort();
    assert_eq!(docs, sorted(vec![a.id, a_msg.id]));
}

/// A document holding the word more often ranks first; equal ranks come newest first; pages
/// do not overlap.
pub async fn search_ranks_and_pages(store: &dyn Store) {
    let once = doc(
        SearchKind::Ticket,
        None,
        "2026-05-01T01:00:00Z",
        "退款，行程很好，酒店一般",
    );
    let often = doc(
        SearchKind::Ticket,
        None,
        "2026-05-01T00:00:00Z",
        "退款 退款 申请退款",
    );
    let mut tx = store.write().await.unwrap();
    tx.index_search_doc(&once).await.unwrap();
    tx.index_search_doc(&often).await.unwrap();
    let mut same = Vec::new();
    for i in 0..25 {
        let d = doc(
            SearchKind::Product,
            None,
            &format!("2026-06-01T00:{i:02}:00Z"),
            "黄山迎客松",
        );
        tx.index_search_doc(&d).await.unwrap();
        same.push(d.id);
    }
    tx.commit().await.unwrap();
    assert_eq!(found(store, "退款").await, vec![often.id, once.id]);

    let mut seen = Vec::new();
    for page in 0..3 {
        let f = SearchFilter {
            limit: 10,
            offset: page * 10,
            ..filter("迎客松")
        };
        seen.extend(ids(store, &f).await);
    }
    same.reverse();
    assert_eq!(seen, same);
}

/// The newest 2,000 matches are ranked (as far as the page reaches) even when a word common
/// in older documents is rare among the newest: PostgreSQL first looks among the newest
/// documents only, by the word's share of all documents (`ANALYZE`'s), and must widen its
/// range until the window is full. A word in one document of eight is looked for among the
/// newest 32,000 of 40,000 there, through bitmaps (a share under 15 %).
pub async fn search_ranks_the_newest_matches_wherever_they_are(store: &dyn Store) {
    let old = analyzer().index_tokens("黄山日出很美");
    let new_with = analyzer().index_tokens("黄山西湖都去了");
    let new_without = analyzer().index_tokens("西湖游船很好");
    let spring = analyzer().index_tokens("温泉");
    let mut matches = Vec::new();
    let mut springs = Vec::new();
    for chunk in 0..20 {
        let mut tx = store.write().await.unwrap();
        let docs: Vec<SearchDoc> = (0..2_000)
            .map(|i| {
                let n = chunk * 2_000 + i;
                let mut tokens = if n < 24_000 {
                    old.clone()
                } else if n % 20 == 0 {
                    new_with.clone()
                } else {
                    new_without.clone()
                };
                if n % 8 == 0 {
                    tokens.extend(spring.iter().cloned());
                }
                SearchDoc {
                    kind: SearchKind::Ticket,
                    id: Uuid::now_v7(),
                    ticket_id: None,
                    at: t("2026-05-01T00:00:00Z"),
                    tokens,
                }
            })
            .collect();
        let holding = |word: &str| {
            docs.iter()
                .filter(|d| d.tokens.iter().any(|t| t == word))
                .map(|d| d.id)
                .collect::<Vec<_>>()
        };
        matches.extend(holding("黄山"));
        springs.extend(holding("温泉"));
        tx.index_search_docs(&docs).await.unwrap();
        tx.commit().await.unwrap();
    }
    store.settle_after_bulk_load().await.unwrap();
    // 24,800 documents hold the word; 800 of them are among the newest 16,000.
    assert_eq!(matches.len(), 24_800);
    assert_eq!(springs.len(), 5_000);
    matches.reverse();
    springs.reverse();
    let newest = |word: &str, limit: u32| SearchFilter {
        limit,
        ..filter(word)
    };
    let mut got = ids(store, &newest("黄山", 2_010)).await;
    got.sort();
    let mut want = matches[..2_010].to_vec();
    want.sort();
    assert_eq!(got.len(), 2_010);
    assert!(got == want, "the newest 2,010 matches are ranked");
    // A page inside the window comes from it too.
    let page = ids(
        store,
        &SearchFilter {
            limit: 20,
            offset: 1_990,
            ..filter("黄山")
        },
    )
    .await;
    assert_eq!(page.len(), 20);
    assert!(page.iter().all(|id| matches[..2_010].contains(id)));
    // The word in one document of eight: its newest 2,000.
    let mut got = ids(store, &newest("温泉", 2_000)).await;
    got.sort();
    let mut want = springs[..2_000].to_vec();
    want.sort();
    assert!(got == want, "the newest 2,000 matches of 温泉 are ranked");
}
