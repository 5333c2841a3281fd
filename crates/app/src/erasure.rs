//! PIPL erasure of one customer: after it, the customer's personal data is readable nowhere
//! in the database, while their records keep what statistics need (kinds, levels, states,
//! timings, clocks).
//!
//! Erasure names no capability: it fans out to every capability registered with the
//! application ([`crate::personal_data`]). The steps, in one write transaction (after a read
//! snapshot has found the candidate rows):
//! 1. every capability [gathers](crate::personal_data::PersonalData::gather) what it knows of
//!    the customer: identifying values (the name, phones, emails, WeChat id, ID numbers: the
//!    spellings people write them in, [`Needles`](tripdesk_domain::customer::erasure::Needles)),
//!    the customer's own words (subjects, descriptions, survey answers), their tickets;
//! 2. every capability [erases](crate::personal_data::PersonalData::erase) the customer's own
//!    data it holds (the record, the tickets' texts, the messages to the customer, …);
//! 3. every searchable declared text column (the union of the declarations) is rewritten where
//!    it holds one of the customer's values — anyone's tickets, replies, notes, tasks,
//!    messages, bell notifications, other customers' notes —; texts about the customer's
//!    tickets also lose copies of the customer's own words;
//! 4. every capability remakes what it derives from those texts
//!    ([`after_rewrite`](crate::personal_data::PersonalData::after_rewrite): the search
//!    index's documents of the customer's tickets and of every rewritten ticket or message);
//! 5. the audit entry (counts per capability, no values);
//!
//! then, committed, [`Store::purge_free_space`](tripdesk_store::Store::purge_free_space) on
//! every declared table: the SQLite WAL emptied (the database itself runs with
//! `secure_delete`), PostgreSQL's dead row versions vacuumed.

use crate::personal_data::Subject;
use crate::{App, AppError, Principal};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Customer, TextColumn, Tx};
use uuid::Uuid;

/// What a message cancelled by an erasure says instead of an error (no personal data).
pub const CANCELLED_BY_ERASURE: &str = "cancelled: the customer's personal data was erased";

/// A row found holding a value (column index, key), and whether the customer's own words
/// found it.
type Candidates = BTreeMap<(usize, String), bool>;

impl App {
    /// PIPL erasure (needs `reveal_sensitive`, the data-protection role); see the module.
    /// The audit chain is untouched because its entries never held the values.
    pub async fn erase_customer(
        &self,
        principal: &Principal,
        id: Uuid,
        reason: &str,
    ) -> Result<Customer, AppError> {
        principal.require(Permission::RevealSensitive)?;
        let reason = reason.trim();
        if !(2..=500).contains(&reason.chars().count()) {
            return Err(AppError::field(
                "reason",
                "length",
                "give the reason for the erasure (2 to 500 characters), e.g. the request reference",
            ));
        }
        self.vault()?;
        let registry = self.personal_data().clone();
        let columns = registry.erasable_texts();
        // Searching every text column reads whole tables: in a read snapshot, so the writer
        // (SQLite's only one) is held only for the rewrites.
        let candidates = {
            let mut r = self.store.read().await?;
            not_erased(&mut *r, id).await?;
            let subject = self.gather_subject(&mut *r, principal, id).await?;
            find_candidates(&mut *r, &columns, &subject).await?
        };

        let mut tx = self.store.write().await?;
        not_erased(&mut *tx, id).await?;
        // The values as they are now (an identifier may have been added meanwhile).
        let subject = self.gather_subject(&mut *tx, principal, id).await?;
        let mut summary = serde_json::Map::new();
        for capability in registry.iter() {
            let counts = capability.erase(self, &mut *tx, &subject).await?;
            summary.insert(capability.name().into(), json!(counts));
        }
        let mut rewritten: Vec<(TextColumn, String)> = Vec::new();
        for ((column, key), about_ticket) in &candidates {
            let column = &columns[*column];
            let set = if *about_ticket {
                &subject.words
            } else {
                &subject.identity
            };
            if let Some(text) = tx.erasable_text(column, key).await? {
                if let Some(scrubbed) = set.scrub(&text) {
                    tx.set_erasable_text(column, key, &scrubbed).await?;
                    rewritten.push((*column, key.clone()));
                }
            }
        }
        summary.insert("texts_rewritten".into(), json!(rewritten.len()));
        // What is made from those texts (the search index) is remade from them.
        for capability in registry.iter() {
            let counts = capability
                .after_rewrite(self, &mut *tx, &subject, &rewritten)
                .await?;
            if !counts.is_empty() {
                if let Some(serde_json::Value::Object(section)) = summary.get_mut(capability.name())
                {
                    for (k, v) in counts {
                        section.insert(k, json!(v));
                    }
                } else {
                    summary.insert(capability.name().into(), json!(counts));
                }
            }
        }
        summary.insert("reason".into(), json!(reason));
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerErase,
            "customer",
            Some(id.to_string()),
            serde_json::Value::Object(summary),
        )
        .await?;
        // Integrators learn of it (ids only) in the same transaction.
        self.publish_customer_erased(&mut *tx, id).await?;
        let customer = tx
            .get_customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        tx.commit().await?;

        if let Err(e) = self.store.purge_free_space(&registry.tables()).await {
            // The erasure stands; the old values leave the files at the next checkpoint or
            // vacuum instead of now.
            tracing::warn!(customer = %id, error = %e, "erased, but free space not purged yet");
        }
        Ok(customer)
    }
}

/// The customer exists and was not erased yet.
async fn not_erased(tx: &mut dyn Tx, id: Uuid) -> Result<(), AppError> {
    let customer = tx
        .get_customer(id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    if customer.erased_at.is_some() {
        return Err(AppError::Conflict {
            code: "customer_erased",
            message: "this customer's personal data was already erased".into(),
            field: None,
        });
    }
    Ok(())
}

/// Every row of the searched `columns` holding one of the values: any row for the identity
/// values, rows about the customer's tickets for their words too.
async fn find_candidates(
    tx: &mut dyn Tx,
    columns: &[TextColumn],
    subject: &Subject,
) -> Result<Candidates, AppError> {
    let mut found = Candidates::new();
    let identity = subject.identity.like_patterns();
    let words = subject.words.like_patterns();
    for (i, column) in columns.iter().enumerate() {
        if column.every_row {
            for key in tx.find_erasable_texts(column, &identity, None).await? {
                found.entry((i, key)).or_insert(false);
            }
        }
        if !subject.tickets.is_empty() && column.ticket_of.is_some() {
            for key in tx
                .find_erasable_texts(column, &words, Some(&subject.tickets))
                .await?
            {
                found.insert((i, key), true);
            }
        }
    }
    Ok(found)
}
