//! `codeflix connect`: the embedded Kafka Connect runtime over the connector files of
//! `connect.dir`; `connect validate` checks those files; `connect apply` submits them to a real
//! Kafka Connect cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use clap::{Args, Subcommand};
use codeflix_connect::config::providers::{System, Variables};
use codeflix_connect::config::validate::{Mode, validate};
use codeflix_connect::config::{ConnectorFile, load_dir};
use codeflix_connect::metrics::ConnectMetrics;
use codeflix_connect::runtime::Runtime;
use codeflix_connect::task::WorkerConfig;
use codeflix_domain::redact::redact;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};

use crate::settings::Settings;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/connectors.rs"));
}

/// The connector files of `dir`; when `dir` is the default `connectors` and the working
/// directory has none, the files this binary was built with (so that `codeflix up` runs them
/// wherever it is started).
fn load(dir: &Path) -> Result<Vec<ConnectorFile>, Vec<codeflix_connect::config::FileError>> {
    if dir.exists() || dir != Path::new(crate::settings::DEFAULT_CONNECT_DIR) {
        return load_dir(dir);
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in embedded::FILES {
        let path = PathBuf::from(format!("(built in) connectors/{name}"));
        let parsed = serde_json::from_str::<Value>(text)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|json| codeflix_connect::config::from_create_request(&json));
        match parsed {
            Ok((name, config)) => files.push(ConnectorFile { path, name, config }),
            Err(message) => errors.push(codeflix_connect::config::FileError { path, message }),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// `codeflix connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    #[command(subcommand)]
    command: Option<ConnectCommand>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConnectCommand {
    /// Check the connector files: every error of every file, by key. Without `--production`,
    /// whether the embedded runtime runs them (placeholders resolved from this environment);
    /// with it, whether a real Kafka Connect cluster accepts them (their keys against the
    /// documented tables, placeholders left to the worker). Exits 1 when any file has errors.
    Validate {
        /// Check for a real Kafka Connect cluster instead of the embedded runtime.
        #[arg(long)]
        production: bool,
        /// The connector directory (default `connect.dir`).
        dir: Option<PathBuf>,
    },
    /// Create or update each file's connector on a Kafka Connect cluster (`PUT
    /// /connectors/{name}/config`, skipped when the cluster holds the same configuration), then
    /// print each connector's status. Placeholders (`${env:…}`, `${file:…}`) are sent as they
    /// are: the worker resolves them with its config providers.
    Apply {
        /// The cluster's REST API, e.g. `http://admin:secret@kafka-connect:8083`.
        #[arg(long)]
        url: String,
        /// The connector directory (default `connect.dir`).
        dir: Option<PathBuf>,
    },
}

pub(crate) async fn run(settings: &Settings, args: ConnectArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        None => serve(settings).await,
        Some(ConnectCommand::Validate { production, dir }) => {
            let dir = dir.unwrap_or_else(|| settings.connect.dir.clone());
            let mode = if production {
                Mode::Production
            } else {
                Mode::Embedded
            };
            Ok(check(settings, &dir, mode).1)
        }
        Some(ConnectCommand::Apply { url, dir }) => {
            let dir = dir.unwrap_or_else(|| settings.connect.dir.clone());
            apply(&url, &dir).await
        }
    }
}

/// The worker's own converters: string keys, Avro values through the configured registry.
fn worker_defaults(settings: &Settings) -> codeflix_connect::config::Config {
    WorkerConfig::embedded_defaults(&settings.registry_url())
}

/// What `${env:…}` resolves to where the environment lacks a variable: the registry and the
/// replication factor as configured, the contexts' mirrors (the playback side's as
/// `playback.entitlements` names it, the notifications side's as `notifier.mirror` does), then
/// `connect.variables`.
fn variables(settings: &Settings) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::from([
        (
            "CODEFLIX_SCHEMA_REGISTRY_URL".to_owned(),
            settings.registry_url(),
        ),
        (
            "CODEFLIX_CONNECT_REPLICATION_FACTOR".to_owned(),
            settings.kafka.replication_factor.to_string(),
        ),
        (
            "CODEFLIX_PLAYBACK_JDBC_URL".to_owned(),
            settings.playback.entitlements.clone(),
        ),
        (
            "CODEFLIX_NOTIFICATIONS_JDBC_URL".to_owned(),
            settings.notifier.mirror.clone(),
        ),
    ]);
    for (name, value) in &settings.connect.variables {
        variables.retain(|known, _| !known.eq_ignore_ascii_case(name));
        variables.insert(name.clone(), value.clone());
    }
    variables
}

/// Loads and validates every file of `dir`, printing each error; the files when all are valid.
fn check(settings: &Settings, dir: &Path, mode: Mode) -> (Vec<ConnectorFile>, ExitCode) {
    let files = match load(dir) {
        Ok(files) => files,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            return (Vec::new(), ExitCode::FAILURE);
        }
    };
    let defaults = match mode {
        Mode::Embedded => worker_defaults(settings),
        Mode::Production => Default::default(),
    };
    let mut failed = false;
    for file in &files {
        let lookup = Variables {
            defaults: variables(settings),
        };
        let validation = validate(&file.config, mode, &defaults, &lookup);
        if validation.error_count() == 0 {
            println!("ok {} ({})", file.path.display(), file.name);
            continue;
        }
        failed = true;
        for (key, message) in validation.errors() {
            eprintln!(
                "error: {} ({}): {key}: {message}",
                file.path.display(),
                file.name
            );
        }
    }
    if files.is_empty() {
        println!("no connector files in {}", dir.display());
    }
    let code = if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    (files, code)
}

/// Runs the connectors of `connect.dir` (and those created through the REST API) until stopped.
async fn serve(settings: &Settings) -> anyhow::Result<ExitCode> {
    let Some(started) = start(settings, Registry::default()).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let listen = settings.connect.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let router = started.router.route(
        "/metrics",
        get(codeflix_http::metrics::render).with_state(Arc::new(started.registry)),
    );
    println!(
        "connect running {} connector(s); Kafka Connect's REST API on http://{listen}",
        started.runtime.names().await.len()
    );
    codeflix_http::serve(listener, router, super::shutdown_signal()).await?;
    started.runtime.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// A started runtime: its REST API and probes (without `/metrics`), and the registry holding
/// its metrics.
pub(crate) struct Started {
    pub(crate) runtime: Runtime,
    pub(crate) router: axum::Router,
    pub(crate) registry: Registry,
}

/// Validates the connector files and starts the runtime over them; `None` (the errors printed)
/// when a file has errors. `registry`, a root without a prefix, receives the runtime's metrics
/// (`codeflix_connect_*`).
pub(crate) async fn start(
    settings: &Settings,
    mut registry: Registry,
) -> anyhow::Result<Option<Started>> {
    let dir = &settings.connect.dir;
    let (files, code) = check(settings, dir, Mode::Embedded);
    if code != ExitCode::SUCCESS {
        eprintln!("error: the connector files have errors; nothing started");
        return Ok(None);
    }
    let metrics = ConnectMetrics::register(registry.sub_registry_with_prefix("codeflix"));
    let worker = WorkerConfig {
        kafka: settings.event_log(),
        data_dir: settings.data_dir.clone(),
        defaults: worker_defaults(settings),
        worker_id: settings.connect.listen.to_string(),
        discovery: settings.connect.discovery,
        variables: variables(settings),
    };
    let runtime = Runtime::start(worker, metrics)
        .await
        .context("starting the connect runtime")?;
    runtime
        .apply_files(files.into_iter().map(|f| (f.name, f.config)).collect())
        .await
        .context("starting the connectors of the connector files")?;
    let router = codeflix_connect::rest::router(runtime.clone()).merge(probes(&runtime));
    Ok(Some(Started {
        runtime,
        router,
        registry,
    }))
}

/// `/healthz` (the process answers) and `/readyz` (no connector or task FAILED).
fn probes(runtime: &Runtime) -> axum::Router {
    let runtime = runtime.clone();
    axum::Router::new()
        .route(
            "/healthz",
            get(|| async { Json(json!({"status": "live"})) }),
        )
        .route(
            "/readyz",
            get(move || {
                let runtime = runtime.clone();
                async move {
                    let failed = runtime.failed().await;
                    let status = if failed.is_empty() {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    let body = json!({
                        "status": if failed.is_empty() { "ready" } else { "not ready" },
                        "checks": {"connectors": {"failed": failed}},
                    });
                    (status, Json(body)).into_response()
                }
            }),
        )
}

/// `codeflix connect apply`: each file's configuration PUT where it differs, then the statuses.
async fn apply(url: &str, dir: &Path) -> anyhow::Result<ExitCode> {
    let files = match load(dir) {
        Ok(files) => files,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut invalid = false;
    for file in &files {
        let validation = validate(&file.config, Mode::Production, &Default::default(), &System);
        for (key, message) in validation.errors() {
            invalid = true;
            eprintln!(
                "error: {} ({}): {key}: {message}",
                file.path.display(),
                file.name
            );
        }
    }
    if invalid {
        eprintln!("error: the connector files have errors; nothing applied");
        return Ok(ExitCode::FAILURE);
    }
    let base = url.trim_end_matches('/');
    let shown = redact(base);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut failed = false;
    for file in &files {
        let path = format!("{base}/connectors/{}/config", file.name);
        let current = http
            .get(&path)
            .send()
            .await
            .with_context(|| format!("GET {shown}/connectors/{}/config", file.name))?;
        if current.status().is_success() {
            let current: Value = current.json().await?;
            if current == json!(file.config) {
                println!("unchanged {}", file.name);
                continue;
            }
        }
        let response = http
            .put(&path)
            .json(&file.config)
            .send()
            .await
            .with_context(|| format!("PUT {shown}/connectors/{}/config", file.name))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            201 => println!("created {}", file.name),
            200 => println!("updated {}", file.name),
            other => {
                failed = true;
                eprintln!(
                    "error: {} was refused ({other}): {}",
                    file.name,
                    body["message"].as_str().unwrap_or_default()
                );
            }
        }
    }
    // Statuses, once each connector has one.
    for file in &files {
        let path = format!("{base}/connectors/{}/status", file.name);
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            let answer = http.get(&path).send().await;
            if let Ok(answer) = answer
                && answer.status().is_success()
            {
                let status: Value = answer.json().await.unwrap_or(Value::Null);
                if status["connector"]["state"] != "UNASSIGNED" || Instant::now() > deadline {
                    break Some(status);
                }
            } else if Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let Some(status) = status else {
            failed = true;
            eprintln!("error: {} has no status", file.name);
            continue;
        };
        let tasks: Vec<String> = status["tasks"]
            .as_array()
            .map(|tasks| {
                tasks
                    .iter()
                    .map(|t| format!("task {} {}", t["id"], t["state"].as_str().unwrap_or("?")))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{} {}{}",
            file.name,
            status["connector"]["state"].as_str().unwrap_or("?"),
            if tasks.is_empty() {
                String::new()
            } else {
                format!(", {}", tasks.join(", "))
            }
        );
        for task in status["tasks"].as_array().into_iter().flatten() {
            if task["state"] == "FAILED" {
                failed = true;
                eprintln!(
                    "error: {} task {} failed: {}",
                    file.name,
                    task["id"],
                    task["trace"]
                        .as_str()
                        .unwrap_or_default()
                        .lines()
                        .next()
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
