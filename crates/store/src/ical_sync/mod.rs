//! Records and repository of OTA calendar subscriptions (issue 14 item 7): a room follows an
//! OTA's .ics address, fetched on a schedule and imported as blocks of a source; and the
//! conflicts between imported blocks and bookings that staff were alerted to.
//!
//! What the database holds: one subscription per room and source (a unique key, so two
//! never replace each other's blocks), and one row per alerted conflict (a primary key, so a
//! conflict is noted — and alerted — by one import only, however many nodes import at once).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use uuid::Uuid;

/// A room's subscription to an OTA's calendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcalSubscription {
    pub id: Uuid,
    pub room_id: Uuid,
    /// The blocks' source (`airbnb`, `booking.com`): what an import replaces.
    pub source: String,
    /// The feed's address (http or https; may carry the OTA's secret in its query).
    pub url: String,
    /// Fetched every this many minutes (5–1440).
    pub interval_minutes: u32,
    /// When it is due to be fetched next.
    pub next_sync_at: Timestamp,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    /// The last attempt, successful or not.
    pub last_sync: Option<IcalSyncOutcome>,
    /// The last attempt that imported the feed.
    pub last_ok_at: Option<Timestamp>,
}

/// What one fetch and import of a subscription did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcalSyncOutcome {
    pub at: Timestamp,
    /// Events the feed held, nights from today on they block, and of those the nights
    /// something else held (nothing when it failed).
    pub events: u32,
    pub nights: u32,
    pub conflicts: u32,
    /// Why it failed: nothing was imported, the earlier blocks stay.
    pub error: Option<IcalSyncError>,
}

/// A failed fetch or import: a stable code (`fetch.status`, `ics.syntax`…) and a detail in
/// English for administrators (an HTTP status, a line number; never the feed's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcalSyncError {
    pub code: String,
    pub detail: String,
}

/// Subscriptions to list, in the room grid's order (room position and label, then source).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IcalSubscriptionFilter {
    pub property_id: Option<Uuid>,
    pub room_id: Option<Uuid>,
    pub limit: u32,
    pub offset: u64,
}

#[async_trait]
pub trait IcalSyncRepo: Send {
    /// Stores a new subscription; `Duplicate` when the room already follows that source.
    async fn insert_ical_subscription(&mut self, sub: &IcalSubscription) -> Result<(), StoreError>;

    async fn get_ical_subscription(
        &mut self,
        id: Uuid,
    ) -> Result<Option<IcalSubscription>, StoreError>;

    async fn list_ical_subscriptions(
        &mut self,
        filter: &IcalSubscriptionFilter,
    ) -> Result<Vec<IcalSubscription>, StoreError>;

    /// Deletes a subscription and forgets the conflicts noted for its room and source; false
    /// when there is no such subscription.
    async fn delete_ical_subscription(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// Subscriptions due at `now` (`next_sync_at <= now`), most overdue first, at most `limit`.
    async fn due_ical_subscriptions(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError>;

    /// Records an attempt's outcome (and, when it succeeded, `last_ok_at`) and when the
    /// subscription is due next; false when it no longer exists.
    async fn record_ical_sync(
        &mut self,
        id: Uuid,
        outcome: &IcalSyncOutcome,
        next_sync_at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Makes `conflicts` — (night, booking) pairs an import of `source` on the room found
    /// taken by a booking — the noted conflicts of that room and source: those noted before
    /// and no longer present are forgotten (a conflict that comes back is new again), and
    /// the ones not noted before are noted and returned, in the order given. Of two
    /// transactions noting the same conflict at once, one gets it.
    async fn note_block_conflicts(
        &mut self,
        room_id: Uuid,
        source: &str,
        conflicts: &[(Date, Uuid)],
        at: Timestamp,
    ) -> Result<Vec<(Date, Uuid)>, StoreError>;
}
