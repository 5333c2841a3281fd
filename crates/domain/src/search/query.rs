//! What a query asks the index for, and the matched words marked in a result's text.

use super::{fold, runs, Run, MAX_TOKEN_CHARS};

/// The longest query taken (characters).
pub const MAX_QUERY_CHARS: usize = 100;

/// One token every result must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Folded, as indexed.
    pub token: String,
    /// Any token starting with it (the word being typed, for suggestions).
    pub prefix: bool,
}

/// A parsed query: the tokens a document must all hold, and the folded runs to mark in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
    /// The query's runs, folded: what highlighting marks.
    pub needles: Vec<String>,
}

/// Why a query is refused (the API names the field `q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("type a word to search for (letters, digits or Chinese characters)")]
    Empty,
    #[error("the search text is longer than 100 characters")]
    TooLong,
}

impl QueryError {
    pub fn code(self) -> &'static str {
        match self {
            QueryError::Empty => "search.empty",
            QueryError::TooLong => "search.too_long",
        }
    }
}

impl Query {
    /// A dense run of one character asks for the character, a longer one for each pair of
    /// neighbouring characters; a run of letters and digits for itself (see the module of
    /// [`crate::search`] for why this finds every text holding the run).
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let folded = fold(text);
        let mut terms: Vec<Term> = Vec::new();
        let mut needles = Vec::new();
        let push = |token: String, terms: &mut Vec<Term>| {
            if !terms.iter().any(|t| t.token == token) {
                terms.push(Term {
                    token,
                    prefix: false,
                });
            }
        };
        for run in runs(&folded) {
            match run {
                Run::Dense(run) => {
                    let chars: Vec<char> = run.chars().collect();
                    if chars.len() == 1 {
                        push(run.to_string(), &mut terms);
                    }
                    for pair in chars.windows(2) {
                        push(pair.iter().collect(), &mut terms);
                    }
                    needles.push(run.to_string());
                }
                Run::Word(word) => {
                    let word: String = word.chars().take(MAX_TOKEN_CHARS).collect();
                    push(word.clone(), &mut terms);
                    needles.push(word);
                }
            }
        }
        if terms.is_empty() {
            return Err(QueryError::Empty);
        }
        Ok(Query { terms, needles })
    }

    /// The same query with its last word taken as the beginning of a word (typed so far), when
    /// the text ends in letters or digits: `ts00` finds `TS0000042`.
    pub fn typing(mut self, text: &str) -> Self {
        let ends_in_word = text
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() && !super::is_dense(c));
        if ends_in_word {
            if let Some(last) = self.terms.last_mut() {
                if !last.token.chars().any(super::is_dense) {
                    last.prefix = true;
                }
            }
        }
        self
    }
}

/// Which characters of `text` fall in an occurrence of a needle (compared folded).
fn marks(text: &[char], needles: &[Vec<char>]) -> Vec<bool> {
    let folded: Vec<char> = text.iter().map(|c| super::fold_char(*c)).collect();
    let mut marked = vec![false; text.len()];
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        if needle.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - needle.len() {
            if folded[start..start + needle.len()] == needle[..] {
                marked[start..start + needle.len()].fill(true);
            }
        }
    }
    marked
}

fn needle_chars(needles: &[String]) -> Vec<Vec<char>> {
    needles.iter().map(|n| n.chars().collect()).collect()
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// `chars[range]` HTML-escaped, the marked characters inside `<mark>`.
fn render(chars: &[char], marked: &[bool], range: std::ops::Range<usize>) -> String {
    let mut out = String::new();
    let mut open = false;
    for i in range {
        if marked[i] != open {
            out.push_str(if marked[i] { "<mark>" } else { "</mark>" });
            open = marked[i];
        }
        escape_into(&mut out, chars[i]);
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// The whole text, HTML-escaped, with every occurrence of the query's runs in `<mark>`.
pub fn highlight_html(text: &str, needles: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let marked = marks(&chars, &needle_chars(needles));
    render(&chars, &marked, 0..chars.len())
}

/// At most `width` characters of the text around its first match (its start when nothing
/// matches), HTML-escaped and marked, with `…` where it was cut.
pub fn snippet_html(text: &str, needles: &[String], width: usize) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let marked = marks(&chars, &needle_chars(needles));
    let first = marked.iter().position(|m| *m).unwrap_or(0);
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let start = end.saturating_sub(width).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&render(&chars, &marked, start..end));
    if end < chars.len() {
        out.push('…');
    }
    out
}
