//! Records and repository of bookings: the booking with its lines and travelers, the
//! inventory each line takes, payments, refunds and departure waitlists.
//!
//! Inventory is taken with statements the database arbitrates, on every backend and across
//! nodes: a room-night is a row keyed by `(room_id, night)` inserted with `ON CONFLICT DO
//! NOTHING` (a night someone else holds inserts nothing), and seats are taken by one
//! conditional `UPDATE departures SET taken = taken + n WHERE taken + n <= seats` backed by a
//! `CHECK`. The `take_*` calls answer false when the inventory is gone; the caller then drops
//! its transaction, so nothing of a refused booking is written.

pub(crate) mod change_conformance;
pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::bookings::{
    BookingState, CancellationPolicy, Cause, ChangeQuote, HoldKind, Refund, Stay,
};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use uuid::Uuid;

/// A booking's lines are the domain's (a change compares them as they are and as proposed).
pub use tripdesk_domain::bookings::{BookingLine, LineItem};

/// A traveler on a booking: a customer (their name, ID number and contacts are sealed in the
/// customer vault, and erased with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traveler {
    pub customer_id: Uuid,
    pub category: TravelerCategory,
}

/// A booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: Uuid,
    /// Who booked (and pays).
    pub customer_id: Uuid,
    pub state: BookingState,
    /// While held: which hold and when it runs out.
    pub hold_kind: Option<HoldKind>,
    pub hold_expires_at: Option<Timestamp>,
    /// Issued at confirmation, unique.
    pub confirmation_no: Option<String>,
    /// First day (departure, check-in) and last day (return, check-out) over all lines.
    pub starts_on: Date,
    pub ends_on: Date,
    pub total_fen: i64,
    /// Payments less refunds paid.
    pub paid_fen: i64,
    /// The cancellation policy in force at confirmation (tiers of the product then).
    pub policy: Option<CancellationPolicy>,
    /// The ticket the booking came from or is discussed on.
    pub ticket_id: Option<Uuid>,
    /// Staff who made it (`None` for an integrator's API token without a user, or the web).
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    /// When it was cancelled, expired or completed.
    pub closed_at: Option<Timestamp>,
    /// Lodging: guests arrived; registration completed.
    pub arrived_at: Option<Timestamp>,
    pub registered_at: Option<Timestamp>,
    /// When the welcome pack was given (recorded with the registration).
    pub welcome_pack_at: Option<Timestamp>,
    /// Bumped by every update; updates are conditional on it.
    pub version: i64,
    pub lines: Vec<BookingLine>,
    pub travelers: Vec<Traveler>,
}

impl Booking {
    /// What the customer still owes: the total less what was paid, never negative — money
    /// paid beyond the total (a change made it cheaper) is owed back as a refund and shown
    /// with the refunds — and nothing on a cancelled or expired booking, whose refund
    /// settles it.
    pub fn balance_due_fen(&self) -> i64 {
        if self.state.holds_inventory() {
            (self.total_fen - self.paid_fen).max(0)
        } else {
            0
        }
    }
}

/// Bookings to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingFilter {
    pub customer_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub state: Option<BookingState>,
    /// Starting on or after / before these dates.
    pub starts_from: Option<Date>,
    pub starts_until: Option<Date>,
    pub limit: u32,
    pub offset: u64,
}

/// The three lists staff work by phone and paper when the systems fail (issue 15 item 3).
/// Cancelled and expired bookings are on none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayList {
    /// Holding inventory (held, confirmed, changed, completed) and starting that day, or with
    /// a room checking in or seats on a departure leaving that day.
    Arriving,
    /// Holding inventory and ending that day (the stay's check-out, the tour's return), or
    /// with a room checking out that day.
    Departing,
    /// Awaiting confirmation (held) or payment (confirmed or changed with a balance due),
    /// for a trip not ended by that day and starting within [`PENDING_DAYS_AHEAD`] days of it.
    Pending,
}

/// How far ahead of the day the pending list looks.
pub const PENDING_DAYS_AHEAD: i32 = 7;

impl DayList {
    pub const ALL: [DayList; 3] = [DayList::Arriving, DayList::Departing, DayList::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            DayList::Arriving => "arriving",
            DayList::Departing => "departing",
            DayList::Pending => "pending",
        }
    }
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PaymentMethodName))]
pub enum PaymentMethod {
    Cash,
    BankTransfer,
    WechatPay,
    Alipay,
    Card,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 5] = [
        PaymentMethod::Cash,
        PaymentMethod::BankTransfer,
        PaymentMethod::WechatPay,
        PaymentMethod::Alipay,
        PaymentMethod::Card,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::WechatPay => "wechat_pay",
            PaymentMethod::Alipay => "alipay",
            PaymentMethod::Card => "card",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The name Chinese staff and customers use.
    pub fn label_zh(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "现金",
            PaymentMethod::BankTransfer => "银行转账",
            PaymentMethod::WechatPay => "微信支付",
            PaymentMethod::Alipay => "支付宝",
            PaymentMethod::Card => "银行卡",
        }
    }
}

/// A payment received, or a refund paid out (a negative amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub method: PaymentMethod,
    /// Fen; negative for money returned.
    pub amount_fen: i64,
    /// The payer's transfer or transaction number; unique per method when given, so a
    /// webhook delivered twice records one payment.
    pub reference: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Timestamp,
}

/// A refund owed on a cancelled booking, explained, and when it must be paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub cause: Cause,
    pub refund: Refund,
    /// 5 working days after the cancellation.
    pub due_at: Timestamp,
    pub created_at: Timestamp,
    /// Set when the money went out (with the payment that carried it).
    pub paid_at: Option<Timestamp>,
    pub payment_id: Option<Uuid>,
}

/// A change of a booking quoted to the customer (dates, room, party: the lines as they are and
/// as proposed, each priced), kept until it is accepted or runs out. It holds prices, not
/// inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeQuoteRecord {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub quote: ChangeQuote,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    /// The first instant the quote no longer holds.
    pub expires_at: Timestamp,
    /// Set once, when the change is applied.
    pub accepted_at: Option<Timestamp>,
    pub accepted_by: Option<Uuid>,
}

/// A party waiting for seats on a sold-out departure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntryRecord {
    pub id: Uuid,
    pub departure_id: Uuid,
    pub customer_id: Uuid,
    pub party: Party,
    pub joined_at: Timestamp,
    /// When freed seats were offered to this party.
    pub offered_at: Option<Timestamp>,
}

#[async_trait]
pub trait BookingRepo: Send {
    /// Writes the booking with its lines and travelers (no inventory: take it with
    /// [`BookingRepo::take_room_nights`] and [`BookingRepo::take_seats`] in the same
    /// transaction). Refuses a taken confirmation number (`Duplicate`).
    async fn insert_booking(&mut self, booking: &Booking) -> Result<(), StoreError>;

    async fn get_booking(&mut self, id: Uuid) -> Result<Option<Booking>, StoreError>;

    async fn get_booking_by_confirmation(
        &mut self,
        confirmation_no: &str,
    ) -> Result<Option<Booking>, StoreError>;

    async fn list_bookings(&mut self, filter: &BookingFilter) -> Result<Vec<Booking>, StoreError>;

    /// The front desk's arrivals: bookings holding inventory (held, confirmed, changed,
    /// completed) with a room of `property_id` whose line checks in on `day`, each once, in
    /// the grid's order of their first such room (then by id); `limit` from `offset`.
    async fn list_arrivals(
        &mut self,
        property_id: Uuid,
        day: Date,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Booking>, StoreError>;

    /// A day's bookings of one [`DayList`] for the manual-handling list, each once, by
    /// start date then id; `limit` from `offset`.
    async fn list_day_bookings(
        &mut self,
        list: DayList,
        day: Date,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Booking>, StoreError>;

    /// How many bookings [`BookingRepo::list_day_bookings`] lists in all.
    async fn count_day_bookings(&mut self, list: DayList, day: Date) -> Result<u64, StoreError>;

    /// Writes the booking's own fields (not its lines or travelers) if it is still at
    /// `expected_version`, bumping the version: false when someone else changed it first.
    async fn update_booking(
        &mut self,
        booking: &Booking,
        expected_version: i64,
    ) -> Result<bool, StoreError>;

    /// Takes each night of `stay` in `room_id` for `booking_id`: true when all were free,
    /// false when any is occupied (then some may have been taken: drop the transaction).
    async fn take_room_nights(
        &mut self,
        booking_id: Uuid,
        room_id: Uuid,
        stay: Stay,
    ) -> Result<bool, StoreError>;

    /// Takes `seats` on an open departure if that many are left; false when they are not (or
    /// the departure was called off or does not exist).
    async fn take_seats(&mut self, departure_id: Uuid, seats: u32) -> Result<bool, StoreError>;

    /// Frees everything the booking holds (its room-nights; its lines' seats): call it once,
    /// with the state change that ends the booking's claim. Returns the seats freed per
    /// departure.
    async fn release_inventory(&mut self, booking_id: Uuid)
        -> Result<Vec<(Uuid, u32)>, StoreError>;

    /// Replaces the booking's lines with `lines` (a change): call it after
    /// [`BookingRepo::release_inventory`] (which reads the old lines) and before taking the new
    /// lines' inventory, in the transaction that writes the booking conditionally on its
    /// version.
    async fn replace_lines(
        &mut self,
        booking_id: Uuid,
        lines: &[BookingLine],
    ) -> Result<(), StoreError>;

    async fn insert_change_quote(&mut self, quote: &ChangeQuoteRecord) -> Result<(), StoreError>;
    async fn get_change_quote(&mut self, id: Uuid)
        -> Result<Option<ChangeQuoteRecord>, StoreError>;
    /// A booking's quotes, newest first, at most `limit`.
    async fn list_change_quotes(
        &mut self,
        booking_id: Uuid,
        limit: u32,
    ) -> Result<Vec<ChangeQuoteRecord>, StoreError>;
    /// Marks a quote accepted; false when it was accepted already (two accepts at once: one).
    async fn accept_change_quote(
        &mut self,
        id: Uuid,
        by: Option<Uuid>,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Refuses a second payment with the same method and reference (`Duplicate`).
    async fn insert_payment(&mut self, payment: &Payment) -> Result<(), StoreError>;
    /// Oldest first.
    async fn list_payments(&mut self, booking_id: Uuid) -> Result<Vec<Payment>, StoreError>;

    async fn insert_refund(&mut self, refund: &RefundRecord) -> Result<(), StoreError>;
    async fn list_refunds(&mut self, booking_id: Uuid) -> Result<Vec<RefundRecord>, StoreError>;
    /// Marks an unpaid refund paid by `payment_id`; false when it was paid already.
    async fn mark_refund_paid(
        &mut self,
        refund_id: Uuid,
        payment_id: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Adds a party to a departure's waitlist. A customer waits on a departure once:
    /// `Duplicate` while an earlier entry of theirs is not yet offered seats.
    async fn join_waitlist(&mut self, entry: &WaitlistEntryRecord) -> Result<(), StoreError>;
    /// A departure's waitlist in the order parties joined (offered ones included).
    async fn list_waitlist(
        &mut self,
        departure_id: Uuid,
    ) -> Result<Vec<WaitlistEntryRecord>, StoreError>;
    /// Records that seats were offered; false when the entry was offered already.
    async fn mark_waitlist_offered(&mut self, id: Uuid, at: Timestamp) -> Result<bool, StoreError>;
    /// How many parties still wait (not yet offered seats) on each of `departure_ids` that
    /// has any, for the departures calendar (one query for a month of departures).
    async fn waitlist_counts(
        &mut self,
        departure_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, u32)>, StoreError>;
}
