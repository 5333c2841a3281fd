//! Reading one mail as the desk needs it (pure): who sent it, the Message-IDs it names, its
//! text (an HTML-only mail reduced to text by mail-parser, never kept as HTML), its files,
//! the ticket number in its subject, and whether it is an automatic mail that must never be
//! answered.

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Why a mail is automatic (recorded, never answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`, out-of-office.
    AutoReply,
    /// A delivery report (`multipart/report`) or a mail from MAILER-DAEMON / postmaster.
    Bounce,
    /// `Precedence: bulk | junk | list | auto_reply`.
    Bulk,
}

impl AutoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoKind::AutoReply => "auto_reply",
            AutoKind::Bounce => "bounce",
            AutoKind::Bulk => "bulk",
        }
    }
}

/// A file carried by a mail.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// One mail as the desk reads it.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// With its angle brackets; made from the mail's SHA-256 when it has none.
    pub message_id: String,
    /// In-Reply-To then References, each with angle brackets, without repeats.
    pub refers_to: Vec<String>,
    /// The sender's address, lower-cased.
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub auto: Option<AutoKind>,
    pub files: Vec<MailFile>,
}

const MAX_TEXT: usize = 10_000;

/// Characters a stored text may not hold: controls other than line breaks and tabs, and the
/// invisible format characters the desk's text rules refuse.
fn clean(s: &str, lines: bool) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let out: String = s
        .chars()
        .map(|c| {
            if !lines && (c == '\n' || c == '\t') {
                ' '
            } else {
                c
            }
        })
        .filter(|&c| {
            (c == '\n' || c == '\t' || !c.is_control())
                && !tripdesk_domain::text::is_invisible(c)
                && !tripdesk_domain::text::is_bidi_control(c)
        })
        .collect();
    out.trim().to_string()
}

fn bracket(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

/// Reads a mail; `None` when the bytes are not a mail at all.
pub fn parse_mail(raw: &[u8]) -> Option<ParsedMail> {
    let msg = MessageParser::default().parse(raw)?;
    let message_id = match msg.message_id() {
        Some(id) if !id.trim().is_empty() => bracket(id),
        _ => {
            let digest = Sha256::digest(raw);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("<{hex}@no-message-id.tripdesk.invalid>")
        }
    };
    let mut refers_to: Vec<String> = Vec::new();
    for h in [msg.in_reply_to(), msg.references()] {
        let ids: Vec<String> = match h.as_text_list() {
            Some(list) => list.iter().map(|s| s.to_string()).collect(),
            None => h.as_text().map(|s| vec![s.to_string()]).unwrap_or_default(),
        };
        for id in ids {
            let id = bracket(&id);
            if id.len() > 2 && !refers_to.contains(&id) && refers_to.len() < 100 {
                refers_to.push(id);
            }
        }
    }
    let sender = msg.from().and_then(|a| a.first());
    let from = sender
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty());
    let from_name = sender
        .and_then(|a| a.name())
        .map(|n| clean(n, false))
        .filter(|n| !n.is_empty());
    let subject = clean(msg.subject().unwrap_or_default(), false)
        .chars()
        .take(200)
        .collect();
    let text: String = clean(&msg.body_text(0).unwrap_or_default(), true)
        .chars()
        .take(MAX_TEXT)
        .collect();
    let auto = auto_kind(&msg, from.as_deref());
    let files = msg
        .attachments()
        .filter_map(|part| {
            let name = part.attachment_name()?.to_string();
            let ct = part.content_type()?;
            let content_type = match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            }
            .to_ascii_lowercase();
            Some(MailFile {
                name,
                content_type,
                content: part.contents().to_vec(),
            })
        })
        .collect();
    Some(ParsedMail {
        message_id,
        refers_to,
        from,
        from_name,
        subject,
        text,
        auto,
        files,
    })
}

/// RFC 3834 and the de-facto headers auto-responders and mail servers write.
fn auto_kind(msg: &mail_parser::Message<'_>, from: Option<&str>) -> Option<AutoKind> {
    let raw = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let report = msg.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let local = from
        .and_then(|f| f.split('@').next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if report || local == "mailer-daemon" || local == "postmaster" {
        return Some(AutoKind::Bounce);
    }
    if raw("auto-submitted").is_some_and(|v| !v.starts_with("no"))
        || raw("x-autoreply").is_some()
        || raw("x-autorespond").is_some()
        || raw("x-auto-response-suppress").is_some_and(|v| v.contains("all") || v.contains("oof"))
    {
        return Some(AutoKind::AutoReply);
    }
    if let Some(p) = raw("precedence") {
        if ["bulk", "junk", "list", "auto_reply"].contains(&p.as_str()) {
            return Some(if p == "auto_reply" {
                AutoKind::AutoReply
            } else {
                AutoKind::Bulk
            });
        }
    }
    None
}

/// The ticket number a subject carries as `[TS0001001]`, upper-cased.
pub fn ticket_token(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find(']') {
            let inner = after[..close].trim();
            if inner.len() > 2
                && inner.len() <= 20
                && inner[..2].eq_ignore_ascii_case("TS")
                && inner[2..].chars().all(|c| c.is_ascii_digit())
            {
                return Some(inner.to_ascii_uppercase());
            }
            rest = &after[close + 1..];
        } else {
            break;
        }
    }
    None
}

/// The outbox message id in a Message-ID tripdesk gave (`<uuid@domain>`).
pub fn outbox_id_of(message_id: &str) -> Option<uuid::Uuid> {
    let inner = message_id.trim().trim_start_matches('<');
    let local = inner.split('@').next()?;
    uuid::Uuid::parse_str(local).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_chinese_reply_and_its_threading() {
        let raw = "From: =?UTF-8?B?5byg5LiJ?= <Zhang.San@Example.cn>\r\nTo: support@agency.cn\r\nSubject: =?UTF-8?B?UmU6IFtUUzAwMDEwMDFdIOmFkuW6lw==?=\r\nMessage-ID: <abc@example.cn>\r\nIn-Reply-To: <0193f0c4-0000-7000-8000-000000000001@agency.cn>\r\nReferences: <first@example.cn> <0193f0c4-0000-7000-8000-000000000001@agency.cn>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>酒店<b>很好</b></p><script>x()</script>\r\n";
        let m = parse_mail(raw.as_bytes()).unwrap();
        assert_eq!(m.message_id, "<abc@example.cn>");
        assert_eq!(m.from.as_deref(), Some("zhang.san@example.cn"));
        assert_eq!(m.from_name.as_deref(), Some("张三"));
        assert_eq!(ticket_token(&m.subject).as_deref(), Some("TS0001001"));
        assert_eq!(m.refers_to.len(), 2);
        assert!(outbox_id_of(&m.refers_to[0]).is_some());
        assert!(
            m.text.contains("酒店") && !m.text.contains('<'),
            "{}",
            m.text
        );
        assert_eq!(m.auto, None);
    }

    #[test]
    fn recognises_automatic_mail() {
        let with = |h: &str| {
            parse_mail(format!("From: a@b.cn\r\n{h}\r\nSubject: x\r\n\r\nbody\r\n").as_bytes())
                .unwrap()
                .auto
        };
        assert_eq!(
            with("Auto-Submitted: auto-replied"),
            Some(AutoKind::AutoReply)
        );
        assert_eq!(with("Auto-Submitted: no"), None);
        assert_eq!(with("Precedence: bulk"), Some(AutoKind::Bulk));
        assert_eq!(with("X-Autoreply: yes"), Some(AutoKind::AutoReply));
        let bounce =
            parse_mail(b"From: MAILER-DAEMON@mx.cn\r\nSubject: failure\r\n\r\nx\r\n").unwrap();
        assert_eq!(bounce.auto, Some(AutoKind::Bounce));
        let report = parse_mail(
            b"From: a@b.cn\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n",
        )
        .unwrap();
        assert_eq!(report.auto, Some(AutoKind::Bounce));
        assert_eq!(
            ticket_token("Re: 订单 [ts0000042] 问题"),
            Some("TS0000042".into())
        );
        assert_eq!(ticket_token("[TSX] [abc]"), None);
    }
}
