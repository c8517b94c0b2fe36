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
use crate::support::{Site, query_metrics, wait_for_port};
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
    let text = query_metrics(http, site);
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

fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The metric families a `/metrics` page declares (`# TYPE name type`).
fn metric_families(http: &Client, url: &str) -> std::collections::BTreeSet<String> {
    http.get(url)
        .send()
        .unwrap()
        .text()
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The PromQL expressions of the rules file or dashboard `file`, one after another.
fn queries(file: &str) -> String {
    let text = std::fs::read_to_string(repository().join(file)).unwrap();
    if file.ends_with(".json") {
        let dashboard: Value = serde_json::from_str(&text).unwrap();
        return dashboard["panels"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["targets"].as_array().unwrap().iter())
            .map(|t| t["expr"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
    }
    // Rules: `expr: …` on one line, or `expr: |` and the lines indented below it.
    let mut exprs = Vec::new();
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(at) = block {
            if line.trim().is_empty() || indent > at {
                exprs.push(line.trim().to_owned());
                continue;
            }
            block = None;
        }
        if let Some(rest) = line.trim_start().strip_prefix("expr:") {
            if rest.trim() == "|" {
                block = Some(indent);
            } else {
                exprs.push(rest.trim().to_owned());
            }
        }
    }
    exprs.join("\n")
}

/// The metric names in PromQL expressions of `text`: every Codeflix metric starts with
/// `codeflix_`, every lag exporter's with `kafka_`.
fn metrics_named(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut word = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            if word.starts_with("codeflix_") || word.starts_with("kafka_") {
                names.insert(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    names
}

/// The family a sample name belongs to: itself, or without a counter's or histogram's suffix.
fn family_of(name: &str, families: &std::collections::BTreeSet<String>) -> String {
    ["_total", "_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|base| families.contains(*base))
        .unwrap_or(name)
        .to_owned()
}

fn reactions_applied(http: &Client, site: &Site) -> u64 {
    query_metrics(http, site)
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
    // that their dashboards and alerts work as they are (measured every fifteen seconds).
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

    // The alert rules and the dashboard name only metrics this platform has.
    let mut families = metric_families(&http, &format!("{}/metrics", site.query()));
    families.extend(metric_families(&http, &format!("{}/metrics", site.api())));
    for file in ["ops/prometheus/alerts.yml", "ops/grafana/codeflix.json"] {
        let named = metrics_named(&queries(file));
        assert!(named.len() >= 7, "{file}: {named:?}");
        let unknown: Vec<&String> = named
            .iter()
            .filter(|name| !families.contains(&family_of(name, &families)))
            .collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics no /metrics of codeflix up has: {unknown:?}; it has {families:?}"
        );
    }

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

/// promtool, when `.ci/run` installs it (`CODEFLIX_PROMTOOL`) or it is on the PATH.
fn promtool() -> Option<String> {
    crate::support::tool("CODEFLIX_PROMTOOL", "promtool")
}

/// Every alert's name and severity, as `ops/prometheus/alerts.yml` writes them.
fn alerts() -> Vec<(String, String)> {
    let rules = std::fs::read_to_string(repository().join("ops/prometheus/alerts.yml")).unwrap();
    let mut alerts = Vec::new();
    let mut current: Option<String> = None;
    for line in rules.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("- alert: ") {
            current = Some(name.to_owned());
        } else if let Some(severity) = line.strip_prefix("severity: ")
            && let Some(name) = current.take()
        {
            alerts.push((name, severity.to_owned()));
        }
    }
    alerts
}

/// Alertmanager's configuration is valid, and routes each alert by its severity: critical ones
/// to the on-call receiver, the rest to the operators'.
#[test]
fn every_alert_is_routed_by_its_severity() {
    let Some(amtool) = crate::support::tool("CODEFLIX_AMTOOL", "amtool") else {
        println!("skipped: no amtool (Debian's prometheus-alertmanager; .ci/run installs it)");
        return;
    };
    let config = repository().join("ops/alertmanager/alertmanager.yml");
    let checked = Command::new(&amtool)
        .arg("check-config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{checked:?}");
    let alerts = alerts();
    assert_eq!(alerts.len(), 7, "{alerts:?}");
    for (name, severity) in alerts {
        let expected = if severity == "critical" {
            "on-call"
        } else {
            "operators"
        };
        let routed = Command::new(&amtool)
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--verify.receivers={expected}"))
            .arg(format!("alertname={name}"))
            .arg(format!("severity={severity}"))
            .output()
            .unwrap();
        assert!(
            routed.status.success(),
            "{name} ({severity}) is not routed to {expected}: {}",
            String::from_utf8_lossy(&routed.stdout)
        );
    }
}

/// The alert rules parse, and fire — or stay quiet — as their unit tests say
/// (`ops/prometheus/alerts.test.yml`, Prometheus's own rule evaluation).
#[test]
fn the_alert_rules_parse_and_fire_as_their_tests_expect() {
    let Some(promtool) = promtool() else {
        println!("skipped: no promtool (Debian's prometheus package; .ci/run installs it)");
        return;
    };
    let dir = repository().join("ops/prometheus");
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ] {
        let output = Command::new(&promtool)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The dashboard is Grafana's JSON: every panel queries the data source variable.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(repository().join("ops/grafana/codeflix.json")).unwrap(),
    )
    .unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    for panel in panels {
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{panel}");
        assert!(
            targets
                .iter()
                .all(|t| t["datasource"]["uid"] == "${datasource}" && t["expr"].is_string()),
            "{panel}"
        );
    }
}
