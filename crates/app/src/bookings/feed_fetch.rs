//! Fetching an OTA's calendar feed over HTTP(S) for a subscription (issue 14 item 7): a GET
//! with a time limit on the whole exchange, a size limit on the body, and redirects only as
//! `tripdesk_domain::bookings::ical_sync::redirect_allowed` says (http(s) only, never down
//! from https, at most five). A failure is a [`FetchError`] with a stable code the pages
//! translate and a detail for administrators — never the body's content.

use crate::AppError;
use std::time::Duration;
use tripdesk_domain::bookings::ical_sync::redirect_allowed;

/// How long and how much a fetch may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// From connecting to the last byte of the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The largest body read. A year of nightly Airbnb reservations is well under 100 KB.
    pub max_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Why a feed could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// `fetch.timeout`, `fetch.connect`, `fetch.redirect`, `fetch.status`, `fetch.too_large`,
    /// `fetch.encoding` or `fetch.failed` (see [`FETCH_ERROR_CODES`]).
    pub code: &'static str,
    /// For administrators, in English: the HTTP status, the limit passed.
    pub detail: String,
}

/// Every code a fetch fails with (the pages have a sentence for each).
pub const FETCH_ERROR_CODES: [&str; 7] = [
    "fetch.timeout",
    "fetch.connect",
    "fetch.redirect",
    "fetch.status",
    "fetch.too_large",
    "fetch.encoding",
    "fetch.failed",
];

impl FetchError {
    fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// The HTTP client of feed subscriptions (one per process; it pools connections).
#[derive(Clone)]
pub struct FeedFetcher {
    client: reqwest::Client,
    limits: FetchLimits,
}

impl FeedFetcher {
    pub fn new(limits: FetchLimits) -> Result<Self, AppError> {
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let next = attempt.url().scheme().to_string();
            let allowed = {
                let schemes: Vec<&str> = attempt.previous().iter().map(|u| u.scheme()).collect();
                redirect_allowed(&schemes, &next)
            };
            if allowed {
                attempt.follow()
            } else {
                attempt.error(RedirectRefused)
            }
        });
        let client = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(limits.connect_timeout)
            .redirect(policy)
            .user_agent(concat!("tripdesk-ical/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AppError::Internal(format!("the feed HTTP client: {e}")))?;
        Ok(Self { client, limits })
    }

    /// GETs `url` and returns its body as text.
    pub async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                FetchError::new(
                    "fetch.timeout",
                    format!(
                        "no complete answer within {} s",
                        self.limits.timeout.as_secs()
                    ),
                )
            } else if e.is_redirect() {
                FetchError::new(
                    "fetch.redirect",
                    "redirected to a non-HTTP address, from https to http, or more than 5 times",
                )
            } else if e.is_connect() {
                FetchError::new("fetch.connect", "could not connect to the server")
            } else {
                FetchError::new("fetch.failed", "the request failed")
            }
        };
        let mut response = self
            .client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "text/calendar, text/plain;q=0.5, */*;q=0.1",
            )
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::new(
                "fetch.status",
                format!("HTTP {}", status.as_u16()),
            ));
        }
        let max = self.limits.max_bytes;
        let too_large = || FetchError::new("fetch.too_large", format!("more than {max} bytes"));
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body)
            .map_err(|_| FetchError::new("fetch.encoding", "the body is not UTF-8 text"))
    }
}

/// The redirect policy's refusal (reported as `fetch.redirect`).
#[derive(Debug)]
struct RedirectRefused;

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("redirect refused")
    }
}

impl std::error::Error for RedirectRefused {}
