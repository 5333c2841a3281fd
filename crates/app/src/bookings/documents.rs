//! Pre-trip documents of a booking (issue 14 item 8): the departure notice (出团通知书) or,
//! for a stay, the arrival notice (入住通知书) — travelers, the meeting time and place
//! highlighted, the trip, the guide, the itinerary by day, hotel information, destination
//! tips, the e-contract summary and emergency contacts.
//!
//! - [`content`]: the document, built from the booking as it stands (so a changed booking
//!   gives a changed document) as one `tripdesk_pdf::Document` that the web layer renders both
//!   to HTML and to PDF; and the hash of its content.
//! - [`send`]: sending it to the customer through the outbox on their preferred channel (or
//!   the first that can reach them, recording why), the traveler's signed link, the receipt
//!   they confirm once, and what staff see: sent when and how, received when, and whether
//!   the document sent is still what the booking gives now (没有变化 / 内容已变更).

mod content;
mod send;

pub use content::{content_hash, EMERGENCY_HOTLINE, TOURISM_HOTLINE};
pub use send::{trip_link, DocumentsStatus, SentDocuments, TravelerDocuments, DOCUMENTS_TEMPLATE};

use crate::{App, AppError, Principal};
use jiff::civil::Date;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::identity::Permission;
use tripdesk_pdf::Document;
use uuid::Uuid;

impl App {
    /// The pre-trip documents of a booking as they stand, to render (needs `view_bookings`).
    /// Refused for a booking that was cancelled or expired: there is no trip to tell of.
    pub async fn departure_notice(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Document, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let booking = tx
            .get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        if !booking.state.holds_inventory() {
            return Err(AppError::Conflict {
                code: "booking.closed",
                message: format!("a {} booking has no departure notice", booking.state),
                field: None,
            });
        }
        self.build_trip_document(&mut *tx, &booking).await
    }
}
