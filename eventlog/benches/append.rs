//! Sustained append rate through the event log against raw rdkafka producing the same bytes to the
//! same broker, in the same run. Prints a Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix-eventlog --bench append` (`EVENTS`, `CONCURRENCY` override the size).

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_domain::catalog::category::{
    Category, CategoryId, CategoryName, CreateCategory, UpdateCategory,
};
use codeflix_domain::{CommandContext, ExpectedVersion, Timestamp, Version};
use codeflix_eventlog::broker::{EmbeddedBroker, free_port};
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_registry::{Level, Registry};
use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ctx() -> CommandContext {
    CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: "bench".into(),
        now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events = env("EVENTS", 20_000);
    let concurrency = env("CONCURRENCY", 256);
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port().unwrap())
        .parse()
        .unwrap();
    let broker = EmbeddedBroker::start(&dir.path().join("broker"), addr)
        .await
        .unwrap();
    let registry = Registry::open(&dir.path().join("registry.db"), Level::BackwardTransitive)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let registry_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(codeflix_registry::serve(listener, registry));
    let mut config = EventLogConfig::new(
        &broker.bootstrap(),
        &registry_url,
        dir.path().join("store.db"),
    );
    if let Ok(linger) = std::env::var("LINGER_MS") {
        config.kafka.insert("linger.ms".into(), linger);
    }
    let log = Arc::new(EventLog::connect(config.clone()).await.unwrap());

    // One aggregate per writer so that the measurement is not about conflicts.
    let ids: Vec<CategoryId> = (0..concurrency)
        .map(|_| CategoryId::new(Uuid::new_v4()))
        .collect();
    for id in &ids {
        let create = CreateCategory {
            name: CategoryName::parse("bench").unwrap(),
            description: None,
            active: true,
        };
        log.execute::<Category>(
            &ctx(),
            id,
            ExpectedVersion::Exactly(Version::INITIAL),
            create.into(),
        )
        .await
        .unwrap();
    }

    let per_writer = events / concurrency;
    let started = Instant::now();
    let mut writers = FuturesUnordered::new();
    for id in ids.clone() {
        let log = log.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..per_writer {
                let rename = UpdateCategory {
                    name: CategoryName::parse(&format!("name {n}")).unwrap(),
                    description: None,
                };
                let expected = ExpectedVersion::Exactly(Version::new(n as u64 + 1));
                log.execute::<Category>(&ctx(), &id, expected, rename.into())
                    .await
                    .unwrap();
            }
        }));
    }
    while let Some(done) = writers.next().await {
        done.unwrap();
    }
    let adapter = started.elapsed();
    let appended = per_writer * concurrency;

    // The same bytes, keys, headers and partitions, produced raw to a fresh topic.
    let rows = log.store().unpublished(0, 0).await.unwrap();
    assert!(rows.is_empty(), "everything acknowledged is published");
    let db = libsql::Builder::new_local(dir.path().join("store.db"))
        .build()
        .await
        .unwrap();
    let conn = db.connect().unwrap();
    let mut query = conn
        .query(
            "SELECT key, value, headers, partition FROM events ORDER BY seq",
            (),
        )
        .await
        .unwrap();
    let mut messages = Vec::new();
    while let Some(row) = query.next().await.unwrap() {
        let headers: Vec<(String, String)> =
            serde_json::from_str(&row.get::<String>(2).unwrap()).unwrap();
        messages.push((
            row.get::<Vec<u8>>(0).unwrap(),
            row.get::<Vec<u8>>(1).unwrap(),
            headers,
            row.get::<i32>(3).unwrap(),
        ));
    }
    let messages: Vec<_> = messages.into_iter().skip(concurrency).collect();
    let admin: AdminClient<DefaultClientContext> = config.client(&[]).create().unwrap();
    admin
        .create_topics(
            &[NewTopic::new("bench.raw", 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    let producer: FutureProducer = config.producer().create().unwrap();
    let started = Instant::now();
    let mut deliveries = FuturesUnordered::new();
    for (key, value, headers, partition) in &messages {
        let mut owned = OwnedHeaders::new();
        for (name, value) in headers {
            owned = owned.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        let record = FutureRecord::to("bench.raw")
            .partition(*partition)
            .key(key)
            .payload(value)
            .headers(owned);
        deliveries.push(producer.send(record, Duration::from_secs(60)));
    }
    while let Some(delivery) = deliveries.next().await {
        delivery.unwrap();
    }
    let raw = started.elapsed();

    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    let adapter_rate = rate(appended, adapter);
    let raw_rate = rate(messages.len(), raw);
    println!("| path | events | seconds | events/s |");
    println!("|---|---:|---:|---:|");
    println!(
        "| raw rdkafka (idempotent, acks=all) | {} | {:.2} | {:.0} |",
        messages.len(),
        raw.as_secs_f64(),
        raw_rate
    );
    println!(
        "| EventLog::execute ({concurrency} concurrent writers) | {appended} | {:.2} | {:.0} |",
        adapter.as_secs_f64(),
        adapter_rate
    );
    println!("\nadapter / raw = {:.1}%", 100.0 * adapter_rate / raw_rate);
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    broker.stop();
}
