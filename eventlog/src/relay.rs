//! The relay: copies outbox rows from the command store to Kafka, in order, exactly once.
//!
//! Every event-log process runs one; the one holding the store's lease publishes. It sends each
//! partition's rows in sequence order to that partition with an idempotent producer (ordered,
//! gapless, no duplicates within a producer session) and records each confirmed offset. When it
//! starts — or takes over from a relay that died — it first reads every partition past the last
//! offset the store knows, finds the `codeflix_seq` header of each message and marks those rows published:
//! rows that reached Kafka are never sent twice, rows that did not are sent now. Messages without
//! the relay's headers (written by kcat, a sink, a mirror) are skipped, logged and counted
//! (`codeflix_command_api_relay_foreign_records_total`): they cannot be any store's rows.

use codeflix_domain::Report;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::{self, FutureExt};
use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer, PurgeConfig};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

use crate::EventLogError;
use crate::config::EventLogConfig;
use crate::headers::SEQ;
use crate::store::{CommandStore, OutboxRow, Position};

/// What the rest of the process can see of its relay.
#[derive(Debug, Clone)]
pub struct RelayHandle {
    /// The highest sequence number below which this relay confirmed every row.
    pub confirmed: watch::Receiver<i64>,
    /// Whether this process's relay holds the lease.
    pub leader: Arc<AtomicBool>,
    /// Wakes the relay when this process stored new rows.
    pub wake: Arc<Notify>,
    /// Positions of rows this relay confirmed recently, for this process's waiting commands.
    positions: Arc<Mutex<BTreeMap<i64, Position>>>,
    /// Messages in event topics that recovery found without the relay's headers, in total.
    foreign: Arc<AtomicU64>,
}

/// Recent confirmations kept in memory, at most; older ones are read from the store.
const REMEMBERED_POSITIONS: usize = 100_000;

/// Messages of one partition in flight at which an idempotent librdkafka producer stops creating
/// requests for it (`RD_KAFKA_IDEMP_MAX_INFLIGHT`, compared with the partition's in-flight
/// *message* count). Rows handed over beyond it would wait in the producer's queue, and its broker
/// thread busy-polls until the batch in flight is answered — CPU the broker and the store need.
/// The relay holds a partition's rows back instead, and hands them over together once the
/// partition's batch is confirmed: the same requests, the same order, without the spinning.
const IDEMPOTENT_WINDOW: usize = 5;

/// The shortest idle poll for a store that is scanned whole each round.
const UNORDERED_IDLE_POLL: Duration = Duration::from_millis(250);

impl RelayHandle {
    /// How many messages this process's relay recoveries found in event topics without the
    /// relay's `codeflix_seq` and `ce_id` headers (written by something else) and skipped.
    pub fn foreign_records(&self) -> u64 {
        self.foreign.load(Ordering::Relaxed)
    }

    /// The positions of `seqs` if this relay confirmed them all recently (forgetting them).
    pub fn take_positions(&self, seqs: &[i64]) -> Option<Vec<Position>> {
        let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        if !seqs.iter().all(|seq| positions.contains_key(seq)) {
            return None;
        }
        Some(
            seqs.iter()
                .filter_map(|seq| positions.remove(seq))
                .collect(),
        )
    }
}

/// This relay's hold on the store's lease, renewed as it works.
struct Lease {
    store: Arc<dyn CommandStore>,
    holder: String,
    ttl: Duration,
    /// When the last successful take or renewal was asked for (not answered: the expiry was
    /// computed from the time of asking).
    renewed: Instant,
}

impl Lease {
    /// Renews when a third of the lease has passed; fails once the lease is lost.
    async fn keep(&mut self) -> Result<(), EventLogError> {
        if self.renewed.elapsed() < self.ttl / 3 {
            return Ok(());
        }
        let asked = Instant::now();
        let held = self
            .store
            .renew_lease(&self.holder, now_ms(), self.ttl.as_millis() as i64)
            .await?;
        if !held {
            return Err(EventLogError::kafka_refused("the relay lease was lost"));
        }
        self.renewed = asked;
        Ok(())
    }

    /// Whether sending is safe: the lease was renewed within half its time to live.
    fn fresh(&self) -> bool {
        self.renewed.elapsed() < self.ttl / 2
    }
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
    positions: Arc<Mutex<BTreeMap<i64, Position>>>,
    foreign: Arc<AtomicU64>,
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

fn kafka(e: impl Into<crate::store::BoxError>) -> EventLogError {
    EventLogError::kafka("relaying", e)
}

/// Hands one outbox row to the producer, waiting while its local queue is full.
async fn send(producer: &FutureProducer, row: &OutboxRow) -> Result<DeliveryFuture, EventLogError> {
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
    loop {
        match producer.send_result(record) {
            Ok(delivery) => return Ok(delivery),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                // The local queue is full: let deliveries drain, then retry.
                debug!("producer queue full");
                record = returned;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((error, _)) => {
                return Err(EventLogError::kafka(
                    format!("producing row {}", row.seq),
                    error,
                ));
            }
        }
    }
}

/// A row handed to the producer: its sequence number and its delivery.
type Delivering = future::Join<future::Ready<i64>, DeliveryFuture>;

/// One partition's rows between the store and Kafka.
#[derive(Default)]
struct PartitionQueue {
    /// Read from the store, not handed to the producer yet, in send order.
    held: VecDeque<OutboxRow>,
    /// Handed to the producer, not confirmed yet, in send order.
    in_flight: FuturesOrdered<Delivering>,
}

/// Hands each partition's held rows to the producer while fewer than [`IDEMPOTENT_WINDOW`] of
/// its messages are unconfirmed, and while the lease is fresh; the number handed over.
async fn release(
    partitions: &mut HashMap<(String, i32), PartitionQueue>,
    producer: &FutureProducer,
    lease: &Lease,
) -> Result<usize, EventLogError> {
    let mut sent = 0;
    for queue in partitions.values_mut() {
        if queue.in_flight.len() >= IDEMPOTENT_WINDOW {
            continue;
        }
        while let Some(row) = queue.held.pop_front() {
            if !lease.fresh() {
                queue.held.push_front(row);
                return Ok(sent);
            }
            let delivery = send(producer, &row).await?;
            queue
                .in_flight
                .push_back(future::join(future::ready(row.seq), delivery));
            sent += 1;
        }
    }
    Ok(sent)
}

/// A delivery's outcome with the topic it was sent to.
type Confirmation = (String, <Delivering as Future>::Output);

/// The next confirmation of any partition (each partition's in its send order); never ready
/// while nothing is in flight.
async fn next_confirmation(
    partitions: &mut HashMap<(String, i32), PartitionQueue>,
) -> Confirmation {
    std::future::poll_fn(|cx| {
        for ((topic, _), queue) in partitions.iter_mut() {
            if let Poll::Ready(Some(done)) = queue.in_flight.poll_next_unpin(cx) {
                return Poll::Ready((topic.clone(), done));
            }
        }
        Poll::Pending
    })
    .await
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
        let positions = Arc::new(Mutex::new(BTreeMap::new()));
        let foreign = Arc::new(AtomicU64::new(0));
        let holder = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
        let handle = RelayHandle {
            confirmed: confirmed_rx,
            leader: leader.clone(),
            wake: wake.clone(),
            positions: positions.clone(),
            foreign: foreign.clone(),
        };
        let relay = Relay {
            config,
            store,
            topics,
            holder,
            confirmed,
            leader,
            wake,
            positions,
            foreign,
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
            let asked = Instant::now();
            match self
                .store
                .try_lease(&self.holder, now_ms(), ttl.as_millis() as i64)
                .await
            {
                Ok(true) => {
                    info!(holder = %self.holder, "relay took the lease");
                    self.leader.store(true, Ordering::SeqCst);
                    let lease = Lease {
                        store: self.store.clone(),
                        holder: self.holder.clone(),
                        ttl,
                        renewed: asked,
                    };
                    let result = self.lead(lease).await;
                    self.leader.store(false, Ordering::SeqCst);
                    match result {
                        Ok(()) => {
                            let _ = self.store.release_lease(&self.holder).await;
                            break;
                        }
                        Err(error) => {
                            warn!(holder = %self.holder, error = %Report(&error), "relay stopped leading; quarantine before recovery");
                            self.pause(self.config.relay.quarantine).await;
                        }
                    }
                }
                Ok(false) => self.pause(ttl / 4).await,
                Err(error) => {
                    warn!(error = %Report(&error), "relay cannot reach the command store");
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
    async fn lead(&mut self, mut lease: Lease) -> Result<(), EventLogError> {
        self.recover(&mut lease).await?;
        let producer: FutureProducer = self.config.producer().create().map_err(kafka)?;
        let result = self.publish(&producer, &mut lease).await;
        let settling = producer.clone();
        let quarantine = self.config.relay.quarantine;
        let failed = result.is_err();
        let _ = tokio::task::spawn_blocking(move || {
            if failed {
                // Nothing more may be sent: another relay may lead by now.
                settling.purge(PurgeConfig::default().queue().inflight());
            }
            settling.flush(quarantine)
        })
        .await;
        result
    }

    async fn publish(
        &mut self,
        producer: &FutureProducer,
        lease: &mut Lease,
    ) -> Result<(), EventLogError> {
        let settings = self.config.relay.clone();
        let ordered = self.store.commit_ordered();
        // A store whose numbers are not in commit order is scanned whole each round: look less
        // often when idle (rows this process stores still wake the relay at once).
        let idle_poll = if ordered {
            settings.idle_poll
        } else {
            settings.idle_poll.max(UNORDERED_IDLE_POLL)
        };
        let idle_poll_max = settings.idle_poll_max.max(idle_poll);
        let mut idle_wait = idle_poll;
        // Read and not yet confirmed (held back or sent): seq → event id.
        let mut pending: BTreeMap<i64, uuid::Uuid> = BTreeMap::new();
        let mut partitions: HashMap<(String, i32), PartitionQueue> = HashMap::new();
        let mut last_read = 0_i64;
        loop {
            lease.keep().await?;
            let stopping = self.stopping();
            let mut sent = 0;
            if !stopping && lease.fresh() {
                if pending.len() < settings.max_in_flight {
                    let rows = if ordered {
                        self.store.unpublished(last_read, settings.batch).await?
                    } else {
                        self.store
                            .unpublished(0, settings.batch + pending.len())
                            .await?
                    };
                    for row in rows {
                        // Held or sent, not confirmed yet (only a store not in commit order
                        // returns it again).
                        if pending.insert(row.seq, row.event_id).is_some() {
                            continue;
                        }
                        idle_wait = idle_poll;
                        last_read = last_read.max(row.seq);
                        partitions
                            .entry((row.topic.clone(), row.partition))
                            .or_default()
                            .held
                            .push_back(row);
                    }
                }
                sent = release(&mut partitions, producer, lease).await?;
            }
            if stopping && partitions.values().all(|queue| queue.in_flight.is_empty()) {
                let held: usize = partitions.values().map(|queue| queue.held.len()).sum();
                debug!(
                    held,
                    "relay stopping; rows read but not sent are left to the next leader"
                );
                return Ok(());
            }
            let mut confirmed = Vec::new();
            if sent == 0 {
                // Nothing new to send: wait for a confirmation, new rows, or the poll interval
                // (longer after each round that finds nothing).
                tokio::select! {
                    done = next_confirmation(&mut partitions) => confirmed.push(done),
                    _ = self.wake.notified() => idle_wait = idle_poll,
                    _ = tokio::time::sleep(idle_wait) => {
                        idle_wait = (idle_wait * 2).min(idle_poll_max);
                    }
                }
            }
            // Each partition's confirmations in its send order (the first one above came first
            // in its partition too).
            for ((topic, _), queue) in partitions.iter_mut() {
                while let Some(Some(done)) = queue.in_flight.next().now_or_never() {
                    confirmed.push((topic.clone(), done));
                }
            }
            if confirmed.is_empty() {
                continue;
            }
            let mut published = Vec::with_capacity(confirmed.len());
            let mut positions = Vec::with_capacity(confirmed.len());
            let mut failure = None;
            for (topic, (seq, result)) in confirmed {
                match result {
                    // A retried batch the broker already held is confirmed without a real offset
                    // (-1001, or tansu's -1): recovery finds the real one from the header.
                    Ok(Ok(delivery)) if delivery.offset < 0 => {
                        failure.get_or_insert_with(|| {
                            EventLogError::kafka_refused(format!(
                                "row {seq} was confirmed without an offset"
                            ))
                        });
                    }
                    // After a failure nothing later is trusted: the rest of a duplicate batch is
                    // numbered from the broker's -1 (0, 1, 2, …). Recovery reads the real offsets
                    // from Kafka.
                    Ok(Ok(_)) if failure.is_some() => {}
                    Ok(Ok(delivery)) => {
                        let event_id = pending.remove(&seq).unwrap_or_default();
                        published.push((seq, event_id, delivery.offset));
                        positions.push((
                            seq,
                            Position {
                                topic,
                                partition: delivery.partition,
                                offset: delivery.offset,
                            },
                        ));
                    }
                    Ok(Err((error, _))) => {
                        failure.get_or_insert_with(|| {
                            EventLogError::kafka(format!("delivering row {seq}"), error)
                        });
                    }
                    Err(_) => {
                        failure.get_or_insert_with(|| {
                            EventLogError::kafka_refused(format!(
                                "delivery of row {seq} was cancelled"
                            ))
                        });
                    }
                }
            }
            if failure.is_none() && !stopping && lease.fresh() {
                // The partitions these confirmations freed get their held rows now rather than
                // after the store round trips below.
                release(&mut partitions, producer, lease).await?;
            }
            self.store.mark_published(&published).await?;
            self.remember(positions);
            if let Some(failure) = failure {
                return Err(failure);
            }
            partitions.retain(|_, queue| !queue.in_flight.is_empty() || !queue.held.is_empty());
            let watermark = pending.keys().next().map_or(last_read, |first| first - 1);
            self.confirmed.send_replace(watermark);
        }
    }

    /// Keeps the positions of confirmed rows for this process's waiting commands.
    fn remember(&self, confirmed: Vec<(i64, Position)>) {
        let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        positions.extend(confirmed);
        while positions.len() > REMEMBERED_POSITIONS {
            positions.pop_first();
        }
    }

    /// Marks published every row that reached Kafka although the store does not know it yet.
    async fn recover(&mut self, lease: &mut Lease) -> Result<(), EventLogError> {
        let mut found = 0usize;
        let mut consumer: BaseConsumer = self
            .config
            .reader(&format!("codeflix-relay-recovery-{}", self.holder))
            .set("enable.partition.eof", "true")
            .create()
            .map_err(kafka)?;
        for (topic, partitions) in self.topics.clone() {
            for partition in 0..partitions {
                lease.keep().await?;
                let known = self.store.last_published(&topic, partition).await?;
                let topic_name = topic.clone();
                let (returned, tail) = tokio::task::spawn_blocking(move || {
                    let tail = read_tail(
                        &consumer,
                        &topic_name,
                        partition,
                        known.map(|(_, offset)| offset + 1),
                    );
                    (consumer, tail)
                })
                .await
                .map_err(kafka)?;
                consumer = returned;
                let Tail {
                    tail,
                    foreign,
                    foreign_offsets,
                } = tail?;
                if foreign > 0 {
                    self.foreign.fetch_add(foreign as u64, Ordering::Relaxed);
                    warn!(
                        topic = %topic,
                        partition,
                        count = foreign,
                        first_offsets = ?foreign_offsets,
                        "skipped messages without the relay's {SEQ} and ce_id headers: something other than the relay writes to this event topic"
                    );
                }
                if !tail.is_empty() {
                    let marked = self.store.mark_published(&tail).await?;
                    if marked < tail.len() {
                        warn!(topic = %topic, partition, found = tail.len(), marked, "messages in the topic match no row of this store");
                    }
                    found += marked;
                }
            }
        }
        // Nothing below the first unpublished row is waiting any more.
        let watermark = self
            .store
            .unpublished(0, 1)
            .await?
            .first()
            .map_or(i64::MAX, |first| first.seq - 1);
        self.confirmed.send_replace(watermark);
        info!(recovered = found, "relay recovery finished");
        Ok(())
    }
}

/// What recovery found in a partition past the store's last known offset.
#[derive(Debug, Default)]
struct Tail {
    /// `(seq, event id, offset)` of every message the relay wrote.
    tail: Vec<(i64, uuid::Uuid, i64)>,
    /// How many messages lack the relay's headers.
    foreign: usize,
    /// The first [`FOREIGN_OFFSETS_KEPT`] of their offsets.
    foreign_offsets: Vec<i64>,
}

/// Foreign offsets recovery names in its warning per partition (it counts all of them).
const FOREIGN_OFFSETS_KEPT: usize = 20;

/// Every message from `start` (or the beginning) to the end of a partition.
fn read_tail(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    start: Option<i64>,
) -> Result<Tail, EventLogError> {
    let timeout = Duration::from_secs(30);
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, timeout)
        .map_err(kafka)?;
    let start = start.unwrap_or(low).max(low);
    if start >= high {
        return Ok(Tail::default());
    }
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(start))
        .map_err(kafka)?;
    consumer.assign(&assignment).map_err(kafka)?;
    let mut found = Tail::default();
    let mut progress = Instant::now();
    let mut next = start;
    while next < high {
        if progress.elapsed() > timeout {
            return Err(EventLogError::kafka_refused(format!(
                "reading {topic}/{partition}: no progress for {timeout:?} at offset {next} of {high}"
            )));
        }
        let Some(message) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let message = match message {
            Ok(message) => message,
            // The end of this partition: offsets below the watermark that are never delivered do
            // not exist. The consumer is reused across partitions, so an end-of-partition event
            // only counts if it is this partition's and the position really is at the end.
            Err(rdkafka::error::KafkaError::PartitionEOF(eof)) => {
                let at_end = eof == partition
                    && consumer
                        .position()
                        .ok()
                        .and_then(|list| {
                            list.find_partition(topic, partition)
                                .and_then(|element| element.offset().to_raw())
                        })
                        .is_some_and(|position| position >= high);
                if at_end {
                    break;
                }
                continue;
            }
            Err(error) => return Err(kafka(error)),
        };
        progress = Instant::now();
        next = message.offset() + 1;
        let header = |name: &str| {
            message.headers().and_then(|headers| {
                headers
                    .iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .map(str::to_owned)
            })
        };
        let seq = header(SEQ).and_then(|v| v.parse::<i64>().ok());
        let event_id = header("ce_id").and_then(|v| uuid::Uuid::parse_str(&v).ok());
        match (seq, event_id) {
            (Some(seq), Some(event_id)) => found.tail.push((seq, event_id, message.offset())),
            // Not the relay's: no row of any store can match it, so it is skipped (and counted)
            // rather than stopping publication.
            _ => {
                found.foreign += 1;
                if found.foreign_offsets.len() < FOREIGN_OFFSETS_KEPT {
                    found.foreign_offsets.push(message.offset());
                }
            }
        }
    }
    Ok(found)
}
