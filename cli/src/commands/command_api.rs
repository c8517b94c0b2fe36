//! `codeflix command-api`: the admins' HTTP API.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use codeflix_auth::{DevIssuer, Verifier};
use codeflix_command_api::AppState;
use codeflix_eventlog::EventLog;
use tracing::info;

use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let api = start(settings).await?;
    println!("command API listening on {}", settings.command_api_url());
    api.run_until(super::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The development issuer, when no real issuer is configured.
fn dev_issuer(settings: &Settings) -> anyhow::Result<Option<Arc<DevIssuer>>> {
    if settings.auth.issuer.is_some() {
        return Ok(None);
    }
    let key = settings.dev_issuer_key();
    let issuer = DevIssuer::open(&key, &settings.dev_issuer_url())
        .with_context(|| format!("opening the development issuer's key {}", key.display()))?;
    Ok(Some(Arc::new(issuer)))
}

/// A command API bound to its port, with its event log connected.
pub(crate) struct CommandApi {
    listener: tokio::net::TcpListener,
    log: Arc<EventLog>,
    router: axum::Router,
    sweeper: tokio::task::JoinHandle<()>,
    dev_issuer: Option<Arc<DevIssuer>>,
}

pub(crate) async fn start(settings: &Settings) -> anyhow::Result<CommandApi> {
    let listener = tokio::net::TcpListener::bind(settings.command_api.listen)
        .await
        .with_context(|| format!("listening on {}", settings.command_api.listen))?;
    let log = Arc::new(
        EventLog::connect(settings.event_log())
            .await
            .context("connecting the event log")?,
    );
    let verifier = Arc::new(Verifier::new(settings.verifier()));
    let media = settings.media_store()?;
    let sweeper = codeflix_command_api::sweep_uploads_every(
        media.clone(),
        std::time::Duration::from_secs(600),
        settings.media.upload_expiry,
    );
    let state = AppState::new(log.clone(), verifier, media);
    let dev_issuer = dev_issuer(settings)?;
    let router = codeflix_command_api::router(state, dev_issuer.clone());
    info!(listen = %settings.command_api.listen, issuer = %settings.issuer_url(), "command API ready");
    Ok(CommandApi {
        listener,
        log,
        router,
        sweeper,
        dev_issuer,
    })
}

impl CommandApi {
    /// Its event log, for other roles running in the same process; they must let go of it
    /// before [`CommandApi::run_until`] returns, so that its relay stops cleanly.
    pub(crate) fn log(&self) -> Arc<EventLog> {
        Arc::clone(&self.log)
    }

    /// The development issuer it serves, when no real issuer is configured.
    pub(crate) fn dev_issuer(&self) -> Option<&DevIssuer> {
        self.dev_issuer.as_deref()
    }

    /// Serves until `shutdown`, finishes in-flight requests, then stops the relay cleanly.
    pub(crate) async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        codeflix_command_api::serve(self.listener, self.router, shutdown).await?;
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
