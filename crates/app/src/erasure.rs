//! PIPL erasure of one customer: after it, the customer's name, phone numbers, emails, WeChat
//! id and ID numbers are readable nowhere in the database, while their tickets keep kind,
//! level, states, timings and clocks for the statistics.
//!
//! The steps, in one write transaction (after a read snapshot has found the candidates):
//! 1. the customer record: identifiers deleted, sealed fields, notes and tags cleared, name
//!    replaced (`customers.rs` did this alone before);
//! 2. the customer's own tickets ([`ErasureRepo::erase_customer_tickets`]): name, subject and
//!    description replaced whole — they are the customer's words —, the text of every
//!    timeline entry (replies, notes, step comments) replaced, surveys' suggestions and
//!    reasons cleared (ratings kept), evidence attachments deleted;
//! 3. messages to or about the customer ([`ErasureRepo::erase_customer_messages`]): recipient,
//!    subject and bodies replaced, attachments deleted, those not yet sent cancelled (dead,
//!    never sent);
//! 4. every text column in [`ERASABLE_TEXTS`] — anyone's tickets, replies, notes, tasks,
//!    messages, bell notifications, other customers' notes — rewritten where it holds one of
//!    the customer's values ([`Needles`]: the spellings people write them in); texts about the
//!    customer's tickets (staff alerts, webhook payloads, tasks) also lose copies of the
//!    customer's own words (subjects, descriptions, survey answers);
//! 5. the audit entry (no values);
//!
//! then, committed, [`Store::purge_free_space`](tripdesk_store::Store::purge_free_space): the
//! SQLite WAL emptied (the database itself runs with `secure_delete`), PostgreSQL's dead row
//! versions vacuumed.

use crate::customers::{identifier_field, open_sealed};
use crate::{App, AppError, Principal};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::erasure::{Needles, ERASED};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Customer, CustomerTicketTexts, TextColumn, Tx, ERASABLE_TEXTS};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// What a message cancelled by an erasure says instead of an error (no personal data).
pub const CANCELLED_BY_ERASURE: &str = "cancelled: the customer's personal data was erased";

/// Tables an erasure changes besides [`ERASABLE_TEXTS`]' (vacuumed on PostgreSQL after it).
const OTHER_TABLES: [&str; 4] = [
    "customer_identifiers",
    "ticket_attachments",
    "notification_preferences",
    "customers",
];

/// The two sets of values an erasure looks for.
struct ErasureNeedles {
    /// The customer's identifying values: searched in every text.
    identity: Needles,
    /// Those and the customer's own words: searched in texts about the customer's tickets.
    words: Needles,
}

/// A row found holding a value, and which set found it.
type Candidates = BTreeMap<(usize, String), bool>;

impl App {
    /// PIPL erasure (needs `reveal_sensitive`, the data-protection role); see the module.
    /// The record, its creation time, source channel and consent history (no personal data)
    /// stay, so statistics still add up; the audit chain is untouched because its entries
    /// never held the values.
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
        let vault = self.vault()?;
        // Searching every text column reads whole tables: in a read snapshot, so the writer
        // (SQLite's only one) is held only for the rewrites.
        let candidates = {
            let mut r = self.store.read().await?;
            let detail = Self::load_detail(&mut *r, id).await?;
            if detail.customer.erased_at.is_some() {
                return Err(already_erased());
            }
            let tickets = r.customer_ticket_texts(id).await?;
            let needles = erasure_needles(vault, &detail, &tickets)?;
            let ticket_ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
            find_candidates(&mut *r, &needles, &ticket_ids).await?
        };

        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut detail = Self::load_detail(&mut *tx, id).await?;
        if detail.customer.erased_at.is_some() {
            return Err(already_erased());
        }
        // The values as they are now (an identifier may have been added meanwhile).
        let tickets = tx.customer_ticket_texts(id).await?;
        let needles = erasure_needles(vault, &detail, &tickets)?;
        let emails = emails_of(vault, &detail)?;

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
        c.erased_at = Some(now);
        c.updated_at = now;
        c.updated_by = (!principal.user_id.is_nil()).then_some(principal.user_id);
        tx.update_customer(c).await?;

        let erased_tickets = tx.erase_customer_tickets(id, ERASED).await?;
        let erased_messages = tx
            .erase_customer_messages(id, &emails, ERASED, CANCELLED_BY_ERASURE, now)
            .await?;
        let mut rewritten = 0u64;
        for ((column, key), about_ticket) in &candidates {
            let column = &ERASABLE_TEXTS[*column];
            let set = if *about_ticket {
                &needles.words
            } else {
                &needles.identity
            };
            if let Some(text) = tx.erasable_text(column, key).await? {
                if let Some(scrubbed) = set.scrub(&text) {
                    tx.set_erasable_text(column, key, &scrubbed).await?;
                    rewritten += 1;
                }
            }
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerErase,
            "customer",
            Some(id.to_string()),
            json!({
                "identifiers_deleted": detail.identifiers.len(),
                "tickets": erased_tickets.tickets,
                "timeline_entries": erased_tickets.timeline_entries,
                "surveys": erased_tickets.surveys,
                "attachments_deleted": erased_tickets.attachments,
                "messages": erased_messages.messages,
                "messages_cancelled": erased_messages.cancelled,
                "texts_rewritten": rewritten,
                "reason": reason,
            }),
        )
        .await?;
        // Integrators learn of it (ids only) in the same transaction.
        self.publish_customer_erased(&mut *tx, id).await?;
        tx.commit().await?;

        let mut tables: Vec<&str> = ERASABLE_TEXTS.iter().map(|c| c.table).collect();
        tables.extend(OTHER_TABLES);
        if let Err(e) = self.store.purge_free_space(&tables).await {
            // The erasure stands; the old values leave the files at the next checkpoint or
            // vacuum instead of now.
            tracing::warn!(customer = %id, error = %e, "erased, but free space not purged yet");
        }
        Ok(detail.customer)
    }
}

fn already_erased() -> AppError {
    AppError::Conflict {
        code: "customer_erased",
        message: "this customer's personal data was already erased".into(),
        field: None,
    }
}

/// The customer's values opened from the vault, and their own words.
fn erasure_needles(
    vault: &KeyRing,
    detail: &crate::customers::CustomerDetail,
    tickets: &[CustomerTicketTexts],
) -> Result<ErasureNeedles, AppError> {
    let mut identity = Needles::new();
    if detail.customer.erased_at.is_none() && detail.customer.merged_into.is_none() {
        identity.add_text(&detail.customer.name);
    }
    for t in tickets {
        identity.add_text(&t.customer_name);
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
            "phone" => identity.add_phone(value),
            "email" | "wechat" => identity.add_text(value),
            _ => identity.add_id_number(value),
        }
    }
    let mut words = identity.clone();
    for t in tickets {
        words.add_text(&t.subject);
        words.add_text(&t.description);
        for s in &t.survey_texts {
            words.add_text(s);
        }
    }
    Ok(ErasureNeedles { identity, words })
}

/// The customer's email addresses, lower-case (messages to them are the customer's).
fn emails_of(
    vault: &KeyRing,
    detail: &crate::customers::CustomerDetail,
) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for ident in detail.identifiers.iter().filter(|i| i.kind == "email") {
        let value = open_sealed(vault, &identifier_field("email"), ident.id, &ident.sealed)?;
        out.push(value.expose_secret().trim().to_lowercase());
    }
    Ok(out)
}

/// Every row of [`ERASABLE_TEXTS`] holding one of the values: any row for the identity
/// values, rows about the customer's tickets for their words too.
async fn find_candidates(
    tx: &mut dyn Tx,
    needles: &ErasureNeedles,
    tickets: &[Uuid],
) -> Result<Candidates, AppError> {
    let mut found = Candidates::new();
    let identity = needles.identity.like_patterns();
    let words = needles.words.like_patterns();
    for (i, column) in ERASABLE_TEXTS.iter().enumerate() {
        let column: &TextColumn = column;
        if column.every_row {
            for key in tx.find_erasable_texts(column, &identity, None).await? {
                found.entry((i, key)).or_insert(false);
            }
        }
        if !tickets.is_empty() && column.ticket_of.is_some() {
            for key in tx
                .find_erasable_texts(column, &words, Some(tickets))
                .await?
            {
                found.insert((i, key), true);
            }
        }
    }
    Ok(found)
}
