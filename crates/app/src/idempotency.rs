//! Idempotent create requests (`Idempotency-Key`). A create use case that accepts a key
//! claims it at the start of its write transaction ([`App::claim_once`]) and keeps its first
//! response before committing ([`App::keep_once`]), so the key, the created records and the
//! response commit together or not at all:
//! - a retry with the same key and the same request answers the kept response and writes
//!   nothing ([`Once::Replayed`]);
//! - the same key with another request (method, path or body) is refused, 422 naming the
//!   header;
//! - a duplicate arriving while the first is in flight waits for it (the unique key
//!   (principal, key) is held by the database), then replays it.
//!
//! Keys belong to the principal who sent them and expire after
//! [`KEY_LIFETIME`](tripdesk_domain::idempotency::KEY_LIFETIME); expired keys are deleted when
//! the same principal claims a key.

use crate::{App, AppError, FieldError, Principal};
use sha2::{Digest, Sha256};
use tripdesk_domain::idempotency::{check_key, KEY_LIFETIME};
pub use tripdesk_store::KeptResponse;
use tripdesk_store::{KeyClaim, Tx};

/// The header carrying the key.
pub const HEADER: &str = "Idempotency-Key";

/// One request made with a key: the key, and a digest of what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    key: String,
    digest: String,
}

impl IdempotentRequest {
    /// Checks the key's shape (1–255 visible ASCII) and digests the request: its method,
    /// path and body bytes.
    pub fn new(key: &[u8], method: &str, path: &str, body: &[u8]) -> Result<Self, AppError> {
        let key = check_key(key).map_err(|e| {
            AppError::Validation(vec![FieldError::new(HEADER, e.code(), e.message())])
        })?;
        let mut h = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.update(body);
        Ok(Self {
            key: key.to_string(),
            digest: hex(&h.finalize()),
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A use case's idempotency: the request, and how its result becomes the response kept for
/// replays (the web layer renders it, inside the transaction).
pub struct Idempotency<'a, T> {
    pub request: &'a IdempotentRequest,
    pub respond: &'a (dyn Fn(&T) -> KeptResponse + Send + Sync),
}

/// What an idempotent use case did.
#[derive(Debug)]
pub enum Once<T> {
    /// It ran (first request, or no key given).
    Done(T),
    /// A retry: the first response, nothing written.
    Replayed(KeptResponse),
}

impl<T> Once<T> {
    /// The result of a call made without a key (which cannot replay).
    pub fn done(self) -> Result<T, AppError> {
        match self {
            Once::Done(t) => Ok(t),
            Once::Replayed(_) => Err(AppError::Internal(
                "a request without an idempotency key was replayed".into(),
            )),
        }
    }
}

fn principal_key(p: &Principal) -> String {
    p.user_id.to_string()
}

impl App {
    /// Claims the request's key in `tx` (first statement of the use case's transaction).
    /// `Some` is the kept response to answer instead of running the use case: the caller
    /// commits `tx` (it holds nothing but the purge of expired keys) before answering, so a
    /// replay never answers before the first request is durable (SQLite's group commit can
    /// show a member the previous member's uncommitted rows).
    pub(crate) async fn claim_once<T>(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        once: Option<&Idempotency<'_, T>>,
    ) -> Result<Option<KeptResponse>, AppError> {
        let Some(once) = once else { return Ok(None) };
        let now = self.now();
        let claim = tx
            .claim_idempotency_key(
                &principal_key(p),
                &once.request.key,
                &once.request.digest,
                now,
                now + KEY_LIFETIME,
            )
            .await?;
        match claim {
            KeyClaim::Fresh => Ok(None),
            KeyClaim::Used { digest, .. } if digest != once.request.digest => {
                Err(AppError::Validation(vec![FieldError::new(
                    HEADER,
                    "reused",
                    "this Idempotency-Key was already used for a different request; use a new key",
                )]))
            }
            KeyClaim::Used {
                response: Some(kept),
                ..
            } => Ok(Some(kept)),
            // Committed without a response: a use case claimed without keeping (a bug), or the
            // first request is still running somewhere the database did not make us wait.
            KeyClaim::Used { response: None, .. } => Err(AppError::Conflict {
                code: "idempotency_in_progress",
                message: "a request with this Idempotency-Key is still in progress".into(),
                field: Some(HEADER.into()),
            }),
        }
    }

    /// Keeps the response to `result` for the key claimed by [`App::claim_once`] (last
    /// statement before commit).
    pub(crate) async fn keep_once<T>(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        once: Option<&Idempotency<'_, T>>,
        result: &T,
    ) -> Result<(), AppError> {
        if let Some(once) = once {
            let kept = (once.respond)(result);
            tx.keep_idempotent_response(&principal_key(p), &once.request.key, &kept)
                .await?;
        }
        Ok(())
    }
}

/// Kept responses may quote a customer (the ticket as created): their text is declared, so
/// every erasure searches it. Nothing is exported: a kept response is a copy of data the other
/// capabilities export.
pub(crate) struct IdempotencyKeys;

#[async_trait::async_trait]
impl crate::personal_data::PersonalData for IdempotencyKeys {
    fn name(&self) -> &'static str {
        "idempotency_keys"
    }

    fn fields(&self) -> &'static [tripdesk_store::TextColumn] {
        tripdesk_store::IDEMPOTENCY_FIELDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_covers_method_path_and_body() {
        let a = IdempotentRequest::new(b"k", "POST", "/api/v1/tickets", b"{}").unwrap();
        let same = IdempotentRequest::new(b"k", "POST", "/api/v1/tickets", b"{}").unwrap();
        assert_eq!(a, same);
        for (m, p, b) in [
            ("PUT", "/api/v1/tickets", &b"{}"[..]),
            ("POST", "/api/v1/tickets/x", b"{}"),
            ("POST", "/api/v1/tickets", b"{ }"),
            // The length prefix keeps method and path apart.
            ("POST/api/v1", "/tickets", b"{}"),
        ] {
            assert_ne!(
                a.digest,
                IdempotentRequest::new(b"k", m, p, b).unwrap().digest
            );
        }
    }

    #[test]
    fn a_bad_key_names_the_header() {
        match IdempotentRequest::new(b"a b", "POST", "/", b"") {
            Err(AppError::Validation(f)) => assert_eq!(f[0].field, HEADER),
            other => panic!("{other:?}"),
        }
    }
}
