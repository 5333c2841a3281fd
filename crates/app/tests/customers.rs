//! Customer use cases on the backend of this test run (SQLite, or PostgreSQL with
//! TRIPDESK_TEST_DATABASE_URL): sealing, blind-index search, reveal, merge, erase, PIPL
//! export, import, key rotation and the audit chain.

use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{
    ConsentInput, CustomerChanges, CustomerSearch, DocumentInput, Labeled, NewCustomer,
};
use tripdesk_app::{App, AppError, AppSettings, Principal};
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::identity::Role;
use tripdesk_sheets::Format;
use tripdesk_store::AuditFilter;
use tripdesk_store_sql::testing::{fresh_store, TestStore};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

struct Fixture {
    app: App,
    keys: Arc<KeyRing>,
    _store: TestStore,
}

async fn fixture() -> Fixture {
    let store = fresh_store().await;
    let keys = Arc::new(KeyRing::generate());
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
    .with_vault(keys.clone());
    Fixture {
        app,
        keys,
        _store: store,
    }
}

fn principal(username: &str, role: Role) -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        username: username.into(),
        display_name: username.into(),
        roles: vec![role],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    }
}

fn zhang_wei() -> NewCustomer {
    NewCustomer {
        name: "张伟".into(),
        phones: vec![Labeled::new("phone", "13800138000")],
        documents: vec![DocumentInput {
            field: "resident_id".into(),
            kind: "resident_id".into(),
            number: "11010519491231002X".into(),
        }],
        allergies: Some("花生过敏".into()),
        tags: vec!["VIP".into()],
        consents: vec![ConsentInput {
            purpose: "marketing".into(),
            granted: true,
            channel: "web_form".into(),
            text_version: "marketing-2026-01".into(),
        }],
        ..Default::default()
    }
}

fn by_phone(phone: &str) -> CustomerSearch {
    CustomerSearch {
        phone: Some(phone.into()),
        limit: 50,
        ..Default::default()
    }
}

#[tokio::test]
async fn created_customers_are_sealed_found_by_blind_index_and_masked() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let created = f.app.create_customer(&agent, zhang_wei()).await.unwrap();
    let d = &created.detail;
    assert!(created.duplicates.is_empty());
    let phone = d.primary("phone").unwrap();
    assert_eq!(phone.masked, "138****8000");
    assert!(phone.sealed.starts_with("v1.k1."));
    assert!(!phone.sealed.contains("13800138000"));
    assert_eq!(
        d.primary("resident_id").unwrap().masked,
        "110105********002X"
    );
    assert!(d.customer.birth_date_sealed.is_some(), "taken from the ID");
    assert_eq!(d.current_consents().len(), 1);

    // Any spelling of the number finds it, through the blind index.
    for spelling in ["13800138000", "+86 138-0013-8000", "１３８００１３８０００"] {
        let page = f
            .app
            .search_customers(&agent, &by_phone(spelling))
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{spelling}");
        assert_eq!(page.items[0].customer.id, d.customer.id);
    }
    let by_id = CustomerSearch {
        resident_id: Some("11010519491231002x".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        f.app.search_customers(&agent, &by_id).await.unwrap().total,
        1
    );
    let by_name = CustomerSearch {
        name: Some("伟".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        f.app
            .search_customers(&agent, &by_name)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        f.app
            .search_customers(&agent, &by_phone("13900139000"))
            .await
            .unwrap()
            .total,
        0
    );
    // A malformed search value is a field error, never echoed.
    match f.app.search_customers(&agent, &by_phone("12345")).await {
        Err(AppError::Validation(fields)) => {
            assert_eq!(fields[0].field, "phone");
            assert!(!fields[0].message.contains("12345"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn validation_names_the_field_and_never_echoes_the_value() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let mut bad = zhang_wei();
    bad.documents[0].number = "110105194912310021".into();
    bad.emails = vec![Labeled::new("emails[0]", "not-an-email")];
    bad.phones.push(Labeled::new("phones[1]", "12"));
    match f.app.create_customer(&agent, bad).await {
        Err(AppError::Validation(fields)) => {
            let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
            assert!(names.contains(&"resident_id"), "{names:?}");
            assert!(names.contains(&"emails[0]"), "{names:?}");
            assert!(names.contains(&"phones[1]"), "{names:?}");
            let rid = fields.iter().find(|f| f.field == "resident_id").unwrap();
            assert_eq!(rid.code, "resident_id.check_character");
            for f in &fields {
                assert!(!f.message.contains("1101051949"), "{f:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    // Nothing was written, not even an audit entry.
    let sup = principal("zhao.min", Role::Supervisor);
    let page = f
        .app
        .list_audit(
            &sup,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    // Followers cannot create at all.
    let follow_up = principal("wang.fang", Role::FollowUp);
    assert!(matches!(
        f.app.create_customer(&follow_up, zhang_wei()).await,
        Err(AppError::Forbidden("edit_customers"))
    ));
}

#[tokio::test]
async fn reveal_needs_the_permission_and_a_reason_and_is_audited() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let sup = principal("zhao.min", Role::Supervisor);
    let id = f
        .app
        .create_customer(&agent, zhang_wei())
        .await
        .unwrap()
        .detail
        .customer
        .id;
    assert!(matches!(
        f.app
            .reveal_customer_field(&agent, id, "phone", None, "call back")
            .await,
        Err(AppError::Forbidden("reveal_sensitive"))
    ));
    assert!(matches!(
        f.app
            .reveal_customer_field(&sup, id, "phone", None, " ")
            .await,
        Err(AppError::Validation(_))
    ));
    let shown = f
        .app
        .reveal_customer_field(&sup, id, "phone", None, "回访确认行程")
        .await
        .unwrap();
    assert_eq!(shown.value.expose_secret(), "+8613800138000");
    assert!(
        !format!("{shown:?}").contains("13800138000"),
        "Debug never shows it"
    );
    let allergies = f
        .app
        .reveal_customer_field(&sup, id, "allergies", None, "安排餐食")
        .await
        .unwrap();
    assert_eq!(allergies.value.expose_secret(), "花生过敏");
    let birth = f
        .app
        .reveal_customer_field(&sup, id, "birth_date", None, "核对证件")
        .await
        .unwrap();
    assert_eq!(birth.value.expose_secret(), "1949-12-31");
    assert!(matches!(
        f.app
            .reveal_customer_field(&sup, id, "email", None, "no email on file")
            .await,
        Err(AppError::NotFound(_))
    ));

    let reveals = f
        .app
        .list_audit(
            &sup,
            &AuditFilter {
                action: Some("customer.reveal".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reveals.total, 3);
    let last = &reveals.entries[2];
    assert_eq!(last.actor_name, "zhao.min");
    assert_eq!(last.entity_id.as_deref(), Some(id.to_string().as_str()));
    assert!(last.summary.contains("回访确认行程") && last.summary.contains("\"phone\""));
    // No entry anywhere holds a plaintext value.
    let all = f
        .app
        .list_audit(
            &sup,
            &AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for e in &all.entries {
        for secret in ["13800138000", "11010519491231002X", "花生", "1949-12-31"] {
            assert!(!e.summary.contains(secret), "{} holds {secret}", e.action);
        }
    }
    assert_eq!(f.app.verify_audit().await.unwrap().unwrap().entries, 4);
}

#[tokio::test]
async fn duplicates_merge_and_updates() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let keep = f.app.create_customer(&agent, zhang_wei()).await.unwrap();
    let keep_id = keep.detail.customer.id;
    let again = f
        .app
        .create_customer(
            &agent,
            NewCustomer {
                name: "张伟（前台）".into(),
                phones: vec![Labeled::new("phone", "138 0013 8000")],
                emails: vec![Labeled::new("email", "ZhangWei@Example.com")],
                diet: Some("清真".into()),
                tags: vec!["散客".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let other_id = again.detail.customer.id;
    assert_eq!(again.duplicates, vec![keep_id]);
    let dups = f.app.customer_duplicates(&agent, keep_id).await.unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].item.customer.id, other_id);
    assert_eq!(dups[0].shared, ["phone"]);

    assert!(matches!(
        f.app.merge_customers(&agent, keep_id, keep_id).await,
        Err(AppError::Validation(_))
    ));
    let merged = f
        .app
        .merge_customers(&agent, keep_id, other_id)
        .await
        .unwrap();
    let kinds: Vec<_> = merged.identifiers.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "phone").count(), 1);
    assert!(kinds.contains(&"email"));
    assert!(merged.customer.tags.contains(&"散客".to_string()));
    // The email moved with its own seal; the diet was sealed again for this record.
    let sup = principal("zhao.min", Role::Supervisor);
    let email = f
        .app
        .reveal_customer_field(&sup, keep_id, "email", None, "合并后核对")
        .await
        .unwrap();
    assert_eq!(email.value.expose_secret(), "ZhangWei@example.com");
    let diet = f
        .app
        .reveal_customer_field(&sup, keep_id, "diet", None, "合并后核对")
        .await
        .unwrap();
    assert_eq!(diet.value.expose_secret(), "清真");
    assert!(f
        .app
        .customer_duplicates(&agent, keep_id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        f.app
            .search_customers(&agent, &by_phone("13800138000"))
            .await
            .unwrap()
            .total,
        1
    );
    // The merged record points on and refuses changes.
    let gone = f.app.get_customer(&agent, other_id).await.unwrap();
    assert_eq!(gone.customer.merged_into, Some(keep_id));
    assert!(matches!(
        f.app
            .update_customer(&agent, other_id, CustomerChanges::default())
            .await,
        Err(AppError::Conflict {
            code: "customer_merged",
            ..
        })
    ));

    // Updates: add a phone, remove the email, change tags and clear the allergies.
    let email_id = merged
        .identifiers
        .iter()
        .find(|i| i.kind == "email")
        .unwrap()
        .id;
    let updated = f
        .app
        .update_customer(
            &agent,
            keep_id,
            CustomerChanges {
                name: Some("张伟".into()),
                add_phones: vec![Labeled::new("add_phones[0]", "+852 9123 4567")],
                remove_identifiers: vec![email_id],
                tags: Some(vec!["VIP".into(), "回头客".into()]),
                allergies: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.customer.tags, ["VIP", "回头客"]);
    assert!(updated.customer.allergies_sealed.is_none());
    let phones: Vec<_> = updated
        .identifiers
        .iter()
        .filter(|i| i.kind == "phone")
        .collect();
    assert_eq!(phones.len(), 2);
    assert_eq!(phones.iter().filter(|p| p.is_primary).count(), 1);
    assert!(!updated.identifiers.iter().any(|i| i.kind == "email"));
    assert_eq!(
        f.app
            .search_customers(&agent, &by_phone("+85291234567"))
            .await
            .unwrap()
            .total,
        1
    );
    assert!(f.app.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn pipl_export_and_erase() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let sup = principal("zhao.min", Role::Supervisor);
    let id = f
        .app
        .create_customer(&agent, zhang_wei())
        .await
        .unwrap()
        .detail
        .customer
        .id;
    assert!(matches!(
        f.app.export_customer_data(&agent, id).await,
        Err(AppError::Forbidden(_))
    ));
    let copy = f.app.export_customer_data(&sup, id).await.unwrap();
    let copy = &copy["sections"]["customers"];
    assert_eq!(copy["customer"]["name"], "张伟");
    assert_eq!(copy["customer"]["birth_date"], "1949-12-31");
    assert_eq!(copy["customer"]["special_needs"]["allergies"], "花生过敏");
    let values: Vec<_> = copy["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect();
    assert!(values.contains(&"+8613800138000".to_string()));
    assert!(values.contains(&"11010519491231002X".to_string()));
    assert_eq!(copy["consents"][0]["text_version"], "marketing-2026-01");
    assert_eq!(copy["processing_history"][0]["action"], "customer.create");

    assert!(matches!(
        f.app.erase_customer(&agent, id, "PIPL 删除请求").await,
        Err(AppError::Forbidden(_))
    ));
    let erased = f
        .app
        .erase_customer(&sup, id, "PIPL 删除请求 #42")
        .await
        .unwrap();
    assert_eq!(erased.name, "(erased)");
    let after = f.app.get_customer(&sup, id).await.unwrap();
    assert!(after.identifiers.is_empty());
    assert!(
        after.customer.allergies_sealed.is_none() && after.customer.birth_date_sealed.is_none()
    );
    assert_eq!(
        after.consents.len(),
        1,
        "consent history holds no personal data and stays"
    );
    assert_eq!(
        f.app
            .search_customers(&agent, &by_phone("13800138000"))
            .await
            .unwrap()
            .total,
        0
    );
    assert!(matches!(
        f.app.erase_customer(&sup, id, "again").await,
        Err(AppError::Conflict { .. })
    ));
    // The record still counts for statistics, and the chain is intact.
    let all = CustomerSearch {
        include_inactive: true,
        limit: 50,
        ..Default::default()
    };
    assert_eq!(f.app.search_customers(&sup, &all).await.unwrap().total, 1);
    let v = f.app.verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, 3, "create, export, erase");
}

#[tokio::test]
async fn import_is_all_or_nothing_with_a_report() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    f.app.create_customer(&agent, zhang_wei()).await.unwrap();
    let csv = "姓名,手机,身份证号,标签,营销授权,授权文本版本\n\
               王建国,13905711234,330106196803150318,VIP;回头客,是,marketing-2026-01\n\
               李秀英,13606521188,110105194912310021,,,\n\
               ,13800138000,,,,\n\
               张伟,13800138000,,,,\n";
    let report = f
        .app
        .import_customers(&agent, csv.as_bytes(), None, false)
        .await
        .unwrap();
    assert_eq!(report.rows, 4);
    assert!(
        !report.committed,
        "a file with rejected rows imports nothing"
    );
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.field.as_str()))
        .collect();
    assert!(rejected.contains(&(3, "resident_id")), "{rejected:?}");
    assert!(rejected.contains(&(4, "name")), "{rejected:?}");
    for r in &report.rejected {
        assert!(!r.message.contains("1101051949"));
    }
    assert_eq!(
        report.possible_duplicates.len(),
        1,
        "{:?}",
        report.possible_duplicates
    );
    assert_eq!(
        report.possible_duplicates[0].row, 5,
        "row 5 shares 张伟's phone"
    );
    let all = CustomerSearch {
        limit: 50,
        ..Default::default()
    };
    assert_eq!(f.app.search_customers(&agent, &all).await.unwrap().total, 1);

    let good = "name,phone,resident_id,tags,marketing_consent,consent_text_version\n\
                王建国,13905711234,330106196803150318,VIP;回头客,yes,marketing-2026-01\n\
                刘芳,15013579246,,亲子,,\n";
    let dry = f
        .app
        .import_customers(&agent, good.as_bytes(), Some(Format::Csv), true)
        .await
        .unwrap();
    assert!(dry.rejected.is_empty() && !dry.committed && dry.valid_rows == 2);
    assert_eq!(f.app.search_customers(&agent, &all).await.unwrap().total, 1);
    let done = f
        .app
        .import_customers(&agent, good.as_bytes(), None, false)
        .await
        .unwrap();
    assert!(done.committed);
    assert_eq!(done.created.len(), 2);
    let found = f
        .app
        .search_customers(&agent, &by_phone("13905711234"))
        .await
        .unwrap();
    assert_eq!(found.items[0].customer.tags, ["VIP", "回头客"]);

    // The same rows from an XLSX file, read with calamine.
    let xlsx = tripdesk_sheets::write_xlsx(
        "customers",
        &["姓名", "手机"],
        &[vec!["孙悦".into(), "17712345678".into()]],
    )
    .unwrap();
    let r = f
        .app
        .import_customers(&agent, &xlsx, None, false)
        .await
        .unwrap();
    assert!(r.committed && r.format == "xlsx");

    let unknown = f
        .app
        .import_customers(&agent, "name,shoe_size\nx,42\n".as_bytes(), None, true)
        .await;
    assert!(matches!(unknown, Err(AppError::Validation(ref v)) if v[0].code == "unknown_column"));

    // Exports are masked unless revealed with a reason by someone allowed to.
    let masked = f
        .app
        .export_customers(&agent, &all, Format::Csv, None)
        .await
        .unwrap();
    let text = String::from_utf8(masked).unwrap();
    assert!(
        text.contains("139****1234") && !text.contains("13905711234"),
        "{text}"
    );
    assert!(text.contains("王**"));
    assert!(matches!(
        f.app
            .export_customers(&agent, &all, Format::Csv, Some("audit"))
            .await,
        Err(AppError::Forbidden(_))
    ));
    let sup = principal("zhao.min", Role::Supervisor);
    let plain = f
        .app
        .export_customers(&sup, &all, Format::Xlsx, Some("年度核对"))
        .await
        .unwrap();
    let table = tripdesk_sheets::read_table(&plain, Format::Xlsx, 100).unwrap();
    assert!(table
        .rows
        .iter()
        .any(|r| r.contains(&"+8613905711234".to_string())));
    let exports = f
        .app
        .list_audit(
            &sup,
            &AuditFilter {
                action: Some("customer.export_list".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(exports.total, 2);
}

#[tokio::test]
async fn key_rotation_reseals_everything_and_old_data_stays_readable() {
    let f = fixture().await;
    let agent = principal("li.na", Role::Agent);
    let sup = principal("zhao.min", Role::Supervisor);
    let mut ids = Vec::new();
    for (i, phone) in ["13905711234", "15013579246", "18621345678"]
        .iter()
        .enumerate()
    {
        let mut c = zhang_wei();
        c.name = format!("客户{i}");
        c.phones = vec![Labeled::new("phone", *phone)];
        c.documents.clear();
        c.birth_date = Some("1990-01-0{}".replace("{}", &(i + 1).to_string()));
        ids.push(
            f.app
                .create_customer(&agent, c)
                .await
                .unwrap()
                .detail
                .customer
                .id,
        );
    }
    let mut rotated = KeyRing::from_toml(f.keys.to_toml().expose_secret()).unwrap();
    let new_kid = rotated.add_key_and_activate();
    assert_eq!(new_kid, "k2");
    let app = f.app.clone().with_vault(Arc::new(rotated));
    app.check_vault_keys().await.unwrap();
    let mut batches = 0;
    let report = app.reseal_all(2, |_| batches += 1).await.unwrap();
    assert_eq!(report.identifiers, 3);
    assert_eq!(report.customers, 3);
    assert!(batches >= 3, "batches of 2");
    let again = app.reseal_all(2, |_| {}).await.unwrap();
    assert_eq!(
        again.identifiers + again.customers,
        0,
        "nothing left: resumable"
    );
    let d = app.get_customer(&sup, ids[1]).await.unwrap();
    assert!(d.identifiers[0].sealed.starts_with("v1.k2."));
    assert!(d
        .customer
        .birth_date_sealed
        .as_deref()
        .unwrap()
        .starts_with("v1.k2."));
    let v = app
        .reveal_customer_field(&sup, ids[1], "phone", None, "轮换后核对")
        .await
        .unwrap();
    assert_eq!(v.value.expose_secret(), "+8615013579246");
    // Search still works: the index key is not rotated.
    assert_eq!(
        app.search_customers(&agent, &by_phone("15013579246"))
            .await
            .unwrap()
            .total,
        1
    );
    // The old ring alone can no longer open the values.
    assert!(matches!(
        f.app.check_vault_keys().await,
        Err(AppError::Unavailable(_))
    ));
    // A ring from another installation is refused at start-up.
    let stranger = f.app.clone().with_vault(Arc::new(KeyRing::generate()));
    assert!(stranger.check_vault_keys().await.is_err());
}

#[tokio::test]
async fn identity_writes_and_logins_are_audited() {
    let f = fixture().await;
    f.app.seed_demo_organisation().await.unwrap();
    f.app
        .login("li.na", "tripdesk-demo", Some("10.0.0.9"))
        .await
        .unwrap();
    assert!(f.app.login("li.na", "wrong password", None).await.is_err());
    assert!(f
        .app
        .login("hunter2-typed-as-name", "x", None)
        .await
        .is_err());
    let sup = principal("zhao.min", Role::Supervisor);
    let count = |action: &str| {
        let app = f.app.clone();
        let sup = sup.clone();
        let action = action.to_string();
        async move {
            app.list_audit(
                &sup,
                &AuditFilter {
                    action: Some(action),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(count("department.create").await.total, 8);
    assert_eq!(count("user.create").await.total, 13);
    assert_eq!(count("customer.create").await.total, 10);
    assert_eq!(count("auth.login").await.total, 1);
    let failed = count("auth.login_failed").await;
    assert_eq!(failed.total, 2);
    assert!(failed.entries.iter().any(|e| e.actor_name == "li.na"));
    assert!(
        failed
            .entries
            .iter()
            .all(|e| !e.summary.contains("hunter2") && e.actor_name != "hunter2-typed-as-name"),
        "an unknown username is not recorded"
    );
    assert!(f.app.verify_audit().await.unwrap().is_ok());
    // The demo customers include a duplicate pair (李秀英 entered twice).
    let page = f
        .app
        .search_customers(
            &sup,
            &CustomerSearch {
                name: Some("李秀英".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        f.app
            .customer_duplicates(&sup, page.items[0].customer.id)
            .await
            .unwrap()
            .len(),
        1
    );
}
