//! What every task is given and told: the worker's settings, its connector's resolved
//! configuration, and the commands of the runtime (run, pause, stop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use futures::FutureExt;
use rdkafka::consumer::StreamConsumer;
use tokio::sync::watch;

use crate::config::Config;
use crate::config::defs;
use crate::config::providers::Variables;
use crate::convert::Registries;
use crate::metrics::ConnectMetrics;
use crate::record::Raw;

/// The worker: how it reaches Kafka and where it keeps files.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The cluster the worker belongs to (sinks read it, dead letters go to it), with the extra
    /// librdkafka properties every client gets.
    pub kafka: EventLogConfig,
    /// Relative SQLite paths are under it, and the runtime's own state file.
    pub data_dir: PathBuf,
    /// The worker's converter settings (`key.converter`, `value.converter`, and theirs), which a
    /// connector that names no converter inherits.
    pub defaults: Config,
    /// What `/status` names as the worker (`host:port` of the REST listener).
    pub worker_id: String,
    /// How often sinks look for new topics and partitions to read.
    pub discovery: Duration,
    /// What `${env:NAME}` resolves to when the process environment has no `NAME`.
    pub variables: BTreeMap<String, String>,
}

impl WorkerConfig {
    /// How the worker resolves `${env:…}` and `${file:…}` placeholders.
    pub fn lookup(&self) -> Variables {
        Variables {
            defaults: self.variables.clone(),
        }
    }
}

impl WorkerConfig {
    /// The embedded worker's converters, as compose/'s Connect worker has them: string keys,
    /// Avro values through the registry at `registry_url`.
    pub fn embedded_defaults(registry_url: &str) -> Config {
        [
            ("key.converter", defs::STRING_CONVERTER),
            ("value.converter", defs::AVRO_CONVERTER),
            ("value.converter.schema.registry.url", registry_url),
            ("header.converter", defs::SIMPLE_HEADER_CONVERTER),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

/// What the runtime asks a task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Run,
    Pause,
    Stop,
}

/// A task's inputs.
#[derive(Debug, Clone)]
pub struct TaskContext {
    pub connector: String,
    /// The connector's configuration, placeholders resolved.
    pub config: Config,
    pub worker: Arc<WorkerConfig>,
    pub registries: Arc<Registries>,
    pub metrics: ConnectMetrics,
    pub commands: watch::Receiver<Command>,
    /// The topics the task has read or written (`GET /connectors/{name}/topics`).
    pub topics: Arc<Mutex<BTreeSet<String>>>,
}

impl TaskContext {
    /// The runtime's current command; `Stop` once the runtime is gone.
    pub fn command(&self) -> Command {
        if self.commands.has_changed().is_err() {
            return Command::Stop;
        }
        *self.commands.borrow()
    }

    /// Notes that the task used `topic`.
    pub fn used(&self, topic: &str) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if !topics.contains(topic) {
            topics.insert(topic.to_owned());
        }
    }

    /// The next records, as Connect's `poll` gives them to a task: waits for the first until the
    /// command changes or `idle` (at most a second) passes, then takes what the consumer has
    /// already fetched, up to `limit`, without waiting for more — a lone change goes through at
    /// once, and a busy topic still comes in batches. `reading` names the source in the warning
    /// logged when the consumer fails.
    pub async fn poll(
        &mut self,
        consumer: &StreamConsumer,
        idle: Duration,
        limit: usize,
        reading: &str,
    ) -> Vec<Raw> {
        let mut batch = Vec::new();
        let first = tokio::select! {
            message = consumer.recv() => message.map(|m| Raw::from_message(&m)),
            _ = self.commands.changed() => return batch,
            () = tokio::time::sleep(idle.min(Duration::from_secs(1))) => return batch,
        };
        match first {
            Ok(raw) => batch.push(raw),
            Err(error) => {
                tracing::warn!(connector = %self.connector, %error, "reading {reading}; reading on");
                tokio::time::sleep(Duration::from_millis(200)).await;
                return batch;
            }
        }
        while batch.len() < limit {
            match consumer.recv().now_or_never() {
                Some(Ok(message)) => batch.push(Raw::from_message(&message)),
                Some(Err(error)) => {
                    tracing::warn!(connector = %self.connector, %error, "reading {reading}; reading on");
                    break;
                }
                None => break,
            }
        }
        batch
    }

    /// Waits `pause`, or less if the runtime's command changes; whether it is still `Run`.
    pub async fn sleep(&mut self, pause: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = self.commands.changed() => {}
        }
        self.command() == Command::Run
    }

    /// Waits while paused; whether to go on (`false`: stop).
    pub async fn wait_while_paused(&mut self) -> bool {
        loop {
            match self.command() {
                Command::Run => return true,
                Command::Stop => return false,
                Command::Pause => {
                    if self.commands.changed().await.is_err() {
                        return false;
                    }
                }
            }
        }
    }
}
