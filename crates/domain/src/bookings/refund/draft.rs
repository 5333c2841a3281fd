//! A product's cancellation policy as staff write it, checked field by field before it becomes
//! the [`PolicyTerms`] of a dated version.
//!
//! Tiers are written the way contracts print them: "cancelled `days_before` days or more
//! before the start (and fewer than the tier above) → `percent` % of the total". They come
//! farthest from the start first, each `days_before` smaller than the one above it, the last
//! on the start day (0), and a tier nearer the start never takes less. Percentages are 0–100
//! with at most two decimals (basis points). Every refusal names the field it is about
//! (`tiers[2].percent`), so the API's 422 and the form's message sit beside the input.

use serde::{Deserialize, Serialize};

use super::policy::{
    LodgingCharge, LodgingPreset, LodgingTerms, PolicyTerms, Tier, TierTable, TourTerms, TripScope,
};

/// At most this many tiers in one table.
pub const MAX_TIERS: usize = 12;
/// No tier or free-cancellation period reaches further than this many days before the start.
pub const MAX_POLICY_DAYS: u32 = 365;

/// One tier as written: from `days_before` days before the start (included) → `percent`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierInput {
    pub days_before: u32,
    /// 0 to 100, at most two decimals.
    pub percent: f64,
}

/// A field refused, with a stable code: `required`, `count`, `range`, `precision`, `order`,
/// `last_not_zero`, `decreasing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl PolicyFieldError {
    fn new(field: String, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// A percentage (0–100, at most two decimals) in basis points; `Err` with the code
/// `range` or `precision`.
pub fn percent_to_basis_points(percent: f64) -> Result<u32, &'static str> {
    if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
        return Err("range");
    }
    let bp = (percent * 100.0).round();
    if (percent * 100.0 - bp).abs() > 1e-6 {
        return Err("precision");
    }
    // 0 ≤ bp ≤ 10 000: the cast is exact.
    Ok(bp as u32)
}

/// The tier table written in `tiers` (field name `field`: `tiers`, `agency_tiers`), or every
/// field at fault.
pub fn tier_table(field: &str, tiers: &[TierInput]) -> Result<TierTable, Vec<PolicyFieldError>> {
    let mut errors = Vec::new();
    if tiers.is_empty() {
        errors.push(PolicyFieldError::new(
            field.into(),
            "required",
            "give at least one tier (0 days before: the start day)",
        ));
        return Err(errors);
    }
    if tiers.len() > MAX_TIERS {
        errors.push(PolicyFieldError::new(
            field.into(),
            "count",
            format!("at most {MAX_TIERS} tiers"),
        ));
        return Err(errors);
    }
    let mut points = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let at = |name: &str| format!("{field}[{i}].{name}");
        if t.days_before > MAX_POLICY_DAYS {
            errors.push(PolicyFieldError::new(
                at("days_before"),
                "range",
                format!("days_before is 0 to {MAX_POLICY_DAYS}"),
            ));
        } else if i > 0 && t.days_before >= tiers[i - 1].days_before {
            errors.push(PolicyFieldError::new(
                at("days_before"),
                "order",
                "tiers go from the farthest from the start to the nearest: each days_before is \
                 smaller than the one before it",
            ));
        }
        match percent_to_basis_points(t.percent) {
            Ok(bp) => {
                if let Some(&(_, Some(above))) = points.last() {
                    if bp < above {
                        errors.push(PolicyFieldError::new(
                            at("percent"),
                            "decreasing",
                            "a tier nearer the start must not take less than the one before it",
                        ));
                    }
                }
                points.push((t.days_before, Some(bp)));
            }
            Err(code) => {
                errors.push(PolicyFieldError::new(
                    at("percent"),
                    code,
                    if code == "range" {
                        "percent is 0 to 100"
                    } else {
                        "percent has at most two decimals"
                    },
                ));
                points.push((t.days_before, None));
            }
        }
    }
    let last = tiers.len() - 1;
    if tiers[last].days_before != 0 && !errors.iter().any(|e| e.code == "order") {
        errors.push(PolicyFieldError::new(
            format!("{field}[{last}].days_before"),
            "last_not_zero",
            "the last tier is the start day itself: days_before 0",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut table = Vec::with_capacity(tiers.len());
    let mut above: Option<u32> = None;
    for (days, bp) in points {
        let bp = bp.expect("checked above");
        table.push(Tier::new(days, above.map(|a| a - 1), bp));
        above = Some(days);
    }
    TierTable::new(table).map_err(|e| {
        vec![PolicyFieldError::new(
            field.into(),
            "invalid",
            e.to_string(),
        )]
    })
}

/// The tiers of `table` as written ([`tier_table`] gives the same table back).
pub fn tier_inputs(table: &TierTable) -> Vec<TierInput> {
    table
        .tiers()
        .iter()
        .map(|t| TierInput {
            days_before: t.min_days,
            percent: f64::from(t.basis_points) / 100.0,
        })
        .collect()
}

/// What staff write for a product.
#[derive(Debug, Clone, PartialEq)]
pub enum TermsDraft {
    /// A tour package: the traveler's tiers; the agency's compensation tiers (the 2014 model
    /// contract of the package's scope when `None`); the group-not-formed notice is the
    /// scope's (7 or 30 days).
    Tour {
        scope: TripScope,
        tiers: Vec<TierInput>,
        agency_tiers: Option<Vec<TierInput>>,
        free_postponement: bool,
    },
    /// A property or a room type: one of the lodging presets.
    Lodging {
        preset: LodgingDraft,
        free_postponement: bool,
    },
}

/// The lodging presets by name (issue 14 item 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LodgingPresetName))]
pub enum LodgingPresetKind {
    /// Free cancellation until `days` days before check-in; later, `then` is withheld.
    FreeUntil,
    /// The first night is withheld whenever the guest cancels.
    FirstNight,
    /// Nothing is refunded when the guest cancels.
    NonRefundable,
}

impl LodgingPresetKind {
    pub const ALL: [LodgingPresetKind; 3] = [
        LodgingPresetKind::FreeUntil,
        LodgingPresetKind::FirstNight,
        LodgingPresetKind::NonRefundable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LodgingPresetKind::FreeUntil => "free_until",
            LodgingPresetKind::FirstNight => "first_night",
            LodgingPresetKind::NonRefundable => "non_refundable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A lodging preset as written: its name, and for `free_until` the days and the charge after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LodgingDraft {
    pub kind: LodgingPresetKind,
    pub days: Option<u32>,
    pub then: Option<LodgingCharge>,
}

impl LodgingDraft {
    /// The draft of an existing preset.
    pub fn of(preset: LodgingPreset) -> LodgingDraft {
        match preset {
            LodgingPreset::FreeUntil { days, then } => LodgingDraft {
                kind: LodgingPresetKind::FreeUntil,
                days: Some(days),
                then: Some(then),
            },
            LodgingPreset::FirstNight => LodgingDraft {
                kind: LodgingPresetKind::FirstNight,
                days: None,
                then: None,
            },
            LodgingPreset::NonRefundable => LodgingDraft {
                kind: LodgingPresetKind::NonRefundable,
                days: None,
                then: None,
            },
        }
    }

    /// The preset, or the fields at fault (`lodging.days`, `lodging.then`).
    pub fn preset(&self) -> Result<LodgingPreset, Vec<PolicyFieldError>> {
        let mut errors = Vec::new();
        let field = |name: &str| format!("lodging.{name}");
        let preset = match self.kind {
            LodgingPresetKind::FreeUntil => {
                match self.days {
                    None => errors.push(PolicyFieldError::new(
                        field("days"),
                        "required",
                        "free_until needs the days before check-in until which cancelling is free",
                    )),
                    Some(d) if d > MAX_POLICY_DAYS => errors.push(PolicyFieldError::new(
                        field("days"),
                        "range",
                        format!("days is 0 to {MAX_POLICY_DAYS}"),
                    )),
                    Some(_) => {}
                }
                if self.then.is_none() {
                    errors.push(PolicyFieldError::new(
                        field("then"),
                        "required",
                        "free_until needs what is withheld after: first_night or total",
                    ));
                }
                match (self.days, self.then) {
                    (Some(days), Some(then)) => Some(LodgingPreset::FreeUntil { days, then }),
                    _ => None,
                }
            }
            other => {
                for (given, name) in [(self.days.is_some(), "days"), (self.then.is_some(), "then")]
                {
                    if given {
                        errors.push(PolicyFieldError::new(
                            field(name),
                            "not_allowed",
                            format!("only free_until takes {name}"),
                        ));
                    }
                }
                Some(if other == LodgingPresetKind::FirstNight {
                    LodgingPreset::FirstNight
                } else {
                    LodgingPreset::NonRefundable
                })
            }
        };
        match preset {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(errors),
        }
    }
}

/// The terms `draft` describes, or every field at fault (`tiers[…]`, `agency_tiers[…]`,
/// `lodging.days`).
pub fn check_terms(draft: &TermsDraft) -> Result<PolicyTerms, Vec<PolicyFieldError>> {
    match draft {
        TermsDraft::Tour {
            scope,
            tiers,
            agency_tiers,
            free_postponement,
        } => {
            let customer = tier_table("tiers", tiers);
            let agency = match agency_tiers {
                Some(a) => tier_table("agency_tiers", a),
                None => Ok(TourTerms::model_2014(*scope).agency),
            };
            match (customer, agency) {
                (Ok(customer), Ok(agency)) => Ok(PolicyTerms::Tour(TourTerms {
                    scope: *scope,
                    customer,
                    agency,
                    group_notice_days: scope.group_notice_days(),
                    free_postponement: *free_postponement,
                })),
                (c, a) => Err(c
                    .err()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(a.err().unwrap_or_default())
                    .collect()),
            }
        }
        TermsDraft::Lodging {
            preset,
            free_postponement,
        } => Ok(PolicyTerms::Lodging(LodgingTerms {
            preset: preset.preset()?,
            free_postponement: *free_postponement,
        })),
    }
}

impl LodgingCharge {
    pub const ALL: [LodgingCharge; 2] = [LodgingCharge::FirstNight, LodgingCharge::Total];

    pub fn as_str(self) -> &'static str {
        match self {
            LodgingCharge::FirstNight => "first_night",
            LodgingCharge::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl LodgingPreset {
    /// The preset's name as the API and the forms give it.
    pub fn kind(&self) -> LodgingPresetKind {
        LodgingDraft::of(*self).kind
    }
}

/// Whether `terms` suit a tour package (`true`) or lodging (`false`).
pub fn is_tour(terms: &PolicyTerms) -> bool {
    matches!(terms, PolicyTerms::Tour(_))
}

#[cfg(test)]
mod tests {
    use super::super::policy::{DOMESTIC_CUSTOMER_TIERS, FULL_BP, OUTBOUND_CUSTOMER_TIERS};
    use super::*;
    use proptest::prelude::*;

    fn tiers(v: &[(u32, f64)]) -> Vec<TierInput> {
        v.iter()
            .map(|&(days_before, percent)| TierInput {
                days_before,
                percent,
            })
            .collect()
    }

    fn fields(r: Result<TierTable, Vec<PolicyFieldError>>) -> Vec<(String, &'static str)> {
        r.unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn written_tiers_become_a_covering_table() {
        let t = tier_table(
            "tiers",
            &tiers(&[(15, 0.0), (7, 10.0), (3, 25.5), (0, 50.0)]),
        )
        .unwrap();
        assert_eq!(
            t.tiers(),
            &[
                Tier::new(15, None, 0),
                Tier::new(7, Some(14), 1_000),
                Tier::new(3, Some(6), 2_550),
                Tier::new(0, Some(2), 5_000),
            ]
        );
        assert_eq!(t.tier_for(400).basis_points, 0);
        assert_eq!(t.tier_for(14).basis_points, 1_000);
        assert_eq!(t.tier_for(7).basis_points, 1_000);
        assert_eq!(t.tier_for(6).basis_points, 2_550);
        assert_eq!(t.tier_for(0).basis_points, 5_000);
        // One tier: the same share whenever the traveler cancels.
        let flat = tier_table("tiers", &tiers(&[(0, 30.0)])).unwrap();
        assert_eq!(flat.tiers(), &[Tier::new(0, None, 3_000)]);
    }

    #[test]
    fn the_model_contracts_read_back_as_written() {
        for built_in in [&DOMESTIC_CUSTOMER_TIERS[..], &OUTBOUND_CUSTOMER_TIERS[..]] {
            let table = TierTable::new(built_in.to_vec()).unwrap();
            assert_eq!(
                tier_table("tiers", &tier_inputs(&table)).unwrap(),
                table,
                "{built_in:?}"
            );
        }
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert_eq!(
            fields(tier_table("tiers", &[])),
            [("tiers".into(), "required")]
        );
        let many: Vec<_> = (0..13).rev().map(|d| (d, 0.0)).collect();
        assert_eq!(
            fields(tier_table("tiers", &tiers(&many))),
            [("tiers".into(), "count")]
        );
        assert_eq!(
            fields(tier_table(
                "tiers",
                &tiers(&[(7, 0.0), (7, 20.0), (0, 40.0)])
            )),
            [("tiers[1].days_before".into(), "order")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(0, 60.0), (7, 0.0)]))),
            [
                ("tiers[1].days_before".into(), "order"),
                ("tiers[1].percent".into(), "decreasing"),
            ]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(7, 0.0), (1, 20.0)]))),
            [("tiers[1].days_before".into(), "last_not_zero")]
        );
        assert_eq!(
            fields(tier_table("agency_tiers", &tiers(&[(7, 0.0), (0, 100.5)]))),
            [("agency_tiers[1].percent".into(), "range")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(7, -1.0), (0, 10.0)]))),
            [("tiers[0].percent".into(), "range")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(7, f64::NAN), (0, 10.0)]))),
            [("tiers[0].percent".into(), "range")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(7, 0.125), (0, 10.0)]))),
            [("tiers[0].percent".into(), "precision")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(7, 30.0), (0, 20.0)]))),
            [("tiers[1].percent".into(), "decreasing")]
        );
        assert_eq!(
            fields(tier_table("tiers", &tiers(&[(400, 0.0), (0, 20.0)]))),
            [("tiers[0].days_before".into(), "range")]
        );
        // Several at once, each named.
        assert_eq!(
            fields(tier_table(
                "tiers",
                &tiers(&[(7, 50.0), (9, 20.0), (0, 101.0)])
            )),
            [
                ("tiers[1].days_before".into(), "order"),
                ("tiers[1].percent".into(), "decreasing"),
                ("tiers[2].percent".into(), "range"),
            ]
        );
    }

    #[test]
    fn percentages_take_two_decimals() {
        assert_eq!(percent_to_basis_points(0.0), Ok(0));
        assert_eq!(percent_to_basis_points(100.0), Ok(FULL_BP));
        assert_eq!(percent_to_basis_points(2.5), Ok(250));
        assert_eq!(percent_to_basis_points(33.33), Ok(3_333));
        assert_eq!(percent_to_basis_points(0.07), Ok(7));
        assert_eq!(percent_to_basis_points(33.333), Err("precision"));
        assert_eq!(percent_to_basis_points(100.01), Err("range"));
        assert_eq!(percent_to_basis_points(f64::INFINITY), Err("range"));
    }

    #[test]
    fn tour_terms_keep_the_scope_notice_and_default_agency_tiers() {
        let terms = check_terms(&TermsDraft::Tour {
            scope: TripScope::Outbound,
            tiers: tiers(&[(45, 0.0), (0, 80.0)]),
            agency_tiers: None,
            free_postponement: true,
        })
        .unwrap();
        let PolicyTerms::Tour(t) = terms else {
            panic!("a tour")
        };
        assert_eq!(t.group_notice_days, 30);
        assert_eq!(t.agency, TourTerms::model_2014(TripScope::Outbound).agency);
        assert_eq!(t.customer.tier_for(44).basis_points, 8_000);
        let both_wrong = check_terms(&TermsDraft::Tour {
            scope: TripScope::Domestic,
            tiers: vec![],
            agency_tiers: Some(tiers(&[(3, 0.0)])),
            free_postponement: false,
        })
        .unwrap_err();
        let named: Vec<_> = both_wrong.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["tiers", "agency_tiers[0].days_before"]);
    }

    fn lodging(
        kind: LodgingPresetKind,
        days: Option<u32>,
        then: Option<LodgingCharge>,
    ) -> TermsDraft {
        TermsDraft::Lodging {
            preset: LodgingDraft { kind, days, then },
            free_postponement: false,
        }
    }

    fn lodging_fields(draft: TermsDraft) -> Vec<(String, &'static str)> {
        check_terms(&draft)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn lodging_presets_are_checked() {
        use LodgingPresetKind::*;
        let ok = check_terms(&lodging(FreeUntil, Some(3), Some(LodgingCharge::Total))).unwrap();
        assert!(!is_tour(&ok));
        assert_eq!(
            ok,
            PolicyTerms::Lodging(LodgingTerms {
                preset: LodgingPreset::FreeUntil {
                    days: 3,
                    then: LodgingCharge::Total
                },
                free_postponement: false,
            })
        );
        assert_eq!(
            lodging_fields(lodging(
                FreeUntil,
                Some(366),
                Some(LodgingCharge::FirstNight)
            )),
            [("lodging.days".into(), "range")]
        );
        assert_eq!(
            lodging_fields(lodging(FreeUntil, None, None)),
            [
                ("lodging.days".into(), "required"),
                ("lodging.then".into(), "required")
            ]
        );
        assert_eq!(
            lodging_fields(lodging(NonRefundable, Some(3), None)),
            [("lodging.days".into(), "not_allowed")]
        );
        for preset in [
            LodgingPreset::FirstNight,
            LodgingPreset::NonRefundable,
            LodgingPreset::FreeUntil {
                days: 0,
                then: LodgingCharge::FirstNight,
            },
        ] {
            assert_eq!(LodgingDraft::of(preset).preset(), Ok(preset));
        }
        assert_eq!(LodgingCharge::parse("total"), Some(LodgingCharge::Total));
        assert_eq!(
            LodgingPreset::NonRefundable.kind().as_str(),
            "non_refundable"
        );
        assert_eq!(LodgingPresetKind::parse("first_night"), Some(FirstNight));
    }

    proptest! {
        /// Whatever is typed, either a table covering every day count comes out (never
        /// cheaper nearer the start), or every refusal names a field of the input.
        #[test]
        fn any_input_is_a_valid_table_or_named_refusals(
            raw in proptest::collection::vec((0u32..400, -5.0f64..110.0), 0..15)
        ) {
            let input = tiers(&raw);
            match tier_table("tiers", &input) {
                Ok(table) => {
                    for days in 0..400 {
                        let tier = table.tier_for(days);
                        prop_assert!(tier.contains(days));
                        if days > 0 {
                            prop_assert!(table.tier_for(days - 1).basis_points >= tier.basis_points);
                        }
                    }
                    prop_assert_eq!(tier_table("tiers", &tier_inputs(&table)).unwrap(), table);
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert!(e.field.starts_with("tiers"), "{}", e.field);
                    }
                }
            }
        }
    }
}
