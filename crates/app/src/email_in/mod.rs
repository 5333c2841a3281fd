//! Email by IMAP (issue 17 item 1): the mailboxes an administrator configures, each mail
//! taken once into the desk — a new ticket on channel `email` (with its first-response
//! clock), or threaded into the ticket it answers by In-Reply-To / References against the
//! Message-IDs stored for the ticket's mails (the customer's and the replies tripdesk sent),
//! else by the ticket number in the subject (`[TS0001001]`) when the sender is that ticket's
//! customer — and the threading headers of an agent's reply.
//!
//! Automatic mail (auto-replies, out-of-office, bounces, bulk) is recorded on the ticket it
//! answers and never answered, never opens a ticket: the loop protection. Polling is a job
//! (`imap`): a sweep each minute queues one poll per enabled mailbox.

pub mod idle;
pub mod imap;
pub mod parse;

use crate::customers::IntakeCustomer;
use crate::desk::NewTicket;
use crate::page::Page;
use crate::{App, AppError, FieldError, Principal};
use parse::{outbox_id_of, parse_mail, ticket_token, ParsedMail};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{Channel, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{EmailMailbox, EmailMessageRecord, TicketEvent, Tx};
use uuid::Uuid;

/// The vault field a mailbox's password is sealed under (for its row id).
pub const MAILBOX_PASSWORD_FIELD: &str = "email_mailboxes.password";
/// The vault field a stored Message-ID is sealed under (for its row id).
pub const MESSAGE_ID_FIELD: &str = "email_messages.message_id";
/// The blind-index kind of Message-IDs.
pub const MESSAGE_ID_INDEX: &str = "email_message_id";

/// A mailbox as an administrator enters it.
#[derive(Debug, Clone, Default)]
pub struct MailboxInput {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub password: String,
    /// `INBOX` when empty.
    pub folder: String,
}

/// What taking one mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// A new ticket.
    Opened { ticket_id: Uuid },
    /// Added to the timeline of the ticket it answers (`auto`: an automatic mail, recorded
    /// and never answered).
    Threaded {
        ticket_id: Uuid,
        auto: Option<&'static str>,
    },
    /// Its Message-ID was taken already.
    Repeated,
    /// Not taken: an automatic mail answering nothing of ours, no sender, not a mail.
    Ignored(&'static str),
}

impl MailOutcome {
    pub fn ticket_id(&self) -> Option<Uuid> {
        match self {
            MailOutcome::Opened { ticket_id } | MailOutcome::Threaded { ticket_id, .. } => {
                Some(*ticket_id)
            }
            _ => None,
        }
    }
}

impl App {
    /// Who takes mail into the desk (no account, no role).
    pub fn email_intake_principal() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "email".into(),
            display_name: "邮件".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: crate::auth::Credential::Console,
        }
    }

    /// Adds a mailbox (needs `manage_settings`); its password sealed, polling on.
    pub async fn create_mailbox(
        &self,
        p: &Principal,
        input: MailboxInput,
    ) -> Result<EmailMailbox, AppError> {
        p.require(Permission::ManageSettings)?;
        let vault = self.vault()?;
        let mut fields = Vec::new();
        let one_line = |fields: &mut Vec<FieldError>, name: &'static str, v: &str, max| {
            match tripdesk_domain::text::single_line(v, max) {
                Ok(v) => v,
                Err(e) => {
                    fields.push(FieldError::new(name, e.code(), format!("{name}: {e}")));
                    String::new()
                }
            }
        };
        let name = one_line(&mut fields, "name", &input.name, 80);
        let host = one_line(&mut fields, "host", &input.host, 253);
        if host.contains(char::is_whitespace) || host.contains('/') {
            fields.push(FieldError::new(
                "host",
                "invalid",
                "host is a name or an address",
            ));
        }
        let username = one_line(&mut fields, "username", &input.username, 200);
        let folder = if input.folder.trim().is_empty() {
            "INBOX".to_string()
        } else {
            one_line(&mut fields, "folder", &input.folder, 200)
        };
        if input.port == 0 {
            fields.push(FieldError::new("port", "invalid", "port is 1 to 65535"));
        }
        if input.password.is_empty() || input.password.len() > 500 {
            fields.push(FieldError::new("password", "required", "give the password"));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let now = self.now();
        let id = Uuid::now_v7();
        let mailbox = EmailMailbox {
            id,
            name,
            host,
            port: input.port,
            tls: input.tls,
            username,
            password_sealed: vault
                .encrypt(MAILBOX_PASSWORD_FIELD, &id.to_string(), &input.password)
                .into_string(),
            folder,
            enabled: true,
            uid_validity: None,
            last_uid: 0,
            last_poll_at: None,
            last_error: None,
            taken_total: 0,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_mailbox(&mailbox).await.map_err(|e| match e {
            tripdesk_store::StoreError::Duplicate { .. } => {
                AppError::field("name", "taken", "a mailbox has this name")
            }
            other => other.into(),
        })?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::MailboxCreate,
            "mailbox",
            Some(id.to_string()),
            json!({"name": mailbox.name, "host": mailbox.host, "port": mailbox.port,
                   "tls": mailbox.tls, "username": mailbox.username, "folder": mailbox.folder}),
        )
        .await?;
        tx.commit().await?;
        Ok(mailbox)
    }

    /// The mailboxes, by name (needs `manage_settings`).
    pub async fn list_mailboxes(
        &self,
        p: &Principal,
        limit: u32,
        offset: u32,
    ) -> Result<Page<EmailMailbox>, AppError> {
        p.require(Permission::ManageSettings)?;
        let mut tx = self.store.read().await?;
        let rows = tx
            .list_mailboxes(Page::<EmailMailbox>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// One mailbox (needs `manage_settings`).
    pub async fn get_mailbox(&self, p: &Principal, id: Uuid) -> Result<EmailMailbox, AppError> {
        p.require(Permission::ManageSettings)?;
        let mut tx = self.store.read().await?;
        tx.get_mailbox(id)
            .await?
            .ok_or(AppError::NotFound("mailbox"))
    }

    /// Turns a mailbox's polling on or off (needs `manage_settings`).
    pub async fn set_mailbox_enabled(
        &self,
        p: &Principal,
        id: Uuid,
        enabled: bool,
    ) -> Result<EmailMailbox, AppError> {
        p.require(Permission::ManageSettings)?;
        let mut tx = self.store.write().await?;
        if !tx.set_mailbox_enabled(id, enabled, self.now()).await? {
            return Err(AppError::NotFound("mailbox"));
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::MailboxEnable,
            "mailbox",
            Some(id.to_string()),
            json!({ "enabled": enabled }),
        )
        .await?;
        let mailbox = tx
            .get_mailbox(id)
            .await?
            .ok_or(AppError::NotFound("mailbox"))?;
        tx.commit().await?;
        Ok(mailbox)
    }

    /// Takes mails into the desk in one transaction (what a poll does with what it read,
    /// and the benchmark's path): one outcome per mail, in order.
    pub async fn take_emails(
        &self,
        mailbox_id: Option<Uuid>,
        raws: &[Vec<u8>],
    ) -> Result<Vec<MailOutcome>, AppError> {
        let mut tx = self.store.write().await?;
        let mut out = Vec::with_capacity(raws.len());
        for raw in raws {
            out.push(self.take_email_in(&mut *tx, mailbox_id, raw).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Takes one mail in the caller's transaction.
    pub(crate) async fn take_email_in(
        &self,
        tx: &mut dyn Tx,
        mailbox_id: Option<Uuid>,
        raw: &[u8],
    ) -> Result<MailOutcome, AppError> {
        let Some(mail) = parse_mail(raw) else {
            return Ok(MailOutcome::Ignored("not_a_mail"));
        };
        let vault = self.vault()?;
        let key = vault.blind_index(MESSAGE_ID_INDEX, &mail.message_id);
        if !tx
            .find_email_messages(std::slice::from_ref(&key), &[])
            .await?
            .is_empty()
        {
            return Ok(MailOutcome::Repeated);
        }
        let p = Self::email_intake_principal();
        let thread = self.thread_of(tx, &mail).await?;
        let auto = mail.auto.map(|a| a.as_str());
        // An answer to a closed ticket opens a new one that names it (a closed ticket is off
        // every queue: a message added to it would wait unseen); an automatic mail about a
        // closed ticket is dropped.
        let (thread, answers_closed) = match thread {
            Some(t) if t.state == tripdesk_domain::desk::State::Closed => (None, Some(t)),
            other => (other, None),
        };
        let (ticket, opened) = match thread {
            Some(t) => (t, false),
            None if auto.is_some() => return Ok(MailOutcome::Ignored("automatic")),
            None => {
                let Some(from) = mail.from.clone() else {
                    return Ok(MailOutcome::Ignored("no_sender"));
                };
                let customer_id = match self.email_customer(tx, &p, &mail, &from).await? {
                    Some(id) => Some(id),
                    None => answers_closed.as_ref().and_then(|t| t.customer_id),
                };
                let subject = if mail.subject.is_empty() {
                    "(无主题)".to_string()
                } else {
                    mail.subject.clone()
                };
                let mut description = if mail.text.is_empty() {
                    "(无正文)".to_string()
                } else {
                    mail.text.clone()
                };
                if let Some(closed) = &answers_closed {
                    description = format!(
                        "（客户回复了已关闭的工单 {}）\n\n{description}",
                        closed.number
                    );
                }
                let detail = self
                    .insert_new_ticket(
                        tx,
                        &p,
                        NewTicket {
                            kind: TicketKind::Inquiry,
                            channel: Channel::Email,
                            level: None,
                            subject,
                            description,
                            customer_name: mail
                                .from_name
                                .clone()
                                .unwrap_or_else(|| from.split('@').next().unwrap_or("").into())
                                .chars()
                                .take(80)
                                .collect(),
                            customer_phone: None,
                            customer_email: Some(from),
                            customer_id,
                            booking_ref: None,
                            business_area: None,
                            tags: Vec::new(),
                        },
                        tripdesk_domain::desk::Level::General,
                        customer_id,
                        None,
                    )
                    .await?;
                (detail.ticket, true)
            }
        };
        // The text goes on the timeline as the desk keeps a message (the ticket's
        // description holds a new ticket's first one).
        let event_id = if opened {
            None
        } else {
            let event = TicketEvent {
                id: Uuid::now_v7(),
                ticket_id: ticket.id,
                at: self.now(),
                actor_id: None,
                actor_name: mail
                    .from_name
                    .clone()
                    .unwrap_or_else(|| ticket.customer_name.clone()),
                kind: "customer_email".into(),
                step: None,
                from_state: None,
                to_state: None,
                body: Some(if mail.text.is_empty() {
                    mail.subject.clone()
                } else {
                    mail.text.clone()
                }),
                data: Some(
                    json!({"channel": "email", "auto": auto, "subject": mail.subject,
                           "files": mail.files.len()})
                    .to_string(),
                ),
            };
            tx.insert_ticket_event(&event).await?;
            self.index_ticket_event(tx, &event).await?;
            Some(event.id)
        };
        let id = Uuid::now_v7();
        tx.insert_email_message(&EmailMessageRecord {
            id,
            direction: "in".into(),
            mailbox_id,
            message_key: key,
            message_sealed: vault
                .encrypt(MESSAGE_ID_FIELD, &id.to_string(), &mail.message_id)
                .into_string(),
            ticket_id: ticket.id,
            customer_id: ticket.customer_id,
            event_id,
            outbox_id: None,
            auto_kind: auto.map(str::to_string),
            at: self.now(),
        })
        .await?;
        for file in &mail.files {
            self.attach_mail_file(tx, &p, &ticket, file).await?;
        }
        Ok(if opened {
            MailOutcome::Opened {
                ticket_id: ticket.id,
            }
        } else {
            MailOutcome::Threaded {
                ticket_id: ticket.id,
                auto,
            }
        })
    }

    /// The ticket a mail answers: the newest stored mail it names (In-Reply-To,
    /// References: the customer's earlier mails, or a reply tripdesk sent, whose Message-ID
    /// carries its outbox id), else the ticket number in its subject when the sender is
    /// that ticket's customer.
    async fn thread_of(
        &self,
        tx: &mut dyn Tx,
        mail: &ParsedMail,
    ) -> Result<Option<tripdesk_store::Ticket>, AppError> {
        let vault = self.vault()?;
        if !mail.refers_to.is_empty() {
            let keys: Vec<String> = mail
                .refers_to
                .iter()
                .map(|r| vault.blind_index(MESSAGE_ID_INDEX, r))
                .collect();
            let outbox: Vec<Uuid> = mail
                .refers_to
                .iter()
                .filter_map(|r| outbox_id_of(r))
                .collect();
            let found = tx.find_email_messages(&keys, &outbox).await?;
            if let Some(m) = found.last() {
                return Ok(tx.get_ticket(m.ticket_id).await?);
            }
        }
        let (Some(number), Some(from)) = (ticket_token(&mail.subject), mail.from.as_deref()) else {
            return Ok(None);
        };
        let Some(ticket) = tx.get_ticket_by_number(&number).await? else {
            return Ok(None);
        };
        let Some(customer) = ticket.customer_id else {
            return Ok(None);
        };
        let blind = vault.blind_index("email", &normalise_email(from));
        let owners = tx.find_customers_by_identifier("email", &blind).await?;
        Ok(owners.contains(&customer).then_some(ticket))
    }

    /// The customer a sender is: found by the email blind index, else created (sealed).
    async fn email_customer(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        mail: &ParsedMail,
        from: &str,
    ) -> Result<Option<Uuid>, AppError> {
        let intake = IntakeCustomer {
            name: mail
                .from_name
                .clone()
                .unwrap_or_else(|| from.split('@').next().unwrap_or("").to_string())
                .chars()
                .take(80)
                .collect(),
            phone: None,
            email: Some(from.to_string()),
        };
        match self.prepare_intake_customer(&intake, Channel::Email.as_str()) {
            Ok(Some(prepared)) => Ok(Some(self.find_or_create_customer(tx, p, prepared).await?)),
            // An address the customer rules refuse: the ticket carries only the name.
            Ok(None) | Err(_) => Ok(None),
        }
    }

    /// The References an agent's reply on `ticket` carries (the ticket's mails, oldest
    /// first, at most 20), opened from the vault; `None` for a ticket with no mail.
    pub(crate) async fn reply_references(
        &self,
        tx: &mut dyn Tx,
        ticket_id: Uuid,
    ) -> Result<Option<String>, AppError> {
        let mails = tx.ticket_email_messages(ticket_id).await?;
        if mails.is_empty() {
            return Ok(None);
        }
        let vault = self.vault()?;
        let mut ids = Vec::new();
        for m in mails.iter().filter(|m| m.auto_kind.is_none()) {
            let id = vault
                .decrypt(MESSAGE_ID_FIELD, &m.id.to_string(), &m.message_sealed)
                .map_err(|e| AppError::Internal(format!("cannot open a Message-ID: {e}")))?;
            ids.push(id.expose_secret().clone());
        }
        let skip = ids.len().saturating_sub(20);
        Ok(Some(ids[skip..].join(" ")).filter(|s| !s.is_empty()))
    }

    /// Notes the reply carried by outbox message `outbox_id` among the ticket's mails, so
    /// the customer's answer to it threads here (its Message-ID is `<outbox id@domain>`).
    pub(crate) async fn record_email_reply(
        &self,
        tx: &mut dyn Tx,
        ticket: &tripdesk_store::Ticket,
        outbox_id: Uuid,
        event_id: Uuid,
    ) -> Result<(), AppError> {
        let vault = self.vault()?;
        let id = Uuid::now_v7();
        let marker = format!("<{outbox_id}@outbox>");
        tx.insert_email_message(&EmailMessageRecord {
            id,
            direction: "out".into(),
            mailbox_id: None,
            message_key: vault.blind_index(MESSAGE_ID_INDEX, &marker),
            message_sealed: vault
                .encrypt(MESSAGE_ID_FIELD, &id.to_string(), &marker)
                .into_string(),
            ticket_id: ticket.id,
            customer_id: ticket.customer_id,
            event_id: Some(event_id),
            outbox_id: Some(outbox_id),
            auto_kind: Some("ours".into()),
            at: self.now(),
        })
        .await?;
        Ok(())
    }
}

/// An address as the customers' email blind index holds it.
fn normalise_email(a: &str) -> String {
    tripdesk_domain::customer::Email::parse(a)
        .map(|e| e.lookup_key())
        .unwrap_or_else(|_| a.trim().to_lowercase())
}
