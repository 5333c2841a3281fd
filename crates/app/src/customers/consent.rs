//! Audited reveals of sealed values, and consents as the customer gave them.

use super::*;

impl App {
    /// Shows one sensitive value in plaintext (needs `reveal_sensitive` and a reason). The
    /// reveal is written to the audit log — who, which field of whom, why — before the value
    /// is returned.
    ///
    /// `field` is an identifier kind (`phone`, `resident_id`, …; the primary one unless
    /// `identifier_id` picks another) or a sealed field (`birth_date`, `diet`, `allergies`,
    /// `accessibility`).
    pub async fn reveal_customer_field(
        &self,
        principal: &Principal,
        id: Uuid,
        field: &str,
        identifier_id: Option<Uuid>,
        reason: &str,
    ) -> Result<Revealed, AppError> {
        principal.require(Permission::RevealSensitive)?;
        let vault = self.vault()?;
        let mut fields = Vec::new();
        let field = field.trim();
        if !IDENTIFIER_KINDS.contains(&field) && !SEALED_FIELDS.contains(&field) {
            fields.push(FieldError::new(
                "field",
                "unknown",
                format!(
                    "field must be one of {}, {}",
                    IDENTIFIER_KINDS.join(", "),
                    SEALED_FIELDS.join(", ")
                ),
            ));
        }
        let reason = reason.trim();
        let n = reason.chars().count();
        if !(2..=500).contains(&n) {
            fields.push(FieldError::new(
                "reason",
                "length",
                "give the reason for seeing this value (2 to 500 characters)",
            ));
        }
        fail_if_any(fields)?;
        let mut tx = self.store.write().await?;
        let mut detail = Self::load_detail(&mut *tx, id).await?;
        let (value, shown_id) = if IDENTIFIER_KINDS.contains(&field) {
            let ident = match identifier_id {
                Some(iid) => detail
                    .identifiers
                    .iter()
                    .find(|i| i.id == iid && i.kind == field),
                None => detail.primary(field),
            }
            .ok_or(AppError::NotFound("value"))?;
            (
                open_sealed(vault, &identifier_field(field), ident.id, &ident.sealed)?,
                Some(ident.id),
            )
        } else {
            let sealed = sealed_slot(&mut detail.customer, field)
                .and_then(|s| s.clone())
                .ok_or(AppError::NotFound("value"))?;
            (
                open_sealed(vault, &customer_field(field), id, &sealed)?,
                None,
            )
        };
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerReveal,
            "customer",
            Some(id.to_string()),
            json!({ "field": field, "identifier_id": shown_id, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(Revealed {
            field: field.to_string(),
            identifier_id: shown_id,
            value,
        })
    }

    /// Records a consent given or withdrawn (needs `edit_customers`).
    pub async fn record_consent(
        &self,
        principal: &Principal,
        id: Uuid,
        input: ConsentInput,
    ) -> Result<Consent, AppError> {
        principal.require(Permission::EditCustomers)?;
        let mut fields = Vec::new();
        let c = check_consent(0, &input, &mut fields);
        let fields = fields
            .into_iter()
            .map(|mut f| {
                f.field = f.field.trim_start_matches("consents[0].").to_string();
                f
            })
            .collect();
        fail_if_any(fields)?;
        let mut tx = self.store.write().await?;
        let customer = tx
            .get_customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        Self::editable(&customer)?;
        let consent = Consent {
            id: Uuid::now_v7(),
            customer_id: id,
            purpose: c.purpose,
            granted: c.granted,
            channel: c.channel,
            text_version: c.text_version,
            recorded_at: self.now(),
            recorded_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
        };
        tx.insert_consent(&consent).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerConsent,
            "customer",
            Some(id.to_string()),
            json!({
                "purpose": consent.purpose,
                "granted": consent.granted,
                "channel": consent.channel,
                "text_version": consent.text_version,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(consent)
    }
}
