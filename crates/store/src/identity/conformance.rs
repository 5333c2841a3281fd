//! Conformance of the identity repository: the organisation, departments, users, sessions,
//! API tokens and the sign-in throttle.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! identity_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            organization_round_trip, departments, users, sessions, api_tokens, login_throttle);
    };
}

use crate::conformance::{futures_join_all, t};
use crate::*;
use jiff::SignedDuration;
use tripdesk_domain::identity::Role;
use uuid::Uuid;

pub fn sample_department(code: &str) -> Department {
    let now = t("2026-01-05T01:00:00Z");
    Department {
        id: Uuid::now_v7(),
        code: code.into(),
        name_zh: format!("部门{code}"),
        name_en: format!("Department {code}"),
        business_unit_id: None,
        created_at: now,
        updated_at: now,
    }
}

pub fn sample_user(username: &str, roles: &[Role], department: Option<Uuid>) -> User {
    let now = t("2026-01-05T01:00:00Z");
    User {
        id: Uuid::now_v7(),
        username: username.into(),
        display_name: format!("用户 {username}"),
        email: Some(format!("{username}@example.com")),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        department_id: department,
        roles: roles.to_vec(),
        locale: "zh-CN".into(),
        disabled_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Organisation and business units round-trip.
pub async fn organization_round_trip(store: &dyn Store) {
    let mut tx = store.write().await.unwrap();
    assert!(tx.get_organization().await.unwrap().is_none());
    let mut org = Organization {
        id: Uuid::now_v7(),
        name: "山海旅行社".into(),
        timezone: "Asia/Shanghai".into(),
        created_at: t("2026-01-01T00:00:00Z"),
    };
    tx.insert_organization(&org).await.unwrap();
    let unit = BusinessUnit {
        id: Uuid::now_v7(),
        kind: "homestay".into(),
        name: "云栖民宿".into(),
        created_at: t("2026-01-01T00:00:01Z"),
    };
    tx.insert_business_unit(&unit).await.unwrap();
    org.name = "山海国际旅行社".into();
    tx.update_organization(&org).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(r.get_organization().await.unwrap(), Some(org));
    assert_eq!(r.list_business_units().await.unwrap(), vec![unit]);
}

/// Department codes are unique; updates land; unknown ids report false.
pub async fn departments(store: &dyn Store) {
    let mut tx = store.write().await.unwrap();
    let mut a = sample_department("route_planning");
    tx.insert_department(&a).await.unwrap();
    tx.commit().await.unwrap();
    // After an error a transaction is spent (PostgreSQL aborts it): drop it.
    let mut tx = store.write().await.unwrap();
    let dup = tx
        .insert_department(&sample_department("route_planning"))
        .await;
    assert!(
        matches!(dup, Err(StoreError::Duplicate { .. })),
        "duplicate code must be refused, got {dup:?}"
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    a.name_zh = "线路策划部".into();
    a.updated_at += SignedDuration::from_secs(60);
    assert!(tx.update_department(&a).await.unwrap());
    assert!(!tx
        .update_department(&sample_department("ghost"))
        .await
        .unwrap());
    assert_eq!(tx.get_department(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(tx.get_department(Uuid::now_v7()).await.unwrap(), None);
    tx.commit().await.unwrap();
}

/// Users with roles: insert, look up, filter, count, update, uniqueness, references.
pub async fn users(store: &dyn Store) {
    let dept = sample_department("follow_up");
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&dept).await.unwrap();
    let mut wang = sample_user("wang.fang", &[Role::FollowUp, Role::Agent], Some(dept.id));
    wang.display_name = "王芳".into();
    let li = sample_user("li.na", &[Role::Supervisor], None);
    let mut gone = sample_user("zhao.lei", &[Role::Agent], Some(dept.id));
    gone.disabled_at = Some(t("2026-02-01T00:00:00Z"));
    for u in [&wang, &li, &gone] {
        tx.insert_user(u).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let dup = tx.insert_user(&sample_user("li.na", &[], None)).await;
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })), "{dup:?}");
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let orphan = tx
        .insert_user(&sample_user("orphan", &[], Some(Uuid::now_v7())))
        .await;
    assert!(
        matches!(orphan, Err(StoreError::BrokenReference)),
        "{orphan:?}"
    );
    drop(tx);

    let mut r = store.read().await.unwrap();
    let got = r.get_user(wang.id).await.unwrap().unwrap();
    assert_eq!(
        got.roles,
        vec![Role::Agent, Role::FollowUp],
        "roles come back sorted"
    );
    assert_eq!(got.display_name, "王芳");
    assert_eq!(
        r.get_user_by_username("li.na").await.unwrap().unwrap().id,
        li.id
    );
    assert!(r.get_user_by_username("nobody").await.unwrap().is_none());

    let all = UserFilter {
        limit: 100,
        ..Default::default()
    };
    let listed = r.list_users(&all).await.unwrap();
    let names: Vec<_> = listed.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(
        names,
        ["li.na", "wang.fang"],
        "disabled users hidden by default"
    );
    assert_eq!(listed[1].roles, vec![Role::Agent, Role::FollowUp]);
    assert_eq!(r.count_users(&all).await.unwrap(), 2);

    let with_disabled = UserFilter {
        include_disabled: true,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.count_users(&with_disabled).await.unwrap(), 3);
    let by_role = UserFilter {
        role: Some(Role::FollowUp),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.list_users(&by_role).await.unwrap().len(), 1);
    let by_dept = UserFilter {
        department_id: Some(dept.id),
        include_disabled: true,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(r.count_users(&by_dept).await.unwrap(), 2);
    for (q, n) in [("王", 1), ("WANG", 1), ("%", 0), ("_", 0), ("a", 2)] {
        let f = UserFilter {
            query: Some(q.into()),
            limit: 100,
            ..Default::default()
        };
        assert_eq!(r.count_users(&f).await.unwrap(), n, "query {q:?}");
        assert_eq!(
            r.list_users(&f).await.unwrap().len() as u64,
            n,
            "query {q:?}"
        );
    }
    let page = UserFilter {
        include_disabled: true,
        limit: 1,
        offset: 1,
        ..Default::default()
    };
    let page = r.list_users(&page).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].username, "wang.fang");
    assert_eq!(
        r.count_users_by_department().await.unwrap(),
        vec![(dept.id, 1)],
        "only active users count"
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    let mut li2 = li.clone();
    li2.roles = vec![Role::Admin, Role::Supervisor, Role::Admin];
    li2.locale = "en".into();
    assert!(tx.update_user(&li2).await.unwrap());
    assert!(!tx
        .update_user(&sample_user("ghost", &[], None))
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r.get_user(li.id).await.unwrap().unwrap();
    assert_eq!(got.roles, vec![Role::Supervisor, Role::Admin]);
    assert_eq!(got.locale, "en");
}

/// Sessions: look-up by token hash, sliding expiry, sign-out, expiry sweep.
pub async fn sessions(store: &dyn Store) {
    let user = sample_user("chen.jing", &[Role::Agent], None);
    let now = t("2026-03-01T08:00:00Z");
    let s1 = Session {
        id: Uuid::now_v7(),
        token_hash: "h1".into(),
        user_id: user.id,
        csrf_token: "c1".into(),
        created_at: now,
        expires_at: now + SignedDuration::from_hours(12),
    };
    let s2 = Session {
        id: Uuid::now_v7(),
        token_hash: "h2".into(),
        expires_at: now + SignedDuration::from_hours(1),
        ..s1.clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&user).await.unwrap();
    tx.insert_session(&s1).await.unwrap();
    tx.insert_session(&s2).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let dup = tx
        .insert_session(&Session {
            id: Uuid::now_v7(),
            ..s1.clone()
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.get_session_by_token_hash("h1").await.unwrap(),
        Some(s1.clone())
    );
    let later = now + SignedDuration::from_hours(24);
    tx.extend_session(s1.id, later).await.unwrap();
    assert_eq!(
        tx.delete_expired_sessions(now + SignedDuration::from_hours(2))
            .await
            .unwrap(),
        1,
        "only the one-hour session expired"
    );
    assert!(tx.get_session_by_token_hash("h2").await.unwrap().is_none());
    assert_eq!(
        tx.get_session_by_token_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .expires_at,
        later
    );
    tx.delete_session(s1.id).await.unwrap();
    assert!(tx.get_session_by_token_hash("h1").await.unwrap().is_none());
    tx.insert_session(&Session {
        id: Uuid::now_v7(),
        token_hash: "h3".into(),
        ..s1.clone()
    })
    .await
    .unwrap();
    assert_eq!(tx.delete_sessions_of_user(user.id).await.unwrap(), 1);
    tx.commit().await.unwrap();
}

/// API tokens: found by hash, listed, revoked once, touched.
pub async fn api_tokens(store: &dyn Store) {
    let user = sample_user("api.bot", &[Role::Admin], None);
    let now = t("2026-03-01T08:00:00Z");
    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id: user.id,
        name: "OTA sync".into(),
        prefix: "tdk_abcd".into(),
        token_hash: "th".into(),
        created_at: now,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    };
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&user).await.unwrap();
    tx.insert_api_token(&token).await.unwrap();
    tx.touch_api_token(token.id, now + SignedDuration::from_mins(5))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let got = tx.get_api_token_by_hash("th").await.unwrap().unwrap();
    assert_eq!(got.last_used_at, Some(now + SignedDuration::from_mins(5)));
    assert_eq!(tx.list_api_tokens(Some(user.id)).await.unwrap().len(), 1);
    assert_eq!(
        tx.list_api_tokens(Some(Uuid::now_v7()))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(tx.list_api_tokens(None).await.unwrap().len(), 1);
    assert!(tx.revoke_api_token(token.id, now).await.unwrap());
    assert!(
        !tx.revoke_api_token(token.id, now).await.unwrap(),
        "revoked only once"
    );
    assert_eq!(
        tx.get_api_token_by_hash("th")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(now)
    );
    tx.commit().await.unwrap();
}

/// Login throttling counts inside a window and starts again after it.
pub async fn login_throttle(store: &dyn Store) {
    let now = t("2026-03-01T08:00:00Z");
    let window = 15 * 60 * 1000;
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.login_failures("user:x", now, window).await.unwrap(), 0);
    for i in 1..=3 {
        let at = now + SignedDuration::from_secs(i);
        assert_eq!(
            tx.record_login_failure("user:x", at, window)
                .await
                .unwrap()
                .count,
            i as u32
        );
    }
    assert_eq!(
        tx.record_login_failure("ip:10.0.0.1", now, window)
            .await
            .unwrap(),
        WindowCount {
            count: 1,
            window_start: now
        }
    );
    assert_eq!(
        tx.login_failures("user:x", now + SignedDuration::from_mins(14), window)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        tx.login_failures("user:x", now + SignedDuration::from_mins(16), window)
            .await
            .unwrap(),
        0
    );
    let after = now + SignedDuration::from_mins(16);
    assert_eq!(
        tx.record_login_failure("user:x", after, window)
            .await
            .unwrap(),
        WindowCount {
            count: 1,
            window_start: after
        },
        "new window"
    );
    // A reserved attempt given back; never below zero, never in an expired window.
    tx.release_login_attempt("user:x", after, window)
        .await
        .unwrap();
    assert_eq!(tx.login_failures("user:x", after, window).await.unwrap(), 0);
    tx.release_login_attempt("user:x", after, window)
        .await
        .unwrap();
    assert_eq!(tx.login_failures("user:x", after, window).await.unwrap(), 0);
    tx.record_login_failure("user:x", after, window)
        .await
        .unwrap();
    tx.release_login_attempt("user:x", after + SignedDuration::from_mins(16), window)
        .await
        .unwrap();
    assert_eq!(tx.login_failures("user:x", after, window).await.unwrap(), 1);
    tx.clear_login_failures("user:x").await.unwrap();
    assert_eq!(tx.login_failures("user:x", after, window).await.unwrap(), 0);
    assert_eq!(
        tx.login_failures("ip:10.0.0.1", now, window).await.unwrap(),
        1
    );
    // Pruning deletes the windows that started before the given instant only.
    tx.record_login_failure("user:y", after, window)
        .await
        .unwrap();
    assert_eq!(
        tx.prune_login_throttle(after).await.unwrap(),
        1,
        "ip:10.0.0.1"
    );
    assert_eq!(tx.login_failures("user:y", after, window).await.unwrap(), 1);
    tx.commit().await.unwrap();

    // Counted from many transactions at once, every count lands and each caller sees its own
    // place in the window: the check and the count are one step.
    let seen = std::sync::Mutex::new(Vec::new());
    let seen_ref = &seen;
    futures_join_all(
        (0..24)
            .map(|_| async move {
                let mut tx = store.write().await.unwrap();
                let n = tx
                    .record_login_failure("user:race", now, window)
                    .await
                    .unwrap()
                    .count;
                tx.commit().await.unwrap();
                seen_ref.lock().unwrap().push(n);
            })
            .collect(),
    )
    .await;
    let mut counts = seen.into_inner().unwrap();
    counts.sort_unstable();
    assert_eq!(counts, (1..=24).collect::<Vec<u32>>());
}
