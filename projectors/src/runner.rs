//! A projection's consumer loop: read event topics in a consumer group, apply events to documents,
//! commit documents and positions together, send what cannot apply to the dead-letter topic.
//!
//! Positions live in the projection's store, committed with the documents (or idempotently, by
//! version), so the store — not the consumer group — says what has been applied: a record below
//! the stored position is skipped, a redelivered event is a duplicate by version, and a projector
//! killed at any point resumes to exactly the read model of an uninterrupted run. The group's
//! offsets are committed to Kafka after the store (once a second, [`codeflix_consumer::commits`]), so
//! ordinary Kafka tools show the lag.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codeflix_domain::{AggregateType, AnyEvent, Envelope};
use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::reader::RawRecord;
use codeflix_eventlog::topics::{ensure_topics, event_topic};
use rdkafka::admin::AdminClient;
use rdkafka::client::ClientContext;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Offset, TopicPartitionList};

use crate::metrics::ProjectorMetrics;
use crate::project::{Step, apply, doc_key};
use codeflix_consumer::commits::{COMMIT_EVERY, GroupCommits};
use codeflix_consumer::dlq::{self, DeadLetter};
use codeflix_consumer::{ConsumerError, Membership, ends, membership, watermarks};
use codeflix_readmodel::Position;
use codeflix_readmodel::store::{Changes, DocStore, StoreError};
use codeflix_readmodel::views::{Doc, DocKey};

/// Something that stops a projector.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error("kafka")]
    Kafka(#[source] rdkafka::error::KafkaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    EventLog(#[from] codeflix_eventlog::EventLogError),
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
}

pub(crate) fn kafka(e: rdkafka::error::KafkaError) -> ProjectorError {
    ProjectorError::Kafka(e)
}

/// What a projection reads and how it batches.
#[derive(Debug, Clone)]
pub struct ProjectionSpec {
    /// Names the projection: its consumer group, dead-letter and redrive topics, metrics.
    pub name: String,
    /// The aggregate types whose event topics it reads.
    pub aggregates: Vec<AggregateType>,
    /// Records applied in one store commit, at most.
    pub batch: usize,
    /// How long a batch waits for the next record once it has one.
    pub linger: Duration,
    /// How long a batch gathers records at most, however fast they come: under load the
    /// store commits at most this often (each commit of the search index writes a segment).
    pub max_batch_age: Duration,
    /// How the projection gets its partitions.
    pub membership: Membership,
}

impl ProjectionSpec {
    /// The catalog's keyed views: categories, genres, cast members and videos.
    pub fn catalog() -> ProjectionSpec {
        ProjectionSpec {
            name: "catalog".to_owned(),
            aggregates: vec![
                AggregateType::Category,
                AggregateType::Genre,
                AggregateType::CastMember,
                AggregateType::Video,
                // Encoding jobs: the admins' progress of a video's media.
                AggregateType::EncodingJob,
            ],
            batch: 1000,
            linger: Duration::from_millis(5),
            max_batch_age: Duration::from_millis(100),
            membership: Membership::default(),
        }
    }

    /// The viewers' search index: videos. Its batches gather longer and larger: every commit
    /// of the search index writes a segment that is merged again and again later, the index's
    /// largest cost under load (with a commit every 250 ms, merging was an eighth of `codeflix
    /// up`'s CPU). Under load a search result is up to a second behind, as Elasticsearch's
    /// default refresh interval makes it; a lone change still commits within the linger.
    pub fn search() -> ProjectionSpec {
        ProjectionSpec {
            name: "search".to_owned(),
            aggregates: vec![AggregateType::Video],
            batch: 5000,
            linger: Duration::from_millis(20),
            max_batch_age: Duration::from_secs(1),
            ..ProjectionSpec::catalog()
        }
    }

    /// The subscriptions context's views: plans, subscriptions (with what is due when, for the
    /// scheduler) and accounts, for admins and customers.
    pub fn billing() -> ProjectionSpec {
        ProjectionSpec {
            name: "billing".to_owned(),
            aggregates: vec![
                AggregateType::Plan,
                AggregateType::Subscription,
                AggregateType::Account,
            ],
            ..ProjectionSpec::catalog()
        }
    }

    /// The notifications context's delivery log: every notification and how it went.
    pub fn notifications() -> ProjectionSpec {
        ProjectionSpec {
            name: "notifications".to_owned(),
            aggregates: vec![AggregateType::Notification],
            ..ProjectionSpec::catalog()
        }
    }

    pub fn group_id(&self) -> String {
        format!("codeflix-projector-{}", self.name)
    }

    /// Every topic the projection consumes: the event topics and its redrive topic.
    pub fn topics(&self, prefix: &str) -> Vec<String> {
        let mut topics: Vec<String> = self
            .aggregates
            .iter()
            .map(|&t| event_topic(prefix, t))
            .collect();
        topics.push(dlq::redrive_topic(prefix, &self.name));
        topics
    }
}

/// Runs the projection of `spec` into `store` until `shutdown` resolves.
pub async fn run(
    config: &EventLogConfig,
    spec: &ProjectionSpec,
    store: Arc<dyn DocStore>,
    metrics: ProjectorMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ProjectorError> {
    let mut projector = Projector::connect(config, spec, store, metrics, Mode::Live).await?;
    tokio::pin!(shutdown);
    let lag = projector.watch_lag(config)?;
    let result = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            round = projector.round() => if let Err(error) = round {
                break Err(error);
            },
        }
    };
    lag.abort();
    result
}

/// How long a projection waits after a consumer error before reading again.
const CONSUMER_ERROR_PAUSE: Duration = Duration::from_millis(500);

/// The next offset to apply per partition, as the store has it.
type Positions = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// Starts every assigned partition where the store says the projection is, whatever offsets the
/// group has committed: a rebuilt (empty) store reads from the beginning even in an old group.
struct FromStore {
    positions: Positions,
}

impl ClientContext for FromStore {}

impl ConsumerContext for FromStore {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let starts: Vec<(String, i32, Offset)> = {
                    let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
                    tpl.elements()
                        .iter()
                        .map(|e| {
                            let key = (e.topic().to_owned(), e.partition());
                            let start = positions
                                .get(&key)
                                .map_or(Offset::Beginning, |&next| Offset::Offset(next));
                            (key.0, key.1, start)
                        })
                        .collect()
                };
                for (topic, partition, start) in starts {
                    if let Err(error) = tpl.set_partition_offset(&topic, partition, start) {
                        tracing::error!(%error, topic, partition, "positioning an assigned partition");
                    }
                }
                if let Err(error) = consumer.assign(tpl) {
                    tracing::error!(%error, "assigning partitions");
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if let Err(error) = consumer.unassign() {
                    tracing::error!(%error, "unassigning partitions");
                }
            }
            other => tracing::error!(error = ?other, "rebalancing"),
        }
    }
}

/// Projects until the store has applied everything the topics held when it started (a rebuild
/// or a one-off catch-up), then returns.
pub async fn catch_up(
    config: &EventLogConfig,
    spec: &ProjectionSpec,
    store: Arc<dyn DocStore>,
    metrics: ProjectorMetrics,
) -> Result<(), ProjectorError> {
    let mut projector = Projector::connect(config, spec, store, metrics, Mode::Live).await?;
    let ends = ends(config, &spec.topics(&config.topics.prefix)).await?;
    while !projector.reached(&ends) {
        projector.round().await?;
    }
    Ok(())
}

/// A projection built into a new generation of its store while the live one keeps running
/// (`codeflix views rebuild`). It reads every partition from the store's positions (the
/// beginning, for an empty store) in a group of its own (`<group>-rebuild`) that it never
/// commits, so the live group's offsets and lag stay the live projection's. What it cannot
/// decode or apply is counted, not dead-lettered: the live projection has dead-lettered it
/// already.
pub struct Rebuild {
    projector: Projector,
    config: EventLogConfig,
}

impl std::fmt::Debug for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebuild")
            .field("projection", &self.projector.spec.name)
            .field("rejected", &self.projector.rejected)
            .finish_non_exhaustive()
    }
}

impl Rebuild {
    pub async fn start(
        config: &EventLogConfig,
        spec: &ProjectionSpec,
        store: Arc<dyn DocStore>,
        metrics: ProjectorMetrics,
    ) -> Result<Rebuild, ProjectorError> {
        let spec = ProjectionSpec {
            membership: Membership::AllPartitions,
            ..spec.clone()
        };
        Ok(Rebuild {
            projector: Projector::connect(config, &spec, store, metrics, Mode::Rebuild).await?,
            config: config.clone(),
        })
    }

    /// Where the topics end now.
    pub async fn ends(&self) -> Result<Vec<Position>, ProjectorError> {
        let spec = &self.projector.spec;
        Ok(ends(&self.config, &spec.topics(&self.config.topics.prefix)).await?)
    }

    /// How many of the records below `ends` are behind the store: (read, all).
    pub fn progress(&self, ends: &[Position]) -> (u64, u64) {
        let positions = self
            .projector
            .positions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        ends.iter().fold((0, 0), |(read, all), end| {
            let at = positions
                .get(&(end.topic.clone(), end.partition))
                .copied()
                .unwrap_or(0)
                .clamp(0, end.offset);
            (read + at as u64, all + end.offset.max(0) as u64)
        })
    }

    /// Projects until the store has everything below `ends`, calling `progress` after every
    /// batch.
    pub async fn until(
        &mut self,
        ends: &[Position],
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), ProjectorError> {
        while !self.projector.reached(ends) {
            self.projector.round().await?;
            let (read, all) = self.progress(ends);
            progress(read, all);
        }
        Ok(())
    }

    /// Events it could not decode or apply (the live projection's dead letters hold them).
    pub fn rejected(&self) -> u64 {
        self.projector.rejected
    }
}

/// Whether a projector is the live one or a rebuild beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Live,
    Rebuild,
}

struct Projector {
    spec: ProjectionSpec,
    store: Arc<dyn DocStore>,
    consumer: StreamConsumer<FromStore>,
    decoder: dlq::Decoder,
    dead_letters: dlq::Sender,
    metrics: ProjectorMetrics,
    /// Shared with the consumer's rebalances and the lag watcher.
    positions: Positions,
    /// Positions the store has, for the group (which only shows them to Kafka tools).
    commits: GroupCommits,
    mode: Mode,
    /// Events not applied and, in a rebuild, not dead-lettered either.
    rejected: u64,
}

impl Projector {
    async fn connect(
        config: &EventLogConfig,
        spec: &ProjectionSpec,
        store: Arc<dyn DocStore>,
        metrics: ProjectorMetrics,
        mode: Mode,
    ) -> Result<Projector, ProjectorError> {
        let prefix = &config.topics.prefix;
        let group = match mode {
            Mode::Live => spec.group_id(),
            Mode::Rebuild => format!("{}-rebuild", spec.group_id()),
        };
        let admin: AdminClient<DefaultClientContext> =
            config.client(&[]).create().map_err(kafka)?;
        // What this projection reads and writes, created if missing, in one request.
        let mut owned = spec.topics(prefix);
        owned.push(dlq::dead_letter_topic(prefix, &spec.name));
        ensure_topics(&admin, &owned, &config.topics).await?;
        let positions: Positions = Arc::new(Mutex::new(
            store
                .positions()
                .await?
                .into_iter()
                .map(|p| ((p.topic, p.partition), p.offset))
                .collect(),
        ));
        let consumer: StreamConsumer<FromStore> = config
            .client(&membership::settings(&group))
            .create_with_context(FromStore {
                positions: Arc::clone(&positions),
            })
            .map_err(kafka)?;
        let stored = positions.lock().unwrap_or_else(|e| e.into_inner()).clone();
        membership::join(
            &consumer,
            &spec.topics(prefix),
            spec.membership,
            |topic, partition| {
                stored
                    .get(&(topic.to_owned(), partition))
                    .map_or(Offset::Beginning, |&next| Offset::Offset(next))
            },
        )?;
        if spec.membership == Membership::AllPartitions && mode == Mode::Live {
            // The group shows where the store is, whatever was committed or reset while the
            // projector was away: resetting a group's offsets does not replay a projection (its
            // positions live with its documents); rebuilding does.
            let mut offsets = TopicPartitionList::new();
            for ((topic, partition), next) in &stored {
                offsets
                    .add_partition_offset(topic, *partition, Offset::Offset(*next))
                    .map_err(kafka)?;
            }
            if offsets.count() > 0
                && let Err(error) = consumer.commit(&offsets, CommitMode::Async)
            {
                tracing::debug!(%error, "committing the stored positions to the group");
            }
        }
        Ok(Projector {
            spec: spec.clone(),
            store,
            consumer,
            decoder: dlq::Decoder::new(&config.schema_registry_url)?,
            dead_letters: dlq::Sender::new(config, &spec.name)?,
            metrics,
            positions,
            commits: GroupCommits::default(),
            mode,
            rejected: 0,
        })
    }

    fn reached(&self, ends: &[Position]) -> bool {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        ends.iter().all(|end| {
            positions
                .get(&(end.topic.clone(), end.partition))
                .is_some_and(|&next| next >= end.offset)
        })
    }

    /// Reads a batch, applies it and commits it; with nothing to read for a second, commits the
    /// store's positions to the group instead.
    async fn round(&mut self) -> Result<(), ProjectorError> {
        codeflix_consumer::supervise::beat();
        let first = match tokio::time::timeout(COMMIT_EVERY, self.consumer.recv()).await {
            Ok(Ok(message)) => message,
            // A consumer error (a broker restarting, a partition leader moving) passes: the
            // client reconnects and goes on from its position.
            Ok(Err(error)) => {
                tracing::warn!(projection = %self.spec.name, %error, "reading the event topics; going on");
                tokio::time::sleep(CONSUMER_ERROR_PAUSE).await;
                return Ok(());
            }
            Err(_) => {
                if self.mode == Mode::Live {
                    self.commits.commit(&self.consumer);
                }
                return Ok(());
            }
        };
        let mut records = vec![RawRecord::from_message(&first)];
        let until = tokio::time::Instant::now() + self.spec.max_batch_age;
        while records.len() < self.spec.batch {
            let wait = (tokio::time::Instant::now() + self.spec.linger).min(until);
            match tokio::time::timeout_at(wait, self.consumer.recv()).await {
                Ok(Ok(message)) => records.push(RawRecord::from_message(&message)),
                Ok(Err(error)) => {
                    tracing::warn!(projection = %self.spec.name, %error, "reading the event topics; applying what was read");
                    break;
                }
                Err(_) => break,
            }
        }
        self.apply(records).await
    }

    async fn apply(&mut self, records: Vec<RawRecord>) -> Result<(), ProjectorError> {
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut fresh = Vec::with_capacity(records.len());
        let mut skipped = 0;
        {
            let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
            for raw in records {
                let partition = (raw.topic.clone(), raw.partition);
                let entry = next.entry(partition.clone()).or_insert(0);
                *entry = (*entry).max(raw.offset + 1);
                if positions.get(&partition).is_some_and(|&n| raw.offset < n) {
                    skipped += 1;
                } else {
                    fresh.push(raw);
                }
            }
        }
        let mut letters = Vec::new();
        let mut decoded = Vec::with_capacity(fresh.len());
        for raw in fresh {
            match self.decoder.decode_patiently(&raw, &self.spec.name).await {
                Ok(envelope) => decoded.push((raw, envelope)),
                Err(reason) => letters.push(DeadLetter::new(raw, reason)),
            }
        }
        let (docs, outcome) = self.project(&decoded).await?;
        for (raw, reason) in outcome.rejected {
            letters.push(DeadLetter::new(raw, reason));
        }
        if self.mode == Mode::Rebuild {
            self.rejected += letters.len() as u64;
            letters.clear();
        }
        if !letters.is_empty() {
            let count = letters.len() as u64;
            self.dead_letters.send(&self.spec.name, letters).await?;
            self.metrics.dead_letters(&self.spec.name, count);
        }
        let positions: Vec<Position> = next
            .iter()
            .map(|((topic, partition), &next_offset)| Position {
                topic: topic.clone(),
                partition: *partition,
                offset: next_offset,
            })
            .collect();
        self.store
            .commit(Changes {
                docs,
                positions: positions.clone(),
            })
            .await?;
        let name = &self.spec.name;
        self.metrics.events(name, "applied", outcome.applied);
        self.metrics.events(name, "duplicate", outcome.duplicates);
        self.metrics.events(name, "skipped", skipped);
        {
            let mut stored = self.positions.lock().unwrap_or_else(|e| e.into_inner());
            for p in positions {
                self.commits.note(&p.topic, p.partition, p.offset);
                let entry = stored.entry((p.topic, p.partition)).or_insert(0);
                *entry = (*entry).max(p.offset);
            }
        }
        // The store has the positions; the group's offsets only show them to Kafka tools.
        if self.mode == Mode::Live {
            self.commits.commit_if_due(&self.consumer);
        }
        Ok(())
    }

    /// The documents `decoded` changes, applied in order over what the store holds.
    async fn project(
        &self,
        decoded: &[(RawRecord, Envelope<AnyEvent>)],
    ) -> Result<(Vec<Doc>, Outcome), ProjectorError> {
        let mut keys: Vec<DocKey> = decoded
            .iter()
            .filter_map(|(_, e)| doc_key(&e.metadata, &e.event).and_then(Result::ok))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut docs: HashMap<DocKey, Doc> = self
            .store
            .load(&keys)
            .await?
            .into_iter()
            .map(|doc| (doc.key(), doc))
            .collect();
        let mut changed = Vec::new();
        let mut outcome = Outcome::default();
        for (raw, envelope) in decoded {
            let key = doc_key(&envelope.metadata, &envelope.event).and_then(Result::ok);
            let current = key.and_then(|key| docs.get(&key));
            match apply(current, envelope) {
                Step::Applied(doc) => {
                    outcome.applied += 1;
                    let key = doc.key();
                    docs.insert(key, *doc);
                    changed.push(key);
                }
                Step::Duplicate => outcome.duplicates += 1,
                Step::Rejected(reason) => outcome.rejected.push((raw.clone(), reason)),
            }
        }
        changed.sort_unstable();
        changed.dedup();
        let docs = changed
            .into_iter()
            .filter_map(|key| docs.remove(&key))
            .collect();
        Ok((docs, outcome))
    }

    /// Publishes each partition's lag every few seconds.
    fn watch_lag(
        &self,
        config: &EventLogConfig,
    ) -> Result<tokio::task::JoinHandle<()>, ProjectorError> {
        let client: BaseConsumer = config
            .reader(&format!("{}-lag", self.spec.group_id()))
            .create()
            .map_err(kafka)?;
        let client = Arc::new(client);
        let positions = Arc::clone(&self.positions);
        let metrics = self.metrics.clone();
        let name = self.spec.name.clone();
        let topics = self.spec.topics(&config.topics.prefix);
        Ok(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(5));
            loop {
                ticks.tick().await;
                let client = Arc::clone(&client);
                let topics = topics.clone();
                let highs = tokio::task::spawn_blocking(move || watermarks(&client, &topics))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
                let positions = positions.lock().unwrap_or_else(|e| e.into_inner());
                for Position {
                    topic,
                    partition,
                    offset: high,
                } in highs
                {
                    let next = positions
                        .get(&(topic.clone(), partition))
                        .copied()
                        .unwrap_or(0);
                    metrics.lag(&name, &topic, partition, (high - next).max(0));
                }
            }
        }))
    }
}

#[derive(Debug, Default)]
struct Outcome {
    applied: u64,
    duplicates: u64,
    rejected: Vec<(RawRecord, String)>,
}
