//! Bulk remedies under force majeure (issue 15 item 6): every booking an open incident
//! reaches is offered a refund or a postponement in one transaction, what each option means
//! for that booking in money quoted by the domain's rules, and each customer gets one message
//! (SMS or email, as the broadcast chooses) with their signed link to choose
//! ([`super::remedy_choice`]).

use super::remedy_choice::remedy_link;
use crate::page::Page;
use crate::{App, AppError, Principal};
use serde::Serialize;
use serde_json::json;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::emergency::{
    eligibility, EventKind, IncidentState, RemedyBooking, RemedyOptions, RemedyState,
};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::{
    Incident, IncidentRemedy, NewMessage, RemedyCandidate, RemedyCounts, RemedyRow, Tx,
};
use uuid::Uuid;

/// The related type of an offer's message (its id is the incident's): apart from the
/// incident's own messages, so the broadcast's delivery figures count only the broadcast.
pub const REMEDY_SUBJECT: &str = "incident_remedy";

/// Bookings read at once while offering.
const CHUNK: u32 = 2_000;
/// Bookings named one by one in a message; more are counted.
const NAMED_IN_MESSAGE: usize = 3;

/// What an offer did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemedyOffer {
    /// Bookings offered now (those offered before are not offered again).
    pub offered: u64,
    /// Customers messaged or to call: one message each, whatever their number of bookings.
    pub customers: u64,
    pub sms: u64,
    pub email: u64,
    /// Customers with neither a phone (with SMS configured) nor an email: staff call them
    /// (their offers are listed without a channel).
    pub no_contact: u64,
    /// Bookings the scope reaches but not offered, by reason (`started`: the trip is on the
    /// road; `unpriced`: its figures could not be read).
    pub skipped: BTreeMap<String, u64>,
}

/// One booking as the offer prices it.
struct Priced<'a> {
    candidate: &'a RemedyCandidate,
    options: RemedyOptions,
}

/// A booking in a message: its confirmation number, or its dates for a hold.
pub(super) fn booking_label(confirmation_no: Option<&str>, starts_on: jiff::civil::Date) -> String {
    match confirmation_no {
        Some(no) => no.to_string(),
        None => format!("{starts_on} 起的预留"),
    }
}

/// The offer's text to one customer.
fn offer_text(incident: &Incident, mine: &[&Priced<'_>], link: &str) -> String {
    let names: Vec<String> = mine
        .iter()
        .take(NAMED_IN_MESSAGE)
        .map(|p| {
            booking_label(
                p.candidate.confirmation_no.as_deref(),
                p.candidate.starts_on,
            )
        })
        .collect();
    let more = if mine.len() > NAMED_IN_MESSAGE {
        format!("等 {} 个订单", mine.len())
    } else {
        String::new()
    };
    let what = match mine {
        [one] => format!(
            "可选择全额退款（退还{}）或{}",
            yuan(one.options.refund.refund_fen),
            if one.options.postponement.free {
                "免费延期"
            } else {
                "延期（变更增加的费用由旅游者承担）"
            }
        ),
        _ => "可分别选择全额退款或延期，各订单金额见链接".to_string(),
    };
    format!(
        "【{}】受不可抗力影响，您的订单{}{more}{what}。请打开 {link} 选择，如有疑问请致电客服。",
        incident.title,
        names.join("、"),
    )
}

impl App {
    /// Offers a refund or a postponement to every booking the open incident reaches that
    /// has none yet, in one transaction: each offer keeps what its options mean in money,
    /// and each customer gets one message with their link (SMS when the provider is
    /// configured and they have a phone, else email; neither: listed for a call). Offering
    /// again offers only bookings new to the incident. A drill offers nothing (409
    /// `incident.drill`): a refund chosen would cancel a real booking.
    pub async fn offer_remedies(
        &self,
        p: &Principal,
        incident_id: Uuid,
        base_url: &str,
    ) -> Result<RemedyOffer, AppError> {
        p.require(Permission::ManageIncidents)?;
        let keys = self.vault()?;
        let (now, today) = (self.now(), self.today());
        let mut tx = self.store.write().await?;
        let incident = self.open_incident(&mut *tx, incident_id).await?;
        if incident.drill {
            return Err(AppError::Conflict {
                code: "incident.drill",
                message: "a drill offers no refund or postponement: it would change real bookings"
                    .into(),
                field: None,
            });
        }
        let mut out = RemedyOffer::default();
        let mut candidates = Vec::new();
        let mut after = None;
        loop {
            let chunk = tx
                .remedy_candidates(incident.id, &incident.scope, after, CHUNK)
                .await?;
            let Some(last) = chunk.last() else { break };
            after = Some(last.booking_id);
            let full = chunk.len() == CHUNK as usize;
            candidates.extend(chunk);
            if !full {
                break;
            }
        }
        let mut priced = Vec::with_capacity(candidates.len());
        for c in &candidates {
            let skip = |out: &mut RemedyOffer, why: &str| {
                *out.skipped.entry(why.to_string()).or_default() += 1;
            };
            if let Err(why) = eligibility(IncidentState::Open, true, c.state, c.starts_on, today) {
                skip(&mut out, why.code());
                continue;
            }
            let booking = RemedyBooking {
                state: c.state,
                starts_on: c.starts_on,
                total_fen: c.total_fen,
                paid_fen: c.paid_fen - c.owed_fen,
                policy: c.policy.as_ref().map(|p| &p.terms),
            };
            match RemedyOptions::of(&booking, today) {
                Ok(options) => priced.push(Priced {
                    candidate: c,
                    options,
                }),
                Err(e) => {
                    tracing::warn!(booking = %c.booking_id, error = %e, "a remedy could not be priced");
                    skip(&mut out, "unpriced");
                }
            }
        }
        // One way to reach each customer, read once however many bookings they hold.
        let mut reach: HashMap<Uuid, Option<(DeliveryChannel, String)>> = HashMap::new();
        for x in &priced {
            let c = x.candidate;
            if let Entry::Vacant(e) = reach.entry(c.customer_id) {
                e.insert(self.emergency_recipient(keys, c.phone.as_ref(), c.email.as_ref())?);
            }
        }
        let offers: Vec<IncidentRemedy> = priced
            .iter()
            .map(|x| IncidentRemedy {
                incident_id: incident.id,
                booking_id: x.candidate.booking_id,
                customer_id: x.candidate.customer_id,
                state: RemedyState::Offered,
                paid_fen: x.options.postponement.credit_fen,
                refund_fen: x.options.refund.refund_fen,
                postpone_free: x.options.postponement.free,
                notified_via: reach[&x.candidate.customer_id].as_ref().map(|(c, _)| *c),
                offered_by: Some(p.user_id).filter(|u| !u.is_nil()),
                offered_at: now,
                chosen_at: None,
                chosen_via: None,
                chosen_by: None,
                refund_id: None,
                ticket_id: None,
                withdrawn_at: None,
            })
            .collect();
        // Offered by another node meanwhile: not inserted, not messaged again.
        let inserted: HashSet<Uuid> = tx.insert_remedies(&offers).await?.into_iter().collect();
        out.offered = inserted.len() as u64;
        let mut by_customer: BTreeMap<Uuid, Vec<&Priced<'_>>> = BTreeMap::new();
        for x in priced
            .iter()
            .filter(|x| inserted.contains(&x.candidate.booking_id))
        {
            by_customer
                .entry(x.candidate.customer_id)
                .or_default()
                .push(x);
        }
        let mut messages = Vec::new();
        for (customer, mine) in &by_customer {
            out.customers += 1;
            let Some((channel, recipient)) = reach[customer].clone() else {
                out.no_contact += 1;
                continue;
            };
            match channel {
                DeliveryChannel::Sms => out.sms += 1,
                _ => out.email += 1,
            }
            let link = remedy_link(keys, base_url, incident.id, *customer);
            messages.push(NewMessage {
                id: Uuid::now_v7(),
                channel: channel.as_str().into(),
                recipient,
                customer_id: Some(*customer),
                subject: format!("{}：请选择退款或延期", incident.title),
                body_text: offer_text(&incident, mine, &link),
                body_html: None,
                event: Some("incident.remedy_offer".into()),
                template_key: None,
                template_version: None,
                locale: "zh-CN".into(),
                related_type: Some(REMEDY_SUBJECT.into()),
                related_id: Some(incident.id.to_string()),
                // Not an alarm: quiet hours apply.
                emergency: false,
                max_attempts: self.settings.notify.max_attempts,
                due_at: now,
                created_by: Some(p.user_id).filter(|u| !u.is_nil()),
                created_at: now,
                attachments: Vec::new(),
                thread_references: None,
            });
            if messages.len() >= CHUNK as usize {
                tx.enqueue(&messages).await?;
                messages.clear();
            }
        }
        tx.enqueue(&messages).await?;
        let detail = json!({ "offered": out.offered, "customers": out.customers,
                             "sms": out.sms, "email": out.email, "no_contact": out.no_contact,
                             "skipped": &out.skipped });
        self.record_step(
            &mut *tx,
            p,
            incident.id,
            EventKind::RemediesOffered,
            AuditAction::IncidentRemedyOffer,
            None,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The incident's offers (in `state` when given), by booking id, with their booking as
    /// it stands, and the counts by state.
    pub async fn incident_remedies(
        &self,
        p: &Principal,
        incident_id: Uuid,
        state: Option<RemedyState>,
        limit: u32,
        offset: u64,
    ) -> Result<(Page<RemedyRow>, RemedyCounts), AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        if r.get_incident(incident_id).await?.is_none() {
            return Err(AppError::NotFound("incident"));
        }
        let rows = r
            .list_remedies(
                incident_id,
                state,
                Page::<RemedyRow>::fetch_limit(limit),
                offset,
            )
            .await?;
        let counts = r.remedy_counts(incident_id).await?;
        Ok((Page::of(rows, limit), counts))
    }

    /// A booking's offers still waiting are withdrawn (it was cancelled or expired by another
    /// path), each with a line on its incident's timeline; in the caller's transaction.
    pub(crate) async fn withdraw_remedies(
        &self,
        tx: &mut dyn Tx,
        booking_id: Uuid,
    ) -> Result<usize, AppError> {
        let now = self.now();
        let incidents = tx.withdraw_remedies(booking_id, now).await?;
        if !incidents.is_empty() {
            let events: Vec<_> = incidents
                .iter()
                .map(|i| {
                    super::event(
                        *i,
                        now,
                        EventKind::RemedyWithdrawn,
                        None,
                        None,
                        json!({ "booking_id": booking_id }),
                    )
                })
                .collect();
            tx.insert_incident_events(&events).await?;
        }
        Ok(incidents.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_is_named_by_its_dates() {
        let d = jiff::civil::date(2027, 3, 10);
        assert_eq!(
            booking_label(Some("TD270301ABCDEFGH"), d),
            "TD270301ABCDEFGH"
        );
        assert_eq!(booking_label(None, d), "2027-03-10 起的预留");
    }
}
