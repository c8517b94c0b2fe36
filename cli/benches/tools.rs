//! The command-line tools over long topics: the peak memory (maximum resident set) of
//! `codeflix events verify`, `events dump`, `dlq list` and `dlq redrive` over a log of `SMALL`
//! records and again over four times as many, in the same run. A tool that streams shows a ratio
//! near 1; one that holds its topic grows with it (ratio towards 4).
//! Prints a Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix --bench tools` (`SMALL`, records; `LETTER_BYTES`, the size of each
//! dead letter's value).

#![allow(clippy::unwrap_used)]

use codeflix_testkit::load::{ToolRun, knob, measure_tool};
use std::time::{Duration, Instant};

use codeflix_consumer::dlq;
use codeflix_testkit::load::create_videos;
use codeflix_testkit::site::Site;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

/// Writes `count` dead letters of `bytes` each straight onto the catalog projection's dead-letter
/// topic, with the headers the projector writes.
async fn dead_letters(brokers: &str, first: usize, count: usize, bytes: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let topic = dlq::dead_letter_topic("codeflix", "catalog");
    if first == 0 {
        // The projector creates them; no projector runs here.
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .unwrap();
        let redrive = dlq::redrive_topic("codeflix", "catalog");
        let created = admin
            .create_topics(
                &[
                    NewTopic::new(&topic, 6, TopicReplication::Fixed(1)),
                    NewTopic::new(&redrive, 6, TopicReplication::Fixed(1)),
                ],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        for result in created {
            result.map_err(|(name, e)| format!("{name}: {e}")).unwrap();
        }
    }
    let value = vec![b'x'; bytes];
    let numbers: Vec<usize> = (first..first + count).collect();
    for chunk in numbers.chunks(1_000) {
        let offsets: Vec<String> = chunk.iter().map(|n| n.to_string()).collect();
        let sends: Vec<_> = offsets
            .iter()
            .map(|offset| {
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: dlq::REASON,
                        value: Some("benchmark: not avro".as_bytes()),
                    })
                    .insert(Header {
                        key: dlq::SOURCE_TOPIC,
                        value: Some("codeflix.catalog.video".as_bytes()),
                    })
                    .insert(Header {
                        key: dlq::SOURCE_PARTITION,
                        value: Some("0".as_bytes()),
                    })
                    .insert(Header {
                        key: dlq::SOURCE_OFFSET,
                        value: Some(offset.as_bytes()),
                    })
                    .insert(Header {
                        key: dlq::PROJECTION,
                        value: Some("catalog".as_bytes()),
                    });
                let record = FutureRecord::to(&topic)
                    .key(offset.as_bytes())
                    .payload(&value)
                    .headers(headers);
                // Queued now (`send` would queue only when awaited, one at a time).
                producer.send_result(record).map_err(|(e, _)| e).unwrap()
            })
            .collect();
        for send in sends {
            send.await.unwrap().map_err(|(e, _)| e).unwrap();
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let small = knob("SMALL", 20_000);
    let letter_bytes = knob("LETTER_BYTES", 2_048);
    let mut site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    site.log_filter(None);
    let (_processes, token) = site.start_catalog_api();
    let client = reqwest::Client::new();
    let url = format!("{}/videos", site.api());
    let brokers = format!("127.0.0.1:{}", site.broker_port);

    let tools: [(&str, &[&str]); 4] = [
        ("events verify", &["events", "verify"]),
        ("events dump", &["events", "dump"]),
        ("dlq list", &["dlq", "list"]),
        ("dlq redrive", &["dlq", "redrive"]),
    ];
    let mut runs: Vec<Vec<ToolRun>> = (0..tools.len()).map(|_| Vec::new()).collect();
    let mut held = 0;
    for size in [small, 4 * small] {
        let more = size - held;
        let mut loaded = 0;
        while loaded < more {
            let batch = (more - loaded).min(20_000);
            create_videos(&client, &url, &token, "Tools", batch, 64).await;
            loaded += batch;
        }
        let writing = Instant::now();
        dead_letters(&brokers, held, more, letter_bytes).await;
        eprintln!("{more} dead letters written in {:.1?}", writing.elapsed());
        held = size;
        eprintln!("{size} events and {size} dead letters held");
        // What is measured did its work: every letter is listed.
        let listed = site.run(&["dlq", "list"]);
        assert!(listed.status.success());
        let listed = String::from_utf8_lossy(&listed.stdout).lines().count();
        assert_eq!(listed, size, "dead letters listed");
        for ((name, args), runs) in tools.iter().zip(&mut runs) {
            let run = measure_tool(&site, args);
            eprintln!(
                "{name} over {size}: {:.1} s, peak {} KiB",
                run.seconds, run.peak_kib
            );
            runs.push(run);
        }
    }

    println!("| tool | records | peak RSS | time | records | peak RSS | time | RSS ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((name, _), runs) in tools.iter().zip(&runs) {
        let [at_small, at_large] = &runs[..] else {
            unreachable!("two sizes")
        };
        println!(
            "| `{name}` | {small} | {:.1} MiB | {:.1} s | {} | {:.1} MiB | {:.1} s | {:.2} |",
            at_small.peak_kib as f64 / 1024.0,
            at_small.seconds,
            4 * small,
            at_large.peak_kib as f64 / 1024.0,
            at_large.seconds,
            at_large.peak_kib as f64 / at_small.peak_kib as f64,
        );
    }
    println!();
    println!(
        "Dead letters carry {letter_bytes}-byte values: {:.0} MiB of them at {} records.",
        (4 * small * letter_bytes) as f64 / 1_048_576.0,
        4 * small
    );
}
