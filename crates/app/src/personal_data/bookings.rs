//! Bookings' personal data. A booking holds no personal text: the booker and the travelers
//! are customers (their names, ID numbers and contacts are sealed in the vault and erased
//! with the customer record), and the booking keeps ids, dates and amounts. Those are kept
//! after an erasure — they are accounting records (会计档案) the business must retain — and
//! no longer lead to a person once the customer record is blanked. The copy lists the
//! customer's bookings.

use super::PersonalData;
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{BookingFilter, TextColumn, Tx};
use uuid::Uuid;

pub(super) struct Bookings;

#[async_trait]
impl PersonalData for Bookings {
    fn name(&self) -> &'static str {
        "bookings"
    }

    fn fields(&self) -> &'static [TextColumn] {
        &[]
    }

    async fn export(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let page = tx
                .list_bookings(&BookingFilter {
                    customer_id: Some(customer),
                    limit: 500,
                    offset,
                    ..Default::default()
                })
                .await?;
            let n = page.len();
            rows.extend(page.into_iter().map(|b| {
                json!({
                    "id": b.id,
                    "state": b.state.as_str(),
                    "confirmation_no": b.confirmation_no,
                    "starts_on": b.starts_on.to_string(),
                    "ends_on": b.ends_on.to_string(),
                    "total_fen": b.total_fen,
                    "paid_fen": b.paid_fen,
                    "travelers": b.travelers.len(),
                })
            }));
            if n < 500 {
                break;
            }
            offset += 500;
        }
        Ok((!rows.is_empty()).then(|| json!({ "bookings": rows })))
    }
}
