//! The booking system's heartbeat: a recurring job that records, every minute, that the
//! node running it served (`heartbeats`: one row per node and minute). The job substrate
//! keeps one pending run, so on several nodes the minute is recorded by whichever claims
//! it; a minute nobody recorded is a minute the system was down (or its workers were) —
//! what the uptime figure counts. The demo records a history with a few outages.

use super::{minute_of, MINUTE};
use crate::jobs::JobHandler;
use crate::{App, AppError};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tripdesk_store::Tx;

/// How often the heartbeat runs.
pub const HEARTBEAT_EVERY_MINUTES: u32 = 1;

/// The heartbeat carries nothing.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct HeartbeatPayload {}

/// `quality.heartbeat`: records this node's minute.
pub struct Heartbeat;

#[async_trait]
impl JobHandler for Heartbeat {
    const KIND: &'static str = "quality.heartbeat";
    const MAX_ATTEMPTS: i64 = 1;
    type Payload = HeartbeatPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, _: HeartbeatPayload) -> Result<(), AppError> {
        tx.record_heartbeat(app.node(), minute_of(app.now()))
            .await?;
        Ok(())
    }
}

impl App {
    /// Records the demo's heartbeat history: every minute of the `days` before now, but for
    /// the outages given as (minutes before now, length in minutes). Idempotent.
    pub async fn seed_demo_heartbeats(
        &self,
        days: i64,
        outages: &[(i64, i64)],
    ) -> Result<u64, AppError> {
        let now = minute_of(self.now());
        let minutes = days * 24 * 60;
        let down = |i: i64| outages.iter().any(|(at, len)| i <= *at && i > at - len);
        let beats: Vec<Timestamp> = (1..=minutes)
            .rev()
            .filter(|i| !down(*i))
            .map(|i| now - MINUTE * i32::try_from(i).unwrap_or(i32::MAX))
            .collect();
        let mut tx = self.store.write().await?;
        let written = tx.record_heartbeats(self.node(), &beats).await?;
        tx.commit().await?;
        Ok(written)
    }
}
