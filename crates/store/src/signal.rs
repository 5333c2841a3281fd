//! The after-commit signal: how a commit wakes whichever worker waits for what it wrote — the
//! job worker, the SLA engine, the outbox's delivery workers, the bell's live streams.
//!
//! A transaction notes what it wrote on a [`Topic`] ([`PendingSignals::note`]); only when it
//! commits does the store deliver the notes to its process's [`Signals`] and, on PostgreSQL,
//! send them with `NOTIFY` in a statement after the COMMIT (so every node that `LISTEN`s
//! hears them once the transaction committed; a NOTIFY inside it would serialise every
//! announcing commit of the cluster on PostgreSQL's notification lock). A transaction rolled
//! back announces nothing. Waiters still look again after [`FALLBACK_POLL`]: the safety net for SQLite files
//! shared by several processes (no channel between them) and for notifications lost while a
//! listener reconnects.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

/// The longest any waiter sleeps without looking at the store again, whatever it was told.
pub const FALLBACK_POLL: Duration = Duration::from_secs(30);

/// What a commit can announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A job was enqueued or made due again.
    Jobs,
    /// An SLA clock was written with a next due instant.
    Sla,
    /// Outbox messages were enqueued or requeued.
    Outbox,
    /// A staff member's in-app notifications changed (the key is the user's id).
    Bell,
    /// A calendar, its holidays, an SLA policy or a routing rule changed: whatever a node
    /// keeps of them for intake is stale.
    Config,
    /// A web chat was written to (the key is the chat's id; `CHAT_QUEUE_KEY` when a chat
    /// started or changed state).
    Chat,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::Jobs,
        Topic::Sla,
        Topic::Outbox,
        Topic::Bell,
        Topic::Config,
        Topic::Chat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Jobs => "jobs",
            Topic::Sla => "sla",
            Topic::Outbox => "outbox",
            Topic::Bell => "bell",
            Topic::Config => "config",
            Topic::Chat => "chat",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Most keys one announcement carries; beyond, it says "every key" instead.
const MAX_KEYS: usize = 64;

/// What one transaction announces on one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Announce {
    /// The earliest instant (epoch ms) something written becomes due; `i64::MIN`: now.
    due_ms: i64,
    /// Whom it concerns (bell: user ids); empty with `all` false: nobody in particular.
    keys: Vec<Uuid>,
    /// Too many keys to list: it concerns every key.
    all: bool,
}

/// The announcements a transaction collects until it commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingSignals {
    topics: [Option<Announce>; Topic::ALL.len()],
}

impl PendingSignals {
    pub fn is_empty(&self) -> bool {
        self.topics.iter().all(Option::is_none)
    }

    /// Adds what `other` announces (the earlier due instant of each topic, the union of the
    /// keys): several commits' announcements sent as one.
    pub fn merge(&mut self, other: &PendingSignals) {
        for topic in Topic::ALL {
            let Some(a) = &other.topics[topic.index()] else {
                continue;
            };
            self.note(topic, Some(a.due_ms).filter(|d| *d != i64::MIN));
            if a.all {
                self.all_keys(topic);
            } else {
                for k in &a.keys {
                    self.note_key_only(topic, *k);
                }
            }
        }
    }

    /// Whether something was noted on `topic`.
    pub fn has(&self, topic: Topic) -> bool {
        self.topics[topic.index()].is_some()
    }

    /// Takes everything noted, leaving nothing.
    pub fn take(&mut self) -> PendingSignals {
        std::mem::take(self)
    }

    /// Something on `topic` becomes due at `due_ms` (epoch ms), or now when `None`.
    pub fn note(&mut self, topic: Topic, due_ms: Option<i64>) {
        let due = due_ms.unwrap_or(i64::MIN);
        let slot = &mut self.topics[topic.index()];
        match slot {
            Some(a) => a.due_ms = a.due_ms.min(due),
            None => {
                *slot = Some(Announce {
                    due_ms: due,
                    keys: Vec::new(),
                    all: false,
                })
            }
        }
    }

    /// Something on `topic` concerning `key` happened now.
    pub fn note_key(&mut self, topic: Topic, key: Uuid) {
        self.note(topic, None);
        self.note_key_only(topic, key);
    }

    /// Adds `key` to what `topic` (already noted) concerns.
    fn note_key_only(&mut self, topic: Topic, key: Uuid) {
        let a = self.topics[topic.index()]
            .as_mut()
            .expect("noted just above");
        if !a.all && !a.keys.contains(&key) {
            if a.keys.len() >= MAX_KEYS {
                a.keys.clear();
                a.all = true;
            } else {
                a.keys.push(key);
            }
        }
    }

    /// The text sent with `NOTIFY`: `topic:due[:key,key|*]` per topic, `;`-separated (at most
    /// about 2,500 bytes: far below PostgreSQL's 8,000).
    pub fn to_payload(&self) -> String {
        let mut parts = Vec::new();
        for topic in Topic::ALL {
            if let Some(a) = &self.topics[topic.index()] {
                let due = if a.due_ms == i64::MIN {
                    "now".to_string()
                } else {
                    a.due_ms.to_string()
                };
                let mut part = format!("{}:{due}", topic.as_str());
                if a.all {
                    part.push_str(":*");
                } else if !a.keys.is_empty() {
                    part.push(':');
                    let keys: Vec<String> = a.keys.iter().map(Uuid::to_string).collect();
                    part.push_str(&keys.join(","));
                }
                parts.push(part);
            }
        }
        parts.join(";")
    }

    /// Reads [`PendingSignals::to_payload`]; anything unreadable becomes "every topic, now,
    /// every key" (a needless look is harmless, a missed one is not).
    pub fn from_payload(payload: &str) -> Self {
        let mut out = Self::default();
        for part in payload.split(';').filter(|p| !p.is_empty()) {
            let mut fields = part.splitn(3, ':');
            let topic = fields.next().and_then(Topic::parse);
            let due = fields.next().map(|d| {
                if d == "now" {
                    Some(None)
                } else {
                    d.parse::<i64>().ok().map(Some)
                }
            });
            let keys = fields.next();
            let (Some(topic), Some(Some(due))) = (topic, due) else {
                return Self::everything();
            };
            out.note(topic, due);
            match keys {
                None => {}
                Some("*") => out.all_keys(topic),
                Some(list) => {
                    for k in list.split(',') {
                        match Uuid::parse_str(k) {
                            Ok(k) => out.note_key(topic, k),
                            Err(_) => out.all_keys(topic),
                        }
                    }
                }
            }
        }
        out
    }

    /// Every topic due now, concerning every key.
    pub fn everything() -> Self {
        let mut out = Self::default();
        for topic in Topic::ALL {
            out.all_keys(topic);
        }
        out
    }

    fn all_keys(&mut self, topic: Topic) {
        self.note(topic, None);
        if let Some(a) = self.topics[topic.index()].as_mut() {
            a.keys.clear();
            a.all = true;
        }
    }
}

/// A key an announcement concerned, as keyed subscribers receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    One(Uuid),
    /// Every key (too many to list, or a listener reconnected and may have missed some).
    All,
}

struct Slot {
    /// Bumped by every announcement: wakes every subscriber.
    seq: watch::Sender<u64>,
    /// The instant (epoch ms) the one sleeper of this topic that said so sleeps until; an
    /// announcement due later does not wake anyone. `i64::MAX` (the default): every
    /// announcement wakes.
    sleeping_until: AtomicI64,
    keys: broadcast::Sender<Key>,
}

/// This process's end of the signal: one per store.
pub struct Signals {
    slots: [Slot; Topic::ALL.len()],
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| Slot {
                seq: watch::channel(0).0,
                sleeping_until: AtomicI64::new(i64::MAX),
                keys: broadcast::channel(1024).0,
            }),
        }
    }
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signals")
    }
}

impl Signals {
    /// Delivers what a committed transaction (of this process or, through `LISTEN`, of
    /// another node) announced.
    pub fn deliver(&self, pending: &PendingSignals) {
        for topic in Topic::ALL {
            let Some(a) = &pending.topics[topic.index()] else {
                continue;
            };
            let slot = &self.slots[topic.index()];
            if a.all {
                let _ = slot.keys.send(Key::All);
            }
            for k in &a.keys {
                let _ = slot.keys.send(Key::One(*k));
            }
            if a.due_ms < slot.sleeping_until.load(Ordering::SeqCst) {
                slot.seq.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// How many announcements on `topic` this process has had: a reader that notes it before
    /// reading the store and finds it unchanged afterwards knows nothing it read was
    /// announced as changed in between (the calendar cache of `tripdesk_app`).
    pub fn generation(&self, topic: Topic) -> u64 {
        *self.slots[topic.index()].seq.borrow()
    }

    /// Wakes every waiter of `topic` (tests after moving a manual clock; a lost listener).
    pub fn wake(&self, topic: Topic) {
        self.slots[topic.index()]
            .seq
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A waiter's subscription to `topic`. Call [`Subscription::mark_seen`] before looking
    /// for work: an announcement that comes while it looks then ends the next wait at once.
    pub fn subscribe(&self, topic: Topic) -> Subscription {
        Subscription {
            rx: self.slots[topic.index()].seq.subscribe(),
        }
    }

    /// The keys announced on `topic` from now on.
    pub fn subscribe_keys(&self, topic: Topic) -> broadcast::Receiver<Key> {
        self.slots[topic.index()].keys.subscribe()
    }

    /// The one sleeper of `topic` (the SLA engine, the job worker) sleeps until `until_ms`:
    /// announcements due later need not wake it.
    pub fn sleeping_until(&self, topic: Topic, until_ms: i64) {
        self.slots[topic.index()]
            .sleeping_until
            .store(until_ms, Ordering::SeqCst);
    }

    /// The sleeper of `topic` is awake: every announcement wakes it again (so nothing
    /// committed while it works is missed).
    pub fn awake(&self, topic: Topic) {
        self.slots[topic.index()]
            .sleeping_until
            .store(i64::MAX, Ordering::SeqCst);
    }
}

/// A waiter's hold on one topic.
pub struct Subscription {
    rx: watch::Receiver<u64>,
}

impl Subscription {
    /// Forgets announcements so far.
    pub fn mark_seen(&mut self) {
        self.rx.borrow_and_update();
    }

    /// Resolves at the next announcement not yet seen (at once if one came since
    /// [`Subscription::mark_seen`]).
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            // The store (and its signals) is gone: nothing will ever come.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready<F: std::future::Future>(f: F) -> bool {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        f.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn payload_round_trips() {
        let mut p = PendingSignals::default();
        assert!(p.is_empty());
        p.note(Topic::Sla, Some(500));
        p.note(Topic::Sla, Some(300));
        p.note(Topic::Outbox, None);
        let u = Uuid::now_v7();
        p.note_key(Topic::Bell, u);
        p.note_key(Topic::Bell, u);
        let text = p.to_payload();
        assert_eq!(text, format!("sla:300;outbox:now;bell:now:{u}"));
        assert_eq!(PendingSignals::from_payload(&text), p);
        assert_eq!(
            PendingSignals::from_payload("garbage"),
            PendingSignals::everything()
        );
        let mut many = PendingSignals::default();
        for _ in 0..=MAX_KEYS {
            many.note_key(Topic::Bell, Uuid::now_v7());
        }
        assert!(many.to_payload().ends_with(":*"));
        assert_eq!(PendingSignals::from_payload(&many.to_payload()), many);
    }

    #[test]
    fn merged_announcements_keep_the_earliest_due_and_every_key() {
        let (u, v) = (Uuid::now_v7(), Uuid::now_v7());
        let mut first = PendingSignals::default();
        first.note(Topic::Sla, Some(900));
        first.note_key(Topic::Bell, u);
        let mut second = PendingSignals::default();
        second.note(Topic::Sla, Some(400));
        second.note(Topic::Outbox, None);
        second.note_key(Topic::Bell, v);
        second.note_key(Topic::Bell, u);
        let mut sent = PendingSignals::default();
        sent.merge(&first);
        sent.merge(&second);
        assert_eq!(
            sent.to_payload(),
            format!("sla:400;outbox:now;bell:now:{u},{v}")
        );
        assert!(sent.has(Topic::Outbox) && !sent.has(Topic::Config));
        let mut everything = sent.take();
        assert!(sent.is_empty());
        everything.merge(&PendingSignals::everything());
        assert_eq!(everything, PendingSignals::everything());
    }

    #[test]
    fn an_announcement_wakes_subscribers_of_its_topic_only() {
        let s = Signals::default();
        let mut jobs = s.subscribe(Topic::Jobs);
        let mut outbox_a = s.subscribe(Topic::Outbox);
        let mut outbox_b = s.subscribe(Topic::Outbox);
        jobs.mark_seen();
        outbox_a.mark_seen();
        outbox_b.mark_seen();
        assert!(!ready(outbox_a.changed()));
        let mut p = PendingSignals::default();
        p.note(Topic::Outbox, None);
        s.deliver(&p);
        assert!(ready(outbox_a.changed()));
        assert!(ready(outbox_b.changed()));
        assert!(!ready(jobs.changed()));
    }

    #[test]
    fn a_sleeper_is_woken_only_by_what_is_due_before_it_wakes() {
        let s = Signals::default();
        let mut sla = s.subscribe(Topic::Sla);
        sla.mark_seen();
        s.sleeping_until(Topic::Sla, 1_000);
        let mut later = PendingSignals::default();
        later.note(Topic::Sla, Some(2_000));
        s.deliver(&later);
        assert!(!ready(sla.changed()));
        let mut sooner = PendingSignals::default();
        sooner.note(Topic::Sla, Some(999));
        s.deliver(&sooner);
        assert!(ready(sla.changed()));
        // Awake: anything wakes it again.
        s.awake(Topic::Sla);
        s.deliver(&later);
        assert!(ready(sla.changed()));
    }

    #[test]
    fn keyed_subscribers_hear_keys() {
        let s = Signals::default();
        let mut keys = s.subscribe_keys(Topic::Bell);
        let u = Uuid::now_v7();
        let mut p = PendingSignals::default();
        p.note_key(Topic::Bell, u);
        s.deliver(&p);
        s.deliver(&PendingSignals::everything());
        assert_eq!(keys.try_recv().unwrap(), Key::One(u));
        assert_eq!(keys.try_recv().unwrap(), Key::All);
    }
}
