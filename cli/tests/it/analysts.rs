//! What analysts read from the log: one aggregate's state as of a version or a time, folded from
//! its events (`codeflix aggregate show`), agreeing with the events `events dump` prints.

use serde_json::Value;

use crate::support::Site;

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
