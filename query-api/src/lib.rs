//! The viewers' query API: browse, filter and search the catalog's read models over HTTP.
//!
//! Reads go to the projections' stores (`codeflix_readmodel`): the catalog views for lists and
//! lookups, the search index for search. Every answer carries a strong ETag (304 on
//! `If-None-Match`), bad parameters are 400 problem details listing every broken rule, and a
//! request carrying the command API's consistency tokens waits, bounded, until the projections it
//! reads have applied them ([`consistency`]).

pub mod app;
pub mod consistency;
pub mod model;
mod params;
pub mod playback;
mod routes;

pub use app::{Application, BuildError, QueryApiConfig};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router, middleware};
use codeflix_auth::Verifier;
use codeflix_http::metrics::HttpMetrics;
use codeflix_http::problem::Problem;
use codeflix_readmodel::Position;
use codeflix_readmodel::search::SearchReads;
use codeflix_readmodel::store::{CatalogReads, StoreError};
use prometheus_client::registry::Registry;
use serde_json::json;
use utoipa::OpenApi;

/// What the handlers share; cheap to clone.
#[derive(Clone)]
pub struct QueryState(Arc<Inner>);

/// The read models a query API answers from, and the topics each projection consumes (for
/// consistency tokens).
#[derive(Debug, Clone)]
pub struct Reads {
    pub catalog: Arc<dyn CatalogReads>,
    pub catalog_topics: Vec<String>,
    pub search: Arc<dyn SearchReads>,
    pub search_topics: Vec<String>,
    /// The subscriptions context's views: plans, subscriptions, accounts.
    pub billing: Arc<dyn CatalogReads>,
    pub billing_topics: Vec<String>,
    /// The notifications context's delivery log.
    pub notifications: Arc<dyn CatalogReads>,
    pub notifications_topics: Vec<String>,
}

/// The parts a [`QueryState`] is made of.
pub struct Inner {
    pub catalog: Arc<dyn CatalogReads>,
    /// The topics the catalog projection consumes (for consistency tokens).
    pub catalog_topics: Vec<String>,
    pub search: Arc<dyn SearchReads>,
    pub search_topics: Vec<String>,
    pub billing: Arc<dyn CatalogReads>,
    pub billing_topics: Vec<String>,
    pub notifications: Arc<dyn CatalogReads>,
    pub notifications_topics: Vec<String>,
    /// How long a request carrying consistency tokens waits at most.
    pub consistency_wait: Duration,
    /// Where the API registers its metrics; `/metrics` renders it all (the process may add more).
    pub registry: Arc<Registry>,
    pub http_metrics: HttpMetrics,
    /// Checks the bearer tokens of the admins' routes.
    pub verifier: Arc<Verifier>,
    /// Where encoded media are served from; unset, playback answers 503.
    pub playback: OnceLock<playback::Playback>,
    /// The reads waiting for their consistency tokens.
    pub waiters: consistency::Waiters,
    /// Readiness's last answer.
    pub probe: codeflix_http::ProbeCache,
    /// What else readiness reports (the loops the process runs beside the API).
    pub readiness: OnceLock<codeflix_http::ReadinessCheck>,
}

impl std::ops::Deref for QueryState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryState")
            .field("catalog", &self.catalog)
            .field("search", &self.search)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for QueryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryState").finish_non_exhaustive()
    }
}

impl QueryState {
    /// A state reading `reads`; `registry`, a root without a prefix, gets the HTTP metrics
    /// registered as `codeflix_query_api_*` (with whatever else the caller registers, e.g.
    /// projector metrics, before sharing it).
    pub fn new(
        reads: Reads,
        consistency_wait: Duration,
        mut registry: Registry,
        verifier: Arc<Verifier>,
    ) -> QueryState {
        let http_metrics =
            HttpMetrics::register(registry.sub_registry_with_prefix("codeflix_query_api"));
        QueryState(Arc::new(Inner {
            catalog: reads.catalog,
            catalog_topics: reads.catalog_topics,
            search: reads.search,
            search_topics: reads.search_topics,
            billing: reads.billing,
            billing_topics: reads.billing_topics,
            notifications: reads.notifications,
            notifications_topics: reads.notifications_topics,
            consistency_wait,
            registry: Arc::new(registry),
            http_metrics,
            verifier,
            playback: OnceLock::new(),
            readiness: OnceLock::new(),
            waiters: consistency::Waiters::default(),
            probe: codeflix_http::ProbeCache::default(),
        }))
    }

    /// Adds `check` to `/readyz` (set once, before serving).
    pub fn with_readiness(self, check: codeflix_http::ReadinessCheck) -> QueryState {
        if self.0.readiness.set(check).is_err() {
            tracing::warn!("readiness was extended twice; the first check stays");
        }
        self
    }

    /// Serves encoded media from `playback` (set once, before serving).
    pub fn with_playback(self, playback: playback::Playback) -> QueryState {
        if self.0.playback.set(playback).is_err() {
            tracing::warn!("playback was configured twice; the first configuration stays");
        }
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Codeflix query API",
        description = "Browse, filter and search the published catalog; plans, and the signed-in \
            customer's account and subscriptions; admins' views of videos, plans, subscriptions \
            and accounts; admins' catalog lists with inactive items and name search. Answers carry ETags \
            (send If-None-Match for 304). Send the consistency token a write returned \
            (Codeflix-Consistency-Token header or consistency_token parameter) to read your own \
            writes. Errors are RFC 9457 problem details."
    ),
    paths(
        routes::list_videos, routes::get_video, routes::search, routes::list_categories,
        routes::list_genres, routes::list_cast_members, routes::admin_list_videos,
        routes::admin_get_video, routes::admin_list_categories, routes::admin_list_genres,
        routes::admin_list_cast_members, playback::stream, playback::image,
        routes::list_plans, routes::get_plan, routes::me, routes::my_subscriptions,
        routes::my_subscription, routes::admin_list_plans, routes::admin_list_subscriptions,
        routes::admin_get_subscription, routes::admin_list_accounts,
        routes::my_notifications, routes::admin_list_notifications,
    ),
    components(schemas(codeflix_http::problem::ProblemDetails, codeflix_http::problem::FieldError,
        routes::RatingParam, routes::SortParam, routes::StatusParam, routes::MediaStatusParam,
        routes::DeliveryStatusParam, routes::ChannelParam)),
    modifiers(&Conventions),
    tags((name = "videos"), (name = "playback", description = "HLS and DASH ladders of published \
            videos, with byte ranges, and their artwork; CORS open to web players"), (name = "catalog", description = "Categories, genres, cast"),
        (name = "admin", description = "The catalog for admins: every video with its media, \
            categories, genres and cast members active or not, found by name (bearer token with \
            the resource's role or catalog-admin)"),
        (name = "plans", description = "The plans customers may subscribe to"),
        (name = "me", description = "The signed-in customer: account and subscriptions (bearer \
            token)"),
        (name = "billing", description = "Plans, subscriptions and accounts for admins (bearer \
            token with billing-plans or billing-subscriptions)"),
        (name = "notifications", description = "The delivery log: every email and SMS and how \
            it went (admins: bearer token with accounts-admin; customers: their own under /me)")),
)]
struct ApiDoc;

struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    codeflix_http::problem::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                utoipa::openapi::security::SecurityScheme::Http(
                    utoipa::openapi::security::HttpBuilder::new()
                        .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        for item in openapi.paths.paths.values_mut() {
            let Some(operation) = item.get.as_mut() else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            responses.insert(
                "304".into(),
                ResponseBuilder::new()
                    .description("Not modified: the If-None-Match ETag is current")
                    .build()
                    .into(),
            );
            responses.insert(
                "400".into(),
                problem("A parameter breaks its rules (every broken rule is listed)").into(),
            );
            let id = operation.operation_id.clone().unwrap_or_default();
            if id == "get_video" || id == "admin_get_video" {
                responses.insert("404".into(), problem("No such video").into());
            }
            if ["get_plan", "admin_get_subscription", "my_subscription"].contains(&id.as_str()) {
                responses.insert("404".into(), problem("No such resource").into());
            }
            if id.starts_with("me") || id.starts_with("my_") {
                responses.insert("401".into(), problem("No valid bearer token").into());
                operation.security =
                    Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
            }
            if id.starts_with("admin_") {
                responses.insert("401".into(), problem("No valid bearer token").into());
                responses.insert(
                    "403".into(),
                    problem("The token lacks the role the operation needs (see its tag)").into(),
                );
                operation.security =
                    Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
            }
            responses.insert(
                "503".into(),
                problem(
                    "A read model is unavailable, has not reached the consistency token in time or \
                     too many reads wait for theirs (type not-yet-consistent), or the server is at \
                     its limit of requests in flight (type overloaded); retry after Retry-After",
                )
                .into(),
            );
        }
    }
}

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole HTTP surface.
pub fn router(state: QueryState) -> Router {
    Router::new()
        .route("/videos", get(routes::list_videos))
        .route("/videos/{id}", get(routes::get_video))
        .route("/videos/{id}/stream/{slot}/{*path}", get(playback::stream))
        .route("/videos/{id}/images/{slot}", get(playback::image))
        .route("/search", get(routes::search))
        .route("/categories", get(routes::list_categories))
        .route("/genres", get(routes::list_genres))
        .route("/cast-members", get(routes::list_cast_members))
        .route("/admin/videos", get(routes::admin_list_videos))
        .route("/admin/categories", get(routes::admin_list_categories))
        .route("/admin/genres", get(routes::admin_list_genres))
        .route("/admin/cast-members", get(routes::admin_list_cast_members))
        .route("/admin/videos/{id}", get(routes::admin_get_video))
        .route("/plans", get(routes::list_plans))
        .route("/plans/{id}", get(routes::get_plan))
        .route("/me", get(routes::me))
        .route("/me/subscriptions", get(routes::my_subscriptions))
        .route("/me/subscription", get(routes::my_subscription))
        .route("/admin/plans", get(routes::admin_list_plans))
        .route(
            "/admin/subscriptions",
            get(routes::admin_list_subscriptions),
        )
        .route(
            "/admin/subscriptions/{id}",
            get(routes::admin_get_subscription),
        )
        .route("/admin/accounts", get(routes::admin_list_accounts))
        .route("/me/notifications", get(routes::my_notifications))
        .route(
            "/admin/notifications",
            get(routes::admin_list_notifications),
        )
        .route("/healthz", get(codeflix_http::healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(|| async { Json(document()) }))
        .with_state(state.clone())
        .route(
            "/metrics",
            get(codeflix_http::metrics::render).with_state(Arc::clone(&state.registry)),
        )
        // Before the metrics layer, so that these answers are counted too.
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .route_layer(middleware::from_fn_with_state(
            state.http_metrics.clone(),
            codeflix_http::metrics::track,
        ))
        .merge(codeflix_http::docs())
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .fallback(|| async { Problem::not_found("no such route; see /openapi.json") })
        .layer(middleware::from_fn(codeflix_http::correlate))
        .layer(cors())
}

/// Web players on any origin may read the catalog and stream: the API is public and carries no
/// cookies; admin routes still need their bearer token.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([
            header::RANGE,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
            header::IF_RANGE,
            header::HeaderName::from_static(consistency::HEADER),
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::CONTENT_LENGTH,
            header::ACCEPT_RANGES,
            header::ETAG,
        ])
        .max_age(Duration::from_secs(3600))
}

/// Readiness: both read models answer; their positions say how far they are (checked at most
/// once a second, however often this is asked).
async fn readyz(State(state): State<QueryState>) -> Response {
    state.probe.answer(|| check_readiness(&state)).await
}

async fn check_readiness(state: &QueryState) -> (StatusCode, serde_json::Value) {
    let catalog = state.catalog.positions().await;
    let search = state.search.positions().await;
    let billing = state.billing.positions().await;
    let notifications = state.notifications.positions().await;
    let describe = |r: &Result<Vec<Position>, StoreError>| match r {
        Ok(positions) => json!({
            "status": "ok",
            "positions": positions.iter().map(|p| json!({
                "topic": p.topic, "partition": p.partition, "next_offset": p.offset,
            })).collect::<Vec<_>>(),
        }),
        Err(e) => json!({ "status": codeflix_domain::Report(e).to_string() }),
    };
    let mut ready = catalog.is_ok() && search.is_ok() && billing.is_ok() && notifications.is_ok();
    let mut checks = json!({
        "catalog": describe(&catalog),
        "search": describe(&search),
        "billing": describe(&billing),
        "notifications": describe(&notifications),
    });
    if let Some(check) = state.readiness.get() {
        let (loops_ready, loops) = check.check();
        ready &= loops_ready;
        checks["tasks"] = loops;
    }
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": checks,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}
