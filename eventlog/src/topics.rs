//! Topic names and their creation with explicit configuration.
//!
//! One topic per aggregate type: `<prefix>.<aggregate type>.events`, e.g.
//! `codeflix.catalog.video.events` (docs/adr/0006-topics-and-headers.md). The key is the aggregate
//! id, so one aggregate's events stay ordered in one partition.

use std::collections::BTreeMap;
use std::time::Duration;

use codeflix_domain::AggregateType;
use rdkafka::admin::{
    AdminClient, AdminOptions, NewTopic, OwnedResourceSpecifier, ResourceSpecifier,
    TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use crate::EventLogError;

/// The event topic of an aggregate type.
pub fn event_topic(prefix: &str, aggregate_type: AggregateType) -> String {
    format!("{prefix}.{aggregate_type}.events")
}

/// The compacted state feed of an aggregate type: `<prefix>.<aggregate type>.state`, each
/// aggregate's current state under its id (ADR 0022). `variant` names a feed of a subset
/// (`codeflix.catalog.video.published.state`).
pub fn state_topic(prefix: &str, aggregate_type: AggregateType, variant: Option<&str>) -> String {
    match variant {
        Some(variant) => format!("{prefix}.{aggregate_type}.{variant}.state"),
        None => format!("{prefix}.{aggregate_type}.state"),
    }
}

/// How event topics are created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSettings {
    pub prefix: String,
    pub partitions: i32,
    pub replication_factor: i32,
    /// `retention.ms` of event topics: [`RETENTION_FOREVER`] on Kafka; on the embedded broker,
    /// [`crate::broker::EMBEDDED_RETENTION_MS`] (see there why).
    pub retention_ms: i64,
}

/// Kafka's "keep forever".
pub const RETENTION_FOREVER: i64 = -1;

impl TopicSettings {
    /// The explicit configuration of an event topic: kept forever, never compacted (every event
    /// matters, not only the latest per key).
    pub fn event_topic_config(&self) -> BTreeMap<&'static str, String> {
        let mut config = BTreeMap::from([
            ("cleanup.policy", "delete".to_owned()),
            ("retention.ms", self.retention_ms.to_string()),
            ("retention.bytes", "-1".to_owned()),
        ]);
        if self.replication_factor > 1 {
            config.insert(
                "min.insync.replicas",
                (self.replication_factor - 1).to_string(),
            );
        }
        config
    }

    /// The explicit configuration of a state feed: compacted (the latest state per key is what
    /// it is for), tombstones kept a day so that slow readers see deletes.
    pub fn state_topic_config(&self) -> BTreeMap<&'static str, String> {
        let mut config = BTreeMap::from([
            ("cleanup.policy", "compact".to_owned()),
            ("delete.retention.ms", "86400000".to_owned()),
        ]);
        if self.replication_factor > 1 {
            config.insert(
                "min.insync.replicas",
                (self.replication_factor - 1).to_string(),
            );
        }
        config
    }
}

/// Creates every event topic that does not exist yet; existing topics are left as they are.
pub async fn ensure_event_topics(
    admin: &AdminClient<DefaultClientContext>,
    settings: &TopicSettings,
) -> Result<Vec<String>, EventLogError> {
    let names: Vec<String> = AggregateType::ALL
        .into_iter()
        .map(|t| event_topic(&settings.prefix, t))
        .collect();
    ensure_topics(admin, &names, settings).await?;
    Ok(names)
}

/// Refuses existing topics that would lose events: compacted, or deleting by age sooner than
/// [`TopicSettings::retention_ms`], or by size. A broker that cannot describe configurations
/// is trusted (with a warning).
async fn check_kept(
    admin: &AdminClient<DefaultClientContext>,
    names: &[&String],
    settings: &TopicSettings,
) -> Result<(), EventLogError> {
    if names.is_empty() {
        return Ok(());
    }
    let resources: Vec<ResourceSpecifier<'_>> = names
        .iter()
        .map(|name| ResourceSpecifier::Topic(name.as_str()))
        .collect();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let described = match admin.describe_configs(&resources, &options).await {
        Ok(described) => described,
        Err(error) => {
            tracing::warn!(%error, "cannot describe the event topics' configuration; not checked");
            return Ok(());
        }
    };
    for resource in described.into_iter().flatten() {
        let topic = match &resource.specifier {
            OwnedResourceSpecifier::Topic(name) => name.clone(),
            _ => continue,
        };
        let value = |key: &str| resource.get(key).and_then(|entry| entry.value.clone());
        let refuse = |what: String| {
            Err(EventLogError::kafka_refused(format!(
                "topic {topic} {what}: event topics keep every event for good; fix the topic's \
                 configuration (or use another kafka.topic_prefix)"
            )))
        };
        if let Some(policy) = value("cleanup.policy")
            && policy.contains("compact")
        {
            return refuse(format!("is compacted (cleanup.policy={policy})"));
        }
        let kept_ms = value("retention.ms").and_then(|v| v.parse::<i64>().ok());
        let wanted = settings.retention_ms;
        if let Some(kept) = kept_ms
            && kept >= 0
            && (wanted < 0 || kept < wanted)
        {
            return refuse(format!("deletes events after {kept} ms (retention.ms)"));
        }
        if let Some(bytes) = value("retention.bytes").and_then(|v| v.parse::<i64>().ok())
            && bytes >= 0
        {
            return refuse(format!(
                "deletes events beyond {bytes} bytes (retention.bytes)"
            ));
        }
    }
    Ok(())
}

/// Creates the topics of `names` that do not exist yet with the configuration of event topics
/// (kept forever, never compacted): also for dead letters and redrives, which are as precious.
pub async fn ensure_topics(
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
    settings: &TopicSettings,
) -> Result<(), EventLogError> {
    create_missing(admin, names, settings, Kind::Events).await
}

/// Creates the state feeds of `names` that do not exist yet, compacted
/// ([`TopicSettings::state_topic_config`]).
pub async fn ensure_state_topics(
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
    settings: &TopicSettings,
) -> Result<(), EventLogError> {
    create_missing(admin, names, settings, Kind::State).await
}

/// What a topic holds, which decides how it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Events,
    State,
}

async fn create_missing(
    admin: &AdminClient<DefaultClientContext>,
    names: &[String],
    settings: &TopicSettings,
    kind: Kind,
) -> Result<(), EventLogError> {
    // Only ask for what is missing: brokers log a creation of an existing topic as an error.
    // (A startup-time metadata call; it blocks its thread, so this worker's other tasks move.)
    let existing: Vec<(String, usize)> = crate::blocking::off_the_workers(|| {
        admin.inner().fetch_metadata(None, Duration::from_secs(30))
    })
    .map(|m| {
        m.topics()
            .iter()
            .map(|t| (t.name().to_owned(), t.partitions().len()))
            .collect()
    })
    .unwrap_or_default();
    // An aggregate's partition follows from the partition count: a topic that has another
    // count than the settings say was made by someone else, or the setting changed since, and
    // either way aggregates would move partitions (and lose their order). Refuse to go on.
    for (name, partitions) in &existing {
        if names.contains(name) && *partitions != settings.partitions as usize && *partitions > 0 {
            return Err(EventLogError::kafka_refused(format!(
                "topic {name} has {partitions} partitions but kafka.partitions is {}: an event \
                 topic's partition count cannot change (aggregates would move partitions); set \
                 kafka.partitions to {partitions}",
                settings.partitions
            )));
        }
    }
    let found: Vec<&String> = names
        .iter()
        .filter(|n| existing.iter().any(|(name, _)| name == *n))
        .collect();
    if kind == Kind::Events {
        check_kept(admin, &found, settings).await?;
    }
    let names: Vec<&String> = names
        .iter()
        .filter(|n| !existing.iter().any(|(name, _)| name == *n))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let config = match kind {
        Kind::Events => settings.event_topic_config(),
        Kind::State => settings.state_topic_config(),
    };
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|name| {
            config.iter().fold(
                NewTopic::new(
                    name,
                    settings.partitions,
                    TopicReplication::Fixed(settings.replication_factor),
                ),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(&topics, &options)
        .await
        .map_err(|e| EventLogError::kafka("creating topics", e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(EventLogError::kafka(
                    format!("creating topic {topic}"),
                    code,
                ));
            }
        }
    }
    Ok(())
}
