//! What tripdesk reuses between requests instead of reading the database each time — SLA
//! policies and routing rules, the inbox's "breaching soon" count: entries live until an
//! instant (on the app's clock) and all die at once when the cache is invalidated after a
//! change committed through this process. Another process's change (a second server,
//! `tripdesk admin`) is seen when the entry's time runs out, so each user of the cache keeps
//! that time short.

use jiff::Timestamp;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Entries kept at most; beyond, the cache starts afresh (a flood of distinct keys cannot
/// grow it without bound).
const MAX_ENTRIES: usize = 10_000;

pub(crate) struct TtlCache<K, V> {
    /// Bumped by every invalidation; an entry read before it is never stored as current.
    generation: AtomicU64,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    value: V,
    generation: u64,
    until: Timestamp,
}

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// The generation to pass to [`TtlCache::put`]: take it *before* reading the value.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &K, now: Timestamp) -> Option<V> {
        let entries = self.entries.lock().expect("ttl cache");
        entries
            .get(key)
            .filter(|e| e.generation == self.generation() && now < e.until)
            .map(|e| e.value.clone())
    }

    /// Remembers a value read at `generation` until `until`. Had the cache been invalidated
    /// since (a change committed while the value was read), the entry is never served.
    pub fn put(&self, key: K, value: V, generation: u64, until: Timestamp) {
        let mut entries = self.entries.lock().expect("ttl cache");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                value,
                generation,
                until,
            },
        );
    }

    /// Forgets everything (call after the change has committed).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().expect("ttl cache").clear();
    }
}

/// How long configuration read at every intake — SLA policies, routing rules — is reused.
pub const CONFIG_CACHE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(2);

/// Configuration every intake reads and administrators change a few times a year.
#[derive(Default)]
pub(crate) struct ConfigCache {
    pub policies: TtlCache<String, Option<tripdesk_store::SlaPolicy>>,
    pub routing_rules: TtlCache<(), std::sync::Arc<Vec<tripdesk_store::RoutingRuleRecord>>>,
    /// Webhook endpoints, read by every event published (invalidated by their own changes,
    /// not by [`ConfigCache::invalidate`]).
    pub webhooks: TtlCache<(), std::sync::Arc<Vec<tripdesk_store::WebhookEndpoint>>>,
}

impl ConfigCache {
    /// After a change to policies or rules has committed.
    pub fn invalidate(&self) {
        self.policies.invalidate();
        self.routing_rules.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn t0() -> Timestamp {
        "2026-10-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn an_entry_lives_until_its_instant() {
        let c = TtlCache::default();
        c.put("k", 1, c.generation(), t0() + SignedDuration::from_secs(2));
        assert_eq!(c.get(&"k", t0()), Some(1));
        assert_eq!(
            c.get(&"k", t0() + SignedDuration::from_millis(1999)),
            Some(1)
        );
        assert_eq!(c.get(&"k", t0() + SignedDuration::from_secs(2)), None);
        assert_eq!(c.get(&"other", t0()), None);
    }

    #[test]
    fn invalidation_forgets_and_refuses_values_read_before_it() {
        let c = TtlCache::default();
        let until = t0() + SignedDuration::from_secs(2);
        c.put("a", 1, c.generation(), until);
        let read_at = c.generation();
        c.invalidate();
        assert_eq!(c.get(&"a", t0()), None);
        // A value read before the invalidation, stored after it, is stale at once.
        c.put("b", 2, read_at, until);
        assert_eq!(c.get(&"b", t0()), None);
        c.put("b", 3, c.generation(), until);
        assert_eq!(c.get(&"b", t0()), Some(3));
    }

    #[test]
    fn the_cache_is_bounded() {
        let c = TtlCache::default();
        let until = t0() + SignedDuration::from_secs(2);
        for i in 0..=MAX_ENTRIES {
            c.put(i, i, c.generation(), until);
        }
        assert!(c.entries.lock().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(c.get(&MAX_ENTRIES, t0()), Some(MAX_ENTRIES));
    }
}
