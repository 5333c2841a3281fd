//! Outbox workers that wake with nothing due take no write transaction (on SQLite the one
//! writer every intake waits for): they read when each channel next has a message due and
//! claim only where something is. The real store (SQLite, or PostgreSQL with
//! TRIPDESK_TEST_DATABASE_URL) behind a wrapper that counts the write transactions opened.

use async_trait::async_trait;
use jiff::Timestamp;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tripdesk_app::notify::OneOffMessage;
use tripdesk_app::{App, AppSettings};
use tripdesk_delivery::inapp::InAppChannel;
use tripdesk_delivery::{Channel, Dispatcher, DispatcherConfig};
use tripdesk_domain::clock::ManualClock;
use tripdesk_store::{
    signal, ApiToken, AuditSigner, Backend, ColumnOutline, Session, Store, StoreError,
    TableEstimate, Tx, User,
};
use tripdesk_store_sql::testing::fresh_store;

/// The store, with the write transactions opened through it counted.
struct CountingWrites {
    inner: Arc<dyn Store>,
    writes: AtomicUsize,
}

#[async_trait]
impl Store for CountingWrites {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn read(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.inner.read().await
    }
    async fn session_owner(&self, token_hash: &str) -> Result<Option<(Session, User)>, StoreError> {
        self.inner.session_owner(token_hash).await
    }
    async fn api_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User)>, StoreError> {
        self.inner.api_token_owner(token_hash).await
    }
    async fn write(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write().await
    }
    async fn write_seeding(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write_seeding().await
    }
    async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        self.inner.backup_to(path).await
    }
    async fn schema_outline(&self) -> Result<Vec<ColumnOutline>, StoreError> {
        self.inner.schema_outline().await
    }
    fn signals(&self) -> Arc<signal::Signals> {
        self.inner.signals()
    }
    async fn listen_signals(&self) -> Result<(), StoreError> {
        self.inner.listen_signals().await
    }
    async fn close(&self) {
        self.inner.close().await
    }
    async fn link_audit(&self, signer: Option<AuditSigner>) -> Result<u64, StoreError> {
        self.inner.link_audit(signer).await
    }
    fn audit_queued_signal(&self) -> Arc<tokio::sync::Notify> {
        self.inner.audit_queued_signal()
    }
    fn queue_audit(&self, on: bool) {
        self.inner.queue_audit(on)
    }
    async fn settle_after_bulk_load(&self) -> Result<Vec<TableEstimate>, StoreError> {
        self.inner.settle_after_bulk_load().await
    }
    async fn purge_free_space(&self, tables: &[&str]) -> Result<(), StoreError> {
        self.inner.purge_free_space(tables).await
    }
}

#[tokio::test]
async fn idle_wake_ups_take_no_write_and_a_due_message_is_still_claimed() {
    let test_store = fresh_store().await;
    let counting = Arc::new(CountingWrites {
        inner: test_store.store.clone(),
        writes: AtomicUsize::new(0),
    });
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let app = App::new(counting.clone(), clock, AppSettings::default());
    let console = App::console_principal();
    app.create_user(
        &console,
        tripdesk_app::identity::NewUser {
            username: "zhao.min".into(),
            display_name: "赵敏".into(),
            email: None,
            password: "a strong password".into(),
            department_id: None,
            roles: vec![tripdesk_domain::identity::Role::Supervisor],
            locale: Some("zh-CN".into()),
        },
    )
    .await
    .unwrap();
    let before = counting.writes.load(Ordering::SeqCst);
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(InAppChannel::new(&app))];
    let dispatcher = Dispatcher::start(
        app.clone(),
        channels,
        DispatcherConfig {
            workers: 2,
            // Each worker wakes every 20 ms: some fifty wake-ups in a second, none finding work.
            idle_poll: Duration::from_millis(20),
            node: "test".into(),
            ..Default::default()
        },
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        counting.writes.load(Ordering::SeqCst) - before,
        0,
        "idle workers opened write transactions"
    );

    // Something due: the workers claim it (a write) and deliver it.
    let queued = app
        .send_message(
            &console,
            OneOffMessage {
                channel: "in_app".into(),
                to: "zhao.min".into(),
                subject: "台风预警".into(),
                body: "明日行程顺延。".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut state = None;
    for _ in 0..100 {
        let mut tx = app.store.read().await.unwrap();
        state = tx.get_message(queued.id).await.unwrap().map(|m| m.state);
        if state != Some(tripdesk_store::MessageState::Queued) {
            break;
        }
        drop(tx);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(
        state,
        Some(tripdesk_store::MessageState::Queued),
        "{state:?}"
    );
    dispatcher.shutdown().await;
}
