//! Surveys' personal data: the customer's answers to a follow-up visit (ratings are kept).

use super::{Counts, PersonalData, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{TextColumn, Tx, SURVEY_FIELDS};
use uuid::Uuid;

pub(super) struct Surveys;

#[async_trait]
impl PersonalData for Surveys {
    fn name(&self) -> &'static str {
        "surveys"
    }

    fn fields(&self) -> &'static [TextColumn] {
        SURVEY_FIELDS
    }

    async fn gather(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &mut Subject,
    ) -> Result<(), AppError> {
        for t in tx.customer_ticket_texts(subject.customer).await? {
            for text in &t.survey_texts {
                subject.add_own_words(text);
            }
        }
        Ok(())
    }

    async fn export(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let answers: Vec<Value> = tx
            .customer_ticket_texts(customer)
            .await?
            .into_iter()
            .filter(|t| !t.survey_texts.is_empty())
            .map(|t| json!({ "ticket_id": t.id, "answers": t.survey_texts }))
            .collect();
        Ok((!answers.is_empty()).then(|| json!({ "answers": answers })))
    }

    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let n = tx.erase_customer_surveys(subject.customer).await?;
        Ok(Counts::from([("surveys".into(), n)]))
    }
}
