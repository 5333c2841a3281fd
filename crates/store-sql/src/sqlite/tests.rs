//! The SQLite backend's own tests: group commit, the writer queue, other processes.

use super::*;
use sqlx::Executor;
use std::sync::atomic::Ordering;

async fn open() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &PoolSettings::default())
        .await
        .unwrap();
    (dir, Arc::new(store))
}

fn department(code: &str) -> tripdesk_store::Department {
    let now = jiff::Timestamp::now();
    tripdesk_store::Department {
        id: uuid::Uuid::now_v7(),
        code: code.into(),
        name_zh: code.into(),
        name_en: code.into(),
        business_unit_id: None,
        created_at: now,
        updated_at: now,
    }
}

/// Rows of `departments` with this code, read over a connection of its own.
async fn seen_elsewhere(dir: &Path, code: &str) -> i64 {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join(FILE_NAME))
        .read_only(true)
        .connect()
        .await
        .unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM departments WHERE code = $1")
        .bind(code)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// Many writers at once share few COMMITs, and each `commit()` returns only once its row
/// is committed: another connection sees it right away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_share_a_commit_and_are_committed_on_return() {
    let (dir, store) = open().await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (store, path) = (store.clone(), dir.path().to_path_buf());
        tasks.push(tokio::spawn(async move {
            let mut tx = store.write().await.unwrap();
            tx.insert_department(&department(&format!("d{i}")))
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            assert_eq!(seen_elsewhere(&path, &format!("d{i}")).await, 1);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let batches = store.writer.next_batch.load(Ordering::SeqCst);
    assert!(batches < 64, "64 writers took {batches} COMMITs");
}

/// Polls a future once, as a runtime would: `Some` if it finished without waiting.
fn poll_once<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// The writer runs its statements on the calling thread: a whole write transaction —
/// BEGIN, an insert, COMMIT — finishes within one poll, where a connection with a thread
/// of its own would have to wait for that thread's answer at the first statement.
#[tokio::test]
async fn a_write_transaction_runs_on_the_calling_thread() {
    let (dir, store) = open().await;
    let done = poll_once(async {
        let mut tx = store.write().await?;
        tx.insert_department(&department("inline")).await?;
        tx.commit().await
    });
    assert!(
        matches!(done, Some(Ok(()))),
        "the write finished in one poll: {done:?}"
    );
    assert_eq!(seen_elsewhere(dir.path(), "inline").await, 1);
}

/// While another process holds the write lock, a writer waits without blocking the
/// runtime's thread (here the only one: the ticker keeps ticking), then writes once the
/// lock is released; held past the acquire timeout, the write fails saying why.
#[tokio::test(flavor = "current_thread")]
async fn waiting_for_another_process_s_write_lock_does_not_block_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let settings = PoolSettings {
        acquire_timeout: Duration::from_millis(400),
        ..PoolSettings::default()
    };
    let store = Arc::new(SqliteStore::open(dir.path(), &settings).await.unwrap());
    let mut other = SqliteConnectOptions::new()
        .filename(dir.path().join(FILE_NAME))
        .connect()
        .await
        .unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();

    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.write().await?;
            tx.insert_department(&department("after-lock")).await?;
            tx.commit().await
        })
    };
    let mut ticks = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        ticks += 1;
    }
    assert_eq!(ticks, 20);
    assert!(!writer.is_finished(), "the writer waits for the lock");
    other.execute("COMMIT").await.unwrap();
    writer.await.unwrap().unwrap();
    assert_eq!(seen_elsewhere(dir.path(), "after-lock").await, 1);

    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let refused = match store.write().await {
        Err(e) => e.to_string(),
        Ok(_) => "the write lock was taken".into(),
    };
    assert!(refused.contains("write lock"), "{refused}");
    other.execute("ROLLBACK").await.unwrap();
}

/// The checkpointer copies committed pages back into the database file; the writer's own
/// automatic checkpoint waits for thousands of pages, so the file grows only through it.
#[tokio::test]
async fn the_checkpointer_copies_the_wal_into_the_database_file() {
    let (dir, store) = open().await;
    let file = dir.path().join(FILE_NAME);
    let before = std::fs::metadata(&file).unwrap().len();
    let mut tx = store.write().await.unwrap();
    for i in 0..300 {
        let mut d = department(&format!("grow-{i}"));
        d.name_zh = "线路策划部".repeat(40);
        tx.insert_department(&d).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut grown = false;
    for _ in 0..100 {
        if std::fs::metadata(&file).unwrap().len() > before + 64 * 1024 {
            grown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        grown,
        "the database file grew from {before} bytes within 2 s"
    );
    store.close().await;
}

/// The bundled SQLite is built as `.cargo/config.toml` says: without the process-wide
/// memory-statistics and shared page-cache mutexes that connections working at once on
/// the runtime's threads contended on.
#[tokio::test]
async fn the_bundled_sqlite_is_built_without_its_global_mutexes() {
    let (_dir, store) = open().await;
    let used = |option: &'static str| {
        let store = store.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT sqlite_compileoption_used($1)")
                .bind(option)
                .fetch_one(&store.reader)
                .await
                .unwrap();
            n == 1
        }
    };
    assert!(used("DEFAULT_MEMSTATUS=0").await);
    assert!(!used("ENABLE_MEMORY_MANAGEMENT").await);
    assert!(used("THREADSAFE=1").await, "the query itself works");
}

/// Dropping a store without closing it ends its checkpointer.
#[tokio::test]
async fn a_dropped_store_stops_its_checkpointer() {
    let (_dir, store) = open().await;
    let task = store
        .checkpoint
        .lock()
        .unwrap()
        .take()
        .expect("a running checkpointer");
    drop(store);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the checkpointer ended")
        .unwrap();
}

/// When the shared COMMIT fails, every member's `commit()` fails and none of their rows
/// exist; the next writer starts afresh.
#[tokio::test]
async fn a_failed_commit_fails_every_member() {
    let (dir, store) = open().await;
    let mut first = store.write().await.unwrap();
    first.insert_department(&department("first")).await.unwrap();
    // A second writer queues behind the first, so the first's commit waits for it.
    let queue = store.writer.clone();
    let second = tokio::spawn(async move {
        let mut w = queue.begin().await.unwrap();
        // A foreign key checked only at COMMIT: the shared COMMIT fails.
        w.exec("PRAGMA defer_foreign_keys = ON").await.unwrap();
        w.exec("INSERT INTO ticket_handlers (ticket_id, user_id) VALUES ('no-ticket', 'no-user')")
            .await
            .unwrap();
        queue.commit(w).await
    });
    while store.writer.waiting.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let first = first.commit().await;
    let second = second.await.unwrap();
    assert!(
        second.is_err(),
        "the member whose row breaks the COMMIT fails"
    );
    assert!(
        first.is_err(),
        "and so does every other member of the batch"
    );
    assert_eq!(seen_elsewhere(dir.path(), "first").await, 0);

    let mut tx = store.write().await.unwrap();
    tx.insert_department(&department("after")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(seen_elsewhere(dir.path(), "after").await, 1);
}

/// With `synchronous=FULL` the writer commits with NORMAL and the syncer's thread syncs the
/// WAL before the members hear of it: while that thread is held, a write transaction does
/// not finish within the poll that ran its COMMIT (where NORMAL finishes at once: see above),
/// and many writers at once all commit, sharing COMMITs, each seen by another connection on
/// return.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_commits_wait_for_the_wal_sync_off_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let settings = PoolSettings {
        sqlite_synchronous_full: true,
        ..PoolSettings::default()
    };
    let store = Arc::new(SqliteStore::open(dir.path(), &settings).await.unwrap());
    {
        let mut w = store.writer.lock.lock().await;
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(w.conn().unwrap())
            .await
            .unwrap();
        assert_eq!(level, 1, "the writer itself commits with NORMAL");
    }
    let pause = store
        .writer
        .lock
        .lock()
        .await
        .syncer
        .as_ref()
        .unwrap()
        .pause
        .clone();
    // The syncing thread held before its sync: the commit cannot be told of success (a
    // free thread could finish a sync on tmpfs within the poll, so it is held, not raced).
    let held = pause.lock().unwrap();
    let first = poll_once(async {
        let mut tx = store.write().await?;
        tx.insert_department(&department("durable")).await?;
        tx.commit().await
    });
    assert!(first.is_none(), "the commit waits for the sync: {first:?}");
    drop(held);
    // Committed by then (visible), and the writer free for the next.
    assert_eq!(seen_elsewhere(dir.path(), "durable").await, 1);

    let mut tasks = Vec::new();
    for i in 0..64 {
        let (store, path) = (store.clone(), dir.path().to_path_buf());
        tasks.push(tokio::spawn(async move {
            let mut tx = store.write().await.unwrap();
            tx.insert_department(&department(&format!("f{i}")))
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            assert_eq!(seen_elsewhere(&path, &format!("f{i}")).await, 1);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let batches = store.writer.next_batch.load(Ordering::SeqCst);
    assert!(batches < 65, "65 writers took {batches} COMMITs");
    store.close().await;
}

/// The writer's busy time counts how long write transactions held it — at least the time one
/// was held open — and nothing while no one writes; reads do not count.
#[tokio::test]
async fn the_writers_busy_time_counts_while_a_transaction_holds_it() {
    let (_dir, store) = open().await;
    let start = store.writer_busy().expect("SQLite has one writer");
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&department("held")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.commit().await.unwrap();
    let after_write = store.writer_busy().unwrap();
    assert!(
        after_write - start >= Duration::from_millis(50),
        "held 50 ms, counted {:?}",
        after_write - start
    );
    let mut r = store.read().await.unwrap();
    r.list_departments().await.unwrap();
    drop(r);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.writer_busy().unwrap(), after_write);
}

/// `tripdesk_rank` weighs each term by how rare it is (estimated from its newest matches):
/// of two documents alike but for which word they repeat, the one repeating the rarer word
/// ranks first, though the other was written later (equal scores: later first).
#[tokio::test]
async fn ranking_weighs_the_rarer_word_more() {
    use tripdesk_domain::search::{Analyzer, Query, SearchKind};
    use tripdesk_store::{SearchDoc, SearchFilter};
    let (_dir, store) = open().await;
    let analyzer = Analyzer::new();
    let doc = |text: &str| SearchDoc {
        kind: SearchKind::Ticket,
        id: uuid::Uuid::now_v7(),
        ticket_id: None,
        at: jiff::Timestamp::now(),
        tokens: analyzer.index_tokens(text),
    };
    let mut docs: Vec<SearchDoc> = (0..40).map(|_| doc("退款 申请")).collect();
    let rare_repeated = doc("导游 导游 导游 退款");
    let common_repeated = doc("退款 退款 退款 导游");
    docs.push(rare_repeated.clone());
    docs.push(common_repeated.clone());
    let mut tx = store.write().await.unwrap();
    tx.index_search_docs(&docs).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let hits = r
        .search_docs(&SearchFilter {
            terms: Query::parse("退款 导游").unwrap().terms,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<uuid::Uuid> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![rare_repeated.id, common_repeated.id]);
    assert!(hits[0].score > hits[1].score);
}

/// Members of one batch stage their search documents and the batch's COMMIT writes them into
/// FTS5 (`sqlite/search.rs`): a committed member's document is found, a rolled-back one's is
/// not, a write transaction finds what it staged itself, and the index stays sound.
#[tokio::test]
async fn a_batch_writes_its_members_search_documents_at_its_commit() {
    use tripdesk_domain::search::{Analyzer, Query, SearchKind};
    use tripdesk_store::{SearchDoc, SearchFilter};
    let (_dir, store) = open().await;
    let analyzer = Arc::new(Analyzer::new());
    let filter = |q: &str| SearchFilter {
        terms: Query::parse(q).unwrap().terms,
        limit: 10,
        ..Default::default()
    };
    let batches_before = store.writer.next_batch.load(Ordering::SeqCst);
    let mut tasks = Vec::new();
    for i in 0..24u32 {
        let (store, analyzer) = (store.clone(), analyzer.clone());
        let filter = filter(&format!("tk{i}"));
        tasks.push(tokio::spawn(async move {
            let doc = SearchDoc {
                kind: SearchKind::Ticket,
                id: uuid::Uuid::now_v7(),
                ticket_id: None,
                at: jiff::Timestamp::now(),
                tokens: analyzer.index_tokens(&format!("申请退款 单号 TK{i}")),
            };
            let mut tx = store.write().await.unwrap();
            tx.index_search_doc(&doc).await.unwrap();
            let inside = tx.search_docs(&filter).await.unwrap();
            assert_eq!(inside.len(), 1, "a transaction finds what it indexed");
            if i % 3 == 2 {
                drop(tx);
                None
            } else {
                tx.commit().await.unwrap();
                Some(doc.id)
            }
        }));
    }
    let mut committed = Vec::new();
    for t in tasks {
        committed.push(t.await.unwrap());
    }
    let batches = store.writer.next_batch.load(Ordering::SeqCst) - batches_before;
    assert!(
        batches < 24,
        "the writers shared batches ({batches} for 24)"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut r = store.read().await.unwrap();
    for (i, id) in committed.iter().enumerate() {
        let hits = r.search_docs(&filter(&format!("tk{i}"))).await.unwrap();
        let found: Vec<uuid::Uuid> = hits.iter().map(|h| h.id).collect();
        assert_eq!(
            found,
            id.iter().copied().collect::<Vec<_>>(),
            "document {i}"
        );
    }
    let all = r.search_docs(&filter("退款")).await.unwrap();
    assert_eq!(all.len(), 10, "a page of the 16 committed");
    drop(r);
    let mut w = store.writer.lock.lock().await;
    let conn = w.conn().unwrap();
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
        .await
        .unwrap();
    let staged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temp.search_fts_staged")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(staged, 0, "nothing is left staged after the commits");
}

/// A search filtered by kind reads the kind from the rowid (migration 0064) where the window
/// lies among documents numbered so, and reads each match's row where it reaches documents
/// numbered before: both give every document of the kind.
#[tokio::test]
async fn a_kind_filter_finds_documents_numbered_before_kinds_were_coded() {
    use tripdesk_domain::search::{Analyzer, Query, SearchKind};
    use tripdesk_store::{SearchDoc, SearchFilter};
    let (_dir, store) = open().await;
    let analyzer = Analyzer::new();
    // Numbered as before migration 0064: one by one, whatever their kind.
    {
        let mut w = store.writer.lock.lock().await;
        let conn = w.conn().unwrap();
        for seq in 1..=10i64 {
            let kind = if seq % 2 == 0 { "message" } else { "ticket" };
            sqlx::query("INSERT INTO search_docs (seq, doc_id, kind, at) VALUES ($1, $2, $3, 0)")
                .bind(seq)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(kind)
                .execute(&mut *conn)
                .await
                .unwrap();
            sqlx::query("INSERT INTO search_fts (rowid, tokens) VALUES ($1, $2)")
                .bind(seq)
                .bind(analyzer.index_tokens("申请退款").join(" "))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        conn.execute("UPDATE search_fts_kind_coded_from SET from_seq = 11")
            .await
            .unwrap();
    }
    let doc = |kind: SearchKind| SearchDoc {
        kind,
        id: uuid::Uuid::now_v7(),
        ticket_id: None,
        at: jiff::Timestamp::now(),
        tokens: analyzer.index_tokens("退款"),
    };
    let mut docs: Vec<SearchDoc> = (0..2_000).map(|_| doc(SearchKind::Ticket)).collect();
    docs.extend((0..10).map(|_| doc(SearchKind::Message)));
    let mut tx = store.write().await.unwrap();
    tx.index_search_docs(&docs).await.unwrap();
    tx.commit().await.unwrap();
    let search = |kind: SearchKind, limit: u32| SearchFilter {
        terms: Query::parse("退款").unwrap().terms,
        kinds: vec![kind],
        limit,
        ..Default::default()
    };
    let mut r = store.read().await.unwrap();
    // Ten messages since the migration, fewer than the window: the rows are read, and the
    // five written before are found too.
    let messages = r
        .search_docs(&search(SearchKind::Message, 50))
        .await
        .unwrap();
    assert_eq!(messages.len(), 15);
    assert!(messages.iter().all(|h| h.kind == SearchKind::Message));
    // 2,000 tickets since: the window lies among them, the kind is read from the rowid.
    let tickets = r
        .search_docs(&search(SearchKind::Ticket, 30))
        .await
        .unwrap();
    assert_eq!(tickets.len(), 30);
    assert!(tickets.iter().all(|h| h.kind == SearchKind::Ticket));
    let new: std::collections::HashSet<uuid::Uuid> = docs.iter().map(|d| d.id).collect();
    assert!(
        tickets.iter().all(|h| new.contains(&h.id)),
        "the newest are ranked"
    );
    drop(r);
    let mut w = store.writer.lock.lock().await;
    let coded: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, kind FROM search_docs WHERE seq >= 11")
            .fetch_all(w.conn().unwrap())
            .await
            .unwrap();
    assert_eq!(coded.len(), 2_010);
    for (seq, kind) in coded {
        let kind = SearchKind::parse(&kind).unwrap();
        assert_eq!(
            seq & 3,
            super::shared_search::kind_code(kind),
            "{seq} {kind:?}"
        );
    }
}

/// The BM25 weights count documents: a `seq` since migration 0064 stands for a quarter of a
/// document (its low bits carry the kind), one before it for one.
#[test]
fn documents_are_counted_not_seqs() {
    use super::shared_search::{documents_up_to, kind_code};
    use tripdesk_domain::search::SearchKind;
    // A store indexed from the start with coded numbers (`from_seq` 1): the first document
    // is numbered 4 + its kind, the second 8 + its kind.
    let first = 4 | kind_code(SearchKind::Product);
    let second = 8 | kind_code(SearchKind::Message);
    assert_eq!(documents_up_to(first, 1), 1);
    assert_eq!(documents_up_to(second, 1), 2);
    // Ten documents numbered one by one before the migration (`from_seq` 11): the next ones
    // are numbered 12…15, 16…19.
    assert_eq!(documents_up_to(7, 11), 7);
    assert_eq!(documents_up_to(10, 11), 10);
    assert_eq!(documents_up_to(12 | kind_code(SearchKind::Booking), 11), 11);
    assert_eq!(documents_up_to(16, 11), 12);
}
