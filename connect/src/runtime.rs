//! The runtime: connectors, their one task each, what they are asked to be (running, paused,
//! stopped) and what they are (Connect's states), as a single standalone worker.
//!
//! Configurations (with their placeholders, never resolved values) and target states are kept
//! in `<data dir>/connect/connectors.json`, as a worker keeps them in its config topic, so a
//! connector created through the REST API or paused survives a restart. The connector files are
//! applied at start ([`Runtime::apply_files`]): each replaces a stored configuration only when it
//! differs, and a connector that came from a file no longer there is deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::config::defs::{self, ClassInfo, ConnectorType};
use crate::config::providers;
use crate::config::validate::{self, Mode, Validation};
use crate::convert::Registries;
use crate::errors::{Exception, TaskFailed};
use crate::metrics::ConnectMetrics;
use crate::task::{Command, TaskContext, WorkerConfig};

/// A connector's or task's state (`AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
        }
    }
}

/// What a connector is asked to be (`TargetState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Target {
    Started,
    Paused,
    Stopped,
}

/// A state and, when FAILED, its trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateOf {
    pub state: State,
    pub trace: Option<String>,
}

impl StateOf {
    fn of(state: State) -> StateOf {
        StateOf { state, trace: None }
    }
}

/// A connector's status (`ConnectorStateInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    pub kind: ConnectorType,
    pub connector: StateOf,
    /// Task 0, when the connector has one.
    pub task: Option<StateOf>,
}

/// A connector's configuration and tasks (`ConnectorInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub name: String,
    pub config: Config,
    pub kind: ConnectorType,
    pub tasks: Vec<u32>,
}

/// What the runtime refuses, with the HTTP status Connect answers it with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// 404.
    #[error("Connector {0} not found")]
    NotFound(String),
    /// 404.
    #[error("Task {0}-{1} not found")]
    TaskNotFound(String, u32),
    /// 409.
    #[error("Connector {0} already exists")]
    Exists(String),
    /// 400: a configuration with errors (listed).
    #[error(
        "Connector configuration is invalid and contains the following {count} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
        .errors.join("\n")
    )]
    Invalid { count: usize, errors: Vec<String> },
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 500.
    #[error("{0}")]
    Internal(String),
}

impl RuntimeError {
    pub fn status(&self) -> u16 {
        match self {
            RuntimeError::NotFound(_) | RuntimeError::TaskNotFound(..) => 404,
            RuntimeError::Exists(_) => 409,
            RuntimeError::Invalid { .. } | RuntimeError::BadRequest(_) => 400,
            RuntimeError::Internal(_) => 500,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    connectors: BTreeMap<String, StoredConnector>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredConnector {
    config: Config,
    target: Target,
    /// It came from a connector file (and goes when the file goes).
    #[serde(default)]
    from_file: bool,
}

struct Running {
    commands: watch::Sender<Command>,
    join: JoinHandle<()>,
}

struct Connector {
    config: Config,
    info: ClassInfo,
    target: Target,
    from_file: bool,
    connector: Arc<Mutex<StateOf>>,
    task: Arc<Mutex<Option<StateOf>>>,
    running: Option<Running>,
    topics: Arc<Mutex<BTreeSet<String>>>,
}

/// The runtime; cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("worker_id", &self.inner.worker.worker_id)
            .finish_non_exhaustive()
    }
}

struct Inner {
    worker: Arc<WorkerConfig>,
    registries: Arc<Registries>,
    metrics: ConnectMetrics,
    state_file: PathBuf,
    connectors: tokio::sync::Mutex<BTreeMap<String, Connector>>,
}

impl Runtime {
    /// A runtime with the connectors stored under the worker's data directory, started as they
    /// were left.
    pub async fn start(
        worker: WorkerConfig,
        metrics: ConnectMetrics,
    ) -> Result<Runtime, RuntimeError> {
        let state_file = worker.data_dir.join("connect").join("connectors.json");
        let stored: Stored = match std::fs::read_to_string(&state_file) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                RuntimeError::Internal(format!("reading {}: {e}", state_file.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::default(),
            Err(e) => {
                return Err(RuntimeError::Internal(format!(
                    "reading {}: {e}",
                    state_file.display()
                )));
            }
        };
        let runtime = Runtime {
            inner: Arc::new(Inner {
                worker: Arc::new(worker),
                registries: Arc::new(Registries::default()),
                metrics,
                state_file,
                connectors: tokio::sync::Mutex::new(BTreeMap::new()),
            }),
        };
        {
            let mut connectors = runtime.inner.connectors.lock().await;
            for (name, stored) in stored.connectors {
                let Some(info) = stored
                    .config
                    .get("connector.class")
                    .and_then(|c| defs::class_info(c))
                else {
                    tracing::warn!(
                        connector = name,
                        "a stored connector of an unknown class; dropped"
                    );
                    continue;
                };
                let mut connector = Connector::new(stored.config, info, stored.target);
                connector.from_file = stored.from_file;
                runtime.launch(&name, &mut connector);
                connectors.insert(name, connector);
            }
        }
        Ok(runtime)
    }

    pub fn worker(&self) -> &WorkerConfig {
        &self.inner.worker
    }

    /// Checks a configuration for running embedded.
    pub fn validate(&self, config: &Config) -> Validation {
        validate::validate(
            config,
            Mode::Embedded,
            &self.inner.worker.defaults,
            &self.inner.worker.lookup(),
        )
    }

    fn checked(&self, config: &Config) -> Result<ClassInfo, RuntimeError> {
        let validation = self.validate(config);
        if validation.error_count() > 0 {
            let errors: Vec<String> = validation
                .errors()
                .into_iter()
                .map(|(key, message)| format!("{key}: {message}"))
                .collect();
            return Err(RuntimeError::Invalid {
                count: errors.len(),
                errors,
            });
        }
        config
            .get("connector.class")
            .and_then(|c| defs::class_info(c))
            .ok_or_else(|| RuntimeError::BadRequest("connector.class is missing".into()))
    }

    /// The connectors' names.
    pub async fn names(&self) -> Vec<String> {
        self.inner.connectors.lock().await.keys().cloned().collect()
    }

    /// Creates `name` (`POST /connectors`); an existing name is refused.
    pub async fn create(&self, name: &str, config: Config) -> Result<Info, RuntimeError> {
        let info = self.checked(&config)?;
        let mut connectors = self.inner.connectors.lock().await;
        if connectors.contains_key(name) {
            return Err(RuntimeError::Exists(name.to_owned()));
        }
        let mut connector = Connector::new(config, info, Target::Started);
        self.launch(name, &mut connector);
        let answer = connector.info(name);
        connectors.insert(name.to_owned(), connector);
        self.persist(&connectors)?;
        tracing::info!(connector = name, class = info.class, "connector created");
        Ok(answer)
    }

    /// Creates or replaces `name`'s configuration (`PUT /connectors/{name}/config`): whether it
    /// was created, and its info. The same configuration again changes nothing.
    pub async fn put_config(
        &self,
        name: &str,
        config: Config,
    ) -> Result<(bool, Info), RuntimeError> {
        let info = self.checked(&config)?;
        let mut connectors = self.inner.connectors.lock().await;
        let created = match connectors.get_mut(name) {
            Some(existing) if existing.config == config => return Ok((false, existing.info(name))),
            Some(existing) => {
                existing.halt().await;
                existing.config = config;
                existing.info = info;
                self.launch(name, existing);
                tracing::info!(connector = name, "connector reconfigured");
                false
            }
            None => {
                let mut connector = Connector::new(config, info, Target::Started);
                self.launch(name, &mut connector);
                connectors.insert(name.to_owned(), connector);
                tracing::info!(connector = name, class = info.class, "connector created");
                true
            }
        };
        self.persist(&connectors)?;
        let answer = connectors
            .get(name)
            .map(|c| c.info(name))
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        Ok((created, answer))
    }

    /// Applies the connector files: each file's configuration (see [`Runtime::put_config`]),
    /// then deletes the connectors that came from files no longer among them.
    pub async fn apply_files(&self, files: Vec<(String, Config)>) -> Result<(), RuntimeError> {
        let names: BTreeSet<String> = files.iter().map(|(name, _)| name.clone()).collect();
        for (name, config) in files {
            self.put_config(&name, config).await?;
            if let Some(connector) = self.inner.connectors.lock().await.get_mut(&name) {
                connector.from_file = true;
            }
        }
        let gone: Vec<String> = self
            .inner
            .connectors
            .lock()
            .await
            .iter()
            .filter(|(name, c)| c.from_file && !names.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            tracing::info!(connector = name, "its connector file is gone; deleting it");
            self.delete(&name).await?;
        }
        let connectors = self.inner.connectors.lock().await;
        self.persist(&connectors)
    }

    pub async fn info(&self, name: &str) -> Result<Info, RuntimeError> {
        let connectors = self.inner.connectors.lock().await;
        connectors
            .get(name)
            .map(|c| c.info(name))
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))
    }

    pub async fn status(&self, name: &str) -> Result<Status, RuntimeError> {
        let connectors = self.inner.connectors.lock().await;
        connectors
            .get(name)
            .map(|c| c.status(name))
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))
    }

    /// Every connector's status.
    pub async fn statuses(&self) -> Vec<Status> {
        let connectors = self.inner.connectors.lock().await;
        connectors.iter().map(|(n, c)| c.status(n)).collect()
    }

    /// The connectors or tasks that are FAILED, by name (what `/readyz` reports).
    pub async fn failed(&self) -> Vec<String> {
        self.statuses()
            .await
            .into_iter()
            .filter(|s| {
                s.connector.state == State::Failed
                    || s.task.as_ref().is_some_and(|t| t.state == State::Failed)
            })
            .map(|s| s.name)
            .collect()
    }

    /// The topics `name`'s task has used.
    pub async fn topics(&self, name: &str) -> Result<Vec<String>, RuntimeError> {
        let connectors = self.inner.connectors.lock().await;
        let connector = connectors
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let topics = connector.topics.lock().unwrap_or_else(|e| e.into_inner());
        Ok(topics.iter().cloned().collect())
    }

    /// Forgets the topics `name` has used.
    pub async fn reset_topics(&self, name: &str) -> Result<(), RuntimeError> {
        let connectors = self.inner.connectors.lock().await;
        let connector = connectors
            .get(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        connector
            .topics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// Pauses, resumes or stops `name` (`PUT …/pause|resume|stop`).
    pub async fn set_target(&self, name: &str, target: Target) -> Result<(), RuntimeError> {
        let mut connectors = self.inner.connectors.lock().await;
        let connector = connectors
            .get_mut(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        if connector.target == target {
            return Ok(());
        }
        let previous = connector.target;
        connector.target = target;
        match target {
            Target::Stopped => connector.halt().await,
            Target::Paused | Target::Started if previous == Target::Stopped => {
                self.launch(name, connector);
            }
            Target::Paused | Target::Started => connector.command(target),
        }
        tracing::info!(connector = name, ?target, "connector target state changed");
        self.persist(&connectors)
    }

    /// Restarts `name` (`POST …/restart`): the connector, and with `include_tasks` its task
    /// (only if FAILED with `only_failed`). The status after it, for the 202 answer.
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Status, RuntimeError> {
        let mut connectors = self.inner.connectors.lock().await;
        let connector = connectors
            .get_mut(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        let connector_failed = connector.state().state == State::Failed;
        let task_failed = connector
            .task_state()
            .is_some_and(|t| t.state == State::Failed);
        let restart_connector = !only_failed || connector_failed;
        let restart_task = include_tasks && (!only_failed || task_failed);
        if connector.target != Target::Stopped
            && (restart_task || (restart_connector && connector.running.is_none()))
        {
            connector.halt().await;
            self.launch(name, connector);
            tracing::info!(connector = name, "connector restarted");
        } else if restart_connector {
            // The connector instance restarts; its task keeps its state.
            *connector
                .connector
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = StateOf::of(connector.expected_state());
        }
        Ok(connector.status(name))
    }

    /// Restarts task `task` of `name`.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), RuntimeError> {
        let mut connectors = self.inner.connectors.lock().await;
        let connector = connectors
            .get_mut(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        if task != 0 || connector.target == Target::Stopped {
            return Err(RuntimeError::TaskNotFound(name.to_owned(), task));
        }
        connector.halt().await;
        self.launch(name, connector);
        Ok(())
    }

    /// Deletes `name`, stopping its task.
    pub async fn delete(&self, name: &str) -> Result<(), RuntimeError> {
        let mut connectors = self.inner.connectors.lock().await;
        let mut connector = connectors
            .remove(name)
            .ok_or_else(|| RuntimeError::NotFound(name.to_owned()))?;
        connector.halt().await;
        tracing::info!(connector = name, "connector deleted");
        self.persist(&connectors)
    }

    /// Stops every task (the process is stopping); stored states are kept.
    pub async fn shutdown(&self) {
        let mut connectors = self.inner.connectors.lock().await;
        for connector in connectors.values_mut() {
            connector.halt().await;
        }
    }

    /// Starts `connector`'s task as its target says: resolves its placeholders (failing the
    /// connector when they cannot be) and spawns the task, whose end sets its state.
    fn launch(&self, name: &str, connector: &mut Connector) {
        // Its failures are counted from 0, so that an alert on their increase sees the first.
        self.inner.metrics.watch(name);
        *connector.task.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if connector.target == Target::Stopped {
            *connector
                .connector
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = StateOf::of(State::Stopped);
            return;
        }
        let config = match providers::resolve(&connector.config, &self.inner.worker.lookup()) {
            Ok(config) => config,
            Err(problems) => {
                let detail: Vec<String> = problems
                    .iter()
                    .flat_map(|(k, ms)| ms.iter().map(move |m| format!("{k}: {m}")))
                    .collect();
                let error = Exception::connect(format!(
                    "the connector's configuration cannot be resolved: {}",
                    detail.join("; ")
                ));
                tracing::error!(connector = name, %error, "connector failed to start");
                self.inner.metrics.failed(name);
                *connector
                    .connector
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = StateOf {
                    state: State::Failed,
                    trace: Some(TaskFailed::from_exception(&error).trace),
                };
                return;
            }
        };
        let command = match connector.target {
            Target::Paused => Command::Pause,
            _ => Command::Run,
        };
        let (commands, receiver) = watch::channel(command);
        let ctx = TaskContext {
            connector: name.to_owned(),
            config,
            worker: Arc::clone(&self.inner.worker),
            registries: Arc::clone(&self.inner.registries),
            metrics: self.inner.metrics.clone(),
            commands: receiver,
            topics: Arc::clone(&connector.topics),
        };
        *connector
            .connector
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = StateOf::of(connector.expected_state());
        *connector.task.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(StateOf::of(connector.expected_state()));
        let task_state = Arc::clone(&connector.task);
        let metrics = self.inner.metrics.clone();
        let class = connector.info.class;
        let connector_name = name.to_owned();
        let join = tokio::spawn(async move {
            let run = async move {
                match class {
                    defs::JDBC_SINK => crate::sink::task::run(ctx).await,
                    defs::MIRROR_SOURCE => crate::source::mirror::run(ctx).await,
                    other => Err(TaskFailed::from_exception(&Exception::connect(format!(
                        "{other} runs only on a real Kafka Connect cluster"
                    )))),
                }
            };
            // A panic is a failure too: the task is spawned within its own task.
            let outcome = match tokio::spawn(run).await {
                Ok(outcome) => outcome,
                Err(e) if e.is_cancelled() => return,
                Err(e) => Err(TaskFailed::from_exception(&Exception::connect(format!(
                    "the task panicked: {e}"
                )))),
            };
            if let Err(failed) = outcome {
                tracing::error!(connector = %connector_name, error = failed.summary(), "task failed");
                metrics.failed(&connector_name);
                *task_state.lock().unwrap_or_else(|e| e.into_inner()) = Some(StateOf {
                    state: State::Failed,
                    trace: Some(failed.trace),
                });
            }
        });
        connector.running = Some(Running { commands, join });
    }

    fn persist(&self, connectors: &BTreeMap<String, Connector>) -> Result<(), RuntimeError> {
        let stored = Stored {
            connectors: connectors
                .iter()
                .map(|(name, c)| {
                    (
                        name.clone(),
                        StoredConnector {
                            config: c.config.clone(),
                            target: c.target,
                            from_file: c.from_file,
                        },
                    )
                })
                .collect(),
        };
        let io = |e: std::io::Error| {
            RuntimeError::Internal(format!("writing {}: {e}", self.inner.state_file.display()))
        };
        if let Some(parent) = self.inner.state_file.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(&stored)
            .map_err(|e| RuntimeError::Internal(e.to_string()))?;
        let temporary = self.inner.state_file.with_extension("json.tmp");
        std::fs::write(&temporary, text).map_err(io)?;
        std::fs::rename(&temporary, &self.inner.state_file).map_err(io)
    }
}

impl Connector {
    fn new(config: Config, info: ClassInfo, target: Target) -> Connector {
        Connector {
            config,
            info,
            target,
            from_file: false,
            connector: Arc::new(Mutex::new(StateOf::of(State::Unassigned))),
            task: Arc::new(Mutex::new(None)),
            running: None,
            topics: Arc::new(Mutex::new(BTreeSet::new())),
        }
    }

    fn expected_state(&self) -> State {
        match self.target {
            Target::Started => State::Running,
            Target::Paused => State::Paused,
            Target::Stopped => State::Stopped,
        }
    }

    fn state(&self) -> StateOf {
        self.connector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn task_state(&self) -> Option<StateOf> {
        self.task.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn command(&mut self, target: Target) {
        let command = match target {
            Target::Paused => Command::Pause,
            _ => Command::Run,
        };
        if let Some(running) = &self.running {
            running.commands.send_replace(command);
        }
        let state = self.expected_state();
        let connector_failed = self.state().state == State::Failed;
        if !connector_failed {
            *self.connector.lock().unwrap_or_else(|e| e.into_inner()) = StateOf::of(state);
        }
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(current) = task.as_mut()
            && current.state != State::Failed
        {
            *current = StateOf::of(state);
        }
    }

    /// Stops the task and waits for it (a minute at most, then it is aborted).
    async fn halt(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.commands.send_replace(Command::Stop);
            match tokio::time::timeout(std::time::Duration::from_secs(60), &mut running.join).await
            {
                Ok(_) => {}
                Err(_) => {
                    tracing::warn!("a task did not stop within a minute; aborting it");
                    running.join.abort();
                }
            }
        }
        let stopped = self.target == Target::Stopped;
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.connector.lock().unwrap_or_else(|e| e.into_inner()) = StateOf::of(if stopped {
            State::Stopped
        } else {
            State::Unassigned
        });
    }

    fn info(&self, name: &str) -> Info {
        Info {
            name: name.to_owned(),
            config: self.config.clone(),
            kind: self.info.kind,
            tasks: if self.target == Target::Stopped {
                Vec::new()
            } else {
                vec![0]
            },
        }
    }

    fn status(&self, name: &str) -> Status {
        Status {
            name: name.to_owned(),
            kind: self.info.kind,
            connector: self.state(),
            task: self.task_state(),
        }
    }
}
