//! Reading event topics back: for operators' tools, analysts and the tests that check the log.

use std::time::{Duration, Instant};

use codeflix_domain::{AnyEvent, Envelope};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::EventLogError;
use crate::codec::RegistryCodec;
use crate::config::EventLogConfig;

/// One message of an event topic, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
}

/// A record with its decoded event.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRecord {
    pub raw: RawRecord,
    pub envelope: Envelope<AnyEvent>,
}

impl RawRecord {
    /// An owned copy of a consumed message; header values as (lossy) UTF-8.
    pub fn from_message(message: &impl Message) -> RawRecord {
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                        (h.key.to_owned(), value.into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        RawRecord {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            timestamp_ms: message.timestamp().to_millis(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers,
        }
    }
}

fn kafka(e: impl Into<crate::store::BoxError>) -> EventLogError {
    EventLogError::kafka("reading topics", e)
}

/// Every record `topics` hold now (up to each partition's end when called), read partition by
/// partition.
pub async fn read_snapshot(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<Vec<RawRecord>, EventLogError> {
    let mut stream = stream_snapshot(config, topics)?;
    let mut records = Vec::new();
    while let Some(record) = stream.recv().await {
        records.push(record?);
    }
    Ok(records)
}

/// [`read_snapshot`] as a stream: records arrive as they are read, a few hundred at most held
/// between the reader and the caller, so that tools over whole topics run in constant memory.
/// Dropping the receiver stops the reading.
pub fn stream_snapshot(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>, EventLogError> {
    let consumer: BaseConsumer = config
        .reader(&format!("codeflix-reader-{}", uuid::Uuid::new_v4()))
        .create()
        .map_err(kafka)?;
    let topics = topics.to_vec();
    let (sender, receiver) = tokio::sync::mpsc::channel(512);
    tokio::task::spawn_blocking(move || {
        if let Err(error) = read_blocking(&consumer, &topics, &sender) {
            let _ = sender.blocking_send(Err(error));
        }
    });
    Ok(receiver)
}

/// Sends every record to `sender`; stops early (with `Ok`) once nobody receives.
fn read_blocking(
    consumer: &BaseConsumer,
    topics: &[String],
    sender: &tokio::sync::mpsc::Sender<Result<RawRecord, EventLogError>>,
) -> Result<(), EventLogError> {
    let timeout = Duration::from_secs(30);
    let metadata = consumer.fetch_metadata(None, timeout).map_err(kafka)?;
    for topic in topics {
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            continue;
        };
        for partition in found.partitions() {
            let id = partition.id();
            let (low, high) = consumer
                .fetch_watermarks(topic, id, timeout)
                .map_err(kafka)?;
            if low >= high {
                continue;
            }
            let mut assignment = TopicPartitionList::new();
            assignment
                .add_partition_offset(topic, id, Offset::Offset(low))
                .map_err(kafka)?;
            consumer.assign(&assignment).map_err(kafka)?;
            let mut progress = Instant::now();
            let mut next = low;
            while next < high {
                if progress.elapsed() > Duration::from_secs(300) {
                    return Err(EventLogError::kafka_refused(format!(
                        "reading {topic}/{id} up to {high}: no progress for 300 s at {next}"
                    )));
                }
                let Some(message) = consumer.poll(Duration::from_millis(500)) else {
                    continue;
                };
                let message = match message {
                    Ok(message) => message,
                    Err(rdkafka::error::KafkaError::PartitionEOF(_)) => continue,
                    Err(error) => return Err(kafka(error)),
                };
                progress = Instant::now();
                next = message.offset() + 1;
                if sender
                    .blocking_send(Ok(RawRecord::from_message(&message)))
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Decodes records through the registry.
pub async fn decode_all(
    codec: &RegistryCodec,
    records: Vec<RawRecord>,
) -> Result<Vec<DecodedRecord>, EventLogError> {
    let mut decoded = Vec::with_capacity(records.len());
    for raw in records {
        let value = raw.value.as_deref().ok_or_else(|| {
            EventLogError::Decode(format!(
                "{}/{}@{} has no value",
                raw.topic, raw.partition, raw.offset
            ))
        })?;
        let envelope = codec.decode(value).await?;
        decoded.push(DecodedRecord { raw, envelope });
    }
    Ok(decoded)
}
