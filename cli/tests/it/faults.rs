//! Exactly once and in version order, whatever dies: writers killed with SIGKILL at random
//! moments, the broker killed and restarted mid-stream. Afterwards every topic is read back and
//! checked per aggregate: versions 1..n contiguous and in order, no duplicate, and every command a
//! writer heard acknowledged is present.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

use crate::support::{Process, Site, kill, read_lines};

/// How long the chaos lasts; `CODEFLIX_FAULT_SECONDS` makes it longer for a soak.
fn chaos_duration() -> Duration {
    let seconds = std::env::var("CODEFLIX_FAULT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    Duration::from_secs(seconds)
}

struct Writer {
    child: Process,
    ack_log: String,
}

fn start_writer(site: &Site, generation: usize) -> Writer {
    let ack_log = site
        .path(&format!("acks-{generation}.jsonl"))
        .display()
        .to_string();
    let child = site.spawn_with(
        &format!("writer-{generation}"),
        // Short leases so that the survivors take over quickly from a killed publisher.
        &[
            ("CODEFLIX__EVENT_LOG__RELAY_LEASE_TTL", "2s"),
            ("CODEFLIX__EVENT_LOG__RELAY_QUARANTINE", "1s"),
            ("CODEFLIX__EVENT_LOG__ACK_TIMEOUT", "10s"),
        ],
        &[
            "stress",
            "--writers",
            "3",
            "--aggregates",
            "12",
            "--commands",
            "1000000",
            "--seed",
            "faults",
            "--ack-log",
            &ack_log,
        ],
    );
    Writer { child, ack_log }
}

#[test]
fn acknowledged_commands_are_in_kafka_exactly_once_in_version_order_despite_kills() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let mut broker = site.start_broker();
    let mut registry = site.start_registry();
    let mut rng = rand::rng();
    let mut generation = 0;
    let mut writers: Vec<Writer> = (0..3)
        .map(|_| {
            generation += 1;
            start_writer(&site, generation)
        })
        .collect();
    let mut ack_logs: Vec<String> = writers.iter().map(|w| w.ack_log.clone()).collect();

    let started = Instant::now();
    let mut broker_restarts = 0;
    let mut writer_kills = 0;
    while started.elapsed() < chaos_duration() {
        std::thread::sleep(Duration::from_millis(rng.random_range(500..2500)));
        if rng.random_bool(0.2)
            || (broker_restarts == 0 && started.elapsed() > chaos_duration() / 3)
        {
            // The broker dies mid-stream and comes back on the same storage.
            kill(&mut broker);
            std::thread::sleep(Duration::from_millis(rng.random_range(200..2000)));
            broker = site.start_broker();
            broker_restarts += 1;
        } else {
            let victim = rng.random_range(0..writers.len());
            kill(&mut writers[victim].child);
            writer_kills += 1;
            generation += 1;
            writers[victim] = start_writer(&site, generation);
            ack_logs.push(writers[victim].ack_log.clone());
        }
    }
    for writer in &mut writers {
        kill(&mut writer.child);
    }

    // Whatever was stored but not yet in Kafka is published by the next relay.
    let drained = site.run(&["stress", "--writers", "0", "--wait-drained"]);
    assert!(
        drained.status.success(),
        "draining failed: {}",
        String::from_utf8_lossy(&drained.stderr)
    );

    let verify = site.run(&["events", "verify"]);
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no report ({e}): {}",
            String::from_utf8_lossy(&verify.stderr)
        )
    });
    assert!(verify.status.success(), "the log is broken: {report}");
    assert_eq!(report["ok"], true);

    let dump = site.run(&["events", "dump", "--type", "catalog.category"]);
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    // event id → (aggregate, version, partition, offset)
    let mut in_log: HashMap<String, (String, u64, i64, i64)> = HashMap::new();
    let mut per_aggregate: BTreeMap<String, Vec<(i64, i64, u64)>> = BTreeMap::new();
    for line in String::from_utf8(dump.stdout).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let metadata = &record["event"]["metadata"];
        let aggregate = metadata["aggregate_id"].as_str().unwrap().to_owned();
        let version = metadata["aggregate_version"].as_u64().unwrap();
        let event_id = metadata["event_id"].as_str().unwrap().to_owned();
        let (partition, offset) = (
            record["partition"].as_i64().unwrap(),
            record["offset"].as_i64().unwrap(),
        );
        let previous = in_log.insert(
            event_id.clone(),
            (aggregate.clone(), version, partition, offset),
        );
        assert!(previous.is_none(), "{event_id} twice");
        per_aggregate
            .entry(aggregate)
            .or_default()
            .push((partition, offset, version));
    }
    for (aggregate, mut events) in per_aggregate {
        // In log order (one partition per aggregate, so offset order), versions run 1..n.
        events.sort_unstable();
        let versions: Vec<u64> = events.iter().map(|(_, _, v)| *v).collect();
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "aggregate {aggregate} in log order");
    }

    let mut acknowledged = 0;
    for log in &ack_logs {
        for line in read_lines(std::path::Path::new(log)) {
            // A writer killed mid-write leaves at most a torn last line, which it never acknowledged.
            let Ok(ack) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let aggregate = ack["aggregate_id"].as_str().unwrap();
            let version = ack["version"].as_u64().unwrap();
            let event_ids = ack["event_ids"].as_array().unwrap();
            let offsets = ack["offsets"].as_array().unwrap();
            assert_eq!(event_ids.len(), offsets.len());
            for (n, (event_id, position)) in event_ids.iter().zip(offsets).enumerate() {
                let event_id = event_id.as_str().unwrap();
                let expected_version = version - event_ids.len() as u64 + 1 + n as u64;
                let partition = position[1].as_i64().unwrap();
                let offset = position[2].as_i64().unwrap();
                assert_eq!(
                    in_log.get(event_id),
                    Some(&(aggregate.to_owned(), expected_version, partition, offset)),
                    "acknowledged event {event_id} of {aggregate} is not in the log as version \
                     {expected_version} at the position it was acknowledged with"
                );
            }
            acknowledged += 1;
        }
    }
    println!(
        "{acknowledged} acknowledged commands, {} events in the log, {writer_kills} writer kills, {broker_restarts} broker restarts",
        in_log.len()
    );
    if acknowledged < 50 {
        for name in ["broker", "writer-1", "writer-2", "writer-3", "writer-4"] {
            let log = read_lines(&site.path(&format!("{name}.log")));
            eprintln!(
                "--- {name}.log (last lines)\n{}",
                log[log.len().saturating_sub(15)..].join("\n")
            );
        }
        panic!("too few commands acknowledged ({acknowledged}) for the test to mean anything");
    }
    assert!(broker_restarts >= 1 && writer_kills >= 1);
    kill(&mut broker);
    kill(&mut registry);
}
