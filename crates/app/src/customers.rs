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
        let duplicates: Vec<Uuid> = tx
            .find_duplicates(id)
            .await?
            .into_iter()
            .map(|d| d.customer_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
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

    /// Finds customers by phone, email, WeChat id or document number (blind index), by name
    /// substring or tag (needs `view_customers`).
    pub async fn search_customers(
        &self,
        principal: &Principal,
        q: &CustomerSearch,
    ) -> Result<CustomerPage, AppError> {
        principal.require(Permission::ViewCustomers)?;
        let today = self.today();
        let mut fields = Vec::new();
        let phones: Vec<Labeled> = trimmed(&q.phone)
            .map(|v| Labeled::new("phone", v))
            .into_iter()
            .collect();
        let emails: Vec<Labeled> = trimmed(&q.email)
            .map(|v| Labeled::new("email", v))
            .into_iter()
            .collect();
        let wechat = trimmed(&q.wechat).map(|v| Labeled::new("wechat", v));
        let mut documents = Vec::new();
        if let Some(v) = trimmed(&q.resident_id) {
            documents.push(DocumentInput {
                field: "resident_id".into(),
                kind: "resident_id".into(),
                number: v,
            });
        }
        match (trimmed(&q.document_kind), trimmed(&q.document_number)) {
            (Some(kind), Some(number)) => documents.push(DocumentInput {
                field: "document_number".into(),
                kind,
                number,
            }),
            (None, Some(_)) => fields.push(FieldError::new(
                "document_kind",
                "required",
                "document_kind is needed with document_number",
            )),
            _ => {}
        }
        let wanted = check_identifiers(
            &phones,
            &emails,
            wechat.as_ref(),
            &documents,
            today,
            &mut fields,
        );
        fail_if_any(fields)?;
        let mut ids: Option<BTreeSet<Uuid>> = None;
        let mut tx = self.store.read().await?;
        if !wanted.is_empty() {
            let vault = self.vault()?;
            for w in &wanted {
                let found: BTreeSet<Uuid> = tx
                    .find_customers_by_identifier(w.kind, &vault.blind_index(w.kind, &w.lookup))
                    .await?
                    .into_iter()
                    .collect();
                ids = Some(match ids {
                    None => found,
                    Some(prev) => prev.intersection(&found).copied().collect(),
                });
            }
        }
        let filter = CustomerFilter {
            name: trimmed(&q.name),
            tag: trimmed(&q.tag),
            ids: ids.map(|s| s.into_iter().collect()),
            include_inactive: q.include_inactive,
            limit: q.limit.clamp(1, 500),
            offset: q.offset,
        };
        let customers = tx.list_customers(&filter).await?;
        let total = tx.count_customers(&filter).await?;
        let items = Self::with_identifiers(&mut *tx, customers).await?;
        Ok(CustomerPage { items, total })
    }

    async fn with_identifiers(
        tx: &mut dyn Tx,
        customers: Vec<Customer>,
    ) -> Result<Vec<CustomerListItem>, AppError> {
        let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
        let mut idents = tx.list_identifiers_of(&ids).await?;
        Ok(customers
            .into_iter()
            .map(|customer| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    idents.drain(..).partition(|i| i.customer_id == customer.id);
                idents = rest;
                CustomerListItem {
                    customer,
                    identifiers: mine,
                }
            })
            .collect())
    }

    fn editable(customer: &Customer) -> Result<(), AppError> {
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
