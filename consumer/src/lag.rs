//! Consumer lag in the names Kafka's lag exporters give it (kafka_exporter's
//! `kafka_consumergroup_lag`, `kafka_consumergroup_current_offset`, …), so that the dashboards
//! and alerts operators already have work unchanged. Every consumer group the broker lists that
//! has committed offsets on the platform's topics is measured every few seconds: its committed
//! offset per partition against the partition's end. Every partition's end is shown too, so that
//! dead letters show as a dead-letter topic that grows.
//!
//! These metrics carry no `codeflix_` prefix: they go in a registry of their own, beside the
//! prefixed one (see `codeflix_http::metrics`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::{ConsumerError, kafka};

/// How long one question to the broker may take: short, since a round asks many and a stopping
/// process waits for the question in flight.
const TIMEOUT: Duration = Duration::from_secs(3);

/// What one round measured: every partition's end, and each group's place in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measured {
    /// (topic, partition, end) of every partition of the platform's topics.
    pub ends: Vec<(String, i32, i64)>,
    /// Every group's committed offset where it has one.
    pub groups: Vec<PartitionLag>,
}

/// One partition as a group has read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset: the next record it will read.
    pub committed: i64,
    /// The partition's end: the offset the next record appended will take.
    pub end: i64,
}

impl PartitionLag {
    /// Records appended that the group has not committed yet.
    pub fn lag(&self) -> i64 {
        (self.end - self.committed).max(0)
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupPartition {
    consumergroup: String,
    topic: String,
    partition: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupTopic {
    consumergroup: String,
    topic: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TopicPartition {
    topic: String,
    partition: String,
}

/// The lag gauges, as kafka_exporter names them.
#[derive(Debug, Clone, Default)]
pub struct LagMetrics {
    current_offset: Family<GroupPartition, Gauge>,
    lag: Family<GroupPartition, Gauge>,
    lag_sum: Family<GroupTopic, Gauge>,
    partition_end: Family<TopicPartition, Gauge>,
}

impl LagMetrics {
    /// Registers the gauges in `registry`, which must have no prefix: the names are Kafka's
    /// exporters'.
    pub fn register(registry: &mut Registry) -> LagMetrics {
        let metrics = LagMetrics::default();
        registry.register(
            "kafka_consumergroup_current_offset",
            "The consumer group's committed offset in the partition",
            metrics.current_offset.clone(),
        );
        registry.register(
            "kafka_consumergroup_lag",
            "Records in the partition past the consumer group's committed offset",
            metrics.lag.clone(),
        );
        registry.register(
            "kafka_consumergroup_lag_sum",
            "Records in the topic past the consumer group's committed offsets",
            metrics.lag_sum.clone(),
        );
        registry.register(
            "kafka_topic_partition_current_offset",
            "The partition's end: the offset of the next record appended",
            metrics.partition_end.clone(),
        );
        metrics
    }

    /// Shows `measured`, and nothing measured before: groups and topics that are gone leave.
    pub fn show(&self, measured: &Measured) {
        self.current_offset.clear();
        self.lag.clear();
        self.lag_sum.clear();
        self.partition_end.clear();
        for (topic, partition, end) in &measured.ends {
            self.partition_end
                .get_or_create(&TopicPartition {
                    topic: topic.clone(),
                    partition: partition.to_string(),
                })
                .set(*end);
        }
        let mut sums: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for p in &measured.groups {
            let labels = GroupPartition {
                consumergroup: p.group.clone(),
                topic: p.topic.clone(),
                partition: p.partition.to_string(),
            };
            self.current_offset.get_or_create(&labels).set(p.committed);
            self.lag.get_or_create(&labels).set(p.lag());
            *sums.entry((&p.group, &p.topic)).or_default() += p.lag();
        }
        for ((group, topic), sum) in sums {
            self.lag_sum
                .get_or_create(&GroupTopic {
                    consumergroup: group.to_owned(),
                    topic: topic.to_owned(),
                })
                .set(sum);
        }
    }
}

/// Every listed consumer group's committed offsets on the topics named with the configured
/// prefix, against each partition's end (blocking: call it off the async threads).
pub fn measure(config: &EventLogConfig) -> Result<Measured, ConsumerError> {
    Clients::default().measure(config, &AtomicBool::new(false))
}

/// The clients a watcher keeps between rounds: one to list groups and ends, and one per group
/// (which asks for that group's offsets without joining it). Making them anew each round cost
/// more than the round itself.
#[derive(Default)]
struct Clients {
    admin: Option<BaseConsumer>,
    groups: BTreeMap<String, BaseConsumer>,
}

impl Clients {
    /// [`measure`], giving up (with what it has) as soon as `stop` is set.
    fn measure(
        &mut self,
        config: &EventLogConfig,
        stop: &AtomicBool,
    ) -> Result<Measured, ConsumerError> {
        let stopped = || stop.load(Ordering::Relaxed);
        if self.admin.is_none() {
            self.admin = Some(config.reader("codeflix-lag").create().map_err(kafka)?);
        }
        let client = self.admin.as_ref().expect("made above");
        let listed = client.fetch_group_list(None, TIMEOUT).map_err(kafka)?;
        let metadata = client.fetch_metadata(None, TIMEOUT).map_err(kafka)?;
        let prefix = format!("{}.", config.topics.prefix);
        let mut partitions = TopicPartitionList::new();
        let mut ends = BTreeMap::new();
        for topic in metadata
            .topics()
            .iter()
            .filter(|t| t.name().starts_with(&prefix))
        {
            for partition in topic.partitions() {
                if stopped() {
                    return Ok(Measured::default());
                }
                partitions.add_partition(topic.name(), partition.id());
                let (_, end) = client
                    .fetch_watermarks(topic.name(), partition.id(), TIMEOUT)
                    .map_err(kafka)?;
                ends.insert((topic.name().to_owned(), partition.id()), end);
            }
        }
        let mut measured = Measured {
            ends: ends
                .iter()
                .map(|((topic, partition), end)| (topic.clone(), *partition, *end))
                .collect(),
            groups: Vec::new(),
        };
        let names: std::collections::BTreeSet<String> = listed
            .groups()
            .iter()
            .map(|g| g.name().to_owned())
            .collect();
        // Groups the broker no longer lists let go of their clients.
        self.groups.retain(|name, _| names.contains(name));
        if partitions.count() == 0 {
            return Ok(measured);
        }
        for group in names {
            if stopped() {
                break;
            }
            let member = match self.groups.entry(group.clone()) {
                std::collections::btree_map::Entry::Occupied(member) => member.into_mut(),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(config.reader(&group).create().map_err(kafka)?)
                }
            };
            let committed = member
                .committed_offsets(partitions.clone(), TIMEOUT)
                .map_err(kafka)?;
            for element in committed.elements() {
                let Offset::Offset(offset) = element.offset() else {
                    continue;
                };
                let key = (element.topic().to_owned(), element.partition());
                if let Some(&end) = ends.get(&key) {
                    measured.groups.push(PartitionLag {
                        group: group.clone(),
                        topic: key.0,
                        partition: key.1,
                        committed: offset,
                        end,
                    });
                }
            }
        }
        Ok(measured)
    }
}

/// Measures every `every` and shows it in `metrics`, until [`Watch::stop`]. A round that fails
/// (the broker is away) leaves the last figures and is logged once until one succeeds.
pub fn watch(config: EventLogConfig, metrics: LagMetrics, every: Duration) -> Watch {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        let clients = Arc::new(std::sync::Mutex::new(Clients::default()));
        loop {
            ticks.tick().await;
            let config = config.clone();
            let stop = Arc::clone(&stopping);
            let clients = Arc::clone(&clients);
            let started = std::time::Instant::now();
            let round = tokio::task::spawn_blocking(move || {
                let mut clients = clients.lock().unwrap_or_else(|e| e.into_inner());
                let measured = clients.measure(&config, &stop);
                if measured.is_err() {
                    // Connections may be what failed: the next round starts afresh.
                    *clients = Clients::default();
                }
                measured
            });
            match round.await {
                Ok(Ok(measured)) => {
                    tracing::debug!(
                        took = ?started.elapsed(),
                        partitions = measured.groups.len(),
                        "measured consumer lag"
                    );
                    metrics.show(&measured);
                    failing = false;
                }
                Ok(Err(error)) if !failing => {
                    tracing::warn!(%error, "measuring consumer lag");
                    failing = true;
                }
                Ok(Err(_)) => {}
                Err(error) => tracing::warn!(%error, "measuring consumer lag"),
            }
        }
    });
    Watch { task, stop }
}

/// A running [`watch`].
#[derive(Debug)]
pub struct Watch {
    task: tokio::task::JoinHandle<()>,
    stop: Arc<AtomicBool>,
}

impl Watch {
    /// Stops measuring; a round in flight gives up after the question it is asking (the
    /// process's runtime waits for it when it ends).
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
    }
}
