//! Our partition choice is the one librdkafka's murmur2 partitioner (Kafka's default) makes.

use std::time::Duration;

use codeflix_eventlog::partition::partition_for;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::support::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_land_where_librdkafkas_murmur2_puts_them() {
    let cluster = Cluster::start().await;
    let config = cluster.config();
    let admin: AdminClient<DefaultClientContext> = config.client(&[]).create().unwrap();
    admin
        .create_topics(
            &[NewTopic::new("partitioning", 5, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    let producer: FutureProducer = config
        .client(&[("partitioner", "murmur2")])
        .create()
        .unwrap();
    for n in 0..200 {
        let key = format!("{:x}", n * 7919);
        let delivery = producer
            .send(
                FutureRecord::to("partitioning").key(&key).payload("x"),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(
            delivery.partition,
            partition_for(key.as_bytes(), 5),
            "key {key}"
        );
    }
}

/// An aggregate's partition follows from the partition count: a log that finds its topics with
/// another count than configured refuses to start instead of moving aggregates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_with_another_partition_count_are_refused() {
    let cluster = crate::support::Cluster::start().await;
    let log = cluster.log().await;
    log.shutdown().await;
    let mut config = cluster.config();
    config.topics.partitions += 3;
    let refused = codeflix_eventlog::EventLog::connect(config).await;
    let error = refused.expect_err("the log must not start");
    assert!(
        codeflix_domain::Report(&error)
            .to_string()
            .contains("partition count cannot change"),
        "{}",
        codeflix_domain::Report(&error)
    );
}

/// The log is the system of record: an event topic someone made that deletes or compacts events
/// is refused, not written to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_topics_that_would_lose_events_are_refused() {
    for (key, value, named) in [
        ("retention.ms", "60000", "retention.ms"),
        ("cleanup.policy", "compact", "compacted"),
    ] {
        let cluster = Cluster::start().await;
        let config = cluster.config();
        let admin: AdminClient<DefaultClientContext> = config.client(&[]).create().unwrap();
        let topic = codeflix_eventlog::topics::event_topic(
            &config.topics.prefix,
            codeflix_domain::AggregateType::Category,
        );
        let created = admin
            .create_topics(
                &[
                    NewTopic::new(&topic, config.topics.partitions, TopicReplication::Fixed(1))
                        .set(key, value),
                ],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        assert!(created[0].is_ok(), "{created:?}");
        let refused = codeflix_eventlog::EventLog::connect(config).await;
        let error = refused.expect_err("the log must not start");
        let report = codeflix_domain::Report(&error).to_string();
        assert!(report.contains(named), "{report}");
    }
}
