//! One official account's push endpoint: its Token and, for safe mode, its EncodingAESKey and
//! AppID; what the HTTP layer calls for a URL verification, a push, and an encrypted reply.

use std::fmt;

use crate::message::{parse_fields, parse_message, Inbound};
use crate::{crypt::SafeMode, signature, WechatError};

/// The query string WeChat puts on a push: `signature`, `timestamp`, `nonce`, and in safe or
/// compatible mode `encrypt_type=aes` and `msg_signature`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushQuery<'a> {
    pub signature: Option<&'a str>,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub encrypt_type: Option<&'a str>,
    pub msg_signature: Option<&'a str>,
}

#[derive(Clone)]
pub struct Account {
    token: String,
    safe: Option<SafeMode>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("token", &"<redacted>")
            .field("safe", &self.safe)
            .finish()
    }
}

impl Account {
    /// WeChat's Token is 3 to 32 letters and digits.
    pub fn new(token: &str, safe: Option<SafeMode>) -> Result<Self, WechatError> {
        if !(3..=32).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(WechatError::BadField("Token"));
        }
        Ok(Self {
            token: token.to_owned(),
            safe,
        })
    }

    pub fn safe_mode(&self) -> Option<&SafeMode> {
        self.safe.as_ref()
    }

    /// The server-address check (GET): when the signature holds, the answer is `echostr`
    /// exactly as received.
    pub fn verify_url<'e>(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &'e str,
    ) -> Result<&'e str, WechatError> {
        signature::verify_url(&self.token, timestamp, nonce, signature)?;
        Ok(echostr)
    }

    /// A push (POST): checks its signatures, decrypts it in safe mode, and reads the message.
    ///
    /// Plaintext mode: `signature` must hold (note that it does not cover the body). Safe or
    /// compatible mode (`encrypt_type=aes`): `msg_signature`, which covers the encrypted body,
    /// must hold, and `signature` too when sent; only the decrypted message is read, never the
    /// plaintext copy compatible mode sends beside it.
    pub fn open_push(&self, query: &PushQuery<'_>, body: &str) -> Result<Inbound, WechatError> {
        let encrypted = match query.encrypt_type {
            None | Some("") | Some("raw") => false,
            Some("aes") => true,
            Some(_) => return Err(WechatError::BadField("encrypt_type")),
        };
        if let Some(sig) = query.signature {
            signature::verify_url(&self.token, query.timestamp, query.nonce, sig)?;
        } else if !encrypted {
            return Err(WechatError::MissingField("signature"));
        }
        if !encrypted {
            return parse_message(body);
        }
        let safe = self.safe.as_ref().ok_or(WechatError::NoKey)?;
        let msg_sig = query
            .msg_signature
            .ok_or(WechatError::MissingField("msg_signature"))?;
        let envelope = parse_fields(body)?;
        let encrypt = envelope
            .get("Encrypt")
            .ok_or(WechatError::MissingField("Encrypt"))?;
        signature::verify_msg(&self.token, query.timestamp, query.nonce, encrypt, msg_sig)?;
        parse_message(&safe.decrypt(encrypt)?)
    }

    /// A passive reply in safe mode: the reply's XML encrypted and signed, in WeChat's
    /// envelope. `random` comes from a CSPRNG; `timestamp` and `nonce` are the push's or new.
    pub fn seal_reply(
        &self,
        reply_xml: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
    ) -> Result<String, WechatError> {
        let safe = self.safe.as_ref().ok_or(WechatError::NoKey)?;
        let encrypt = safe.encrypt(random, reply_xml);
        let sig = signature::msg_signature(&self.token, timestamp, nonce, &encrypt);
        Ok(format!(
            "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>\
             <MsgSignature><![CDATA[{sig}]]></MsgSignature>\
             <TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
            quick_xml::escape::escape(timestamp),
            quick_xml::escape::escape(nonce),
        ))
    }
}
