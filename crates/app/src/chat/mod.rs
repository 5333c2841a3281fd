//! Web chat (issue 17 item 2): a visitor of the agency's own site opens a chat with a name,
//! a phone and a first message (kept as the customer found by the phone's blind index, or a
//! new sealed one); the chat waits under the `first_response.chat` clock; the agent who
//! answers first holds it; either side writes until one ends it; a chat no one answers by the
//! clock's deadline becomes a ticket and the visitor is told (the `chat.unanswered` job).
//!
//! Every message is sealed by the vault for its id and numbered per chat by the store; each
//! write announces the chat's id on the after-commit signal (`Topic::Chat`), so the
//! WebSocket of the visitor and of every agent, on whichever node, reads what is new at once.
//! A state change also announces [`QUEUE_KEY`]: agents' queues reload.

mod demo;
mod job;
mod token;

pub use job::{ChatUnanswered, UnansweredPayload};
pub use token::{chat_token, verify_chat_token};

use crate::customers::{open_sealed, IntakeCustomer};
use crate::page::Page;
use crate::sla::{ClockAction, StartClock};
use crate::{check_text, App, AppError, FieldError, Lines, Principal};
use jiff::Timestamp;
use tripdesk_domain::chat::{self as rules, Author, ChatState, PostRefused, Posted};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Chat, ChatFilter, ChatListed, ChatMessage, SlaClockFilter, Tx};
use uuid::Uuid;

/// The SLA target of a chat's first answer.
pub const FIRST_RESPONSE_TARGET: &str = "first_response.chat";
/// The subject type of a chat's clock.
pub const CHAT_SUBJECT: &str = "chat";
pub use tripdesk_store::CHAT_QUEUE_KEY as QUEUE_KEY;
/// The vault field of a message's text.
pub(crate) const MESSAGE_FIELD: &str = "chat_message.text";
/// Messages read at once (a reconnecting client asks again from where it is).
pub const MESSAGES_AT_ONCE: u32 = 200;

/// What a visitor gives to open a chat.
#[derive(Debug, Clone, Default)]
pub struct StartChat {
    pub name: String,
    pub phone: String,
    pub message: String,
}

/// A chat just opened, with the visitor's token for its WebSocket.
#[derive(Debug, Clone)]
pub struct ChatStarted {
    pub chat: Chat,
    pub token: String,
}

/// A message as either side reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    pub seq: i64,
    pub author: Author,
    /// The text; empty once erased.
    pub text: String,
    pub at: Timestamp,
}

fn refused(e: PostRefused) -> AppError {
    let code = match e {
        PostRefused::Ended => "chat.ended",
        PostRefused::TakenByAnother => "chat.taken",
    };
    AppError::Conflict {
        code,
        message: e.to_string(),
        field: None,
    }
}

fn check_message(text: &str) -> Result<String, AppError> {
    let mut fields: Vec<FieldError> = Vec::new();
    let text = check_text(
        &mut fields,
        "message",
        text,
        rules::MAX_MESSAGE_CHARS,
        Lines::Many,
    );
    if fields.is_empty() {
        Ok(text.trim().to_string())
    } else {
        Err(AppError::Validation(fields))
    }
}

impl App {
    /// Opens a chat from the site's widget: the visitor's name and phone (a customer found
    /// by the phone or created sealed), the first message, the first-response clock and the
    /// job that turns the chat into a ticket when no one answers by its deadline. Limited per
    /// client address like the public form.
    pub async fn start_chat(
        &self,
        input: StartChat,
        client_ip: Option<&str>,
    ) -> Result<ChatStarted, AppError> {
        let keys = self.vault()?;
        let mut fields: Vec<FieldError> = Vec::new();
        let name = check_text(&mut fields, "name", &input.name, 40, Lines::One);
        let message = check_text(
            &mut fields,
            "message",
            &input.message,
            rules::MAX_MESSAGE_CHARS,
            Lines::Many,
        );
        if input.phone.trim().is_empty() {
            fields.push(FieldError::new(
                "phone",
                "required",
                "a phone number is required",
            ));
        }
        // The phone is checked whatever else is wrong, so every field is named at once (a
        // name refused above stands in as a placeholder here).
        let name_ok = !fields.iter().any(|f| f.field == "name");
        let customer = IntakeCustomer {
            name: if name_ok {
                name.clone()
            } else {
                "访客".into()
            },
            phone: Some(input.phone.clone()),
            email: None,
        };
        let prepared = if input.phone.trim().is_empty() {
            None
        } else {
            match self.prepare_intake_customer(&customer, "chat") {
                Ok(p) => p,
                Err(errors) => {
                    fields.extend(errors.into_iter().map(|mut f| {
                        f.field = f.field.trim_start_matches("customer.").to_string();
                        f
                    }));
                    None
                }
            }
        };
        let Some(prepared) = prepared.filter(|_| fields.is_empty()) else {
            return Err(AppError::Validation(fields));
        };
        let rate_keys: Vec<(String, u32)> = client_ip
            .map(|ip| {
                let h = keys.blind_index("client_ip", ip);
                (
                    format!("chat:ip:{}", &h[..32]),
                    self.settings.public_desk.per_ip,
                )
            })
            .into_iter()
            .chain([("chat:all".to_string(), self.settings.public_desk.total)])
            .collect();
        let p = Self::public_intake_principal();
        let now = self.now();
        let mut tx = self.store.write().await?;
        self.count_intake(&mut *tx, &rate_keys).await?;
        let customer_id = self.find_or_create_customer(&mut *tx, &p, prepared).await?;
        let mut chat = Chat {
            id: Uuid::now_v7(),
            customer_id,
            state: ChatState::Waiting,
            agent_id: None,
            ticket_id: None,
            started_at: now,
            due_at: None,
            answered_at: None,
            ended_at: None,
            last_seq: 0,
            last_at: now,
            version: 1,
        };
        chat.due_at = self.start_chat_clock(&mut *tx, &chat).await?;
        tx.insert_chat(&chat).await?;
        self.append_line(&mut *tx, &mut chat, Author::Visitor, None, &message)
            .await?;
        tx.commit().await?;
        tracing::info!(chat = %chat.id, "chat opened from the site");
        Ok(ChatStarted {
            token: chat_token(keys, chat.id),
            chat,
        })
    }

    /// Starts the first-response clock and the job that acts on its deadline; the deadline.
    async fn start_chat_clock(
        &self,
        tx: &mut dyn Tx,
        chat: &Chat,
    ) -> Result<Option<Timestamp>, AppError> {
        let Some(policy) = self
            .sla_policy(tx, FIRST_RESPONSE_TARGET)
            .await?
            .filter(|p| p.enabled)
        else {
            return Ok(None);
        };
        let req = StartClock {
            subject_type: CHAT_SUBJECT.into(),
            subject_id: chat.id.to_string(),
            target_key: FIRST_RESPONSE_TARGET.into(),
            channel: Some("chat".into()),
            department_id: None,
            agent_id: None,
        };
        let clock = self.start_clock_of(tx, req, &policy, false).await?;
        let payload = UnansweredPayload { chat_id: chat.id };
        self.enqueue_job::<ChatUnanswered>(
            tx,
            &payload,
            clock.clock.due_at(),
            Some(&format!("chat:{}", chat.id)),
        )
        .await?;
        Ok(Some(clock.clock.due_at()))
    }

    /// Stops the chat's first-response clock (met, or late), if it runs.
    async fn stop_chat_clock(&self, tx: &mut dyn Tx, chat: Uuid) -> Result<(), AppError> {
        let clocks = tx
            .list_sla_clocks(&SlaClockFilter {
                target_key: Some(FIRST_RESPONSE_TARGET.into()),
                subject_type: Some(CHAT_SUBJECT.into()),
                subject_id: Some(chat.to_string()),
                ..Default::default()
            })
            .await?;
        for c in clocks.iter().filter(|c| c.clock.stopped_at().is_none()) {
            self.sla_clock_action(&mut *tx, c.id, ClockAction::Stop)
                .await?;
        }
        Ok(())
    }

    /// Seals and appends one message; the chat's `last_seq` follows.
    pub(crate) async fn append_line(
        &self,
        tx: &mut dyn Tx,
        chat: &mut Chat,
        author: Author,
        agent: Option<Uuid>,
        text: &str,
    ) -> Result<i64, AppError> {
        let id = Uuid::now_v7();
        let m = ChatMessage {
            id,
            chat_id: chat.id,
            seq: 0,
            author,
            agent_id: agent,
            body_sealed: Some(
                self.vault()?
                    .encrypt(MESSAGE_FIELD, &id.to_string(), text)
                    .into_string(),
            ),
            at: self.now(),
        };
        let seq = tx
            .append_chat_message(&m)
            .await?
            .ok_or(AppError::NotFound("chat"))?;
        chat.last_seq = seq;
        chat.last_at = m.at;
        Ok(seq)
    }

    /// A message from the visitor holding `token`.
    pub async fn visitor_says(&self, token: &str, text: &str) -> Result<i64, AppError> {
        let chat_id = self.chat_of_token(token)?;
        let text = check_message(text)?;
        let mut tx = self.store.write().await?;
        let mut chat = tx
            .get_chat(chat_id)
            .await?
            .ok_or(AppError::NotFound("chat"))?;
        rules::post(chat.state, Author::Visitor, false).map_err(refused)?;
        let seq = self
            .append_line(&mut *tx, &mut chat, Author::Visitor, None, &text)
            .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// An agent's message: the first answer of a waiting chat makes it theirs and stops its
    /// clock; another agent's chat is refused (409 `chat.taken`).
    pub async fn agent_says(
        &self,
        p: &Principal,
        chat_id: Uuid,
        text: &str,
    ) -> Result<i64, AppError> {
        p.require(Permission::WorkTickets)?;
        let text = check_message(text)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut chat = tx
            .get_chat(chat_id)
            .await?
            .ok_or(AppError::NotFound("chat"))?;
        let holder = chat.agent_id == Some(p.user_id);
        if rules::post(chat.state, Author::Agent, holder).map_err(refused)? == Posted::Answered {
            let expected = chat.version;
            chat.state = ChatState::Active;
            chat.agent_id = Some(p.user_id);
            chat.answered_at = Some(now);
            chat.version += 1;
            if !tx.update_chat(&chat, expected).await? {
                return Err(AppError::Conflict {
                    code: "chat.taken",
                    message: "another agent answered this chat first".into(),
                    field: None,
                });
            }
            self.stop_chat_clock(&mut *tx, chat.id).await?;
        }
        let seq = self
            .append_line(&mut *tx, &mut chat, Author::Agent, Some(p.user_id), &text)
            .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Ends a chat: by the visitor (`p` is `None`) or an agent. A chat ended already stays
    /// as it is (409 `chat.ended`).
    pub async fn end_chat(
        &self,
        p: Option<&Principal>,
        token_or_id: Result<&str, Uuid>,
    ) -> Result<Chat, AppError> {
        let chat_id = match (p, token_or_id) {
            (None, Ok(token)) => self.chat_of_token(token)?,
            (Some(p), Err(id)) => {
                p.require(Permission::WorkTickets)?;
                id
            }
            _ => return Err(AppError::NotFound("chat")),
        };
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut chat = tx
            .get_chat(chat_id)
            .await?
            .ok_or(AppError::NotFound("chat"))?;
        if !rules::may_end(chat.state) {
            return Err(refused(PostRefused::Ended));
        }
        let expected = chat.version;
        chat.state = ChatState::Ended;
        chat.ended_at = Some(now);
        chat.version += 1;
        if !tx.update_chat(&chat, expected).await? {
            return Err(AppError::Conflict {
                code: "chat.changed",
                message: "the chat changed meanwhile; try again".into(),
                field: None,
            });
        }
        // A chat ended before anyone answered no longer waits: its clock no longer applies.
        let clocks = tx
            .list_sla_clocks(&SlaClockFilter {
                target_key: Some(FIRST_RESPONSE_TARGET.into()),
                subject_type: Some(CHAT_SUBJECT.into()),
                subject_id: Some(chat.id.to_string()),
                ..Default::default()
            })
            .await?;
        for c in &clocks {
            self.end_clock(&mut *tx, c).await?;
        }
        let who = if p.is_some() { "客服" } else { "访客" };
        self.append_line(
            &mut *tx,
            &mut chat,
            Author::System,
            None,
            &format!("{who}结束了对话。"),
        )
        .await?;
        tx.commit().await?;
        Ok(chat)
    }

    fn chat_of_token(&self, token: &str) -> Result<Uuid, AppError> {
        verify_chat_token(self.vault()?, token).ok_or(AppError::NotFound("chat"))
    }

    /// The chat a visitor's token names, and its messages after `after_seq`.
    pub async fn visitor_chat(
        &self,
        token: &str,
        after_seq: i64,
    ) -> Result<(Chat, Vec<ChatLine>), AppError> {
        let id = self.chat_of_token(token)?;
        self.read_chat(id, after_seq).await
    }

    /// A chat and its messages after `after_seq`, for staff.
    pub async fn chat_for_agent(
        &self,
        p: &Principal,
        id: Uuid,
        after_seq: i64,
    ) -> Result<(Chat, Vec<ChatLine>), AppError> {
        p.require(Permission::ViewDesk)?;
        self.read_chat(id, after_seq).await
    }

    async fn read_chat(&self, id: Uuid, after_seq: i64) -> Result<(Chat, Vec<ChatLine>), AppError> {
        let mut r = self.store.read().await?;
        let chat = r.get_chat(id).await?.ok_or(AppError::NotFound("chat"))?;
        let lines = self.chat_lines(&mut *r, id, after_seq).await?;
        Ok((chat, lines))
    }

    /// A chat's messages after `after_seq`, opened (an erased text is empty).
    pub(crate) async fn chat_lines(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
        after_seq: i64,
    ) -> Result<Vec<ChatLine>, AppError> {
        let messages = tx
            .list_chat_messages(id, after_seq, MESSAGES_AT_ONCE)
            .await?;
        let vault = self.vault()?;
        messages
            .into_iter()
            .map(|m| {
                let text = match &m.body_sealed {
                    Some(s) => open_sealed(vault, MESSAGE_FIELD, m.id, s)?
                        .expose_secret()
                        .clone(),
                    None => String::new(),
                };
                Ok(ChatLine {
                    seq: m.seq,
                    author: m.author,
                    text,
                    at: m.at,
                })
            })
            .collect()
    }

    /// Chats for the agents' page: the waiting ones (longest first), or an agent's own.
    pub async fn list_chats(
        &self,
        p: &Principal,
        filter: &ChatFilter,
        limit: u32,
        offset: u64,
    ) -> Result<(Page<ChatListed>, u64), AppError> {
        p.require(Permission::ViewDesk)?;
        let mut r = self.store.read().await?;
        let rows = r
            .list_chats(filter, Page::<ChatListed>::fetch_limit(limit), offset)
            .await?;
        let total = r.count_chats(filter).await?;
        Ok((Page::of(rows, limit), total))
    }
}
