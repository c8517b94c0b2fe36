//! The embedded broker on a growing log: what a fetch costs at 10k, 100k and 1M stored events (it
//! must not grow with the log), what it costs without the header index at the same sizes,
//! disk per event, and what the 13 headers of an event cost against fewer. Prints Markdown tables
//! (ratios against the smallest log of the same run); asserts nothing.
//!
//! `cargo bench -p codeflix-eventlog --bench broker` (`SIZES=10000,100000,1000000`,
//! `UNINDEXED_MAX` the largest log read without the index, `HEADER_EVENTS` per header variant).

#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use codeflix_eventlog::broker::{EmbeddedBroker, free_port};
use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

const PARTITIONS: i32 = 3;
/// A catalog event's Avro payload is a few hundred bytes.
const VALUE_BYTES: usize = 420;
/// Records read per measured read.
const READ: usize = 300;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The headers of a Codeflix event (eventlog/src/headers.rs) with values of their real lengths,
/// the relay's sequence number last: all 13, or the 7 a slimmer envelope would keep (CloudEvents'
/// required four, `ce_time`, `content-type` and `codeflix_seq`), or none.
fn headers(n: u64, count: usize) -> OwnedHeaders {
    let id = format!("{:08x}-1b2c-5d3e-8f40-{:012x}", n, n * 7);
    let all: [(&str, String); 13] = [
        ("ce_specversion", "1.0".into()),
        ("ce_id", id.clone()),
        ("ce_source", "/codeflix/catalog.video".into()),
        ("ce_type", "codeflix.catalog.video.VideoCreated".into()),
        ("ce_time", "2026-12-02T05:00:00.000000Z".into()),
        ("content-type", "application/avro".into()),
        ("ce_subject", id.clone()),
        ("ce_aggregatetype", "catalog.video".into()),
        ("ce_aggregateversion", "1".into()),
        ("ce_correlationid", id.clone()),
        ("ce_causationid", id),
        ("ce_actor", "dev-admin".into()),
        ("codeflix_seq", n.to_string()),
    ];
    let kept: Vec<&(&str, String)> = match count {
        13 => all.iter().collect(),
        7 => all.iter().take(6).chain(all.last()).collect(),
        _ => Vec::new(),
    };
    let mut owned = OwnedHeaders::new_with_capacity(kept.len());
    for (key, value) in kept {
        owned = owned.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    owned
}

fn client(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

async fn create_topic(bootstrap: &str, name: &str) {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    for result in admin
        .create_topics(
            &[NewTopic::new(name, PARTITIONS, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap()
    {
        result.unwrap();
    }
}

/// Produces records `from..to` round-robin over the partitions; answers records per second.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    from: u64,
    to: u64,
    headers_count: usize,
) -> f64 {
    let value = vec![0x5a_u8; VALUE_BYTES];
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    for n in from..to {
        let key = format!("{n:016x}");
        let mut record = FutureRecord::to(topic)
            .key(&key)
            .payload(&value)
            .partition(i32::try_from(n % PARTITIONS as u64).unwrap())
            .headers(headers(n, headers_count));
        loop {
            match producer.send_result(record) {
                Ok(delivery) => break pending.push(delivery),
                Err((_, returned)) => {
                    // The local queue is full: let deliveries drain.
                    record = returned;
                    pending.next().await.unwrap().unwrap().unwrap();
                }
            }
        }
        if pending.len() >= 20_000 {
            pending.next().await.unwrap().unwrap().unwrap();
        }
    }
    while let Some(done) = pending.next().await {
        done.unwrap().unwrap();
    }
    (to - from) as f64 / started.elapsed().as_secs_f64()
}

/// A measured read: `count` records of `partition` from `offset`.
async fn read(bootstrap: &str, topic: &str, partition: i32, offset: i64, count: usize) -> Duration {
    support::read(
        client(bootstrap),
        topic,
        partition,
        offset,
        count,
        Duration::from_secs(600),
    )
    .await
    .unwrap()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn set_index(db: &Path, present: bool) {
    let connection = libsql::Builder::new_local(db)
        .build()
        .await
        .unwrap()
        .connect()
        .unwrap();
    connection.busy_timeout(Duration::from_secs(60)).unwrap();
    let sql = if present {
        "create index if not exists codeflix_header_record on header (topition, offset_id)"
    } else {
        "drop index if exists codeflix_header_record"
    };
    connection.execute(sql, ()).await.unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sizes: Vec<u64> = env("SIZES", "10000,100000,1000000")
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let unindexed_max: u64 = env("UNINDEXED_MAX", "100000").parse().unwrap();
    let header_events: u64 = env("HEADER_EVENTS", "30000").parse().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    // BROKER_DIR keeps the broker's data for a look afterwards.
    let dir = std::env::var_os("BROKER_DIR")
        .map_or_else(|| scratch.path().to_path_buf(), std::path::PathBuf::from);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port().unwrap())
        .parse()
        .unwrap();
    let broker = EmbeddedBroker::start(&dir.join("broker"), addr)
        .await
        .unwrap();
    let bootstrap = broker.bootstrap();
    let db = dir.join("broker/broker.db");
    let producer: FutureProducer = client(&bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "200000")
        .create()
        .unwrap();

    println!("### Fetch cost as the log grows ({READ} records per read, 13 headers each)\n");
    println!(
        "| stored events | produced/s (this step) | read the newest, ms | read the oldest, ms | \
         newest without the header index, ms | bytes on disk per event | newest read vs smallest log |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let topic = "bench.log";
    create_topic(&bootstrap, topic).await;
    let mut stored = 0u64;
    let mut first_newest = None;
    for size in sizes {
        let rate = produce(&producer, topic, stored, size, 13).await;
        stored = size;
        let end = i64::try_from(stored / PARTITIONS as u64).unwrap();
        let start = (end - READ as i64).max(0);
        // Median of three reads each.
        let mut newest = Vec::new();
        let mut oldest = Vec::new();
        for _ in 0..3 {
            newest.push(read(&bootstrap, topic, 0, start, READ).await);
            oldest.push(read(&bootstrap, topic, 1, 0, READ).await);
        }
        newest.sort();
        oldest.sort();
        let unindexed = if stored <= unindexed_max {
            set_index(&db, false).await;
            let took = read(&bootstrap, topic, 2, start, READ).await;
            set_index(&db, true).await;
            format!("{:.0}", millis(took))
        } else {
            "(not run)".to_owned()
        };
        let bytes = std::fs::metadata(&db).unwrap().len()
            + std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len());
        let base = *first_newest.get_or_insert(newest[1]);
        println!(
            "| {stored} | {rate:.0} | {:.0} | {:.0} | {unindexed} | {:.0} | {:.2}× |",
            millis(newest[1]),
            millis(oldest[1]),
            bytes as f64 / stored as f64,
            newest[1].as_secs_f64() / base.as_secs_f64(),
        );
    }
    // What the 13 headers of an event cost: the same records with 13, 7 and no headers, each
    // into a topic of its own.
    println!("\n### Headers per event ({header_events} events each, {VALUE_BYTES}-byte values)\n");
    println!("| headers | produced/s | read/s | ratio to no headers (produce, read) |");
    println!("|---:|---:|---:|---:|");
    let mut baseline = None;
    for count in [0usize, 7, 13] {
        let topic = format!("bench.headers{count}");
        create_topic(&bootstrap, &topic).await;
        let produced = produce(&producer, &topic, 0, header_events, count).await;
        let per_partition = usize::try_from(header_events / PARTITIONS as u64).unwrap();
        let took = read(&bootstrap, &topic, 0, 0, per_partition).await;
        let read_rate = per_partition as f64 / took.as_secs_f64();
        let (p0, r0) = *baseline.get_or_insert((produced, read_rate));
        println!(
            "| {count} | {produced:.0} | {read_rate:.0} | {:.0}%, {:.0}% |",
            100.0 * produced / p0,
            100.0 * read_rate / r0
        );
    }

    drop(producer);
    broker.stop();
}
