//! Talking on a ticket: replies to the customer and internal notes on its timeline, reply
//! templates from the SOP (greeting, closing, common answers) in zh-CN and en, and turning an
//! inquiry into a complaint.
//!
//! A reply stops the ticket's running first-response clock in the same transaction and is
//! queued to the customer through the outbox (so it is retried, rate-limited and listed like
//! every message) by the channel they last wrote on — email, SMS or WeChat (`reply_route`).

use crate::customers::identifier_field;
use crate::idempotency::{Idempotency, Once};
use crate::notify::OneOffMessage;
use crate::reply_route::ReplyRoute;
use crate::sla::ClockAction;
use crate::{check_text, App, AppError, FieldError, Lines, OnDuplicate, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{State, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{ReplyTemplate, Ticket, TicketEvent, Tx};
use uuid::Uuid;

/// What is added to a ticket's timeline: `reply` (to the customer) or `note` (internal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MessageKindName))]
pub enum MessageKind {
    /// To the customer.
    Reply,
    /// Internal, never sent.
    Note,
}

impl MessageKind {
    pub const ALL: [MessageKind; 2] = [MessageKind::Reply, MessageKind::Note];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Reply => "reply",
            MessageKind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reply" => Some(MessageKind::Reply),
            "note" => Some(MessageKind::Note),
            _ => None,
        }
    }
}

/// What adding a reply or note did.
#[derive(Debug, Clone)]
pub struct PostedMessage {
    pub event: TicketEvent,
    /// The outbox message carrying a reply to the customer (email, SMS or WeChat), if any.
    pub message_id: Option<Uuid>,
    /// The first-response clock this reply stopped and how it ended (`met` or `breached`).
    pub stopped_clock: Option<(String, String)>,
}

/// A reply template as submitted.
#[derive(Debug, Clone, Default)]
pub struct ReplyTemplateInput {
    pub key: String,
    pub locale: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub position: i32,
}

pub const REPLY_CATEGORIES: [&str; 3] = ["greeting", "closing", "answer"];
pub const REPLY_LOCALES: [&str; 2] = ["zh-CN", "en"];
const MAX_BODY: usize = 10_000;

/// The SOP's phrases (seeds 001, 003, 004: polite forms, the 1-hour contact and 24-hour
/// result promises, the 3–5 working-day follow-up, refunds and force majeure, the 24-hour
/// hotline), as (key, category, zh title, zh body, en title, en body). `{{ customer }}`,
/// `{{ number }}`, `{{ agent }}` and `{{ org }}` are filled in on the ticket page.
const DEFAULT_REPLIES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "greet",
        "greeting",
        "问候",
        "{{ customer }}您好！我是{{ org }}的客服{{ agent }}，很高兴为您服务。",
        "Greeting",
        "Dear {{ customer }}, this is {{ agent }} from {{ org }} customer service. Thank you for contacting us.",
    ),
    (
        "sorry",
        "greeting",
        "致歉",
        "{{ customer }}您好，对于给您带来的不便，我们深表歉意，感谢您及时告诉我们。",
        "Apology",
        "Dear {{ customer }}, we are very sorry for the inconvenience and thank you for letting us know.",
    ),
    (
        "received",
        "answer",
        "投诉已受理",
        "您反映的问题我们已经受理，工单编号 {{ number }}。处理小组将在 1 小时内与您联系，处理完成后 24 小时内向您反馈结果。",
        "Complaint received",
        "We have registered your complaint as {{ number }}. The handling team will contact you within 1 hour, and you will hear the outcome within 24 hours of its resolution.",
    ),
    (
        "verify",
        "answer",
        "核实信息",
        "为了尽快为您核实，请提供订单号、出行日期、同行人数和联系电话，谢谢。",
        "Details needed",
        "So that we can look into this quickly, please send us your booking number, travel dates, party size and a contact number.",
    ),
    (
        "refund",
        "answer",
        "退改政策",
        "关于退改：提前退订可部分退费，越临近出发退改费用越高，具体以合同约定为准；如因不可抗力取消行程，您可以选择全额退款或免费延期。",
        "Refunds and changes",
        "On refunds and changes: an early cancellation is partly refunded, with higher fees closer to departure, as your contract sets out. If the trip is cancelled by force majeure you may choose a full refund or a free postponement.",
    ),
    (
        "follow_up",
        "answer",
        "回访说明",
        "处理完成后 3–5 个工作日内，我们的回访专员会与您联系，了解您对处理结果是否满意。",
        "Follow-up",
        "Within 3 to 5 working days after resolution, a member of our follow-up team will contact you to ask whether you are satisfied.",
    ),
    (
        "hotline",
        "answer",
        "24 小时热线",
        "行程中如遇紧急情况，请随时拨打我们的 24 小时多语种服务热线，我们会第一时间为您处理。",
        "24-hour hotline",
        "If anything urgent happens during your trip, call our 24-hour multilingual hotline at any time and we will help at once.",
    ),
    (
        "close",
        "closing",
        "结束语",
        "感谢您的耐心与支持！如还有其他问题，请随时联系我们。祝您旅途愉快，再见！",
        "Closing",
        "Thank you for your patience. If there is anything else, please contact us at any time. We wish you a pleasant journey.",
    ),
];

const KEY_TAKEN: &str = "a reply template with this key exists in this language";

/// An SMS text's refusal as the reply form's field.
fn as_body_error(e: AppError) -> AppError {
    match e {
        AppError::Validation(fields) => AppError::Validation(
            fields
                .into_iter()
                .map(|mut f| {
                    if f.field == "text" {
                        f.field = "body".into();
                    }
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// Fills a template's `{{ name }}` placeholders; unknown ones are left as they are.
pub fn fill_reply(body: &str, vars: &[(&str, &str)]) -> String {
    let mut out = body.to_string();
    for (name, value) in vars {
        for form in [format!("{{{{ {name} }}}}"), format!("{{{{{name}}}}}")] {
            out = out.replace(&form, value);
        }
    }
    out
}

impl App {
    /// The customer's primary email, opened from the vault; `None` without a customer, an
    /// email or the vault.
    pub(crate) async fn customer_email(
        &self,
        tx: &mut dyn Tx,
        customer_id: Option<Uuid>,
    ) -> Result<Option<String>, AppError> {
        let (Some(customer_id), Ok(vault)) = (customer_id, self.vault()) else {
            return Ok(None);
        };
        let idents = tx.list_identifiers(customer_id).await?;
        let email = idents
            .iter()
            .filter(|i| i.kind == "email")
            .max_by_key(|i| i.is_primary);
        let Some(email) = email else { return Ok(None) };
        let value = vault
            .decrypt(
                &identifier_field("email"),
                &email.id.to_string(),
                &email.sealed,
            )
            .map_err(|e| AppError::Internal(format!("cannot open an email identifier: {e}")))?;
        Ok(Some(value.expose_secret().clone()))
    }

    /// Adds a reply (to the customer) or an internal note to a ticket's timeline.
    pub async fn post_ticket_message(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        kind: MessageKind,
        body: &str,
    ) -> Result<PostedMessage, AppError> {
        self.post_ticket_message_once(p, ticket_id, kind, body, None)
            .await?
            .done()
    }

    /// [`App::post_ticket_message`] made safe to retry with an idempotency key (see
    /// [`crate::idempotency`]).
    pub async fn post_ticket_message_once(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        kind: MessageKind,
        body: &str,
        once: Option<&Idempotency<'_, PostedMessage>>,
    ) -> Result<Once<PostedMessage>, AppError> {
        match kind {
            MessageKind::Reply => p.require(Permission::WorkTickets)?,
            MessageKind::Note => {
                if !(p.can(Permission::WorkTickets) || p.can(Permission::PerformFollowUp)) {
                    p.require(Permission::WorkTickets)?;
                }
            }
        }
        let mut fields = Vec::new();
        check_text(&mut fields, "body", body, MAX_BODY, Lines::Many);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let body = body.trim().to_string();
        let now = self.now();
        let mut tx = self.store.write().await?;
        if let Some(kept) = self.claim_once(&mut *tx, p, once).await? {
            tx.commit().await?;
            return Ok(Once::Replayed(kept));
        }
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        let mut data = json!({});
        let mut message_id = None;
        let mut stopped_clock = None;
        let mut email_reply = false;
        if kind == MessageKind::Reply {
            if ticket.state == State::Closed {
                return Err(AppError::Conflict {
                    code: "ticket_closed",
                    message: "the ticket is closed; reopen it before replying".into(),
                    field: None,
                });
            }
            if let Some(target) = ticket.channel.first_response_target() {
                let open = self.open_ticket_clock(&mut *tx, &ticket, target).await?;
                if let Some(clock) = open {
                    let rec = self
                        .sla_clock_action(&mut *tx, clock.id, ClockAction::Stop)
                        .await?;
                    let result = match rec.clock.state() {
                        ClockState::Met => "met",
                        _ => "breached",
                    };
                    stopped_clock = Some((target.to_string(), result.to_string()));
                    data["stopped_clock"] = json!({ "target": target, "result": result });
                }
            }
            // One dispatch: by the channel the customer last wrote on (`reply_route`).
            let route = self.reply_route(&mut *tx, &ticket).await?;
            let related = Some(("ticket".to_string(), ticket.id.to_string()));
            let message = match route {
                ReplyRoute::Email { ref to } => {
                    let mut message = self
                        .one_off(
                            p,
                            &mut *tx,
                            &OneOffMessage {
                                channel: "email".into(),
                                to: to.clone(),
                                subject: format!("Re: [{}] {}", ticket.number, ticket.subject)
                                    .chars()
                                    .filter(|c| !c.is_control())
                                    .collect(),
                                body: body.clone(),
                                customer_id: ticket.customer_id,
                                related_type: Some("ticket".into()),
                                related_id: Some(ticket.id.to_string()),
                                ..Default::default()
                            },
                        )
                        .await?;
                    // On an email ticket the reply names the customer's mails, so it
                    // threads in their mail client (`email_in`).
                    message.thread_references = self.reply_references(&mut *tx, ticket.id).await?;
                    Some(message)
                }
                ReplyRoute::Sms {
                    customer_id,
                    ref recipient,
                } => Some(
                    self.sms_message(customer_id, recipient.clone(), &body, related, false)
                        .map_err(as_body_error)?,
                ),
                ReplyRoute::Wechat {
                    customer_id,
                    ref recipient,
                } => Some(self.wechat_message(customer_id, recipient.clone(), &body, related)?),
                ReplyRoute::None => None,
            };
            if let Some(mut message) = message {
                message.created_by = Some(p.user_id).filter(|id| !id.is_nil());
                tx.enqueue(std::slice::from_ref(&message)).await?;
                message_id = Some(message.id);
                data["message_id"] = json!(message.id);
            }
            data["delivery"] = json!(route.channel());
            email_reply = matches!(route, ReplyRoute::Email { .. });
        }
        let event = TicketEvent {
            id: Uuid::now_v7(),
            ticket_id,
            at: now,
            actor_id: Some(p.user_id).filter(|id| !id.is_nil()),
            actor_name: p.display_name.clone(),
            kind: kind.as_str().into(),
            step: None,
            from_state: None,
            to_state: None,
            body: Some(body),
            data: Some(data.to_string()),
        };
        tx.insert_ticket_event(&event).await?;
        self.index_ticket_event(&mut *tx, &event).await?;
        // Every emailed reply is noted, so the customer's answer to it threads here.
        if let Some(outbox_id) = message_id.filter(|_| email_reply) {
            self.record_email_reply(&mut *tx, &ticket, outbox_id, event.id)
                .await?;
        }
        if kind == MessageKind::Reply {
            self.publish_reply_sent(&mut *tx, &ticket, event.id, message_id.is_some(), p.user_id)
                .await?;
        }
        let posted = PostedMessage {
            event,
            message_id,
            stopped_clock,
        };
        self.keep_once(&mut *tx, p, once, &posted).await?;
        tx.commit().await?;
        Ok(Once::Done(posted))
    }

    /// Turns an open inquiry into a complaint: same number and history, now in the complaint
    /// workflow from `received` (to be triaged, then assigned: any group set for the inquiry
    /// is cleared). Recorded on the timeline and in the audit log.
    pub async fn convert_to_complaint(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        reason: Option<&str>,
    ) -> Result<Ticket, AppError> {
        p.require(Permission::WorkTickets)?;
        let mut fields = Vec::new();
        let reason = crate::check_optional_text(&mut fields, "reason", reason, 500, Lines::Many);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let reason = reason.as_deref();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        if ticket.kind != TicketKind::Inquiry {
            return Err(AppError::Conflict {
                code: "not_an_inquiry",
                message: format!(
                    "only an inquiry can become a complaint; this ticket is a {}",
                    ticket.kind.as_str()
                ),
                field: None,
            });
        }
        if !ticket.state.is_open() {
            return Err(AppError::Conflict {
                code: "ticket_closed",
                message: "the inquiry is closed; reopen it first".into(),
                field: None,
            });
        }
        let from_state = ticket.state;
        let previous_group = ticket.group_id;
        ticket.kind = TicketKind::Complaint;
        ticket.state = State::Received;
        ticket.group_id = None;
        ticket.assignee_id = None;
        ticket.updated_at = now;
        ticket.version += 1;
        if !tx.update_ticket(&ticket).await? {
            return Err(AppError::Conflict {
                code: "concurrent_update",
                message: "the ticket was changed by someone else; reload and try again".into(),
                field: None,
            });
        }
        self.classify_ticket(&mut *tx, &ticket).await?;
        let converted = TicketEvent {
            id: Uuid::now_v7(),
            ticket_id,
            at: now,
            actor_id: Some(p.user_id).filter(|id| !id.is_nil()),
            actor_name: p.display_name.clone(),
            kind: "converted".into(),
            step: None,
            from_state: Some(from_state.as_str().into()),
            to_state: Some(State::Received.as_str().into()),
            body: reason.map(str::to_string),
            data: Some(
                json!({ "from_kind": "inquiry", "to_kind": "complaint", "previous_group_id": previous_group })
                    .to_string(),
            ),
        };
        tx.insert_ticket_event(&converted).await?;
        self.index_ticket_event(&mut *tx, &converted).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::TicketConvert,
            "ticket",
            Some(ticket_id.to_string()),
            json!({ "number": ticket.number, "from_kind": "inquiry", "to_kind": "complaint", "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    pub async fn list_reply_templates(
        &self,
        p: &Principal,
    ) -> Result<Vec<ReplyTemplate>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_reply_templates().await?)
    }

    pub async fn get_reply_template(
        &self,
        p: &Principal,
        id: Uuid,
    ) -> Result<ReplyTemplate, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        tx.get_reply_template(id)
            .await?
            .ok_or(AppError::NotFound("reply template"))
    }

    fn check_reply_template(input: &ReplyTemplateInput) -> Result<(), AppError> {
        let mut fields = Vec::new();
        let key = input.key.trim();
        if key.is_empty()
            || key.len() > 30
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            fields.push(FieldError::new(
                "key",
                "invalid",
                "key must be 1 to 30 characters of a-z, 0-9 and _",
            ));
        }
        if !REPLY_LOCALES.contains(&input.locale.as_str()) {
            fields.push(FieldError::new(
                "locale",
                "unknown",
                "locale must be zh-CN or en",
            ));
        }
        if !REPLY_CATEGORIES.contains(&input.category.as_str()) {
            fields.push(FieldError::new(
                "category",
                "unknown",
                "category must be greeting, closing or answer",
            ));
        }
        check_text(&mut fields, "title", &input.title, 80, Lines::One);
        check_text(&mut fields, "body", &input.body, 4_000, Lines::Many);
        if !(0..=9999).contains(&input.position) {
            fields.push(FieldError::new(
                "position",
                "range",
                "position must be between 0 and 9999",
            ));
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(fields))
        }
    }

    pub async fn create_reply_template(
        &self,
        p: &Principal,
        input: ReplyTemplateInput,
    ) -> Result<ReplyTemplate, AppError> {
        p.require(Permission::ManageDesk)?;
        Self::check_reply_template(&input)?;
        let now = self.now();
        let template = ReplyTemplate {
            id: Uuid::now_v7(),
            key: input.key.trim().into(),
            locale: input.locale,
            category: input.category,
            title: input.title.trim().into(),
            body: input.body.trim().into(),
            position: input.position,
            updated_by: Some(p.user_id).filter(|id| !id.is_nil()),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_reply_template(&template).await.on_duplicate(
            "duplicate",
            Some("key"),
            KEY_TAKEN,
        )?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::ReplyTemplateCreate,
            "reply_template",
            Some(template.id.to_string()),
            json!({ "key": template.key, "locale": template.locale }),
        )
        .await?;
        tx.commit().await?;
        Ok(template)
    }

    pub async fn update_reply_template(
        &self,
        p: &Principal,
        id: Uuid,
        input: ReplyTemplateInput,
    ) -> Result<ReplyTemplate, AppError> {
        p.require(Permission::ManageDesk)?;
        Self::check_reply_template(&input)?;
        let mut tx = self.store.write().await?;
        let old = tx
            .get_reply_template(id)
            .await?
            .ok_or(AppError::NotFound("reply template"))?;
        let template = ReplyTemplate {
            id,
            key: input.key.trim().into(),
            locale: input.locale,
            category: input.category,
            title: input.title.trim().into(),
            body: input.body.trim().into(),
            position: input.position,
            updated_by: Some(p.user_id).filter(|id| !id.is_nil()),
            created_at: old.created_at,
            updated_at: self.now(),
        };
        if !tx.update_reply_template(&template).await.on_duplicate(
            "duplicate",
            Some("key"),
            KEY_TAKEN,
        )? {
            return Err(AppError::NotFound("reply template"));
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::ReplyTemplateUpdate,
            "reply_template",
            Some(id.to_string()),
            json!({ "key": template.key, "locale": template.locale }),
        )
        .await?;
        tx.commit().await?;
        Ok(template)
    }

    pub async fn delete_reply_template(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Permission::ManageDesk)?;
        let mut tx = self.store.write().await?;
        if !tx.delete_reply_template(id).await? {
            return Err(AppError::NotFound("reply template"));
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::ReplyTemplateDelete,
            "reply_template",
            Some(id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Installs the SOP's reply templates in both languages when the organisation has none
    /// yet (so templates it deleted stay deleted), keeping any key that exists. Returns how
    /// many were added.
    pub async fn install_default_reply_templates(&self) -> Result<usize, AppError> {
        let now = self.now();
        let mut tx = self.store.write_seeding().await?;
        if !tx.list_reply_templates().await?.is_empty() {
            return Ok(0);
        }
        let mut added = 0;
        for (i, (key, category, zh_title, zh_body, en_title, en_body)) in
            DEFAULT_REPLIES.iter().enumerate()
        {
            for (locale, title, body) in [("zh-CN", zh_title, zh_body), ("en", en_title, en_body)] {
                let inserted = tx
                    .insert_reply_template_if_absent(&ReplyTemplate {
                        id: Uuid::now_v7(),
                        key: (*key).into(),
                        locale: locale.into(),
                        category: (*category).into(),
                        title: (*title).into(),
                        body: (*body).into(),
                        position: (i as i32 + 1) * 10,
                        updated_by: None,
                        created_at: now,
                        updated_at: now,
                    })
                    .await?;
                added += usize::from(inserted);
            }
        }
        tx.commit().await?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_with_or_without_spaces() {
        assert_eq!(
            fill_reply(
                "{{ customer }}您好，工单 {{number}}，{{ unknown }}",
                &[("customer", "张伟"), ("number", "TS0000001")]
            ),
            "张伟您好，工单 TS0000001，{{ unknown }}"
        );
    }

    #[test]
    fn every_default_reply_exists_in_both_languages_with_valid_fields() {
        for (key, category, zh_title, zh_body, en_title, en_body) in DEFAULT_REPLIES {
            for (locale, title, body) in [("zh-CN", zh_title, zh_body), ("en", en_title, en_body)] {
                App::check_reply_template(&ReplyTemplateInput {
                    key: key.to_string(),
                    locale: locale.into(),
                    category: category.to_string(),
                    title: title.to_string(),
                    body: body.to_string(),
                    position: 10,
                })
                .unwrap();
            }
        }
        let categories: std::collections::HashSet<_> =
            DEFAULT_REPLIES.iter().map(|r| r.1).collect();
        assert_eq!(categories.len(), 3, "greeting, closing and answers");
    }
}
