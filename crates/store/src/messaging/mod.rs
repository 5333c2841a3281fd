//! Records and repository of the messaging channels' conversations (issue 17 items 4 and 5):
//! the WeChat official account's followers and what they pushed, the ticket an SMS reply went
//! to, and which channel a ticket's customer last wrote on (where an agent's reply goes).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// A follower of the official account as stored: the OpenID only as its blind index and
/// sealed by the vault for `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatUser {
    pub id: Uuid,
    /// `KeyRing::blind_index("wechat_openid", openid)`.
    pub openid_key: String,
    pub openid_sealed: String,
    pub customer_id: Uuid,
    /// False after an `unsubscribe` event.
    pub subscribed: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One message or event a follower pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatMessage {
    pub id: Uuid,
    /// `msg:<MsgId>`, or an event's keyed hash: unique, so a retried push is stored once.
    pub dedupe_key: String,
    pub user_id: Uuid,
    pub customer_id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    /// `text`, `image`, `voice`, `event` or `other`.
    pub msg_type: String,
    /// The event's name, or a voice's format.
    pub detail: Option<String>,
    /// The text, or a picture's or voice's MediaId, sealed for `id`.
    pub sealed_body: Option<String>,
    /// WeChat's CreateTime.
    pub sent_at: Timestamp,
    pub received_at: Timestamp,
}

/// The channel a ticket's customer last wrote on and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastInbound {
    /// `email`, `sms` or `wechat`.
    pub channel: String,
    pub at: Timestamp,
}

#[async_trait]
pub trait MessagingRepo: Send {
    /// Stores a follower unless their OpenID's key is stored already (returns false).
    async fn insert_wechat_user(&mut self, user: &WechatUser) -> Result<bool, StoreError>;

    /// The follower with this OpenID key.
    async fn find_wechat_user(
        &mut self,
        openid_key: &str,
    ) -> Result<Option<WechatUser>, StoreError>;

    async fn get_wechat_user(&mut self, id: Uuid) -> Result<Option<WechatUser>, StoreError>;

    /// Records a follower's `subscribe` / `unsubscribe`.
    async fn set_wechat_subscribed(
        &mut self,
        id: Uuid,
        subscribed: bool,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Stores a pushed message unless its dedupe key is stored already (returns false).
    async fn insert_wechat_message(&mut self, m: &WechatMessage) -> Result<bool, StoreError>;

    /// Whether a message with this dedupe key is stored.
    async fn wechat_message_exists(&mut self, dedupe_key: &str) -> Result<bool, StoreError>;

    /// The customer's newest message or event that opens WeChat's reply window (anything but
    /// `unsubscribe`), by `received_at`.
    async fn last_wechat_message(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Option<WechatMessage>, StoreError>;

    /// The customer's newest open ticket (not closed) that a WeChat message went to.
    async fn open_wechat_ticket(&mut self, customer_id: Uuid) -> Result<Option<Uuid>, StoreError>;

    /// The customer's followers and messages, oldest first (the PIPL copy).
    async fn customer_wechat(
        &mut self,
        customer_id: Uuid,
    ) -> Result<(Vec<WechatUser>, Vec<WechatMessage>), StoreError>;

    /// Gives customer `from`'s followers and their messages to `to` (a merge); rows changed.
    async fn move_wechat_users(&mut self, from: Uuid, to: Uuid) -> Result<u64, StoreError>;

    /// Deletes the customer's followers and their messages (erasure); rows deleted.
    async fn delete_customer_wechat(&mut self, customer_id: Uuid) -> Result<u64, StoreError>;

    /// Notes the ticket and timeline entry an SMS reply went to.
    async fn set_sms_reply_thread(
        &mut self,
        reply_id: Uuid,
        ticket_id: Uuid,
        event_id: Option<Uuid>,
    ) -> Result<(), StoreError>;

    /// The customer's newest open ticket (not closed), whatever its channel: where an SMS
    /// that answers nothing else goes.
    async fn newest_open_ticket(&mut self, customer_id: Uuid) -> Result<Option<Uuid>, StoreError>;

    /// The channel the ticket's customer last wrote on: the newest of the ticket's inbound
    /// mails (automatic ones left out), SMS replies and WeChat messages.
    async fn ticket_last_inbound(
        &mut self,
        ticket_id: Uuid,
    ) -> Result<Option<LastInbound>, StoreError>;
}
