//! The embedded command store: one SQLite file (through libsql, the SQLite the embedded broker
//! already links), shared safely by every process on the machine.
//!
//! All statements run on one dedicated thread per process, so SQLite's blocking calls never stall
//! the async runtime. Appends that arrive together are committed in one transaction (group
//! commit), each still checked on its own; `BEGIN IMMEDIATE` serialises writers across processes.
//! `synchronous=FULL` makes a commit durable before any of its rows can reach Kafka.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use codeflix_domain::{AggregateType, Report, Version};
use libsql::params::IntoParams;
use libsql::{Connection, Statement, params};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    AppendOutcome, CommandRecord, CommandStore, NewEvents, OutboxRow, Publication, StoreError,
    StoredEvent, backend,
};

mod outbox;

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

/// The store thread's connection, with its statements prepared once and reused.
struct Db {
    conn: Connection,
    statements: RefCell<HashMap<&'static str, Statement>>,
}

impl Db {
    async fn statement(&self, sql: &'static str) -> Result<Statement, StoreError> {
        let cached = self.statements.borrow_mut().remove(sql);
        match cached {
            Some(statement) => Ok(statement),
            None => self.conn.prepare(sql).await.map_err(backend),
        }
    }

    fn keep(&self, sql: &'static str, statement: Statement) {
        statement.reset();
        self.statements.borrow_mut().insert(sql, statement);
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    async fn execute(&self, sql: &'static str, params: impl IntoParams) -> Result<u64, StoreError> {
        let statement = self.statement(sql).await?;
        let result = statement.execute(params).await.map_err(backend);
        self.keep(sql, statement);
        result.map(|changed| changed as u64)
    }

    /// Runs a query, reading each row with `read`.
    async fn query<T>(
        &self,
        sql: &'static str,
        params: impl IntoParams,
        mut read: impl FnMut(&libsql::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let statement = self.statement(sql).await?;
        let result = async {
            let mut rows = statement.query(params).await.map_err(backend)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().await.map_err(backend)? {
                out.push(read(&row)?);
            }
            Ok(out)
        }
        .await;
        self.keep(sql, statement);
        result
    }

    /// The first row of a query, if any.
    async fn query_one<T>(
        &self,
        sql: &'static str,
        params: impl IntoParams,
        read: impl FnMut(&libsql::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.query(sql, params, read).await?.into_iter().next())
    }
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
                            let db = Db {
                                conn,
                                statements: RefCell::default(),
                            };
                            serve(&db, inbox).await;
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
    // PRAGMAs that return a row go through query. The page cache (64 MiB rather than SQLite's
    // 2 MiB) keeps the indexes keyed by random ids (command ids, aggregate ids) in memory as the
    // store grows (docs/benchmarks.md, session 7: the append bench's rate rose by a fifth with it).
    for pragma in [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA cache_size=-65536",
    ] {
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

async fn serve(db: &Db, mut inbox: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = inbox.recv().await {
        let Request::Append(append, reply) = first else {
            handle(db, first).await;
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
        append_batch(db, batch).await;
        for request in others {
            handle(db, request).await;
        }
    }
}

async fn append_batch(db: &Db, batch: Vec<(NewEvents, Reply<AppendOutcome>)>) {
    let result = async {
        db.execute("BEGIN IMMEDIATE", ()).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (append, _) in &batch {
            // Each append in its own savepoint: one that fails does not take the others down.
            db.execute("SAVEPOINT one_append", ()).await?;
            let outcome = append_one(db, append).await;
            if outcome.is_err() {
                db.execute("ROLLBACK TO one_append", ()).await?;
            }
            db.execute("RELEASE one_append", ()).await?;
            outcomes.push(outcome);
        }
        db.execute("COMMIT", ()).await?;
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
            if !db.conn.is_autocommit() {
                let _ = db.execute("ROLLBACK", ()).await;
            }
            // Every waiting append gets the cause; the engine's error itself is not Clone.
            let why = std::error::Error::source(&e)
                .map_or_else(|| e.to_string(), |cause| Report(cause).to_string());
            for (_, reply) in batch {
                let _ = reply.send(Err(backend(why.clone())));
            }
        }
    }
}

async fn append_one(db: &Db, append: &NewEvents) -> Result<AppendOutcome, StoreError> {
    if let Some(record) = command(db, append.command_id).await? {
        return Ok(AppendOutcome::Duplicate(record));
    }
    let current = version(db, append.aggregate_type, &append.aggregate_id).await?;
    if current != append.base {
        return Ok(AppendOutcome::Conflict { current });
    }
    append.check_versions()?;
    let mut seqs = Vec::with_capacity(append.events.len());
    for event in &append.events {
        let headers = serde_json::to_string(&event.headers).map_err(backend)?;
        db.execute(
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
        .await?;
        seqs.push(db.conn.last_insert_rowid());
    }
    let new_version = Version::new(append.base.get() + append.events.len() as u64);
    db.execute(
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
    .await?;
    Ok(AppendOutcome::Appended { seqs })
}

async fn version(
    db: &Db,
    aggregate_type: AggregateType,
    aggregate_id: &str,
) -> Result<Version, StoreError> {
    let current = db
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_type = ?1 AND aggregate_id = ?2",
            params![aggregate_type.as_str(), aggregate_id],
            |row| row.get::<i64>(0).map_err(backend),
        )
        .await?;
    Ok(Version::new(current.unwrap_or(0) as u64))
}

async fn command(db: &Db, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError> {
    db.query_one(
        "SELECT aggregate_type, aggregate_id, base_version, new_version, seqs, request_digest
         FROM commands WHERE command_id = ?1",
        params![command_id.to_string()],
        |row| {
            let aggregate_type: String = row.get(0).map_err(backend)?;
            let seqs: String = row.get(4).map_err(backend)?;
            Ok(CommandRecord {
                command_id,
                aggregate_type: aggregate_type
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                aggregate_id: row.get(1).map_err(backend)?,
                base: Version::new(row.get::<i64>(2).map_err(backend)? as u64),
                new_version: Version::new(row.get::<i64>(3).map_err(backend)? as u64),
                seqs: serde_json::from_str(&seqs)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                request_digest: row.get(5).map_err(backend)?,
            })
        },
    )
    .await
}

async fn handle(db: &Db, request: Request) {
    match request {
        Request::Append(append, reply) => append_batch(db, vec![(append, reply)]).await,
        Request::Events(aggregate_type, aggregate_id, after, reply) => {
            let _ = reply.send(events(db, aggregate_type, &aggregate_id, after).await);
        }
        Request::Version(aggregate_type, aggregate_id, reply) => {
            let _ = reply.send(version(db, aggregate_type, &aggregate_id).await);
        }
        Request::Command(command_id, reply) => {
            let _ = reply.send(command(db, command_id).await);
        }
        Request::Unpublished(after, limit, reply) => {
            let _ = reply.send(outbox::unpublished(db, after, limit).await);
        }
        Request::UnpublishedCount(reply) => {
            let _ = reply.send(outbox::unpublished_count(db).await);
        }
        Request::MarkPublished(published, reply) => {
            let _ = reply.send(outbox::mark_published(db, &published).await);
        }
        Request::Publications(seqs, reply) => {
            let _ = reply.send(outbox::publications(db, &seqs).await);
        }
        Request::LastPublished(topic, partition, reply) => {
            let _ = reply.send(outbox::last_published(db, &topic, partition).await);
        }
        Request::TryLease(holder, now_ms, ttl_ms, reply) => {
            let _ = reply.send(outbox::try_lease(db, &holder, now_ms, ttl_ms).await);
        }
        Request::RenewLease(holder, now_ms, ttl_ms, reply) => {
            let result = db
                .execute(
                    "UPDATE relay_lease SET expires_at_ms = ?2
                     WHERE id = 1 AND holder = ?1 AND expires_at_ms >= ?3",
                    params![holder, now_ms + ttl_ms, now_ms],
                )
                .await
                .map(|changed| changed == 1);
            let _ = reply.send(result);
        }
        Request::ReleaseLease(holder, reply) => {
            let result = db
                .execute(
                    "DELETE FROM relay_lease WHERE id = 1 AND holder = ?1",
                    params![holder],
                )
                .await
                .map(|_| ());
            let _ = reply.send(result);
        }
    }
}

async fn events(
    db: &Db,
    aggregate_type: AggregateType,
    aggregate_id: &str,
    after: Version,
) -> Result<Vec<StoredEvent>, StoreError> {
    db.query(
        "SELECT version, value FROM events
         WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND version > ?3 ORDER BY version",
        params![aggregate_type.as_str(), aggregate_id, after.get() as i64],
        |row| {
            Ok(StoredEvent {
                version: Version::new(row.get::<i64>(0).map_err(backend)? as u64),
                value: row.get(1).map_err(backend)?,
            })
        },
    )
    .await
}

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("{text:?}: {e}")))
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
