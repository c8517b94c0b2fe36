//! Transforms of fields: `ExtractField$Key|$Value` (the key or value becomes one of its fields),
//! `ReplaceField$Key|$Value` (fields kept, dropped, renamed) and `ValueToKey` (the key becomes a
//! struct of some of the value's fields). Each works on structs with a schema and on schemaless
//! maps, and refuses anything else with Connect's own message.

use crate::data::{Data, Field, Schema, Type, Value};
use crate::errors::{Exception, ILLEGAL_ARGUMENT};
use crate::record::Record;

/// The part of a record a `$Key` or `$Value` transform changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl Part {
    fn of(self, record: &Record) -> &Data {
        match self {
            Part::Key => &record.key,
            Part::Value => &record.value,
        }
    }

    fn set(self, mut record: Record, data: Data) -> Record {
        match self {
            Part::Key => record.key = data,
            Part::Value => record.value = data,
        }
        record
    }
}

/// `Requirements.requireStruct`/`requireMap` messages.
fn require_struct(value: &Value, purpose: &str) -> Exception {
    Exception::data(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        value.java_class()
    ))
}

fn require_map(value: &Value, purpose: &str) -> Exception {
    Exception::data(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        value.java_class()
    ))
}

/// A field name (`field.syntax.version=V1`) or a dotted path into nested structs (`V2`, with
/// backquotes around names that hold dots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    pub original: String,
    pub steps: Vec<String>,
}

impl FieldPath {
    pub fn parse(text: &str, v2: bool) -> Result<FieldPath, String> {
        if !v2 {
            return Ok(FieldPath {
                original: text.to_owned(),
                steps: vec![text.to_owned()],
            });
        }
        let mut steps = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '`' if !quoted && current.is_empty() => quoted = true,
                '`' if quoted && matches!(chars.peek(), None | Some('.')) => quoted = false,
                '.' if !quoted => steps.push(std::mem::take(&mut current)),
                other => current.push(other),
            }
        }
        if quoted {
            return Err(format!("{text}: a backquoted field name is not closed"));
        }
        steps.push(current);
        if steps.iter().any(String::is_empty) {
            return Err(format!("{text}: a field path may not have empty names"));
        }
        Ok(FieldPath {
            original: text.to_owned(),
            steps,
        })
    }

    fn field_of<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let mut current = schema;
        let mut found = None;
        for step in &self.steps {
            let field = current.field(step)?;
            current = &field.schema;
            found = Some(field);
        }
        found
    }

    fn value_of<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        let mut current = value;
        for step in &self.steps {
            current = current.get(step)?;
        }
        Some(current)
    }
}

/// `ExtractField$Key|$Value`.
#[derive(Debug, Clone)]
pub struct ExtractField {
    pub part: Part,
    pub path: FieldPath,
    pub replace_null_with_default: bool,
}

const EXTRACTION: &str = "field extraction";

impl ExtractField {
    pub fn apply(&self, record: Record) -> Result<Record, Exception> {
        let data = self.part.of(&record);
        let extracted = match &data.schema {
            None => {
                if !matches!(data.value, Value::Map(_) | Value::Null) {
                    return Err(require_map(&data.value, EXTRACTION));
                }
                Data::new(
                    None,
                    self.path
                        .value_of(&data.value)
                        .cloned()
                        .unwrap_or(Value::Null),
                )
            }
            Some(schema) => {
                if !matches!(data.value, Value::Struct(_) | Value::Null) {
                    return Err(require_struct(&data.value, EXTRACTION));
                }
                let field = self.path.field_of(schema).ok_or_else(|| {
                    Exception::new(
                        ILLEGAL_ARGUMENT,
                        format!("Unknown field: {}", self.path.original),
                    )
                })?;
                let mut value = self
                    .path
                    .value_of(&data.value)
                    .cloned()
                    .unwrap_or(Value::Null);
                if value.is_null()
                    && !data.value.is_null()
                    && self.replace_null_with_default
                    && let Some(default) = &field.schema.default
                {
                    value = default.clone();
                }
                Data::new(Some(field.schema.clone()), value)
            }
        };
        Ok(self.part.set(record, extracted))
    }
}

/// `ReplaceField$Key|$Value`.
#[derive(Debug, Clone)]
pub struct ReplaceField {
    pub part: Part,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub renames: Vec<(String, String)>,
}

const REPLACEMENT: &str = "field replacement";

impl ReplaceField {
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed(&self, name: &str) -> String {
        self.renames
            .iter()
            .find(|(from, _)| from == name)
            .map_or_else(|| name.to_owned(), |(_, to)| to.clone())
    }

    pub fn apply(&self, record: Record) -> Result<Record, Exception> {
        let data = self.part.of(&record);
        if data.value.is_null() {
            return Ok(record);
        }
        let replaced = match &data.schema {
            None => {
                let Value::Map(entries) = &data.value else {
                    return Err(require_map(&data.value, REPLACEMENT));
                };
                let entries = entries
                    .iter()
                    .filter_map(|(k, v)| match k {
                        Value::String(name) if self.keeps(name) => {
                            Some((Value::String(self.renamed(name)), v.clone()))
                        }
                        Value::String(_) => None,
                        _ => Some((k.clone(), v.clone())),
                    })
                    .collect();
                Data::new(None, Value::Map(entries))
            }
            Some(schema) => {
                let Value::Struct(values) = &data.value else {
                    return Err(require_struct(&data.value, REPLACEMENT));
                };
                let fields: Vec<Field> = schema
                    .fields
                    .iter()
                    .filter(|f| self.keeps(&f.name))
                    .map(|f| Field {
                        name: self.renamed(&f.name),
                        schema: f.schema.clone(),
                    })
                    .collect();
                let values = values
                    .iter()
                    .filter(|(name, _)| self.keeps(name))
                    .map(|(name, v)| (self.renamed(name), v.clone()))
                    .collect();
                Data::new(
                    Some(Schema {
                        fields,
                        ..schema.clone()
                    }),
                    Value::Struct(values),
                )
            }
        };
        Ok(self.part.set(record, replaced))
    }
}

/// `ValueToKey`.
#[derive(Debug, Clone)]
pub struct ValueToKey {
    pub fields: Vec<String>,
    pub replace_null_with_default: bool,
}

const COPYING: &str = "copying fields from value to key";

impl ValueToKey {
    pub fn apply(&self, mut record: Record) -> Result<Record, Exception> {
        let value = &record.value;
        let key = match &value.schema {
            None => {
                if !matches!(value.value, Value::Map(_)) {
                    return Err(require_map(&value.value, COPYING));
                }
                Data::new(
                    None,
                    Value::Map(
                        self.fields
                            .iter()
                            .map(|f| {
                                (
                                    Value::String(f.clone()),
                                    value.value.get(f).cloned().unwrap_or(Value::Null),
                                )
                            })
                            .collect(),
                    ),
                )
            }
            Some(schema) => {
                if !matches!(value.value, Value::Struct(_)) {
                    return Err(require_struct(&value.value, COPYING));
                }
                let mut fields = Vec::with_capacity(self.fields.len());
                let mut values = Vec::with_capacity(self.fields.len());
                for name in &self.fields {
                    let field = schema
                        .field(name)
                        .ok_or_else(|| Exception::data(format!("Field does not exist: {name}")))?;
                    let mut v = value.value.get(name).cloned().unwrap_or(Value::Null);
                    if v.is_null()
                        && self.replace_null_with_default
                        && let Some(default) = &field.schema.default
                    {
                        v = default.clone();
                    }
                    fields.push(field.clone());
                    values.push((name.clone(), v));
                }
                Data::new(Some(Schema::structure(None, fields)), Value::Struct(values))
            }
        };
        record.key = key;
        Ok(record)
    }
}

/// A struct schema's type, for tests and callers that build rows.
pub fn is_struct(data: &Data) -> bool {
    data.schema.as_ref().is_some_and(|s| s.kind == Type::Struct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_schema() -> Schema {
        let mut price = Schema::of(Type::Int64).optional();
        price.default = Some(Value::Int64(0));
        Schema::structure(
            Some("codeflix.billing.PlanState".into()),
            vec![
                Field {
                    name: "id".into(),
                    schema: Schema::of(Type::String),
                },
                Field {
                    name: "name".into(),
                    schema: Schema::of(Type::String).optional(),
                },
                Field {
                    name: "price".into(),
                    schema: price,
                },
                Field {
                    name: "owner".into(),
                    schema: Schema::structure(
                        None,
                        vec![Field {
                            name: "email".into(),
                            schema: Schema::of(Type::String),
                        }],
                    ),
                },
            ],
        )
    }

    fn row() -> Value {
        Value::Struct(vec![
            ("id".into(), Value::String("p1".into())),
            ("name".into(), Value::String("Basic".into())),
            ("price".into(), Value::Null),
            (
                "owner".into(),
                Value::Struct(vec![("email".into(), Value::String("a@b.c".into()))]),
            ),
        ])
    }

    fn record(value: Data) -> Record {
        Record {
            topic: "t".into(),
            partition: 0,
            timestamp: None,
            key: Data::new(Some(Schema::of(Type::String)), Value::String("p1".into())),
            value,
            headers: Vec::new(),
        }
    }

    fn extract(field: &str, v2: bool) -> ExtractField {
        ExtractField {
            part: Part::Value,
            path: FieldPath::parse(field, v2).unwrap(),
            replace_null_with_default: true,
        }
    }

    #[test]
    fn extract_field_takes_a_field_and_its_schema() {
        let out = extract("name", false)
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap();
        assert_eq!(out.value.value, Value::String("Basic".into()));
        assert_eq!(out.value.schema, Some(Schema::of(Type::String).optional()));
        // A null field with a default gives the default.
        let price = extract("price", false)
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap();
        assert_eq!(price.value.value, Value::Int64(0));
        // A tombstone passes through as null with the field's schema.
        let tombstone = extract("name", false)
            .apply(record(Data::new(Some(row_schema()), Value::Null)))
            .unwrap();
        assert_eq!(tombstone.value.value, Value::Null);
    }

    #[test]
    fn extract_field_v2_follows_dotted_paths() {
        let out = extract("owner.email", true)
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap();
        assert_eq!(out.value.value, Value::String("a@b.c".into()));
        assert_eq!(
            FieldPath::parse("`a.b`.c", true).unwrap().steps,
            ["a.b", "c"]
        );
        // V1 takes the dots literally.
        let v1 = extract("owner.email", false)
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap_err();
        assert_eq!(v1.class, ILLEGAL_ARGUMENT);
        assert_eq!(v1.message, "Unknown field: owner.email");
    }

    #[test]
    fn extract_field_refuses_what_is_neither_struct_nor_map() {
        let error = extract("id", false)
            .apply(record(Data::new(
                Some(Schema::of(Type::String)),
                Value::String("x".into()),
            )))
            .unwrap_err();
        assert_eq!(
            error.message,
            "Only Struct objects supported for [field extraction], found: java.lang.String"
        );
        let schemaless = extract("id", false)
            .apply(record(Data::new(
                None,
                Value::Map(vec![(Value::String("id".into()), Value::Int64(7))]),
            )))
            .unwrap();
        assert_eq!(schemaless.value, Data::new(None, Value::Int64(7)));
    }

    #[test]
    fn replace_field_excludes_includes_and_renames() {
        let replace = ReplaceField {
            part: Part::Value,
            include: vec!["id".into(), "name".into(), "price".into()],
            exclude: vec!["price".into()],
            renames: vec![("name".into(), "title".into())],
        };
        let out = replace
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap();
        let schema = out.value.schema.unwrap();
        assert_eq!(
            schema
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["id", "title"]
        );
        assert_eq!(schema.name.as_deref(), Some("codeflix.billing.PlanState"));
        assert_eq!(
            out.value.value,
            Value::Struct(vec![
                ("id".into(), Value::String("p1".into())),
                ("title".into(), Value::String("Basic".into())),
            ])
        );
        // Tombstones pass untouched.
        let tombstone = replace.apply(record(Data::NULL)).unwrap();
        assert_eq!(tombstone.value, Data::NULL);
    }

    #[test]
    fn value_to_key_makes_a_struct_key_and_fails_on_tombstones() {
        let to_key = ValueToKey {
            fields: vec!["id".into(), "price".into()],
            replace_null_with_default: true,
        };
        let out = to_key
            .apply(record(Data::new(Some(row_schema()), row())))
            .unwrap();
        assert!(is_struct(&out.key));
        assert_eq!(
            out.key.value,
            Value::Struct(vec![
                ("id".into(), Value::String("p1".into())),
                ("price".into(), Value::Int64(0)),
            ])
        );
        let tombstone = to_key.apply(record(Data::NULL)).unwrap_err();
        assert_eq!(
            tombstone.message,
            "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
        );
        let missing = ValueToKey {
            fields: vec!["nope".into()],
            replace_null_with_default: true,
        }
        .apply(record(Data::new(Some(row_schema()), row())))
        .unwrap_err();
        assert_eq!(missing.message, "Field does not exist: nope");
    }
}
