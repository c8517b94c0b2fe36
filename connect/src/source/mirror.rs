//! `org.apache.kafka.connect.mirror.MirrorSourceConnector`: MirrorMaker 2's topic copier.
//!
//! Topics of the source cluster that `topics` selects (and `topics.exclude` does not, nor the
//! replication policy's internal topics, nor topics that came from the target: cycles) are
//! copied to the target cluster under the replication policy's names —
//! `DefaultReplicationPolicy`: `<source alias><separator><topic>`;
//! `IdentityReplicationPolicy`: the same name — keeping each record's key, value, timestamp,
//! headers and partition byte for byte. A remote topic is created with its source's partition
//! count (grown when it has fewer), and with the source's retention and compaction settings when
//! the source cluster describes them (`sync.topic.configs.enabled`).
//!
//! Progress is the consumer group `connect-<name>` on the source cluster, committed only after
//! the target acknowledged every copy of a batch (idempotent producer, `acks=all`): a task
//! killed at any point copies a batch again at most (at-least-once, as MirrorMaker without
//! exactly-once support). Transforms run on the copies as they would on a worker (with byte
//! schemas); the converters must be `ByteArrayConverter` (validation insists).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{
    AdminClient, AdminOptions, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use regex::Regex;

use crate::config::defs::{self, ConnectorType};
use crate::config::validate::same_servers;
use crate::config::{Config, value};
use crate::convert::Converter;
use crate::data::{Data, Schema, Type, Value};
use crate::errors::{Exception, Failure, Stage, TaskFailed};
use crate::patterns;
use crate::record::{Raw, Record};
use crate::report::ErrorHandler;
use crate::task::{Command, TaskContext};
use crate::transforms::Chain;

/// The task class Connect names.
pub const MIRROR_TASK: &str = "org.apache.kafka.connect.mirror.MirrorSourceTask";

const BATCH: usize = 1000;

fn failed(message: impl Into<String>) -> TaskFailed {
    TaskFailed::from_exception(&Exception::connect(message))
}

/// How remote topics are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// `<source alias><separator><topic>`.
    Default { separator: String },
    /// The same name.
    Identity,
}

/// Which topics are copied and what they are called on the target.
#[derive(Debug, Clone)]
pub struct Selection {
    pub source_alias: String,
    pub target_alias: String,
    pub policy: Policy,
    include: Option<Regex>,
    exclude: Option<Regex>,
    /// Source and target are one cluster: what this connector writes is never read back.
    same_cluster: bool,
}

impl Selection {
    pub fn from_config(config: &Config) -> Result<Selection, String> {
        let (defs, _) = defs::class_keys(defs::MIRROR_SOURCE);
        let get = |key: &str| value(config, &defs, key).unwrap_or_default().to_owned();
        let exclude = match config.get("topics.exclude") {
            Some(exclude) => exclude.clone(),
            None => config
                .get("topics.blacklist")
                .cloned()
                .unwrap_or_else(|| get("topics.exclude")),
        };
        let policy_class = get("replication.policy.class");
        let policy = if policy_class.ends_with("IdentityReplicationPolicy") {
            Policy::Identity
        } else if policy_class.ends_with("DefaultReplicationPolicy") {
            Policy::Default {
                separator: get("replication.policy.separator"),
            }
        } else {
            return Err(format!(
                "{policy_class} is not a replication policy the embedded runtime has"
            ));
        };
        Ok(Selection {
            source_alias: get("source.cluster.alias"),
            target_alias: get("target.cluster.alias"),
            policy,
            include: patterns::any_of(&get("topics"))?,
            exclude: patterns::any_of(&exclude)?,
            same_cluster: same_servers(
                &get("source.cluster.bootstrap.servers"),
                &get("target.cluster.bootstrap.servers"),
            ),
        })
    }

    /// The name of `topic`'s copy on the target.
    pub fn remote(&self, topic: &str) -> String {
        match &self.policy {
            Policy::Default { separator } => format!("{}{separator}{topic}", self.source_alias),
            Policy::Identity => topic.to_owned(),
        }
    }

    /// The cluster a topic came from by its name (`ReplicationPolicy.topicSource`).
    fn source_of<'a>(&self, topic: &'a str) -> Option<(&'a str, &'a str)> {
        match &self.policy {
            Policy::Default { separator } => topic.split_once(separator.as_str()),
            Policy::Identity => None,
        }
    }

    /// Whether the policy counts `topic` as internal (`ReplicationPolicy.isInternalTopic`).
    fn internal(topic: &str) -> bool {
        topic.starts_with("__")
            || topic.starts_with('.')
            || topic.ends_with(".internal")
            || topic.ends_with("-internal")
            || topic.starts_with("mm2-")
    }

    /// Whether `topic` (on the source) is copied.
    pub fn copies(&self, topic: &str) -> bool {
        if Selection::internal(topic) {
            return false;
        }
        if !self.include.as_ref().is_some_and(|r| r.is_match(topic)) {
            return false;
        }
        if self.exclude.as_ref().is_some_and(|r| r.is_match(topic)) {
            return false;
        }
        // A topic that came from the target would travel in a cycle (`isCycle`).
        let mut upstream = topic;
        while let Some((source, rest)) = self.source_of(upstream) {
            if source == self.target_alias {
                return false;
            }
            upstream = rest;
        }
        // On one cluster, this connector's own copies are not sources.
        if self.same_cluster
            && let Policy::Default { separator } = &self.policy
            && topic.starts_with(&format!("{}{separator}", self.source_alias))
        {
            return false;
        }
        true
    }
}

/// The client settings of one side: `<side>.cluster.*` (the worker's extra properties too when
/// it is the worker's cluster), then the `<role>.` and `<side>.<role>.` overrides.
fn client(ctx: &TaskContext, side: &str, role: &str) -> ClientConfig {
    let config = &ctx.config;
    let cluster_prefix = format!("{side}.cluster.");
    let servers = config
        .get(&format!("{cluster_prefix}bootstrap.servers"))
        .cloned()
        .unwrap_or_default();
    let mut client = if same_servers(&servers, &ctx.worker.kafka.bootstrap_servers) {
        ctx.worker.kafka.client(&[])
    } else {
        ClientConfig::new()
    };
    client.set("bootstrap.servers", &servers);
    // The connector's own keys that share a prefix (`consumer.poll.timeout.ms`,
    // `admin.timeout.ms`, `source.cluster.alias`) and Connect's per-connector overrides are not
    // client settings.
    let (own, _) = defs::class_keys(defs::MIRROR_SOURCE);
    let client_setting = |key: &str| {
        !own.iter().any(|d| d.name == key)
            && !key.ends_with(".cluster.alias")
            && !key.contains(".override.")
    };
    let mut apply = |prefix: &str| {
        for (full, v) in config.iter().filter(|(k, _)| client_setting(k)) {
            if let Some(key) = full.strip_prefix(prefix) {
                client.set(key, v);
            }
        }
    };
    apply(&cluster_prefix);
    apply(&format!("{role}."));
    apply(&format!("{side}.{role}."));
    client
}

/// Runs the mirror task until told to stop; `Err` is the task FAILED with its trace.
pub async fn run(mut ctx: TaskContext) -> Result<(), TaskFailed> {
    let (defs, _) = defs::class_keys(defs::MIRROR_SOURCE);
    let setting = |key: &str| {
        value(&ctx.config, &defs, key)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    if setting("enabled").eq_ignore_ascii_case("false") {
        tracing::info!(connector = %ctx.connector, "mirror disabled (enabled=false); idle");
        while ctx.wait_while_paused().await {
            if ctx.commands.changed().await.is_err() {
                break;
            }
        }
        return Ok(());
    }
    let selection = Selection::from_config(&ctx.config).map_err(failed)?;
    let chain = Chain::from_config(&ctx.config).map_err(failed)?;
    let handler = ErrorHandler::new(
        &ctx.connector,
        &ctx.config,
        ConnectorType::Source,
        &ctx.worker.kafka,
    )
    .await
    .map_err(|e| TaskFailed::from_exception(&e))?;
    let refresh = if setting("refresh.topics.enabled").eq_ignore_ascii_case("false") {
        None
    } else {
        Some(Duration::from_secs(
            setting("refresh.topics.interval.seconds")
                .parse()
                .unwrap_or(600),
        ))
    };
    let replication: i32 = setting("replication.factor").parse().unwrap_or(2);
    let sync_configs = !setting("sync.topic.configs.enabled").eq_ignore_ascii_case("false");

    let group = format!("connect-{}", ctx.connector);
    let mut consumer_config = client(&ctx, "source", "consumer");
    for (key, v) in codeflix_consumer::membership::settings(&group) {
        consumer_config.set(key, v);
    }
    consumer_config.set("client.id", format!("{}-source-consumer", ctx.connector));
    let consumer: Arc<StreamConsumer> = Arc::new(
        consumer_config
            .create()
            .map_err(|e| failed(format!("creating the source cluster's consumer: {e}")))?,
    );
    let source_admin: AdminClient<DefaultClientContext> = client(&ctx, "source", "admin")
        .create()
        .map_err(|e| failed(format!("creating the source cluster's admin client: {e}")))?;
    let mut producer_config = client(&ctx, "target", "producer");
    for (key, v) in [
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("linger.ms", "5"),
        ("message.timeout.ms", "0"),
    ] {
        producer_config.set(key, v);
    }
    producer_config.set("client.id", format!("{}-target-producer", ctx.connector));
    let producer: FutureProducer = producer_config
        .create()
        .map_err(|e| failed(format!("creating the target cluster's producer: {e}")))?;
    let target_admin: AdminClient<DefaultClientContext> = client(&ctx, "target", "admin")
        .create()
        .map_err(|e| failed(format!("creating the target cluster's admin client: {e}")))?;

    let mut mirror = Mirror {
        selection,
        chain,
        handler,
        consumer,
        producer,
        source_admin,
        target_admin,
        replication,
        sync_configs,
        assigned: BTreeSet::new(),
        partitions: HashMap::new(),
        ready: BTreeSet::new(),
        bytes: Converter::ByteArray,
    };
    tracing::info!(connector = %ctx.connector, group, "mirror task started");
    mirror.discover(&ctx).await?;
    let mut discovered = Instant::now();
    let mut paused = false;
    loop {
        match ctx.command() {
            Command::Stop => break,
            Command::Pause => {
                if !paused {
                    mirror.pause(true);
                    paused = true;
                }
                if !ctx.wait_while_paused().await {
                    break;
                }
                continue;
            }
            Command::Run => {
                if paused {
                    mirror.pause(false);
                    paused = false;
                }
            }
        }
        // New topics and partitions as often as `refresh.topics.interval.seconds` says; every few
        // seconds while nothing is read yet (the source may not have been reachable).
        let due = refresh.is_some_and(|every| discovered.elapsed() >= every)
            || (mirror.assigned.is_empty() && discovered.elapsed() >= Duration::from_secs(5));
        if due {
            mirror.discover(&ctx).await?;
            discovered = Instant::now();
        }
        let batch = mirror
            .gather(&mut ctx, refresh.unwrap_or(Duration::from_secs(600)))
            .await;
        if !batch.is_empty() {
            mirror.copy(&mut ctx, batch).await?;
        }
    }
    tracing::info!(connector = %ctx.connector, "mirror task stopped");
    Ok(())
}

/// A record ready to be produced: the transformed record, its bytes, its source topic.
struct Copy {
    record: Record,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    source: String,
}

struct Mirror {
    selection: Selection,
    chain: Chain,
    handler: ErrorHandler,
    consumer: Arc<StreamConsumer>,
    producer: FutureProducer,
    source_admin: AdminClient<DefaultClientContext>,
    target_admin: AdminClient<DefaultClientContext>,
    replication: i32,
    sync_configs: bool,
    assigned: BTreeSet<(String, i32)>,
    /// Source topics' partition counts.
    partitions: HashMap<String, i32>,
    /// Target topics known to exist with enough partitions.
    ready: BTreeSet<String>,
    bytes: Converter,
}

impl Mirror {
    /// Finds the source topics to copy, makes their remote topics, and reads their new
    /// partitions from the group's committed offsets.
    async fn discover(&mut self, ctx: &TaskContext) -> Result<(), TaskFailed> {
        let partitions = match crate::sink::task::partitions(&self.consumer).await {
            Ok(partitions) => partitions,
            Err(error) => {
                tracing::warn!(connector = %ctx.connector, %error, "reading the source cluster's topics; trying again later");
                return Ok(());
            }
        };
        let mut counts: BTreeMap<String, i32> = BTreeMap::new();
        for (topic, _) in partitions.iter().filter(|(t, _)| self.selection.copies(t)) {
            *counts.entry(topic.clone()).or_insert(0) += 1;
        }
        let new: Vec<(String, i32)> = partitions
            .into_iter()
            .filter(|(t, p)| counts.contains_key(t) && !self.assigned.contains(&(t.clone(), *p)))
            .collect();
        let found: Vec<(String, i32)> = counts.into_iter().collect();
        for (topic, count) in found {
            let grew = self
                .partitions
                .insert(topic.clone(), count)
                .is_some_and(|old| old < count);
            let remote = self.selection.remote(&topic);
            if grew {
                self.ready.remove(&remote);
            }
            self.ensure_target(&remote, &topic, count).await?;
            ctx.used(&topic);
        }
        if !new.is_empty() {
            let mut list = TopicPartitionList::new();
            for (topic, partition) in &new {
                list.add_partition_offset(topic, *partition, Offset::Stored)
                    .map_err(|e| failed(e.to_string()))?;
            }
            self.consumer
                .incremental_assign(&list)
                .map_err(|e| failed(format!("assigning the source partitions: {e}")))?;
            self.assigned.extend(new);
        }
        Ok(())
    }

    /// Makes `remote` exist on the target with at least `count` partitions.
    async fn ensure_target(
        &mut self,
        remote: &str,
        source: &str,
        count: i32,
    ) -> Result<(), TaskFailed> {
        if self.ready.contains(remote) {
            return Ok(());
        }
        let metadata = self
            .target_admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(10))
            .map_err(|e| failed(format!("reading the target cluster's topics: {e}")))?;
        let existing = metadata
            .topics()
            .iter()
            .find(|t| t.name() == remote)
            .map(|t| i32::try_from(t.partitions().len()).unwrap_or(i32::MAX))
            .filter(|n| *n > 0);
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        match existing {
            Some(have) if have >= count => {}
            Some(have) => {
                tracing::info!(
                    topic = remote,
                    have,
                    need = count,
                    "growing a remote topic to its source's partitions"
                );
                let grow = NewPartitions::new(remote, usize::try_from(count).unwrap_or(0));
                let results = self
                    .target_admin
                    .create_partitions([&grow], &options)
                    .await
                    .map_err(|e| failed(format!("adding partitions to {remote}: {e}")))?;
                for result in results {
                    if let Err((topic, code)) = result {
                        return Err(failed(format!("adding partitions to {topic}: {code}")));
                    }
                }
            }
            None => {
                let brokers = i32::try_from(metadata.brokers().len()).unwrap_or(1).max(1);
                let configs = if self.sync_configs {
                    self.source_configs(source).await
                } else {
                    Vec::new()
                };
                let mut topic = NewTopic::new(
                    remote,
                    count,
                    TopicReplication::Fixed(self.replication.clamp(1, brokers)),
                );
                for (key, v) in &configs {
                    topic = topic.set(key, v);
                }
                let results = self
                    .target_admin
                    .create_topics([&topic], &options)
                    .await
                    .map_err(|e| failed(format!("creating {remote}: {e}")))?;
                for result in results {
                    match result {
                        Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((topic, code)) => {
                            return Err(failed(format!("creating {topic}: {code}")));
                        }
                    }
                }
                tracing::info!(topic = remote, partitions = count, "remote topic created");
            }
        }
        self.ready.insert(remote.to_owned());
        Ok(())
    }

    /// The source topic's settings worth keeping on its copy (retention and compaction), when
    /// the source cluster describes them.
    async fn source_configs(&self, topic: &str) -> Vec<(String, String)> {
        const KEPT: [&str; 7] = [
            "cleanup.policy",
            "retention.ms",
            "retention.bytes",
            "min.compaction.lag.ms",
            "max.compaction.lag.ms",
            "delete.retention.ms",
            "min.cleanable.dirty.ratio",
        ];
        let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
        let Ok(described) = self
            .source_admin
            .describe_configs([&ResourceSpecifier::Topic(topic)], &options)
            .await
        else {
            return Vec::new();
        };
        described
            .into_iter()
            .flatten()
            .flat_map(|resource| resource.entries)
            .filter(|entry| KEPT.contains(&entry.name.as_str()) && !entry.is_default)
            .filter_map(|entry| Some((entry.name, entry.value?)))
            .collect()
    }

    fn pause(&self, pause: bool) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let result = if pause {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        if let Err(error) = result {
            tracing::warn!(%error, pause, "pausing or resuming the mirror's partitions");
        }
    }

    async fn gather(&self, ctx: &mut TaskContext, idle: Duration) -> Vec<Raw> {
        ctx.poll(&self.consumer, idle, BATCH, "the source cluster")
            .await
    }

    /// Copies `batch`, waits for the target to acknowledge every copy, then commits the
    /// source offsets.
    async fn copy(&mut self, ctx: &mut TaskContext, batch: Vec<Raw>) -> Result<(), TaskFailed> {
        let bytes = || Some(Schema::of(Type::Bytes).optional());
        let mut copies: Vec<Copy> = Vec::with_capacity(batch.len());
        let mut filtered = 0;
        let mut skipped = 0;
        for raw in &batch {
            let remote = self.selection.remote(&raw.topic);
            let record = Record {
                topic: remote,
                partition: raw.partition,
                timestamp: raw.timestamp,
                key: Data::new(bytes(), raw.key.clone().map_or(Value::Null, Value::Bytes)),
                value: Data::new(bytes(), raw.value.clone().map_or(Value::Null, Value::Bytes)),
                headers: raw.headers.clone(),
            };
            let record = match self.chain.apply(record) {
                Ok(Some(record)) => record,
                Ok(None) => {
                    filtered += 1;
                    continue;
                }
                Err(failure) => {
                    self.handler.handle(raw, failure).await?;
                    skipped += 1;
                    continue;
                }
            };
            let key = match self.bytes.to_bytes(&record.key) {
                Ok(key) => key,
                Err(error) => {
                    self.handler
                        .handle(
                            raw,
                            Failure::new(Stage::KeyConverter, self.bytes.class_name(), error),
                        )
                        .await?;
                    skipped += 1;
                    continue;
                }
            };
            let value = match self.bytes.to_bytes(&record.value) {
                Ok(value) => value,
                Err(error) => {
                    self.handler
                        .handle(
                            raw,
                            Failure::new(Stage::ValueConverter, self.bytes.class_name(), error),
                        )
                        .await?;
                    skipped += 1;
                    continue;
                }
            };
            copies.push(Copy {
                record,
                key,
                value,
                source: raw.topic.clone(),
            });
        }
        // Topics a transform routed copies to exist too, with the source's partitions.
        for Copy { record, source, .. } in &copies {
            if !self.ready.contains(&record.topic) {
                let count = self.partitions.get(source).copied().unwrap_or(0);
                self.ensure_target(&record.topic, source, count.max(record.partition + 1))
                    .await?;
            }
            ctx.used(&record.topic);
        }
        let mut deliveries = Vec::with_capacity(copies.len());
        for Copy {
            record, key, value, ..
        } in &copies
        {
            let mut headers = OwnedHeaders::new();
            for (name, v) in &record.headers {
                headers = headers.insert(Header {
                    key: name,
                    value: v.as_deref(),
                });
            }
            let mut message = FutureRecord::<[u8], [u8]>::to(&record.topic)
                .partition(record.partition)
                .headers(headers);
            if let Some(key) = key {
                message = message.key(key);
            }
            if let Some(value) = value {
                message = message.payload(value);
            }
            if let Some(timestamp) = record.timestamp {
                message = message.timestamp(timestamp);
            }
            let delivery = self.producer.send_result(message).map_err(|(e, _)| {
                failed(format!(
                    "copying to {} partition {}: {e}",
                    record.topic, record.partition
                ))
            })?;
            deliveries.push((record.topic.clone(), record.partition, delivery));
        }
        for (topic, partition, delivery) in deliveries {
            delivery
                .await
                .map_err(|_| {
                    failed(format!(
                        "the copy to {topic} partition {partition} was cancelled"
                    ))
                })?
                .map_err(|(e, _)| {
                    failed(format!("copying to {topic} partition {partition}: {e}"))
                })?;
        }
        ctx.metrics
            .records(&ctx.connector, "copied", copies.len() as u64);
        ctx.metrics.records(&ctx.connector, "filtered", filtered);
        ctx.metrics.records(&ctx.connector, "skipped", skipped);
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        for raw in &batch {
            let entry = next.entry((raw.topic.clone(), raw.partition)).or_insert(0);
            *entry = (*entry).max(raw.offset + 1);
        }
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            offsets
                .add_partition_offset(topic, *partition, Offset::Offset(*offset))
                .map_err(|e| failed(e.to_string()))?;
        }
        let consumer = Arc::clone(&self.consumer);
        match tokio::task::spawn_blocking(move || consumer.commit(&offsets, CommitMode::Sync)).await
        {
            Ok(Ok(())) => {}
            // The copies are made; a later batch's commit covers these offsets too.
            Ok(Err(error)) => {
                tracing::warn!(connector = %ctx.connector, %error, "committing the mirror's source offsets")
            }
            Err(error) => {
                tracing::warn!(connector = %ctx.connector, %error, "committing the mirror's source offsets")
            }
        }
        Ok(())
    }
}

/// The target names of `topics` (for tools and tests).
pub fn remote_names(config: &Config, topics: &[&str]) -> Result<Vec<String>, String> {
    let selection = Selection::from_config(config)?;
    Ok(topics
        .iter()
        .filter(|t| selection.copies(t))
        .map(|t| selection.remote(t))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let mut c: Config = [
            ("source.cluster.alias", "billing"),
            ("source.cluster.bootstrap.servers", "a:9092"),
            ("target.cluster.bootstrap.servers", "b:9092"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        c.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        c
    }

    #[test]
    fn the_default_policy_prefixes_the_source_alias() {
        let names = remote_names(
            &config(&[("topics", "codeflix\\..*\\.state")]),
            &[
                "codeflix.billing.plan.state",
                "codeflix.billing.plan.events",
            ],
        )
        .unwrap();
        assert_eq!(names, ["billing.codeflix.billing.plan.state"]);
        let dashed = remote_names(
            &config(&[("replication.policy.separator", "-"), ("topics", "t")]),
            &["t"],
        )
        .unwrap();
        assert_eq!(dashed, ["billing-t"]);
    }

    #[test]
    fn the_identity_policy_keeps_names() {
        let names = remote_names(
            &config(&[
                (
                    "replication.policy.class",
                    "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
                ),
                ("topics", "a,b"),
            ]),
            &["a", "b", "c"],
        )
        .unwrap();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn internal_excluded_and_cyclic_topics_are_not_copied() {
        let s = Selection::from_config(&config(&[("target.cluster.alias", "local")])).unwrap();
        assert!(s.copies("orders"));
        assert!(!s.copies("__consumer_offsets"));
        assert!(!s.copies("mm2-offset-syncs.local.internal"));
        assert!(!s.copies("orders.replica"), "topics.exclude's default");
        assert!(!s.copies("local.orders"), "came from the target: a cycle");
        assert!(s.copies("other.orders"));
        let custom = Selection::from_config(&config(&[("topics.exclude", "secret.*")])).unwrap();
        assert!(!custom.copies("secrets"));
        assert!(
            custom.copies("orders.replica"),
            "an explicit exclude replaces the default"
        );
    }

    #[test]
    fn only_client_settings_reach_the_clients() {
        let mut c = config(&[
            ("consumer.poll.timeout.ms", "500"),
            ("admin.timeout.ms", "1000"),
            ("source.consumer.fetch.min.bytes", "10"),
            ("source.cluster.security.protocol", "SASL_SSL"),
            ("consumer.override.max.poll.records", "5"),
        ]);
        c.insert("name".into(), "m".into());
        let worker = crate::task::WorkerConfig {
            kafka: codeflix_eventlog::EventLogConfig::new("z:9092", "http://r", "x.db".into()),
            data_dir: "d".into(),
            defaults: Config::new(),
            worker_id: "w".into(),
            discovery: Duration::from_secs(1),
            variables: Default::default(),
        };
        let (_, receiver) = tokio::sync::watch::channel(Command::Run);
        let ctx = TaskContext {
            connector: "m".into(),
            config: c,
            worker: Arc::new(worker),
            registries: Arc::default(),
            metrics: crate::metrics::ConnectMetrics::default(),
            commands: receiver,
            topics: Arc::default(),
        };
        let consumer = client(&ctx, "source", "consumer");
        assert_eq!(consumer.get("bootstrap.servers"), Some("a:9092"));
        assert_eq!(consumer.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(consumer.get("fetch.min.bytes"), Some("10"));
        assert_eq!(consumer.get("poll.timeout.ms"), None);
        assert_eq!(consumer.get("alias"), None);
        assert_eq!(consumer.get("override.max.poll.records"), None);
        assert_eq!(client(&ctx, "target", "admin").get("timeout.ms"), None);
    }

    #[test]
    fn on_one_cluster_a_mirror_never_reads_its_own_copies() {
        let s = Selection::from_config(&config(&[("target.cluster.bootstrap.servers", "a:9092")]))
            .unwrap();
        assert!(s.copies("orders"));
        assert!(!s.copies("billing.orders"));
    }
}
