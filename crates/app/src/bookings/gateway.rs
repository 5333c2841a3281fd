//! Payments recorded by a signed webhook (issue 14 item 5): a payment gateway (WeChat Pay,
//! Alipay, a card acquirer, a bank's transfer notice — through the integrator's adapter) posts
//! a notification naming the booking, the amount in fen, the method and its transaction id to
//! `/api/v1/payment-notifications/{provider}`, signed as tripdesk signs its own webhooks
//! (`tripdesk_vault::webhook`: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the
//! timestamp within 5 minutes).
//!
//! - **The secret** is made by tripdesk when an administrator adds the gateway, shown once,
//!   and kept as the outgoing webhooks' secrets are (the HMAC needs it).
//! - **Authenticated before anything is read**: [`App::verify_payment_notification`] checks
//!   the signature over the raw bytes and returns the only value
//!   ([`VerifiedNotification`]) [`App::record_gateway_payment`] accepts; a wrong, missing or
//!   stale signature is 401 and nothing is recorded.
//! - **Once, by the database**: the notification is claimed by the first statement of the
//!   transaction that records its payment (`payment_notifications`' primary key, provider and
//!   notification id). A replay — the gateway retrying, or two deliveries racing on two nodes
//!   — finds it claimed and answers what the first recorded (200 both times, one payment); the
//!   same id with another body is refused (422 `reused`).
//! - **The actor** of the audit entry is "payment gateway", with the provider in its summary;
//!   the principal holds no role, so it can do nothing but this one use case.

use super::steps::{check_payment, PaymentAudit};
use super::NewPayment;
use crate::auth::Credential;
use crate::notify::WEBHOOK_SECRET_PREFIX;
use crate::{secrets, App, AppError, FieldError, Principal};
use serde_json::json;
use sha2::{Digest, Sha256};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, PaymentGateway, PaymentMethod, PaymentNotification};

/// The header a notification's signature comes in.
pub use tripdesk_vault::webhook::SIGNATURE_HEADER;
use uuid::Uuid;

/// The audit log's actor name for what gateways record.
pub const GATEWAY_ACTOR: &str = "payment gateway";

/// A gateway as an administrator adds it.
#[derive(Debug, Clone)]
pub struct GatewayInput {
    /// The name in the notification URL: 1–32 of `a-z`, `0-9`, `_`, `-`, starting with a
    /// letter or digit (`wechat`, `alipay`, `unionpay-card`).
    pub provider: String,
    pub description: String,
}

/// Which booking a notification pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingRef {
    Id(Uuid),
    ConfirmationNo(String),
}

/// A payment notification's content (parsed only after its signature held).
#[derive(Debug, Clone)]
pub struct GatewayNotification {
    /// The gateway's id of this notification: a second delivery with it records nothing.
    pub notification_id: String,
    /// `booking_id` or `confirmation_no`: exactly one.
    pub booking_id: Option<Uuid>,
    pub confirmation_no: Option<String>,
    pub amount_fen: i64,
    /// `wechat_pay`, `alipay`, `card` or `bank_transfer` (cash never comes from a gateway).
    pub method: PaymentMethod,
    /// The gateway's transaction number, kept as the payment's reference.
    pub transaction_id: String,
}

/// A notification whose signature held: only [`App::verify_payment_notification`] makes one.
#[derive(Debug)]
pub struct VerifiedNotification {
    provider: String,
    body_sha256: String,
}

/// What a notification recorded (or, replayed, recorded the first time).
#[derive(Debug, Clone)]
pub struct GatewayReceipt {
    pub notification_id: String,
    pub booking: Booking,
    pub payment_id: Uuid,
    pub amount_fen: i64,
    /// The notification was recorded before: nothing was recorded now.
    pub replayed: bool,
}

fn check_provider(provider: &str) -> Result<(), FieldError> {
    let ok = (1..=32).contains(&provider.len())
        && provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && provider
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "provider",
            "invalid",
            "provider is 1–32 of a-z, 0-9, _ and -, starting with a letter or digit",
        ))
    }
}

impl App {
    /// The principal of a payment gateway's notification: a system principal (nil user id)
    /// holding no role and so no permission; [`App::record_gateway_payment`] is the only use
    /// case that acts as it. The audit log names it "payment gateway".
    pub fn payment_gateway_principal(provider: &str) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: GATEWAY_ACTOR.into(),
            display_name: "支付网关".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: Credential::PaymentGateway {
                provider: provider.into(),
            },
        }
    }

    /// Adds a gateway with a new signing secret, returned here and shown once (needs
    /// `manage_notifications`, as the outgoing webhooks do), audited without the secret.
    pub async fn create_payment_gateway(
        &self,
        principal: &Principal,
        input: GatewayInput,
    ) -> Result<PaymentGateway, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let provider = input.provider.trim().to_string();
        let mut fields = Vec::new();
        if let Err(e) = check_provider(&provider) {
            fields.push(e);
        }
        let description = crate::check_optional_text(
            &mut fields,
            "description",
            Some(&input.description),
            200,
            crate::Lines::One,
        )
        .unwrap_or_default();
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let gateway = PaymentGateway {
            provider,
            secret: secrets::new_token(WEBHOOK_SECRET_PREFIX),
            description,
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: self.now(),
        };
        let mut tx = self.store.write().await?;
        use crate::OnDuplicate;
        tx.insert_payment_gateway(&gateway).await.on_duplicate(
            "gateway_taken",
            Some("provider"),
            "a payment gateway with this name exists",
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::PaymentGatewayCreate,
            "payment_gateway",
            Some(gateway.provider.clone()),
            json!({ "provider": gateway.provider, "description": gateway.description }),
        )
        .await?;
        tx.commit().await?;
        Ok(gateway)
    }

    /// The gateways (their secrets are not shown again by the API or the pages).
    pub async fn list_payment_gateways(
        &self,
        principal: &Principal,
    ) -> Result<Vec<PaymentGateway>, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_payment_gateways().await?)
    }

    /// Removes a gateway: its notifications are refused from now on (401); what it recorded
    /// stays.
    pub async fn delete_payment_gateway(
        &self,
        principal: &Principal,
        provider: &str,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        if !tx.delete_payment_gateway(provider).await? {
            return Err(AppError::NotFound("payment gateway"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::PaymentGatewayDelete,
            "payment_gateway",
            Some(provider.to_string()),
            json!({ "provider": provider }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Authenticates a notification: `signature` is the `X-Tripdesk-Signature` header, `body`
    /// the bytes received. 401 for an unknown gateway, a missing, malformed or wrong
    /// signature, or a timestamp more than 5 minutes from now.
    pub async fn verify_payment_notification(
        &self,
        provider: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<VerifiedNotification, AppError> {
        let gateway = {
            let mut tx = self.store.read().await?;
            tx.get_payment_gateway(provider).await?
        };
        let Some(gateway) = gateway else {
            return Err(AppError::Unauthenticated(
                "no payment gateway is configured under this name",
            ));
        };
        crate::auth::check_webhook_signature(
            &gateway.secret,
            signature,
            body,
            self.now().as_second(),
        )?;
        Ok(VerifiedNotification {
            provider: gateway.provider,
            body_sha256: hex_sha256(body),
        })
    }

    /// Records the payment a verified notification reports, once (see the module's
    /// documentation). 422 naming the field (`amount_fen` not above 0, a `method` of cash, no
    /// booking named), 404 for an unknown booking, 409 `booking.closed` for a booking that
    /// takes no payment, `payment_recorded` for a transaction id recorded before under
    /// another notification.
    pub async fn record_gateway_payment(
        &self,
        verified: VerifiedNotification,
        n: GatewayNotification,
    ) -> Result<GatewayReceipt, AppError> {
        let principal = Self::payment_gateway_principal(&verified.provider);
        let mut fields = Vec::new();
        let notification_id = crate::check_text(
            &mut fields,
            "notification_id",
            &n.notification_id,
            128,
            crate::Lines::One,
        );
        let transaction_id = crate::check_text(
            &mut fields,
            "transaction_id",
            &n.transaction_id,
            64,
            crate::Lines::One,
        );
        if n.method == PaymentMethod::Cash {
            fields.push(FieldError::new(
                "method",
                "not_gateway",
                "a gateway reports wechat_pay, alipay, card or bank_transfer",
            ));
        }
        let booking_ref = match (n.booking_id, n.confirmation_no.as_deref().map(str::trim)) {
            (Some(id), None) => Some(BookingRef::Id(id)),
            (None, Some(no)) if !no.is_empty() => Some(BookingRef::ConfirmationNo(no.into())),
            (Some(_), Some(_)) => {
                fields.push(FieldError::new(
                    "confirmation_no",
                    "one_of",
                    "name the booking by booking_id or by confirmation_no, not both",
                ));
                None
            }
            (None, _) => {
                fields.push(FieldError::new(
                    "booking_id",
                    "required",
                    "name the booking by booking_id or confirmation_no",
                ));
                None
            }
        };
        let payment = NewPayment {
            method: n.method,
            amount_fen: n.amount_fen,
            reference: Some(transaction_id.clone()),
        };
        // The amount (the transaction id was checked above).
        let amount_only = NewPayment {
            reference: None,
            ..payment.clone()
        };
        if let Err(AppError::Validation(more)) = check_payment(&amount_only, "transaction_id") {
            fields.extend(more);
        }
        let (true, Some(booking_ref)) = (fields.is_empty(), booking_ref) else {
            return Err(AppError::Validation(fields));
        };
        let mut tx = self.store.write().await?;
        let booking = match &booking_ref {
            BookingRef::Id(id) => tx.get_booking(*id).await?,
            BookingRef::ConfirmationNo(no) => tx.get_booking_by_confirmation(no).await?,
        }
        .ok_or(AppError::NotFound("booking"))?;
        let claim = PaymentNotification {
            provider: verified.provider.clone(),
            notification_id: notification_id.clone(),
            body_sha256: verified.body_sha256.clone(),
            booking_id: booking.id,
            payment_id: None,
            received_at: self.now(),
        };
        if !tx.claim_payment_notification(&claim).await? {
            // Recorded before (and committed: a concurrent first was waited for).
            let first = tx
                .get_payment_notification(&verified.provider, &notification_id)
                .await?
                .ok_or_else(|| AppError::Internal("a claimed notification vanished".into()))?;
            // Under SQLite's group commit the first may share this batch, not yet committed:
            // committing (nothing) waits for it, so the reads below see its payment.
            tx.commit().await?;
            return self.replayed(first, &verified).await;
        }
        let (booking, payment) = self
            .record_payment_in(
                &mut *tx,
                &principal,
                booking,
                payment,
                Some(transaction_id),
                PaymentAudit {
                    reference_field: "transaction_id",
                    extra: json!({
                        "provider": verified.provider,
                        "notification_id": notification_id,
                    }),
                },
            )
            .await?;
        tx.attach_notification_payment(&verified.provider, &notification_id, payment.id)
            .await?;
        tx.commit().await?;
        Ok(GatewayReceipt {
            notification_id,
            booking,
            payment_id: payment.id,
            amount_fen: payment.amount_fen,
            replayed: false,
        })
    }

    /// The answer to a notification recorded before: what the first recorded, with the
    /// booking as it is now; the same id with another body is refused.
    async fn replayed(
        &self,
        first: PaymentNotification,
        verified: &VerifiedNotification,
    ) -> Result<GatewayReceipt, AppError> {
        if first.body_sha256 != verified.body_sha256 {
            return Err(AppError::field(
                "notification_id",
                "reused",
                "this notification id was recorded with another body",
            ));
        }
        let payment_id = first
            .payment_id
            .ok_or_else(|| AppError::Internal("a notification without its payment".into()))?;
        let mut tx = self.store.read().await?;
        let booking = tx
            .get_booking(first.booking_id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        let amount_fen = tx
            .list_payments(booking.id)
            .await?
            .into_iter()
            .find(|p| p.id == payment_id)
            .map(|p| p.amount_fen)
            .ok_or_else(|| AppError::Internal("a notification's payment vanished".into()))?;
        Ok(GatewayReceipt {
            notification_id: first.notification_id,
            booking,
            payment_id,
            amount_fen,
            replayed: true,
        })
    }
}

fn hex_sha256(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_are_url_safe() {
        for ok in ["wechat", "alipay", "unionpay-card", "bank_01", "1pay"] {
            assert!(check_provider(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "WeChat",
            "-wechat",
            "we chat",
            "微信",
            &"x".repeat(33),
            "a/b",
        ] {
            assert!(check_provider(bad).is_err(), "{bad}");
        }
    }
}
