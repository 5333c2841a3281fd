//! The manual-handling list (issue 15 item 3, the system-failure checklist's "switch to
//! manual handling"): a day's bookings arriving, departing and pending — what staff need to
//! work them by phone and on paper while the systems are down. Read in one transaction;
//! the booker's name for staff who may see customers, the phone masked for them and in
//! plaintext for those who may reveal sensitive data, that reveal written to the audit log
//! (one entry per list: the day and how many phones were shown).

use crate::customers::{identifier_field, open_sealed};
use crate::{App, AppError, Principal};
use jiff::civil::Date;
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, DayList, LineItem, Tx};
use uuid::Uuid;

/// The most bookings one list reads at once.
const CHUNK: u32 = 1_000;

/// One booking of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualRow {
    pub booking_id: Uuid,
    /// The confirmation number; none while held.
    pub confirmation_no: Option<String>,
    /// What is booked, a line each: `property · room 201 · 03-10→03-13` or `package ·
    /// departs 03-10`.
    pub items: Vec<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Travelers: the seats booked, else the travelers named (at least the booker).
    pub party: u32,
    /// The booker's name (staff who may see customers; none once erased).
    pub customer: Option<String>,
    /// The booker's primary phone: masked, or in plaintext for `reveal_sensitive`.
    pub phone: Option<String>,
    pub state: BookingState,
    pub due_fen: i64,
}

/// One of the three lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSection {
    pub list: DayList,
    /// Every booking of the list, however many are read.
    pub total: u64,
    pub rows: Vec<ManualRow>,
}

/// The day's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualList {
    pub day: Date,
    pub generated_at: jiff::Timestamp,
    pub sections: Vec<ManualSection>,
    /// Whether phones are shown in plaintext.
    pub phones_revealed: bool,
}

impl ManualList {
    /// Whether every section holds all its bookings.
    pub fn complete(&self) -> bool {
        self.sections.iter().all(|s| s.rows.len() as u64 == s.total)
    }
}

/// What the lines of a booking name, read once per list.
#[derive(Default)]
struct Names {
    rooms: HashMap<Uuid, String>,
    departures: HashMap<Uuid, (String, Date)>,
}

impl App {
    /// The manual-handling list of `day` (today in China's time zone when none): each list
    /// up to `limit` bookings (all of them when `None`: the PDF), with its total.
    pub async fn manual_list(
        &self,
        p: &Principal,
        day: Option<Date>,
        limit: Option<u32>,
    ) -> Result<ManualList, AppError> {
        p.require(Permission::ViewBookings)?;
        let day = day.unwrap_or_else(|| self.today());
        let see_names = p.can(Permission::ViewCustomers);
        let reveal = see_names && p.can(Permission::RevealSensitive);
        let vault = if reveal { Some(self.vault()?) } else { None };
        let mut tx = self.store.read().await?;
        let mut names = Names::default();
        let mut sections = Vec::with_capacity(DayList::ALL.len());
        let mut phones_shown = 0u64;
        for list in DayList::ALL {
            let total = tx.count_day_bookings(list, day).await?;
            let wanted = limit.map_or(total, u64::from).min(total);
            let mut rows = Vec::new();
            while (rows.len() as u64) < wanted {
                let take = u32::try_from(wanted - rows.len() as u64)
                    .unwrap_or(CHUNK)
                    .min(CHUNK);
                let batch = tx
                    .list_day_bookings(list, day, take, rows.len() as u64)
                    .await?;
                if batch.is_empty() {
                    break;
                }
                let ids: Vec<Uuid> = batch.iter().map(|b| b.customer_id).collect();
                let customers = if see_names {
                    self.manual_contacts(&mut *tx, &ids, vault).await?
                } else {
                    HashMap::new()
                };
                for b in batch {
                    let contact = customers.get(&b.customer_id).cloned();
                    phones_shown +=
                        u64::from(reveal && contact.as_ref().is_some_and(|c| c.1.is_some()));
                    rows.push(self.manual_row(&mut *tx, &mut names, b, contact).await?);
                }
            }
            sections.push(ManualSection { list, total, rows });
        }
        drop(tx);
        if phones_shown > 0 {
            let mut tx = self.store.write().await?;
            self.audit(
                &mut *tx,
                p,
                AuditAction::CustomerReveal,
                "booking_manual_list",
                Some(day.to_string()),
                json!({ "field": "phone", "phones": phones_shown,
                        "reason": "manual handling list (system failure)" }),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(ManualList {
            day,
            generated_at: self.now(),
            sections,
            phones_revealed: reveal,
        })
    }

    /// Names (not erased) and primary phones of customers: masked, or opened with `vault`.
    async fn manual_contacts(
        &self,
        tx: &mut dyn Tx,
        ids: &[Uuid],
        vault: Option<&tripdesk_vault::KeyRing>,
    ) -> Result<HashMap<Uuid, (String, Option<String>)>, AppError> {
        let mut out = HashMap::new();
        let mut unique = ids.to_vec();
        unique.sort();
        unique.dedup();
        for id in &unique {
            if let Some(c) = tx.get_customer(*id).await? {
                if c.erased_at.is_none() {
                    out.insert(*id, (c.name, None));
                }
            }
        }
        for ident in tx.list_identifiers_of(&unique).await? {
            if ident.kind != "phone" || !ident.is_primary {
                continue;
            }
            let Some(entry) = out.get_mut(&ident.customer_id) else {
                continue;
            };
            entry.1 = Some(match vault {
                Some(v) => open_sealed(v, &identifier_field("phone"), ident.id, &ident.sealed)?
                    .expose_secret()
                    .clone(),
                None => ident.masked.clone(),
            });
        }
        Ok(out)
    }

    async fn manual_row(
        &self,
        tx: &mut dyn Tx,
        names: &mut Names,
        b: Booking,
        contact: Option<(String, Option<String>)>,
    ) -> Result<ManualRow, AppError> {
        let mut items = Vec::with_capacity(b.lines.len());
        let mut seats = 0u32;
        for line in &b.lines {
            match &line.item {
                LineItem::Room { room_id, stay } => {
                    if !names.rooms.contains_key(room_id) {
                        let label = match tx.get_room(*room_id).await? {
                            Some(room) => {
                                let property = tx
                                    .get_property(room.property_id)
                                    .await?
                                    .map(|p| p.name)
                                    .unwrap_or_default();
                                format!("{property} · {}", room.label)
                            }
                            None => room_id.to_string(),
                        };
                        names.rooms.insert(*room_id, label);
                    }
                    items.push(format!(
                        "{} · {}→{}",
                        names.rooms[room_id],
                        stay.check_in(),
                        stay.check_out()
                    ));
                }
                LineItem::Seats {
                    departure_id,
                    party,
                } => {
                    seats = seats.saturating_add(party.size());
                    if !names.departures.contains_key(departure_id) {
                        let named = match tx.get_departure(*departure_id).await? {
                            Some(d) => {
                                let package = tx
                                    .get_package(d.departure.package_id)
                                    .await?
                                    .map(|p| p.package.name)
                                    .unwrap_or_default();
                                (package, d.departure.date)
                            }
                            None => (departure_id.to_string(), b.starts_on),
                        };
                        names.departures.insert(*departure_id, named);
                    }
                    let (package, date) = &names.departures[departure_id];
                    items.push(format!("{package} · {date} × {}", party.size()));
                }
            }
        }
        let party = if seats > 0 {
            seats
        } else {
            u32::try_from(b.travelers.len()).unwrap_or(u32::MAX).max(1)
        };
        let (customer, phone) = contact.map_or((None, None), |(n, p)| (Some(n), p));
        Ok(ManualRow {
            booking_id: b.id,
            confirmation_no: b.confirmation_no.clone(),
            items,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            party,
            customer,
            phone,
            state: b.state,
            due_fen: b.balance_due_fen(),
        })
    }
}
