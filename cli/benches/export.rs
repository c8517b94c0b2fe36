//! `codeflix events export` against the raw consume rate of the same topic in the same run: the
//! video events of `EVENTS` create-video commands read with the export's reader and thrown away
//! (the baseline: what reading the log costs), then exported as Parquet and as JSON Lines into
//! new directories, each as a process from start to exit. Rounds alternate, and each figure is
//! the median of `ROUNDS`.
//! Prints a Markdown table; asserts nothing but that every event was read and exported.
//!
//! `cargo bench -p codeflix --bench export` (`EVENTS`, `ROUNDS`).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use codeflix_eventlog::config::EventLogConfig;
use codeflix_eventlog::reader::{partition_ends, stream_ranges};
use codeflix_testkit::load::{ToolRun, create_videos, knob, measure_tool};
use codeflix_testkit::site::Site;

const TOPIC: &str = "codeflix.catalog.video.events";

/// Reads every record of the topic and keeps none, with the reader the export uses (every
/// partition at once): records, bytes, seconds.
async fn consume(config: &EventLogConfig) -> (usize, usize, f64) {
    let started = Instant::now();
    let ends = partition_ends(config, &[TOPIC.to_owned()]).unwrap();
    let mut records = stream_ranges(config, ends).unwrap();
    let (mut count, mut bytes) = (0, 0);
    while let Some(record) = records.recv().await {
        let record = record.unwrap();
        count += 1;
        bytes += record.value.map_or(0, |v| v.len());
    }
    (count, bytes, started.elapsed().as_secs_f64())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let events = knob("EVENTS", 100_000);
    let rounds = knob("ROUNDS", 3);
    let mut site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    site.log_filter(None);
    let (_processes, token) = site.start_catalog_api();
    let client = reqwest::Client::new();
    let url = format!("{}/videos", site.api());
    let mut created = 0;
    while created < events {
        let batch = (events - created).min(20_000);
        create_videos(&client, &url, &token, "Export", batch, 64).await;
        created += batch;
    }
    let config = EventLogConfig::new(
        &format!("127.0.0.1:{}", site.broker_port),
        &format!("http://127.0.0.1:{}", site.registry_port),
        site.path("unused"),
    );
    // Until the relay has published every acknowledged event.
    let (_, bytes, _) = loop {
        let read = consume(&config).await;
        if read.0 >= events {
            break read;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    eprintln!("{events} video events in the log, {bytes} bytes of Avro");

    let mut raw = Vec::new();
    let mut exports: [(&str, Vec<ToolRun>); 2] = [("parquet", Vec::new()), ("jsonl", Vec::new())];
    for round in 0..rounds {
        let (count, _, seconds) = consume(&config).await;
        assert_eq!(count, events);
        raw.push(seconds);
        for (format, runs) in &mut exports {
            let out = site.path(&format!("export-{format}-{round}"));
            let out = out.to_str().unwrap();
            let run = measure_tool(
                &site,
                &[
                    "events",
                    "export",
                    "--out",
                    out,
                    "--format",
                    format,
                    "--type",
                    "catalog.video",
                ],
            );
            let manifest: serde_json::Value = serde_json::from_slice(
                &std::fs::read(format!("{out}/_codeflix_export.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(manifest["runs"][0]["exported"], events, "{manifest}");
            let written: u64 = walk_bytes(std::path::Path::new(out));
            eprintln!(
                "round {round}: raw {seconds:.2} s, {format} {:.2} s, {} MiB peak, {:.1} MiB written",
                run.seconds,
                run.peak_kib / 1024,
                written as f64 / 1_048_576.0
            );
            runs.push(run);
        }
    }

    let raw = median(raw);
    let rate = |seconds: f64| events as f64 / seconds;
    println!("| reader | events | time | events/s | of the raw consume rate | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| raw consume (baseline) | {events} | {raw:.2} s | {:.0} | 100% | |",
        rate(raw)
    );
    for (format, runs) in &exports {
        let seconds = median(runs.iter().map(|r| r.seconds).collect());
        let peak = median(runs.iter().map(|r| r.peak_kib as f64).collect());
        println!(
            "| `events export --format {format}` | {events} | {seconds:.2} s | {:.0} | {:.0}% | {:.0} MiB |",
            rate(seconds),
            100.0 * raw / seconds,
            peak / 1024.0
        );
    }
}

/// The bytes of every file under `dir`.
fn walk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                walk_bytes(&entry.path())
            } else {
                entry.metadata().unwrap().len()
            }
        })
        .sum()
}
