//! `codeflix connect` as operators run it: a JDBC sink killed with SIGKILL mid-stream and
//! restarted ends with exactly the records, none lost; Kafka Connect's REST subset answers with
//! Connect's shapes; `/readyz` turns false while a connector has FAILED; `connect validate`
//! lists every error; `connect apply` submits files idempotently.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use apache_avro::Schema as Avro;
use apache_avro::types::Value as AvroValue;
use apache_avro::writer::datum::GenericDatumWriter;
use rand::Rng;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{Process, Site, free_port, kill, wait_for_port};

const TOPIC: &str = "codeflix.subscriptions.subscription.state";

const SCHEMA: &str = r#"{
    "type": "record", "name": "SubscriptionState", "namespace": "codeflix.subscriptions",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "plan", "type": "string"},
        {"name": "price_minor", "type": "long"},
        {"name": "version", "type": "long"}
    ]
}"#;

/// The broker and registry of `site`, as a Kafka client and a registry client see them.
struct Feed {
    bootstrap: String,
    runtime: tokio::runtime::Runtime,
    schema: Avro,
    id: u32,
}

impl Feed {
    fn new(site: &Site) -> Feed {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let bootstrap = format!("127.0.0.1:{}", site.broker_port);
        let registry = format!("http://127.0.0.1:{}", site.registry_port);
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        runtime.block_on(async {
            let topic = NewTopic::new(TOPIC, 3, TopicReplication::Fixed(1));
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
            for result in admin.create_topics([&topic], &options).await.unwrap() {
                result.unwrap();
            }
        });
        let registered: Value = Client::new()
            .post(format!("{registry}/subjects/{TOPIC}-value/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .json(&json!({"schema": SCHEMA}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        Feed {
            bootstrap,
            runtime,
            schema: Avro::parse_str(SCHEMA).unwrap(),
            id: u32::try_from(registered["id"].as_i64().unwrap()).unwrap(),
        }
    }

    fn value(&self, id: &str, price: i64, version: i64) -> Vec<u8> {
        let body = GenericDatumWriter::builder(&self.schema)
            .build()
            .unwrap()
            .write_value_to_vec(AvroValue::Record(vec![
                ("id".into(), AvroValue::String(id.into())),
                ("plan".into(), AvroValue::String("plan-basic".into())),
                ("price_minor".into(), AvroValue::Long(price)),
                ("version".into(), AvroValue::Long(version)),
            ]))
            .unwrap();
        let mut framed = vec![0];
        framed.extend_from_slice(&self.id.to_be_bytes());
        framed.extend(body);
        framed
    }

    /// Produces (key, value) pairs in order, each acknowledged.
    fn produce(&self, records: &[(String, Option<Vec<u8>>)]) {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        self.runtime.block_on(async {
            let mut deliveries = Vec::new();
            for (key, value) in records {
                let mut record = FutureRecord::<str, [u8]>::to(TOPIC).key(key);
                if let Some(value) = value {
                    record = record.payload(value);
                }
                deliveries.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
            }
            for delivery in deliveries {
                delivery.await.unwrap().map_err(|(e, _)| e).unwrap();
            }
        });
    }
}

/// A JDBC sink of the subscriptions' state feed into `copy/subscriptions.db` of the data
/// directory.
fn sink(name: &str, extra: &[(&str, &str)]) -> Value {
    let mut config = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": TOPIC,
        "connection.url": "jdbc:sqlite:copy/subscriptions.db",
        "table.name.format": "subscriptions",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "pk.fields": "id",
        "delete.enabled": "true",
        "auto.create": "true",
        "batch.size": "150",
    });
    for (key, value) in extra {
        config[*key] = json!(value);
    }
    json!({"name": name, "config": config})
}

fn write_file(dir: &Path, file: &str, connector: &Value) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(file),
        serde_json::to_string_pretty(connector).unwrap(),
    )
    .unwrap();
}

fn start_connect(site: &Site, dir: &Path, port: u16) -> Process {
    let listen = format!("127.0.0.1:{port}");
    let process = site.spawn_with(
        "connect",
        &[
            ("CODEFLIX__CONNECT__DIR", dir.to_str().unwrap()),
            ("CODEFLIX__CONNECT__LISTEN", &listen),
            ("CODEFLIX__CONNECT__DISCOVERY", "1s"),
        ],
        &["connect"],
    );
    wait_for_port(port);
    process
}

/// The rows of the copy: id → (price, version).
fn copy(site: &Site) -> BTreeMap<String, (i64, i64)> {
    let path = site.path("copy/subscriptions.db");
    if !path.exists() {
        return BTreeMap::new();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = libsql_open(&path).await;
        let conn = db.connect().unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        let Ok(mut rows) = conn
            .query("SELECT id, price_minor, version FROM subscriptions", ())
            .await
        else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        while let Some(row) = rows.next().await.unwrap() {
            out.insert(
                row.get::<String>(0).unwrap(),
                (row.get(1).unwrap(), row.get(2).unwrap()),
            );
        }
        out
    })
}

async fn libsql_open(path: &Path) -> libsql::Database {
    libsql::Builder::new_local(path).build().await.unwrap()
}

/// The highest version the copy holds.
fn copied_up_to(site: &Site) -> i64 {
    copy(site)
        .values()
        .map(|(_, version)| *version)
        .max()
        .unwrap_or(0)
}

#[test]
fn a_jdbc_sink_killed_mid_stream_and_restarted_holds_exactly_the_records() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    let feed = Feed::new(&site);
    let dir = site.path("connectors");
    write_file(
        &dir,
        "subscriptions.json",
        &sink("subscriptions-copy", &[("batch.size", "40")]),
    );
    let port = free_port();

    // 20000 records over 12000 subscriptions (so most are the last of their key and a lost
    // one shows), some deleted, in 10 rounds; in each the connector is SIGKILLed while it
    // copies the round (or just after), then started again.
    let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut rng = rand::rng();
    let mut version = 0;
    let mut connect = start_connect(&site, &dir, port);
    for round in 0..10 {
        let first = version + 1;
        let mut records = Vec::new();
        for _ in 0..2000 {
            version += 1;
            let id = format!("sub-{}", rng.random_range(0..12_000));
            if version % 97 == 0 {
                expected.remove(&id);
                records.push((id, None));
            } else {
                let price = rng.random_range(100..10_000);
                expected.insert(id.clone(), (price, version));
                records.push((id.clone(), Some(feed.value(&id, price, version))));
            }
        }
        feed.produce(&records);
        let deadline = Instant::now() + Duration::from_secs(30);
        while copied_up_to(&site) < first {
            assert!(
                Instant::now() < deadline,
                "round {round} is not being copied"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..150)));
        kill(&mut connect);
        eprintln!(
            "round {round}: killed at version {} of {first}..={version}",
            copied_up_to(&site)
        );
        connect = start_connect(&site, &dir, port);
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows = copy(&site);
        if rows == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the copy has {} rows, {} expected; first difference: {:?}",
            rows.len(),
            expected.len(),
            expected.iter().find(|(k, v)| rows.get(*k) != Some(*v))
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let status: Value = Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/connectors/subscriptions-copy/status"
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    drop(connect);
}

fn run(site: &Site, args: &[&str]) -> Output {
    site.command(args).output().unwrap()
}

#[test]
fn the_runtime_answers_connects_rest_subset_and_its_tools_check_and_apply_files() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let _broker = site.start_broker();
    let _registry = site.start_registry();
    let feed = Feed::new(&site);
    let dir = site.path("connectors");
    // Tolerant: the poison record below fails only the strict connector.
    write_file(
        &dir,
        "subscriptions.json",
        &sink("subscriptions-copy", &[("errors.tolerance", "all")]),
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _connect = start_connect(&site, &dir, port);
    let http = Client::new();
    let get = |path: &str| -> (u16, Value) {
        let response = http.get(format!("{base}{path}")).send().unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    };

    assert_eq!(get("/connectors"), (200, json!(["subscriptions-copy"])));
    assert_eq!(
        get("/connectors/nope"),
        (
            404,
            json!({"error_code": 404, "message": "Connector nope not found"})
        )
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let (_, status) = get("/connectors/subscriptions-copy/status");
        if status["tasks"][0]["state"] == "RUNNING" {
            break status;
        }
        assert!(Instant::now() < deadline, "{status}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status,
        json!({
            "name": "subscriptions-copy",
            "connector": {"state": "RUNNING", "worker_id": format!("127.0.0.1:{port}")},
            "tasks": [{"id": 0, "state": "RUNNING", "worker_id": format!("127.0.0.1:{port}")}],
            "type": "sink",
        })
    );
    let validation: Value = http
        .put(format!(
            "{base}/connector-plugins/JdbcSinkConnector/config/validate"
        ))
        .json(&json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "name": "broken",
            "topics": TOPIC,
            "insert.mode": "merge",
            "fields.whitelsit": "a",
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let errors: BTreeMap<String, Value> = validation["configs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["value"]["errors"].as_array().unwrap().is_empty())
        .map(|c| {
            (
                c["value"]["name"].as_str().unwrap().to_owned(),
                c["value"]["errors"].clone(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        BTreeMap::from([
            (
                "connection.url".to_owned(),
                json!([
                    "Missing required configuration \"connection.url\" which has no default value."
                ])
            ),
            (
                "fields.whitelsit".to_owned(),
                json!([
                    "unknown configuration key for io.confluent.connect.jdbc.JdbcSinkConnector; did you mean fields.whitelist?"
                ])
            ),
            (
                "insert.mode".to_owned(),
                json!([
                    "Invalid value merge for configuration insert.mode: String must be one of: insert, upsert, update"
                ])
            ),
        ])
    );
    assert_eq!(validation["error_count"], 3);
    assert_eq!(get("/readyz").0, 200);

    // A connector that fails makes the process not ready, and says which.
    let poisoned: Value = http
        .post(format!("{base}/connectors"))
        .json(&sink(
            "strict-copy",
            &[
                ("connection.url", "jdbc:sqlite:copy/strict.db"),
                ("table.name.format", "strict"),
            ],
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(poisoned["name"], "strict-copy");
    feed.produce(&[("sub-1".into(), Some(b"not avro".to_vec()))]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = get("/readyz");
        if code == 503 {
            assert_eq!(
                body["checks"]["connectors"]["failed"],
                json!(["strict-copy"]),
                "{body}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "still ready: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("codeflix_connect_task_failures_total{connector=\"strict-copy\"} 1"),
        "{metrics}"
    );

    // `connect validate`: every error of every file, by key.
    let bad = site.path("bad-connectors");
    write_file(
        &bad,
        "a.json",
        &sink("a", &[("insert.mode", "merge"), ("auto.craete", "true")]),
    );
    write_file(
        &bad,
        "b.json",
        &json!({"name": "videos-search", "config": {
            "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            "topics": "codeflix.catalog.video.state",
            "connection.url": "${env:ELASTICSEARCH_URL}",
            "key.ignore": "false",
        }}),
    );
    let output = run(&site, &["connect", "validate", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("(a): insert.mode: Invalid value merge"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(a): auto.craete: unknown configuration key"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean auto.create?"), "{stderr}");
    assert!(stderr.contains("(videos-search): connector.class: io.confluent.connect.elasticsearch.ElasticsearchSinkConnector runs only on a real Kafka Connect cluster"), "{stderr}");
    std::fs::remove_file(bad.join("a.json")).unwrap();
    let output = run(
        &site,
        &["connect", "validate", "--production", bad.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let good = run(&site, &["connect", "validate", dir.to_str().unwrap()]);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );

    // Placeholders resolve from the environment, then `connect.variables`, then what the
    // settings give (the registry, the replication factor, the contexts' mirrors).
    let placeholders = site.path("placeholder-connectors");
    let mut entitlements = sink(
        "playback-entitlements",
        &[
            ("connection.url", "${env:CODEFLIX_ARCHIVE_JDBC_URL}"),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            (
                "value.converter.schema.registry.url",
                "${env:CODEFLIX_SCHEMA_REGISTRY_URL}",
            ),
            ("errors.tolerance", "all"),
            (
                "errors.deadletterqueue.topic.name",
                "codeflix.connect.playback-entitlements.dlq",
            ),
            (
                "errors.deadletterqueue.topic.replication.factor",
                "${env:CODEFLIX_CONNECT_REPLICATION_FACTOR}",
            ),
        ],
    );
    entitlements["config"]["table.name.format"] = json!("entitlements");
    write_file(&placeholders, "entitlements.json", &entitlements);
    let unset = run(
        &site,
        &["connect", "validate", placeholders.to_str().unwrap()],
    );
    assert_eq!(unset.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unset.stderr);
    assert!(
        stderr.contains("connection.url: ${env:CODEFLIX_ARCHIVE_JDBC_URL}: the environment variable CODEFLIX_ARCHIVE_JDBC_URL is not set"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "the registry, the replication factor and the mirrors have defaults: {stderr}"
    );
    let set = site
        .command(&["connect", "validate", placeholders.to_str().unwrap()])
        .env(
            "CODEFLIX__CONNECT__VARIABLES__CODEFLIX_ARCHIVE_JDBC_URL",
            "jdbc:sqlite:archive.db",
        )
        .output()
        .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );

    // `connect apply`: created, then unchanged; statuses printed.
    let more = site.path("more-connectors");
    write_file(
        &more,
        "plans.json",
        &sink(
            "plans-copy",
            &[
                ("connection.url", "jdbc:sqlite:copy/plans.db"),
                ("table.name.format", "plans"),
            ],
        ),
    );
    let first = run(
        &site,
        &["connect", "apply", "--url", &base, more.to_str().unwrap()],
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("created plans-copy"), "{stdout}");
    assert!(
        stdout.contains("plans-copy RUNNING, task 0 RUNNING"),
        "{stdout}"
    );
    let second = run(
        &site,
        &["connect", "apply", "--url", &base, more.to_str().unwrap()],
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("unchanged plans-copy"));
    assert_eq!(
        get("/connectors/plans-copy/config").1["table.name.format"],
        "plans"
    );
}

/// The repository's connector files: the top level runs on the embedded runtime with nothing
/// but the defaults (as `codeflix up` runs it) and on a real cluster; `production/` on a real
/// cluster.
#[test]
fn the_repositorys_connector_files_are_valid_where_they_run() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let connectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors");
    let production = connectors.join("production");
    for args in [
        vec!["connect", "validate", connectors.to_str().unwrap()],
        vec![
            "connect",
            "validate",
            "--production",
            connectors.to_str().unwrap(),
        ],
        vec![
            "connect",
            "validate",
            "--production",
            production.to_str().unwrap(),
        ],
    ] {
        let output = site
            .command(&args)
            .env_remove("CODEFLIX_PLAYBACK_JDBC_URL")
            .env_remove("CODEFLIX_NOTIFICATIONS_JDBC_URL")
            .env_remove("CODEFLIX_SCHEMA_REGISTRY_URL")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.lines().count() >= 2, "{args:?}: {stdout}");
        assert!(
            stdout.lines().all(|line| line.starts_with("ok ")),
            "{stdout}"
        );
    }
}
