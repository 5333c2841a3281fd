//! Records and repository of payment gateways: the shared secret each gateway signs its
//! payment notifications with (stored as the outgoing webhooks' secrets are, shown once when
//! made), and the notifications received — one row per (gateway, notification id), so a
//! notification delivered twice records one payment, on any number of nodes.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// A payment gateway allowed to post payment notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentGateway {
    /// The name in the notification URL (`/api/v1/payment-notifications/{provider}`).
    pub provider: String,
    /// The HMAC key. Shown once when made; never logged.
    pub secret: String,
    pub description: String,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

/// A notification received from a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentNotification {
    pub provider: String,
    /// The gateway's id of the notification: unique per gateway.
    pub notification_id: String,
    /// SHA-256 (hex) of the body received: a replay must carry the same body.
    pub body_sha256: String,
    pub booking_id: Uuid,
    /// The payment it recorded: set by [`GatewayRepo::attach_notification_payment`] in the
    /// transaction that claimed it, so a committed notification always has one.
    pub payment_id: Option<Uuid>,
    pub received_at: Timestamp,
}

#[async_trait]
pub trait GatewayRepo: Send {
    /// Refuses a second gateway of the same provider name (`Duplicate`).
    async fn insert_payment_gateway(&mut self, gateway: &PaymentGateway) -> Result<(), StoreError>;
    async fn get_payment_gateway(
        &mut self,
        provider: &str,
    ) -> Result<Option<PaymentGateway>, StoreError>;
    /// By provider name.
    async fn list_payment_gateways(&mut self) -> Result<Vec<PaymentGateway>, StoreError>;
    /// False when there is no such gateway. Its notifications stay (they record payments).
    async fn delete_payment_gateway(&mut self, provider: &str) -> Result<bool, StoreError>;

    /// Claims a notification, as the first write of the transaction that records its payment:
    /// true when this transaction claimed it, false when (provider, notification id) was
    /// claimed before — on PostgreSQL a concurrent first claim is waited for, then this
    /// inserts nothing (SQLite's single writer already waited).
    async fn claim_payment_notification(
        &mut self,
        notification: &PaymentNotification,
    ) -> Result<bool, StoreError>;
    /// Names the payment a claimed notification recorded.
    async fn attach_notification_payment(
        &mut self,
        provider: &str,
        notification_id: &str,
        payment_id: Uuid,
    ) -> Result<bool, StoreError>;
    async fn get_payment_notification(
        &mut self,
        provider: &str,
        notification_id: &str,
    ) -> Result<Option<PaymentNotification>, StoreError>;
}
