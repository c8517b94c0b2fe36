//! Sustained append rate through the event log against raw rdkafka producing the same bytes to the
//! same broker, in the same run. Prints a Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix-eventlog --bench append` (`EVENTS`, `CONCURRENCY`, `ROUNDS` override
//! the size, `LINGER_MS` the producers' `linger.ms`). Besides the rates it prints the CPU time each
//! group of this process's threads spent per event (broker, librdkafka, command store, Tokio).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
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

/// A stored event as a Kafka message: key, value, headers, partition.
type Message = (Vec<u8>, Vec<u8>, Vec<(String, String)>, i32);

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
    tokio::spawn(codeflix_registry::serve(
        listener,
        registry,
        None,
        std::future::pending(),
    ));
    let mut config = EventLogConfig::new(
        &broker.bootstrap(),
        &registry_url,
        dir.path().join("store.db"),
    );
    config.topics.retention_ms = codeflix_eventlog::broker::EMBEDDED_RETENTION_MS;
    if let Ok(linger) = std::env::var("LINGER_MS") {
        config.kafka.insert("linger.ms".into(), linger);
    }
    let log = Arc::new(EventLog::connect(config.clone()).await.unwrap());

    let rounds = env("ROUNDS", 3);
    let producer: FutureProducer = config.producer().create().unwrap();
    let admin: AdminClient<DefaultClientContext> = config.client(&[]).create().unwrap();
    admin
        .create_topics(
            &[NewTopic::new("bench.raw", 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    let mut results = Vec::new();
    let mut profiles = Vec::new();
    println!(
        "| round | EventLog::execute events/s | raw rdkafka, same bytes and headers, events/s | ratio | raw paced per partition events/s | ratio to paced | raw without headers (context) events/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for round in 1..=rounds {
        let before = last_seq(dir.path()).await;
        let (appended, adapter, adapter_cpu) = adapter_round(&log, concurrency, events).await;
        // The renames only: the creates are the first `concurrency` rows after `before`.
        let messages = stored_messages(dir.path(), before + concurrency as i64).await;
        let cpu_before = thread_cpu();
        let raw = produce_all(&producer, &messages, true).await;
        let raw_cpu = cpu_since(&cpu_before, messages.len());
        let paced = rate(messages.len(), produce_paced(&producer, &messages).await);
        let bare = produce_all(&producer, &messages, false).await;
        let (adapter_rate, raw_rate) = (rate(appended, adapter), rate(messages.len(), raw));
        println!(
            "| {round} | {adapter_rate:.0} | {raw_rate:.0} | {:.1}% | {paced:.0} | {:.1}% | {:.0} |",
            100.0 * adapter_rate / raw_rate,
            100.0 * adapter_rate / paced,
            rate(messages.len(), bare)
        );
        results.push((adapter_rate, raw_rate, paced));
        profiles.push((round, adapter_cpu, raw_cpu));
    }
    println!(
        "\nCPU per event by thread, µs (user + system time of this process's threads per event sent):\n"
    );
    let groups: Vec<&String> = profiles
        .iter()
        .flat_map(|(_, adapter, raw)| adapter.keys().chain(raw.keys()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names: Vec<&str> = groups.iter().map(|g| g.as_str()).collect();
    println!("| round | producing | {} |", names.join(" | "));
    println!("|---:|---|{}", "---:|".repeat(groups.len()));
    for (round, adapter, raw) in &profiles {
        for (phase, figures) in [("EventLog::execute", adapter), ("raw rdkafka", raw)] {
            let cells: Vec<String> = groups
                .iter()
                .map(|g| format!("{:.0}", figures.get(*g).copied().unwrap_or(0.0)))
                .collect();
            println!("| {round} | {phase} | {} |", cells.join(" | "));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "\n{events} events per round, {concurrency} concurrent writers; medians: EventLog::execute {:.0}/s, raw {:.0}/s, adapter / raw = {:.1}%; raw paced {:.0}/s, adapter / paced = {:.1}%",
        median(results.iter().map(|(a, _, _)| *a).collect()),
        median(results.iter().map(|(_, r, _)| *r).collect()),
        100.0 * median(results.iter().map(|(a, r, _)| a / r).collect()),
        median(results.iter().map(|(_, _, p)| *p).collect()),
        100.0 * median(results.iter().map(|(a, _, p)| a / p).collect()),
    );
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    broker.stop();
}

/// CPU time (user + system, in clock ticks) of this process's live threads by thread name group.
/// A thread that exits between two readings takes its time with it (Tokio's blocking threads,
/// librdkafka's threads of a closed client); the groups that matter here live throughout.
fn thread_cpu() -> BTreeMap<String, u64> {
    let mut groups = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return groups;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state …`: comm may hold spaces, so split at the last parenthesis.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after `state`.
        let group = match name {
            n if n.starts_with("embedded-broke") => "broker (tansu)",
            n if n.starts_with("rdk:")
                || n.starts_with("producer pollin")
                || n.starts_with("admin client") =>
            {
                "librdkafka"
            }
            n if n.starts_with("command-store") => "command store",
            n if n.starts_with("tokio-r") => "tokio workers",
            n if n.starts_with("append") => "bench main",
            other => other,
        };
        *groups.entry(group.to_owned()).or_insert(0) += ticks(11) + ticks(12);
    }
    groups
}

/// Microseconds of CPU per event in each thread group since `before`.
fn cpu_since(before: &BTreeMap<String, u64>, events: usize) -> BTreeMap<String, f64> {
    // Linux reports thread times in USER_HZ, 100 ticks a second on every mainstream platform.
    let micros_per_tick = 10_000.0;
    thread_cpu()
        .into_iter()
        .map(|(group, ticks)| {
            let spent = ticks.saturating_sub(before.get(&group).copied().unwrap_or(0));
            (group, spent as f64 * micros_per_tick / events.max(1) as f64)
        })
        .collect()
}

/// Produces every message and waits for every delivery; the elapsed time.
async fn produce_all(
    producer: &FutureProducer,
    messages: &[Message],
    with_headers: bool,
) -> Duration {
    let started = Instant::now();
    let mut deliveries: FuturesUnordered<_> = messages
        .iter()
        .map(|message| send_raw(producer, message, with_headers))
        .collect();
    while deliveries.next().await.is_some() {}
    started.elapsed()
}

/// Messages handed over at once per partition when pacing.
const PACED_CHUNK: usize = 500;

/// Like [`produce_all`] with headers, but each partition's messages go in chunks, the next once
/// the last is confirmed: the relay's pacing applied to raw rdkafka (no busy-polling producer
/// thread), as a stronger baseline.
async fn produce_paced(producer: &FutureProducer, messages: &[Message]) -> Duration {
    let started = Instant::now();
    let mut partitions: BTreeMap<i32, Vec<&Message>> = Default::default();
    for message in messages {
        partitions.entry(message.3).or_default().push(message);
    }
    futures::future::join_all(partitions.values().map(|queue| async move {
        for chunk in queue.chunks(PACED_CHUNK) {
            let deliveries = chunk
                .iter()
                .map(|message| send_raw(producer, message, true));
            futures::future::join_all(deliveries).await;
        }
    }))
    .await;
    started.elapsed()
}

/// Produces one message to `bench.raw`; waits while the producer's local queue is full.
async fn send_raw(
    producer: &FutureProducer,
    (key, value, headers, partition): &Message,
    with_headers: bool,
) {
    let mut owned = OwnedHeaders::new();
    if with_headers {
        for (name, value) in headers {
            owned = owned.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
    }
    let record = FutureRecord::to("bench.raw")
        .partition(*partition)
        .key(key)
        .payload(value)
        .headers(owned);
    producer
        .send(record, Duration::from_secs(60))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
}

/// One measured round: each writer renames its own fresh aggregate `events / concurrency` times
/// (after creating it, unmeasured). Returns the events appended, the time taken and the CPU per
/// event by thread group.
async fn adapter_round(
    log: &Arc<EventLog>,
    concurrency: usize,
    events: usize,
) -> (usize, Duration, BTreeMap<String, f64>) {
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
    let first = log
        .store()
        .unpublished(0, 1)
        .await
        .unwrap()
        .first()
        .map(|r| r.seq);
    debug_assert!(first.is_none(), "everything acknowledged is published");
    let per_writer = events / concurrency;
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let mut writers = FuturesUnordered::new();
    for id in ids {
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
    let elapsed = started.elapsed();
    let appended = per_writer * concurrency;
    (appended, elapsed, cpu_since(&cpu_before, appended))
}

async fn store(dir: &std::path::Path) -> libsql::Connection {
    let db = libsql::Builder::new_local(dir.join("store.db"))
        .build()
        .await
        .unwrap();
    let conn = db.connect().unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

async fn last_seq(dir: &std::path::Path) -> i64 {
    let mut rows = store(dir)
        .await
        .query("SELECT COALESCE(MAX(seq), 0) FROM events", ())
        .await
        .unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

/// The stored outbox rows after `after` as Kafka messages: key, value, headers, partition.
async fn stored_messages(dir: &std::path::Path, after: i64) -> Vec<Message> {
    let mut query = store(dir)
        .await
        .query(
            "SELECT key, value, headers, partition FROM events WHERE seq > ?1 ORDER BY seq",
            [after],
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
    messages
}
