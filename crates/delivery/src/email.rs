//! Email over SMTP with lettre: implicit TLS (`smtps://`), STARTTLS (`smtp://…?tls=required`)
//! or plain SMTP on a trusted network (`smtp://host:port`), with authentication from the URL's
//! user and password. Subjects and names in Chinese are written as RFC 2047 encoded words,
//! bodies as UTF-8 (quoted-printable or base64, whichever is shorter); an HTML body goes with
//! its plain-text alternative; attachments make the message multipart/mixed. Connections are
//! pooled and shared by the workers.

use crate::channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
use async_trait::async_trait;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

/// The header that carries the outbox message id (receivers and tests de-duplicate on it).
pub const MESSAGE_ID_HEADER: &str = "X-Tripdesk-Message-Id";

/// The Message-ID tripdesk gives the email carrying outbox message `id`: `<id@domain>`, the
/// domain of `smtp_from`. Inbound threading finds the outbox id back from its local part.
pub fn message_id(id: uuid::Uuid, domain: &str) -> String {
    format!("<{id}@{domain}>")
}

/// The email channel.
pub struct EmailChannel {
    transport: Transport,
    from: Mailbox,
    domain: String,
}

/// How connections are made. lettre's own pool writes a message's body and its final
/// `.` in two writes on a socket with Nagle's algorithm on, so each message waits for the
/// server's delayed ACK (40 ms on Linux): 25 messages per second per connection. For
/// `smtp://` (plain and STARTTLS) we open the sockets ourselves with `TCP_NODELAY` and pool
/// the connections; `smtps://` (TLS from the first byte) uses lettre's pool.
enum Transport {
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
    Direct(DirectPool),
}

struct DirectPool {
    host: String,
    port: u16,
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    max_idle: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl DirectPool {
    fn parse(url: &str, connections: u32) -> Option<Self> {
        let u = url::Url::parse(url).ok()?;
        if u.scheme() != "smtp" {
            return None;
        }
        let host = u.host_str()?.to_string();
        let tls = u
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let (port, starttls) = match tls.as_deref() {
            None => (u.port().unwrap_or(25), None),
            Some("required") => (
                u.port().unwrap_or(587),
                Some(TlsParameters::new(host.clone()).ok()?),
            ),
            Some(_) => return None,
        };
        let decode = percent_decode;
        let credentials = u
            .password()
            .map(|p| Credentials::new(decode(u.username()), decode(p)));
        let hello = if u.path().len() > 1 {
            ClientId::Domain(u.path().trim_matches('/').to_string())
        } else {
            ClientId::default()
        };
        Some(Self {
            host,
            port,
            starttls,
            credentials,
            hello,
            max_idle: connections.max(1) as usize,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| SendError::Connect("connecting to the SMTP server timed out".into()))?
        .map_err(|e| {
            SendError::Connect(format!("cannot connect to the SMTP server: {}", e.kind()))
        })?;
        stream
            .set_nodelay(true)
            .map_err(|e| SendError::Connect(format!("socket: {}", e.kind())))?;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        if let Some(tls) = &self.starttls {
            conn.starttls(tls.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }

    async fn send(&self, email: Message) -> Result<Response, SendError> {
        let envelope = email.envelope().clone();
        let bytes = email.formatted();
        let reused = self.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
        let mut conn = match reused {
            // A connection idle for a while may have been closed by the server: check it
            // with NOOP before handing it a message.
            Some((mut c, since)) if since.elapsed() > Duration::from_secs(5) => {
                if c.test_connected().await {
                    c
                } else {
                    c.abort().await;
                    self.connect().await?
                }
            }
            Some((c, _)) => c,
            None => self.connect().await?,
        };
        match conn.send(&envelope, &bytes).await {
            Ok(response) => {
                if let Ok(mut idle) = self.idle.lock() {
                    if idle.len() < self.max_idle {
                        idle.push((conn, Instant::now()));
                    }
                }
                Ok(response)
            }
            Err(e) => {
                conn.abort().await;
                Err(SendError::Smtp(e))
            }
        }
    }
}

enum SendError {
    Smtp(lettre::transport::smtp::Error),
    Connect(String),
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SendError::Smtp(e)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl EmailChannel {
    /// `url`: `smtp://host:port`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`. `from`: `service@example.com` or `山海客服 <service@example.com>`.
    /// Errors never repeat the URL (it may hold a password).
    pub fn new(url: &str, from: &str, connections: u32) -> Result<Self, String> {
        let from: Mailbox = from.parse().map_err(|_| {
            "smtp_from is not an address like 客服 <service@example.com>".to_string()
        })?;
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err("smtp_url must start with smtp:// or smtps://".into());
        }
        let invalid = || {
            "smtp_url is not a valid SMTP URL (smtp://host:port, smtps://user:pass@host:465, \
             smtp://user:pass@host:587?tls=required)"
                .to_string()
        };
        let transport = if url.starts_with("smtp://") {
            Transport::Direct(DirectPool::parse(url, connections).ok_or_else(invalid)?)
        } else {
            Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| invalid())?
                    .timeout(Some(Duration::from_secs(30)))
                    .pool_config(
                        PoolConfig::new()
                            .max_size(connections.max(1))
                            .idle_timeout(Duration::from_secs(60)),
                    )
                    .build(),
            )
        };
        let domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// The MIME message for an outbox row (public for tests and previews).
    pub fn build(&self, outgoing: &Outgoing) -> Result<Message, ChannelError> {
        let m = &outgoing.message;
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|_| ChannelError::permanent("the recipient is not a valid email address"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(message_id(m.id, &self.domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(MESSAGE_ID_HEADER),
                m.id.to_string(),
            ));
        // A reply on an email ticket names the customer's mails it answers, so their mail
        // client threads it (RFC 5322 3.6.4): References all of them, In-Reply-To the last.
        if let Some(refs) = m.thread_references.as_deref().map(str::trim) {
            if let Some(last) = refs.split_whitespace().last() {
                builder = builder
                    .in_reply_to(last.to_string())
                    .references(refs.to_string());
            }
        }
        let text = SinglePart::plain(m.body_text.clone());
        let content: MultiPartOrSingle = match &m.body_html {
            Some(html) => MultiPartOrSingle::Multi(MultiPart::alternative_plain_html(
                m.body_text.clone(),
                html.clone(),
            )),
            None => MultiPartOrSingle::Single(text),
        };
        let result = if outgoing.attachments.is_empty() {
            match content {
                MultiPartOrSingle::Multi(mp) => builder.multipart(mp),
                MultiPartOrSingle::Single(sp) => builder.singlepart(sp),
            }
        } else {
            let mut mixed = match content {
                MultiPartOrSingle::Multi(mp) => MultiPart::mixed().multipart(mp),
                MultiPartOrSingle::Single(sp) => MultiPart::mixed().singlepart(sp),
            };
            for a in &outgoing.attachments {
                let content_type = ContentType::parse(&a.content_type)
                    .unwrap_or(ContentType::parse("application/octet-stream").expect("static"));
                mixed = mixed.singlepart(
                    Attachment::new(a.filename.clone()).body(a.content.clone(), content_type),
                );
            }
            builder.multipart(mixed)
        };
        result.map_err(|e| ChannelError::permanent(format!("cannot build the email: {e}")))
    }
}

enum MultiPartOrSingle {
    Multi(MultiPart),
    Single(SinglePart),
}

fn cut(s: &str) -> String {
    s.chars().take(300).collect()
}

#[async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &'static str {
        "email"
    }

    fn carries_attachments(&self) -> bool {
        true
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError> {
        let email = self.build(outgoing)?;
        let sent = match &self.transport {
            Transport::Lettre(t) => t.send(email).await.map_err(SendError::Smtp),
            Transport::Direct(pool) => pool.send(email).await,
        };
        match sent {
            Ok(response) => Ok(DeliveryReceipt(cut(&format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )))),
            Err(SendError::Smtp(e)) if e.is_permanent() => {
                Err(ChannelError::permanent(cut(&e.to_string())))
            }
            Err(SendError::Smtp(e)) => Err(ChannelError::retry(cut(&e.to_string()))),
            Err(SendError::Connect(e)) => Err(ChannelError::retry(e)),
        }
    }
}
