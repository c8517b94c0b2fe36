//! MirrorSourceConnector on the embedded broker: every record copied byte for byte — key,
//! value, timestamp, headers, partition — under both replication policies.

use codeflix_connect::record::Raw;
use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_testkit::Stack;
use serde_json::{Value as Json, json};

use crate::support::{Connect, Message, create_topic, produce, read_all, wait_until};

const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// Records with every shape a copy must keep: binary keys and values, a null key, a null
/// value, repeated and null headers, explicit partitions and timestamps.
fn messages(round: u8) -> Vec<Message> {
    (0..12u8)
        .map(|i| Message {
            key: (i % 5 != 4).then(|| vec![round, i, 0xFF, 0x00, b'k']),
            value: (i % 6 != 5).then(|| vec![0xC3, 0x28, round, i, 0x00, 0xFE]),
            headers: vec![
                (
                    "ce_id".into(),
                    Some(format!("evt-{round}-{i}").into_bytes()),
                ),
                ("bin".into(), Some(vec![0x00, 0xFF, i])),
                ("bin".into(), Some(vec![i])),
                ("nothing".into(), None),
            ],
            partition: Some(i32::from(i % 3)),
            timestamp: Some(1_700_000_000_000 + i64::from(round) * 1000 + i64::from(i)),
        })
        .collect()
}

fn mirror(source: &EventLogConfig, target: &EventLogConfig, extra: &[(&str, &str)]) -> Json {
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "source.cluster.alias": "billing",
        "target.cluster.alias": "playback",
        "source.cluster.bootstrap.servers": source.bootstrap_servers,
        "target.cluster.bootstrap.servers": target.bootstrap_servers,
        "topics": "codeflix\\.billing\\..*\\.state",
        "key.converter": BYTES,
        "value.converter": BYTES,
        "header.converter": BYTES,
        "refresh.topics.interval.seconds": "1",
        "replication.factor": "1",
    });
    for (key, value) in extra {
        config[*key] = json!(value);
    }
    config
}

/// What must survive a copy: everything but the topic and the offset.
fn essence(records: &[Raw]) -> Vec<Raw> {
    records
        .iter()
        .map(|r| Raw {
            topic: String::new(),
            offset: 0,
            ..r.clone()
        })
        .collect()
}

async fn copied(target: &EventLogConfig, topic: &str, count: usize) -> Vec<Raw> {
    wait_until(
        &format!("{count} records are copied to {topic}"),
        || async {
            let records = read_all(target, topic).await;
            (records.len() >= count).then_some(records)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_policy_copies_every_record_byte_for_byte_under_the_source_alias() {
    let stack = Stack::start().await;
    let kafka = stack.config();
    let topic = "codeflix.billing.plan.state";
    create_topic(&kafka, topic, 3).await;
    create_topic(&kafka, "codeflix.billing.plan.events", 3).await;
    produce(&kafka, topic, &messages(1)).await;
    produce(&kafka, "codeflix.billing.plan.events", &messages(9)).await;

    let connect = Connect::on(&stack).await;
    connect
        .create("billing-mirror", mirror(&kafka, &kafka, &[]))
        .await;
    // Records written while it runs are copied too.
    produce(&kafka, topic, &messages(2)).await;

    let remote = "billing.codeflix.billing.plan.state";
    let copies = copied(&kafka, remote, 24).await;
    let originals = read_all(&kafka, topic).await;
    assert_eq!(essence(&copies), essence(&originals));
    // Only what `topics` selects, and never its own copies (one cluster here).
    let names = read_topics(&kafka).await;
    assert!(
        !names
            .iter()
            .any(|n| n == "billing.codeflix.billing.plan.events"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("billing.billing.")),
        "{names:?}"
    );
    let status = connect.status("billing-mirror").await;
    assert_eq!(status["type"], "source");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_policy_copies_to_the_same_name_on_another_cluster() {
    let stack = Stack::start().await;
    let source = stack.config();
    let other_dir = tempfile::tempdir().unwrap();
    let other = EmbeddedStack::start(other_dir.path()).await.unwrap();
    let target = other.config();
    let topic = "codeflix.billing.subscription.state";
    create_topic(&source, topic, 3).await;
    produce(&source, topic, &messages(1)).await;

    let connect = Connect::on(&stack).await;
    connect
        .create(
            "billing-mirror",
            mirror(
                &source,
                &target,
                &[(
                    "replication.policy.class",
                    "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
                )],
            ),
        )
        .await;
    produce(&source, topic, &messages(2)).await;

    let copies = copied(&target, topic, 24).await;
    assert_eq!(essence(&copies), essence(&read_all(&source, topic).await));

    // Restarted, it goes on from where it committed: nothing copied twice.
    let (status, _) = connect
        .call(
            reqwest::Method::POST,
            "/connectors/billing-mirror/restart?includeTasks=true",
            None,
        )
        .await;
    assert_eq!(status, 202);
    produce(&source, topic, &messages(3)).await;
    let copies = copied(&target, topic, 36).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(read_all(&target, topic).await.len(), 36, "{copies:?}");
    drop(connect);
    drop(other);
}

async fn read_topics(kafka: &EventLogConfig) -> Vec<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = kafka.client(&[]).create().unwrap();
        consumer
            .fetch_metadata(None, std::time::Duration::from_secs(10))
            .unwrap()
            .topics()
            .iter()
            .map(|t| t.name().to_owned())
            .collect()
    })
    .await
    .unwrap()
}
