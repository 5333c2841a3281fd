//! The waitlist of a sold-out departure (issue 14): staff put a customer on it with the seats
//! their party needs; when a cancellation or an expired hold frees seats,
//! [`super::steps`] offers them first fit in order (`tripdesk_domain::bookings::offer_freed_seats`)
//! and [`App::tell_waitlist_offer`] tells the customer in the same transaction.
//!
//! A customer waits on a departure once: the database holds it (a unique index over the
//! waiting entries), so two agents adding the same customer at once get one entry and the
//! other `waitlist.already_waiting`.

use super::BookingCustomer;
use crate::notify::{Notification, Recipient};
use crate::page::Page;
use crate::{App, AppError, OnDuplicate, Principal};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::catalog::Party;
use tripdesk_domain::customer::mask_name;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{DepartureRecord, Tx, WaitlistEntryRecord};
use uuid::Uuid;

/// The template the customer offered freed seats is sent.
pub const OFFER_TEMPLATE: &str = "waitlist.offered";

/// A request to wait for seats on a departure.
#[derive(Clone)]
pub struct JoinWaitlist {
    pub departure_id: Uuid,
    pub customer: BookingCustomer,
    /// Seats the party needs, 1 to the departure's seats (a party is never split).
    pub seats: u32,
    /// Where the request came from, for a customer created with it (`api`, `desk`).
    pub source_channel: String,
}

/// A waitlist entry as staff see it: its place and the customer's masked name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistItem {
    pub entry: WaitlistEntryRecord,
    /// 1 for the first to join (offered entries keep their place).
    pub position: u32,
    /// The customer's name masked (`张*`); empty once erased.
    pub customer_masked: String,
}

impl WaitlistItem {
    /// `waiting` or `offered`.
    pub fn state(&self) -> &'static str {
        if self.entry.offered_at.is_some() {
            "offered"
        } else {
            "waiting"
        }
    }
}

/// A departure that can still be waited on: known, not called off, not yet gone.
async fn open_departure(app: &App, tx: &mut dyn Tx, id: Uuid) -> Result<DepartureRecord, AppError> {
    tx.get_departure(id)
        .await?
        .filter(|d| !d.cancelled && d.departure.date >= app.today())
        .ok_or(AppError::NotFound("departure"))
}

impl App {
    /// Puts a customer on a sold-out departure's waitlist, audited. Refused with
    /// `waitlist.seats_available` while the departure still has seats for the party (book
    /// them instead) and `waitlist.already_waiting` while the customer already waits on it;
    /// an unknown, cancelled or past departure is not found.
    pub async fn join_waitlist(
        &self,
        principal: &Principal,
        req: JoinWaitlist,
    ) -> Result<WaitlistItem, AppError> {
        principal.require(Permission::MakeBookings)?;
        let customer = self.check_booking_customer(&req.customer, &req.source_channel)?;
        let mut tx = self.store.write().await?;
        let d = open_departure(self, &mut *tx, req.departure_id).await?;
        if req.seats == 0 || req.seats > d.departure.seats {
            return Err(AppError::field(
                "seats",
                "range",
                format!("a party waits for 1 to {} seats", d.departure.seats),
            ));
        }
        if d.seats_left() >= req.seats {
            return Err(AppError::Conflict {
                code: "waitlist.seats_available",
                message: format!(
                    "{} seats are left on this departure: book them instead",
                    d.seats_left()
                ),
                field: Some("seats".into()),
            });
        }
        let customer_id = self
            .resolve_booking_customer(&mut *tx, principal, customer)
            .await?;
        let entry = WaitlistEntryRecord {
            id: Uuid::now_v7(),
            departure_id: d.departure.id,
            customer_id,
            party: Party {
                adults: req.seats,
                children: 0,
                seniors: 0,
            },
            joined_at: self.now(),
            offered_at: None,
        };
        tx.join_waitlist(&entry).await.on_duplicate(
            "waitlist.already_waiting",
            Some("customer"),
            "this customer already waits on this departure",
        )?;
        let entries = tx.list_waitlist(d.departure.id).await?;
        let position = entries
            .iter()
            .position(|e| e.id == entry.id)
            .map_or(entries.len(), |i| i + 1);
        self.audit(
            &mut *tx,
            principal,
            AuditAction::BookingWaitlistJoin,
            "departure",
            Some(d.departure.id.to_string()),
            json!({ "entry": entry.id, "seats": req.seats, "position": position }),
        )
        .await?;
        let name = tx
            .get_customer(customer_id)
            .await?
            .map(|c| mask_name(&c.name))
            .unwrap_or_default();
        tx.commit().await?;
        Ok(WaitlistItem {
            entry,
            position: u32::try_from(position).unwrap_or(u32::MAX),
            customer_masked: name,
        })
    }

    /// A departure's waitlist in order (offered entries included, in their place), paged.
    pub async fn list_waitlist(
        &self,
        principal: &Principal,
        departure_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<Page<WaitlistItem>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        tx.get_departure(departure_id)
            .await?
            .ok_or(AppError::NotFound("departure"))?;
        let rows = tx.list_waitlist(departure_id).await?;
        let mut items = Vec::new();
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = Page::<()>::fetch_limit(limit) as usize;
        for (i, entry) in rows.into_iter().enumerate().skip(skip).take(take) {
            let customer_masked = tx
                .get_customer(entry.customer_id)
                .await?
                .filter(|c| c.erased_at.is_none())
                .map(|c| mask_name(&c.name))
                .unwrap_or_default();
            items.push(WaitlistItem {
                entry,
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                customer_masked,
            });
        }
        Ok(Page::of(items, limit))
    }

    /// How many parties wait on each of `departure_ids` (the departures calendar).
    pub async fn waitlist_counts(
        &self,
        principal: &Principal,
        departure_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, u32)>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        Ok(tx.waitlist_counts(departure_ids).await?)
    }

    /// Tells a customer offered freed seats, in the caller's transaction: a message from the
    /// [`OFFER_TEMPLATE`] naming the product, date and seats, asking them to contact the
    /// agency to book. Only email reaches a customer through the outbox: a customer without
    /// an email is not messaged (staff see the entry offered on the departures calendar).
    /// A template an administrator removed skips the message with a warning rather than
    /// failing the cancellation that freed the seats. Returns whether a message was queued.
    pub(super) async fn tell_waitlist_offer(
        &self,
        tx: &mut dyn Tx,
        entry: &WaitlistEntryRecord,
    ) -> Result<bool, AppError> {
        let Some(email) = self.customer_email(tx, Some(entry.customer_id)).await? else {
            return Ok(false);
        };
        let Some(customer) = tx
            .get_customer(entry.customer_id)
            .await?
            .filter(|c| c.erased_at.is_none())
        else {
            return Ok(false);
        };
        let Some(d) = tx.get_departure(entry.departure_id).await? else {
            return Ok(false);
        };
        let product = tx
            .get_package(d.departure.package_id)
            .await?
            .map(|p| p.package.name)
            .unwrap_or_default();
        let vars = BTreeMap::from([
            ("name".to_string(), customer.name.clone()),
            ("product".to_string(), product),
            ("date".to_string(), d.departure.date.to_string()),
            ("seats".to_string(), entry.party.size().to_string()),
        ]);
        let sent = self
            .enqueue_notifications(
                tx,
                &[Notification {
                    template_key: OFFER_TEMPLATE.into(),
                    recipient: Recipient {
                        preference_key: Some(format!("customer:{}", customer.id)),
                        customer_id: Some(customer.id),
                        email: Some(email),
                        user_id: None,
                        locale: customer.preferred_language.clone(),
                    },
                    vars,
                    related: Some(("departure".into(), d.departure.id.to_string())),
                    emergency: false,
                    attachments: Vec::new(),
                }],
            )
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(AppError::Validation(fields))
                if fields.iter().any(|f| f.field == "template_key") =>
            {
                tracing::warn!(
                    template = OFFER_TEMPLATE,
                    "waitlist offer template missing: customer not told (restore it under 通知模板)"
                );
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
