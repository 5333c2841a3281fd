//! Both backends' migrations must produce the same schema. Each run compares its backend's
//! migrated schema with the committed outline in `tests/schema-outline.txt`; CI runs the
//! suite on SQLite and on PostgreSQL, so both are held to the same file. Set
//! `TRIPDESK_UPDATE_SCHEMA_OUTLINE=1` to rewrite the file after adding a migration to both.

use std::path::PathBuf;
use std::sync::Arc;
use tripdesk_store::Store;
use tripdesk_store_sql::sqlite::SqliteStore;
use tripdesk_store_sql::testing::fresh_store;
use tripdesk_store_sql::PoolSettings;

async fn outline_text(store: &dyn Store) -> String {
    store
        .schema_outline()
        .await
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}.{} {}{}\n",
                c.table,
                c.column,
                c.type_class,
                if c.not_null { " not null" } else { "" }
            )
        })
        .collect()
}

fn outline_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schema-outline.txt")
}

#[tokio::test]
async fn migrated_schema_matches_the_committed_outline() {
    let store = fresh_store().await;
    let got = outline_text(&*store.store).await;
    if std::env::var_os("TRIPDESK_UPDATE_SCHEMA_OUTLINE").is_some() {
        std::fs::write(outline_file(), &got).unwrap();
    }
    let want = std::fs::read_to_string(outline_file()).unwrap();
    assert_eq!(
        got,
        want,
        "the {} schema differs from tests/schema-outline.txt",
        store.store.backend().as_str()
    );
}

#[tokio::test]
async fn both_backends_match_when_postgres_is_available() {
    // On a PostgreSQL run, compare the two live schemas directly as well.
    let Some(url) = tripdesk_store_sql::testing::postgres_url() else {
        return;
    };
    let pg = tripdesk_store_sql::testing::fresh_postgres(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path(), &PoolSettings::default())
            .await
            .unwrap(),
    );
    assert_eq!(outline_text(&*pg.store).await, outline_text(&*sqlite).await);
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_restorable_copy() {
    use tripdesk_store::conformance::sample_department;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), &PoolSettings::default())
        .await
        .unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&sample_department("cs"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A writer holds the lock while the backup runs: the copy has what was committed only.
    let mut pending = store.write().await.unwrap();
    pending
        .insert_department(&sample_department("uncommitted"))
        .await
        .unwrap();
    let backup = dir.path().join("copy.db");
    store.backup_to(&backup).await.unwrap();
    drop(pending);
    assert!(
        store.backup_to(&backup).await.is_err(),
        "never overwrites a file"
    );

    // Restore = put the copy in place of tripdesk.db in a data directory.
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&backup, restored_dir.path().join("tripdesk.db")).unwrap();
    let restored = SqliteStore::open(restored_dir.path(), &PoolSettings::default())
        .await
        .unwrap();
    let mut r = restored.read().await.unwrap();
    let codes: Vec<_> = r
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["cs"]);
}
