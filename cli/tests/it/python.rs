//! A third-party consumer — Python's confluent-kafka with its AvroDeserializer — reads our topics
//! through our registry and sees exactly the events the log holds.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::support::{Site, kill};

/// The interpreter with confluent-kafka: `CODEFLIX_PYTHON` (set by `.ci/run`), else `python3`.
pub(crate) fn python() -> Option<String> {
    python_with(&["confluent_kafka", "fastavro"])
}

/// `CODEFLIX_PYTHON`, else `python3`, when it imports `modules`; `None` when that is `python3`
/// and it does not (a machine without the test tools). A configured one that cannot import
/// them is a broken setup and fails the test.
pub(crate) fn python_with(modules: &[&str]) -> Option<String> {
    let configured = std::env::var("CODEFLIX_PYTHON").ok();
    let candidate = configured.clone().unwrap_or_else(|| "python3".into());
    let imports = format!("import {}", modules.join(", "));
    let importable = Command::new(&candidate)
        .args(["-c", &imports])
        .output()
        .is_ok_and(|o| o.status.success());
    match (importable, configured) {
        (true, _) => Some(candidate),
        (false, Some(python)) => panic!("CODEFLIX_PYTHON={python} cannot run `{imports}`"),
        (false, None) => None,
    }
}

#[test]
fn pythons_confluent_kafka_reads_our_events_through_our_registry() {
    let Some(python) = python() else {
        println!(
            "skipped: no Python with confluent-kafka (set CODEFLIX_PYTHON; .ci/run installs it)"
        );
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let mut broker = site.start_broker();
    let mut registry = site.start_registry();
    let stress = site.run(&[
        "stress",
        "--writers",
        "2",
        "--aggregates",
        "5",
        "--commands",
        "15",
        "--wait-drained",
        "--ack-log",
        site.path("acks.jsonl").to_str().unwrap(),
    ]);
    assert!(
        stress.status.success(),
        "{}",
        String::from_utf8_lossy(&stress.stderr)
    );

    let dump = site.run(&["events", "dump"]);
    let ours: BTreeSet<String> = String::from_utf8(dump.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            record["event"]["metadata"]["event_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ours.len(), 30);

    // `events dump --id` keeps one aggregate's events: those whose key is its id.
    let all: Vec<Value> = String::from_utf8(dump.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let aggregate = all[0]["event"]["metadata"]["aggregate_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected = all
        .iter()
        .filter(|r| r["event"]["metadata"]["aggregate_id"] == aggregate.as_str())
        .count();
    let one = site.run(&["events", "dump", "--id", &aggregate]);
    let dumped: Vec<Value> = String::from_utf8(one.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(dumped.len(), expected, "{aggregate}");
    assert!(expected > 0 && expected < all.len());
    assert!(
        dumped
            .iter()
            .all(|r| r["event"]["metadata"]["aggregate_id"] == aggregate.as_str())
    );

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_events.py");
    let output = Command::new(python)
        .arg(script)
        .args(["--bootstrap", &format!("127.0.0.1:{}", site.broker_port)])
        .args([
            "--registry",
            &format!("http://127.0.0.1:{}", site.registry_port),
        ])
        .args([
            "--topic",
            "codeflix.catalog.category.events",
            "--expect",
            "30",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut theirs = BTreeSet::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let value = &record["value"];
        let metadata = &value["metadata"];
        let event_id = metadata["event_id"].as_str().unwrap().to_owned();
        assert_eq!(record["headers"]["ce_id"].as_str(), Some(event_id.as_str()));
        assert_eq!(metadata["aggregate_type"], "catalog.category");
        assert!(
            value["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{value}"
        );
        let event_type = record["headers"]["ce_type"].as_str().unwrap();
        assert!(
            event_type.starts_with("codeflix.catalog.category.Category"),
            "{event_type}"
        );
        theirs.insert(event_id);
    }
    assert_eq!(theirs, ours, "Python sees exactly the events the log holds");
    kill(&mut broker);
    kill(&mut registry);
}
