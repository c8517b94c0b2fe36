//! The embedded command store: one SQLite file (through libsql, the SQLite the embedded broker
//! already links), shared safely by every process on the machine.
//!
//! All statements run on one dedicated thread per process, so SQLite's blocking calls never stall
//! the async runtime. Appends that arrive together are committed in one transaction (group
//! commit), each still checked on its own; `BEGIN IMMEDIATE` serialises writers across processes.
//! `synchronous=FULL` makes a commit durable before any of its rows can reach Kafka.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use codeflix_domain::{AggregateType, Version};
use libsql::{Connection, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    AppendOutcome, CommandRecord, CommandStore, NewEvents, OutboxRow, Position, Publication,
    StoreError, StoredEvent,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    command_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    published_offset INTEGER,
    UNIQUE (aggregate_type, aggregate_id, version)
);
CREATE INDEX IF NOT EXISTS events_unpublished ON events (seq) WHERE published_offset IS NULL;
CREATE INDEX IF NOT EXISTS events_published ON events (topic, partition, published_offset)
    WHERE published_offset IS NOT NULL;
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    new_version INTEGER NOT NULL,
    seqs TEXT NOT NULL,
    request_digest TEXT
);
CREATE TABLE IF NOT EXISTS relay_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
";

/// Appends committed together at most.
const GROUP_COMMIT: usize = 256;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Request {
    Append(NewEvents, Reply<AppendOutcome>),
    Events(AggregateType, String, Version, Reply<Vec<StoredEvent>>),
    Version(AggregateType, String, Reply<Version>),
    Command(Uuid, Reply<Option<CommandRecord>>),
    Unpublished(i64, usize, Reply<Vec<OutboxRow>>),
    UnpublishedCount(Reply<u64>),
    MarkPublished(Vec<(i64, Uuid, i64)>, Reply<usize>),
    Publications(Vec<i64>, Reply<Vec<Publication>>),
    LastPublished(String, i32, Reply<Option<(i64, i64)>>),
    TryLease(String, i64, i64, Reply<bool>),
    RenewLease(String, i64, i64, Reply<bool>),
    ReleaseLease(String, Reply<()>),
}

/// The embedded [`CommandStore`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    requests: mpsc::UnboundedSender<Request>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the store file at `path`.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        let path = path.to_owned();
        let (requests, inbox) = mpsc::unbounded_channel();
        let (ready, opened) = oneshot::channel();
        std::thread::Builder::new()
            .name("command-store".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().build() {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(backend(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match connect(&path).await {
                        Ok(conn) => {
                            let _ = ready.send(Ok(()));
                            serve(conn, inbox).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })
            .map_err(backend)?;
        opened
            .await
            .map_err(|_| backend("the store thread ended while opening"))??;
        Ok(SqliteStore { requests })
    }

    async fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(request(reply))
            .map_err(|_| backend("the store thread has stopped"))?;
        answer
            .await
            .map_err(|_| backend("the store thread dropped a request"))?
    }
}

async fn connect(path: &Path) -> Result<Connection, StoreError> {
    let db = libsql::Builder::new_local(path)
        .build()
        .await
        .map_err(backend)?;
    let conn = db.connect().map_err(backend)?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(backend)?;
    // PRAGMAs that return a row go through query.
    for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"] {
        conn.query(pragma, ()).await.map_err(backend)?;
    }
    conn.execute_batch(SCHEMA).await.map_err(backend)?;
    migrate(&conn).await?;
    Ok(conn)
}

/// Brings stores created by earlier versions up to the current schema.
async fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let mut columns = conn
        .query("SELECT name FROM pragma_table_info('commands')", ())
        .await
        .map_err(backend)?;
    let mut has_digest = false;
    while let Some(row) = columns.next().await.map_err(backend)? {
        has_digest |= row.get::<String>(0).map_err(backend)? == "request_digest";
    }
    if !has_digest {
        conn.execute("ALTER TABLE commands ADD COLUMN request_digest TEXT", ())
            .await
            .map_err(backend)?;
    }
    Ok(())
}

async fn serve(conn: Connection, mut inbox: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = inbox.recv().await {
        let Request::Append(append, reply) = first else {
            handle(&conn, first).await;
            continue;
        };
        let mut batch = vec![(append, reply)];
        let mut others = Vec::new();
        while batch.len() < GROUP_COMMIT {
            match inbox.try_recv() {
                Ok(Request::Append(append, reply)) => batch.push((append, reply)),
                Ok(other) => others.push(other),
                Err(_) => break,
            }
        }
        append_batch(&conn, batch).await;
        for request in others {
            handle(&conn, request).await;
        }
    }
}

async fn append_batch(conn: &Connection, batch: Vec<(NewEvents, Reply<AppendOutcome>)>) {
    let result = async {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .map_err(backend)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (append, _) in &batch {
            // Each append in its own savepoint: one that fails does not take the others down.
            tx.execute("SAVEPOINT one_append", ())
                .await
                .map_err(backend)?;
            let outcome = append_one(&tx, append).await;
            let end = if outcome.is_ok() {
                "RELEASE one_append"
            } else {
                "ROLLBACK TO one_append"
            };
            tx.execute(end, ()).await.map_err(backend)?;
            if outcome.is_err() {
                tx.execute("RELEASE one_append", ())
                    .await
                    .map_err(backend)?;
            }
            outcomes.push(outcome);
        }
        tx.commit().await.map_err(backend)?;
        Ok::<_, StoreError>(outcomes)
    }
    .await;
    match result {
        Ok(outcomes) => {
            for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            for (_, reply) in batch {
                let _ = reply.send(Err(StoreError::Backend(e.to_string())));
            }
        }
    }
}

async fn append_one(conn: &Connection, append: &NewEvents) -> Result<AppendOutcome, StoreError> {
    if let Some(record) = command(conn, append.command_id).await? {
        return Ok(AppendOutcome::Duplicate(record));
    }
    let current = version(conn, append.aggregate_type, &append.aggregate_id).await?;
    if current != append.base {
        return Ok(AppendOutcome::Conflict { current });
    }
    let mut seqs = Vec::with_capacity(append.events.len());
    for (offset, event) in (1..).zip(&append.events) {
        let expected = Version::new(append.base.get() + offset);
        if event.version != expected {
            return Err(StoreError::Corrupt(format!(
                "event {} carries version {}, expected {expected}",
                event.event_id, event.version
            )));
        }
        let headers = serde_json::to_string(&event.headers).map_err(backend)?;
        conn.execute(
            "INSERT INTO events (aggregate_type, aggregate_id, version, event_id, command_id,
                topic, partition, key, value, headers)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                append.aggregate_type.as_str(),
                append.aggregate_id.as_str(),
                event.version.get() as i64,
                event.event_id.to_string(),
                append.command_id.to_string(),
                event.topic.as_str(),
                event.partition,
                event.key.clone(),
                event.value.clone(),
                headers,
            ],
        )
        .await
        .map_err(backend)?;
        seqs.push(conn.last_insert_rowid());
    }
    let new_version = Version::new(append.base.get() + append.events.len() as u64);
    conn.execute(
        "INSERT INTO commands (command_id, aggregate_type, aggregate_id, base_version, new_version, seqs,
                               request_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            append.command_id.to_string(),
            append.aggregate_type.as_str(),
            append.aggregate_id.as_str(),
            append.base.get() as i64,
            new_version.get() as i64,
            serde_json::to_string(&seqs).map_err(backend)?,
            append.request_digest.clone(),
        ],
    )
    .await
    .map_err(backend)?;
    Ok(AppendOutcome::Appended { seqs })
}

async fn version(
    conn: &Connection,
    aggregate_type: AggregateType,
    aggregate_id: &str,
) -> Result<Version, StoreError> {
    let mut rows = conn
        .query(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_type = ?1 AND aggregate_id = ?2",
            params![aggregate_type.as_str(), aggregate_id],
        )
        .await
        .map_err(backend)?;
    let row = rows.next().await.map_err(backend)?;
    let current: i64 = row.map_or(Ok(0), |r| r.get(0)).map_err(backend)?;
    Ok(Version::new(current as u64))
}

async fn command(conn: &Connection, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError> {
    let mut rows = conn
        .query(
            "SELECT aggregate_type, aggregate_id, base_version, new_version, seqs, request_digest
             FROM commands WHERE command_id = ?1",
            params![command_id.to_string()],
        )
        .await
        .map_err(backend)?;
    let Some(row) = rows.next().await.map_err(backend)? else {
        return Ok(None);
    };
    let aggregate_type: String = row.get(0).map_err(backend)?;
    let seqs: String = row.get(4).map_err(backend)?;
    Ok(Some(CommandRecord {
        command_id,
        aggregate_type: aggregate_type
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        aggregate_id: row.get(1).map_err(backend)?,
        base: Version::new(row.get::<i64>(2).map_err(backend)? as u64),
        new_version: Version::new(row.get::<i64>(3).map_err(backend)? as u64),
        seqs: serde_json::from_str(&seqs).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        request_digest: row.get(5).map_err(backend)?,
    }))
}

async fn handle(conn: &Connection, request: Request) {
    match request {
        Request::Append(append, reply) => append_batch(conn, vec![(append, reply)]).await,
        Request::Events(aggregate_type, aggregate_id, after, reply) => {
            let _ = reply.send(events(conn, aggregate_type, &aggregate_id, after).await);
        }
        Request::Version(aggregate_type, aggregate_id, reply) => {
            let _ = reply.send(version(conn, aggregate_type, &aggregate_id).await);
        }
        Request::Command(command_id, reply) => {
            let _ = reply.send(command(conn, command_id).await);
        }
        Request::Unpublished(after, limit, reply) => {
            let _ = reply.send(unpublished(conn, after, limit).await);
        }
        Request::UnpublishedCount(reply) => {
            let _ = reply.send(unpublished_count(conn).await);
        }
        Request::MarkPublished(published, reply) => {
            let _ = reply.send(mark_published(conn, &published).await);
        }
        Request::Publications(seqs, reply) => {
            let _ = reply.send(publications(conn, &seqs).await);
        }
        Request::LastPublished(topic, partition, reply) => {
            let _ = reply.send(last_published(conn, &topic, partition).await);
        }
        Request::TryLease(holder, now_ms, ttl_ms, reply) => {
            let _ = reply.send(try_lease(conn, &holder, now_ms, ttl_ms).await);
        }
        Request::RenewLease(holder, now_ms, ttl_ms, reply) => {
            let result = conn
                .execute(
                    "UPDATE relay_lease SET expires_at_ms = ?2
                     WHERE id = 1 AND holder = ?1 AND expires_at_ms >= ?3",
                    params![holder, now_ms + ttl_ms, now_ms],
                )
                .await
                .map(|changed| changed == 1)
                .map_err(backend);
            let _ = reply.send(result);
        }
        Request::ReleaseLease(holder, reply) => {
            let result = conn
                .execute(
                    "DELETE FROM relay_lease WHERE id = 1 AND holder = ?1",
                    params![holder],
                )
                .await
                .map(|_| ())
                .map_err(backend);
            let _ = reply.send(result);
        }
    }
}

async fn events(
    conn: &Connection,
    aggregate_type: AggregateType,
    aggregate_id: &str,
    after: Version,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut rows = conn
        .query(
            "SELECT version, value FROM events
             WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version > ?3 ORDER BY version",
            params![aggregate_type.as_str(), aggregate_id, after.get() as i64],
        )
        .await
        .map_err(backend)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().await.map_err(backend)? {
        events.push(StoredEvent {
            version: Version::new(row.get::<i64>(0).map_err(backend)? as u64),
            value: row.get(1).map_err(backend)?,
        });
    }
    Ok(events)
}

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("{text:?}: {e}")))
}

async fn unpublished(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<OutboxRow>, StoreError> {
    let mut rows = conn
        .query(
            "SELECT seq, event_id, topic, partition, key, value, headers FROM events
             WHERE published_offset IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, limit as i64],
        )
        .await
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.map_err(backend)? {
        let headers: String = row.get(6).map_err(backend)?;
        out.push(OutboxRow {
            seq: row.get(0).map_err(backend)?,
            event_id: uuid(&row.get::<String>(1).map_err(backend)?)?,
            topic: row.get(2).map_err(backend)?,
            partition: row.get(3).map_err(backend)?,
            key: row.get(4).map_err(backend)?,
            value: row.get(5).map_err(backend)?,
            headers: serde_json::from_str(&headers)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        });
    }
    Ok(out)
}

async fn unpublished_count(conn: &Connection) -> Result<u64, StoreError> {
    let mut rows = conn
        .query(
            "SELECT COUNT(*) FROM events WHERE published_offset IS NULL",
            (),
        )
        .await
        .map_err(backend)?;
    let row = rows.next().await.map_err(backend)?;
    let count: i64 = row.map_or(Ok(0), |r| r.get(0)).map_err(backend)?;
    Ok(count as u64)
}

async fn mark_published(
    conn: &Connection,
    published: &[(i64, Uuid, i64)],
) -> Result<usize, StoreError> {
    // A mark lost to a power failure is found again by the relay's recovery: no fsync needed.
    conn.execute("PRAGMA synchronous=NORMAL", ())
        .await
        .map_err(backend)?;
    let marked = mark_published_in_transaction(conn, published).await;
    conn.execute("PRAGMA synchronous=FULL", ())
        .await
        .map_err(backend)?;
    marked
}

async fn mark_published_in_transaction(
    conn: &Connection,
    published: &[(i64, Uuid, i64)],
) -> Result<usize, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .await
        .map_err(backend)?;
    let mut marked = 0;
    for (seq, event_id, offset) in published {
        marked += tx
            .execute(
                "UPDATE events SET published_offset = ?3 WHERE seq = ?1 AND event_id = ?2",
                params![*seq, event_id.to_string(), *offset],
            )
            .await
            .map_err(backend)? as usize;
    }
    tx.commit().await.map_err(backend)?;
    Ok(marked)
}

async fn publications(conn: &Connection, seqs: &[i64]) -> Result<Vec<Publication>, StoreError> {
    let mut out = Vec::with_capacity(seqs.len());
    for seq in seqs {
        let mut rows = conn
            .query(
                "SELECT event_id, topic, partition, published_offset FROM events WHERE seq = ?1",
                params![*seq],
            )
            .await
            .map_err(backend)?;
        let row = rows
            .next()
            .await
            .map_err(backend)?
            .ok_or_else(|| StoreError::Corrupt(format!("no outbox row {seq}")))?;
        let offset = match row.get_value(3).map_err(backend)? {
            libsql::Value::Integer(offset) => Some(offset),
            _ => None,
        };
        out.push(Publication {
            seq: *seq,
            event_id: uuid(&row.get::<String>(0).map_err(backend)?)?,
            position: match offset {
                Some(offset) => Some(Position {
                    topic: row.get(1).map_err(backend)?,
                    partition: row.get(2).map_err(backend)?,
                    offset,
                }),
                None => None,
            },
        });
    }
    Ok(out)
}

async fn last_published(
    conn: &Connection,
    topic: &str,
    partition: i32,
) -> Result<Option<(i64, i64)>, StoreError> {
    let mut rows = conn
        .query(
            "SELECT seq, published_offset FROM events
             WHERE topic = ?1 AND partition = ?2 AND published_offset IS NOT NULL
             ORDER BY published_offset DESC LIMIT 1",
            params![topic, partition],
        )
        .await
        .map_err(backend)?;
    match rows.next().await.map_err(backend)? {
        Some(row) => Ok(Some((
            row.get(0).map_err(backend)?,
            row.get(1).map_err(backend)?,
        ))),
        None => Ok(None),
    }
}

async fn try_lease(
    conn: &Connection,
    holder: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            "INSERT INTO relay_lease (id, holder, expires_at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
             WHERE relay_lease.holder = excluded.holder OR relay_lease.expires_at_ms < ?3",
            params![holder, now_ms + ttl_ms, now_ms],
        )
        .await
        .map_err(backend)?;
    Ok(changed == 1)
}

#[async_trait]
impl CommandStore for SqliteStore {
    async fn append(&self, append: NewEvents) -> Result<AppendOutcome, StoreError> {
        self.ask(|reply| Request::Append(append, reply)).await
    }

    async fn events(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        after: Version,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let aggregate_id = aggregate_id.to_owned();
        self.ask(|reply| Request::Events(aggregate_type, aggregate_id, after, reply))
            .await
    }

    async fn version(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
    ) -> Result<Version, StoreError> {
        let aggregate_id = aggregate_id.to_owned();
        self.ask(|reply| Request::Version(aggregate_type, aggregate_id, reply))
            .await
    }

    async fn command(&self, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError> {
        self.ask(|reply| Request::Command(command_id, reply)).await
    }

    async fn unpublished(&self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        self.ask(|reply| Request::Unpublished(after, limit, reply))
            .await
    }

    async fn unpublished_count(&self) -> Result<u64, StoreError> {
        self.ask(Request::UnpublishedCount).await
    }

    async fn mark_published(&self, published: &[(i64, Uuid, i64)]) -> Result<usize, StoreError> {
        let published = published.to_vec();
        self.ask(|reply| Request::MarkPublished(published, reply))
            .await
    }

    async fn publications(&self, seqs: &[i64]) -> Result<Vec<Publication>, StoreError> {
        let seqs = seqs.to_vec();
        self.ask(|reply| Request::Publications(seqs, reply)).await
    }

    async fn last_published(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let topic = topic.to_owned();
        self.ask(|reply| Request::LastPublished(topic, partition, reply))
            .await
    }

    async fn try_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError> {
        let holder = holder.to_owned();
        self.ask(|reply| Request::TryLease(holder, now_ms, ttl_ms, reply))
            .await
    }

    async fn renew_lease(
        &self,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let holder = holder.to_owned();
        self.ask(|reply| Request::RenewLease(holder, now_ms, ttl_ms, reply))
            .await
    }

    async fn release_lease(&self, holder: &str) -> Result<(), StoreError> {
        let holder = holder.to_owned();
        self.ask(|reply| Request::ReleaseLease(holder, reply)).await
    }
}
