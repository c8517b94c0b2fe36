//! One origin for the browser: the viewer app at `/`, the admin console at `/admin/`, their
//! settings at `/config.json`, and the two APIs behind `/api/command` and `/api/query` (ADR
//! 0028). `codeflix up` and `codeflix gateway` serve it; in compose/ nginx takes this place in
//! front of the same roles with the same paths.

pub mod assets;
pub mod proxy;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use prometheus_client::registry::Registry;
use serde::Serialize;

pub use proxy::{Upstream, UpstreamError};

/// Where the command API is, as the apps call it.
pub const COMMAND_PREFIX: &str = "/api/command";
/// Where the query API is, as the apps call it.
pub const QUERY_PREFIX: &str = "/api/query";

/// What the apps read from `/config.json`: the same built files run against any deployment.
#[derive(Debug, Clone, Serialize)]
pub struct AppConfig {
    /// The OpenID Connect issuer people sign in at.
    pub issuer: String,
    /// The public client the apps sign in as (authorization code with PKCE).
    pub client_id: String,
    /// The command API's base, as the browser reaches it.
    pub command_api: String,
    /// The query API's base, as the browser reaches it.
    pub query_api: String,
    /// The deployment's theme: CSS values for [`THEME_KEYS`] (checked by [`check_theme`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub theme: BTreeMap<String, String>,
}

impl AppConfig {
    /// The apps behind this gateway: the APIs at its own prefixes.
    pub fn behind_gateway(issuer: String, client_id: String) -> AppConfig {
        AppConfig {
            issuer,
            client_id,
            command_api: COMMAND_PREFIX.to_owned(),
            query_api: QUERY_PREFIX.to_owned(),
            theme: BTreeMap::new(),
        }
    }
}

/// What a deployment may restyle in both apps (`--cf-<key>` in web/src/shared/theme.css).
pub const THEME_KEYS: [&str; 5] = ["accent", "accent-text", "focus", "font", "radius"];

/// A theme setting the apps would not take.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThemeError {
    #[error("gateway.theme.{key}: not a theme key (one of: {})", THEME_KEYS.join(", "))]
    UnknownKey { key: String },
    #[error(
        "gateway.theme.{key}: must be a plain CSS value of 1 to 100 characters (letters, digits, \
         spaces and # % . , ( ) ' \" -), e.g. #0a84ff or 8px"
    )]
    BadValue { key: String },
}

/// Checks a theme before it is served: only [`THEME_KEYS`], only plain values (nothing that
/// could end a declaration or a rule).
pub fn check_theme(theme: &BTreeMap<String, String>) -> Result<(), ThemeError> {
    for (key, value) in theme {
        if !THEME_KEYS.contains(&key.as_str()) {
            return Err(ThemeError::UnknownKey { key: key.clone() });
        }
        let plain = (1..=100).contains(&value.len())
            && value.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        ' ' | '#' | '%' | '.' | ',' | '(' | ')' | '\'' | '"' | '-'
                    )
            });
        if !plain {
            return Err(ThemeError::BadValue { key: key.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_take_known_keys_and_plain_values() {
        let theme = |key: &str, value: &str| BTreeMap::from([(key.to_owned(), value.to_owned())]);
        assert_eq!(check_theme(&theme("accent", "#0a84ff")), Ok(()));
        assert_eq!(
            check_theme(&theme("font", "'Inter', system-ui, sans-serif")),
            Ok(())
        );
        assert_eq!(check_theme(&theme("accent", "rgb(10, 132, 255)")), Ok(()));
        assert!(matches!(
            check_theme(&theme("bg", "red")),
            Err(ThemeError::UnknownKey { .. })
        ));
        for bad in ["red; } body { display: none", "url(x)</style>", ""] {
            assert!(
                matches!(
                    check_theme(&theme("accent", bad)),
                    Err(ThemeError::BadValue { .. })
                ),
                "{bad}"
            );
        }
    }
}

/// The gateway's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub app: AppConfig,
    /// The command API's own URL (`http://host:port`).
    pub command_api: String,
    /// The query API's own URL.
    pub query_api: String,
}

#[derive(Debug, Clone)]
struct Shared {
    config: Arc<str>,
    command: Upstream,
    query: Upstream,
    probe: Arc<codeflix_http::ProbeCache>,
}

/// The gateway's routes, with `/healthz`, `/readyz` and `/metrics` (request metrics by route).
pub fn router(config: GatewayConfig) -> Result<Router, UpstreamError> {
    let command = Upstream::new(COMMAND_PREFIX, &config.command_api)?;
    let query = Upstream::new(QUERY_PREFIX, &config.query_api)?;
    let shared = Shared {
        config: serde_json::to_string(&config.app)
            .unwrap_or_else(|_| "{}".to_owned())
            .into(),
        command: command.clone(),
        query: query.clone(),
        probe: Arc::default(),
    };
    let issuer_origin = config
        .app
        .issuer
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|uri| Some(format!("{}://{}", uri.scheme()?, uri.authority()?)))
        .unwrap_or_default();
    let policy = HeaderValue::from_str(&assets::content_security_policy(&issuer_origin))
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"));
    let mut registry = Registry::default();
    let metrics = codeflix_http::metrics::HttpMetrics::register(
        registry.sub_registry_with_prefix("codeflix_gateway"),
    );
    let api = |upstream: Upstream| {
        let prefix = upstream.prefix();
        Router::new()
            .route(prefix, any(proxy::forward))
            .route(&format!("{prefix}/{{*rest}}"), any(proxy::forward))
            .with_state(upstream)
    };
    let router = Router::new()
        .route("/config.json", get(app_config))
        .route("/readyz", get(readyz))
        .with_state(shared)
        .route("/healthz", get(codeflix_http::healthz))
        .merge(api(command))
        .merge(api(query))
        .fallback(get(move |uri, headers| {
            assets::serve(uri, headers, policy.clone())
        }))
        .route_layer(axum::middleware::from_fn_with_state(
            metrics,
            codeflix_http::metrics::track,
        ))
        .route(
            "/metrics",
            get(codeflix_http::metrics::render).with_state(Arc::new(registry)),
        )
        .layer(axum::middleware::from_fn(codeflix_http::correlate));
    Ok(router)
}

async fn app_config(State(shared): State<Shared>) -> Response {
    let mut response = shared.config.to_string().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Ready when the apps are built and both APIs answer their liveness probes; the details say
/// which is not.
async fn readyz(State(shared): State<Shared>) -> Response {
    let probe = Arc::clone(&shared.probe);
    probe
        .answer(|| async move {
            let (command, query) =
                tokio::join!(shared.command.get("/healthz"), shared.query.get("/healthz"));
            let answers = |status: Option<StatusCode>| status.is_some_and(|s| s.is_success());
            let apps = assets::built();
            let ready = apps && answers(command) && answers(query);
            let state = |ok: bool, down: &str| if ok { "up" } else { down }.to_owned();
            let body = serde_json::json!({
                "status": if ready { "ready" } else { "not ready" },
                "apps": if apps { "built" } else { "not built: cd web && npm ci && npm run build" },
                "command_api": state(answers(command), "not answering"),
                "query_api": state(answers(query), "not answering"),
            });
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (status, body)
        })
        .await
}
