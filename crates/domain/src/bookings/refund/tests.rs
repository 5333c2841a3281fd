use super::*;
use jiff::civil::date;
use jiff::ToSpan;
use proptest::prelude::*;

const TOTAL: i64 = 123_457; // 1234.57 元: every percentage of it needs rounding

fn domestic() -> PolicyTerms {
    PolicyTerms::Tour(TourTerms::model_2014(TripScope::Domestic))
}

fn outbound() -> PolicyTerms {
    PolicyTerms::Tour(TourTerms::model_2014(TripScope::Outbound))
}

fn start() -> Date {
    date(2026, 10, 1)
}

fn case(days: i64, paid: i64) -> RefundCase {
    RefundCase {
        total_fen: TOTAL,
        paid_fen: paid,
        first_night_fen: None,
        starts_on: start(),
        cancelled_on: start().checked_sub(days.days()).unwrap(),
    }
}

fn sum(lines: &[RefundLine]) -> i64 {
    lines.iter().map(|l| l.amount_fen).sum()
}

fn costs(list: &[(&str, i64)]) -> Vec<SupplierCost> {
    list.iter()
        .map(|(d, a)| SupplierCost {
            description: d.to_string(),
            amount_fen: *a,
        })
        .collect()
}

/// The table the issue asks for: every tier boundary of both model contracts, the agency
/// cancelling, a group not formed (on time and late) and force majeure. Total and payment
/// 1234.57 元 unless stated; columns: withheld, compensation, refund (fen).
#[test]
fn refund_table() {
    use TripScope::*;
    let fm = |list: &[(&str, i64)]| Cause::ForceMajeure {
        unrecoverable: costs(list),
    };
    #[rustfmt::skip]
    let rows: Vec<(TripScope, Cause, i64, i64, i64, i64, i64)> = vec![
        // scope, cause, days before departure, paid, withheld, compensation, refund
        // Domestic, the traveler cancels: 7+ 0 %, 6–4 20 %, 3–1 40 %, departure day 60 %.
        (Domestic, Cause::Customer, 30, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::Customer, 8, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::Customer, 7, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::Customer, 6, TOTAL, 24_691, 0, 98_766),
        (Domestic, Cause::Customer, 5, TOTAL, 24_691, 0, 98_766),
        (Domestic, Cause::Customer, 4, TOTAL, 24_691, 0, 98_766),
        (Domestic, Cause::Customer, 3, TOTAL, 49_383, 0, 74_074),
        (Domestic, Cause::Customer, 2, TOTAL, 49_383, 0, 74_074),
        (Domestic, Cause::Customer, 1, TOTAL, 49_383, 0, 74_074),
        (Domestic, Cause::Customer, 0, TOTAL, 74_074, 0, 49_383),
        // Outbound, the traveler cancels: 30+ 0 %, 29–15 5 %, 14–7 20 %, 6–4 50 %, 3–1 60 %, day 70 %.
        (Outbound, Cause::Customer, 31, TOTAL, 0, 0, 123_457),
        (Outbound, Cause::Customer, 30, TOTAL, 0, 0, 123_457),
        (Outbound, Cause::Customer, 29, TOTAL, 6_173, 0, 117_284),
        (Outbound, Cause::Customer, 15, TOTAL, 6_173, 0, 117_284),
        (Outbound, Cause::Customer, 14, TOTAL, 24_691, 0, 98_766),
        (Outbound, Cause::Customer, 7, TOTAL, 24_691, 0, 98_766),
        (Outbound, Cause::Customer, 6, TOTAL, 61_729, 0, 61_728), // 61 728.5 rounds up
        (Outbound, Cause::Customer, 4, TOTAL, 61_729, 0, 61_728),
        (Outbound, Cause::Customer, 3, TOTAL, 74_074, 0, 49_383),
        (Outbound, Cause::Customer, 1, TOTAL, 74_074, 0, 49_383),
        (Outbound, Cause::Customer, 0, TOTAL, 86_420, 0, 37_037),
        // Only a deposit paid: the tier withholds at most what was paid.
        (Domestic, Cause::Customer, 0, 50_000, 50_000, 0, 0),
        (Domestic, Cause::Customer, 5, 50_000, 24_691, 0, 25_309),
        (Outbound, Cause::Customer, 40, 0, 0, 0, 0),
        // Domestic, the agency cancels: full refund + 7–4 10 %, 3–1 15 %, day 20 %; 8+ none.
        (Domestic, Cause::Business, 8, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::Business, 7, TOTAL, 0, 12_346, 135_803),
        (Domestic, Cause::Business, 4, TOTAL, 0, 12_346, 135_803),
        (Domestic, Cause::Business, 3, TOTAL, 0, 18_519, 141_976), // 18 518.55 rounds up
        (Domestic, Cause::Business, 1, TOTAL, 0, 18_519, 141_976),
        (Domestic, Cause::Business, 0, TOTAL, 0, 24_691, 148_148),
        // Compensation is a share of the total even when only a deposit was paid.
        (Domestic, Cause::Business, 0, 50_000, 0, 24_691, 74_691),
        // Outbound, the agency cancels: 30–15 2 %, 14–7 5 %, 6–4 10 %, 3–1 15 %, day 20 %; 31+ none.
        (Outbound, Cause::Business, 31, TOTAL, 0, 0, 123_457),
        (Outbound, Cause::Business, 30, TOTAL, 0, 2_469, 125_926),
        (Outbound, Cause::Business, 15, TOTAL, 0, 2_469, 125_926),
        (Outbound, Cause::Business, 14, TOTAL, 0, 6_173, 129_630),
        (Outbound, Cause::Business, 7, TOTAL, 0, 6_173, 129_630),
        (Outbound, Cause::Business, 6, TOTAL, 0, 12_346, 135_803),
        (Outbound, Cause::Business, 4, TOTAL, 0, 12_346, 135_803),
        (Outbound, Cause::Business, 3, TOTAL, 0, 18_519, 141_976),
        (Outbound, Cause::Business, 1, TOTAL, 0, 18_519, 141_976),
        (Outbound, Cause::Business, 0, TOTAL, 0, 24_691, 148_148),
        // Group not formed: on time (7 / 30 days or more) full refund, no compensation;
        // late, the agency's tier.
        (Domestic, Cause::GroupNotFormed, 20, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::GroupNotFormed, 7, TOTAL, 0, 0, 123_457),
        (Domestic, Cause::GroupNotFormed, 6, TOTAL, 0, 12_346, 135_803),
        (Domestic, Cause::GroupNotFormed, 3, TOTAL, 0, 18_519, 141_976),
        (Domestic, Cause::GroupNotFormed, 0, TOTAL, 0, 24_691, 148_148),
        (Outbound, Cause::GroupNotFormed, 45, TOTAL, 0, 0, 123_457),
        (Outbound, Cause::GroupNotFormed, 30, TOTAL, 0, 0, 123_457),
        (Outbound, Cause::GroupNotFormed, 29, TOTAL, 0, 2_469, 125_926),
        (Outbound, Cause::GroupNotFormed, 14, TOTAL, 0, 6_173, 129_630),
        (Outbound, Cause::GroupNotFormed, 0, TOTAL, 0, 24_691, 148_148),
        // Force majeure, refund chosen: all paid less documented unrecoverable costs, any day.
        (Domestic, fm(&[]), 3, TOTAL, 0, 0, 123_457),
        (Domestic, fm(&[("地接社房费（不可退）", 30_000), ("景区门票（已出票）", 12_000)]), 2, TOTAL, 42_000, 0, 81_457),
        (Outbound, fm(&[("签证费（已送签）", 35_000)]), 0, TOTAL, 35_000, 0, 88_457),
        (Outbound, fm(&[("机票（不可退）", 50_000)]), 40, 50_000, 50_000, 0, 0),
    ];
    for (scope, cause, days, paid, withheld, compensation, refund_fen) in rows {
        let terms = PolicyTerms::Tour(TourTerms::model_2014(scope));
        let r = compute_refund(&terms, &case(days, paid), &cause)
            .unwrap_or_else(|e| panic!("{scope:?} {cause:?} {days}: {e}"));
        let what = format!("{scope:?} {cause:?} {days} days, paid {paid}: {r:#?}");
        assert_eq!(r.days_before, days as u32, "{what}");
        assert_eq!(r.withheld_fen, withheld, "{what}");
        assert_eq!(r.compensation_fen, compensation, "{what}");
        assert_eq!(r.refund_fen, refund_fen, "{what}");
        assert_eq!(sum(&r.lines), refund_fen, "{what}");
        assert_eq!(r.lines[0].kind, LineKind::Paid, "{what}");
        assert_eq!(r.lines[0].amount_fen, paid, "{what}");
        assert!(r.lines.len() >= 2, "every refund says why: {what}");
    }
}

#[test]
fn labels_say_the_tier_the_base_and_the_share() {
    let r = compute_refund(&domestic(), &case(3, TOTAL), &Cause::Customer).unwrap();
    assert_eq!(
        r.lines,
        vec![
            RefundLine {
                kind: LineKind::Paid,
                label_zh: "已付金额".into(),
                amount_fen: 123_457
            },
            RefundLine {
                kind: LineKind::Withheld,
                label_zh: "旅游者出发前3日至1日取消，扣除旅游费用总额1234.57元的40%".into(),
                amount_fen: -49_383
            },
        ]
    );
    let r = compute_refund(&domestic(), &case(10, TOTAL), &Cause::Customer).unwrap();
    assert_eq!(r.lines[1].label_zh, "旅游者出发前7日及以上取消，不扣费");
    assert_eq!(r.lines[1].amount_fen, 0);
    let r = compute_refund(&outbound(), &case(0, TOTAL), &Cause::Business).unwrap();
    assert_eq!(
        r.lines[1].label_zh,
        "旅行社出发当日解除合同，支付旅游费用总额1234.57元的20%违约金"
    );
    let r = compute_refund(&outbound(), &case(20, TOTAL), &Cause::GroupNotFormed).unwrap();
    assert_eq!(
        r.lines[1].label_zh,
        "未达最低成团人数，通知晚于出发前30日，按旅行社解除合同：旅行社出发前30日至15日解除合同，支付旅游费用总额1234.57元的2%违约金"
    );
    let r = compute_refund(&domestic(), &case(0, 50_000), &Cause::Customer).unwrap();
    assert_eq!(r.shortfall_fen, 24_074);
    assert!(r.lines[1]
        .label_zh
        .ends_with("以已付金额为限，未扣足240.74元"));
    let r = compute_refund(
        &domestic(),
        &case(2, TOTAL),
        &Cause::ForceMajeure {
            unrecoverable: costs(&[(" 地接社房费（不可退） ", 30_000)]),
        },
    )
    .unwrap();
    assert_eq!(
        r.lines[1],
        RefundLine {
            kind: LineKind::SupplierCost,
            label_zh: "不可抗力，已支付且不可退还的费用：地接社房费（不可退）".into(),
            amount_fen: -30_000
        }
    );
}

#[test]
fn tier_names_and_percentages() {
    assert_eq!(Tier::new(7, None, 0).days_zh("出发"), "出发前7日及以上");
    assert_eq!(Tier::new(4, Some(6), 0).days_zh("出发"), "出发前6日至4日");
    assert_eq!(Tier::new(0, Some(0), 0).days_zh("出发"), "出发当日");
    assert_eq!(Tier::new(2, Some(2), 0).days_zh("入住"), "入住前2日");
    assert_eq!(
        Tier::new(0, Some(3), 0).days_zh("出发"),
        "出发前3日至出发当日"
    );
    assert_eq!(Tier::new(0, None, 0).days_zh("出发"), "出发当日及以前");
    for (bp, s) in [
        (0, "0%"),
        (200, "2%"),
        (250, "2.5%"),
        (1_005, "10.05%"),
        (10_000, "100%"),
    ] {
        assert_eq!(Tier::new(0, None, bp).percent(), s);
    }
}

#[test]
fn rounding_is_half_up_to_the_fen() {
    assert_eq!(share_of(123_457, 5_000), 61_729); // 61 728.5
    assert_eq!(share_of(123_457, 1_500), 18_519); // 18 518.55
    assert_eq!(share_of(123_457, 500), 6_173); // 6 172.85
    assert_eq!(share_of(123_457, 200), 2_469); // 2 469.14
    assert_eq!(share_of(1, 4_999), 0);
    assert_eq!(share_of(1, 5_000), 1);
    assert_eq!(share_of(i64::MAX, FULL_BP), i64::MAX);
    assert_eq!(share_of(0, 7_000), 0);
}

#[test]
fn go_no_go_dates() {
    let d = TourTerms::model_2014(TripScope::Domestic);
    let o = TourTerms::model_2014(TripScope::Outbound);
    assert_eq!(d.go_no_go_date(start()), Some(date(2026, 9, 24)));
    assert_eq!(o.go_no_go_date(start()), Some(date(2026, 9, 1)));
    // Calling the group off on the go/no-go date is on time; a day later is not.
    for t in [d, o] {
        let terms = PolicyTerms::Tour(t.clone());
        let mut c = case(0, TOTAL);
        c.cancelled_on = t.go_no_go_date(start()).unwrap();
        assert_eq!(
            compute_refund(&terms, &c, &Cause::GroupNotFormed)
                .unwrap()
                .compensation_fen,
            0
        );
        c.cancelled_on = c.cancelled_on.tomorrow().unwrap();
        assert!(
            compute_refund(&terms, &c, &Cause::GroupNotFormed)
                .unwrap()
                .compensation_fen
                > 0
        );
    }
}

#[test]
fn days_are_civil_dates_departure_day_zero() {
    assert_eq!(days_before(start(), start()), Ok(0));
    assert_eq!(days_before(start(), date(2026, 9, 30)), Ok(1));
    assert_eq!(days_before(start(), date(2026, 9, 1)), Ok(30));
    assert_eq!(days_before(date(2027, 1, 1), date(2026, 12, 31)), Ok(1));
    assert_eq!(
        days_before(start(), date(2026, 10, 2)),
        Err(RefundError::AfterStart {
            starts_on: start(),
            on: date(2026, 10, 2)
        })
    );
}

fn lodging(preset: LodgingPreset) -> PolicyTerms {
    PolicyTerms::Lodging(LodgingTerms {
        preset,
        free_postponement: false,
    })
}

fn stay_case(days: i64) -> RefundCase {
    RefundCase {
        total_fen: 60_000,
        paid_fen: 60_000,
        first_night_fen: Some(18_000),
        starts_on: start(),
        cancelled_on: start().checked_sub(days.days()).unwrap(),
    }
}

#[test]
fn lodging_presets() {
    use LodgingCharge::{FirstNight, Total};
    use LodgingPreset::{FreeUntil, NonRefundable};
    let rows = [
        (
            FreeUntil {
                days: 3,
                then: FirstNight,
            },
            10,
            0,
        ),
        (
            FreeUntil {
                days: 3,
                then: FirstNight,
            },
            3,
            0,
        ),
        (
            FreeUntil {
                days: 3,
                then: FirstNight,
            },
            2,
            18_000,
        ),
        (
            FreeUntil {
                days: 3,
                then: FirstNight,
            },
            0,
            18_000,
        ),
        (
            FreeUntil {
                days: 7,
                then: Total,
            },
            7,
            0,
        ),
        (
            FreeUntil {
                days: 7,
                then: Total,
            },
            6,
            60_000,
        ),
        (
            FreeUntil {
                days: 0,
                then: Total,
            },
            0,
            0,
        ),
        (LodgingPreset::FirstNight, 60, 18_000),
        (LodgingPreset::FirstNight, 0, 18_000),
        (NonRefundable, 60, 60_000),
        (NonRefundable, 0, 60_000),
    ];
    for (preset, days, withheld) in rows {
        let r = compute_refund(&lodging(preset), &stay_case(days), &Cause::Customer).unwrap();
        assert_eq!(r.withheld_fen, withheld, "{preset:?} {days}");
        assert_eq!(r.refund_fen, 60_000 - withheld, "{preset:?} {days}");
        assert_eq!(sum(&r.lines), r.refund_fen);
    }
    let r = compute_refund(
        &lodging(FreeUntil {
            days: 3,
            then: FirstNight,
        }),
        &stay_case(2),
        &Cause::Customer,
    )
    .unwrap();
    assert_eq!(
        r.lines[1].label_zh,
        "入住前2日（晚于免费取消期限：入住前3日）取消，扣除首晚房费180.00元"
    );
    // The homestay cancels: everything back, no compensation tier for lodging.
    let r = compute_refund(&lodging(NonRefundable), &stay_case(0), &Cause::Business).unwrap();
    assert_eq!((r.refund_fen, r.compensation_fen), (60_000, 0));
    // A first-night preset without the first night's price.
    let mut c = stay_case(1);
    c.first_night_fen = None;
    assert_eq!(
        compute_refund(&lodging(LodgingPreset::FirstNight), &c, &Cause::Customer),
        Err(RefundError::FirstNightMissing)
    );
    // …which a preset that does not charge it does not need.
    assert!(compute_refund(&lodging(NonRefundable), &c, &Cause::Customer).is_ok());
    assert_eq!(
        compute_refund(&lodging(NonRefundable), &c, &Cause::GroupNotFormed),
        Err(RefundError::NotATour)
    );
    let r = compute_refund(
        &lodging(NonRefundable),
        &stay_case(0),
        &Cause::ForceMajeure {
            unrecoverable: vec![],
        },
    )
    .unwrap();
    assert_eq!(r.refund_fen, 60_000);
}

#[test]
fn bad_amounts_and_costs_are_refused() {
    let bad = |c: RefundCase| {
        compute_refund(&domestic(), &c, &Cause::Customer)
            .unwrap_err()
            .code()
    };
    let mut c = case(3, TOTAL + 1);
    assert_eq!(bad(c), "refund.bad_amount");
    c.paid_fen = -1;
    assert_eq!(bad(c), "refund.bad_amount");
    c = case(3, 0);
    c.total_fen = -5;
    assert_eq!(bad(c), "refund.bad_amount");
    c = case(3, 0);
    c.first_night_fen = Some(TOTAL + 1);
    assert_eq!(bad(c), "refund.bad_amount");
    assert_eq!(bad(case(-1, TOTAL)), "refund.after_start");
    let fm = |list: &[(&str, i64)]| {
        compute_refund(
            &domestic(),
            &case(3, TOTAL),
            &Cause::ForceMajeure {
                unrecoverable: costs(list),
            },
        )
    };
    assert_eq!(fm(&[("  ", 100)]), Err(RefundError::CostWithoutDescription));
    assert_eq!(fm(&[("房费", 0)]).unwrap_err().code(), "refund.bad_amount");
    assert_eq!(
        fm(&[("房费", -10)]).unwrap_err().code(),
        "refund.bad_amount"
    );
    assert_eq!(
        fm(&[("房费", 100_000), ("机票", 23_458)]),
        Err(RefundError::CostsExceedPaid {
            costs_fen: 123_458,
            paid_fen: TOTAL
        })
    );
    assert_eq!(
        fm(&[("房费", 100_000), ("机票", 23_457)])
            .unwrap()
            .refund_fen,
        0
    );
}

#[test]
fn postponement_free_or_at_documented_cost() {
    // The model-contract defaults make force-majeure postponement free (seed 003).
    let p = postpone(&domestic(), &case(2, TOTAL), &[]).unwrap();
    assert_eq!((p.fee_fen, p.credit_fen), (0, TOTAL));
    assert_eq!(sum(&p.lines), p.credit_fen);
    assert_eq!(
        postpone(&domestic(), &case(2, TOTAL), &costs(&[("改签费", 5_000)])),
        Err(RefundError::PostponementIsFree)
    );
    // Where it is not free, the extra costs of the change are deducted, each a line.
    let terms = lodging(LodgingPreset::NonRefundable);
    let p = postpone(
        &terms,
        &stay_case(1),
        &costs(&[("改期差价", 4_000), ("平台手续费", 600)]),
    )
    .unwrap();
    assert_eq!((p.fee_fen, p.credit_fen), (4_600, 55_400));
    assert_eq!(sum(&p.lines), p.credit_fen);
    assert_eq!(p.lines.len(), 3);
    assert_eq!(
        p.lines[2].label_zh,
        "不可抗力延期，因变更增加的费用：平台手续费"
    );
    assert_eq!(
        postpone(&terms, &stay_case(1), &costs(&[("改期差价", 60_001)]))
            .unwrap_err()
            .code(),
        "refund.costs_exceed_paid"
    );
}

#[test]
fn tier_tables_are_checked() {
    let bad = |tiers: Vec<Tier>| TierTable::new(tiers).unwrap_err().code();
    assert_eq!(bad(vec![]), "refund.bad_policy");
    // Not open-ended.
    assert_eq!(bad(vec![Tier::new(0, Some(10), 0)]), "refund.bad_policy");
    // Does not reach day 0.
    assert_eq!(bad(vec![Tier::new(1, None, 0)]), "refund.bad_policy");
    // A gap (day 3 missing) and an overlap.
    assert_eq!(
        bad(vec![Tier::new(4, None, 0), Tier::new(0, Some(2), 100)]),
        "refund.bad_policy"
    );
    assert_eq!(
        bad(vec![Tier::new(3, None, 0), Tier::new(0, Some(3), 100)]),
        "refund.bad_policy"
    );
    // Cheaper nearer the start.
    assert_eq!(
        bad(vec![Tier::new(3, None, 500), Tier::new(0, Some(2), 100)]),
        "refund.bad_policy"
    );
    // Above 100 %.
    assert_eq!(bad(vec![Tier::new(0, None, 10_001)]), "refund.bad_policy");
    // Reversed days.
    assert_eq!(
        bad(vec![Tier::new(5, None, 0), Tier::new(4, Some(0), 100)]),
        "refund.bad_policy"
    );
    // Any order in, farthest first out.
    let t = TierTable::new(vec![Tier::new(0, Some(2), 100), Tier::new(3, None, 0)]).unwrap();
    assert_eq!(t.tiers()[0].min_days, 3);
    assert_eq!(t.tier_for(u32::MAX).basis_points, 0);
    // The built-in tables are valid and say what the contracts say.
    for table in [
        &DOMESTIC_CUSTOMER_TIERS[..],
        &DOMESTIC_AGENCY_TIERS[..],
        &OUTBOUND_CUSTOMER_TIERS[..],
        &OUTBOUND_AGENCY_TIERS[..],
    ] {
        assert_eq!(TierTable::new(table.to_vec()).unwrap().tiers(), table);
    }
}

#[test]
fn policies_are_dated_data() {
    let policy = |name: &str, from: Date, scope| CancellationPolicy {
        name: name.into(),
        effective_from: from,
        terms: PolicyTerms::Tour(TourTerms::model_2014(scope)),
    };
    let list = vec![
        policy("2025 版", date(2025, 1, 1), TripScope::Domestic),
        policy("2026 春季版", date(2026, 3, 1), TripScope::Domestic),
        policy("2026 春季版（更正）", date(2026, 3, 1), TripScope::Outbound),
        policy("2026 秋季版", date(2026, 9, 1), TripScope::Domestic),
    ];
    assert_eq!(policy_in_force(&list, date(2024, 12, 31)), None);
    assert_eq!(
        policy_in_force(&list, date(2025, 1, 1)).unwrap().name,
        "2025 版"
    );
    assert_eq!(
        policy_in_force(&list, date(2026, 8, 31)).unwrap().name,
        "2026 春季版（更正）"
    );
    assert_eq!(
        policy_in_force(&list, date(2027, 1, 1)).unwrap().name,
        "2026 秋季版"
    );
    // Stored as JSON with the booking, and read back only when valid.
    let json = serde_json::to_string(&list[0]).unwrap();
    let back: CancellationPolicy = serde_json::from_str(&json).unwrap();
    assert_eq!(back, list[0]);
    assert!(json.contains(r#""kind":"tour""#), "{json}");
    assert!(json.contains(r#""scope":"domestic""#), "{json}");
    let broken = json.replace(r#""basis_points":6000"#, r#""basis_points":100"#);
    assert_ne!(broken, json);
    assert!(serde_json::from_str::<CancellationPolicy>(&broken).is_err());
    let stay = PolicyTerms::Lodging(LodgingTerms {
        preset: LodgingPreset::FreeUntil {
            days: 3,
            then: LodgingCharge::FirstNight,
        },
        free_postponement: true,
    });
    let json = serde_json::to_string(&stay).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"lodging","preset":{"preset":"free_until","days":3,"then":"first_night"},"free_postponement":true}"#
    );
    assert_eq!(serde_json::from_str::<PolicyTerms>(&json).unwrap(), stay);
    for s in TripScope::ALL {
        assert_eq!(TripScope::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    for k in CauseKind::ALL {
        assert_eq!(CauseKind::parse(k.as_str()), Some(k));
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
    }
    for k in LineKind::ALL {
        assert_eq!(LineKind::parse(k.as_str()), Some(k));
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
    }
    assert_eq!(
        Cause::ForceMajeure {
            unrecoverable: vec![]
        }
        .kind(),
        CauseKind::ForceMajeure
    );
    assert_eq!(
        serde_json::to_string(&Cause::GroupNotFormed).unwrap(),
        r#"{"cause":"group_not_formed"}"#
    );
}

fn presets() -> impl Strategy<Value = PolicyTerms> {
    prop_oneof![
        Just(domestic()),
        Just(outbound()),
        Just(lodging(LodgingPreset::NonRefundable)),
        Just(lodging(LodgingPreset::FirstNight)),
        (
            0u32..40,
            prop_oneof![Just(LodgingCharge::FirstNight), Just(LodgingCharge::Total)]
        )
            .prop_map(|(days, then)| lodging(LodgingPreset::FreeUntil { days, then })),
        tier_tables().prop_map(|t| PolicyTerms::Tour(TourTerms {
            scope: TripScope::Domestic,
            customer: t.clone(),
            agency: t,
            group_notice_days: 7,
            free_postponement: false,
        })),
    ]
}

/// Random valid tables: cut points and non-decreasing shares nearer the start.
fn tier_tables() -> impl Strategy<Value = TierTable> {
    (
        proptest::collection::btree_set(1u32..60, 0..6),
        proptest::collection::vec(0u32..=FULL_BP, 7),
    )
        .prop_map(|(cuts, mut bps)| {
            let cuts: Vec<u32> = cuts.into_iter().rev().collect(); // farthest first
            bps.truncate(cuts.len() + 1);
            bps.sort_unstable();
            let mut tiers = Vec::new();
            let mut upper: Option<u32> = None;
            for (i, &c) in cuts.iter().enumerate() {
                tiers.push(Tier::new(c, upper, bps[i]));
                upper = Some(c - 1);
            }
            tiers.push(Tier::new(0, upper, bps[cuts.len()]));
            TierTable::new(tiers).unwrap()
        })
}

fn any_case() -> impl Strategy<Value = (RefundCase, i64)> {
    (0i64..10_000_000_000, 0u32..=100, 0u32..=100, 0i64..400).prop_map(
        |(total, paid_pct, night_pct, days)| {
            let c = RefundCase {
                total_fen: total,
                paid_fen: total / 100 * i64::from(paid_pct),
                first_night_fen: Some(total / 100 * i64::from(night_pct)),
                starts_on: start(),
                cancelled_on: start().checked_sub(days.days()).unwrap(),
            };
            (c, days)
        },
    )
}

proptest! {
    /// The customer cancels: refund + withheld == paid, 0 ≤ refund ≤ paid, the lines add up,
    /// and cancelling a day earlier never refunds less.
    #[test]
    fn customer_refund_invariants(terms in presets(), (c, days) in any_case()) {
        let r = compute_refund(&terms, &c, &Cause::Customer).unwrap();
        prop_assert_eq!(r.refund_fen + r.withheld_fen, c.paid_fen);
        prop_assert!(r.refund_fen >= 0 && r.refund_fen <= c.paid_fen);
        prop_assert!(r.withheld_fen >= 0 && r.shortfall_fen >= 0);
        prop_assert_eq!(r.compensation_fen, 0);
        prop_assert_eq!(sum(&r.lines), r.refund_fen);
        prop_assert_eq!(i64::from(r.days_before), days);
        let mut earlier = c;
        earlier.cancelled_on = c.cancelled_on.yesterday().unwrap();
        let e = compute_refund(&terms, &earlier, &Cause::Customer).unwrap();
        prop_assert!(e.refund_fen >= r.refund_fen, "{} days: {} < {}", days + 1, e.refund_fen, r.refund_fen);
        if let PolicyTerms::Tour(t) = &terms {
            let due = share_of(c.total_fen, t.customer.tier_for(r.days_before).basis_points);
            prop_assert_eq!(r.withheld_fen + r.shortfall_fen, due);
        }
    }

    /// The business cancels or a group does not form: everything paid comes back plus a
    /// compensation that never shrinks as the start comes closer.
    #[test]
    fn business_refund_invariants(terms in presets(), (c, _days) in any_case()) {
        for cause in [Cause::Business, Cause::GroupNotFormed] {
            let r = match compute_refund(&terms, &c, &cause) {
                Err(RefundError::NotATour) => continue,
                other => other.unwrap(),
            };
            prop_assert_eq!(r.withheld_fen, 0);
            prop_assert!(r.compensation_fen >= 0);
            prop_assert_eq!(r.refund_fen, c.paid_fen + r.compensation_fen);
            prop_assert_eq!(sum(&r.lines), r.refund_fen);
            let mut earlier = c;
            earlier.cancelled_on = c.cancelled_on.yesterday().unwrap();
            let e = compute_refund(&terms, &earlier, &cause).unwrap();
            prop_assert!(e.compensation_fen <= r.compensation_fen);
        }
    }

    /// Force majeure: the refund is what was paid less the documented costs, whatever the day.
    #[test]
    fn force_majeure_invariants(
        terms in presets(),
        (c, _days) in any_case(),
        amounts in proptest::collection::vec(1i64..1_000_000, 0..5),
    ) {
        let list: Vec<SupplierCost> = amounts.iter().enumerate()
            .map(|(i, a)| SupplierCost { description: format!("费用{i}"), amount_fen: *a })
            .collect();
        let total: i64 = amounts.iter().sum();
        match compute_refund(&terms, &c, &Cause::ForceMajeure { unrecoverable: list.clone() }) {
            Ok(r) => {
                prop_assert!(total <= c.paid_fen);
                prop_assert_eq!(r.refund_fen + total, c.paid_fen);
                prop_assert_eq!(r.withheld_fen, total);
                prop_assert_eq!(sum(&r.lines), r.refund_fen);
                prop_assert_eq!(r.lines.len(), 1 + list.len().max(1));
            }
            Err(RefundError::CostsExceedPaid { .. }) => prop_assert!(total > c.paid_fen),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// Half up: the rounded share is within half a fen of the exact one, ties rounded up.
    #[test]
    fn share_rounds_half_up(total in 0i64..i64::MAX / FULL_BP as i64, bp in 0u32..=FULL_BP) {
        let exact = i128::from(total) * i128::from(bp);
        let diff = i128::from(share_of(total, bp)) * 10_000 - exact;
        prop_assert!(diff > -5_000 && diff <= 5_000, "{diff}");
    }
}

#[test]
fn an_overpayment_goes_back_whole_beside_the_policys_lines() {
    // A stay of one night at ¥480, cancelled on the check-in day under the first-night
    // preset, paid ¥1,500 by mistake: the night is withheld from the ¥480 the policy sees,
    // the ¥1,020 beyond the total comes back on a line of its own.
    let case = RefundCase {
        total_fen: 48000,
        paid_fen: 48000,
        first_night_fen: Some(48000),
        starts_on: date(2027, 5, 1),
        cancelled_on: date(2027, 5, 1),
    };
    let terms = PolicyTerms::Lodging(LodgingTerms {
        preset: LodgingPreset::FirstNight,
        free_postponement: false,
    });
    let r = compute_refund(&terms, &case, &Cause::Customer)
        .unwrap()
        .with_overpayment(150000 - 48000);
    assert_eq!(r.paid_fen, 150000);
    assert_eq!(r.withheld_fen, 48000);
    assert_eq!(r.refund_fen, 102000);
    let last = r.lines.last().unwrap();
    assert_eq!(last.kind, LineKind::Overpaid);
    assert_eq!(last.amount_fen, 102000);
    assert!(last.label_zh.contains("1020.00元"), "{}", last.label_zh);
    assert_eq!(
        r.lines.iter().map(|l| l.amount_fen).sum::<i64>(),
        r.refund_fen
    );
    // Nothing over: nothing added.
    let same = compute_refund(&terms, &case, &Cause::Customer).unwrap();
    assert_eq!(same.clone().with_overpayment(0), same);
}
