//! tripdesk's HTTP face. [`router`] assembles the JSON API (`api`), the web UI (`ui`) and the
//! middleware around both: request ids, structured request logs, metrics, timeouts, body
//! limits and security headers.

// Rejections and early returns in axum are whole `Response`s by design.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod chat_hub;
pub mod extract;
pub mod i18n;
pub mod problem;
pub mod redirect;
mod retry;
pub mod ui;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;
use tripdesk_app::App;

/// HTTP settings from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// The address customers reach this server at (e.g. `https://desk.example.com`), used in
    /// the links emailed to them. Unset: the `Host` of the staff request that makes the link.
    pub public_url: Option<String>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry
    /// (the one the proxy appended) for throttling sign-ins and the public form.
    pub trust_forwarded_for: bool,
    /// Other sites of the agency that embed the web chat widget (scheme and host, e.g.
    /// `https://www.example.com`): they may open chats and their sockets.
    pub chat_origins: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            cookie_secure: false,
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            public_url: None,
            trust_forwarded_for: false,
            chat_origins: Vec::new(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The organisation's zone, in which times are shown.
    pub tz: jiff::tz::TimeZone,
    pub org_name: Arc<str>,
    pub config: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
    /// The flashes of post/redirect/get waiting for their page (`ui::flash`).
    pub flashes: ui::flash::Flashes,
    openapi: Arc<String>,
    /// The chat signal routed to the sockets that follow each chat (`chat_hub`).
    pub chat_hub: chat_hub::ChatHub,
}

impl AppState {
    /// Renders `doc` to PDF: the application's one renderer ([`App::render_pdf`]), which the
    /// scheduled e-mails print with too.
    pub async fn render_pdf(
        &self,
        doc: tripdesk_pdf::Document,
    ) -> Result<Vec<u8>, tripdesk_app::AppError> {
        self.app.render_pdf(doc).await
    }
}

/// The process-wide Prometheus recorder (installed once; later calls share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .expect("static buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed (then metrics go there instead).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    /// Builds the state, reading the organisation's name and zone from the store.
    pub async fn new(app: App, config: WebConfig) -> Result<Self, tripdesk_app::AppError> {
        let org = app.store.read().await?.get_organization().await?;
        let (name, zone) = match org {
            Some(o) => (o.name, o.timezone),
            None => ("tripdesk".to_string(), "Asia/Shanghai".to_string()),
        };
        let tz = jiff::tz::TimeZone::get(&zone).unwrap_or_else(|_| {
            tracing::warn!(zone = %zone, "unknown organisation time zone; using Asia/Shanghai");
            jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)
        });
        let (_, doc) = api::router();
        let openapi = doc
            .to_pretty_json()
            .map_err(|e| tripdesk_app::AppError::Internal(e.to_string()))?;
        Ok(Self {
            tz,
            org_name: name.into(),
            config: Arc::new(config),
            metrics: metrics_handle(),
            flashes: Default::default(),
            openapi: Arc::new(openapi),
            chat_hub: chat_hub::ChatHub::spawn(&app.store.signals()),
            app,
        })
    }
}

/// The `Set-Cookie` value for the session token (`max_age_secs` 0 deletes it).
pub fn session_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        extract::SESSION_COOKIE,
        if state.config.cookie_secure {
            "; Secure"
        } else {
            ""
        }
    )
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router();
    let body_limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    let forwarded = state.config.trust_forwarded_for;
    let router = Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(api)
        .merge(ui::routes())
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(body_limit))
        // Inside the timeout, which bounds every attempt together.
        .layer(middleware::from_fn_with_state(
            body_limit,
            retry::retry_on_contention,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_cross_origin_forms,
        ))
        .layer(middleware::from_fn(observe));
    if forwarded {
        router
            .layer(middleware::from_fn(forwarded_for))
            .with_state(state)
    } else {
        router.with_state(state)
    }
}

/// The pages' Content-Security-Policy: scripts, styles, images, connections (htmx, the
/// bell's event stream) and form targets from this server only; no inline script or style
/// (the templates have none; htmx's own indicator `<style>` and `eval` are switched off by its
/// `htmx-config` meta tag), no plugins, no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// Whether a browser says this request comes from another site: `Sec-Fetch-Site` other than
/// `same-origin` or `none` (typed or bookmarked), or — from browsers without it — an `Origin`
/// whose host is not this server's (the `public_url`'s host when set, else the request's
/// `Host`). Requests with neither header (not from a browser) are not cross-origin.
pub fn is_cross_origin(headers: &axum::http::HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.to_ascii_lowercase())
    else {
        return true; // `Origin: null` (sandboxed frames, data: URLs) and anything malformed
    };
    let host_of = |url: &str| {
        url.split_once("://").map(|(_, rest)| {
            rest.split('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
    };
    let expected = public_url.and_then(host_of).or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase)
    });
    expected.is_none_or(|host| host != origin_host)
}

/// Refuses a form post (any write outside `/api/`) that a browser says comes from another
/// site: sign-in CSRF (signing a victim into the attacker's account) on `POST /login`, and a
/// second wall behind the CSRF token of every signed-in form. The JSON API needs no such
/// check: another site cannot send it JSON or the `X-CSRF-Token` header without CORS, which
/// tripdesk does not grant.
async fn refuse_cross_origin_forms(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if extract::is_write(req.method())
        && !req.uri().path().starts_with("/api/")
        && is_cross_origin(req.headers(), state.config.public_url.as_deref())
        && !(req.uri().path() == "/chat/start" && ui::chat_origin(&state, req.headers()).is_some())
    {
        return problem::ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "a form of another site may not post here",
        )
        .with_field(
            "origin",
            "cross_origin",
            "the request comes from another site (Origin / Sec-Fetch-Site)",
        )
        .into_response();
    }
    next.run(req).await
}

/// With `trust_forwarded_for`: the client address is the last `X-Forwarded-For` entry, which
/// the trusted proxy appended (earlier entries are whatever the client sent).
async fn forwarded_for(mut req: Request, next: Next) -> Response {
    let last = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok());
    if let Some(ip) = last {
        let port = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(0, |c| c.0.port());
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip, port,
            )));
    }
    next.run(req).await
}

async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_owned(),
    )
}

async fn fallback(req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.uri.path().starts_with("/api/") {
        problem::ApiError::not_found("route").into_response()
    } else {
        ui::not_found_page(&parts.headers)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id (or keeps a sane one sent by a proxy), logs it with its outcome,
/// counts it in the metrics, and makes the id available to error bodies.
async fn observe(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let is_api = req.uri().path().starts_with("/api/");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    // The path is logged without its query string: queries may carry personal data.
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    let started = Instant::now();
    let mut res = problem::REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let status = res.status();
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                ms = elapsed.as_millis() as u64,
                "request failed"
            );
        } else {
            tracing::info!(
                status = status.as_u16(),
                ms = elapsed.as_millis() as u64,
                "request"
            );
        }
    });
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("tripdesk_http_requests_total", &labels).increment(1);
    metrics::histogram!("tripdesk_http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    // axum answers a known path with an unknown method with a bare 405 (and `Allow`); under
    // /api/ every error is a problem.
    if status == StatusCode::METHOD_NOT_ALLOWED
        && is_api
        && res.headers().get(header::CONTENT_TYPE).is_none()
    {
        let mut problem = problem::REQUEST_ID.sync_scope(id.clone(), || {
            problem::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed here",
            )
            .into_response()
        });
        // Keep `Allow`, the request id and the security headers.
        for (name, value) in res.headers() {
            if name != header::CONTENT_LENGTH && !problem.headers().contains_key(name) {
                problem.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return problem;
    }
    // A body over the limit is refused by whichever extractor reads it (JSON, bytes of an
    // attachment, a form) with axum's plain-text 413; every route answers the same problem.
    if status == StatusCode::PAYLOAD_TOO_LARGE
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| v.as_bytes() != b"application/problem+json")
    {
        let mut problem =
            problem::REQUEST_ID.sync_scope(id, || problem::payload_too_large().into_response());
        // Keep the request id and the security headers.
        for (name, value) in res.headers() {
            if name != header::CONTENT_LENGTH && !problem.headers().contains_key(name) {
                problem.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return problem;
    }
    if status == StatusCode::REQUEST_TIMEOUT && res.headers().get(header::CONTENT_TYPE).is_none() {
        return problem::REQUEST_ID.sync_scope(id, || {
            problem::ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long",
            )
            .into_response()
        });
    }
    res
}
