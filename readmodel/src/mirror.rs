//! Mirrors: tables another context's state is copied into by Kafka Connect's JDBC sink
//! (`connectors/`, ADR 0022), read here as the reading context's own store. The sink creates and
//! fills them; this module only reads — embedded SQLite, or PostgreSQL in production.
//!
//! The playback side's `entitlements` table holds, per subscription (key `subscription_id`), the
//! fields of the subscriptions context's state feed that decide access.

use std::sync::Arc;

use async_trait::async_trait;
use codeflix_domain::Timestamp;
use codeflix_domain::subscriptions::subscription::Timeline;

use crate::store::{StoreError, backend};

/// What one subscription grants, as the mirror holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub subscription_id: String,
    /// The identity provider's subject of the account.
    pub account_id: String,
    pub status: String,
    /// When it started (RFC 3339): the newest is the one a refusal speaks of.
    pub started_at: String,
    pub current_period_end: String,
    pub trial_ends_at: Option<String>,
    pub trial_noticed: bool,
    pub renewals: u32,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub ends_at: Option<String>,
    pub access_ends_at: Option<String>,
    pub version: u64,
}

impl Entitlement {
    /// The domain's timeline of the subscription.
    pub fn timeline(&self) -> Option<Timeline> {
        crate::views::timeline_of(
            &self.status,
            &self.current_period_end,
            self.trial_ends_at.as_deref(),
            self.trial_noticed,
            (self.renewals, self.attempts),
            self.next_attempt_at.as_deref(),
            self.ends_at.as_deref(),
        )
    }

    /// Whether it lets its account watch at `now`.
    pub fn grants_access_at(&self, now: Timestamp) -> bool {
        self.timeline().is_some_and(|t| t.grants_access_at(now))
    }
}

/// The playback side's reads of its entitlements mirror.
#[async_trait]
pub trait EntitlementReads: Send + Sync + std::fmt::Debug {
    /// The entitlements of the account `subject`, in any order; none while the sink has not
    /// written the table yet.
    async fn of_account(&self, subject: &str) -> Result<Vec<Entitlement>, StoreError>;
}

const COLUMNS: &str = "subscription_id, account_id, status, current_period_end, trial_ends_at, \
                       trial_noticed, renewals, attempts, next_attempt_at, ends_at, \
                       access_ends_at, version, started_at";

/// Opens the mirror a JDBC URL names: `jdbc:sqlite:<path>` (relative to `base`) or
/// `jdbc:postgresql://…` (the `jdbc:` prefix is optional).
pub async fn open_entitlements(
    url: &str,
    base: &std::path::Path,
) -> Result<Arc<dyn EntitlementReads>, StoreError> {
    let url = url.strip_prefix("jdbc:").unwrap_or(url);
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = base.join(path);
        return Ok(Arc::new(SqliteEntitlements::open(&path).await?));
    }
    if url.starts_with("postgresql://") || url.starts_with("postgres://") {
        return Ok(Arc::new(PostgresEntitlements::open(url).await?));
    }
    Err(backend(format!(
        "{}: not a mirror URL (jdbc:sqlite:PATH or jdbc:postgresql://HOST/DB)",
        codeflix_domain::redact::redact(url)
    )))
}

/// The mirror in an SQLite file, as the embedded Connect runtime's JDBC sink writes it.
#[derive(Clone)]
pub struct SqliteEntitlements {
    conn: libsql::Connection,
}

impl std::fmt::Debug for SqliteEntitlements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEntitlements").finish_non_exhaustive()
    }
}

impl SqliteEntitlements {
    pub async fn open(path: &std::path::Path) -> Result<SqliteEntitlements, StoreError> {
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
                let conn = db.connect().map_err(backend)?;
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .map_err(backend)?;
                Ok(SqliteEntitlements { conn })
            })
        })
        .await
        .map_err(backend)?
    }
}

/// A column's text, whatever the sink stored it as.
fn sqlite_text(value: &libsql::Value) -> Option<String> {
    match value {
        libsql::Value::Text(text) => Some(text.clone()),
        libsql::Value::Integer(n) => Some(n.to_string()),
        libsql::Value::Real(r) => Some(r.to_string()),
        libsql::Value::Null | libsql::Value::Blob(_) => None,
    }
}

fn sqlite_number(value: &libsql::Value) -> Option<i64> {
    match value {
        libsql::Value::Integer(n) => Some(*n),
        libsql::Value::Real(r) => Some(*r as i64),
        libsql::Value::Text(text) => match text.as_str() {
            "true" => Some(1),
            "false" => Some(0),
            other => other.parse().ok(),
        },
        libsql::Value::Null | libsql::Value::Blob(_) => None,
    }
}

fn corrupt(column: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "the entitlements mirror's {column} is missing or not valid"
    ))
}

#[async_trait]
impl EntitlementReads for SqliteEntitlements {
    async fn of_account(&self, subject: &str) -> Result<Vec<Entitlement>, StoreError> {
        let conn = self.conn.clone();
        let subject = subject.to_owned();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let sql = format!("SELECT {COLUMNS} FROM entitlements WHERE account_id = ?1");
                let mut rows = match conn.query(&sql, [subject]).await {
                    Ok(rows) => rows,
                    // The sink creates the table with its first record.
                    Err(e) if e.to_string().contains("no such table") => return Ok(Vec::new()),
                    Err(e) => return Err(backend(e)),
                };
                let mut found = Vec::new();
                while let Some(row) = rows.next().await.map_err(backend)? {
                    let value = |i: i32| row.get_value(i).unwrap_or(libsql::Value::Null);
                    let text =
                        |i: i32, name: &str| sqlite_text(&value(i)).ok_or_else(|| corrupt(name));
                    let number =
                        |i: i32, name: &str| sqlite_number(&value(i)).ok_or_else(|| corrupt(name));
                    found.push(Entitlement {
                        subscription_id: text(0, "subscription_id")?,
                        account_id: text(1, "account_id")?,
                        status: text(2, "status")?,
                        current_period_end: text(3, "current_period_end")?,
                        trial_ends_at: sqlite_text(&value(4)),
                        trial_noticed: number(5, "trial_noticed")? != 0,
                        renewals: u32::try_from(number(6, "renewals")?)
                            .map_err(|_| corrupt("renewals"))?,
                        attempts: u32::try_from(number(7, "attempts")?)
                            .map_err(|_| corrupt("attempts"))?,
                        next_attempt_at: sqlite_text(&value(8)),
                        ends_at: sqlite_text(&value(9)),
                        access_ends_at: sqlite_text(&value(10)),
                        version: u64::try_from(number(11, "version")?)
                            .map_err(|_| corrupt("version"))?,
                        started_at: text(12, "started_at")?,
                    });
                }
                Ok(found)
            })
        })
        .await
        .map_err(backend)?
    }
}

/// The mirror in PostgreSQL, as Confluent's JDBC sink writes it in production. The connection
/// is made again when it has been lost (the database restarted, a network fault), at the next
/// read.
pub struct PostgresEntitlements {
    config: tokio_postgres::Config,
    client: tokio::sync::Mutex<Option<Arc<tokio_postgres::Client>>>,
}

impl std::fmt::Debug for PostgresEntitlements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresEntitlements")
            .finish_non_exhaustive()
    }
}

impl PostgresEntitlements {
    /// Over `url` (`postgresql://user:password@host:port/database`, or with the credentials as
    /// `?user=…&password=…` as JDBC URLs carry them). A URL that does not parse is an error; a
    /// database that does not answer yet is not (reads fail until it does).
    pub async fn open(url: &str) -> Result<PostgresEntitlements, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            backend(format!(
                "{}: not a PostgreSQL URL: {e}",
                codeflix_domain::redact::redact(url)
            ))
        })?;
        let mirror = PostgresEntitlements {
            config,
            client: tokio::sync::Mutex::new(None),
        };
        if let Err(error) = mirror.client().await {
            tracing::warn!(
                error = %codeflix_domain::Report(&error),
                "the entitlements mirror does not answer yet; playback of subscription-only \
                 videos is refused until it does"
            );
        }
        Ok(mirror)
    }

    /// The open connection, or a new one when there is none or it was lost.
    async fn client(&self) -> Result<Arc<tokio_postgres::Client>, StoreError> {
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
            .map_err(backend)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "the entitlements mirror's connection ended");
            }
        });
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }
}

/// A column that may be BOOLEAN, an integer or text (what dialects make of a boolean).
fn pg_number(row: &tokio_postgres::Row, column: &str) -> Option<i64> {
    if let Ok(value) = row.try_get::<_, Option<i64>>(column) {
        return value;
    }
    if let Ok(value) = row.try_get::<_, Option<i32>>(column) {
        return value.map(i64::from);
    }
    if let Ok(value) = row.try_get::<_, Option<i16>>(column) {
        return value.map(i64::from);
    }
    if let Ok(value) = row.try_get::<_, Option<bool>>(column) {
        return value.map(i64::from);
    }
    None
}

fn pg_text(row: &tokio_postgres::Row, column: &str) -> Option<String> {
    row.try_get::<_, Option<String>>(column).ok().flatten()
}

#[async_trait]
impl EntitlementReads for PostgresEntitlements {
    async fn of_account(&self, subject: &str) -> Result<Vec<Entitlement>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM entitlements WHERE account_id = $1");
        let client = self.client().await?;
        let rows = match client.query(&sql, &[&subject]).await {
            Ok(rows) => rows,
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(backend(e)),
        };
        rows.iter()
            .map(|row| {
                let text = |name: &str| pg_text(row, name).ok_or_else(|| corrupt(name));
                let number = |name: &str| pg_number(row, name).ok_or_else(|| corrupt(name));
                Ok(Entitlement {
                    subscription_id: text("subscription_id")?,
                    account_id: text("account_id")?,
                    status: text("status")?,
                    current_period_end: text("current_period_end")?,
                    trial_ends_at: pg_text(row, "trial_ends_at"),
                    trial_noticed: number("trial_noticed")? != 0,
                    renewals: u32::try_from(number("renewals")?)
                        .map_err(|_| corrupt("renewals"))?,
                    attempts: u32::try_from(number("attempts")?)
                        .map_err(|_| corrupt("attempts"))?,
                    next_attempt_at: pg_text(row, "next_attempt_at"),
                    ends_at: pg_text(row, "ends_at"),
                    access_ends_at: pg_text(row, "access_ends_at"),
                    version: u64::try_from(number("version")?).map_err(|_| corrupt("version"))?,
                    started_at: text("started_at")?,
                })
            })
            .collect()
    }
}
