//! Notifications: the one delivery path every module uses.
//!
//! Modules enqueue inside their own transaction with [`App::enqueue_notifications`] (rendered
//! from a template, channel and language from the recipient's preferences, held back during
//! quiet hours unless it is an emergency) or [`App::publish_event`] (a signed webhook POST to
//! every endpoint that subscribed). Committing that transaction wakes this node's delivery
//! workers (`tripdesk-delivery`). Staff send one-off messages with [`App::send_message`]; admins
//! read the delivery history, requeue dead messages and edit templates, webhooks and rate
//! limits here too.

mod bell;
mod defaults;
mod preferences;
mod templates;
mod webhooks;

pub use defaults::*;
pub use webhooks::{WebhookInput, WEBHOOK_SECRET_PREFIX};

use crate::{check_optional_text, secrets, App, AppError, FieldError, OnDuplicate, Principal};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::Email;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::template::{self, Escape};
use tripdesk_domain::notify::{self as rules, QuietHours, CHANNELS, LOCALES};
use tripdesk_store::{
    Attachment, DeliveryAttempt, InAppNotification, MessageFilter, MessageState, NewMessage,
    OutboxMessage, Preference, RateLimit, StateCounts, Template, Tx, WebhookEndpoint,
};
use uuid::Uuid;

/// Delivery settings (from the binary's configuration).
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Attempts before a message is dead.
    pub max_attempts: i64,
    /// First retry delay; doubled for each further attempt.
    pub retry_base: SignedDuration,
    /// Longest retry delay.
    pub retry_cap: SignedDuration,
    /// Whether email goes out (SMTP is configured). Staff alerts always reach the bell;
    /// without email they are not also queued as mail that would never leave.
    pub email: bool,
    /// Whether SMS goes out (`sms_base_url` is configured): without it an SMS is refused
    /// when enqueued ([`App::sms_message`], one-off messages), not left queued.
    pub sms: bool,
    /// The secret the SMS provider signs its receipts and replies with (`sms_webhook_secret`);
    /// without it they are refused (401).
    pub sms_webhook_secret: Option<tripdesk_vault::Secret<String>>,
    /// Whether WeChat customer-service messages go out (`wechat_app_secret` is configured):
    /// without it a reply on a WeChat ticket goes by the customer's other channels.
    pub wechat: bool,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base: SignedDuration::from_secs(30),
            retry_cap: SignedDuration::from_hours(1),
            email: true,
            sms: false,
            sms_webhook_secret: None,
            wechat: false,
        }
    }
}

impl NotifySettings {
    /// When to try again after attempt `attempt` failed.
    pub fn retry_at(&self, attempt: i64, now: Timestamp) -> Timestamp {
        now + rules::retry_delay(attempt, self.retry_base, self.retry_cap)
    }
}

/// Who a templated notification is for, and how they can be reached.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    /// `customer:<id>` or `user:<id>`: whose preferences apply.
    pub preference_key: Option<String>,
    pub customer_id: Option<Uuid>,
    pub email: Option<String>,
    /// A staff user, reachable in-app.
    pub user_id: Option<Uuid>,
    /// Language when the recipient has no preference (default zh-CN).
    pub locale: Option<String>,
}

/// A notification from a template, for [`App::enqueue_notifications`].
#[derive(Debug, Clone)]
pub struct Notification {
    pub template_key: String,
    pub recipient: Recipient,
    pub vars: BTreeMap<String, String>,
    /// What it is about, e.g. (`ticket`, id).
    pub related: Option<(String, String)>,
    /// Ignores quiet hours.
    pub emergency: bool,
    pub attachments: Vec<Attachment>,
}

/// A one-off message written by staff.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OneOffMessage {
    /// `email`, `in_app`, `webhook` or `sms`.
    pub channel: String,
    /// Email address, username or user id (in_app), endpoint id (webhook), customer id (sms:
    /// their primary phone).
    pub to: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub customer_id: Option<Uuid>,
    pub related_type: Option<String>,
    pub related_id: Option<String>,
    #[serde(default)]
    pub emergency: bool,
}

/// A message with its attempts.
#[derive(Debug, Clone)]
pub struct MessageDetail {
    pub message: OutboxMessage,
    pub attempts: Vec<DeliveryAttempt>,
    pub attachments: Vec<(String, String, usize)>,
}

/// A template as submitted (saving adds a version).
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateInput {
    pub key: String,
    pub locale: String,
    #[serde(default)]
    pub description: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

/// A template filled with sample values.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub variables: Vec<String>,
}

/// The longest text accepted in a subject, and in a body.
const MAX_SUBJECT: usize = 300;
const MAX_BODY: usize = 100_000;

/// The one text check (`crate::check_text`): subjects one line, bodies many.
fn check_len(field: &str, value: &str, max: usize, fields: &mut Vec<FieldError>) {
    let lines = if field == "subject" {
        crate::Lines::One
    } else {
        crate::Lines::Many
    };
    crate::check_text(fields, field, value, max, lines);
}

fn fail_if_any(fields: Vec<FieldError>) -> Result<(), AppError> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(fields))
    }
}

/// The one check of a template as submitted, for saving and for the editor's preview alike:
/// the trimmed key and the HTML body (none when blank).
fn check_template_input(input: &TemplateInput) -> Result<(String, Option<String>), AppError> {
    let mut fields = Vec::new();
    let key = input.key.trim().to_string();
    check_key(&key, &mut fields);
    check_locale(&input.locale, &mut fields);
    check_len("subject", &input.subject, MAX_SUBJECT, &mut fields);
    check_len("body_text", &input.body_text, MAX_BODY, &mut fields);
    check_template_syntax("subject", &input.subject, &mut fields);
    check_template_syntax("body_text", &input.body_text, &mut fields);
    let html = input.body_html.clone().filter(|h| !h.trim().is_empty());
    if let Some(h) = &html {
        check_template_syntax("body_html", h, &mut fields);
    }
    crate::emergency::check_broadcast_template(&key, &input.subject, &input.body_text, &mut fields);
    check_optional_text(
        &mut fields,
        "description",
        Some(&input.description),
        200,
        crate::Lines::One,
    );
    fail_if_any(fields)?;
    Ok((key, html))
}

fn check_template_syntax(field: &str, text: &str, fields: &mut Vec<FieldError>) {
    if let Err(e) = template::variables(text) {
        fields.push(FieldError::new(field, "template", e.to_string()));
    }
}

fn check_key(key: &str, fields: &mut Vec<FieldError>) {
    let ok = !key.is_empty()
        && key.len() <= 80
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
    if !ok {
        fields.push(FieldError::new(
            "key",
            "invalid",
            "key must be 1 to 80 characters of a-z, 0-9, '.' and '_', starting with a letter",
        ));
    }
}

fn check_locale(locale: &str, fields: &mut Vec<FieldError>) {
    if !LOCALES.contains(&locale) {
        fields.push(FieldError::new(
            "locale",
            "unknown",
            "locale must be zh-CN or en",
        ));
    }
}

/// The page a notification about `related` opens: a ticket's or a booking's page (named by
/// its id; a number or anything else links nowhere rather than to a page that does not
/// exist), a calendar's.
pub fn related_link(related_type: Option<&str>, related_id: Option<&str>) -> Option<String> {
    let id = related_id?;
    match related_type? {
        "ticket" => Uuid::parse_str(id)
            .ok()
            .map(|id| format!("/desk/tickets/{id}")),
        "booking" => Uuid::parse_str(id).ok().map(|id| format!("/bookings/{id}")),
        "calendar"
            if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Some(format!("/calendars/{id}"))
        }
        _ => None,
    }
}

/// Renders a template's three parts.
pub fn render_template(
    t: &Template,
    vars: &BTreeMap<String, String>,
) -> Result<Rendered, template::TemplateError> {
    let mut variables = template::variables(&t.subject)?;
    variables.extend(template::variables(&t.body_text)?);
    if let Some(html) = &t.body_html {
        variables.extend(template::variables(html)?);
    }
    variables.sort();
    variables.dedup();
    Ok(Rendered {
        subject: template::render(&t.subject, vars, Escape::None)?,
        body_text: template::render(&t.body_text, vars, Escape::None)?,
        body_html: t
            .body_html
            .as_deref()
            .map(|h| template::render(h, vars, Escape::Html))
            .transpose()?,
        variables,
    })
}

/// Sample values for a preview: the variable's name in angle quotes, so the layout shows.
pub fn sample_vars(t: &Template) -> BTreeMap<String, String> {
    let mut names = template::variables(&t.subject).unwrap_or_default();
    names.extend(template::variables(&t.body_text).unwrap_or_default());
    if let Some(h) = &t.body_html {
        names.extend(template::variables(h).unwrap_or_default());
    }
    names
        .into_iter()
        .map(|n| (n.clone(), format!("«{n}»")))
        .collect()
}

impl App {
    /// Enqueues templated notifications in the caller's transaction: one multi-row insert
    /// for the whole batch. Returns the message ids (a recipient with no usable address is
    /// an error naming the recipient's position).
    pub async fn enqueue_notifications(
        &self,
        tx: &mut dyn Tx,
        notifications: &[Notification],
    ) -> Result<Vec<Uuid>, AppError> {
        let now = self.now();
        let mut templates: HashMap<(String, String), Option<Template>> = HashMap::new();
        let mut out = Vec::with_capacity(notifications.len());
        for (i, n) in notifications.iter().enumerate() {
            let pref = match &n.recipient.preference_key {
                Some(key) => tx.get_preference(key).await?,
                None => None,
            };
            let r = &n.recipient;
            let reachable = |c: &str| match c {
                "email" => r.email.is_some(),
                "in_app" => r.user_id.is_some(),
                _ => false,
            };
            let channel = pref
                .as_ref()
                .and_then(|p| p.channel.clone())
                .filter(|c| reachable(c))
                .or_else(|| {
                    ["email", "in_app"]
                        .into_iter()
                        .find(|c| reachable(c))
                        .map(String::from)
                })
                .ok_or_else(|| {
                    AppError::field(
                        &format!("notifications[{i}].recipient"),
                        "unreachable",
                        "the recipient has no email address or user account",
                    )
                })?;
            let locale = pref
                .as_ref()
                .and_then(|p| p.locale.clone())
                .or_else(|| r.locale.clone())
                .filter(|l| LOCALES.contains(&l.as_str()))
                .unwrap_or_else(|| "zh-CN".into());
            let mut template = None;
            for try_locale in [locale.as_str(), if locale == "en" { "zh-CN" } else { "en" }] {
                let cache_key = (n.template_key.clone(), try_locale.to_string());
                if !templates.contains_key(&cache_key) {
                    let t = tx.latest_template(&n.template_key, try_locale).await?;
                    templates.insert(cache_key.clone(), t);
                }
                if let Some(Some(t)) = templates.get(&cache_key) {
                    template = Some(t.clone());
                    break;
                }
            }
            let template = template.ok_or_else(|| {
                AppError::field(
                    "template_key",
                    "unknown",
                    format!("no template for the event {}", n.template_key),
                )
            })?;
            let rendered = render_template(&template, &n.vars)
                .map_err(|e| AppError::field("vars", "template", e.to_string()))?;
            let due_at = match (&pref, n.emergency) {
                (Some(p), false) => match (p.quiet_start, p.quiet_end) {
                    (Some(s), Some(e)) => {
                        match (QuietHours::new(s, e), jiff::tz::TimeZone::get(&p.timezone)) {
                            (Some(q), Ok(tz)) => q.release_at(now, &tz),
                            _ => now,
                        }
                    }
                    _ => now,
                },
                _ => now,
            };
            let recipient = match channel.as_str() {
                "email" => r.email.clone().unwrap_or_default(),
                _ => r.user_id.map(|u| u.to_string()).unwrap_or_default(),
            };
            let id = Uuid::now_v7();
            out.push(NewMessage {
                id,
                channel,
                recipient,
                customer_id: r.customer_id,
                subject: rendered.subject,
                body_text: rendered.body_text,
                body_html: rendered.body_html,
                event: Some(n.template_key.clone()),
                template_key: Some(template.key.clone()),
                template_version: Some(template.version),
                locale: template.locale.clone(),
                related_type: n.related.as_ref().map(|(t, _)| t.clone()),
                related_id: n.related.as_ref().map(|(_, i)| i.clone()),
                emergency: n.emergency,
                max_attempts: self.settings.notify.max_attempts,
                due_at,
                created_by: None,
                created_at: now,
                attachments: n.attachments.clone(),
                thread_references: None,
            });
        }
        tx.enqueue(&out).await?;
        if !out.is_empty() {
            tracing::debug!(count = out.len(), "notifications enqueued");
        }
        Ok(out.into_iter().map(|m| m.id).collect())
    }

    /// Enqueues staff alerts (desk steps, SLA escalations) in the caller's transaction. A
    /// staff member's alert always reaches their bell (the in-app channel needs nothing
    /// configured), and also their mailbox when email goes out, they have an address and they
    /// did not choose the bell alone (preference channel `in_app`). An alert whose template an
    /// administrator removed is skipped with a warning rather than failing the step that
    /// caused it; any other error fails it. Returns how many messages were queued.
    pub(crate) async fn enqueue_alerts(
        &self,
        tx: &mut dyn Tx,
        alerts: &[Notification],
    ) -> Result<usize, AppError> {
        let mut copies = Vec::with_capacity(alerts.len() * 2);
        for a in alerts {
            let r = &a.recipient;
            if r.user_id.is_none() {
                copies.push(a.clone());
                continue;
            }
            let mut bell = a.clone();
            bell.recipient.email = None;
            copies.push(bell);
            if !self.settings.notify.email || r.email.is_none() {
                continue;
            }
            let bell_only = match &r.preference_key {
                Some(key) => tx
                    .get_preference(key)
                    .await?
                    .and_then(|p| p.channel)
                    .is_some_and(|c| c == "in_app"),
                None => false,
            };
            if !bell_only {
                let mut mail = a.clone();
                mail.recipient.user_id = None;
                copies.push(mail);
            }
        }
        match self.enqueue_notifications(tx, &copies).await {
            Ok(ids) => Ok(ids.len()),
            Err(AppError::Validation(fields))
                if fields.iter().any(|f| f.field == "template_key") =>
            {
                tracing::warn!(
                    template = alerts
                        .first()
                        .map(|a| a.template_key.as_str())
                        .unwrap_or(""),
                    "alert template missing: alert not sent (restore it under 通知模板)"
                );
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// The webhook endpoints, reused for [`crate::ttl_cache::CONFIG_CACHE_TTL`]: every
    /// intake and step publishes, and most installations have no endpoint at all, so an
    /// event nobody subscribed to costs no query. A change through this process is seen at
    /// once; another process's within the TTL.
    async fn webhook_endpoints(
        &self,
        tx: &mut dyn Tx,
    ) -> Result<std::sync::Arc<Vec<WebhookEndpoint>>, AppError> {
        let now = self.now();
        let cache = &self.config.webhooks;
        if let Some(hooks) = cache.get(&(), now) {
            return Ok(hooks);
        }
        let generation = cache.generation();
        let hooks = std::sync::Arc::new(tx.list_webhooks().await?);
        cache.put(
            (),
            hooks.clone(),
            generation,
            now + crate::ttl_cache::CONFIG_CACHE_TTL,
        );
        Ok(hooks)
    }

    /// Whether an active endpoint subscribed to `event` (publishers skip building a payload
    /// that would go nowhere).
    pub(crate) async fn has_subscriber(
        &self,
        tx: &mut dyn Tx,
        event: &str,
    ) -> Result<bool, AppError> {
        Ok(self
            .webhook_endpoints(tx)
            .await?
            .iter()
            .any(|w| w.wants(event)))
    }

    /// Enqueues a webhook delivery of `event` for every active endpoint that subscribed to
    /// it, in the caller's transaction. `data` is the event's JSON payload (see
    /// [`crate::webhook_events`]).
    pub async fn publish_event(
        &self,
        tx: &mut dyn Tx,
        event: &str,
        data: &serde_json::Value,
        related: Option<(String, String)>,
    ) -> Result<Vec<Uuid>, AppError> {
        let hooks = self.webhook_endpoints(tx).await?;
        if !hooks.iter().any(|w| w.wants(event)) {
            return Ok(Vec::new());
        }
        let now = self.now();
        let body = serde_json::to_string(data).map_err(|e| AppError::Internal(e.to_string()))?;
        let messages: Vec<NewMessage> = hooks
            .iter()
            .filter(|w| w.wants(event))
            .map(|w| NewMessage {
                id: Uuid::now_v7(),
                channel: "webhook".into(),
                recipient: w.id.to_string(),
                customer_id: None,
                subject: event.to_string(),
                body_text: body.clone(),
                body_html: None,
                event: Some(event.to_string()),
                template_key: None,
                template_version: None,
                locale: "en".into(),
                related_type: related.as_ref().map(|(t, _)| t.clone()),
                related_id: related.as_ref().map(|(_, i)| i.clone()),
                emergency: false,
                max_attempts: self.settings.notify.max_attempts,
                due_at: now,
                created_by: None,
                created_at: now,
                attachments: Vec::new(),
                thread_references: None,
            })
            .collect();
        tx.enqueue(&messages).await?;
        Ok(messages.into_iter().map(|m| m.id).collect())
    }

    /// Validates a one-off message and turns it into an outbox row (not yet written).
    pub(crate) async fn one_off(
        &self,
        principal: &Principal,
        tx: &mut dyn Tx,
        input: &OneOffMessage,
    ) -> Result<NewMessage, AppError> {
        // A webhook endpoint is an administrator's integration: only they write to it
        // (before anything else, so others cannot probe endpoint ids either).
        if input.channel == "webhook" || input.related_type.as_deref() == Some("webhook") {
            principal.require(Permission::ManageNotifications)?;
        }
        let mut fields = Vec::new();
        if !CHANNELS.contains(&input.channel.as_str()) {
            fields.push(FieldError::new(
                "channel",
                "unknown",
                format!("channel must be one of {}", CHANNELS.join(", ")),
            ));
        }
        check_len("subject", &input.subject, MAX_SUBJECT, &mut fields);
        check_len("body", &input.body, MAX_BODY, &mut fields);
        if let Some(html) = &input.html {
            if html.chars().count() > MAX_BODY {
                fields.push(FieldError::new("html", "too_long", "html is too long"));
            }
        }
        for (field, value) in [
            ("related_type", &input.related_type),
            ("related_id", &input.related_id),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 100) {
                fields.push(FieldError::new(
                    field,
                    "too_long",
                    format!("{field} must be at most 100 characters"),
                ));
            }
        }
        // An SMS is the customer's: erasing them clears it.
        let mut sms_customer = None;
        let recipient = match input.channel.as_str() {
            "email" => match Email::parse(&input.to) {
                Ok(e) => e.as_str().to_string(),
                Err(e) => {
                    fields.push(FieldError::new("to", "invalid", e.to_string()));
                    String::new()
                }
            },
            "in_app" => {
                let to = input.to.trim();
                let user = match Uuid::parse_str(to) {
                    Ok(id) => tx.get_user(id).await?,
                    Err(_) => tx.get_user_by_username(&to.to_lowercase()).await?,
                };
                match user {
                    Some(u) if u.disabled_at.is_none() => u.id.to_string(),
                    _ => {
                        fields.push(FieldError::new(
                            "to",
                            "unknown",
                            "no active user has this name or id",
                        ));
                        String::new()
                    }
                }
            }
            "webhook" => {
                let hook = match Uuid::parse_str(input.to.trim()) {
                    Ok(id) => tx.get_webhook(id).await?,
                    Err(_) => None,
                };
                match hook {
                    Some(w) => w.id.to_string(),
                    None => {
                        fields.push(FieldError::new(
                            "to",
                            "unknown",
                            "no webhook endpoint has this id",
                        ));
                        String::new()
                    }
                }
            }
            "sms" => {
                let (recipient, customer) = self
                    .one_off_sms_recipient(tx, &input.to, &mut fields)
                    .await?;
                sms_customer = customer;
                recipient
            }
            _ => String::new(),
        };
        if input.channel == "sms" {
            check_len("body", &input.body, crate::sms::MAX_SMS_TEXT, &mut fields);
        }
        fail_if_any(fields)?;
        if input.emergency {
            principal.require(Permission::ManageNotifications)?;
        }
        let now = self.now();
        let body_text = if input.channel == "webhook" {
            serde_json::json!({"subject": input.subject, "body": input.body}).to_string()
        } else {
            input.body.clone()
        };
        Ok(NewMessage {
            id: Uuid::now_v7(),
            channel: input.channel.clone(),
            recipient,
            customer_id: sms_customer.or(input.customer_id),
            subject: input.subject.trim().to_string(),
            body_text,
            body_html: input.html.clone(),
            event: Some("message.one_off".into()),
            template_key: None,
            template_version: None,
            locale: principal.locale.clone(),
            related_type: input.related_type.clone(),
            related_id: input.related_id.clone(),
            emergency: input.emergency,
            max_attempts: self.settings.notify.max_attempts,
            due_at: now,
            created_by: Some(principal.user_id).filter(|id| !id.is_nil()),
            created_at: now,
            attachments: Vec::new(),
            thread_references: None,
        })
    }

    /// Queues a one-off message (staff writing to a customer or a colleague).
    pub async fn send_message(
        &self,
        principal: &Principal,
        input: OneOffMessage,
    ) -> Result<OutboxMessage, AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.write().await?;
        let message = self.one_off(principal, &mut *tx, &input).await?;
        tx.enqueue(std::slice::from_ref(&message)).await?;
        let stored = tx
            .get_message(message.id)
            .await?
            .ok_or(AppError::Internal("enqueued message vanished".into()))?;
        tx.commit().await?;
        tracing::info!(target: "audit", event = "message_queued", message_id = %message.id, channel = %message.channel, by = %principal.user_id, "message queued");
        Ok(stored)
    }

    fn may_see(principal: &Principal, m: &OutboxMessage) -> bool {
        principal.can(Permission::ViewDeliveries)
            || (m.created_by == Some(principal.user_id) && principal.can(Permission::SendMessages))
            || (m.channel == "in_app" && m.recipient == principal.user_id.to_string())
    }

    /// A message with its delivery attempts (the sender, the recipient in-app, or
    /// `view_deliveries`).
    pub async fn get_message(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<MessageDetail, AppError> {
        let mut tx = self.store.read().await?;
        let message = tx
            .get_message(id)
            .await?
            .filter(|m| Self::may_see(principal, m))
            .ok_or(AppError::NotFound("message"))?;
        let attempts = tx.list_attempts(id).await?;
        let attachments = tx
            .list_attachments(id)
            .await?
            .into_iter()
            .map(|a| (a.filename, a.content_type, a.content.len()))
            .collect();
        Ok(MessageDetail {
            message,
            attempts,
            attachments,
        })
    }

    /// Delivery history. Without `view_deliveries`, only the messages one sent.
    pub async fn list_messages(
        &self,
        principal: &Principal,
        mut filter: MessageFilter,
    ) -> Result<Vec<OutboxMessage>, AppError> {
        if !principal.can(Permission::ViewDeliveries) {
            principal.require(Permission::SendMessages)?;
            filter.created_by = Some(principal.user_id);
        }
        if filter.limit == 0 {
            filter.limit = 50;
        }
        let mut tx = self.store.read().await?;
        Ok(tx.list_messages(&filter).await?)
    }

    pub async fn message_counts(&self, principal: &Principal) -> Result<StateCounts, AppError> {
        principal.require(Permission::ViewDeliveries)?;
        let mut tx = self.store.read().await?;
        Ok(tx.count_messages_by_state().await?)
    }

    /// Requeues a dead message for another round of attempts (admin).
    pub async fn retry_message(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<OutboxMessage, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        let message = tx
            .get_message(id)
            .await?
            .ok_or(AppError::NotFound("message"))?;
        if message.state != MessageState::Dead {
            return Err(AppError::Conflict {
                code: "not_dead",
                message: "only a dead message can be retried".into(),
                field: None,
            });
        }
        tx.requeue_dead(
            id,
            self.settings.notify.max_attempts,
            &principal.username,
            self.now(),
        )
        .await?;
        let message = tx
            .get_message(id)
            .await?
            .ok_or(AppError::NotFound("message"))?;
        // What was requeued, never to whom or what it says.
        self.audit(
            &mut *tx,
            principal,
            AuditAction::MessageRequeue,
            "message",
            Some(id.to_string()),
            serde_json::json!({
                "channel": message.channel,
                "event": message.event,
                "template_key": message.template_key,
                "max_attempts": message.max_attempts,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(message)
    }
}
