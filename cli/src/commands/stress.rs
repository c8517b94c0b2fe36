//! `codeflix stress`: concurrent writers hammering a set of aggregates through the event log,
//! recording every acknowledged command, for load tests and fault-injection tests.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use codeflix_domain::catalog::category::{
    Category, CategoryCommand, CategoryError, CategoryId, CategoryName, CreateCategory,
    UpdateCategory,
};
use codeflix_domain::{CommandContext, ExpectedVersion, Timestamp, Version};
use codeflix_eventlog::{EventLog, ExecuteError};
use rand::Rng;
use serde_json::json;
use tracing::{info, warn};
use uuid::Uuid;

use crate::settings::Settings;

#[derive(Debug, Clone, Args)]
pub(crate) struct StressArgs {
    /// Concurrent writers in this process.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Aggregates the writers share (so they conflict).
    #[arg(long, default_value_t = 20)]
    aggregates: usize,
    /// Commands each writer gets acknowledged.
    #[arg(long, default_value_t = 100)]
    commands: usize,
    /// Names the set of aggregates: runs with the same seed write to the same aggregates.
    #[arg(long, default_value = "stress")]
    seed: String,
    /// Append one JSON line per acknowledged command to this file (default: standard output).
    #[arg(long)]
    ack_log: Option<PathBuf>,
    /// Before exiting, wait until every stored event is confirmed in Kafka.
    #[arg(long)]
    wait_drained: bool,
}

fn aggregate(seed: &str, n: usize) -> CategoryId {
    CategoryId::new(Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("{seed}/{n}").as_bytes(),
    ))
}

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

#[derive(Debug, Default)]
struct Tally {
    acknowledged: usize,
    conflicts: usize,
    retries: usize,
}

pub(crate) async fn run(settings: &Settings, args: StressArgs) -> anyhow::Result<ExitCode> {
    let log = Arc::new(EventLog::connect(settings.event_log()).await?);
    let sink: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(match &args.ack_log {
        Some(path) => Box::new(OpenOptions::new().create(true).append(true).open(path)?),
        None => Box::new(std::io::stdout()),
    }));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let mut writers = Vec::new();
    for writer in 0..args.writers {
        let (log, sink, tally, args) = (log.clone(), sink.clone(), tally.clone(), args.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..args.commands {
                let target = aggregate(&args.seed, rand::rng().random_range(0..args.aggregates));
                // Unique across processes, so that every command changes the name.
                let label = format!("p{}-w{writer}-{n}", std::process::id());
                acknowledge(&log, &target, &label, &sink, &tally).await;
            }
        }));
    }
    for writer in writers {
        writer.await?;
    }
    let elapsed = started.elapsed();
    if args.wait_drained {
        let deadline = Instant::now() + Duration::from_secs(180);
        while log.store().unpublished_count().await? > 0 {
            anyhow::ensure!(
                Instant::now() < deadline,
                "events were still unconfirmed after 180 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (acknowledged, conflicts, retries) = {
        let tally = tally
            .lock()
            .map_err(|_| anyhow::anyhow!("a writer panicked"))?;
        (tally.acknowledged, tally.conflicts, tally.retries)
    };
    info!(
        acknowledged,
        conflicts,
        retries,
        seconds = elapsed.as_secs_f64(),
        per_second = acknowledged as f64 / elapsed.as_secs_f64().max(1e-9),
        "stress finished"
    );
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Executes one command until it is acknowledged: re-deciding after conflicts, and retrying with
/// the same command id after infrastructure failures (so a command is never applied twice).
async fn acknowledge(
    log: &EventLog,
    target: &CategoryId,
    label: &str,
    sink: &Mutex<Box<dyn Write + Send>>,
    tally: &Mutex<Tally>,
) {
    let ctx = CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: "stress".into(),
        now: now(),
    };
    loop {
        let current = match log
            .store()
            .version(
                codeflix_domain::AggregateType::Category,
                &target.to_string(),
            )
            .await
        {
            Ok(version) => version,
            Err(error) => {
                warn!(error = %codeflix_domain::Report(&error), "reading the version failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let command: CategoryCommand = if current == Version::INITIAL {
            CreateCategory {
                name: name(label),
                description: None,
                active: true,
            }
            .into()
        } else {
            UpdateCategory {
                name: name(label),
                description: None,
            }
            .into()
        };
        match log
            .execute::<Category>(&ctx, target, ExpectedVersion::Exactly(current), command)
            .await
        {
            Ok(appended) => {
                let line = json!({
                    "command_id": ctx.command_id,
                    "aggregate_id": target.to_string(),
                    "version": appended.aggregate_version.get(),
                    "event_ids": appended.event_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "offsets": appended.positions.iter().map(|p| json!([p.topic, p.partition, p.offset])).collect::<Vec<_>>(),
                    "replayed": appended.replayed,
                });
                if let Ok(mut sink) = sink.lock() {
                    let _ = writeln!(sink, "{line}");
                    let _ = sink.flush();
                }
                if let Ok(mut tally) = tally.lock() {
                    tally.acknowledged += 1;
                }
                return;
            }
            Err(
                ExecuteError::Conflict { .. }
                | ExecuteError::Rejected(CategoryError::AlreadyExists),
            ) => {
                if let Ok(mut tally) = tally.lock() {
                    tally.conflicts += 1;
                }
            }
            Err(error) => {
                warn!(error = %codeflix_domain::Report(&error), command_id = %ctx.command_id, "command not acknowledged; retrying with the same id");
                if let Ok(mut tally) = tally.lock() {
                    tally.retries += 1;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

fn name(label: &str) -> CategoryName {
    CategoryName::parse(label).unwrap_or_else(|_| unreachable!("labels are short and printable"))
}
