//! `codeflix events`: the event log for operators and analysts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use codeflix_domain::{AggregateType, Timestamp};
use codeflix_eventlog::EventLogError;
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::headers::header;
use codeflix_eventlog::reader::{RawRecord, stream_in_time_order, stream_snapshot};
use codeflix_eventlog::topics::event_topic;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// Print every stored event that matches, oldest first, one JSON object per line.
    Dump(Filter),
    /// Print matching events as they are appended, one JSON object per line, until stopped.
    Tail {
        #[command(flatten)]
        filter: Filter,
        /// Start from the oldest event instead of the end of the log.
        #[arg(long)]
        from_beginning: bool,
    },
    /// Check the whole log: every event decodes, each aggregate's versions run 1..n without
    /// gap or duplicate and in order, event ids are unique, headers match the envelope.
    /// Prints a JSON report; exits with 1 when anything is wrong.
    Verify,
    /// Write matching events as Parquet or JSON Lines files for analysis, partitioned Hive-style
    /// by event type and day (`event_type=…/date=…`), with typed columns for the metadata, the
    /// log position and the payload. A manifest in the directory records the offsets exported,
    /// so running the same command again adds only the events appended since. Prints a JSON
    /// summary.
    Export(super::export::ExportArgs),
}

/// Which events to show.
#[derive(Debug, Clone, Args)]
pub(crate) struct Filter {
    /// Only these aggregate types, e.g. `catalog.video` (repeatable; default: all).
    #[arg(long = "type", value_name = "AGGREGATE_TYPE")]
    types: Vec<AggregateType>,
    /// Only this aggregate.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Only events that occurred at or after this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    since: Option<Timestamp>,
    /// Only events that occurred before this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    until: Option<Timestamp>,
}

impl Filter {
    fn topics(&self, settings: &Settings) -> Vec<String> {
        let types = if self.types.is_empty() {
            AggregateType::ALL.to_vec()
        } else {
            self.types.clone()
        };
        types
            .into_iter()
            .map(|t| event_topic(&settings.kafka.topic_prefix, t))
            .collect()
    }

    /// Filters on the key (the aggregate id) and headers, so that only matching events are
    /// decoded.
    fn matches(&self, key: Option<&[u8]>, headers: &[(String, String)]) -> bool {
        let id_matches = self.id.as_ref().is_none_or(|id| key == Some(id.as_bytes()));
        let time = header(headers, "ce_time").and_then(|t| t.parse::<Timestamp>().ok());
        let after_since = self
            .since
            .is_none_or(|since| time.is_some_and(|t| t >= since));
        let before_until = self
            .until
            .is_none_or(|until| time.is_some_and(|t| t < until));
        id_matches && after_since && before_until
    }
}

pub(crate) async fn run(settings: &Settings, command: EventsCommand) -> anyhow::Result<ExitCode> {
    let codec = RegistryCodec::new(&settings.registry_url())?;
    match command {
        EventsCommand::Dump(filter) => dump(settings, &codec, &filter).await,
        EventsCommand::Tail {
            filter,
            from_beginning,
        } => tail(settings, &codec, &filter, from_beginning).await,
        EventsCommand::Verify => verify(settings, &codec).await,
        EventsCommand::Export(args) => super::export::run(settings, args).await,
    }
}

async fn show(codec: &RegistryCodec, record: &RawRecord) -> anyhow::Result<serde_json::Value> {
    let value = record.value.as_deref().unwrap_or_default();
    let (schema, event) = codec.decode_json(value).await?;
    Ok(json!({
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key.as_deref().map(String::from_utf8_lossy),
        "type": schema,
        "time": header(&record.headers, "ce_time"),
        "event": event,
    }))
}

async fn dump(
    settings: &Settings,
    codec: &RegistryCodec,
    filter: &Filter,
) -> anyhow::Result<ExitCode> {
    // Merged in time order while reading, and filtered: one record per partition is held.
    let mut stream = stream_in_time_order(&settings.event_log(), &filter.topics(settings))?;
    let mut out = std::io::stdout().lock();
    while let Some(record) = stream.recv().await {
        let record = record?;
        if !filter.matches(record.key.as_deref(), &record.headers) {
            continue;
        }
        match writeln!(out, "{}", show(codec, &record).await?) {
            Ok(()) => {}
            // The reader went away (`| head`): that is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn tail(
    settings: &Settings,
    codec: &RegistryCodec,
    filter: &Filter,
    from_beginning: bool,
) -> anyhow::Result<ExitCode> {
    let config = settings.event_log();
    let consumer: StreamConsumer = config
        .reader(&format!("codeflix-tail-{}", uuid::Uuid::new_v4()))
        .create()?;
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(30))?;
    let mut assignment = TopicPartitionList::new();
    for topic in filter.topics(settings) {
        if let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) {
            for partition in found.partitions() {
                let start = if from_beginning {
                    Offset::Beginning
                } else {
                    Offset::End
                };
                assignment.add_partition_offset(&topic, partition.id(), start)?;
            }
        }
    }
    consumer.assign(&assignment)?;
    loop {
        let message = tokio::select! {
            message = consumer.recv() => message,
            () = super::shutdown_signal() => return Ok(ExitCode::SUCCESS),
        };
        let message = match message {
            Ok(message) => message,
            Err(rdkafka::error::KafkaError::PartitionEOF(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        let record = RawRecord::from_message(&message);
        if !filter.matches(record.key.as_deref(), &record.headers) {
            continue;
        }
        println!("{}", show(codec, &record).await?);
    }
}

/// An aggregate's id, as a number when it is a UUID (16 bytes instead of a 36-character string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum AggregateKey {
    Uuid(u128),
    Text(Box<str>),
}

impl AggregateKey {
    fn new(id: &str) -> AggregateKey {
        match uuid::Uuid::parse_str(id) {
            // Only the canonical form, so that the id shown is the one in the log.
            Ok(uuid) if uuid.to_string() == id => AggregateKey::Uuid(uuid.as_u128()),
            _ => AggregateKey::Text(id.into()),
        }
    }
}

impl std::fmt::Display for AggregateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AggregateKey::Uuid(uuid) => uuid::Uuid::from_u128(*uuid).fmt(f),
            AggregateKey::Text(text) => f.write_str(text),
        }
    }
}

/// What `events verify` keeps per aggregate: the version expected next, the partition it was
/// first seen in (topics interned), and the first break of either rule. A few dozen bytes per
/// aggregate, whatever its number of events.
#[derive(Debug, Default)]
struct Sequences {
    topics: HashMap<String, u32>,
    aggregates: BTreeMap<(AggregateType, AggregateKey), Sequence>,
}

#[derive(Debug)]
struct Sequence {
    next: u64,
    partition: (u32, i32),
    /// The first version out of order (found, expected).
    broken: Option<(u64, u64)>,
    spread: bool,
}

impl Sequences {
    fn see(
        &mut self,
        aggregate_type: AggregateType,
        id: &str,
        version: u64,
        topic: &str,
        partition: i32,
    ) {
        let count = self.topics.len() as u32;
        let topic = match self.topics.get(topic) {
            Some(&index) => index,
            None => *self.topics.entry(topic.to_owned()).or_insert(count),
        };
        let sequence = self
            .aggregates
            .entry((aggregate_type, AggregateKey::new(id)))
            .or_insert(Sequence {
                next: 1,
                partition: (topic, partition),
                broken: None,
                spread: false,
            });
        if version != sequence.next && sequence.broken.is_none() {
            sequence.broken = Some((version, sequence.next));
        }
        sequence.next += 1;
        sequence.spread |= sequence.partition != (topic, partition);
    }

    /// How many aggregates were seen, and what broke.
    fn problems(self) -> (usize, Vec<String>) {
        let mut problems = Vec::new();
        for ((aggregate_type, id), sequence) in &self.aggregates {
            if let Some((found, expected)) = sequence.broken {
                problems.push(format!(
                    "{aggregate_type} {id}: version {found} where {expected} was expected \
                     (versions in log order must be 1, 2, 3, …)"
                ));
            }
            if sequence.spread {
                problems.push(format!(
                    "{aggregate_type} {id}: events are spread over several partitions"
                ));
            }
        }
        (self.aggregates.len(), problems)
    }
}

/// What `verify` found.
#[derive(Debug, Default)]
struct Report {
    events: usize,
    aggregates: usize,
    problems: Vec<String>,
}

async fn verify(settings: &Settings, codec: &RegistryCodec) -> anyhow::Result<ExitCode> {
    let topics: Vec<String> = AggregateType::ALL
        .into_iter()
        .map(|t| event_topic(&settings.kafka.topic_prefix, t))
        .collect();
    // Streamed: what is kept is each event's id and a few numbers per aggregate.
    let records = stream_snapshot(&settings.event_log(), &topics)?;
    let report = check(codec, records).await?;
    println!(
        "{}",
        json!({
            "events": report.events,
            "aggregates": report.aggregates,
            "ok": report.problems.is_empty(),
            "problems": report.problems,
        })
    );
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn check(
    codec: &RegistryCodec,
    mut records: tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut seen_ids = HashSet::new();
    let mut sequences = Sequences::default();
    while let Some(record) = records.recv().await {
        let record = record?;
        report.events += 1;
        let at = format!("{}/{}@{}", record.topic, record.partition, record.offset);
        let Some(value) = record.value.as_deref() else {
            report.problems.push(format!("{at}: no value"));
            continue;
        };
        let envelope = match codec.decode(value).await {
            Ok(envelope) => envelope,
            Err(error) => {
                report
                    .problems
                    .push(format!("{at}: does not decode: {error}"));
                continue;
            }
        };
        let m = &envelope.metadata;
        if !seen_ids.insert(m.event_id) {
            report
                .problems
                .push(format!("{at}: event id {} appears twice", m.event_id));
        }
        if header(&record.headers, "ce_id") != Some(m.event_id.to_string().as_str()) {
            report.problems.push(format!(
                "{at}: header ce_id does not match event id {}",
                m.event_id
            ));
        }
        if record.key.as_deref() != Some(m.aggregate_id.as_bytes()) {
            report.problems.push(format!(
                "{at}: key is not the aggregate id {}",
                m.aggregate_id
            ));
        }
        sequences.see(
            m.aggregate_type,
            &m.aggregate_id,
            m.aggregate_version.get(),
            &record.topic,
            record.partition,
        );
    }
    let (aggregates, problems) = sequences.problems();
    report.aggregates = aggregates;
    report.problems.extend(problems);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "7a171bb3-6cec-54ef-83fd-ec04ccd36537";

    fn problems(events: &[(&str, u64, i32)]) -> Vec<String> {
        let mut sequences = Sequences::default();
        for &(id, version, partition) in events {
            sequences.see(
                AggregateType::Video,
                id,
                version,
                "codeflix.catalog.video.events",
                partition,
            );
        }
        sequences.problems().1
    }

    #[test]
    fn versions_one_two_three_in_one_partition_are_fine() {
        assert!(problems(&[(ID, 1, 0), ("other", 1, 2), (ID, 2, 0), (ID, 3, 0)]).is_empty());
    }

    #[test]
    fn a_gap_a_repeat_or_a_late_start_is_reported_once_with_the_id() {
        for events in [
            vec![(ID, 1, 0), (ID, 3, 0), (ID, 4, 0)],
            vec![(ID, 1, 0), (ID, 1, 0)],
            vec![(ID, 2, 0), (ID, 3, 0)],
        ] {
            let found = problems(&events);
            assert_eq!(found.len(), 1, "{events:?}: {found:?}");
            assert!(
                found[0].starts_with(&format!("catalog.video {ID}: version")),
                "{found:?}"
            );
        }
    }

    #[test]
    fn events_of_one_aggregate_in_two_partitions_are_reported() {
        let found = problems(&[(ID, 1, 0), (ID, 2, 3)]);
        assert_eq!(
            found,
            [format!(
                "catalog.video {ID}: events are spread over several partitions"
            )]
        );
    }

    #[test]
    fn ids_that_are_not_canonical_uuids_are_kept_as_written() {
        for id in ["user-1", "7A171BB3-6CEC-54EF-83FD-EC04CCD36537"] {
            assert_eq!(AggregateKey::new(id).to_string(), id);
        }
        assert_eq!(
            AggregateKey::new(ID),
            AggregateKey::Uuid(uuid::Uuid::parse_str(ID).unwrap().as_u128())
        );
    }
}
