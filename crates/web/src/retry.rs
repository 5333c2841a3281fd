//! Serving a request again when the database rolled it back to resolve a conflict.
//!
//! PostgreSQL breaks a deadlock, or refuses a serialization anomaly, by aborting one of the
//! transactions involved (SQLSTATE 40P01, 40001). Every use case is one write transaction —
//! its change, audit entry and outbox messages commit together — so an attempt that met such
//! an abort and committed nothing left no trace, and serving the whole request again (the
//! permission check, the reads, the decision) is the correct answer, not an error.
//! `tripdesk_store::attempt` reports, for each attempt, whether the store met contention and
//! how many write transactions committed; this middleware replays the request (the body is
//! kept: it is within the body limit) while an attempt answered 5xx, met contention and
//! committed nothing, at most `MAX_ATTEMPTS` times with jittered back-off. When that keeps
//! failing, the last answer stands: 503 with `Retry-After` (`problem.rs`). The lock order
//! (`docs/ARCHITECTURE.md`) keeps this rare; this is the safety net, for every route at once.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tripdesk_store::attempt::{self, MAX_ATTEMPTS};

pub(crate) async fn retry_on_contention(
    State(body_limit): State<usize>,
    req: Request,
    next: Next,
) -> Response {
    // A body of unknown length (chunked) or over the limit is not kept: such a request is
    // served once (over the limit, the extractors refuse it with 413 anyway).
    let kept = req
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= body_limit as u64);
    if !kept {
        return attempt::run(next.run(req)).await.0;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return crate::problem::ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            )
            .into_response()
        }
    };
    let mut retry = 0;
    loop {
        let req = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        let (res, outcome) = attempt::run(next.clone().run(req)).await;
        if !(outcome.may_retry() && res.status().is_server_error()) {
            return res;
        }
        retry += 1;
        if retry >= MAX_ATTEMPTS {
            tracing::warn!(
                attempts = retry,
                "the database kept rolling this request back for contention; giving up"
            );
            return res;
        }
        metrics::counter!("tripdesk_contention_retries_total").increment(1);
        tracing::info!(
            retry,
            "the database rolled the request back for contention; serving it again"
        );
        tokio::time::sleep(attempt::backoff(retry, rand::random::<f64>())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::Router;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;

    /// A route whose handler fails like a use case rolled back by the database for its
    /// first `failures` calls (optionally after committing something), recording each body.
    fn app(failures: u32, commit_first: bool, seen: Arc<std::sync::Mutex<Vec<String>>>) -> Router {
        let calls = Arc::new(AtomicU32::new(0));
        Router::new()
            .route(
                "/t",
                post(move |body: String| {
                    let (calls, seen) = (calls.clone(), seen.clone());
                    async move {
                        seen.lock().unwrap().push(body);
                        if calls.fetch_add(1, Ordering::SeqCst) < failures {
                            if commit_first {
                                attempt::note_commit();
                            }
                            attempt::note_contention();
                            return StatusCode::SERVICE_UNAVAILABLE;
                        }
                        StatusCode::CREATED
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                1024usize,
                retry_on_contention,
            ))
    }

    async fn send(app: Router, body: &'static str) -> StatusCode {
        let req = Request::post("/t")
            .header("content-length", body.len())
            .body(Body::from(body))
            .unwrap();
        app.oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_request_rolled_back_for_contention_is_served_again_with_its_body() {
        let seen = Arc::default();
        assert_eq!(
            send(app(2, false, Arc::clone(&seen)), "工单").await,
            StatusCode::CREATED
        );
        assert_eq!(*seen.lock().unwrap(), ["工单", "工单", "工单"]);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let seen = Arc::default();
        let status = send(app(100, false, Arc::clone(&seen)), "x").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(seen.lock().unwrap().len(), MAX_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn an_attempt_that_committed_is_never_repeated() {
        let seen = Arc::default();
        let status = send(app(1, true, Arc::clone(&seen)), "x").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_server_error_without_contention_is_not_repeated() {
        let seen: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let calls = Arc::clone(&seen);
        let app = Router::new()
            .route(
                "/t",
                post(move |body: String| {
                    let calls = calls.clone();
                    async move {
                        calls.lock().unwrap().push(body);
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                1024usize,
                retry_on_contention,
            ));
        assert_eq!(send(app, "x").await, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
