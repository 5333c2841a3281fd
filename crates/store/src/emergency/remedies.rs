//! Bulk remedies under force majeure (issue 15 item 6): [`IncidentRemedyRepo`] finds the
//! bookings an incident may offer a refund or postponement to, keeps one offer per incident
//! and booking (primary key), and records one choice per offer (an update conditional on the
//! offer still waiting).

use super::SealedContact;
use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::bookings::{BookingState, CancellationPolicy};
use tripdesk_domain::emergency::{RemedyChoice, RemedyState, RemedyVia, Scope};
use tripdesk_domain::notify::DeliveryChannel;
use uuid::Uuid;

/// A booking the scope reaches, with what the offer needs: its figures, the policy it keeps,
/// and its customer's primary phone and email (sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyCandidate {
    pub booking_id: Uuid,
    /// Who booked (and chooses).
    pub customer_id: Uuid,
    pub state: BookingState,
    pub confirmation_no: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub total_fen: i64,
    pub paid_fen: i64,
    /// Refunds recorded and not yet paid out (what was paid but is no longer kept).
    pub owed_fen: i64,
    pub policy: Option<CancellationPolicy>,
    pub phone: Option<SealedContact>,
    pub email: Option<SealedContact>,
}

/// One offer: an incident × a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRemedy {
    pub incident_id: Uuid,
    pub booking_id: Uuid,
    pub customer_id: Uuid,
    pub state: RemedyState,
    /// As quoted in the offer: paid and kept, the refund, whether postponing is free.
    pub paid_fen: i64,
    pub refund_fen: i64,
    pub postpone_free: bool,
    /// How the offer was sent (`None`: no phone or email, staff call).
    pub notified_via: Option<DeliveryChannel>,
    pub offered_by: Option<Uuid>,
    pub offered_at: Timestamp,
    pub chosen_at: Option<Timestamp>,
    pub chosen_via: Option<RemedyVia>,
    pub chosen_by: Option<Uuid>,
    /// The refund the cancellation recorded (refund chosen).
    pub refund_id: Option<Uuid>,
    /// Staff's ticket to arrange the new date (postponement chosen).
    pub ticket_id: Option<Uuid>,
    pub withdrawn_at: Option<Timestamp>,
}

/// An offer with its booking as it stands now (read with the row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyRow {
    pub remedy: IncidentRemedy,
    pub confirmation_no: Option<String>,
    pub booking_state: BookingState,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Who booked, as the customer record names them (empty once erased): for staff who may
    /// see customers.
    pub customer_name: String,
}

/// An incident's offers by state, and the refunds in money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemedyCounts {
    pub offered: u64,
    pub refund: u64,
    pub postpone: u64,
    pub withdrawn: u64,
    /// The refunds chosen, as quoted in their offers (fen).
    pub refunded_fen: i64,
    /// The refunds of the offers still waiting, were each to choose the refund (fen).
    pub waiting_refund_fen: i64,
}

#[async_trait]
pub trait IncidentRemedyRepo: Send {
    /// The bookings the scope reaches — holding inventory and not ended (held, confirmed,
    /// changed), with a room night of an in-scope property or seats on an in-scope departure
    /// in the window, as [`super::EmergencyRepo::compute_affected`] finds them — that have a
    /// traveler (or, naming none, a customer) in scope of the incident, and no offer of it
    /// yet; in booking id order after `after`, at most `limit`.
    async fn remedy_candidates(
        &mut self,
        incident_id: Uuid,
        scope: &Scope,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<RemedyCandidate>, StoreError>;
    /// Inserts the offers that do not exist yet (one per incident and booking); returns the
    /// booking ids of those inserted, so that offering again — or on two nodes at once —
    /// offers, and messages, each booking once.
    async fn insert_remedies(&mut self, offers: &[IncidentRemedy])
        -> Result<Vec<Uuid>, StoreError>;
    async fn get_remedy(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
    ) -> Result<Option<RemedyRow>, StoreError>;
    /// The incident's offers (only those in `state` when given), by booking id.
    async fn list_remedies(
        &mut self,
        incident_id: Uuid,
        state: Option<RemedyState>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<RemedyRow>, StoreError>;
    /// The offers of one customer in one incident (what their link shows), by booking id.
    async fn remedies_of_customer(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Vec<RemedyRow>, StoreError>;
    async fn remedy_counts(&mut self, incident_id: Uuid) -> Result<RemedyCounts, StoreError>;
    /// Records `choice` if the offer still waits (a conditional update): true for exactly
    /// one caller, whatever the number of nodes.
    async fn record_remedy_choice(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
        choice: RemedyChoice,
        via: RemedyVia,
        by: Option<Uuid>,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// What the choice led to: the refund record, or staff's ticket.
    async fn set_remedy_outcome(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
        refund_id: Option<Uuid>,
        ticket_id: Option<Uuid>,
    ) -> Result<(), StoreError>;
    /// Withdraws the booking's offers still waiting for a choice (it was cancelled or
    /// expired by another path); returns the incidents whose offer was withdrawn.
    async fn withdraw_remedies(
        &mut self,
        booking_id: Uuid,
        at: Timestamp,
    ) -> Result<Vec<Uuid>, StoreError>;
}
