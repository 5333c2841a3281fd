//! How an emergency message reaches a person, shared by the broadcast, the remedies' offers
//! and the channel sequence's follow-ups ([`super::sequence`]): the first step of
//! `tripdesk_domain::emergency::first_step` — SMS when the provider is configured and they
//! have a phone, else email when configured, else nothing (the caller makes a call task or
//! lists them for staff). An SMS's recipient is the identifier id with its sealed value,
//! opened by the SMS channel at send time, so the outbox holds no number; an email's address
//! is opened here.

use crate::{App, AppError};
use tripdesk_domain::emergency::{first_step, ContactStep, Reach};
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::SealedContact;
use tripdesk_vault::KeyRing;

impl App {
    /// Which automatic channels reach someone with these contacts on this server.
    pub(crate) fn emergency_reach(
        &self,
        phone: Option<&SealedContact>,
        email: Option<&SealedContact>,
    ) -> Reach {
        Reach {
            sms: phone.is_some() && self.settings.notify.sms,
            email: email.is_some() && self.settings.notify.email,
        }
    }

    /// The channel and recipient of a message to someone with these contacts, if any.
    pub(crate) fn emergency_recipient(
        &self,
        keys: &KeyRing,
        phone: Option<&SealedContact>,
        email: Option<&SealedContact>,
    ) -> Result<Option<(DeliveryChannel, String)>, AppError> {
        let step = first_step(self.emergency_reach(phone, email));
        self.recipient_on(keys, step, phone, email)
    }

    /// The channel and recipient of `step` for someone with these contacts (`None` for a
    /// call, or a channel that does not reach them).
    pub(crate) fn recipient_on(
        &self,
        keys: &KeyRing,
        step: ContactStep,
        phone: Option<&SealedContact>,
        email: Option<&SealedContact>,
    ) -> Result<Option<(DeliveryChannel, String)>, AppError> {
        if !self.emergency_reach(phone, email).can(step) {
            return Ok(None);
        }
        match (step, phone, email) {
            (ContactStep::Sms, Some(phone), _) => Ok(Some((
                DeliveryChannel::Sms,
                crate::sms::sms_recipient(phone.identifier_id, &phone.sealed),
            ))),
            (ContactStep::Email, _, Some(email)) => {
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
