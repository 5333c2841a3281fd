//! Feedback classification (issue 18 item 2): every complaint and feedback ticket, and every
//! survey comment, gets its categories and sentiment from `tripdesk_domain::feedback` in the
//! transaction that records the text (intake, conversion to a complaint, a survey answer);
//! staff correct them, and each correction adds to the counts the classifier reads next time
//! (in the correction's transaction, with its audit entry).
//!
//! Who: the feedback list needs `view_reports` (supervisors, managers); correcting needs
//! `work_tickets` and a ticket in the principal's scope (the desk's one visibility rule).

use crate::page::Page;
use crate::{App, AppError, FieldError, Principal};
use jiff::Timestamp;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::TicketKind;
use tripdesk_domain::feedback::{
    correction, features, taken_back, Category, Classification, Classifier, Learned, ModelKind,
    Sentiment, MAX_CATEGORIES,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{FeedbackFilter, FeedbackItem, FeedbackSource, LearnedCount, Ticket, Tx};
use uuid::Uuid;

/// One classified text as the list shows it: the item and what it was said about.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackEntry {
    pub item: FeedbackItem,
    pub ticket_number: String,
    pub ticket_kind: TicketKind,
    /// The ticket's subject, or the survey's comment.
    pub text: String,
}

/// What staff say a text is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackCorrection {
    pub categories: Vec<Category>,
    pub sentiment: Sentiment,
}

/// A change of the learned counts as the store keeps them.
fn learned_rows(delta: &Learned) -> Vec<LearnedCount> {
    delta
        .rows()
        .into_iter()
        .map(
            |(model, label, term, count): (ModelKind, &str, String, i64)| LearnedCount {
                model,
                label: label.to_string(),
                term,
                count,
            },
        )
        .collect()
}

/// The classified item a text belongs to.
#[derive(Debug, Clone, Copy)]
struct ItemOf {
    source: FeedbackSource,
    item_id: Uuid,
    ticket_id: Uuid,
    at: Timestamp,
}

impl ItemOf {
    /// A ticket's own text, as of its creation.
    fn ticket(t: &Ticket) -> Self {
        Self {
            source: FeedbackSource::Ticket,
            item_id: t.id,
            ticket_id: t.id,
            at: t.created_at,
        }
    }
}

/// The text of a ticket that is classified: complaints and feedback only.
fn ticket_text(t: &Ticket) -> Option<String> {
    matches!(t.kind, TicketKind::Complaint | TicketKind::Feedback)
        .then(|| format!("{}\n{}", t.subject, t.description))
}

fn survey_text(suggestions: Option<&str>, reason: Option<&str>) -> String {
    [reason, suggestions]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

impl App {
    /// The counts corrections taught, for these terms.
    async fn learned_for(&self, tx: &mut dyn Tx, terms: &[String]) -> Result<Learned, AppError> {
        let mut learned = Learned::default();
        for c in tx.learned_counts(terms).await? {
            learned.add(c.model, &c.label, &c.term, c.count);
        }
        Ok(learned)
    }

    /// Classifies a text and stores the result, unless staff already corrected the item.
    async fn classify_text(&self, tx: &mut dyn Tx, of: ItemOf, text: &str) -> Result<(), AppError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        if let Some(existing) = tx.get_feedback(of.source, of.item_id).await? {
            if existing.corrected_at.is_some() {
                return Ok(());
            }
        }
        let terms = features(self.analyzer(), text);
        let c = self.verdict(tx, &terms).await?;
        self.put_classification(tx, of, c).await
    }

    /// Stores what the classifier said about an item.
    async fn put_classification(
        &self,
        tx: &mut dyn Tx,
        of: ItemOf,
        c: Classification,
    ) -> Result<(), AppError> {
        tx.put_feedback(&FeedbackItem {
            source: of.source,
            item_id: of.item_id,
            ticket_id: of.ticket_id,
            at: of.at,
            categories: c.categories,
            sentiment: c.sentiment,
            score: c.score,
            classified_at: self.now(),
            corrected_by: None,
            corrected_at: None,
            trained: None,
        })
        .await?;
        Ok(())
    }

    /// Classifies a text's `terms` with the counts corrections taught so far, read in a
    /// snapshot of their own: intake does this before it takes the writer (see
    /// `desk::texts`), so the model's arithmetic never holds up other writers. A correction
    /// committed meanwhile teaches the next text, as it would a text a moment later.
    pub(crate) async fn classify_terms(
        &self,
        terms: &[String],
    ) -> Result<Classification, AppError> {
        let mut tx = self.store.read().await?;
        self.verdict(&mut *tx, terms).await
    }

    /// What the classifier says of `terms`, with the counts corrections taught as `tx` sees them.
    async fn verdict(&self, tx: &mut dyn Tx, terms: &[String]) -> Result<Classification, AppError> {
        let learned = self.learned_for(tx, terms).await?;
        Ok(Classifier::shipped().classify(terms, &learned))
    }

    /// Classifies a complaint or feedback ticket (at intake, on conversion to a complaint).
    pub(crate) async fn classify_ticket(
        &self,
        tx: &mut dyn Tx,
        t: &Ticket,
    ) -> Result<(), AppError> {
        match ticket_text(t) {
            Some(text) => self.classify_text(tx, ItemOf::ticket(t), &text).await,
            None => Ok(()),
        }
    }

    /// Stores the classification of a ticket just inserted in `tx`, made before the writer
    /// was taken ([`App::classify_terms`]); no correction can exist for a new ticket.
    pub(crate) async fn classify_new_ticket(
        &self,
        tx: &mut dyn Tx,
        t: &Ticket,
        c: Classification,
    ) -> Result<(), AppError> {
        self.put_classification(tx, ItemOf::ticket(t), c).await
    }

    /// Classifies a survey's comment (when the customer answers, `at`).
    pub(crate) async fn classify_survey(
        &self,
        tx: &mut dyn Tx,
        survey_id: Uuid,
        ticket_id: Uuid,
        at: Timestamp,
        answers: &tripdesk_store::SurveyAnswers,
    ) -> Result<(), AppError> {
        let text = survey_text(answers.suggestions.as_deref(), answers.reason.as_deref());
        let of = ItemOf {
            source: FeedbackSource::Survey,
            item_id: survey_id,
            ticket_id,
            at,
        };
        self.classify_text(tx, of, &text).await
    }

    /// The classified texts, newest first, with what they were said about.
    pub async fn list_feedback(
        &self,
        p: &Principal,
        filter: &FeedbackFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(Page<FeedbackEntry>, u64), AppError> {
        p.require(Permission::ViewReports)?;
        let mut tx = self.store.read().await?;
        let items = tx
            .list_feedback(filter, Page::<FeedbackItem>::fetch_limit(limit), offset)
            .await?;
        let total = tx.count_feedback(filter).await?;
        let page = Page::of(items, limit);
        let mut entries = Vec::with_capacity(page.items.len());
        for item in page.items {
            let Some(ticket) = tx.get_ticket(item.ticket_id).await? else {
                continue;
            };
            let text = self.item_text(&mut *tx, &item, &ticket).await?;
            entries.push(FeedbackEntry {
                ticket_number: ticket.number.clone(),
                ticket_kind: ticket.kind,
                text: match item.source {
                    FeedbackSource::Ticket => ticket.subject.clone(),
                    FeedbackSource::Survey => text,
                },
                item,
            });
        }
        Ok((
            Page {
                items: entries,
                more: page.more,
            },
            total,
        ))
    }

    /// The text an item was classified from (as it is now).
    async fn item_text(
        &self,
        tx: &mut dyn Tx,
        item: &FeedbackItem,
        ticket: &Ticket,
    ) -> Result<String, AppError> {
        Ok(match item.source {
            FeedbackSource::Ticket => format!("{}\n{}", ticket.subject, ticket.description),
            FeedbackSource::Survey => tx
                .list_surveys(ticket.id)
                .await?
                .into_iter()
                .find(|s| s.id == item.item_id)
                .and_then(|s| s.answers)
                .map(|a| survey_text(a.suggestions.as_deref(), a.reason.as_deref()))
                .unwrap_or_default(),
        })
    }

    /// A ticket's classified texts (its own and its surveys'), for the ticket page.
    pub async fn ticket_feedback(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<Vec<FeedbackItem>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        self.ticket_for(&mut *tx, p, ticket_id).await?;
        Ok(tx.ticket_feedback(ticket_id).await?)
    }

    /// Staff say what a text is about: stored with the item, taught to the classifier (the
    /// item's earlier correction taken back first), audited.
    pub async fn correct_feedback(
        &self,
        p: &Principal,
        source: FeedbackSource,
        item_id: Uuid,
        input: &FeedbackCorrection,
    ) -> Result<FeedbackItem, AppError> {
        p.require(Permission::WorkTickets)?;
        let mut categories: Vec<Category> = Vec::new();
        for c in &input.categories {
            if !categories.contains(c) {
                categories.push(*c);
            }
        }
        if categories.is_empty() || categories.len() > MAX_CATEGORIES {
            return Err(AppError::Validation(vec![FieldError::new(
                "categories",
                "count",
                format!("choose one to {MAX_CATEGORIES} categories"),
            )]));
        }
        let mut tx = self.store.write().await?;
        let item = tx
            .get_feedback(source, item_id)
            .await?
            .ok_or(AppError::NotFound("feedback item"))?;
        let ticket = self.ticket_for(&mut *tx, p, item.ticket_id).await?;
        let text = self.item_text(&mut *tx, &item, &ticket).await?;
        let terms = features(self.analyzer(), &text);
        let before = item.trained.as_ref().map(|(c, s)| (c.as_slice(), *s));
        let delta = correction(&terms, before, (&categories, input.sentiment));
        tx.add_learned(&learned_rows(&delta)).await?;
        let now = self.now();
        let corrected = FeedbackItem {
            categories: categories.clone(),
            sentiment: input.sentiment,
            score: match input.sentiment {
                Sentiment::Positive => 1000,
                Sentiment::Negative => 0,
            },
            corrected_by: Some(p.user_id),
            corrected_at: Some(now),
            trained: Some((categories.clone(), input.sentiment)),
            ..item.clone()
        };
        tx.put_feedback(&corrected).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::FeedbackCorrect,
            "feedback",
            Some(format!("{}:{}", source.as_str(), item_id)),
            json!({
                "ticket": ticket.number,
                "from": {
                    "categories": item.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                    "sentiment": item.sentiment.as_str(),
                },
                "to": {
                    "categories": categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                    "sentiment": input.sentiment.as_str(),
                },
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(corrected)
    }

    /// Classifies every complaint and feedback ticket not classified yet (the tickets that
    /// came before classification: the console's `feedback-classify`). Returns how many it
    /// classified. Tickets are read in id order, a page after the last one (an offset would
    /// read every earlier page again), and each page's verdicts are made in a read snapshot
    /// before the writer is taken, as intake makes them: the writer is held only to store
    /// them, so intake goes on meanwhile. A ticket classified in between (a conversion, a
    /// correction) is left as it is.
    pub async fn classify_unclassified_tickets(&self) -> Result<u64, AppError> {
        const BATCH: u32 = 500;
        let mut n = 0;
        let mut after = None;
        loop {
            let mut r = self.store.read().await?;
            let tickets = r.tickets_after(after, BATCH).await?;
            let mut verdicts = Vec::new();
            for t in &tickets {
                // Complaints and feedback with a text, not classified yet.
                let Some(text) = ticket_text(t).filter(|text| !text.trim().is_empty()) else {
                    continue;
                };
                if r.get_feedback(FeedbackSource::Ticket, t.id)
                    .await?
                    .is_some()
                {
                    continue;
                }
                let terms = features(self.analyzer(), &text);
                verdicts.push((ItemOf::ticket(t), self.verdict(&mut *r, &terms).await?));
            }
            drop(r);
            if !verdicts.is_empty() {
                let mut tx = self.store.write().await?;
                for (of, c) in verdicts {
                    if tx.get_feedback(of.source, of.item_id).await?.is_none() {
                        self.put_classification(&mut *tx, of, c).await?;
                        n += 1;
                    }
                }
                tx.commit().await?;
            }
            if tickets.len() < BATCH as usize {
                break;
            }
            after = tickets.last().map(|t| t.id);
        }
        Ok(n)
    }
}

/// What staff corrections taught the classifier, as a holder of personal data: the learned
/// counts are keyed by the words of the corrected texts, which may be a customer's (a name,
/// a phone in a complaint). Erasure takes back what each correction of a text it rewrites
/// taught — every corrected text of the customer's tickets and surveys, and any other
/// corrected text naming them — before the texts are rewritten; a count taken back to zero
/// leaves with its word. The items keep the labels staff gave (they hold no text).
pub(crate) struct FeedbackModel;

/// Erasure page size over the corrected items.
const CORRECTED_PAGE: u32 = 500;

const FEEDBACK_FIELDS: &[tripdesk_store::TextColumn] = &[tripdesk_store::TextColumn {
    table: "feedback_learned",
    key: "term",
    column: "term",
    kind: tripdesk_store::DataKind::Derived,
    ticket_of: None,
    every_row: false,
    customer_of: None,
}];

#[async_trait::async_trait]
impl crate::personal_data::PersonalData for FeedbackModel {
    fn name(&self) -> &'static str {
        "feedback_model"
    }

    /// Derived and keyed by no customer: nothing of it goes into the customer's copy (the
    /// counts are the agency's model, not anything the customer wrote).
    fn fields(&self) -> &'static [tripdesk_store::TextColumn] {
        FEEDBACK_FIELDS
    }

    async fn erase(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        subject: &crate::personal_data::Subject,
    ) -> Result<crate::personal_data::Counts, AppError> {
        let corrected = FeedbackFilter {
            corrected: Some(true),
            ..Default::default()
        };
        let mut taken = 0u64;
        let mut offset = 0;
        loop {
            // Taking back keeps an item corrected: the pages stay as they were.
            let page = tx.list_feedback(&corrected, CORRECTED_PAGE, offset).await?;
            for item in &page {
                let Some((categories, sentiment)) = &item.trained else {
                    continue;
                };
                let Some(ticket) = tx.get_ticket(item.ticket_id).await? else {
                    continue;
                };
                let text = app.item_text(tx, item, &ticket).await?;
                let own = subject.tickets.contains(&item.ticket_id);
                if !own && subject.identity.scrub(&text).is_none() {
                    continue;
                }
                let terms = features(app.analyzer(), &text);
                tx.add_learned(&learned_rows(&taken_back(&terms, (categories, *sentiment))))
                    .await?;
                tx.put_feedback(&FeedbackItem {
                    trained: None,
                    ..item.clone()
                })
                .await?;
                taken += 1;
            }
            if page.len() < CORRECTED_PAGE as usize {
                break;
            }
            offset += CORRECTED_PAGE;
        }
        Ok(crate::personal_data::Counts::from([(
            "corrections_taken_back".into(),
            taken,
        )]))
    }
}
