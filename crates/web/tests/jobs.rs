//! The job substrate through the API and the admin page: a failing job retries with
//! backoff, turns dead, is listed as dead, and an administrator's retry
//! (`POST /api/v1/jobs/{id}/retry`, audited) makes it run again — once.

mod common;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use common::*;
use jiff::SignedDuration;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use tripdesk_app::jobs::{drain, JobHandler, JobRegistry};
use tripdesk_app::{App, AppError, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::jobs::Backoff;
use tripdesk_store::{AuditFilter, Tx};

/// Writes a department (its effect, in the job's transaction) unless `broken`.
struct AddDepartment {
    broken: Arc<AtomicBool>,
    runs: Arc<AtomicU32>,
}

#[async_trait]
impl JobHandler for AddDepartment {
    const KIND: &'static str = "test.add_department";
    const MAX_ATTEMPTS: i64 = 2;
    type Payload = String;

    async fn run(&self, app: &App, tx: &mut dyn Tx, code: String) -> Result<(), AppError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.broken.load(Ordering::SeqCst) {
            return Err(AppError::Unavailable(
                "the partner system did not answer".into(),
            ));
        }
        let now = app.now();
        tx.insert_department(&tripdesk_store::Department {
            id: uuid::Uuid::now_v7(),
            code: code.clone(),
            name_zh: code.clone(),
            name_en: code,
            business_unit_id: None,
            created_at: now,
            updated_at: now,
        })
        .await?;
        Ok(())
    }
}

#[tokio::test]
async fn a_dead_job_is_listed_and_an_admin_retry_runs_it_again() {
    let t0: jiff::Timestamp = "2026-12-02T04:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let h = harness_with_clock(clock.clone()).await;
    let app = App::new(h.store.store.clone(), clock.clone(), AppSettings::default());
    let broken = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicU32::new(0));
    let registry = JobRegistry::new()
        .register(AddDepartment {
            broken: broken.clone(),
            runs: runs.clone(),
        })
        .with_backoff(Backoff {
            base: SignedDuration::from_secs(30),
            cap: SignedDuration::from_secs(30),
        });
    let mut tx = h.store.store.write().await.unwrap();
    app.enqueue_job::<AddDepartment>(&mut *tx, &"jobs_dept".to_string(), t0, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // First attempt fails: due again after the backoff.
    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    let admin = h.token("admin").await;
    let r = h.get("/api/v1/jobs?state=due", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = &r.body["items"][0];
    assert_eq!(job["kind"], "test.add_department");
    assert_eq!(job["attempts"], 1);
    assert_eq!(job["last_error"], "the partner system did not answer");
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(
        drain(&app, &registry).await.unwrap(),
        0,
        "not before the backoff"
    );

    // The second and last attempt fails: dead.
    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    let r = h.get("/api/v1/jobs?state=dead", &admin).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], id.as_str());
    assert_eq!(r.body["items"][0]["state"], "dead");
    assert_eq!(r.body["more"], false);
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    // Paged like other lists.
    let r = h.get("/api/v1/jobs?limit=0", &admin).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    let r = h.get("/api/v1/jobs?state=lost", &admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);

    // Only administrators see and retry jobs.
    let agent = h.token("li.na").await;
    let r = h.get("/api/v1/jobs", &agent).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let retry = format!("/api/v1/jobs/{id}/retry");
    let r = h.api(Method::POST, &retry, &agent, json!({})).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

    broken.store(false, Ordering::SeqCst);
    let r = h.api(Method::POST, &retry, &admin, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "due");
    assert_eq!(r.body["attempts"], 0);
    // Twice: it is no longer dead.
    let r = h.api(Method::POST, &retry, &admin, json!({})).await;
    assert_problem(&r, StatusCode::CONFLICT, "job_not_dead");

    assert_eq!(drain(&app, &registry).await.unwrap(), 1);
    assert_eq!(drain(&app, &registry).await.unwrap(), 0);
    let r = h.get("/api/v1/jobs?state=succeeded", &admin).await;
    assert_eq!(r.body["items"][0]["id"], id.as_str(), "{}", r.text);
    let depts = h.get("/api/v1/departments", &admin).await;
    let made = depts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "jobs_dept")
        .count();
    assert_eq!(made, 1, "the effect committed once");

    // The retry is in the audit chain.
    let mut tx = h.store.store.read().await.unwrap();
    let audit = tx
        .list_audit(&AuditFilter {
            action: Some("job.retry".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entity_id.as_deref(), Some(id.as_str()));
    assert_eq!(audit[0].actor_name, "admin");
}

#[tokio::test]
async fn the_jobs_page_lists_dead_jobs_with_a_retry_button_in_chinese() {
    let t0: jiff::Timestamp = "2026-12-02T04:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let h = harness_with_clock(clock.clone()).await;
    let app = App::new(h.store.store.clone(), clock.clone(), AppSettings::default());
    let registry = JobRegistry::new().register(AddDepartment {
        broken: Arc::new(AtomicBool::new(true)),
        runs: Arc::new(AtomicU32::new(0)),
    });
    let mut tx = h.store.store.write().await.unwrap();
    app.enqueue_job::<AddDepartment>(&mut *tx, &"page_dept".to_string(), t0, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    drain(&app, &registry).await.unwrap();
    clock.advance(SignedDuration::from_hours(2));
    drain(&app, &registry).await.unwrap();

    let page = h.ui_get("/admin/jobs?state=dead", "admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("后台任务"), "{}", page.text);
    assert!(page.text.contains("test.add_department"));
    assert!(page.text.contains("重新执行"));
    assert!(page.text.contains("name=\"_csrf\""));

    let denied = h.ui_get("/admin/jobs", "li.na").await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // The button posts the form with the session's CSRF token; the job is due again.
    let (cookie, csrf) = h.session("admin").await;
    let id = page
        .text
        .split("action=\"/admin/jobs/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = h
        .call(
            Method::POST,
            &format!("/admin/jobs/{id}/retry"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("_csrf={csrf}&back=%2Fadmin%2Fjobs%3Fstate%3Ddead")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/admin/jobs?state=dead");
    let due = h.ui_get("/admin/jobs?state=due", "admin").await;
    assert!(due.text.contains("test.add_department"));
    // Without the token: refused.
    let r = h
        .call(
            Method::POST,
            &format!("/admin/jobs/{id}/retry"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some("back=%2Fadmin%2Fjobs".into()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}
