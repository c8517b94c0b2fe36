//! Operators' tooling against `codeflix up`: Python's confluent-kafka `AdminClient` (librdkafka,
//! as kafka-consumer-groups, Kafka UI and lag exporters use it) lists and describes the
//! platform's consumer groups, reads their committed offsets and lag — which match what the
//! projectors report, and what `/metrics` shows under kafka_exporter's names — and resets a
//! stopped group's offsets, which the group then resumes from.
//! Also: an idle `codeflix up` with default logging writes next to nothing to standard error.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::playback::{clip, create_video, media_reaches, upload};
use crate::python::python;
use crate::support::{Site, wait_for_port};
use crate::up::{interrupt, start, token};

pub(crate) fn admin(python: &str, site: &Site, args: &[&str]) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/kafka_admin.py");
    let output = Command::new(python)
        .arg(script)
        .args(["--bootstrap", &format!("127.0.0.1:{}", site.broker_port)])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "kafka_admin.py {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `codeflix views status`: (projection, topic, partition) → (applied up to, end), once every
/// projection has caught up.
fn caught_up_views(site: &Site) -> BTreeMap<(String, String, i64), (i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = site.run(&["views", "status"]);
        assert!(output.status.success());
        let rows: Vec<Value> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if rows.iter().all(|row| row["lag"] == 0) {
            return rows
                .iter()
                .map(|row| {
                    (
                        (
                            row["projection"].as_str().unwrap().to_owned(),
                            row["topic"].as_str().unwrap().to_owned(),
                            row["partition"].as_i64().unwrap(),
                        ),
                        (
                            row["applied_up_to"].as_i64().unwrap(),
                            row["end"].as_i64().unwrap(),
                        ),
                    )
                })
                .collect();
        }
        assert!(Instant::now() < deadline, "projections never caught up");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Committed offsets of `group` by (topic, partition), as the AdminClient reads them.
fn committed(groups: &Value, group: &str) -> BTreeMap<(String, i64), Value> {
    groups[group]["partitions"]
        .as_array()
        .unwrap_or_else(|| panic!("group {group} is listed: {groups}"))
        .iter()
        .map(|p| {
            (
                (
                    p["topic"].as_str().unwrap().to_owned(),
                    p["partition"].as_i64().unwrap(),
                ),
                p.clone(),
            )
        })
        .collect()
}

/// Retries `check` until it answers, for up to thirty seconds.
fn eventually<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "never happened");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Projections whose groups are checked against `views status`: two read models and a state
/// feed.
const PROJECTIONS: [&str; 3] = ["catalog", "search", "feed-video-state"];

/// `kafka_consumergroup_<name>` of each (group, topic, partition), from the query API's
/// `/metrics` (where `codeflix up` serves every role's metrics).
fn group_gauges(http: &Client, site: &Site, name: &str) -> BTreeMap<(String, String, i64), i64> {
    let text = http
        .get(format!("{}/metrics", site.query()))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let prefix = format!("kafka_consumergroup_{name}{{");
    text.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(|rest| {
            let (labels, value) = rest.split_once("} ").unwrap();
            let label = |key: &str| {
                labels
                    .split(',')
                    .find_map(|pair| pair.strip_prefix(&format!("{key}=\"")))
                    .unwrap_or_else(|| panic!("{key} in {labels}"))
                    .trim_end_matches('"')
                    .to_owned()
            };
            (
                (
                    label("consumergroup"),
                    label("topic"),
                    label("partition").parse().unwrap(),
                ),
                value.parse().unwrap(),
            )
        })
        .collect()
}

fn reactions_applied(http: &Client, site: &Site) -> u64 {
    let metrics = http
        .get(format!("{}/metrics", site.query()))
        .send()
        .unwrap()
        .text()
        .unwrap();
    metrics
        .lines()
        .find(|line| line.starts_with("codeflix_encoder_reactions_total{outcome=\"applied\"}"))
        .and_then(|line| line.split_whitespace().last())
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn kafka_admin_tools_describe_groups_read_lag_and_reset_offsets() {
    let Some(python) = python() else {
        println!(
            "skipped: no Python with confluent-kafka (set CODEFLIX_PYTHON; .ci/run installs it)"
        );
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    wait_for_port(site.query_port);
    let token = token(&site);
    for name in ["Movies", "Series", "Documentaries", "Shorts"] {
        let created = http
            .post(format!("{}/categories", site.api()))
            .bearer_auth(&token)
            .json(&json!({ "name": name }))
            .send()
            .unwrap();
        assert!(created.status().is_success());
    }
    let video = create_video(&http, &site, &token, "Bars", true);
    upload(&http, &site, &token, &video, clip(&site));
    media_reaches(&http, &site, &token, &video, "COMPLETED");
    let views = caught_up_views(&site);

    // Every group describes, with a state Kafka knows; the projectors' committed offsets and
    // lag per partition are what the projectors themselves report (consumers commit once a
    // second, so the check is repeated until then).
    let groups = eventually(|| {
        let groups = admin(&python, &site, &["groups"]);
        let matching = PROJECTIONS.iter().all(|projection| {
            let group = committed(&groups, &format!("codeflix-projector-{projection}"));
            views.iter().filter(|((p, ..), _)| p == projection).all(
                |((_, topic, partition), (applied, _))| {
                    group
                        .get(&(topic.clone(), *partition))
                        .is_some_and(|p| p["committed"] == *applied)
                },
            )
        });
        matching.then_some(groups)
    });
    for group in [
        "codeflix-projector-catalog",
        "codeflix-projector-search",
        "codeflix-encoding-reaction",
    ] {
        assert_eq!(groups[group]["state"], "EMPTY", "{group}: {groups}");
        assert_eq!(groups[group]["listed_state"], "EMPTY", "{group}: {groups}");
    }
    for projection in PROJECTIONS {
        let group = committed(&groups, &format!("codeflix-projector-{projection}"));
        let reported: Vec<_> = views
            .iter()
            .filter(|((p, ..), _)| p == projection)
            .collect();
        assert!(!reported.is_empty(), "{projection} has read something");
        for ((_, topic, partition), (applied, end)) in reported {
            let kafka = &group[&(topic.clone(), *partition)];
            assert_eq!(
                kafka["committed"], *applied,
                "{projection} {topic}/{partition}"
            );
            assert_eq!(kafka["end"], *end, "{projection} {topic}/{partition}");
            assert_eq!(kafka["lag"], 0, "{projection} {topic}/{partition}");
        }
    }
    let reaction = committed(&groups, "codeflix-encoding-reaction");
    assert!(
        reaction.values().any(|p| p["committed"].as_i64() > Some(1)),
        "the reaction read the encoding events: {reaction:?}"
    );

    // `/metrics` shows the same offsets and lag under the names Kafka's lag exporters use, so
    // that their dashboards and alerts work as they are (measured every ten seconds).
    let watched = [
        "codeflix-projector-catalog",
        "codeflix-projector-search",
        "codeflix-projector-feed-video-state",
        "codeflix-encoding-reaction",
        "codeflix-notifier",
    ];
    let (offsets, lags) = eventually(|| {
        let offsets = group_gauges(&http, &site, "current_offset");
        let lags = group_gauges(&http, &site, "lag");
        let agree = watched.iter().all(|group| {
            let kafka = committed(&groups, group);
            !kafka.is_empty()
                && kafka.iter().all(|((topic, partition), p)| {
                    let key = ((*group).to_owned(), topic.clone(), *partition);
                    offsets.get(&key).copied() == p["committed"].as_i64()
                        && lags.get(&key).copied() == p["lag"].as_i64()
                })
        });
        agree.then_some((offsets, lags))
    });
    assert_eq!(offsets.len(), lags.len());
    assert!(
        offsets
            .keys()
            .any(|(group, ..)| group == "connect-notifications-titles"),
        "Connect's sink groups are measured too: {offsets:?}"
    );

    // Stopped (the broker alone running), the reaction's group is reset to the beginning;
    // restarted, it reads the encoding events again (each one's command is recognised by its
    // derived id, so nothing changes).
    interrupt(up);
    let broker = site.start_broker();
    let reset = admin(
        &python,
        &site,
        &["reset", "codeflix-encoding-reaction", "0"],
    );
    assert!(
        reset
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["committed"] == 0),
        "{reset}"
    );
    interrupt(broker);
    let up = start(&site);
    wait_for_port(site.query_port);
    let deadline = Instant::now() + Duration::from_secs(60);
    while reactions_applied(&http, &site) < 2 {
        assert!(
            Instant::now() < deadline,
            "the reset group never read its topic again"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // The reaction is back where it was.
    eventually(|| {
        let again = admin(&python, &site, &["groups"]);
        let now: Vec<Value> = committed(&again, "codeflix-encoding-reaction")
            .into_values()
            .map(|p| p["committed"].clone())
            .collect();
        let before: Vec<Value> = reaction.values().map(|p| p["committed"].clone()).collect();
        (now == before).then_some(())
    });
    interrupt(up);
}

/// An idle platform, with the default log filter, logs its start and little else: the embedded
/// broker's per-frame tracing (41 MB in the first minute before) stays off unless asked for.
#[test]
fn idle_up_keeps_standard_error_small() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = site.spawn_with("up", &[("CODEFLIX_LOG", "")], &["up"]);
    wait_for_port(site.api_port);
    wait_for_port(site.query_port);
    std::thread::sleep(Duration::from_secs(10));
    interrupt(up);
    let log = std::fs::read_to_string(site.path("up.log")).unwrap();
    assert!(
        log.contains("command API ready"),
        "info-level logs are on: {log}"
    );
    assert!(
        log.len() < 64 * 1024,
        "{} bytes of logs from ten idle seconds; the first lines: {}",
        log.len(),
        log.lines().take(20).collect::<Vec<_>>().join("\n")
    );
}
