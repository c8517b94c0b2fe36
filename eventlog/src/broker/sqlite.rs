//! What the embedded broker needs from its SQLite file beyond tansu 0.6.0's own queries: the
//! index a fetch needs, and consumer-group details read back as tansu wrote them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use libsql::{Connection, Statement, params};
use tansu_sans_io::record::{Record, deflated, header, inflated};
use tansu_storage::{GroupDetail, Topition};

use super::produce::Writer;
use crate::EventLogError;

fn sqlite_error(e: impl Into<crate::store::BoxError>) -> EventLogError {
    EventLogError::kafka("embedded broker database", e)
}

/// Connections of our own to the broker's database, beside tansu's: one for group details, one
/// that writes ([`Writer`]), and a few for reading records, which readers of different
/// partitions use side by side (SQLite in WAL mode lets readers run beside writes). Each keeps
/// its statements prepared; every connection shares what it learnt of partitions' row ids.
#[derive(Clone)]
pub(crate) struct BrokerDb {
    connection: Connection,
    readers: std::sync::Arc<Readers>,
    writer: std::sync::Arc<tokio::sync::Mutex<Writer>>,
    topitions: std::sync::Arc<Topitions>,
}

struct Readers {
    readers: Vec<tokio::sync::Mutex<Reader>>,
    next: AtomicUsize,
}

impl Readers {
    /// A reader no one is using, or else the next one in turn once it is free.
    async fn any(&self) -> tokio::sync::MutexGuard<'_, Reader> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        for i in 0..count {
            if let Ok(reader) = self.readers[(n + i) % count].try_lock() {
                return reader;
            }
        }
        self.readers[n % count].lock().await
    }
}

/// A reading connection and its statements, prepared on first use.
struct Reader {
    connection: Connection,
    statements: Option<ReadStatements>,
}

struct ReadStatements {
    records: Statement,
    headers: Statement,
}

impl Reader {
    async fn statements(&mut self) -> libsql::Result<&ReadStatements> {
        if self.statements.is_none() {
            self.statements = Some(ReadStatements {
                records: self
                    .connection
                    .prepare(
                        "select offset_id, attributes, timestamp, k, v, producer_id, \
                         producer_epoch from record \
                         where topition = ?1 and offset_id >= ?2 and offset_id < ?3 \
                         order by offset_id",
                    )
                    .await?,
                headers: self
                    .connection
                    .prepare(
                        "select offset_id, k, v from header \
                         where topition = ?1 and offset_id >= ?2 and offset_id <= ?3 \
                         order by offset_id, rowid",
                    )
                    .await?,
            });
        }
        Ok(self.statements.as_ref().expect("prepared above"))
    }
}

/// Connections for reading records: as many as the broker's runtime has threads.
const READERS: usize = 2;

/// The row id of each partition looked up so far. Row ids are never reused, but a topic deleted
/// and created again has new ones: creating or deleting a topic forgets them all, and counts a
/// generation, so that a lookup that raced it is not remembered.
#[derive(Default)]
pub(crate) struct Topitions {
    known: std::sync::Mutex<(u64, HashMap<Topition, i64>)>,
}

impl Topitions {
    fn known(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<Topition, i64>)> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn forget(&self) {
        let mut known = self.known();
        known.0 += 1;
        known.1.clear();
    }

    /// The row id of `topition` of `cluster`, read through `connection` unless known.
    pub(crate) async fn id(
        &self,
        connection: &Connection,
        cluster: &str,
        topition: &Topition,
    ) -> libsql::Result<Option<i64>> {
        let generation = {
            let known = self.known();
            if let Some(id) = known.1.get(topition) {
                return Ok(Some(*id));
            }
            known.0
        };
        let mut rows = connection
            .query(
                "select tp.id from cluster c join topic t on t.cluster = c.id \
                 join topition tp on tp.topic = t.id \
                 where c.name = ?1 and t.name = ?2 and tp.partition = ?3",
                params![cluster, topition.topic(), topition.partition()],
            )
            .await?;
        let Some(row) = rows.next().await? else {
            return Ok(None);
        };
        let id: i64 = row.get(0)?;
        let mut known = self.known();
        if known.0 == generation {
            known.1.insert(topition.clone(), id);
        }
        Ok(Some(id))
    }
}

impl std::fmt::Debug for BrokerDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerDb").finish_non_exhaustive()
    }
}

/// tansu 0.6.0 stores each record's headers in `header` without an index. A fetch reads the
/// headers of every record it returns by `(topition, offset_id)`, so each read scanned every
/// header ever written: fetch cost grew with the log until the broker wedged (ADR 0014).
/// Deleting a record (retention) cascades to its headers by the same key.
const HEADER_INDEX: &str =
    "create index if not exists codeflix_header_record on header (topition, offset_id)";

impl BrokerDb {
    /// Opens the database tansu has just created or opened at `path` and makes sure the
    /// indexes exist (building one over a large existing log takes seconds, once).
    pub(crate) async fn open(path: &std::path::Path) -> Result<BrokerDb, EventLogError> {
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(sqlite_error)?;
        let connection = db.connect().map_err(sqlite_error)?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(sqlite_error)?;
        let started = Instant::now();
        connection
            .execute(HEADER_INDEX, ())
            .await
            .map_err(sqlite_error)?;
        let took = started.elapsed();
        if took > Duration::from_secs(1) {
            tracing::info!(?took, "embedded broker: indexed the stored headers");
        }
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = db.connect().map_err(sqlite_error)?;
            reader
                .busy_timeout(Duration::from_secs(30))
                .map_err(sqlite_error)?;
            readers.push(tokio::sync::Mutex::new(Reader {
                connection: reader,
                statements: None,
            }));
        }
        let topitions = std::sync::Arc::<Topitions>::default();
        let writer = Writer::open(&db, std::sync::Arc::clone(&topitions))
            .await
            .map_err(sqlite_error)?;
        Ok(BrokerDb {
            connection,
            readers: std::sync::Arc::new(Readers {
                readers,
                next: AtomicUsize::new(0),
            }),
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(writer)),
            topitions,
        })
    }

    /// Forgets the partitions' row ids, when a topic was created or deleted.
    pub(crate) fn forget_topitions(&self) {
        self.topitions.forget();
    }

    /// Appends a batch outside any transaction to `topition` and answers its first offset
    /// ([`Writer::produce`]).
    pub(crate) async fn produce(
        &self,
        cluster: &str,
        topition: &Topition,
        batch: deflated::Batch,
    ) -> Result<i64, tansu_storage::Error> {
        self.writer
            .lock()
            .await
            .produce(cluster, topition, batch)
            .await
    }

    /// The records of `topition` from `offset` and below `end`, keys and values adding up to at
    /// most `max_bytes` (but at least one record, as Kafka answers), with their headers: one
    /// query for the records and one for their headers, both by index and stopping where the
    /// answer does. (tansu 0.6.0 sums the sizes of every record up to the end of the partition
    /// before it limits, and reads each record's headers with a query of its own, so reading a
    /// large partition from its start cost more with every record behind the fetch offset.)
    pub(crate) async fn records(
        &self,
        cluster: &str,
        topition: &Topition,
        offset: i64,
        end: i64,
        max_bytes: u32,
    ) -> Result<Vec<deflated::Batch>, tansu_storage::Error> {
        let mut reader = self.readers.any().await;
        let Some(id) = self
            .topitions
            .id(&reader.connection, cluster, topition)
            .await
            .map_err(storage_error)?
        else {
            return Ok(Vec::new());
        };
        let statements = reader.statements().await.map_err(storage_error)?;
        statements.records.reset();
        let mut rows = statements
            .records
            .query(params![id, offset, end])
            .await
            .map_err(storage_error)?;
        let mut records = Vec::new();
        let mut bytes = 0u64;
        while let Some(row) = rows.next().await.map_err(storage_error)? {
            let stored = Stored {
                offset: row.get(0).map_err(storage_error)?,
                attributes: row
                    .get::<Option<i64>>(1)
                    .map_err(storage_error)?
                    .unwrap_or(0),
                timestamp: row
                    .get::<Option<i64>>(2)
                    .map_err(storage_error)?
                    .unwrap_or(0),
                key: row.get::<Option<Vec<u8>>>(3).map_err(storage_error)?,
                value: row.get::<Option<Vec<u8>>>(4).map_err(storage_error)?,
                producer_id: row
                    .get::<Option<i64>>(5)
                    .map_err(storage_error)?
                    .unwrap_or(-1),
                producer_epoch: row
                    .get::<Option<i64>>(6)
                    .map_err(storage_error)?
                    .unwrap_or(-1),
                headers: Vec::new(),
            };
            let size = (stored.key.as_ref().map_or(0, Vec::len)
                + stored.value.as_ref().map_or(0, Vec::len)) as u64;
            if !records.is_empty() && bytes + size > u64::from(max_bytes) {
                break;
            }
            bytes += size;
            records.push(stored);
        }
        drop(rows);
        statements.records.reset();
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(Vec::new());
        };
        let (first, last) = (first.offset, last.offset);

        statements.headers.reset();
        let mut headers = statements
            .headers
            .query(params![id, first, last])
            .await
            .map_err(storage_error)?;
        let mut at = 0;
        while let Some(row) = headers.next().await.map_err(storage_error)? {
            let offset: i64 = row.get(0).map_err(storage_error)?;
            while records.get(at).is_some_and(|r| r.offset < offset) {
                at += 1;
            }
            if let Some(record) = records.get_mut(at)
                && record.offset == offset
            {
                record.headers.push((
                    row.get::<Option<Vec<u8>>>(1).map_err(storage_error)?,
                    row.get::<Option<Vec<u8>>>(2).map_err(storage_error)?,
                ));
            }
        }
        drop(headers);
        statements.headers.reset();
        batches(records)
    }

    /// The stored detail of each named group of `cluster`: `None` for a group that does not
    /// exist, the default (no members: "Empty") for one that only has committed offsets.
    pub(crate) async fn group_details(
        &self,
        cluster: &str,
        groups: &[String],
    ) -> Result<Vec<(String, Option<GroupDetail>)>, tansu_storage::Error> {
        let mut details = Vec::with_capacity(groups.len());
        for group in groups {
            let mut rows = self
                .connection
                .query(
                    "select cgd.detail from cluster c \
                     join consumer_group cg on cg.cluster = c.id \
                     left join consumer_group_detail cgd on cgd.consumer_group = cg.id \
                     where c.name = ?1 and cg.name = ?2",
                    params![cluster, group.as_str()],
                )
                .await
                .map_err(storage_error)?;
            let detail = match rows.next().await.map_err(storage_error)? {
                None => None,
                Some(row) => Some(match row.get::<Option<String>>(0).map_err(storage_error)? {
                    Some(json) => serde_json::from_str::<GroupDetail>(&json).map_err(|e| {
                        tansu_storage::Error::Message(format!("group {group}: {e}"))
                    })?,
                    None => GroupDetail::default(),
                }),
            };
            details.push((group.clone(), detail));
        }
        Ok(details)
    }

    /// Every group of `cluster`, by name.
    pub(crate) async fn group_names(
        &self,
        cluster: &str,
    ) -> Result<Vec<String>, tansu_storage::Error> {
        let mut rows = self
            .connection
            .query(
                "select cg.name from cluster c join consumer_group cg on cg.cluster = c.id \
                 where c.name = ?1 order by cg.name",
                params![cluster],
            )
            .await
            .map_err(storage_error)?;
        let mut names = Vec::new();
        while let Some(row) = rows.next().await.map_err(storage_error)? {
            names.push(row.get::<String>(0).map_err(storage_error)?);
        }
        Ok(names)
    }
}

/// A stored record with its headers, as read.
struct Stored {
    offset: i64,
    attributes: i64,
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    producer_id: i64,
    producer_epoch: i64,
    headers: Vec<StoredHeader>,
}

/// A header's key and value, either of which may be null.
type StoredHeader = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Consecutive records of one producer and the same attributes become one batch.
fn batches(records: Vec<Stored>) -> Result<Vec<deflated::Batch>, tansu_storage::Error> {
    let mut batches = Vec::new();
    let mut current: Option<(inflated::Builder, (i64, i64, i64))> = None;
    for record in records {
        let group = (record.attributes, record.producer_id, record.producer_epoch);
        if let Some((builder, open)) = current.take() {
            if open == group {
                current = Some((builder, open));
            } else {
                batches.push(deflate(builder)?);
            }
        }
        let (builder, _) = current.get_or_insert_with(|| {
            (
                inflated::Batch::builder()
                    .base_offset(record.offset)
                    .base_timestamp(record.timestamp)
                    .max_timestamp(record.timestamp)
                    .attributes(i16::try_from(record.attributes).unwrap_or(0))
                    .producer_id(record.producer_id)
                    .producer_epoch(i16::try_from(record.producer_epoch).unwrap_or(-1)),
                group,
            )
        });
        let offset_delta = i32::try_from(record.offset - builder.base_offset)?;
        let mut built = Record::builder()
            .offset_delta(offset_delta)
            .timestamp_delta(record.timestamp - builder.base_timestamp)
            .key(record.key.map(Bytes::from))
            .value(record.value.map(Bytes::from));
        for (key, value) in record.headers {
            let mut header = header::Header::builder();
            if let Some(key) = key {
                header = header.key(Bytes::from(key));
            }
            if let Some(value) = value {
                header = header.value(Bytes::from(value));
            }
            built = built.header(header);
        }
        let max_timestamp = builder.max_timestamp.max(record.timestamp);
        *builder = std::mem::take(builder)
            .record(built)
            .last_offset_delta(offset_delta)
            .max_timestamp(max_timestamp);
    }
    if let Some((builder, _)) = current {
        batches.push(deflate(builder)?);
    }
    Ok(batches)
}

fn deflate(builder: inflated::Builder) -> Result<deflated::Batch, tansu_storage::Error> {
    Ok(deflated::Batch::try_from(builder.build()?)?)
}

pub(super) fn storage_error(e: libsql::Error) -> tansu_storage::Error {
    tansu_storage::Error::Message(format!("embedded broker database: {e}"))
}
