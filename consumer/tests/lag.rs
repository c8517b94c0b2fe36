//! Consumer lag as kafka_exporter names it, measured on the embedded broker: a group's committed
//! offsets against the partitions' ends, and a group that is gone leaves the metrics.

use std::time::Duration;

use codeflix_consumer::lag::{LagMetrics, Measured, PartitionLag, measure};
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::topics::ensure_topics;
use prometheus_client::registry::Registry;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_committed_offsets_against_the_ends_are_its_lag() {
    let dir = tempfile::tempdir().unwrap();
    let stack = EmbeddedStack::start(dir.path()).await.unwrap();
    let config = stack.config();
    let topic = format!("{}.catalog.category.events", config.topics.prefix);
    let admin: AdminClient<DefaultClientContext> = config.client(&[]).create().unwrap();
    ensure_topics(&admin, std::slice::from_ref(&topic), &config.topics)
        .await
        .unwrap();
    let producer: FutureProducer = config.client(&[]).create().unwrap();
    for n in 0..5 {
        producer
            .send(
                FutureRecord::to(&topic)
                    .partition(0)
                    .key("k")
                    .payload(&format!("record {n}")),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    // A group that has read two records, and another with nothing committed.
    let reader: BaseConsumer = config.reader("codeflix-test-reader").create().unwrap();
    let mut read = TopicPartitionList::new();
    read.add_partition_offset(&topic, 0, Offset::Offset(2))
        .unwrap();
    reader.commit(&read, CommitMode::Sync).unwrap();
    let _idle: BaseConsumer = config.reader("codeflix-test-idle").create().unwrap();

    let measured = tokio::task::spawn_blocking(move || measure(&config))
        .await
        .unwrap()
        .unwrap();
    assert!(
        measured.ends.contains(&(topic.clone(), 0, 5)),
        "{:?}",
        measured.ends
    );
    let ours: Vec<&PartitionLag> = measured
        .groups
        .iter()
        .filter(|p| p.group == "codeflix-test-reader")
        .collect();
    assert_eq!(
        ours,
        [&PartitionLag {
            group: "codeflix-test-reader".to_owned(),
            topic: topic.clone(),
            partition: 0,
            committed: 2,
            end: 5,
        }],
        "{measured:?}"
    );
    assert_eq!(ours[0].lag(), 3);
    assert!(
        measured
            .groups
            .iter()
            .all(|p| p.group != "codeflix-test-idle"),
        "a group without offsets has no lag to show: {measured:?}"
    );

    let mut registry = Registry::default();
    let metrics = LagMetrics::register(&mut registry);
    metrics.show(&measured);
    let text = codeflix_http::metrics::encode(&registry);
    let labels = format!("consumergroup=\"codeflix-test-reader\",topic=\"{topic}\"");
    for line in [
        format!("kafka_consumergroup_lag{{{labels},partition=\"0\"}} 3"),
        format!("kafka_consumergroup_current_offset{{{labels},partition=\"0\"}} 2"),
        format!("kafka_consumergroup_lag_sum{{{labels}}} 3"),
        format!("kafka_topic_partition_current_offset{{topic=\"{topic}\",partition=\"0\"}} 5"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    // Measured again without the group (deleted, say): its series leave.
    metrics.show(&Measured {
        ends: measured.ends.clone(),
        groups: Vec::new(),
    });
    let text = codeflix_http::metrics::encode(&registry);
    assert!(!text.contains("codeflix-test-reader"), "{text}");
    assert!(
        text.contains("kafka_topic_partition_current_offset{"),
        "{text}"
    );
}
