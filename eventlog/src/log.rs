//! [`EventLog`]: decide a command against an aggregate's history and append what it decided.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codeflix_domain::{
    Aggregate, AggregateType, AnyEvent, CommandContext, CommandError, DomainEvent, Envelope,
    EventId, ExpectedVersion, Version, Versioned,
};
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::debug;
use uuid::Uuid;

use crate::EventLogError;
use crate::codec::RegistryCodec;
use crate::config::EventLogConfig;
use crate::headers::event_headers;
use crate::partition::partition_for;
use crate::relay::{Relay, RelayHandle};
use crate::store::{
    AppendOutcome, CommandRecord, CommandStore, NewEvent, NewEvents, Position, ScyllaStore,
    SqliteStore,
};
use crate::topics::{ensure_event_topics, event_topic};

/// A command's events as they stand in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The aggregate's version once the events are applied.
    pub aggregate_version: Version,
    pub event_ids: Vec<EventId>,
    /// Where each event landed, in order: the consistency token for reading one's writes.
    pub positions: Vec<Position>,
    /// `true` when the command id had been executed before and this is that earlier result.
    pub replayed: bool,
}

/// Why a command was not appended.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError<E> {
    /// The command breaks a rule; nothing was appended.
    #[error(transparent)]
    Rejected(E),
    /// The aggregate is not at the expected version; nothing was appended.
    #[error("expected version {expected} but the aggregate is at version {current}")]
    Conflict { expected: Version, current: Version },
    /// The command id was used before for another aggregate.
    #[error("command id {command_id} was already used for {aggregate}")]
    CommandIdReused { command_id: Uuid, aggregate: String },
    /// The command id was used before for the same aggregate but a different request.
    #[error("command id {command_id} was already used for a different request")]
    DifferentRequest { command_id: Uuid },
    /// The events are stored and will reach Kafka, but were not confirmed within the wait;
    /// executing the same command id again returns the result once they are.
    #[error("accepted at version {version}; its events are not confirmed in Kafka yet")]
    Unconfirmed { version: Version },
    /// The log's infrastructure failed; the command may be retried with the same command id.
    #[error(transparent)]
    Unavailable(#[from] EventLogError),
}

/// The event log of one process.
pub struct EventLog {
    config: EventLogConfig,
    store: Arc<dyn CommandStore>,
    codec: RegistryCodec,
    partitions: HashMap<String, i32>,
    relay: RelayHandle,
    relay_task: Option<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
    snapshots: Snapshots,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("bootstrap_servers", &self.config.bootstrap_servers)
            .field("store", &self.config.store_path)
            .finish_non_exhaustive()
    }
}

/// Attempts for a command that expects any version, when others keep winning the race.
const ANY_VERSION_ATTEMPTS: usize = 8;

/// How often a command waiting on this process's own relay asks the store for its positions.
const LEADER_STORE_POLL: Duration = Duration::from_millis(250);

/// Aggregates kept in memory as snapshots, at most.
const SNAPSHOTS: usize = 10_000;

/// Recently used aggregates, so that loading one decodes only the events stored since. A snapshot
/// is only a starting point: the store is always asked for newer events, so other processes'
/// appends are never missed.
#[derive(Default)]
struct Snapshots {
    entries: Mutex<HashMap<(AggregateType, String), Box<dyn Any + Send + Sync>>>,
}

impl Snapshots {
    fn get<A: Aggregate + Send + Sync + 'static>(&self, id: &str) -> Option<Versioned<A>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(A::TYPE, id.to_owned()))
            .and_then(|entry| entry.downcast_ref::<Versioned<A>>())
            .cloned()
    }

    fn put<A: Aggregate + Send + Sync + 'static>(&self, id: &str, aggregate: Versioned<A>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SNAPSHOTS
            && let Some(evicted) = entries.keys().next().cloned()
        {
            entries.remove(&evicted);
        }
        entries.insert((A::TYPE, id.to_owned()), Box::new(aggregate));
    }
}

impl EventLog {
    /// Creates missing topics, opens the command store the configuration names (ScyllaDB when
    /// `command_store_url` is set, else SQLite at `store_path`) and starts this process's relay.
    pub async fn connect(config: EventLogConfig) -> Result<EventLog, EventLogError> {
        let store: Arc<dyn CommandStore> = match &config.command_store_url {
            Some(url) => Arc::new(ScyllaStore::open(&ScyllaStore::url(url)?).await?),
            None => Arc::new(SqliteStore::open(&config.store_path).await?),
        };
        EventLog::connect_with_store(config, store).await
    }

    /// [`EventLog::connect`] on a command store opened by the caller (the configuration's store
    /// settings are not used).
    pub async fn connect_with_store(
        config: EventLogConfig,
        store: Arc<dyn CommandStore>,
    ) -> Result<EventLog, EventLogError> {
        let admin: AdminClient<DefaultClientContext> = config
            .client(&[])
            .create()
            .map_err(|e| EventLogError::kafka("creating an admin client", e))?;
        let topics = ensure_event_topics(&admin, &config.topics).await?;
        let partitions = partition_counts(&admin, &topics)?;
        let codec = RegistryCodec::new(&config.schema_registry_url)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (relay, handle) = Relay::new(
            config.clone(),
            store.clone(),
            topics.iter().map(|t| (t.clone(), partitions[t])).collect(),
            shutdown_rx,
        );
        let relay_task = tokio::spawn(relay.run());
        Ok(EventLog {
            config,
            store,
            codec,
            partitions,
            relay: handle,
            relay_task: Some(relay_task),
            shutdown,
            snapshots: Snapshots::default(),
        })
    }

    pub fn config(&self) -> &EventLogConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn CommandStore> {
        &self.store
    }

    pub fn codec(&self) -> &RegistryCodec {
        &self.codec
    }

    /// Whether this process's relay currently publishes.
    pub fn relay_is_leader(&self) -> bool {
        self.relay.leader.load(Ordering::SeqCst)
    }

    /// What the rest of the process can see of this process's relay.
    pub fn relay(&self) -> &RelayHandle {
        &self.relay
    }

    /// Stops the relay after it has confirmed what it sent.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.relay_task.take() {
            let _ = task.await;
        }
    }

    /// The aggregate's current state: its snapshot, if any, plus the events stored since.
    pub async fn load<A: Aggregate + Send + Sync + 'static>(
        &self,
        id: &A::Id,
    ) -> Result<Versioned<A>, EventLogError> {
        let aggregate_id = id.to_string();
        let mut aggregate = self.snapshots.get::<A>(&aggregate_id).unwrap_or_default();
        let stored = self
            .store
            .events(A::TYPE, &aggregate_id, aggregate.version())
            .await?;
        let replayed = !stored.is_empty();
        for event in stored {
            let envelope = self.codec.decode(&event.value).await?;
            let history = |detail: String| EventLogError::History {
                aggregate: format!("{} {aggregate_id}", A::TYPE),
                detail,
            };
            if envelope.metadata.aggregate_version != event.version {
                return Err(history(format!(
                    "row at version {} holds an event of version {}",
                    event.version, envelope.metadata.aggregate_version
                )));
            }
            let typed = A::Event::try_from(envelope.event).map_err(|e| history(e.to_string()))?;
            aggregate
                .apply(event.version, &typed)
                .map_err(|gap| history(gap.to_string()))?;
        }
        if replayed {
            self.snapshots.put(&aggregate_id, aggregate.clone());
        }
        Ok(aggregate)
    }

    /// Decides `command` against the aggregate and appends its events.
    ///
    /// Answers once the events are confirmed in Kafka. Executing the same `ctx.command_id` again
    /// returns the first result and appends nothing.
    pub async fn execute<A: Aggregate + Send + Sync + 'static>(
        &self,
        ctx: &CommandContext,
        id: &A::Id,
        expected: ExpectedVersion,
        command: A::Command,
    ) -> Result<Appended, ExecuteError<A::Error>> {
        self.execute_request::<A>(ctx, id, expected, command, None)
            .await
    }

    /// [`EventLog::execute`] for a command that came from a request with `digest` (e.g. a hash
    /// of an HTTP body): executing the same command id for a request with another digest is
    /// [`ExecuteError::DifferentRequest`] rather than a replay.
    pub async fn execute_request<A: Aggregate + Send + Sync + 'static>(
        &self,
        ctx: &CommandContext,
        id: &A::Id,
        expected: ExpectedVersion,
        command: A::Command,
        digest: Option<&str>,
    ) -> Result<Appended, ExecuteError<A::Error>> {
        let aggregate_id = id.to_string();
        // A retried command is recognised by the store when it appends (`Duplicate`), or below
        // when deciding again fails: its first result is the answer then, not the failure.
        let mut reload = false;
        for attempt in 0..ANY_VERSION_ATTEMPTS {
            // A snapshot at the expected version (or, for `Any`, on the first attempt) is decided
            // on without asking the store: if it is stale the gate refuses the append, which is
            // the right answer for `Exactly` and a reason to reload for `Any`.
            let cached = self
                .snapshots
                .get::<A>(&aggregate_id)
                .filter(|snapshot| match expected {
                    ExpectedVersion::Exactly(version) => snapshot.version() == version,
                    ExpectedVersion::Any => attempt == 0,
                })
                .filter(|_| !reload);
            let from_cache = cached.is_some();
            let mut aggregate = match cached {
                Some(snapshot) => snapshot,
                None => self.load::<A>(id).await?,
            };
            let decision = match aggregate.decide(expected, command.clone()) {
                Ok(decision) => decision,
                // Another process may have moved the aggregate on since this one cached it (the
                // encoder finishing a video): a refusal is only decided on the stored history.
                Err(_) if from_cache => {
                    reload = true;
                    continue;
                }
                Err(failure) => {
                    if let Some(record) = self
                        .store
                        .command(ctx.command_id)
                        .await
                        .map_err(EventLogError::from)?
                    {
                        return self.replay(record, A::TYPE, &aggregate_id, digest).await;
                    }
                    return Err(match failure {
                        CommandError::Conflict { expected, current } => {
                            ExecuteError::Conflict { expected, current }
                        }
                        CommandError::Rejected(error) => ExecuteError::Rejected(error),
                    });
                }
            };
            let base = decision.base();
            let new_version = decision.new_version();
            let decided = decision.clone();
            let envelopes = ctx.envelop::<A>(id, decision);
            let mut append = self
                .prepare(ctx.command_id, A::TYPE, &aggregate_id, base, envelopes)
                .await?;
            append.request_digest = digest.map(str::to_owned);
            let event_ids: Vec<EventId> =
                append.events.iter().map(|e| EventId(e.event_id)).collect();
            match self
                .store
                .append(append)
                .await
                .map_err(EventLogError::from)?
            {
                AppendOutcome::Appended { seqs } => {
                    self.relay.wake.notify_one();
                    if aggregate.commit(&decided).is_ok() {
                        self.snapshots.put(&aggregate_id, aggregate);
                    }
                    let positions = self.confirmed(&seqs).await?;
                    return Ok(Appended {
                        aggregate_version: new_version,
                        event_ids,
                        positions: positions.ok_or(ExecuteError::Unconfirmed {
                            version: new_version,
                        })?,
                        replayed: false,
                    });
                }
                AppendOutcome::Duplicate(record) => {
                    return self.replay(record, A::TYPE, &aggregate_id, digest).await;
                }
                AppendOutcome::Conflict { current } => match expected {
                    ExpectedVersion::Exactly(expected) => {
                        return Err(ExecuteError::Conflict { expected, current });
                    }
                    ExpectedVersion::Any => {
                        debug!(aggregate = %aggregate_id, %current, "lost a race; deciding again");
                    }
                },
            }
        }
        let current = self
            .store
            .version(A::TYPE, &aggregate_id)
            .await
            .map_err(EventLogError::from)?;
        Err(ExecuteError::Conflict {
            expected: current,
            current,
        })
    }

    /// Encodes envelopes into outbox rows.
    async fn prepare<E: DomainEvent>(
        &self,
        command_id: Uuid,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        base: Version,
        envelopes: Vec<Envelope<E>>,
    ) -> Result<NewEvents, EventLogError> {
        let mut events = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let envelope: Envelope<AnyEvent> = envelope.map(Into::into);
            let metadata = &envelope.metadata;
            let topic = event_topic(&self.config.topics.prefix, metadata.aggregate_type);
            let partitions = *self
                .partitions
                .get(&topic)
                .ok_or_else(|| EventLogError::Config(format!("unknown topic {topic}")))?;
            let (fullname, value) = self.codec.encode(&topic, &envelope).await?;
            events.push(NewEvent {
                version: metadata.aggregate_version,
                event_id: metadata.event_id.0,
                partition: partition_for(aggregate_id.as_bytes(), partitions),
                key: aggregate_id.as_bytes().to_vec(),
                value,
                headers: event_headers(metadata, &fullname),
                topic,
            });
        }
        Ok(NewEvents {
            command_id,
            aggregate_type,
            aggregate_id: aggregate_id.to_owned(),
            base,
            events,
            request_digest: None,
        })
    }

    /// The earlier result of a command id.
    /// The result of the command `ctx` names if it was executed before on aggregate `id` (a
    /// retry), without deciding anything: for edges that must not act again (charge a card, say)
    /// before asking the aggregate.
    pub async fn earlier<A: Aggregate + Send + Sync + 'static>(
        &self,
        ctx: &CommandContext,
        id: &A::Id,
        digest: Option<&str>,
    ) -> Result<Option<Appended>, ExecuteError<A::Error>> {
        match self
            .store
            .command(ctx.command_id)
            .await
            .map_err(EventLogError::from)?
        {
            Some(record) => self
                .replay(record, A::TYPE, &id.to_string(), digest)
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    async fn replay<E>(
        &self,
        record: CommandRecord,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        digest: Option<&str>,
    ) -> Result<Appended, ExecuteError<E>> {
        if record.aggregate_type != aggregate_type || record.aggregate_id != aggregate_id {
            return Err(ExecuteError::CommandIdReused {
                command_id: record.command_id,
                aggregate: format!("{} {}", record.aggregate_type, record.aggregate_id),
            });
        }
        if let (Some(recorded), Some(digest)) = (record.request_digest.as_deref(), digest)
            && recorded != digest
        {
            return Err(ExecuteError::DifferentRequest {
                command_id: record.command_id,
            });
        }
        let publications = self
            .store
            .publications(&record.seqs)
            .await
            .map_err(EventLogError::from)?;
        let event_ids = publications.iter().map(|p| EventId(p.event_id)).collect();
        let positions = self
            .confirmed(&record.seqs)
            .await?
            .ok_or(ExecuteError::Unconfirmed {
                version: record.new_version,
            })?;
        Ok(Appended {
            aggregate_version: record.new_version,
            event_ids,
            positions,
            replayed: true,
        })
    }

    /// Waits until every row is confirmed in Kafka; `None` if the wait timed out.
    async fn confirmed(&self, seqs: &[i64]) -> Result<Option<Vec<Position>>, EventLogError> {
        let Some(&last) = seqs.last() else {
            return Ok(Some(Vec::new()));
        };
        let deadline = tokio::time::Instant::now() + self.config.ack_timeout;
        let mut confirmed = self.relay.confirmed.clone();
        let mut store_read: Option<tokio::time::Instant> = None;
        loop {
            let local_leader = self.relay.leader.load(Ordering::SeqCst);
            // Numbers out of commit order (ScyllaDB) make the watermark a hint only: look anyway.
            let reached = *confirmed.borrow() >= last || !self.store.commit_ordered();
            if local_leader && reached {
                // This process's relay published them: it kept the positions in memory.
                if let Some(positions) = self.relay.take_positions(seqs) {
                    return Ok(Some(positions));
                }
            }
            // Not in memory although the watermark passed them: another relay published them,
            // or (in a store not numbered in commit order) they are not confirmed yet. The
            // store is asked then, at most every LEADER_STORE_POLL.
            let due = store_read.is_none_or(|at| at.elapsed() >= LEADER_STORE_POLL);
            if !local_leader || (reached && due) {
                store_read = Some(tokio::time::Instant::now());
                let publications = self.store.publications(seqs).await?;
                if let Some(positions) = publications
                    .into_iter()
                    .map(|p| p.position)
                    .collect::<Option<Vec<_>>>()
                {
                    return Ok(Some(positions));
                }
            }
            tokio::select! {
                changed = confirmed.changed() => {
                    if changed.is_err() {
                        // The relay is gone: fall back to polling the store.
                        confirmed = self.relay.confirmed.clone();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = tokio::time::sleep_until(deadline) => return Ok(None),
            }
        }
    }
}

fn partition_counts(
    admin: &AdminClient<DefaultClientContext>,
    topics: &[String],
) -> Result<HashMap<String, i32>, EventLogError> {
    let metadata = crate::blocking::off_the_workers(|| {
        admin.inner().fetch_metadata(None, Duration::from_secs(30))
    })
    .map_err(|e| EventLogError::kafka("reading metadata", e))?;
    let mut counts = HashMap::new();
    for topic in topics {
        let found = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map(|t| t.partitions().len() as i32)
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                EventLogError::kafka_refused(format!("topic {topic} has no partitions"))
            })?;
        counts.insert(topic.clone(), found);
    }
    Ok(counts)
}
