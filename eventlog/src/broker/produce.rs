//! The embedded broker's produce path on SQLite, beside tansu's: the same rows in the same
//! tables under the same Kafka rules, written with statements prepared once.
//!
//! tansu 0.6.0 prepares every SQL statement each time it runs it, and a produce runs one per
//! record and one per header (thirteen headers per event) besides its bookkeeping: preparing
//! them was a third of the platform's CPU under load, more than the inserts themselves. Here one
//! writer connection keeps its statements, knows each partition's row id, and writes a batch
//! in one immediate transaction, as tansu does. Transactional and control batches (which touch
//! tansu's transaction tables) still go through tansu.

use std::sync::Arc;
use std::time::Duration;

use libsql::{Connection, Row, Statement, params};
use tansu_sans_io::ErrorCode;
use tansu_sans_io::record::{deflated, inflated};
use tansu_storage::{Error, Topition};

use super::sqlite::{Topitions, storage_error};

/// The writer connection and its statements.
pub(crate) struct Writer {
    connection: Connection,
    statements: Option<Statements>,
    topitions: Arc<Topitions>,
}

/// Every statement a produce runs, prepared on first use and kept.
struct Statements {
    begin: Statement,
    commit: Statement,
    rollback: Statement,
    epoch: Statement,
    sequence: Statement,
    store_sequence: Statement,
    watermark: Statement,
    store_watermark: Statement,
    record: Statement,
    header: Statement,
}

impl Statements {
    async fn prepare(connection: &Connection) -> libsql::Result<Statements> {
        Ok(Statements {
            begin: connection.prepare("begin immediate").await?,
            commit: connection.prepare("commit").await?,
            rollback: connection.prepare("rollback").await?,
            // The producer's current epoch: the newest one init_producer gave it.
            epoch: connection
                .prepare(
                    "select pe.epoch from cluster c join producer p on p.cluster = c.id \
                     join producer_epoch pe on pe.producer = p.id \
                     where c.name = ?1 and p.id = ?2 order by pe.epoch desc limit 1",
                )
                .await?,
            // The sequence number the producer's next batch to this partition must carry.
            sequence: connection
                .prepare(
                    "select pe.id, coalesce(pd.sequence, 0) from producer_epoch pe \
                     left join producer_detail pd \
                     on pd.producer_epoch = pe.id and pd.topition = ?3 \
                     where pe.producer = ?1 and pe.epoch = ?2",
                )
                .await?,
            store_sequence: connection
                .prepare(
                    "insert into producer_detail (producer_epoch, topition, sequence) \
                     values (?1, ?2, ?3) on conflict (producer_epoch, topition) \
                     do update set sequence = excluded.sequence, \
                     last_updated = current_timestamp",
                )
                .await?,
            watermark: connection
                .prepare("select low, high from watermark where topition = ?1")
                .await?,
            store_watermark: connection
                .prepare(
                    "update watermark set low = ?2, high = ?3, \
                     last_updated = current_timestamp where topition = ?1",
                )
                .await?,
            // As tansu stores a record outside a transaction: no producer id or epoch.
            record: connection
                .prepare(
                    "insert into record \
                     (topition, offset_id, attributes, producer_id, producer_epoch, timestamp, k, v) \
                     values (?1, ?2, ?3, null, null, ?4, ?5, ?6)",
                )
                .await?,
            header: connection
                .prepare("insert into header (topition, offset_id, k, v) values (?1, ?2, ?3, ?4)")
                .await?,
        })
    }
}

/// Runs `statement` (from its start) and maps its first row, if any, before the statement is
/// reset (a row reads its columns from the statement).
async fn first<T>(
    statement: &Statement,
    params: impl libsql::params::IntoParams,
    map: impl FnOnce(&Row) -> libsql::Result<T>,
) -> libsql::Result<Option<T>> {
    statement.reset();
    let mut rows = statement.query(params).await?;
    let mapped = match rows.next().await? {
        Some(row) => Some(map(&row)?),
        None => None,
    };
    drop(rows);
    statement.reset();
    Ok(mapped)
}

/// Runs a statement that returns no rows, from its start.
async fn run(
    statement: &Statement,
    params: impl libsql::params::IntoParams,
) -> libsql::Result<usize> {
    statement.reset();
    let changed = statement.execute(params).await;
    statement.reset();
    changed
}

impl Writer {
    /// A connection of its own to the database at `db`, set up as tansu sets up its own.
    pub(crate) async fn open(
        db: &libsql::Database,
        topitions: Arc<Topitions>,
    ) -> libsql::Result<Writer> {
        let connection = db.connect()?;
        connection.busy_timeout(Duration::from_secs(30))?;
        // Pragmas that answer with a row are run as queries.
        for pragma in [
            "pragma journal_mode = wal",
            "pragma synchronous = normal",
            "pragma foreign_keys = on",
        ] {
            let mut rows = connection.query(pragma, ()).await?;
            while rows.next().await?.is_some() {}
        }
        Ok(Writer {
            connection,
            statements: None,
            topitions,
        })
    }

    /// Appends `batch` to `topition` of `cluster` and answers the offset of its first record,
    /// or changes nothing: the idempotent producer's sequence checked and advanced, each record
    /// and header stored, the high watermark moved, in one transaction.
    pub(crate) async fn produce(
        &mut self,
        cluster: &str,
        topition: &Topition,
        batch: deflated::Batch,
    ) -> Result<i64, Error> {
        let idempotent = batch.is_idempotent().then_some(Idempotent {
            producer_id: batch.producer_id,
            producer_epoch: batch.producer_epoch,
            base_sequence: batch.base_sequence,
            count: batch.last_offset_delta + 1,
        });
        let inflated = inflated::Batch::try_from(batch)?;
        let Some(id) = self
            .topitions
            .id(&self.connection, cluster, topition)
            .await
            .map_err(storage_error)?
        else {
            return Err(Error::Api(ErrorCode::UnknownTopicOrPartition));
        };
        if self.statements.is_none() {
            self.statements = Some(
                Statements::prepare(&self.connection)
                    .await
                    .map_err(storage_error)?,
            );
        }
        let statements = self.statements.as_ref().expect("prepared above");
        run(&statements.begin, ()).await.map_err(storage_error)?;
        match append(statements, cluster, id, idempotent, &inflated).await {
            Ok(offset) => {
                run(&statements.commit, ()).await.map_err(storage_error)?;
                Ok(offset)
            }
            Err(error) => {
                if let Err(rollback) = run(&statements.rollback, ()).await {
                    tracing::warn!(%rollback, "embedded broker: rolling back a produce");
                }
                if matches!(error, Error::Api(ErrorCode::UnknownTopicOrPartition)) {
                    // Deleted since it was looked up.
                    self.topitions.forget();
                }
                Err(error)
            }
        }
    }
}

/// What an idempotent producer's batch claims: who sent it and where it belongs in their
/// sequence.
#[derive(Clone, Copy)]
struct Idempotent {
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    count: i32,
}

/// The writes of one produce, inside its transaction.
async fn append(
    statements: &Statements,
    cluster: &str,
    topition: i64,
    idempotent: Option<Idempotent>,
    batch: &inflated::Batch,
) -> Result<i64, Error> {
    if let Some(idempotent) = idempotent {
        sequence(statements, cluster, topition, idempotent).await?;
    }
    let Some((low, high)) = first(&statements.watermark, params![topition], |row| {
        Ok((row.get::<Option<i64>>(0)?, row.get::<Option<i64>>(1)?))
    })
    .await
    .map_err(storage_error)?
    else {
        return Err(Error::Api(ErrorCode::UnknownTopicOrPartition));
    };
    let base = high.unwrap_or_default();
    for (delta, record) in batch.records.iter().enumerate() {
        let offset = base + i64::try_from(delta)?;
        run(
            &statements.record,
            params![
                topition,
                offset,
                batch.attributes,
                batch.base_timestamp + record.timestamp_delta,
                record.key.as_deref().map(<[u8]>::to_vec),
                record.value.as_deref().map(<[u8]>::to_vec),
            ],
        )
        .await
        .map_err(storage_error)?;
        for header in &record.headers {
            run(
                &statements.header,
                params![
                    topition,
                    offset,
                    header.key.as_deref().map(<[u8]>::to_vec),
                    header.value.as_deref().map(<[u8]>::to_vec),
                ],
            )
            .await
            .map_err(storage_error)?;
        }
    }
    // As tansu moves it: past the batch's last offset delta.
    let high = base + i64::from(batch.last_offset_delta) + 1;
    run(
        &statements.store_watermark,
        params![topition, low.unwrap_or_default(), high],
    )
    .await
    .map_err(storage_error)?;
    Ok(base)
}

/// Checks an idempotent producer's batch against what it sent this partition before, and
/// advances its sequence past the batch. A batch sent before is a duplicate; one that skips
/// ahead is out of order; a producer with a newer epoch fences this one (Kafka's rules, as
/// tansu applies them).
async fn sequence(
    statements: &Statements,
    cluster: &str,
    topition: i64,
    batch: Idempotent,
) -> Result<(), Error> {
    let Some(current) = first(
        &statements.epoch,
        params![cluster, batch.producer_id],
        |row| row.get::<i64>(0),
    )
    .await
    .map_err(storage_error)?
    else {
        return Err(Error::Api(ErrorCode::UnknownProducerId));
    };
    match current.cmp(&i64::from(batch.producer_epoch)) {
        std::cmp::Ordering::Greater => return Err(Error::Api(ErrorCode::ProducerFenced)),
        std::cmp::Ordering::Less => return Err(Error::Api(ErrorCode::InvalidProducerEpoch)),
        std::cmp::Ordering::Equal => {}
    }
    let Some((epoch, expected)) = first(
        &statements.sequence,
        params![batch.producer_id, batch.producer_epoch, topition],
        |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
    )
    .await
    .map_err(storage_error)?
    else {
        return Err(Error::Api(ErrorCode::UnknownProducerId));
    };
    match expected.cmp(&i64::from(batch.base_sequence)) {
        std::cmp::Ordering::Greater => Err(Error::Api(ErrorCode::DuplicateSequenceNumber)),
        std::cmp::Ordering::Less => Err(Error::Api(ErrorCode::OutOfOrderSequenceNumber)),
        std::cmp::Ordering::Equal => {
            run(
                &statements.store_sequence,
                params![epoch, topition, expected + i64::from(batch.count)],
            )
            .await
            .map_err(storage_error)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    //! Conformance with tansu: the same produces against tansu's path and this one leave the
    //! same rows and give the same answers.

    use bytes::Bytes;
    use tansu_sans_io::create_topics_request::CreatableTopic;
    use tansu_sans_io::record::{Record, header};
    use tansu_storage::{BrokerRegistrationRequest, Storage, StorageContainer};
    use url::Url;

    use super::*;
    use crate::broker::sqlite::BrokerDb;
    use crate::broker::storage::BrokerStorage;

    const CLUSTER: &str = "conformance";

    async fn open(path: &std::path::Path, ours: bool) -> BrokerStorage<StorageContainer> {
        let container = StorageContainer::builder()
            .cluster_id(CLUSTER)
            .node_id(1)
            .advertised_listener(Url::parse("tcp://127.0.0.1:9092").unwrap())
            .storage(Url::parse(&format!("sqlite:///{}", path.display())).unwrap())
            .silent(true)
            .build()
            .await
            .unwrap();
        let db = if ours {
            Some(BrokerDb::open(path).await.unwrap())
        } else {
            None
        };
        let storage = BrokerStorage::new(container, CLUSTER, db);
        storage
            .register_broker(BrokerRegistrationRequest {
                broker_id: 1,
                cluster_id: CLUSTER.to_owned(),
                incarnation_id: uuid::Uuid::new_v4(),
                rack: None,
            })
            .await
            .unwrap();
        storage
    }

    /// A batch of `records` records from `producer` (id, epoch, first sequence), or from no
    /// idempotent producer; keys, values and headers vary and some are null.
    fn batch(producer: Option<(i64, i16, i32)>, first: usize, records: usize) -> deflated::Batch {
        let (id, epoch, sequence) = producer.unwrap_or((-1, -1, -1));
        let base_timestamp = 1_790_000_000_000 + i64::try_from(first).unwrap();
        let mut builder = inflated::Batch::builder()
            .base_timestamp(base_timestamp)
            .max_timestamp(base_timestamp + i64::try_from(records).unwrap())
            .producer_id(id)
            .producer_epoch(epoch)
            .base_sequence(sequence)
            .last_offset_delta(i32::try_from(records).unwrap() - 1);
        for delta in 0..records {
            let n = first + delta;
            let mut record = Record::builder()
                .offset_delta(i32::try_from(delta).unwrap())
                .timestamp_delta(i64::try_from(delta).unwrap())
                .key((!n.is_multiple_of(3)).then(|| Bytes::from(format!("key-{n}"))))
                .value((!n.is_multiple_of(5)).then(|| Bytes::from(format!("value-{n}"))));
            for h in 0..n % 4 {
                let mut built = header::Header::builder().key(Bytes::from(format!("h{h}")));
                if h != 1 {
                    built = built.value(Bytes::from(format!("{n}.{h}")));
                }
                record = record.header(built);
            }
            builder = builder.record(record);
        }
        deflated::Batch::try_from(builder.build().unwrap()).unwrap()
    }

    /// What a produce answered: its offset or its error code.
    fn answer(result: Result<i64, Error>) -> Result<i64, String> {
        result.map_err(|error| match error {
            Error::Api(code) => format!("{code:?}"),
            other => panic!("a produce failed outside Kafka's rules: {other}"),
        })
    }

    /// The rows a produce writes, without row ids and times.
    async fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
        let db = libsql::Builder::new_local(path).build().await.unwrap();
        let connection = db.connect().unwrap();
        let mut tables = Vec::new();
        for query in [
            "select t.name, tp.partition, r.offset_id, r.attributes, r.producer_id, \
             r.producer_epoch, r.timestamp, hex(r.k), hex(r.v) \
             from record r join topition tp on tp.id = r.topition join topic t on t.id = tp.topic \
             order by t.name, tp.partition, r.offset_id",
            "select t.name, tp.partition, h.offset_id, hex(h.k), hex(h.v) \
             from header h join topition tp on tp.id = h.topition join topic t on t.id = tp.topic \
             order by t.name, tp.partition, h.offset_id, h.rowid",
            "select t.name, tp.partition, w.low, w.high \
             from watermark w join topition tp on tp.id = w.topition \
             join topic t on t.id = tp.topic order by t.name, tp.partition",
            "select pe.producer, pe.epoch, t.name, tp.partition, pd.sequence \
             from producer_detail pd join producer_epoch pe on pe.id = pd.producer_epoch \
             join topition tp on tp.id = pd.topition join topic t on t.id = tp.topic \
             order by pe.producer, pe.epoch, t.name, tp.partition",
        ] {
            let mut found = connection.query(query, ()).await.unwrap();
            let mut table = vec![query.split_whitespace().nth(1).unwrap().to_owned()];
            while let Some(row) = found.next().await.unwrap() {
                let values: Vec<String> = (0..row.column_count())
                    .map(|i| format!("{:?}", row.get_value(i).unwrap()))
                    .collect();
                table.push(values.join("|"));
            }
            tables.push(table);
        }
        tables
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn produces_the_rows_and_answers_tansu_produces() {
        let dir = tempfile::tempdir().unwrap();
        let mut answers = Vec::new();
        let mut tables = Vec::new();
        for ours in [false, true] {
            let path = dir.path().join(format!("{ours}.db"));
            let storage = open(&path, ours).await;
            for topic in ["events", "other"] {
                storage
                    .create_topic(
                        CreatableTopic::default()
                            .name(topic.into())
                            .num_partitions(2)
                            .replication_factor(1)
                            .assignments(Some([].into()))
                            .configs(Some([].into())),
                        false,
                    )
                    .await
                    .unwrap();
            }
            let first = storage
                .init_producer(None, 60_000, Some(-1), Some(-1))
                .await
                .unwrap();
            let second = storage
                .init_producer(None, 60_000, Some(-1), Some(-1))
                .await
                .unwrap();
            let (p, e) = (first.id, first.epoch);
            let events0 = Topition::new("events", 0);
            let events1 = Topition::new("events", 1);
            let other0 = Topition::new("other", 0);
            let mut answered = Vec::new();
            for (topition, batch) in [
                (&events0, batch(Some((p, e, 0)), 0, 3)),
                (&events0, batch(Some((p, e, 3)), 3, 5)),
                // Sent again: a duplicate, nothing stored.
                (&events0, batch(Some((p, e, 3)), 3, 5)),
                // A gap in the sequence.
                (&events0, batch(Some((p, e, 10)), 8, 1)),
                // Another partition has its own sequence.
                (&events1, batch(Some((p, e, 0)), 20, 2)),
                (&events0, batch(Some((second.id, second.epoch, 0)), 30, 1)),
                // Not an idempotent producer.
                (&events0, batch(None, 40, 4)),
                (&other0, batch(None, 50, 1)),
                (&events0, batch(Some((p, e, 8)), 60, 2)),
            ] {
                answered.push(answer(storage.produce(None, topition, batch).await));
            }
            if ours {
                // An epoch the producer was never given (tansu's own path panics on it).
                let future = batch(Some((p, e + 1, 2)), 70, 1);
                answered.push(answer(storage.produce(None, &events1, future).await));
            }
            answers.push(answered);
            tables.push(rows(&path).await);
        }
        assert_eq!(answers[0], answers[1][..9], "answers: tansu's, then ours");
        assert_eq!(tables[0], tables[1], "rows: tansu's, then ours");
        // The answers are Kafka's, not just the same as tansu's.
        assert_eq!(
            answers[1],
            [
                Ok(0),
                Ok(3),
                Err("DuplicateSequenceNumber".to_owned()),
                Err("OutOfOrderSequenceNumber".to_owned()),
                Ok(0),
                Ok(8),
                Ok(9),
                Ok(0),
                Ok(13),
                Err("InvalidProducerEpoch".to_owned()),
            ]
        );
        assert_eq!(tables[1][0].len(), 1 + 3 + 5 + 2 + 1 + 4 + 1 + 2, "records");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_produce_to_a_missing_partition_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.db");
        let storage = open(&path, true).await;
        let before = rows(&path).await;
        let answered = storage
            .produce(None, &Topition::new("nowhere", 0), batch(None, 0, 2))
            .await;
        assert_eq!(answer(answered), Err("UnknownTopicOrPartition".to_owned()));
        assert_eq!(rows(&path).await, before);
    }

    /// Partitions' row ids are remembered; a topic deleted and created again under its name
    /// has new ones, and both writes and reads find them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_topic_created_again_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("again.db");
        let storage = open(&path, true).await;
        let topition = Topition::new("again", 0);
        let create = || {
            CreatableTopic::default()
                .name("again".into())
                .num_partitions(1)
                .replication_factor(1)
                .assignments(Some([].into()))
                .configs(Some([].into()))
        };
        storage.create_topic(create(), false).await.unwrap();
        for first in [0, 3] {
            let answered = storage
                .produce(None, &topition, batch(None, first, 3))
                .await;
            assert_eq!(answer(answered), Ok(i64::try_from(first).unwrap()));
        }
        let read = storage
            .records(
                &topition,
                0,
                6,
                1 << 20,
                tansu_sans_io::IsolationLevel::ReadUncommitted,
            )
            .await
            .unwrap();
        assert_eq!(read.iter().map(|b| b.record_count).sum::<u32>(), 6);

        storage
            .delete_topic(&tansu_storage::TopicId::Name("again".into()))
            .await
            .unwrap();
        storage.create_topic(create(), false).await.unwrap();
        let answered = storage.produce(None, &topition, batch(None, 10, 2)).await;
        assert_eq!(answer(answered), Ok(0), "the new topic starts at offset 0");
        let read = storage
            .records(
                &topition,
                0,
                2,
                1 << 20,
                tansu_sans_io::IsolationLevel::ReadUncommitted,
            )
            .await
            .unwrap();
        let records: Vec<_> = read
            .into_iter()
            .flat_map(|b| inflated::Batch::try_from(b).unwrap().records)
            .collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].key.as_deref(), Some(&b"key-10"[..]));
    }
}
