//! `codeflix command-api`: the admins' HTTP API.

use std::process::ExitCode;
use std::time::Duration;

use codeflix_command_api::{Application, AuthConfig, CommandApiConfig};

use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let api = start(settings).await?;
    println!("command API listening on {}", api.url());
    api.run_until_stopped(super::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The command API as configured, bound to its port, its event log connected.
pub(crate) async fn start(settings: &Settings) -> anyhow::Result<Application> {
    Ok(Application::build(config(settings).await?).await?)
}

async fn config(settings: &Settings) -> anyhow::Result<CommandApiConfig> {
    let auth = &settings.auth;
    Ok(CommandApiConfig {
        listen: settings.command_api.listen,
        public_url: settings.command_api.public_url.clone(),
        event_log: settings.event_log(),
        auth: AuthConfig {
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            client_id: auth.client_id.clone(),
            jwks_url: auth.jwks_url.clone(),
            dev_issuer_key: settings.dev_issuer_key(),
            dev_issuer_off_loopback: auth.dev_issuer_off_loopback,
            admin_realm_url: auth.admin_realm_url.clone(),
            admin_client_secret: auth.admin_client_secret.clone(),
        },
        media: settings.media_store()?,
        upload_expiry: settings.media.upload_expiry,
        sweep_every: Duration::from_secs(600),
        payments: settings.payments().await?,
        unsubscribe_key: Some(settings.unsubscribe_key()?),
        consumers: super::views::known_consumers(),
    })
}
