//! Sealing for bulk loaders that write customers through the store ports rather than the
//! use cases, such as the broadcast benchmark's million bookings: the same sealing, so what
//! they write reads back like any customer's.

use super::{domain_error, seal_identifier, PlainIdentifier};
use crate::AppError;
use tripdesk_domain::customer::Phone;
use tripdesk_store::CustomerIdentifier;
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// A customer's mobile phone sealed for `customer_id` exactly as the use cases seal it
/// (canonical E.164, blind index, masked form), as the primary phone.
pub fn sealed_phone(
    vault: &KeyRing,
    customer_id: Uuid,
    phone: &str,
    now: jiff::Timestamp,
) -> Result<CustomerIdentifier, AppError> {
    let phone =
        Phone::parse(phone).map_err(|e| AppError::Validation(vec![domain_error("phone", &e)]))?;
    let plain = PlainIdentifier {
        kind: "phone",
        canonical: phone.as_e164().to_string(),
        lookup: phone.as_e164().to_string(),
        masked: phone.masked(),
    };
    Ok(seal_identifier(vault, customer_id, &plain, true, now))
}
