//! Years without the State Council's holiday arrangement: the clocks computed on the
//! provisional calendar are recomputed when the arrangement is imported, and administrators
//! are told in time that next year's is missing.
//!
//! - **Recompute on import.** [`App::put_holiday_years`] (every import path: the API, the
//!   `/calendars` page, the notice text, the shipped data) calls
//!   [`App::recompute_provisional_clocks`] in its own transaction: the open clocks of that
//!   calendar marked provisional are read in pages of [`RECOMPUTE_PAGE`] (keyset by id) and
//!   each gets new pending instants ([`tripdesk_domain::sla::SlaClock::recompute`]), its
//!   mark cleared when no provisional year is left in its span, and its `next_due_at`
//!   rewritten (the store wakes the engine). All in the import's transaction, so the
//!   arrangement and the instants computed from it are never seen apart; one audit entry
//!   names the years and how many clocks moved. A provisional clock lives at most a few
//!   weeks of working days, so there are at most as many as the tickets of those weeks.
//! - **Warning.** A calendar that has holiday years at all (the built-in `cn-mainland`) is
//!   *missing* a year when the current year (Beijing time) has no arrangement, or, from
//!   1 October, the next one has none. [`App::holiday_data_gaps`] lists them for the
//!   banners of the dashboard and the calendar pages (administrators);
//!   [`App::warn_missing_holiday_years`], run by the SLA engine at start and hourly, sends
//!   the administrators an in-app notification once per calendar and year — the first node
//!   to insert the `calendar_year_warnings` row sends it, in the same transaction, audited.

use crate::notify::{Notification, Recipient};
use crate::{App, AppError, Principal};
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::{china_time_zone, Calendar, CalendarMode, PROVISIONAL_YEARS};
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_store::{NewAuditEntry, Tx, UserFilter};
use uuid::Uuid;

/// Clocks read per page while recomputing.
pub const RECOMPUTE_PAGE: u32 = 500;

/// What an import did to the provisional clocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecomputeOutcome {
    /// Clocks whose instants or mark changed.
    pub recomputed: usize,
    /// Clocks still provisional (another year of their span still has no arrangement).
    pub still_provisional: usize,
}

/// A calendar missing a year's arrangement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayGap {
    pub calendar: String,
    pub year: i16,
    /// The current year itself: due instants are being computed provisionally now.
    pub current: bool,
}

impl App {
    /// Recomputes, in `tx`, the open provisional clocks of `before`'s calendar now that its
    /// holiday data is `after`'s (see the module documentation).
    pub(crate) async fn recompute_provisional_clocks(
        &self,
        tx: &mut dyn Tx,
        before: &Calendar,
        after: &Calendar,
    ) -> Result<RecomputeOutcome, AppError> {
        let mut out = RecomputeOutcome::default();
        let mut last = None;
        loop {
            let page = tx
                .provisional_sla_clocks(before.name(), last, RECOMPUTE_PAGE)
                .await?;
            let Some(tail) = page.last() else { break };
            last = Some(tail.id);
            let full = page.len() as u32 == RECOMPUTE_PAGE;
            for mut rec in page {
                let changed = rec.clock.recompute(before, after).map_err(|e| {
                    AppError::Internal(format!("recomputing clock {}: {e}", rec.id))
                })?;
                if rec.clock.provisional() {
                    out.still_provisional += 1;
                }
                if !changed {
                    continue;
                }
                if !tx.update_sla_clock(&rec).await? {
                    return Err(AppError::Conflict {
                        code: "sla_clock_changed",
                        message:
                            "a clock changed while the holiday data was imported; import again"
                                .into(),
                        field: None,
                    });
                }
                out.recomputed += 1;
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// The years missing now, in `tx` (see the module documentation).
    async fn gaps(&self, tx: &mut dyn Tx) -> Result<Vec<(Uuid, HolidayGap)>, AppError> {
        let today = self.now().to_zoned(china_time_zone()).date();
        let mut wanted = vec![(today.year(), true)];
        if today.month() >= 10 {
            wanted.push((today.year() + 1, false));
        }
        let mut out = Vec::new();
        for cal in tx.list_calendars().await? {
            if cal.mode != CalendarMode::Office {
                continue;
            }
            let years: Vec<i16> = tx
                .holiday_year_summaries(cal.id)
                .await?
                .iter()
                .map(|y| y.year)
                .collect();
            if years.is_empty() {
                continue;
            }
            for &(year, current) in &wanted {
                if !years.contains(&year) && PROVISIONAL_YEARS.contains(&year) {
                    out.push((
                        cal.id,
                        HolidayGap {
                            calendar: cal.name.clone(),
                            year,
                            current,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Years whose arrangement administrators should import now (for the banners).
    pub async fn holiday_data_gaps(
        &self,
        principal: &Principal,
    ) -> Result<Vec<HolidayGap>, AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut tx = self.store.read().await?;
        Ok(self
            .gaps(&mut *tx)
            .await?
            .into_iter()
            .map(|(_, g)| g)
            .collect())
    }

    /// Tells the administrators, once per calendar and year across all nodes, that a
    /// year's arrangement is missing. Returns the notifications enqueued.
    pub async fn warn_missing_holiday_years(&self) -> Result<usize, AppError> {
        {
            let mut tx = self.store.read().await?;
            if self.gaps(&mut *tx).await?.is_empty() {
                return Ok(0);
            }
        }
        let mut tx = self.store.write().await?;
        let gaps = self.gaps(&mut *tx).await?;
        let now = self.now();
        let admins: Vec<_> = tx
            .list_users(&UserFilter {
                role: Some(Role::Admin),
                limit: 500,
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .collect();
        let mut sent = 0;
        for (id, gap) in gaps {
            if !tx.claim_holiday_warning(id, gap.year, now).await? {
                continue;
            }
            let mut vars = BTreeMap::new();
            vars.insert("calendar".to_string(), gap.calendar.clone());
            vars.insert("year".to_string(), gap.year.to_string());
            vars.insert("link".to_string(), format!("/calendars/{}", gap.calendar));
            let batch: Vec<Notification> = admins
                .iter()
                .map(|u| Notification {
                    template_key: "calendar.holidays_missing".to_string(),
                    // In-app only: the bell of each administrator.
                    recipient: Recipient {
                        preference_key: Some(format!("user:{}", u.id)),
                        customer_id: None,
                        email: None,
                        user_id: Some(u.id),
                        locale: Some(u.locale.clone()),
                    },
                    vars: vars.clone(),
                    related: Some(("calendar".to_string(), gap.calendar.clone())),
                    emergency: false,
                    attachments: Vec::new(),
                })
                .collect();
            let notified = self.enqueue_alerts(&mut *tx, &batch).await?;
            self.append_audit(
                &mut *tx,
                &NewAuditEntry {
                    id: Uuid::now_v7(),
                    at: now,
                    actor_id: None,
                    actor_name: format!("sla-engine@{}", self.node()),
                    action: AuditAction::CalendarHolidaysMissing.code().into(),
                    entity_type: "calendar".into(),
                    entity_id: Some(gap.calendar.clone()),
                    summary: serde_json::json!({ "year": gap.year, "notified": notified })
                        .to_string(),
                },
            )
            .await?;
            tracing::warn!(calendar = %gap.calendar, year = gap.year, notified, "holiday arrangement missing: administrators warned");
            sent += notified;
        }
        tx.commit().await?;
        Ok(sent)
    }
}
