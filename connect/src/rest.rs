//! Kafka Connect's REST API over the runtime, with Connect's JSON shapes and status codes:
//! `GET /`, the connectors (`/connectors…`: create, configure, status, pause, resume, stop,
//! restart, delete, topics, tasks) and the plugins (`/connector-plugins…`, with
//! `config/validate`). Errors are `{"error_code": <status>, "message": …}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::{Value as Json, json};
use tokio::sync::OnceCell;

use crate::config::defs::{self, ConnectorType, Def, Kind};
use crate::config::validate::Validation;
use crate::config::{Config, config_from_json, from_create_request};
use crate::runtime::{Info, Runtime, RuntimeError, StateOf, Status, Target};

#[derive(Clone)]
struct Api {
    runtime: Runtime,
    cluster_id: Arc<OnceCell<String>>,
}

/// The REST API of `runtime`.
pub fn router(runtime: Runtime) -> Router {
    let api = Api {
        runtime,
        cluster_id: Arc::new(OnceCell::new()),
    };
    Router::new()
        .route("/", get(server_info))
        .route("/connectors", get(list).post(create))
        .route("/connectors/{name}", get(info).delete(delete))
        .route("/connectors/{name}/config", get(config).put(put_config))
        .route("/connectors/{name}/status", get(status))
        .route("/connectors/{name}/tasks", get(tasks))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(restart_task),
        )
        .route("/connectors/{name}/restart", post(restart))
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/topics", get(topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route("/connector-plugins", get(plugins))
        .route("/connector-plugins/{class}/config", get(plugin_config))
        .route("/connector-plugins/{class}/config/validate", put(validate))
        .with_state(api)
}

/// Connect's error body.
fn error(status: u16, message: impl Into<String>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        axum::Json(json!({"error_code": status, "message": message.into()})),
    )
        .into_response()
}

impl IntoResponse for RuntimeError {
    fn into_response(self) -> Response {
        error(self.status(), self.to_string())
    }
}

fn ok(value: Json) -> Response {
    axum::Json(value).into_response()
}

fn parse_body(body: &Bytes) -> Result<Json, String> {
    serde_json::from_slice(body).map_err(|e| format!("Cannot deserialize the request body: {e}"))
}

/// The query's values of `name` (`?expand=status&expand=info`).
fn query_values(query: &Option<String>, name: &str) -> Vec<String> {
    query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .collect()
}

fn query_flag(query: &Option<String>, name: &str) -> bool {
    query_values(query, name)
        .last()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

pub fn info_json(info: &Info) -> Json {
    json!({
        "name": info.name,
        "config": info.config,
        "tasks": info.tasks.iter().map(|t| json!({"connector": info.name, "task": t})).collect::<Vec<_>>(),
        "type": info.kind.name(),
    })
}

fn state_json(state: &StateOf, worker_id: &str) -> serde_json::Map<String, Json> {
    let mut map = serde_json::Map::new();
    map.insert("state".into(), json!(state.state.name()));
    map.insert("worker_id".into(), json!(worker_id));
    if let Some(trace) = &state.trace {
        map.insert("trace".into(), json!(trace));
    }
    map
}

pub fn status_json(status: &Status, worker_id: &str) -> Json {
    let tasks: Vec<Json> = status
        .task
        .iter()
        .map(|task| {
            let mut map = serde_json::Map::new();
            map.insert("id".into(), json!(0));
            map.extend(state_json(task, worker_id));
            Json::Object(map)
        })
        .collect();
    json!({
        "name": status.name,
        "connector": Json::Object(state_json(&status.connector, worker_id)),
        "tasks": tasks,
        "type": status.kind.name(),
    })
}

async fn server_info(State(api): State<Api>) -> Response {
    let kafka = api.runtime.worker().kafka.clone();
    let cluster = api
        .cluster_id
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                let consumer: BaseConsumer = kafka.client(&[]).create().ok()?;
                consumer.client().fetch_cluster_id(Duration::from_secs(5))
            })
            .await
            .ok()
            .flatten()
            .ok_or(())
        })
        .await
        .cloned()
        .unwrap_or_default();
    ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": "codeflix-connect",
        "kafka_cluster_id": cluster,
    }))
}

async fn list(State(api): State<Api>, RawQuery(query): RawQuery) -> Response {
    let expand = query_values(&query, "expand");
    let names = api.runtime.names().await;
    if expand.is_empty() {
        return ok(json!(names));
    }
    let worker_id = api.runtime.worker().worker_id.clone();
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status")
            && let Ok(status) = api.runtime.status(&name).await
        {
            entry.insert("status".into(), status_json(&status, &worker_id));
        }
        if expand.iter().any(|e| e == "info")
            && let Ok(info) = api.runtime.info(&name).await
        {
            entry.insert("info".into(), info_json(&info));
        }
        out.insert(name, Json::Object(entry));
    }
    ok(Json::Object(out))
}

async fn create(State(api): State<Api>, body: Bytes) -> Response {
    let json = match parse_body(&body) {
        Ok(json) => json,
        Err(message) => return error(400, message),
    };
    let (name, config) = match from_create_request(&json) {
        Ok(request) => request,
        Err(message) => return error(400, message),
    };
    match api.runtime.create(&name, config).await {
        Ok(info) => (StatusCode::CREATED, axum::Json(info_json(&info))).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn info(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.info(&name).await {
        Ok(info) => ok(info_json(&info)),
        Err(e) => e.into_response(),
    }
}

async fn config(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.info(&name).await {
        Ok(info) => ok(json!(info.config)),
        Err(e) => e.into_response(),
    }
}

async fn put_config(State(api): State<Api>, Path(name): Path<String>, body: Bytes) -> Response {
    let json = match parse_body(&body) {
        Ok(json) => json,
        Err(message) => return error(400, message),
    };
    let mut config = match config_from_json(&json) {
        Ok(config) => config,
        Err(message) => return error(400, message),
    };
    match config.get("name") {
        Some(inner) if *inner != name => {
            return error(
                400,
                format!(
                    "Connector name configuration ({inner}) doesn't match connector name in the URL ({name})"
                ),
            );
        }
        _ => {
            config.insert("name".into(), name.clone());
        }
    }
    match api.runtime.put_config(&name, config).await {
        Ok((true, info)) => (StatusCode::CREATED, axum::Json(info_json(&info))).into_response(),
        Ok((false, info)) => ok(info_json(&info)),
        Err(e) => e.into_response(),
    }
}

async fn status(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.status(&name).await {
        Ok(status) => ok(status_json(&status, &api.runtime.worker().worker_id)),
        Err(e) => e.into_response(),
    }
}

fn task_class(kind: ConnectorType, class: &str) -> &'static str {
    match (kind, class) {
        (_, defs::JDBC_SINK) => crate::sink::task::JDBC_TASK,
        (_, defs::MIRROR_SOURCE) => crate::source::mirror::MIRROR_TASK,
        (ConnectorType::Sink, _) => "org.apache.kafka.connect.sink.SinkTask",
        (ConnectorType::Source, _) => "org.apache.kafka.connect.source.SourceTask",
    }
}

async fn tasks(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.info(&name).await {
        Ok(info) => {
            let class = info
                .config
                .get("connector.class")
                .cloned()
                .unwrap_or_default();
            let canonical = defs::class_info(&class).map_or("", |c| c.class);
            let tasks: Vec<Json> = info
                .tasks
                .iter()
                .map(|task| {
                    let mut config: Config = info.config.clone();
                    config.insert("task.class".into(), task_class(info.kind, canonical).into());
                    json!({"id": {"connector": name, "task": task}, "config": config})
                })
                .collect();
            ok(json!(tasks))
        }
        Err(e) => e.into_response(),
    }
}

async fn task_status(State(api): State<Api>, Path((name, task)): Path<(String, u32)>) -> Response {
    match api.runtime.status(&name).await {
        Ok(Status {
            task: Some(state), ..
        }) if task == 0 => {
            let mut map = serde_json::Map::new();
            map.insert("id".into(), json!(0));
            map.extend(state_json(&state, &api.runtime.worker().worker_id));
            ok(Json::Object(map))
        }
        Ok(_) => RuntimeError::TaskNotFound(name, task).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn restart_task(State(api): State<Api>, Path((name, task)): Path<(String, u32)>) -> Response {
    match api.runtime.restart_task(&name, task).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn restart(
    State(api): State<Api>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let include_tasks = query_flag(&query, "includeTasks");
    let only_failed = query_flag(&query, "onlyFailed");
    match api.runtime.restart(&name, include_tasks, only_failed).await {
        Ok(_) if !include_tasks && !only_failed => StatusCode::NO_CONTENT.into_response(),
        Ok(status) => (
            StatusCode::ACCEPTED,
            axum::Json(status_json(&status, &api.runtime.worker().worker_id)),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn target(api: &Api, name: &str, target: Target) -> Response {
    match api.runtime.set_target(name, target).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn pause(State(api): State<Api>, Path(name): Path<String>) -> Response {
    target(&api, &name, Target::Paused).await
}

async fn resume(State(api): State<Api>, Path(name): Path<String>) -> Response {
    target(&api, &name, Target::Started).await
}

async fn stop(State(api): State<Api>, Path(name): Path<String>) -> Response {
    target(&api, &name, Target::Stopped).await
}

async fn delete(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.delete(&name).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn topics(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.topics(&name).await {
        Ok(topics) => ok(json!({ name: {"topics": topics} })),
        Err(e) => e.into_response(),
    }
}

async fn reset_topics(State(api): State<Api>, Path(name): Path<String>) -> Response {
    match api.runtime.reset_topics(&name).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn plugins(RawQuery(query): RawQuery) -> Response {
    let mut plugins: Vec<Json> = defs::CLASSES
        .iter()
        .filter(|c| c.embedded)
        .map(|c| json!({"class": c.class, "type": c.kind.name(), "version": c.version}))
        .collect();
    let connectors_only = query_values(&query, "connectorsOnly")
        .last()
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    if !connectors_only {
        let version = env!("CARGO_PKG_VERSION");
        for class in defs::TRANSFORMS {
            plugins.push(json!({"class": class, "type": "transformation", "version": version}));
        }
        for class in defs::PREDICATES {
            plugins.push(json!({"class": class, "type": "predicate", "version": version}));
        }
        for class in [
            defs::STRING_CONVERTER,
            defs::BYTE_ARRAY_CONVERTER,
            defs::JSON_CONVERTER,
            defs::AVRO_CONVERTER,
        ] {
            plugins.push(json!({"class": class, "type": "converter", "version": version}));
        }
        for class in [
            defs::SIMPLE_HEADER_CONVERTER,
            defs::STRING_CONVERTER,
            defs::BYTE_ARRAY_CONVERTER,
            defs::JSON_CONVERTER,
        ] {
            plugins.push(json!({"class": class, "type": "header_converter", "version": version}));
        }
    }
    ok(json!(plugins))
}

/// `ConfigKeyInfo`.
fn definition_json(def: &Def, order: usize) -> Json {
    json!({
        "name": def.name,
        "type": def.kind.name(),
        "required": def.required(),
        "default_value": def.default,
        "importance": def.importance.name(),
        "documentation": def.doc,
        "group": def.group,
        "width": "NONE",
        "display_name": def.name,
        "dependents": [],
        "order": order,
    })
}

/// `ConfigInfos`, the answer of `config/validate`.
pub fn validation_json(validation: &Validation, class: &str) -> Json {
    let configs: Vec<Json> = validation
        .configs
        .iter()
        .enumerate()
        .map(|(i, checked)| {
            json!({
                "definition": checked.defined.then(|| definition_json(&checked.def, i + 1)),
                "value": {
                    "name": checked.def.name,
                    // Connect never shows a password's value.
                    "value": match (&checked.value, checked.def.kind) {
                        (Some(_), Kind::Password) => Some("[hidden]".to_owned()),
                        (value, _) => value.clone(),
                    },
                    "recommended_values": recommended(&checked.def),
                    "errors": checked.errors,
                    "visible": true,
                },
            })
        })
        .collect();
    json!({
        "name": class,
        "error_count": validation.error_count(),
        "groups": validation.groups(),
        "configs": configs,
    })
}

fn recommended(def: &Def) -> Vec<&'static str> {
    match def.check {
        defs::Check::OneOf(options) => options.to_vec(),
        _ => Vec::new(),
    }
}

async fn plugin_config(Path(class): Path<String>) -> Response {
    let Some(info) = defs::class_info(&class) else {
        return error(404, format!("Unknown plugin {class}"));
    };
    let (own, _) = defs::class_keys(info.class);
    let all: Vec<Json> = defs::common(info.kind)
        .iter()
        .chain(own.iter())
        .enumerate()
        .map(|(i, d)| definition_json(d, i + 1))
        .collect();
    ok(json!(all))
}

async fn validate(State(api): State<Api>, Path(class): Path<String>, body: Bytes) -> Response {
    let json = match parse_body(&body) {
        Ok(json) => json,
        Err(message) => return error(400, message),
    };
    let mut config = match config_from_json(&json) {
        Ok(config) => config,
        Err(message) => return error(400, message),
    };
    let Some(info) = defs::class_info(&class) else {
        return error(
            400,
            format!(
                "Failed to find any class that implements Connector and which name matches {class}"
            ),
        );
    };
    match config.get("connector.class").cloned() {
        Some(given) if defs::class_info(&given).map(|c| c.class) != Some(info.class) => {
            return error(
                400,
                format!("Included connector type {given} does not match request type {class}"),
            );
        }
        Some(_) => {}
        None => {
            config.insert("connector.class".into(), info.class.into());
        }
    }
    let validation = api.runtime.validate(&config);
    ok(validation_json(&validation, info.class))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::providers::System;
    use crate::config::validate::{Mode, validate};

    #[test]
    fn validation_answers_hide_passwords_and_give_unknown_keys_no_definition() {
        let config: Config = [
            ("name", "c"),
            ("connector.class", defs::JDBC_SINK),
            ("topics", "t"),
            ("connection.url", "jdbc:sqlite:x.db"),
            ("connection.password", "s3cret"),
            ("made.up", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let answer = validation_json(
            &validate(&config, Mode::Embedded, &Config::new(), &System),
            defs::JDBC_SINK,
        );
        let entry = |name: &str| {
            answer["configs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["value"]["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(entry("connection.password")["value"]["value"], "[hidden]");
        assert_eq!(
            entry("connection.url")["value"]["value"],
            "jdbc:sqlite:x.db"
        );
        assert_eq!(entry("made.up")["definition"], Json::Null);
        assert_eq!(answer["error_count"], 1);
        assert!(
            !answer["groups"]
                .as_array()
                .unwrap()
                .contains(&json!("Unknown"))
        );
        assert_eq!(entry("tasks.max")["definition"]["default_value"], "1");
        assert_eq!(entry("tasks.max")["definition"]["type"], "INT");
    }
}
