use std::process::ExitCode;

use anyhow::Context;
use codeflix_registry::{Level, Registry};
use tracing::info;

use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let serving = start(settings).await?;
    tokio::select! {
        result = serving => result?,
        () = super::shutdown_signal() => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the registry and binds its port; the returned future serves it.
pub(crate) async fn start(
    settings: &Settings,
) -> anyhow::Result<impl std::future::Future<Output = std::io::Result<()>> + Send + 'static> {
    let level: Level = settings
        .schema_registry
        .compatibility
        .parse()
        .map_err(anyhow::Error::msg)?;
    let path = settings.data_dir.join("registry.db");
    let registry = Registry::open(&path, level).await?;
    let listener = tokio::net::TcpListener::bind(settings.schema_registry.listen)
        .await
        .with_context(|| format!("listening on {}", settings.schema_registry.listen))?;
    info!(listen = %settings.schema_registry.listen, data = %path.display(), "embedded schema registry ready");
    println!(
        "schema registry listening on http://{}",
        listener.local_addr()?
    );
    Ok(codeflix_registry::serve(
        listener,
        registry,
        settings.schema_registry.token.clone(),
        std::future::pending(),
    ))
}
