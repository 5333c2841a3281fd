//! Errors as RFC 9457 problem+json: one type, mapped to HTTP once. Every problem carries a
//! stable `code`, the fields at fault and the request id (also in the `x-request-id` header).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tripdesk_app::{AppError, FieldError};
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served, set by the request-id middleware.
    pub static REQUEST_ID: String;
}

/// The current request id, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// A field of the request at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Dotted path of the field, e.g. `username`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `invalid`, `unknown_field`.
    pub code: String,
    pub message: String,
}

/// An error response (RFC 9457 problem details).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:tripdesk:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `validation_failed`, `unauthenticated`, `username_taken`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields at fault (empty when the problem is not about fields).
    pub errors: Vec<ProblemField>,
    /// For `invalid_transition`: the workflow steps allowed from the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_next_steps: Option<Vec<String>>,
    /// With `sold_out`: what could be booked instead (other rooms, other departures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<tripdesk_app::bookings::Alternative>>,
    pub request_id: String,
}

/// The error of every handler.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    title: String,
    detail: Option<String>,
    errors: Vec<ProblemField>,
    retry_after: Option<u64>,
    allowed_next_steps: Option<Vec<String>>,
    alternatives: Option<Vec<tripdesk_app::bookings::Alternative>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, title: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            allowed_next_steps: None,
            alternatives: None,
        }
    }

    pub fn with_field(mut self, field: &str, code: &str, message: impl Into<String>) -> Self {
        self.errors.push(ProblemField {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn fields(&self) -> &[ProblemField] {
        &self.errors
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request is malformed",
        )
        .with_field(field, "malformed", message)
    }
}

/// The one answer to a request body over the limit (413), naming the body.
pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is too large",
    )
    .with_field(
        "body",
        "too_large",
        "the request body is over the size limit",
    )
}

/// The HTTP status of a use case's error: the one mapping, used by the API's problems and by
/// the pages' error messages alike.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict { .. }
        | AppError::InvalidTransition { .. }
        | AppError::SoldOut { .. } => StatusCode::CONFLICT,
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = status_of(&e);
        let fields = |v: Vec<FieldError>| {
            v.into_iter()
                .map(|f| ProblemField {
                    field: f.field,
                    code: f.code,
                    message: f.message,
                })
                .collect()
        };
        match e {
            AppError::Validation(v) => Self {
                errors: fields(v),
                ..Self::new(
                    status,
                    "validation_failed",
                    "the request has invalid fields",
                )
            },
            AppError::Unauthenticated(why) => {
                Self::new(status, "unauthenticated", "authentication required").with_detail(why)
            }
            AppError::Forbidden(permission) => Self::new(status, "forbidden", "permission denied")
                .with_detail(format!("this needs the permission `{permission}`")),
            AppError::NotFound(what) => Self::not_found(what),
            AppError::Conflict {
                code,
                message,
                field,
            } => {
                let mut p = Self::new(status, code, message.clone());
                if let Some(field) = field {
                    p = p.with_field(&field, code, message);
                }
                p
            }
            AppError::InvalidTransition { message, allowed } => Self {
                allowed_next_steps: Some(allowed.iter().map(|s| s.to_string()).collect()),
                ..Self::new(status, "invalid_transition", message)
            },
            AppError::SoldOut {
                line,
                message,
                alternatives,
            } => Self {
                alternatives: Some(alternatives),
                ..Self::new(status, "sold_out", "sold out")
                    .with_detail(message.clone())
                    .with_field(&format!("lines[{line}]"), "sold_out", message)
            },
            AppError::Throttled { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(status, "throttled", "too many attempts")
                    .with_detail(format!("try again in {retry_after_secs} seconds"))
            },
            AppError::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                Self {
                    // Overload and contention pass; a client may try again shortly.
                    retry_after: Some(1),
                    ..Self::new(status, "unavailable", "service temporarily unavailable")
                }
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Self::new(status, "internal", "internal error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("urn:tripdesk:problem:{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail,
            errors: self.errors,
            allowed_next_steps: self.allowed_next_steps,
            alternatives: self.alternatives,
            request_id: current_request_id(),
        };
        let mut res = (self.status, axum::Json(problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
