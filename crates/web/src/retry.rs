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
