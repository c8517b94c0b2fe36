//! Kafka Connect's data model (`org.apache.kafka.connect.data`): schemas and the values they
//! describe. Converters produce it from bytes, transforms reshape it, sinks write it.
//!
//! A record's key and value are each a [`Data`]: a value with a schema (Avro, JSON with schemas,
//! strings, bytes) or without one (JSON with `schemas.enable=false`, whose objects are maps).

use std::collections::BTreeMap;

/// Connect's logical types: a primitive schema with one of these names.
pub mod logical {
    /// `BYTES` holding a big-endian two's-complement unscaled integer; parameter `scale`.
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    /// `INT32`: days since the Unix epoch.
    pub const DATE: &str = "org.apache.kafka.connect.data.Date";
    /// `INT32`: milliseconds since midnight.
    pub const TIME: &str = "org.apache.kafka.connect.data.Time";
    /// `INT64`: milliseconds since the Unix epoch.
    pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
    /// The `Decimal` parameter naming its scale.
    pub const SCALE: &str = "scale";
}

/// `Schema.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl Type {
    /// Connect's name for it (`INT32`, `STRUCT`, …), as messages show it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }

    pub fn is_primitive(self) -> bool {
        !matches!(self, Type::Array | Type::Map | Type::Struct)
    }
}

/// A Connect schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub kind: Type,
    pub optional: bool,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    pub parameters: BTreeMap<String, String>,
    pub default: Option<Value>,
    /// A struct's fields, in order.
    pub fields: Vec<Field>,
    /// An array's items, or a map's values.
    pub items: Option<Box<Schema>>,
    /// A map's keys.
    pub keys: Option<Box<Schema>>,
}

/// A field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub schema: Schema,
}

impl Schema {
    /// A required schema of a primitive type.
    pub fn of(kind: Type) -> Schema {
        Schema {
            kind,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: BTreeMap::new(),
            default: None,
            fields: Vec::new(),
            items: None,
            keys: None,
        }
    }

    /// A required struct named `name` with `fields`.
    pub fn structure(name: Option<String>, fields: Vec<Field>) -> Schema {
        Schema {
            name,
            fields,
            ..Schema::of(Type::Struct)
        }
    }

    /// A required array of `items`.
    pub fn array(items: Schema) -> Schema {
        Schema {
            items: Some(Box::new(items)),
            ..Schema::of(Type::Array)
        }
    }

    /// A required map of `keys` to `values`.
    pub fn map(keys: Schema, values: Schema) -> Schema {
        Schema {
            keys: Some(Box::new(keys)),
            items: Some(Box::new(values)),
            ..Schema::of(Type::Map)
        }
    }

    /// The same schema, optional.
    pub fn optional(mut self) -> Schema {
        self.optional = true;
        self
    }

    /// The same schema, named (a logical type, or a record's name).
    pub fn named(mut self, name: &str) -> Schema {
        self.name = Some(name.to_owned());
        self
    }

    /// The field called `name`, for a struct.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The logical type's name, if the schema has one of Connect's.
    pub fn logical(&self) -> Option<&str> {
        match self.name.as_deref() {
            Some(
                name @ (logical::DECIMAL | logical::DATE | logical::TIME | logical::TIMESTAMP),
            ) => Some(name),
            _ => None,
        }
    }

    /// How messages name it: `Schema{STRING}`, `Schema{com.example.Row:STRUCT}`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("Schema{{{name}:{}}}", self.kind.name()),
            None => format!("Schema{{{}}}", self.kind.name()),
        }
    }
}

/// A Connect value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in their order; a schemaless object's keys are strings.
    Map(Vec<(Value, Value)>),
    /// A struct's field values by name, in its schema's field order.
    Struct(Vec<(String, Value)>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The Java class Connect holds such a value in, for messages that say what was found
    /// (`found: java.lang.String`).
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "java.lang.Boolean",
            Value::Int8(_) => "java.lang.Byte",
            Value::Int16(_) => "java.lang.Short",
            Value::Int32(_) => "java.lang.Integer",
            Value::Int64(_) => "java.lang.Long",
            Value::Float32(_) => "java.lang.Float",
            Value::Float64(_) => "java.lang.Double",
            Value::String(_) => "java.lang.String",
            Value::Bytes(_) => "[B",
            Value::Array(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
            Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
        }
    }

    /// A struct's field, or a schemaless map's string key.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::String(k) if k == name))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A key or value: `SchemaAndValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    pub schema: Option<Schema>,
    pub value: Value,
}

impl Data {
    /// No schema and no value: what converters make of a missing key or a tombstone.
    pub const NULL: Data = Data {
        schema: None,
        value: Value::Null,
    };

    pub fn new(schema: Option<Schema>, value: Value) -> Data {
        Data { schema, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_fields_and_schemaless_keys_are_found_by_name() {
        let row = Value::Struct(vec![("id".into(), Value::String("a".into()))]);
        assert_eq!(row.get("id"), Some(&Value::String("a".into())));
        assert_eq!(row.get("missing"), None);
        let map = Value::Map(vec![(Value::String("n".into()), Value::Int64(3))]);
        assert_eq!(map.get("n"), Some(&Value::Int64(3)));
    }

    #[test]
    fn only_connect_logical_names_are_logical() {
        assert_eq!(
            Schema::of(Type::Int64).named(logical::TIMESTAMP).logical(),
            Some(logical::TIMESTAMP)
        );
        assert_eq!(Schema::of(Type::Int64).named("my.Long").logical(), None);
        assert_eq!(
            Schema::structure(Some("a.Row".into()), vec![]).describe(),
            "Schema{a.Row:STRUCT}"
        );
    }
}
