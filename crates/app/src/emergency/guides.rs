//! The people an incident's scope reaches: the travelers of its bookings (found by the store
//! in one statement) and the guide or tour leader (导游/领队) of each departure on the road in
//! it. A guide is named on the departure by name and work phone; to be messaged, answered and
//! escalated as a traveler is, they are found by that phone through the blind index, or kept
//! as a sealed customer record at the first incident that reaches them.

use crate::customers::IntakeCustomer;
use crate::{App, AppError, Principal};
use jiff::Timestamp;
use tripdesk_store::{AffectedCount, Incident, Tx};
use uuid::Uuid;

/// The source recorded on a customer record first made for a guide.
const GUIDE_SOURCE: &str = "incident_guide";

/// What finding an incident's people did, with the guides whose phone could not be used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub affected: AffectedCount,
    pub guides: usize,
    /// Departures whose guide's phone is not a phone number: staff add them by hand.
    pub guides_unusable: Vec<Uuid>,
}

impl App {
    /// (Re)computes the incident's in-scope people from bookings and departures' guides.
    pub(crate) async fn find_affected(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: &Incident,
        now: Timestamp,
    ) -> Result<Found, AppError> {
        let mut found = Found::default();
        let mut guides: Vec<Uuid> = Vec::new();
        for g in tx.scope_guides(&incident.scope).await? {
            let intake = IntakeCustomer {
                name: g.guide_name,
                phone: Some(g.guide_phone),
                email: None,
            };
            match self.prepare_intake_customer(&intake, GUIDE_SOURCE) {
                Ok(Some(prepared)) => {
                    let id = self.find_or_create_customer(tx, p, prepared).await?;
                    if !guides.contains(&id) {
                        guides.push(id);
                    }
                }
                Ok(None) | Err(_) => found.guides_unusable.push(g.departure_id),
            }
        }
        found.guides = guides.len();
        found.affected = tx
            .compute_affected(incident.id, &incident.scope, &guides, now)
            .await?;
        Ok(found)
    }
}
