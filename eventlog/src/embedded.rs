//! The embedded stack on one data directory: a Kafka-protocol broker and a schema registry, with an
//! [`EventLogConfig`] that reaches them. For tests, benchmarks and tools that need a whole log
//! without any server installed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use codeflix_registry::{Level, Registry};

use crate::broker::{EMBEDDED_RETENTION_MS, EmbeddedBroker, free_port};
use crate::{EventLogConfig, EventLogError};

/// A broker and a registry running in this process until dropped.
#[derive(Debug)]
pub struct EmbeddedStack {
    dir: PathBuf,
    broker: Option<EmbeddedBroker>,
    registry_url: String,
    registry: tokio::task::JoinHandle<()>,
}

impl EmbeddedStack {
    /// Starts both on free loopback ports, keeping their data under `dir`.
    pub async fn start(dir: &Path) -> Result<EmbeddedStack, EventLogError> {
        let config = |e: std::io::Error| EventLogError::Config(e.to_string());
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let broker = EmbeddedBroker::start(&dir.join("broker"), addr).await?;
        let registry = Registry::open(&dir.join("registry.db"), Level::BackwardTransitive)
            .await
            .map_err(|e| EventLogError::Registry(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(config)?;
        let registry_url = format!("http://{}", listener.local_addr().map_err(config)?);
        let registry = tokio::spawn(async move {
            if let Err(error) =
                codeflix_registry::serve(listener, registry, None, std::future::pending()).await
            {
                tracing::error!(%error, "embedded schema registry stopped");
            }
        });
        Ok(EmbeddedStack {
            dir: dir.to_owned(),
            broker: Some(broker),
            registry_url,
            registry,
        })
    }

    pub fn bootstrap(&self) -> String {
        self.broker
            .as_ref()
            .map(EmbeddedBroker::bootstrap)
            .unwrap_or_default()
    }

    pub fn registry_url(&self) -> &str {
        &self.registry_url
    }

    /// Stops the broker, waits `pause`, and starts it again on the same address and data (a
    /// broker restart, for tests of what survives one).
    pub async fn restart_broker(
        &mut self,
        pause: std::time::Duration,
    ) -> Result<(), EventLogError> {
        let addr: SocketAddr = self
            .bootstrap()
            .parse()
            .map_err(|e: std::net::AddrParseError| EventLogError::Config(e.to_string()))?;
        if let Some(broker) = self.broker.take() {
            broker.stop();
        }
        tokio::time::sleep(pause).await;
        self.broker = Some(EmbeddedBroker::start(&self.dir.join("broker"), addr).await?);
        Ok(())
    }

    /// An event log configuration for this stack, its command store under the data directory.
    pub fn config(&self) -> EventLogConfig {
        let mut config = EventLogConfig::new(
            &self.bootstrap(),
            &self.registry_url,
            self.dir.join("command-store.db"),
        );
        config.topics.retention_ms = EMBEDDED_RETENTION_MS;
        config
    }
}

impl Drop for EmbeddedStack {
    fn drop(&mut self) {
        self.registry.abort();
        if let Some(broker) = self.broker.take() {
            broker.stop();
        }
    }
}
