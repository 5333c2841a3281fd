//! Routes the chats' after-commit signal to the sockets that follow each chat.
//!
//! Every write to a chat announces the chat's id on `Topic::Chat` (on every node). Subscribing
//! each socket to that broadcast woke every socket for every message — with 1,000 visitors,
//! 1,000 wake-ups per message, and receivers that fell behind the broadcast's buffer reloaded
//! everything at once. The hub is the one subscriber of the node: it keeps, per chat id, the
//! sockets that follow it, and passes each key only to those (a visitor's socket follows its
//! chat; an agent's follows the queue key and the chats it has open). A key it cannot route
//! precisely (`Key::All`, or its own receiver lagging) goes to every follower, which then
//! reloads as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tripdesk_store::signal::{Key, Signals, Topic};
use uuid::Uuid;

type Senders = HashMap<u64, mpsc::UnboundedSender<Key>>;

#[derive(Default)]
struct Routes {
    /// Chat id → the followers of that chat, by follower id.
    by_key: HashMap<Uuid, Senders>,
    /// Every follower (for `Key::All`).
    all: Senders,
}

/// The node's router of chat signals (cheap to clone).
#[derive(Clone, Default)]
pub struct ChatHub {
    routes: Arc<Mutex<Routes>>,
    next: Arc<AtomicU64>,
}

impl ChatHub {
    /// A hub fed by `signals` until the store closes.
    pub fn spawn(signals: &Signals) -> Self {
        let hub = ChatHub::default();
        let mut keys = signals.subscribe_keys(Topic::Chat);
        let routes = hub.routes.clone();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let key = match keys.recv().await {
                    Ok(key) => key,
                    Err(RecvError::Lagged(_)) => Key::All,
                    Err(RecvError::Closed) => return,
                };
                let routes = routes.lock().unwrap_or_else(|e| e.into_inner());
                let to = match key {
                    Key::One(id) => routes.by_key.get(&id),
                    Key::All => Some(&routes.all),
                };
                for sender in to.into_iter().flat_map(|s| s.values()) {
                    let _ = sender.send(key);
                }
            }
        });
        hub
    }

    /// A follower of these chats' keys (more can be added).
    pub fn follow(&self, keys: &[Uuid]) -> Follower {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        {
            let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            routes.all.insert(id, tx.clone());
            for k in keys {
                routes.by_key.entry(*k).or_default().insert(id, tx.clone());
            }
        }
        Follower {
            hub: self.clone(),
            id,
            tx,
            rx,
            keys: keys.to_vec(),
        }
    }

    fn unroute(&self, id: u64, key: Uuid) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(senders) = routes.by_key.get_mut(&key) {
            senders.remove(&id);
            if senders.is_empty() {
                routes.by_key.remove(&key);
            }
        }
    }

    /// How many chat ids are routed (for tests: a closed socket leaves none behind).
    pub fn routed(&self) -> usize {
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_key
            .len()
    }
}

/// One socket's subscription: the keys of the chats it follows, in order. Dropping it stops
/// the routing.
pub struct Follower {
    hub: ChatHub,
    id: u64,
    tx: mpsc::UnboundedSender<Key>,
    rx: mpsc::UnboundedReceiver<Key>,
    keys: Vec<Uuid>,
}

impl Follower {
    /// The next key for this follower (`None` never comes while the follower lives).
    pub async fn recv(&mut self) -> Option<Key> {
        self.rx.recv().await
    }

    /// A key already waiting, without waiting for one (to take a burst of keys at once).
    pub fn try_recv(&mut self) -> Option<Key> {
        self.rx.try_recv().ok()
    }

    /// Follows one more chat.
    pub fn add(&mut self, key: Uuid) {
        if self.keys.contains(&key) {
            return;
        }
        self.keys.push(key);
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes
            .by_key
            .entry(key)
            .or_default()
            .insert(self.id, self.tx.clone());
    }

    /// Stops following a chat.
    pub fn remove(&mut self, key: Uuid) {
        if let Some(i) = self.keys.iter().position(|k| *k == key) {
            self.keys.swap_remove(i);
            self.hub.unroute(self.id, key);
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        for key in std::mem::take(&mut self.keys) {
            self.hub.unroute(self.id, key);
        }
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.all.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce(signals: &Signals, keys: &[Uuid]) {
        let mut pending = tripdesk_store::signal::PendingSignals::default();
        for k in keys {
            pending.note_key(Topic::Chat, *k);
        }
        signals.deliver(&pending);
    }

    #[tokio::test]
    async fn keys_reach_only_their_followers_and_all_reaches_everyone() {
        let signals = Signals::default();
        let hub = ChatHub::spawn(&signals);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut visitor = hub.follow(&[a]);
        let mut agent = hub.follow(&[]);
        agent.add(b);
        announce(&signals, &[b]);
        assert_eq!(agent.recv().await, Some(Key::One(b)));
        announce(&signals, &[a]);
        assert_eq!(visitor.recv().await, Some(Key::One(a)));
        assert!(agent.rx.try_recv().is_err(), "b's follower does not hear a");
        agent.remove(b);
        // Too many keys for one announcement: every follower hears `All`.
        let many: Vec<Uuid> = (0..10_000).map(|_| Uuid::now_v7()).collect();
        announce(&signals, &many);
        assert_eq!(visitor.recv().await, Some(Key::All));
        assert_eq!(agent.recv().await, Some(Key::All));
        assert_eq!(hub.routed(), 1);
        drop(visitor);
        drop(agent);
        assert_eq!(hub.routed(), 0, "nothing left behind");
    }
}
