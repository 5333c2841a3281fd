//! The audit log's hash chain: each entry's hash covers its own content and the hash of the
//! entry before it, so editing or deleting an entry in the database breaks every later link.
//!
//! `hash = hex(SHA-256("tripdesk-audit/v1" || field₁ || field₂ || …))` where each field is a
//! 4-byte big-endian length followed by its UTF-8 bytes, in this order: seq, id, at (epoch
//! ms), actor id, actor name, action, entity type, entity id, summary, previous hash. Absent
//! values are empty strings. The first entry's previous hash is [`GENESIS_HASH`].
//!
//! What the chain proves: an entry changed, removed or inserted by hand shows as a broken
//! link at that entry ([`ChainVerifier`]); removing entries at the end shows against the
//! chain head the database keeps beside the log. What it cannot prove on its own: that
//! someone able to rewrite the whole table and its head did not do so — keep the head hash
//! that `tripdesk audit verify` prints somewhere else to make that detectable too.

use sha2::{Digest, Sha256};

/// The previous hash of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const CONTEXT: &[u8] = b"tripdesk-audit/v1";

/// The hashed content of one entry.
#[derive(Debug, Clone, Copy)]
pub struct ChainLink<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub at_ms: i64,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub summary: &'a str,
    pub prev_hash: &'a str,
}

impl ChainLink<'_> {
    /// The entry's hash, 64 lower-case hex characters.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(CONTEXT);
        let seq = self.seq.to_string();
        let at = self.at_ms.to_string();
        for part in [
            seq.as_str(),
            self.id,
            at.as_str(),
            self.actor_id,
            self.actor_name,
            self.action,
            self.entity_type,
            self.entity_id,
            self.summary,
            self.prev_hash,
        ] {
            h.update((part.len() as u32).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why the chain is broken, naming the first entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} (id {id}): its content does not match its hash (edited)")]
    ContentChanged { seq: i64, id: String },
    #[error("entry {seq} (id {id}): it does not follow entry {expected_prev} (an entry before it was edited, removed or inserted)")]
    BrokenLink {
        seq: i64,
        id: String,
        expected_prev: i64,
    },
    #[error("entry {seq} (id {id}): expected entry {expected} here (entries removed)")]
    Gap { seq: i64, id: String, expected: i64 },
    #[error("the log ends at entry {last} but its head says {head_seq} (entries removed at the end, or the head edited)")]
    HeadMismatch { last: i64, head_seq: i64 },
}

/// Walks entries in ascending `seq` order and reports the first broken link.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry (`stored_hash` is the hash the database holds for it).
    pub fn check(&mut self, link: &ChainLink<'_>, stored_hash: &str) -> Result<(), ChainBreak> {
        let id = link.id.to_string();
        if link.seq != self.last_seq + 1 {
            return Err(ChainBreak::Gap {
                seq: link.seq,
                id,
                expected: self.last_seq + 1,
            });
        }
        if link.hash() != stored_hash {
            return Err(ChainBreak::ContentChanged { seq: link.seq, id });
        }
        if link.prev_hash != self.last_hash {
            return Err(ChainBreak::BrokenLink {
                seq: link.seq,
                id,
                expected_prev: self.last_seq,
            });
        }
        self.last_seq = link.seq;
        self.last_hash = stored_hash.to_string();
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the walk with the head the database keeps.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch {
                last: self.last_seq,
                head_seq,
            });
        }
        Ok(())
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    /// Entries checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        seq: i64,
        id: String,
        summary: String,
        prev: String,
        hash: String,
    }

    fn link(r: &Row) -> ChainLink<'_> {
        ChainLink {
            seq: r.seq,
            id: &r.id,
            at_ms: 1_700_000_000_000 + r.seq,
            actor_id: "u1",
            actor_name: "赵敏",
            action: "customer.reveal",
            entity_type: "customer",
            entity_id: "c1",
            summary: &r.summary,
            prev_hash: &r.prev,
        }
    }

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = GENESIS_HASH.to_string();
        let mut out = Vec::new();
        for seq in 1..=n {
            let mut r = Row {
                seq,
                id: format!("e{seq}"),
                summary: format!("{{\"n\":{seq}}}"),
                prev: prev.clone(),
                hash: String::new(),
            };
            r.hash = link(&r).hash();
            prev = r.hash.clone();
            out.push(r);
        }
        out
    }

    fn verify(rows: &[Row], head: (i64, &str)) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in rows {
            v.check(&link(r), &r.hash)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        let head = rows.last().unwrap().hash.clone();
        assert_eq!(verify(&rows, (5, &head)), Ok(()));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(()));
    }

    #[test]
    fn an_edit_names_the_entry() {
        let mut rows = chain(5);
        let head = rows.last().unwrap().hash.clone();
        rows[2].summary = "{\"n\":99}".into();
        assert_eq!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::ContentChanged {
                seq: 3,
                id: "e3".into()
            })
        );
        // Re-hashing the edited entry does not help: the next link breaks.
        rows[2].hash = link(&rows[2]).hash();
        assert!(matches!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::BrokenLink { seq: 4, .. })
        ));
    }

    #[test]
    fn deletions_are_found() {
        let mut rows = chain(5);
        let head = rows.last().unwrap().hash.clone();
        rows.remove(1);
        assert!(matches!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2,
                ..
            })
        ));
        let mut rows = chain(5);
        rows.pop();
        assert!(matches!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::HeadMismatch {
                last: 4,
                head_seq: 5
            })
        ));
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let a = ChainLink {
            seq: 1,
            id: "ab",
            at_ms: 1,
            actor_id: "",
            actor_name: "c",
            action: "",
            entity_type: "",
            entity_id: "",
            summary: "",
            prev_hash: GENESIS_HASH,
        };
        let b = ChainLink {
            id: "a",
            actor_name: "bc",
            ..a
        };
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 64);
    }
}
