//! Create-video commands per second through the command API (real HTTP, bearer token, JSON,
//! validation, event log, Kafka acknowledgement) at saturation, with latency percentiles, against
//! the raw append rate of the same broker in the same run: raw rdkafka producing the very messages
//! the API appended in the first round (same keys, values, headers, partitions, idempotent
//! `acks=all`) to a fresh topic each round. (They are read back once: tansu's fetches slow down as
//! a topic grows, which would measure the reader rather than the append.)
//! Prints a Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix-command-api --bench commands` (`REQUESTS`, `CONCURRENCY`, `ROUNDS`).

#![allow(clippy::unwrap_used)]

use codeflix_testkit::load::knob;
use std::time::{Duration, Instant};

use codeflix_domain::AggregateType;
use codeflix_eventlog::reader::read_snapshot;
use codeflix_eventlog::topics::event_topic;
use codeflix_testkit::load::create_videos;
use futures::stream::{FuturesUnordered, StreamExt};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Warnings (and anything `CODEFLIX_LOG` asks for) go to standard error.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CODEFLIX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let requests = knob("REQUESTS", 4000);
    let concurrency = knob("CONCURRENCY", 64);
    let rounds = knob("ROUNDS", 3);
    let api = codeflix_testkit::CommandApi::start().await;
    let token = api.admin();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let url = format!("{}/videos", api.base());
    let video_topic = event_topic("codeflix", AggregateType::Video);

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", api.bootstrap())
        .create()
        .unwrap();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", api.bootstrap())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("queue.buffering.max.messages", "200000")
        .create()
        .unwrap();

    println!("{requests} create-video requests per round, {concurrency} in flight\n");
    println!(
        "| round | API creates/s | p50 ms | p99 ms | raw append of the same messages/s | API / raw |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut messages = Vec::new();
    for round in 1..=rounds {
        let round_took = create_videos(
            &client,
            &url,
            &token,
            &format!("Bench {round}"),
            requests,
            concurrency,
        )
        .await;

        // The first round's messages, produced raw to a fresh topic of the same broker.
        if messages.is_empty() {
            messages = read_snapshot(api.config(), std::slice::from_ref(&video_topic))
                .await
                .unwrap();
        }
        let records = &messages;
        let topic = format!("bench.raw.{round}");
        admin
            .create_topics(
                &[NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        let raw_started = Instant::now();
        let mut deliveries = FuturesUnordered::new();
        for record in records {
            let mut headers = OwnedHeaders::new();
            for (name, value) in &record.headers {
                headers = headers.insert(Header {
                    key: name,
                    value: Some(value.as_bytes()),
                });
            }
            let mut message = FutureRecord::to(&topic)
                .partition(record.partition)
                .headers(headers);
            if let Some(key) = &record.key {
                message = message.key(key);
            }
            if let Some(value) = &record.value {
                message = message.payload(value);
            }
            deliveries.push(producer.send(message, Duration::from_secs(60)));
        }
        while let Some(delivery) = deliveries.next().await {
            delivery.unwrap();
        }
        let raw_elapsed = raw_started.elapsed();
        let api_rate = round_took.rate();
        let raw_rate = records.len() as f64 / raw_elapsed.as_secs_f64();
        println!(
            "| {round} | {api_rate:.0} | {:.1} | {:.1} | {raw_rate:.0} | {:.1}% |",
            round_took.percentile_ms(0.50),
            round_took.percentile_ms(0.99),
            100.0 * api_rate / raw_rate
        );
    }
}
