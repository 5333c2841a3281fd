//! Delivery of outgoing messages: the outbox [`dispatcher`] (the workers started by
//! `tripdesk serve`) and the [`channel`]s it delivers through — [`email`] over SMTP,
//! [`inapp`] notifications for staff, signed [`webhook`]s for integrators, and [`sms`]
//! through a cloud SMS provider, and [`wechat`] customer-service messages from the official
//! account. New channels (voice calls) implement [`channel::Channel`] and are registered at
//! start-up; nothing that enqueues messages changes. [`smtp_sink`], [`sms_sink`] and
//! [`wechat_sink`] are loopback receivers for tests and benchmarks.

pub mod channel;
pub mod dispatcher;
pub mod email;
pub mod inapp;
pub mod sms;
pub mod sms_sink;
pub mod smtp_sink;
pub mod webhook;
pub mod wechat;
pub mod wechat_sink;

/// Makes ring the process's default TLS crypto provider (idempotent). With two providers
/// compiled in (ring here, aws-lc-rs from another dependency) rustls cannot choose one by
/// itself and code that asks it for the default panics; call this first thing in `main`.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub use channel::{Channel, ChannelError, DeliveryReceipt, Outgoing};
pub use dispatcher::{Dispatcher, DispatcherConfig};
#[cfg(feature = "testing")]
pub mod testing;
