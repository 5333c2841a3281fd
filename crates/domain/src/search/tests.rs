use super::*;
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::new)
}

/// Whether the index tokens of `text` satisfy every term of `query`.
fn finds(text: &str, query: &str) -> bool {
    let tokens: HashSet<String> = analyzer().index_tokens(text).into_iter().collect();
    let q = Query::parse(query).unwrap();
    q.terms.iter().all(|t| {
        if t.prefix {
            tokens.iter().any(|tok| tok.starts_with(&t.token))
        } else {
            tokens.contains(&t.token)
        }
    })
}

#[test]
fn traditional_and_simplified_give_the_same_tokens() {
    let a = analyzer();
    assert_eq!(a.index_tokens("投訴"), a.index_tokens("投诉"));
    assert_eq!(
        a.index_tokens("導遊態度很差，要求退款"),
        a.index_tokens("导游态度很差，要求退款")
    );
    assert_eq!(Query::parse("投訴"), Query::parse("投诉"));
    assert!(finds("客人投訴導遊", "投诉"));
    assert!(finds("客人投诉导游", "投訴"));
}

#[test]
fn a_word_is_found_inside_a_longer_one() {
    assert!(finds("申请退款", "退款"));
    assert!(finds("我们想去西海大峡谷看看", "西海"));
    assert!(finds("我们想去西海大峡谷看看", "大峡谷"));
    assert!(finds("我们想去西海大峡谷看看", "西海大峡谷"));
    assert!(finds("我们想去西海大峡谷看看", "峡"));
    assert!(!finds("我们想去西海大峡谷看看", "退款"));
    assert!(!finds("退还款项", "退款"));
}

#[test]
fn the_domain_dictionary_makes_scenic_spots_words() {
    let words = analyzer().words("西海大峡谷");
    assert!(words.contains(&"西海大峡谷"), "{words:?}");
    let tokens = analyzer().index_tokens("去西海大峡谷");
    assert!(tokens.iter().any(|t| t == "西海大峡谷"), "{tokens:?}");
}

#[test]
fn width_and_case_fold() {
    assert_eq!(fold("ＴＳ０００００４２"), "ts0000042");
    assert_eq!(fold("Hello　ＷＯＲＬＤ"), "hello world");
    assert!(finds("订单号 TS0000042 已取消", "ts0000042"));
    assert!(finds("订单号ＴＳ０００００４２已取消", "TS0000042"));
    // A mixed run is also its letter and digit parts.
    assert!(finds("订单号 TS0000042", "0000042"));
    assert!(finds("房间 BK-2026-0007", "bk 2026 0007"));
    assert!(finds("5A级景区", "5a级"));
}

#[test]
fn fold_keeps_one_character_for_one() {
    for s in ["投訴導遊", "ＡＢＣ", "İstanbul 乾隆 回覆", "🙂 emoji"] {
        assert_eq!(fold(s).chars().count(), s.chars().count(), "{s}");
    }
    // Character by character: no neighbour keeps a character traditional.
    for pair in ["乾隆", "回覆", "慰藉", "瞭望", "兒寬"] {
        let alone: String = pair.chars().map(|c| fold(&c.to_string())).collect();
        assert_eq!(fold(pair), alone, "{pair}");
    }
    assert_eq!(fold("嗎"), "吗");
}

#[test]
fn the_reverse_table_folds_back() {
    let s2t = simplified_to_traditional_table();
    assert!(s2t.len() > 2000, "{}", s2t.len());
    for (s, t) in &s2t {
        assert_eq!(fold_char(*t), *s);
    }
    assert_eq!(s2t.get(&'诉'), Some(&'訴'));
}

#[test]
fn queries_are_refused_when_empty_or_long() {
    assert_eq!(Query::parse("  ，。!? "), Err(QueryError::Empty));
    assert_eq!(Query::parse(""), Err(QueryError::Empty));
    assert_eq!(Query::parse(&"退".repeat(101)), Err(QueryError::TooLong));
    assert!(Query::parse(&"退".repeat(100)).is_ok());
}

#[test]
fn typing_takes_the_last_word_as_a_prefix() {
    let q = Query::parse("退款 ts00").unwrap().typing("退款 ts00");
    assert!(q.terms.last().unwrap().prefix);
    let tokens = analyzer().index_tokens("退款 TS0000042");
    assert!(q.terms.iter().all(|t| tokens.iter().any(|k| if t.prefix {
        k.starts_with(&t.token)
    } else {
        *k == t.token
    })));
    let q = Query::parse("退款").unwrap().typing("退款");
    assert!(!q.terms.iter().any(|t| t.prefix));
}

#[test]
fn highlighting_escapes_then_marks() {
    let needles = Query::parse("退款").unwrap().needles;
    assert_eq!(
        highlight_html("<b>申请退款</b> & 再退款", &needles),
        "&lt;b&gt;申请<mark>退款</mark>&lt;/b&gt; &amp; 再<mark>退款</mark>"
    );
    // The original script is marked where the folded forms match.
    let needles = Query::parse("投诉 导游").unwrap().needles;
    assert_eq!(
        highlight_html("投訴導遊", &needles),
        "<mark>投訴導遊</mark>"
    );
    assert_eq!(
        highlight_html(
            "Order TS0000042",
            &Query::parse("ts0000042").unwrap().needles
        ),
        "Order <mark>TS0000042</mark>"
    );
}

#[test]
fn snippets_cut_around_the_first_match() {
    let text = format!("{}申请退款{}", "甲".repeat(100), "乙".repeat(100));
    let needles = Query::parse("退款").unwrap().needles;
    let s = snippet_html(&text, &needles, 30);
    assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    assert!(s.contains("<mark>退款</mark>"), "{s}");
    assert_eq!(
        s.replace("<mark>", "")
            .replace("</mark>", "")
            .chars()
            .count(),
        32
    );
    assert_eq!(snippet_html("短", &needles, 30), "短");
}

#[test]
fn administrators_add_words() {
    let a = Analyzer::with_words("# ours\n龍脊梯田 100 ns\n\n").unwrap();
    assert!(a.words("去龙脊梯田").contains(&"龙脊梯田"));
    let e = Analyzer::with_words("龙脊梯田 many").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(Analyzer::with_words("龙脊-梯田").is_err());
}

/// Text from a small alphabet: simplified and traditional forms of the same characters,
/// Latin letters, digits, separators.
fn text_strategy() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "退款申请投诉訴導导游遊西海大峡峽谷团團费費黄山 ，。A b1２３-"
        .chars()
        .collect();
    proptest::collection::vec(proptest::sample::select(alphabet), 0..40)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    /// Recall: every query that is a substring of the folded text (not cutting a run of
    /// letters and digits in two) is found by the text's tokens.
    #[test]
    fn every_substring_is_found(text in text_strategy(), a in 0usize..40, len in 1usize..12) {
        let folded: Vec<char> = fold(&text).chars().collect();
        prop_assume!(a < folded.len());
        let b = (a + len).min(folded.len());
        let plain = |c: char| c.is_alphanumeric() && !is_dense(c);
        prop_assume!(!(a > 0 && plain(folded[a - 1]) && plain(folded[a])));
        prop_assume!(!(b < folded.len() && plain(folded[b - 1]) && plain(folded[b])));
        let q: String = folded[a..b].iter().collect();
        prop_assume!(Query::parse(&q).is_ok());
        prop_assert!(finds(&text, &q), "{q:?} not found in {text:?}");
    }

    /// Folding is idempotent and keeps the length.
    #[test]
    fn fold_is_idempotent(text in text_strategy()) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once.clone());
        prop_assert_eq!(once.chars().count(), text.chars().count());
    }

    /// The traditional script of a text gives the same tokens as the text.
    #[test]
    fn scripts_give_the_same_tokens(text in text_strategy()) {
        let s2t = simplified_to_traditional_table();
        let simplified = fold(&text);
        let traditional: String = simplified.chars().map(|c| *s2t.get(&c).unwrap_or(&c)).collect();
        prop_assert_eq!(analyzer().index_tokens(&traditional), analyzer().index_tokens(&simplified));
    }
}
