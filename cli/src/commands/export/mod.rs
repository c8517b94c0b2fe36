//! `codeflix events export`: the event log as Parquet or JSON Lines files for analysts, in
//! Hive-style partitions (`event_type=…/date=…`), continuing where the last run into the same
//! directory ended.
//!
//! A row is one event: typed columns for its metadata and its position in the log, and its
//! payload as a struct typed by this binary's version of the event's Avro schema (events written
//! with an older version are resolved to it, so every run of one type has the same columns).
//!
//! The manifest, `_codeflix_export.json` (readers skip names starting with `_`), records the
//! selection, each run's offset range per partition and its files, and where the next run starts.
//! A run's files carry its number and the manifest is replaced last, so a run that dies leaves
//! files that the next run deletes before it reads the same offsets again: nothing is exported
//! twice and nothing is skipped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use apache_avro::Schema as Avro;
use apache_avro::types::Value as AvroValue;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use base64::Engine;
use clap::{Args, ValueEnum};
use codeflix_domain::{AggregateType, Timestamp};
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::headers::header;
use codeflix_eventlog::reader::{PartitionRange, RawRecord, partition_ends, stream_ranges};
use codeflix_eventlog::topics::event_topic;
use codeflix_schemas::{SchemaSet, split_event_fullname};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

mod columns;

use columns::Row;

use crate::progress::Progress;
use crate::settings::Settings;

/// The manifest's file name in the output directory.
pub(crate) const MANIFEST: &str = "_codeflix_export.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    /// Apache Parquet, Snappy-compressed, with typed columns.
    Parquet,
    /// JSON Lines: one JSON object per event, instants in RFC 3339.
    Jsonl,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The directory to write to, created if missing. Exporting into it again continues where
    /// the last run ended: only events appended since are written, as new files.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "parquet")]
    format: Format,
    #[command(flatten)]
    selection: Selection,
    /// Files written at once, one per event type and day; to open another, the one written to
    /// longest ago is finished. Each open Parquet file holds up to a row group in memory.
    #[arg(long, value_name = "FILES", default_value_t = 32)]
    open_files: usize,
}

/// Which events to export; fixed for an output directory.
#[derive(Debug, Clone, Args)]
pub(crate) struct Selection {
    /// Only these bounded contexts, e.g. `catalog` (repeatable; default: all).
    #[arg(long = "context", value_name = "CONTEXT")]
    contexts: Vec<String>,
    /// Only these aggregate types, e.g. `catalog.video` (repeatable; default: all).
    #[arg(long = "type", value_name = "AGGREGATE_TYPE")]
    types: Vec<AggregateType>,
    /// Only these event types, by full name (`codeflix.catalog.video.VideoUploaded`) or name
    /// (`VideoUploaded`) (repeatable; default: all).
    #[arg(long = "event-type", value_name = "EVENT_TYPE")]
    event_types: Vec<String>,
    /// Only events that occurred at or after this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    since: Option<Timestamp>,
    /// Only events that occurred before this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    until: Option<Timestamp>,
}

/// A selection checked against the schemas: the topics to read and what to keep of them.
#[derive(Debug)]
struct Resolved {
    topics: Vec<String>,
    /// Full names; empty for every type.
    event_types: BTreeSet<String>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl Selection {
    fn resolve(&self, prefix: &str, schemas: &SchemaSet) -> anyhow::Result<Resolved> {
        let contexts: BTreeSet<&str> = AggregateType::ALL.iter().map(|t| t.context()).collect();
        for context in &self.contexts {
            if !contexts.contains(context.as_str()) {
                bail!(
                    "--context {context}: there is no such context; the contexts are {}",
                    contexts.iter().copied().collect::<Vec<_>>().join(", ")
                );
            }
        }
        let in_contexts = |t: &AggregateType| {
            self.contexts.is_empty() || self.contexts.iter().any(|c| c == t.context())
        };
        for t in &self.types {
            if !in_contexts(t) {
                bail!("--type {t} is not in the contexts chosen with --context");
            }
        }
        let mut event_types = BTreeSet::new();
        for wanted in &self.event_types {
            let found: Vec<&str> = schemas
                .events()
                .map(|s| s.fullname.as_str())
                .filter(|name| {
                    *name == wanted || name.rsplit_once('.').is_some_and(|(_, n)| n == wanted)
                })
                .collect();
            if found.is_empty() {
                bail!(
                    "--event-type {wanted}: there is no such event type (try `codeflix events \
                     dump | head` to see the types, e.g. VideoUploaded)"
                );
            }
            event_types.extend(found.into_iter().map(str::to_owned));
        }
        let of_events: BTreeSet<AggregateType> = event_types
            .iter()
            .filter_map(|name| split_event_fullname(name).map(|(t, _)| t))
            .collect();
        let aggregates: Vec<AggregateType> = AggregateType::ALL
            .into_iter()
            .filter(|t| self.types.is_empty() || self.types.contains(t))
            .filter(in_contexts)
            .filter(|t| of_events.is_empty() || of_events.contains(t))
            .collect();
        if aggregates.is_empty() {
            bail!("--event-type names no event of the aggregate types or contexts chosen");
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            bail!("--since {since} is not before --until {until}");
        }
        Ok(Resolved {
            topics: aggregates
                .into_iter()
                .map(|t| event_topic(prefix, t))
                .collect(),
            event_types,
            since: self.since,
            until: self.until,
        })
    }

    /// The selection as the manifest records it: a later run must ask for the same.
    fn describe(&self, format: Format) -> Value {
        let sorted = |items: Vec<String>| items.into_iter().collect::<BTreeSet<_>>();
        json!({
            "format": format,
            "contexts": sorted(self.contexts.clone()),
            "types": sorted(self.types.iter().map(ToString::to_string).collect()),
            "event_types": sorted(self.event_types.clone()),
            "since": self.since.map(|t| t.to_string()),
            "until": self.until.map(|t| t.to_string()),
        })
    }
}

impl Resolved {
    /// Whether an event of this type that occurred then is exported.
    fn wants(&self, event_type: &str, time: Timestamp) -> bool {
        (self.event_types.is_empty() || self.event_types.contains(event_type))
            && self.since.is_none_or(|since| time >= since)
            && self.until.is_none_or(|until| time < until)
    }
}

/// What an output directory holds: the selection, the runs and where the next one starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    topic_prefix: String,
    selection: Value,
    /// The next offset to read per topic and partition.
    positions: BTreeMap<String, BTreeMap<i32, i64>>,
    runs: Vec<Run>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Run {
    run: u32,
    started_at: String,
    finished_at: String,
    /// Events read from the log, and the ones that matched the selection and were written.
    read: u64,
    exported: u64,
    ranges: Vec<RangeRecord>,
    files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RangeRecord {
    topic: String,
    partition: i32,
    /// The offsets read: `from` up to `to`, exclusive.
    from: i64,
    to: i64,
}

impl Manifest {
    fn load(dir: &Path) -> anyhow::Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not an export manifest", path.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Written beside and renamed over the old one, so that it is whole or not at all.
    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let temporary = dir.join(format!(".{MANIFEST}.tmp"));
        let mut file = std::fs::File::create(&temporary)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(MANIFEST))?;
        Ok(())
    }

    fn position(&self, topic: &str, partition: i32) -> Option<i64> {
        self.positions.get(topic)?.get(&partition).copied()
    }
}

/// A run's file name: `part-<run>-<n>.<extension>`.
fn file_name(run: u32, n: u32, format: Format) -> String {
    format!("part-{run:06}-{n:06}.{}", format.extension())
}

/// The run number in a file name written by [`file_name`].
fn run_of(name: &str) -> Option<u32> {
    name.strip_prefix("part-")?.split('-').next()?.parse().ok()
}

/// Deletes what a run that did not finish left: files of runs the manifest does not list, and
/// temporary files. Returns how many were deleted.
fn delete_leftovers(dir: &Path, last_run: u32) -> anyhow::Result<usize> {
    let mut deleted = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if (name.starts_with('.') && name.ends_with(".tmp"))
                || run_of(&name).is_some_and(|run| run > last_run)
            {
                std::fs::remove_file(&path)
                    .with_context(|| format!("deleting {}", path.display()))?;
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}

pub(crate) async fn run(settings: &Settings, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let schemas = SchemaSet::embedded();
    let prefix = settings.kafka.topic_prefix.clone();
    let selection = args.selection.resolve(&prefix, schemas)?;
    let described = args.selection.describe(args.format);
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut manifest = match Manifest::load(out)? {
        Some(manifest) => {
            if manifest.selection != described || manifest.topic_prefix != prefix {
                bail!(
                    "{} holds an export of another selection ({}, topic prefix {}): export this \
                     one into another directory",
                    out.display(),
                    manifest.selection,
                    manifest.topic_prefix
                );
            }
            manifest
        }
        None => Manifest {
            version: 1,
            topic_prefix: prefix.clone(),
            selection: described,
            positions: BTreeMap::new(),
            runs: Vec::new(),
        },
    };
    let last_run = manifest.runs.last().map_or(0, |r| r.run);
    let leftovers = delete_leftovers(out, last_run)?;
    if leftovers > 0 {
        tracing::warn!(
            files = leftovers,
            "deleted the files of an export run that did not finish; exporting its events again"
        );
    }
    let run = last_run + 1;
    let started_at = Timestamp::from_datetime(chrono::Utc::now());

    let config = settings.event_log();
    let topics = selection.topics.clone();
    let ends = tokio::task::spawn_blocking(move || partition_ends(&config, &topics)).await??;
    let mut ranges = Vec::with_capacity(ends.len());
    for end in ends {
        let from = match manifest.position(&end.topic, end.partition) {
            Some(position) if position > end.to => bail!(
                "{}/{} ends at {} but was exported up to {position}: the topic was recreated; \
                 export into a new directory",
                end.topic,
                end.partition,
                end.to
            ),
            Some(position) => position.max(end.from),
            None => end.from,
        };
        ranges.push(PartitionRange { from, ..end });
    }
    let total: i64 = ranges.iter().map(|r| r.to - r.from).sum();

    let codec = RegistryCodec::new(&settings.registry_url())?;
    let mut records = stream_ranges(&settings.event_log(), ranges.clone())?;
    let mut writer = Writer::new(out, args.format, run, args.open_files.max(1))?;
    let mut progress = Progress::new("exporting", u64::try_from(total).unwrap_or(0));
    let mut read = 0u64;
    while let Some(record) = records.recv().await {
        let record = record?;
        read += 1;
        progress.set(read);
        if let Some((event_type, date, row)) = row(&codec, &selection, &record).await? {
            writer.push(event_type, date, row)?;
        }
    }
    let (exported, files) = writer.finish()?;
    progress.finish(read);

    for range in &ranges {
        manifest
            .positions
            .entry(range.topic.clone())
            .or_default()
            .insert(range.partition, range.to);
    }
    let ranges: Vec<RangeRecord> = ranges
        .into_iter()
        .filter(|r| r.from < r.to)
        .map(|r| RangeRecord {
            topic: r.topic,
            partition: r.partition,
            from: r.from,
            to: r.to,
        })
        .collect();
    let summary = json!({
        "run": run,
        "read": read,
        "exported": exported,
        "files": files.len(),
        "out": out,
        "manifest": out.join(MANIFEST),
    });
    manifest.runs.push(Run {
        run,
        started_at: started_at.to_string(),
        finished_at: Timestamp::from_datetime(chrono::Utc::now()).to_string(),
        read,
        exported,
        ranges,
        files,
    });
    manifest.save(out)?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// The row of one record, with its event type and day, or `None` when the selection leaves it
/// out.
async fn row(
    codec: &RegistryCodec,
    selection: &Resolved,
    record: &RawRecord,
) -> anyhow::Result<Option<(String, String, Row)>> {
    let at = || format!("{}/{}@{}", record.topic, record.partition, record.offset);
    // The headers say the type and time without decoding; the envelope is what counts.
    let event_type = header(&record.headers, "ce_type");
    let time = header(&record.headers, "ce_time").and_then(|t| t.parse::<Timestamp>().ok());
    if let (Some(event_type), Some(time)) = (event_type, time)
        && !selection.wants(event_type, time)
    {
        return Ok(None);
    }
    let bytes = record
        .value
        .as_deref()
        .with_context(|| format!("{} has no value", at()))?;
    let (event_type, value) = codec
        .decode_resolved(bytes)
        .await
        .with_context(|| format!("decoding {}", at()))?;
    // The Confluent framing: a zero byte, then the writer's schema id.
    let schema_id = bytes
        .get(1..5)
        .map(|id| i32::from_be_bytes([id[0], id[1], id[2], id[3]]));
    let (occurred_at, row) = row_of(&event_type, value, record, schema_id)
        .with_context(|| format!("exporting {}", at()))?;
    if !selection.wants(&event_type, occurred_at) {
        return Ok(None);
    }
    let date = occurred_at.to_datetime().format("%Y-%m-%d").to_string();
    Ok(Some((event_type, date, row)))
}

/// The row of a decoded event at its place in the log, and when it occurred.
fn row_of(
    event_type: &str,
    value: AvroValue,
    record: &RawRecord,
    schema_id: Option<i32>,
) -> anyhow::Result<(Timestamp, Row)> {
    let AvroValue::Record(fields) = value else {
        bail!("{event_type} is not a record");
    };
    let mut payload = Vec::with_capacity(fields.len());
    let mut metadata = Vec::new();
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("metadata", AvroValue::Record(fields)) => metadata = fields,
            (_, value) => payload.push((name, value)),
        }
    }
    let mut take = |name: &str| {
        metadata
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, value)| json_of(std::mem::replace(value, AvroValue::Null)))
            .unwrap_or_default()
    };
    let text = |value: Value| match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    };
    let occurred_text = take("occurred_at");
    let occurred_at: Timestamp = occurred_text
        .as_str()
        .and_then(|t| t.parse().ok())
        .with_context(|| format!("{event_type} has no occurred_at in its metadata"))?;
    let aggregate_type = text(take("aggregate_type"));
    let context = aggregate_type.as_deref().map(|t| {
        t.split_once('.')
            .map_or(t, |(context, _)| context)
            .to_owned()
    });
    let row = Row {
        event_id: text(take("event_id")),
        event_type: event_type.to_owned(),
        context,
        aggregate_type,
        aggregate_id: text(take("aggregate_id")),
        aggregate_version: take("aggregate_version").as_i64(),
        occurred_at: (occurred_at.to_datetime().timestamp_micros(), occurred_text),
        correlation_id: text(take("correlation_id")),
        causation_id: text(take("causation_id")),
        actor: text(take("actor")),
        topic: record.topic.clone(),
        partition: record.partition,
        offset: record.offset,
        log_time: record.timestamp_ms,
        schema_id,
        payload,
    };
    Ok((occurred_at, row))
}

/// An Avro value as JSON for JSON Lines (and for Parquet files of a type this binary has no
/// schema for): instants in RFC 3339, dates as `YYYY-MM-DD`, bytes in base64, unions as their
/// value.
fn json_of(value: AvroValue) -> Value {
    let micros = |micros: i64| {
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)))
            .unwrap_or(Value::Null)
    };
    match value {
        AvroValue::Null => Value::Null,
        AvroValue::Boolean(b) => Value::from(b),
        AvroValue::Int(n) | AvroValue::TimeMillis(n) => Value::from(n),
        AvroValue::Long(n) | AvroValue::TimeMicros(n) => Value::from(n),
        AvroValue::Float(x) => Value::from(x),
        AvroValue::Double(x) => Value::from(x),
        AvroValue::String(s) | AvroValue::Enum(_, s) => Value::from(s),
        AvroValue::Uuid(uuid) => Value::from(uuid.to_string()),
        AvroValue::Bytes(bytes) | AvroValue::Fixed(_, bytes) => {
            Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        AvroValue::Date(days) => chrono::NaiveDate::from_epoch_days(days)
            .map(|d| Value::from(d.format("%Y-%m-%d").to_string()))
            .unwrap_or(Value::Null),
        AvroValue::TimestampMicros(t) | AvroValue::LocalTimestampMicros(t) => micros(t),
        AvroValue::TimestampMillis(t) | AvroValue::LocalTimestampMillis(t) => {
            micros(t.saturating_mul(1000))
        }
        AvroValue::TimestampNanos(t) | AvroValue::LocalTimestampNanos(t) => micros(t / 1000),
        AvroValue::Union(_, value) => json_of(*value),
        AvroValue::Array(items) => Value::Array(items.into_iter().map(json_of).collect()),
        AvroValue::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(key, value)| (key, json_of(value)))
                .collect(),
        ),
        AvroValue::Record(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name, json_of(value)))
                .collect(),
        ),
        other => Value::from(format!("{other:?}")),
    }
}

/// The Arrow type a column of this Avro type gets: what [`json_of`] writes, typed.
fn arrow_type(schema: &Avro, names: &HashMap<String, Avro>) -> DataType {
    let utc = || Some(Arc::from("+00:00"));
    match schema {
        Avro::Null => DataType::Null,
        Avro::Boolean => DataType::Boolean,
        Avro::Int | Avro::TimeMillis => DataType::Int32,
        Avro::Long | Avro::TimeMicros => DataType::Int64,
        Avro::Float => DataType::Float32,
        Avro::Double => DataType::Float64,
        Avro::Date => DataType::Date32,
        Avro::TimestampMillis
        | Avro::TimestampMicros
        | Avro::TimestampNanos
        | Avro::LocalTimestampMillis
        | Avro::LocalTimestampMicros
        | Avro::LocalTimestampNanos => DataType::Timestamp(TimeUnit::Microsecond, utc()),
        Avro::Array(array) => DataType::List(Arc::new(Field::new_list_field(
            arrow_type(&array.items, names),
            true,
        ))),
        Avro::Map(map) => DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", arrow_type(&map.types, names), true),
                ])),
                false,
            )),
            false,
        ),
        Avro::Union(union) => {
            let mut variants = union.variants().iter().filter(|v| **v != Avro::Null);
            match (variants.next(), variants.next()) {
                (Some(only), None) => arrow_type(only, names),
                // Several types in one column: kept as text.
                _ => DataType::Utf8,
            }
        }
        Avro::Record(record) => DataType::Struct(
            record
                .fields
                .iter()
                .map(|f| Field::new(&f.name, arrow_type(&f.schema, names), true))
                .collect(),
        ),
        Avro::Ref { name } => names
            .get(&name.fullname(None))
            .map_or(DataType::Utf8, |schema| arrow_type(schema, names)),
        _ => DataType::Utf8,
    }
}

/// Every named type in `schema`, by full name, for [`Avro::Ref`]s to be resolved.
fn named_types(schema: &Avro, names: &mut HashMap<String, Avro>) {
    match schema {
        Avro::Record(record) => {
            names.insert(record.name.fullname(None), schema.clone());
            for field in &record.fields {
                named_types(&field.schema, names);
            }
        }
        Avro::Enum(e) => {
            names.insert(e.name.fullname(None), schema.clone());
        }
        Avro::Fixed(f) => {
            names.insert(f.name.fullname(None), schema.clone());
        }
        Avro::Array(array) => named_types(&array.items, names),
        Avro::Map(map) => named_types(&map.types, names),
        Avro::Union(union) => {
            for variant in union.variants() {
                named_types(variant, names);
            }
        }
        _ => {}
    }
}

/// The columns every row has, before its payload.
fn envelope_fields() -> Vec<Field> {
    let utc = || Some(Arc::from("+00:00"));
    vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("context", DataType::Utf8, false),
        Field::new("aggregate_type", DataType::Utf8, false),
        Field::new("aggregate_id", DataType::Utf8, false),
        Field::new("aggregate_version", DataType::Int64, false),
        Field::new(
            "occurred_at",
            DataType::Timestamp(TimeUnit::Microsecond, utc()),
            false,
        ),
        Field::new("correlation_id", DataType::Utf8, false),
        Field::new("causation_id", DataType::Utf8, false),
        Field::new("actor", DataType::Utf8, false),
        Field::new("topic", DataType::Utf8, false),
        Field::new("partition", DataType::Int32, false),
        Field::new("offset", DataType::Int64, false),
        Field::new(
            "log_time",
            DataType::Timestamp(TimeUnit::Millisecond, utc()),
            true,
        ),
        Field::new("schema_id", DataType::Int32, true),
    ]
}

/// The Arrow schema of one event type's rows: from this binary's Avro schema, or, for a type it
/// does not know (written by a newer version), inferred from the rows.
fn arrow_schema(
    schemas: &SchemaSet,
    event_type: &str,
    rows: &[Value],
) -> anyhow::Result<SchemaRef> {
    let mut fields = envelope_fields();
    let payload = match schemas.get(event_type).map(|s| &s.schema) {
        Some(schema @ Avro::Record(record)) => {
            let mut names = HashMap::new();
            named_types(schema, &mut names);
            record
                .fields
                .iter()
                .filter(|f| f.name != "metadata")
                .map(|f| Field::new(&f.name, arrow_type(&f.schema, &names), true))
                .collect::<Vec<_>>()
        }
        _ => {
            let payloads = rows.iter().filter_map(|row| row.get("payload")).cloned();
            let inferred = arrow_json::reader::infer_json_schema_from_iterator(payloads.map(Ok))?;
            inferred
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect()
        }
    };
    if !payload.is_empty() {
        fields.push(Field::new(
            "payload",
            DataType::Struct(Fields::from(payload)),
            true,
        ));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Rows converted to Arrow together, per open Parquet file.
const BATCH_ROWS: usize = 512;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 65_536;

/// One open file: an event type's events of one day, written as they come.
struct OpenFile {
    /// The encoder thread's handle on it.
    id: u64,
    /// Relative to the output directory.
    name: String,
    /// Rows not yet handed to the encoder thread.
    pending: Vec<Row>,
    rows: u64,
    /// When it was last written to, in rows pushed to the writer: the oldest is closed first.
    used: u64,
}

/// What the encoder thread is asked to do.
enum Job {
    Open {
        id: u64,
        temporary: PathBuf,
        /// `None` for JSON Lines.
        schema: Option<ParquetSchema>,
    },
    Rows {
        id: u64,
        rows: Vec<Row>,
    },
    /// Finish the file, make it durable and rename it to `path`.
    Close {
        id: u64,
        path: PathBuf,
    },
}

/// A Parquet file's Arrow schema, and whether it comes from this binary's Avro schema (then
/// columns are built from the Avro values) or was inferred from JSON (a type written by a newer
/// version: rows go through JSON).
#[derive(Debug, Clone)]
struct ParquetSchema {
    arrow: SchemaRef,
    from_avro: bool,
}

enum Sink {
    Jsonl(std::io::BufWriter<std::fs::File>),
    Parquet {
        writer: Box<parquet::arrow::ArrowWriter<std::fs::File>>,
        schema: ParquetSchema,
    },
}

/// Encodes and writes on a thread of its own, so that decoding the log and encoding the files
/// use two cores: Arrow conversion, Parquet encoding and compression, or JSON serialisation.
fn encoder(jobs: std::sync::mpsc::Receiver<Job>) -> anyhow::Result<()> {
    let mut sinks: HashMap<u64, (PathBuf, Sink)> = HashMap::new();
    for job in jobs {
        match job {
            Job::Open {
                id,
                temporary,
                schema,
            } => {
                let file = std::fs::File::create(&temporary)
                    .with_context(|| format!("creating {}", temporary.display()))?;
                let sink = match schema {
                    None => Sink::Jsonl(std::io::BufWriter::new(file)),
                    Some(schema) => Sink::Parquet {
                        writer: Box::new(parquet_writer(file, schema.arrow.clone())?),
                        schema,
                    },
                };
                sinks.insert(id, (temporary, sink));
            }
            Job::Rows { id, rows } => {
                let Some((temporary, sink)) = sinks.get_mut(&id) else {
                    bail!("rows for a file not open");
                };
                match sink {
                    Sink::Jsonl(out) => {
                        for row in rows {
                            serde_json::to_writer(&mut *out, &row.into_json())?;
                            out.write_all(b"\n")?;
                        }
                    }
                    Sink::Parquet { writer, schema } => write_batch(writer, schema, rows)
                        .with_context(|| format!("writing {}", temporary.display()))?,
                }
            }
            Job::Close { id, path } => {
                let Some((temporary, sink)) = sinks.remove(&id) else {
                    bail!("closing a file not open");
                };
                let written = match sink {
                    Sink::Jsonl(out) => out.into_inner().map_err(|e| e.into_error())?,
                    Sink::Parquet { writer, .. } => writer.into_inner()?,
                };
                written.sync_all()?;
                std::fs::rename(&temporary, &path)
                    .with_context(|| format!("renaming into {}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Writes rows into one open file per event type and day, at most `open_files` at once (the one
/// used longest ago is closed to open another), each renamed into place when closed. The files
/// are encoded on [`encoder`]'s thread, fed batches of rows.
struct Writer {
    out: PathBuf,
    format: Format,
    run: u32,
    open_files: usize,
    open: HashMap<(String, String), OpenFile>,
    schemas: HashMap<String, ParquetSchema>,
    files: Vec<String>,
    opened: u32,
    pushed: u64,
    exported: u64,
    jobs: Option<std::sync::mpsc::SyncSender<Job>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Writer {
    fn new(out: &Path, format: Format, run: u32, open_files: usize) -> anyhow::Result<Writer> {
        // A few batches in flight: the decoder runs ahead of the encoder by that much at most.
        let (jobs, receiver) = std::sync::mpsc::sync_channel(4);
        let thread = std::thread::Builder::new()
            .name("export-encoder".into())
            .spawn(move || encoder(receiver))?;
        Ok(Writer {
            out: out.to_path_buf(),
            format,
            run,
            open_files,
            open: HashMap::new(),
            schemas: HashMap::new(),
            files: Vec::new(),
            opened: 0,
            pushed: 0,
            exported: 0,
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Hands a job to the encoder thread; if it stopped, its error.
    fn send(&mut self, job: Job) -> anyhow::Result<()> {
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job).is_ok());
        if sent == Some(true) {
            return Ok(());
        }
        self.jobs = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Err(error))) => Err(error),
            Some(Err(_)) => bail!("the export's encoder thread panicked"),
            _ => bail!("the export's encoder thread stopped"),
        }
    }

    fn push(&mut self, event_type: String, date: String, row: Row) -> anyhow::Result<()> {
        self.pushed += 1;
        let key = (event_type, date);
        if !self.open.contains_key(&key) {
            if self.open.len() >= self.open_files
                && let Some(oldest) = self
                    .open
                    .iter()
                    .min_by_key(|(_, file)| file.used)
                    .map(|(key, _)| key.clone())
            {
                self.close(&oldest)?;
            }
            let file = self.create(&key.0, &key.1, &row)?;
            self.open.insert(key.clone(), file);
        }
        let pushed = self.pushed;
        let file = self.open.get_mut(&key).expect("opened above");
        file.used = pushed;
        file.rows += 1;
        file.pending.push(row);
        if file.pending.len() >= BATCH_ROWS {
            let job = Job::Rows {
                id: file.id,
                rows: std::mem::replace(&mut file.pending, Vec::with_capacity(BATCH_ROWS)),
            };
            self.send(job)?;
        }
        Ok(())
    }

    fn create(&mut self, event_type: &str, date: &str, first: &Row) -> anyhow::Result<OpenFile> {
        self.opened += 1;
        let folder = format!("event_type={event_type}/date={date}");
        let name = file_name(self.run, self.opened, self.format);
        let directory = self.out.join(&folder);
        std::fs::create_dir_all(&directory)?;
        let temporary = directory.join(format!(".{name}.tmp"));
        let schema = match self.format {
            Format::Jsonl => None,
            Format::Parquet => Some(match self.schemas.get(event_type) {
                Some(schema) => schema.clone(),
                None => {
                    let schemas = SchemaSet::embedded();
                    let schema = ParquetSchema {
                        arrow: arrow_schema(schemas, event_type, &[first.clone().into_json()])?,
                        from_avro: schemas.get(event_type).is_some(),
                    };
                    self.schemas.insert(event_type.to_owned(), schema.clone());
                    schema
                }
            }),
        };
        let id = u64::from(self.opened);
        self.send(Job::Open {
            id,
            temporary,
            schema,
        })?;
        Ok(OpenFile {
            id,
            name: format!("{folder}/{name}"),
            pending: Vec::with_capacity(BATCH_ROWS),
            rows: 0,
            used: self.pushed,
        })
    }

    /// Hands a file's last rows to the encoder thread and has it finish the file.
    fn close(&mut self, key: &(String, String)) -> anyhow::Result<()> {
        let Some(file) = self.open.remove(key) else {
            return Ok(());
        };
        if !file.pending.is_empty() {
            self.send(Job::Rows {
                id: file.id,
                rows: file.pending,
            })?;
        }
        self.send(Job::Close {
            id: file.id,
            path: self.out.join(&file.name),
        })?;
        self.files.push(file.name);
        self.exported += file.rows;
        Ok(())
    }

    /// The rows written and the files, relative to the output directory, once every file is
    /// written, durable and in place.
    fn finish(mut self) -> anyhow::Result<(u64, Vec<String>)> {
        let mut keys: Vec<(String, String)> = self.open.keys().cloned().collect();
        keys.sort();
        for key in keys {
            self.close(&key)?;
        }
        self.jobs = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result?,
            Some(Err(_)) => bail!("the export's encoder thread panicked"),
            None => bail!("the export's encoder thread stopped"),
        }
        self.files.sort();
        Ok((self.exported, self.files))
    }
}

fn parquet_writer(
    file: std::fs::File,
    schema: SchemaRef,
) -> anyhow::Result<parquet::arrow::ArrowWriter<std::fs::File>> {
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("codeflix {}", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(parquet::arrow::ArrowWriter::try_new(
        file,
        schema,
        Some(properties),
    )?)
}

/// Converts rows to one Arrow batch and hands it to the writer.
fn write_batch(
    writer: &mut parquet::arrow::ArrowWriter<std::fs::File>,
    schema: &ParquetSchema,
    rows: Vec<Row>,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if schema.from_avro {
        writer.write(&columns::batch(&schema.arrow, &rows)?)?;
        return Ok(());
    }
    let json: Vec<Value> = rows.into_iter().map(Row::into_json).collect();
    let mut decoder = arrow_json::ReaderBuilder::new(schema.arrow.clone())
        .with_batch_size(json.len())
        .build_decoder()?;
    decoder.serialize(&json)?;
    if let Some(batch) = decoder.flush()? {
        writer.write(&batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_numbers_are_read_back_from_file_names() {
        let name = file_name(12, 3, Format::Parquet);
        assert_eq!(name, "part-000012-000003.parquet");
        assert_eq!(run_of(&name), Some(12));
        assert_eq!(run_of("notes.txt"), None);
    }

    #[test]
    fn every_event_schema_has_typed_columns() {
        let schemas = SchemaSet::embedded();
        let mut count = 0;
        for schema in schemas.events() {
            let arrow = arrow_schema(schemas, &schema.fullname, &[]).unwrap();
            let metadata = arrow.field_with_name("occurred_at").unwrap();
            assert!(matches!(metadata.data_type(), DataType::Timestamp(..)));
            if let Ok(payload) = arrow.field_with_name("payload") {
                let DataType::Struct(fields) = payload.data_type() else {
                    panic!("{}: payload is {:?}", schema.fullname, payload.data_type());
                };
                assert!(!fields.is_empty(), "{}", schema.fullname);
            }
            count += 1;
        }
        assert!(count > 40, "{count} event schemas");
    }

    /// A value of every field: the first symbol of an enum, one item in an array, the non-null
    /// branch of a union.
    fn sample(schema: &Avro, names: &HashMap<String, Avro>) -> AvroValue {
        match schema {
            Avro::Null => AvroValue::Null,
            Avro::Boolean => AvroValue::Boolean(true),
            Avro::Int | Avro::TimeMillis => AvroValue::Int(7),
            Avro::Long | Avro::TimeMicros => AvroValue::Long(7),
            Avro::Float => AvroValue::Float(1.5),
            Avro::Double => AvroValue::Double(2.5),
            Avro::Date => AvroValue::Date(20_000),
            Avro::TimestampMicros => AvroValue::TimestampMicros(1_790_000_000_123_456),
            Avro::TimestampMillis => AvroValue::TimestampMillis(1_790_000_000_123),
            Avro::Enum(e) => AvroValue::Enum(0, e.symbols[0].clone()),
            Avro::Array(array) => AvroValue::Array(vec![sample(&array.items, names)]),
            Avro::Map(map) => AvroValue::Map([("k".to_owned(), sample(&map.types, names))].into()),
            Avro::Union(union) => {
                let (index, variant) = union
                    .variants()
                    .iter()
                    .enumerate()
                    .find(|(_, v)| **v != Avro::Null)
                    .unwrap();
                AvroValue::Union(index as u32, Box::new(sample(variant, names)))
            }
            Avro::Record(record) => AvroValue::Record(
                record
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), sample(&f.schema, names)))
                    .collect(),
            ),
            Avro::Ref { name } => sample(&names[&name.fullname(None)], names),
            _ => AvroValue::String("7a171bb3-6cec-54ef-83fd-ec04ccd36537".into()),
        }
    }

    #[test]
    fn every_event_type_is_written_as_parquet_and_read_back() {
        let schemas = SchemaSet::embedded();
        let record = RawRecord {
            topic: "codeflix.catalog.video.events".into(),
            partition: 2,
            offset: 41,
            timestamp_ms: Some(1_790_000_000_123),
            key: None,
            value: None,
            headers: Vec::new(),
        };
        let folder = tempfile::tempdir().unwrap();
        for schema in schemas.events() {
            let mut names = HashMap::new();
            named_types(&schema.schema, &mut names);
            let value = sample(&schema.schema, &names);
            let (occurred_at, row) = row_of(&schema.fullname, value, &record, Some(3)).unwrap();
            assert_eq!(occurred_at.to_string(), "2026-09-21T14:13:20.123456Z");
            let rows = vec![row.clone(), row];
            let path = folder.path().join(format!("{}.parquet", schema.fullname));
            let json: Vec<Value> = rows.iter().cloned().map(Row::into_json).collect();
            let arrow = arrow_schema(schemas, &schema.fullname, &json).unwrap();
            // Built from the Avro values, the columns are what the JSON reader makes of the
            // rows' JSON.
            let direct = columns::batch(&arrow, &rows)
                .unwrap_or_else(|e| panic!("{}: {e:#}", schema.fullname));
            let mut decoder = arrow_json::ReaderBuilder::new(arrow.clone())
                .build_decoder()
                .unwrap();
            decoder.serialize(&json).unwrap();
            let through_json = decoder.flush().unwrap().unwrap();
            assert_eq!(direct, through_json, "{}", schema.fullname);
            let mut writer =
                parquet_writer(std::fs::File::create(&path).unwrap(), arrow.clone()).unwrap();
            let parquet_schema = ParquetSchema {
                arrow: arrow.clone(),
                from_avro: true,
            };
            write_batch(&mut writer, &parquet_schema, rows)
                .unwrap_or_else(|e| panic!("{}: {e:#}", schema.fullname));
            writer.close().unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap();
            let batches: Vec<_> = reader.map(Result::unwrap).collect();
            let read: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert_eq!(read, 2, "{}", schema.fullname);
            let offsets = batches[0]
                .column_by_name("offset")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow_array::Int64Array>()
                .unwrap();
            assert_eq!(offsets.value(0), 41);
        }
    }

    #[test]
    fn a_selection_names_what_it_does_not_know() {
        let schemas = SchemaSet::embedded();
        let selection = |contexts: &[&str], types: &[&str], event_types: &[&str]| Selection {
            contexts: contexts.iter().map(|s| s.to_string()).collect(),
            types: types.iter().map(|s| s.parse().unwrap()).collect(),
            event_types: event_types.iter().map(|s| s.to_string()).collect(),
            since: None,
            until: None,
        };
        let error = |s: Selection| s.resolve("codeflix", schemas).unwrap_err().to_string();
        assert!(error(selection(&["films"], &[], &[])).starts_with("--context films"));
        assert!(error(selection(&[], &[], &["VideoUplaoded"])).starts_with("--event-type"));
        assert!(error(selection(&["accounts"], &["catalog.video"], &[])).starts_with("--type"));

        let resolved = selection(&[], &[], &["VideoUploaded"])
            .resolve("codeflix", schemas)
            .unwrap();
        assert_eq!(resolved.topics, ["codeflix.catalog.video.events"]);
        assert!(resolved.wants(
            "codeflix.catalog.video.VideoUploaded",
            Timestamp::from_datetime(chrono::Utc::now())
        ));
        assert!(!resolved.wants(
            "codeflix.catalog.video.VideoCreated",
            Timestamp::from_datetime(chrono::Utc::now())
        ));
        let all = selection(&["catalog"], &[], &[])
            .resolve("codeflix", schemas)
            .unwrap();
        assert_eq!(all.topics.len(), 4, "{:?}", all.topics);
    }
}
