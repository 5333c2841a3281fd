//! Housekeeping of the job table: succeeded jobs are deleted once they are old, daily at
//! 03:30 China time (dead jobs stay until an administrator retries them).

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

/// Rows one run deletes at most (a run is one transaction; the rest waits for tomorrow).
const PRUNE_BATCH: u32 = 10_000;

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
