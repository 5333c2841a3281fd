//! Records and repository of the identity capability: organisation, business units,
//! departments, users and their roles, sessions, API tokens and login throttling.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;
use tripdesk_domain::identity::Role;
use uuid::Uuid;

/// The organisation running this tripdesk (one per deployment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    /// IANA zone in which times are shown, e.g. `Asia/Shanghai`.
    pub timezone: String,
    pub created_at: Timestamp,
}

/// A business of the organisation: a travel agency, a hotel or a homestay (民宿).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusinessUnit {
    pub id: Uuid,
    /// `agency`, `hotel` or `homestay`.
    pub kind: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// A department or group of staff (客服部, 回访小组, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Department {
    pub id: Uuid,
    /// Stable short code, unique, e.g. `customer_service`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub business_unit_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A staff account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// PHC string of the argon2id hash. Never serialised.
    pub password_hash: String,
    pub department_id: Option<Uuid>,
    pub roles: Vec<Role>,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub department_id: Option<Uuid>,
    pub role: Option<Role>,
    /// Case-insensitive substring of username or display name.
    pub query: Option<String>,
    pub include_disabled: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A signed-in browser or API client session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Uuid,
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A long-lived token for integrations; acts as the user it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// First characters of the token, shown so people can tell tokens apart.
    pub prefix: String,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// A fixed-window counter just counted (see `IdentityRepo::record_login_failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u32,
    pub window_start: Timestamp,
}

#[async_trait]
pub trait IdentityRepo: Send {
    async fn get_organization(&mut self) -> Result<Option<Organization>, StoreError>;
    async fn insert_organization(&mut self, org: &Organization) -> Result<(), StoreError>;
    async fn update_organization(&mut self, org: &Organization) -> Result<(), StoreError>;

    async fn insert_business_unit(&mut self, unit: &BusinessUnit) -> Result<(), StoreError>;
    async fn list_business_units(&mut self) -> Result<Vec<BusinessUnit>, StoreError>;

    async fn insert_department(&mut self, dept: &Department) -> Result<(), StoreError>;
    /// Returns false when no department has this id.
    async fn update_department(&mut self, dept: &Department) -> Result<bool, StoreError>;
    async fn get_department(&mut self, id: Uuid) -> Result<Option<Department>, StoreError>;
    async fn list_departments(&mut self) -> Result<Vec<Department>, StoreError>;
    /// Number of users per department id.
    async fn count_users_by_department(&mut self) -> Result<Vec<(Uuid, u64)>, StoreError>;

    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError>;
    /// Updates every field but the id and created_at, and replaces the roles. False when absent.
    async fn update_user(&mut self, user: &User) -> Result<bool, StoreError>;
    async fn get_user(&mut self, id: Uuid) -> Result<Option<User>, StoreError>;
    async fn get_user_by_username(&mut self, username: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&mut self, filter: &UserFilter) -> Result<Vec<User>, StoreError>;
    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64, StoreError>;

    async fn insert_session(&mut self, session: &Session) -> Result<(), StoreError>;
    async fn get_session_by_token_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError>;
    /// Moves the expiry of a live session (sliding expiry).
    async fn extend_session(&mut self, id: Uuid, expires_at: Timestamp) -> Result<(), StoreError>;
    async fn delete_session(&mut self, id: Uuid) -> Result<(), StoreError>;
    /// Signs a user out everywhere (password change, account disabled).
    async fn delete_sessions_of_user(&mut self, user_id: Uuid) -> Result<u64, StoreError>;
    async fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64, StoreError>;

    async fn insert_api_token(&mut self, token: &ApiToken) -> Result<(), StoreError>;
    async fn get_api_token_by_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError>;
    async fn list_api_tokens(&mut self, user_id: Option<Uuid>)
        -> Result<Vec<ApiToken>, StoreError>;
    /// Returns false when the token does not exist or was already revoked.
    async fn revoke_api_token(&mut self, id: Uuid, at: Timestamp) -> Result<bool, StoreError>;
    async fn touch_api_token(&mut self, id: Uuid, at: Timestamp) -> Result<(), StoreError>;

    /// Counts one attempt for `key` (a sign-in attempt, a public form submission) inside a
    /// fixed window starting at the first count, in one statement (so concurrent counts on
    /// several nodes all land); returns the count in the current window and when that window
    /// started. A window older than `window_ms` starts again at one.
    async fn record_login_failure(
        &mut self,
        key: &str,
        now: Timestamp,
        window_ms: i64,
    ) -> Result<WindowCount, StoreError>;
    /// Gives back one count of `key`'s window still open at `now` (a reserved sign-in attempt
    /// that succeeded); never below zero.
    async fn release_login_attempt(
        &mut self,
        key: &str,
        now: Timestamp,
        window_ms: i64,
    ) -> Result<(), StoreError>;
    /// Deletes counters whose window started before `before` (every window is shorter).
    async fn prune_login_throttle(&mut self, before: Timestamp) -> Result<u64, StoreError>;
    /// Failures for `key` in the window that is still open at `now` (0 when expired).
    async fn login_failures(
        &mut self,
        key: &str,
        now: Timestamp,
        window_ms: i64,
    ) -> Result<u32, StoreError>;
    async fn clear_login_failures(&mut self, key: &str) -> Result<(), StoreError>;
}
