//! Customers and their personal data (seed 004, PIPL).
//!
//! Every sensitive value — phones, emails, the WeChat id, identity document numbers, the
//! birth date, diet, allergies and accessibility needs — is validated and normalised by
//! `tripdesk_domain::customer`, sealed by the vault before it reaches the store, and found
//! again through a keyed blind index. Reading a customer never decrypts: what comes back is
//! the masked form. Seeing a value in plaintext is an explicit, audited action
//! ([`App::reveal_customer_field`]) that needs the `reveal_sensitive` permission and a reason.
//!
//! Input types hold plaintext; none of them implements `Debug`, so they cannot be logged.

mod bulk;
mod consent;
mod intake;
mod merge;
mod search;
mod update;

pub use bulk::sealed_phone;
pub use intake::*;

use crate::{App, AppError, FieldError, Principal};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::{
    mask_document_number, Email, IdDocument, IdDocumentKind, Phone, ValidationError,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Consent, Customer, CustomerFilter, CustomerIdentifier, Tx};
use tripdesk_vault::{KeyRing, Secret};
use uuid::Uuid;

/// Identifier kinds, in the order they are shown.
pub const IDENTIFIER_KINDS: [&str; 7] = [
    "phone",
    "email",
    "wechat",
    "resident_id",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
];
/// Sealed fields of the customer record itself.
pub const SEALED_FIELDS: [&str; 4] = ["birth_date", "diet", "allergies", "accessibility"];
/// How a customer likes to be contacted.
pub const PREFERRED_CHANNELS: [&str; 4] = ["phone", "sms", "email", "wechat"];
/// How a consent was given.
pub const CONSENT_CHANNELS: [&str; 7] = [
    "web_form",
    "phone",
    "paper",
    "wechat",
    "email",
    "in_person",
    "import",
];

/// A value from the request and the field it came from (for errors), e.g. `phone` or
/// `phones[1]`.
#[derive(Clone)]
pub struct Labeled {
    pub field: String,
    pub value: String,
}

impl Labeled {
    pub fn new(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
        }
    }
}

/// An identity document; `field` is the path of its number (`resident_id`,
/// `documents[0].number`).
#[derive(Clone)]
pub struct DocumentInput {
    pub field: String,
    pub kind: String,
    pub number: String,
}

/// A consent as given by the customer.
#[derive(Debug, Clone)]
pub struct ConsentInput {
    pub purpose: String,
    pub granted: bool,
    pub channel: String,
    pub text_version: String,
}

/// A new customer record.
#[derive(Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    /// The first is the primary phone.
    pub phones: Vec<Labeled>,
    pub emails: Vec<Labeled>,
    pub wechat: Option<Labeled>,
    pub documents: Vec<DocumentInput>,
    /// `YYYY-MM-DD`; taken from the resident ID when absent.
    pub birth_date: Option<String>,
    pub preferred_language: Option<String>,
    pub preferred_channel: Option<String>,
    pub source_channel: Option<String>,
    pub diet: Option<String>,
    pub allergies: Option<String>,
    pub accessibility: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub consents: Vec<ConsentInput>,
}

/// Changes to a customer; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Default)]
pub struct CustomerChanges {
    pub name: Option<String>,
    pub birth_date: Option<Option<String>>,
    pub preferred_language: Option<Option<String>>,
    pub preferred_channel: Option<Option<String>>,
    pub source_channel: Option<Option<String>>,
    pub diet: Option<Option<String>>,
    pub allergies: Option<Option<String>>,
    pub accessibility: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<Option<String>>,
    pub add_phones: Vec<Labeled>,
    pub add_emails: Vec<Labeled>,
    pub add_documents: Vec<DocumentInput>,
    pub set_wechat: Option<Labeled>,
    pub remove_identifiers: Vec<Uuid>,
}

/// How to find customers. Identifier look-ups go through the blind index; several criteria
/// narrow each other.
#[derive(Clone, Default)]
pub struct CustomerSearch {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub resident_id: Option<String>,
    pub document_kind: Option<String>,
    pub document_number: Option<String>,
    /// Substring of the name.
    pub name: Option<String>,
    pub tag: Option<String>,
    pub include_inactive: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A customer with everything the store holds about them (sealed values stay sealed).
#[derive(Debug, Clone)]
pub struct CustomerDetail {
    pub customer: Customer,
    pub identifiers: Vec<CustomerIdentifier>,
    pub consents: Vec<Consent>,
}

impl CustomerDetail {
    /// The latest consent per purpose.
    pub fn current_consents(&self) -> Vec<&Consent> {
        let mut latest: BTreeMap<&str, &Consent> = BTreeMap::new();
        for c in &self.consents {
            latest.insert(&c.purpose, c);
        }
        latest.into_values().collect()
    }

    /// The primary identifier of a kind (or the first one).
    pub fn primary(&self, kind: &str) -> Option<&CustomerIdentifier> {
        let mut of_kind = self.identifiers.iter().filter(|i| i.kind == kind);
        let first = of_kind.clone().next();
        of_kind.find(|i| i.is_primary).or(first)
    }
}

/// A customer on a list, with its identifiers (masked).
#[derive(Debug, Clone)]
pub struct CustomerListItem {
    pub customer: Customer,
    pub identifiers: Vec<CustomerIdentifier>,
}

#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub items: Vec<CustomerListItem>,
    pub total: u64,
}

/// Another record that looks like the same person.
#[derive(Debug, Clone)]
pub struct DuplicateCandidate {
    pub item: CustomerListItem,
    /// The identifier kinds both records share.
    pub shared: Vec<String>,
}

/// A created customer and the existing records that share an identifier with it.
#[derive(Debug, Clone)]
pub struct CreatedCustomer {
    pub detail: CustomerDetail,
    pub duplicates: Vec<Uuid>,
}

/// A value shown in plaintext after an audited reveal.
#[derive(Debug)]
pub struct Revealed {
    pub field: String,
    pub identifier_id: Option<Uuid>,
    pub value: Secret<String>,
}

/// A normalised identifier before sealing.
pub(crate) struct PlainIdentifier {
    pub kind: &'static str,
    /// Canonical value: what is sealed.
    pub canonical: String,
    /// What the blind index is computed over (emails: lower-cased; WeChat ids: lower-cased).
    pub lookup: String,
    pub masked: String,
}

/// A validated new customer, plaintext, ready to seal.
pub(crate) struct PreparedCustomer {
    pub name: String,
    pub identifiers: Vec<PlainIdentifier>,
    pub birth_date: Option<String>,
    pub preferred_language: Option<String>,
    pub preferred_channel: Option<String>,
    pub source_channel: Option<String>,
    pub diet: Option<String>,
    pub allergies: Option<String>,
    pub accessibility: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub consents: Vec<ConsentInput>,
}

fn domain_error(field: &str, e: &dyn ValidationError) -> FieldError {
    FieldError::new(field, e.code(), e.to_string())
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check_name(name: &str, fields: &mut Vec<FieldError>) -> String {
    crate::check_text(fields, "name", name, 100, crate::Lines::One)
}

fn check_text(
    field: &str,
    value: &Option<String>,
    max: usize,
    fields: &mut Vec<FieldError>,
) -> Option<String> {
    crate::check_optional_text(fields, field, value.as_deref(), max, crate::Lines::Many)
}

fn check_choice(
    field: &str,
    value: &Option<String>,
    allowed: &[&str],
    fields: &mut Vec<FieldError>,
) -> Option<String> {
    let v = trimmed(value);
    if let Some(v) = &v {
        if !allowed.contains(&v.as_str()) {
            fields.push(FieldError::new(
                field,
                "unknown",
                format!("{field} must be one of {}", allowed.join(", ")),
            ));
        }
    }
    v
}

fn check_language(value: &Option<String>, fields: &mut Vec<FieldError>) -> Option<String> {
    let v = trimmed(value);
    if let Some(v) = &v {
        let ok = v.len() <= 35
            && v.split('-').all(|part| {
                (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if !ok {
            fields.push(FieldError::new(
                "preferred_language",
                "invalid",
                "preferred_language must be a language tag such as zh-CN or en",
            ));
        }
    }
    v
}

fn check_source(value: &Option<String>, fields: &mut Vec<FieldError>) -> Option<String> {
    let v = trimmed(value);
    if let Some(v) = &v {
        if v.is_empty()
            || v.len() > 40
            || !v
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            fields.push(FieldError::new(
                "source_channel",
                "invalid",
                "source_channel must be 1 to 40 characters of a-z, 0-9 and _",
            ));
        }
    }
    v
}

fn check_tags(tags: &[String], fields: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.contains(',') || tripdesk_domain::text::single_line(t, 30).is_err() {
            fields.push(FieldError::new(
                &format!("tags[{i}]"),
                "invalid",
                "a tag is at most 30 characters and has no comma",
            ));
        } else if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > 20 {
        fields.push(FieldError::new("tags", "too_many", "at most 20 tags"));
    }
    out
}

fn check_birth_date(
    value: &Option<String>,
    today: jiff::civil::Date,
    fields: &mut Vec<FieldError>,
) -> Option<String> {
    let v = trimmed(value)?;
    match v.parse::<jiff::civil::Date>() {
        Ok(d) if d.year() >= 1900 && d <= today && v.len() == 10 => Some(d.to_string()),
        Ok(_) => {
            fields.push(FieldError::new(
                "birth_date",
                "range",
                "birth_date must be from 1900 on and not in the future",
            ));
            None
        }
        Err(_) => {
            fields.push(FieldError::new(
                "birth_date",
                "invalid",
                "birth_date must be a date as YYYY-MM-DD",
            ));
            None
        }
    }
}

fn check_consent(i: usize, c: &ConsentInput, fields: &mut Vec<FieldError>) -> ConsentInput {
    let purpose = c.purpose.trim().to_string();
    if purpose.is_empty()
        || purpose.len() > 40
        || !purpose
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        fields.push(FieldError::new(
            &format!("consents[{i}].purpose"),
            "invalid",
            "purpose must be 1 to 40 characters of a-z, 0-9 and _ (e.g. marketing)",
        ));
    }
    let channel = c.channel.trim().to_string();
    if !CONSENT_CHANNELS.contains(&channel.as_str()) {
        fields.push(FieldError::new(
            &format!("consents[{i}].channel"),
            "unknown",
            format!("channel must be one of {}", CONSENT_CHANNELS.join(", ")),
        ));
    }
    let text_version = c.text_version.trim().to_string();
    let n = text_version.chars().count();
    if n == 0 || n > 60 {
        fields.push(FieldError::new(
            &format!("consents[{i}].text_version"),
            "length",
            "text_version (the version of the consent text shown) must be 1 to 60 characters",
        ));
    }
    ConsentInput {
        purpose,
        granted: c.granted,
        channel,
        text_version,
    }
}

/// Validates and normalises identifiers; repeated values are kept once.
fn check_identifiers(
    phones: &[Labeled],
    emails: &[Labeled],
    wechat: Option<&Labeled>,
    documents: &[DocumentInput],
    today: jiff::civil::Date,
    fields: &mut Vec<FieldError>,
) -> Vec<PlainIdentifier> {
    let mut out: Vec<PlainIdentifier> = Vec::new();
    let mut push = |p: PlainIdentifier| {
        if !out.iter().any(|o| o.kind == p.kind && o.lookup == p.lookup) {
            out.push(p);
        }
    };
    for l in phones {
        match Phone::parse(&l.value) {
            Ok(phone) => push(PlainIdentifier {
                kind: "phone",
                canonical: phone.as_e164().to_string(),
                lookup: phone.as_e164().to_string(),
                masked: phone.masked(),
            }),
            Err(e) => fields.push(domain_error(&l.field, &e)),
        }
    }
    for l in emails {
        match Email::parse(&l.value) {
            Ok(email) => push(PlainIdentifier {
                kind: "email",
                canonical: email.as_str().to_string(),
                lookup: email.lookup_key(),
                masked: email.masked(),
            }),
            Err(e) => fields.push(domain_error(&l.field, &e)),
        }
    }
    if let Some(l) = wechat {
        let v = l.value.trim();
        let ok = (6..=20).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_alphabetic())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            push(PlainIdentifier {
                kind: "wechat",
                canonical: v.to_string(),
                lookup: v.to_ascii_lowercase(),
                masked: mask_document_number(v),
            });
        } else {
            fields.push(FieldError::new(
                &l.field,
                "wechat.invalid",
                "a WeChat id has 6 to 20 letters, digits, _ or -, starting with a letter",
            ));
        }
    }
    for d in documents {
        let kind = match d.kind.trim().parse::<IdDocumentKind>() {
            Ok(k) => k,
            Err(e) => {
                let kind_field = d
                    .field
                    .strip_suffix(".number")
                    .map(|p| format!("{p}.kind"))
                    .unwrap_or_else(|| d.field.clone());
                fields.push(domain_error(&kind_field, &e));
                continue;
            }
        };
        match IdDocument::parse(kind, &d.number, today) {
            Ok(doc) => push(PlainIdentifier {
                kind: kind.code(),
                canonical: doc.number().to_string(),
                lookup: doc.number().to_string(),
                masked: doc.masked(),
            }),
            Err(e) => fields.push(domain_error(&d.field, &e)),
        }
    }
    out
}

fn fail_if_any(fields: Vec<FieldError>) -> Result<(), AppError> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(fields))
    }
}

/// The birth date a resident ID carries, as `YYYY-MM-DD`.
fn birth_date_of_ids(ids: &[PlainIdentifier], today: jiff::civil::Date) -> Option<String> {
    ids.iter()
        .filter(|i| i.kind == "resident_id")
        .find_map(|i| {
            tripdesk_domain::customer::ResidentId::parse(&i.canonical, today)
                .ok()
                .map(|r| r.birth_date().to_string())
        })
}

/// The AEAD field name of an identifier's sealed value.
pub(crate) fn identifier_field(kind: &str) -> String {
    format!("customer_identifier.{kind}")
}

/// The AEAD field name of a sealed customer field.
pub(crate) fn customer_field(name: &str) -> String {
    format!("customer.{name}")
}

pub(crate) fn seal_identifier(
    vault: &KeyRing,
    customer_id: Uuid,
    p: &PlainIdentifier,
    primary: bool,
    now: jiff::Timestamp,
) -> CustomerIdentifier {
    let id = Uuid::now_v7();
    CustomerIdentifier {
        id,
        customer_id,
        kind: p.kind.to_string(),
        blind_index: vault.blind_index(p.kind, &p.lookup),
        sealed: vault
            .encrypt(&identifier_field(p.kind), &id.to_string(), &p.canonical)
            .into_string(),
        masked: p.masked.clone(),
        is_primary: primary,
        created_at: now,
    }
}

fn seal_opt(
    vault: &KeyRing,
    customer_id: Uuid,
    name: &str,
    value: &Option<String>,
) -> Option<String> {
    value.as_ref().map(|v| {
        vault
            .encrypt(&customer_field(name), &customer_id.to_string(), v)
            .into_string()
    })
}

pub(crate) fn open_sealed(
    vault: &KeyRing,
    field: &str,
    record_id: Uuid,
    sealed: &str,
) -> Result<Secret<String>, AppError> {
    vault
        .decrypt(field, &record_id.to_string(), sealed)
        .map_err(|e| AppError::Internal(format!("cannot open {field} of record {record_id}: {e}")))
}

/// The sealed column of a customer field.
pub(crate) fn sealed_slot<'a>(c: &'a mut Customer, name: &str) -> Option<&'a mut Option<String>> {
    match name {
        "birth_date" => Some(&mut c.birth_date_sealed),
        "diet" => Some(&mut c.diet_sealed),
        "allergies" => Some(&mut c.allergies_sealed),
        "accessibility" => Some(&mut c.accessibility_sealed),
        _ => None,
    }
}

/// Counts identifiers per kind, for audit summaries (no values).
fn kind_counts<'a>(kinds: impl Iterator<Item = &'a str>) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for k in kinds {
        *m.entry(k.to_string()).or_insert(0) += 1;
    }
    m
}

impl App {
    /// Validates a new customer (shared by create and import).
    pub(crate) fn prepare_customer(
        &self,
        input: &NewCustomer,
    ) -> Result<PreparedCustomer, Vec<FieldError>> {
        let today = self.today();
        let mut fields = Vec::new();
        let name = check_name(&input.name, &mut fields);
        let identifiers = check_identifiers(
            &input.phones,
            &input.emails,
            input.wechat.as_ref(),
            &input.documents,
            today,
            &mut fields,
        );
        let mut birth_date = check_birth_date(&input.birth_date, today, &mut fields);
        if let Some(from_id) = birth_date_of_ids(&identifiers, today) {
            match &birth_date {
                Some(given) if *given != from_id => fields.push(FieldError::new(
                    "birth_date",
                    "mismatch",
                    "birth_date differs from the birth date in the resident ID number",
                )),
                _ => birth_date = Some(from_id),
            }
        }
        let prepared = PreparedCustomer {
            name,
            identifiers,
            birth_date,
            preferred_language: check_language(&input.preferred_language, &mut fields),
            preferred_channel: check_choice(
                "preferred_channel",
                &input.preferred_channel,
                &PREFERRED_CHANNELS,
                &mut fields,
            ),
            source_channel: check_source(&input.source_channel, &mut fields),
            diet: check_text("diet", &input.diet, 500, &mut fields),
            allergies: check_text("allergies", &input.allergies, 500, &mut fields),
            accessibility: check_text("accessibility", &input.accessibility, 500, &mut fields),
            tags: check_tags(&input.tags, &mut fields),
            notes: check_text("notes", &input.notes, 2000, &mut fields),
            consents: input
                .consents
                .iter()
                .enumerate()
                .map(|(i, c)| check_consent(i, c, &mut fields))
                .collect(),
        };
        if fields.is_empty() {
            Ok(prepared)
        } else {
            Err(fields)
        }
    }

    /// Seals and inserts a prepared customer with its audit entry, inside `tx`. Returns the
    /// detail and the ids of existing customers sharing an identifier.
    pub(crate) async fn insert_prepared(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        p: PreparedCustomer,
        action: AuditAction,
    ) -> Result<CreatedCustomer, AppError> {
        let vault = self.vault()?;
        let now = self.now();
        let id = Uuid::now_v7();
        let by = (!principal.user_id.is_nil()).then_some(principal.user_id);
        let sealed: Vec<&str> = [
            ("birth_date", &p.birth_date),
            ("diet", &p.diet),
            ("allergies", &p.allergies),
            ("accessibility", &p.accessibility),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(f, _)| f)
        .collect();
        let customer = Customer {
            id,
            name: p.name,
            birth_date_sealed: seal_opt(vault, id, "birth_date", &p.birth_date),
            diet_sealed: seal_opt(vault, id, "diet", &p.diet),
            allergies_sealed: seal_opt(vault, id, "allergies", &p.allergies),
            accessibility_sealed: seal_opt(vault, id, "accessibility", &p.accessibility),
            preferred_language: p.preferred_language,
            preferred_channel: p.preferred_channel,
            source_channel: p.source_channel,
            tags: p.tags,
            notes: p.notes,
            created_by: by,
            updated_by: by,
            created_at: now,
            updated_at: now,
            erased_at: None,
            merged_into: None,
        };
        tx.insert_customer(&customer).await?;
        let mut identifiers = Vec::new();
        let mut seen_kinds = BTreeSet::new();
        for plain in &p.identifiers {
            let primary = seen_kinds.insert(plain.kind);
            let ident = seal_identifier(vault, id, plain, primary, now);
            tx.insert_identifier(&ident).await?;
            identifiers.push(ident);
        }
        let mut consents = Vec::new();
        for c in p.consents {
            let consent = Consent {
                id: Uuid::now_v7(),
                customer_id: id,
                purpose: c.purpose,
                granted: c.granted,
                channel: c.channel,
                text_version: c.text_version,
                recorded_at: now,
                recorded_by: by,
            };
            tx.insert_consent(&consent).await?;
            consents.push(consent);
        }
        // At intake the caller looked every identifier up just before and found nobody (it
        // creates a customer only then), so no customer this transaction can see shares one:
        // the check would find nothing, and skipping it lets the new rows go to the store
        // with the ticket's (one statement on PostgreSQL; `store-sql/src/shared/rows.rs`).
        let duplicates: Vec<Uuid> = if action == AuditAction::CustomerCreateAtIntake {
            Vec::new()
        } else {
            tx.find_duplicates(id)
                .await?
                .into_iter()
                .map(|d| d.customer_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        self.audit(
            tx,
            principal,
            action,
            "customer",
            Some(id.to_string()),
            json!({
                "identifiers": kind_counts(identifiers.iter().map(|i| i.kind.as_str())),
                "sealed_fields": sealed,
                "consents": consents.iter().map(|c| json!({"purpose": c.purpose, "granted": c.granted})).collect::<Vec<_>>(),
                "source_channel": customer.source_channel,
                "possible_duplicates": duplicates.len(),
            }),
        )
        .await?;
        Ok(CreatedCustomer {
            detail: CustomerDetail {
                customer,
                identifiers,
                consents,
            },
            duplicates,
        })
    }

    /// Creates a customer (needs `edit_customers`). Records that share a phone, email, WeChat
    /// id or document number are reported as possible duplicates, not refused: families
    /// share phones.
    pub async fn create_customer(
        &self,
        principal: &Principal,
        input: NewCustomer,
    ) -> Result<CreatedCustomer, AppError> {
        principal.require(Permission::EditCustomers)?;
        self.vault()?;
        let prepared = self
            .prepare_customer(&input)
            .map_err(AppError::Validation)?;
        let mut tx = self.store.write().await?;
        let created = self
            .insert_prepared(&mut *tx, principal, prepared, AuditAction::CustomerCreate)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub(crate) async fn load_detail(tx: &mut dyn Tx, id: Uuid) -> Result<CustomerDetail, AppError> {
        let customer = tx
            .get_customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let identifiers = tx.list_identifiers(id).await?;
        let consents = tx.list_consents(id).await?;
        Ok(CustomerDetail {
            customer,
            identifiers,
            consents,
        })
    }

    /// One customer, masked (needs `view_customers`).
    pub async fn get_customer(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<CustomerDetail, AppError> {
        principal.require(Permission::ViewCustomers)?;
        let mut tx = self.store.read().await?;
        Self::load_detail(&mut *tx, id).await
    }
}
