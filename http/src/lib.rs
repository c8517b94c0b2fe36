//! What Codeflix's HTTP APIs share: RFC 9457 problem details ([`problem`]), correlation ids on
//! every request and in every log line ([`correlate`]), request metrics ([`metrics`]), liveness
//! and graceful serving within limits ([`server`]).

pub mod auth;
pub mod metrics;
pub mod problem;
pub mod server;

pub use server::Limits;

use std::future::Future;
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tracing::Instrument;
use uuid::Uuid;

/// The API documentation UI at `/docs`, reading the API's own `/openapi.json`. Swagger UI's
/// files are compiled into the binary: the page works offline and loads nothing from other
/// origins (its validator badge, which would call swagger.io, is off).
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = utoipa_swagger_ui::Config::new(["/openapi.json"])
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(false);
    utoipa_swagger_ui::SwaggerUi::new("/docs")
        .config(config)
        .into()
}

/// What a process adds to an API's `/readyz`: the state of the loops it runs beside the API
/// (`true` when they are all running) and their details.
#[derive(Clone)]
pub struct ReadinessCheck(std::sync::Arc<dyn Fn() -> (bool, serde_json::Value) + Send + Sync>);

impl ReadinessCheck {
    pub fn new(check: impl Fn() -> (bool, serde_json::Value) + Send + Sync + 'static) -> Self {
        ReadinessCheck(std::sync::Arc::new(check))
    }

    /// Whether all is ready, and the details.
    pub fn check(&self) -> (bool, serde_json::Value) {
        (self.0)()
    }
}

impl std::fmt::Debug for ReadinessCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadinessCheck").finish_non_exhaustive()
    }
}

/// A probe's last answer, kept for [`ProbeCache::FRESH`]: probes that ask dependencies (a
/// Kafka metadata fetch, a registry request) cost those dependencies one check per second
/// however often they are called, and concurrent callers share one check.
#[derive(Debug, Default)]
pub struct ProbeCache(
    tokio::sync::Mutex<
        Option<(
            std::time::Instant,
            axum::http::StatusCode,
            serde_json::Value,
        )>,
    >,
);

impl ProbeCache {
    /// How long an answer is reused.
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(1);

    /// The cached answer if fresh, else `check`'s (which is then cached).
    pub async fn answer<F>(&self, check: impl FnOnce() -> F) -> Response
    where
        F: Future<Output = (axum::http::StatusCode, serde_json::Value)>,
    {
        let mut cached = self.0.lock().await;
        let (status, body) = match cached.as_ref() {
            Some((at, status, body)) if at.elapsed() < Self::FRESH => (*status, body.clone()),
            _ => {
                let (status, body) = check().await;
                *cached = Some((std::time::Instant::now(), status, body.clone()));
                (status, body)
            }
        };
        (status, Json(body)).into_response()
    }
}

/// The header that carries the correlation id.
pub const CORRELATION_ID: &str = "x-correlation-id";

/// The request's correlation id, set by [`correlate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationId(pub Uuid);

/// Middleware giving every request a correlation id (from `X-Correlation-Id` or `X-Request-Id`
/// when they hold a UUID), logging it with the outcome, and echoing it in the response.
pub async fn correlate(mut request: Request, next: Next) -> Response {
    let id = [CORRELATION_ID, "x-request-id"]
        .iter()
        .find_map(|name| {
            request
                .headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Uuid::parse_str(v).ok())
        })
        .unwrap_or_else(Uuid::new_v4);
    request.extensions_mut().insert(CorrelationId(id));
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        correlation_id = %id,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.in_scope(|| {
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), millis, "answered");
        } else {
            tracing::info!(status = status.as_u16(), millis, "answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(CORRELATION_ID, value);
    }
    response
}

/// Liveness: the process answers.
pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// A listener that could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("listening on {address}")]
pub struct BindError {
    /// The address asked for.
    pub address: std::net::SocketAddr,
    #[source]
    source: std::io::Error,
}

/// A listener bound to `address` (port 0 picks a free one) and the address it got.
pub async fn bind(
    address: std::net::SocketAddr,
) -> Result<(tokio::net::TcpListener, std::net::SocketAddr), BindError> {
    let failed = |source| BindError { address, source };
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// Serves `router` on `listener` with the default [`Limits`] until `shutdown` resolves, then
/// finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve_with(listener, router, Limits::default(), shutdown).await
}

/// Middleware putting the [`forwarded_prefix`] in front of every root-relative `Location` the
/// API answers with (a created resource, a tus upload), so that a client behind the gateway or
/// nginx follows it through the same prefix.
pub async fn prefix_locations(request: Request, next: Next) -> Response {
    let prefix = forwarded_prefix(request.headers()).to_owned();
    let mut response = next.run(request).await;
    if prefix.is_empty() {
        return response;
    }
    let location = response
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|l| l.starts_with('/') && !l.starts_with("//"))
        .and_then(|l| axum::http::HeaderValue::from_str(&format!("{prefix}{l}")).ok());
    if let Some(location) = location {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, location);
    }
    response
}

/// The path prefix a reverse proxy serves this API under (`X-Forwarded-Prefix`, as the gateway
/// and nginx send it), for URLs the API hands out that clients follow (a tus upload's
/// `Location`). Empty when there is none, or when it is not a plain path (`/a/b`, letters,
/// digits, `-`, `_`, `.`): a header cannot make the API point anywhere else.
pub fn forwarded_prefix(headers: &axum::http::HeaderMap) -> &str {
    let Some(prefix) = headers
        .get("x-forwarded-prefix")
        .and_then(|v| v.to_str().ok())
    else {
        return "";
    };
    let prefix = prefix.trim_end_matches('/');
    let plain = prefix.len() <= 128
        && prefix.starts_with('/')
        && prefix[1..].split('/').all(|segment| {
            !segment.is_empty()
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if plain { prefix } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix_of(value: &str) -> String {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-prefix",
            axum::http::HeaderValue::from_str(value).unwrap(),
        );
        forwarded_prefix(&headers).to_owned()
    }

    #[test]
    fn only_plain_forwarded_prefixes_are_used() {
        assert_eq!(prefix_of("/api/command"), "/api/command");
        assert_eq!(prefix_of("/api/command/"), "/api/command");
        assert_eq!(prefix_of("//evil.example"), "");
        assert_eq!(prefix_of("https://evil.example"), "");
        assert_eq!(prefix_of("/api/../x"), "");
        assert_eq!(prefix_of("/a b"), "");
        assert_eq!(forwarded_prefix(&axum::http::HeaderMap::new()), "");
    }
}
