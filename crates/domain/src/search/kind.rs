//! What a search result is.

use serde::{Deserialize, Serialize};

/// The kinds of results, in the order the results page groups them. Customers are found
/// through the vault's blind index (exact phone, email or ID number), never through the text
/// index; the other kinds are documents of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchKindName))]
pub enum SearchKind {
    /// A ticket: its number, subject and description.
    Ticket,
    /// A reply, note or other text of a ticket's timeline.
    Message,
    /// A customer, by an exact phone number, email address or ID number.
    Customer,
    /// A booking: its confirmation number and what was booked.
    Booking,
    /// A tour package or a lodging property with its room types.
    Product,
}

impl SearchKind {
    pub const ALL: [SearchKind; 5] = [
        SearchKind::Ticket,
        SearchKind::Message,
        SearchKind::Customer,
        SearchKind::Booking,
        SearchKind::Product,
    ];

    /// The kinds the text index holds.
    pub const INDEXED: [SearchKind; 4] = [
        SearchKind::Ticket,
        SearchKind::Message,
        SearchKind::Booking,
        SearchKind::Product,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Ticket => "ticket",
            SearchKind::Message => "message",
            SearchKind::Customer => "customer",
            SearchKind::Booking => "booking",
            SearchKind::Product => "product",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether documents of this kind belong to a ticket (whose group decides who sees them).
    pub fn of_ticket(self) -> bool {
        matches!(self, SearchKind::Ticket | SearchKind::Message)
    }
}
