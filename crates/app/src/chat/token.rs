//! The visitor's token: the chat's id signed with the link HMAC for the chat purpose (the
//! format of every customer link, [`crate::public_desk`]). The widget keeps it in the
//! browser's session storage; it is the visitor's only way into their chat.

use crate::public_desk::{id_token, verify_id_token};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

const CHAT_PURPOSE: &str = "chat.visitor.v1";

/// The signed token of a chat.
pub fn chat_token(keys: &KeyRing, chat: Uuid) -> String {
    id_token(keys, CHAT_PURPOSE, chat)
}

/// The chat a token names, if its signature holds.
pub fn verify_chat_token(keys: &KeyRing, token: &str) -> Option<Uuid> {
    verify_id_token(keys, CHAT_PURPOSE, token)
}
