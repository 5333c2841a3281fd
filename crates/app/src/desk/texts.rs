//! The words of a new ticket, computed before the writer is taken. Segmenting the Chinese
//! subject and description (jieba) for the search document and for the feedback classifier
//! is the costliest CPU work of an intake; done inside the write transaction it held up every
//! other writer behind the one SQLite writer (docs/PERFORMANCE.md, issue 19). So is the
//! classifier's verdict on a complaint or feedback: the counts corrections taught are read in
//! a snapshot and the model's arithmetic done before the writer is taken. Only what depends
//! on the transaction stays in it: the ticket's number (from the counter) joins the
//! document's words.

use super::NewTicket;
use crate::{App, AppError};
use tripdesk_domain::desk::TicketKind;
use tripdesk_domain::feedback::{features, Classification};

/// A new ticket's words, from its checked and trimmed input.
#[derive(Debug, Clone)]
pub(crate) struct TicketTexts {
    /// The search document's words of everything but the number: subject, description,
    /// booking reference, tags (as `search::index::ticket_texts` lists them).
    pub(crate) index_tokens: Vec<String>,
    /// What the classifier says about a complaint's or feedback's text; `None` for other
    /// kinds and for an empty text (nothing is classified).
    pub(crate) verdict: Option<Classification>,
}

/// The input as `insert_new_ticket` stores it: texts trimmed, empty optional texts dropped.
pub(crate) fn normalize(input: &mut NewTicket) {
    input.subject = input.subject.trim().to_string();
    input.description = input.description.trim().to_string();
    input.customer_name = input.customer_name.trim().to_string();
    input.booking_ref = input
        .booking_ref
        .take()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    input.business_area = input
        .business_area
        .take()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    for t in &mut input.tags {
        *t = t.trim().to_string();
    }
}

impl App {
    /// The words of a ticket taken from `input` (normalized by [`normalize`]), and the
    /// classifier's verdict on them.
    pub(crate) async fn ticket_texts_of(&self, input: &NewTicket) -> Result<TicketTexts, AppError> {
        let analyzer = self.analyzer();
        let mut texts: Vec<&str> = vec![&input.subject, &input.description];
        texts.extend(input.booking_ref.as_deref());
        texts.extend(input.tags.iter().map(String::as_str));
        let classified = matches!(input.kind, TicketKind::Complaint | TicketKind::Feedback);
        let text = format!("{}\n{}", input.subject, input.description);
        let index_tokens = analyzer.index_tokens_of(&texts);
        let verdict =
            match (classified && !text.trim().is_empty()).then(|| features(analyzer, &text)) {
                Some(terms) => Some(self.classify_terms(&terms).await?),
                None => None,
            };
        Ok(TicketTexts {
            index_tokens,
            verdict,
        })
    }
}
