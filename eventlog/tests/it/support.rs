//! A broker, a registry and event logs on a scratch data directory.

use std::path::PathBuf;
use std::time::Duration;

use codeflix_domain::catalog::category::{
    CategoryCommand, CategoryId, CategoryName, CreateCategory, UpdateCategory,
};
use codeflix_domain::{CommandContext, Timestamp};
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::reader::{DecodedRecord, decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, EventLogConfig};
use uuid::Uuid;

pub(crate) struct Cluster {
    pub(crate) stack: EmbeddedStack,
    pub(crate) dir: tempfile::TempDir,
}

impl Cluster {
    pub(crate) async fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let stack = EmbeddedStack::start(dir.path()).await.unwrap();
        Cluster { stack, dir }
    }

    pub(crate) fn bootstrap(&self) -> String {
        self.stack.bootstrap()
    }

    pub(crate) fn store_path(&self) -> PathBuf {
        self.dir.path().join("command-store.db")
    }

    /// The stack's configuration, with a short relay lease so that takeovers happen quickly.
    pub(crate) fn config(&self) -> EventLogConfig {
        let mut config = self.stack.config();
        config.relay.lease_ttl = Duration::from_secs(2);
        config.relay.quarantine = Duration::from_secs(1);
        config.ack_timeout = Duration::from_secs(20);
        config
    }

    pub(crate) async fn log(&self) -> EventLog {
        EventLog::connect(self.config()).await.unwrap()
    }

    /// A log on the cluster, and a category ("Movies") created through it.
    pub(crate) async fn log_with_category(&self) -> (EventLog, CategoryId) {
        let log = self.log().await;
        let id = category();
        log.execute::<codeflix_domain::catalog::category::Category>(
            &ctx(),
            &id,
            codeflix_domain::ExpectedVersion::Any,
            create("Movies"),
        )
        .await
        .unwrap();
        (log, id)
    }

    /// Every event in the category topic, decoded.
    pub(crate) async fn category_events(&self, log: &EventLog) -> Vec<DecodedRecord> {
        let topic = event_topic("codeflix", codeflix_domain::AggregateType::Category);
        let raw = read_snapshot(&self.config(), &[topic]).await.unwrap();
        decode_all(log.codec(), raw).await.unwrap()
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
