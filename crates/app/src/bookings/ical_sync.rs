//! OTA calendar subscriptions (issue 14 item 7): a room follows an OTA's .ics address
//! (Airbnb, Booking.com…), fetched every N minutes (30 by default, at least 5) and imported
//! as hard blocks of its source by the same path as a file import
//! ([`App::import_blocks`](super::ical)): conflicts noted, new ones alerted once, audited.
//!
//! **Scheduling, and why it runs once across nodes.** The subscription row holds
//! `next_sync_at`. A recurring job, [`SweepIcalSubscriptions`] (every minute: one pending run
//! under the schedule's unique key, one node claims it), enqueues one
//! [`SyncIcalSubscription`] job per due subscription under the unique key `ical_sync:<id>`
//! — the jobs table's partial unique index over pending jobs lets at most one sync of a
//! subscription wait or run, whatever number of sweeps, nodes or 立即同步 presses ask. The
//! sync job is claimed by one worker (`FOR UPDATE SKIP LOCKED` / the single writer) and
//! its effect — blocks replaced, conflicts noted and alerted, the outcome and the next
//! `next_sync_at` recorded — commits with its completion, so exactly once; a lapsed lease's
//! late commit is refused by the conditional completion. A subscription's fetch failing is
//! its outcome (recorded, nothing imported, the earlier blocks kept), not a failed job, so
//! one OTA's outage stops no other subscription; each subscription is its own job. We chose
//! this over one self-re-enqueuing job per subscription: a job that died, or a subscription
//! created or whose interval changed, needs no repair — the row says when it is due and the
//! next sweep acts on it.
//!
//! The fetch itself ([`super::feed_fetch`]) runs in the job's `prepare`, before its write
//! transaction opens, so no writer waits on an OTA's server.

use super::feed_fetch::{FeedFetcher, FetchError, FetchLimits};
use super::ical::{check_source, ImportBy};
use crate::jobs::{JobHandler, PreparedJobHandler};
use crate::page::Page;
use crate::{App, AppError, FieldError, OnDuplicate, Principal};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::bookings::ical_sync::{
    check_feed_url, check_interval, next_sync_at, shown_url, DEFAULT_INTERVAL_MINUTES,
};
use tripdesk_domain::calendar::china_time_zone;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{
    IcalSubscription, IcalSubscriptionFilter, IcalSyncError, IcalSyncOutcome, NightUse, Room, Tx,
};
use uuid::Uuid;

/// Due subscriptions one sweep enqueues at most (the rest wait for the next minute).
const SWEEP_BATCH: u32 = 500;

/// A subscription as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewSubscription {
    pub room_id: Uuid,
    /// `airbnb`, `booking.com`… (lower case; what a later import of the source replaces).
    pub source: String,
    pub url: String,
    /// Default 30.
    pub interval_minutes: Option<i64>,
}

/// A subscription as lists show it.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub sub: IcalSubscription,
    pub room_label: String,
    pub property_id: Uuid,
    /// The address without its query (where OTAs put the calendar's secret).
    pub shown_url: String,
    /// Whether a sync waits or runs now (queued by 立即同步 or the schedule).
    pub syncing: bool,
}

/// Where an address points, for the audit log: its origin and a fingerprint of the whole
/// address (its path or query may carry the OTA's secret).
fn url_summary(url: &str) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(url.as_bytes());
    let fingerprint: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let shown = shown_url(url);
    let origin = shown
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")))
        .unwrap_or_default();
    json!({ "origin": origin, "url_fingerprint": fingerprint })
}

fn sync_key(id: Uuid) -> String {
    format!("ical_sync:{id}")
}

impl App {
    /// Subscribes a room to an OTA's calendar address (needs `manage_catalog`; audited) and
    /// queues its first sync now. Field errors for each field at once; 409
    /// `subscription_exists` when the room follows that source already.
    pub async fn create_ical_subscription(
        &self,
        principal: &Principal,
        input: &NewSubscription,
    ) -> Result<SubscriptionRow, AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut fields = Vec::new();
        let source = input.source.trim().to_ascii_lowercase();
        if let Err(AppError::Validation(mut f)) = check_source(&source) {
            fields.append(&mut f);
        }
        let url = match check_feed_url(&input.url) {
            Ok(url) => url,
            Err(e) => {
                fields.push(FieldError::new("url", e.code(), e.to_string()));
                String::new()
            }
        };
        let interval = match check_interval(
            input
                .interval_minutes
                .unwrap_or(i64::from(DEFAULT_INTERVAL_MINUTES)),
        ) {
            Ok(m) => m,
            Err(e) => {
                fields.push(FieldError::new("interval_minutes", e.code(), e.to_string()));
                DEFAULT_INTERVAL_MINUTES
            }
        };
        let mut tx = self.store.write().await?;
        let room = tx.get_room(input.room_id).await?;
        if room.is_none() {
            fields.insert(
                0,
                FieldError::new("room_id", "unknown", "no room has this id"),
            );
        }
        let (Some(room), true) = (room, fields.is_empty()) else {
            return Err(AppError::Validation(fields));
        };
        let now = self.now();
        let sub = IcalSubscription {
            id: Uuid::now_v7(),
            room_id: room.id,
            source,
            url,
            interval_minutes: interval,
            next_sync_at: now,
            created_by: (!principal.user_id.is_nil()).then_some(principal.user_id),
            created_at: now,
            last_sync: None,
            last_ok_at: None,
        };
        tx.insert_ical_subscription(&sub).await.on_duplicate(
            "subscription_exists",
            Some("source"),
            "the room follows a calendar of this source already: delete it first",
        )?;
        let mut summary = url_summary(&sub.url);
        summary["room"] = json!(room.id);
        summary["source"] = json!(sub.source);
        summary["interval_minutes"] = json!(interval);
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogSubscriptionCreate,
            "ical_subscription",
            Some(sub.id.to_string()),
            summary,
        )
        .await?;
        self.enqueue_prepared_job::<SyncIcalSubscription>(
            &mut *tx,
            &SyncPayload {
                subscription_id: sub.id,
            },
            now,
            Some(&sync_key(sub.id)),
        )
        .await?;
        tx.commit().await?;
        Ok(SubscriptionRow {
            shown_url: shown_url(&sub.url),
            room_label: room.label,
            property_id: room.property_id,
            syncing: true,
            sub,
        })
    }

    /// Subscriptions of a property or a room (or all), in the room grid's order, with their
    /// last outcome (needs `view_bookings`).
    pub async fn ical_subscriptions(
        &self,
        principal: &Principal,
        property_id: Option<Uuid>,
        room_id: Option<Uuid>,
        limit: u32,
        offset: u64,
    ) -> Result<Page<SubscriptionRow>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let subs = tx
            .list_ical_subscriptions(&IcalSubscriptionFilter {
                property_id,
                room_id,
                limit: Page::<()>::fetch_limit(limit),
                offset,
            })
            .await?;
        let page = Page::of(subs, limit);
        let mut rooms: Vec<Room> = match property_id {
            Some(p) => tx.list_rooms(Some(p), 10_000, 0).await?,
            None => Vec::new(),
        };
        let mut items = Vec::with_capacity(page.items.len());
        for sub in page.items {
            if !rooms.iter().any(|r| r.id == sub.room_id) {
                if let Some(r) = tx.get_room(sub.room_id).await? {
                    rooms.push(r);
                }
            }
            let room = rooms.iter().find(|r| r.id == sub.room_id);
            let syncing = tx.pending_job_with_key(&sync_key(sub.id)).await?;
            items.push(SubscriptionRow {
                shown_url: shown_url(&sub.url),
                room_label: room.map(|r| r.label.clone()).unwrap_or_default(),
                property_id: room.map(|r| r.property_id).unwrap_or_default(),
                syncing,
                sub,
            });
        }
        Ok(Page {
            items,
            more: page.more,
        })
    }

    /// One subscription (needs `view_bookings`).
    pub async fn ical_subscription(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<SubscriptionRow, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let sub = tx
            .get_ical_subscription(id)
            .await?
            .ok_or(AppError::NotFound("subscription"))?;
        let room = tx.get_room(sub.room_id).await?;
        let syncing = tx.pending_job_with_key(&sync_key(sub.id)).await?;
        Ok(SubscriptionRow {
            shown_url: shown_url(&sub.url),
            room_label: room.as_ref().map(|r| r.label.clone()).unwrap_or_default(),
            property_id: room.map(|r| r.property_id).unwrap_or_default(),
            syncing,
            sub,
        })
    }

    /// Ends a subscription (needs `manage_catalog`; audited). Its blocks stay unless
    /// `release_blocks`: a hard block errs on the safe side, and an OTA still selling the
    /// room would otherwise double-book it; released, the source's nights on the room are free.
    pub async fn delete_ical_subscription(
        &self,
        principal: &Principal,
        id: Uuid,
        release_blocks: bool,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageCatalog)?;
        let mut tx = self.store.write().await?;
        let sub = tx
            .get_ical_subscription(id)
            .await?
            .ok_or(AppError::NotFound("subscription"))?;
        if !tx.delete_ical_subscription(id).await? {
            return Err(AppError::NotFound("subscription"));
        }
        if release_blocks {
            tx.replace_blocks(
                sub.room_id,
                &NightUse::Blocked {
                    source: sub.source.clone(),
                },
                &[],
            )
            .await?;
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CatalogSubscriptionDelete,
            "ical_subscription",
            Some(id.to_string()),
            json!({ "room": sub.room_id, "source": sub.source, "blocks_released": release_blocks }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a sync of the subscription now (立即同步; needs `make_bookings` or
    /// `manage_catalog`). False when one is queued or running already.
    pub async fn sync_ical_subscription_now(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<bool, AppError> {
        if !principal.can(Permission::ManageCatalog) {
            principal.require(Permission::MakeBookings)?;
        }
        let mut tx = self.store.write().await?;
        tx.get_ical_subscription(id)
            .await?
            .ok_or(AppError::NotFound("subscription"))?;
        let queued = self
            .enqueue_prepared_job::<SyncIcalSubscription>(
                &mut *tx,
                &SyncPayload {
                    subscription_id: id,
                },
                self.now(),
                Some(&sync_key(id)),
            )
            .await?;
        tx.commit().await?;
        Ok(queued)
    }
}

/// Every minute: queues a sync of each subscription that is due (see the module's comment).
pub struct SweepIcalSubscriptions;

/// A sweep carries nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SweepPayload {}

#[async_trait]
impl JobHandler for SweepIcalSubscriptions {
    const KIND: &'static str = "bookings.ical_sweep";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = SweepPayload;

    async fn run(&self, app: &App, tx: &mut dyn Tx, _: SweepPayload) -> Result<(), AppError> {
        let due = tx.due_ical_subscriptions(app.now(), SWEEP_BATCH).await?;
        let mut queued = 0;
        for id in due {
            if app
                .enqueue_prepared_job::<SyncIcalSubscription>(
                    tx,
                    &SyncPayload {
                        subscription_id: id,
                    },
                    app.now(),
                    Some(&sync_key(id)),
                )
                .await?
            {
                queued += 1;
            }
        }
        if queued > 0 {
            tracing::debug!(queued, "calendar subscriptions due: syncs queued");
        }
        Ok(())
    }
}

/// Fetches one subscription's feed and imports it (see the module's comment).
pub struct SyncIcalSubscription {
    fetcher: FeedFetcher,
}

impl SyncIcalSubscription {
    pub fn new(limits: FetchLimits) -> Result<Self, AppError> {
        Ok(Self {
            fetcher: FeedFetcher::new(limits)?,
        })
    }
}

/// Which subscription to sync.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncPayload {
    pub subscription_id: Uuid,
}

/// What the fetch read: nothing when the subscription is gone, else the body or the failure.
pub enum Fetched {
    Gone,
    Read(Result<String, FetchError>),
}

#[async_trait]
impl PreparedJobHandler for SyncIcalSubscription {
    const KIND: &'static str = "bookings.ical_sync";
    const MAX_ATTEMPTS: i64 = 3;
    type Payload = SyncPayload;
    type Prepared = Fetched;

    async fn prepare(&self, app: &App, payload: &SyncPayload) -> Result<Fetched, AppError> {
        let sub = {
            let mut tx = app.store.read().await?;
            tx.get_ical_subscription(payload.subscription_id).await?
        };
        Ok(match sub {
            None => Fetched::Gone,
            Some(sub) => Fetched::Read(self.fetcher.fetch(&sub.url).await),
        })
    }

    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        payload: SyncPayload,
        fetched: Fetched,
    ) -> Result<(), AppError> {
        let Some(sub) = tx.get_ical_subscription(payload.subscription_id).await? else {
            // Deleted meanwhile: nothing to record.
            return Ok(());
        };
        let now = app.now();
        let failed = |code: &str, detail: String| IcalSyncOutcome {
            at: now,
            events: 0,
            nights: 0,
            conflicts: 0,
            error: Some(IcalSyncError {
                code: code.to_string(),
                detail,
            }),
        };
        let outcome = match fetched {
            // Created between the fetch and now: impossible with fresh ids; sync next sweep.
            Fetched::Gone => return Ok(()),
            Fetched::Read(Err(e)) => failed(e.code, e.detail),
            Fetched::Read(Ok(text)) => match tripdesk_ical::parse_feed(&text, &china_time_zone()) {
                Err(e) => failed(e.code(), e.to_string()),
                Ok(blocks) => {
                    let o = app
                        .import_blocks(
                            tx,
                            ImportBy::Subscription(sub.id),
                            sub.room_id,
                            &sub.source,
                            &blocks,
                        )
                        .await?;
                    IcalSyncOutcome {
                        at: now,
                        events: u32::try_from(o.events).unwrap_or(u32::MAX),
                        nights: u32::try_from(o.nights).unwrap_or(u32::MAX),
                        conflicts: u32::try_from(o.conflicts.len()).unwrap_or(u32::MAX),
                        error: None,
                    }
                }
            },
        };
        match &outcome.error {
            None => tracing::info!(
                subscription = %sub.id, room = %sub.room_id, source = %sub.source,
                events = outcome.events, nights = outcome.nights, conflicts = outcome.conflicts,
                "calendar subscription synced"
            ),
            Some(e) => tracing::warn!(
                subscription = %sub.id, room = %sub.room_id, source = %sub.source,
                code = %e.code, detail = %e.detail,
                "calendar subscription could not be synced; its earlier blocks stay"
            ),
        }
        tx.record_ical_sync(sub.id, &outcome, next_sync_at(now, sub.interval_minutes))
            .await?;
        Ok(())
    }
}
