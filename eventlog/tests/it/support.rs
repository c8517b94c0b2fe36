//! A broker, a registry and event logs on a scratch data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codeflix_domain::catalog::category::{
    CategoryCommand, CategoryId, CategoryName, CreateCategory, UpdateCategory,
};
use codeflix_domain::{CommandContext, Timestamp};
use codeflix_eventlog::broker::{EmbeddedBroker, free_port};
use codeflix_eventlog::reader::{DecodedRecord, decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_registry::{Level, Registry};
use uuid::Uuid;

pub(crate) struct Cluster {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) broker: Option<EmbeddedBroker>,
    pub(crate) registry_url: String,
    registry: tokio::task::JoinHandle<()>,
}

impl Cluster {
    pub(crate) async fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port().unwrap())
            .parse()
            .unwrap();
        let broker = EmbeddedBroker::start(&dir.path().join("broker"), addr)
            .await
            .unwrap();
        let registry = Registry::open(&dir.path().join("registry.db"), Level::BackwardTransitive)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let registry_url = format!("http://{}", listener.local_addr().unwrap());
        let registry = tokio::spawn(async move {
            codeflix_registry::serve(listener, registry).await.unwrap();
        });
        Cluster {
            dir,
            broker: Some(broker),
            registry_url,
            registry,
        }
    }

    pub(crate) fn bootstrap(&self) -> String {
        self.broker.as_ref().unwrap().bootstrap()
    }

    pub(crate) fn store_path(&self) -> PathBuf {
        self.dir.path().join("command-store.db")
    }

    pub(crate) fn config(&self) -> EventLogConfig {
        let mut config =
            EventLogConfig::new(&self.bootstrap(), &self.registry_url, self.store_path());
        config.topics.retention_ms = codeflix_eventlog::broker::EMBEDDED_RETENTION_MS;
        config.relay.lease_ttl = Duration::from_secs(2);
        config.relay.quarantine = Duration::from_secs(1);
        config.ack_timeout = Duration::from_secs(20);
        config
    }

    pub(crate) async fn log(&self) -> EventLog {
        EventLog::connect(self.config()).await.unwrap()
    }

    /// Every event in the category topic, decoded.
    pub(crate) async fn category_events(&self, log: &EventLog) -> Vec<DecodedRecord> {
        let topic = event_topic("codeflix", codeflix_domain::AggregateType::Category);
        let raw = read_snapshot(&self.config(), &[topic]).await.unwrap();
        decode_all(log.codec(), raw).await.unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.registry.abort();
        if let Some(broker) = self.broker.take() {
            broker.stop();
        }
    }
}

pub(crate) fn ctx() -> CommandContext {
    CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: "admin-1".into(),
        now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
    }
}

pub(crate) fn category() -> CategoryId {
    CategoryId::new(Uuid::new_v4())
}

pub(crate) fn create(name: &str) -> CategoryCommand {
    CreateCategory {
        name: CategoryName::parse(name).unwrap(),
        description: None,
        active: true,
    }
    .into()
}

pub(crate) fn rename(name: &str) -> CategoryCommand {
    UpdateCategory {
        name: CategoryName::parse(name).unwrap(),
        description: None,
    }
    .into()
}
