//! Two processes sharing one broker and one data directory race on the same aggregate: every
//! version is acknowledged to exactly one of them, and the losers are told to decide again.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Site, kill, read_lines};

#[test]
fn two_processes_on_one_aggregate_never_share_a_version() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let mut broker = site.start_broker();
    let mut registry = site.start_registry();
    let writers: Vec<_> = (0..2)
        .map(|n| {
            let ack_log = site.path(&format!("acks-{n}.jsonl"));
            let child = site
                .command(&[
                    "--log-format",
                    "json",
                    "stress",
                    "--writers",
                    "2",
                    "--aggregates",
                    "1",
                    "--commands",
                    "25",
                    "--seed",
                    "race",
                    "--ack-log",
                    ack_log.to_str().unwrap(),
                ])
                .env("CODEFLIX_LOG", "info")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (child, ack_log)
        })
        .collect();
    let mut versions: BTreeMap<u64, String> = BTreeMap::new();
    let mut conflicts = 0;
    for (child, ack_log) in writers {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            if let Ok(log) = serde_json::from_str::<Value>(line)
                && log["message"] == "stress finished"
            {
                conflicts += log["conflicts"].as_u64().unwrap();
            }
        }
        for line in read_lines(&ack_log) {
            let ack: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(
                ack["event_ids"].as_array().unwrap().len(),
                1,
                "every stress command changes the name: {ack}"
            );
            let version = ack["version"].as_u64().unwrap();
            let owner = ack["command_id"].as_str().unwrap().to_owned();
            if let Some(other) = versions.insert(version, owner.clone()) {
                panic!("version {version} was acknowledged to {other} and to {owner}");
            }
        }
    }
    let expected: Vec<u64> = (1..=100).collect();
    assert_eq!(
        versions.keys().copied().collect::<Vec<_>>(),
        expected,
        "100 commands, versions 1..=100"
    );
    assert!(
        conflicts > 0,
        "four writers on one aggregate must have collided at least once"
    );
    println!("100 versions, each acknowledged once; {conflicts} conflicts re-decided");
    let verify = site.run(&["events", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    kill(&mut broker);
    kill(&mut registry);
}
