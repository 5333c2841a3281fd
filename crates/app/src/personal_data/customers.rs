//! The customers capability's personal data: the record (name, notes, tags, sealed birth
//! date and special needs), its identifiers (sealed phones, emails, WeChat ids, ID numbers)
//! and consents.

use super::{Counts, PersonalData, Subject};
use crate::customers::{customer_field, identifier_field, open_sealed, sealed_slot, SEALED_FIELDS};
use crate::{App, AppError};
use async_trait::async_trait;
use serde_json::{json, Value};
use tripdesk_store::{AuditFilter, TextColumn, Tx, CUSTOMER_FIELDS};
use uuid::Uuid;

pub(super) struct Customers;

#[async_trait]
impl PersonalData for Customers {
    fn name(&self) -> &'static str {
        "customers"
    }

    fn fields(&self) -> &'static [TextColumn] {
        CUSTOMER_FIELDS
    }

    async fn gather(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        subject: &mut Subject,
    ) -> Result<(), AppError> {
        let vault = app.vault()?;
        let detail = App::load_detail(tx, subject.customer).await?;
        let c = &detail.customer;
        if c.erased_at.is_none() && c.merged_into.is_none() {
            subject.add_identifying_text(&c.name);
        }
        for ident in &detail.identifiers {
            let value = open_sealed(
                vault,
                &identifier_field(&ident.kind),
                ident.id,
                &ident.sealed,
            )?;
            let value = value.expose_secret();
            match ident.kind.as_str() {
                "phone" => subject.add_phone(value),
                "email" => {
                    subject.add_identifying_text(value);
                    subject.emails.push(value.trim().to_lowercase());
                }
                "wechat" => subject.add_identifying_text(value),
                _ => subject.add_id_number(value),
            }
        }
        Ok(())
    }

    async fn export(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let vault = app.vault()?;
        let mut detail = App::load_detail(tx, id).await?;
        let history = tx
            .list_audit(&AuditFilter {
                entity_type: Some("customer".into()),
                entity_id: Some(id.to_string()),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        let mut identifiers = Vec::new();
        for i in &detail.identifiers {
            let value = open_sealed(vault, &identifier_field(&i.kind), i.id, &i.sealed)?;
            identifiers.push(json!({
                "kind": i.kind,
                "value": value.expose_secret(),
                "primary": i.is_primary,
                "recorded_at": i.created_at,
            }));
        }
        let mut sealed = serde_json::Map::new();
        for f in SEALED_FIELDS {
            let value = match sealed_slot(&mut detail.customer, f).and_then(|s| s.clone()) {
                Some(s) => Some(open_sealed(vault, &customer_field(f), id, &s)?),
                None => None,
            };
            sealed.insert(
                f.to_string(),
                json!(value.as_ref().map(|v| v.expose_secret().clone())),
            );
        }
        let c = &detail.customer;
        Ok(Some(json!({
            "customer": {
                "id": c.id,
                "name": c.name,
                "birth_date": sealed["birth_date"],
                "special_needs": {
                    "diet": sealed["diet"],
                    "allergies": sealed["allergies"],
                    "accessibility": sealed["accessibility"],
                },
                "preferred_language": c.preferred_language,
                "preferred_channel": c.preferred_channel,
                "source_channel": c.source_channel,
                "tags": c.tags,
                "notes": c.notes,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "erased_at": c.erased_at,
                "merged_into": c.merged_into,
            },
            "identifiers": identifiers,
            "consents": detail.consents.iter().map(|k| json!({
                "purpose": k.purpose,
                "granted": k.granted,
                "channel": k.channel,
                "text_version": k.text_version,
                "recorded_at": k.recorded_at,
            })).collect::<Vec<_>>(),
            "processing_history": history.iter().rev().map(|e| json!({
                "at": e.at,
                "action": e.action,
                "by": e.actor_name,
            })).collect::<Vec<_>>(),
        })))
    }

    /// Identifiers deleted, sealed fields, notes and tags cleared, the name replaced; the
    /// record, its creation time, source channel and consent history (no personal data)
    /// stay, so statistics still add up.
    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let mut detail = App::load_detail(tx, subject.customer).await?;
        for ident in &detail.identifiers {
            tx.delete_identifier(ident.id).await?;
        }
        let c = &mut detail.customer;
        c.name = "(erased)".into();
        c.birth_date_sealed = None;
        c.diet_sealed = None;
        c.allergies_sealed = None;
        c.accessibility_sealed = None;
        c.tags.clear();
        c.notes = None;
        c.preferred_channel = None;
        c.erased_at = Some(subject.now);
        c.updated_at = subject.now;
        c.updated_by = subject.by;
        tx.update_customer(c).await?;
        Ok(Counts::from([(
            "identifiers_deleted".into(),
            detail.identifiers.len() as u64,
        )]))
    }
}
