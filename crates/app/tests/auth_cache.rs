//! A verified token's principal is reused for a moment (`PRINCIPAL_CACHE_TTL`) instead of
//! reading the database on every request: a change through this process is seen at once, a
//! change by another process (here: the store written directly, as `tripdesk admin` or a
//! second server would) within that moment, and never after the credential expires.

use jiff::SignedDuration;
use std::sync::Arc;
use tripdesk_app::auth::PRINCIPAL_CACHE_TTL;
use tripdesk_app::identity::UserChanges;
use tripdesk_app::{App, AppError, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_store_sql::testing::fresh_store;

const PASSWORD: &str = "a long enough password";

async fn app() -> (
    App,
    Arc<ManualClock>,
    tripdesk_store_sql::testing::TestStore,
) {
    let store = fresh_store().await;
    let clock = Arc::new(ManualClock::new("2026-10-15T06:00:00Z".parse().unwrap()));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default());
    app.bootstrap_admin("admin", PASSWORD).await.unwrap();
    (app, clock, store)
}

fn unauthenticated<T: std::fmt::Debug>(r: Result<T, AppError>) -> bool {
    matches!(r, Err(AppError::Unauthenticated(_)))
}

#[tokio::test]
async fn a_change_through_this_process_is_seen_at_once() {
    let (app, _clock, _store) = app().await;
    let admin = app.login("admin", PASSWORD, None).await.unwrap();
    let admin_p = app.authenticate(&admin.token).await.unwrap();

    // A second administrator, signed in and used (so the cache holds the principal).
    let other = app
        .create_user(
            &admin_p,
            tripdesk_app::identity::NewUser {
                username: "wang.lei".into(),
                display_name: "王磊".into(),
                password: PASSWORD.into(),
                roles: vec![tripdesk_domain::identity::Role::Admin],
                email: None,
                department_id: None,
                locale: None,
            },
        )
        .await
        .unwrap();
    let signed = app.login("wang.lei", PASSWORD, None).await.unwrap();
    assert!(app.authenticate(&signed.token).await.is_ok());

    // Disabled by the first: refused on the very next request.
    app.update_user(
        &admin_p,
        other.id,
        UserChanges {
            disabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(unauthenticated(app.authenticate(&signed.token).await));

    // Signing out ends the cached session at once too.
    app.logout(&admin_p).await.unwrap();
    assert!(unauthenticated(app.authenticate(&admin.token).await));
}

#[tokio::test]
async fn a_change_by_another_process_is_seen_within_the_cache_lifetime() {
    let (app, clock, store) = app().await;
    let signed = app.login("admin", PASSWORD, None).await.unwrap();
    assert!(app.authenticate(&signed.token).await.is_ok());

    // Another process deletes the session behind this one's back.
    let mut tx = store.store.write().await.unwrap();
    tx.delete_session(signed.session.id).await.unwrap();
    tx.commit().await.unwrap();

    // Within the lifetime the cached principal still answers; after it, the store does.
    clock.advance(PRINCIPAL_CACHE_TTL - SignedDuration::from_millis(1));
    assert!(app.authenticate(&signed.token).await.is_ok());
    clock.advance(SignedDuration::from_millis(1));
    assert!(unauthenticated(app.authenticate(&signed.token).await));
}

#[tokio::test]
async fn a_cached_principal_never_outlives_its_credential() {
    let (app, clock, _store) = app().await;
    let signed = app.login("admin", PASSWORD, None).await.unwrap();
    let admin = app.authenticate(&signed.token).await.unwrap();
    let issued = app
        .issue_api_token(&admin, "票务系统对接", Some(1))
        .await
        .unwrap();
    let expires_at = issued.record.expires_at.unwrap();
    // A second before the token expires it is verified (and cached)…
    clock.set(expires_at - SignedDuration::from_secs(1));
    assert!(app.authenticate(&issued.token).await.is_ok());
    // …and at its expiry it is refused, though the cache lifetime has not run out.
    assert!(PRINCIPAL_CACHE_TTL > SignedDuration::from_secs(1));
    clock.set(expires_at);
    assert!(unauthenticated(app.authenticate(&issued.token).await));
}
