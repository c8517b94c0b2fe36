//! The REST behaviours Codeflix relies on, as a suite run against the embedded runtime always
//! and against a real Kafka Connect cluster when `CODEFLIX_TEST_CONNECT_URL` is set (this
//! crate's `tests/it/conformance.rs`): what `codeflix connect apply` and operators' scripts do
//! must mean the same on both.
//!
//! The suite uses `MirrorSourceConnector`, which every Kafka Connect distribution ships, on a
//! topic pattern nothing matches, so it changes nothing on the cluster. It checks shapes and
//! status codes, not what only one side does (the embedded runtime always runs one task; a real
//! MirrorMaker runs none while no topic matches).

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

/// Where the suite runs.
#[derive(Debug, Clone)]
pub struct Target {
    /// The REST API, e.g. `http://127.0.0.1:8083`.
    pub url: String,
    /// The Kafka bootstrap servers as the worker reaches them.
    pub bootstrap: String,
    /// `user:password` for a worker behind Basic authentication.
    pub basic_auth: Option<(String, String)>,
}

struct Client {
    http: reqwest::Client,
    target: Target,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Json>) -> (u16, Json) {
        let mut request = self
            .http
            .request(
                method.clone(),
                format!("{}{path}", self.target.url.trim_end_matches('/')),
            )
            .header("Accept", "application/json");
        if let Some((user, password)) = &self.target.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|e| {
            panic!("{method} {path}: the Connect REST API is not reachable: {e}")
        });
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Json::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Json::String(text))
        };
        (status, json)
    }

    async fn get(&self, path: &str) -> (u16, Json) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Polls `path` until `accept` takes its answer (a minute at most).
    async fn wait_for(&self, path: &str, what: &str, accept: impl Fn(u16, &Json) -> bool) -> Json {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.get(path).await;
            if accept(status, &body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "GET {path}: {what}; last answer {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

const MIRROR: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

fn mirror_config(target: &Target, id: &str) -> Json {
    json!({
        "connector.class": MIRROR,
        "tasks.max": "1",
        "source.cluster.alias": "conformance",
        "target.cluster.alias": "local",
        "source.cluster.bootstrap.servers": target.bootstrap,
        "target.cluster.bootstrap.servers": target.bootstrap,
        "topics": format!("codeflix-conformance-nothing-{id}"),
        "key.converter": BYTES,
        "value.converter": BYTES,
        "header.converter": BYTES,
        "sync.topic.acls.enabled": "false",
    })
}

fn assert_error(status: u16, body: &Json, expected: u16, message: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error_code"], json!(expected), "{body}");
    assert_eq!(body["message"], json!(message), "{body}");
}

fn state(status: &Json) -> &str {
    status["connector"]["state"].as_str().unwrap_or_default()
}

/// Runs every check against `target`.
pub async fn run(target: &Target) {
    let client = Client {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        target: target.clone(),
    };
    let id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string();
    let name = format!("conformance-{id}");

    // The worker.
    let (status, root) = client.get("/").await;
    assert_eq!(status, 200);
    for field in ["version", "commit", "kafka_cluster_id"] {
        assert!(root[field].is_string(), "GET / has {field}: {root}");
    }
    let (status, plugins) = client.get("/connector-plugins").await;
    assert_eq!(status, 200);
    assert!(
        plugins
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == MIRROR && p["type"] == "source"),
        "{plugins}"
    );

    // What is not there.
    let (status, body) = client.get(&format!("/connectors/{name}")).await;
    assert_error(status, &body, 404, &format!("Connector {name} not found"));
    let (status, body) = client.get(&format!("/connectors/{name}/status")).await;
    assert_error(status, &body, 404, &format!("Connector {name} not found"));
    let (status, body) = client
        .call(
            reqwest::Method::DELETE,
            &format!("/connectors/{name}"),
            None,
        )
        .await;
    assert_error(status, &body, 404, &format!("Connector {name} not found"));

    // Validation, per key.
    let mut invalid = mirror_config(target, &id);
    invalid["name"] = json!(name);
    invalid["tasks.max"] = json!("0");
    invalid["replication.factor"] = json!("two");
    let (status, validation) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connector-plugins/{MIRROR}/config/validate"),
            Some(invalid),
        )
        .await;
    assert_eq!(status, 200, "{validation}");
    assert_eq!(validation["name"], json!(MIRROR));
    assert!(
        validation["error_count"].as_u64().unwrap() >= 2,
        "{validation}"
    );
    assert!(validation["groups"].is_array());
    let errors_of = |key: &str| -> Vec<String> {
        validation["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .unwrap_or_else(|| panic!("{key} is in the validation: {validation}"))["value"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        errors_of("tasks.max"),
        ["Invalid value 0 for configuration tasks.max: Value must be at least 1"]
    );
    assert_eq!(
        errors_of("replication.factor"),
        ["Invalid value two for configuration replication.factor: Not a number of type INT"]
    );
    let definition = &validation["configs"][0]["definition"];
    for field in [
        "name",
        "type",
        "required",
        "default_value",
        "importance",
        "documentation",
        "group",
        "order",
    ] {
        assert!(
            definition.get(field).is_some(),
            "a definition has {field}: {definition}"
        );
    }
    let value = &validation["configs"][0]["value"];
    for field in ["name", "value", "recommended_values", "errors", "visible"] {
        assert!(value.get(field).is_some(), "a value has {field}: {value}");
    }

    // Create, read, refuse a second create.
    let config = mirror_config(target, &id);
    let (status, created) = client
        .call(
            reqwest::Method::POST,
            "/connectors",
            Some(json!({"name": name, "config": config})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], json!(name));
    assert_eq!(created["type"], json!("source"));
    assert_eq!(created["config"]["name"], json!(name));
    assert!(created["tasks"].is_array());
    let (status, again) = client
        .call(
            reqwest::Method::POST,
            "/connectors",
            Some(json!({"name": name, "config": mirror_config(target, &id)})),
        )
        .await;
    assert_error(
        status,
        &again,
        409,
        &format!("Connector {name} already exists"),
    );
    let (status, list) = client.get("/connectors").await;
    assert_eq!(status, 200);
    assert!(list.as_array().unwrap().contains(&json!(name)), "{list}");
    let (status, stored) = client.get(&format!("/connectors/{name}/config")).await;
    assert_eq!(status, 200);
    assert_eq!(stored["topics"], config["topics"]);
    assert_eq!(stored["name"], json!(name));

    // Running, with Connect's status shape.
    let status_path = format!("/connectors/{name}/status");
    let running = client
        .wait_for(&status_path, "the connector runs", |s, b| {
            s == 200 && state(b) == "RUNNING"
        })
        .await;
    assert_eq!(running["name"], json!(name));
    assert_eq!(running["type"], json!("source"));
    assert!(running["connector"]["worker_id"].is_string(), "{running}");
    for task in running["tasks"].as_array().unwrap() {
        assert!(
            task["id"].is_number() && task["state"].is_string() && task["worker_id"].is_string(),
            "{task}"
        );
    }

    // Reconfigured: 200, not 201; a name that differs is refused.
    let mut changed = mirror_config(target, &id);
    changed["topics"] = json!(format!("codeflix-conformance-still-nothing-{id}"));
    let (status, updated) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connectors/{name}/config"),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["config"]["topics"],
        json!(format!("codeflix-conformance-still-nothing-{id}"))
    );
    let mut other = mirror_config(target, &id);
    other["name"] = json!("someone-else");
    let (status, refused) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connectors/{name}/config"),
            Some(other),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error_code"], json!(400));

    // Paused and resumed.
    let (status, _) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connectors/{name}/pause"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    client
        .wait_for(&status_path, "the connector pauses", |s, b| {
            s == 200 && state(b) == "PAUSED"
        })
        .await;
    let (status, _) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connectors/{name}/resume"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    client
        .wait_for(&status_path, "the connector resumes", |s, b| {
            s == 200 && state(b) == "RUNNING"
        })
        .await;

    // Restarted: the connector alone answers 204.
    let (status, body) = client
        .call(
            reqwest::Method::POST,
            &format!("/connectors/{name}/restart"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    client
        .wait_for(
            &status_path,
            "the connector runs after a restart",
            |s, b| s == 200 && state(b) == "RUNNING",
        )
        .await;

    // Created by PUT: 201.
    let second = format!("{name}-put");
    let (status, made) = client
        .call(
            reqwest::Method::PUT,
            &format!("/connectors/{second}/config"),
            Some(mirror_config(target, &id)),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["name"], json!(second));

    // Deleted.
    for gone in [&name, &second] {
        let (status, _) = client
            .call(
                reqwest::Method::DELETE,
                &format!("/connectors/{gone}"),
                None,
            )
            .await;
        assert_eq!(status, 204);
        client
            .wait_for(
                &format!("/connectors/{gone}"),
                "the connector is gone",
                |s, _| s == 404,
            )
            .await;
    }
}
