//! What a cancellation refunds, and why, line by line (issue 14 item 6; seed 003: tiered by
//! time before departure, force majeure → refund or postponement, published compensation).
//!
//! Rules:
//! - Money is integer fen. A share of the total is `total × basis points / 10 000` rounded
//!   **half up to the fen** (0.5 fen → 1 fen); that is the only rounding anywhere.
//! - Days before the start are counted in civil dates in the business's zone: the start day
//!   (departure, check-in) is 0, the day before it 1 ([`days_before`]); cancelling after the
//!   start is refused here (leaving mid-trip is settled by hand).
//! - Shares are of the **total price** (旅游费用总额) as the model contracts say; the refund
//!   is of what was **paid**. A tier withholding more than was paid withholds what was paid,
//!   and says the difference in [`Refund::shortfall_fen`] (the contract lets the agency claim
//!   it; tripdesk does not collect it).
//! - Every [`Refund`] carries lines whose amounts add up to [`Refund::refund_fen`]: the
//!   payment first, then each deduction (negative) or compensation (positive).
//!
//! Causes ([`Cause`]):
//! - **The customer cancels**: the tier of the policy's table (tours) or the lodging preset is
//!   withheld; `refund + withheld == paid`.
//! - **The business cancels**: everything paid comes back plus the compensation tier of a
//!   tour's agency table (lodging: no compensation); `refund == paid + compensation`.
//! - **Group not formed** (tours only): cancelled at least `group_notice_days` before departure
//!   (7 domestic, 30 outbound), a full refund without compensation; later, as if the agency
//!   cancelled.
//! - **Force majeure, refund chosen**: everything paid except the supplier costs the business
//!   documents as already paid and unrecoverable (Tourism Law art. 67 (二)), each a line with
//!   its description. **Postponement chosen** ([`postpone`]): what was paid carries over to the
//!   new date; free where the policy says so, otherwise less the documented extra costs of
//!   the change (art. 67: 合同变更的，因此增加的费用由旅游者承担).

mod draft;
mod policy;

#[cfg(test)]
mod tests;

pub use draft::{
    check_terms, is_tour, percent_to_basis_points, tier_inputs, tier_table, LodgingDraft,
    LodgingPresetKind, PolicyFieldError, TermsDraft, TierInput, MAX_POLICY_DAYS, MAX_TIERS,
};
pub use policy::{
    policy_in_force, CancellationPolicy, LodgingCharge, LodgingPreset, LodgingTerms, PolicyTerms,
    Tier, TierTable, TourTerms, TripScope, DOMESTIC_AGENCY_TIERS, DOMESTIC_CUSTOMER_TIERS, FULL_BP,
    OUTBOUND_AGENCY_TIERS, OUTBOUND_CUSTOMER_TIERS,
};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why a refund cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// A tier table or policy that breaks the rules of [`TierTable`].
    #[error("cancellation policy: {reason}")]
    BadPolicy { reason: &'static str },
    /// An amount out of range (negative, paid above the total, first night above the total).
    #[error("{field}: {reason}")]
    BadAmount {
        field: &'static str,
        reason: &'static str,
    },
    /// The start date has passed.
    #[error("cancelled on {on}, after the start on {starts_on}")]
    AfterStart { starts_on: Date, on: Date },
    /// A lodging preset that withholds the first night, without its price.
    #[error("the first night's price is needed for this lodging policy")]
    FirstNightMissing,
    /// A rule that applies to tours only (group not formed).
    #[error("a group that did not form applies to tours only")]
    NotATour,
    /// A supplier cost without a description (art. 67 needs each documented).
    #[error("each supplier cost needs a description")]
    CostWithoutDescription,
    /// Documented costs above what was paid.
    #[error("documented costs {costs_fen} fen exceed the {paid_fen} fen paid")]
    CostsExceedPaid { costs_fen: i64, paid_fen: i64 },
    /// Costs given for a postponement the policy makes free.
    #[error("postponement is free under this policy: no costs may be charged")]
    PostponementIsFree,
    /// A change's refund asked of the cancellation rules: it is the change quote's
    /// ([`super::ChangeQuote::refund`]).
    #[error("a change is not a cancellation: its refund is the change quote's")]
    NotACancellation,
}

impl RefundError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPolicy { .. } => "refund.bad_policy",
            Self::BadAmount { .. } => "refund.bad_amount",
            Self::AfterStart { .. } => "refund.after_start",
            Self::FirstNightMissing => "refund.first_night_missing",
            Self::NotATour => "refund.not_a_tour",
            Self::CostWithoutDescription => "refund.cost_without_description",
            Self::CostsExceedPaid { .. } => "refund.costs_exceed_paid",
            Self::PostponementIsFree => "refund.postponement_is_free",
            Self::NotACancellation => "refund.not_a_cancellation",
        }
    }
}

/// Civil days from `on` to `starts_on`: 0 on the start day, 1 the day before. Refused after
/// the start.
pub fn days_before(starts_on: Date, on: Date) -> Result<u32, RefundError> {
    if on > starts_on {
        return Err(RefundError::AfterStart { starts_on, on });
    }
    let days = (starts_on - on).get_days();
    Ok(u32::try_from(days).expect("a non-negative day count"))
}

/// `total × bp / 10 000`, rounded half up to the fen (amounts are non-negative).
pub fn share_of(total_fen: i64, basis_points: u32) -> i64 {
    let exact = i128::from(total_fen) * i128::from(basis_points);
    i64::try_from((exact + 5_000) / 10_000).expect("a share of an i64 total fits an i64")
}

/// The booking being cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundCase {
    /// Total price of the booking (旅游费用总额), fen.
    pub total_fen: i64,
    /// Paid so far, fen; 0 to `total_fen`.
    pub paid_fen: i64,
    /// Lodging: the first night's price, fen (needed by first-night presets).
    pub first_night_fen: Option<i64>,
    /// Departure day or check-in day.
    pub starts_on: Date,
    /// The civil date of the cancellation (or the agency's notice).
    pub cancelled_on: Date,
}

impl RefundCase {
    fn check(&self) -> Result<u32, RefundError> {
        let bad = |field, reason| Err(RefundError::BadAmount { field, reason });
        if self.total_fen < 0 {
            return bad("total_fen", "must not be negative");
        }
        if self.paid_fen < 0 {
            return bad("paid_fen", "must not be negative");
        }
        if self.paid_fen > self.total_fen {
            return bad("paid_fen", "must not exceed the total");
        }
        match self.first_night_fen {
            Some(n) if n < 0 => return bad("first_night_fen", "must not be negative"),
            Some(n) if n > self.total_fen => {
                return bad("first_night_fen", "must not exceed the total")
            }
            _ => {}
        }
        days_before(self.starts_on, self.cancelled_on)
    }
}

/// A supplier cost the business documents (force majeure): already paid to a ground agent
/// or supplier and not recoverable, or the extra cost of a postponement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplierCost {
    /// What it is, e.g. 地接社房费（不可退）.
    pub description: String,
    pub amount_fen: i64,
}

/// Who or what ended the booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    /// The customer cancels.
    Customer,
    /// The agency or the homestay cancels.
    Business,
    /// The group stayed below its minimum size (tours).
    GroupNotFormed,
    /// Force majeure and the customer chose a refund; the business's documented
    /// unrecoverable supplier costs.
    ForceMajeure { unrecoverable: Vec<SupplierCost> },
    /// Not a cancellation: a change lowered the total below what was paid, and the excess
    /// goes back ([`super::ChangeQuote::refund`]).
    Change,
}

impl Cause {
    pub fn kind(&self) -> CauseKind {
        match self {
            Cause::Customer => CauseKind::Customer,
            Cause::Business => CauseKind::Business,
            Cause::GroupNotFormed => CauseKind::GroupNotFormed,
            Cause::ForceMajeure { .. } => CauseKind::ForceMajeure,
            Cause::Change => CauseKind::Change,
        }
    }
}

/// A [`Cause`]'s name, as stored beside a refund. The API's cancellation takes the names
/// [`CauseKind::cancels`] allows (its own `RefundCauseName`, without `change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// 旅游者/客人取消.
    Customer,
    /// 旅行社/民宿取消.
    Business,
    /// 未达最低成团人数.
    GroupNotFormed,
    /// 不可抗力.
    ForceMajeure,
    /// 变更退差: a change's refund, never a cancellation's cause.
    Change,
}

impl CauseKind {
    pub const ALL: [CauseKind; 5] = [
        CauseKind::Customer,
        CauseKind::Business,
        CauseKind::GroupNotFormed,
        CauseKind::ForceMajeure,
        CauseKind::Change,
    ];

    /// The causes a cancellation may give (all but [`CauseKind::Change`]).
    pub fn cancels(self) -> bool {
        self != CauseKind::Change
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::Customer => "customer",
            CauseKind::Business => "business",
            CauseKind::GroupNotFormed => "group_not_formed",
            CauseKind::ForceMajeure => "force_majeure",
            CauseKind::Change => "change",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl LineKind {
    pub const ALL: [LineKind; 6] = [
        LineKind::Paid,
        LineKind::Withheld,
        LineKind::Compensation,
        LineKind::SupplierCost,
        LineKind::Postponement,
        LineKind::Overpaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Paid => "paid",
            LineKind::Withheld => "withheld",
            LineKind::Compensation => "compensation",
            LineKind::SupplierCost => "supplier_cost",
            LineKind::Postponement => "postponement",
            LineKind::Overpaid => "overpaid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a refund line is (for translation; `label_zh` is the Chinese text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RefundLineKindName))]
pub enum LineKind {
    /// What the customer paid (positive).
    Paid,
    /// Withheld by the cancellation tier or preset (zero or negative).
    Withheld,
    /// Compensation from the business (zero or positive).
    Compensation,
    /// One documented supplier cost (negative).
    SupplierCost,
    /// A postponement: free (zero) or one extra cost of the change (negative).
    Postponement,
    /// Paid beyond the booking's total: no policy applies to it, it all goes back (positive).
    Overpaid,
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub kind: LineKind,
    pub label_zh: String,
    /// Signed: what the line adds to the refund.
    pub amount_fen: i64,
}

/// A refund, explained. Invariants: the lines add up to `refund_fen`;
/// `refund_fen == paid_fen − withheld_fen + compensation_fen`; `0 ≤ withheld_fen ≤ paid_fen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub paid_fen: i64,
    /// Kept by the business (tier, preset or supplier costs).
    pub withheld_fen: i64,
    /// Paid by the business on top (its cancellation).
    pub compensation_fen: i64,
    pub refund_fen: i64,
    /// What the tier would have withheld beyond what was paid (not collected here).
    pub shortfall_fen: i64,
    /// Days before the start, as counted.
    pub days_before: u32,
    pub lines: Vec<RefundLine>,
}

impl Refund {
    /// Adds back what was paid beyond the booking's total (`over_fen`; nothing for 0 or
    /// less): no tier or preset applies to money that was never owed, so one more line
    /// returns it in full and the paid and refund figures grow by it. The policy's
    /// computation ([`compute_refund`]) sees the payment capped at the total.
    pub fn with_overpayment(mut self, over_fen: i64) -> Refund {
        if over_fen > 0 {
            self.paid_fen += over_fen;
            self.refund_fen += over_fen;
            self.lines.push(RefundLine {
                kind: LineKind::Overpaid,
                label_zh: format!("超出订单总额的多付款项{}，全额退还", yuan(over_fen)),
                amount_fen: over_fen,
            });
        }
        self
    }
}

/// A postponement for force majeure, explained. `credit_fen` (what carries over to the new
/// date) equals the sum of the lines and `paid_fen − fee_fen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postponement {
    pub paid_fen: i64,
    pub fee_fen: i64,
    pub credit_fen: i64,
    pub lines: Vec<RefundLine>,
}

pub(super) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}元", a / 100, a % 100)
}

fn paid_line(paid_fen: i64) -> RefundLine {
    RefundLine {
        kind: LineKind::Paid,
        label_zh: "已付金额".into(),
        amount_fen: paid_fen,
    }
}

struct Builder {
    paid: i64,
    days: u32,
    withheld: i64,
    compensation: i64,
    shortfall: i64,
    lines: Vec<RefundLine>,
}

impl Builder {
    fn new(case: &RefundCase, days: u32) -> Builder {
        Builder {
            paid: case.paid_fen,
            days,
            withheld: 0,
            compensation: 0,
            shortfall: 0,
            lines: vec![paid_line(case.paid_fen)],
        }
    }

    /// Withholds `due` (capped at what is left of the payment) with this label.
    fn withhold(&mut self, due: i64, label: String) {
        let take = due.min(self.paid - self.withheld);
        self.shortfall += due - take;
        self.withheld += take;
        let label = if take < due {
            format!("{label}；以已付金额为限，未扣足{}", yuan(due - take))
        } else {
            label
        };
        self.lines.push(RefundLine {
            kind: LineKind::Withheld,
            label_zh: label,
            amount_fen: -take,
        });
    }

    fn compensate(&mut self, amount: i64, label: String) {
        self.compensation += amount;
        self.lines.push(RefundLine {
            kind: LineKind::Compensation,
            label_zh: label,
            amount_fen: amount,
        });
    }

    fn finish(self) -> Refund {
        let refund_fen = self.paid - self.withheld + self.compensation;
        debug_assert_eq!(
            refund_fen,
            self.lines.iter().map(|l| l.amount_fen).sum::<i64>()
        );
        Refund {
            paid_fen: self.paid,
            withheld_fen: self.withheld,
            compensation_fen: self.compensation,
            refund_fen,
            shortfall_fen: self.shortfall,
            days_before: self.days,
            lines: self.lines,
        }
    }
}

/// The refund of `case` under `terms` for `cause` (rules in the module documentation).
pub fn compute_refund(
    terms: &PolicyTerms,
    case: &RefundCase,
    cause: &Cause,
) -> Result<Refund, RefundError> {
    let days = case.check()?;
    let mut b = Builder::new(case, days);
    match (cause, terms) {
        (Cause::Customer, PolicyTerms::Tour(t)) => {
            let tier = t.customer.tier_for(days);
            let due = share_of(case.total_fen, tier.basis_points);
            let label = if tier.basis_points == 0 {
                format!("旅游者{}取消，不扣费", tier.days_zh("出发"))
            } else {
                format!(
                    "旅游者{}取消，扣除旅游费用总额{}的{}",
                    tier.days_zh("出发"),
                    yuan(case.total_fen),
                    tier.percent()
                )
            };
            b.withhold(due, label);
        }
        (Cause::Customer, PolicyTerms::Lodging(l)) => {
            let (due, label) = lodging_charge(l.preset, case, days)?;
            b.withhold(due, label);
        }
        (Cause::Business, PolicyTerms::Tour(t)) => agency_compensation(&mut b, t, case, days, ""),
        (Cause::Business, PolicyTerms::Lodging(_)) => {
            b.compensate(0, "民宿取消预订，全额退款".into());
        }
        (Cause::GroupNotFormed, PolicyTerms::Tour(t)) => {
            if days >= t.group_notice_days {
                b.compensate(
                    0,
                    format!(
                        "未达最低成团人数，出发前{days}日通知（不少于{}日），全额退款，无违约金",
                        t.group_notice_days
                    ),
                );
            } else {
                let why = format!(
                    "未达最低成团人数，通知晚于出发前{}日，按旅行社解除合同：",
                    t.group_notice_days
                );
                agency_compensation(&mut b, t, case, days, &why);
            }
        }
        (Cause::GroupNotFormed, PolicyTerms::Lodging(_)) => return Err(RefundError::NotATour),
        (Cause::Change, _) => return Err(RefundError::NotACancellation),
        (Cause::ForceMajeure { unrecoverable }, _) => {
            let total = check_costs(unrecoverable, case.paid_fen)?;
            debug_assert!(total <= case.paid_fen);
            if unrecoverable.is_empty() {
                b.lines.push(RefundLine {
                    kind: LineKind::SupplierCost,
                    label_zh: "不可抗力，旅游者选择退款，无已支付且不可退还的费用，全额退款".into(),
                    amount_fen: 0,
                });
            }
            for c in unrecoverable {
                b.withheld += c.amount_fen;
                b.lines.push(RefundLine {
                    kind: LineKind::SupplierCost,
                    label_zh: format!("不可抗力，已支付且不可退还的费用：{}", c.description.trim()),
                    amount_fen: -c.amount_fen,
                });
            }
        }
    }
    Ok(b.finish())
}

fn agency_compensation(b: &mut Builder, t: &TourTerms, case: &RefundCase, days: u32, why: &str) {
    let tier = t.agency.tier_for(days);
    let amount = share_of(case.total_fen, tier.basis_points);
    let label = if tier.basis_points == 0 {
        format!(
            "{why}旅行社{}解除合同，全额退款，无违约金",
            tier.days_zh("出发")
        )
    } else {
        format!(
            "{why}旅行社{}解除合同，支付旅游费用总额{}的{}违约金",
            tier.days_zh("出发"),
            yuan(case.total_fen),
            tier.percent()
        )
    };
    b.compensate(amount, label);
}

fn lodging_charge(
    preset: LodgingPreset,
    case: &RefundCase,
    days: u32,
) -> Result<(i64, String), RefundError> {
    let first_night = || case.first_night_fen.ok_or(RefundError::FirstNightMissing);
    let charge = |c: LodgingCharge, when: String| -> Result<(i64, String), RefundError> {
        Ok(match c {
            LodgingCharge::FirstNight => {
                let n = first_night()?;
                (n, format!("{when}取消，扣除首晚房费{}", yuan(n)))
            }
            LodgingCharge::Total => (
                case.total_fen,
                format!("{when}取消，扣除全部房费{}", yuan(case.total_fen)),
            ),
        })
    };
    match preset {
        LodgingPreset::FreeUntil { days: free, .. } if days >= free => Ok((
            0,
            format!("入住前{days}日取消（入住前{free}日及以上免费取消），不扣费"),
        )),
        LodgingPreset::FreeUntil { days: free, then } => charge(
            then,
            format!("入住前{days}日（晚于免费取消期限：入住前{free}日）"),
        ),
        LodgingPreset::FirstNight => charge(LodgingCharge::FirstNight, format!("入住前{days}日")),
        LodgingPreset::NonRefundable => Ok((
            case.total_fen,
            format!("不可退订的预订，扣除全部房费{}", yuan(case.total_fen)),
        )),
    }
}

fn check_costs(costs: &[SupplierCost], paid_fen: i64) -> Result<i64, RefundError> {
    let mut total: i64 = 0;
    for c in costs {
        if c.description.trim().is_empty() {
            return Err(RefundError::CostWithoutDescription);
        }
        if c.amount_fen <= 0 {
            return Err(RefundError::BadAmount {
                field: "amount_fen",
                reason: "a documented cost is positive",
            });
        }
        total = total.saturating_add(c.amount_fen);
    }
    if total > paid_fen {
        return Err(RefundError::CostsExceedPaid {
            costs_fen: total,
            paid_fen,
        });
    }
    Ok(total)
}

/// Force majeure, postponement chosen: what was paid carries over to the new date. Free when
/// the policy says so (then no costs may be given); otherwise the documented extra costs of
/// the change are deducted, each a line.
pub fn postpone(
    terms: &PolicyTerms,
    case: &RefundCase,
    extra_costs: &[SupplierCost],
) -> Result<Postponement, RefundError> {
    case.check()?;
    if terms.free_postponement() && !extra_costs.is_empty() {
        return Err(RefundError::PostponementIsFree);
    }
    let fee = check_costs(extra_costs, case.paid_fen)?;
    let mut lines = vec![paid_line(case.paid_fen)];
    if extra_costs.is_empty() {
        lines.push(RefundLine {
            kind: LineKind::Postponement,
            label_zh: "不可抗力，免费延期，已付金额全部转入新日期".into(),
            amount_fen: 0,
        });
    }
    for c in extra_costs {
        lines.push(RefundLine {
            kind: LineKind::Postponement,
            label_zh: format!("不可抗力延期，因变更增加的费用：{}", c.description.trim()),
            amount_fen: -c.amount_fen,
        });
    }
    Ok(Postponement {
        paid_fen: case.paid_fen,
        fee_fen: fee,
        credit_fen: case.paid_fen - fee,
        lines,
    })
}
