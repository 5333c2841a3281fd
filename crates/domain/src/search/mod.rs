//! Chinese full-text search: the text analysis the index and the queries share. Pure: the
//! store keeps the tokens (SQLite FTS5, PostgreSQL `tsvector`), the app decides what is
//! indexed and who sees what.
//!
//! **Recall first.** A text is [folded](fold) (full-width → ASCII, lower case, traditional →
//! simplified, one character for one), then cut into runs: runs of a dense script (Chinese,
//! written without spaces) and runs of other letters and digits. A dense run is indexed as
//! - every **character** and every **pair of neighbouring characters** (bigrams), and
//! - the **words** jieba finds in it in search mode (overlapping: `西海大峡谷` gives `西海`,
//!   `峡谷`, `大峡谷`, `西海大峡谷`), with the built-in travel dictionary and the words an
//!   administrator adds.
//!
//! A query's dense run must match all its bigrams (a single character: the character). Every
//! text that holds the query's folded run as a substring holds all its bigrams, so nothing a
//! substring scan finds is missed — however jieba splits the query or the text (`退款` in
//! `申请退款`; `西海` and `大峡谷` in `西海大峡谷`). Words add no recall; they add weight: a
//! text where the query is a whole word holds its token twice (word and bigram) and ranks
//! above one where the characters meet across a word boundary. A run of letters and digits
//! is a token (`ts0000042`), and so are its letter and digit parts (`ts`, `0000042`).

mod fold;
mod kind;
mod query;
#[cfg(test)]
mod tests;

pub use fold::{fold, fold_char, is_dense, is_word_char, simplified_to_traditional_table};
pub use kind::SearchKind;
pub use query::{highlight_html, snippet_html, Query, QueryError, Term, MAX_QUERY_CHARS};

use jieba_rs::Jieba;
use std::io::BufRead;

/// The built-in domain dictionary (jieba's format: `word [frequency] [tag]` per line):
/// places, scenic spots and travel terms the general dictionary lacks.
const DOMAIN_DICTIONARY: &str = include_str!("../../data/search/travel.dict.txt");

/// The longest token kept (characters): a longer run of letters and digits is no word anyone
/// types, and PostgreSQL limits a lexeme's length.
pub const MAX_TOKEN_CHARS: usize = 64;

/// A word list an administrator supplies could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line} of the search dictionary: {reason}")]
pub struct DictionaryError {
    pub line: usize,
    pub reason: &'static str,
}

/// The segmenter with its dictionaries. Building one loads jieba's dictionary (~0.2 s):
/// build it once per process and share it.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Jieba,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// jieba's general dictionary and the built-in travel dictionary.
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        add_words(&mut jieba, DOMAIN_DICTIONARY).expect("the built-in dictionary is valid");
        Self { jieba }
    }

    /// With an administrator's words too (same format as the built-in file; `#` starts a
    /// comment line). Words are folded, so a traditional spelling adds the simplified word.
    pub fn with_words(extra: &str) -> Result<Self, DictionaryError> {
        let mut analyzer = Self::new();
        add_words(&mut analyzer.jieba, extra)?;
        Ok(analyzer)
    }

    /// The tokens a text is indexed under (see the module): folded, with repeats (they weigh).
    pub fn index_tokens(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let mut out = Vec::new();
        for run in runs(&folded) {
            match run {
                Run::Dense(run) => self.dense_tokens(run, &mut out),
                Run::Word(word) => word_tokens(word, &mut out),
            }
        }
        out
    }

    /// The tokens of several texts of one document.
    pub fn index_tokens_of(&self, texts: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for t in texts {
            out.extend(self.index_tokens(t));
        }
        out
    }

    /// jieba's words of a folded dense run (search mode: overlapping), two characters or more.
    pub fn words<'a>(&self, run: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut_for_search(run, false)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| w.chars().nth(1).is_some())
            .collect()
    }

    /// A text's words in reading order, folded: jieba's precise mode (with its HMM for words
    /// it does not know) on each dense run, a run of letters and digits as one word;
    /// separators dropped. What the feedback classifier counts (`feedback::features`).
    pub fn segment(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let mut out = Vec::new();
        for run in runs(&folded) {
            match run {
                Run::Dense(run) => out.extend(
                    self.jieba
                        .cut(run, true)
                        .into_iter()
                        .map(|t| t.word.to_string()),
                ),
                Run::Word(word) if word.chars().count() <= MAX_TOKEN_CHARS => {
                    out.push(word.to_string())
                }
                Run::Word(_) => {}
            }
        }
        out
    }

    fn dense_tokens(&self, run: &str, out: &mut Vec<String>) {
        let chars: Vec<char> = run.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            out.push(c.to_string());
            if let Some(next) = chars.get(i + 1) {
                out.push([*c, *next].iter().collect());
            }
        }
        for w in self.words(run) {
            if w.chars().count() <= MAX_TOKEN_CHARS {
                out.push(w.to_string());
            }
        }
    }

    /// What a query asks for (see [`Query`]).
    pub fn query(&self, text: &str) -> Result<Query, QueryError> {
        Query::parse(text)
    }
}

fn add_words(jieba: &mut Jieba, list: &str) -> Result<(), DictionaryError> {
    for (i, line) in list.as_bytes().lines().enumerate() {
        let line = line.map_err(|_| DictionaryError {
            line: i + 1,
            reason: "not UTF-8",
        })?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let word = fold(parts.next().unwrap_or_default());
        if !word.chars().all(is_word_char) {
            return Err(DictionaryError {
                line: i + 1,
                reason: "a word holds only letters, digits and Chinese characters",
            });
        }
        let freq = match parts.next() {
            None => None,
            Some(f) => Some(f.parse::<usize>().map_err(|_| DictionaryError {
                line: i + 1,
                reason: "the frequency must be a whole number",
            })?),
        };
        let tag = parts.next();
        jieba.add_word(&word, freq, tag);
    }
    Ok(())
}

/// A run of a folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run<'a> {
    /// Characters of a dense script (Chinese).
    Dense(&'a str),
    /// Other letters and digits.
    Word(&'a str),
}

/// The runs of a folded text, in order; separators (spaces, punctuation) dropped.
pub(crate) fn runs(folded: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, bool)> = None;
    for (i, c) in folded.char_indices() {
        let class = if is_dense(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (start, class) {
            (Some((_, dense)), Some(d)) if dense == d => {}
            (Some((s, dense)), _) => {
                out.push(make_run(&folded[s..i], dense));
                start = class.map(|d| (i, d));
            }
            (None, Some(d)) => start = Some((i, d)),
            (None, None) => {}
        }
    }
    if let Some((s, dense)) = start {
        out.push(make_run(&folded[s..], dense));
    }
    out
}

fn make_run(s: &str, dense: bool) -> Run<'_> {
    if dense {
        Run::Dense(s)
    } else {
        Run::Word(s)
    }
}

/// A run of letters and digits: the run itself and, when it mixes them, its letter and digit
/// parts (`bk2026x` → `bk2026x`, `bk`, `2026`, `x`).
fn word_tokens(word: &str, out: &mut Vec<String>) {
    if word.chars().count() > MAX_TOKEN_CHARS {
        return;
    }
    out.push(word.to_string());
    let parts = word_parts(word);
    if parts.len() > 1 {
        out.extend(parts.into_iter().map(str::to_string));
    }
}

/// The letter and digit parts of a run of letters and digits.
pub(crate) fn word_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut prev: Option<bool> = None;
    for (i, c) in word.char_indices() {
        let digit = c.is_numeric();
        if prev.is_some_and(|p| p != digit) {
            parts.push(&word[start..i]);
            start = i;
        }
        prev = Some(digit);
    }
    if start < word.len() {
        parts.push(&word[start..]);
    }
    parts
}
