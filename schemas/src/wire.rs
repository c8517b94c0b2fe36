//! How each kind of field value becomes an Avro value and back.
//!
//! Encoding builds plain values (strings for UUIDs, longs for timestamps, symbols for enums);
//! [`apache_avro::types::Value::resolve`] against the schema then gives them their logical types
//! and enum positions. Decoding accepts both forms.

use std::collections::{BTreeMap, HashMap};

use apache_avro::types::Value;
use codeflix_domain::Timestamp;

/// A value does not have the shape its schema promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct WireError {
    /// Dotted field path, e.g. `renditions.width`.
    pub path: String,
    pub problem: String,
}

impl WireError {
    pub(crate) fn new(problem: impl Into<String>) -> Self {
        WireError {
            path: String::new(),
            problem: problem.into(),
        }
    }

    pub(crate) fn in_field(mut self, field: &str) -> Self {
        self.path = if self.path.is_empty() {
            field.to_owned()
        } else {
            format!("{field}.{}", self.path)
        };
        self
    }

    fn unexpected(expected: &str, found: &Value) -> Self {
        WireError::new(format!("expected {expected}, found {found:?}"))
    }
}

/// A field value's mapping to Avro.
pub(crate) trait Wire: Sized {
    fn to_value(&self) -> Result<Value, WireError>;
    fn from_value(value: Value) -> Result<Self, WireError>;
}

impl Wire for String {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::String(self.clone()))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(WireError::unexpected("a string", &other)),
        }
    }
}

impl Wire for bool {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::Boolean(*self))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Boolean(b) => Ok(b),
            other => Err(WireError::unexpected("a boolean", &other)),
        }
    }
}

macro_rules! int_wire {
    ($($ty:ty),*) => {$(
        impl Wire for $ty {
            fn to_value(&self) -> Result<Value, WireError> {
                i32::try_from(*self)
                    .map(Value::Int)
                    .map_err(|_| WireError::new(format!("{} does not fit an Avro int", self)))
            }

            fn from_value(value: Value) -> Result<Self, WireError> {
                // A long arrives when the schema promoted the field from int (allowed evolution).
                let wide = match value {
                    Value::Int(i) => i64::from(i),
                    Value::Long(i) => i,
                    other => return Err(WireError::unexpected("an int", &other)),
                };
                <$ty>::try_from(wide)
                    .map_err(|_| WireError::new(format!("{wide} is out of range for {}", stringify!($ty))))
            }
        }
    )*};
}
int_wire!(u8, u16, u32);

macro_rules! long_wire {
    ($($ty:ty),*) => {$(
        impl Wire for $ty {
            fn to_value(&self) -> Result<Value, WireError> {
                i64::try_from(*self)
                    .map(Value::Long)
                    .map_err(|_| WireError::new(format!("{} does not fit an Avro long", self)))
            }

            fn from_value(value: Value) -> Result<Self, WireError> {
                match value {
                    Value::Long(i) | Value::TimestampMicros(i) => <$ty>::try_from(i)
                        .map_err(|_| WireError::new(format!("{i} is out of range for {}", stringify!($ty)))),
                    Value::Int(i) => <$ty>::try_from(i)
                        .map_err(|_| WireError::new(format!("{i} is out of range for {}", stringify!($ty)))),
                    other => Err(WireError::unexpected("a long", &other)),
                }
            }
        }
    )*};
}
long_wire!(u64, i64);

impl Wire for Timestamp {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::Long(self.unix_micros()))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::TimestampMicros(micros) | Value::Long(micros) => {
                Timestamp::from_unix_micros(micros).map_err(|e| WireError::new(e.to_string()))
            }
            other => Err(WireError::unexpected("a timestamp-micros", &other)),
        }
    }
}

impl Wire for uuid::Uuid {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::String(self.hyphenated().to_string()))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Uuid(id) => Ok(id),
            Value::String(s) => {
                uuid::Uuid::parse_str(&s).map_err(|e| WireError::new(format!("{s:?}: {e}")))
            }
            other => Err(WireError::unexpected("a uuid", &other)),
        }
    }
}

impl<T: Wire> Wire for Option<T> {
    /// Optional fields are `["null", T]` unions.
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(match self {
            None => Value::Union(0, Box::new(Value::Null)),
            Some(v) => Value::Union(1, Box::new(v.to_value()?)),
        })
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Null => Ok(None),
            Value::Union(_, inner) => match *inner {
                Value::Null => Ok(None),
                inner => T::from_value(inner).map(Some),
            },
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn to_value(&self) -> Result<Value, WireError> {
        self.iter()
            .map(Wire::to_value)
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Array(items) => items.into_iter().map(T::from_value).collect(),
            other => Err(WireError::unexpected("an array", &other)),
        }
    }
}

impl Wire for BTreeMap<String, String> {
    fn to_value(&self) -> Result<Value, WireError> {
        Ok(Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<HashMap<_, _>>(),
        ))
    }

    fn from_value(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| String::from_value(v).map(|v| (k, v)))
                .collect(),
            other => Err(WireError::unexpected("a map", &other)),
        }
    }
}

/// The fields of a record value being decoded.
pub(crate) struct Fields(HashMap<String, Value>);

impl Fields {
    pub(crate) fn new(value: Value) -> Result<Self, WireError> {
        match value {
            Value::Record(fields) => Ok(Fields(fields.into_iter().collect())),
            other => Err(WireError::unexpected("a record", &other)),
        }
    }

    /// Takes one field; a field the writer's schema lacked decodes from `null` (an optional one).
    pub(crate) fn take<T: Wire>(&mut self, name: &str) -> Result<T, WireError> {
        let value = self.0.remove(name).unwrap_or(Value::Null);
        T::from_value(value).map_err(|e| e.in_field(name))
    }
}

/// A struct that is an Avro record: its fields in schema order.
pub(crate) trait Record: Sized {
    fn write(&self, out: &mut Vec<(String, Value)>) -> Result<(), WireError>;
    fn read(fields: &mut Fields) -> Result<Self, WireError>;
}

/// Maps a struct's fields, in schema order, to an Avro record; `field => "wire"` renames.
macro_rules! record {
    ($ty:ident { $($field:ident $(=> $wire:literal)?),* $(,)? }) => {
        impl $crate::wire::Record for $ty {
            #[allow(unused_variables)]
            fn write(
                &self,
                out: &mut Vec<(String, apache_avro::types::Value)>,
            ) -> Result<(), $crate::wire::WireError> {
                $(
                    let name = $crate::wire::wire_name!($field $(, $wire)?);
                    let value = $crate::wire::Wire::to_value(&self.$field)
                        .map_err(|e| e.in_field(name))?;
                    out.push((name.to_owned(), value));
                )*
                Ok(())
            }

            #[allow(unused_variables)]
            fn read(fields: &mut $crate::wire::Fields) -> Result<Self, $crate::wire::WireError> {
                Ok($ty {
                    $($field: fields.take($crate::wire::wire_name!($field $(, $wire)?))?,)*
                })
            }
        }
    };
}
pub(crate) use record;

macro_rules! wire_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $wire:literal) => {
        $wire
    };
}
pub(crate) use wire_name;

/// Maps a fieldless enum to Avro enum symbols.
macro_rules! symbols {
    ($ty:ty { $($variant:path => $symbol:literal),* $(,)? }) => {
        impl $crate::wire::Wire for $ty {
            fn to_value(&self) -> Result<apache_avro::types::Value, $crate::wire::WireError> {
                // The position is fixed by `resolve` against the schema.
                let symbol = match self { $($variant => $symbol),* };
                Ok(apache_avro::types::Value::Enum(0, symbol.to_owned()))
            }

            fn from_value(value: apache_avro::types::Value) -> Result<Self, $crate::wire::WireError> {
                let symbol = match value {
                    apache_avro::types::Value::Enum(_, s) | apache_avro::types::Value::String(s) => s,
                    other => {
                        return Err($crate::wire::WireError::new(format!("expected an enum symbol, found {other:?}")));
                    }
                };
                match symbol.as_str() {
                    $($symbol => Ok($variant),)*
                    other => Err($crate::wire::WireError::new(format!(
                        "unknown symbol {other:?} for {}", stringify!($ty)
                    ))),
                }
            }
        }
    };
}
pub(crate) use symbols;

/// Maps UUID-backed id types through [`uuid::Uuid`].
macro_rules! uuid_ids {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::wire::Wire for $ty {
            fn to_value(&self) -> Result<apache_avro::types::Value, $crate::wire::WireError> {
                self.as_uuid().to_value()
            }

            fn from_value(value: apache_avro::types::Value) -> Result<Self, $crate::wire::WireError> {
                uuid::Uuid::from_value(value).map(<$ty>::new)
            }
        }
    )*};
}
pub(crate) use uuid_ids;
