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
//! chain head the database keeps beside the log.
//!
//! **The keyed chain.** Someone able to rewrite the whole table could recompute every SHA-256
//! and the head. So each entry also carries a MAC of its hash, and the head a MAC of its
//! sequence number and hash, both HMAC-SHA256 under a key derived from the vault's keys
//! ([`ChainSigner`]; the database never holds it). Since an entry's hash covers the hash before
//! it, one valid MAC vouches for every entry up to it. With the key, [`ChainVerifier`] detects
//! an edit, a deletion, an insertion, entries removed at the end (the head's MAC), a whole
//! chain rewritten (MACs that do not verify) and MACs stripped (an entry without a MAC after
//! a keyed one, or a non-empty log without any keyed entry). Entries written before the key
//! existed (an upgraded database, an administrator created before `keys init`) carry no MAC:
//! they are covered from the first keyed entry on, which `serve` appends at start when the
//! chain ends unkeyed. Not detected: changes by someone who holds the key file; a copy of an
//! older database restored whole (its MACs are genuine — compare the head with a backup's).

use sha2::{Digest, Sha256};

mod action;
pub use action::AuditAction;

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

/// Computes the chain's MACs: `HMAC-SHA256(k_audit, message)`, the key kept outside the
/// database (the app implements it with the vault's keys).
pub trait ChainSigner: Send + Sync {
    fn mac(&self, message: &[u8]) -> [u8; 32];
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The MAC stored with an entry: over its hash (which covers the whole chain before it).
pub fn entry_mac(signer: &dyn ChainSigner, hash: &str) -> String {
    let mut m = b"tripdesk-audit-entry/v1\0".to_vec();
    m.extend_from_slice(hash.as_bytes());
    hex(&signer.mac(&m))
}

/// The MAC stored with the head: over the last sequence number and hash.
pub fn head_mac(signer: &dyn ChainSigner, seq: i64, hash: &str) -> String {
    let mut m = b"tripdesk-audit-head/v1\0".to_vec();
    m.extend_from_slice(seq.to_string().as_bytes());
    m.push(0);
    m.extend_from_slice(hash.as_bytes());
    hex(&signer.mac(&m))
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
    #[error("the audit head row is missing: the chain's end cannot be checked (entries removed at the end would go unnoticed); the log ends at entry {last}")]
    HeadMissing { last: i64 },
    #[error("entry {seq} (id {id}): its MAC does not verify (the entry or the chain before it was rewritten without the key, or the key is not this installation's)")]
    MacInvalid { seq: i64, id: String },
    #[error("entry {seq} (id {id}): it has no MAC although entry {first_keyed} before it has one (MACs removed, entries rewritten or inserted without the key)")]
    MacMissing {
        seq: i64,
        id: String,
        first_keyed: i64,
    },
    #[error("none of the {entries} entries carries a MAC: the chain was rewritten or its MACs removed, or it was written before the vault keys existed and `tripdesk serve` has not run since")]
    NotKeyed { entries: u64 },
    #[error("the head's MAC does not verify (entries removed at the end and the head rewritten without the key)")]
    HeadMacInvalid,
}

/// Walks entries in ascending `seq` order and reports the first broken link. Without a
/// signer ([`ChainVerifier::default`]) MACs are not checked: hashes only.
#[derive(Clone)]
pub struct ChainVerifier<'k> {
    last_seq: i64,
    last_hash: String,
    checked: u64,
    signer: Option<&'k dyn ChainSigner>,
    first_keyed: Option<i64>,
}

impl Default for ChainVerifier<'_> {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            checked: 0,
            signer: None,
            first_keyed: None,
        }
    }
}

impl std::fmt::Debug for ChainVerifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainVerifier")
            .field("last_seq", &self.last_seq)
            .field("checked", &self.checked)
            .field("keyed", &self.signer.is_some())
            .finish()
    }
}

impl<'k> ChainVerifier<'k> {
    /// A verifier that also checks the MACs.
    pub fn keyed(signer: &'k dyn ChainSigner) -> Self {
        Self {
            signer: Some(signer),
            ..Self::default()
        }
    }

    /// Checks the next entry (`stored_hash` and `stored_mac` as the database holds them).
    pub fn check(
        &mut self,
        link: &ChainLink<'_>,
        stored_hash: &str,
        stored_mac: Option<&str>,
    ) -> Result<(), ChainBreak> {
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
        if let Some(signer) = self.signer {
            match (stored_mac, self.first_keyed) {
                (Some(mac), _) => {
                    if !same(mac, &entry_mac(signer, stored_hash)) {
                        return Err(ChainBreak::MacInvalid { seq: link.seq, id });
                    }
                    self.first_keyed.get_or_insert(link.seq);
                }
                (None, Some(first_keyed)) => {
                    return Err(ChainBreak::MacMissing {
                        seq: link.seq,
                        id,
                        first_keyed,
                    })
                }
                (None, None) => {}
            }
        }
        self.last_seq = link.seq;
        self.last_hash = stored_hash.to_string();
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the walk with the head the database keeps (`None` when its row
    /// is missing).
    pub fn finish(&self, head: Option<(i64, &str, Option<&str>)>) -> Result<(), ChainBreak> {
        let Some((head_seq, head_hash, head_mac_stored)) = head else {
            return Err(ChainBreak::HeadMissing {
                last: self.last_seq,
            });
        };
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch {
                last: self.last_seq,
                head_seq,
            });
        }
        if let Some(signer) = self.signer {
            if self.checked > 0 && self.first_keyed.is_none() {
                return Err(ChainBreak::NotKeyed {
                    entries: self.checked,
                });
            }
            if self.first_keyed.is_some()
                && !head_mac_stored.is_some_and(|m| same(m, &head_mac(signer, head_seq, head_hash)))
            {
                return Err(ChainBreak::HeadMacInvalid);
            }
        }
        Ok(())
    }

    /// The first entry carrying a MAC (when checked with a signer).
    pub fn first_keyed(&self) -> Option<i64> {
        self.first_keyed
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

    #[derive(Clone)]
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
            v.check(&link(r), &r.hash, None)?;
        }
        v.finish(Some((head.0, head.1, None)))
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

    /// A stand-in key: SHA-256 of a secret and the message (the app's signer is HMAC).
    struct TestSigner(&'static str);

    impl ChainSigner for TestSigner {
        fn mac(&self, message: &[u8]) -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(self.0.as_bytes());
            h.update(message);
            h.finalize().into()
        }
    }

    /// A chain whose entries from `keyed_from` on carry a MAC under `signer`, and its head.
    fn keyed_chain(
        n: i64,
        keyed_from: i64,
        signer: &TestSigner,
    ) -> (Vec<(Row, Option<String>)>, String) {
        let rows = chain(n);
        let head = head_mac(signer, n, &rows.last().unwrap().hash);
        let rows = rows
            .into_iter()
            .map(|r| {
                let mac = (r.seq >= keyed_from).then(|| entry_mac(signer, &r.hash));
                (r, mac)
            })
            .collect();
        (rows, head)
    }

    fn verify_keyed(
        rows: &[(Row, Option<String>)],
        head: (i64, &str, Option<&str>),
        signer: &TestSigner,
    ) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::keyed(signer);
        for (r, mac) in rows {
            v.check(&link(r), &r.hash, mac.as_deref())?;
        }
        v.finish(Some(head))
    }

    #[test]
    fn a_keyed_chain_verifies_with_an_unkeyed_prefix() {
        let key = TestSigner("k");
        let (rows, head_mac) = keyed_chain(5, 3, &key);
        let last = rows.last().unwrap().0.hash.clone();
        assert_eq!(
            verify_keyed(&rows, (5, &last, Some(&head_mac)), &key),
            Ok(())
        );
        // Without the key only the hashes are checked.
        let mut v = ChainVerifier::default();
        for (r, mac) in &rows {
            v.check(&link(r), &r.hash, mac.as_deref()).unwrap();
        }
        assert_eq!(v.finish(Some((5, &last, None))), Ok(()));
    }

    #[test]
    fn a_whole_chain_rewritten_without_the_key_is_detected() {
        let key = TestSigner("k");
        let (rows, _) = keyed_chain(4, 1, &key);
        // The intruder rewrites every entry with correct SHA-256 hashes and a head to match,
        // keeping the old MACs, or putting MACs made with another key.
        let mut forged = chain(4);
        forged[1].summary = "{\"n\":\"forged\"}".into();
        let mut prev = GENESIS_HASH.to_string();
        for r in &mut forged {
            r.prev = prev.clone();
            r.hash = link(r).hash();
            prev = r.hash.clone();
        }
        let last = forged.last().unwrap().hash.clone();
        let kept_macs: Vec<_> = forged
            .iter()
            .zip(&rows)
            .map(|(f, (_, mac))| (f.clone(), mac.clone()))
            .collect();
        assert_eq!(
            verify_keyed(&kept_macs, (4, &last, None), &key),
            Err(ChainBreak::MacInvalid {
                seq: 2,
                id: "e2".into()
            })
        );
        let other = TestSigner("not the key");
        let (other_rows, other_head) = {
            let rows: Vec<_> = forged
                .iter()
                .map(|f| (f.clone(), Some(entry_mac(&other, &f.hash))))
                .collect();
            (rows, head_mac(&other, 4, &last))
        };
        assert_eq!(
            verify_keyed(&other_rows, (4, &last, Some(&other_head)), &key),
            Err(ChainBreak::MacInvalid {
                seq: 1,
                id: "e1".into()
            })
        );
        // MACs removed altogether: a log with entries but no keyed one.
        let stripped: Vec<_> = other_rows.into_iter().map(|(r, _)| (r, None)).collect();
        assert_eq!(
            verify_keyed(&stripped, (4, &last, None), &key),
            Err(ChainBreak::NotKeyed { entries: 4 })
        );
    }

    #[test]
    fn stripped_macs_and_truncation_at_the_end_are_detected() {
        let key = TestSigner("k");
        let (mut rows, head) = keyed_chain(5, 2, &key);
        let last = rows.last().unwrap().0.hash.clone();
        rows[3].1 = None;
        assert_eq!(
            verify_keyed(&rows, (5, &last, Some(&head)), &key),
            Err(ChainBreak::MacMissing {
                seq: 4,
                id: "e4".into(),
                first_keyed: 2
            })
        );
        // The last two entries removed and the head set to the new end: its MAC is the old one.
        let (mut rows, head) = keyed_chain(5, 1, &key);
        rows.truncate(3);
        let end = rows.last().unwrap().0.hash.clone();
        assert_eq!(
            verify_keyed(&rows, (3, &end, Some(&head)), &key),
            Err(ChainBreak::HeadMacInvalid)
        );
        assert_eq!(
            verify_keyed(&rows, (3, &end, None), &key),
            Err(ChainBreak::HeadMacInvalid)
        );
    }

    #[test]
    fn a_missing_head_is_named() {
        let v = ChainVerifier::default();
        let e = v.finish(None).unwrap_err();
        assert_eq!(e, ChainBreak::HeadMissing { last: 0 });
        assert!(e.to_string().contains("the audit head row is missing"));
    }
}
