//! The customer as given at ticket intake, found by blind index or created sealed.

use super::*;

/// The customer as given at ticket intake: a name and, when known, a phone and an email.
#[derive(Clone, Default)]
pub struct IntakeCustomer {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl App {
    /// Validates an intake customer's contacts (field names under `customer.`). `Ok(None)`
    /// when neither a phone nor an email was given: the ticket then only carries the name.
    pub(crate) fn prepare_intake_customer(
        &self,
        input: &IntakeCustomer,
        source_channel: &str,
    ) -> Result<Option<PreparedCustomer>, Vec<FieldError>> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let (phone, email) = (given(&input.phone), given(&input.email));
        if phone.is_none() && email.is_none() {
            return Ok(None);
        }
        let nc = NewCustomer {
            name: input.name.clone(),
            phones: phone
                .map(|p| vec![Labeled::new("customer.phone", p)])
                .unwrap_or_default(),
            emails: email
                .map(|e| vec![Labeled::new("customer.email", e)])
                .unwrap_or_default(),
            source_channel: Some(source_channel.to_string()),
            ..Default::default()
        };
        self.prepare_customer(&nc).map(Some).map_err(|fields| {
            fields
                .into_iter()
                .map(|mut f| {
                    if f.field == "name" {
                        f.field = "customer.name".into();
                    }
                    f
                })
                .collect()
        })
    }

    /// The customer holding one of the prepared identifiers (found through the blind index,
    /// phone first), or a new customer record created in `tx` with its audit entry.
    pub(crate) async fn find_or_create_customer(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        prepared: PreparedCustomer,
    ) -> Result<Uuid, AppError> {
        let vault = self.vault()?;
        for ident in &prepared.identifiers {
            let blind = vault.blind_index(ident.kind, &ident.lookup);
            if let Some(id) = tx
                .find_customers_by_identifier(ident.kind, &blind)
                .await?
                .into_iter()
                .next()
            {
                return Ok(id);
            }
        }
        let created = self
            .insert_prepared(tx, principal, prepared, AuditAction::CustomerCreateAtIntake)
            .await?;
        Ok(created.detail.customer.id)
    }
}
