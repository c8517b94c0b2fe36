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
use codeflix_domain::{AggregateType, Version};
use futures::{StreamExt, TryStreamExt, stream};
use scylla::client::session::Session;
use scylla::response::query_result::QueryResult;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::CqlValue;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{
    AppendOutcome, CommandRecord, CommandStore, NewEvents, OutboxRow, Position, Publication,
    StoreError, StoredEvent,
};
use codeflix_scylla::ScyllaUrl;

/// The CQL schema, with `$keyspace` and `$replication` to fill in.
pub(crate) const SCHEMA: &str = include_str!("../../schema/scylla/commands.cql");

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

fn backend(e: impl fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

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

struct Statements {
    claim: PreparedStatement,
    claimed: PreparedStatement,
    write_seq: PreparedStatement,
    read_seq: PreparedStatement,
    delete_seq: PreparedStatement,
    write_outbox: PreparedStatement,
    read_outbox: PreparedStatement,
    count_outbox: PreparedStatement,
    delete_outbox: PreparedStatement,
    /// `IF current_version = ?` (base > 0) and `IF current_version = null` (base 0).
    gate: PreparedStatement,
    gate_new: PreparedStatement,
    insert_event: PreparedStatement,
    insert_command: PreparedStatement,
    read_command: PreparedStatement,
    /// The same, with serial consistency: settles a gate that may be in flight.
    read_command_serial: PreparedStatement,
    read_version: PreparedStatement,
    read_version_serial: PreparedStatement,
    read_events: PreparedStatement,
    read_event_serial: PreparedStatement,
    /// The aggregate's events newest first (the unpublished ones are the newest).
    read_tail: PreparedStatement,
    mark_event: PreparedStatement,
    write_published: PreparedStatement,
    last_published: PreparedStatement,
    read_publication: PreparedStatement,
    sequencer: PreparedStatement,
    sequencer_start: PreparedStatement,
    sequencer_take: PreparedStatement,
    lease: PreparedStatement,
    lease_insert: PreparedStatement,
    lease_take: PreparedStatement,
    lease_renew: PreparedStatement,
    lease_release: PreparedStatement,
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

/// An outbox entry: which event a sequence number stands for.
#[derive(Debug, Clone)]
struct Entry {
    seq: i64,
    aggregate_type: String,
    aggregate_id: String,
    version: i64,
    event_id: Uuid,
    topic: String,
    partition: i32,
    written_at_ms: i64,
}

type EntryRow = (String, String, i64, Uuid, String, i32, i64);

impl Entry {
    fn from_row(seq: i64, row: EntryRow) -> Entry {
        let (aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms) =
            row;
        Entry {
            seq,
            aggregate_type,
            aggregate_id,
            version,
            event_id,
            topic,
            partition,
            written_at_ms,
        }
    }
}

/// An event row as the relay needs it.
type TailRow = (
    i64,
    i64,
    Uuid,
    String,
    i32,
    Vec<u8>,
    Vec<u8>,
    Option<Vec<(String, String)>>,
    Option<i64>,
);

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
            Err(e) if e.contains("tablets") => url
                .open(&SCHEMA.replace("$tablets", ""))
                .await
                .map_err(StoreError::Backend)?,
            Err(e) => return Err(StoreError::Backend(e)),
        };
        let ks = &url.keyspace;
        let prepare = |cql: String, serial: bool| {
            let session = &session;
            async move {
                let mut statement = session.prepare(cql).await.map_err(backend)?;
                if serial {
                    statement.set_consistency(Consistency::Serial);
                }
                statement.set_serial_consistency(Some(SerialConsistency::Serial));
                Ok::<_, StoreError>(statement)
            }
        };
        let agg = format!("{ks}.aggregates");
        let partition = "aggregate_type = ? AND aggregate_id = ?";
        let command_row =
            format!("{partition} AND kind = {KIND_COMMAND} AND version = 0 AND command_id = ?");
        let event_row = format!(
            "{partition} AND kind = {KIND_EVENT} AND version = ? AND command_id = {EVENT_ROW}"
        );
        let statements = Statements {
            claim: prepare(
                format!("INSERT INTO {ks}.command_ids (command_id, aggregate_type, aggregate_id) VALUES (?, ?, ?)"),
                false,
            )
            .await?,
            claimed: prepare(
                format!("SELECT aggregate_type, aggregate_id FROM {ks}.command_ids WHERE command_id = ?"),
                false,
            )
            .await?,
            write_seq: prepare(
                format!(
                    "INSERT INTO {ks}.seqs (seq, aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                false,
            )
            .await?,
            read_seq: prepare(
                format!(
                    "SELECT aggregate_type, aggregate_id, version, event_id, topic, partition, written_at_ms \
                     FROM {ks}.seqs WHERE seq = ?"
                ),
                false,
            )
            .await?,
            delete_seq: prepare(format!("DELETE FROM {ks}.seqs WHERE seq = ?"), false).await?,
            write_outbox: prepare(
                format!("INSERT INTO {ks}.outbox (bucket, seq) VALUES (?, ?)"),
                false,
            )
            .await?,
            read_outbox: prepare(
                format!("SELECT seq FROM {ks}.outbox WHERE bucket = ? LIMIT ?"),
                false,
            )
            .await?,
            count_outbox: prepare(
                format!("SELECT COUNT(*) FROM {ks}.outbox WHERE bucket = ?"),
                false,
            )
            .await?,
            delete_outbox: prepare(
                format!("DELETE FROM {ks}.outbox WHERE bucket = ? AND seq = ?"),
                false,
            )
            .await?,
            gate: prepare(
                format!("UPDATE {agg} SET current_version = ? WHERE {partition} IF current_version = ?"),
                false,
            )
            .await?,
            gate_new: prepare(
                format!("UPDATE {agg} SET current_version = ? WHERE {partition} IF current_version = null"),
                false,
            )
            .await?,
            insert_event: prepare(
                format!(
                    "INSERT INTO {agg} (aggregate_type, aggregate_id, kind, version, command_id, seq, event_id, topic, \
                     partition, key, value, headers) VALUES (?, ?, {KIND_EVENT}, ?, {EVENT_ROW}, ?, ?, ?, ?, ?, ?, ?)"
                ),
                false,
            )
            .await?,
            insert_command: prepare(
                format!(
                    "INSERT INTO {agg} (aggregate_type, aggregate_id, kind, version, command_id, base_version, \
                     new_version, seqs, request_digest) VALUES (?, ?, {KIND_COMMAND}, 0, ?, ?, ?, ?, ?) IF NOT EXISTS"
                ),
                false,
            )
            .await?,
            read_command: prepare(
                format!("SELECT base_version, new_version, seqs, request_digest FROM {agg} WHERE {command_row}"),
                false,
            )
            .await?,
            read_command_serial: prepare(
                format!("SELECT base_version, new_version, seqs, request_digest FROM {agg} WHERE {command_row}"),
                true,
            )
            .await?,
            read_version: prepare(
                format!("SELECT current_version FROM {agg} WHERE {partition} LIMIT 1"),
                false,
            )
            .await?,
            read_version_serial: prepare(
                format!("SELECT current_version FROM {agg} WHERE {partition} LIMIT 1"),
                true,
            )
            .await?,
            read_events: prepare(
                format!(
                    "SELECT version, value FROM {agg} WHERE {partition} AND kind = {KIND_EVENT} AND version > ?"
                ),
                false,
            )
            .await?,
            read_event_serial: prepare(
                format!("SELECT event_id FROM {agg} WHERE {event_row}"),
                true,
            )
            .await?,
            read_tail: prepare(
                format!(
                    "SELECT version, seq, event_id, topic, partition, key, value, headers, published_offset \
                     FROM {agg} WHERE {partition} AND kind = {KIND_EVENT} ORDER BY kind DESC, version DESC"
                ),
                false,
            )
            .await?,
            mark_event: prepare(
                format!("UPDATE {agg} SET published_offset = ? WHERE {event_row}"),
                false,
            )
            .await?,
            write_published: prepare(
                format!("INSERT INTO {ks}.published (topic, partition, offset, seq) VALUES (?, ?, ?, ?)"),
                false,
            )
            .await?,
            last_published: prepare(
                format!("SELECT seq, offset FROM {ks}.published WHERE topic = ? AND partition = ? LIMIT 1"),
                false,
            )
            .await?,
            read_publication: prepare(
                format!("SELECT event_id, published_offset FROM {agg} WHERE {event_row}"),
                false,
            )
            .await?,
            sequencer: prepare(
                format!("SELECT next FROM {ks}.sequencer WHERE name = 'outbox'"),
                true,
            )
            .await?,
            sequencer_start: prepare(
                format!("INSERT INTO {ks}.sequencer (name, next) VALUES ('outbox', ?) IF NOT EXISTS"),
                false,
            )
            .await?,
            sequencer_take: prepare(
                format!("UPDATE {ks}.sequencer SET next = ? WHERE name = 'outbox' IF next = ?"),
                false,
            )
            .await?,
            lease: prepare(
                format!("SELECT holder, expires_at_ms FROM {ks}.relay_lease WHERE id = 1"),
                true,
            )
            .await?,
            lease_insert: prepare(
                format!("INSERT INTO {ks}.relay_lease (id, holder, expires_at_ms) VALUES (1, ?, ?) IF NOT EXISTS"),
                false,
            )
            .await?,
            lease_take: prepare(
                format!(
                    "UPDATE {ks}.relay_lease SET holder = ?, expires_at_ms = ? WHERE id = 1 \
                     IF holder = ? AND expires_at_ms = ?"
                ),
                false,
            )
            .await?,
            lease_renew: prepare(
                format!(
                    "UPDATE {ks}.relay_lease SET expires_at_ms = ? WHERE id = 1 \
                     IF holder = ? AND expires_at_ms >= ?"
                ),
                false,
            )
            .await?,
            lease_release: prepare(
                format!("DELETE FROM {ks}.relay_lease WHERE id = 1 IF holder = ?"),
                false,
            )
            .await?,
        };
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
            .map_err(StoreError::Backend)
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

    /// `count` fresh sequence numbers, ascending.
    async fn take_seqs(&self, count: usize) -> Result<Vec<i64>, StoreError> {
        let count = count as i64;
        let mut block = self.block.lock().await;
        if block.end - block.start < count {
            *block = self.take_block(count.max(SEQ_BLOCK)).await?;
        }
        let seqs = (block.start..block.start + count).collect();
        block.start += count;
        Ok(seqs)
    }

    /// Reserves `size` sequence numbers for this process.
    async fn take_block(&self, size: i64) -> Result<Range<i64>, StoreError> {
        loop {
            let current = self
                .first_row::<(i64,)>(&self.statements.sequencer, ())
                .await?;
            let (start, taken) = match current {
                None => {
                    let result = self
                        .session
                        .execute_unpaged(&self.statements.sequencer_start, (1 + size,))
                        .await
                        .map_err(backend)?;
                    (1, applied(result)?)
                }
                Some((next,)) => {
                    let result = self
                        .session
                        .execute_unpaged(&self.statements.sequencer_take, (next + size, next))
                        .await
                        .map_err(backend)?;
                    (next, applied(result)?)
                }
            };
            if taken {
                return Ok(start..start + size);
            }
        }
    }

    async fn claimed(&self, command_id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        self.first_row::<(String, String)>(&self.statements.claimed, (command_id,))
            .await
    }

    async fn command_row(
        &self,
        command_id: Uuid,
        aggregate_type: &str,
        aggregate_id: &str,
        serial: bool,
    ) -> Result<Option<CommandRecord>, StoreError> {
        let statement = if serial {
            &self.statements.read_command_serial
        } else {
            &self.statements.read_command
        };
        let row = self
            .first_row::<(i64, i64, Option<Vec<i64>>, Option<String>)>(
                statement,
                (aggregate_type, aggregate_id, command_id),
            )
            .await?;
        let Some((base, new_version, seqs, request_digest)) = row else {
            return Ok(None);
        };
        Ok(Some(CommandRecord {
            command_id,
            aggregate_type: aggregate_type
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            aggregate_id: aggregate_id.to_owned(),
            base: version(base)?,
            new_version: version(new_version)?,
            seqs: seqs.unwrap_or_default(),
            request_digest,
        }))
    }

    async fn current_version(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        serial: bool,
    ) -> Result<Version, StoreError> {
        let statement = if serial {
            &self.statements.read_version_serial
        } else {
            &self.statements.read_version
        };
        let row = self
            .first_row::<(Option<i64>,)>(statement, (aggregate_type, aggregate_id))
            .await?;
        version(row.and_then(|(v,)| v).unwrap_or(0))
    }

    async fn entry(&self, seq: i64) -> Result<Option<Entry>, StoreError> {
        let row = self
            .first_row::<EntryRow>(&self.statements.read_seq, (seq,))
            .await?;
        Ok(row.map(|row| Entry::from_row(seq, row)))
    }

    /// Writes the outbox intents of an append (before its gate): the entries first, then the
    /// index rows the relay scans, so an index row always has its entry.
    async fn write_intents(
        &self,
        append: &NewEvents,
        seqs: &[i64],
        written_at_ms: i64,
    ) -> Result<(), StoreError> {
        let entries: Vec<_> = append
            .events
            .iter()
            .zip(seqs)
            .map(|(event, &seq)| {
                self.session.execute_unpaged(
                    &self.statements.write_seq,
                    (
                        seq,
                        append.aggregate_type.as_str(),
                        append.aggregate_id.as_str(),
                        int(event.version),
                        event.event_id,
                        event.topic.as_str(),
                        event.partition,
                        written_at_ms,
                    ),
                )
            })
            .collect();
        futures::future::try_join_all(entries)
            .await
            .map_err(backend)?;
        let index: Vec<_> = seqs
            .iter()
            .map(|&seq| {
                self.session
                    .execute_unpaged(&self.statements.write_outbox, (bucket(seq), seq))
            })
            .collect();
        futures::future::try_join_all(index)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Removes outbox intents (their gate refused them, or their event is published): the index
    /// rows, then (`with_entries`) the entries.
    async fn drop_intents(&self, seqs: &[i64], with_entries: bool) -> Result<(), StoreError> {
        let index: Vec<_> = seqs
            .iter()
            .map(|&seq| {
                self.session
                    .execute_unpaged(&self.statements.delete_outbox, (bucket(seq), seq))
            })
            .collect();
        futures::future::try_join_all(index)
            .await
            .map_err(backend)?;
        if with_entries {
            let entries: Vec<_> = seqs
                .iter()
                .map(|&seq| {
                    self.session
                        .execute_unpaged(&self.statements.delete_seq, (seq,))
                })
                .collect();
            futures::future::try_join_all(entries)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// The conditional batch: the gate, the command's row and the events, on one partition.
    async fn gate(&self, append: &NewEvents, seqs: &[i64]) -> Result<bool, StoreError> {
        let kind = append.aggregate_type.as_str();
        let id = append.aggregate_id.as_str();
        let new_version = append.base.get() + append.events.len() as u64;
        let mut batch = Batch::new(BatchType::Logged);
        batch.set_serial_consistency(Some(SerialConsistency::Serial));
        batch.set_request_timeout(Some(GATE_TIMEOUT));
        let mut values: Vec<Vec<Option<CqlValue>>> = Vec::new();
        let text = |s: &str| Some(CqlValue::Text(s.to_owned()));
        let big = |n: i64| Some(CqlValue::BigInt(n));
        if append.base == Version::INITIAL {
            batch.append_statement(self.statements.gate_new.clone());
            // A command that changes nothing leaves a new aggregate without a version.
            let set = (new_version > 0).then_some(CqlValue::BigInt(new_version as i64));
            values.push(vec![set, text(kind), text(id)]);
        } else {
            batch.append_statement(self.statements.gate.clone());
            values.push(vec![
                big(new_version as i64),
                text(kind),
                text(id),
                big(int(append.base)),
            ]);
        }
        batch.append_statement(self.statements.insert_command.clone());
        values.push(vec![
            text(kind),
            text(id),
            Some(CqlValue::Uuid(append.command_id)),
            big(int(append.base)),
            big(new_version as i64),
            Some(CqlValue::List(
                seqs.iter().map(|&s| CqlValue::BigInt(s)).collect(),
            )),
            append.request_digest.as_deref().and_then(text),
        ]);
        for (event, &seq) in append.events.iter().zip(seqs) {
            batch.append_statement(self.statements.insert_event.clone());
            values.push(vec![
                text(kind),
                text(id),
                big(int(event.version)),
                big(seq),
                Some(CqlValue::Uuid(event.event_id)),
                text(&event.topic),
                Some(CqlValue::Int(event.partition)),
                Some(CqlValue::Blob(event.key.clone())),
                Some(CqlValue::Blob(event.value.clone())),
                Some(CqlValue::List(
                    event
                        .headers
                        .iter()
                        .map(|(name, value)| {
                            CqlValue::Tuple(vec![
                                Some(CqlValue::Text(name.clone())),
                                Some(CqlValue::Text(value.clone())),
                            ])
                        })
                        .collect(),
                )),
            ]);
        }
        let result = self.session.batch(&batch, values).await.map_err(backend)?;
        applied(result)
    }

    /// An aggregate's events that are not published yet, in version order.
    async fn waiting_events(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Vec<TailRow>, StoreError> {
        let mut rows = self
            .session
            .execute_iter(
                self.statements.read_tail.clone(),
                (aggregate_type, aggregate_id),
            )
            .await
            .map_err(backend)?
            .rows_stream::<TailRow>()
            .map_err(backend)?;
        let mut waiting = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            // The relay publishes each aggregate in version order: below a published event
            // everything is published.
            if row.8.is_some() {
                break;
            }
            waiting.push(row);
        }
        waiting.reverse();
        Ok(waiting)
    }

    /// Whether the event an intent stands for is committed (a serial read, which also settles a
    /// gate still in flight).
    async fn committed(&self, entry: &Entry) -> Result<bool, StoreError> {
        let row = self
            .first_row::<(Option<Uuid>,)>(
                &self.statements.read_event_serial,
                (
                    entry.aggregate_type.as_str(),
                    entry.aggregate_id.as_str(),
                    entry.version,
                ),
            )
            .await?;
        Ok(row.and_then(|(id,)| id) == Some(entry.event_id))
    }

    async fn read_outbox(&self, limit: usize) -> Result<Vec<i64>, StoreError> {
        let per_bucket = i32::try_from(limit).unwrap_or(i32::MAX).max(1);
        let reads = (0..BUCKETS).map(|b| async move {
            let result = self
                .session
                .execute_unpaged(&self.statements.read_outbox, (b, per_bucket))
                .await
                .map_err(backend)?
                .into_rows_result()
                .map_err(backend)?;
            result
                .rows::<(i64,)>()
                .map_err(backend)?
                .map(|row| row.map(|(seq,)| seq).map_err(backend))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut seqs: Vec<i64> = futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .collect();
        seqs.sort_unstable();
        seqs.truncate(limit);
        Ok(seqs)
    }
}

fn bucket(seq: i64) -> i32 {
    seq.rem_euclid(i64::from(BUCKETS)) as i32
}

/// The `[applied]` column of a lightweight transaction's answer.
fn applied(result: QueryResult) -> Result<bool, StoreError> {
    let rows = result.into_rows_result().map_err(backend)?;
    let first = rows
        .rows::<scylla::value::Row>()
        .map_err(backend)?
        .next()
        .transpose()
        .map_err(backend)?;
    match first.and_then(|row| row.columns.into_iter().next().flatten()) {
        Some(CqlValue::Boolean(applied)) => Ok(applied),
        other => Err(StoreError::Backend(format!(
            "a lightweight transaction answered without [applied]: {other:?}"
        ))),
    }
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
            return Err(StoreError::Backend(
                "the command store was too slow to append; retry the command".into(),
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
