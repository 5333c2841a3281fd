//! Conformance checks of the policy repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! policies_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            policy_in_force_by_effective_date, policy_versions_of_a_property_and_its_room_types);
    };
}

use crate::catalog::conformance::{sample_package, sample_property};
use crate::conformance::t;
use crate::*;
use jiff::civil::{date, Date};
use tripdesk_domain::bookings::{
    CancellationPolicy, LodgingCharge, LodgingPreset, LodgingTerms, PolicyTerms, Tier, TierTable,
    TourTerms, TripScope,
};
use uuid::Uuid;

fn tour_version(package: Uuid, name: &str, from: Date, near_bp: u32) -> PolicyVersion {
    let mut terms = TourTerms::model_2014(TripScope::Domestic);
    terms.customer = TierTable::new(vec![
        Tier::new(15, None, 0),
        Tier::new(0, Some(14), near_bp),
    ])
    .unwrap();
    PolicyVersion {
        id: Uuid::now_v7(),
        subject: PolicySubject::Package(package),
        policy: CancellationPolicy {
            name: name.into(),
            effective_from: from,
            terms: PolicyTerms::Tour(terms),
        },
        created_by: None,
        created_at: t("2026-12-01T02:00:00Z"),
    }
}

fn lodging_version(
    subject: PolicySubject,
    name: &str,
    from: Date,
    preset: LodgingPreset,
) -> PolicyVersion {
    PolicyVersion {
        id: Uuid::now_v7(),
        subject,
        policy: CancellationPolicy {
            name: name.into(),
            effective_from: from,
            terms: PolicyTerms::Lodging(LodgingTerms {
                preset,
                free_postponement: false,
            }),
        },
        created_by: None,
        created_at: t("2026-12-01T02:00:00Z"),
    }
}

/// The version in force on a date is the latest effective on or before it (of two on one
/// date, the one added last); terms read back exactly; lists page newest first; another
/// product's versions are not mixed in; a version for no product is refused.
pub async fn policy_in_force_by_effective_date(store: &dyn Store) {
    let package = sample_package("黄山三日游");
    let other = sample_package("千岛湖二日游");
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_package(&other).await.unwrap();
    tx.commit().await.unwrap();
    let id = package.package.id;
    let v1 = tour_version(id, "2027 版", date(2027, 1, 1), 3_000);
    let v2 = tour_version(id, "春季版", date(2027, 3, 1), 4_000);
    let v3 = tour_version(id, "春季版（更正）", date(2027, 3, 1), 4_500);
    let elsewhere = tour_version(other.package.id, "千岛湖", date(2026, 1, 1), 9_000);
    for v in [&v1, &v2, &v3, &elsewhere] {
        let mut tx = store.write().await.unwrap();
        tx.insert_policy_version(v).await.unwrap();
        tx.commit().await.unwrap();
    }
    let subject = PolicySubject::Package(id);
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.policy_in_force(subject, date(2026, 12, 31))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.policy_in_force(subject, date(2027, 1, 1)).await.unwrap(),
        Some(v1.clone())
    );
    assert_eq!(
        r.policy_in_force(subject, date(2027, 2, 28)).await.unwrap(),
        Some(v1.clone())
    );
    assert_eq!(
        r.policy_in_force(subject, date(2027, 3, 1)).await.unwrap(),
        Some(v3.clone())
    );
    assert_eq!(
        r.policy_in_force(subject, date(2030, 1, 1)).await.unwrap(),
        Some(v3.clone())
    );
    assert_eq!(
        r.list_policy_versions(&[subject], 10, 0).await.unwrap(),
        vec![v3.clone(), v2.clone(), v1.clone()]
    );
    assert_eq!(
        r.list_policy_versions(&[subject], 1, 1).await.unwrap(),
        vec![v2.clone()]
    );
    assert_eq!(r.list_policy_versions(&[], 10, 0).await.unwrap(), vec![]);
    // The same id as a property or a room type is another product.
    assert_eq!(
        r.policy_in_force(PolicySubject::Property(id), date(2030, 1, 1))
            .await
            .unwrap(),
        None
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    let orphan = tour_version(Uuid::now_v7(), "无此线路", date(2027, 1, 1), 1_000);
    assert!(tx.insert_policy_version(&orphan).await.is_err());
}

/// A property's and its room types' versions list together, each naming its own product;
/// a room type's in-force version is its own.
pub async fn policy_versions_of_a_property_and_its_room_types(store: &dyn Store) {
    let (property, room_type, _) = sample_property(store, 1).await;
    let whole = lodging_version(
        PolicySubject::Property(property.id),
        "入住前3天免费取消",
        date(2027, 1, 1),
        LodgingPreset::FreeUntil {
            days: 3,
            then: LodgingCharge::FirstNight,
        },
    );
    let suite = lodging_version(
        PolicySubject::RoomType(room_type.id),
        "海景房不可退",
        date(2027, 2, 1),
        LodgingPreset::NonRefundable,
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_policy_version(&whole).await.unwrap();
    tx.insert_policy_version(&suite).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.list_policy_versions(
            &[
                PolicySubject::Property(property.id),
                PolicySubject::RoomType(room_type.id)
            ],
            10,
            0
        )
        .await
        .unwrap(),
        vec![suite.clone(), whole.clone()]
    );
    assert_eq!(
        r.policy_in_force(PolicySubject::RoomType(room_type.id), date(2027, 1, 15))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.policy_in_force(PolicySubject::RoomType(room_type.id), date(2027, 2, 1))
            .await
            .unwrap(),
        Some(suite)
    );
    assert_eq!(
        r.policy_in_force(PolicySubject::Property(property.id), date(2027, 2, 1))
            .await
            .unwrap(),
        Some(whole)
    );
}
