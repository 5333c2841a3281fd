//! The demo's cancellation policies as an agency keeps them: the homestay's own preset and,
//! for its outbound tours, stricter tiers than the model contract — so the policy pages,
//! the booking's "policy in force" and its refund explanation show a product's own terms.

use super::catalog::DemoCatalog;
use crate::bookings::policies::PolicyVersionInput;
use crate::{App, AppError};
use jiff::civil::Date;
use std::collections::BTreeSet;
use tripdesk_domain::bookings::refund::{
    LodgingCharge, LodgingDraft, LodgingPresetKind, TierInput,
};
use tripdesk_domain::catalog::TourScope;
use tripdesk_store::PolicySubject;

fn tiers(v: &[(u32, f64)]) -> Vec<TierInput> {
    v.iter()
        .map(|&(days_before, percent)| TierInput {
            days_before,
            percent,
        })
        .collect()
}

impl App {
    /// Adds the demo's policy versions, in force from `today` (bookings confirmed before
    /// keep the default of their day, as real ones would).
    pub(super) async fn seed_demo_policies(
        &self,
        catalog: &DemoCatalog,
        today: Date,
    ) -> Result<(), AppError> {
        let admin = App::console_principal();
        let properties: BTreeSet<_> = catalog
            .rooms
            .iter()
            .map(|r| r.room_type.property_id)
            .collect();
        for property in properties {
            self.add_policy_version(
                &admin,
                PolicySubject::Property(property),
                PolicyVersionInput {
                    name: "民宿退订规则（入住前3天免费取消）".into(),
                    effective_from: today,
                    tiers: None,
                    agency_tiers: None,
                    lodging: Some(LodgingDraft {
                        kind: LodgingPresetKind::FreeUntil,
                        days: Some(3),
                        then: Some(LodgingCharge::FirstNight),
                    }),
                    free_postponement: None,
                },
            )
            .await?;
        }
        let outbound: BTreeSet<_> = catalog
            .departures
            .iter()
            .filter(|d| d.scope == TourScope::Outbound)
            .map(|d| d.departure.package_id)
            .collect();
        for package in outbound {
            self.add_policy_version(
                &admin,
                PolicySubject::Package(package),
                PolicyVersionInput {
                    name: "出境团退改规则（签证送签后从严）".into(),
                    effective_from: today,
                    tiers: Some(tiers(&[
                        (45, 0.0),
                        (30, 10.0),
                        (15, 30.0),
                        (7, 60.0),
                        (0, 90.0),
                    ])),
                    agency_tiers: None,
                    lodging: None,
                    free_postponement: Some(true),
                },
            )
            .await?;
        }
        Ok(())
    }
}
