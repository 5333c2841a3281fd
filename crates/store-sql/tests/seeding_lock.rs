//! `Store::write_seeding` on PostgreSQL holds the schema's seeding lock until the transaction
//! ends, so nodes starting together install the defaults one after another. (On SQLite the
//! single writer is the lock; a PostgreSQL run only.)

use sqlx::Connection;

#[tokio::test]
async fn the_seeding_lock_is_held_until_the_transaction_ends() {
    let Some(url) = tripdesk_store_sql::testing::postgres_url() else {
        return;
    };
    let test = tripdesk_store_sql::testing::fresh_postgres(&url).await;
    let tripdesk_store_sql::Location::Postgres(schema_url) = &test.location else {
        unreachable!("a PostgreSQL test store")
    };
    // Another node's connection to the same schema.
    let mut other = sqlx::PgConnection::connect(schema_url).await.unwrap();
    assert!(free(&mut other).await, "nobody holds it yet");
    let seeding = test.store.write_seeding().await.unwrap();
    assert!(!free(&mut other).await, "held by the seeding transaction");
    seeding.commit().await.unwrap();
    assert!(free(&mut other).await, "released by COMMIT");
    let seeding = test.store.write_seeding().await.unwrap();
    assert!(!free(&mut other).await);
    drop(seeding);
    // A dropped transaction is rolled back when its connection goes back to the pool.
    let mut released = false;
    for _ in 0..200 {
        if free(&mut other).await {
            released = true;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        released,
        "released by the rollback of a dropped transaction"
    );
    // An ordinary write does not take it.
    let write = test.store.write().await.unwrap();
    assert!(free(&mut other).await);
    drop(write);
}

/// Whether another connection could take the seeding lock now (released again at once).
async fn free(conn: &mut sqlx::PgConnection) -> bool {
    let mut tx = conn.begin().await.unwrap();
    let got: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(tripdesk_store_sql::postgres::SEEDING_LOCK)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.rollback().await.unwrap();
    got
}
