//! Personal data, declared per capability (PIPL). Every capability that stores personal data
//! implements [`PersonalData`]: its name, the fields it holds personal data in (table,
//! column, kind: [`TextColumn`]), and, inside the caller's transaction, its section of the
//! customer's copy ([`PersonalData::export`]) and the erasure of the customer's data
//! ([`PersonalData::erase`]). The application holds the registered capabilities
//! ([`PersonalDataRegistry`]); the PIPL copy ([`App::export_customer_data`]) and erasure
//! (`App::erase_customer`, in [`crate::erasure`]) fan out to every one of them and name
//! none, so a new capability plugs in by registering ([`App::with_personal_data`]).
//!
//! A capability whose rows carry the customer's id declares those fields with
//! [`TextColumn::customer_of`] and needs no code: the default methods export those rows and
//! replace their text. Capabilities whose data needs more (the vault's sealed values, the
//! outbox's unsent messages) override them: see the built-in ones in this module's children.

mod bookings;
mod chat;
mod customers;
mod desk;
mod email_in;
mod notify;
mod phone;
mod sms;
mod surveys;
mod wechat;

use crate::{App, AppError, Principal};
use async_trait::async_trait;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::erasure::{Needles, ERASED};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{TextColumn, Tx};
use uuid::Uuid;

/// How many rows (or records) an erasure changed, by what they are (for the audit entry).
pub type Counts = BTreeMap<String, u64>;

/// The customer being erased, and what the capabilities found of them
/// ([`PersonalData::gather`]) before any of them erases.
#[derive(Clone)]
pub struct Subject {
    pub customer: Uuid,
    /// Who erases (`None` for the console).
    pub by: Option<Uuid>,
    pub now: jiff::Timestamp,
    /// The customer's identifying values: searched in every text.
    pub identity: Needles,
    /// Those and the customer's own words: searched in texts about the customer's tickets.
    pub words: Needles,
    /// The customer's tickets.
    pub tickets: Vec<Uuid>,
    /// The customer's email addresses, lower-case (messages to them are the customer's).
    pub emails: Vec<String>,
    /// The blind indexes of the customer's phones (SMS replies from them are the customer's).
    pub phone_indexes: Vec<String>,
}

impl Subject {
    fn new(customer: Uuid, principal: &Principal, now: jiff::Timestamp) -> Self {
        Self {
            customer,
            by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            now,
            identity: Needles::new(),
            words: Needles::new(),
            tickets: Vec::new(),
            emails: Vec::new(),
            phone_indexes: Vec::new(),
        }
    }

    /// A value that identifies the customer (a name, a WeChat id, an email).
    pub fn add_identifying_text(&mut self, value: &str) {
        self.identity.add_text(value);
        self.words.add_text(value);
    }

    pub fn add_phone(&mut self, e164: &str) {
        self.identity.add_phone(e164);
        self.words.add_phone(e164);
    }

    pub fn add_id_number(&mut self, number: &str) {
        self.identity.add_id_number(number);
        self.words.add_id_number(number);
    }

    /// The customer's own words (a subject they wrote, a survey answer): searched only in
    /// texts about their tickets.
    pub fn add_own_words(&mut self, text: &str) {
        self.words.add_text(text);
    }
}

/// A capability that stores personal data.
#[async_trait]
pub trait PersonalData: Send + Sync + 'static {
    /// The capability's name: the key of its section in the copy and of its counts.
    fn name(&self) -> &'static str;

    /// Every field it holds personal data in. The searchable ones ([`TextColumn::searched`])
    /// are scanned by every erasure for the customer's values.
    fn fields(&self) -> &'static [TextColumn];

    /// Adds what this capability knows of the customer to `subject` (their values, words,
    /// tickets, addresses), before any capability erases. Runs twice per erasure: in a read
    /// snapshot to find the rows, then in the write transaction.
    async fn gather(
        &self,
        _app: &App,
        _tx: &mut dyn Tx,
        _subject: &mut Subject,
    ) -> Result<(), AppError> {
        Ok(())
    }

    /// This capability's section of the customer's copy (`None`: nothing held). Default: the
    /// customer's rows of the fields declared with [`TextColumn::customer_of`], per table
    /// and row key.
    async fn export(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        customer: Uuid,
    ) -> Result<Option<Value>, AppError> {
        let mut tables: BTreeMap<&str, BTreeMap<String, Map<String, Value>>> = BTreeMap::new();
        for field in self.fields().iter().filter(|f| f.customer_of.is_some()) {
            for (key, text) in tx.customer_rows(field, customer).await? {
                tables
                    .entry(field.table)
                    .or_default()
                    .entry(key)
                    .or_default()
                    .insert(field.column.into(), json!(text));
            }
        }
        if tables.is_empty() {
            return Ok(None);
        }
        let mut section = Map::new();
        for (table, rows) in tables {
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|(key, mut row)| {
                    row.insert("key".into(), json!(key));
                    Value::Object(row)
                })
                .collect();
            section.insert(table.into(), Value::Array(rows));
        }
        Ok(Some(Value::Object(section)))
    }

    /// Erases the customer's data this capability holds, in the caller's transaction.
    /// Default: the text of the customer's rows of the fields declared with
    /// [`TextColumn::customer_of`] replaced by the erased placeholder. Free text elsewhere
    /// that mentions the customer is rewritten afterwards by the erasure itself (the
    /// searchable fields).
    async fn erase(
        &self,
        _app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
    ) -> Result<Counts, AppError> {
        let mut counts = Counts::new();
        for field in self.fields().iter().filter(|f| f.customer_of.is_some()) {
            let n = tx
                .erase_customer_rows(field, subject.customer, ERASED)
                .await?;
            *counts.entry(field.table.to_string()).or_default() += n;
        }
        Ok(counts)
    }

    /// Runs once every capability has erased and erasure has rewritten the searched texts
    /// holding the customer's values (`rewritten`: column and row key), in the same
    /// transaction: for what is made from other capabilities' texts (the search index).
    async fn after_rewrite(
        &self,
        _app: &App,
        _tx: &mut dyn Tx,
        _subject: &Subject,
        _rewritten: &Rewritten,
    ) -> Result<Counts, AppError> {
        Ok(Counts::new())
    }
}

/// What erasure rewrote after the capabilities erased: each searched column's rewritten rows
/// by key (see [`PersonalData::after_rewrite`]).
pub type Rewritten = [(TextColumn, String)];

/// The capabilities registered with an application, in registration order (the order they
/// gather, export and erase in).
#[derive(Clone)]
pub struct PersonalDataRegistry {
    capabilities: Vec<Arc<dyn PersonalData>>,
}

impl PersonalDataRegistry {
    /// Today's capabilities: customers, the feedback classifier's learned counts, desk,
    /// surveys, notifications, idempotency keys, bookings, the search index, SMS replies,
    /// phone calls, web chats, email threads, WeChat.
    pub fn built_in() -> Self {
        let mut r = Self {
            capabilities: Vec::new(),
        };
        r.register(Arc::new(customers::Customers));
        // Before the texts it learned from are erased (surveys) or rewritten.
        r.register(Arc::new(crate::feedback::FeedbackModel));
        r.register(Arc::new(desk::Desk));
        r.register(Arc::new(surveys::Surveys));
        r.register(Arc::new(notify::Notifications));
        r.register(Arc::new(crate::idempotency::IdempotencyKeys));
        r.register(Arc::new(bookings::Bookings));
        r.register(Arc::new(crate::search::SearchIndex));
        r.register(Arc::new(sms::SmsReplies));
        r.register(Arc::new(phone::Calls));
        r.register(Arc::new(chat::Chats));
        r.register(Arc::new(email_in::EmailMessages));
        r.register(Arc::new(wechat::Wechat));
        r
    }

    /// Adds a capability. A name registered twice is a wiring bug: the later one replaces
    /// the earlier.
    pub fn register(&mut self, capability: Arc<dyn PersonalData>) {
        self.capabilities.retain(|c| c.name() != capability.name());
        self.capabilities.push(capability);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn PersonalData>> {
        self.capabilities.iter()
    }

    /// The text columns erasure searches: the union of the declarations.
    pub fn erasable_texts(&self) -> Vec<TextColumn> {
        let mut out: Vec<TextColumn> = Vec::new();
        for c in &self.capabilities {
            for f in c.fields().iter().filter(|f| f.searched()) {
                if !out.contains(f) {
                    out.push(*f);
                }
            }
        }
        out
    }

    /// Every table holding declared personal data (vacuumed after an erasure).
    pub fn tables(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for c in &self.capabilities {
            for f in c.fields() {
                if !out.contains(&f.table) {
                    out.push(f.table);
                }
            }
        }
        out
    }
}

impl App {
    /// The same application with one more capability holding personal data (a capability
    /// registers itself where the application is built).
    pub fn with_personal_data(mut self, capability: Arc<dyn PersonalData>) -> Self {
        let mut registry = (*self.personal_data).clone();
        registry.register(capability);
        self.personal_data = Arc::new(registry);
        self
    }

    /// The registered capabilities holding personal data.
    pub fn personal_data(&self) -> &PersonalDataRegistry {
        &self.personal_data
    }

    /// What every registered capability knows of the customer.
    pub(crate) async fn gather_subject(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        customer: Uuid,
    ) -> Result<Subject, AppError> {
        let mut subject = Subject::new(customer, principal, self.now());
        for c in self.personal_data.iter() {
            c.gather(self, tx, &mut subject).await?;
        }
        Ok(subject)
    }

    /// PIPL right to a copy (needs `reveal_sensitive`): everything held about one customer,
    /// decrypted, as JSON — one section per registered capability that holds some, under
    /// `sections`. Audited.
    pub async fn export_customer_data(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Value, AppError> {
        principal.require(Permission::RevealSensitive)?;
        let mut tx = self.store.write().await?;
        if tx.get_customer(id).await?.is_none() {
            return Err(AppError::NotFound("customer"));
        }
        let mut sections = Map::new();
        for c in self.personal_data.iter() {
            if let Some(section) = c.export(self, &mut *tx, id).await? {
                sections.insert(c.name().into(), section);
            }
        }
        let names: Vec<String> = sections.keys().cloned().collect();
        let export = json!({
            "format": "tripdesk-customer-export/v2",
            "exported_at": self.now(),
            "customer_id": id,
            "sections": sections,
        });
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerExport,
            "customer",
            Some(id.to_string()),
            json!({ "format": "json", "sections": names }),
        )
        .await?;
        tx.commit().await?;
        Ok(export)
    }
}
