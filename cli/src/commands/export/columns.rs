//! The export's rows, and Arrow columns built from them directly: the metadata as typed values,
//! the payload as the decoded Avro values themselves, converted column by column for Parquet
//! (no JSON between Avro and Arrow), or to JSON for JSON Lines and for event types this binary
//! has no schema for.

use std::sync::Arc;

use anyhow::{Context, bail};
use apache_avro::types::Value as AvroValue;
use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float32Array, Float64Array, Int32Array, Int64Array,
    ListArray, MapArray, NullArray, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray, TimestampMillisecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

use super::json_of;

/// One event at its place in the log, as the export writes it.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) event_id: Option<String>,
    pub(super) event_type: String,
    pub(super) context: Option<String>,
    pub(super) aggregate_type: Option<String>,
    pub(super) aggregate_id: Option<String>,
    pub(super) aggregate_version: Option<i64>,
    /// Microseconds since the epoch, and as the metadata wrote it.
    pub(super) occurred_at: (i64, Value),
    pub(super) correlation_id: Option<String>,
    pub(super) causation_id: Option<String>,
    pub(super) actor: Option<String>,
    pub(super) topic: String,
    pub(super) partition: i32,
    pub(super) offset: i64,
    /// The record's time, milliseconds since the epoch.
    pub(super) log_time: Option<i64>,
    pub(super) schema_id: Option<i32>,
    /// The event's fields but its metadata, as decoded.
    pub(super) payload: Vec<(String, AvroValue)>,
}

impl Row {
    /// The row as JSON: what a JSON Lines file holds, instants in RFC 3339.
    pub(super) fn into_json(self) -> Value {
        let text = |t: Option<String>| t.map_or(Value::Null, Value::from);
        let mut row = Map::new();
        row.insert("event_id".into(), text(self.event_id));
        row.insert("event_type".into(), Value::from(self.event_type));
        row.insert("context".into(), text(self.context));
        row.insert("aggregate_type".into(), text(self.aggregate_type));
        row.insert("aggregate_id".into(), text(self.aggregate_id));
        row.insert(
            "aggregate_version".into(),
            self.aggregate_version.map_or(Value::Null, Value::from),
        );
        row.insert("occurred_at".into(), self.occurred_at.1);
        row.insert("correlation_id".into(), text(self.correlation_id));
        row.insert("causation_id".into(), text(self.causation_id));
        row.insert("actor".into(), text(self.actor));
        row.insert("topic".into(), Value::from(self.topic));
        row.insert("partition".into(), Value::from(self.partition));
        row.insert("offset".into(), Value::from(self.offset));
        let log_time = self
            .log_time
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        row.insert("log_time".into(), Value::from(log_time));
        row.insert("schema_id".into(), Value::from(self.schema_id));
        if !self.payload.is_empty() {
            let payload = self
                .payload
                .into_iter()
                .map(|(name, value)| (name, json_of(value)))
                .collect();
            row.insert("payload".into(), Value::Object(payload));
        }
        Value::Object(row)
    }
}

/// `rows` as one record batch of `schema` (an event type's schema from its Avro schema).
pub(super) fn batch(schema: &SchemaRef, rows: &[Row]) -> anyhow::Result<RecordBatch> {
    let texts = |get: fn(&Row) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(get).collect::<StringArray>())
    };
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let column: ArrayRef = match field.name().as_str() {
            "event_id" => texts(|r| r.event_id.as_deref()),
            "event_type" => texts(|r| Some(&r.event_type)),
            "context" => texts(|r| r.context.as_deref()),
            "aggregate_type" => texts(|r| r.aggregate_type.as_deref()),
            "aggregate_id" => texts(|r| r.aggregate_id.as_deref()),
            "aggregate_version" => Arc::new(
                rows.iter()
                    .map(|r| r.aggregate_version)
                    .collect::<Int64Array>(),
            ),
            "occurred_at" => Arc::new(
                rows.iter()
                    .map(|r| Some(r.occurred_at.0))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("+00:00"),
            ),
            "correlation_id" => texts(|r| r.correlation_id.as_deref()),
            "causation_id" => texts(|r| r.causation_id.as_deref()),
            "actor" => texts(|r| r.actor.as_deref()),
            "topic" => texts(|r| Some(&r.topic)),
            "partition" => Arc::new(
                rows.iter()
                    .map(|r| Some(r.partition))
                    .collect::<Int32Array>(),
            ),
            "offset" => Arc::new(rows.iter().map(|r| Some(r.offset)).collect::<Int64Array>()),
            "log_time" => Arc::new(
                rows.iter()
                    .map(|r| r.log_time)
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("+00:00"),
            ),
            "schema_id" => Arc::new(rows.iter().map(|r| r.schema_id).collect::<Int32Array>()),
            "payload" => {
                let DataType::Struct(fields) = field.data_type() else {
                    bail!("the payload column is not a struct");
                };
                let values: Vec<Option<&[(String, AvroValue)]>> =
                    rows.iter().map(|r| Some(r.payload.as_slice())).collect();
                struct_column(fields, &values)?
            }
            other => bail!("no column {other} in an export row"),
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema.clone(), columns).context("assembling the batch")
}

/// A struct column from records' fields (`None`: a null struct).
fn struct_column(
    fields: &arrow_schema::Fields,
    values: &[Option<&[(String, AvroValue)]>],
) -> anyhow::Result<ArrayRef> {
    let mut children = Vec::with_capacity(fields.len());
    for field in fields {
        let column: Vec<Option<&AvroValue>> = values
            .iter()
            .map(|record| {
                record.and_then(|fields| {
                    fields
                        .iter()
                        .find(|(name, _)| name == field.name())
                        .map(|(_, value)| value)
                })
            })
            .collect();
        children.push(
            column_of(field.data_type(), &column)
                .with_context(|| format!("column {}", field.name()))?,
        );
    }
    let nulls = validity(values);
    if fields.is_empty() {
        return Ok(Arc::new(StructArray::new_empty_fields(values.len(), nulls)));
    }
    Ok(Arc::new(StructArray::try_new(
        fields.clone(),
        children,
        nulls,
    )?))
}

/// Which of `values` are present, or `None` when all are (an array without a null buffer).
fn validity<T>(values: &[Option<T>]) -> Option<NullBuffer> {
    let nulls: NullBuffer = values.iter().map(Option::is_some).collect();
    (nulls.null_count() > 0).then_some(nulls)
}

/// A value with its unions unwrapped; `None` for null.
fn present(value: Option<&AvroValue>) -> Option<&AvroValue> {
    match value? {
        AvroValue::Null => None,
        AvroValue::Union(_, inner) => present(Some(inner)),
        other => Some(other),
    }
}

/// One column of `data_type` from Avro values (what [`json_of`] and the JSON reader would make
/// of them, without the JSON).
fn column_of(data_type: &DataType, values: &[Option<&AvroValue>]) -> anyhow::Result<ArrayRef> {
    let values: Vec<Option<&AvroValue>> = values.iter().map(|v| present(*v)).collect();
    let wrong = |value: &AvroValue| anyhow::anyhow!("{value:?} in a {data_type} column");
    macro_rules! primitive {
        ($array:ty, $($pattern:pat => $out:expr),+ $(,)?) => {{
            let mut out = Vec::with_capacity(values.len());
            for value in &values {
                out.push(match value {
                    None => None,
                    $(Some($pattern) => Some($out),)+
                    Some(other) => return Err(wrong(other)),
                });
            }
            Arc::new(out.into_iter().collect::<$array>()) as ArrayRef
        }};
    }
    Ok(match data_type {
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::Boolean => primitive!(BooleanArray, AvroValue::Boolean(b) => *b),
        DataType::Int32 => primitive!(Int32Array,
            AvroValue::Int(n) | AvroValue::TimeMillis(n) => *n),
        DataType::Int64 => primitive!(Int64Array,
            AvroValue::Long(n) | AvroValue::TimeMicros(n) => *n,
            AvroValue::Int(n) => i64::from(*n)),
        DataType::Float32 => primitive!(Float32Array, AvroValue::Float(x) => *x),
        DataType::Float64 => primitive!(Float64Array,
            AvroValue::Double(x) => *x,
            AvroValue::Float(x) => f64::from(*x)),
        DataType::Date32 => primitive!(Date32Array, AvroValue::Date(days) => *days),
        DataType::Timestamp(TimeUnit::Microsecond, zone) => {
            let array = primitive!(TimestampMicrosecondArray,
                AvroValue::TimestampMicros(t) | AvroValue::LocalTimestampMicros(t) => *t,
                AvroValue::TimestampMillis(t) | AvroValue::LocalTimestampMillis(t) => t.saturating_mul(1000),
                AvroValue::TimestampNanos(t) | AvroValue::LocalTimestampNanos(t) => t / 1000);
            match zone {
                Some(zone) => Arc::new(
                    array
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()
                        .expect("built above")
                        .clone()
                        .with_timezone(zone.clone()),
                ),
                None => array,
            }
        }
        DataType::Utf8 => {
            let mut out = StringBuilder::with_capacity(values.len(), values.len() * 16);
            for value in &values {
                match value {
                    None => out.append_null(),
                    Some(AvroValue::String(s) | AvroValue::Enum(_, s)) => out.append_value(s),
                    Some(AvroValue::Uuid(uuid)) => out.append_value(uuid.to_string()),
                    Some(other) => match json_of((*other).clone()) {
                        Value::String(s) => out.append_value(s),
                        Value::Null => out.append_null(),
                        json => out.append_value(json.to_string()),
                    },
                }
            }
            Arc::new(out.finish())
        }
        DataType::List(item) => {
            let mut lengths = Vec::with_capacity(values.len());
            let mut items = Vec::new();
            for value in &values {
                match value {
                    None => lengths.push(0),
                    Some(AvroValue::Array(elements)) => {
                        lengths.push(elements.len());
                        items.extend(elements.iter().map(Some));
                    }
                    Some(other) => return Err(wrong(other)),
                }
            }
            Arc::new(ListArray::try_new(
                item.clone(),
                OffsetBuffer::from_lengths(lengths),
                column_of(item.data_type(), &items)?,
                validity(&values),
            )?)
        }
        DataType::Map(entries, ordered) => {
            let DataType::Struct(pair) = entries.data_type() else {
                bail!("a map's entries are not a struct");
            };
            let value_type = pair[1].data_type();
            let mut lengths = Vec::with_capacity(values.len());
            let mut keys = StringBuilder::new();
            let mut items = Vec::new();
            for value in &values {
                match value {
                    None => lengths.push(0),
                    Some(AvroValue::Map(map)) => {
                        lengths.push(map.len());
                        let mut sorted: Vec<_> = map.iter().collect();
                        sorted.sort_by(|a, b| a.0.cmp(b.0));
                        for (key, item) in sorted {
                            keys.append_value(key);
                            items.push(Some(item));
                        }
                    }
                    Some(other) => return Err(wrong(other)),
                }
            }
            let pairs = StructArray::try_new(
                pair.clone(),
                vec![Arc::new(keys.finish()), column_of(value_type, &items)?],
                None,
            )?;
            Arc::new(MapArray::try_new(
                entries.clone(),
                OffsetBuffer::from_lengths(lengths),
                pairs,
                validity(&values),
                *ordered,
            )?)
        }
        DataType::Struct(fields) => {
            let mut records = Vec::with_capacity(values.len());
            for value in &values {
                records.push(match value {
                    None => None,
                    Some(AvroValue::Record(fields)) => Some(fields.as_slice()),
                    Some(other) => return Err(wrong(other)),
                });
            }
            struct_column(fields, &records)?
        }
        other => bail!("no Arrow column of type {other} from Avro"),
    })
}
