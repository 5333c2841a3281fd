//! Conformance checks of the payment gateway repository (re-exported by
//! [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! gateways_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            payment_gateways_round_trip, a_notification_is_claimed_once);
    };
}

use crate::bookings::conformance::sample_booking_for_room;
use crate::catalog::conformance::sample_property;
use crate::conformance::{futures_join_all, t};
use crate::*;
use jiff::civil::date;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

fn gateway(provider: &str) -> PaymentGateway {
    PaymentGateway {
        provider: provider.into(),
        secret: format!("whsec_{provider}_secret"),
        description: "微信支付商户号 1900000109".into(),
        created_by: None,
        created_at: t("2027-01-05T01:00:00Z"),
    }
}

/// Gateways read back by provider and in order; a provider is made once; deleting one
/// leaves the others.
pub async fn payment_gateways_round_trip(store: &dyn Store) {
    let (wechat, alipay) = (gateway("wechat"), gateway("alipay"));
    let mut tx = store.write().await.unwrap();
    tx.insert_payment_gateway(&wechat).await.unwrap();
    tx.insert_payment_gateway(&alipay).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_payment_gateway(&gateway("wechat")).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_payment_gateway("wechat").await.unwrap(),
        Some(wechat.clone())
    );
    assert_eq!(r.get_payment_gateway("unionpay").await.unwrap(), None);
    assert_eq!(
        r.list_payment_gateways().await.unwrap(),
        vec![alipay.clone(), wechat.clone()]
    );
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(tx.delete_payment_gateway("wechat").await.unwrap());
    assert!(!tx.delete_payment_gateway("wechat").await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.list_payment_gateways().await.unwrap(), vec![alipay]);
}

/// Sixteen writers claim one notification at once (a gateway's retries racing on several
/// nodes): exactly one claims it and records its payment, the others find it claimed, and
/// the committed notification names that payment. The same id from another gateway is
/// another notification.
pub async fn a_notification_is_claimed_once(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let booking =
        sample_booking_for_room(store, rooms[0].id, date(2027, 5, 1), date(2027, 5, 3)).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_payment_gateway(&gateway("wechat")).await.unwrap();
    tx.insert_payment_gateway(&gateway("alipay")).await.unwrap();
    tx.commit().await.unwrap();
    let notification = |provider: &str| PaymentNotification {
        provider: provider.into(),
        notification_id: "wx-20270301-0001".into(),
        body_sha256: "ab".repeat(32),
        booking_id: booking,
        payment_id: None,
        received_at: t("2027-03-01T02:00:00Z"),
    };
    let claimed = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            let (claimed, refused) = (&claimed, &refused);
            let n = notification("wechat");
            async move {
                let mut tx = store.write().await.unwrap();
                if !tx.claim_payment_notification(&n).await.unwrap() {
                    refused.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                let payment = Payment {
                    id: Uuid::now_v7(),
                    booking_id: n.booking_id,
                    method: PaymentMethod::WechatPay,
                    amount_fen: 96_000,
                    reference: Some("4200001234202703010001".into()),
                    recorded_by: None,
                    recorded_at: n.received_at,
                };
                tx.insert_payment(&payment).await.unwrap();
                assert!(tx
                    .attach_notification_payment(&n.provider, &n.notification_id, payment.id)
                    .await
                    .unwrap());
                tx.commit().await.unwrap();
                claimed.fetch_add(1, Ordering::SeqCst);
            }
        })
        .collect();
    futures_join_all(attempts).await;
    assert_eq!(claimed.load(Ordering::SeqCst), 1);
    assert_eq!(refused.load(Ordering::SeqCst), 15);

    let mut r = store.read().await.unwrap();
    let payments = r.list_payments(booking).await.unwrap();
    assert_eq!(payments.len(), 1);
    let stored = r
        .get_payment_notification("wechat", "wx-20270301-0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored,
        PaymentNotification {
            payment_id: Some(payments[0].id),
            ..notification("wechat")
        }
    );
    assert_eq!(
        r.get_payment_notification("alipay", "wx-20270301-0001")
            .await
            .unwrap(),
        None
    );
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .claim_payment_notification(&notification("alipay"))
        .await
        .unwrap());
    assert!(!tx
        .attach_notification_payment("alipay", "no-such-notification", payments[0].id)
        .await
        .unwrap());
}
