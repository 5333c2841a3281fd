//! The WeChat official account's pushes as conversations (issue 17 item 4): each message or
//! event kept once (WeChat retries a push three times: a message by its `MsgId`, an event by
//! its sender, time and name), the sender's OpenID only as a blind index and sealed by the
//! vault (`wechat_users`), matched to a customer — created at their first push, named
//! `微信用户` and a few characters of the OpenID's keyed hash, never of the OpenID.
//!
//! A text, picture or voice message threads into the customer's newest open ticket that a
//! WeChat message went to (a `customer_wechat` timeline entry, `data.channel` = `wechat`);
//! without one it opens a ticket: an inquiry on channel `social` (社交媒体/微信) with that
//! channel's first-response clock. Events (subscribe, unsubscribe, menu clicks) are recorded
//! and open nothing. A picture's or voice's MediaId is kept sealed; the media itself is not
//! fetched (that needs the access token and WeChat keeps media three days).

use crate::customers::NewCustomer;
use crate::desk::NewTicket;
use crate::{App, AppError, Principal};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_store::{TicketEvent, Tx, WechatMessage, WechatUser};
use tripdesk_wechat::{Event, Inbound, InboundKind};
use uuid::Uuid;

/// The vault field a follower's OpenID is sealed under (for the `wechat_users` row id).
pub const OPENID_FIELD: &str = "wechat_users.openid";
/// The blind-index kind of OpenIDs.
pub const OPENID_INDEX: &str = "wechat_openid";
/// The vault field a message's text or MediaId is sealed under (for its row id).
pub const BODY_FIELD: &str = "wechat_messages.body";
/// The blind-index kind of an event's dedupe key.
const EVENT_INDEX: &str = "wechat_event";
/// The longest subject a WeChat text gives a new ticket.
const SUBJECT_CHARS: usize = 60;

/// What taking one push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatOutcome {
    /// A new ticket.
    Opened { ticket_id: Uuid },
    /// Added to the timeline of the customer's open WeChat ticket.
    Threaded { ticket_id: Uuid },
    /// An event (or a message of a kind the desk does not show): recorded only.
    Recorded,
    /// Taken before (WeChat's retry).
    Repeated,
}

impl WechatOutcome {
    pub fn ticket_id(&self) -> Option<Uuid> {
        match self {
            Self::Opened { ticket_id } | Self::Threaded { ticket_id } => Some(*ticket_id),
            _ => None,
        }
    }
}

/// What a push shows on the timeline: the text, or a placeholder for media; the sealed body
/// (text or MediaId); the stored type and detail.
struct Shown {
    text: Option<String>,
    sealed: Option<String>,
    msg_type: &'static str,
    detail: Option<String>,
}

fn shown(kind: &InboundKind) -> Shown {
    match kind {
        InboundKind::Text { content, .. } => Shown {
            text: Some(content.trim().to_string()),
            sealed: Some(content.clone()),
            msg_type: "text",
            detail: None,
        },
        InboundKind::Image { media_id, .. } => Shown {
            text: Some("[图片 picture]".into()),
            sealed: Some(media_id.clone()),
            msg_type: "image",
            detail: None,
        },
        InboundKind::Voice {
            media_id,
            format,
            recognition,
            ..
        } => Shown {
            text: Some(match recognition.as_deref().map(str::trim) {
                Some(r) if !r.is_empty() => format!("[语音 voice] {r}"),
                _ => "[语音 voice]".into(),
            }),
            sealed: Some(media_id.clone()),
            msg_type: "voice",
            detail: Some(format.chars().take(20).collect()),
        },
        InboundKind::Event(e) => Shown {
            text: None,
            sealed: None,
            msg_type: "event",
            detail: Some(
                match e {
                    Event::Subscribe { .. } => "subscribe",
                    Event::Unsubscribe => "unsubscribe",
                    Event::Scan { .. } => "SCAN",
                    Event::Click { .. } => "CLICK",
                    Event::View { .. } => "VIEW",
                    Event::Other { event, .. } => event.as_str(),
                }
                .chars()
                .take(40)
                .collect(),
            ),
        },
        InboundKind::Other { msg_type, .. } => Shown {
            text: None,
            sealed: None,
            msg_type: "other",
            detail: Some(msg_type.chars().take(40).collect()),
        },
    }
}

impl App {
    /// Who takes WeChat messages into the desk (no account, no role).
    pub fn wechat_intake_principal() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "wechat".into(),
            display_name: "微信".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: crate::auth::Credential::Console,
        }
    }

    /// Takes one authenticated push into the desk in its own transaction (see the module).
    pub async fn take_wechat_push(&self, push: &Inbound) -> Result<WechatOutcome, AppError> {
        let vault = self.vault()?;
        let openid = push.from.expose();
        let shown = shown(&push.kind);
        let dedupe_key = match push.kind.msg_id() {
            Some(id) => format!("msg:{id}"),
            None => format!(
                "evt:{}",
                vault.blind_index(
                    EVENT_INDEX,
                    &format!(
                        "{openid}|{}|{}",
                        push.created_at,
                        shown.detail.as_deref().unwrap_or("")
                    )
                )
            ),
        };
        let mut tx = self.store.write().await?;
        if tx.wechat_message_exists(&dedupe_key).await? {
            return Ok(WechatOutcome::Repeated);
        }
        let now = self.now();
        let user = self.wechat_user(&mut *tx, openid).await?;
        let sent_at = jiff::Timestamp::from_second(push.created_at).unwrap_or(now);
        let mut ticket_id = None;
        let mut event_id = None;
        let mut outcome = WechatOutcome::Recorded;
        match (&push.kind, &shown.text) {
            (InboundKind::Event(Event::Subscribe { .. }), _) => {
                tx.set_wechat_subscribed(user.id, true, now).await?;
            }
            (InboundKind::Event(Event::Unsubscribe), _) => {
                tx.set_wechat_subscribed(user.id, false, now).await?;
            }
            (_, Some(text)) => {
                let (ticket, event) = self
                    .wechat_thread(&mut *tx, &user, text, shown.msg_type)
                    .await?;
                ticket_id = Some(ticket);
                event_id = event;
                outcome = match event {
                    Some(_) => WechatOutcome::Threaded { ticket_id: ticket },
                    None => WechatOutcome::Opened { ticket_id: ticket },
                };
            }
            _ => {}
        }
        let id = Uuid::now_v7();
        let stored = tx
            .insert_wechat_message(&WechatMessage {
                id,
                dedupe_key,
                user_id: user.id,
                customer_id: user.customer_id,
                ticket_id,
                event_id,
                msg_type: shown.msg_type.into(),
                detail: shown.detail,
                sealed_body: shown
                    .sealed
                    .map(|b| vault.encrypt(BODY_FIELD, &id.to_string(), &b).into_string()),
                sent_at,
                received_at: now,
            })
            .await?;
        if !stored {
            // Taken meanwhile by a retry on another connection: this one changes nothing.
            return Ok(WechatOutcome::Repeated);
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// The follower with this OpenID, else a new one with a new customer.
    async fn wechat_user(&self, tx: &mut dyn Tx, openid: &str) -> Result<WechatUser, AppError> {
        let vault = self.vault()?;
        let key = vault.blind_index(OPENID_INDEX, openid);
        if let Some(user) = tx.find_wechat_user(&key).await? {
            return Ok(user);
        }
        let p = Self::wechat_intake_principal();
        let prepared = self
            .prepare_customer(&NewCustomer {
                name: format!("微信用户 {}", &key[..6.min(key.len())]),
                source_channel: Some("wechat".into()),
                preferred_channel: Some("wechat".into()),
                ..Default::default()
            })
            .map_err(AppError::Validation)?;
        let customer = self
            .insert_prepared(tx, &p, prepared, AuditAction::CustomerCreateAtIntake)
            .await?
            .detail
            .customer
            .id;
        let now = self.now();
        let id = Uuid::now_v7();
        let user = WechatUser {
            id,
            openid_key: key,
            openid_sealed: vault
                .encrypt(OPENID_FIELD, &id.to_string(), openid)
                .into_string(),
            customer_id: customer,
            subscribed: true,
            created_at: now,
            updated_at: now,
        };
        if !tx.insert_wechat_user(&user).await? {
            return Err(AppError::Conflict {
                code: "concurrent_update",
                message: "the follower was stored meanwhile; WeChat sends the push again".into(),
                field: None,
            });
        }
        Ok(user)
    }

    /// Threads a message into the customer's open WeChat ticket (returning the timeline
    /// entry), or opens one (no entry: the description holds the first message).
    async fn wechat_thread(
        &self,
        tx: &mut dyn Tx,
        user: &WechatUser,
        text: &str,
        msg_type: &str,
    ) -> Result<(Uuid, Option<Uuid>), AppError> {
        let p = Self::wechat_intake_principal();
        let customer_name = tx
            .get_customer(user.customer_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_else(|| "微信用户".into());
        let text = if text.is_empty() { "(空)" } else { text };
        if let Some(ticket_id) = tx.open_wechat_ticket(user.customer_id).await? {
            let event = self
                .customer_message_event(
                    tx,
                    ticket_id,
                    &customer_name,
                    "customer_wechat",
                    text,
                    json!({"channel": "wechat", "msg_type": msg_type}),
                )
                .await?;
            return Ok((ticket_id, Some(event)));
        }
        let detail = self
            .insert_new_ticket(
                tx,
                &p,
                NewTicket {
                    kind: TicketKind::Inquiry,
                    channel: Channel::Social,
                    level: None,
                    subject: subject_of("微信", text),
                    description: text.to_string(),
                    customer_name: customer_name.chars().take(80).collect(),
                    customer_phone: None,
                    customer_email: None,
                    customer_id: Some(user.customer_id),
                    booking_ref: None,
                    business_area: None,
                    tags: Vec::new(),
                },
                Level::General,
                Some(user.customer_id),
                None,
            )
            .await?;
        Ok((detail.ticket.id, None))
    }

    /// A customer's message on a ticket's timeline (`customer_wechat`, `customer_sms`), as
    /// `customer_email` is kept: indexed for search, its channel in `data`.
    pub(crate) async fn customer_message_event(
        &self,
        tx: &mut dyn Tx,
        ticket_id: Uuid,
        customer_name: &str,
        kind: &str,
        text: &str,
        data: serde_json::Value,
    ) -> Result<Uuid, AppError> {
        let event = TicketEvent {
            id: Uuid::now_v7(),
            ticket_id,
            at: self.now(),
            actor_id: None,
            actor_name: customer_name.chars().take(80).collect(),
            kind: kind.into(),
            step: None,
            from_state: None,
            to_state: None,
            body: Some(text.to_string()),
            data: Some(data.to_string()),
        };
        tx.insert_ticket_event(&event).await?;
        self.index_ticket_event(tx, &event).await?;
        Ok(event.id)
    }
}

/// A new ticket's subject from a message: `<channel>：` and its first line, shortened.
pub(crate) fn subject_of(channel: &str, text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut subject: String = line.trim().chars().take(SUBJECT_CHARS).collect();
    if line.trim().chars().count() > SUBJECT_CHARS {
        subject.push('…');
    }
    format!("{channel}：{subject}")
}
