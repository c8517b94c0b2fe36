//! `io.confluent.connect.jdbc.JdbcSinkConnector` writing into an embedded SQLite file.
//!
//! [`plan`] decides what each record becomes (pure); [`Writer`] applies a batch in one SQLite
//! transaction — creating and altering tables as `auto.create` / `auto.evolve` allow — and only
//! once that transaction is committed does the task commit the batch's offsets, so a process
//! killed at any point re-reads at most an uncommitted batch (and with `insert.mode=upsert`
//! writing it again changes nothing).

pub mod plan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use libsql::{Connection, TransactionBehavior};

use crate::config::defs;
use crate::config::{Config, list, value};
use crate::errors::{Exception, SQL_EXCEPTION, TABLE_ALTER_OR_CREATE};
use plan::{Column, Op, SqlValue};

/// `insert.mode`, as the embedded runtime runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    Insert,
    Upsert,
}

/// `pk.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    None,
    Kafka,
    RecordKey,
    RecordValue,
}

impl PkMode {
    pub fn name(self) -> &'static str {
        match self {
            PkMode::None => "none",
            PkMode::Kafka => "kafka",
            PkMode::RecordKey => "record_key",
            PkMode::RecordValue => "record_value",
        }
    }
}

/// The JDBC sink's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct JdbcConfig {
    /// The SQLite file.
    pub path: PathBuf,
    pub table_format: String,
    pub insert_mode: InsertMode,
    pub pk_mode: PkMode,
    pub pk_fields: Vec<String>,
    pub fields_whitelist: Vec<String>,
    pub delete_enabled: bool,
    pub auto_create: bool,
    pub auto_evolve: bool,
    /// Records written in one transaction, at most (0: one transaction per poll).
    pub batch_size: usize,
    pub max_retries: u32,
    pub retry_backoff: Duration,
    pub quote_identifiers: bool,
    pub replace_null_with_default: bool,
}

/// The SQLite file of a `jdbc:sqlite:<path>` URL (relative paths are under the data directory).
pub fn sqlite_path(url: &str) -> Result<PathBuf, String> {
    let url = url.trim();
    let Some(path) = url.strip_prefix("jdbc:sqlite:") else {
        let scheme = url.split(':').take(2).collect::<Vec<_>>().join(":");
        return Err(format!(
            "the embedded runtime writes SQLite only (jdbc:sqlite:<path>); {scheme}: runs on a real Kafka Connect cluster"
        ));
    };
    let path = path.strip_prefix("file:").unwrap_or(path);
    if path.is_empty() {
        return Err("jdbc:sqlite: needs a file path, e.g. jdbc:sqlite:billing-copy.db".to_owned());
    }
    if path == ":memory:" || path.contains("mode=memory") {
        return Err(
            "an in-memory SQLite database loses every row when the process stops, while the \
             connector's offsets say they were written: name a file"
                .to_owned(),
        );
    }
    if path.contains('?') {
        return Err(
            "SQLite URL parameters (?…) are not supported by the embedded runtime".to_owned(),
        );
    }
    Ok(PathBuf::from(path))
}

impl JdbcConfig {
    /// The settings of a validated, resolved configuration; relative SQLite paths under
    /// `data_dir`.
    pub fn from_config(config: &Config, data_dir: &Path) -> Result<JdbcConfig, String> {
        let (defs, _) = defs::class_keys(defs::JDBC_SINK);
        let get = |key: &str| {
            value(config, &defs, key)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let flag = |key: &str| get(key).eq_ignore_ascii_case("true");
        let number = |key: &str| -> Result<u64, String> {
            get(key)
                .parse()
                .map_err(|_| format!("{key} must be a whole number"))
        };
        let path = sqlite_path(&get("connection.url"))?;
        let path = if path.is_absolute() {
            path
        } else {
            data_dir.join(path)
        };
        Ok(JdbcConfig {
            path,
            table_format: get("table.name.format"),
            insert_mode: match get("insert.mode").to_ascii_lowercase().as_str() {
                "insert" => InsertMode::Insert,
                "upsert" => InsertMode::Upsert,
                other => {
                    return Err(format!(
                        "insert.mode={other} is not run by the embedded runtime"
                    ));
                }
            },
            pk_mode: match get("pk.mode").to_ascii_lowercase().as_str() {
                "none" => PkMode::None,
                "kafka" => PkMode::Kafka,
                "record_key" => PkMode::RecordKey,
                "record_value" => PkMode::RecordValue,
                other => return Err(format!("pk.mode={other} is not a primary key mode")),
            },
            pk_fields: list(&get("pk.fields")),
            fields_whitelist: list(&get("fields.whitelist")),
            delete_enabled: flag("delete.enabled"),
            auto_create: flag("auto.create"),
            auto_evolve: flag("auto.evolve"),
            batch_size: usize::try_from(number("batch.size")?).unwrap_or(usize::MAX),
            max_retries: u32::try_from(number("max.retries")?).unwrap_or(u32::MAX),
            retry_backoff: Duration::from_millis(number("retry.backoff.ms")?),
            quote_identifiers: !get("quote.sql.identifiers").eq_ignore_ascii_case("never"),
            replace_null_with_default: flag("replace.null.with.default"),
        })
    }
}

/// Why a batch was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    /// The record (its index in the batch) whose statement failed, when one did.
    pub at: Option<usize>,
    pub error: Exception,
}

fn sql(e: impl std::fmt::Display) -> Exception {
    Exception::new(SQL_EXCEPTION, e.to_string())
}

/// A connection to the sink's SQLite file and what it knows of its tables' columns.
pub struct Writer {
    config: JdbcConfig,
    _db: libsql::Database,
    conn: Connection,
    /// Columns of each table seen, lower-cased as SQLite compares them.
    tables: HashMap<String, Vec<String>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.config.path)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// Opens (creating) the SQLite file.
    pub async fn open(config: &JdbcConfig) -> Result<Writer, Exception> {
        if let Some(parent) = config.path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| sql(format!("creating {}: {e}", parent.display())))?;
        }
        let db = libsql::Builder::new_local(&config.path)
            .build()
            .await
            .map_err(|e| sql(format!("opening {}: {e}", config.path.display())))?;
        let conn = db.connect().map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
        conn.query("PRAGMA journal_mode=WAL", ())
            .await
            .map_err(sql)?;
        conn.execute("PRAGMA synchronous=FULL", ())
            .await
            .map_err(sql)?;
        Ok(Writer {
            config: config.clone(),
            _db: db,
            conn,
            tables: HashMap::new(),
        })
    }

    /// Applies `ops` in order in one transaction: all of them, or none.
    pub async fn write(&mut self, ops: &[Op]) -> Result<(), WriteError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .map_err(|e| WriteError {
                at: None,
                error: sql(e),
            })?;
        // Tables created or altered in this transaction are forgotten if it rolls back.
        let known = self.tables.clone();
        for (i, op) in ops.iter().enumerate() {
            if let Err(error) = self.apply(&tx, op).await {
                self.tables = known;
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rolling back a failed sink batch");
                }
                return Err(WriteError { at: Some(i), error });
            }
        }
        tx.commit().await.map_err(|e| {
            self.tables = known;
            WriteError {
                at: None,
                error: sql(e),
            }
        })
    }

    async fn apply(&mut self, conn: &Connection, op: &Op) -> Result<(), Exception> {
        match op {
            Op::Write {
                table,
                columns,
                values,
            } => {
                self.ensure_table(conn, table, columns).await?;
                let statement = plan::write_statement(&self.config, table, columns);
                conn.execute(&statement, params(values))
                    .await
                    .map_err(sql)?;
            }
            Op::Delete {
                table,
                keys,
                values,
            } => {
                // A row cannot be deleted from a table that is not there: nothing to do.
                if !self.table_exists(conn, table).await? {
                    return Ok(());
                }
                let statement = plan::delete_statement(&self.config, table, keys);
                conn.execute(&statement, params(values))
                    .await
                    .map_err(sql)?;
            }
        }
        Ok(())
    }

    async fn table_exists(&mut self, conn: &Connection, table: &str) -> Result<bool, Exception> {
        if self.tables.contains_key(table) {
            return Ok(true);
        }
        let columns = read_columns(conn, table).await?;
        if columns.is_empty() {
            return Ok(false);
        }
        self.tables.insert(table.to_owned(), columns);
        Ok(true)
    }

    /// Creates the table, or adds the columns it lacks, as `auto.create` and `auto.evolve`
    /// allow (Confluent's `DbStructure.createOrAmendIfNecessary`).
    async fn ensure_table(
        &mut self,
        conn: &Connection,
        table: &str,
        columns: &[Column],
    ) -> Result<(), Exception> {
        if !self.table_exists(conn, table).await? {
            if !self.config.auto_create {
                return Err(Exception::new(
                    TABLE_ALTER_OR_CREATE,
                    format!("Table {table} is missing and auto-creation is disabled"),
                ));
            }
            let create = plan::create_table(&self.config, table, columns)?;
            conn.execute(&create, ()).await.map_err(sql)?;
            self.tables.insert(
                table.to_owned(),
                columns.iter().map(|c| c.name.to_lowercase()).collect(),
            );
            return Ok(());
        }
        let existing = self.tables.get(table).cloned().unwrap_or_default();
        let missing: Vec<&Column> = columns
            .iter()
            .filter(|c| !existing.contains(&c.name.to_lowercase()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if !self.config.auto_evolve {
            return Err(Exception::new(
                TABLE_ALTER_OR_CREATE,
                format!(
                    "Table {table} is missing fields ({}) and auto-evolution is disabled",
                    missing
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for column in missing {
            let alter = plan::add_column(&self.config, table, column)?;
            conn.execute(&alter, ()).await.map_err(sql)?;
            if let Some(known) = self.tables.get_mut(table) {
                known.push(column.name.to_lowercase());
            }
        }
        Ok(())
    }
}

async fn read_columns(conn: &Connection, table: &str) -> Result<Vec<String>, Exception> {
    let mut rows = conn
        .query(
            "SELECT name FROM pragma_table_info(?1)",
            libsql::params![table],
        )
        .await
        .map_err(sql)?;
    let mut columns = Vec::new();
    while let Some(row) = rows.next().await.map_err(sql)? {
        let name: String = row.get(0).map_err(sql)?;
        columns.push(name.to_lowercase());
    }
    Ok(columns)
}

fn params(values: &[SqlValue]) -> libsql::params::Params {
    libsql::params::Params::Positional(
        values
            .iter()
            .map(|v| match v {
                SqlValue::Null => libsql::Value::Null,
                SqlValue::Integer(i) => libsql::Value::Integer(*i),
                SqlValue::Real(f) => libsql::Value::Real(*f),
                SqlValue::Text(s) => libsql::Value::Text(s.clone()),
                SqlValue::Blob(b) => libsql::Value::Blob(b.clone()),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Data, Field, Schema, Type, Value};
    use crate::record::Record;
    use plan::Coordinates;

    #[test]
    fn only_sqlite_files_are_urls_the_embedded_sink_writes() {
        assert_eq!(
            sqlite_path("jdbc:sqlite:copy.db").unwrap(),
            PathBuf::from("copy.db")
        );
        assert_eq!(
            sqlite_path("jdbc:sqlite:/var/x.db").unwrap(),
            PathBuf::from("/var/x.db")
        );
        assert!(
            sqlite_path("jdbc:postgresql://db/x")
                .unwrap_err()
                .contains("jdbc:postgresql:")
        );
        assert!(
            sqlite_path("jdbc:sqlite::memory:")
                .unwrap_err()
                .contains("in-memory")
        );
        assert!(sqlite_path("jdbc:sqlite:").is_err());
    }

    fn config(dir: &Path, evolve: bool) -> JdbcConfig {
        let mut c: Config = [
            ("connection.url", "jdbc:sqlite:sub/copy.db"),
            ("table.name.format", "plans"),
            ("insert.mode", "upsert"),
            ("pk.mode", "record_key"),
            ("pk.fields", "id"),
            ("delete.enabled", "true"),
            ("auto.create", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        if evolve {
            c.insert("auto.evolve".into(), "true".into());
        }
        JdbcConfig::from_config(&c, dir).unwrap()
    }

    fn record(id: &str, fields: &[(&str, Value)]) -> Record {
        let schema = Schema::structure(
            Some("Plan".into()),
            fields
                .iter()
                .map(|(n, v)| Field {
                    name: (*n).into(),
                    schema: match v {
                        Value::Int64(_) => Schema::of(Type::Int64).optional(),
                        _ => Schema::of(Type::String).optional(),
                    },
                })
                .collect(),
        );
        Record {
            topic: "t".into(),
            partition: 0,
            timestamp: None,
            key: Data::new(
                Some(Schema::of(Type::String).optional()),
                Value::String(id.into()),
            ),
            value: if fields.is_empty() {
                Data::NULL
            } else {
                Data::new(
                    Some(schema),
                    Value::Struct(
                        fields
                            .iter()
                            .map(|(n, v)| ((*n).into(), v.clone()))
                            .collect(),
                    ),
                )
            },
            headers: Vec::new(),
        }
    }

    fn op(config: &JdbcConfig, r: &Record) -> Op {
        plan::plan(
            config,
            "c",
            r,
            Coordinates {
                topic: "t",
                partition: 0,
                offset: 0,
                timestamp: None,
            },
        )
        .unwrap()
    }

    async fn rows(path: &Path) -> Vec<(String, Option<String>)> {
        let db = libsql::Builder::new_local(path).build().await.unwrap();
        let conn = db.connect().unwrap();
        let mut rows = conn
            .query("SELECT id, name FROM plans ORDER BY id", ())
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            out.push((row.get(0).unwrap(), row.get(1).unwrap()));
        }
        out
    }

    #[tokio::test]
    async fn upserts_replace_tombstones_delete_and_a_failed_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), true);
        assert_eq!(config.path, dir.path().join("sub/copy.db"));
        let mut writer = Writer::open(&config).await.unwrap();
        let name = |id: &str, n: &str| record(id, &[("name", Value::String(n.into()))]);
        writer
            .write(&[
                op(&config, &name("a", "one")),
                op(&config, &name("b", "two")),
                op(&config, &name("a", "uno")),
            ])
            .await
            .unwrap();
        assert_eq!(
            rows(&config.path).await,
            [
                ("a".into(), Some("uno".into())),
                ("b".into(), Some("two".into()))
            ]
        );
        writer
            .write(&[op(&config, &record("b", &[]))])
            .await
            .unwrap();
        assert_eq!(rows(&config.path).await, [("a".into(), Some("uno".into()))]);

        // A new optional field is a new column (auto.evolve).
        writer
            .write(&[op(
                &config,
                &record(
                    "c",
                    &[
                        ("name", Value::String("x".into())),
                        ("price", Value::Int64(5)),
                    ],
                ),
            )])
            .await
            .unwrap();
        // A statement that fails rolls back the statements before it in the batch, tables it
        // created included.
        let failed = writer
            .write(&[
                op(&config, &name("e", "five")),
                Op::Write {
                    table: "strict".into(),
                    columns: vec![plan::Column {
                        name: "x".into(),
                        schema: Schema::of(Type::String),
                        key: false,
                    }],
                    values: vec![SqlValue::Null],
                },
            ])
            .await
            .unwrap_err();
        assert_eq!(failed.error.class, SQL_EXCEPTION);
        assert!(failed.error.message.contains("NOT NULL"), "{failed:?}");
        assert_eq!(failed.at, Some(1));
        assert_eq!(
            rows(&config.path).await,
            [
                ("a".into(), Some("uno".into())),
                ("c".into(), Some("x".into()))
            ]
        );
        assert!(!writer.tables.contains_key("strict"));
        assert!(
            read_columns(&writer.conn, "strict")
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn missing_tables_and_columns_are_refused_without_auto_create_or_evolve() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), false);
        let mut writer = Writer::open(&config).await.unwrap();
        writer
            .write(&[op(
                &config,
                &record("a", &[("name", Value::String("x".into()))]),
            )])
            .await
            .unwrap();
        let more = record(
            "b",
            &[
                ("name", Value::String("y".into())),
                ("price", Value::Int64(1)),
            ],
        );
        let error = writer.write(&[op(&config, &more)]).await.unwrap_err();
        assert_eq!(error.error.class, TABLE_ALTER_OR_CREATE);
        assert_eq!(
            error.error.message,
            "Table plans is missing fields (price) and auto-evolution is disabled"
        );

        config.auto_create = false;
        config.table_format = "other".into();
        let mut writer = Writer::open(&config).await.unwrap();
        let error = writer.write(&[op(&config, &more)]).await.unwrap_err();
        assert_eq!(
            error.error.message,
            "Table other is missing and auto-creation is disabled"
        );
    }
}
