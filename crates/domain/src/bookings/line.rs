//! A booking's lines: what each books (a room for a stay, or seats on a departure for a
//! party) and the price it was booked at. The store keeps them; the change of a booking
//! ([`super::change`]) compares them as they are with the lines proposed.

use super::inventory::Stay;
use crate::catalog::Party;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What one booking line books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineItem {
    /// One room for a stay.
    Room { room_id: Uuid, stay: Stay },
    /// Seats on a departure for a party.
    Seats { departure_id: Uuid, party: Party },
}

impl LineItem {
    /// Whether two items book the same kind of thing (a room, or seats).
    pub fn same_kind(&self, other: &LineItem) -> bool {
        matches!(
            (self, other),
            (LineItem::Room { .. }, LineItem::Room { .. })
                | (LineItem::Seats { .. }, LineItem::Seats { .. })
        )
    }
}

/// One line of a booking with its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingLine {
    /// 1, 2, 3… in the booking.
    pub line_no: u32,
    pub item: LineItem,
    pub price_fen: i64,
}
