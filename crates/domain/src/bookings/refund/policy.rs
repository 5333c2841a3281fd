//! Cancellation policies as dated data: tier tables, the 2014 model-contract defaults and
//! the lodging presets.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::RefundError;

/// Domestic (国内) or outbound (出境) group tour: which 2014 model contract applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TripScopeName))]
pub enum TripScope {
    /// 团队境内旅游合同（示范文本）GF-2014-2401.
    Domestic,
    /// 团队出境旅游合同（示范文本）GF-2014-2402.
    Outbound,
}

impl TripScope {
    pub const ALL: [TripScope; 2] = [TripScope::Domestic, TripScope::Outbound];

    pub fn as_str(self) -> &'static str {
        match self {
            TripScope::Domestic => "domestic",
            TripScope::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Days before departure by which the agency must tell travelers a group will not go
    /// ahead (不成团通知): 7 domestic, 30 outbound (2014 model contracts).
    pub fn group_notice_days(self) -> u32 {
        match self {
            TripScope::Domestic => 7,
            TripScope::Outbound => 30,
        }
    }
}

/// Basis points of a total: 10 000 = 100 %.
pub const FULL_BP: u32 = 10_000;

/// One tier: a cancellation `min_days` to `max_days` days before the start (both included;
/// `max_days: None` means "or more") takes `basis_points` of the total (1 % = 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tier {
    pub min_days: u32,
    pub max_days: Option<u32>,
    pub basis_points: u32,
}

impl Tier {
    pub const fn new(min_days: u32, max_days: Option<u32>, basis_points: u32) -> Tier {
        Tier {
            min_days,
            max_days,
            basis_points,
        }
    }

    pub fn contains(&self, days: u32) -> bool {
        days >= self.min_days && self.max_days.is_none_or(|m| days <= m)
    }

    /// The tier's days in Chinese, e.g. 出发前6日至4日, 出发前7日及以上, 出发当日, 出发前3日至出发当日;
    /// `before` is 出发 or 入住.
    pub fn days_zh(&self, before: &str) -> String {
        match (self.min_days, self.max_days) {
            (0, Some(0)) => format!("{before}当日"),
            (0, None) => format!("{before}当日及以前"),
            (0, Some(max)) => format!("{before}前{max}日至{before}当日"),
            (min, None) => format!("{before}前{min}日及以上"),
            (min, Some(max)) if min == max => format!("{before}前{min}日"),
            (min, Some(max)) => format!("{before}前{max}日至{min}日"),
        }
    }

    /// The tier's share as a percent, e.g. `20%`, `2.5%`.
    pub fn percent(&self) -> String {
        percent(self.basis_points)
    }
}

fn percent(bp: u32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    match frac {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

/// Tiers covering every day count from the start day (0) upwards, without gaps or overlaps,
/// nearest the start last, and never cheaper nearer the start (so a refund only shrinks as
/// the start comes closer and compensation only grows). Checked on construction and when
/// read from storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<Tier>", into = "Vec<Tier>")]
pub struct TierTable(Vec<Tier>);

impl TryFrom<Vec<Tier>> for TierTable {
    type Error = RefundError;
    fn try_from(v: Vec<Tier>) -> Result<Self, Self::Error> {
        TierTable::new(v)
    }
}

impl From<TierTable> for Vec<Tier> {
    fn from(t: TierTable) -> Self {
        t.0
    }
}

impl TierTable {
    /// Tiers in any order; sorted farthest from the start first and checked.
    pub fn new(mut tiers: Vec<Tier>) -> Result<TierTable, RefundError> {
        let bad = |reason| Err(RefundError::BadPolicy { reason });
        tiers.sort_by_key(|t| std::cmp::Reverse(t.min_days));
        let Some(first) = tiers.first() else {
            return bad("a tier table needs at least one tier");
        };
        if first.max_days.is_some() {
            return bad("the first tier must be open-ended (N days or more)");
        }
        if tiers.last().map(|t| t.min_days) != Some(0) {
            return bad("the last tier must reach the start day (0 days)");
        }
        for t in &tiers {
            if t.basis_points > FULL_BP {
                return bad("a tier takes at most 100 %");
            }
            if t.max_days.is_some_and(|m| m < t.min_days) {
                return bad("a tier's days are reversed");
            }
        }
        for w in tiers.windows(2) {
            let (far, near) = (w[0], w[1]);
            if near.max_days.map(|m| m + 1) != Some(far.min_days) {
                return bad("tiers must follow each other without gaps or overlaps");
            }
            if near.basis_points < far.basis_points {
                return bad("a tier nearer the start must not take less");
            }
        }
        Ok(TierTable(tiers))
    }

    pub fn tiers(&self) -> &[Tier] {
        &self.0
    }

    /// The tier for a cancellation `days` before the start (one always matches).
    pub fn tier_for(&self, days: u32) -> Tier {
        *self
            .0
            .iter()
            .find(|t| t.contains(days))
            .expect("a checked table covers every day count")
    }

    fn of(tiers: &[Tier]) -> TierTable {
        TierTable::new(tiers.to_vec()).expect("built-in tiers are valid")
    }
}

/// The traveler cancels a domestic group tour (GF-2014-2401 第十二条/第十七条 as issue 14
/// states it): 7 days or more before departure 0 %, 6–4 days 20 %, 3–1 days 40 %,
/// departure day 60 % of the total price.
pub const DOMESTIC_CUSTOMER_TIERS: [Tier; 4] = [
    Tier::new(7, None, 0),
    Tier::new(4, Some(6), 2_000),
    Tier::new(1, Some(3), 4_000),
    Tier::new(0, Some(0), 6_000),
];

/// The traveler cancels an outbound group tour (GF-2014-2402 as issue 14 states it): 30 days
/// or more 0 %, 29–15 days 5 %, 14–7 days 20 %, 6–4 days 50 %, 3–1 days 60 %, departure day
/// 70 %.
pub const OUTBOUND_CUSTOMER_TIERS: [Tier; 6] = [
    Tier::new(30, None, 0),
    Tier::new(15, Some(29), 500),
    Tier::new(7, Some(14), 2_000),
    Tier::new(4, Some(6), 5_000),
    Tier::new(1, Some(3), 6_000),
    Tier::new(0, Some(0), 7_000),
];

/// The agency cancels a domestic tour: compensation (违约金) on top of a full refund. Neither
/// the seeds nor the product brief give agency-side figures, so these are the 2014 domestic
/// model contract's (GF-2014-2401 第十六条): 7–4 days before departure 10 %, 3–1 days 15 %,
/// departure day 20 % of the total; 8 days or more, none.
pub const DOMESTIC_AGENCY_TIERS: [Tier; 4] = [
    Tier::new(8, None, 0),
    Tier::new(4, Some(7), 1_000),
    Tier::new(1, Some(3), 1_500),
    Tier::new(0, Some(0), 2_000),
];

/// The agency cancels an outbound tour: compensation on top of a full refund. Not in the
/// seeds or the brief; the 2014 outbound model contract's figures (GF-2014-2402 第十六条):
/// 30–15 days 2 %, 14–7 days 5 %, 6–4 days 10 %, 3–1 days 15 %, departure day 20 %; 31 days
/// or more, none.
pub const OUTBOUND_AGENCY_TIERS: [Tier; 6] = [
    Tier::new(31, None, 0),
    Tier::new(15, Some(30), 200),
    Tier::new(7, Some(14), 500),
    Tier::new(4, Some(6), 1_000),
    Tier::new(1, Some(3), 1_500),
    Tier::new(0, Some(0), 2_000),
];

/// A tour's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourTerms {
    pub scope: TripScope,
    /// The traveler cancels (旅游者解除合同): share of the total withheld.
    pub customer: TierTable,
    /// The agency cancels (旅行社解除合同): compensation paid on top of a full refund.
    pub agency: TierTable,
    /// A group below its minimum size cancelled at least this many days before departure
    /// is refunded in full without compensation; later, [`TourTerms::agency`] applies.
    pub group_notice_days: u32,
    /// Force majeure: whether postponement is free (seed 003: 可选择全额退款或延期).
    pub free_postponement: bool,
}

impl TourTerms {
    /// The last day on which the agency may call off a group below its minimum size without
    /// compensation (the go/no-go date): `group_notice_days` before departure.
    pub fn go_no_go_date(&self, departs_on: Date) -> Option<Date> {
        departs_on
            .checked_sub(jiff::Span::new().days(i64::from(self.group_notice_days)))
            .ok()
    }

    /// The 2014 model contract of `scope`; postponement for force majeure is free (seed 003).
    pub fn model_2014(scope: TripScope) -> TourTerms {
        let (customer, agency) = match scope {
            TripScope::Domestic => (&DOMESTIC_CUSTOMER_TIERS[..], &DOMESTIC_AGENCY_TIERS[..]),
            TripScope::Outbound => (&OUTBOUND_CUSTOMER_TIERS[..], &OUTBOUND_AGENCY_TIERS[..]),
        };
        TourTerms {
            scope,
            customer: TierTable::of(customer),
            agency: TierTable::of(agency),
            group_notice_days: scope.group_notice_days(),
            free_postponement: true,
        }
    }
}

/// What a late lodging cancellation costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LodgingChargeName))]
pub enum LodgingCharge {
    /// The first night's price.
    FirstNight,
    /// The whole stay.
    Total,
}

/// The lodging presets (issue 14 item 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "preset", rename_all = "snake_case")]
pub enum LodgingPreset {
    /// Free cancellation until `days` days before check-in (included); later, `then` is
    /// withheld.
    FreeUntil { days: u32, then: LodgingCharge },
    /// The first night is withheld whenever the guest cancels.
    FirstNight,
    /// Nothing is refunded when the guest cancels.
    NonRefundable,
}

/// A lodging's terms. The business cancelling refunds everything (no compensation tier: the
/// model contracts are for tours); force majeure works as for tours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LodgingTerms {
    pub preset: LodgingPreset,
    pub free_postponement: bool,
}

/// A product's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyTerms {
    Tour(TourTerms),
    Lodging(LodgingTerms),
}

impl PolicyTerms {
    pub fn free_postponement(&self) -> bool {
        match self {
            PolicyTerms::Tour(t) => t.free_postponement,
            PolicyTerms::Lodging(l) => l.free_postponement,
        }
    }
}

/// A policy as dated data: in force from `effective_from` until the next policy of the same
/// product takes over. The booking keeps a copy of the one in force at confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationPolicy {
    pub name: String,
    pub effective_from: Date,
    pub terms: PolicyTerms,
}

impl fmt::Display for CancellationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.name, self.effective_from)
    }
}

/// The policy in force on `on`: the one with the latest `effective_from` not after `on`
/// (of two with the same date, the later in the slice); `None` before the first.
pub fn policy_in_force(policies: &[CancellationPolicy], on: Date) -> Option<&CancellationPolicy> {
    policies
        .iter()
        .filter(|p| p.effective_from <= on)
        .max_by_key(|p| p.effective_from)
}
