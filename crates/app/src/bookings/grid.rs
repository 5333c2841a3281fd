//! The room-status grid (房态): every room of a property × a window of nights, each cell
//! free or what occupies it. Read for a page that staff keep open all day, so it costs one
//! `room_nights` read for the window, the property's rooms and room types, and the office
//! calendar (for the holidays marked above the columns) — never a read per cell.

use super::catalog::day_kind;
use crate::{App, AppError, Principal};
use jiff::civil::Date;
use std::collections::HashMap;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::catalog::DayKind;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{NightUse, Property, Room};
use uuid::Uuid;

/// The longest window one grid shows (a month and a bit: the page offers 14 or 31 days).
pub const MAX_GRID_DAYS: i32 = 62;

/// What a room-night is, as the grid shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Nothing occupies it: bookable.
    Free,
    /// 预留: a booking holds it until its hold runs out.
    Held,
    /// 已订: a confirmed (or changed, or completed) booking.
    Booked,
    /// 已入住: a booking whose guests have arrived.
    CheckedIn,
    /// OTA占用: blocked by an imported calendar feed.
    Blocked,
    /// 关房: closed by staff.
    Closed,
}

impl CellState {
    pub const ALL: [CellState; 6] = [
        CellState::Free,
        CellState::Held,
        CellState::Booked,
        CellState::CheckedIn,
        CellState::Blocked,
        CellState::Closed,
    ];

    /// A stable name (CSS classes, text keys, tests).
    pub fn as_str(self) -> &'static str {
        match self {
            CellState::Free => "free",
            CellState::Held => "held",
            CellState::Booked => "booked",
            CellState::CheckedIn => "checked_in",
            CellState::Blocked => "blocked",
            CellState::Closed => "closed",
        }
    }

    /// The state of an occupied night.
    fn of(used_by: &NightUse, state: Option<BookingState>, arrived: bool) -> Self {
        match used_by {
            NightUse::Blocked { .. } => CellState::Blocked,
            NightUse::Closed { .. } => CellState::Closed,
            NightUse::Booking(_) if arrived => CellState::CheckedIn,
            NightUse::Booking(_) => match state {
                Some(BookingState::Held) => CellState::Held,
                _ => CellState::Booked,
            },
        }
    }
}

/// One room-night of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCell {
    pub night: Date,
    pub state: CellState,
    /// The booking occupying it (bookings only).
    pub booking_id: Option<Uuid>,
    /// The feed or reason of a block or a closure.
    pub source: Option<String>,
}

/// A row: one room and its nights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    pub room: Room,
    pub room_type: String,
    pub cells: Vec<GridCell>,
}

/// A column: a night and the kind of day it is (holidays and make-up working days as the
/// office calendar says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridDay {
    pub date: Date,
    pub kind: DayKind,
}

/// The grid of one property over a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomGrid {
    pub property: Property,
    /// Every property, for the page's chooser.
    pub properties: Vec<Property>,
    pub days: Vec<GridDay>,
    /// Active rooms in grid order.
    pub rows: Vec<GridRow>,
}

impl App {
    /// The room-status grid of `property_id` (the first property by name when `None`) for
    /// `days` nights from `from`. `Ok(None)` when there is no property at all yet.
    pub async fn room_grid(
        &self,
        principal: &Principal,
        property_id: Option<Uuid>,
        from: Date,
        days: i32,
    ) -> Result<Option<RoomGrid>, AppError> {
        principal.require(Permission::ViewBookings)?;
        if !(1..=MAX_GRID_DAYS).contains(&days) {
            return Err(AppError::field(
                "days",
                "range",
                format!("a grid shows 1 to {MAX_GRID_DAYS} days"),
            ));
        }
        let until = from
            .checked_add(jiff::Span::new().days(days))
            .map_err(|_| AppError::field("from", "range", "the window ends past the calendar"))?;
        let mut tx = self.store.read().await?;
        let properties = tx.list_properties(200, 0).await?;
        let property = match property_id {
            Some(id) => tx
                .get_property(id)
                .await?
                .ok_or(AppError::NotFound("property"))?,
            None => match properties.first() {
                Some(p) => p.clone(),
                None => return Ok(None),
            },
        };
        let types: HashMap<Uuid, String> = tx
            .list_room_types(property.id)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let rooms = tx.list_rooms(Some(property.id), 10_000, 0).await?;
        let used: HashMap<(Uuid, Date), _> = tx
            .room_nights(property.id, from, until)
            .await?
            .into_iter()
            .map(|n| ((n.room_id, n.night), n))
            .collect();
        let calendar = self
            .load_calendar(&mut *tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        let days: Vec<GridDay> = from
            .series(jiff::Span::new().days(1))
            .take_while(|d| *d < until)
            .map(|date| GridDay {
                date,
                kind: day_kind(&calendar, date),
            })
            .collect();
        let rows = rooms
            .into_iter()
            .filter(|r| r.active)
            .map(|room| GridRow {
                room_type: types.get(&room.room_type_id).cloned().unwrap_or_default(),
                cells: days
                    .iter()
                    .map(|d| match used.get(&(room.id, d.date)) {
                        None => GridCell {
                            night: d.date,
                            state: CellState::Free,
                            booking_id: None,
                            source: None,
                        },
                        Some(n) => GridCell {
                            night: d.date,
                            state: CellState::of(&n.used_by, n.booking_state, n.arrived),
                            booking_id: match &n.used_by {
                                NightUse::Booking(id) => Some(*id),
                                _ => None,
                            },
                            source: match &n.used_by {
                                NightUse::Blocked { source } | NightUse::Closed { source } => {
                                    Some(source.clone())
                                }
                                NightUse::Booking(_) => None,
                            },
                        },
                    })
                    .collect(),
                room,
            })
            .collect();
        Ok(Some(RoomGrid {
            property,
            properties,
            days,
            rows,
        }))
    }
}

/// How a booking page names a room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomLabel {
    pub label: String,
    pub room_type: String,
    /// The property's grid is where the page leads back to.
    pub property_id: Uuid,
}

impl App {
    /// The label and room type of each of `ids` (a booking page names its rooms), one read a
    /// room; unknown ids are left out.
    pub async fn room_labels(
        &self,
        principal: &Principal,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, RoomLabel>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let mut out = HashMap::new();
        for id in ids.iter().take(super::MAX_LINES) {
            if let Some(room) = tx.get_room(*id).await? {
                let kind = tx
                    .get_room_type(room.room_type_id)
                    .await?
                    .map(|t| t.name)
                    .unwrap_or_default();
                out.insert(
                    *id,
                    RoomLabel {
                        label: room.label,
                        room_type: kind,
                        property_id: room.property_id,
                    },
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_night_shows_what_occupies_it() {
        let booking = NightUse::Booking(Uuid::nil());
        assert_eq!(
            CellState::of(&booking, Some(BookingState::Held), false),
            CellState::Held
        );
        assert_eq!(
            CellState::of(&booking, Some(BookingState::Confirmed), false),
            CellState::Booked
        );
        assert_eq!(
            CellState::of(&booking, Some(BookingState::Confirmed), true),
            CellState::CheckedIn
        );
        let ota = NightUse::Blocked {
            source: "airbnb".into(),
        };
        assert_eq!(CellState::of(&ota, None, false), CellState::Blocked);
        let closed = NightUse::Closed {
            source: "维修".into(),
        };
        assert_eq!(CellState::of(&closed, None, false), CellState::Closed);
    }
}
