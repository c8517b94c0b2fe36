//! What the JDBC sink does with one record, decided without a database: the table, the
//! columns (Confluent's `FieldsMetadata`: key columns by `pk.mode`, then the value's fields in
//! schema order, `fields.whitelist` applied), their SQLite types (`SqliteDatabaseDialect`), the
//! values bound, and the statements that create, alter, write and delete.

use crate::data::{Data, Field, Schema, Type, Value, logical};
use crate::errors::{Exception, TABLE_ALTER_OR_CREATE};
use crate::record::Record;

use super::{InsertMode, JdbcConfig, PkMode};

/// Kafka coordinates as columns (`pk.mode=kafka` without `pk.fields`).
pub const KAFKA_PK_NAMES: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];

/// A column the record needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub schema: Schema,
    pub key: bool,
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// What to do with one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Insert (or replace) a row.
    Write {
        table: String,
        columns: Vec<Column>,
        values: Vec<SqlValue>,
    },
    /// Delete the row with these key values (a tombstone, `delete.enabled=true`).
    Delete {
        table: String,
        keys: Vec<Column>,
        values: Vec<SqlValue>,
    },
}

impl Op {
    pub fn table(&self) -> &str {
        match self {
            Op::Write { table, .. } | Op::Delete { table, .. } => table,
        }
    }
}

/// Where the record came from, for messages and `pk.mode=kafka`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coordinates<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

fn describe(data: &Data) -> (&'static str, &'static str) {
    let value = match &data.value {
        Value::Null => "null",
        Value::Struct(_) => "Struct",
        Value::Map(_) => "HashMap",
        other => other.java_class().rsplit('.').next().unwrap_or("value"),
    };
    let schema = match &data.schema {
        None => "null",
        Some(s) if s.kind == Type::Struct => "Struct",
        Some(s) if s.kind.is_primitive() => "primitive",
        Some(_) => "non-Struct",
    };
    (value, schema)
}

/// The table a record of `topic` goes to (`table.name.format` with `${topic}`).
pub fn table_name(config: &JdbcConfig, topic: &str) -> Result<String, Exception> {
    let table = config.table_format.replace("${topic}", topic);
    if table.contains('.') {
        return Err(Exception::new(
            TABLE_ALTER_OR_CREATE,
            format!(
                "table name {table} holds dots, which SQLite reads as database.table: name the \
                 table with table.name.format, or route the topic with RegexRouter"
            ),
        ));
    }
    Ok(table)
}

/// The operation for `record` (after transforms), or the `ConnectException` that stops the
/// task (Confluent's `RecordValidator` and `FieldsMetadata` checks).
pub fn plan(
    config: &JdbcConfig,
    name: &str,
    record: &Record,
    at: Coordinates<'_>,
) -> Result<Op, Exception> {
    let found_at = format!(
        "(topic='{}',partition={},offset={},timestamp={})",
        at.topic,
        at.partition,
        at.offset,
        at.timestamp
            .map_or_else(|| "null".to_owned(), |t| t.to_string())
    );
    let settings = format!(
        "Sink connector '{name}' is configured with 'delete.enabled={}' and 'pk.mode={}'",
        config.delete_enabled,
        config.pk_mode.name()
    );
    let value_is_struct = record
        .value
        .schema
        .as_ref()
        .is_some_and(|s| s.kind == Type::Struct)
        && matches!(record.value.value, Value::Struct(_));
    let tombstone = record.value.value.is_null();
    if !(value_is_struct || (tombstone && config.delete_enabled)) {
        let (value, schema) = describe(&record.value);
        return Err(Exception::connect(format!(
            "{settings} and therefore requires records with a non-null Struct value and non-null Struct schema, \
             but found record at {found_at} with a {value} value and {schema} value schema."
        )));
    }
    if config.pk_mode == PkMode::RecordKey {
        let key_ok = record
            .key
            .schema
            .as_ref()
            .is_some_and(|s| s.kind.is_primitive() || s.kind == Type::Struct)
            && !record.key.value.is_null();
        if !key_ok {
            let (value, schema) = describe(&record.key);
            return Err(Exception::connect(format!(
                "{settings} and therefore requires records with a non-null key and non-null Struct or primitive key schema, \
                 but found record at {found_at} with a {value} key and {schema} key schema."
            )));
        }
    }
    let table = table_name(config, &record.topic)?;
    let columns = columns(config, &table, &record.key, record.value.schema.as_ref())?;
    let mut values = Vec::with_capacity(columns.len());
    for column in &columns {
        let raw = column_value(config, column, record, at);
        values.push(bind(column, &raw)?);
    }
    if tombstone {
        let (keys, values): (Vec<Column>, Vec<SqlValue>) = columns
            .into_iter()
            .zip(values)
            .filter(|(c, _)| c.key)
            .unzip();
        return Ok(Op::Delete {
            table,
            keys,
            values,
        });
    }
    if config.insert_mode == InsertMode::Upsert && !columns.iter().any(|c| c.key) {
        return Err(Exception::connect(format!(
            "Write to table '{table}' in UPSERT mode requires key field names to be known, check the primary key configuration"
        )));
    }
    Ok(Op::Write {
        table,
        columns,
        values,
    })
}

/// `FieldsMetadata.extract`: the key columns and the value's, in Confluent's order.
pub fn columns(
    config: &JdbcConfig,
    table: &str,
    key: &Data,
    value_schema: Option<&Schema>,
) -> Result<Vec<Column>, Exception> {
    if let Some(schema) = value_schema
        && schema.kind != Type::Struct
    {
        return Err(Exception::connect("Value schema must be of type Struct"));
    }
    let mut keys: Vec<Column> = Vec::new();
    match config.pk_mode {
        PkMode::None => {}
        PkMode::Kafka => {
            let names: Vec<String> = if config.pk_fields.is_empty() {
                KAFKA_PK_NAMES.map(str::to_owned).to_vec()
            } else if config.pk_fields.len() == 3 {
                config.pk_fields.clone()
            } else {
                return Err(Exception::connect(format!(
                    "PK mode for table '{table}' is KAFKA so there should either be no field names defined for \
                     defaults [{}] to be applicable, or exactly 3, defined fields are: [{}]",
                    KAFKA_PK_NAMES.join(", "),
                    config.pk_fields.join(", ")
                )));
            };
            for (name, kind) in names
                .into_iter()
                .zip([Type::String, Type::Int32, Type::Int64])
            {
                keys.push(Column {
                    name,
                    schema: Schema::of(kind),
                    key: true,
                });
            }
        }
        PkMode::RecordKey => {
            let schema = key.schema.as_ref().ok_or_else(|| {
                Exception::connect(format!(
                    "PK mode for table '{table}' is RECORD_KEY, but record key schema is missing"
                ))
            })?;
            if schema.kind.is_primitive() {
                let [field] = config.pk_fields.as_slice() else {
                    return Err(Exception::connect(format!(
                        "Need exactly one PK column defined since the key schema for records is a primitive type, \
                         defined columns are: [{}]",
                        config.pk_fields.join(", ")
                    )));
                };
                keys.push(Column {
                    name: field.clone(),
                    schema: schema.clone(),
                    key: true,
                });
            } else if schema.kind == Type::Struct {
                let chosen: Vec<&Field> = if config.pk_fields.is_empty() {
                    schema.fields.iter().collect()
                } else {
                    config
                        .pk_fields
                        .iter()
                        .map(|name| {
                            schema.field(name).ok_or_else(|| {
                                Exception::connect(format!(
                                    "PK mode for table '{table}' is RECORD_KEY with configured PK fields [{}], \
                                     but record key schema does not contain field: {name}",
                                    config.pk_fields.join(", ")
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
                keys.extend(chosen.into_iter().map(|f| Column {
                    name: f.name.clone(),
                    schema: f.schema.clone(),
                    key: true,
                }));
            } else {
                return Err(Exception::connect(format!(
                    "Key schema must be primitive type or Struct, but is of type: {}",
                    schema.kind.name()
                )));
            }
        }
        PkMode::RecordValue => {
            let schema = value_schema.ok_or_else(|| {
                Exception::connect(format!(
                    "PK mode for table '{table}' is RECORD_VALUE, but record value schema is missing"
                ))
            })?;
            let chosen: Vec<&Field> = if config.pk_fields.is_empty() {
                schema.fields.iter().collect()
            } else {
                config
                    .pk_fields
                    .iter()
                    .map(|name| {
                        schema.field(name).ok_or_else(|| {
                            Exception::connect(format!(
                                "PK mode for table '{table}' is RECORD_VALUE with configured PK fields [{}], \
                                 but record value schema does not contain field: {name}",
                                config.pk_fields.join(", ")
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            keys.extend(chosen.into_iter().map(|f| Column {
                name: f.name.clone(),
                schema: f.schema.clone(),
                key: true,
            }));
        }
    }
    let mut values: Vec<Column> = Vec::new();
    if let Some(schema) = value_schema {
        for field in &schema.fields {
            if keys.iter().any(|k| k.name == field.name) {
                continue;
            }
            if !config.fields_whitelist.is_empty() && !config.fields_whitelist.contains(&field.name)
            {
                continue;
            }
            values.push(Column {
                name: field.name.clone(),
                schema: field.schema.clone(),
                key: false,
            });
        }
    }
    if keys.is_empty() && values.is_empty() {
        return Err(Exception::connect(format!(
            "No fields found using key and value schemas for table: {table}"
        )));
    }
    // Kafka coordinates first, then the value's fields in schema order, then the rest by name.
    let mut all: Vec<Column> = keys.into_iter().chain(values).collect();
    let rank = |c: &Column| -> (usize, usize, String) {
        if let Some(i) = KAFKA_PK_NAMES.iter().position(|n| *n == c.name)
            && config.pk_mode == PkMode::Kafka
        {
            return (0, i, String::new());
        }
        match value_schema.and_then(|s| s.fields.iter().position(|f| f.name == c.name)) {
            Some(i) => (1, i, String::new()),
            None => (2, 0, c.name.clone()),
        }
    };
    all.sort_by_key(rank);
    Ok(all)
}

/// The Connect value of `column` in `record`.
fn column_value(
    config: &JdbcConfig,
    column: &Column,
    record: &Record,
    at: Coordinates<'_>,
) -> Value {
    let value = if column.key {
        match config.pk_mode {
            PkMode::Kafka => {
                let i = if config.pk_fields.is_empty() {
                    KAFKA_PK_NAMES.iter().position(|n| *n == column.name)
                } else {
                    config.pk_fields.iter().position(|n| *n == column.name)
                };
                match i {
                    Some(0) => Value::String(at.topic.to_owned()),
                    Some(1) => Value::Int32(at.partition),
                    _ => Value::Int64(at.offset),
                }
            }
            PkMode::RecordKey => match &record.key.value {
                Value::Struct(_) => record
                    .key
                    .value
                    .get(&column.name)
                    .cloned()
                    .unwrap_or(Value::Null),
                primitive => primitive.clone(),
            },
            _ => record
                .value
                .value
                .get(&column.name)
                .cloned()
                .unwrap_or(Value::Null),
        }
    } else {
        record
            .value
            .value
            .get(&column.name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    if value.is_null()
        && config.replace_null_with_default
        && let Some(default) = &column.schema.default
    {
        return default.clone();
    }
    value
}

/// A Connect value as SQLite stores it through sqlite-jdbc: booleans as 0/1, `Date`, `Time` and
/// `Timestamp` as epoch milliseconds, `Decimal` as its decimal text (in a `NUMERIC` column).
pub fn bind(column: &Column, value: &Value) -> Result<SqlValue, Exception> {
    sql_type(column)?;
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Boolean(b) => SqlValue::Integer(i64::from(*b)),
        Value::Int8(i) => SqlValue::Integer(i64::from(*i)),
        Value::Int16(i) => SqlValue::Integer(i64::from(*i)),
        Value::Int32(i) if column.schema.name.as_deref() == Some(logical::DATE) => {
            SqlValue::Integer(i64::from(*i) * 86_400_000)
        }
        Value::Int32(i) => SqlValue::Integer(i64::from(*i)),
        Value::Int64(i) => SqlValue::Integer(*i),
        Value::Float32(f) => SqlValue::Real(f64::from(*f)),
        Value::Float64(f) => SqlValue::Real(*f),
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Bytes(b) if column.schema.name.as_deref() == Some(logical::DECIMAL) => {
            let scale = column
                .schema
                .parameters
                .get(logical::SCALE)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            SqlValue::Text(crate::convert::decimal_text(b, scale))
        }
        Value::Bytes(b) => SqlValue::Blob(b.clone()),
        other => {
            return Err(Exception::connect(format!(
                "Unsupported source data type: {} for column {}",
                other.java_class(),
                column.name
            )));
        }
    })
}

/// `SqliteDatabaseDialect.getSqlType`.
pub fn sql_type(column: &Column) -> Result<&'static str, Exception> {
    if column.schema.logical().is_some() {
        return Ok("NUMERIC");
    }
    Ok(match column.schema.kind {
        Type::Boolean | Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => "INTEGER",
        Type::Float32 | Type::Float64 => "REAL",
        Type::String => "TEXT",
        Type::Bytes => "BLOB",
        other => {
            return Err(Exception::connect(format!(
                "{} ({}) type doesn't have a mapping to the SQL database column type",
                column.schema.name.as_deref().unwrap_or("null"),
                other.name()
            )));
        }
    })
}

/// Quotes an identifier (``quote.sql.identifiers=always``: SQLite's backquotes).
pub fn quoted(config: &JdbcConfig, name: &str) -> String {
    if config.quote_identifiers {
        format!("`{}`", name.replace('`', "``"))
    } else {
        name.to_owned()
    }
}

/// A column's definition: type, then `DEFAULT` (a default), `NULL` (optional) or `NOT NULL`.
fn column_spec(config: &JdbcConfig, column: &Column) -> Result<String, Exception> {
    let mut spec = format!("{} {}", quoted(config, &column.name), sql_type(column)?);
    match &column.schema.default {
        Some(default) => {
            spec.push_str(" DEFAULT ");
            spec.push_str(&literal(&bind(column, default)?));
        }
        None if column.schema.optional => spec.push_str(" NULL"),
        None => spec.push_str(" NOT NULL"),
    }
    Ok(spec)
}

fn literal(value: &SqlValue) -> String {
    match value {
        SqlValue::Null => "NULL".to_owned(),
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(f) => f.to_string(),
        SqlValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
        SqlValue::Blob(b) => format!(
            "X'{}'",
            b.iter()
                .map(|byte| format!("{byte:02X}"))
                .collect::<String>()
        ),
    }
}

/// `CREATE TABLE` for `columns`.
pub fn create_table(
    config: &JdbcConfig,
    table: &str,
    columns: &[Column],
) -> Result<String, Exception> {
    let mut sql = format!("CREATE TABLE {} (\n", quoted(config, table));
    let specs: Vec<String> = columns
        .iter()
        .map(|c| column_spec(config, c))
        .collect::<Result<_, _>>()?;
    sql.push_str(&specs.join(",\n"));
    let keys: Vec<String> = columns
        .iter()
        .filter(|c| c.key)
        .map(|c| quoted(config, &c.name))
        .collect();
    if !keys.is_empty() {
        sql.push_str(&format!(",\nPRIMARY KEY({})", keys.join(",")));
    }
    sql.push(')');
    Ok(sql)
}

/// `ALTER TABLE … ADD` for a missing column; only optional columns or columns with a default
/// can be added to rows that exist.
pub fn add_column(config: &JdbcConfig, table: &str, column: &Column) -> Result<String, Exception> {
    if !column.schema.optional && column.schema.default.is_none() {
        return Err(Exception::new(
            TABLE_ALTER_OR_CREATE,
            format!(
                "Cannot ALTER TABLE {table} to add missing field {}, as the field is not optional and does not have a default value",
                column.name
            ),
        ));
    }
    Ok(format!(
        "ALTER TABLE {} ADD {}",
        quoted(config, table),
        column_spec(config, column)?
    ))
}

/// The statement that writes a row.
pub fn write_statement(config: &JdbcConfig, table: &str, columns: &[Column]) -> String {
    let verb = match config.insert_mode {
        InsertMode::Insert => "INSERT INTO",
        InsertMode::Upsert => "INSERT OR REPLACE INTO",
    };
    let names: Vec<String> = columns.iter().map(|c| quoted(config, &c.name)).collect();
    let marks = vec!["?"; columns.len()].join(",");
    format!(
        "{verb} {}({}) VALUES({marks})",
        quoted(config, table),
        names.join(",")
    )
}

/// The statement that deletes a row by its key.
pub fn delete_statement(config: &JdbcConfig, table: &str, keys: &[Column]) -> String {
    let conditions: Vec<String> = keys
        .iter()
        .map(|k| format!("{} = ?", quoted(config, &k.name)))
        .collect();
    format!(
        "DELETE FROM {} WHERE {}",
        quoted(config, table),
        conditions.join(" AND ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Field;
    use std::path::PathBuf;
    use std::time::Duration;

    fn config(pk: PkMode, fields: &[&str]) -> JdbcConfig {
        JdbcConfig {
            path: PathBuf::from("x.db"),
            table_format: "copy_${topic}".into(),
            insert_mode: InsertMode::Upsert,
            pk_mode: pk,
            pk_fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            fields_whitelist: Vec::new(),
            delete_enabled: pk == PkMode::RecordKey,
            auto_create: true,
            auto_evolve: false,
            batch_size: 100,
            max_retries: 0,
            retry_backoff: Duration::ZERO,
            quote_identifiers: true,
            replace_null_with_default: true,
        }
    }

    fn value_schema() -> Schema {
        let mut price = Schema::of(Type::Int64).optional();
        price.default = Some(Value::Int64(0));
        Schema::structure(
            Some("PlanState".into()),
            vec![
                Field {
                    name: "name".into(),
                    schema: Schema::of(Type::String),
                },
                Field {
                    name: "price".into(),
                    schema: price,
                },
                Field {
                    name: "at".into(),
                    schema: Schema::of(Type::Int64).named(logical::TIMESTAMP),
                },
                Field {
                    name: "active".into(),
                    schema: Schema::of(Type::Boolean).optional(),
                },
            ],
        )
    }

    fn record(value: Value) -> Record {
        Record {
            topic: "plans".into(),
            partition: 1,
            timestamp: Some(9),
            key: Data::new(
                Some(Schema::of(Type::String).optional()),
                Value::String("p1".into()),
            ),
            value: Data::new((!value.is_null()).then(value_schema), value),
            headers: Vec::new(),
        }
    }

    fn row() -> Value {
        Value::Struct(vec![
            ("name".into(), Value::String("Basic".into())),
            ("price".into(), Value::Null),
            ("at".into(), Value::Int64(1_700_000_000_000)),
            ("active".into(), Value::Boolean(true)),
        ])
    }

    const AT: Coordinates<'static> = Coordinates {
        topic: "plans",
        partition: 1,
        offset: 42,
        timestamp: Some(9),
    };

    #[test]
    fn a_primitive_key_becomes_the_named_pk_column_after_the_value_fields() {
        let op = plan(&config(PkMode::RecordKey, &["id"]), "c", &record(row()), AT).unwrap();
        let Op::Write {
            table,
            columns,
            values,
        } = op
        else {
            panic!("{op:?}")
        };
        assert_eq!(table, "copy_plans");
        assert_eq!(
            columns
                .iter()
                .map(|c| (c.name.as_str(), c.key))
                .collect::<Vec<_>>(),
            [
                ("name", false),
                ("price", false),
                ("at", false),
                ("active", false),
                ("id", true)
            ]
        );
        assert_eq!(
            values,
            [
                SqlValue::Text("Basic".into()),
                SqlValue::Integer(0), // the default replaces the null
                SqlValue::Integer(1_700_000_000_000),
                SqlValue::Integer(1),
                SqlValue::Text("p1".into()),
            ]
        );
        let create =
            create_table(&config(PkMode::RecordKey, &["id"]), "copy_plans", &columns).unwrap();
        assert_eq!(
            create,
            "CREATE TABLE `copy_plans` (\n`name` TEXT NOT NULL,\n`price` INTEGER DEFAULT 0,\n`at` NUMERIC NOT NULL,\n`active` INTEGER NULL,\n`id` TEXT NULL,\nPRIMARY KEY(`id`))"
        );
        assert_eq!(
            write_statement(&config(PkMode::RecordKey, &["id"]), "copy_plans", &columns),
            "INSERT OR REPLACE INTO `copy_plans`(`name`,`price`,`at`,`active`,`id`) VALUES(?,?,?,?,?)"
        );
    }

    #[test]
    fn a_tombstone_deletes_by_key_when_deletes_are_enabled() {
        let op = plan(
            &config(PkMode::RecordKey, &["id"]),
            "c",
            &record(Value::Null),
            AT,
        )
        .unwrap();
        let Op::Delete {
            table,
            keys,
            values,
        } = op
        else {
            panic!("{op:?}")
        };
        assert_eq!(
            delete_statement(&config(PkMode::RecordKey, &["id"]), &table, &keys),
            "DELETE FROM `copy_plans` WHERE `id` = ?"
        );
        assert_eq!(values, [SqlValue::Text("p1".into())]);
    }

    #[test]
    fn records_the_sink_cannot_take_are_connect_exceptions_worded_as_confluent_words_them() {
        let mut no_deletes = config(PkMode::RecordValue, &["name"]);
        no_deletes.delete_enabled = false;
        let error = plan(&no_deletes, "plans-copy", &record(Value::Null), AT).unwrap_err();
        assert_eq!(error.class, crate::errors::CONNECT_EXCEPTION);
        assert_eq!(
            error.message,
            "Sink connector 'plans-copy' is configured with 'delete.enabled=false' and 'pk.mode=record_value' and therefore \
             requires records with a non-null Struct value and non-null Struct schema, but found record at \
             (topic='plans',partition=1,offset=42,timestamp=9) with a null value and null value schema."
        );
        let two = plan(
            &config(PkMode::RecordKey, &["a", "b"]),
            "c",
            &record(row()),
            AT,
        )
        .unwrap_err();
        assert!(
            two.message
                .starts_with("Need exactly one PK column defined"),
            "{two:?}"
        );
        let mut schemaless = record(row());
        schemaless.value.schema = None;
        let error = plan(&config(PkMode::RecordKey, &["id"]), "c", &schemaless, AT).unwrap_err();
        assert!(
            error
                .message
                .ends_with("with a Struct value and null value schema."),
            "{error:?}"
        );
    }

    #[test]
    fn kafka_coordinates_and_value_fields_can_be_the_key() {
        let Op::Write {
            columns, values, ..
        } = plan(&config(PkMode::Kafka, &[]), "c", &record(row()), AT).unwrap()
        else {
            panic!()
        };
        assert_eq!(columns[0].name, "__connect_topic");
        assert_eq!(
            values[..3],
            [
                SqlValue::Text("plans".into()),
                SqlValue::Integer(1),
                SqlValue::Integer(42)
            ]
        );
        let Op::Write { columns, .. } = plan(
            &config(PkMode::RecordValue, &["name"]),
            "c",
            &record(row()),
            AT,
        )
        .unwrap() else {
            panic!()
        };
        assert!(columns[0].key && columns[0].name == "name");
        let mut whitelisted = config(PkMode::RecordKey, &["id"]);
        whitelisted.fields_whitelist = vec!["price".into()];
        let Op::Write { columns, .. } = plan(&whitelisted, "c", &record(row()), AT).unwrap() else {
            panic!()
        };
        assert_eq!(
            columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["price", "id"]
        );
    }

    #[test]
    fn types_map_as_the_sqlite_dialect_maps_them() {
        let column = |schema: Schema| Column {
            name: "c".into(),
            schema,
            key: false,
        };
        assert_eq!(
            sql_type(&column(Schema::of(Type::Boolean))).unwrap(),
            "INTEGER"
        );
        assert_eq!(
            sql_type(&column(Schema::of(Type::Float32))).unwrap(),
            "REAL"
        );
        assert_eq!(sql_type(&column(Schema::of(Type::Bytes))).unwrap(), "BLOB");
        assert_eq!(
            sql_type(&column(Schema::of(Type::Int32).named(logical::DATE))).unwrap(),
            "NUMERIC"
        );
        let nested = sql_type(&column(Schema::structure(Some("x.Y".into()), vec![]))).unwrap_err();
        assert_eq!(
            nested.message,
            "x.Y (STRUCT) type doesn't have a mapping to the SQL database column type"
        );
        let mut decimal = Schema::of(Type::Bytes).named(logical::DECIMAL);
        decimal.parameters.insert("scale".into(), "2".into());
        assert_eq!(
            bind(&column(decimal), &Value::Bytes(vec![0x30, 0x39])).unwrap(),
            SqlValue::Text("123.45".into())
        );
        assert_eq!(
            bind(
                &column(Schema::of(Type::Int32).named(logical::DATE)),
                &Value::Int32(2)
            )
            .unwrap(),
            SqlValue::Integer(172_800_000)
        );
    }

    #[test]
    fn columns_that_cannot_be_added_to_existing_rows_are_refused() {
        let c = config(PkMode::RecordKey, &["id"]);
        let required = Column {
            name: "plan".into(),
            schema: Schema::of(Type::String),
            key: false,
        };
        assert!(
            add_column(&c, "t", &required)
                .unwrap_err()
                .message
                .contains("not optional")
        );
        let optional = Column {
            name: "plan".into(),
            schema: Schema::of(Type::String).optional(),
            key: false,
        };
        assert_eq!(
            add_column(&c, "t", &optional).unwrap(),
            "ALTER TABLE `t` ADD `plan` TEXT NULL"
        );
        assert!(table_name(&c, "a.b").is_err());
    }
}
