//! Records that look like the same person, and merging them into one.

use super::*;

impl App {
    /// Other active records sharing a phone, email, WeChat id or document with this one.
    pub async fn customer_duplicates(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Vec<DuplicateCandidate>, AppError> {
        principal.require(Permission::ViewCustomers)?;
        let mut tx = self.store.read().await?;
        tx.get_customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let matches = tx.find_duplicates(id).await?;
        let mut shared: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for m in matches {
            shared.entry(m.customer_id).or_default().push(m.kind);
        }
        let filter = CustomerFilter {
            ids: Some(shared.keys().copied().collect()),
            limit: 500,
            ..Default::default()
        };
        let customers = tx.list_customers(&filter).await?;
        let items = Self::with_identifiers(&mut *tx, customers).await?;
        Ok(items
            .into_iter()
            .map(|item| DuplicateCandidate {
                shared: shared.remove(&item.customer.id).unwrap_or_default(),
                item,
            })
            .collect())
    }

    /// Merges `other` into `keep` (needs `edit_customers`): identifiers and consents move,
    /// sealed fields `keep` lacks are taken over, tags are joined, notes appended; `other`
    /// stays as a pointer to `keep`. Both records get an audit entry.
    pub async fn merge_customers(
        &self,
        principal: &Principal,
        keep: Uuid,
        other: Uuid,
    ) -> Result<CustomerDetail, AppError> {
        principal.require(Permission::EditCustomers)?;
        let vault = self.vault()?;
        if keep == other {
            return Err(AppError::field(
                "duplicate_id",
                "same",
                "a customer cannot be merged into itself",
            ));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut kept = Self::load_detail(&mut *tx, keep).await?;
        let mut gone = match Self::load_detail(&mut *tx, other).await {
            Err(AppError::NotFound(_)) => {
                return Err(AppError::field(
                    "duplicate_id",
                    "unknown",
                    "no customer has this id",
                ))
            }
            other => other?,
        };
        Self::editable(&kept.customer)?;
        Self::editable(&gone.customer)?;
        let mut moved = 0;
        let mut dropped = 0;
        for mut ident in gone.identifiers.drain(..) {
            if kept
                .identifiers
                .iter()
                .any(|k| k.kind == ident.kind && k.blind_index == ident.blind_index)
            {
                tx.delete_identifier(ident.id).await?;
                dropped += 1;
                continue;
            }
            // Sealed for the identifier's own id, so it moves without re-encryption.
            ident.customer_id = keep;
            ident.is_primary = !kept
                .identifiers
                .iter()
                .any(|k| k.kind == ident.kind && k.is_primary);
            tx.update_identifier(&ident).await?;
            kept.identifiers.push(ident);
            moved += 1;
        }
        let consents = tx.move_consents(other, keep).await?;
        // Their WeChat followers and messages are this customer's now (replies, erasure).
        tx.move_wechat_users(other, keep).await?;
        let mut taken = Vec::new();
        for f in SEALED_FIELDS {
            let theirs = sealed_slot(&mut gone.customer, f).and_then(|s| s.take());
            let ours = sealed_slot(&mut kept.customer, f).expect("known field");
            if ours.is_none() {
                if let Some(sealed) = theirs {
                    // Sealed for the other customer's id: open and seal again for this one.
                    let plain = open_sealed(vault, &customer_field(f), other, &sealed)?;
                    *ours = Some(
                        vault
                            .encrypt(&customer_field(f), &keep.to_string(), plain.expose_secret())
                            .into_string(),
                    );
                    taken.push(f);
                }
            }
        }
        for t in gone.customer.tags.drain(..) {
            if !kept.customer.tags.contains(&t) && kept.customer.tags.len() < 20 {
                kept.customer.tags.push(t);
            }
        }
        if let Some(n) = gone.customer.notes.take() {
            kept.customer.notes = Some(match kept.customer.notes.take() {
                Some(mine) => format!("{mine}\n{n}").chars().take(2000).collect(),
                None => n,
            });
        }
        for (ours, theirs) in [
            (
                &mut kept.customer.preferred_language,
                gone.customer.preferred_language.take(),
            ),
            (
                &mut kept.customer.preferred_channel,
                gone.customer.preferred_channel.take(),
            ),
            (
                &mut kept.customer.source_channel,
                gone.customer.source_channel.clone(),
            ),
        ] {
            if ours.is_none() {
                *ours = theirs;
            }
        }
        let by = (!principal.user_id.is_nil()).then_some(principal.user_id);
        kept.customer.updated_at = now;
        kept.customer.updated_by = by;
        tx.update_customer(&kept.customer).await?;
        // The merged record keeps its name (for the audit trail of earlier work) and points on.
        gone.customer.merged_into = Some(keep);
        gone.customer.updated_at = now;
        gone.customer.updated_by = by;
        tx.update_customer(&gone.customer).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerMerge,
            "customer",
            Some(keep.to_string()),
            json!({
                "merged": other,
                "identifiers_moved": moved,
                "identifiers_already_present": dropped,
                "consents_moved": consents,
                "sealed_fields_taken": taken,
            }),
        )
        .await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerMergedInto,
            "customer",
            Some(other.to_string()),
            json!({ "into": keep }),
        )
        .await?;
        tx.commit().await?;
        let mut r = self.store.read().await?;
        Self::load_detail(&mut *r, keep).await
    }
}
