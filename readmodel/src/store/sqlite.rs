//! The embedded catalog store: one SQLite file (libsql, the SQLite the rest of Codeflix links).
//!
//! Documents are kept whole as JSON with the columns lists filter and sort on beside them, and the
//! ids they refer to in `doc_links`. A commit writes documents and positions in one transaction, so
//! what the store holds is always exactly the effect of the events below its positions. Calls run
//! on the blocking pool, never on the async workers; several connections serve reads while one
//! writes (WAL).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{
    Audience, CatalogReads, Changes, Cursor, DocReads, DocStore, ListQuery, Page, SortKey,
    StoreError, backend, links,
};
use crate::Position;
use crate::views::{Doc, DocKey, DocKind};
use async_trait::async_trait;
use libsql::{Connection, TransactionBehavior, Value};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    sort_name TEXT NOT NULL,
    sort_year TEXT NOT NULL,
    sort_created TEXT NOT NULL,
    sort_due TEXT NOT NULL DEFAULT '',
    launch_year INTEGER,
    rating TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS docs_by_name ON docs (kind, sort_name, id);
CREATE INDEX IF NOT EXISTS docs_by_year ON docs (kind, sort_year, id);
CREATE INDEX IF NOT EXISTS docs_by_created ON docs (kind, sort_created, id);
CREATE INDEX IF NOT EXISTS docs_by_due ON docs (kind, sort_due, id);
CREATE TABLE IF NOT EXISTS doc_links (
    link_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (link_kind, target, kind, id)
);
CREATE INDEX IF NOT EXISTS doc_links_by_doc ON doc_links (kind, id);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
";

const READERS: usize = 4;

/// The embedded [`DocStore`] and [`CatalogReads`].
#[derive(Debug, Clone)]
pub struct SqliteCatalog {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Connection,
    readers: Vec<Connection>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCatalog").finish_non_exhaustive()
    }
}

/// Runs `work` on the blocking pool with `conn`.
async fn on<T, F, Fut>(conn: Connection, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(Connection) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work(conn)))
        .await
        .map_err(backend)?
}

impl SqliteCatalog {
    /// Opens (creating if needed) the store file at `path`.
    pub async fn open(path: &Path) -> Result<SqliteCatalog, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        let path = path.to_owned();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let db = libsql::Builder::new_local(&path)
                    .build()
                    .await
                    .map_err(backend)?;
                let writer = connect(&db).await?;
                migrate(&writer).await?;
                writer.execute_batch(SCHEMA).await.map_err(backend)?;
                let mut readers = Vec::with_capacity(READERS);
                for _ in 0..READERS {
                    readers.push(connect(&db).await?);
                }
                Ok(SqliteCatalog {
                    inner: Arc::new(Inner {
                        writer,
                        readers,
                        next_reader: AtomicUsize::new(0),
                    }),
                })
            })
        })
        .await
        .map_err(backend)?
    }

    fn reader(&self) -> Connection {
        let n = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        self.inner.readers[n % self.inner.readers.len()].clone()
    }
}

/// Brings a store made by an older version up to [`SCHEMA`]: columns added since are added
/// (their values are filled as documents are written again; a rebuild fills them all).
async fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let mut rows = conn
        .query("SELECT name FROM pragma_table_info('docs')", ())
        .await
        .map_err(backend)?;
    let mut columns = Vec::new();
    while let Some(row) = rows.next().await.map_err(backend)? {
        columns.push(row.get::<String>(0).map_err(backend)?);
    }
    if !columns.is_empty() && !columns.iter().any(|c| c == "sort_due") {
        conn.execute(
            "ALTER TABLE docs ADD COLUMN sort_due TEXT NOT NULL DEFAULT ''",
            (),
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

async fn connect(db: &libsql::Database) -> Result<Connection, StoreError> {
    let conn = db.connect().map_err(backend)?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(backend)?;
    for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"] {
        conn.query(pragma, ()).await.map_err(backend)?;
    }
    Ok(conn)
}

fn parse(body: &str) -> Result<Doc, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn bodies(mut rows: libsql::Rows) -> Result<Vec<Doc>, StoreError> {
    let mut docs = Vec::new();
    while let Some(row) = rows.next().await.map_err(backend)? {
        docs.push(parse(&row.get::<String>(0).map_err(backend)?)?);
    }
    Ok(docs)
}

fn sort_column(key: SortKey) -> &'static str {
    match key {
        SortKey::Name => "sort_name",
        SortKey::LaunchYear => "sort_year",
        SortKey::CreatedAt => "sort_created",
        SortKey::Due => "sort_due",
    }
}

#[async_trait]
impl DocReads for SqliteCatalog {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        let keys = keys.to_vec();
        on(self.reader(), move |conn| async move {
            let mut docs = Vec::with_capacity(keys.len());
            let statement = conn
                .prepare("SELECT body FROM docs WHERE kind = ?1 AND id = ?2")
                .await
                .map_err(backend)?;
            for key in keys {
                let rows = statement
                    .query((key.kind.as_str(), key.id.to_string()))
                    .await
                    .map_err(backend)?;
                docs.extend(bodies(rows).await?);
                statement.reset();
            }
            Ok(docs)
        })
        .await
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        on(self.reader(), |conn| async move {
            let mut rows = conn
                .query(
                    "SELECT topic, partition, next_offset FROM positions ORDER BY topic, partition",
                    (),
                )
                .await
                .map_err(backend)?;
            let mut positions = Vec::new();
            while let Some(row) = rows.next().await.map_err(backend)? {
                positions.push(Position {
                    topic: row.get(0).map_err(backend)?,
                    partition: row.get::<i64>(1).map_err(backend)? as i32,
                    offset: row.get(2).map_err(backend)?,
                });
            }
            Ok(positions)
        })
        .await
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        let mut docs = on(self.reader(), |conn| async move {
            bodies(
                conn.query("SELECT body FROM docs", ())
                    .await
                    .map_err(backend)?,
            )
            .await
        })
        .await?;
        docs.sort_by_key(Doc::key);
        Ok(docs)
    }
}

#[async_trait]
impl DocStore for SqliteCatalog {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        on(self.inner.writer.clone(), move |conn| async move {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .await
                .map_err(backend)?;
            for doc in &changes.docs {
                let key = doc.key();
                let (launch_year, rating) = match doc {
                    Doc::Video(v) => (
                        Value::Integer(i64::from(v.launch_year)),
                        Value::Text(v.rating.clone()),
                    ),
                    _ => (Value::Null, Value::Null),
                };
                let body = serde_json::to_string(doc).map_err(backend)?;
                let written = tx
                    .execute(
                        "INSERT INTO docs (kind, id, version, visible, deleted, sort_name,
                             sort_year, sort_created, launch_year, rating, body, sort_due)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                         ON CONFLICT (kind, id) DO UPDATE SET
                             version = excluded.version, visible = excluded.visible,
                             deleted = excluded.deleted, sort_name = excluded.sort_name,
                             sort_year = excluded.sort_year, sort_created = excluded.sort_created,
                             launch_year = excluded.launch_year, rating = excluded.rating,
                             body = excluded.body, sort_due = excluded.sort_due
                         WHERE excluded.version > docs.version",
                        vec![
                            Value::Text(key.kind.as_str().to_owned()),
                            Value::Text(key.id.to_string()),
                            Value::Integer(doc.version() as i64),
                            Value::Integer(i64::from(doc.visible())),
                            Value::Integer(i64::from(doc.deleted())),
                            Value::Text(SortKey::Name.value(doc)),
                            Value::Text(SortKey::LaunchYear.value(doc)),
                            Value::Text(SortKey::CreatedAt.value(doc)),
                            launch_year,
                            rating,
                            Value::Text(body),
                            Value::Text(SortKey::Due.value(doc)),
                        ],
                    )
                    .await
                    .map_err(backend)?;
                if written == 0 {
                    continue;
                }
                tx.execute(
                    "DELETE FROM doc_links WHERE kind = ?1 AND id = ?2",
                    (key.kind.as_str(), key.id.to_string()),
                )
                .await
                .map_err(backend)?;
                for link in links(doc) {
                    tx.execute(
                        "INSERT OR IGNORE INTO doc_links (link_kind, target, kind, id)
                         VALUES (?1, ?2, ?3, ?4)",
                        (
                            link.field,
                            link.value,
                            key.kind.as_str(),
                            key.id.to_string(),
                        ),
                    )
                    .await
                    .map_err(backend)?;
                }
            }
            for position in &changes.positions {
                tx.execute(
                    "INSERT INTO positions (topic, partition, next_offset) VALUES (?1, ?2, ?3)
                     ON CONFLICT (topic, partition) DO UPDATE
                         SET next_offset = max(next_offset, excluded.next_offset)",
                    (position.topic.as_str(), position.partition, position.offset),
                )
                .await
                .map_err(backend)?;
            }
            tx.commit().await.map_err(backend)
        })
        .await
    }
}

#[async_trait]
impl CatalogReads for SqliteCatalog {
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let query = query.clone();
        on(self.reader(), move |conn| async move {
            let column = sort_column(query.sort);
            let mut sql = "SELECT body FROM docs WHERE kind = ?1".to_owned();
            let mut params = vec![Value::Text(query.kind.as_str().to_owned())];
            let mut bind = |sql: &mut String, clause: &str, value: Value| {
                params.push(value);
                sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
            };
            match query.audience {
                Audience::Viewers => sql.push_str(" AND visible = 1"),
                Audience::Admins => sql.push_str(" AND deleted = 0"),
            }
            if query.kind == DocKind::Video {
                let f = &query.filter;
                for (kind, target) in [
                    (DocKind::Category, f.category),
                    (DocKind::Genre, f.genre),
                    (DocKind::CastMember, f.cast_member),
                ] {
                    if let Some(target) = target {
                        bind(
                            &mut sql,
                            &format!(
                                " AND id IN (SELECT id FROM doc_links WHERE link_kind = '{}' \
                                 AND kind = 'video' AND target = ?)",
                                kind.as_str()
                            ),
                            Value::Text(target.to_string()),
                        );
                    }
                }
                if let Some(year) = f.launch_year {
                    bind(
                        &mut sql,
                        " AND launch_year = ?",
                        Value::Integer(i64::from(year)),
                    );
                }
                if let Some(rating) = &f.rating {
                    bind(&mut sql, " AND rating = ?", Value::Text(rating.clone()));
                }
            }
            for link in &query.links {
                bind(
                    &mut sql,
                    &format!(
                        " AND id IN (SELECT id FROM doc_links WHERE kind = '{}' AND link_kind = ?",
                        query.kind.as_str()
                    ),
                    Value::Text(link.field.to_owned()),
                );
                bind(
                    &mut sql,
                    " AND target = ?)",
                    Value::Text(link.value.clone()),
                );
            }
            let (compare, order) = if query.descending {
                ("<", "DESC")
            } else {
                (">", "ASC")
            };
            if let Some(after) = &query.after {
                bind(
                    &mut sql,
                    &format!(" AND ({column}, id) {compare} (?"),
                    Value::Text(after.value.clone()),
                );
                bind(&mut sql, ", ?)", Value::Text(after.id.to_string()));
            }
            sql.push_str(&format!(" ORDER BY {column} {order}, id {order} LIMIT "));
            sql.push_str(&(query.limit + 1).to_string());
            let rows = conn.query(&sql, params).await.map_err(backend)?;
            let mut docs = bodies(rows).await?;
            let next = if docs.len() > query.limit {
                docs.truncate(query.limit);
                docs.last().map(|doc| Cursor::after(query.sort, doc))
            } else {
                None
            };
            Ok(Page { docs, next })
        })
        .await
    }
}
