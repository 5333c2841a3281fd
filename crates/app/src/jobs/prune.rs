//! Housekeeping of the job table: succeeded jobs are deleted once they are old, a small batch
//! every few minutes (dead jobs stay until an administrator retries them).
//!
//! Why not once a night: one nightly run of 10,000 rows could not keep up once an installation
//! made more than that in a day — the OTA calendar sweep alone adds 1,440 a day, each
//! subscription's syncs and each hold's expiry more — and the table would grow for ever. A
//! batch of [`PRUNE_BATCH`] every [`PRUNE_EVERY_MINUTES`] minutes removes up to 576,000 a day,
//! and each run holds SQLite's writer only for a short DELETE on the finished-time index.

use super::JobHandler;
use crate::{App, AppError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tripdesk_store::Tx;

/// Deletes succeeded jobs finished more than `keep_days` ago.
pub struct PruneSucceededJobs;

/// What a pruning run keeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PrunePayload {
    pub keep_days: i64,
}

impl Default for PrunePayload {
    fn default() -> Self {
        Self { keep_days: 14 }
    }
}

/// Rows one run deletes at most (a run is one transaction; the rest waits for the next run).
pub const PRUNE_BATCH: u32 = 2_000;
/// How often the prune runs.
pub const PRUNE_EVERY_MINUTES: u32 = 5;

#[async_trait]
impl JobHandler for PruneSucceededJobs {
    const KIND: &'static str = "jobs.prune_succeeded";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = PrunePayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, payload: PrunePayload) -> Result<(), AppError> {
        let keep = jiff::SignedDuration::from_hours(24 * payload.keep_days.clamp(1, 3650));
        let removed = tx
            .prune_succeeded_jobs(app.now() - keep, PRUNE_BATCH)
            .await?;
        tracing::info!(removed, "pruned succeeded jobs");
        Ok(())
    }
}
