//! `codeflix aggregate show`: one aggregate's state as of a time or a version, folded from its
//! events in Kafka — the system of record — as the read models fold them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use codeflix_domain::{AggregateType, Timestamp};
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::reader::stream_snapshot;
use codeflix_eventlog::topics::event_topic;
use codeflix_projectors::project::{Step, apply};
use codeflix_readmodel::views::Doc;
use serde_json::{Value, json};

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub(crate) enum AggregateCommand {
    /// Fold one aggregate's events, oldest first, and print its state and the events folded as
    /// JSON: now, or as it was at a time (`--at`) or a version (`--version`). Reads the whole
    /// event topic of its type (the log is keyed by aggregate id, so every partition is read).
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The aggregate type, e.g. `catalog.video` or `subscriptions.subscription`.
    #[arg(value_name = "TYPE")]
    aggregate: AggregateType,
    /// Its id (a UUID; an account's is the identity provider's subject).
    #[arg(value_name = "ID")]
    id: String,
    /// The state as of this instant (RFC 3339): events that occurred after it are left out.
    #[arg(long, value_name = "RFC3339", conflicts_with = "version")]
    at: Option<Timestamp>,
    /// The state at this version (the number of events folded).
    #[arg(long, value_name = "N")]
    version: Option<u64>,
}

pub(crate) async fn run(
    settings: &Settings,
    command: AggregateCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        AggregateCommand::Show(args) => show(settings, &args).await,
    }
}

async fn show(settings: &Settings, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let codec = RegistryCodec::new(&settings.registry_url())?;
    let topic = event_topic(&settings.kafka.topic_prefix, args.aggregate);
    let mut records = stream_snapshot(&settings.event_log(), std::slice::from_ref(&topic))?;
    let mut state: Option<Doc> = None;
    let mut folded = Vec::new();
    let mut later = 0u64;
    while let Some(record) = records.recv().await {
        let record = record.with_context(|| format!("reading {topic}"))?;
        if record.key.as_deref() != Some(args.id.as_bytes()) {
            continue;
        }
        let envelope = codec
            .decode(record.value.as_deref().unwrap_or_default())
            .await
            .with_context(|| {
                format!(
                    "decoding {topic} partition {} offset {}",
                    record.partition, record.offset
                )
            })?;
        let meta = &envelope.metadata;
        let version = meta.aggregate_version.get();
        let too_late = args.version.is_some_and(|v| version > v)
            || args.at.is_some_and(|at| meta.occurred_at > at);
        if too_late {
            later += 1;
            continue;
        }
        match apply(state.as_ref(), &envelope) {
            Step::Applied(doc) => state = Some(*doc),
            // Read twice (a producer's retry before idempotence): the first one counts.
            Step::Duplicate => continue,
            Step::Rejected(reason) => {
                anyhow::bail!("{topic} offset {}: {reason}", record.offset)
            }
        }
        folded.push(json!({
            "version": version,
            "type": envelope.event.event_type(),
            "occurred_at": meta.occurred_at.to_rfc3339_micros(),
            "actor": meta.actor,
            "event_id": meta.event_id.0,
            "correlation_id": meta.correlation_id,
            "partition": record.partition,
            "offset": record.offset,
        }));
    }
    if folded.is_empty() {
        eprintln!(
            "no events of {} {}{}",
            args.aggregate,
            args.id,
            if later > 0 {
                format!(" at that point ({later} later ones)")
            } else {
                String::new()
            }
        );
        return Ok(ExitCode::FAILURE);
    }
    let last = folded.last().cloned().unwrap_or(Value::Null);
    let out = json!({
        "type": args.aggregate.as_str(),
        "id": args.id,
        "version": last["version"],
        "as_of": last["occurred_at"],
        "later_events": later,
        "deleted": state.as_ref().is_some_and(Doc::deleted),
        "state": state,
        "events": folded,
    });
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?) {
        // Piped into `head` or a pager that quit: what was wanted was read.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
