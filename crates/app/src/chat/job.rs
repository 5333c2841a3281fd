//! `chat.unanswered`: at the first-response deadline of a chat, a chat still waiting becomes
//! a ticket (channel chat, the transcript as its description, the visitor's customer) and
//! the visitor is told in the chat, with the ticket's number. A chat answered or ended by
//! then is left alone. Exactly once across nodes, as every job.

use super::{Author, ChatState};
use crate::desk::NewTicket;
use crate::jobs::JobHandler;
use crate::{App, AppError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tripdesk_domain::chat as rules;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_store::Tx;
use uuid::Uuid;

/// The job of one chat's deadline.
pub struct ChatUnanswered;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnansweredPayload {
    pub chat_id: Uuid,
}

#[async_trait]
impl JobHandler for ChatUnanswered {
    const KIND: &'static str = "chat.unanswered";
    type Payload = UnansweredPayload;

    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        payload: UnansweredPayload,
    ) -> Result<(), AppError> {
        let Some(mut chat) = tx.get_chat(payload.chat_id).await? else {
            return Ok(());
        };
        if !rules::becomes_ticket(chat.state) {
            return Ok(());
        }
        let customer = tx.get_customer(chat.customer_id).await?;
        let name = customer.map(|c| c.name).unwrap_or_default();
        let transcript = app.transcript(tx, &chat).await?;
        let system = App::console_principal();
        let input = NewTicket {
            kind: TicketKind::Inquiry,
            channel: Channel::Chat,
            level: Some(Level::General),
            subject: "在线咨询未及时接待，请回电".into(),
            description: transcript,
            customer_name: if name.trim().is_empty() {
                "—".into()
            } else {
                name
            },
            customer_phone: None,
            customer_email: None,
            customer_id: Some(chat.customer_id),
            booking_ref: None,
            business_area: None,
            tags: vec!["在线咨询".into()],
        };
        let ticket = app
            .insert_new_ticket(
                tx,
                &system,
                input,
                Level::General,
                Some(chat.customer_id),
                None,
            )
            .await?
            .ticket;
        let expected = chat.version;
        chat.state = ChatState::Ticketed;
        chat.ticket_id = Some(ticket.id);
        chat.ended_at = Some(app.now());
        chat.version += 1;
        if !tx.update_chat(&chat, expected).await? {
            return Err(AppError::Internal(
                "the chat changed while it became a ticket".into(),
            ));
        }
        let told = format!(
            "抱歉，客服暂时都在忙。我们已为您登记工单 {}，客服会尽快按您留下的电话联系您。",
            ticket.number
        );
        app.append_line(tx, &mut chat, Author::System, None, &told)
            .await?;
        Ok(())
    }
}

impl App {
    /// The chat's messages as text, oldest first (the ticket's description): `visitor:`,
    /// `agent:` lines with their times.
    async fn transcript(
        &self,
        tx: &mut dyn Tx,
        chat: &tripdesk_store::Chat,
    ) -> Result<String, AppError> {
        let lines = self.chat_lines(tx, chat.id, 0).await?;
        let mut out = String::from("在线咨询记录：\n");
        for l in lines.iter().filter(|l| !l.text.is_empty()) {
            let who = match l.author {
                Author::Visitor => "访客",
                Author::Agent => "客服",
                Author::System => "系统",
            };
            let at =
                l.at.to_zoned(tripdesk_domain::calendar::china_time_zone())
                    .strftime("%H:%M");
            out.push_str(&format!("[{at}] {who}：{}\n", l.text));
        }
        Ok(out.chars().take(4_000).collect())
    }
}
