//! The WeChat official account (微信公众号) message push, as WeChat documents it:
//!
//! - [`signature`]: the URL signature (SHA-1 of the sorted token, timestamp and nonce) and, in
//!   safe mode, the message signature (the same with the encrypted text), compared in
//!   constant time;
//! - [`crypt`]: safe mode (安全模式): the EncodingAESKey, AES-256-CBC with WeChat's PKCS#7
//!   padding to 32-byte blocks, and the plaintext frame (16 random bytes, a big-endian length,
//!   the message, the AppID);
//! - [`message`]: the pushed XML messages (text, image, voice, events) read into types, and
//!   oversized or malformed input refused;
//! - [`Account`]: the three together as an endpoint uses them.
//!
//! Pure: no I/O, no clock and no randomness of its own (the caller passes the 16 random bytes
//! of an encrypted reply), so every path is testable with WeChat's published sample values.
//!
//! An OpenID identifies a person: [`message::OpenId`] never prints itself, and no error here
//! carries a value taken from a message.

pub mod crypt;
pub mod message;
pub mod signature;

mod account;

pub use account::{Account, PushQuery};
pub use crypt::SafeMode;
pub use message::{Event, Inbound, InboundKind, OpenId};

/// Why a push, a key or a message was refused. No variant carries text from the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    #[error("the signature does not match")]
    BadSignature,
    #[error("the EncodingAESKey must be 43 base64 characters")]
    BadKey,
    #[error("the encrypted text is not base64")]
    BadBase64,
    #[error("the encrypted text is not a whole number of 32-byte blocks")]
    BadCiphertextLength,
    #[error("the decrypted text has bad padding")]
    BadPadding,
    #[error("the decrypted text is shorter than its length field says")]
    Truncated,
    #[error("the message was encrypted for another AppID")]
    WrongAppId,
    #[error("the message is not UTF-8")]
    NotUtf8,
    #[error("the message is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the XML is malformed near byte {at}")]
    MalformedXml { at: u64 },
    #[error("the XML has a document type declaration")]
    DocType,
    #[error("the XML nests deeper than {limit} elements")]
    TooDeep { limit: usize },
    #[error("the XML has more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("the XML's root element is not <xml>")]
    NotWechatXml,
    #[error("the field {0} is missing")]
    MissingField(&'static str),
    #[error("the field {0} is not valid")]
    BadField(&'static str),
    #[error("the push is encrypted but this account has no EncodingAESKey")]
    NoKey,
}
