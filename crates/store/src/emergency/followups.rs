//! A traveler's channels in order (issue 15 item 5): [`IncidentFollowupRepo`] reads, for some
//! people of an incident, the messages the incident sent them and their call tasks — where
//! each step of `tripdesk_domain::emergency::next_step` stands — and keeps the follow-ups
//! sent after a step failed, one per broadcast message and channel (primary key).

use super::CallTask;
use crate::{HandsetState, MessageState, StoreError};
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::emergency::ContactStep;
use uuid::Uuid;

/// A follow-up: `channel` sent after `after_step` failed, repeating the broadcast message
/// `after_message_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFollowup {
    pub after_message_id: Uuid,
    pub channel: ContactStep,
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    /// The follow-up's own outbox message.
    pub message_id: Uuid,
    pub after_step: ContactStep,
    pub created_at: Timestamp,
}

/// One message of an incident to a person (a broadcast's or a follow-up; not the remedies'
/// offers), as the sequence and the board read it: no recipient, no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMessage {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// The outbox channel (`sms`, `email`).
    pub channel: String,
    /// `incident.broadcast`, `incident.followup`.
    pub event: Option<String>,
    pub state: MessageState,
    /// The handset's receipt of an SMS.
    pub handset: Option<HandsetState>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait IncidentFollowupRepo: Send {
    /// Inserts the follow-up unless its broadcast message has one on that channel: true when
    /// inserted (for exactly one caller, whatever the number of nodes).
    async fn insert_followup(&mut self, f: &IncidentFollowup) -> Result<bool, StoreError>;
    /// The follow-ups of these people in the incident, oldest first.
    async fn followups_of(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<IncidentFollowup>, StoreError>;
    /// The incident's messages to these people (related to the incident, by customer),
    /// oldest first.
    async fn contact_messages(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<ContactMessage>, StoreError>;
    /// The call tasks of these people in the incident (at most one each).
    async fn call_tasks_of(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<CallTask>, StoreError>;
}
