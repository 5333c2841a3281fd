//! Multinomial naive Bayes over word counts, with Laplace smoothing: the counts of the
//! shipped model (trained from the data in the repository) plus the counts the store keeps
//! from staff corrections, added term by term when a text is scored.

use std::collections::BTreeMap;

/// The pseudo-term under which a label's document count is stored.
pub const DOCS: &str = "#docs";
/// The pseudo-term under which a label's total word count is stored.
pub const TOKENS: &str = "#tokens";

/// Counts per label: documents, words, and each term's occurrences. Signed, so that a
/// correction withdrawn subtracts what it added (the sum with the shipped counts never goes
/// below zero: only what was added is taken back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub docs: Vec<i64>,
    pub tokens: Vec<i64>,
    pub terms: BTreeMap<String, Vec<i64>>,
}

impl Counts {
    /// Empty counts for `labels` labels.
    pub fn new(labels: usize) -> Self {
        Self {
            docs: vec![0; labels],
            tokens: vec![0; labels],
            terms: BTreeMap::new(),
        }
    }

    /// Adds (`weight` 1) or takes back (`weight` -1) one document of `label`.
    pub fn learn(&mut self, label: usize, terms: &[String], weight: i64) {
        let labels = self.docs.len();
        self.docs[label] += weight;
        self.tokens[label] += weight * terms.len() as i64;
        for t in terms {
            self.terms
                .entry(t.clone())
                .or_insert_with(|| vec![0; labels])[label] += weight;
        }
    }

    /// One stored count: `term` is a word, [`DOCS`] or [`TOKENS`].
    pub fn add(&mut self, label: usize, term: &str, count: i64) {
        let labels = self.docs.len();
        match term {
            DOCS => self.docs[label] += count,
            TOKENS => self.tokens[label] += count,
            _ => {
                self.terms
                    .entry(term.to_string())
                    .or_insert_with(|| vec![0; labels])[label] += count
            }
        }
    }

    /// Every count as `(label, term, count)` rows, non-zero only, documents and words first.
    pub fn rows(&self) -> Vec<(usize, String, i64)> {
        let mut out = Vec::new();
        for (label, (&d, &t)) in self.docs.iter().zip(&self.tokens).enumerate() {
            if d != 0 {
                out.push((label, DOCS.to_string(), d));
            }
            if t != 0 {
                out.push((label, TOKENS.to_string(), t));
            }
        }
        for (term, counts) in &self.terms {
            for (label, &c) in counts.iter().enumerate() {
                if c != 0 {
                    out.push((label, term.clone(), c));
                }
            }
        }
        out
    }
}

/// A trained model: its labels and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub labels: Vec<String>,
    pub counts: Counts,
}

impl Model {
    pub fn new(labels: &[&str]) -> Self {
        Self {
            labels: labels.iter().map(|l| l.to_string()).collect(),
            counts: Counts::new(labels.len()),
        }
    }

    pub fn label(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == name)
    }

    /// The probability of each label for a text's terms, given the extra counts `learned`
    /// (same labels; only the terms of this text need be there). Terms no label has seen are
    /// left out; the vocabulary size in the smoothing is the shipped model's.
    pub fn posterior(&self, terms: &[String], learned: &Counts) -> Vec<f64> {
        let k = self.labels.len();
        let get = |v: &[i64], i: usize| v.get(i).copied().unwrap_or(0);
        let docs: Vec<f64> = (0..k)
            .map(|i| (get(&self.counts.docs, i) + get(&learned.docs, i)).max(0) as f64)
            .collect();
        let tokens: Vec<f64> = (0..k)
            .map(|i| (get(&self.counts.tokens, i) + get(&learned.tokens, i)).max(0) as f64)
            .collect();
        let total_docs: f64 = docs.iter().sum();
        let vocabulary = self.counts.terms.len().max(1) as f64;
        let mut log: Vec<f64> = (0..k)
            .map(|i| ((docs[i] + 1.0) / (total_docs + k as f64)).ln())
            .collect();
        let empty = Vec::new();
        for term in terms {
            let base = self.counts.terms.get(term).unwrap_or(&empty);
            let extra = learned.terms.get(term).unwrap_or(&empty);
            let counts: Vec<f64> = (0..k)
                .map(|i| (get(base, i) + get(extra, i)).max(0) as f64)
                .collect();
            if counts.iter().all(|&c| c == 0.0) {
                continue;
            }
            for i in 0..k {
                log[i] += ((counts[i] + 1.0) / (tokens[i] + vocabulary)).ln();
            }
        }
        let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = log.iter().map(|l| (l - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        exp.into_iter().map(|e| e / sum).collect()
    }

    /// The terms seen fewer than `min` times in all are dropped (the word totals stay): the
    /// shipped file stays small, and a word seen once says little.
    pub fn pruned(mut self, min: i64) -> Self {
        self.counts
            .terms
            .retain(|_, c| c.iter().sum::<i64>() >= min);
        self
    }

    /// The model as text: `@labels`, `@docs`, `@tokens` lines, then `term<TAB>count…`.
    pub fn to_tsv(&self, header: &str) -> String {
        let join = |v: &[i64]| {
            v.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\t")
        };
        let mut out = format!(
            "# {header}\n@labels\t{}\n@docs\t{}\n@tokens\t{}\n",
            self.labels.join("\t"),
            join(&self.counts.docs),
            join(&self.counts.tokens)
        );
        for (term, counts) in &self.counts.terms {
            out.push_str(term);
            out.push('\t');
            out.push_str(&join(counts));
            out.push('\n');
        }
        out
    }

    /// Reads what [`Model::to_tsv`] wrote.
    pub fn from_tsv(text: &str) -> Result<Self, String> {
        let mut labels: Vec<String> = Vec::new();
        let mut counts = Counts::default();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let head = fields.next().unwrap_or_default();
            let rest: Vec<&str> = fields.collect();
            if head == "@labels" {
                labels = rest.iter().map(|l| l.to_string()).collect();
                counts = Counts::new(labels.len());
                continue;
            }
            let values = rest
                .iter()
                .map(|v| v.parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("line {}: a count is not a number", n + 1))?;
            if values.len() != labels.len() || labels.is_empty() {
                return Err(format!("line {}: one count per label expected", n + 1));
            }
            match head {
                "@docs" => counts.docs = values,
                "@tokens" => counts.tokens = values,
                term => {
                    counts.terms.insert(term.to_string(), values);
                }
            }
        }
        Ok(Self { labels, counts })
    }
}
