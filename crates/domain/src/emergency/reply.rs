//! Reading a traveler's SMS reply: 1 安全 / 2 需要帮助, or in English 1 SAFE / 2 HELP (the
//! keywords of the English broadcast text).

use super::PersonStatus;
use crate::search::fold;

/// What a reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Safe,
    NeedsHelp,
}

impl Answer {
    pub fn status(self) -> PersonStatus {
        match self {
            Answer::Safe => PersonStatus::Safe,
            Answer::NeedsHelp => PersonStatus::NeedsHelp,
        }
    }
}

const HELP_WORDS: [&str; 15] = [
    "需要帮助",
    "需要救援",
    "求助",
    "求救",
    "救命",
    "帮忙",
    "受伤",
    "危险",
    "被困",
    "不安全",
    "help",
    "sos",
    "unsafe",
    "not safe",
    "injured",
];
const SAFE_WORDS: [&str; 7] = ["安全", "平安", "没事", "无事", "已安全", "ok", "safe"];

/// The answer a reply carries, if any. The keyword the message asked for comes first: a
/// reply that starts with `1` is safe, `2` needs help (full-width digits count).
/// Otherwise words decide, and any word asking for help wins over a word of safety (不安全
/// contains 安全; "safe but injured" needs help). Text in traditional script folds first.
pub fn parse_reply(text: &str) -> Option<Answer> {
    let folded = fold(text);
    let t = folded.trim();
    let mut chars = t.chars();
    let first = chars.next()?;
    // `1` alone or followed by anything but another digit (`12` is a room number).
    let keyword = !chars.next().is_some_and(|c| c.is_ascii_digit());
    match first {
        '2' if keyword => return Some(Answer::NeedsHelp),
        '1' if keyword && !help_word(t) => return Some(Answer::Safe),
        _ => {}
    }
    if help_word(t) {
        return Some(Answer::NeedsHelp);
    }
    if SAFE_WORDS.iter().any(|w| t.contains(w)) {
        return Some(Answer::Safe);
    }
    None
}

fn help_word(t: &str) -> bool {
    HELP_WORDS.iter().any(|w| t.contains(w))
}
