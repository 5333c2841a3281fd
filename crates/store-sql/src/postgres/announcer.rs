//! Cross-node announcements of the PostgreSQL backend: what this process's commits wrote,
//! sent to the other nodes by `NOTIFY` after the commit.

use sqlx::PgPool;
use std::sync::Arc;
use tripdesk_store::signal::PendingSignals;

/// Tells the other nodes what this process's commits announced (`tripdesk_store::signal`):
/// with `NOTIFY`, once each transaction has committed, in a statement of its own — a NOTIFY
/// inside the transaction takes PostgreSQL's cluster-wide notification lock at COMMIT and
/// holds it through the WAL flush, so every announcing commit of every node committed one
/// after another (~320 commits/s here against ~1,100 without; docs/PERFORMANCE.md).
///
/// The commit does not wait for it: announcements are merged here and one task sends them,
/// so the commits that come while a NOTIFY is on its way share the next one (under load, one
/// NOTIFY carries many intakes' instead of each paying a round trip and a transaction of its
/// own). Lost only if this process dies before sending: the other nodes' waiters find the work
/// at their fallback poll.
pub(super) struct Announcer {
    pub(super) pending: std::sync::Mutex<PendingSignals>,
    /// Whether a task is sending (at most one at a time).
    pub(super) sending: std::sync::atomic::AtomicBool,
    pub(super) pool: PgPool,
    /// The NOTIFY channel of this database and schema.
    pub(super) channel: Arc<str>,
    /// Prefixed to the payload, so this process's listener skips what it delivered at commit.
    pub(super) origin: Arc<str>,
}

impl Announcer {
    pub(super) fn announce(self: &Arc<Self>, what: &PendingSignals) {
        use std::sync::atomic::Ordering::SeqCst;
        self.pending.lock().expect("announcer").merge(what);
        if self.sending.swap(true, SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let batch = me.pending.lock().expect("announcer").take();
                if batch.is_empty() {
                    me.sending.store(false, SeqCst);
                    // A commit that merged after the take saw `sending` still set and left
                    // its announcement to this task: send it, unless another task took over.
                    if me.pending.lock().expect("announcer").is_empty()
                        || me.sending.swap(true, SeqCst)
                    {
                        return;
                    }
                    continue;
                }
                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&*me.channel)
                    .bind(format!("{}|{}", me.origin, batch.to_payload()))
                    .execute(&me.pool)
                    .await
                {
                    tracing::warn!(error = %e, "cannot announce a commit to other nodes");
                }
            }
        });
    }
}
