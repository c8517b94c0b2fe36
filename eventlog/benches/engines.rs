//! tansu 0.6's storage engines side by side, each behind the embedded broker in a process of its
//! own: start-up, produce rate with Codeflix-sized records and their 7 headers, what a read costs
//! at both ends of the log, the consumer-group tools operators use (confluent-kafka's
//! `AdminClient`: list and describe groups, committed offsets and lag, reset of a stopped group's
//! offsets; describe configs), SIGKILL of the broker mid-write (is every acknowledged record there
//! after a restart?), start-up again on the full log, and bytes per million events. Prints one
//! Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix-eventlog --features engines --bench engines`
//! - `ENGINES`: which engines, of `sqlite` (the default engine, with Codeflix's reads and index),
//!   `memory`, `slatedb` (on slatedb's in-memory object store), `turso` and `postgres`;
//!   `sqlite,memory,slatedb,turso` unless set, `postgres` only with `ENGINE_POSTGRES_URL`.
//! - `ENGINE_POSTGRES_URL`: an empty database holding tansu 0.6's schema
//!   (`etc/initdb.d/010-schema.sql` of tansu v0.6.0), for `postgres`.
//! - `EVENTS`: events stored per engine (100000); `CODEFLIX_PYTHON`: a Python with confluent-kafka
//!   for the operators' checks (`python3` unless set).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codeflix_eventlog::broker::{BrokerStore, EmbeddedBroker, free_port};
use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use url::Url;

const PARTITIONS: i32 = 3;
/// A catalog event's Avro payload is a few hundred bytes.
const VALUE_BYTES: usize = 420;
/// Records read per measured read.
const READ: usize = 300;
/// Records the group under check has read and committed.
const GROUP_READ: usize = 900;
const GROUP: &str = "engines.reader";
/// The child process's store, when this run is the broker.
const CHILD_STORE: &str = "ENGINES_CHILD_STORE";
const CHILD_PORT: &str = "ENGINES_CHILD_PORT";

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn client(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "0");
    config
}

/// The 7 headers of a Codeflix event (eventlog/src/headers.rs) with values of their real lengths.
fn headers(n: u64) -> OwnedHeaders {
    let id = format!("{:08x}-1b2c-5d3e-8f40-{:012x}", n, n * 7);
    let seq = n.to_string();
    let all: [(&str, &str); 7] = [
        ("ce_specversion", "1.0"),
        ("ce_id", &id),
        ("ce_source", "/codeflix/catalog.video"),
        ("ce_type", "codeflix.catalog.video.VideoCreated"),
        ("ce_time", "2026-12-02T05:00:00.000000Z"),
        ("content-type", "application/avro"),
        ("codeflix_seq", &seq),
    ];
    all.iter()
        .fold(OwnedHeaders::new_with_capacity(7), |h, (key, value)| {
            h.insert(Header {
                key,
                value: Some(value.as_bytes()),
            })
        })
}

/// One engine under test.
struct Engine {
    name: &'static str,
    /// What the child is told to open (`sqlite:<dir>` or a tansu storage URL).
    store: String,
    /// Where its bytes are, to measure: a directory, a PostgreSQL database, or the child's memory.
    footprint: Footprint,
}

enum Footprint {
    Directory(PathBuf),
    Postgres(String),
    Memory,
}

fn engines(scratch: &Path) -> Vec<Engine> {
    let postgres = std::env::var("ENGINE_POSTGRES_URL").ok();
    let default = if postgres.is_some() {
        "sqlite,memory,slatedb,turso,postgres"
    } else {
        "sqlite,memory,slatedb,turso"
    };
    env("ENGINES", default)
        .split(',')
        .map(|name| {
            let dir = scratch.join(name.trim());
            std::fs::create_dir_all(&dir).unwrap();
            match name.trim() {
                "sqlite" => Engine {
                    name: "sqlite (default: tansu's libsql engine, Codeflix's reads and index)",
                    store: format!("sqlite:{}", dir.display()),
                    footprint: Footprint::Directory(dir),
                },
                "memory" => Engine {
                    name: "memory (tansu's object store engine, in memory)",
                    store: "memory://".into(),
                    footprint: Footprint::Memory,
                },
                "slatedb" => Engine {
                    name: "slatedb (on slatedb's in-memory object store)",
                    store: "slatedb://memory".into(),
                    footprint: Footprint::Memory,
                },
                "turso" => Engine {
                    name: "turso (tansu's turso engine)",
                    store: format!("turso:///{}", dir.join("tansu.db").display()),
                    footprint: Footprint::Directory(dir),
                },
                "postgres" => {
                    let url = postgres.clone().expect("ENGINE_POSTGRES_URL for postgres");
                    Engine {
                        name: "postgres (tansu's PostgreSQL engine, PostgreSQL 15 on loopback)",
                        store: url.clone(),
                        footprint: Footprint::Postgres(url),
                    }
                }
                other => panic!("no engine {other}"),
            }
        })
        .collect()
}

/// This program again, as the broker on `engine`'s store.
struct Broker {
    child: Child,
    bootstrap: String,
}

impl Broker {
    /// Starts the broker and answers it with the time until it answered a metadata request, or
    /// why it ended first.
    fn start(engine: &Engine) -> Result<(Broker, Duration), String> {
        let port = free_port().unwrap();
        let log = tempfile::NamedTempFile::new().unwrap();
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_STORE, &engine.store)
            .env(CHILD_PORT, port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let bootstrap = format!("127.0.0.1:{port}");
        let probe: BaseConsumer = client(&bootstrap).create().unwrap();
        let deadline = Instant::now() + Duration::from_secs(300);
        while probe
            .fetch_metadata(None, Duration::from_millis(500))
            .is_err()
        {
            if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = std::fs::read_to_string(log.path()).unwrap_or_default();
                let why = stderr
                    .lines()
                    .find_map(|line| line.strip_prefix("failed: "))
                    .unwrap_or("no answer in 300 s");
                return Err(format!("✗ does not start: {}", why.trim()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok((Broker { child, bootstrap }, started.elapsed()))
    }

    /// SIGKILL.
    fn kill(self) {
        drop(self);
    }

    /// Resident memory of the broker process, bytes.
    fn resident(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kib * 1024
    }
}

impl Drop for Broker {
    /// SIGKILL, also when the bench fails half-way.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child: a broker on the store it was given, until it is killed.
async fn child(store: String, port: String) {
    // The broker's warnings and errors (RUST_LOG for more) go to the parent's log file.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let store = match store.strip_prefix("sqlite:") {
        Some(dir) => BrokerStore::Sqlite(PathBuf::from(dir)),
        None => BrokerStore::Url(Url::parse(&store).unwrap()),
    };
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    match EmbeddedBroker::start_on(store, addr).await {
        Ok(_broker) => std::future::pending::<()>().await,
        Err(e) => {
            eprintln!("failed: {e}");
            std::process::exit(2);
        }
    }
}

async fn create_topic(bootstrap: &str, name: &str) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    let results = admin
        .create_topics(
            &[NewTopic::new(name, PARTITIONS, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .map_err(|e| e.to_string())?;
    for result in results {
        result.map_err(|(topic, code)| format!("{topic}: {code}"))?;
    }
    Ok(())
}

fn producer(bootstrap: &str) -> FutureProducer {
    client(bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "200000")
        .set("message.timeout.ms", "20000")
        .create()
        .unwrap()
}

/// Sends records `0..count` round-robin over the partitions, until `stop` says so; answers every
/// acknowledged `(partition, offset, key)` and how many sends failed.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    count: u64,
    stop: Option<Instant>,
) -> (Vec<(i32, i64, String)>, usize) {
    let value = vec![0x5a_u8; VALUE_BYTES];
    let mut acknowledged = Vec::new();
    let mut failed = 0;
    let mut pending = FuturesUnordered::new();
    let mut settle = |done: Result<Result<(i32, i64), _>, _>, key: String| match done {
        Ok(Ok((partition, offset))) => acknowledged.push((partition, offset, key)),
        _ => failed += 1,
    };
    for n in 0..count {
        if stop.is_some_and(|at| Instant::now() >= at) {
            break;
        }
        let key = format!("{n:016x}");
        let mut record = FutureRecord::to(topic)
            .key(&key)
            .payload(&value)
            .partition(i32::try_from(n % PARTITIONS as u64).unwrap())
            .headers(headers(n));
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    let key = key.clone();
                    break pending.push(async move {
                        (
                            delivery
                                .await
                                .map(|r| r.map(|d| (d.partition, d.offset)).map_err(|(e, _)| e)),
                            key,
                        )
                    });
                }
                Err((_, returned)) => {
                    // The local queue is full: let deliveries drain.
                    record = returned;
                    let (done, key) = pending.next().await.unwrap();
                    settle(done, key);
                }
            }
        }
        if pending.len() >= 20_000 {
            let (done, key) = pending.next().await.unwrap();
            settle(done, key);
        }
    }
    while let Some((done, key)) = pending.next().await {
        settle(done, key);
    }
    (acknowledged, failed)
}

/// A measured read: `count` records of `partition` from `offset`, or why they did not come
/// (a 30-second stall).
async fn read(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    offset: i64,
    count: usize,
) -> Result<Duration, String> {
    support::read(
        client(bootstrap),
        topic,
        partition,
        offset,
        count,
        Duration::from_secs(30),
    )
    .await
}

/// Every key stored in `topic`, by partition and offset, read from the start to the end.
async fn stored(bootstrap: &str, topic: &str) -> Result<Vec<(i32, i64, String)>, String> {
    // read_uncommitted: the bench writes no transactions, and tansu's latest-committed-offset
    // query does not parse on PostgreSQL 15.
    let consumer: StreamConsumer = client(bootstrap)
        .set("group.id", "engines.audit")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_uncommitted")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(30))
        .map_err(|e| format!("metadata: {e}"))?;
    if metadata
        .topics()
        .iter()
        .all(|t| t.error().is_some() || t.partitions().is_empty())
    {
        // The topic itself is gone.
        return Ok(Vec::new());
    }
    let mut assignment = TopicPartitionList::new();
    let mut remaining = 0;
    for partition in 0..PARTITIONS {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(30))
            .map_err(|e| format!("watermarks: {e}"))?;
        remaining += high - low;
        assignment
            .add_partition_offset(topic, partition, Offset::Offset(low))
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut keys = Vec::new();
    while remaining > 0 {
        let message = tokio::time::timeout(Duration::from_secs(120), consumer.recv())
            .await
            .map_err(|_| "reading stopped".to_owned())?
            .map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
        keys.push((message.partition(), message.offset(), key));
        remaining -= 1;
    }
    Ok(keys)
}

/// A group that read `GROUP_READ` records, committed and left: what operators' tools say of it.
async fn operators(bootstrap: &str, topic: &str, events: u64) -> String {
    {
        let consumer: StreamConsumer = client(bootstrap)
            .set("group.id", GROUP)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .unwrap();
        consumer.subscribe(&[topic]).unwrap();
        for _ in 0..GROUP_READ {
            let read = tokio::time::timeout(Duration::from_secs(120), consumer.recv()).await;
            // Each record handed over is stored for the commit below (librdkafka's default).
            match read {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return format!("✗ consuming in a group: {e}"),
                Err(_) => return "✗ consuming in a group: nothing arrived in 120 s".into(),
            }
        }
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            return format!("✗ committing: {e}");
        }
        consumer.unsubscribe();
    }
    let mut failures = Vec::new();
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    match admin
        .describe_configs(
            &[ResourceSpecifier::Topic(topic)],
            &AdminOptions::new().request_timeout(Some(Duration::from_secs(30))),
        )
        .await
    {
        Ok(results) if results.iter().all(Result::is_ok) => {}
        Ok(results) => failures.push(format!("describe configs: {results:?}")),
        Err(e) => failures.push(format!("describe configs: {e}")),
    }
    match admin_tool(bootstrap, &["groups"]) {
        Ok(groups) => {
            let group = &groups[GROUP];
            let committed: i64 = group["partitions"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["committed"].as_i64()).sum())
                .unwrap_or(-1);
            // Lag is each partition's end less its committed offset: the ends must be right.
            let per_partition = i64::try_from(events / PARTITIONS as u64).unwrap();
            let ends_right = group["partitions"].as_array().is_some_and(|ps| {
                ps.iter().all(|p| {
                    p["end"] == per_partition
                        && p["lag"] == per_partition - p["committed"].as_i64().unwrap_or(0)
                })
            });
            if group["state"] != "EMPTY" {
                failures.push(format!("described state {}", group["state"]));
            }
            if committed != GROUP_READ as i64 || !ends_right {
                failures.push(format!("offsets {}", group["partitions"]));
            }
        }
        Err(e) => failures.push(format!("groups: {e}")),
    }
    match admin_tool(bootstrap, &["reset", GROUP, "0"]) {
        Ok(Value::Array(partitions))
            if !partitions.is_empty() && partitions.iter().all(|p| p["committed"] == 0) => {}
        Ok(other) => failures.push(format!("reset: {other}")),
        Err(e) => failures.push(format!("reset: {e}")),
    }
    if failures.is_empty() {
        "✓ all".into()
    } else {
        format!("✗ {}", failures.join("; ").replace('|', "/"))
    }
}

/// cli/tests/python/kafka_admin.py: confluent-kafka's `AdminClient`, as operators use it.
fn admin_tool(bootstrap: &str, args: &[&str]) -> Result<Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/python/kafka_admin.py");
    let output = Command::new(env("CODEFLIX_PYTHON", "python3"))
        .arg(script)
        .args(["--bootstrap", bootstrap])
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        return Err(last.chars().take(160).collect());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

/// Bytes the engine holds: on disk, in its database, or in the broker's memory.
fn footprint(engine: &Engine, broker: &Broker) -> u64 {
    match &engine.footprint {
        Footprint::Directory(dir) => std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().metadata().unwrap().len())
            .sum(),
        Footprint::Postgres(url) => {
            let output = Command::new("psql")
                .args([
                    url.as_str(),
                    "-Atc",
                    "select pg_database_size(current_database())",
                ])
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap_or(0)
        }
        Footprint::Memory => broker.resident(),
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Row {
    startup: String,
    produced: String,
    newest: String,
    oldest: String,
    operators: String,
    sigkill: String,
    restart: String,
    per_million: String,
}

async fn measure(engine: &Engine, events: u64) -> Row {
    let mut row = Row {
        startup: "–".into(),
        produced: "–".into(),
        newest: "–".into(),
        oldest: "–".into(),
        operators: "–".into(),
        sigkill: "–".into(),
        restart: "–".into(),
        per_million: "–".into(),
    };
    let (broker, startup) = match Broker::start(engine) {
        Ok(started) => started,
        Err(e) => {
            row.startup = e.replace('|', "/");
            return row;
        }
    };
    row.startup = format!("{:.2}", startup.as_secs_f64());
    let empty = footprint(engine, &broker);
    let bootstrap = broker.bootstrap.clone();
    let topic = "engines.log";
    if let Err(e) = create_topic(&bootstrap, topic).await {
        row.produced = format!("✗ create topic: {e}");
        broker.kill();
        return row;
    }
    let producer = producer(&bootstrap);
    let started = Instant::now();
    let (acknowledged, failed) = produce(&producer, topic, events, None).await;
    let rate = acknowledged.len() as f64 / started.elapsed().as_secs_f64();
    row.produced = if failed == 0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.0} ({failed} failed)")
    };
    let end = i64::try_from(events / PARTITIONS as u64).unwrap();
    // Median of three reads from each end.
    let reads = |from: i64, partition: i32| {
        let bootstrap = bootstrap.clone();
        async move {
            let mut took = Vec::new();
            for _ in 0..3 {
                took.push(read(&bootstrap, topic, partition, from, READ).await?);
            }
            took.sort();
            Ok::<_, String>(format!("{:.0}", millis(took[1])))
        }
    };
    row.newest = reads((end - READ as i64).max(0), 0)
        .await
        .unwrap_or_else(|e| e);
    row.oldest = reads(0, 1).await.unwrap_or_else(|e| e);
    row.operators = operators(&bootstrap, topic, events).await;
    let bytes = footprint(engine, &broker).saturating_sub(empty);
    row.per_million = format!(
        "{:.0} MB{}",
        bytes as f64 / events as f64 * 1e6 / 1e6,
        if matches!(engine.footprint, Footprint::Memory) {
            " of memory"
        } else {
            ""
        }
    );

    // SIGKILL while a producer writes as fast as it can; then every acknowledged record must be
    // there after a restart.
    let killed = "engines.killed";
    let outcome = match create_topic(&bootstrap, killed).await {
        Err(e) => Err(format!("create topic: {e}")),
        Ok(()) => {
            let writing = producer.clone();
            let writer = tokio::spawn(async move {
                produce(
                    &writing,
                    killed,
                    u64::MAX,
                    Some(Instant::now() + Duration::from_secs(10)),
                )
                .await
            });
            tokio::time::sleep(Duration::from_secs(3)).await;
            broker.kill();
            let (acknowledged, _) = writer.await.unwrap();
            match Broker::start(engine) {
                Ok((broker, restart)) => {
                    row.restart = format!("{:.2}", restart.as_secs_f64());
                    let result = stored(&broker.bootstrap, killed).await.map(|kept| {
                        let kept: std::collections::HashSet<_> = kept.into_iter().collect();
                        let lost = acknowledged.iter().filter(|a| !kept.contains(a)).count();
                        (acknowledged.len(), lost)
                    });
                    broker.kill();
                    result
                }
                Err(e) => Err(format!("restart: {e}")),
            }
        }
    };
    row.sigkill = match outcome {
        Ok((acknowledged, 0)) => format!("✓ all {acknowledged} acknowledged kept"),
        Ok((acknowledged, lost)) => format!("✗ lost {lost} of {acknowledged} acknowledged"),
        Err(e) => format!("✗ {e}"),
    };
    row
}

fn main() {
    if let (Ok(store), Ok(port)) = (std::env::var(CHILD_STORE), std::env::var(CHILD_PORT)) {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(child(store, port));
        return;
    }
    let events: u64 = env("EVENTS", "100000").parse().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "### tansu 0.6's storage engines ({events} events of {VALUE_BYTES} bytes with 7 headers, \
         {PARTITIONS} partitions; reads of {READ} records)\n"
    );
    println!(
        "| engine | start-up, empty, s | produced/s | read the newest, ms | read the oldest, ms | \
         operators' tools | SIGKILL mid-write, restart | start-up on the log, s | per million events |"
    );
    println!("|---|---:|---:|---:|---:|---|---|---:|---:|");
    for engine in engines(scratch.path()) {
        eprintln!("measuring {}", engine.name);
        let row = runtime.block_on(measure(&engine, events));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            engine.name,
            row.startup,
            row.produced,
            row.newest,
            row.oldest,
            row.operators,
            row.sigkill,
            row.restart,
            row.per_million,
        );
    }
}
