//! Reading event topics back: for operators' tools, analysts and the tests that check the log.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_domain::{AnyEvent, Envelope};
use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
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

/// Every record `topics` hold now (up to each partition's end when called), each partition in its
/// own order.
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

/// [`read_snapshot`] as a stream: records arrive as they are read, every partition at once (each
/// in its own order, partitions interleaved), a few hundred at most held between the reader and
/// the caller, so that tools over whole topics run in constant memory. Dropping the receiver stops
/// the reading.
pub fn stream_snapshot(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>, EventLogError> {
    let consumer = tool_reader(config)?;
    let topics = topics.to_vec();
    let (sender, receiver) = tokio::sync::mpsc::channel(512);
    tokio::task::spawn_blocking(move || {
        let read = ranges(&consumer, &topics).and_then(|ranges| {
            let ranges = ranges.into_iter().filter(|r| r.next < r.high);
            read_together(&consumer, ranges, &sender)
        });
        if let Err(error) = read {
            let _ = sender.blocking_send(Err(error));
        }
    });
    Ok(receiver)
}

/// One partition's records from offset `from` up to `to` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRange {
    pub topic: String,
    pub partition: i32,
    pub from: i64,
    pub to: i64,
}

/// Every partition of `topics` that exists now, from its first offset held to its end now (equal
/// when it holds nothing). Blocks on the broker: call it from a blocking task.
pub fn partition_ends(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<Vec<PartitionRange>, EventLogError> {
    let consumer = tool_reader(config)?;
    Ok(ranges(&consumer, topics)?
        .into_iter()
        .map(|r| PartitionRange {
            topic: r.topic,
            partition: r.partition,
            from: r.next,
            to: r.high,
        })
        .collect())
}

/// The records of `ranges`, streamed as [`stream_snapshot`] streams them: for tools that continue
/// where an earlier run ended.
pub fn stream_ranges(
    config: &EventLogConfig,
    ranges: Vec<PartitionRange>,
) -> Result<tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>, EventLogError> {
    let (sender, receiver) = tokio::sync::mpsc::channel(512);
    let ranges: Vec<PartitionRange> = ranges.into_iter().filter(|r| r.from < r.to).collect();
    if ranges.is_empty() {
        // Nothing to read: no consumer to start and stop (a tenth of a second each).
        return Ok(receiver);
    }
    let consumer = tool_reader(config)?;
    tokio::task::spawn_blocking(move || {
        let ranges = ranges.into_iter().map(|r| Range {
            topic: r.topic,
            partition: r.partition,
            next: r.from,
            high: r.to,
        });
        if let Err(error) = read_together(&consumer, ranges, &sender) {
            let _ = sender.blocking_send(Err(error));
        }
    });
    Ok(receiver)
}

/// Sends every record of `ranges` to `sender`, all partitions assigned at once (one fetch per
/// broker brings several partitions; switching partitions one by one costs a round of fetches
/// each), skipping what a partition has past its end. Stops early (with `Ok`) once nobody
/// receives.
fn read_together(
    consumer: &BaseConsumer,
    ranges: impl IntoIterator<Item = Range>,
    sender: &tokio::sync::mpsc::Sender<Result<RawRecord, EventLogError>>,
) -> Result<(), EventLogError> {
    let mut left: std::collections::HashMap<(String, i32), i64> = Default::default();
    let mut assignment = TopicPartitionList::new();
    for range in ranges {
        assignment
            .add_partition_offset(&range.topic, range.partition, Offset::Offset(range.next))
            .map_err(kafka)?;
        left.insert((range.topic, range.partition), range.high);
    }
    if left.is_empty() {
        return Ok(());
    }
    consumer.assign(&assignment).map_err(kafka)?;
    let mut progress = Instant::now();
    while !left.is_empty() {
        if progress.elapsed() > Duration::from_secs(300) {
            let mut waiting: Vec<String> = left.keys().map(|(t, p)| format!("{t}/{p}")).collect();
            waiting.sort();
            return Err(EventLogError::kafka_refused(format!(
                "reading {}: no progress for 300 s",
                waiting.join(", ")
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
        let key = (message.topic().to_owned(), message.partition());
        let Some(&high) = left.get(&key) else {
            // A partition already read to its end.
            continue;
        };
        progress = Instant::now();
        if message.offset() < high
            && sender
                .blocking_send(Ok(RawRecord::from_message(&message)))
                .is_err()
        {
            return Ok(());
        }
        if message.offset() + 1 >= high {
            // Not paused: a consumer with paused partitions could hang when dropped (a scheduler
            // test's reads never ended). What it fetches past the end is skipped above.
            left.remove(&key);
        }
    }
    Ok(())
}

/// A consumer for tools that read whole topics: a group of its own, and a prefetch of at most
/// about 4 MiB or 2,000 records per partition (librdkafka's defaults, 64 MiB and 100,000, would
/// hold a topic of any size that fits), refilled 10 ms after it falls below that (the default
/// waits a second, which made reading 2 KiB records six times slower).
fn tool_reader(config: &EventLogConfig) -> Result<BaseConsumer, EventLogError> {
    let mut client = config.reader(&format!("codeflix-reader-{}", uuid::Uuid::new_v4()));
    client
        .set("queued.min.messages", "2000")
        .set("queued.max.messages.kbytes", "4096")
        .set("fetch.queue.backoff.ms", "10");
    client.create().map_err(kafka)
}

/// [`stream_snapshot`] merged across partitions in time order: by `ce_time`, then topic,
/// partition and offset, each partition read in its own order (a partition whose records are
/// not in time order comes out in its own order). Holds one record per partition besides the
/// prefetch, whatever the length of the log.
pub fn stream_in_time_order(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>, EventLogError> {
    let consumer = Arc::new(tool_reader(config)?);
    let topics = topics.to_vec();
    let (sender, receiver) = tokio::sync::mpsc::channel(512);
    tokio::task::spawn_blocking(move || {
        if let Err(error) = merge_blocking(&consumer, &topics, &sender) {
            let _ = sender.blocking_send(Err(error));
        }
    });
    Ok(receiver)
}

/// One partition to read: up to `high`, reading `next`.
struct Range {
    topic: String,
    partition: i32,
    next: i64,
    high: i64,
}

/// Every partition of `topics`, each from its first offset to its end now.
fn ranges(consumer: &BaseConsumer, topics: &[String]) -> Result<Vec<Range>, EventLogError> {
    let timeout = Duration::from_secs(30);
    let metadata = consumer.fetch_metadata(None, timeout).map_err(kafka)?;
    let mut partitions = Vec::new();
    for topic in topics {
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            continue;
        };
        partitions.extend(found.partitions().iter().map(|p| (topic.clone(), p.id())));
    }
    // Both ends of every partition in one request per broker each; asked partition by
    // partition, 27 partitions took a third of a second.
    let ends = |at: Offset| -> Result<TopicPartitionList, EventLogError> {
        let mut asked = TopicPartitionList::new();
        for (topic, partition) in &partitions {
            asked
                .add_partition_offset(topic, *partition, at)
                .map_err(kafka)?;
        }
        consumer.offsets_for_times(asked, timeout).map_err(kafka)
    };
    let (lows, highs) = match (ends(Offset::Beginning), ends(Offset::End)) {
        (Ok(lows), Ok(highs)) => (Some(lows), Some(highs)),
        _ => (None, None),
    };
    let known = |list: &Option<TopicPartitionList>, topic: &str, partition: i32| match list
        .as_ref()?
        .find_partition(topic, partition)?
        .offset()
    {
        Offset::Offset(offset) => Some(offset),
        _ => None,
    };
    let mut ranges = Vec::with_capacity(partitions.len());
    for (topic, partition) in partitions {
        let (low, high) = match (
            known(&lows, &topic, partition),
            known(&highs, &topic, partition),
        ) {
            (Some(low), Some(high)) => (low, high),
            // A broker that did not answer for every partition at once: one at a time.
            _ => consumer
                .fetch_watermarks(&topic, partition, timeout)
                .map_err(kafka)?,
        };
        ranges.push(Range {
            topic,
            partition,
            next: low,
            high,
        });
    }
    Ok(ranges)
}

/// The order records are merged in: time, topic, partition, offset, then the partition's index.
type MergeKey = Reverse<(Option<String>, String, i32, i64, usize)>;

fn merge_key(record: &RawRecord, index: usize) -> MergeKey {
    let time = crate::headers::header(&record.headers, "ce_time").map(str::to_owned);
    Reverse((
        time,
        record.topic.clone(),
        record.partition,
        record.offset,
        index,
    ))
}

/// Sends every record of `topics` to `sender` in time order; stops early (with `Ok`) once
/// nobody receives.
fn merge_blocking(
    consumer: &Arc<BaseConsumer>,
    topics: &[String],
    sender: &tokio::sync::mpsc::Sender<Result<RawRecord, EventLogError>>,
) -> Result<(), EventLogError> {
    let mut ranges: Vec<Range> = ranges(consumer, topics)?
        .into_iter()
        .filter(|r| r.next < r.high)
        .collect();
    if ranges.is_empty() {
        return Ok(());
    }
    let mut assignment = TopicPartitionList::new();
    for range in &ranges {
        assignment
            .add_partition_offset(&range.topic, range.partition, Offset::Offset(range.next))
            .map_err(kafka)?;
    }
    consumer.assign(&assignment).map_err(kafka)?;
    // Split before the first poll, so that every message arrives on its partition's queue.
    let queues = ranges
        .iter()
        .map(|r| {
            consumer
                .split_partition_queue(&r.topic, r.partition)
                .ok_or_else(|| {
                    EventLogError::kafka_refused(format!(
                        "no queue for {}/{}",
                        r.topic, r.partition
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut heads: Vec<Option<RawRecord>> = vec![None; ranges.len()];
    let mut order = BinaryHeap::with_capacity(ranges.len());
    for (index, range) in ranges.iter_mut().enumerate() {
        if let Some(record) = next_record(consumer, &queues[index], range)? {
            order.push(merge_key(&record, index));
            heads[index] = Some(record);
        }
    }
    while let Some(Reverse((.., index))) = order.pop() {
        let Some(record) = heads[index].take() else {
            continue;
        };
        if sender.blocking_send(Ok(record)).is_err() {
            return Ok(());
        }
        if let Some(record) = next_record(consumer, &queues[index], &mut ranges[index])? {
            order.push(merge_key(&record, index));
            heads[index] = Some(record);
        }
    }
    Ok(())
}

/// The partition's next record, or `None` at its end.
fn next_record(
    consumer: &BaseConsumer,
    queue: &PartitionQueue<DefaultConsumerContext>,
    range: &mut Range,
) -> Result<Option<RawRecord>, EventLogError> {
    let started = Instant::now();
    while range.next < range.high {
        if started.elapsed() > Duration::from_secs(300) {
            return Err(EventLogError::kafka_refused(format!(
                "reading {}/{} up to {}: no progress for 300 s at {}",
                range.topic, range.partition, range.high, range.next
            )));
        }
        // The main queue serves callbacks; a message there would be out of its partition.
        if let Some(stray) = consumer.poll(Duration::ZERO) {
            let stray = stray.map_err(kafka)?;
            return Err(EventLogError::kafka_refused(format!(
                "{}/{}@{} arrived outside its partition's queue",
                stray.topic(),
                stray.partition(),
                stray.offset()
            )));
        }
        let Some(message) = queue.poll(Duration::from_millis(500)) else {
            continue;
        };
        let message = match message {
            Ok(message) => message,
            Err(rdkafka::error::KafkaError::PartitionEOF(_)) => continue,
            Err(error) => return Err(kafka(error)),
        };
        range.next = message.offset() + 1;
        return Ok(Some(RawRecord::from_message(&message)));
    }
    Ok(None)
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
