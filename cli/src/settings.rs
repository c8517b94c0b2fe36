//! Configuration: defaults that run everything embedded, overridden by a TOML file and then by
//! `CODEFLIX__SECTION__KEY` environment variables (e.g. `CODEFLIX__KAFKA__BOOTSTRAP_SERVERS`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::topics::TopicSettings;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the `codeflix` command can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Where embedded engines and the command store keep their files.
    pub(crate) data_dir: PathBuf,
    pub(crate) kafka: KafkaSettings,
    pub(crate) schema_registry: RegistrySettings,
    pub(crate) event_log: EventLogSettings,
}

/// How appends are confirmed and published.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EventLogSettings {
    /// How long a command waits for its events to be confirmed in Kafka, e.g. `30s`.
    #[serde(with = "humantime_serde")]
    pub(crate) ack_timeout: Duration,
    /// How long the publishing relay's lease lasts; another process takes over after it.
    #[serde(with = "humantime_serde")]
    pub(crate) relay_lease_ttl: Duration,
    /// How long a relay waits after a producer failure before recovering (also the producer's
    /// request timeout).
    #[serde(with = "humantime_serde")]
    pub(crate) relay_quarantine: Duration,
}

impl Default for EventLogSettings {
    fn default() -> Self {
        let relay = codeflix_eventlog::config::RelaySettings::default();
        EventLogSettings {
            ack_timeout: Duration::from_secs(30),
            relay_lease_ttl: relay.lease_ttl,
            relay_quarantine: relay.quarantine,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct KafkaSettings {
    /// Bootstrap servers of a real Kafka cluster; unset means the embedded broker at `listen`.
    pub(crate) bootstrap_servers: Option<String>,
    /// Where the embedded broker listens (IPv4).
    pub(crate) listen: SocketAddr,
    pub(crate) topic_prefix: String,
    pub(crate) partitions: i32,
    pub(crate) replication_factor: i32,
    /// `retention.ms` of event topics; unset means forever (-1 on Kafka; on the embedded broker
    /// the largest value, because tansu 0.6.0 deletes everything at -1).
    pub(crate) retention_ms: Option<i64>,
    /// Extra librdkafka properties for every client, e.g. `security.protocol`, `sasl.username`.
    pub(crate) properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegistrySettings {
    /// URL of a real schema registry; unset means the embedded registry at `listen`.
    pub(crate) url: Option<String>,
    /// Where the embedded registry listens.
    pub(crate) listen: SocketAddr,
    /// The embedded registry's default compatibility level.
    pub(crate) compatibility: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            kafka: KafkaSettings::default(),
            schema_registry: RegistrySettings::default(),
            event_log: EventLogSettings::default(),
        }
    }
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            bootstrap_servers: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            topic_prefix: "codeflix".into(),
            partitions: 3,
            replication_factor: 1,
            retention_ms: None,
            properties: BTreeMap::new(),
        }
    }
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            compatibility: "BACKWARD_TRANSITIVE".into(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` (or `codeflix.toml` in the working directory, if present), then the
    /// environment.
    pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(file) => {
                anyhow::ensure!(
                    file.exists(),
                    "the configuration file {} does not exist",
                    file.display()
                );
                figment = figment.merge(Toml::file(file));
            }
            None => figment = figment.merge(Toml::file("codeflix.toml")),
        }
        let settings = figment
            .merge(Env::prefixed("CODEFLIX__").split("__"))
            .extract()?;
        Ok(settings)
    }

    pub(crate) fn bootstrap_servers(&self) -> String {
        self.kafka
            .bootstrap_servers
            .clone()
            .unwrap_or_else(|| self.kafka.listen.to_string())
    }

    pub(crate) fn registry_url(&self) -> String {
        self.schema_registry
            .url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.schema_registry.listen))
    }

    pub(crate) fn event_log(&self) -> EventLogConfig {
        let mut config = EventLogConfig::new(
            &self.bootstrap_servers(),
            &self.registry_url(),
            self.data_dir.join("command-store.db"),
        );
        let forever = if self.kafka.bootstrap_servers.is_some() {
            codeflix_eventlog::topics::RETENTION_FOREVER
        } else {
            codeflix_eventlog::broker::EMBEDDED_RETENTION_MS
        };
        config.topics = TopicSettings {
            prefix: self.kafka.topic_prefix.clone(),
            partitions: self.kafka.partitions,
            replication_factor: self.kafka.replication_factor,
            retention_ms: self.kafka.retention_ms.unwrap_or(forever),
        };
        config.kafka = self.kafka.properties.clone();
        config.ack_timeout = self.event_log.ack_timeout;
        config.relay.lease_ttl = self.event_log.relay_lease_ttl;
        config.relay.quarantine = self.event_log.relay_quarantine;
        config
    }
}
