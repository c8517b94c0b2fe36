//! The APIs behind path prefixes of the apps' origin, so the browser needs no CORS: a request
//! to `{prefix}/rest` goes to `{upstream}/rest` with its body streamed both ways (uploads and
//! video segments are never buffered whole). The upstream learns the prefix from
//! `X-Forwarded-Prefix` and writes it into the `Location`s it answers; nginx in compose/ sends
//! the same headers.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::{Authority, PathAndQuery, Scheme};
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use codeflix_http::problem::Problem;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// An upstream that is not an `http://host[:port]` URL.
#[derive(Debug, thiserror::Error)]
#[error("{url} is not an upstream URL (http://host[:port], no path)")]
pub struct UpstreamError {
    pub url: String,
}

/// One API behind a prefix.
#[derive(Debug, Clone)]
pub struct Upstream {
    prefix: &'static str,
    authority: Authority,
    client: Client<HttpConnector, Body>,
}

impl Upstream {
    /// `prefix` (e.g. `/api/command`) routed to `url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(prefix: &'static str, url: &str) -> Result<Upstream, UpstreamError> {
        let error = || UpstreamError {
            url: url.to_owned(),
        };
        let uri: Uri = url.trim_end_matches('/').parse().map_err(|_| error())?;
        if uri.scheme() != Some(&Scheme::HTTP) || !matches!(uri.path(), "" | "/") {
            return Err(error());
        }
        let authority = uri.authority().cloned().ok_or_else(error)?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Upstream {
            prefix,
            authority,
            client,
        })
    }

    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The upstream's own URL of `path` (for probes).
    pub(crate) fn url(&self, path: &str) -> Uri {
        Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .unwrap_or_default()
    }

    pub(crate) async fn get(&self, path: &str) -> Option<StatusCode> {
        let request = Request::get(self.url(path)).body(Body::empty()).ok()?;
        let response = tokio::time::timeout(Duration::from_secs(2), self.client.request(request))
            .await
            .ok()?
            .ok()?;
        Some(response.status())
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn strip_hop_by_hop(headers: &mut axum::http::HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Forwards `request` (whose path starts with the upstream's prefix) to the upstream.
pub async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let mut original_host = parts.headers.get(header::HOST).cloned();
    let request_authority = parts.uri.authority().cloned();
    let path_and_query = parts.uri.path_and_query().map_or("/", PathAndQuery::as_str);
    let rest = path_and_query
        .strip_prefix(upstream.prefix)
        .unwrap_or(path_and_query);
    let rest = if rest.is_empty() || rest.starts_with('?') {
        format!("/{rest}")
    } else {
        rest.to_owned()
    };
    parts.uri = upstream.url(&rest);
    // The client may have come over HTTP/2 (h2c), whose authority is in the URI rather than a
    // Host header; the upstream connection is HTTP/1.1.
    if original_host.is_none() {
        original_host = request_authority.and_then(|a| HeaderValue::from_str(a.as_str()).ok());
    }
    parts.version = axum::http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.insert(
        HeaderName::from_static("x-forwarded-prefix"),
        HeaderValue::from_static(upstream.prefix),
    );
    parts.headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    if let Some(host) = original_host {
        parts
            .headers
            .insert(HeaderName::from_static("x-forwarded-host"), host);
    }
    if let Ok(host) = HeaderValue::from_str(upstream.authority.as_str()) {
        parts.headers.insert(header::HOST, host);
    }
    match upstream
        .client
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Err(error) => {
            tracing::warn!(upstream = %upstream.authority, %error, "upstream did not answer");
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "upstream-unavailable",
                "Service unavailable",
                format!(
                    "the service behind {} is not answering; try again in a moment",
                    upstream.prefix
                ),
            )
            .with_retry_after(2)
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_are_plain_http_origins() {
        assert!(Upstream::new("/api/command", "http://127.0.0.1:8080").is_ok());
        assert!(Upstream::new("/api/command", "http://command-api:8080/").is_ok());
        assert!(Upstream::new("/api/command", "https://command-api").is_err());
        assert!(Upstream::new("/api/command", "http://command-api:8080/v1").is_err());
        assert!(Upstream::new("/api/command", "command-api:8080").is_err());
    }

    #[test]
    fn connection_scoped_headers_are_dropped() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key(header::AUTHORIZATION));
    }
}
