//! Records and repository of the customer capability. The store never sees a sensitive value
//! in plaintext: phones, emails, ID numbers, the birth date and special needs arrive sealed
//! by the vault (`v1.<key id>.<…>` text), with a keyed blind index beside each identifier for
//! look-up and duplicate detection, and a masked form for lists.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// One customer record (客户档案).
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: Uuid,
    /// Name as the customer gives it. Searchable by substring, so not sealed; erased on request.
    pub name: String,
    /// Sealed `YYYY-MM-DD`.
    pub birth_date_sealed: Option<String>,
    /// Sealed special needs: diet, allergies (health data), accessibility.
    pub diet_sealed: Option<String>,
    pub allergies_sealed: Option<String>,
    pub accessibility_sealed: Option<String>,
    /// `zh-CN`, `en`, … (free BCP 47 tag).
    pub preferred_language: Option<String>,
    /// `phone`, `sms`, `email`, `wechat`.
    pub preferred_channel: Option<String>,
    /// Where the customer came from: `phone`, `web`, `walk_in`, `ota`, `referral`, `import`, …
    pub source_channel: Option<String>,
    /// Short labels without commas (`VIP`, `回头客`).
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set when personal data was erased on request (PIPL); the record stays for statistics.
    pub erased_at: Option<Timestamp>,
    /// Set when the record was merged into another one.
    pub merged_into: Option<Uuid>,
}

/// A phone, email, WeChat id or identity document of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerIdentifier {
    /// Also the record id the value is sealed for, so it stays readable when a merge moves
    /// it to another customer.
    pub id: Uuid,
    pub customer_id: Uuid,
    /// `phone`, `email`, `wechat`, `resident_id`, `passport`, `hk_macao_permit`, `taiwan_permit`.
    pub kind: String,
    /// 64 hex characters of the vault's keyed HMAC of the canonical value.
    pub blind_index: String,
    pub sealed: String,
    /// What an agent without the reveal permission sees, e.g. `138****8000`.
    pub masked: String,
    pub is_primary: bool,
    pub created_at: Timestamp,
}

/// A consent given or withdrawn (营销授权 …), kept as history: the latest per purpose counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// `marketing`, …
    pub purpose: String,
    pub granted: bool,
    /// How it was given: `web_form`, `phone`, `paper`, `wechat`, `email`, `import`.
    pub channel: String,
    /// Version of the consent text the customer saw, e.g. `marketing-2026-01`.
    pub text_version: String,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<Uuid>,
}

/// Filters for listing customers (newest first).
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    pub tag: Option<String>,
    /// Only these customers (the result of a blind-index look-up).
    pub ids: Option<Vec<Uuid>>,
    /// Include erased and merged records.
    pub include_inactive: bool,
    pub limit: u32,
    pub offset: u32,
}

/// Another customer sharing an identifier with the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DuplicateMatch {
    pub customer_id: Uuid,
    /// The identifier kind they share.
    pub kind: String,
}

#[async_trait]
pub trait CustomerRepo: Send {
    async fn insert_customer(&mut self, customer: &Customer) -> Result<(), StoreError>;
    /// Updates every field but id, created_at and created_by. False when absent.
    async fn update_customer(&mut self, customer: &Customer) -> Result<bool, StoreError>;
    async fn get_customer(&mut self, id: Uuid) -> Result<Option<Customer>, StoreError>;
    async fn list_customers(
        &mut self,
        filter: &CustomerFilter,
    ) -> Result<Vec<Customer>, StoreError>;
    async fn count_customers(&mut self, filter: &CustomerFilter) -> Result<u64, StoreError>;

    /// Refuses a second identical value (same kind and blind index) on one customer.
    async fn insert_identifier(
        &mut self,
        identifier: &CustomerIdentifier,
    ) -> Result<(), StoreError>;
    /// Updates owner, sealed value, masked form and primary flag. False when absent.
    async fn update_identifier(
        &mut self,
        identifier: &CustomerIdentifier,
    ) -> Result<bool, StoreError>;
    async fn delete_identifier(&mut self, id: Uuid) -> Result<bool, StoreError>;
    /// A customer's identifiers: primary first, then by kind and creation.
    async fn list_identifiers(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Vec<CustomerIdentifier>, StoreError>;
    /// Identifiers of several customers at once (for lists and exports).
    async fn list_identifiers_of(
        &mut self,
        customer_ids: &[Uuid],
    ) -> Result<Vec<CustomerIdentifier>, StoreError>;
    /// Active (not erased, not merged) customers holding an identifier with this blind index.
    async fn find_customers_by_identifier(
        &mut self,
        kind: &str,
        blind_index: &str,
    ) -> Result<Vec<Uuid>, StoreError>;
    /// Active customers sharing at least one identifier with `customer_id`, one row per
    /// (customer, kind), sorted.
    async fn find_duplicates(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Vec<DuplicateMatch>, StoreError>;

    async fn insert_consent(&mut self, consent: &Consent) -> Result<(), StoreError>;
    /// History, oldest first.
    async fn list_consents(&mut self, customer_id: Uuid) -> Result<Vec<Consent>, StoreError>;
    /// Moves every consent of `from` to `to` (merging records).
    async fn move_consents(&mut self, from: Uuid, to: Uuid) -> Result<u64, StoreError>;

    /// Up to `limit` identifiers whose sealed value does not start with `sealed_prefix`
    /// (`v1.<active key id>.`): what a key rotation still has to re-encrypt.
    async fn identifiers_to_reseal(
        &mut self,
        sealed_prefix: &str,
        limit: u32,
    ) -> Result<Vec<CustomerIdentifier>, StoreError>;
    /// Up to `limit` customers with a sealed field not starting with `sealed_prefix`.
    async fn customers_to_reseal(
        &mut self,
        sealed_prefix: &str,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError>;
}
