//! Bookings (issue 14): a customer books room-nights and departure seats; the booking is
//! held, confirmed, changed, completed, cancelled or expired by the rules of
//! `tripdesk_domain::bookings`, and its inventory is taken and freed by statements the
//! database arbitrates (`tripdesk_store::bookings`), so no seat or night is sold twice on any
//! number of nodes.
//!
//! - this file: creating a booking (the customer and travelers found or created in the
//!   vault, each line priced and its inventory taken, confirmed at once when asked), and the
//!   alternatives a sold-out answer names;
//! - [`steps`]: confirm, cancel (refund computed and due within 5 working days), complete,
//!   payments, and the hold-expiry job;
//! - [`changes`]: a change of dates, room or party quoted (prices re-computed, inventory
//!   re-checked) and, once the customer accepts, applied in one transaction;
//! - [`arrival`]: guests arrive, registration within 5 minutes, the welcome pack; a day's
//!   arrivals at a property;
//! - [`confirmation`]: the confirmation to the customer within 1 hour (its clock met by the
//!   outbox's hand-off, or by staff who phoned);
//! - [`gateway`]: payments recorded by a payment gateway's signed notification, once;
//! - [`refunds`]: a cancellation's refund paid out within 5 working days (its SLA clock);
//!   [`clocks`]: the SLA clocks on a booking (registration, refund payment);
//! - [`catalog`]: packages, departures, properties, room types, rooms, availability;
//! - [`policies`]: products' cancellation policies as dated versions, and the one a booking
//!   keeps at confirmation;
//! - [`waitlist`]: joining a sold-out departure's waitlist, its list in order, and the
//!   message to a customer offered freed seats;
//! - [`matching`]: up to three products for an inquiring customer's needs;
//! - [`grid`]: the room-status grid (房态); [`ical`]: OTA calendar feeds and imports;
//!   [`ical_sync`]: rooms subscribed to OTAs' calendar addresses, fetched
//!   ([`feed_fetch`]) and imported on a schedule; [`documents`]: the departure notice.

pub mod arrival;
pub mod catalog;
pub mod changes;
mod clocks;
pub mod confirmation;
pub mod documents;
pub mod feed_fetch;
pub mod gateway;
pub mod grid;
pub mod ical;
pub mod ical_sync;
pub mod manual_list;
pub mod matching;
pub mod policies;
pub mod refunds;
pub mod steps;
pub mod waitlist;

use crate::customers::IntakeCustomer;
use crate::idempotency::{Idempotency, Once};
use crate::{App, AppError, FieldError, Principal};
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::{BookingState, Hold, Stay};
use tripdesk_domain::calendar::{china_time_zone, Calendar};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::events;
use tripdesk_store::{
    Booking, BookingFilter, BookingLine, DepartureFilter, LineItem, PolicySubject, Traveler, Tx,
};
use uuid::Uuid;

pub use steps::{ExpireHold, ExpirePayload, NewPayment};

/// Lines one booking may have.
pub const MAX_LINES: usize = 20;
/// Travelers one booking may name.
pub const MAX_TRAVELERS: usize = 60;

/// Who books: a known customer, or a name with a phone or an email (found through the blind
/// index, or created sealed).
#[derive(Clone)]
pub enum BookingCustomer {
    Existing(Uuid),
    Contact(IntakeCustomer),
}

/// A booking's customer as checked before the write transaction: a known customer's id, or
/// contacts validated and sealed, to be found through the blind index or created inside it.
pub(crate) enum CustomerIntake {
    Known(Uuid),
    New(Box<crate::customers::PreparedCustomer>),
}

impl App {
    /// Checks who books (or waits): `customer.phone` is required when neither a phone nor an
    /// email is given; each bad contact field is named.
    pub(crate) fn check_booking_customer(
        &self,
        customer: &BookingCustomer,
        source_channel: &str,
    ) -> Result<CustomerIntake, AppError> {
        match customer {
            BookingCustomer::Existing(id) => Ok(CustomerIntake::Known(*id)),
            BookingCustomer::Contact(c) => match self.prepare_intake_customer(c, source_channel) {
                Ok(Some(p)) => Ok(CustomerIntake::New(Box::new(p))),
                Ok(None) => Err(AppError::field(
                    "customer.phone",
                    "required",
                    "the customer needs a phone or an email",
                )),
                Err(fields) => Err(AppError::Validation(fields)),
            },
        }
    }

    /// The customer's id inside the write transaction: a known customer must exist and not be
    /// erased (`customer_id` unknown otherwise); new contacts are found or created.
    pub(crate) async fn resolve_booking_customer(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        intake: CustomerIntake,
    ) -> Result<Uuid, AppError> {
        match intake {
            CustomerIntake::Known(id) => {
                tx.get_customer(id)
                    .await?
                    .filter(|c| c.erased_at.is_none())
                    .ok_or_else(|| {
                        AppError::field("customer_id", "unknown", "no customer has this id")
                    })?;
                Ok(id)
            }
            CustomerIntake::New(prepared) => {
                self.find_or_create_customer(tx, principal, *prepared).await
            }
        }
    }
}

/// Takes each line's room-nights or seats for `booking_id` under the database's guards (the
/// unique `(room_id, night)` and the seats' conditional update): the position of the first
/// line whose inventory is gone, else `None`. The caller drops the transaction on a refusal.
pub(super) async fn take_inventory(
    tx: &mut dyn Tx,
    booking_id: Uuid,
    lines: &[BookingLine],
) -> Result<Option<usize>, AppError> {
    for (i, line) in lines.iter().enumerate() {
        let taken = match &line.item {
            LineItem::Room { room_id, stay } => {
                tx.take_room_nights(booking_id, *room_id, *stay).await?
            }
            LineItem::Seats {
                departure_id,
                party,
            } => tx.take_seats(*departure_id, party.size()).await?,
        };
        if !taken {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// What a line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRequest {
    Room {
        room_id: Uuid,
        check_in: Date,
        check_out: Date,
    },
    Seats {
        departure_id: Uuid,
        party: Party,
    },
}

/// A traveler as given: a name with a phone or a resident ID / passport number (sealed in the
/// vault, as every customer's).
#[derive(Debug, Clone)]
pub struct TravelerInput {
    pub name: String,
    pub phone: Option<String>,
    /// `resident_id` or `passport`, with its number.
    pub document: Option<(String, String)>,
    pub category: TravelerCategory,
}

/// A booking request.
#[derive(Clone)]
pub struct NewBooking {
    pub customer: BookingCustomer,
    pub lines: Vec<LineRequest>,
    pub travelers: Vec<TravelerInput>,
    /// How long the inventory is held before it is paid and confirmed.
    pub hold: Hold,
    /// Confirm at once (paid at the counter, an integrator that took the payment).
    pub confirm: bool,
    pub ticket_id: Option<Uuid>,
    /// Where the booking came from, for the customer created with it (`api`, `desk`).
    pub source_channel: String,
}

/// Something else a customer could book when a line is sold out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alternative {
    /// Another room free for the whole stay (same type first, then other types).
    Room {
        room_id: Uuid,
        label: String,
        room_type: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        check_in: Date,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        check_out: Date,
    },
    /// Another departure of the same package with enough seats.
    Departure {
        departure_id: Uuid,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        date: Date,
        seats_left: u32,
    },
}

/// How many alternatives a sold-out answer names at most.
pub const MAX_ALTERNATIVES: usize = 5;

fn line_field(i: usize, name: &str) -> String {
    format!("lines[{i}].{name}")
}

/// Checks the shape of a request (no store needed): line count, stays, parties, the hold.
fn check_request(req: &NewBooking) -> Result<Vec<LineItem>, AppError> {
    let mut fields = Vec::new();
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        fields.push(FieldError::new(
            "lines",
            "count",
            format!("a booking has 1 to {MAX_LINES} lines"),
        ));
    }
    if req.travelers.len() > MAX_TRAVELERS {
        fields.push(FieldError::new(
            "travelers",
            "count",
            format!("at most {MAX_TRAVELERS} travelers"),
        ));
    }
    if let Err(e) = req.hold.validate() {
        fields.push(FieldError::new("hold", e.code(), e.to_string()));
    }
    let mut items = Vec::new();
    for (i, line) in req.lines.iter().enumerate() {
        match line {
            LineRequest::Room {
                room_id,
                check_in,
                check_out,
            } => match Stay::new(*check_in, *check_out) {
                Ok(stay) => items.push(LineItem::Room {
                    room_id: *room_id,
                    stay,
                }),
                Err(e) => fields.push(FieldError::new(
                    &line_field(i, "check_out"),
                    e.code(),
                    e.to_string(),
                )),
            },
            LineRequest::Seats {
                departure_id,
                party,
            } => match party.validate() {
                Ok(()) => items.push(LineItem::Seats {
                    departure_id: *departure_id,
                    party: *party,
                }),
                Err(e) => fields.push(FieldError::new(
                    &line_field(i, "travelers"),
                    e.code(),
                    e.to_string(),
                )),
            },
        }
    }
    let mut rooms: Vec<(Uuid, Stay)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let LineItem::Room { room_id, stay } = item {
            if rooms.iter().any(|(r, s)| r == room_id && s.overlaps(stay)) {
                fields.push(FieldError::new(
                    &line_field(i, "room_id"),
                    "overlap",
                    "two lines book the same room on the same night",
                ));
            }
            rooms.push((*room_id, *stay));
        }
    }
    if fields.is_empty() {
        Ok(items)
    } else {
        Err(AppError::Validation(fields))
    }
}

/// A confirmation number: `TD`, the confirmation's date (yymmdd) and 8 characters of
/// Crockford's base32 (no I, L, O, U: read out over the phone without doubt), 40 random bits.
pub fn confirmation_number(on: Date) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits = rand::random::<u64>();
    let mut tail = String::with_capacity(8);
    for _ in 0..8 {
        tail.push(ALPHABET[(bits & 31) as usize] as char);
        bits >>= 5;
    }
    format!(
        "TD{:02}{:02}{:02}{tail}",
        on.year() % 100,
        on.month(),
        on.day()
    )
}

impl App {
    /// Creates a booking: the customer and the travelers found or created in the vault, each
    /// line priced from the catalog and its inventory taken, held until the hold runs out
    /// (the expiry job is enqueued) or confirmed at once when asked. A line whose inventory
    /// is gone answers [`AppError::SoldOut`] naming alternatives; nothing is written then.
    pub async fn create_booking(
        &self,
        principal: &Principal,
        req: NewBooking,
    ) -> Result<Booking, AppError> {
        self.create_booking_once(principal, req, None).await?.done()
    }

    /// [`App::create_booking`] made safe to retry with an idempotency key (see
    /// [`crate::idempotency`]): a retry answers the first response and books nothing.
    pub async fn create_booking_once(
        &self,
        principal: &Principal,
        req: NewBooking,
        once: Option<&Idempotency<'_, Booking>>,
    ) -> Result<Once<Booking>, AppError> {
        principal.require(Permission::MakeBookings)?;
        let items = check_request(&req)?;
        let customer = self.check_booking_customer(&req.customer, &req.source_channel)?;
        let mut travelers = Vec::with_capacity(req.travelers.len());
        for (i, t) in req.travelers.iter().enumerate() {
            travelers.push((
                self.prepare_traveler(i, t, &req.source_channel)?,
                t.category,
            ));
        }
        let now = self.now();
        let calendar_zone = china_time_zone();
        let mut tx = self.store.write().await?;
        if let Some(kept) = self.claim_once(&mut *tx, principal, once).await? {
            tx.commit().await?;
            return Ok(Once::Replayed(kept));
        }
        let customer_id = self
            .resolve_booking_customer(&mut *tx, principal, customer)
            .await?;
        let mut booking_travelers = Vec::with_capacity(travelers.len());
        for (prepared, category) in travelers {
            let id = self
                .find_or_create_customer(&mut *tx, principal, prepared)
                .await?;
            booking_travelers.push(Traveler {
                customer_id: id,
                category,
            });
        }
        if let Some(ticket) = req.ticket_id {
            tx.get_ticket(ticket)
                .await?
                .ok_or_else(|| AppError::field("ticket_id", "unknown", "no ticket has this id"))?;
        }
        let calendar = self
            .load_calendar(&mut *tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let mut lines = Vec::with_capacity(items.len());
        let (mut starts_on, mut ends_on) = (Date::MAX, Date::MIN);
        let mut line_policies = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let (price, first, last, policy) =
                self.price_line(&mut *tx, i, &item, &calendar).await?;
            line_policies.push(policy);
            starts_on = starts_on.min(first);
            ends_on = ends_on.max(last);
            lines.push(BookingLine {
                line_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
                item,
                price_fen: price,
            });
        }
        if starts_on < self.today() {
            return Err(AppError::field(
                "lines",
                "past",
                "a booking cannot start in the past",
            ));
        }
        let total_fen = lines
            .iter()
            .try_fold(0i64, |s, l| s.checked_add(l.price_fen))
            .ok_or_else(|| AppError::field("lines", "overflow", "the total is too large"))?;
        let expires_at = req
            .hold
            .expires_at(now, &calendar_zone, starts_on)
            .map_err(|e| AppError::field("hold", e.code(), e.to_string()))?;
        let mut booking = Booking {
            id: Uuid::now_v7(),
            customer_id,
            state: BookingState::Held,
            hold_kind: Some(req.hold.kind()),
            hold_expires_at: Some(expires_at),
            confirmation_no: None,
            starts_on,
            ends_on,
            total_fen,
            paid_fen: 0,
            policy: None,
            ticket_id: req.ticket_id,
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: now,
            updated_at: now,
            confirmed_at: None,
            closed_at: None,
            arrived_at: None,
            registered_at: None,
            welcome_pack_at: None,
            version: 1,
            lines,
            travelers: booking_travelers,
        };
        if req.confirm {
            let policy = self
                .policy_at_confirmation(&mut *tx, &line_policies, self.today())
                .await?;
            self.apply_confirm(&mut booking, policy)?;
        }
        tx.insert_booking(&booking).await?;
        if let Some(i) = take_inventory(&mut *tx, booking.id, &booking.lines).await? {
            drop(tx);
            return Err(self.sold_out(i, &booking.lines[i].item).await);
        }
        self.index_booking(&mut *tx, &booking).await?;
        if req.confirm {
            self.send_confirmation(&mut *tx, principal, &booking)
                .await?;
        } else {
            self.enqueue_job::<ExpireHold>(
                &mut *tx,
                &ExpirePayload {
                    booking_id: booking.id,
                },
                expires_at,
                Some(&format!("booking_hold:{}", booking.id)),
            )
            .await?;
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::BookingCreate,
            "booking",
            Some(booking.id.to_string()),
            json!({
                "state": booking.state.as_str(),
                "lines": booking.lines.len(),
                "travelers": booking.travelers.len(),
                "total_fen": booking.total_fen,
                "confirmation_no": booking.confirmation_no,
            }),
        )
        .await?;
        self.publish_booking_event(&mut *tx, events::BOOKING_CREATED, &booking)
            .await?;
        // Confirmed at once: a subscriber to confirmations hears of it as of any other.
        if req.confirm {
            self.publish_booking_event(&mut *tx, events::BOOKING_CONFIRMED, &booking)
                .await?;
        }
        self.keep_once(&mut *tx, principal, once, &booking).await?;
        tx.commit().await?;
        Ok(Once::Done(booking))
    }

    fn prepare_traveler(
        &self,
        i: usize,
        t: &TravelerInput,
        source_channel: &str,
    ) -> Result<crate::customers::PreparedCustomer, AppError> {
        use crate::customers::{DocumentInput, Labeled, NewCustomer};
        let prefix = format!("travelers[{i}]");
        let phone = t.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if phone.is_none() && t.document.is_none() {
            return Err(AppError::field(
                &format!("{prefix}.phone"),
                "required",
                "each traveler needs a phone or an ID document",
            ));
        }
        let input = NewCustomer {
            name: t.name.clone(),
            phones: phone
                .map(|p| vec![Labeled::new(format!("{prefix}.phone"), p)])
                .unwrap_or_default(),
            documents: t
                .document
                .iter()
                .map(|(kind, number)| DocumentInput {
                    field: format!("{prefix}.document"),
                    kind: kind.clone(),
                    number: number.clone(),
                })
                .collect(),
            source_channel: Some(source_channel.to_string()),
            ..Default::default()
        };
        self.prepare_customer(&input).map_err(|fields| {
            AppError::Validation(
                fields
                    .into_iter()
                    .map(|mut f| {
                        if !f.field.starts_with(&prefix) {
                            f.field = format!("{prefix}.{}", f.field);
                        }
                        f
                    })
                    .collect(),
            )
        })
    }

    /// A line's price, its first and last days, and where it finds its cancellation policy,
    /// from the catalog as `tx` sees it.
    async fn price_line(
        &self,
        tx: &mut dyn Tx,
        i: usize,
        item: &LineItem,
        calendar: &Calendar,
    ) -> Result<(i64, Date, Date, policies::LinePolicy), AppError> {
        match item {
            LineItem::Room { room_id, stay } => {
                let room = tx
                    .get_room(*room_id)
                    .await?
                    .filter(|r| r.active)
                    .ok_or_else(|| {
                        AppError::field(
                            &line_field(i, "room_id"),
                            "unknown",
                            "no bookable room has this id",
                        )
                    })?;
                let room_type = tx
                    .get_room_type(room.room_type_id)
                    .await?
                    .ok_or(AppError::Internal("a room without its room type".into()))?;
                let quote = room_type
                    .stay_price(stay.check_in(), stay.check_out(), |d| {
                        catalog::day_kind(calendar, d)
                    })
                    .map_err(catalog::catalog_error)?;
                let policy = policies::LinePolicy {
                    chain: vec![
                        PolicySubject::RoomType(room_type.id),
                        PolicySubject::Property(room.property_id),
                    ],
                    scope: None,
                };
                Ok((quote.total_fen, stay.check_in(), stay.check_out(), policy))
            }
            LineItem::Seats {
                departure_id,
                party,
            } => {
                let d = tx.get_departure(*departure_id).await?.ok_or_else(|| {
                    AppError::field(
                        &line_field(i, "departure_id"),
                        "unknown",
                        "no departure has this id",
                    )
                })?;
                let package = tx
                    .get_package(d.departure.package_id)
                    .await?
                    .ok_or(AppError::Internal("a departure without its package".into()))?;
                let price = d
                    .departure
                    .price_for(party)
                    .map_err(catalog::catalog_error)?;
                let last = d.departure.return_date(package.package.days());
                let policy = policies::LinePolicy {
                    chain: vec![PolicySubject::Package(package.package.id)],
                    scope: Some(package.package.scope),
                };
                Ok((price, d.departure.date, last, policy))
            }
        }
    }

    /// The answer to a sold-out line: what is left, and alternatives read afresh.
    async fn sold_out(&self, i: usize, item: &LineItem) -> AppError {
        let alternatives = match self.alternatives(item).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "alternatives to a sold-out line could not be read");
                Vec::new()
            }
        };
        let what = match item {
            LineItem::Room { .. } => "the room is taken on at least one of these nights",
            LineItem::Seats { .. } => "not enough seats are left on this departure",
        };
        AppError::SoldOut {
            line: i,
            message: format!("lines[{i}]: {what}"),
            alternatives,
        }
    }

    async fn alternatives(&self, item: &LineItem) -> Result<Vec<Alternative>, AppError> {
        let mut tx = self.store.read().await?;
        match item {
            LineItem::Room { room_id, stay } => {
                let Some(room) = tx.get_room(*room_id).await? else {
                    return Ok(Vec::new());
                };
                let busy: std::collections::HashSet<Uuid> = tx
                    .room_nights(room.property_id, stay.check_in(), stay.check_out())
                    .await?
                    .into_iter()
                    .map(|n| n.room_id)
                    .collect();
                let types = tx.list_room_types(room.property_id).await?;
                let mut free: Vec<_> = tx
                    .list_rooms(Some(room.property_id), 10_000, 0)
                    .await?
                    .into_iter()
                    .filter(|r| r.active && !busy.contains(&r.id))
                    .collect();
                free.sort_by_key(|r| (r.room_type_id != room.room_type_id, r.position));
                Ok(free
                    .into_iter()
                    .take(MAX_ALTERNATIVES)
                    .map(|r| Alternative::Room {
                        room_id: r.id,
                        label: r.label,
                        room_type: types
                            .iter()
                            .find(|t| t.id == r.room_type_id)
                            .map(|t| t.name.clone())
                            .unwrap_or_default(),
                        check_in: stay.check_in(),
                        check_out: stay.check_out(),
                    })
                    .collect())
            }
            LineItem::Seats {
                departure_id,
                party,
            } => {
                let Some(d) = tx.get_departure(*departure_id).await? else {
                    return Ok(Vec::new());
                };
                let window = jiff::Span::new().days(45);
                let from = d
                    .departure
                    .date
                    .checked_sub(window)
                    .unwrap_or(d.departure.date)
                    .max(self.today());
                let others = tx
                    .list_departures(&DepartureFilter {
                        package_id: Some(d.departure.package_id),
                        from: Some(from),
                        until: d.departure.date.checked_add(window).ok(),
                        min_seats_left: Some(party.size()),
                        limit: 50,
                        offset: 0,
                    })
                    .await?;
                let mut others: Vec<_> = others
                    .into_iter()
                    .filter(|o| o.departure.id != d.departure.id)
                    .collect();
                others.sort_by_key(|o| (o.departure.date - d.departure.date).get_days().abs());
                Ok(others
                    .into_iter()
                    .take(MAX_ALTERNATIVES)
                    .map(|o| Alternative::Departure {
                        departure_id: o.departure.id,
                        date: o.departure.date,
                        seats_left: o.seats_left(),
                    })
                    .collect())
            }
        }
    }

    pub async fn get_booking(&self, principal: &Principal, id: Uuid) -> Result<Booking, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        tx.get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))
    }

    pub async fn list_bookings(
        &self,
        principal: &Principal,
        filter: BookingFilter,
    ) -> Result<crate::page::Page<Booking>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let limit = filter.limit;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_bookings(&BookingFilter {
                limit: crate::page::Page::<()>::fetch_limit(limit),
                ..filter
            })
            .await?;
        Ok(crate::page::Page::of(rows, limit))
    }
}
