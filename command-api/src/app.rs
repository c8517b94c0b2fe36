//! The command API as an application: built from its own configuration, bound to its port, run
//! until stopped. The `codeflix` binary and the tests build it the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codeflix_auth::{DevIssuer, KeycloakRoles, RoleAdmin, Verifier, VerifierConfig};
use codeflix_eventlog::{EventLog, EventLogConfig, EventLogError};
use codeflix_payments::PaymentProvider;

use crate::AppState;
use crate::media::MediaStore;

/// Everything a command API is built from.
#[derive(Debug, Clone)]
pub struct CommandApiConfig {
    /// Where to listen; port 0 picks a free port ([`Application::local_addr`] tells which).
    pub listen: SocketAddr,
    /// The base URL clients reach it at (behind a proxy); unset means `http://<bound address>`.
    pub public_url: Option<String>,
    pub event_log: EventLogConfig,
    pub auth: AuthConfig,
    pub media: MediaStore,
    /// Resumable uploads untouched this long are removed.
    pub upload_expiry: Duration,
    /// How often abandoned uploads are looked for.
    pub sweep_every: Duration,
    /// Where customers are charged.
    pub payments: Arc<dyn PaymentProvider>,
    /// Checks the unsubscribe links the notifier writes (the same secret); unset, following
    /// one answers 503.
    pub unsubscribe_key: Option<codeflix_domain::accounts::UnsubscribeKey>,
    /// The consumers whose dead letters `/admin/dead-letters` shows and re-drives.
    pub consumers: Vec<crate::KnownConsumer>,
}

/// Whose tokens are accepted.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The issuer exactly as tokens carry it in `iss` (Keycloak's realm URL); unset runs the
    /// development issuer at `<public URL>/realms/codeflix`.
    pub issuer: Option<String>,
    /// When set, tokens must name it in `aud`.
    pub audience: Option<String>,
    /// The client whose roles count besides realm roles.
    pub client_id: String,
    /// The JWKS URL; unset means the issuer's discovery document says.
    pub jwks_url: Option<String>,
    /// The development issuer's signing key, created when missing (unused with a real issuer).
    pub dev_issuer_key: PathBuf,
    /// Serve the development issuer although the API listens beyond loopback. Anyone who can
    /// read its key mints any role: it is no identity provider for a network.
    pub dev_issuer_off_loopback: bool,
    /// With a real issuer: the realm URL its admin API is reached at from here
    /// (`{base}/realms/{realm}`); unset means the issuer.
    pub admin_realm_url: Option<String>,
    /// With a real issuer: the secret of `client_id`, whose service account may manage users.
    /// Unset, accounts' roles cannot be changed through Codeflix (503).
    pub admin_client_secret: Option<String>,
}

impl AuthConfig {
    /// The development issuer, its key at `dev_issuer_key`.
    pub fn development(dev_issuer_key: PathBuf) -> AuthConfig {
        AuthConfig {
            issuer: None,
            audience: None,
            client_id: codeflix_auth::DEFAULT_CLIENT_ID.to_owned(),
            jwks_url: None,
            dev_issuer_key,
            dev_issuer_off_loopback: false,
            admin_realm_url: None,
            admin_client_secret: None,
        }
    }
}

/// Why a command API could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Listen(#[from] codeflix_http::BindError),
    #[error("connecting the event log")]
    EventLog(#[source] EventLogError),
    #[error(
        "the development issuer would serve {listen}, beyond loopback: configure a real issuer \
         (auth.issuer), listen on 127.0.0.1, or set auth.dev_issuer_off_loopback to force it"
    )]
    DevIssuerOffLoopback { listen: SocketAddr },
    #[error("opening the development issuer's key {}", path.display())]
    DevIssuer {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("opening the development issuer's accounts {}", path.display())]
    DevIssuerUsers {
        path: PathBuf,
        #[source]
        source: codeflix_auth::DevIssuerError,
    },
    #[error("the identity provider's admin API (auth.admin_realm_url)")]
    RoleAdmin(#[source] codeflix_auth::RoleAdminError),
}

/// A command API bound to its port, its event log connected; serve it with
/// [`Application::run_until_stopped`].
pub struct Application {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    url: String,
    issuer: String,
    log: Arc<EventLog>,
    router: axum::Router,
    sweeper: tokio::task::JoinHandle<()>,
    dev_issuer: Option<Arc<DevIssuer>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the port, connects the event log (its relay starts) and opens the development
    /// issuer when no real one is configured.
    pub async fn build(config: CommandApiConfig) -> Result<Application, BuildError> {
        let (listener, address) = codeflix_http::bind(config.listen).await?;
        let url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let auth = &config.auth;
        let (issuer, dev_issuer) = match &auth.issuer {
            Some(issuer) => (issuer.clone(), None),
            None if !address.ip().is_loopback() && !auth.dev_issuer_off_loopback => {
                return Err(BuildError::DevIssuerOffLoopback { listen: address });
            }
            None => {
                let issuer = format!("{url}/realms/codeflix");
                let dev = DevIssuer::open(&auth.dev_issuer_key, &issuer).map_err(|source| {
                    BuildError::DevIssuer {
                        path: auth.dev_issuer_key.clone(),
                        source,
                    }
                })?;
                // Its accounts (sign-in, registration) in users.db beside the key: a broken
                // file fails the start rather than the first sign-in.
                dev.open_users()
                    .await
                    .map_err(|source| BuildError::DevIssuerUsers {
                        path: dev.users_db().to_owned(),
                        source,
                    })?;
                (issuer, Some(Arc::new(dev)))
            }
        };
        let mut verifier = VerifierConfig::new(&issuer);
        verifier.audience = auth.audience.clone();
        verifier.client_id = auth.client_id.clone();
        verifier.jwks_url = auth.jwks_url.clone();
        let log = Arc::new(
            EventLog::connect(config.event_log)
                .await
                .map_err(BuildError::EventLog)?,
        );
        let sweeper = crate::sweep_uploads_every(
            config.media.clone(),
            config.sweep_every,
            config.upload_expiry,
        );
        let role_admin: Option<Arc<dyn RoleAdmin>> = match (&dev_issuer, &auth.admin_client_secret)
        {
            (Some(dev), _) => Some(Arc::clone(dev) as Arc<dyn RoleAdmin>),
            (None, Some(secret)) => Some(Arc::new(
                KeycloakRoles::new(
                    auth.admin_realm_url.as_deref().unwrap_or(&issuer),
                    &auth.client_id,
                    secret,
                )
                .map_err(BuildError::RoleAdmin)?,
            )),
            (None, None) => None,
        };
        let state = AppState::new(
            log.clone(),
            Arc::new(Verifier::new(verifier)),
            config.media,
            config.payments,
            role_admin,
            config.unsubscribe_key,
            config.consumers,
        );
        let router = crate::router(state, dev_issuer.clone());
        tracing::info!(listen = %address, %issuer, "command API ready");
        Ok(Application {
            listener,
            address,
            url,
            issuer,
            log,
            router,
            sweeper,
            dev_issuer,
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

    /// Its base URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The issuer whose tokens it accepts.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Its event log, for other roles in the same process; they must let go of it before
    /// [`Application::run_until_stopped`] returns, so that its relay stops cleanly.
    pub fn log(&self) -> Arc<EventLog> {
        Arc::clone(&self.log)
    }

    /// The development issuer it serves, when no real issuer is configured.
    pub fn dev_issuer(&self) -> Option<&Arc<DevIssuer>> {
        self.dev_issuer.as_ref()
    }

    /// Serves until `shutdown`, finishes in-flight requests, then stops the relay cleanly.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::serve(self.listener, self.router, shutdown).await?;
        self.sweeper.abort();
        match Arc::try_unwrap(self.log) {
            Ok(log) => log.shutdown().await,
            Err(_) => {
                tracing::warn!("the event log is still in use; its relay stops with the process")
            }
        }
        Ok(())
    }
}
