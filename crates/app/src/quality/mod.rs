//! Service quality (issue 18): the key figures against the published commitments, over a
//! period and the periods before it, from the counts of the records themselves
//! (`tripdesk_store::QualityRepo`); the clocks behind a clock figure; the booking system's
//! heartbeat (a recurring job: minutes without one are downtime); and which figures the
//! agency publishes on its public commitments page.
//!
//! The arithmetic — ratios, targets, periods and trends — is `tripdesk_domain::quality`.

mod heartbeat;
pub mod public;

pub use heartbeat::{Heartbeat, HeartbeatPayload, HEARTBEAT_EVERY_MINUTES};

use crate::{App, AppError, Principal};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::quality::{
    change_percent, measured_minutes, uptime, Kpi, Period, Ratio, Target, Unit, Verdict,
    SATISFIED_AT, WORD_OF_MOUTH_SOURCE,
};
use tripdesk_store::{ClockCase, QualityScope, Tx};
use uuid::Uuid;

/// Periods on a trend unless asked otherwise (the period and the five before it).
pub const DEFAULT_TREND: usize = 6;
/// The longest trend asked for.
pub const MAX_TREND: usize = 12;

/// Which figures, over which period, broken down how.
#[derive(Debug, Clone)]
pub struct KpiQuery {
    pub period: Period,
    /// Periods on the trend, the asked one last (1 to [`MAX_TREND`]).
    pub trend: usize,
    pub channel: Option<String>,
    pub group: Option<Uuid>,
    pub agent: Option<Uuid>,
}

/// One figure of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiPoint {
    pub period: Period,
    pub ratio: Ratio,
    /// The value in the figure's unit; `None` when nothing was measured.
    pub value: Option<f64>,
}

/// A commitment's figure: its target, the trend (oldest first, the asked period last) and
/// the verdict of the asked period.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiFigure {
    pub kpi: Kpi,
    pub target: Target,
    pub unit: Unit,
    /// Whether the figure exists under the filters asked (a booking has no agent).
    pub applies: bool,
    pub points: Vec<KpiPoint>,
    pub verdict: Verdict,
    /// The value to reach in the asked period (a change target: from the period before).
    pub threshold: Option<f64>,
    /// Change against the period before, in percent.
    pub change_percent: Option<f64>,
}

impl KpiFigure {
    /// The asked period's point.
    pub fn current(&self) -> Option<&KpiPoint> {
        self.points.last()
    }

    /// The point of the period before, when the trend has one.
    pub fn previous(&self) -> Option<&KpiPoint> {
        self.points.len().checked_sub(2).map(|i| &self.points[i])
    }
}

/// The instants a period of civil days covers in `zone`: `[start of from, start of the day
/// after to)`.
pub fn period_instants(p: Period, zone: &TimeZone) -> Result<(Timestamp, Timestamp), AppError> {
    let bad = || AppError::field("to", "invalid", "date out of range");
    let from = p
        .from
        .to_zoned(zone.clone())
        .map_err(|_| bad())?
        .timestamp();
    let to =
        p.to.tomorrow()
            .map_err(|_| bad())?
            .to_zoned(zone.clone())
            .map_err(|_| bad())?
            .timestamp();
    Ok((from, to))
}

impl App {
    /// Every commitment's figure over the query's period and trend (needs `view_reports`).
    pub async fn quality_kpis(
        &self,
        principal: &Principal,
        q: &KpiQuery,
        zone: &TimeZone,
    ) -> Result<Vec<KpiFigure>, AppError> {
        principal.require(Permission::ViewReports)?;
        let mut tx = self.store.read().await?;
        self.figures(&mut *tx, q, zone, &Kpi::ALL).await
    }

    /// The figures the agency publishes, for its public commitments page: this month so far
    /// and the month before (no sign-in; only the chosen figures, unfiltered).
    pub async fn published_kpis(&self, zone: &TimeZone) -> Result<Vec<KpiFigure>, AppError> {
        let mut tx = self.store.read().await?;
        let keys = tx.public_kpis().await?;
        let kpis: Vec<Kpi> = Kpi::ALL
            .into_iter()
            .filter(|k| keys.iter().any(|x| x == k.as_str()))
            .collect();
        if kpis.is_empty() {
            return Ok(Vec::new());
        }
        let today = self.now().to_zoned(zone.clone()).date();
        let q = KpiQuery {
            period: Period::month_of(today),
            trend: 2,
            channel: None,
            group: None,
            agent: None,
        };
        self.figures(&mut *tx, &q, zone, &kpis).await
    }

    /// The keys of the figures published on the commitments page.
    pub async fn public_kpi_keys(&self, principal: &Principal) -> Result<Vec<Kpi>, AppError> {
        principal.require(Permission::ViewReports)?;
        let mut tx = self.store.read().await?;
        let keys = tx.public_kpis().await?;
        Ok(keys.iter().filter_map(|k| Kpi::parse(k)).collect())
    }

    /// Chooses the figures published on the commitments page (needs `manage_settings`;
    /// audited with the keys chosen).
    pub async fn set_public_kpis(
        &self,
        principal: &Principal,
        kpis: &[Kpi],
    ) -> Result<Vec<Kpi>, AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut chosen: Vec<Kpi> = kpis.to_vec();
        chosen.sort();
        chosen.dedup();
        let keys: Vec<String> = chosen.iter().map(|k| k.as_str().to_string()).collect();
        let mut tx = self.store.write().await?;
        tx.set_public_kpis(&keys, self.now()).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::QualityPublish,
            "quality",
            None,
            json!({ "published": keys }),
        )
        .await?;
        tx.commit().await?;
        Ok(chosen)
    }

    /// The clocks behind a clock figure over the query's period, breached first (needs
    /// `view_reports`). Other figures link to their own lists (calls, bookings, tickets).
    pub async fn quality_cases(
        &self,
        principal: &Principal,
        kpi: Kpi,
        q: &KpiQuery,
        zone: &TimeZone,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ClockCase>, AppError> {
        principal.require(Permission::ViewReports)?;
        let (from, to) = period_instants(q.period, zone)?;
        let scope = scope(q, from, to);
        let mut tx = self.store.read().await?;
        Ok(tx
            .quality_clock_cases(&scope, kpi.clock_targets(), self.now(), limit, offset)
            .await?)
    }

    pub(crate) async fn figures(
        &self,
        tx: &mut dyn Tx,
        q: &KpiQuery,
        zone: &TimeZone,
        kpis: &[Kpi],
    ) -> Result<Vec<KpiFigure>, AppError> {
        let now = self.now();
        let periods = q.period.trend(q.trend.clamp(1, MAX_TREND));
        let first_beat = tx.first_heartbeat().await?;
        let (ch, group, agent) = (q.channel.as_deref(), q.group.is_some(), q.agent.is_some());
        let wanted = |k: Kpi| kpis.contains(&k) && k.applies(ch, group, agent);
        let clock_targets: Vec<&str> = kpis
            .iter()
            .filter(|k| wanted(**k))
            .flat_map(|k| k.clock_targets().iter().copied())
            .collect();
        let mut ratios: BTreeMap<Kpi, Vec<Ratio>> = BTreeMap::new();
        for p in &periods {
            let (from, to) = period_instants(*p, zone)?;
            let scope = scope(q, from, to);
            let mut of: BTreeMap<Kpi, Ratio> = BTreeMap::new();
            let clocks = tx.quality_clock_counts(&scope, &clock_targets, now).await?;
            for k in kpis.iter().filter(|k| !k.clock_targets().is_empty()) {
                let mut r = Ratio::default();
                for c in clocks
                    .iter()
                    .filter(|c| k.clock_targets().contains(&c.target_key.as_str()))
                {
                    r.num += c.met;
                    r.den += c.met + c.breached;
                }
                of.insert(*k, r);
            }
            if wanted(Kpi::AnswerRate) {
                let (offered, answered) = tx.quality_call_counts(from, to).await?;
                of.insert(Kpi::AnswerRate, Ratio::new(answered, offered));
            }
            if wanted(Kpi::Uptime) {
                let (s, e) = measured_minutes(
                    from.as_millisecond(),
                    to.as_millisecond(),
                    first_beat.map(Timestamp::as_millisecond),
                    now.as_millisecond(),
                );
                let minutes = u64::try_from((e - s) / 60_000).unwrap_or(0);
                let up = if minutes == 0 {
                    0
                } else {
                    let at = |ms| Timestamp::from_millisecond(ms).unwrap_or(from);
                    tx.heartbeat_minutes(at(s), at(e)).await?
                };
                of.insert(Kpi::Uptime, uptime(up, minutes));
            }
            if wanted(Kpi::ComplaintRate) || wanted(Kpi::RepurchaseRate) {
                let b = tx.quality_bookings(from, to).await?;
                if wanted(Kpi::ComplaintRate) {
                    let complaints = tx.quality_complaints(from, to).await?;
                    of.insert(Kpi::ComplaintRate, Ratio::new(complaints, b.bookings));
                }
                of.insert(Kpi::RepurchaseRate, Ratio::new(b.returning, b.customers));
            }
            if wanted(Kpi::WordOfMouth) {
                let (new, wom) = tx
                    .quality_new_customers(from, to, WORD_OF_MOUTH_SOURCE)
                    .await?;
                of.insert(Kpi::WordOfMouth, Ratio::new(wom, new));
            }
            if wanted(Kpi::Satisfaction) {
                let (answered, satisfied) = tx.quality_surveys(&scope, SATISFIED_AT).await?;
                of.insert(Kpi::Satisfaction, Ratio::new(satisfied, answered));
            }
            for k in kpis {
                ratios
                    .entry(*k)
                    .or_default()
                    .push(of.get(k).copied().unwrap_or_default());
            }
        }
        Ok(kpis
            .iter()
            .map(|k| {
                let applies = k.applies(ch, group, agent);
                let unit = k.unit();
                let points: Vec<KpiPoint> = periods
                    .iter()
                    .zip(ratios.get(k).cloned().unwrap_or_default())
                    .map(|(p, r)| KpiPoint {
                        period: *p,
                        ratio: r,
                        value: if applies { r.value(unit) } else { None },
                    })
                    .collect();
                let value = points.last().and_then(|p| p.value);
                let previous = points.len().checked_sub(2).and_then(|i| points[i].value);
                let target = k.target();
                KpiFigure {
                    kpi: *k,
                    target,
                    unit,
                    applies,
                    verdict: target.judge(value, previous),
                    threshold: target.threshold(previous),
                    change_percent: change_percent(value, previous),
                    points,
                }
            })
            .collect())
    }
}

fn scope(q: &KpiQuery, from: Timestamp, to: Timestamp) -> QualityScope {
    QualityScope {
        from,
        to,
        channel: q.channel.clone(),
        group: q.group,
        agent: q.agent,
    }
}

/// A minute as the heartbeat records it.
pub(crate) fn minute_of(t: Timestamp) -> Timestamp {
    let ms = tripdesk_domain::quality::minute_floor(t.as_millisecond());
    Timestamp::from_millisecond(ms).unwrap_or(t)
}

/// The length of a heartbeat's minute.
pub(crate) const MINUTE: SignedDuration = SignedDuration::from_secs(60);
