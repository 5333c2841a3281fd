//! Vault key maintenance: re-encrypting every sealed value under the active key after a
//! rotation, and checking at start-up that the loaded keys open the stored data.
//!
//! Which values: the customers' record and identifiers and the tickets' attachments (each
//! with a loop of its own: their vault field depends on the row, or two columns move
//! together), then every other sealed column — every field a capability declares as
//! [`DataKind::Sealed`] in the personal-data registry, and the [`SECRETS`] that are not
//! personal data — through [`vault_field`], which names the vault field each was sealed for
//! (the row's key is the record). A sealed column declared without a vault field stops the
//! run with an error naming it, and `app/tests/personal_data.rs` fails on it first.

use crate::customers::{customer_field, identifier_field, SEALED_FIELDS};
use crate::desk_attachments::{ATTACHMENT_CONTENT_FIELD, ATTACHMENT_NAME_FIELD};
use crate::{App, AppError};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_store::erasure::held;
use tripdesk_store::{DataKind, TextColumn};

/// Sealed columns that are not personal data (credentials), re-encrypted with the rest.
pub const SECRETS: &[TextColumn] = &[held("email_mailboxes", "password_sealed", DataKind::Sealed)];

/// Sealed columns with a re-encryption loop of their own (see the module comment).
const OWN_LOOP: &[&str] = &["customers", "customer_identifiers", "ticket_attachments"];

/// The vault field a sealed column's values were sealed for, with the row's key as the
/// record; `None` for a column of [`OWN_LOOP`] and for one nobody named (an error).
pub fn vault_field(c: &TextColumn) -> Option<&'static str> {
    Some(match (c.table, c.column) {
        ("chat_messages", "body_sealed") => crate::chat::MESSAGE_FIELD,
        ("sms_replies", "sealed_text") => crate::sms::REPLY_FIELD,
        ("calls", "number_sealed") => crate::phone::NUMBER_FIELD,
        ("call_events", "number_sealed") => crate::phone::cti::EVENT_NUMBER_FIELD,
        ("callback_tasks", "number_sealed") => crate::phone::callbacks::TASK_NUMBER_FIELD,
        ("callback_tasks", "note_sealed") => crate::phone::callbacks::TASK_NOTE_FIELD,
        ("email_messages", "message_sealed") => crate::email_in::MESSAGE_ID_FIELD,
        ("email_mailboxes", "password_sealed") => crate::email_in::MAILBOX_PASSWORD_FIELD,
        ("wechat_users", "openid_sealed") => crate::wechat_in::OPENID_FIELD,
        ("wechat_messages", "sealed_body") => crate::wechat_in::BODY_FIELD,
        _ => return None,
    })
}

/// How many values a re-encryption run moved to the active key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    pub identifiers: u64,
    pub customers: u64,
    /// Ticket attachments (name and content).
    pub attachments: u64,
    /// Values of every other sealed column (chats, calls, SMS, email, WeChat, mailbox
    /// passwords), by `table.column`.
    pub others: std::collections::BTreeMap<String, u64>,
}

impl ResealReport {
    /// Every value of the other sealed columns.
    pub fn others_total(&self) -> u64 {
        self.others.values().sum()
    }
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
        for column in self.sealed_columns()? {
            let Some(field) = vault_field(&column) else {
                continue;
            };
            loop {
                let mut tx = self.store.write().await?;
                let rows = tx.sealed_values(&column, &prefix, batch).await?;
                if rows.is_empty() {
                    break;
                }
                let mut moved = 0;
                for (key, sealed) in rows {
                    let again = vault
                        .reencrypt(field, &key, &sealed)
                        .map_err(|e| {
                            AppError::Internal(format!(
                                "cannot re-encrypt {}.{} of {key}: {e}",
                                column.table, column.column
                            ))
                        })?
                        .into_string();
                    if tx.replace_sealed(&column, &key, &sealed, &again).await? {
                        moved += 1;
                    }
                }
                tx.commit().await?;
                if moved == 0 {
                    // Every value of the batch changed meanwhile and is still under an old
                    // key: something keeps sealing with it.
                    return Err(AppError::Conflict {
                        code: "sealed_under_old_key",
                        message: format!(
                            "{}.{} keeps being written under an old key: is a node running with an old key file?",
                            column.table, column.column
                        ),
                        field: None,
                    });
                }
                *report
                    .others
                    .entry(format!("{}.{}", column.table, column.column))
                    .or_default() += moved;
                progress(&report);
            }
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
                "others": report.others,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Every sealed column re-encryption visits generically (registry and [`SECRETS`]), each
    /// once; an error names a sealed column declared without a vault field.
    pub fn sealed_columns(&self) -> Result<Vec<TextColumn>, AppError> {
        let mut columns: Vec<TextColumn> = Vec::new();
        let declared = self
            .personal_data()
            .iter()
            .flat_map(|c| c.fields().iter().copied())
            .chain(SECRETS.iter().copied());
        for c in declared.filter(|c| c.kind == DataKind::Sealed) {
            if OWN_LOOP.contains(&c.table) || columns.contains(&c) {
                continue;
            }
            if vault_field(&c).is_none() {
                return Err(AppError::Internal(format!(
                    "the sealed column {}.{} has no vault field for re-encryption (app/src/keys.rs)",
                    c.table, c.column
                )));
            }
            columns.push(c);
        }
        Ok(columns)
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
