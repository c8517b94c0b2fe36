//! What analysts read from the log: one aggregate's state as of a version or a time, folded from
//! its events (`codeflix aggregate show`), agreeing with the events `events dump` prints; and the
//! log exported as Parquet and JSON Lines (`codeflix events export`), read back by pyarrow and
//! DuckDB.

use std::path::Path;

use serde_json::Value;

use crate::python::python_with;
use crate::support::{Site, succeeded};

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn an_aggregate_is_shown_as_it_was_at_each_version_and_time() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    let stress = site.run(&[
        "stress",
        "--writers",
        "1",
        "--aggregates",
        "2",
        "--commands",
        "6",
        "--wait-drained",
    ]);
    assert!(
        stress.status.success(),
        "{}",
        String::from_utf8_lossy(&stress.stderr)
    );
    let dump = site.run(&["events", "dump", "--type", "catalog.category"]);
    let all = json_lines(&dump.stdout);
    // The category written most often.
    let count = |key: &str| all.iter().filter(|r| r["key"] == key).count();
    let id = all
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .max_by_key(|key| count(key))
        .unwrap()
        .to_owned();
    let mine: Vec<&Value> = all.iter().filter(|r| r["key"] == id.as_str()).collect();
    assert!(mine.len() >= 2, "{all:?}");
    let name_at = |n: usize| mine[n]["event"]["name"].as_str().unwrap().to_owned();

    let show = |extra: &[&str]| {
        let mut args = vec!["aggregate", "show", "catalog.category", id.as_str()];
        args.extend_from_slice(extra);
        let output = site.run(&args);
        let shown: Option<Value> = output
            .status
            .success()
            .then(|| serde_json::from_slice(&output.stdout).unwrap());
        (shown, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    // Now: every event folded, the last name.
    let (now, _) = show(&[]);
    let now = now.unwrap();
    assert_eq!(now["version"], mine.len(), "{now}");
    assert_eq!(
        now["state"]["name"],
        name_at(mine.len() - 1).as_str(),
        "{now}"
    );
    assert_eq!(now["events"].as_array().unwrap().len(), mine.len());
    assert_eq!(now["later_events"], 0);
    // At version 1: the name it was created with, the rest counted as later.
    let (first, _) = show(&["--version", "1"]);
    let first = first.unwrap();
    assert_eq!(first["version"], 1);
    assert_eq!(first["state"]["name"], name_at(0).as_str(), "{first}");
    assert_eq!(first["events"][0]["type"], "CategoryCreated");
    assert_eq!(first["later_events"], mine.len() - 1);
    // At the instant of the second event: two folded.
    let second_at = mine[1]["time"].as_str().unwrap();
    let (then, said) = show(&["--at", second_at]);
    let then = then.unwrap_or_else(|| panic!("--at {second_at}: {said}"));
    assert_eq!(then["version"], 2, "{then}");
    assert_eq!(then["state"]["name"], name_at(1).as_str());
    // Before it existed, or an id it never had: nothing to show, and said so.
    let (none, said) = show(&["--at", "2000-01-01T00:00:00Z"]);
    assert!(none.is_none() && said.contains("no events"), "{said}");
    let output = site.run(&["aggregate", "show", "catalog.category", "no-such-id"]);
    assert!(!output.status.success());
    let output = site.run(&["aggregate", "show", "catalog.nothing", &id]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("catalog.nothing"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `codeflix stress` with its own set of categories: `commands` acknowledged by each of 2 writers.
fn stress(site: &Site, seed: &str, commands: u32) {
    let commands = commands.to_string();
    let output = site.run(&[
        "stress",
        "--writers",
        "2",
        "--aggregates",
        "4",
        "--commands",
        &commands,
        "--seed",
        seed,
        "--wait-drained",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The events the log holds, by type, as `events dump` prints them.
fn logged(site: &Site) -> Vec<Value> {
    let dump = site.run(&["events", "dump"]);
    assert!(dump.status.success());
    json_lines(&dump.stdout)
}

/// `events export` into `out`, with `extra` arguments: its JSON summary, or its error.
fn export(site: &Site, out: &Path, format: &str, extra: &[&str]) -> Result<Value, String> {
    let out = out.to_str().unwrap();
    let mut args = vec!["events", "export", "--out", out, "--format", format];
    args.extend_from_slice(extra);
    let output = site.run(&args);
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// What pyarrow and DuckDB read from an export directory (`tests/python/read_export.py`).
fn read_back(python: &str, out: &Path, format: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_export.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(out)
        .arg(format)
        .output()
        .unwrap();
    serde_json::from_str(&succeeded(&output, "read_export.py")).unwrap()
}

#[test]
fn an_export_is_read_by_pyarrow_and_duckdb_and_a_second_run_adds_only_new_events() {
    let Some(python) = python_with(&["pyarrow", "duckdb"]) else {
        println!("skipped: no Python with pyarrow and duckdb (set CODEFLIX_PYTHON; .ci/run does)");
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    stress(&site, "first", 15);
    let first = logged(&site);
    let created = |events: &[Value]| {
        events
            .iter()
            .filter(|e| e["type"] == "codeflix.catalog.category.CategoryCreated")
            .count()
    };

    for format in ["parquet", "jsonl"] {
        let out = site.path(format);
        let summary = export(&site, &out, format, &[]).unwrap();
        assert_eq!(summary["run"], 1, "{summary}");
        assert_eq!(summary["exported"], first.len(), "{summary}");
        let seen = read_back(&python, &out, format);
        assert_eq!(seen["duckdb_rows"], first.len(), "{format}: {seen}");
        assert_eq!(seen["duckdb_distinct_ids"], first.len(), "{format}: {seen}");
        assert_eq!(
            seen["per_event_type"]["codeflix.catalog.category.CategoryCreated"],
            created(&first),
            "{seen}"
        );
        assert_eq!(
            seen["names"],
            first.len(),
            "every category event has a name: {seen}"
        );
        let types = &seen["duckdb_types"];
        assert_eq!(types["occurred_at"], "TIMESTAMP WITH TIME ZONE", "{seen}");
        assert_eq!(types["aggregate_version"], "BIGINT", "{seen}");
        assert_eq!(types["offset"], "BIGINT", "{seen}");
        if format == "parquet" {
            assert_eq!(seen["pyarrow_rows"], first.len(), "{seen}");
            let types = &seen["pyarrow_types"];
            assert_eq!(types["occurred_at"], "timestamp[us, tz=+00:00]", "{seen}");
            assert_eq!(types["aggregate_version"], "int64");
            assert_eq!(types["partition"], "int32");
            assert_eq!(types["offset"], "int64");
            assert_eq!(
                types["payload"],
                "struct<name: string, description: string, active: bool>"
            );
            assert_eq!(types["date"], "string", "the Hive partition: {seen}");
            assert_eq!(types["event_type"], "string");
        }
    }

    let parquet = site.path("parquet");
    // The directory is for one selection.
    let other = export(&site, &parquet, "parquet", &["--type", "catalog.genre"]).unwrap_err();
    assert!(other.contains("another selection"), "{other}");
    // A second run that died left a file behind (its events were never recorded as exported).
    let leftover = parquet
        .join("event_type=codeflix.catalog.category.CategoryUpdated")
        .join("date=2000-01-01");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("part-000002-000001.parquet"), b"half a file").unwrap();

    stress(&site, "second", 10);
    let both = logged(&site);
    assert!(both.len() > first.len());
    let summary = export(&site, &parquet, "parquet", &[]).unwrap();
    assert_eq!(summary["run"], 2, "{summary}");
    assert_eq!(summary["read"], both.len() - first.len(), "{summary}");
    assert_eq!(summary["exported"], both.len() - first.len(), "{summary}");
    assert!(!leftover.join("part-000002-000001.parquet").exists());
    let seen = read_back(&python, &parquet, "parquet");
    assert_eq!(seen["pyarrow_rows"], both.len(), "{seen}");
    assert_eq!(seen["duckdb_distinct_ids"], both.len(), "{seen}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(parquet.join("_codeflix_export.json")).unwrap())
            .unwrap();
    let runs = manifest["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    // The second run's ranges start where the first one's ended.
    for range in runs[1]["ranges"].as_array().unwrap() {
        let earlier = runs[0]["ranges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["topic"] == range["topic"] && r["partition"] == range["partition"]);
        let from = range["from"].as_i64().unwrap();
        assert_eq!(
            from,
            earlier.map_or(0, |r| r["to"].as_i64().unwrap()),
            "{manifest}"
        );
    }
    // Nothing new: a run that writes nothing.
    let summary = export(&site, &parquet, "parquet", &[]).unwrap();
    assert_eq!(
        (summary["run"].clone(), summary["exported"].clone()),
        (3.into(), 0.into())
    );

    // A selection: one event type, by its short name.
    let only = site.path("created");
    let summary = export(
        &site,
        &only,
        "parquet",
        &["--event-type", "CategoryCreated"],
    )
    .unwrap();
    assert_eq!(summary["exported"], created(&both), "{summary}");
    let seen = read_back(&python, &only, "parquet");
    assert_eq!(
        seen["per_event_type"].as_object().unwrap().len(),
        1,
        "{seen}"
    );
    let unknown = export(&site, &site.path("x"), "parquet", &["--event-type", "Nope"]).unwrap_err();
    assert!(unknown.contains("--event-type Nope"), "{unknown}");
}
