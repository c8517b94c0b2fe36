//! Errors as RFC 9457 problem details (`application/problem+json`) that say what to fix.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One broken rule of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field as the client sent it: a JSON member (`title`, `categories[2]`), a header
    /// (`If-Match`) or a path parameter (`id`).
    pub field: String,
    /// The rule it breaks, in words.
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// A problem detail (RFC 9457), boxed so that results carrying it stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub Box<ProblemDetails>);

/// The body of a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// Identifies the kind of problem, e.g. `urn:codeflix:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every field that breaks a rule (validation problems).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
    /// The aggregate's version now (version conflicts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    #[serde(skip)]
    retry_after: Option<u32>,
    #[serde(skip)]
    authenticate: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemDetails {
            kind: format!("urn:codeflix:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
            retry_after: None,
            authenticate: None,
        }))
    }

    /// A problem listing every broken rule, each also in `detail`.
    fn broken_rules(status: StatusCode, slug: &str, title: &str, errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.rule))
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Problem::new(status, slug, title, detail);
        problem.0.errors = errors;
        problem
    }

    /// 422: the listed fields break their rules.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Problem::broken_rules(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request breaks field rules",
            errors,
        )
    }

    /// 400: the listed query parameters or headers break their rules.
    pub fn bad_parameters(errors: Vec<FieldError>) -> Self {
        Problem::broken_rules(
            StatusCode::BAD_REQUEST,
            "bad-parameters",
            "Parameters break their rules",
            errors,
        )
    }

    /// Asks the client to retry after `seconds` (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request cannot be read",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 405: the route exists, not with this method (its document lists the methods).
    pub fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "The route does not take this method",
            "see /openapi.json for the methods of each route",
        )
    }

    /// 503, to be retried after a second (with the same `Idempotency-Key`).
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "A dependency is unavailable; retry with the same Idempotency-Key",
            detail,
        );
        problem.0.retry_after = Some(1);
        problem
    }

    /// 503 for an infrastructure fault (store, Kafka, registry) while `doing` something: logged
    /// with what was being done and every cause (credentials redacted), and answered without
    /// them — a backend's errors are not for whoever sent the request. The log line carries the
    /// request's correlation id, which the answer's `X-Correlation-Id` repeats. The one place a
    /// fault becomes an answer.
    pub fn fault(doing: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        let report = codeflix_domain::redact::redact(&codeflix_domain::Report(error).to_string());
        tracing::error!(error = %report, "{doing} failed");
        Problem::unavailable(format!(
            "{doing} failed; the server's log has the cause under this response's \
             X-Correlation-Id"
        ))
    }

    /// 401 with a `WWW-Authenticate` challenge.
    /// 401 for a request that carried no credentials where some are needed: a challenge
    /// without an error code (RFC 6750 §3.1).
    pub fn sign_in(detail: impl Into<String>) -> Self {
        let mut problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        problem.0.authenticate = Some("Bearer".to_owned());
        problem
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let challenge = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            detail
                .chars()
                .map(|c| if c == '"' || !(c == ' ' || c.is_ascii_graphic()) {
                    '\''
                } else {
                    c
                })
                .collect::<String>()
        );
        let mut problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        problem.0.authenticate = Some(challenge);
        problem
    }

    pub fn with_current_version(mut self, version: u64) -> Self {
        self.0.current_version = Some(version);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The content type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let ProblemDetails {
            retry_after,
            authenticate,
            current_version,
            ..
        } = *self.0;
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(challenge) = authenticate
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(version) = current_version
            && let Ok(value) = HeaderValue::from_str(&format!("\"{version}\""))
        {
            headers.insert(header::ETAG, value);
        }
        response
    }
}
