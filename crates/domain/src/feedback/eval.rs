//! Accuracy on the held-out splits: the models are trained on the training split only, then
//! classify each held-out text.

use super::data::{self, Split};
use super::{features, Category, Classifier, Learned, Sentiment};
use crate::search::Analyzer;

/// Right answers out of all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub correct: usize,
    pub total: usize,
}

impl Score {
    pub fn accuracy(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }

    fn count(&mut self, right: bool) {
        self.total += 1;
        self.correct += usize::from(right);
    }
}

/// What [`evaluate`] measured.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub sentiment: Score,
    pub sentiment_by_label: Vec<(Sentiment, Score)>,
    /// The first category given is the labelled one.
    pub categories: Score,
    /// The labelled category is among those given.
    pub categories_any: Score,
    pub categories_by_label: Vec<(Category, Score)>,
    pub train_sentiment: usize,
    pub train_categories: usize,
}

/// Trains on the training splits and scores the held-out splits.
pub fn evaluate(analyzer: &Analyzer) -> Evaluation {
    let classifier = train(analyzer, Split::Train);
    let none = Learned::default();
    let mut e = Evaluation {
        train_sentiment: data::sentiment(Split::Train).len(),
        train_categories: data::categories(Split::Train).len(),
        sentiment_by_label: Sentiment::ALL
            .iter()
            .map(|s| (*s, Score::default()))
            .collect(),
        categories_by_label: Category::ALL
            .iter()
            .map(|c| (*c, Score::default()))
            .collect(),
        ..Evaluation::default()
    };
    for (label, text) in data::sentiment(Split::HeldOut) {
        let got = classifier.classify(&features(analyzer, &text), &none);
        e.sentiment.count(got.sentiment == label);
        e.sentiment_by_label[label as usize]
            .1
            .count(got.sentiment == label);
    }
    for (label, text) in data::categories(Split::HeldOut) {
        let got = classifier.classify(&features(analyzer, &text), &none);
        e.categories.count(got.categories[0] == label);
        e.categories_any.count(got.categories.contains(&label));
        e.categories_by_label[label as usize]
            .1
            .count(got.categories[0] == label);
    }
    e
}

/// The two models trained on a split of the repository's data.
pub fn train(analyzer: &Analyzer, split: Split) -> Classifier {
    let mut c = Classifier::empty();
    for (label, text) in data::sentiment(split) {
        c.sentiment
            .counts
            .learn(label as usize, &features(analyzer, &text), 1);
    }
    for (label, text) in data::categories(split) {
        c.categories
            .counts
            .learn(label as usize, &features(analyzer, &text), 1);
    }
    c
}
