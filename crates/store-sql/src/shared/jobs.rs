// Job repository, shared by both backends: `include!`d where `Db`, `SqlTx` and `LOCK_SKIP`
// are bound. The dialects differ only in claiming: PostgreSQL skips rows another node is
// claiming (`FOR UPDATE SKIP LOCKED`); SQLite's one writer claims one batch at a time.

use super::{Db, SqlTx, LOCK_SKIP};
use crate::convert::{err, id, ms, opt_ts, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_store::signal::Topic;
use tripdesk_store::{
    JobFilter, JobLease, JobRecord, JobRepo, JobRetry, JobState, NewJob, StoreError,
};
use uuid::Uuid;

const JOB_COLUMNS: &str = "id, kind, payload, state, run_at, attempts, max_attempts, \
    unique_key, lease_until, last_error, created_at, updated_at, finished_at";

/// Longest error text kept with a job.
const MAX_ERROR_CHARS: usize = 500;

type DbRow = <Db as sqlx::Database>::Row;

fn job_from_row(row: &DbRow) -> Result<JobRecord, StoreError> {
    let state: String = row.try_get("state").map_err(err)?;
    Ok(JobRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        kind: row.try_get("kind").map_err(err)?,
        payload: row.try_get("payload").map_err(err)?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt("unknown job state".into()))?,
        run_at: ts(row.try_get("run_at").map_err(err)?)?,
        attempts: row.try_get("attempts").map_err(err)?,
        max_attempts: row.try_get("max_attempts").map_err(err)?,
        unique_key: row.try_get("unique_key").map_err(err)?,
        lease_until: opt_ts(row.try_get("lease_until").map_err(err)?)?,
        last_error: row.try_get("last_error").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
        finished_at: opt_ts(row.try_get("finished_at").map_err(err)?)?,
    })
}

fn clip(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

impl SqlTx {
    /// Claims up to `limit` jobs matching `pending` (a condition on `state` and an instant
    /// compared with `$1`), earliest `order` first.
    async fn claim_jobs_where(
        &mut self,
        pending: &str,
        order: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, run_at = $1, \
             lease_until = $2, updated_at = $1 \
             WHERE id IN (SELECT id FROM jobs WHERE {pending} ORDER BY {order} LIMIT $3{LOCK_SKIP}) \
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(ms(now))
        .bind(ms(lease_until))
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(job_from_row).collect()
    }
}

#[async_trait::async_trait]
impl JobRepo for SqlTx {
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO jobs ({JOB_COLUMNS}) \
             VALUES ($1, $2, $3, 'due', $4, 0, $5, $6, NULL, NULL, $7, $7, NULL) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(job.id.to_string())
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(ms(job.run_at))
        .bind(job.max_attempts.max(1))
        .bind(&job.unique_key)
        .bind(ms(job.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let fresh = done.rows_affected() == 1;
        if fresh {
            self.note_signal(Topic::Jobs, Some(ms(job.run_at)));
        }
        Ok(fresh)
    }

    async fn claim_due_jobs(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        // A job whose worker died on its last attempt has none left: dead, not run again.
        sqlx::query(&format!(
            "UPDATE jobs SET state = 'dead', unique_key = NULL, lease_until = NULL, \
             last_error = 'the worker stopped during the last attempt (its lease lapsed)', \
             updated_at = $1, finished_at = $1 \
             WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_until <= $1 \
             AND attempts >= max_attempts{LOCK_SKIP})"
        ))
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let mut got = self
            .claim_jobs_where(
                "state = 'running' AND lease_until <= $1",
                "lease_until",
                now,
                lease_until,
                limit,
            )
            .await?;
        let left = limit.saturating_sub(got.len() as u32);
        if left > 0 {
            got.extend(
                self.claim_jobs_where(
                    "state = 'due' AND run_at <= $1",
                    "run_at",
                    now,
                    lease_until,
                    left,
                )
                .await?,
            );
        }
        Ok(got)
    }

    async fn complete_job(&mut self, lease: JobLease, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'succeeded', lease_until = NULL, updated_at = $3, \
             finished_at = $3 WHERE id = $1 AND state = 'running' AND attempts = $2",
        )
        .bind(lease.id.to_string())
        .bind(lease.attempt)
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(
        &mut self,
        lease: JobLease,
        retry: JobRetry,
        error: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let q = match retry {
            JobRetry::At(at) => sqlx::query(
                "UPDATE jobs SET state = 'due', run_at = $4, lease_until = NULL, \
                 last_error = $5, updated_at = $3 \
                 WHERE id = $1 AND state = 'running' AND attempts = $2",
            )
            .bind(lease.id.to_string())
            .bind(lease.attempt)
            .bind(ms(now))
            .bind(ms(at)),
            JobRetry::Dead => sqlx::query(
                "UPDATE jobs SET state = 'dead', run_at = $3, lease_until = NULL, \
                 unique_key = NULL, last_error = $4, updated_at = $3, finished_at = $3 \
                 WHERE id = $1 AND state = 'running' AND attempts = $2",
            )
            .bind(lease.id.to_string())
            .bind(lease.attempt)
            .bind(ms(now)),
        };
        let done = q
            .bind(clip(error))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let changed = done.rows_affected() == 1;
        if changed {
            if let JobRetry::At(at) = retry {
                self.note_signal(Topic::Jobs, Some(ms(at)));
            }
        }
        Ok(changed)
    }

    async fn retry_dead_job(&mut self, job_id: Uuid, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'due', run_at = $2, attempts = 0, lease_until = NULL, \
             finished_at = NULL, updated_at = $2 WHERE id = $1 AND state = 'dead'",
        )
        .bind(job_id.to_string())
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let changed = done.rows_affected() == 1;
        if changed {
            self.note_signal(Topic::Jobs, None);
        }
        Ok(changed)
    }

    async fn get_job(&mut self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(job_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn list_jobs(&mut self, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1=1"));
        if let Some(state) = filter.state {
            qb.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(kind) = &filter.kind {
            qb.push(" AND kind = ").push_bind(kind.clone());
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(job_from_row).collect()
    }

    async fn prune_succeeded_jobs(
        &mut self,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'succeeded' \
             AND finished_at < $1 ORDER BY id LIMIT $2)",
        )
        .bind(ms(before))
        .bind(i64::from(limit))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn next_job_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(at) AS next_due FROM (\
             SELECT MIN(run_at) AS at FROM jobs WHERE state = 'due' \
             UNION ALL SELECT MIN(lease_until) AS at FROM jobs WHERE state = 'running') m",
        )
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        opt_ts(row.try_get("next_due").map_err(err)?)
    }

    async fn pending_job_with_key(&mut self, unique_key: &str) -> Result<bool, StoreError> {
        // The partial unique index over pending keys answers it.
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM jobs WHERE unique_key = $1 AND state IN ('due', 'running')",
        )
        .bind(unique_key)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let n: i64 = row.try_get("n").map_err(err)?;
        Ok(n > 0)
    }
}
