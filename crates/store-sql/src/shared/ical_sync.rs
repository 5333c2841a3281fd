// Calendar-subscription repository, shared by both backends: `include!`d where `Db` and
// `SqlTx` are bound. Both dialects agree on everything here (`ON CONFLICT DO NOTHING` notes a
// conflict once; PostgreSQL makes a concurrent inserter of the same key wait for the first).

use super::{Db, SqlTx};
use crate::convert::{day, err, id, ms, opt_id, opt_ts, parse_day, ts};
use std::collections::HashSet;

use jiff::civil::Date;
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{
    IcalSubscription, IcalSubscriptionFilter, IcalSyncError, IcalSyncOutcome, IcalSyncRepo,
    StoreError,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.room_id, s.source, s.url, s.interval_minutes, \
    s.next_sync_at, s.created_by, s.created_at, s.last_sync_at, s.last_events, s.last_nights, \
    s.last_conflicts, s.last_error_code, s.last_error, s.last_ok_at";

/// Longest error detail kept with a subscription.
const MAX_DETAIL_CHARS: usize = 300;

fn count(v: Option<i64>, name: &str) -> Result<u32, StoreError> {
    u32::try_from(v.unwrap_or(0)).map_err(|_| StoreError::Corrupt(format!("{name} out of range")))
}

fn subscription_from_row(row: &DbRow) -> Result<IcalSubscription, StoreError> {
    let get_i = |name: &str| -> Result<Option<i64>, StoreError> { row.try_get(name).map_err(err) };
    let get_s = |name: &str| -> Result<Option<String>, StoreError> { row.try_get(name).map_err(err) };
    let last_sync = match opt_ts(get_i("last_sync_at")?)? {
        None => None,
        Some(at) => Some(IcalSyncOutcome {
            at,
            events: count(get_i("last_events")?, "last_events")?,
            nights: count(get_i("last_nights")?, "last_nights")?,
            conflicts: count(get_i("last_conflicts")?, "last_conflicts")?,
            error: get_s("last_error_code")?.map(|code| IcalSyncError {
                code,
                detail: get_s("last_error").ok().flatten().unwrap_or_default(),
            }),
        }),
    };
    Ok(IcalSubscription {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        room_id: id(&row.try_get::<String, _>("room_id").map_err(err)?)?,
        source: row.try_get("source").map_err(err)?,
        url: row.try_get("url").map_err(err)?,
        interval_minutes: count(get_i("interval_minutes")?, "interval_minutes")?,
        next_sync_at: ts(row.try_get("next_sync_at").map_err(err)?)?,
        created_by: opt_id(get_s("created_by")?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        last_sync,
        last_ok_at: opt_ts(get_i("last_ok_at")?)?,
    })
}

#[async_trait::async_trait]
impl IcalSyncRepo for SqlTx {
    async fn insert_ical_subscription(&mut self, s: &IcalSubscription) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ical_subscriptions (id, room_id, source, url, interval_minutes, next_sync_at, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.id.to_string())
        .bind(s.room_id.to_string())
        .bind(&s.source)
        .bind(&s.url)
        .bind(i64::from(s.interval_minutes))
        .bind(ms(s.next_sync_at))
        .bind(s.created_by.map(|u| u.to_string()))
        .bind(ms(s.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_ical_subscription(&mut self, id: Uuid) -> Result<Option<IcalSubscription>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM ical_subscriptions s WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn list_ical_subscriptions(&mut self, f: &IcalSubscriptionFilter) -> Result<Vec<IcalSubscription>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM ical_subscriptions s JOIN rooms r ON r.id = s.room_id WHERE 1=1"
        ));
        if let Some(p) = f.property_id {
            qb.push(" AND r.property_id = ").push_bind(p.to_string());
        }
        if let Some(room) = f.room_id {
            qb.push(" AND s.room_id = ").push_bind(room.to_string());
        }
        qb.push(" ORDER BY r.position, r.label, s.source, s.id LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::try_from(f.offset).unwrap_or(i64::MAX));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn delete_ical_subscription(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let row = sqlx::query("DELETE FROM ical_subscriptions WHERE id = $1 RETURNING room_id, source")
            .bind(id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        let Some(row) = row else { return Ok(false) };
        let room: String = row.try_get("room_id").map_err(err)?;
        let source: String = row.try_get("source").map_err(err)?;
        sqlx::query("DELETE FROM ical_conflicts WHERE room_id = $1 AND source = $2")
            .bind(room)
            .bind(source)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(true)
    }

    async fn due_ical_subscriptions(&mut self, now: Timestamp, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id FROM ical_subscriptions WHERE next_sync_at <= $1 ORDER BY next_sync_at, id LIMIT $2",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| id(&r.try_get::<String, _>("id").map_err(err)?))
            .collect()
    }

    async fn record_ical_sync(&mut self, id: Uuid, o: &IcalSyncOutcome, next_sync_at: Timestamp) -> Result<bool, StoreError> {
        let (code, detail) = match &o.error {
            Some(e) => (Some(e.code.clone()), Some(e.detail.chars().take(MAX_DETAIL_CHARS).collect::<String>())),
            None => (None, None),
        };
        let done = sqlx::query(
            "UPDATE ical_subscriptions SET last_sync_at = $2, last_events = $3, last_nights = $4, \
             last_conflicts = $5, last_error_code = $6, last_error = $7, \
             last_ok_at = CASE WHEN $6 IS NULL THEN $2 ELSE last_ok_at END, next_sync_at = $8 \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(ms(o.at))
        .bind(i64::from(o.events))
        .bind(i64::from(o.nights))
        .bind(i64::from(o.conflicts))
        .bind(code)
        .bind(detail)
        .bind(ms(next_sync_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn note_block_conflicts(
        &mut self,
        room_id: Uuid,
        source: &str,
        conflicts: &[(Date, Uuid)],
        at: Timestamp,
    ) -> Result<Vec<(Date, Uuid)>, StoreError> {
        let room = room_id.to_string();
        let rows = sqlx::query("SELECT night, booking_id FROM ical_conflicts WHERE room_id = $1 AND source = $2")
            .bind(&room)
            .bind(source)
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        let current: HashSet<(Date, Uuid)> = conflicts.iter().copied().collect();
        for row in &rows {
            let night = parse_day(&row.try_get::<String, _>("night").map_err(err)?)?;
            let booking = id(&row.try_get::<String, _>("booking_id").map_err(err)?)?;
            if !current.contains(&(night, booking)) {
                sqlx::query(
                    "DELETE FROM ical_conflicts WHERE room_id = $1 AND source = $2 AND night = $3 AND booking_id = $4",
                )
                .bind(&room)
                .bind(source)
                .bind(day(night))
                .bind(booking.to_string())
                .execute(self.db().await?)
                .await
                .map_err(err)?;
            }
        }
        let mut new = Vec::new();
        let mut seen = HashSet::new();
        for &(night, booking) in conflicts {
            if !seen.insert((night, booking)) {
                continue;
            }
            let done = sqlx::query(
                "INSERT INTO ical_conflicts (room_id, source, night, booking_id, noted_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (room_id, source, night, booking_id) DO NOTHING",
            )
            .bind(&room)
            .bind(source)
            .bind(day(night))
            .bind(booking.to_string())
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
            if done.rows_affected() > 0 {
                new.push((night, booking));
            }
        }
        Ok(new)
    }
}
