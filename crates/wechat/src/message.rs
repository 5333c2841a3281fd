//! The XML WeChat pushes: `<xml><ToUserName>…</ToUserName>…</xml>`, one level of fields whose
//! text may be CDATA. Read with quick-xml's pull parser: no DTD is read (a `<!DOCTYPE` is
//! refused), entities are only XML's five and character references, and the size, depth and
//! number of elements are bounded before anything is kept.

use std::fmt;

use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

use crate::WechatError;

/// The largest pushed document read (WeChat's messages are a few KiB; text is at most 2,048
/// bytes).
pub const MAX_XML: usize = 64 * 1024;
/// `<xml>`, its fields, and two more levels inside a field (some events carry small lists,
/// such as `SendPicsInfo/PicList/item`; their inner text is not kept).
pub const MAX_DEPTH: usize = 5;
pub const MAX_ELEMENTS: usize = 512;

/// The top-level fields of a WeChat XML document, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &'static str) -> Result<&str, WechatError> {
        self.get(name).ok_or(WechatError::MissingField(name))
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// Reads the fields of `<xml>…</xml>`, refusing what WeChat never sends.
pub fn parse_fields(xml: &str) -> Result<Fields, WechatError> {
    if xml.len() > MAX_XML {
        return Err(WechatError::TooLarge { limit: MAX_XML });
    }
    let mut reader = Reader::from_str(xml);
    let mut fields = Fields::default();
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut root_done = false;
    // The field being read.
    let mut current: Option<Field> = None;
    let malformed = |reader: &Reader<&[u8]>| WechatError::MalformedXml {
        at: reader.buffer_position(),
    };
    loop {
        let event = reader.read_event().map_err(|_| WechatError::MalformedXml {
            at: reader.error_position(),
        })?;
        match event {
            XmlEvent::Start(start) => {
                start_element(
                    start.name().as_ref(),
                    depth,
                    &mut current,
                    root_done,
                    &reader,
                )?;
                count(&mut elements)?;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(WechatError::TooDeep { limit: MAX_DEPTH });
                }
            }
            XmlEvent::Empty(start) => {
                // `<a/>`: a start and an end at once.
                start_element(
                    start.name().as_ref(),
                    depth,
                    &mut current,
                    root_done,
                    &reader,
                )?;
                count(&mut elements)?;
                end_element(depth, &mut current, &mut fields, &mut root_done, &reader)?;
            }
            XmlEvent::End(_) => {
                depth -= 1;
                end_element(depth, &mut current, &mut fields, &mut root_done, &reader)?;
            }
            XmlEvent::Text(text) => {
                push_text(
                    depth,
                    &mut current,
                    Piece::Text,
                    &text.xml10_content(),
                    &reader,
                )?;
            }
            XmlEvent::CData(text) => {
                push_text(
                    depth,
                    &mut current,
                    Piece::CData,
                    &text.xml10_content(),
                    &reader,
                )?;
            }
            XmlEvent::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&reference)
                        .ok_or_else(|| malformed(&reader))?
                        .to_owned(),
                    Err(_) => return Err(malformed(&reader)),
                };
                push_text(depth, &mut current, Piece::Text, &resolved, &reader)?;
            }
            XmlEvent::DocType(_) => return Err(WechatError::DocType),
            XmlEvent::Decl(_) | XmlEvent::Comment(_) | XmlEvent::PI(_) => {}
            XmlEvent::Eof => break,
        }
    }
    if depth != 0 || !root_done {
        return Err(malformed(&reader));
    }
    Ok(fields)
}

fn count(elements: &mut usize) -> Result<(), WechatError> {
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(WechatError::TooManyElements {
            limit: MAX_ELEMENTS,
        });
    }
    Ok(())
}

fn start_element(
    name: &str,
    depth: usize,
    current: &mut Option<Field>,
    root_done: bool,
    reader: &Reader<&[u8]>,
) -> Result<(), WechatError> {
    match depth {
        0 if root_done => {
            return Err(WechatError::MalformedXml {
                at: reader.buffer_position(),
            })
        }
        0 if name != "xml" => return Err(WechatError::NotWechatXml),
        1 => {
            *current = Some(Field {
                name: name.to_owned(),
                pieces: Vec::new(),
            })
        }
        _ => {}
    }
    Ok(())
}

fn end_element(
    depth: usize,
    current: &mut Option<Field>,
    fields: &mut Fields,
    root_done: &mut bool,
    reader: &Reader<&[u8]>,
) -> Result<(), WechatError> {
    match depth {
        0 => *root_done = true,
        1 => {
            let Field { name, pieces } = current.take().expect("a field was started at depth 1");
            // Whitespace around a CDATA section is layout (`<A>\n  <![CDATA[x]]>\n</A>`);
            // without CDATA the text is kept as written.
            let has_cdata = pieces.iter().any(|(kind, _)| *kind == Piece::CData);
            let text: String = pieces
                .iter()
                .filter(|(kind, text)| {
                    !has_cdata || *kind == Piece::CData || !text.trim().is_empty()
                })
                .map(|(_, text)| text.as_str())
                .collect();
            if fields.get(&name).is_some() {
                // The same field twice: which one counts would be a guess.
                return Err(WechatError::MalformedXml {
                    at: reader.buffer_position(),
                });
            }
            fields.0.push((name, text));
        }
        _ => {}
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Text,
    CData,
}

struct Field {
    name: String,
    pieces: Vec<(Piece, String)>,
}

fn push_text(
    depth: usize,
    current: &mut Option<Field>,
    kind: Piece,
    text: &str,
    reader: &Reader<&[u8]>,
) -> Result<(), WechatError> {
    match (depth, current) {
        (2, Some(field)) => field.pieces.push((kind, text.to_owned())),
        // Text directly inside <xml>, or deeper inside a field: not kept.
        (1, _) | (3.., _) => {}
        // Only whitespace may stand outside the root element.
        _ if text.trim().is_empty() => {}
        _ => {
            return Err(WechatError::MalformedXml {
                at: reader.buffer_position(),
            })
        }
    }
    Ok(())
}

/// A WeChat user's OpenID for this account: it identifies a person, so it never prints itself
/// (`Debug` shows a placeholder and there is no `Display`); store it through the vault's blind
/// index and encryption like a phone number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OpenId(String);

impl OpenId {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the vault and for the customer-service message API.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpenId(<redacted>)")
    }
}

/// A message or event pushed to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// `ToUserName`: the account's original ID (`gh_…`).
    pub account: String,
    /// `FromUserName`: the sender.
    pub from: OpenId,
    /// `CreateTime`: seconds since the Unix epoch.
    pub created_at: i64,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundKind {
    Text {
        msg_id: u64,
        content: String,
    },
    Image {
        msg_id: u64,
        media_id: String,
        pic_url: String,
    },
    Voice {
        msg_id: u64,
        media_id: String,
        /// `amr`, `speex`…
        format: String,
        /// WeChat's speech recognition, when the account has it switched on.
        recognition: Option<String>,
    },
    Event(Event),
    /// Video, location, link…: kept by type, so the conversation shows that something came.
    Other {
        msg_type: String,
        msg_id: Option<u64>,
    },
}

impl InboundKind {
    /// WeChat's `MsgId`, by which a message retried by WeChat is recognised (events have none).
    pub fn msg_id(&self) -> Option<u64> {
        match self {
            Self::Text { msg_id, .. } | Self::Image { msg_id, .. } | Self::Voice { msg_id, .. } => {
                Some(*msg_id)
            }
            Self::Other { msg_id, .. } => *msg_id,
            Self::Event(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Followed the account; `scene` is the QR code's scene (the `EventKey` after `qrscene_`)
    /// when the follow came through one.
    Subscribe {
        scene: Option<String>,
    },
    Unsubscribe,
    /// A follower scanned a parametric QR code.
    Scan {
        key: String,
    },
    /// A menu button.
    Click {
        key: String,
    },
    /// A menu link.
    View {
        url: String,
    },
    Other {
        event: String,
        key: Option<String>,
    },
}

/// Reads a pushed message (plaintext mode's body, or safe mode's decrypted text).
pub fn parse_message(xml: &str) -> Result<Inbound, WechatError> {
    let fields = parse_fields(xml)?;
    let account = fields.required("ToUserName")?.trim().to_owned();
    let from = fields.required("FromUserName")?.trim();
    if from.is_empty() {
        return Err(WechatError::BadField("FromUserName"));
    }
    let from = OpenId::new(from);
    let created_at = fields
        .required("CreateTime")?
        .trim()
        .parse::<i64>()
        .map_err(|_| WechatError::BadField("CreateTime"))?;
    let msg_id = || -> Result<u64, WechatError> {
        fields
            .required("MsgId")?
            .trim()
            .parse()
            .map_err(|_| WechatError::BadField("MsgId"))
    };
    let kind = match fields.required("MsgType")?.trim() {
        "text" => InboundKind::Text {
            msg_id: msg_id()?,
            content: fields.required("Content")?.to_owned(),
        },
        "image" => InboundKind::Image {
            msg_id: msg_id()?,
            media_id: fields.required("MediaId")?.to_owned(),
            pic_url: fields.required("PicUrl")?.to_owned(),
        },
        "voice" => InboundKind::Voice {
            msg_id: msg_id()?,
            media_id: fields.required("MediaId")?.to_owned(),
            format: fields.required("Format")?.to_owned(),
            recognition: fields.optional("Recognition"),
        },
        "event" => InboundKind::Event(parse_event(&fields)?),
        "" => return Err(WechatError::BadField("MsgType")),
        other => InboundKind::Other {
            msg_type: other.to_owned(),
            msg_id: fields.get("MsgId").map(|_| msg_id()).transpose()?,
        },
    };
    Ok(Inbound {
        account,
        from,
        created_at,
        kind,
    })
}

fn parse_event(fields: &Fields) -> Result<Event, WechatError> {
    let event = fields.required("Event")?.trim();
    let key = fields.optional("EventKey");
    // WeChat writes `subscribe`/`unsubscribe` in lower case and `CLICK`/`VIEW`/`SCAN` in upper.
    Ok(match event.to_ascii_lowercase().as_str() {
        "subscribe" => Event::Subscribe {
            scene: key.map(|k| k.strip_prefix("qrscene_").map(str::to_owned).unwrap_or(k)),
        },
        "unsubscribe" => Event::Unsubscribe,
        "scan" => Event::Scan {
            key: key.ok_or(WechatError::MissingField("EventKey"))?,
        },
        "click" => Event::Click {
            key: key.ok_or(WechatError::MissingField("EventKey"))?,
        },
        "view" => Event::View {
            url: key.ok_or(WechatError::MissingField("EventKey"))?,
        },
        "" => return Err(WechatError::BadField("Event")),
        _ => Event::Other {
            event: event.to_owned(),
            key,
        },
    })
}

#[cfg(test)]
mod tests;
