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

/// Every message of `topics` that exists now (up to each partition's high watermark), in
/// partition then offset order. Topics that do not exist are skipped.
pub async fn read_snapshot(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<Vec<RawRecord>, EventLogError> {
    let consumer: BaseConsumer = config
        .reader(&format!("codeflix-reader-{}", uuid::Uuid::new_v4()))
        .create()
        .map_err(kafka)?;
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || read_blocking(&consumer, &topics))
        .await
        .map_err(kafka)?
}

fn read_blocking(
    consumer: &BaseConsumer,
    topics: &[String],
) -> Result<Vec<RawRecord>, EventLogError> {
    let timeout = Duration::from_secs(30);
    let metadata = consumer.fetch_metadata(None, timeout).map_err(kafka)?;
    let mut records = Vec::new();
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
            let deadline = Instant::now() + Duration::from_secs(300);
            let mut next = low;
            while next < high {
                if Instant::now() > deadline {
                    return Err(EventLogError::kafka_refused(format!(
                        "reading {topic}/{id} up to {high} timed out at {next}"
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
                next = message.offset() + 1;
                records.push(RawRecord::from_message(&message));
            }
        }
    }
    Ok(records)
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
