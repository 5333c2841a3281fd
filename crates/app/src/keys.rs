//! Vault key maintenance: re-encrypting every sealed value under the active key after a
//! rotation, and checking at start-up that the loaded keys open the stored data.

use crate::customers::{customer_field, identifier_field, SEALED_FIELDS};
use crate::desk_attachments::{ATTACHMENT_CONTENT_FIELD, ATTACHMENT_NAME_FIELD};
use crate::{App, AppError};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;

/// How many values a re-encryption run moved to the active key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    pub identifiers: u64,
    pub customers: u64,
    /// Ticket attachments (name and content).
    pub attachments: u64,
}

impl App {
    /// Re-encrypts every sealed value that is not under the active key, `batch` rows per
    /// transaction. Resumable by construction: each batch asks the store for values still
    /// sealed under another key, so a run stopped half-way continues where it was when
    /// started again. `progress` is called after each batch.
    pub async fn reseal_all(
        &self,
        batch: u32,
        mut progress: impl FnMut(&ResealReport),
    ) -> Result<ResealReport, AppError> {
        let vault = self.vault()?;
        let prefix = format!("v1.{}.", vault.active_key_id());
        let mut report = ResealReport::default();
        loop {
            let mut tx = self.store.write().await?;
            let rows = tx.identifiers_to_reseal(&prefix, batch).await?;
            if rows.is_empty() {
                break;
            }
            for mut ident in rows {
                ident.sealed = vault
                    .reencrypt(
                        &identifier_field(&ident.kind),
                        &ident.id.to_string(),
                        &ident.sealed,
                    )
                    .map_err(|e| {
                        AppError::Internal(format!(
                            "cannot re-encrypt identifier {}: {e}",
                            ident.id
                        ))
                    })?
                    .into_string();
                tx.update_identifier(&ident).await?;
                report.identifiers += 1;
            }
            tx.commit().await?;
            progress(&report);
        }
        loop {
            let mut tx = self.store.write().await?;
            let rows = tx.customers_to_reseal(&prefix, batch).await?;
            if rows.is_empty() {
                break;
            }
            for mut c in rows {
                for (name, slot) in SEALED_FIELDS.iter().zip([
                    &mut c.birth_date_sealed,
                    &mut c.diet_sealed,
                    &mut c.allergies_sealed,
                    &mut c.accessibility_sealed,
                ]) {
                    if let Some(sealed) = slot.as_ref().filter(|s| !s.starts_with(&prefix)) {
                        *slot = Some(
                            vault
                                .reencrypt(&customer_field(name), &c.id.to_string(), sealed)
                                .map_err(|e| {
                                    AppError::Internal(format!(
                                        "cannot re-encrypt {name} of customer {}: {e}",
                                        c.id
                                    ))
                                })?
                                .into_string(),
                        );
                    }
                }
                tx.update_customer(&c).await?;
                report.customers += 1;
            }
            tx.commit().await?;
            progress(&report);
        }
        loop {
            let mut tx = self.store.write().await?;
            let rows = tx.ticket_attachments_to_reseal(&prefix, batch).await?;
            if rows.is_empty() {
                break;
            }
            for mut a in rows {
                let record = a.id.to_string();
                let again = |field: &str, sealed: &str| {
                    vault
                        .reencrypt(field, &record, sealed)
                        .map(|s| s.into_string())
                        .map_err(|e| {
                            AppError::Internal(format!(
                                "cannot re-encrypt attachment {record}: {e}"
                            ))
                        })
                };
                if !a.file_name_sealed.starts_with(&prefix) {
                    a.file_name_sealed = again(ATTACHMENT_NAME_FIELD, &a.file_name_sealed)?;
                }
                if !a.content_sealed.starts_with(&prefix) {
                    a.content_sealed = again(ATTACHMENT_CONTENT_FIELD, &a.content_sealed)?;
                }
                tx.update_ticket_attachment_sealed(&a).await?;
                report.attachments += 1;
            }
            tx.commit().await?;
            progress(&report);
        }
        let mut tx = self.store.write().await?;
        self.audit(
            &mut *tx,
            &Self::console_principal(),
            AuditAction::VaultReseal,
            "vault",
            Some(vault.active_key_id().to_string()),
            json!({
                "identifiers": report.identifiers,
                "customers": report.customers,
                "attachments": report.attachments,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Records in the audit log that the operator rotated the vault keys.
    pub async fn record_key_rotation(&self, new_key_id: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        self.audit(
            &mut *tx,
            &Self::console_principal(),
            AuditAction::VaultRotate,
            "vault",
            Some(new_key_id.to_string()),
            json!({ "active_key": new_key_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens one stored sealed value, if there is any, to prove the loaded keys belong to
    /// this database (a wrong key file would otherwise show only on the first reveal).
    pub async fn check_vault_keys(&self) -> Result<(), AppError> {
        let vault = self.vault()?;
        let mut tx = self.store.read().await?;
        // Every sealed value starts with "v1.", so none starts with this: the first one comes back.
        let sample = tx.identifiers_to_reseal("\u{1}", 1).await?;
        if let Some(ident) = sample.first() {
            vault
                .decrypt(
                    &identifier_field(&ident.kind),
                    &ident.id.to_string(),
                    &ident.sealed,
                )
                .map_err(|e| {
                    AppError::Unavailable(format!(
                        "the vault keys do not open the stored customer data ({}): wrong key file?",
                        e.code()
                    ))
                })?;
        }
        Ok(())
    }
}
