//! Dead letters: events a projection cannot decode or apply, kept in a topic with the reason and
//! where they came from, so the projection carries on and an operator can look and re-drive.
//!
//! Each projection has `<prefix>.projector.<name>.dlq` (the dead letters, original key, value and
//! headers plus `codeflix_dlq_*` headers) and `<prefix>.projector.<name>.redrive`, which the
//! projection consumes like an event topic. Re-driving copies dead letters not re-driven yet onto
//! the redrive topic, in order, and records how far it got as the offset of the consumer group
//! `codeflix-dlq-redrive-<name>` on the dead-letter topic.
//!
//! A dead letter can be written twice (the projector stops after sending it and before committing
//! its position, then meets the event again); [`Letters`] shows each source position once.
//! Listing and re-driving read the dead-letter topic as a stream, so their memory does not grow
//! with its length (only with the number of distinct source positions).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use codeflix_domain::redact::redact;
use codeflix_domain::{AnyEvent, Envelope};
use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::EventLogError;
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::headers::header;
use codeflix_eventlog::reader::{RawRecord, stream_snapshot};
use futures::future::try_join_all;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use crate::{ConsumerError, kafka};

pub const REASON: &str = "codeflix_dlq_reason";
pub const SOURCE_TOPIC: &str = "codeflix_dlq_topic";
pub const SOURCE_PARTITION: &str = "codeflix_dlq_partition";
pub const SOURCE_OFFSET: &str = "codeflix_dlq_offset";
pub const PROJECTION: &str = "codeflix_dlq_projection";

pub fn dead_letter_topic(prefix: &str, projection: &str) -> String {
    format!("{prefix}.projector.{projection}.dlq")
}

pub fn redrive_topic(prefix: &str, projection: &str) -> String {
    format!("{prefix}.projector.{projection}.redrive")
}

/// The topics a consumer named `name` reads: `source` and its redrive topic. Both, and its
/// dead-letter topic, are created when missing.
pub async fn consumed_topics(
    config: &EventLogConfig,
    name: &str,
    source: String,
) -> Result<Vec<String>, ConsumerError> {
    let prefix = &config.topics.prefix;
    let topics = vec![source, redrive_topic(prefix, name)];
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        config.client(&[]).create().map_err(crate::kafka)?;
    let mut owned = topics.clone();
    owned.push(dead_letter_topic(prefix, name));
    codeflix_eventlog::topics::ensure_topics(&admin, &owned, &config.topics).await?;
    Ok(topics)
}

fn redrive_group(projection: &str) -> String {
    format!("codeflix-dlq-redrive-{projection}")
}

/// An event that cannot be applied, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub record: RawRecord,
    pub reason: String,
}

impl DeadLetter {
    pub fn new(record: RawRecord, reason: String) -> Self {
        DeadLetter { record, reason }
    }

    /// A dead letter as read back from its topic; `None` for a message without the headers.
    fn from_topic(record: RawRecord) -> Option<DeadLetter> {
        let source = RawRecord {
            topic: header(&record.headers, SOURCE_TOPIC)?.to_owned(),
            partition: header(&record.headers, SOURCE_PARTITION)?.parse().ok()?,
            offset: header(&record.headers, SOURCE_OFFSET)?.parse().ok()?,
            ..record.clone()
        };
        Some(DeadLetter {
            reason: header(&record.headers, REASON)?.to_owned(),
            record: source,
        })
    }
}

/// Decodes events and tells a bad event from an unreachable registry.
#[derive(Debug)]
pub struct Decoder {
    codec: RegistryCodec,
    registry_url: String,
    http: reqwest::Client,
}

impl Decoder {
    pub fn new(registry_url: &str) -> Result<Decoder, EventLogError> {
        Ok(Decoder {
            codec: RegistryCodec::new(registry_url)?,
            registry_url: registry_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .map_err(|e| EventLogError::Registry(e.to_string()))?,
        })
    }

    /// The event of `raw`, or why it can never be decoded. While the registry cannot be reached,
    /// waits and tries again (the event is not at fault).
    pub async fn decode_patiently(
        &self,
        raw: &RawRecord,
        projection: &str,
    ) -> Result<Envelope<AnyEvent>, String> {
        let mut pause = Duration::from_millis(200);
        loop {
            match self.decode(raw).await {
                Ok(envelope) => return Ok(envelope),
                Err(Failure::Permanent(reason)) => return Err(reason),
                Err(Failure::Transient(reason)) => {
                    tracing::warn!(projection, %reason, "cannot decode yet; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn decode(&self, raw: &RawRecord) -> Result<Envelope<AnyEvent>, Failure> {
        let Some(value) = raw.value.as_deref() else {
            return Err(Failure::Permanent("the message has no value".to_owned()));
        };
        let Some((0, id)) = value
            .split_first()
            .and_then(|(magic, rest)| Some((*magic, rest.get(..4)?)))
        else {
            return Err(Failure::Permanent(
                "the value is not in the Confluent wire format (magic byte 0, 4-byte schema id)"
                    .to_owned(),
            ));
        };
        let id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
        match self.codec.decode(value).await {
            Ok(envelope) => Ok(envelope),
            Err(EventLogError::RegistryUnavailable(reason)) => {
                Err(Failure::Transient(redact(&reason)))
            }
            Err(EventLogError::Registry(reason)) => {
                // The registry said no. Only the registry's own answer about this id, asked now,
                // makes it the event's fault rather than the registry's.
                let url = format!("{}/schemas/ids/{id}", self.registry_url);
                match self.http.get(&url).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => Err(
                        Failure::Permanent(format!("schema id {id} is not in the registry")),
                    ),
                    Ok(r) if r.status().is_success() => match self.codec.decode(value).await {
                        // It answers now: the earlier no was the registry's, not the event's.
                        Ok(envelope) => Ok(envelope),
                        Err(EventLogError::RegistryUnavailable(reason)) => {
                            Err(Failure::Transient(reason))
                        }
                        Err(again) => Err(Failure::Permanent(format!(
                            "the value does not decode with schema {id}: {reason}; again: {again}"
                        ))),
                    },
                    Ok(r) => Err(Failure::Transient(redact(&format!(
                        "GET {url}: {}",
                        r.status()
                    )))),
                    Err(e) => Err(Failure::Transient(redact(&format!("GET {url}: {e}")))),
                }
            }
            Err(e) => Err(Failure::Permanent(format!("schema {id}: {e}"))),
        }
    }
}

enum Failure {
    Permanent(String),
    Transient(String),
}

/// Writes dead letters, each confirmed before the projection moves past it.
///
/// Its producer is created at the first dead letter: an idle librdkafka producer costs about 1% of
/// a core (its polling thread spins out the last millisecond of every 100 ms poll), and most
/// projections never write one.
pub struct Sender {
    config: rdkafka::ClientConfig,
    producer: tokio::sync::OnceCell<FutureProducer>,
    topic: String,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("topic", &self.topic)
            .finish()
    }
}

impl Sender {
    pub fn new(config: &EventLogConfig, projection: &str) -> Result<Sender, ConsumerError> {
        Ok(Sender {
            config: config.producer(),
            producer: tokio::sync::OnceCell::new(),
            topic: dead_letter_topic(&config.topics.prefix, projection),
        })
    }

    pub async fn send(
        &self,
        projection: &str,
        letters: Vec<DeadLetter>,
    ) -> Result<(), ConsumerError> {
        for letter in &letters {
            tracing::warn!(
                projection,
                topic = %letter.record.topic,
                partition = letter.record.partition,
                offset = letter.record.offset,
                reason = %letter.reason,
                "dead letter"
            );
        }
        let producer = self
            .producer
            .get_or_try_init(|| async { self.config.create().map_err(kafka) })
            .await?;
        let sends = letters.iter().map(|letter| async move {
            let partition = letter.record.partition.to_string();
            let offset = letter.record.offset.to_string();
            let headers = [
                (REASON, letter.reason.as_str()),
                (SOURCE_TOPIC, letter.record.topic.as_str()),
                (SOURCE_PARTITION, partition.as_str()),
                (SOURCE_OFFSET, offset.as_str()),
                (PROJECTION, projection),
            ];
            send_copy(producer, &self.topic, &letter.record, &headers).await
        });
        try_join_all(sends).await?;
        Ok(())
    }
}

/// Produces `record`'s key, value and headers (minus any `codeflix_dlq_*`) plus `extra` to `topic`.
async fn send_copy(
    producer: &FutureProducer,
    topic: &str,
    record: &RawRecord,
    extra: &[(&str, &str)],
) -> Result<(), ConsumerError> {
    queue_copy(producer, topic, record, extra)?
        .await
        .map_err(|_| kafka(rdkafka::error::KafkaError::Canceled))?
        .map_err(|(e, _)| kafka(e))?;
    Ok(())
}

/// Queues a copy of `record` (without the dead-letter headers, with `extra`) on `topic`; its
/// delivery to await. The producer is idempotent, so copies queued together keep their order
/// within a partition.
fn queue_copy(
    producer: &FutureProducer,
    topic: &str,
    record: &RawRecord,
    extra: &[(&str, &str)],
) -> Result<DeliveryFuture, ConsumerError> {
    let mut headers = OwnedHeaders::new();
    for (key, value) in &record.headers {
        if !key.starts_with("codeflix_dlq_") {
            headers = headers.insert(Header {
                key,
                value: Some(value.as_bytes()),
            });
        }
    }
    for (key, value) in extra {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    let mut message = FutureRecord::<[u8], [u8]>::to(topic).headers(headers);
    if let Some(key) = &record.key {
        message = message.key(key);
    }
    if let Some(value) = &record.value {
        message = message.payload(value);
    }
    producer.send_result(message).map_err(|(e, _)| kafka(e))
}

/// A dead letter as listed, with whether it has been re-driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub letter: DeadLetter,
    /// Its offset in the dead-letter topic.
    pub dlq_partition: i32,
    pub dlq_offset: i64,
    pub redriven: bool,
}

impl Listed {
    /// Oldest first: when it was dead-lettered (milliseconds; the dead-letter topic's
    /// timestamp), then its place in the topic. A letter written later sorts later whatever its
    /// partition, so paging forward never skips one.
    pub fn order(&self) -> (i64, i32, i64) {
        (
            self.letter.record.timestamp_ms.unwrap_or(0),
            self.dlq_partition,
            self.dlq_offset,
        )
    }
}

/// The dead letters of a projection as they are read from its topic, partition by partition in
/// the order they were written, each source position once. Only the source positions already
/// seen are held, so a topic of any size is read in constant memory apart from them.
#[derive(Debug)]
pub struct Letters {
    records: tokio::sync::mpsc::Receiver<Result<RawRecord, EventLogError>>,
    committed: Vec<(i32, i64)>,
    topics: HashMap<String, usize>,
    seen: HashSet<(usize, i32, i64)>,
}

impl Letters {
    /// Starts reading the dead letters of `projection`.
    pub async fn open(config: &EventLogConfig, projection: &str) -> Result<Letters, ConsumerError> {
        let topic = dead_letter_topic(&config.topics.prefix, projection);
        let committed = committed(config, projection, &topic).await?;
        Ok(Letters {
            records: stream_snapshot(config, std::slice::from_ref(&topic))?,
            committed,
            topics: HashMap::new(),
            seen: HashSet::new(),
        })
    }

    /// The next dead letter, or `None` after the last one.
    pub async fn next(&mut self) -> Result<Option<Listed>, ConsumerError> {
        while let Some(record) = self.records.recv().await {
            let record = record?;
            let (partition, offset) = (record.partition, record.offset);
            let Some(letter) = DeadLetter::from_topic(record) else {
                continue;
            };
            let count = self.topics.len();
            let topic = *self
                .topics
                .entry(letter.record.topic.clone())
                .or_insert(count);
            if self
                .seen
                .insert((topic, letter.record.partition, letter.record.offset))
            {
                return Ok(Some(Listed {
                    redriven: self
                        .committed
                        .iter()
                        .any(|&(p, next)| p == partition && offset < next),
                    letter,
                    dlq_partition: partition,
                    dlq_offset: offset,
                }));
            }
        }
        Ok(None)
    }
}

/// Every dead letter of `projection` by source position, each source position once. This holds
/// them all; [`Letters`] reads them one at a time.
pub async fn list(config: &EventLogConfig, projection: &str) -> Result<Vec<Listed>, ConsumerError> {
    let mut letters = Letters::open(config, projection).await?;
    let mut listed = Vec::new();
    while let Some(letter) = letters.next().await? {
        listed.push(letter);
    }
    listed.sort_by(|a, b| {
        let source = |l: &Listed| {
            (
                l.letter.record.topic.clone(),
                l.letter.record.partition,
                l.letter.record.offset,
            )
        };
        source(a).cmp(&source(b))
    });
    Ok(listed)
}

/// Which dead letters [`page`] returns: those after `after` (a letter's [`Listed::order`]), at
/// most `limit`, only those not re-driven yet when `waiting_only`, only those whose key is `key`
/// when given.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub after: Option<(i64, i32, i64)>,
    pub limit: usize,
    pub waiting_only: bool,
    pub key: Option<Vec<u8>>,
}

/// A page of dead letters, oldest first ([`Listed::order`]), and counts over the whole topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub letters: Vec<Listed>,
    /// Every dead letter (each source position once).
    pub total: usize,
    /// Those not re-driven yet.
    pub waiting: usize,
    /// Those the request's filters let through, before `after` and `limit`.
    pub matching: usize,
    /// Whether more match after this page's last.
    pub more: bool,
}

/// One page of `projection`'s dead letters. The topic is read once, holding no more than
/// `limit` letters however long it is.
pub async fn page(
    config: &EventLogConfig,
    projection: &str,
    request: &PageRequest,
) -> Result<Page, ConsumerError> {
    /// Orders letters oldest first.
    struct ByPosition(Listed);
    impl ByPosition {
        fn position(&self) -> (i64, i32, i64) {
            self.0.order()
        }
    }
    impl PartialEq for ByPosition {
        fn eq(&self, other: &Self) -> bool {
            self.position() == other.position()
        }
    }
    impl Eq for ByPosition {}
    impl PartialOrd for ByPosition {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for ByPosition {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.position().cmp(&other.position())
        }
    }

    let mut letters = Letters::open(config, projection).await?;
    let (mut total, mut waiting, mut matching, mut after) = (0, 0, 0, 0);
    // The `limit` first positions after the cursor: a max-heap that drops its largest.
    let mut kept = std::collections::BinaryHeap::with_capacity(request.limit + 1);
    while let Some(listed) = letters.next().await? {
        total += 1;
        waiting += usize::from(!listed.redriven);
        if (request.waiting_only && listed.redriven)
            || request
                .key
                .as_ref()
                .is_some_and(|key| listed.letter.record.key.as_ref() != Some(key))
        {
            continue;
        }
        matching += 1;
        let letter = ByPosition(listed);
        if request
            .after
            .is_some_and(|cursor| letter.position() <= cursor)
        {
            continue;
        }
        after += 1;
        kept.push(letter);
        if kept.len() > request.limit {
            kept.pop();
        }
    }
    Ok(Page {
        letters: kept.into_sorted_vec().into_iter().map(|l| l.0).collect(),
        total,
        waiting,
        matching,
        more: after > request.limit,
    })
}

/// The redrive group's committed offsets on the dead-letter topic.
async fn committed(
    config: &EventLogConfig,
    projection: &str,
    topic: &str,
) -> Result<Vec<(i32, i64)>, ConsumerError> {
    let consumer: BaseConsumer = config
        .reader(&redrive_group(projection))
        .create()
        .map_err(kafka)?;
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(10);
        let metadata = consumer
            .fetch_metadata(Some(&topic), timeout)
            .map_err(kafka)?;
        let mut list = TopicPartitionList::new();
        for t in metadata.topics() {
            for p in t.partitions() {
                list.add_partition(&topic, p.id());
            }
        }
        let committed = consumer.committed_offsets(list, timeout).map_err(kafka)?;
        Ok(committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(next) => Some((e.partition(), next)),
                _ => None,
            })
            .collect())
    })
    .await
    .map_err(ConsumerError::Task)?
}

/// Copies every dead letter of `projection` not re-driven yet onto its redrive topic, in the
/// order they were dead-lettered (partition by partition, so one key's letters keep their order),
/// and records that they were; returns how many.
pub async fn redrive(config: &EventLogConfig, projection: &str) -> Result<usize, ConsumerError> {
    /// Letters re-driven between two records of how far it got, so that a redrive stopped
    /// half-way repeats at most this many.
    const RECORD_EVERY: usize = 1_000;
    let prefix = &config.topics.prefix;
    let mut letters = Letters::open(config, projection).await?;
    let producer: FutureProducer = config.producer().create().map_err(kafka)?;
    let consumer: Arc<BaseConsumer> = Arc::new(
        config
            .reader(&redrive_group(projection))
            .create()
            .map_err(kafka)?,
    );
    let target = redrive_topic(prefix, projection);
    let source = dead_letter_topic(prefix, projection);
    let mut done: BTreeMap<i32, i64> = BTreeMap::new();
    let mut count = 0;
    // Copies queued and not yet known to be delivered, with where each came from.
    let mut in_flight: Vec<(DeliveryFuture, i32, i64)> = Vec::with_capacity(RECORD_EVERY);
    while let Some(listed) = letters.next().await? {
        if listed.redriven {
            continue;
        }
        let delivery = queue_copy(&producer, &target, &listed.letter.record, &[])?;
        in_flight.push((delivery, listed.dlq_partition, listed.dlq_offset));
        count += 1;
        if in_flight.len() == RECORD_EVERY {
            delivered(&mut in_flight, &mut done).await?;
            record_progress(&consumer, &source, &done).await?;
        }
    }
    if !in_flight.is_empty() {
        delivered(&mut in_flight, &mut done).await?;
        record_progress(&consumer, &source, &done).await?;
    }
    Ok(count)
}

/// Waits for every queued copy, noting in `done` how far each partition of the dead-letter
/// topic is re-driven.
async fn delivered(
    in_flight: &mut Vec<(DeliveryFuture, i32, i64)>,
    done: &mut BTreeMap<i32, i64>,
) -> Result<(), ConsumerError> {
    for (delivery, partition, offset) in in_flight.drain(..) {
        delivery
            .await
            .map_err(|_| kafka(rdkafka::error::KafkaError::Canceled))?
            .map_err(|(e, _)| kafka(e))?;
        let next = done.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }
    Ok(())
}

/// Commits the redrive group's offsets on the dead-letter topic.
async fn record_progress(
    consumer: &Arc<BaseConsumer>,
    topic: &str,
    done: &BTreeMap<i32, i64>,
) -> Result<(), ConsumerError> {
    let mut offsets = TopicPartitionList::new();
    for (&partition, &next) in done {
        offsets
            .add_partition_offset(topic, partition, Offset::Offset(next))
            .map_err(kafka)?;
    }
    let consumer = Arc::clone(consumer);
    tokio::task::spawn_blocking(move || consumer.commit(&offsets, CommitMode::Sync))
        .await
        .map_err(ConsumerError::Task)?
        .map_err(kafka)
}
