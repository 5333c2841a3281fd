-- Service quality's repurchase count seeks, for each customer of a period, a confirmed
-- booking of theirs created before it. The index of migration 0052 lacked `confirmed_at`, so
-- SQLite read each booking's row to check the predicate its partial index already implies;
-- with the column the seek reads the index alone.
DROP INDEX bookings_customer_confirmed_idx;
CREATE INDEX bookings_customer_confirmed_idx ON bookings (customer_id, created_at, confirmed_at)
    WHERE confirmed_at IS NOT NULL;
