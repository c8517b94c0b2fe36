use std::process::ExitCode;

use codeflix_eventlog::broker::EmbeddedBroker;
use tracing::info;

use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let dir = settings.data_dir.join("broker");
    let broker = EmbeddedBroker::start(&dir, settings.kafka.listen).await?;
    info!(listen = %settings.kafka.listen, data = %dir.display(), "embedded broker ready");
    println!("broker listening on {}", broker.bootstrap());
    super::shutdown_signal().await;
    broker.stop();
    Ok(ExitCode::SUCCESS)
}
