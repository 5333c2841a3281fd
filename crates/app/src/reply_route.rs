//! Where an agent's reply to a customer goes (issue 17 items 4 and 5): one dispatch, by the
//! channel the customer last wrote on in this ticket (`MessagingRepo::ticket_last_inbound`:
//! their mails, SMS and WeChat messages), every way through the outbox.
//!
//! - **wechat**: a customer-service message to the follower while WeChat's 48-hour window
//!   since their last message is open. Closed (or WeChat sending not configured): the reply
//!   goes by SMS, else email, when the customer has them — the agent sees the channel on the
//!   timeline and the window on the ticket page; with neither it is refused (409
//!   `wechat_window_closed`, naming when the window closed), since a reply nobody can receive
//!   must not look sent.
//! - **sms**: an SMS to the customer's primary phone (`sms_recipient`: no number in the
//!   outbox), else email.
//! - **email**, or nothing heard on the ticket yet: email when the customer has an address
//!   (as before), else nothing is sent (`delivery` = `none`: a note of what was said by phone).

use crate::wechat::{wechat_recipient, WechatWindow};
use crate::{App, AppError};
use tripdesk_store::{Ticket, Tx};
use uuid::Uuid;

/// How a reply leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyRoute {
    Email {
        to: String,
    },
    Sms {
        customer_id: Uuid,
        recipient: String,
    },
    Wechat {
        customer_id: Uuid,
        recipient: String,
    },
    None,
}

impl ReplyRoute {
    /// The `delivery` recorded on the reply's timeline entry.
    pub fn channel(&self) -> &'static str {
        match self {
            ReplyRoute::Email { .. } => "email",
            ReplyRoute::Sms { .. } => "sms",
            ReplyRoute::Wechat { .. } => "wechat",
            ReplyRoute::None => "none",
        }
    }
}

impl App {
    /// The route of a reply on `ticket` now (see the module).
    pub(crate) async fn reply_route(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
    ) -> Result<ReplyRoute, AppError> {
        let Some(customer) = ticket.customer_id else {
            return Ok(ReplyRoute::None);
        };
        let wrote_on = tx
            .ticket_last_inbound(ticket.id)
            .await?
            .map(|l| l.channel)
            .unwrap_or_else(|| "email".into());
        let mut closed: Option<WechatWindow> = None;
        if wrote_on == "wechat" {
            if let Some((window, user)) = self.wechat_window_of(tx, customer).await? {
                if window.open && self.settings.notify.wechat {
                    return Ok(ReplyRoute::Wechat {
                        customer_id: customer,
                        recipient: wechat_recipient(&user),
                    });
                }
                if !window.open {
                    closed = Some(window);
                }
            }
        }
        if matches!(wrote_on.as_str(), "wechat" | "sms") && self.settings.notify.sms {
            if let Some(recipient) = self.primary_phone_recipient(tx, customer).await? {
                return Ok(ReplyRoute::Sms {
                    customer_id: customer,
                    recipient,
                });
            }
        }
        if let Some(to) = self.customer_email(tx, Some(customer)).await? {
            return Ok(ReplyRoute::Email { to });
        }
        if let Some(window) = closed {
            return Err(AppError::Conflict {
                code: "wechat_window_closed",
                message: format!(
                    "WeChat lets the account reply only within 48 hours of the customer's last \
                     message; this customer's window closed at {} and they have no phone or \
                     email to answer by instead",
                    window.closes_at
                ),
                field: Some("body".into()),
            });
        }
        Ok(ReplyRoute::None)
    }
}
