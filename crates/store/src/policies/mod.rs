//! Records and repository of products' cancellation policies as dated data: each version of a
//! product's policy (a tour package; a lodging property, or one of its room types) takes
//! effect on its `effective_from` date and stays in force until a later version does.
//! Versions are only ever added, never edited: a booking keeps a copy of the version in force
//! when it was confirmed, and the history says what was promised when.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::Timestamp;
use tripdesk_domain::bookings::CancellationPolicy;
use uuid::Uuid;

/// Which product a policy version is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySubject {
    /// A tour package (every departure of it).
    Package(Uuid),
    /// A lodging property (each of its room types without a policy of its own).
    Property(Uuid),
    /// One room type of a property.
    RoomType(Uuid),
}

impl PolicySubject {
    /// `package`, `property` or `room_type`.
    pub fn kind(&self) -> &'static str {
        match self {
            PolicySubject::Package(_) => "package",
            PolicySubject::Property(_) => "property",
            PolicySubject::RoomType(_) => "room_type",
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            PolicySubject::Package(id)
            | PolicySubject::Property(id)
            | PolicySubject::RoomType(id) => *id,
        }
    }
}

/// One version of a product's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: Uuid,
    pub subject: PolicySubject,
    /// Name, effective date and terms (the copy a booking keeps).
    pub policy: CancellationPolicy,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait PolicyRepo: Send {
    /// Adds a version (the product must exist: a foreign key).
    async fn insert_policy_version(&mut self, version: &PolicyVersion) -> Result<(), StoreError>;

    /// The versions of `subjects`, latest effective date first (of one date, the one added
    /// last first); `limit` from `offset`.
    async fn list_policy_versions(
        &mut self,
        subjects: &[PolicySubject],
        limit: u32,
        offset: u64,
    ) -> Result<Vec<PolicyVersion>, StoreError>;

    /// The version of `subject` in force on `on`: the latest effective date not after `on`
    /// (of one date, the one added last); `None` before the first.
    async fn policy_in_force(
        &mut self,
        subject: PolicySubject,
        on: Date,
    ) -> Result<Option<PolicyVersion>, StoreError>;
}
