//! `io.confluent.connect.avro.AvroConverter`, reading: the Confluent wire format (magic byte 0,
//! a 4-byte schema id, Avro binary), the writer's schema fetched from the registry by id and
//! cached, and Avro mapped to Connect data as Confluent's `AvroData` maps it:
//!
//! - records are structs named by their full name; `["null", T]` unions are optional `T`;
//!   other unions are structs named `io.confluent.connect.avro.Union` with one optional field
//!   per branch (named by the branch's type or simple name);
//! - enums are strings, fixed are bytes, maps are `MAP<STRING, V>`;
//! - `decimal`, `date`, `time-millis` and `timestamp-millis` are Connect's `Decimal`, `Date`,
//!   `Time` and `Timestamp`; the micro- and nanosecond types stay plain `INT64`; `uuid` is a
//!   string.
//!
//! Not supported: schema references (a schema that names others by subject), which the embedded
//! registry does not hold either; such a record is a data error that says so.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use apache_avro::Schema as Avro;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{RecordSchema, UnionSchema};
use apache_avro::types::Value as AvroValue;

use super::ConvertError;
use crate::data::{Data, Field, Schema, Type, Value, logical};
use crate::errors::Exception;

/// Where the registry is and how to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `schema.registry.url`: tried in order while one cannot answer.
    pub urls: Vec<String>,
    /// `basic.auth.user.info` when `basic.auth.credentials.source=USER_INFO`; with `URL`, the
    /// URL's own user info is used.
    pub user_info: Option<String>,
}

/// A writer's schema: as Avro reads it and as Connect sees it.
#[derive(Debug)]
struct Writer {
    avro: Avro,
    connect: Schema,
}

/// An Avro converter for one registry; its schema cache is shared by the connectors using it.
#[derive(Debug)]
pub struct AvroConverter {
    settings: Settings,
    http: reqwest::Client,
    schemas: tokio::sync::Mutex<HashMap<u32, Arc<Writer>>>,
}

impl AvroConverter {
    pub fn new(settings: Settings) -> Result<AvroConverter, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .map_err(|e| format!("building the schema registry client: {e}"))?;
        Ok(AvroConverter {
            settings,
            http,
            schemas: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The data in `bytes`, a record of `topic`.
    pub async fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Data, ConvertError> {
        let Some(bytes) = bytes else {
            return Ok(Data::NULL);
        };
        let failed = |detail: String| {
            ConvertError::Data(Exception::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: {detail}"
            )))
        };
        let (magic, rest) = bytes
            .split_first()
            .ok_or_else(|| failed("Unknown magic byte!".into()))?;
        if *magic != 0 || rest.len() < 4 {
            return Err(failed("Unknown magic byte!".into()));
        }
        let id = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let writer = match self.writer(id).await {
            Ok(writer) => writer,
            Err(ConvertError::Data(e)) => {
                return Err(failed(format!(
                    "Error retrieving Avro value schema for id {id}: {}",
                    e.message
                )));
            }
            Err(other) => return Err(other),
        };
        let mut body = &rest[4..];
        let value = GenericDatumReader::builder(&writer.avro)
            .build()
            .and_then(|reader| reader.read_value(&mut body))
            .map_err(|e| failed(format!("Error deserializing Avro message for id {id}: {e}")))?;
        if !body.is_empty() {
            return Err(failed(format!(
                "Error deserializing Avro message for id {id}: {} bytes left over after the value",
                body.len()
            )));
        }
        let names = named_types(&writer.avro);
        let value = connect_value(&writer.avro, value, &names)
            .map_err(|e| failed(format!("Error converting Avro message for id {id}: {e}")))?;
        Ok(Data::new(Some(writer.connect.clone()), value))
    }

    /// The writer's schema `id`, from the cache or the registry.
    async fn writer(&self, id: u32) -> Result<Arc<Writer>, ConvertError> {
        if let Some(found) = self.schemas.lock().await.get(&id) {
            return Ok(Arc::clone(found));
        }
        let text = self.fetch(id).await?;
        let avro = Avro::parse_str(&text)
            .map_err(|e| ConvertError::Data(Exception::data(format!("Invalid schema: {e}"))))?;
        let names = named_types(&avro);
        let connect =
            connect_schema(&avro, &names).map_err(|e| ConvertError::Data(Exception::data(e)))?;
        let writer = Arc::new(Writer { avro, connect });
        self.schemas.lock().await.insert(id, Arc::clone(&writer));
        Ok(writer)
    }

    /// `GET /schemas/ids/{id}` from the first registry that answers.
    async fn fetch(&self, id: u32) -> Result<String, ConvertError> {
        let mut unavailable = Vec::new();
        for url in &self.settings.urls {
            let address = format!("{}/schemas/ids/{id}", url.trim_end_matches('/'));
            let mut request = self.http.get(&address).header(
                "Accept",
                "application/vnd.schemaregistry.v1+json, application/json",
            );
            if let Some(info) = &self.settings.user_info {
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                request = request.basic_auth(user, Some(password));
            }
            let shown = codeflix_domain::redact::redact(&address);
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) => {
                    unavailable.push(format!("GET {shown}: {e}"));
                    continue;
                }
            };
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let message = body
                .get("message")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match status.as_u16() {
                200 => {
                    if let Some(kind) = body.get("schemaType").and_then(serde_json::Value::as_str)
                        && kind != "AVRO"
                    {
                        return Err(ConvertError::Data(Exception::data(format!(
                            "schema {id} is a {kind} schema, not Avro"
                        ))));
                    }
                    if body
                        .get("references")
                        .and_then(serde_json::Value::as_array)
                        .is_some_and(|r| !r.is_empty())
                    {
                        return Err(ConvertError::Data(Exception::data(format!(
                            "schema {id} has schema references, which the embedded runtime does not resolve"
                        ))));
                    }
                    return body
                        .get("schema")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            ConvertError::Data(Exception::data(format!(
                                "the registry's answer for schema {id} holds no schema"
                            )))
                        });
                }
                404 => {
                    let code = body
                        .get("error_code")
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(40403);
                    return Err(ConvertError::Data(Exception::data(format!(
                        "{}; error code: {code}",
                        if message.is_empty() {
                            "Schema not found"
                        } else {
                            &message
                        }
                    ))));
                }
                401 | 403 => {
                    return Err(ConvertError::Fatal(Exception::connect(format!(
                        "the schema registry refused the converter's credentials (GET {shown}: {status})"
                    ))));
                }
                _ => unavailable.push(format!("GET {shown}: {status} {message}")),
            }
        }
        Err(ConvertError::Unavailable(unavailable.join("; ")))
    }
}

/// Every named type (record, enum, fixed) of `schema` by full name.
fn named_types(schema: &Avro) -> HashMap<String, Avro> {
    fn walk(schema: &Avro, names: &mut HashMap<String, Avro>) {
        match schema {
            Avro::Record(record) => {
                names.insert(record.name.fullname(None), schema.clone());
                for field in &record.fields {
                    walk(&field.schema, names);
                }
            }
            Avro::Enum(e) => {
                names.insert(e.name.fullname(None), schema.clone());
            }
            Avro::Fixed(f) => {
                names.insert(f.name.fullname(None), schema.clone());
            }
            Avro::Array(a) => walk(&a.items, names),
            Avro::Map(m) => walk(&m.types, names),
            Avro::Union(u) => {
                for variant in u.variants() {
                    walk(variant, names);
                }
            }
            _ => {}
        }
    }
    let mut names = HashMap::new();
    walk(schema, &mut names);
    names
}

fn resolve<'a>(schema: &'a Avro, names: &'a HashMap<String, Avro>) -> Result<&'a Avro, String> {
    match schema {
        Avro::Ref { name } => names
            .get(&name.fullname(None))
            .ok_or_else(|| format!("unknown named type {}", name.fullname(None))),
        other => Ok(other),
    }
}

/// The variant of a `["null", T]` union, if it is one.
fn nullable_variant(union: &UnionSchema) -> Option<(usize, &Avro)> {
    let variants = union.variants();
    match variants {
        [Avro::Null, other] => Some((1, other)),
        [other, Avro::Null] => Some((0, other)),
        [only] if !matches!(only, Avro::Null) => Some((0, only)),
        _ => None,
    }
}

/// The Connect schema of an Avro schema (`AvroData.toConnectSchema`).
pub fn connect_schema(schema: &Avro, names: &HashMap<String, Avro>) -> Result<Schema, String> {
    let schema = resolve(schema, names)?;
    Ok(match schema {
        Avro::Null => return Err("a schema of type null alone has no Connect equivalent".into()),
        Avro::Boolean => Schema::of(Type::Boolean),
        Avro::Int => Schema::of(Type::Int32),
        Avro::Long | Avro::TimeMicros | Avro::TimestampMicros | Avro::TimestampNanos => {
            Schema::of(Type::Int64)
        }
        Avro::LocalTimestampMillis | Avro::LocalTimestampMicros | Avro::LocalTimestampNanos => {
            Schema::of(Type::Int64)
        }
        Avro::Float => Schema::of(Type::Float32),
        Avro::Double => Schema::of(Type::Float64),
        Avro::Bytes => Schema::of(Type::Bytes),
        Avro::String | Avro::Uuid(_) => Schema::of(Type::String),
        Avro::Date => Schema::of(Type::Int32).named(logical::DATE),
        Avro::TimeMillis => Schema::of(Type::Int32).named(logical::TIME),
        Avro::TimestampMillis => Schema::of(Type::Int64).named(logical::TIMESTAMP),
        Avro::Decimal(decimal) => {
            let mut s = Schema::of(Type::Bytes).named(logical::DECIMAL);
            s.parameters
                .insert(logical::SCALE.to_owned(), decimal.scale.to_string());
            s.parameters.insert(
                "connect.decimal.precision".to_owned(),
                decimal.precision.to_string(),
            );
            s
        }
        Avro::BigDecimal => return Err("big-decimal has no Connect equivalent".into()),
        Avro::Duration(_) => Schema::of(Type::Bytes),
        Avro::Fixed(fixed) => {
            let mut s = Schema::of(Type::Bytes).named(&fixed.name.fullname(None));
            s.parameters
                .insert("connect.fixed.size".to_owned(), fixed.size.to_string());
            s
        }
        Avro::Enum(e) => {
            let fullname = e.name.fullname(None);
            let mut s = Schema::of(Type::String).named(&fullname);
            s.parameters
                .insert("io.confluent.connect.avro.Enum".to_owned(), fullname);
            for symbol in &e.symbols {
                s.parameters.insert(
                    format!("io.confluent.connect.avro.Enum.{symbol}"),
                    symbol.clone(),
                );
            }
            s
        }
        Avro::Array(array) => Schema::array(connect_schema(&array.items, names)?),
        Avro::Map(map) => Schema::map(Schema::of(Type::String), connect_schema(&map.types, names)?),
        Avro::Union(union) => match nullable_variant(union) {
            Some((_, variant)) => {
                let mut inner = connect_schema(variant, names)?;
                inner.optional = union.is_nullable();
                inner
            }
            None => {
                let mut fields = Vec::new();
                for variant in union.variants().iter().filter(|v| !matches!(v, Avro::Null)) {
                    fields.push(Field {
                        name: union_member_name(resolve(variant, names)?),
                        schema: connect_schema(variant, names)?.optional(),
                    });
                }
                let mut s =
                    Schema::structure(Some("io.confluent.connect.avro.Union".into()), fields);
                s.optional = union.is_nullable();
                s
            }
        },
        Avro::Record(record) => record_schema(record, names)?,
        Avro::Ref { .. } => unreachable!("resolved above"),
    })
}

fn record_schema(record: &RecordSchema, names: &HashMap<String, Avro>) -> Result<Schema, String> {
    let mut fields = Vec::with_capacity(record.fields.len());
    for field in &record.fields {
        let mut schema = connect_schema(&field.schema, names)?;
        if let Some(default) = &field.default
            && !default.is_null()
        {
            schema.default = default_value(&schema, default);
        }
        fields.push(Field {
            name: field.name.clone(),
            schema,
        });
    }
    let mut schema = Schema::structure(Some(record.name.fullname(None)), fields);
    schema.doc = record.doc.clone();
    Ok(schema)
}

/// A field's JSON default as a Connect value, for the primitive types.
fn default_value(schema: &Schema, json: &serde_json::Value) -> Option<Value> {
    Some(match schema.kind {
        Type::Boolean => Value::Boolean(json.as_bool()?),
        Type::Int32 => Value::Int32(i32::try_from(json.as_i64()?).ok()?),
        Type::Int64 => Value::Int64(json.as_i64()?),
        Type::Float32 => Value::Float32(json.as_f64()? as f32),
        Type::Float64 => Value::Float64(json.as_f64()?),
        Type::String => Value::String(json.as_str()?.to_owned()),
        _ => return None,
    })
}

/// How a general union names the field of a branch (`AvroData.unionMemberFieldName`).
fn union_member_name(schema: &Avro) -> String {
    match schema {
        Avro::Record(r) => r.name.name().to_owned(),
        Avro::Enum(e) => e.name.name().to_owned(),
        Avro::Fixed(f) => f.name.name().to_owned(),
        Avro::Boolean => "boolean".into(),
        Avro::Int | Avro::Date | Avro::TimeMillis => "int".into(),
        Avro::Long | Avro::TimestampMillis | Avro::TimestampMicros | Avro::TimeMicros => {
            "long".into()
        }
        Avro::Float => "float".into(),
        Avro::Double => "double".into(),
        Avro::Bytes | Avro::Decimal(_) => "bytes".into(),
        Avro::String | Avro::Uuid(_) => "string".into(),
        Avro::Array(_) => "array".into(),
        Avro::Map(_) => "map".into(),
        _ => "value".into(),
    }
}

/// The Connect value of an Avro value read with `schema`.
fn connect_value(
    schema: &Avro,
    value: AvroValue,
    names: &HashMap<String, Avro>,
) -> Result<Value, String> {
    let schema = resolve(schema, names)?;
    Ok(match (schema, value) {
        (_, AvroValue::Null) => Value::Null,
        (Avro::Union(union), AvroValue::Union(index, inner)) => {
            let variant = union
                .variants()
                .get(index as usize)
                .ok_or_else(|| format!("union branch {index} out of range"))?;
            match nullable_variant(union) {
                Some(_) => connect_value(variant, *inner, names)?,
                None => {
                    if matches!(*inner, AvroValue::Null) {
                        return Ok(Value::Null);
                    }
                    let resolved = resolve(variant, names)?;
                    let member = union_member_name(resolved);
                    let mut fields: Vec<(String, Value)> = Vec::new();
                    for other in union.variants().iter().filter(|v| !matches!(v, Avro::Null)) {
                        fields.push((union_member_name(resolve(other, names)?), Value::Null));
                    }
                    let converted = connect_value(variant, *inner, names)?;
                    if let Some(slot) = fields.iter_mut().find(|(n, _)| *n == member) {
                        slot.1 = converted;
                    }
                    Value::Struct(fields)
                }
            }
        }
        (Avro::Record(record), AvroValue::Record(values)) => {
            let mut fields = Vec::with_capacity(values.len());
            for (field, (name, value)) in record.fields.iter().zip(values) {
                fields.push((name, connect_value(&field.schema, value, names)?));
            }
            Value::Struct(fields)
        }
        (_, AvroValue::Boolean(b)) => Value::Boolean(b),
        (_, AvroValue::Int(i) | AvroValue::Date(i) | AvroValue::TimeMillis(i)) => Value::Int32(i),
        (
            _,
            AvroValue::Long(l)
            | AvroValue::TimeMicros(l)
            | AvroValue::TimestampMillis(l)
            | AvroValue::TimestampMicros(l)
            | AvroValue::TimestampNanos(l)
            | AvroValue::LocalTimestampMillis(l)
            | AvroValue::LocalTimestampMicros(l)
            | AvroValue::LocalTimestampNanos(l),
        ) => Value::Int64(l),
        (_, AvroValue::Float(f)) => Value::Float32(f),
        (_, AvroValue::Double(d)) => Value::Float64(d),
        (_, AvroValue::Bytes(b) | AvroValue::Fixed(_, b)) => Value::Bytes(b),
        (_, AvroValue::String(s) | AvroValue::Enum(_, s)) => Value::String(s),
        (_, AvroValue::Uuid(u)) => Value::String(u.to_string()),
        (_, AvroValue::Decimal(d)) => {
            Value::Bytes(Vec::<u8>::try_from(d).map_err(|e| format!("decimal: {e}"))?)
        }
        (_, AvroValue::Duration(d)) => {
            let bytes: [u8; 12] = d.into();
            Value::Bytes(bytes.to_vec())
        }
        (Avro::Array(array), AvroValue::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|item| connect_value(&array.items, item, names))
                .collect::<Result<_, _>>()?,
        ),
        (Avro::Map(map), AvroValue::Map(entries)) => {
            let mut entries: Vec<(String, AvroValue)> = entries.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Ok((Value::String(k), connect_value(&map.types, v, names)?)))
                    .collect::<Result<_, String>>()?,
            )
        }
        (schema, value) => {
            return Err(format!(
                "an Avro value {value:?} does not fit its schema {:?}",
                schema.name().map(|n| n.fullname(None))
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"{
        "type": "record", "name": "PlanState", "namespace": "codeflix.billing",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "name", "type": ["null", "string"], "default": null},
            {"name": "price", "type": "long", "default": 0},
            {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["ACTIVE", "RETIRED"]}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "either", "type": ["null", "int", "string"], "default": null},
            {"name": "tags", "type": {"type": "array", "items": "string"}}
        ]
    }"#;

    #[test]
    fn records_map_to_structs_as_avro_data_maps_them() {
        let avro = Avro::parse_str(PLAN).unwrap();
        let schema = connect_schema(&avro, &named_types(&avro)).unwrap();
        assert_eq!(schema.name.as_deref(), Some("codeflix.billing.PlanState"));
        let field = |n: &str| &schema.field(n).unwrap().schema;
        assert_eq!(
            (field("id").kind, field("id").optional),
            (Type::String, false)
        );
        assert_eq!(
            (field("name").kind, field("name").optional),
            (Type::String, true)
        );
        assert_eq!(field("price").default, Some(Value::Int64(0)));
        assert_eq!(field("status").kind, Type::String);
        assert_eq!(field("at").logical(), Some(logical::TIMESTAMP));
        assert_eq!(
            field("either").name.as_deref(),
            Some("io.confluent.connect.avro.Union")
        );
        assert_eq!(
            field("either")
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["int", "string"]
        );
        assert_eq!(field("tags").kind, Type::Array);
    }

    #[test]
    fn values_follow_their_schema() {
        let avro = Avro::parse_str(PLAN).unwrap();
        let names = named_types(&avro);
        let value = AvroValue::Record(vec![
            ("id".into(), AvroValue::String("p1".into())),
            (
                "name".into(),
                AvroValue::Union(1, Box::new(AvroValue::String("Basic".into()))),
            ),
            ("price".into(), AvroValue::Long(999)),
            ("status".into(), AvroValue::Enum(1, "RETIRED".into())),
            ("at".into(), AvroValue::TimestampMillis(1_700_000_000_000)),
            (
                "either".into(),
                AvroValue::Union(2, Box::new(AvroValue::String("x".into()))),
            ),
            (
                "tags".into(),
                AvroValue::Array(vec![AvroValue::String("a".into())]),
            ),
        ]);
        let converted = connect_value(&avro, value, &names).unwrap();
        assert_eq!(converted.get("name"), Some(&Value::String("Basic".into())));
        assert_eq!(
            converted.get("status"),
            Some(&Value::String("RETIRED".into()))
        );
        assert_eq!(converted.get("at"), Some(&Value::Int64(1_700_000_000_000)));
        assert_eq!(
            converted.get("either"),
            Some(&Value::Struct(vec![
                ("int".into(), Value::Null),
                ("string".into(), Value::String("x".into()))
            ]))
        );
    }

    #[tokio::test]
    async fn bytes_without_the_magic_byte_are_a_data_error() {
        let converter = AvroConverter::new(Settings {
            urls: vec!["http://127.0.0.1:1".into()],
            user_info: None,
        })
        .unwrap();
        let error = converter
            .to_connect("t", Some(b"{\"not\":\"avro\"}"))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            ConvertError::Data(Exception::data(
                "Failed to deserialize data for topic t to Avro: Unknown magic byte!"
            ))
        );
        // A registry nobody answers at is an outage, never the record's fault.
        let unavailable = converter
            .to_connect("t", Some(&[0, 0, 0, 0, 7, 2]))
            .await
            .unwrap_err();
        assert!(
            matches!(unavailable, ConvertError::Unavailable(_)),
            "{unavailable:?}"
        );
        assert_eq!(converter.to_connect("t", None).await.unwrap(), Data::NULL);
    }
}
