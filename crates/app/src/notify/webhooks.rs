//! Webhook endpoints: validation, listing and changes (each audited without the secret).

use super::*;

/// A webhook endpoint as submitted.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Prefix of webhook signing secrets.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// What the audit log records of a webhook endpoint: where it points (scheme and host: a
/// path or query may carry a token, so only a fingerprint of the whole address), what it
/// subscribes to and whether it is on. Never its signing secret.
fn webhook_settings(e: &WebhookEndpoint) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let rest = e.url.split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let scheme = e.url.split_once("://").map_or("", |(s, _)| s);
    let digest = Sha256::digest(e.url.as_bytes());
    let fingerprint: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "origin": format!("{scheme}://{host}"),
        "url_fingerprint": fingerprint,
        "events": e.events,
        "active": e.active,
        "description": e.description,
    })
}

impl App {
    pub(super) fn check_webhook(input: &WebhookInput) -> Result<(), AppError> {
        let mut fields = Vec::new();
        let url = input.url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() > 2000 || url.contains(char::is_whitespace) || url.len() < 10 {
            fields.push(FieldError::new(
                "url",
                "invalid",
                "url must be an http:// or https:// address",
            ));
        }
        if input.events.is_empty() {
            fields.push(FieldError::new(
                "events",
                "required",
                "name at least one event, or *",
            ));
        }
        if let Some(e) = input
            .events
            .iter()
            .find(|e| !tripdesk_domain::notify::events::is_subscribable(e))
        {
            let shown: String = e.chars().take(80).collect();
            fields.push(FieldError::new(
                "events",
                "unknown",
                format!(
                    "unknown event {shown:?}; events are {}, or *",
                    tripdesk_domain::notify::events::ALL.join(", ")
                ),
            ));
        }
        check_optional_text(
            &mut fields,
            "description",
            Some(&input.description),
            200,
            crate::Lines::One,
        );
        fail_if_any(fields)
    }

    pub async fn list_webhooks(
        &self,
        principal: &Principal,
    ) -> Result<Vec<WebhookEndpoint>, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_webhooks().await?)
    }

    pub async fn get_webhook(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<WebhookEndpoint, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.read().await?;
        tx.get_webhook(id)
            .await?
            .ok_or(AppError::NotFound("webhook"))
    }

    /// Creates an endpoint with a new signing secret (returned here, shown once).
    pub async fn create_webhook(
        &self,
        principal: &Principal,
        input: WebhookInput,
    ) -> Result<WebhookEndpoint, AppError> {
        principal.require(Permission::ManageNotifications)?;
        Self::check_webhook(&input)?;
        let now = self.now();
        let mut events = input.events;
        events.sort();
        events.dedup();
        let endpoint = WebhookEndpoint {
            id: Uuid::now_v7(),
            url: input.url.trim().to_string(),
            secret: secrets::new_token(WEBHOOK_SECRET_PREFIX),
            events,
            description: input.description.trim().to_string(),
            active: input.active,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_webhook(&endpoint).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::WebhookCreate,
            "webhook",
            Some(endpoint.id.to_string()),
            webhook_settings(&endpoint),
        )
        .await?;
        tx.commit().await?;
        self.config.webhooks.invalidate();
        Ok(endpoint)
    }

    pub async fn update_webhook(
        &self,
        principal: &Principal,
        id: Uuid,
        input: WebhookInput,
    ) -> Result<WebhookEndpoint, AppError> {
        principal.require(Permission::ManageNotifications)?;
        Self::check_webhook(&input)?;
        let mut tx = self.store.write().await?;
        let mut endpoint = tx
            .get_webhook(id)
            .await?
            .ok_or(AppError::NotFound("webhook"))?;
        let before = webhook_settings(&endpoint);
        let mut events = input.events;
        events.sort();
        events.dedup();
        endpoint.url = input.url.trim().to_string();
        endpoint.events = events;
        endpoint.description = input.description.trim().to_string();
        endpoint.active = input.active;
        endpoint.updated_at = self.now();
        tx.update_webhook(&endpoint).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::WebhookUpdate,
            "webhook",
            Some(endpoint.id.to_string()),
            serde_json::json!({
                "changed": crate::audit::changes(&before, &webhook_settings(&endpoint)),
            }),
        )
        .await?;
        tx.commit().await?;
        self.config.webhooks.invalidate();
        Ok(endpoint)
    }

    pub async fn delete_webhook(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        let endpoint = tx
            .get_webhook(id)
            .await?
            .ok_or(AppError::NotFound("webhook"))?;
        if !tx.delete_webhook(id).await? {
            return Err(AppError::NotFound("webhook"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::WebhookDelete,
            "webhook",
            Some(id.to_string()),
            webhook_settings(&endpoint),
        )
        .await?;
        tx.commit().await?;
        self.config.webhooks.invalidate();
        Ok(())
    }
}
