//! How an emergency message reaches a person, shared by the broadcast and the remedies'
//! offers: SMS when the provider is configured and they have a phone — the recipient is the
//! identifier id with its sealed value, opened by the SMS channel at send time, so the outbox
//! holds no number — else email when configured (the address opened here), else nothing (the
//! caller makes a call task or lists them for staff).

use crate::{App, AppError};
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::SealedContact;
use tripdesk_vault::KeyRing;

impl App {
    /// The channel and recipient of a message to someone with these contacts, if any.
    pub(crate) fn emergency_recipient(
        &self,
        keys: &KeyRing,
        phone: Option<&SealedContact>,
        email: Option<&SealedContact>,
    ) -> Result<Option<(DeliveryChannel, String)>, AppError> {
        match (phone, email) {
            (Some(phone), _) if self.settings.notify.sms => Ok(Some((
                DeliveryChannel::Sms,
                crate::sms::sms_recipient(phone.identifier_id, &phone.sealed),
            ))),
            (_, Some(email)) if self.settings.notify.email => {
                let address = keys
                    .decrypt(
                        &crate::customers::identifier_field("email"),
                        &email.identifier_id.to_string(),
                        &email.sealed,
                    )
                    .map_err(|e| {
                        AppError::Internal(format!("cannot open an email identifier: {e}"))
                    })?;
                Ok(Some((
                    DeliveryChannel::Email,
                    address.expose_secret().clone(),
                )))
            }
            _ => Ok(None),
        }
    }
}
