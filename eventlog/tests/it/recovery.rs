//! The relay never publishes a row twice and never leaves one behind, whatever it finds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codeflix_domain::catalog::category::Category;
use codeflix_domain::{AggregateType, ExpectedVersion};
use codeflix_eventlog::ExecuteError;

use crate::support::{Cluster, category, create, ctx, rename};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn unmark_published_after(cluster: &Cluster, seq: i64) {
    let db = libsql::Builder::new_local(cluster.store_path())
        .build()
        .await
        .unwrap();
    let conn = db.connect().unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute(
        "UPDATE events SET published_offset = NULL WHERE seq > ?1",
        [seq],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_in_kafka_that_the_store_does_not_know_are_not_sent_again() {
    let cluster = Cluster::start().await;
    let (log, id) = cluster.log_with_category().await;
    for n in 0..9 {
        log.execute::<Category>(
            &ctx(),
            &id,
            ExpectedVersion::Any,
            rename(&format!("Name {n}")),
        )
        .await
        .unwrap();
    }
    log.shutdown().await;
    // As if the relay died after Kafka took rows 4..10 but before the store recorded it.
    unmark_published_after(&cluster, 3).await;
    let recovered = cluster.log().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while recovered.store().unpublished_count().await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "rows were not recovered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let records = cluster.category_events(&recovered).await;
    let versions: Vec<u64> = records
        .iter()
        .map(|r| r.envelope.metadata.aggregate_version.get())
        .collect();
    assert_eq!(
        versions,
        (1..=10).collect::<Vec<_>>(),
        "each event exactly once, in order"
    );
    // The store learnt the real offsets.
    let publications = recovered
        .store()
        .publications(&(1..=10).collect::<Vec<_>>())
        .await
        .unwrap();
    for (publication, record) in publications.iter().zip(&records) {
        assert_eq!(
            publication.position.as_ref().map(|p| p.offset),
            Some(record.raw.offset)
        );
    }
    recovered.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_stored_while_no_relay_could_publish_are_sent_once_a_relay_leads() {
    let cluster = Cluster::start().await;
    let mut config = cluster.config();
    config.ack_timeout = Duration::from_millis(300);
    let log = codeflix_eventlog::EventLog::connect(config).await.unwrap();
    // Another process holds the lease and is not publishing (it hangs, or died just now).
    while !log.relay_is_leader() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    log.shutdown().await;
    let store = codeflix_eventlog::store::SqliteStore::open(&cluster.store_path())
        .await
        .unwrap();
    use codeflix_eventlog::store::CommandStore;
    assert!(
        store
            .try_lease("stuck-process", now_ms(), 60_000)
            .await
            .unwrap()
    );

    let mut config = cluster.config();
    config.ack_timeout = Duration::from_millis(300);
    let log = codeflix_eventlog::EventLog::connect(config).await.unwrap();
    let id = category();
    let context = ctx();
    let unconfirmed = log
        .execute::<Category>(&context, &id, ExpectedVersion::Any, create("Movies"))
        .await;
    assert!(
        matches!(unconfirmed, Err(ExecuteError::Unconfirmed { .. })),
        "{unconfirmed:?}"
    );
    assert_eq!(cluster.category_events(&log).await.len(), 0);

    // The stuck process goes away; this process's relay takes over and publishes.
    store.release_lease("stuck-process").await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let retried = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no relay published the stored rows"
        );
        match log
            .execute::<Category>(&context, &id, ExpectedVersion::Any, create("Movies"))
            .await
        {
            Ok(appended) => break appended,
            Err(ExecuteError::Unconfirmed { .. }) => continue,
            Err(other) => panic!("{other}"),
        }
    };
    assert!(retried.replayed, "the retry returns the first result");
    assert_eq!(cluster.category_events(&log).await.len(), 1);
    log.shutdown().await;
}

/// Writes a message without the relay's headers into the category topic, as kcat or a
/// misconfigured sink would.
async fn write_foreign_record(cluster: &Cluster, partition: i32) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap())
        .create()
        .unwrap();
    let topic = codeflix_eventlog::topics::event_topic("codeflix", AggregateType::Category);
    producer
        .send(
            FutureRecord::to(&topic)
                .partition(partition)
                .key("not-an-aggregate")
                .payload("written by hand"),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_skips_messages_the_relay_did_not_write_and_keeps_publishing() {
    let cluster = Cluster::start().await;
    let (log, id) = cluster.log_with_category().await;
    let partition = cluster.category_events(&log).await[0].raw.partition;
    log.shutdown().await;
    write_foreign_record(&cluster, partition).await;

    // Recovery reads past the foreign message; commands are confirmed again.
    let log = cluster.log().await;
    log.execute::<Category>(&ctx(), &id, ExpectedVersion::Any, rename("Films"))
        .await
        .expect("a command after a foreign message is confirmed");
    assert_eq!(log.relay().foreign_records(), 1);
    log.shutdown().await;

    // As if the relay died after Kafka took the rename but before the store recorded it: the
    // next recovery finds it behind the foreign message and does not send it twice.
    unmark_published_after(&cluster, 1).await;
    let log = cluster.log().await;
    log.execute::<Category>(&ctx(), &id, ExpectedVersion::Any, rename("Cinema"))
        .await
        .unwrap();
    assert_eq!(log.relay().foreign_records(), 1);
    let topic = codeflix_eventlog::topics::event_topic("codeflix", AggregateType::Category);
    let raw = codeflix_eventlog::reader::read_snapshot(&cluster.config(), &[topic])
        .await
        .unwrap();
    let raw: Vec<_> = raw.iter().filter(|r| r.partition == partition).collect();
    let relayed: Vec<i64> = raw
        .iter()
        .filter(|record| {
            record
                .headers
                .iter()
                .any(|(name, _)| name == codeflix_eventlog::headers::SEQ)
        })
        .map(|record| record.offset)
        .collect();
    assert_eq!(raw.len(), 4, "three events and the foreign message");
    assert_eq!(relayed, vec![0, 2, 3], "each event exactly once");
    log.shutdown().await;
}
