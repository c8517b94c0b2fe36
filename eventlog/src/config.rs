//! How the event log reaches Kafka, the schema registry and its command store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::ClientConfig;

use crate::topics::TopicSettings;

/// Everything [`crate::EventLog::connect`] needs.
#[derive(Debug, Clone)]
pub struct EventLogConfig {
    /// Kafka bootstrap servers, e.g. `127.0.0.1:9092`.
    pub bootstrap_servers: String,
    /// Schema registry base URL, e.g. `http://127.0.0.1:8081`.
    pub schema_registry_url: String,
    pub topics: TopicSettings,
    /// The command store file (embedded SQLite), used when `command_store_url` is `None`.
    pub store_path: PathBuf,
    /// The command store on ScyllaDB, for command-side processes on several hosts:
    /// `scylla://[user:password@]host[:port][,…]/keyspace[?replication_factor=N]` (ADR 0013).
    pub command_store_url: Option<String>,
    /// Extra librdkafka properties for every client (security, timeouts), applied last.
    pub kafka: BTreeMap<String, String>,
    /// How long `execute` waits for its events to be confirmed in Kafka.
    pub ack_timeout: Duration,
    pub relay: RelaySettings,
}

/// How the relay behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// How long a relay lease lasts without renewal; another process takes over after it.
    pub lease_ttl: Duration,
    /// How long a relay waits after dropping a producer before reading partition tails, so that
    /// requests the old producer had sent are settled (see ADR 0005); also the producer's request
    /// timeout (at least one second).
    pub quarantine: Duration,
    /// How soon a relay looks again for rows written by other processes after a round that
    /// found or sent something. Each round that finds nothing doubles the wait, up to
    /// `idle_poll_max` (rows this process stores wake the relay at once either way).
    pub idle_poll: Duration,
    /// The longest an idle relay waits before looking for other processes' rows: what a command
    /// taken by another process may wait extra after a quiet spell, against polling the store a
    /// hundred times a second while nothing happens.
    pub idle_poll_max: Duration,
    /// Rows read from the store per round.
    pub batch: usize,
    /// Rows read from the store and not yet confirmed (held back or sent), at most.
    pub max_in_flight: usize,
}

impl Default for RelaySettings {
    fn default() -> Self {
        RelaySettings {
            lease_ttl: Duration::from_secs(10),
            quarantine: Duration::from_secs(10),
            idle_poll: Duration::from_millis(10),
            idle_poll_max: Duration::from_millis(100),
            batch: 2000,
            max_in_flight: 20_000,
        }
    }
}

/// The relay producer's settings that exactly-once and in-order publication rest on; the
/// configured extra properties cannot override them.
pub const PRODUCER_GUARANTEES: [(&str, &str); 4] = [
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("max.in.flight.requests.per.connection", "5"),
    ("enable.gapless.guarantee", "true"),
];

impl EventLogConfig {
    /// A configuration with Codeflix's defaults for everything but the addresses and the store.
    pub fn new(bootstrap_servers: &str, schema_registry_url: &str, store_path: PathBuf) -> Self {
        EventLogConfig {
            bootstrap_servers: bootstrap_servers.to_owned(),
            schema_registry_url: schema_registry_url.to_owned(),
            topics: TopicSettings {
                prefix: "codeflix".to_owned(),
                partitions: 3,
                replication_factor: 1,
                retention_ms: crate::topics::RETENTION_FOREVER,
            },
            store_path,
            command_store_url: None,
            kafka: BTreeMap::new(),
            ack_timeout: Duration::from_secs(30),
            relay: RelaySettings::default(),
        }
    }

    /// A librdkafka client configuration with the bootstrap servers and the extra properties.
    pub fn client(&self, properties: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap_servers);
        for (key, value) in properties {
            config.set(*key, *value);
        }
        for (key, value) in &self.kafka {
            config.set(key, value);
        }
        config
    }

    /// The relay's producer: idempotent, all replicas, ordered and gapless per partition. Its
    /// request timeout is the relay's quarantine, so that once a quarantine has passed every
    /// request an abandoned producer sent has been answered or abandoned by the broker.
    pub fn producer(&self) -> ClientConfig {
        let request_timeout = self.relay.quarantine.as_millis().max(1000).to_string();
        let mut config = self.client(&[
            ("linger.ms", "2"),
            ("batch.num.messages", "10000"),
            ("queue.buffering.max.messages", "200000"),
            ("message.timeout.ms", "300000"),
        ]);
        config.set("request.timeout.ms", request_timeout);
        for (key, value) in &self.kafka {
            config.set(key, value);
        }
        // What exactly-once rests on is not the extra properties' to change.
        for (key, value) in PRODUCER_GUARANTEES {
            if let Some(asked) = self.kafka.get(key).filter(|asked| asked.as_str() != value) {
                tracing::warn!(
                    property = key,
                    asked = %asked,
                    kept = value,
                    "ignoring a kafka property that would break the relay's guarantees"
                );
            }
            config.set(key, value);
        }
        config
    }

    /// A consumer that reads by assignment and never commits.
    pub fn reader(&self, group: &str) -> ClientConfig {
        self.client(&[
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_properties_cannot_weaken_the_relay_producer() {
        let mut config =
            EventLogConfig::new("127.0.0.1:9092", "http://127.0.0.1:8081", "s.db".into());
        for (key, weaker) in [
            ("acks", "1"),
            ("enable.idempotence", "false"),
            ("max.in.flight.requests.per.connection", "50"),
            ("enable.gapless.guarantee", "false"),
        ] {
            config.kafka.insert(key.to_owned(), weaker.to_owned());
        }
        config
            .kafka
            .insert("security.protocol".into(), "SASL_SSL".into());
        let producer = config.producer();
        for (key, value) in PRODUCER_GUARANTEES {
            assert_eq!(producer.get(key), Some(value), "{key}");
        }
        // Everything else still applies.
        assert_eq!(producer.get("security.protocol"), Some("SASL_SSL"));
    }
}
