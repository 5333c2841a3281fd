//! Changing a customer: the editable check and updates with their identifiers re-sealed.

use super::*;

impl App {
    pub(super) fn editable(customer: &Customer) -> Result<(), AppError> {
        if customer.erased_at.is_some() {
            return Err(AppError::Conflict {
                code: "customer_erased",
                message: "this customer's personal data was erased".into(),
                field: None,
            });
        }
        if customer.merged_into.is_some() {
            return Err(AppError::Conflict {
                code: "customer_merged",
                message: "this customer was merged into another record".into(),
                field: None,
            });
        }
        Ok(())
    }

    /// Changes a customer (needs `edit_customers`).
    pub async fn update_customer(
        &self,
        principal: &Principal,
        id: Uuid,
        changes: CustomerChanges,
    ) -> Result<CustomerDetail, AppError> {
        principal.require(Permission::EditCustomers)?;
        let vault = self.vault()?;
        let today = self.today();
        let mut fields = Vec::new();
        let name = changes.name.as_ref().map(|n| check_name(n, &mut fields));
        let birth_date = changes
            .birth_date
            .as_ref()
            .map(|b| check_birth_date(b, today, &mut fields));
        let language = changes
            .preferred_language
            .as_ref()
            .map(|v| check_language(v, &mut fields));
        let channel = changes
            .preferred_channel
            .as_ref()
            .map(|v| check_choice("preferred_channel", v, &PREFERRED_CHANNELS, &mut fields));
        let source = changes
            .source_channel
            .as_ref()
            .map(|v| check_source(v, &mut fields));
        let mut needs: Vec<(&str, Option<String>)> = Vec::new();
        for (f, v) in [
            ("diet", &changes.diet),
            ("allergies", &changes.allergies),
            ("accessibility", &changes.accessibility),
        ] {
            if let Some(v) = v {
                needs.push((f, check_text(f, v, 500, &mut fields)));
            }
        }
        let tags = changes.tags.as_ref().map(|t| check_tags(t, &mut fields));
        let notes = changes
            .notes
            .as_ref()
            .map(|n| check_text("notes", n, 2000, &mut fields));
        let added = check_identifiers(
            &changes.add_phones,
            &changes.add_emails,
            changes.set_wechat.as_ref(),
            &changes.add_documents,
            today,
            &mut fields,
        );
        fail_if_any(fields)?;

        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut detail = Self::load_detail(&mut *tx, id).await?;
        Self::editable(&detail.customer)?;
        let c = &mut detail.customer;
        let mut changed: Vec<&str> = Vec::new();
        if let Some(name) = name {
            if name != c.name {
                c.name = name;
                changed.push("name");
            }
        }
        if let Some(b) = birth_date {
            c.birth_date_sealed = seal_opt(vault, id, "birth_date", &b);
            changed.push("birth_date");
        }
        if let Some(v) = language {
            c.preferred_language = v;
            changed.push("preferred_language");
        }
        if let Some(v) = channel {
            c.preferred_channel = v;
            changed.push("preferred_channel");
        }
        if let Some(v) = source {
            c.source_channel = v;
            changed.push("source_channel");
        }
        for (f, v) in needs {
            let sealed = seal_opt(vault, id, f, &v);
            if let Some(slot) = sealed_slot(c, f) {
                *slot = sealed;
            }
            changed.push(f);
        }
        if let Some(t) = tags {
            c.tags = t;
            changed.push("tags");
        }
        if let Some(n) = notes {
            c.notes = n;
            changed.push("notes");
        }
        c.updated_at = now;
        c.updated_by = (!principal.user_id.is_nil()).then_some(principal.user_id);
        tx.update_customer(c).await?;

        let mut removed = Vec::new();
        for rid in &changes.remove_identifiers {
            if !detail.identifiers.iter().any(|i| i.id == *rid) {
                return Err(AppError::field(
                    "remove_identifiers",
                    "unknown",
                    "an identifier to remove does not belong to this customer",
                ));
            }
            tx.delete_identifier(*rid).await?;
            removed.push(*rid);
        }
        detail.identifiers.retain(|i| !removed.contains(&i.id));
        if changes.set_wechat.is_some() {
            for old in detail.identifiers.iter().filter(|i| i.kind == "wechat") {
                tx.delete_identifier(old.id).await?;
            }
            detail.identifiers.retain(|i| i.kind != "wechat");
        }
        let mut added_kinds = Vec::new();
        for plain in &added {
            if detail.identifiers.iter().any(|i| {
                i.kind == plain.kind
                    && i.blind_index == vault.blind_index(plain.kind, &plain.lookup)
            }) {
                continue;
            }
            let primary = !detail
                .identifiers
                .iter()
                .any(|i| i.kind == plain.kind && i.is_primary);
            let ident = seal_identifier(vault, id, plain, primary, now);
            tx.insert_identifier(&ident).await?;
            added_kinds.push(plain.kind);
            detail.identifiers.push(ident);
        }
        // Removing a primary identifier promotes the next one of its kind.
        for kind in IDENTIFIER_KINDS {
            let of_kind: Vec<usize> = (0..detail.identifiers.len())
                .filter(|&i| detail.identifiers[i].kind == kind)
                .collect();
            if !of_kind.is_empty() && !of_kind.iter().any(|&i| detail.identifiers[i].is_primary) {
                let first = &mut detail.identifiers[of_kind[0]];
                first.is_primary = true;
                tx.update_identifier(first).await?;
            }
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerUpdate,
            "customer",
            Some(id.to_string()),
            json!({
                "changed": changed,
                "identifiers_added": kind_counts(added_kinds.into_iter()),
                "identifiers_removed": removed.len(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(detail)
    }
}
