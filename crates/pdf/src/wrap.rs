//! Breaking text into lines that fit a width.
//!
//! Where a line may end comes from Unicode's line breaking algorithm (UAX #14, the
//! `unicode-linebreak` crate): between any two Han characters, after a space, never inside a
//! Latin word or a number, never before closing punctuation (。，、）」) nor after opening
//! punctuation (（「“). Lines are filled greedily. A word wider than the whole line (a long
//! address or booking link) is the one thing cut between characters, since it cannot fit
//! otherwise.

use unicode_linebreak::{linebreaks, BreakOpportunity};

/// The lines of `text` no wider than `max_width`, as measured by `width`. Line ends in the text
/// (`\n`) are kept, a blank line as an empty string; spaces at the end of a line are dropped.
/// Empty text has no lines.
pub(crate) fn wrap(text: &str, max_width: f32, width: &dyn Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    if text.is_empty() {
        return lines;
    }
    let mut line_start = 0;
    // The end of the longest piece from `line_start` known to fit, at a break opportunity.
    let mut fits_to = None;
    for (pos, opportunity) in linebreaks(text) {
        loop {
            let candidate = text[line_start..pos].trim_end();
            if width(candidate) <= max_width {
                fits_to = Some(pos);
                break;
            }
            match fits_to.take() {
                // End the line at the last opportunity that fit, and try again from there.
                Some(end) if end > line_start => {
                    lines.push(text[line_start..end].trim_end().to_owned());
                    line_start = end;
                }
                // One unbreakable piece wider than a line: cut it between characters; the
                // unfinished rest (which fits, or is one character wider than any line) starts
                // the next line.
                _ => {
                    let (full, rest_at) = cut_by_chars(&text[line_start..pos], max_width, width);
                    lines.extend(full);
                    line_start += rest_at;
                    fits_to = Some(pos);
                    break;
                }
            }
        }
        if opportunity == BreakOpportunity::Mandatory {
            let line = text[line_start..pos].trim_end();
            // The text's own end gives a last mandatory break: it adds no empty line.
            if pos < text.len() || !line.is_empty() || lines.is_empty() {
                lines.push(line.to_owned());
            }
            line_start = pos;
            fits_to = None;
        }
    }
    lines
}

/// Full lines cut from `piece` character by character, and the byte offset in `piece` where
/// the unfinished rest begins. Every line holds at least one character, so this ends even when
/// a single character is wider than the line.
fn cut_by_chars(piece: &str, max_width: f32, width: &dyn Fn(&str) -> f32) -> (Vec<String>, usize) {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, c) in piece.char_indices() {
        let end = i + c.len_utf8();
        if i > start && width(piece[start..end].trim_end()) > max_width {
            lines.push(piece[start..i].to_owned());
            start = i;
        }
    }
    (lines, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A measure independent of any font: wide (CJK, full-width) characters are 1 unit, the
    /// rest half a unit, as in a typical CJK font.
    fn units(text: &str) -> f32 {
        text.chars()
            .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.5 })
            .sum()
    }

    fn lines(text: &str, max: f32) -> Vec<String> {
        wrap(text, max, &units)
    }

    #[test]
    fn chinese_breaks_between_any_two_characters() {
        assert_eq!(
            lines("昆明长水国际机场三号门集合", 4.0),
            ["昆明长水", "国际机场", "三号门集", "合"]
        );
    }

    #[test]
    fn mixed_chinese_english_and_numbers_keep_words_and_numbers_whole() {
        let text = "请于2026年12月5日07:30到达Kunming Changshui Airport 3号门，携带身份证原件。";
        let result = lines(text, 8.0);
        for line in &result {
            assert!(units(line) <= 8.0, "{line:?} is too wide in {result:?}");
        }
        for whole in ["2026", "07:30", "Kunming", "Changshui", "Airport"] {
            assert!(
                result.iter().any(|l| l.contains(whole)),
                "{whole} was split: {result:?}"
            );
        }
        // No line starts with closing punctuation.
        for line in &result {
            assert!(!line.starts_with(['，', '。']), "{result:?}");
        }
        // Nothing lost but the spaces a line ended with.
        assert_eq!(result.concat().replace(' ', ""), text.replace(' ', ""));
        assert_eq!(
            result,
            [
                "请于2026年12月5",
                "日07:30到达",
                "Kunming",
                "Changshui",
                "Airport 3号门，",
                "携带身份证原件。",
            ]
        );
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_and_the_rest_flows_on() {
        let result = lines("链接 https://example.cn/b/ABCDEFGH 请查收", 6.0);
        for line in &result {
            assert!(units(line) <= 6.0, "{result:?}");
        }
        assert_eq!(
            result.concat().replace(' ', ""),
            "链接https://example.cn/b/ABCDEFGH请查收"
        );
        assert_eq!(result[0], "链接");
    }

    #[test]
    fn line_ends_in_the_text_are_kept_and_blank_lines_too() {
        assert_eq!(lines("第一行\n\n第三行\n", 10.0), ["第一行", "", "第三行"]);
        assert_eq!(lines("a\r\nb", 10.0), ["a", "b"]);
        assert!(lines("", 10.0).is_empty());
    }

    #[test]
    fn a_character_wider_than_the_line_still_makes_progress() {
        assert_eq!(lines("中文", 0.5), ["中", "文"]);
    }
}
