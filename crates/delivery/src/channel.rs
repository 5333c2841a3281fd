//! The one interface every delivery channel implements.

use async_trait::async_trait;
use tripdesk_store::{Attachment, OutboxMessage};

/// A message on its way out: the outbox row and, for channels that carry files, its
/// attachments.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message: OutboxMessage,
    pub attachments: Vec<Attachment>,
}

/// What the channel's other side answered when it accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt(pub String);

/// Why a send failed, and whether trying again later may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ChannelError {
    /// True for temporary trouble (timeouts, 4xx SMTP replies, HTTP 5xx/429, connection
    /// refused); false when the same message can never succeed (a rejected address).
    pub retryable: bool,
    /// Short description for the delivery history. May contain the server's reply; it is
    /// stored with the message, never logged.
    pub message: String,
    /// True when the channel refused for its rate (a provider's flow control, HTTP 429): the
    /// message is tried again soon and the attempt is not counted.
    pub throttled: bool,
}

impl ChannelError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
            throttled: false,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
            throttled: false,
        }
    }

    /// Over the channel's rate: try again soon, uncounted.
    pub fn throttled(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
            throttled: true,
        }
    }
}

/// A way of delivering messages. Implementations must be safe to call from several workers
/// at once; a send that returns `Ok` must have handed the message to the other side.
#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// The channel name messages are enqueued with (`email`, `in_app`, `webhook`, …).
    fn name(&self) -> &'static str;

    /// Whether the dispatcher should load the message's attachments before sending.
    fn carries_attachments(&self) -> bool {
        false
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<DeliveryReceipt, ChannelError>;
}
