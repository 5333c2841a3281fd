//! The HTTP benchmarks run end to end at a tiny size, on the backend of the test run, so
//! they cannot rot: `bench tickets` (every 201 counted in the store afterwards) and
//! `bench inbox` (bulk seeding, agents signed in through the form, pages with ticket rows).
//! Their figures are never asserted here; they go to docs/PERFORMANCE.md.

mod common;

use common::BIN;
use std::process::Command;
use tripdesk_store_sql::testing::fresh_store;

/// Runs `tripdesk bench …` on a fresh store; returns its standard output.
async fn bench(args: &[&str]) -> String {
    let store = fresh_store().await;
    store.store.close().await;
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .args(store.location.command_line())
        .env_remove("TRIPDESK_CONFIG")
        .output()
        .expect("run tripdesk bench");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "tripdesk bench {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One table row per level: `concurrency requests seconds rate p50 p99 max`.
fn rows(stdout: &str) -> Vec<(usize, usize)> {
    stdout
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 7 && f.iter().all(|x| x.parse::<f64>().is_ok()))
                .then(|| (f[0].parse().unwrap(), f[1].parse().unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn bench_tickets_runs_and_every_201_is_stored() {
    // Seven returning callers, half the tickets theirs: most customers are found, not made.
    let out = bench(&[
        "tickets",
        "--count",
        "50",
        "--concurrency",
        "1,2",
        "--mix",
        "50",
        "--callers",
        "7",
    ])
    .await;
    assert!(
        out.contains("p50 ms") && out.contains("50% new customers (7 returning callers)"),
        "{out}"
    );
    // The rows carry the server's CPU per ticket, cores used, flushes per ticket, the load
    // generator's cores and the writer's busy share too (a share on SQLite, `?` where
    // writers do not queue for one connection).
    let rows: Vec<(usize, usize)> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let writer = |x: &str| {
                x == "?"
                    || x.parse::<f64>()
                        .is_ok_and(|share| (0.0..=1.05).contains(&share))
            };
            (f.len() == 12 && f[..11].iter().all(|x| x.parse::<f64>().is_ok()) && writer(f[11]))
                .then(|| (f[0].parse().unwrap(), f[1].parse().unwrap()))
        })
        .collect();
    assert_eq!(rows, [(1, 50), (2, 50)], "{out}");
    // The returning callers' first tickets (7, not measured) count among the stored ones.
    assert!(out.contains("7 returning callers created"), "{out}");
    assert!(
        out.contains("answered 201: 107; new tickets in the store: 107"),
        "{out}"
    );
}

#[tokio::test]
async fn bench_inbox_seeds_and_serves_pages() {
    let out = bench(&[
        "inbox",
        "--tickets",
        "3000",
        "--agents",
        "1,2",
        "--pages",
        "20",
    ])
    .await;
    assert!(
        out.contains("seeded 3000 tickets with their SLA clocks"),
        "{out}"
    );
    // The default --at-risk 30 puts clocks of some open tickets at risk.
    let at_risk: u64 = out
        .split(" of them at SLA risk")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no at-risk count in {out}"));
    assert!(at_risk > 0, "{out}");
    assert_eq!(rows(&out), [(1, 20), (2, 20)], "{out}");
}

#[tokio::test]
async fn bench_search_seeds_and_answers_every_class() {
    let out = bench(&[
        "search",
        "--tickets",
        "3000",
        "--searchers",
        "2",
        "--queries",
        "20",
    ])
    .await;
    assert!(out.contains("intake transaction (one at a time)"), "{out}");
    // The 2,000 documents of the intake measurement count: the seeding tops them up.
    assert!(out.contains("seeded 1000 ticket documents"), "{out}");
    // One row per class: `class searchers queries p50 p99 rate`.
    let classes: Vec<&str> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 6
                && f[1] == "2"
                && f[2] == "20"
                && f[3..].iter().all(|x| x.parse::<f64>().is_ok()))
            .then_some(f[0])
        })
        .collect();
    assert_eq!(
        classes,
        ["common", "rare", "number", "common+k", "rare+k"],
        "{out}"
    );
}
