//! Notifications: the one delivery path every module uses.
//!
//! Modules enqueue inside their own transaction with [`App::enqueue_notifications`] (rendered
//! from a template, channel and language from the recipient's preferences, held back during
//! quiet hours unless it is an emergency) or [`App::publish_event`] (a signed webhook POST to
//! every endpoint that subscribed). Committing that transaction wakes this node's delivery
//! workers (`tripdesk-jobs`). Staff send one-off messages with [`App::send_message`]; admins
//! read the delivery history, requeue dead messages and edit templates, webhooks and rate
//! limits here too.

use crate::{check_optional_text, secrets, App, AppError, FieldError, Principal};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
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
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base: SignedDuration::from_secs(30),
            retry_cap: SignedDuration::from_hours(1),
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
    /// `email`, `in_app` or `webhook`.
    pub channel: String,
    /// Email address, username or user id (in_app), endpoint id (webhook).
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

/// Built-in templates for the events the product promises messages for.
pub const DEFAULT_TEMPLATES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "booking.confirmed",
        "zh-CN",
        "预订确认（预订后 1 小时内发出）",
        "预订确认：{{ booking_no }}",
        "{{ name }}，您好！\n\n您的预订 {{ booking_no }}（{{ product }}，{{ date }}）已确认，应付金额 {{ amount }}，请于 {{ pay_by }} 前完成付款。\n\n如有疑问请致电 24 小时客服热线。",
    ),
    (
        "booking.confirmed",
        "en",
        "Booking confirmation (sent within 1 hour of booking)",
        "Booking confirmed: {{ booking_no }}",
        "Dear {{ name }},\n\nYour booking {{ booking_no }} ({{ product }}, {{ date }}) is confirmed. Amount due: {{ amount }}, to be paid by {{ pay_by }}.\n\nOur hotline is open 24 hours.",
    ),
    (
        "complaint.important",
        "zh-CN",
        "重要投诉，立即通知主管",
        "重要投诉：{{ ticket_no }}",
        "{{ customer }} 的投诉被评为重要：{{ summary }}。请立即处理。",
    ),
    (
        "complaint.important",
        "en",
        "Important complaint, supervisor told at once",
        "Important complaint: {{ ticket_no }}",
        "The complaint from {{ customer }} was triaged as important: {{ summary }}. Please act now.",
    ),
    (
        "complaint.urgent",
        "zh-CN",
        "紧急投诉，通知主管和应急负责人",
        "【紧急】投诉 {{ ticket_no }}",
        "{{ customer }} 的投诉被评为紧急：{{ summary }}。请立即启动应急处理。{{ reason }}\n{{ link }}",
    ),
    (
        "complaint.urgent",
        "en",
        "Urgent complaint: supervisors and the emergency leader",
        "[Urgent] Complaint {{ ticket_no }}",
        "The complaint from {{ customer }} was triaged as urgent: {{ summary }}. Start the emergency procedure now. {{ reason }}\n{{ link }}",
    ),
    (
        "complaint.assigned",
        "zh-CN",
        "投诉分派给处理小组（1 小时内联系客户）",
        "新分派投诉：{{ ticket_no }}",
        "投诉 {{ ticket_no }}（{{ customer }}：{{ summary }}）已分派给您的小组，请在 1 小时内联系客户。\n{{ link }}",
    ),
    (
        "complaint.assigned",
        "en",
        "Complaint assigned to the handling group (contact within 1 hour)",
        "Complaint assigned: {{ ticket_no }}",
        "Complaint {{ ticket_no }} ({{ customer }}: {{ summary }}) is assigned to your group. Contact the customer within 1 hour.\n{{ link }}",
    ),
    (
        "complaint.approval_needed",
        "zh-CN",
        "补偿金额超出权限，需主管审批",
        "待审批补偿：{{ ticket_no }}",
        "投诉 {{ ticket_no }}（{{ customer }}）拟补偿 {{ amount }}，超出审批门槛，请审批。\n{{ link }}",
    ),
    (
        "complaint.approval_needed",
        "en",
        "Compensation above the threshold awaits approval",
        "Compensation to approve: {{ ticket_no }}",
        "Complaint {{ ticket_no }} ({{ customer }}) proposes compensation of {{ amount }}, above the approval threshold. Please approve or refuse.\n{{ link }}",
    ),
    (
        "complaint.follow_up_assigned",
        "zh-CN",
        "回访任务分派给回访专员",
        "回访任务：{{ ticket_no }}",
        "请对投诉 {{ ticket_no }}（{{ customer }}：{{ summary }}）进行回访。\n{{ link }}",
    ),
    (
        "complaint.follow_up_assigned",
        "en",
        "Follow-up visit assigned",
        "Follow-up to do: {{ ticket_no }}",
        "Please follow up complaint {{ ticket_no }} ({{ customer }}: {{ summary }}).\n{{ link }}",
    ),
    (
        "complaint.unsatisfied",
        "zh-CN",
        "回访不满意，通知主管",
        "回访不满意：{{ ticket_no }}",
        "投诉 {{ ticket_no }}（{{ customer }}）回访结果不满意：{{ reason }}。已生成整改任务。\n{{ link }}",
    ),
    (
        "complaint.unsatisfied",
        "en",
        "Unsatisfied follow-up",
        "Customer unsatisfied: {{ ticket_no }}",
        "The follow-up of complaint {{ ticket_no }} ({{ customer }}) found the customer unsatisfied: {{ reason }}. A rectification task was created.\n{{ link }}",
    ),
    (
        "complaint.reopened",
        "zh-CN",
        "投诉重新打开",
        "投诉重新打开：{{ ticket_no }}",
        "投诉 {{ ticket_no }}（{{ customer }}）已重新打开：{{ reason }}\n{{ link }}",
    ),
    (
        "complaint.reopened",
        "en",
        "Complaint reopened",
        "Complaint reopened: {{ ticket_no }}",
        "Complaint {{ ticket_no }} ({{ customer }}) was reopened: {{ reason }}\n{{ link }}",
    ),
    (
        "sla.warning",
        "zh-CN",
        "SLA 即将超时预警",
        "即将超时：{{ reference }} {{ target_zh }}",
        "{{ reference }} 的「{{ target_zh }}」将于 {{ due }} 到期，请尽快处理。\n{{ link }}",
    ),
    (
        "sla.warning",
        "en",
        "SLA about to be breached",
        "Due soon: {{ reference }} {{ target_en }}",
        "\"{{ target_en }}\" for {{ reference }} is due at {{ due }} (Beijing time). Please act now.\n{{ link }}",
    ),
    (
        "sla.breach",
        "zh-CN",
        "SLA 已超时，升级通知",
        "已超时：{{ reference }} {{ target_zh }}",
        "{{ reference }} 的「{{ target_zh }}」已于 {{ due }} 超时，请主管跟进。\n{{ link }}",
    ),
    (
        "sla.breach",
        "en",
        "SLA breached, escalated",
        "Breached: {{ reference }} {{ target_en }}",
        "\"{{ target_en }}\" for {{ reference }} was due at {{ due }} (Beijing time) and is now late. Supervisor follow-up needed.\n{{ link }}",
    ),
    (
        "calendar.holidays_missing",
        "zh-CN",
        "缺少国务院节假日安排，提醒管理员导入",
        "请导入 {{ year }} 年节假日安排（{{ calendar }}）",
        "日历 {{ calendar }} 尚无 {{ year }} 年的国务院节假日安排。在导入之前，{{ year }} 年的到期时间按暂定日历计算（周末加法定节假日，无调休），并标注为“暂定”；导入后会自动重算。\n{{ link }}",
    ),
    (
        "calendar.holidays_missing",
        "en",
        "State Council holiday arrangement missing: administrators reminded to import it",
        "Import the {{ year }} holiday arrangement ({{ calendar }})",
        "Calendar {{ calendar }} has no State Council holiday arrangement for {{ year }}. Until it is imported, due instants in {{ year }} are computed on the provisional calendar (weekends plus statutory holidays, no make-up working days) and marked provisional; they are recomputed on import.\n{{ link }}",
    ),
    (
        "complaint.survey",
        "zh-CN",
        "回访问卷链接发给客户（单次有效）",
        "请评价我们对投诉 {{ ticket_no }} 的处理",
        "{{ name }}，您好！\n\n感谢您的耐心。您的投诉 {{ ticket_no }}（{{ summary }}）已处理完毕，诚邀您用一分钟评价我们的处理：\n{{ link }}\n\n链接 {{ days }} 天内有效，只能提交一次。如有疑问请致电 24 小时客服热线。",
    ),
    (
        "complaint.survey",
        "en",
        "Follow-up survey link for the customer (single use)",
        "How did we handle your complaint {{ ticket_no }}?",
        "Dear {{ name }},\n\nThank you for your patience. Your complaint {{ ticket_no }} ({{ summary }}) has been handled. Please take a minute to tell us how we did:\n{{ link }}\n\nThe link is valid for {{ days }} days and can be used once. Our hotline is open 24 hours.",
    ),
    (
        "emergency.broadcast",
        "zh-CN",
        "突发事件通知受影响游客",
        "【紧急通知】{{ title }}",
        "{{ name }}，您好：{{ message }}\n请回复您是否安全。紧急联系电话：{{ hotline }}",
    ),
    (
        "emergency.broadcast",
        "en",
        "Emergency broadcast to affected travelers",
        "[Emergency] {{ title }}",
        "Dear {{ name }}: {{ message }}\nPlease tell us whether you are safe. Emergency line: {{ hotline }}",
    ),
];

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
            });
        }
        tx.enqueue(&out).await?;
        if !out.is_empty() {
            tracing::debug!(count = out.len(), "notifications enqueued");
        }
        Ok(out.into_iter().map(|m| m.id).collect())
    }

    /// Enqueues staff alerts (desk steps, SLA escalations) in the caller's transaction. An
    /// alert whose template an administrator removed is skipped with a warning rather than
    /// failing the step that caused it; any other error fails it. Returns how many were queued.
    pub(crate) async fn enqueue_alerts(
        &self,
        tx: &mut dyn Tx,
        alerts: &[Notification],
    ) -> Result<usize, AppError> {
        match self.enqueue_notifications(tx, alerts).await {
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
            _ => String::new(),
        };
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
            customer_id: input.customer_id,
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
        tx.commit().await?;
        tracing::info!(target: "audit", event = "message_requeued", message_id = %id, by = %principal.user_id, "dead message requeued");
        Ok(message)
    }

    // ---- templates ----

    pub async fn list_templates(&self, principal: &Principal) -> Result<Vec<Template>, AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_latest_templates().await?)
    }

    pub async fn template_versions(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
    ) -> Result<Vec<Template>, AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        let versions = tx.list_template_versions(key, locale).await?;
        if versions.is_empty() {
            return Err(AppError::NotFound("template"));
        }
        Ok(versions)
    }

    /// Saves a template: the first version, or a new version of an existing one.
    pub async fn save_template(
        &self,
        principal: &Principal,
        input: TemplateInput,
    ) -> Result<Template, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let (key, html) = check_template_input(&input)?;
        let mut tx = self.store.write().await?;
        let version = tx
            .latest_template(&key, &input.locale)
            .await?
            .map_or(1, |t| t.version + 1);
        let template = Template {
            id: Uuid::now_v7(),
            key,
            locale: input.locale,
            version,
            description: input.description.trim().to_string(),
            subject: input.subject.trim().to_string(),
            body_text: input.body_text,
            body_html: html,
            created_by: Some(principal.user_id).filter(|id| !id.is_nil()),
            created_at: self.now(),
        };
        tx.insert_template(&template)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict {
                    code: "duplicate", ..
                } => AppError::Conflict {
                    code: "edited_concurrently",
                    message: "someone saved this template at the same moment; reload and try again"
                        .into(),
                    field: None,
                },
                other => other,
            })?;
        tx.commit().await?;
        tracing::info!(target: "audit", event = "template_saved", key = %template.key, version = template.version, by = %principal.user_id, "template saved");
        Ok(template)
    }

    pub async fn delete_template(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        if tx.delete_template(key, locale).await? == 0 {
            return Err(AppError::NotFound("template"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Renders a stored template (a given version, else the latest) with `vars`; variables
    /// not given are shown as «name».
    pub async fn preview_template(
        &self,
        principal: &Principal,
        key: &str,
        locale: &str,
        version: Option<i64>,
        vars: BTreeMap<String, String>,
    ) -> Result<(Template, Rendered), AppError> {
        principal.require(Permission::SendMessages)?;
        let mut tx = self.store.read().await?;
        let template = match version {
            Some(v) => tx.get_template_version(key, locale, v).await?,
            None => tx.latest_template(key, locale).await?,
        }
        .ok_or(AppError::NotFound("template"))?;
        let rendered = Self::preview(&template, vars)?;
        Ok((template, rendered))
    }

    /// Renders unsaved template text (the editor's preview button).
    pub fn preview_input(
        &self,
        principal: &Principal,
        input: &TemplateInput,
        vars: BTreeMap<String, String>,
    ) -> Result<Rendered, AppError> {
        principal.require(Permission::SendMessages)?;
        let (key, body_html) = check_template_input(input)?;
        let t = Template {
            id: Uuid::nil(),
            key,
            locale: input.locale.clone(),
            version: 0,
            description: input.description.clone(),
            subject: input.subject.clone(),
            body_text: input.body_text.clone(),
            body_html,
            created_by: None,
            created_at: self.now(),
        };
        Self::preview(&t, vars)
    }

    fn preview(t: &Template, vars: BTreeMap<String, String>) -> Result<Rendered, AppError> {
        let mut all = sample_vars(t);
        all.extend(vars);
        render_template(t, &all).map_err(|e| AppError::field("template", "template", e.to_string()))
    }

    /// Installs the built-in templates that do not exist yet (demo data, fresh installs),
    /// under the seeding lock, so nodes starting together install each once.
    pub async fn install_default_templates(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write_seeding().await?;
        let mut added = 0;
        for (key, locale, description, subject, body) in DEFAULT_TEMPLATES {
            if tx.latest_template(key, locale).await?.is_none() {
                tx.insert_template(&Template {
                    id: Uuid::now_v7(),
                    key: key.to_string(),
                    locale: locale.to_string(),
                    version: 1,
                    description: description.to_string(),
                    subject: subject.to_string(),
                    body_text: body.to_string(),
                    body_html: None,
                    created_by: None,
                    created_at: self.now(),
                })
                .await?;
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    // ---- preferences and rate limits ----

    pub async fn get_preference(
        &self,
        principal: &Principal,
        recipient_key: &str,
    ) -> Result<Option<Preference>, AppError> {
        Self::may_touch_preference(principal, recipient_key, false)?;
        let mut tx = self.store.read().await?;
        Ok(tx.get_preference(recipient_key).await?)
    }

    /// Who may read (`write == false`) or change a recipient's preferences: a staff
    /// member their own; another staff member's only an administrator (`manage_users`) —
    /// an agent must not silence a supervisor's SLA alerts; a customer's whoever may see
    /// (`view_customers`) or edit (`edit_customers`) customer records. A key of neither
    /// form is left to the validation that names it.
    fn may_touch_preference(
        principal: &Principal,
        recipient_key: &str,
        write: bool,
    ) -> Result<(), AppError> {
        let (kind, id) = recipient_key.split_once(':').unwrap_or(("", ""));
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(());
        };
        match kind {
            "user" if id == principal.user_id && !id.is_nil() => Ok(()),
            "user" => principal.require(Permission::ManageUsers),
            "customer" if write => principal.require(Permission::EditCustomers),
            "customer" => principal.require(Permission::ViewCustomers),
            _ => Ok(()),
        }
    }

    /// Sets how a recipient wants to be reached (see [`Self::may_touch_preference`] for
    /// who may), audited in the same transaction.
    pub async fn set_preference(
        &self,
        principal: &Principal,
        mut pref: Preference,
    ) -> Result<Preference, AppError> {
        Self::may_touch_preference(principal, &pref.recipient_key, true)?;
        let mut fields = Vec::new();
        let key_ok = pref
            .recipient_key
            .split_once(':')
            .is_some_and(|(kind, id)| {
                matches!(kind, "user" | "customer") && Uuid::parse_str(id).is_ok()
            });
        if !key_ok {
            fields.push(FieldError::new(
                "recipient_key",
                "invalid",
                "recipient_key must be user:<id> or customer:<id>",
            ));
        }
        if let Some(c) = &pref.channel {
            if !CHANNELS.contains(&c.as_str()) || c == "webhook" {
                fields.push(FieldError::new(
                    "channel",
                    "unknown",
                    "channel must be email or in_app",
                ));
            }
        }
        if let Some(l) = &pref.locale {
            check_locale(l, &mut fields);
        }
        match (pref.quiet_start, pref.quiet_end) {
            (None, None) => {}
            (Some(s), Some(e)) if QuietHours::new(s, e).is_some() => {}
            _ => fields.push(FieldError::new(
                "quiet_start",
                "invalid",
                "quiet hours need both a start and an end, in minutes 0 to 1439",
            )),
        }
        if jiff::tz::TimeZone::get(&pref.timezone).is_err() {
            fields.push(FieldError::new(
                "timezone",
                "unknown",
                "timezone must be an IANA zone such as Asia/Shanghai",
            ));
        }
        fail_if_any(fields)?;
        pref.updated_at = self.now();
        let mut tx = self.store.write().await?;
        tx.upsert_preference(&pref).await?;
        // Names what is set, never a value that could identify a customer.
        let mut set = Vec::new();
        for (field, present) in [
            ("channel", pref.channel.is_some()),
            ("locale", pref.locale.is_some()),
            ("quiet_hours", pref.quiet_start.is_some()),
        ] {
            if present {
                set.push(field);
            }
        }
        set.push("timezone");
        self.audit(
            &mut *tx,
            principal,
            "preference.set",
            "preference",
            Some(pref.recipient_key.clone()),
            serde_json::json!({ "fields": set }),
        )
        .await?;
        tx.commit().await?;
        Ok(pref)
    }

    pub async fn list_rate_limits(
        &self,
        principal: &Principal,
    ) -> Result<Vec<RateLimit>, AppError> {
        principal.require(Permission::ViewDeliveries)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_rate_limits().await?)
    }

    /// Sets a channel's rate (messages per second, and how many may go at once).
    pub async fn set_rate_limit(
        &self,
        principal: &Principal,
        limit: RateLimit,
    ) -> Result<RateLimit, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut fields = Vec::new();
        if !CHANNELS.contains(&limit.channel.as_str()) {
            fields.push(FieldError::new(
                "channel",
                "unknown",
                format!("channel must be one of {}", CHANNELS.join(", ")),
            ));
        }
        if !(1..=100_000).contains(&limit.per_second) {
            fields.push(FieldError::new(
                "per_second",
                "range",
                "per_second must be 1 to 100000",
            ));
        }
        if !(1..=100_000).contains(&limit.burst) {
            fields.push(FieldError::new(
                "burst",
                "range",
                "burst must be 1 to 100000",
            ));
        }
        fail_if_any(fields)?;
        let mut tx = self.store.write().await?;
        tx.set_rate_limit(&limit, self.now()).await?;
        tx.commit().await?;
        Ok(limit)
    }

    pub async fn remove_rate_limit(
        &self,
        principal: &Principal,
        channel: &str,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        if !tx.remove_rate_limit(channel).await? {
            return Err(AppError::NotFound("rate limit"));
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- in-app notifications (the bell) ----

    pub async fn my_notifications(
        &self,
        principal: &Principal,
        unread_only: bool,
        limit: u32,
    ) -> Result<(Vec<InAppNotification>, u64), AppError> {
        let mut tx = self.store.read().await?;
        let items = tx.list_inapp(principal.user_id, unread_only, limit).await?;
        let unread = tx.count_unread_inapp(principal.user_id).await?;
        Ok((items, unread))
    }

    pub async fn unread_count(&self, principal: &Principal) -> Result<u64, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.count_unread_inapp(principal.user_id).await?)
    }

    /// Marks one notification (or with `None` all of them) read; returns the unread count.
    pub async fn mark_notifications_read(
        &self,
        principal: &Principal,
        id: Option<Uuid>,
    ) -> Result<u64, AppError> {
        let mut tx = self.store.write().await?;
        let changed = tx
            .mark_inapp_read(principal.user_id, id, self.now())
            .await?;
        if changed == 0 && id.is_some() {
            let exists = tx
                .list_inapp(principal.user_id, false, 500)
                .await?
                .iter()
                .any(|n| Some(n.id) == id);
            if !exists {
                return Err(AppError::NotFound("notification"));
            }
        }
        let unread = tx.count_unread_inapp(principal.user_id).await?;
        tx.commit().await?;
        Ok(unread)
    }

    // ---- webhook endpoints ----

    fn check_webhook(input: &WebhookInput) -> Result<(), AppError> {
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
        tx.commit().await?;
        self.config.webhooks.invalidate();
        tracing::info!(target: "audit", event = "webhook_created", webhook_id = %endpoint.id, by = %principal.user_id, "webhook endpoint created");
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
        let mut events = input.events;
        events.sort();
        events.dedup();
        endpoint.url = input.url.trim().to_string();
        endpoint.events = events;
        endpoint.description = input.description.trim().to_string();
        endpoint.active = input.active;
        endpoint.updated_at = self.now();
        tx.update_webhook(&endpoint).await?;
        tx.commit().await?;
        self.config.webhooks.invalidate();
        Ok(endpoint)
    }

    pub async fn delete_webhook(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        if !tx.delete_webhook(id).await? {
            return Err(AppError::NotFound("webhook"));
        }
        tx.commit().await?;
        self.config.webhooks.invalidate();
        tracing::info!(target: "audit", event = "webhook_deleted", webhook_id = %id, by = %principal.user_id, "webhook endpoint deleted");
        Ok(())
    }
}
