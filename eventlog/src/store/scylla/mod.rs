//! The command store on ScyllaDB (or Cassandra), for command-side processes on several hosts
//! (ADR 0013). Schema: `schema/scylla/commands.cql`, applied when the store opens.
//!
//! **The gate** is one conditional batch on the aggregate's partition: `IF current_version =
//! <base>` on a static column and the command's row `IF NOT EXISTS`, inserting the event rows.
//! Paxos makes it linearizable across every process and host: of two appends on one version
//! exactly one is applied, and a command id is applied once per aggregate.
//!
//! **The outbox** cannot be in that batch (a conditional batch holds one partition), so every
//! event's outbox entry (`seqs`: sequence number → event, and `outbox`: the index the relay scans)
//! is written *before* the gate, as an intent. The relay treats an entry as a pointer only: it
//! publishes what the aggregate's partition holds, so an intent whose gate failed publishes
//! nothing; it is removed once it is older than [`INTENT_TIMEOUT`] and a serial read shows the
//! event is not there. An appender that could not reach the gate within half that time gives up,
//! so the relay never drops the intent of an event that can still be committed.
//!
//! **Sequence numbers** come from blocks of [`SEQ_BLOCK`] taken with a lightweight transaction, so
//! they are unique but not in commit order across processes ([`CommandStore::commit_ordered`] is
//! `false`): [`CommandStore::unpublished`] returns every waiting event, each aggregate's in
//! version order (read from its partition, not ordered by sequence number).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use codeflix_domain::{AggregateType, Report, Version};
use futures::{StreamExt, TryStreamExt, stream};
use scylla::client::session::Session;
use scylla::response::query_result::QueryResult;
use scylla::statement::SerialConsistency;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlValue;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{
    AppendOutcome, CommandRecord, CommandStore, NewEvents, OutboxRow, Position, Publication,
    StoreError, StoredEvent, backend,
};
use codeflix_scylla::ScyllaUrl;

mod gate;
mod outbox;
mod statements;

use outbox::{Entry, TailRow};
use statements::Statements;

/// The CQL schema, with `$keyspace` and `$replication` to fill in.
pub(crate) const SCHEMA: &str = include_str!("../../../schema/scylla/commands.cql");

/// Lightweight transactions are not supported in tablet keyspaces (ScyllaDB 6 creates those by
/// default).
const TABLETS_OFF: &str = "AND tablets = {'enabled': false}";

/// How long the gate's batch may take before the appender stops waiting for it.
const GATE_TIMEOUT: Duration = Duration::from_secs(5);

/// Sequence numbers a process takes at once.
pub const SEQ_BLOCK: i64 = 1024;

/// Buckets of the outbox index (partitions the relay reads).
const BUCKETS: i32 = 16;

/// How old an outbox intent must be before the relay may drop it as refused; an appender gives
/// up on its gate after half of it.
pub const INTENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Requests a store operation keeps in flight at once.
const IN_FLIGHT: usize = 16;

/// The clustering `command_id` of event rows.
const EVENT_ROW: Uuid = Uuid::nil();
const KIND_EVENT: i8 = 0;
const KIND_COMMAND: i8 = 1;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn int(version: Version) -> i64 {
    version.get() as i64
}

fn version(n: i64) -> Result<Version, StoreError> {
    u64::try_from(n)
        .map(Version::new)
        .map_err(|_| StoreError::Corrupt(format!("negative version {n}")))
}

/// The production [`CommandStore`].
#[derive(Clone)]
pub struct ScyllaStore {
    session: Arc<Session>,
    statements: Arc<Statements>,
    keyspace: String,
    /// This process's block of sequence numbers, still unused.
    block: Arc<Mutex<Range<i64>>>,
}

impl fmt::Debug for ScyllaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaStore")
            .field("keyspace", &self.keyspace)
            .finish_non_exhaustive()
    }
}

impl ScyllaStore {
    /// The command store's keyspace when the URL names none.
    pub const DEFAULT_KEYSPACE: &'static str = "codeflix_commands";

    /// Parses a command store URL (keyspace [`ScyllaStore::DEFAULT_KEYSPACE`] when it names
    /// none).
    pub fn url(text: &str) -> Result<ScyllaUrl, StoreError> {
        ScyllaUrl::parse(text, Self::DEFAULT_KEYSPACE).map_err(backend)
    }

    /// Connects, creates the keyspace and tables if they are missing, and prepares every
    /// statement.
    pub async fn open(url: &ScyllaUrl) -> Result<ScyllaStore, StoreError> {
        let session = match url.open(&SCHEMA.replace("$tablets", TABLETS_OFF)).await {
            Ok(session) => session,
            // Cassandra and ScyllaDB before tablets refuse the option: they need none.
            Err(e) if Report(&e).to_string().contains("tablets") => url
                .open(&SCHEMA.replace("$tablets", ""))
                .await
                .map_err(backend)?,
            Err(e) => return Err(backend(e)),
        };
        let statements = Statements::prepare(&session, &url.keyspace).await?;
        Ok(ScyllaStore {
            session: Arc::new(session),
            statements: Arc::new(statements),
            keyspace: url.keyspace.clone(),
            block: Arc::new(Mutex::new(0..0)),
        })
    }

    /// Drops the whole keyspace (tests; an operator's `DROP KEYSPACE` otherwise).
    pub async fn drop_keyspace(self) -> Result<(), StoreError> {
        codeflix_scylla::drop_keyspace(&self.session, &self.keyspace)
            .await
            .map_err(backend)
    }

    /// The first row a statement answers, if any.
    async fn first_row<T>(
        &self,
        statement: &PreparedStatement,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Option<T>, StoreError>
    where
        T: for<'frame> scylla::deserialize::row::DeserializeRow<'frame, 'frame>,
    {
        self.session
            .execute_unpaged(statement, values)
            .await
            .map_err(backend)?
            .into_rows_result()
            .map_err(backend)?
            .maybe_first_row::<T>()
            .map_err(backend)
    }
}

fn bucket(seq: i64) -> i32 {
    seq.rem_euclid(i64::from(BUCKETS)) as i32
}

/// The `[applied]` column of a lightweight transaction's answer.
fn applied(result: QueryResult) -> Result<bool, StoreError> {
    codeflix_scylla::applied(result).map_err(backend)
}

#[async_trait]
impl CommandStore for ScyllaStore {
    fn commit_ordered(&self) -> bool {
        false
    }

    async fn append(&self, append: NewEvents) -> Result<AppendOutcome, StoreError> {
        append.check_versions()?;
        let kind = append.aggregate_type.as_str();
        let id = append.aggregate_id.as_str();
        if let Some((other_type, other_id)) = self.claimed(append.command_id).await?
            && (other_type != kind || other_id != id)
        {
            // Used for another aggregate: what it did there (or nothing, if its gate refused it).
            let record = self
                .command_row(append.command_id, &other_type, &other_id, false)
                .await?;
            return Ok(AppendOutcome::Duplicate(
                record.unwrap_or(CommandRecord {
                    command_id: append.command_id,
                    aggregate_type: other_type
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                    aggregate_id: other_id,
                    base: Version::INITIAL,
                    new_version: Version::INITIAL,
                    seqs: Vec::new(),
                    request_digest: None,
                }),
            ));
        }
        let started = std::time::Instant::now();
        let seqs = if append.events.is_empty() {
            Vec::new()
        } else {
            self.take_seqs(append.events.len()).await?
        };
        let (intents, claim) = tokio::join!(
            self.write_intents(&append, &seqs, now_ms()),
            self.session
                .execute_unpaged(&self.statements.claim, (append.command_id, kind, id)),
        );
        intents?;
        claim.map_err(backend)?;
        if started.elapsed() > INTENT_TIMEOUT / 4 {
            // The relay may drop intents older than INTENT_TIMEOUT: never commit that late.
            self.drop_intents(&seqs, true).await?;
            return Err(backend(
                "the command store was too slow to append; retry the command",
            ));
        }
        if self.gate(&append, &seqs).await? {
            return Ok(AppendOutcome::Appended { seqs });
        }
        self.drop_intents(&seqs, true).await?;
        if let Some(record) = self.command_row(append.command_id, kind, id, true).await? {
            return Ok(AppendOutcome::Duplicate(record));
        }
        let current = self.current_version(kind, id, true).await?;
        Ok(AppendOutcome::Conflict { current })
    }

    async fn events(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        after: Version,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut rows = self
            .session
            .execute_iter(
                self.statements.read_events.clone(),
                (aggregate_type.as_str(), aggregate_id, int(after)),
            )
            .await
            .map_err(backend)?
            .rows_stream::<(i64, Vec<u8>)>()
            .map_err(backend)?;
        let mut events = Vec::new();
        while let Some((v, value)) = rows.try_next().await.map_err(backend)? {
            events.push(StoredEvent {
                version: version(v)?,
                value,
            });
        }
        Ok(events)
    }

    async fn version(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
    ) -> Result<Version, StoreError> {
        self.current_version(aggregate_type.as_str(), aggregate_id, false)
            .await
    }

    async fn command(&self, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError> {
        let Some((aggregate_type, aggregate_id)) = self.claimed(command_id).await? else {
            return Ok(None);
        };
        self.command_row(command_id, &aggregate_type, &aggregate_id, false)
            .await
    }

    /// Every waiting event (`after` is ignored: sequence numbers are not in commit order),
    /// aggregate by aggregate, each in version order; whole aggregates, so a few more than
    /// `limit` rows may come back.
    async fn unpublished(&self, _after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let seqs = self.read_outbox(limit).await?;
        let reads: Vec<_> = seqs.iter().map(|&seq| self.entry(seq)).collect();
        let entries: Vec<Option<Entry>> = stream::iter(reads)
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        // Aggregates in the order of their oldest waiting entry.
        let mut aggregates: Vec<(String, String)> = Vec::new();
        let mut intents: HashMap<(String, String), Vec<Entry>> = HashMap::new();
        let mut orphans = Vec::new();
        for (seq, entry) in seqs.iter().zip(entries) {
            let Some(entry) = entry else {
                orphans.push(*seq);
                continue;
            };
            let key = (entry.aggregate_type.clone(), entry.aggregate_id.clone());
            if !intents.contains_key(&key) {
                aggregates.push(key.clone());
            }
            intents.entry(key).or_default().push(entry);
        }
        if !orphans.is_empty() {
            self.drop_intents(&orphans, false).await?;
        }
        // Whole aggregates, until about `limit` rows: a round never grows past what it asked.
        let mut wanted = 0;
        let aggregates: Vec<(String, String)> = aggregates
            .into_iter()
            .take_while(|key| {
                let take = wanted < limit;
                wanted += intents.get(key).map_or(0, Vec::len);
                take
            })
            .collect();
        let tails: Vec<_> = aggregates
            .iter()
            .map(|key| self.waiting_events(&key.0, &key.1))
            .collect();
        let tails: Vec<Vec<TailRow>> = stream::iter(tails)
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        let mut rows = Vec::new();
        let mut settled = Vec::new();
        for (key, waiting) in aggregates.into_iter().zip(tails) {
            let waiting_ids: BTreeMap<Uuid, i64> =
                waiting.iter().map(|row| (row.2, row.1)).collect();
            for entry in intents.remove(&key).unwrap_or_default() {
                if waiting_ids.contains_key(&entry.event_id) {
                    continue;
                }
                // Not waiting: published already (a lost index delete), refused by its gate, or
                // its gate is still to come. Only an intent whose gate can no longer pass is
                // settled: its index row goes, and its entry too if the gate refused it.
                let old = now_ms() - entry.written_at_ms > INTENT_TIMEOUT.as_millis() as i64;
                if old {
                    let committed = self.committed(&entry).await?;
                    settled.push((entry.seq, !committed));
                }
            }
            for (_, seq, event_id, topic, partition, key, value, headers, _) in waiting {
                rows.push(OutboxRow {
                    seq,
                    event_id,
                    topic,
                    partition,
                    key,
                    value,
                    headers: headers.unwrap_or_default(),
                });
            }
        }
        for (seq, refused) in settled {
            self.drop_intents(&[seq], refused).await?;
        }
        Ok(rows)
    }

    async fn unpublished_count(&self) -> Result<u64, StoreError> {
        let counts = (0..BUCKETS).map(|b| async move {
            self.session
                .execute_unpaged(&self.statements.count_outbox, (b,))
                .await
                .map_err(backend)?
                .into_rows_result()
                .map_err(backend)?
                .first_row::<(i64,)>()
                .map(|(n,)| n as u64)
                .map_err(backend)
        });
        Ok(futures::future::try_join_all(counts).await?.iter().sum())
    }

    /// Marks in three steps, so that a failure part-way leaves nothing recovery would miss:
    /// each aggregate's event rows in the order given (Kafka order, so version order: a later
    /// version is never marked without the earlier ones), then the highest offset per partition
    /// in `published` (where recovery starts reading; written only once every mark below it
    /// is), then the index rows.
    async fn mark_published(&self, published: &[(i64, Uuid, i64)]) -> Result<usize, StoreError> {
        let reads: Vec<_> = published
            .iter()
            .map(|&(seq, _, _)| self.entry(seq))
            .collect();
        let entries: Vec<Option<Entry>> = stream::iter(reads)
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        let mut by_aggregate: BTreeMap<(String, String), Vec<(Entry, i64)>> = BTreeMap::new();
        for (entry, &(_, event_id, offset)) in entries.into_iter().zip(published) {
            // A message from another store's history (same number, other event) marks nothing.
            if let Some(entry) = entry.filter(|entry| entry.event_id == event_id) {
                by_aggregate
                    .entry((entry.aggregate_type.clone(), entry.aggregate_id.clone()))
                    .or_default()
                    .push((entry, offset));
            }
        }
        let marks: Vec<_> = by_aggregate
            .values()
            .map(|marks| async move {
                for (entry, offset) in marks {
                    self.session
                        .execute_unpaged(
                            &self.statements.mark_event,
                            (
                                *offset,
                                entry.aggregate_type.as_str(),
                                entry.aggregate_id.as_str(),
                                entry.version,
                            ),
                        )
                        .await
                        .map_err(backend)?;
                }
                Ok::<_, StoreError>(())
            })
            .collect();
        stream::iter(marks)
            .buffer_unordered(IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
        let mut highest: BTreeMap<(String, i32), (i64, i64)> = BTreeMap::new();
        for (entry, offset) in by_aggregate.values().flatten() {
            let top = highest
                .entry((entry.topic.clone(), entry.partition))
                .or_insert((*offset, entry.seq));
            if *offset > top.0 {
                *top = (*offset, entry.seq);
            }
        }
        let tops: Vec<_> = highest
            .iter()
            .map(|((topic, partition), (offset, seq))| {
                self.session.execute_unpaged(
                    &self.statements.write_published,
                    (topic.as_str(), *partition, *offset, *seq),
                )
            })
            .collect();
        futures::future::try_join_all(tops).await.map_err(backend)?;
        let seqs: Vec<i64> = by_aggregate
            .values()
            .flatten()
            .map(|(entry, _)| entry.seq)
            .collect();
        self.drop_intents(&seqs, false).await?;
        Ok(seqs.len())
    }

    async fn publications(&self, seqs: &[i64]) -> Result<Vec<Publication>, StoreError> {
        let reads: Vec<_> = seqs
            .iter()
            .map(|&seq| async move {
                let entry = self
                    .entry(seq)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("no outbox entry {seq}")))?;
                let row = self
                    .first_row::<(Option<Uuid>, Option<i64>)>(
                        &self.statements.read_publication,
                        (
                            entry.aggregate_type.as_str(),
                            entry.aggregate_id.as_str(),
                            entry.version,
                        ),
                    )
                    .await?;
                let offset = row
                    .filter(|(id, _)| *id == Some(entry.event_id))
                    .and_then(|(_, offset)| offset);
                Ok::<_, StoreError>(Publication {
                    seq,
                    event_id: entry.event_id,
                    position: offset.map(|offset| Position {
                        topic: entry.topic.clone(),
                        partition: entry.partition,
                        offset,
                    }),
                })
            })
            .collect();
        stream::iter(reads).buffered(IN_FLIGHT).try_collect().await
    }

    async fn last_published(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        self.first_row::<(i64, i64)>(&self.statements.last_published, (topic, partition))
            .await
    }

    async fn try_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError> {
        let current = self
            .first_row::<(String, i64)>(&self.statements.lease, ())
            .await?;
        let result = match current {
            None => {
                self.session
                    .execute_unpaged(&self.statements.lease_insert, (holder, now_ms + ttl_ms))
                    .await
            }
            Some((current, expires)) if current == holder || expires < now_ms => {
                self.session
                    .execute_unpaged(
                        &self.statements.lease_take,
                        (holder, now_ms + ttl_ms, current, expires),
                    )
                    .await
            }
            Some(_) => return Ok(false),
        };
        applied(result.map_err(backend)?)
    }

    async fn renew_lease(
        &self,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .session
            .execute_unpaged(
                &self.statements.lease_renew,
                (now_ms + ttl_ms, holder, now_ms),
            )
            .await
            .map_err(backend)?;
        applied(result)
    }

    async fn release_lease(&self, holder: &str) -> Result<(), StoreError> {
        self.session
            .execute_unpaged(&self.statements.lease_release, (holder,))
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_creates_the_keyspace_then_its_tables() {
        let url = ScyllaStore::url("scylla://db?replication_factor=3").unwrap();
        assert_eq!(url.keyspace, ScyllaStore::DEFAULT_KEYSPACE);
        let statements = url.schema(&SCHEMA.replace("$tablets", TABLETS_OFF));
        assert!(statements[0].starts_with("CREATE KEYSPACE IF NOT EXISTS codeflix_commands"));
        assert!(statements[0].contains("'replication_factor': 3"));
        assert!(statements[0].ends_with("AND tablets = {'enabled': false}"));
        let without = url.schema(&SCHEMA.replace("$tablets", ""));
        assert!(!without[0].contains("tablets"), "{}", without[0]);
        assert!(without.iter().all(|s| !s.contains('$')));
        let tables: Vec<&str> = statements[1..]
            .iter()
            .map(|s| {
                s.strip_prefix("CREATE TABLE IF NOT EXISTS codeflix_commands.")
                    .and_then(|rest| rest.split_once(' '))
                    .map_or(s.as_str(), |(table, _)| table)
            })
            .collect();
        assert_eq!(
            tables,
            [
                "aggregates",
                "command_ids",
                "seqs",
                "outbox",
                "sequencer",
                "published",
                "relay_lease"
            ]
        );
        assert!(statements.iter().all(|s| !s.contains('$')));
    }

    #[test]
    fn outbox_buckets_spread_consecutive_numbers() {
        let buckets: std::collections::BTreeSet<i32> = (1..=64).map(bucket).collect();
        assert_eq!(buckets.len(), BUCKETS as usize);
        assert!(buckets.iter().all(|b| (0..BUCKETS).contains(b)));
    }
}
