//! How a consumer gets its partitions, and the client settings every consumer of event topics
//! shares.

use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::{ConsumerError, kafka};

/// How a consumer gets partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Membership {
    /// It reads every partition itself (assigned, not subscribed). Several consumers of one
    /// group may run: what they do is deterministic and guarded by versions or ids derived from
    /// the events, so they agree, and a restarted consumer resumes at once. The default, because
    /// the embedded broker (tansu 0.6) never evicts a group member that died without leaving, so
    /// a consumer restarted after a crash would wait for its partitions forever.
    #[default]
    AllPartitions,
    /// It joins the consumer group, which spreads partitions over the consumers (scale-out on
    /// real Kafka).
    ConsumerGroup,
}

/// The client settings of a consumer in `group`: offsets are stored and committed only by the
/// consumer ([`crate::commits`]), never automatically; a group without offsets reads from the
/// beginning; a consumer killed without leaving the group holds its partitions for ten seconds
/// (Kafka's default is 45). `fetch.wait.max.ms` stays at librdkafka's 500 ms: Kafka, and the
/// embedded broker since it long-polls (ADR 0014), answers a waiting fetch as soon as a record
/// arrives, so the wait costs no freshness.
pub fn settings(group: &str) -> [(&str, &str); 6] {
    [
        ("group.id", group),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "1000"),
    ]
}

/// Makes `consumer` read `topics`: subscribed in its group, or assigned every partition with
/// `start` saying where each begins.
pub fn join<C: ConsumerContext + 'static>(
    consumer: &StreamConsumer<C>,
    topics: &[String],
    membership: Membership,
    start: impl Fn(&str, i32) -> Offset,
) -> Result<(), ConsumerError> {
    match membership {
        Membership::ConsumerGroup => {
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&names).map_err(kafka)?;
        }
        Membership::AllPartitions => {
            let metadata = codeflix_eventlog::blocking::off_the_workers(|| {
                consumer.fetch_metadata(None, Duration::from_secs(30))
            })
            .map_err(kafka)?;
            let mut assignment = TopicPartitionList::new();
            for topic in metadata
                .topics()
                .iter()
                .filter(|t| topics.iter().any(|n| n == t.name()))
            {
                for partition in topic.partitions() {
                    assignment
                        .add_partition_offset(
                            topic.name(),
                            partition.id(),
                            start(topic.name(), partition.id()),
                        )
                        .map_err(kafka)?;
                }
            }
            consumer.assign(&assignment).map_err(kafka)?;
        }
    }
    Ok(())
}

/// A consumer of `topics` for `group`, starting where the group committed (the beginning when
/// it never did). With [`Membership::AllPartitions`] it reads every partition by assignment.
pub fn consumer(
    config: &EventLogConfig,
    group: &str,
    topics: &[String],
    membership: Membership,
) -> Result<StreamConsumer, ConsumerError> {
    let consumer: StreamConsumer = config.client(&settings(group)).create().map_err(kafka)?;
    join(&consumer, topics, membership, |_, _| Offset::Stored)?;
    Ok(consumer)
}
