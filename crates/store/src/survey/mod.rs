//! Records and repository of customer surveys: the signed, single-use, expiring links a
//! follow-up agent sends for a complaint's follow-up visit (回访).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// One survey link and, once used, the customer's answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: Uuid,
    pub ticket_id: Uuid,
    /// SHA-256 (hex) of the link's token; the token itself is never stored.
    pub token_hash: String,
    /// The follow-up agent who sent the link; the answer is recorded on their behalf.
    pub agent_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Whether the link was also queued as an email to the customer.
    pub emailed: bool,
    /// Set once, when the customer's answer is recorded.
    pub used_at: Option<Timestamp>,
    pub answers: Option<SurveyAnswers>,
}

/// What the customer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswers {
    /// Satisfaction with the handling of the complaint, 1–5.
    pub satisfaction: u8,
    /// Overall rating of the agency, 1–5.
    pub overall_rating: u8,
    pub suggestions: Option<String>,
    /// Why the customer is unsatisfied (required for 1–2).
    pub reason: Option<String>,
}

#[async_trait]
pub trait SurveyRepo: Send {
    /// Refuses a second survey with the same token hash (`Duplicate`).
    async fn insert_survey(&mut self, survey: &Survey) -> Result<(), StoreError>;
    async fn get_survey_by_token_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<Survey>, StoreError>;
    /// A ticket's surveys, oldest first.
    async fn list_surveys(&mut self, ticket_id: Uuid) -> Result<Vec<Survey>, StoreError>;
    /// Marks the survey used at `now` with the answers — only if it is still unused and
    /// unexpired (one conditional `UPDATE`). False when another request used it first (on any
    /// node), or it expired: a link is used at most once.
    async fn use_survey(
        &mut self,
        id: Uuid,
        now: Timestamp,
        answers: &SurveyAnswers,
    ) -> Result<bool, StoreError>;
}
