//! The query API as an application: built from its own configuration, bound to its port, run
//! until stopped. The `codeflix` binary and the tests build it the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use codeflix_auth::{Verifier, VerifierConfig};
use codeflix_readmodel::mirror::open_entitlements;
use codeflix_readmodel::stores::OpenError;
use codeflix_readmodel::{Stores, ViewsConfig};
use codeflix_storage::MediaStore;
use prometheus_client::registry::Registry;

use crate::playback::{EntitledPlayback, Playback};
use crate::{QueryState, Reads};

/// Everything a query API is built from.
#[derive(Debug, Clone)]
pub struct QueryApiConfig {
    /// Where to listen; port 0 picks a free port ([`Application::local_addr`] tells which).
    pub listen: SocketAddr,
    /// The read models it serves.
    pub views: ViewsConfig,
    /// The topics the catalog projection consumes (consistency tokens name them).
    pub catalog_topics: Vec<String>,
    /// The topics the search projection consumes.
    pub search_topics: Vec<String>,
    /// The topics the billing projection consumes.
    pub billing_topics: Vec<String>,
    /// The topics the notifications projection consumes.
    pub notifications_topics: Vec<String>,
    /// How long a read carrying a consistency token waits for the projections.
    pub consistency_wait: Duration,
    /// Checks the bearer tokens of the admins' routes.
    pub verifier: VerifierConfig,
    /// Where encoded media are streamed from; unset, playback answers 503.
    pub media: Option<MediaStore>,
    /// The JDBC URL of the playback side's mirror of what subscriptions grant, as the
    /// `playback-entitlements` connector writes it (`jdbc:sqlite:PATH` or
    /// `jdbc:postgresql://…`); opened when `media` is set.
    pub entitlements: String,
    /// Where a relative `jdbc:sqlite:` path of `entitlements` starts: the data directory the
    /// Connect runtime writes under.
    pub entitlements_base: std::path::PathBuf,
    /// What else `/readyz` reports: the projections a process runs beside the API.
    pub readiness: Option<codeflix_http::ReadinessCheck>,
}

/// Why a query API could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Listen(#[from] codeflix_http::BindError),
    #[error(transparent)]
    Views(#[from] OpenError),
    #[error("opening the entitlements mirror")]
    Entitlements(#[source] codeflix_readmodel::store::StoreError),
}

/// A query API bound to its port over its read models; serve it with
/// [`Application::run_until_stopped`].
pub struct Application {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    router: axum::Router,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the read models (for reading) and binds the port.
    pub async fn build(config: QueryApiConfig) -> Result<Application, BuildError> {
        let stores = Stores::open(&config.views, false).await?;
        Application::build_with(config, &stores, Registry::default()).await
    }

    /// Over `stores` that the process already holds (its projectors write them); `registry`
    /// holds whatever else the process exposes at `/metrics`.
    pub async fn build_with(
        config: QueryApiConfig,
        stores: &Stores,
        registry: Registry,
    ) -> Result<Application, BuildError> {
        let (listener, address) = codeflix_http::bind(config.listen).await?;
        let mut state = QueryState::new(
            Reads {
                catalog: stores.catalog.clone(),
                catalog_topics: config.catalog_topics,
                search: stores.search.clone(),
                search_topics: config.search_topics,
                billing: stores.billing.clone(),
                billing_topics: config.billing_topics,
                notifications: stores.notifications.clone(),
                notifications_topics: config.notifications_topics,
            },
            config.consistency_wait,
            registry,
            Arc::new(Verifier::new(config.verifier)),
        );
        if let Some(check) = config.readiness {
            state = state.with_readiness(check);
        }
        if let Some(media) = config.media {
            let entitlements = open_entitlements(&config.entitlements, &config.entitlements_base)
                .await
                .map_err(BuildError::Entitlements)?;
            state = state.with_playback(Playback {
                media,
                policy: Arc::new(EntitledPlayback::new(entitlements)),
            });
        }
        Ok(Application {
            listener,
            address,
            router: crate::router(state),
        })
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The port it is bound to.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Serves until `shutdown`, finishing in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        codeflix_http::serve(self.listener, self.router, shutdown).await
    }
}
