//! A sink connector's task: read the topics in consumer group `connect-<name>` (Connect's own
//! naming), convert, transform, write a batch in one SQLite transaction, and only then commit
//! the batch's offsets to the group.
//!
//! Partitions are *assigned*, every one of every topic the connector reads, starting at the
//! group's committed offsets (the beginning when there are none), as `consumer::membership`'s
//! `AllPartitions` does: the embedded broker (tansu) never evicts a group member that died
//! without leaving, so a restarted task that joined the group would wait for its partitions
//! forever. The runtime is one worker, so nothing else shares the group's partitions.
//!
//! What a record's failure does is `errors.tolerance`'s to decide ([`crate::report`]): converter
//! and transform failures, and SQL failures of single records once `max.retries` retries of the
//! batch failed (Confluent's sink then writes record by record, reporting those that fail). A
//! record the sink cannot take at all (a schemaless value, a missing key) fails the task, as it
//! does in Connect.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use regex::Regex;

use crate::config::{defs, list, value};
use crate::convert::{self, ConvertError, Converter};
use crate::errors::{Exception, Failure, Stage, TABLE_ALTER_OR_CREATE, TaskFailed};
use crate::record::{Raw, Record};
use crate::report::{ErrorHandler, Handled};
use crate::sink::jdbc::plan::{self, Coordinates, Op};
use crate::sink::jdbc::{JdbcConfig, Writer};
use crate::task::{Command, TaskContext};
use crate::transforms::Chain;

/// The class Connect names when the JDBC task's `put` fails.
pub const JDBC_TASK: &str = "io.confluent.connect.jdbc.sink.JdbcSinkTask";

/// Records in a batch when `batch.size` is 0 (Connect's `max.poll.records`).
const DEFAULT_POLL: usize = 500;

fn failed(message: impl Into<String>) -> TaskFailed {
    TaskFailed::from_exception(&Exception::connect(message))
}

/// Which topics a sink reads.
#[derive(Debug, Clone)]
pub enum Topics {
    Named(Vec<String>),
    Matching(Regex),
}

impl Topics {
    pub fn from_config(config: &crate::config::Config) -> Result<Topics, String> {
        let defs = defs::common(defs::ConnectorType::Sink);
        let regex = value(config, &defs, "topics.regex")
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !regex.is_empty() {
            return crate::patterns::whole(&regex).map(Topics::Matching);
        }
        Ok(Topics::Named(list(
            value(config, &defs, "topics").unwrap_or_default(),
        )))
    }

    pub fn includes(&self, topic: &str) -> bool {
        match self {
            Topics::Named(names) => names.iter().any(|n| n == topic),
            // Internal topics are never matched by a pattern subscription.
            Topics::Matching(regex) => !topic.starts_with("__") && regex.is_match(topic),
        }
    }
}

/// The partitions of every topic of the cluster `consumer` reads (a blocking metadata call, off
/// the runtime's threads).
pub async fn partitions(consumer: &Arc<StreamConsumer>) -> Result<Vec<(String, i32)>, String> {
    let reader = Arc::clone(consumer);
    tokio::task::spawn_blocking(move || {
        let metadata = reader
            .fetch_metadata(None, Duration::from_secs(10))
            .map_err(|e| format!("reading the cluster's topics: {e}"))?;
        Ok(metadata
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| (t.name().to_owned(), p.id())))
            .collect())
    })
    .await
    .map_err(|e| format!("reading the cluster's topics: {e}"))?
}

/// Assigns the partitions of `topics` that `consumer` does not read yet, each starting at the
/// group's committed offset.
pub async fn assign_new(
    consumer: &Arc<StreamConsumer>,
    topics: &Topics,
    assigned: &mut BTreeSet<(String, i32)>,
) -> Result<(), String> {
    let new: Vec<(String, i32)> = partitions(consumer)
        .await?
        .into_iter()
        .filter(|(topic, partition)| {
            topics.includes(topic) && !assigned.contains(&(topic.clone(), *partition))
        })
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let mut list = TopicPartitionList::new();
    for (topic, partition) in &new {
        list.add_partition_offset(topic, *partition, Offset::Stored)
            .map_err(|e| e.to_string())?;
    }
    consumer
        .incremental_assign(&list)
        .map_err(|e| format!("assigning partitions: {e}"))?;
    assigned.extend(new);
    Ok(())
}

/// Runs the JDBC sink task until told to stop; `Err` is the task FAILED with its trace.
pub async fn run(mut ctx: TaskContext) -> Result<(), TaskFailed> {
    let config = &ctx.config;
    let jdbc = JdbcConfig::from_config(config, &ctx.worker.data_dir).map_err(failed)?;
    let key = convert::configured(
        "key.converter",
        config,
        &ctx.worker.defaults,
        &ctx.registries,
    )
    .map_err(failed)?;
    let value = convert::configured(
        "value.converter",
        config,
        &ctx.worker.defaults,
        &ctx.registries,
    )
    .map_err(failed)?;
    let chain = Chain::from_config(config).map_err(failed)?;
    let topics = Topics::from_config(config).map_err(failed)?;
    let handler = ErrorHandler::new(
        &ctx.connector,
        config,
        defs::ConnectorType::Sink,
        &ctx.worker.kafka,
    )
    .await
    .map_err(|e| TaskFailed::from_exception(&e))?;
    let writer = Writer::open(&jdbc)
        .await
        .map_err(|e| TaskFailed::from_exception(&Exception::connect(e.to_string())))?;
    let group = format!("connect-{}", ctx.connector);
    let mut client = ctx
        .worker
        .kafka
        .client(&codeflix_consumer::membership::settings(&group));
    client.set(
        "client.id",
        format!("connector-consumer-{}-0", ctx.connector),
    );
    for (key, v) in config
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("consumer.override.")?, v)))
    {
        client.set(key, v);
    }
    let consumer: Arc<StreamConsumer> = Arc::new(
        client
            .create()
            .map_err(|e| failed(format!("creating the consumer of group {group}: {e}")))?,
    );
    let mut sink = Sink {
        jdbc,
        key,
        value,
        chain,
        handler,
        writer,
        consumer,
        topics,
        assigned: BTreeSet::new(),
        pending: BTreeMap::new(),
    };
    tracing::info!(connector = %ctx.connector, group, "sink task started");
    sink.discover(&ctx).await;
    let mut discovered = Instant::now();
    let mut paused = false;
    loop {
        match ctx.command() {
            Command::Stop => break,
            Command::Pause => {
                if !paused {
                    sink.commit_pending().await;
                    sink.pause(true);
                    paused = true;
                }
                if !ctx.wait_while_paused().await {
                    break;
                }
                continue;
            }
            Command::Run => {
                if paused {
                    sink.pause(false);
                    paused = false;
                }
            }
        }
        if discovered.elapsed() >= ctx.worker.discovery {
            sink.discover(&ctx).await;
            discovered = Instant::now();
        }
        let batch = sink.gather(&mut ctx).await;
        if batch.is_empty() {
            sink.commit_pending().await;
            continue;
        }
        sink.put(&mut ctx, batch).await?;
    }
    sink.commit_pending().await;
    tracing::info!(connector = %ctx.connector, "sink task stopped");
    Ok(())
}

struct Sink {
    jdbc: JdbcConfig,
    key: Converter,
    value: Converter,
    chain: Chain,
    handler: ErrorHandler,
    writer: Writer,
    consumer: Arc<StreamConsumer>,
    topics: Topics,
    assigned: BTreeSet<(String, i32)>,
    /// Offsets (the next to read) written and not yet committed to the group.
    pending: BTreeMap<(String, i32), i64>,
}

/// A record on its way: where it came from and what it became.
struct Pending {
    raw: Raw,
    op: Op,
}

impl Sink {
    async fn discover(&mut self, ctx: &TaskContext) {
        if let Err(error) = assign_new(&self.consumer, &self.topics, &mut self.assigned).await {
            tracing::warn!(connector = %ctx.connector, %error, "looking for partitions to read; trying again later");
        }
    }

    fn pause(&self, pause: bool) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let result = if pause {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        if let Err(error) = result {
            tracing::warn!(%error, pause, "pausing or resuming the sink's partitions");
        }
    }

    /// The next records: up to a batch; none when nothing came before the next discovery is due
    /// or the command changed.
    async fn gather(&self, ctx: &mut TaskContext) -> Vec<Raw> {
        let limit = if self.jdbc.batch_size == 0 {
            DEFAULT_POLL
        } else {
            self.jdbc.batch_size
        };
        ctx.poll(&self.consumer, ctx.worker.discovery, limit, "the topics")
            .await
    }

    /// Converts, transforms and writes `batch`, then notes its offsets and commits them.
    async fn put(&mut self, ctx: &mut TaskContext, batch: Vec<Raw>) -> Result<(), TaskFailed> {
        let mut ready: Vec<Pending> = Vec::with_capacity(batch.len());
        let mut filtered = 0;
        let mut dead = 0;
        let mut skipped = 0;
        let mut count = |handled: Handled| match handled {
            Handled::DeadLettered => dead += 1,
            Handled::Skipped => skipped += 1,
        };
        for raw in &batch {
            ctx.used(&raw.topic);
            let key = match self
                .convert(ctx, &self.key, raw, Stage::KeyConverter)
                .await?
            {
                Ok(data) => data,
                Err(failure) => {
                    count(self.handler.handle(raw, failure).await?);
                    continue;
                }
            };
            let value = match self
                .convert(ctx, &self.value, raw, Stage::ValueConverter)
                .await?
            {
                Ok(data) => data,
                Err(failure) => {
                    count(self.handler.handle(raw, failure).await?);
                    continue;
                }
            };
            let record = Record {
                topic: raw.topic.clone(),
                partition: raw.partition,
                timestamp: raw.timestamp,
                key,
                value,
                headers: raw.headers.clone(),
            };
            let record = match self.chain.apply(record) {
                Ok(Some(record)) => record,
                Ok(None) => {
                    filtered += 1;
                    continue;
                }
                Err(failure) => {
                    count(self.handler.handle(raw, failure).await?);
                    continue;
                }
            };
            let at = Coordinates {
                topic: &raw.topic,
                partition: raw.partition,
                offset: raw.offset,
                timestamp: raw.timestamp,
            };
            match plan::plan(&self.jdbc, &ctx.connector, &record, at) {
                Ok(op) => ready.push(Pending {
                    raw: raw.clone(),
                    op,
                }),
                Err(error) if error.class == TABLE_ALTER_OR_CREATE => {
                    count(
                        self.handler
                            .handle(raw, Failure::new(Stage::TaskPut, JDBC_TASK, error))
                            .await?,
                    );
                }
                Err(error) => {
                    tracing::error!(connector = %ctx.connector, topic = %raw.topic, partition = raw.partition, offset = raw.offset, %error, "the sink cannot take a record: the task fails");
                    return Err(TaskFailed::from_exception(&error));
                }
            }
        }
        let (written, deleted, rejected) = self.write(ctx, &ready).await?;
        for handled in rejected {
            count(handled);
        }
        ctx.metrics.records(&ctx.connector, "written", written);
        ctx.metrics.records(&ctx.connector, "deleted", deleted);
        ctx.metrics.records(&ctx.connector, "filtered", filtered);
        ctx.metrics.records(&ctx.connector, "dead_lettered", dead);
        ctx.metrics.records(&ctx.connector, "skipped", skipped);
        for raw in &batch {
            let next = self
                .pending
                .entry((raw.topic.clone(), raw.partition))
                .or_insert(0);
            *next = (*next).max(raw.offset + 1);
        }
        self.commit_pending().await;
        Ok(())
    }

    /// The data of one side of `raw`, waiting out registry outages; the inner error is the
    /// record's (for `errors.tolerance`), the outer one fails the task.
    async fn convert(
        &self,
        ctx: &mut TaskContext,
        converter: &Converter,
        raw: &Raw,
        stage: Stage,
    ) -> Result<Result<crate::data::Data, Failure>, TaskFailed> {
        let bytes = match stage {
            Stage::KeyConverter => raw.key.as_deref(),
            _ => raw.value.as_deref(),
        };
        let mut pause = Duration::from_millis(200);
        loop {
            match converter.to_connect(&raw.topic, bytes).await {
                Ok(data) => return Ok(Ok(data)),
                Err(ConvertError::Data(error)) => {
                    return Ok(Err(Failure::new(stage, converter.class_name(), error)));
                }
                Err(ConvertError::Fatal(error)) => return Err(TaskFailed::from_exception(&error)),
                Err(ConvertError::Unavailable(reason)) => {
                    tracing::warn!(connector = %ctx.connector, %reason, "the schema registry cannot answer; asking again");
                    if !ctx.sleep(pause).await {
                        return Err(failed(
                            "the task was stopped while waiting for the schema registry",
                        ));
                    }
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Writes the batch in one transaction, retrying it `max.retries` times; then, when errors
    /// are tolerated, record by record with the failures reported. Counts (written, deleted) and
    /// what became of the records that failed.
    async fn write(
        &mut self,
        ctx: &mut TaskContext,
        ready: &[Pending],
    ) -> Result<(u64, u64, Vec<Handled>), TaskFailed> {
        let ops: Vec<Op> = ready.iter().map(|p| p.op.clone()).collect();
        let counts = |ops: &[&Op]| {
            let deleted = ops
                .iter()
                .filter(|op| matches!(op, Op::Delete { .. }))
                .count() as u64;
            (ops.len() as u64 - deleted, deleted)
        };
        if ops.is_empty() {
            return Ok((0, 0, Vec::new()));
        }
        let mut retries_left = self.jdbc.max_retries;
        let last = loop {
            let error = match self.writer.write(&ops).await {
                Ok(()) => {
                    let (written, deleted) = counts(&ops.iter().collect::<Vec<_>>());
                    return Ok((written, deleted, Vec::new()));
                }
                Err(error) => error,
            };
            if error.error.class == TABLE_ALTER_OR_CREATE || retries_left == 0 {
                break error;
            }
            tracing::warn!(
                connector = %ctx.connector,
                records = ops.len(),
                remaining_retries = retries_left,
                error = %error.error,
                "write of records failed; retrying"
            );
            retries_left -= 1;
            if !ctx.sleep(self.jdbc.retry_backoff).await && ctx.command() == Command::Stop {
                return Err(failed("the task was stopped while retrying a write"));
            }
            match Writer::open(&self.jdbc).await {
                Ok(writer) => self.writer = writer,
                Err(error) => {
                    tracing::warn!(connector = %ctx.connector, %error, "reopening the database")
                }
            }
        };
        if !self.handler.tolerates() {
            tracing::error!(connector = %ctx.connector, error = %last.error, "write of records failed after retries: the task fails");
            return Err(TaskFailed {
                trace: format!(
                    "{}: {}\n\tat {JDBC_TASK}.put\nCaused by: {}\n",
                    crate::errors::CONNECT_EXCEPTION,
                    last.error,
                    last.error
                ),
            });
        }
        // Record by record: what still fails is reported.
        let mut written = Vec::new();
        let mut rejected = Vec::new();
        for pending in ready {
            match self.writer.write(std::slice::from_ref(&pending.op)).await {
                Ok(()) => written.push(&pending.op),
                Err(error) => rejected.push(
                    self.handler
                        .handle(
                            &pending.raw,
                            Failure::new(Stage::TaskPut, JDBC_TASK, error.error),
                        )
                        .await?,
                ),
            }
        }
        let (w, d) = counts(&written);
        Ok((w, d, rejected))
    }

    /// Commits the offsets of what is written; what cannot be committed now stays pending.
    async fn commit_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), next) in &self.pending {
            if let Err(error) =
                offsets.add_partition_offset(topic, *partition, Offset::Offset(*next))
            {
                tracing::warn!(%error, topic, partition, "noting an offset to commit");
            }
        }
        let consumer = Arc::clone(&self.consumer);
        match tokio::task::spawn_blocking(move || consumer.commit(&offsets, CommitMode::Sync)).await
        {
            Ok(Ok(())) => self.pending.clear(),
            Ok(Err(error)) => {
                tracing::warn!(%error, "committing offsets to the group; trying again after the next batch")
            }
            Err(error) => tracing::warn!(%error, "committing offsets to the group"),
        }
    }
}
