//! The relay: copies outbox rows from the command store to Kafka, in order, exactly once.
//!
//! Every event-log process runs one; the one holding the store's lease publishes. It sends rows in
//! sequence order to explicit partitions with an idempotent producer (ordered, gapless, no
//! duplicates within a producer session) and records each confirmed offset. When it starts — or
//! takes over from a relay that died — it first reads every partition past the last offset the
//! store knows, finds the `codeflix_seq` header of each message and marks those rows published:
//! rows that reached Kafka are never sent twice, rows that did not are sent now.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

use crate::EventLogError;
use crate::config::EventLogConfig;
use crate::headers::SEQ;
use crate::store::CommandStore;

/// What the rest of the process can see of its relay.
#[derive(Debug, Clone)]
pub struct RelayHandle {
    /// The highest sequence number below which this relay confirmed every row.
    pub confirmed: watch::Receiver<i64>,
    /// Whether this process's relay holds the lease.
    pub leader: Arc<AtomicBool>,
    /// Wakes the relay when this process stored new rows.
    pub wake: Arc<Notify>,
}

/// The relay task's state.
pub struct Relay {
    config: EventLogConfig,
    store: Arc<dyn CommandStore>,
    /// Every event topic with its partition count.
    topics: Vec<(String, i32)>,
    holder: String,
    confirmed: watch::Sender<i64>,
    leader: Arc<AtomicBool>,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn kafka(e: impl std::fmt::Display) -> EventLogError {
    EventLogError::Kafka(e.to_string())
}

impl Relay {
    pub fn new(
        config: EventLogConfig,
        store: Arc<dyn CommandStore>,
        topics: Vec<(String, i32)>,
        shutdown: watch::Receiver<bool>,
    ) -> (Relay, RelayHandle) {
        let (confirmed, confirmed_rx) = watch::channel(0);
        let leader = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(Notify::new());
        let holder = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
        let handle = RelayHandle {
            confirmed: confirmed_rx,
            leader: leader.clone(),
            wake: wake.clone(),
        };
        let relay = Relay {
            config,
            store,
            topics,
            holder,
            confirmed,
            leader,
            wake,
            shutdown,
        };
        (relay, handle)
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Runs until shutdown: waits for the lease, leads, and starts over after any failure.
    pub async fn run(mut self) {
        let ttl = self.config.relay.lease_ttl;
        while !self.stopping() {
            match self
                .store
                .try_lease(&self.holder, now_ms(), ttl.as_millis() as i64)
                .await
            {
                Ok(true) => {
                    info!(holder = %self.holder, "relay took the lease");
                    self.leader.store(true, Ordering::SeqCst);
                    let result = self.lead().await;
                    self.leader.store(false, Ordering::SeqCst);
                    match result {
                        Ok(()) => {
                            let _ = self.store.release_lease(&self.holder).await;
                            break;
                        }
                        Err(error) => {
                            warn!(holder = %self.holder, error = %error, "relay stopped leading; quarantine before recovery");
                            self.pause(self.config.relay.quarantine).await;
                        }
                    }
                }
                Ok(false) => self.pause(ttl / 4).await,
                Err(error) => {
                    warn!(error = %error, "relay cannot reach the command store");
                    self.pause(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn pause(&mut self, duration: Duration) {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = shutdown.wait_for(|stop| *stop) => {}
        }
    }

    /// Publishes while holding the lease. `Ok` only on shutdown with everything sent confirmed.
    async fn lead(&mut self) -> Result<(), EventLogError> {
        self.recover().await?;
        let producer: FutureProducer = self.config.producer().create().map_err(kafka)?;
        let result = self.publish(&producer).await;
        // Settle what was sent before anyone reads the tails again.
        let settling = producer.clone();
        let quarantine = self.config.relay.quarantine;
        let _ = tokio::task::spawn_blocking(move || settling.flush(quarantine)).await;
        result
    }

    async fn publish(&mut self, producer: &FutureProducer) -> Result<(), EventLogError> {
        let settings = self.config.relay.clone();
        let mut in_flight = FuturesOrdered::new();
        let mut pending: BTreeSet<i64> = BTreeSet::new();
        let mut last_sent = 0_i64;
        let mut renewed = Instant::now();
        loop {
            if renewed.elapsed() >= settings.lease_ttl / 3 {
                let held = self
                    .store
                    .try_lease(
                        &self.holder,
                        now_ms(),
                        settings.lease_ttl.as_millis() as i64,
                    )
                    .await?;
                if !held {
                    return Err(EventLogError::Kafka("the relay lease was lost".into()));
                }
                renewed = Instant::now();
            }
            let stopping = self.stopping();
            let mut sent = 0;
            if !stopping && in_flight.len() < settings.max_in_flight {
                let rows = self.store.unpublished(last_sent, settings.batch).await?;
                for row in rows {
                    let mut headers = OwnedHeaders::new_with_capacity(row.headers.len() + 1);
                    for (name, value) in &row.headers {
                        headers = headers.insert(Header {
                            key: name,
                            value: Some(value.as_bytes()),
                        });
                    }
                    let seq = row.seq.to_string();
                    headers = headers.insert(Header {
                        key: SEQ,
                        value: Some(seq.as_bytes()),
                    });
                    let mut record = FutureRecord::to(&row.topic)
                        .partition(row.partition)
                        .key(&row.key)
                        .payload(&row.value)
                        .headers(headers);
                    let delivery = loop {
                        match producer.send_result(record) {
                            Ok(delivery) => break delivery,
                            Err((error, returned)) => {
                                // The local queue is full: let deliveries drain, then retry.
                                debug!(error = %error, "producer queue full");
                                record = returned;
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                        }
                    };
                    in_flight.push_back(delivery.map(move |result| (row.seq, result)));
                    pending.insert(row.seq);
                    last_sent = row.seq;
                    sent += 1;
                }
            }
            if stopping && in_flight.is_empty() {
                return Ok(());
            }
            let mut confirmed = Vec::new();
            if sent == 0 {
                // Nothing new to send: wait for a confirmation, new rows, or the poll interval.
                tokio::select! {
                    Some(done) = in_flight.next(), if !in_flight.is_empty() => confirmed.push(done),
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(settings.idle_poll) => {}
                }
            }
            while let Some(Some(done)) = in_flight.next().now_or_never() {
                confirmed.push(done);
            }
            if confirmed.is_empty() {
                continue;
            }
            let mut published = Vec::with_capacity(confirmed.len());
            for (seq, result) in confirmed {
                match result {
                    Ok(Ok(delivery)) => published.push((seq, delivery.offset)),
                    Ok(Err((error, _))) => {
                        return Err(kafka(format!("delivering row {seq}: {error}")));
                    }
                    Err(_) => return Err(kafka(format!("delivery of row {seq} was cancelled"))),
                }
            }
            self.store.mark_published(&published).await?;
            for (seq, _) in &published {
                pending.remove(seq);
            }
            let watermark = pending.first().map_or(last_sent, |first| first - 1);
            self.confirmed.send_replace(watermark);
        }
    }

    /// Marks published every row that reached Kafka although the store does not know it yet.
    async fn recover(&mut self) -> Result<(), EventLogError> {
        let mut found = 0usize;
        for (topic, partitions) in self.topics.clone() {
            for partition in 0..partitions {
                let known = self.store.last_published(&topic, partition).await?;
                let consumer: BaseConsumer = self
                    .config
                    .reader(&format!("codeflix-relay-recovery-{}", self.holder))
                    .create()
                    .map_err(kafka)?;
                let topic_name = topic.clone();
                let tail = tokio::task::spawn_blocking(move || {
                    read_tail(
                        &consumer,
                        &topic_name,
                        partition,
                        known.map(|(_, offset)| offset + 1),
                    )
                })
                .await
                .map_err(kafka)??;
                if !tail.is_empty() {
                    found += tail.len();
                    self.store.mark_published(&tail).await?;
                }
            }
        }
        if let Some(first) = self.store.unpublished(0, 1).await?.first() {
            self.confirmed.send_replace(first.seq - 1);
        }
        info!(recovered = found, "relay recovery finished");
        Ok(())
    }
}

/// `(seq, offset)` of every message from `start` (or the beginning) to the end of a partition.
fn read_tail(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    start: Option<i64>,
) -> Result<Vec<(i64, i64)>, EventLogError> {
    let timeout = Duration::from_secs(30);
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, timeout)
        .map_err(kafka)?;
    let start = start.unwrap_or(low).max(low);
    if start >= high {
        return Ok(Vec::new());
    }
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(start))
        .map_err(kafka)?;
    consumer.assign(&assignment).map_err(kafka)?;
    let mut found = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut next = start;
    while next < high {
        if Instant::now() > deadline {
            return Err(kafka(format!(
                "reading {topic}/{partition} from {start} to {high} timed out"
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
        let seq = message
            .headers()
            .and_then(|headers| {
                headers
                    .iter()
                    .find(|h| h.key == SEQ)
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.parse::<i64>().ok())
            })
            .ok_or_else(|| {
                kafka(format!(
                    "{topic}/{partition}@{} has no {SEQ} header: something other than the relay writes to an event topic",
                    message.offset()
                ))
            })?;
        found.push((seq, message.offset()));
    }
    Ok(found)
}
