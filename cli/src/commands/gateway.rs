//! `codeflix gateway`: the web apps and the APIs on one origin.

use std::process::ExitCode;

use anyhow::Context as _;
use tokio::task::JoinHandle;

use crate::settings::Settings;

/// Binds `gateway.listen` and serves the gateway until `shutdown` resolves.
pub(crate) async fn start(
    settings: &Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<JoinHandle<std::io::Result<()>>> {
    let router = codeflix_gateway::router(config(settings)?).context("gateway")?;
    let (listener, _) = codeflix_http::bind(settings.gateway.listen)
        .await
        .context("gateway.listen")?;
    Ok(tokio::spawn(codeflix_http::serve(
        listener, router, shutdown,
    )))
}

fn config(settings: &Settings) -> anyhow::Result<codeflix_gateway::GatewayConfig> {
    let gateway = &settings.gateway;
    codeflix_gateway::check_theme(&gateway.theme)?;
    let mut app = codeflix_gateway::AppConfig::behind_gateway(
        settings.issuer_url(),
        gateway.client_id.clone(),
    );
    app.theme = gateway.theme.clone();
    Ok(codeflix_gateway::GatewayConfig {
        app,
        command_api: gateway
            .command_api
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.command_api.listen)),
        query_api: gateway
            .query_api
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.query_api.listen)),
    })
}

/// `codeflix gateway`.
pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    if !codeflix_gateway::assets::built() {
        eprintln!(
            "warning: the web apps are not built into this binary (cd web && npm ci && npm run \
             build); serving the APIs only"
        );
    }
    let serving = start(settings, super::shutdown_signal()).await?;
    println!("gateway listening on {}", settings.gateway_url());
    serving.await??;
    Ok(ExitCode::SUCCESS)
}
