//! A customer's choice of the refund or the postponement an incident offered
//! ([`super::remedies`]): by their signed link (`/r/<token>`: the incident and the customer
//! under the link HMAC, purpose `emergency-remedy`; the page lists their offers with what each
//! option means in money), or recorded by staff as the customer gave it by phone.
//!
//! A choice is recorded once per offer by an update conditional on the offer still waiting,
//! so of two choices at once on any number of nodes one lands; the same choice again is a
//! no-op, another is refused (409 `remedy.already_chosen`). In the same transaction, the
//! refund cancels the booking with force majeure through the one cancellation path
//! ([`App::cancel_booking_in`]: the normal refund record and its 5-working-day clock), and a
//! postponement opens a ticket for the incident's CS manager to arrange the new date.

use super::checkin::{person_token, verify_person_token};
use super::remedies::booking_label;
use crate::auth::Credential;
use crate::desk::NewTicket;
use crate::{App, AppError, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::Cause;
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::emergency::{
    choose, ChoiceStep, EventKind, OfferFacts, RemedyBooking, RemedyChoice, RemedyError,
    RemedyOptions, RemedyVia,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, Incident, RefundRecord, RemedyRow, Tx};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

const REMEDY_PURPOSE: &str = "emergency-remedy";

/// The signed token of one customer's offers in one incident (no expiry: the offer stands
/// until they choose; a choice made shows on the page).
pub fn remedy_token(keys: &KeyRing, incident: Uuid, customer: Uuid) -> String {
    person_token(keys, REMEDY_PURPOSE, incident, customer)
}

/// The (incident, customer) a remedy token names, if its signature holds.
pub fn verify_remedy_token(keys: &KeyRing, token: &str) -> Option<(Uuid, Uuid)> {
    verify_person_token(keys, REMEDY_PURPOSE, token)
}

pub(super) fn remedy_link(
    keys: &KeyRing,
    base_url: &str,
    incident: Uuid,
    customer: Uuid,
) -> String {
    crate::public_desk::link(base_url, "r", &remedy_token(keys, incident, customer))
}

/// One offer as its customer sees it.
#[derive(Debug, Clone)]
pub struct RemedyOfferView {
    pub row: RemedyRow,
    /// What each option means now, while a choice may be made.
    pub options: Option<RemedyOptions>,
    /// The refund the cancellation recorded, once the refund was chosen.
    pub refund: Option<RefundRecord>,
}

/// What the customer's page shows.
#[derive(Debug, Clone)]
pub struct RemedyLinkView {
    pub incident_title: String,
    pub offers: Vec<RemedyOfferView>,
}

/// A choice recorded (or found recorded before, `repeat`).
#[derive(Debug, Clone)]
pub struct RemedyChosen {
    pub row: RemedyRow,
    pub repeat: bool,
    /// Refund chosen: the refund owed (none when nothing was paid).
    pub refund: Option<RefundRecord>,
    /// Postponement chosen: staff's ticket (id, number).
    pub ticket: Option<(Uuid, String)>,
}

fn refused(e: RemedyError) -> AppError {
    AppError::Conflict {
        code: e.code(),
        message: e.to_string(),
        field: Some("choice".into()),
    }
}

fn not_found() -> AppError {
    AppError::NotFound("remedy")
}

impl App {
    /// The principal of a customer choosing through their remedies link: no user, no role.
    pub fn remedy_link_principal(incident_id: Uuid) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "remedy_link".into(),
            display_name: "客户（退改选择链接）".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: Credential::RemedyLink { incident_id },
        }
    }

    /// The page of a remedies token: the customer's offers in the incident; 404 for a token
    /// that does not verify or names no offer.
    pub async fn remedy_view(&self, token: &str) -> Result<RemedyLinkView, AppError> {
        let (incident, customer) =
            verify_remedy_token(self.vault()?, token).ok_or_else(not_found)?;
        let mut r = self.store.read().await?;
        let i = r.get_incident(incident).await?.ok_or_else(not_found)?;
        let rows = r.remedies_of_customer(incident, customer).await?;
        if rows.is_empty() {
            return Err(not_found());
        }
        let mut offers = Vec::with_capacity(rows.len());
        for row in rows {
            let booking = self.load_for_step(&mut *r, row.remedy.booking_id).await?;
            let options = match choose(&self.offer_facts(&row, &booking), RemedyChoice::Refund) {
                Ok(ChoiceStep::Record) => {
                    let kept = self.paid_and_kept(&mut *r, &booking).await?;
                    RemedyOptions::of(&remedy_booking(&booking, kept), self.today()).ok()
                }
                _ => None,
            };
            let refund = match row.remedy.refund_id {
                Some(id) => r
                    .list_refunds(booking.id)
                    .await?
                    .into_iter()
                    .find(|x| x.id == id),
                None => None,
            };
            offers.push(RemedyOfferView {
                row,
                options,
                refund,
            });
        }
        Ok(RemedyLinkView {
            incident_title: i.title,
            offers,
        })
    }

    /// The customer's choice through their link, for one of their bookings.
    pub async fn choose_remedy_by_link(
        &self,
        token: &str,
        booking_id: Uuid,
        choice: RemedyChoice,
    ) -> Result<RemedyChosen, AppError> {
        let (incident_id, customer) =
            verify_remedy_token(self.vault()?, token).ok_or_else(not_found)?;
        let principal = Self::remedy_link_principal(incident_id);
        let mut tx = self.store.write().await?;
        let incident = tx.get_incident(incident_id).await?.ok_or_else(not_found)?;
        let row = tx
            .get_remedy(incident_id, booking_id)
            .await?
            .filter(|r| r.remedy.customer_id == customer)
            .ok_or_else(not_found)?;
        let done = self
            .apply_remedy_choice(
                &mut *tx,
                &principal,
                &incident,
                row,
                choice,
                RemedyVia::Link,
            )
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Staff record the customer's choice as the customer gave it (by phone, in person).
    /// Needs `respond_to_incidents` and, since a refund cancels the booking, `make_bookings`.
    pub async fn choose_remedy(
        &self,
        p: &Principal,
        incident_id: Uuid,
        booking_id: Uuid,
        choice: RemedyChoice,
    ) -> Result<RemedyChosen, AppError> {
        p.require(Permission::RespondToIncidents)?;
        p.require(Permission::MakeBookings)?;
        let mut tx = self.store.write().await?;
        let incident = tx
            .get_incident(incident_id)
            .await?
            .ok_or(AppError::NotFound("incident"))?;
        let row = tx
            .get_remedy(incident_id, booking_id)
            .await?
            .ok_or_else(not_found)?;
        let done = self
            .apply_remedy_choice(&mut *tx, p, &incident, row, choice, RemedyVia::Staff)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    fn offer_facts(&self, row: &RemedyRow, booking: &Booking) -> OfferFacts {
        OfferFacts {
            offer: row.remedy.state,
            booking: booking.state,
            starts_on: booking.starts_on,
            today: self.today(),
        }
    }

    /// Records `choice` on the offer and acts on it, in the caller's transaction (rules in
    /// the module documentation). A choice an incident's closing does not stop: remedies
    /// outlive the emergency.
    async fn apply_remedy_choice(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: &Incident,
        row: RemedyRow,
        choice: RemedyChoice,
        via: RemedyVia,
    ) -> Result<RemedyChosen, AppError> {
        let booking = self.load_for_step(tx, row.remedy.booking_id).await?;
        let repeat = |row: RemedyRow| RemedyChosen {
            row,
            repeat: true,
            refund: None,
            ticket: None,
        };
        match choose(&self.offer_facts(&row, &booking), choice).map_err(refused)? {
            ChoiceStep::Repeat => return Ok(repeat(row)),
            ChoiceStep::Record => {}
        }
        let now = self.now();
        let by = (via == RemedyVia::Staff)
            .then_some(p.user_id)
            .filter(|u| !u.is_nil());
        if !tx
            .record_remedy_choice(incident.id, booking.id, choice, via, by, now)
            .await?
        {
            // Another choice landed between the read and the write (another node): it stands.
            let now_row = tx
                .get_remedy(incident.id, booking.id)
                .await?
                .ok_or_else(not_found)?;
            return match choose(&self.offer_facts(&now_row, &booking), choice).map_err(refused)? {
                ChoiceStep::Repeat => Ok(repeat(now_row)),
                ChoiceStep::Record => Err(AppError::Internal(
                    "an offer still waits after its conditional update failed".into(),
                )),
            };
        }
        let (refund, ticket) = match choice {
            RemedyChoice::Refund => {
                let (_, refund) = self
                    .cancel_booking_in(
                        tx,
                        p,
                        booking.id,
                        Cause::ForceMajeure {
                            unrecoverable: Vec::new(),
                        },
                    )
                    .await?;
                (refund, None)
            }
            RemedyChoice::Postpone => {
                let kept = self.paid_and_kept(tx, &booking).await?;
                let options = RemedyOptions::of(&remedy_booking(&booking, kept), self.today())
                    .map_err(|e| AppError::Internal(format!("remedy options: {e}")))?;
                let t = self
                    .postponement_ticket(tx, p, incident, &booking, &options, via)
                    .await?;
                (None, Some(t))
            }
        };
        tx.set_remedy_outcome(
            incident.id,
            booking.id,
            refund.as_ref().map(|r| r.id),
            ticket.as_ref().map(|t| t.0),
        )
        .await?;
        let detail = json!({
            "booking_id": booking.id, "choice": choice.as_str(), "via": via.as_str(),
            "refund_fen": refund.as_ref().map(|r| r.refund.refund_fen),
            "ticket": ticket.as_ref().map(|t| &t.1),
        });
        self.record_step(
            tx,
            p,
            incident.id,
            EventKind::RemedyChosen,
            AuditAction::IncidentRemedyChoice,
            Some(row.remedy.customer_id),
            detail,
        )
        .await?;
        let row = tx
            .get_remedy(incident.id, booking.id)
            .await?
            .ok_or_else(not_found)?;
        Ok(RemedyChosen {
            row,
            repeat: false,
            refund,
            ticket,
        })
    }

    /// What staff need to act on a postponement: a ticket assigned to the incident's CS
    /// manager, naming the booking, whether the policy makes it free and what carries over.
    async fn postponement_ticket(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        incident: &Incident,
        booking: &Booking,
        options: &RemedyOptions,
        via: RemedyVia,
    ) -> Result<(Uuid, String), AppError> {
        let label = booking_label(booking.confirmation_no.as_deref(), booking.starts_on);
        let name = tx
            .get_customer(booking.customer_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let terms = if options.postponement.free {
            "按政策免费延期"
        } else {
            "因变更增加的费用由旅游者承担，以新日期的报价为准"
        };
        let input = NewTicket {
            kind: TicketKind::Inquiry,
            channel: match via {
                RemedyVia::Link => Channel::WebForm,
                RemedyVia::Staff => Channel::Phone,
            },
            level: Some(Level::General),
            subject: format!("【不可抗力延期】{} {label}", incident.title)
                .chars()
                .take(200)
                .collect(),
            description: format!(
                "客户因突发事件“{}”选择延期（{terms}）。已付{}全部转入新日期。\
                 请联系客户确定新日期，在预订页按变更报价办理。",
                incident.title,
                yuan(options.postponement.credit_fen),
            ),
            customer_name: if name.trim().is_empty() {
                "—".into()
            } else {
                name
            },
            customer_phone: None,
            customer_email: None,
            customer_id: Some(booking.customer_id),
            booking_ref: booking.confirmation_no.clone(),
            business_area: None,
            tags: vec!["应急".into(), "延期".into()],
        };
        let cs_manager = super::cs_manager_of(tx, incident.id).await?;
        let ticket = self
            .insert_new_ticket(
                tx,
                p,
                input,
                Level::General,
                Some(booking.customer_id),
                cs_manager,
            )
            .await?;
        Ok((ticket.ticket.id, ticket.ticket.number))
    }
}

/// The booking as the remedy rules see it, with what is kept of its payments.
fn remedy_booking(booking: &Booking, kept_fen: i64) -> RemedyBooking<'_> {
    RemedyBooking {
        state: booking.state,
        starts_on: booking.starts_on,
        total_fen: booking.total_fen,
        paid_fen: kept_fen,
        policy: booking.policy.as_ref().map(|p| &p.terms),
    }
}
