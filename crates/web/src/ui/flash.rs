//! Post/redirect/get for every staff form: after a write the handler answers 303 to a page
//! that is safe to reload, carrying one [`Flash`] (a message, and for a few actions a value
//! shown once: a revealed field, a new survey link) across the redirect.
//!
//! The flash is held server-side, keyed by a random id in the redirect's `flash` parameter
//! and bound to the session that made it: it is taken (single use) by the next page of that
//! session and expires after [`TTL`]. Nothing personal travels in the URL, and a reload shows
//! the page without it (a reveal is not repeated and not audited twice).
//!
//! The store is in the process's memory: with several nodes behind a balancer, sessions must
//! be sticky for a flash to be seen (a lost flash only loses the message; the write is done).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a flash waits for the page it was made for.
pub const TTL: Duration = Duration::from_secs(60);
/// Flashes held at most (older ones are dropped first); a bound against a flood of posts.
const CAP: usize = 10_000;

/// Whether a flash reports success or a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Done,
    Refused,
}

/// A message for the next page, and optionally a value that page shows once.
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
    payload: Option<Box<dyn Any + Send + Sync>>,
}

impl Flash {
    pub fn done(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Done,
            message: message.into(),
            payload: None,
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Refused,
            message: message.into(),
            payload: None,
        }
    }

    /// Carries a value for the page (e.g. a revealed field); it stays in memory, never in the URL.
    pub fn with<T: Any + Send + Sync>(mut self, payload: T) -> Self {
        self.payload = Some(Box::new(payload));
        self
    }

    /// The carried value, if it is a `T`.
    pub fn payload<T: Any>(&self) -> Option<&T> {
        self.payload.as_ref().and_then(|p| p.downcast_ref())
    }
}

impl std::fmt::Debug for Flash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The payload may be personal data: never printed.
        f.debug_struct("Flash")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

struct Stored {
    session: Uuid,
    at: Instant,
    flash: Flash,
}

/// The flashes waiting for their page (shared by every request of the process).
#[derive(Clone, Default)]
pub struct Flashes {
    inner: Arc<Mutex<HashMap<String, Stored>>>,
}

impl Flashes {
    /// Keeps `flash` for `session`'s next page; returns the key the redirect carries.
    pub fn put(&self, session: Uuid, flash: Flash) -> String {
        let key = format!("{:032x}", rand::random::<u128>());
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| now.duration_since(s.at) < TTL);
        if map.len() >= CAP {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.at).map(|(k, _)| k.clone()) {
                map.remove(&oldest);
            }
        }
        map.insert(
            key.clone(),
            Stored {
                session,
                at: now,
                flash,
            },
        );
        key
    }

    /// Takes the flash `key` if `session` made it and it has not expired (once only).
    pub fn take(&self, session: Uuid, key: &str) -> Option<Flash> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let stored = map.remove(key)?;
        if stored.session != session || stored.at.elapsed() >= TTL {
            if stored.session != session {
                // Someone else's key: leave it for its owner.
                map.insert(key.to_string(), stored);
            }
            return None;
        }
        Some(stored.flash)
    }
}

/// `path` with the `flash` parameter removed (what the page's own links carry on).
pub fn without_flash_param(path: &str) -> String {
    let (base, fragment) = match path.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (path, None),
    };
    let Some((p, q)) = base.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("flash="))
        .collect();
    let mut out = p.to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The `flash` parameter of a path's query, if any.
pub fn flash_param(path: &str) -> Option<&str> {
    let q = path.split('#').next()?.split_once('?')?.1;
    q.split('&').find_map(|kv| kv.strip_prefix("flash="))
}

/// `to` with `flash=key` added to its query (before any `#fragment`).
pub fn with_flash_param(to: &str, key: &str) -> String {
    let (base, fragment) = match to.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (to, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}flash={key}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_is_taken_once_and_only_by_its_session() {
        let store = Flashes::default();
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let key = store.put(mine, Flash::done("ok").with(42_u32));
        assert!(store.take(theirs, &key).is_none());
        let f = store.take(mine, &key).expect("the flash");
        assert_eq!(f.message, "ok");
        assert_eq!(f.payload::<u32>(), Some(&42));
        assert!(f.payload::<String>().is_none());
        assert!(store.take(mine, &key).is_none(), "single use");
        assert!(store.take(mine, "nope").is_none());
    }

    #[test]
    fn the_parameter_is_added_and_removed_around_fragments() {
        let to = with_flash_param("/desk/tickets/1#timeline", "abc");
        assert_eq!(to, "/desk/tickets/1?flash=abc#timeline");
        assert_eq!(flash_param(&to), Some("abc"));
        assert_eq!(without_flash_param(&to), "/desk/tickets/1#timeline");
        let to = with_flash_param("/desk?queue=mine", "k");
        assert_eq!(to, "/desk?queue=mine&flash=k");
        assert_eq!(without_flash_param(&to), "/desk?queue=mine");
        assert_eq!(without_flash_param("/a?flash=k&b=1"), "/a?b=1");
        assert_eq!(flash_param("/a?b=1"), None);
    }
}
