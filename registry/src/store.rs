//! The registry's state: schemas by id, subjects' versions and compatibility levels, in SQLite.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use apache_avro::Schema;
use libsql::{Connection, TransactionBehavior, params};
use tokio::sync::Mutex;

use crate::compat::Level;

/// What the registry refuses or fails to do; each maps to a Confluent error code.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {1} not found for subject '{0}'.")]
    VersionNotFound(String, String),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Schema being registered is incompatible with an earlier schema for subject '{subject}': {}", .problems.join("; "))]
    Incompatible {
        subject: String,
        problems: Vec<String>,
    },
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error("Invalid compatibility level: {0}")]
    InvalidLevel(String),
    #[error("Subject '{0}' was soft deleted. Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was soft deleted. Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i64),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i64),
    #[error("Invalid mode: {0}")]
    InvalidMode(String),
    #[error("The registry is in read-only mode: {0}")]
    ReadOnly(String),
    #[error("Error in the backend data store: {0}")]
    Backend(String),
}

impl RegistryError {
    /// The HTTP status and the Confluent `error_code`.
    pub fn codes(&self) -> (u16, u32) {
        match self {
            RegistryError::SubjectNotFound(_) => (404, 40401),
            RegistryError::VersionNotFound(..) => (404, 40402),
            RegistryError::SchemaNotFound => (404, 40403),
            RegistryError::Incompatible { .. } => (409, 409),
            RegistryError::InvalidSchema(_) => (422, 42201),
            RegistryError::InvalidVersion(_) => (422, 42202),
            RegistryError::InvalidLevel(_) => (422, 42203),
            RegistryError::SubjectSoftDeleted(_) => (404, 40404),
            RegistryError::SubjectNotSoftDeleted(_) => (404, 40405),
            RegistryError::VersionSoftDeleted(..) => (404, 40406),
            RegistryError::VersionNotSoftDeleted(..) => (404, 40407),
            RegistryError::InvalidMode(_) => (422, 42204),
            RegistryError::ReadOnly(_) => (422, 42205),
            RegistryError::Backend(_) => (500, 50001),
        }
    }
}

fn backend(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Backend(e.to_string())
}

/// A version selector: a number or `latest` (`-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Latest,
    Number(i64),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, RegistryError> {
        match text {
            "latest" | "-1" => Ok(Selector::Latest),
            other => match other.parse::<i64>() {
                Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(Selector::Number(n)),
                _ => Err(RegistryError::InvalidVersion(other.to_owned())),
            },
        }
    }
}

/// Whether the registry takes changes: `READONLY` refuses new schemas, level changes and
/// deletions, and still answers a registration of a schema the subject already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = RegistryError;

    fn from_str(text: &str) -> Result<Mode, RegistryError> {
        match text.to_ascii_uppercase().as_str() {
            "READWRITE" => Ok(Mode::ReadWrite),
            "READONLY" => Ok(Mode::ReadOnly),
            _ => Err(RegistryError::InvalidMode(format!(
                "{text} (supported: READWRITE, READONLY)"
            ))),
        }
    }
}

/// Whether reads see soft-deleted versions (`?deleted=true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Hidden,
    Shown,
}

/// A schema registered under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    pub schema: String,
    /// Soft-deleted: hidden from reads unless asked for, and from compatibility checks.
    pub deleted: bool,
}

/// The registry: cheap to clone, one writer at a time.
#[derive(Debug, Clone)]
pub struct Registry {
    conn: Arc<Mutex<Connection>>,
    default_level: Level,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS schemas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    canonical TEXT NOT NULL UNIQUE,
    schema TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL REFERENCES schemas (id),
    PRIMARY KEY (subject, version)
);
CREATE TABLE IF NOT EXISTS config (
    subject TEXT PRIMARY KEY,
    level TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS modes (
    subject TEXT PRIMARY KEY,
    mode TEXT NOT NULL
);
";

/// Changes to registries made by earlier versions, in order; `PRAGMA user_version` counts the
/// ones applied.
const MIGRATIONS: [&str; 1] = [
    // Soft deletion.
    "ALTER TABLE versions ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0",
];

/// Parses an Avro schema. It is identified by its JSON with sorted keys and no whitespace: the
/// same schema formatted differently is the same schema, but unlike Avro's parsing canonical form
/// docs and defaults count (a default changes how old data resolves).
fn parse(text: &str) -> Result<(Schema, String), RegistryError> {
    let schema =
        Schema::parse_str(text).map_err(|e| RegistryError::InvalidSchema(e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RegistryError::InvalidSchema(e.to_string()))?;
    Ok((schema, json.to_string()))
}

impl Registry {
    /// Opens (creating if needed) the registry stored at `path`. Subjects without a level of their
    /// own and no global level set use `default_level`.
    pub async fn open(path: &Path, default_level: Level) -> Result<Registry, RegistryError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(backend)?;
        let conn = db.connect().map_err(backend)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(backend)?;
        conn.query("PRAGMA journal_mode=WAL", ())
            .await
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).await.map_err(backend)?;
        migrate(&conn).await?;
        Ok(Registry {
            conn: Arc::new(Mutex::new(conn)),
            default_level,
        })
    }

    /// Registers `text` under `subject`, or returns the id it already has there.
    pub async fn register(&self, subject: &str, text: &str) -> Result<i64, RegistryError> {
        let (schema, canonical) = parse(text)?;
        let conn = self.conn.lock().await;
        if let Some(found) = find_in_subject(&conn, subject, &canonical, Deleted::Hidden).await? {
            return Ok(found.id);
        }
        writable(&conn, &format!("{subject} cannot take a new schema")).await?;
        let existing: Vec<Schema> = versions_of(&conn, subject, Deleted::Hidden)
            .await?
            .iter()
            .map(|v| parse(&v.schema).map(|(schema, _)| schema))
            .collect::<Result<_, _>>()?;
        let level = level(&conn, Some(subject), self.default_level).await?;
        let problems = level.violations(&existing, &schema);
        if !problems.is_empty() {
            return Err(RegistryError::Incompatible {
                subject: subject.to_owned(),
                problems,
            });
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .map_err(backend)?;
        tx.execute(
            "INSERT INTO schemas (canonical, schema) VALUES (?1, ?2) ON CONFLICT (canonical) DO NOTHING",
            params![canonical.as_str(), text],
        )
        .await
        .map_err(backend)?;
        let id = single_i64(
            &tx,
            "SELECT id FROM schemas WHERE canonical = ?1",
            params![canonical.as_str()],
        )
        .await?
        .ok_or_else(|| backend("the schema vanished while registering"))?;
        // Soft-deleted versions keep their numbers: a new version never reuses one.
        tx.execute(
            "INSERT INTO versions (subject, version, schema_id)
             VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE subject = ?1), ?2)",
            params![subject, id],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    /// The version of `subject` that holds `text`.
    pub async fn lookup(
        &self,
        subject: &str,
        text: &str,
        deleted: Deleted,
    ) -> Result<SubjectVersion, RegistryError> {
        let (_, canonical) = parse(text)?;
        let conn = self.conn.lock().await;
        if versions_of(&conn, subject, deleted).await?.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        find_in_subject(&conn, subject, &canonical, deleted)
            .await?
            .ok_or(RegistryError::SchemaNotFound)
    }

    /// The schema with `id`, while any version (soft-deleted ones too) uses it: events written
    /// with a soft-deleted schema still decode.
    pub async fn schema(&self, id: i64) -> Result<String, RegistryError> {
        let conn = self.conn.lock().await;
        let mut rows = conn
            .query(
                "SELECT schema FROM schemas
                 WHERE id = ?1 AND EXISTS (SELECT 1 FROM versions WHERE schema_id = ?1)",
                params![id],
            )
            .await
            .map_err(backend)?;
        match rows.next().await.map_err(backend)? {
            Some(row) => row.get(0).map_err(backend),
            None => Err(RegistryError::SchemaNotFound),
        }
    }

    /// The (subject, version) pairs that use schema `id`.
    pub async fn uses(
        &self,
        id: i64,
        deleted: Deleted,
    ) -> Result<Vec<(String, i64)>, RegistryError> {
        let conn = self.conn.lock().await;
        let mut rows = conn
            .query(
                "SELECT subject, version FROM versions WHERE schema_id = ?1 AND deleted <= ?2
                 ORDER BY subject, version",
                params![id, shown(deleted)],
            )
            .await
            .map_err(backend)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(backend)? {
            out.push((row.get(0).map_err(backend)?, row.get(1).map_err(backend)?));
        }
        if out.is_empty() {
            return Err(RegistryError::SchemaNotFound);
        }
        Ok(out)
    }

    pub async fn subjects(&self, deleted: Deleted) -> Result<Vec<String>, RegistryError> {
        let conn = self.conn.lock().await;
        let mut rows = conn
            .query(
                "SELECT DISTINCT subject FROM versions WHERE deleted <= ?1 ORDER BY subject",
                params![shown(deleted)],
            )
            .await
            .map_err(backend)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(backend)? {
            out.push(row.get(0).map_err(backend)?);
        }
        Ok(out)
    }

    /// The version numbers of `subject`, oldest first.
    pub async fn versions(
        &self,
        subject: &str,
        deleted: Deleted,
    ) -> Result<Vec<i64>, RegistryError> {
        let conn = self.conn.lock().await;
        let versions = versions_of(&conn, subject, deleted).await?;
        if versions.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        Ok(versions.iter().map(|v| v.version).collect())
    }

    pub async fn version(
        &self,
        subject: &str,
        selector: Selector,
        deleted: Deleted,
    ) -> Result<SubjectVersion, RegistryError> {
        let conn = self.conn.lock().await;
        select(&conn, subject, selector, deleted).await
    }

    /// Soft-deletes a version (hidden, its number never reused, its schema still resolvable by
    /// id), or permanently deletes one that was soft-deleted first. Returns its number.
    pub async fn delete_version(
        &self,
        subject: &str,
        selector: Selector,
        permanent: bool,
    ) -> Result<i64, RegistryError> {
        let conn = self.conn.lock().await;
        writable(&conn, &format!("versions of {subject} cannot be deleted")).await?;
        let found = select(&conn, subject, selector, Deleted::Shown).await?;
        match (permanent, found.deleted) {
            (false, true) => {
                return Err(RegistryError::VersionSoftDeleted(
                    subject.to_owned(),
                    found.version,
                ));
            }
            (true, false) => {
                return Err(RegistryError::VersionNotSoftDeleted(
                    subject.to_owned(),
                    found.version,
                ));
            }
            (false, false) => conn.execute(
                "UPDATE versions SET deleted = 1 WHERE subject = ?1 AND version = ?2",
                params![subject, found.version],
            ),
            (true, true) => conn.execute(
                "DELETE FROM versions WHERE subject = ?1 AND version = ?2",
                params![subject, found.version],
            ),
        }
        .await
        .map_err(backend)?;
        Ok(found.version)
    }

    /// Soft-deletes every version of `subject`, or permanently deletes a subject whose versions
    /// were all soft-deleted first (and its compatibility level). Returns the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i64>, RegistryError> {
        let conn = self.conn.lock().await;
        writable(&conn, &format!("{subject} cannot be deleted")).await?;
        let all = versions_of(&conn, subject, Deleted::Shown).await?;
        if all.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        let live: Vec<i64> = all
            .iter()
            .filter(|v| !v.deleted)
            .map(|v| v.version)
            .collect();
        if permanent {
            if !live.is_empty() {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.to_owned()));
            }
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .await
                .map_err(backend)?;
            tx.execute("DELETE FROM versions WHERE subject = ?1", params![subject])
                .await
                .map_err(backend)?;
            tx.execute("DELETE FROM config WHERE subject = ?1", params![subject])
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            return Ok(all.iter().map(|v| v.version).collect());
        }
        if live.is_empty() {
            return Err(RegistryError::SubjectSoftDeleted(subject.to_owned()));
        }
        conn.execute(
            "UPDATE versions SET deleted = 1 WHERE subject = ?1",
            params![subject],
        )
        .await
        .map_err(backend)?;
        Ok(live)
    }

    /// The level in force for `subject` (its own, else the global one), or the global level.
    pub async fn level(&self, subject: Option<&str>) -> Result<Level, RegistryError> {
        let conn = self.conn.lock().await;
        level(&conn, subject, self.default_level).await
    }

    pub async fn set_level(
        &self,
        subject: Option<&str>,
        level: Level,
    ) -> Result<(), RegistryError> {
        let conn = self.conn.lock().await;
        writable(&conn, "compatibility levels cannot change").await?;
        conn.execute(
            "INSERT INTO config (subject, level) VALUES (?1, ?2)
             ON CONFLICT (subject) DO UPDATE SET level = excluded.level",
            params![subject.unwrap_or(""), level.as_str()],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// The registry's mode.
    pub async fn mode(&self) -> Result<Mode, RegistryError> {
        let conn = self.conn.lock().await;
        mode(&conn).await
    }

    pub async fn set_mode(&self, mode: Mode) -> Result<(), RegistryError> {
        let conn = self.conn.lock().await;
        conn.execute(
            "INSERT INTO modes (subject, mode) VALUES ('', ?1)
             ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode",
            params![mode.as_str()],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// Why `text` could not be registered under `subject`, compared with one version or (when
    /// `selector` is `None`) with all of them as the level requires.
    pub async fn test(
        &self,
        subject: &str,
        selector: Option<Selector>,
        text: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let (candidate, _) = parse(text)?;
        let conn = self.conn.lock().await;
        let versions = versions_of(&conn, subject, Deleted::Hidden).await?;
        if versions.is_empty() && selector.is_some() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        let level = level(&conn, Some(subject), self.default_level).await?;
        let against: Vec<SubjectVersion> = match selector {
            None => versions,
            Some(Selector::Latest) => versions.last().cloned().into_iter().collect(),
            Some(Selector::Number(n)) => {
                let found: Vec<_> = versions.into_iter().filter(|v| v.version == n).collect();
                if found.is_empty() {
                    return Err(RegistryError::VersionNotFound(
                        subject.to_owned(),
                        n.to_string(),
                    ));
                }
                found
            }
        };
        let existing: Vec<Schema> = against
            .iter()
            .map(|v| parse(&v.schema).map(|(schema, _)| schema))
            .collect::<Result<_, _>>()?;
        Ok(level.violations(&existing, &candidate))
    }
}

/// The highest `deleted` flag a read includes.
fn shown(deleted: Deleted) -> i64 {
    match deleted {
        Deleted::Hidden => 0,
        Deleted::Shown => 1,
    }
}

async fn migrate(conn: &Connection) -> Result<(), RegistryError> {
    let applied = single_i64(conn, "PRAGMA user_version", ())
        .await?
        .unwrap_or(0);
    for (n, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(applied).unwrap_or(0))
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .map_err(backend)?;
        tx.execute(sql, ()).await.map_err(backend)?;
        tx.execute(&format!("PRAGMA user_version = {}", n + 1), ())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
    }
    Ok(())
}

/// Refuses a change, saying what could not be done, when the registry is read-only.
async fn writable(conn: &Connection, what: &str) -> Result<(), RegistryError> {
    match mode(conn).await? {
        Mode::ReadWrite => Ok(()),
        Mode::ReadOnly => Err(RegistryError::ReadOnly(what.to_owned())),
    }
}

async fn mode(conn: &Connection) -> Result<Mode, RegistryError> {
    let mut rows = conn
        .query("SELECT mode FROM modes WHERE subject = ''", ())
        .await
        .map_err(backend)?;
    match rows.next().await.map_err(backend)? {
        Some(row) => row.get::<String>(0).map_err(backend)?.parse(),
        None => Ok(Mode::ReadWrite),
    }
}

/// The version `selector` names; `latest` is the newest version a read sees.
async fn select(
    conn: &Connection,
    subject: &str,
    selector: Selector,
    deleted: Deleted,
) -> Result<SubjectVersion, RegistryError> {
    let versions = versions_of(conn, subject, deleted).await?;
    if versions.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    let found = match selector {
        Selector::Latest => versions.iter().rev().find(|v| !v.deleted).cloned(),
        Selector::Number(n) => versions.into_iter().find(|v| v.version == n),
    };
    found.ok_or_else(|| {
        let label = match selector {
            Selector::Latest => "latest".to_owned(),
            Selector::Number(n) => n.to_string(),
        };
        RegistryError::VersionNotFound(subject.to_owned(), label)
    })
}

async fn single_i64(
    conn: &Connection,
    sql: &str,
    params: impl libsql::params::IntoParams,
) -> Result<Option<i64>, RegistryError> {
    let mut rows = conn.query(sql, params).await.map_err(backend)?;
    match rows.next().await.map_err(backend)? {
        Some(row) => Ok(Some(row.get(0).map_err(backend)?)),
        None => Ok(None),
    }
}

async fn versions_of(
    conn: &Connection,
    subject: &str,
    deleted: Deleted,
) -> Result<Vec<SubjectVersion>, RegistryError> {
    let mut rows = conn
        .query(
            "SELECT v.version, s.id, s.schema, v.deleted FROM versions v
             JOIN schemas s ON s.id = v.schema_id
             WHERE v.subject = ?1 AND v.deleted <= ?2 ORDER BY v.version",
            params![subject, shown(deleted)],
        )
        .await
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.map_err(backend)? {
        out.push(subject_version(subject, &row)?);
    }
    Ok(out)
}

/// A `(version, id, schema, deleted)` row of `subject`.
fn subject_version(subject: &str, row: &libsql::Row) -> Result<SubjectVersion, RegistryError> {
    Ok(SubjectVersion {
        subject: subject.to_owned(),
        version: row.get(0).map_err(backend)?,
        id: row.get(1).map_err(backend)?,
        schema: row.get(2).map_err(backend)?,
        deleted: row.get::<i64>(3).map_err(backend)? != 0,
    })
}

async fn find_in_subject(
    conn: &Connection,
    subject: &str,
    canonical: &str,
    deleted: Deleted,
) -> Result<Option<SubjectVersion>, RegistryError> {
    let mut rows = conn
        .query(
            "SELECT v.version, s.id, s.schema, v.deleted FROM versions v
             JOIN schemas s ON s.id = v.schema_id
             WHERE v.subject = ?1 AND s.canonical = ?2 AND v.deleted <= ?3
             ORDER BY v.deleted, v.version LIMIT 1",
            params![subject, canonical, shown(deleted)],
        )
        .await
        .map_err(backend)?;
    match rows.next().await.map_err(backend)? {
        Some(row) => subject_version(subject, &row).map(Some),
        None => Ok(None),
    }
}

async fn level(
    conn: &Connection,
    subject: Option<&str>,
    default: Level,
) -> Result<Level, RegistryError> {
    let mut rows = conn
        .query(
            "SELECT level FROM config WHERE subject = ?1 OR subject = '' ORDER BY subject DESC LIMIT 1",
            params![subject.unwrap_or("")],
        )
        .await
        .map_err(backend)?;
    match rows.next().await.map_err(backend)? {
        Some(row) => {
            let text: String = row.get(0).map_err(backend)?;
            text.parse().map_err(RegistryError::Backend)
        }
        None => Ok(default),
    }
}
