//! The notifier's own files: what it remembers of the facts it reads (who uploaded which media),
//! and the mirror Kafka Connect writes for it (contacts from the accounts context, titles from
//! the catalog; `connectors/notifications-*.json`), read as the owner of a copy reads it.

use std::path::Path;
use std::time::Duration;

/// An SQLite file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {detail}")]
pub struct StoreError {
    pub file: String,
    pub detail: String,
}

/// One SQLite connection; queries run off the async threads.
#[derive(Clone)]
struct Sqlite {
    conn: libsql::Connection,
    file: String,
}

type Rows = Vec<Vec<Option<String>>>;

impl Sqlite {
    async fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let file = path.display().to_string();
        let failed = |e: &dyn std::fmt::Display| StoreError {
            file: file.clone(),
            detail: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(&e))?;
        }
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(|e| failed(&e))?;
        let conn = db.connect().map_err(|e| failed(&e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| failed(&e))?;
        Ok(Sqlite { conn, file })
    }

    fn error(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            file: self.file.clone(),
            detail: e.to_string(),
        }
    }

    /// The rows `sql` selects, each column as text; none while the table does not exist (the
    /// sink creates its tables with their first record).
    async fn rows(&self, sql: &str, params: Vec<String>) -> Result<Rows, StoreError> {
        let this = self.clone();
        let sql = sql.to_owned();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let mut rows = match this.conn.query(&sql, params).await {
                    Ok(rows) => rows,
                    Err(e) if e.to_string().contains("no such table") => return Ok(Vec::new()),
                    Err(e) => return Err(this.error(e)),
                };
                let columns = rows.column_count();
                let mut out = Vec::new();
                while let Some(row) = rows.next().await.map_err(|e| this.error(e))? {
                    out.push(
                        (0..columns)
                            .map(|i| match row.get_value(i) {
                                Ok(libsql::Value::Text(t)) => Some(t),
                                Ok(libsql::Value::Integer(n)) => Some(n.to_string()),
                                Ok(libsql::Value::Real(r)) => Some(r.to_string()),
                                _ => None,
                            })
                            .collect(),
                    );
                }
                Ok(out)
            })
        })
        .await
        .map_err(|e| self.error(e))?
    }

    async fn execute(&self, sql: &str, params: Vec<String>) -> Result<(), StoreError> {
        let this = self.clone();
        let sql = sql.to_owned();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                this.conn
                    .execute(&sql, params)
                    .await
                    .map(|_| ())
                    .map_err(|e| this.error(e))
            })
        })
        .await
        .map_err(|e| self.error(e))?
    }
}

/// What the notifier remembers of the facts it read.
#[derive(Clone)]
pub struct Memory {
    db: Sqlite,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memory({})", self.db.file)
    }
}

impl Memory {
    pub async fn open(path: &Path) -> Result<Memory, StoreError> {
        let db = Sqlite::open(path).await?;
        db.execute(
            "CREATE TABLE IF NOT EXISTS uploads (
                media_id TEXT PRIMARY KEY,
                video_id TEXT NOT NULL,
                uploader TEXT NOT NULL
            )",
            Vec::new(),
        )
        .await?;
        db.execute(
            "CREATE TABLE IF NOT EXISTS subscriptions (
                subscription_id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL
            )",
            Vec::new(),
        )
        .await?;
        Ok(Memory { db })
    }

    /// Subscription `subscription_id` is account `account_id`'s.
    pub async fn subscribed(
        &self,
        subscription_id: &str,
        account_id: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(
                "INSERT INTO subscriptions (subscription_id, account_id) VALUES (?1, ?2)
                 ON CONFLICT (subscription_id) DO UPDATE SET account_id = excluded.account_id",
                vec![subscription_id.to_owned(), account_id.to_owned()],
            )
            .await
    }

    /// Whose subscription `subscription_id` is.
    pub async fn subscriber(&self, subscription_id: &str) -> Result<Option<String>, StoreError> {
        let rows = self
            .db
            .rows(
                "SELECT account_id FROM subscriptions WHERE subscription_id = ?1",
                vec![subscription_id.to_owned()],
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|mut r| r.remove(0)))
    }

    /// `uploader` uploaded media `media_id` of video `video_id` (a fact met again changes
    /// nothing).
    pub async fn uploaded(
        &self,
        video_id: &str,
        media_id: &str,
        uploader: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(
                "INSERT INTO uploads (media_id, video_id, uploader) VALUES (?1, ?2, ?3)
                 ON CONFLICT (media_id) DO UPDATE SET video_id = excluded.video_id,
                   uploader = excluded.uploader",
                vec![
                    media_id.to_owned(),
                    video_id.to_owned(),
                    uploader.to_owned(),
                ],
            )
            .await
    }

    /// Who uploaded `media_id`.
    pub async fn uploader(&self, media_id: &str) -> Result<Option<String>, StoreError> {
        let rows = self
            .db
            .rows(
                "SELECT uploader FROM uploads WHERE media_id = ?1",
                vec![media_id.to_owned()],
            )
            .await?;
        Ok(rows.into_iter().next().and_then(|mut r| r.remove(0)))
    }
}

/// How to reach someone, from the accounts context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The account's subject at the identity provider.
    pub subject: String,
    pub email: String,
    pub name: String,
    /// E.164, for SMS; none: no SMS.
    pub phone: Option<String>,
    /// The language they read (BCP 47); none: the default.
    pub locale: Option<String>,
    /// The categories of messages they opted out of (`account`, `marketing`).
    pub opted_out: std::collections::BTreeSet<String>,
}

impl Contact {
    /// Whether they opted out of `category` (critical messages have none to opt out of).
    pub fn opted_out_of(&self, category: &str) -> bool {
        self.opted_out.contains(category)
    }
}

/// The notifications side's mirror, written by Kafka Connect: SQLite on embedded defaults,
/// PostgreSQL in production (Confluent's JDBC sink), the connection made again when it was lost.
#[derive(Clone)]
pub struct Mirror {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(std::sync::Arc<Postgres>),
}

struct Postgres {
    config: tokio_postgres::Config,
    shown: String,
    client: tokio::sync::Mutex<Option<std::sync::Arc<tokio_postgres::Client>>>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Sqlite(db) => write!(f, "Mirror({})", db.file),
            Backend::Postgres(pg) => write!(f, "Mirror({})", pg.shown),
        }
    }
}

impl Postgres {
    fn error(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            file: self.shown.clone(),
            detail: e.to_string(),
        }
    }

    async fn client(&self) -> Result<std::sync::Arc<tokio_postgres::Client>, StoreError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref()
            && !client.is_closed()
        {
            return Ok(client.clone());
        }
        let (client, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| self.error(e))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "the notifications mirror's connection ended");
            }
        });
        let client = std::sync::Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// The first row's text columns; none while the table does not exist.
    async fn first(
        &self,
        sql: &str,
        param: &str,
        columns: &[&str],
    ) -> Result<Option<Vec<Option<String>>>, StoreError> {
        let client = self.client().await?;
        let rows = match client.query(sql, &[&param]).await {
            Ok(rows) => rows,
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                return Ok(None);
            }
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_COLUMN) => {
                return Err(self.error(format!("no such column: {e}")));
            }
            Err(e) => return Err(self.error(e)),
        };
        Ok(rows.first().map(|row| {
            columns
                .iter()
                .map(|c| row.try_get::<_, Option<String>>(*c).ok().flatten())
                .collect()
        }))
    }
}

impl Mirror {
    /// The mirror at `jdbc_url`: `jdbc:sqlite:PATH` (relative to `base`) or
    /// `jdbc:postgresql://host/db?user=…&password=…`. A database that does not answer yet is
    /// not an error here (reads fail, and are retried, until it does).
    pub async fn open(jdbc_url: &str, base: &Path) -> Result<Mirror, StoreError> {
        let url = jdbc_url.strip_prefix("jdbc:").unwrap_or(jdbc_url);
        if let Some(path) = url.strip_prefix("sqlite:") {
            return Ok(Mirror {
                backend: Backend::Sqlite(Sqlite::open(&base.join(path)).await?),
            });
        }
        let shown = codeflix_domain::redact::redact(url);
        if url.starts_with("postgresql://") || url.starts_with("postgres://") {
            let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError {
                file: shown.clone(),
                detail: format!("not a PostgreSQL URL: {e}"),
            })?;
            return Ok(Mirror {
                backend: Backend::Postgres(std::sync::Arc::new(Postgres {
                    config,
                    shown,
                    client: tokio::sync::Mutex::new(None),
                })),
            });
        }
        Err(StoreError {
            file: shown,
            detail: "not a mirror URL (jdbc:sqlite:PATH or jdbc:postgresql://HOST/DB)".to_owned(),
        })
    }

    /// The contact of the account `subject`, if the mirror has it. A table the sink created
    /// before accounts had phones, locales and opt-outs (the columns are added with the first
    /// record that has them) reads as none of those.
    pub async fn contact(&self, subject: &str) -> Result<Option<Contact>, StoreError> {
        const COLUMNS: [&str; 5] = ["email", "display_name", "phone", "locale", "opted_out"];
        let row = match self.contact_columns(subject, &COLUMNS).await {
            Err(e) if e.detail.contains("no such column") => {
                self.contact_columns(subject, &COLUMNS[..2]).await?
            }
            other => other?,
        };
        Ok(row.and_then(|row| {
            let column = |i: usize| row.get(i).cloned().flatten().filter(|v| !v.is_empty());
            Some(Contact {
                subject: subject.to_owned(),
                email: column(0)?,
                name: column(1).unwrap_or_default(),
                phone: column(2),
                locale: column(3),
                opted_out: column(4)
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        }))
    }

    async fn contact_columns(
        &self,
        subject: &str,
        columns: &[&str],
    ) -> Result<Option<Vec<Option<String>>>, StoreError> {
        let list = columns.join(", ");
        match &self.backend {
            Backend::Sqlite(db) => Ok(db
                .rows(
                    &format!("SELECT {list} FROM contacts WHERE subject = ?1"),
                    vec![subject.to_owned()],
                )
                .await?
                .into_iter()
                .next()),
            Backend::Postgres(pg) => {
                pg.first(
                    &format!("SELECT {list} FROM contacts WHERE subject = $1"),
                    subject,
                    columns,
                )
                .await
            }
        }
    }

    /// The title of video `video_id`, if the mirror has it.
    pub async fn title(&self, video_id: &str) -> Result<Option<String>, StoreError> {
        let row = match &self.backend {
            Backend::Sqlite(db) => db
                .rows(
                    "SELECT title FROM video_titles WHERE video_id = ?1",
                    vec![video_id.to_owned()],
                )
                .await?
                .into_iter()
                .next(),
            Backend::Postgres(pg) => {
                pg.first(
                    "SELECT title FROM video_titles WHERE video_id = $1",
                    video_id,
                    &["title"],
                )
                .await?
            }
        };
        Ok(row.and_then(|mut r| r.remove(0)))
    }
}
