//! The command API: the admins' catalog and plans, and customers' subscriptions, over HTTP,
//! appended to the event log.
//!
//! Every write is authenticated (bearer JWT, [`codeflix_auth`]), parsed into the domain's value
//! objects with every broken rule reported at once ([`input`]), decided against the aggregate's
//! current version and appended ([`codeflix_eventlog::EventLog::execute`]), and answered with the
//! new version, the event ids and a consistency token ([`write`]). The preamble every command
//! shares (role, path ids, `If-Match`, `Idempotency-Key`) is an extractor ([`command`]). Rejected requests append
//! nothing.

pub mod app;
pub mod command;
pub mod input;
pub use codeflix_storage as media;
pub mod metrics;
pub mod openapi;
pub use codeflix_http::problem;
mod routes;
pub mod write;

pub use app::{Application, AuthConfig, BuildError, CommandApiConfig};
pub use routes::dead_letters::KnownConsumer;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use codeflix_auth::{DevIssuer, RoleAdmin, Verifier};
use codeflix_eventlog::EventLog;
use codeflix_payments::PaymentProvider;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::json;

use crate::metrics::Metrics;
use crate::problem::Problem;

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    log: Arc<EventLog>,
    verifier: Arc<Verifier>,
    media: media::MediaStore,
    upload_locks: routes::media::tus::UploadLocks,
    metrics: Metrics,
    http: reqwest::Client,
    payments: Arc<dyn PaymentProvider>,
    role_admin: Option<Arc<dyn RoleAdmin>>,
    /// Checks unsubscribe links, when configured.
    unsubscribe_key: Option<codeflix_domain::accounts::UnsubscribeKey>,
    /// A Kafka client kept for readiness probes (created once; it connects on demand).
    kafka_probe: Result<Arc<BaseConsumer>, String>,
    readiness: codeflix_http::ProbeCache,
    /// The consumers whose dead letters operations may see and re-drive.
    consumers: Vec<KnownConsumer>,
    /// Held while a redrive runs.
    redrives: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("log", &self.0.log)
            .field("verifier", &self.0.verifier)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        log: Arc<EventLog>,
        verifier: Arc<Verifier>,
        media: media::MediaStore,
        payments: Arc<dyn PaymentProvider>,
        role_admin: Option<Arc<dyn RoleAdmin>>,
        unsubscribe_key: Option<codeflix_domain::accounts::UnsubscribeKey>,
        consumers: Vec<KnownConsumer>,
    ) -> Self {
        let kafka_probe = log
            .config()
            .client(&[])
            .create::<BaseConsumer>()
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let metrics = Metrics::new(log.relay().clone());
        AppState(Arc::new(Inner {
            readiness: codeflix_http::ProbeCache::default(),
            kafka_probe,
            log,
            verifier,
            media,
            payments,
            role_admin,
            unsubscribe_key,
            consumers,
            redrives: Arc::new(tokio::sync::Mutex::new(())),
            upload_locks: routes::media::tus::UploadLocks::default(),
            metrics,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default(),
        }))
    }

    pub fn log(&self) -> &EventLog {
        &self.0.log
    }

    pub fn verifier(&self) -> &Verifier {
        &self.0.verifier
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn media(&self) -> &media::MediaStore {
        &self.0.media
    }

    /// Where customers are charged.
    pub fn payments(&self) -> &dyn PaymentProvider {
        self.0.payments.as_ref()
    }

    /// Where accounts' roles are granted, when the identity provider's admin API is configured.
    pub fn role_admin(&self) -> Option<&dyn RoleAdmin> {
        self.0.role_admin.as_deref()
    }

    /// What checks unsubscribe links, when configured.
    pub fn unsubscribe_key(&self) -> Option<&codeflix_domain::accounts::UnsubscribeKey> {
        self.0.unsubscribe_key.as_ref()
    }

    /// The consumers whose dead letters operations may see and re-drive.
    pub fn consumers(&self) -> &[KnownConsumer] {
        &self.0.consumers
    }

    fn redrives(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.0.redrives)
    }

    fn upload_locks(&self) -> &routes::media::tus::UploadLocks {
        &self.0.upload_locks
    }
}

/// The whole HTTP surface: resources, operations endpoints, the OpenAPI document and its UI, and
/// the development issuer's endpoints when one is given.
pub fn router(state: AppState, dev_issuer: Option<Arc<DevIssuer>>) -> Router {
    use routes::{
        accounts, cast_members, categories, dead_letters, genres, media, plans, subscriptions,
        unsubscribe, videos,
    };
    let api = Router::new()
        .route("/categories", post(categories::create))
        .route(
            "/categories/{id}",
            put(categories::update).delete(categories::delete),
        )
        .route("/categories/{id}/activate", post(categories::activate))
        .route("/categories/{id}/deactivate", post(categories::deactivate))
        .route("/genres", post(genres::create))
        .route("/genres/{id}", put(genres::update).delete(genres::delete))
        .route("/genres/{id}/activate", post(genres::activate))
        .route("/genres/{id}/deactivate", post(genres::deactivate))
        .route("/cast-members", post(cast_members::create))
        .route(
            "/cast-members/{id}",
            put(cast_members::update).delete(cast_members::delete),
        )
        .route("/videos", post(videos::create))
        .route("/videos/{id}", put(videos::update).delete(videos::delete))
        .route("/videos/{id}/publish", post(videos::publish))
        .route("/videos/{id}/unpublish", post(videos::unpublish))
        .route(
            "/videos/{id}/categories/{category_id}",
            put(videos::attach_category).delete(videos::detach_category),
        )
        .route(
            "/videos/{id}/genres/{genre_id}",
            put(videos::attach_genre).delete(videos::detach_genre),
        )
        .route(
            "/videos/{id}/cast-members/{cast_member_id}",
            put(videos::attach_cast_member).delete(videos::detach_cast_member),
        )
        .route(
            "/videos/{id}/media/{slot}",
            put(media::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/uploads",
            post(media::tus::create_upload).options(media::tus::upload_options),
        )
        .route(
            "/uploads/{id}",
            axum::routing::head(media::tus::upload_status)
                .patch(media::tus::upload_chunk)
                .delete(media::tus::delete_upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/plans", post(plans::create))
        .route("/plans/{id}", put(plans::update))
        .route("/plans/{id}/activate", post(plans::activate))
        .route("/plans/{id}/deactivate", post(plans::deactivate))
        .route("/me", put(accounts::put_me))
        .route("/me/notification-preferences", put(accounts::put_opt_outs))
        .route(
            "/unsubscribe",
            get(unsubscribe::show).post(unsubscribe::confirm),
        )
        .route("/accounts/{subject}/roles", put(accounts::put_roles))
        .route("/subscriptions", post(subscriptions::create))
        .route("/subscriptions/{id}/cancel", post(subscriptions::cancel))
        .route(
            "/subscriptions/{id}/uncancel",
            post(subscriptions::uncancel),
        )
        .route(
            "/subscriptions/{id}/payment-method",
            put(subscriptions::change_payment_method),
        )
        .route("/subscriptions/{id}/pay", post(subscriptions::pay))
        .route("/admin/dead-letters", get(dead_letters::list_consumers))
        .route(
            "/admin/dead-letters/{consumer}",
            get(dead_letters::list_letters),
        )
        .route(
            "/admin/dead-letters/{consumer}/redrive",
            post(dead_letters::redrive),
        )
        .route("/healthz", get(codeflix_http::healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi_json))
        .with_state(state.clone())
        .route(
            "/metrics",
            get(codeflix_http::metrics::render).with_state(state.metrics().registry()),
        )
        // Before the metrics layer, so that these answers are counted too.
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .route_layer(middleware::from_fn_with_state(
            state.metrics().http().clone(),
            codeflix_http::metrics::track,
        ))
        .merge(codeflix_http::docs());
    let api = match dev_issuer {
        Some(issuer) => api.merge(issuer.router()),
        None => api,
    };
    api.method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(input::MAX_JSON_BYTES))
        .layer(middleware::from_fn(codeflix_http::prefix_locations))
        .layer(middleware::from_fn(codeflix_http::correlate))
}

async fn not_found() -> Problem {
    Problem::not_found("no such route; see /openapi.json")
}

/// Readiness: Kafka answers a metadata request and the registry answers (checked at most once
/// a second, however often this is asked).
async fn readyz(State(state): State<AppState>) -> Response {
    state.0.readiness.answer(|| check_readiness(&state)).await
}

async fn check_readiness(state: &AppState) -> (StatusCode, serde_json::Value) {
    let probe = state.0.kafka_probe.clone();
    let kafka = tokio::task::spawn_blocking(move || {
        probe?
            .fetch_metadata(None, Duration::from_secs(2))
            .map(|m| m.brokers().len())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    // The global configuration: one small answer, whatever the number of subjects.
    let registry_url = format!(
        "{}/config",
        state
            .log()
            .config()
            .schema_registry_url
            .trim_end_matches('/')
    );
    let registry = match state.0.http.get(&registry_url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("GET {registry_url}: {}", r.status())),
        Err(e) => Err(format!("GET {registry_url}: {e}")),
    }
    // Anyone may ask: no credentials in the answer.
    .map_err(|e| codeflix_domain::redact::redact(&e));
    let ready = kafka.is_ok() && registry.is_ok();
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": {
            "kafka": kafka.map_or_else(|e| e, |brokers| format!("ok ({brokers} brokers)")),
            "schema_registry": registry.map_or_else(|e| e, |()| "ok".to_owned()),
            "relay": if state.log().relay_is_leader() { "publishing" } else { "standby" },
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi::document())
}

/// Removes resumable uploads untouched for `max_age`, every `every`, until the task is dropped.
pub fn sweep_uploads_every(
    media: media::MediaStore,
    every: Duration,
    max_age: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = media.sweep_uploads(max_age).await {
                tracing::warn!(%error, "sweeping abandoned uploads");
            }
        }
    })
}

/// Deletes resumable uploads untouched for longer than `max_age` (neither created nor extended
/// since); returns how many. Run periodically by [`sweep_uploads_every`].
pub async fn sweep_uploads(
    media: &media::MediaStore,
    max_age: Duration,
) -> Result<usize, media::uploads::UploadError> {
    media.sweep_uploads(max_age).await
}

pub use codeflix_http::serve;
