//! Conformance of the customer repository: customers, identifiers found by blind index,
//! duplicates, and re-encryption batches.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! customer_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            customers, reseal_batches);
    };
}

use crate::conformance::t;
use crate::*;
use uuid::Uuid;

pub fn sample_customer(name: &str) -> Customer {
    let now = t("2026-01-05T01:00:00Z");
    Customer {
        id: Uuid::now_v7(),
        name: name.into(),
        birth_date_sealed: Some("v1.k1.c2VhbGVkLWJpcnRoLWRhdGUtZm9yLXRlc3RzLW9ubHk".into()),
        diet_sealed: None,
        allergies_sealed: Some("v1.k1.c2VhbGVkLWFsbGVyZ2llcy1mb3ItdGVzdHMtb25seQ".into()),
        accessibility_sealed: None,
        preferred_language: Some("zh-CN".into()),
        preferred_channel: Some("phone".into()),
        source_channel: Some("web".into()),
        tags: vec!["VIP".into(), "回头客".into()],
        notes: Some("喜欢靠窗的房间".into()),
        created_by: None,
        updated_by: None,
        created_at: now,
        updated_at: now,
        erased_at: None,
        merged_into: None,
    }
}

pub fn sample_identifier(
    customer: Uuid,
    kind: &str,
    index: &str,
    primary: bool,
) -> CustomerIdentifier {
    CustomerIdentifier {
        id: Uuid::now_v7(),
        customer_id: customer,
        kind: kind.into(),
        blind_index: index.into(),
        sealed: format!("v1.k1.{index}"),
        masked: "138****8000".into(),
        is_primary: primary,
        created_at: t("2026-01-05T01:00:00Z"),
    }
}

/// Customers round-trip; identifiers are found by blind index; duplicates and filters work.
pub async fn customers(store: &dyn Store) {
    let mut zhang = sample_customer("张伟");
    let li = sample_customer("李小红");
    let mut gone = sample_customer("王五");
    gone.erased_at = Some(t("2026-02-01T00:00:00Z"));
    let mut tx = store.write().await.unwrap();
    for c in [&zhang, &li, &gone] {
        tx.insert_customer(c).await.unwrap();
    }
    let phone = sample_identifier(zhang.id, "phone", "aa11", true);
    let id_doc = sample_identifier(zhang.id, "resident_id", "bb22", true);
    let li_phone = sample_identifier(li.id, "phone", "aa11", true);
    let gone_phone = sample_identifier(gone.id, "phone", "aa11", true);
    for i in [&phone, &id_doc, &li_phone, &gone_phone] {
        tx.insert_identifier(i).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let dup = tx
        .insert_identifier(&sample_identifier(zhang.id, "phone", "aa11", false))
        .await;
    crate::conformance::assert_duplicate_refused(tx, dup).await;

    let mut r = store.read().await.unwrap();
    assert_eq!(r.get_customer(zhang.id).await.unwrap(), Some(zhang.clone()));
    assert_eq!(
        r.find_customers_by_identifier("phone", "aa11")
            .await
            .unwrap(),
        {
            let mut v = vec![zhang.id, li.id];
            v.sort();
            v
        },
        "erased customers are not found"
    );
    assert!(r
        .find_customers_by_identifier("resident_id", "aa11")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        r.find_duplicates(zhang.id).await.unwrap(),
        vec![DuplicateMatch {
            customer_id: li.id,
            kind: "phone".into()
        }]
    );
    let ids = r.list_identifiers(zhang.id).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&phone) && ids.contains(&id_doc));
    assert_eq!(
        r.list_identifiers_of(&[zhang.id, li.id])
            .await
            .unwrap()
            .len(),
        3
    );

    let all = CustomerFilter {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.count_customers(&all).await.unwrap(), 2);
    let listed = r.list_customers(&all).await.unwrap();
    assert_eq!(listed.len(), 2);
    for (name, tag, n) in [
        (Some("小红"), None, 1),
        (Some("%"), None, 0),
        (None, Some("VIP"), 2),
        (None, Some("VI"), 0),
        (None, Some("回头客"), 2),
    ] {
        let f = CustomerFilter {
            name: name.map(Into::into),
            tag: tag.map(Into::into),
            limit: 100,
            ..Default::default()
        };
        assert_eq!(r.count_customers(&f).await.unwrap(), n, "{name:?} {tag:?}");
        assert_eq!(r.list_customers(&f).await.unwrap().len() as u64, n);
    }
    let by_ids = CustomerFilter {
        ids: Some(vec![li.id]),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.list_customers(&by_ids).await.unwrap()[0].id, li.id);
    let none = CustomerFilter {
        ids: Some(vec![]),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.count_customers(&none).await.unwrap(), 0);
    let inactive = CustomerFilter {
        include_inactive: true,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.count_customers(&inactive).await.unwrap(), 3);
    drop(r);

    // Merge li into zhang: li's phone duplicates zhang's and is dropped, consents move.
    let mut tx = store.write().await.unwrap();
    let consent = Consent {
        id: Uuid::now_v7(),
        customer_id: li.id,
        purpose: "marketing".into(),
        granted: true,
        channel: "web_form".into(),
        text_version: "marketing-2026-01".into(),
        recorded_at: t("2026-01-06T00:00:00Z"),
        recorded_by: None,
    };
    tx.insert_consent(&consent).await.unwrap();
    assert_eq!(tx.move_consents(li.id, zhang.id).await.unwrap(), 1);
    assert!(tx.delete_identifier(li_phone.id).await.unwrap());
    assert!(!tx.delete_identifier(li_phone.id).await.unwrap());
    let mut li2 = li.clone();
    li2.merged_into = Some(zhang.id);
    assert!(tx.update_customer(&li2).await.unwrap());
    zhang.notes = None;
    zhang.tags = vec![];
    assert!(tx.update_customer(&zhang).await.unwrap());
    assert!(!tx.update_customer(&sample_customer("ghost")).await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.list_consents(zhang.id).await.unwrap(),
        vec![Consent {
            customer_id: zhang.id,
            ..consent
        }]
    );
    assert_eq!(r.get_customer(zhang.id).await.unwrap(), Some(zhang.clone()));
    assert!(r.find_duplicates(zhang.id).await.unwrap().is_empty());
    assert_eq!(r.count_customers(&all).await.unwrap(), 1);
}

/// Re-encryption finds exactly the values sealed under another key, batch by batch.
pub async fn reseal_batches(store: &dyn Store) {
    let c = sample_customer("赵六");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&c).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        let i = sample_identifier(c.id, "phone", &format!("i{n}"), n == 0);
        tx.insert_identifier(&i).await.unwrap();
        ids.push(i);
    }
    tx.commit().await.unwrap();
    // A key id with an underscore must not act as a LIKE wildcard.
    let prefix = "v1.k_2.";
    let mut done = 0;
    for _ in 0..10 {
        let mut tx = store.write().await.unwrap();
        let batch = tx.identifiers_to_reseal(prefix, 2).await.unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 2);
        for mut i in batch {
            i.sealed = format!("{prefix}{}", i.blind_index);
            assert!(tx.update_identifier(&i).await.unwrap());
            done += 1;
        }
        tx.commit().await.unwrap();
    }
    assert_eq!(done, 5);
    let mut tx = store.write().await.unwrap();
    let todo = tx.customers_to_reseal(prefix, 10).await.unwrap();
    assert_eq!(todo.len(), 1);
    let mut c2 = todo[0].clone();
    c2.birth_date_sealed = Some(format!("{prefix}b"));
    c2.allergies_sealed = Some(format!("{prefix}a"));
    tx.update_customer(&c2).await.unwrap();
    assert!(tx.customers_to_reseal(prefix, 10).await.unwrap().is_empty());
    assert!(tx
        .identifiers_to_reseal(prefix, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.identifiers_to_reseal("v1.k12.", 10).await.unwrap().len(),
        5
    );
    tx.commit().await.unwrap();
}
