//! Records and repository of the catalog: tour packages and their departures, lodging
//! properties with room types and rooms, and what occupies each room-night.
//!
//! A departure's `taken` seats and the `room_nights` rows are the inventory the
//! [`crate::BookingRepo`] takes and frees; the database holds its invariants (a `CHECK` on
//! `taken <= seats`, a primary key on `(room_id, night)`), so no code path — on any node —
//! can sell a seat or a night twice.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::catalog::{Departure, RoomType, TourPackage};
use uuid::Uuid;

/// A tour package as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRecord {
    pub package: TourPackage,
    /// Offered for sale (an inactive package keeps its bookings but gets no new ones).
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A departure with its sold inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartureRecord {
    pub departure: Departure,
    /// Seats held or confirmed by live bookings.
    pub taken: u32,
    /// Called off (the group did not form, or the business cancelled it).
    pub cancelled: bool,
    pub updated_at: Timestamp,
}

impl DepartureRecord {
    pub fn seats_left(&self) -> u32 {
        tripdesk_domain::bookings::seats_left(self.departure.seats, self.taken, 0)
    }
}

/// Departures to list: by package and date window, earliest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartureFilter {
    pub package_id: Option<Uuid>,
    /// Departing on or after this date.
    pub from: Option<Date>,
    /// Departing before this date.
    pub until: Option<Date>,
    /// Only departures with at least this many seats left (and not cancelled).
    pub min_seats_left: Option<u32>,
    pub limit: u32,
    pub offset: u64,
}

/// A lodging property (a homestay, a hotel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    /// The front desk's phone (a business number, not personal data).
    pub phone: String,
    /// Check-in from, check-out until ("14:00", "12:00").
    pub check_in_time: String,
    pub check_out_time: String,
    pub created_at: Timestamp,
}

/// A room (a unit) of a property, of one room type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: Uuid,
    pub property_id: Uuid,
    pub room_type_id: Uuid,
    /// What staff call it: "201", "竹园".
    pub label: String,
    /// Order in the room-status grid.
    pub position: i64,
    pub active: bool,
}

/// What occupies a room-night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NightUse {
    /// A live booking (held, confirmed, changed or completed).
    Booking(Uuid),
    /// Blocked by an imported calendar (an OTA's feed); `source` names the feed.
    Blocked { source: String },
    /// Closed by staff (maintenance, the owner's own use); `source` says why.
    Closed { source: String },
}

impl NightUse {
    pub fn kind(&self) -> &'static str {
        match self {
            NightUse::Booking(_) => "booking",
            NightUse::Blocked { .. } => "blocked",
            NightUse::Closed { .. } => "closed",
        }
    }
}

/// One occupied room-night, as the room-status grid reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomNight {
    pub room_id: Uuid,
    pub night: Date,
    pub used_by: NightUse,
    /// The booking's state and whether its guests have arrived (bookings only).
    pub booking_state: Option<BookingState>,
    pub arrived: bool,
}

/// Rooms taken per room type and night (for availability: rooms of the type minus these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeNightCount {
    pub room_type_id: Uuid,
    pub night: Date,
    pub taken: u32,
}

/// What an iCalendar feed publishes: one room, or a room type (a night is unavailable when
/// no room of the type is free).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope {
    Room(Uuid),
    RoomType(Uuid),
}

/// An iCalendar feed behind a secret-token URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcalFeed {
    pub id: Uuid,
    pub scope: FeedScope,
    /// SHA-256 (hex) of the URL's token; the token itself is never stored.
    pub token_hash: String,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait CatalogRepo: Send {
    async fn insert_package(&mut self, package: &PackageRecord) -> Result<(), StoreError>;
    /// Replaces the package's content and active flag; false when there is no such package.
    async fn update_package(&mut self, package: &PackageRecord) -> Result<bool, StoreError>;
    async fn get_package(&mut self, id: Uuid) -> Result<Option<PackageRecord>, StoreError>;
    /// By name; `active_only` leaves out packages withdrawn from sale.
    async fn list_packages(
        &mut self,
        active_only: bool,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<PackageRecord>, StoreError>;

    /// A new departure with no seat taken.
    async fn insert_departure(
        &mut self,
        departure: &Departure,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    async fn get_departure(&mut self, id: Uuid) -> Result<Option<DepartureRecord>, StoreError>;
    async fn list_departures(
        &mut self,
        filter: &DepartureFilter,
    ) -> Result<Vec<DepartureRecord>, StoreError>;
    /// Sets the departure's guide (name and phone; both empty to take them off); false when
    /// there is no such departure.
    async fn set_departure_guide(
        &mut self,
        id: Uuid,
        name: &str,
        phone: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Calls a departure off (no seat can be taken on it afterwards); false when there is no
    /// such departure or it already was.
    async fn cancel_departure(&mut self, id: Uuid, now: Timestamp) -> Result<bool, StoreError>;

    async fn insert_property(&mut self, property: &Property) -> Result<(), StoreError>;
    async fn get_property(&mut self, id: Uuid) -> Result<Option<Property>, StoreError>;
    async fn list_properties(
        &mut self,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Property>, StoreError>;

    async fn insert_room_type(
        &mut self,
        room_type: &RoomType,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    async fn get_room_type(&mut self, id: Uuid) -> Result<Option<RoomType>, StoreError>;
    /// A property's room types by name.
    async fn list_room_types(&mut self, property_id: Uuid) -> Result<Vec<RoomType>, StoreError>;

    /// Refuses a second room with the same label in one property (`Duplicate`).
    async fn insert_room(&mut self, room: &Room) -> Result<(), StoreError>;
    async fn get_room(&mut self, id: Uuid) -> Result<Option<Room>, StoreError>;
    /// A property's rooms (all of them when `property_id` is `None`) in grid order.
    async fn list_rooms(
        &mut self,
        property_id: Option<Uuid>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Room>, StoreError>;

    /// The occupied nights of a property's rooms from `from` (included) to `until`
    /// (excluded), by room and night.
    async fn room_nights(
        &mut self,
        property_id: Uuid,
        from: Date,
        until: Date,
    ) -> Result<Vec<RoomNight>, StoreError>;

    /// Rooms in service (active) taken per room type and night of a property, nights from
    /// `from` to `until` (excluded); only pairs with at least one room taken, in no order.
    async fn taken_per_type_night(
        &mut self,
        property_id: Uuid,
        from: Date,
        until: Date,
    ) -> Result<Vec<TypeNightCount>, StoreError>;

    /// Makes `nights` the room's blocked (or closed) nights from `source`: that source's
    /// earlier nights on the room are freed, the new ones taken where free. Returns the
    /// nights that could not be taken because something else (a booking, another source)
    /// occupies them — conflicts for staff to see.
    async fn replace_blocks(
        &mut self,
        room_id: Uuid,
        used_by: &NightUse,
        nights: &[Date],
    ) -> Result<Vec<Date>, StoreError>;

    async fn insert_ical_feed(&mut self, feed: &IcalFeed) -> Result<(), StoreError>;
    async fn get_ical_feed_by_token_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<IcalFeed>, StoreError>;
}
