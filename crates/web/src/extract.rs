//! Extractors that turn every malformed request into a problem+json answer naming the field:
//! JSON bodies (unknown fields refused), path and query parameters, and the acting principal.

use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use tripdesk_app::auth::Credential;
use tripdesk_app::Principal;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tripdesk_session";
/// Header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Reads the value of cookie `name` from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The name quoted in a serde message such as "unknown field `foo`, expected …".
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Turns a serde error at `path` into a field-level problem.
fn deserialize_problem(path: &str, message: &str, status: StatusCode) -> ApiError {
    let (field, code) = if message.starts_with("unknown field") {
        // serde_path_to_error already ends the path with the unknown field.
        let name = quoted_name(message).unwrap_or("?");
        let ends_with_name = path == name || path.ends_with(&format!(".{name}"));
        (
            if ends_with_name {
                path.to_string()
            } else {
                join(path, name)
            },
            "unknown_field",
        )
    } else if message.starts_with("missing field") {
        (join(path, quoted_name(message).unwrap_or("?")), "required")
    } else {
        (
            if path.is_empty() || path == "." {
                "body".to_string()
            } else {
                path.to_string()
            },
            "invalid",
        )
    };
    // serde quotes the submitted value in "invalid type: integer `13800138000`, expected …";
    // it may be personal data, so the quoted value is dropped, and the rest cut short.
    let message = redact_value(message);
    let message: String = message.chars().take(200).collect();
    ApiError::new(
        status,
        "validation_failed",
        "the request has invalid fields",
    )
    .with_field(&field, code, message)
}

/// `invalid type: integer `13800138000`, expected a string` → `invalid type: integer, expected a string`.
fn redact_value(message: &str) -> String {
    if !(message.starts_with("invalid type") || message.starts_with("invalid value")) {
        return message.to_string();
    }
    match (message.find(" `"), message.find("`, ")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &message[..start], &message[end + 1..])
        }
        _ => message.to_string(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

const NUL_MESSAGE: &str = "text must not contain the NUL character (U+0000)";

/// The path (`a.b[0]`) of the first string or key holding U+0000 in a well-formed JSON body.
/// No text the API stores may hold it (PostgreSQL refuses it), so it is refused up front, the
/// same on every database.
fn nul_in_json(bytes: &[u8]) -> Option<String> {
    fn find(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_string()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| find(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                let here = join(path, k);
                if k.contains('\0') {
                    Some(here)
                } else {
                    find(item, &here)
                }
            }),
            _ => None,
        }
    }
    // The escape is the only way to put U+0000 in JSON text; skip the parse without it.
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find(&value, "").map(|p| if p.is_empty() { "body".into() } else { p })
}

/// A JSON body. Needs `Content-Type: application/json`; syntax errors and data after the
/// value answer 400, shape errors
/// 422 with the field, unknown fields 422 `unknown_field`, oversized bodies 413. Text holding
/// U+0000 answers 422 (no database column may hold it).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(req.headers())?;
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// 415 unless the request says its body is JSON (`application/json` or `application/…+json`).
pub(crate) fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON (Content-Type: application/json)",
        ))
    }
}

/// The request's body, within the body limit (413 beyond it).
pub(crate) async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::problem::payload_too_large()
        } else {
            ApiError::bad_request("body", "the request body could not be read")
        }
    })
}

/// A JSON body read as `ApiJson` reads it: syntax errors and data after the value 400, shape
/// errors 422 naming the field, unknown fields 422 `unknown_field`, U+0000 in text 422.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = nul_in_json(bytes) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "the request has invalid fields",
        )
        .with_field(&field, "invalid", NUL_MESSAGE));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut *de) {
        // One JSON value and only whitespace after it: `{"a":1}{"a":2}` is not a body.
        Ok(value) => match de.end() {
            Ok(()) => Ok(value),
            Err(_) => Err(ApiError::bad_request(
                "body",
                "the body must be exactly one JSON value (there is data after it)",
            )),
        },
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            // serde_json reports a well-formed value of the wrong JSON type for an enum
            // (e.g. `"roles": [0]`, `"locale": {}`) as a syntax error; only a body that is
            // not JSON at all is malformed, the rest is a field at fault.
            let malformed = (inner.is_syntax() || inner.is_eof())
                && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err();
            if malformed {
                Err(ApiError::bad_request(
                    "body",
                    format!("the body is not valid JSON: {inner}"),
                ))
            } else if inner.is_syntax() {
                let inner = inner.to_string();
                let message = if inner.contains("surrogate") {
                    &inner
                } else {
                    "invalid type: expected one of the documented values"
                };
                Err(deserialize_problem(
                    &path,
                    message,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ))
            } else {
                Err(deserialize_problem(
                    &path,
                    &inner.to_string(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ))
            }
        }
    }
}

/// Path parameters; a malformed one (e.g. not a UUID) answers 404, since no resource has it.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(ApiError::not_found("resource")),
        }
    }
}

/// Query parameters; errors answer 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((name, value)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            // A NUL in a parameter's name makes the query malformed (400); in a value it is
            // text no field may hold — refused as a JSON body's is (422), naming the field.
            let (status, code, title) = if name.contains('\0') {
                (
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    "a query parameter is invalid",
                )
            } else {
                debug_assert!(value.contains('\0'));
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "the request has invalid fields",
                )
            };
            return Err(ApiError::new(status, code, title).with_field(
                &name,
                "invalid",
                NUL_MESSAGE,
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let mut p = deserialize_problem(
                    &path,
                    &err.into_inner().to_string(),
                    StatusCode::BAD_REQUEST,
                );
                p = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    "a query parameter is invalid",
                )
                .with_field(
                    &p.fields()[0].field,
                    &p.fields()[0].code,
                    p.fields()[0].message.clone(),
                );
                p
            })
    }
}

/// The authenticated principal of an API request: `Authorization: Bearer <token>` (a login
/// token or an API token), or the session cookie — in which case writes must also carry the
/// session's CSRF token in `X-CSRF-Token`.
pub struct Auth(pub Principal);

/// Finds the token of a request and whether it came from the cookie.
pub fn request_token(parts: &Parts) -> Option<(String, bool)> {
    if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (token.trim().to_string(), false));
    }
    cookie(&parts.headers, SESSION_COOKIE).map(|t| (t.to_string(), true))
}

/// Whether the method changes state (and so needs CSRF protection over a cookie).
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some((token, from_cookie)) = request_token(parts) else {
            return Err(tripdesk_app::AppError::Unauthenticated(
                "sign in, or send Authorization: Bearer <token>",
            )
            .into());
        };
        let principal = state.app.authenticate(&token).await?;
        if from_cookie && is_write(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            check_csrf(&principal, sent)?;
        }
        Ok(Auth(principal))
    }
}

/// The CSRF check for cookie-authenticated writes, one place for the API (header) and the UI
/// (hidden `_csrf` form field).
pub fn check_csrf(principal: &Principal, sent: Option<&str>) -> Result<(), ApiError> {
    match (&principal.credential, sent) {
        (Credential::Session { csrf_token, .. }, Some(sent))
            if constant_time_eq(csrf_token, sent) =>
        {
            Ok(())
        }
        _ => Err(
            ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong CSRF token").with_field(
                CSRF_HEADER,
                "csrf",
                "cookie-authenticated writes need the X-CSRF-Token header",
            ),
        ),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The client's address, when the server knows it.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|ci| ci.0.ip().to_string()),
        ))
    }
}

/// A JSON body ([`ApiJson`]) with the request's `Idempotency-Key`, when one was sent: the key
/// (its shape checked: 422 naming the header) and a digest of the method, path and body bytes.
/// Create endpoints take this instead of [`ApiJson`] and pass the request to their use case's
/// `*_once` form (see `tripdesk_app::idempotency`).
pub struct IdempotentJson<T> {
    pub body: T,
    pub request: Option<tripdesk_app::idempotency::IdempotentRequest>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for IdempotentJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use tripdesk_app::idempotency::{IdempotentRequest, HEADER};
        let (parts, body) = req.into_parts();
        let Some(key) = parts.headers.get(HEADER).cloned() else {
            let ApiJson(body) =
                ApiJson::from_request(Request::from_parts(parts, body), state).await?;
            return Ok(Self {
                body,
                request: None,
            });
        };
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |u| u.0.path().to_string());
        let method = parts.method.clone();
        let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    crate::problem::payload_too_large()
                } else {
                    ApiError::bad_request("body", "the request body could not be read")
                }
            })?;
        let request = IdempotentRequest::new(key.as_bytes(), method.as_str(), &path, &bytes)?;
        // The body read once, checked and parsed as every JSON body is.
        let mut again = Request::new(axum::body::Body::from(bytes));
        if let Some(ct) = content_type {
            again.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        let ApiJson(body) = ApiJson::from_request(again, state).await?;
        Ok(Self {
            body,
            request: Some(request),
        })
    }
}

/// The response an idempotent create keeps for its replays: `status` and `view` as JSON.
pub fn kept_json<V: serde::Serialize>(
    status: StatusCode,
    view: &V,
) -> tripdesk_app::idempotency::KeptResponse {
    tripdesk_app::idempotency::KeptResponse {
        status: status.as_u16(),
        // A view that cannot serialise is a bug the first answer already shows.
        body: serde_json::to_string(view).unwrap_or_default(),
    }
}

/// A kept response answered again: same status and body, marked `Idempotent-Replayed: true`.
pub fn replayed(kept: tripdesk_app::idempotency::KeptResponse) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::HeaderName::from_static("idempotent-replayed"),
                "true",
            ),
        ],
        kept.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names() {
        assert_eq!(
            quoted_name("unknown field `foo`, expected `a`"),
            Some("foo")
        );
        assert_eq!(quoted_name("missing field `username`"), Some("username"));
        assert_eq!(quoted_name("nothing"), None);
    }

    #[test]
    fn submitted_values_are_not_echoed() {
        assert_eq!(
            redact_value("invalid type: integer `13800138000`, expected a string"),
            "invalid type: integer, expected a string"
        );
        assert_eq!(
            redact_value("unknown field `foo`, expected `a`"),
            "unknown field `foo`, expected `a`"
        );
    }

    #[test]
    fn csrf_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Colour {
        Red,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Paint {
        colours: Vec<Colour>,
    }

    async fn json_rejection(body: &'static str) -> ApiError {
        let req = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        match ApiJson::<Paint>::from_request(req, &()).await {
            Ok(ApiJson(v)) => panic!("accepted {v:?}"),
            Err(e) => e,
        }
    }

    #[tokio::test]
    async fn wrong_json_type_for_an_enum_is_a_field_error_not_malformed_json() {
        for body in [
            r#"{"colours":[0]}"#,
            r#"{"colours":[{}]}"#,
            r#"{"colours":[null]}"#,
        ] {
            let e = json_rejection(body).await;
            assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(e.fields()[0].field, "colours[0]", "{body}");
            assert_eq!(e.fields()[0].code, "invalid", "{body}");
        }
        let e = json_rejection(r#"{"colours":[0"#).await;
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.fields()[0].field, "body");
    }

    #[test]
    fn nul_characters_are_found_with_their_path() {
        assert_eq!(nul_in_json(br#"{"a":"x"}"#), None);
        assert_eq!(
            nul_in_json(br#"{"a":"\\u0000"}"#),
            None,
            "an escaped backslash"
        );
        assert_eq!(nul_in_json(br#"{"a":"x\u0000"}"#).as_deref(), Some("a"));
        assert_eq!(
            nul_in_json(br#"{"a":{"b":["ok","\u0000"]}}"#).as_deref(),
            Some("a.b[1]")
        );
        assert_eq!(nul_in_json(br#"{"\u0000":1}"#).as_deref(), Some("\0"));
        assert_eq!(nul_in_json(br#""\u0000""#).as_deref(), Some("body"));
        assert_eq!(
            nul_in_json(br#"{"a":"\u0000"#),
            None,
            "malformed: left to the parser"
        );
    }

    #[tokio::test]
    async fn nul_in_a_body_or_query_is_refused_naming_the_field() {
        let e = json_rejection(r#"{"colours":["red"],"x":"a\u0000"}"#).await;
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.fields()[0].field, "x");

        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Q {
            q: Option<String>,
        }
        let (mut parts, ()) = Request::builder()
            .uri("/x?q=a%00b")
            .body(())
            .unwrap()
            .into_parts();
        let e = match ApiQuery::<Q>::from_request_parts(&mut parts, &()).await {
            Ok(ApiQuery(q)) => panic!("accepted {q:?}"),
            Err(e) => e,
        };
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code(), "validation_failed");
        assert_eq!(e.fields()[0].field, "q");
    }
}
