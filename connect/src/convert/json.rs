//! `org.apache.kafka.connect.json.JsonConverter`, reading: with `schemas.enable=true` a message
//! is an envelope `{"schema": …, "payload": …}` in Connect's JSON schema format; without, it is
//! plain JSON whose objects become schemaless maps.

use serde_json::Value as Json;

use crate::data::{Data, Field, Schema, Type, Value, logical};
use crate::errors::Exception;

const ENVELOPE_REQUIRED: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// The data in `bytes`.
pub fn to_connect(bytes: Option<&[u8]>, schemas_enable: bool) -> Result<Data, Exception> {
    let Some(bytes) = bytes else {
        return Ok(Data::NULL);
    };
    let json: Json = serde_json::from_slice(bytes).map_err(|e| {
        Exception::data(format!(
            "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
        ))
    })?;
    if !schemas_enable {
        return Ok(Data::new(None, schemaless(&json)));
    }
    let envelope = match &json {
        Json::Object(map)
            if map.len() == 2 && map.contains_key("schema") && map.contains_key("payload") =>
        {
            map
        }
        _ => return Err(Exception::data(ENVELOPE_REQUIRED)),
    };
    let schema_json = &envelope["schema"];
    let payload = &envelope["payload"];
    if schema_json.is_null() {
        return Ok(Data::new(None, schemaless(payload)));
    }
    let schema = schema_from_json(schema_json).map_err(Exception::data)?;
    let value = value_from_json(&schema, payload).map_err(Exception::data)?;
    Ok(Data::new(Some(schema), value))
}

/// Plain JSON as schemaless Connect data: integers as `INT64`, other numbers as `FLOAT64`.
fn schemaless(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(schemaless).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (Value::String(k.clone()), schemaless(v)))
                .collect(),
        ),
    }
}

/// A schema in Connect's JSON schema format.
pub fn schema_from_json(json: &Json) -> Result<Schema, String> {
    let kind = match json.get("type").and_then(Json::as_str) {
        Some("int8") => Type::Int8,
        Some("int16") => Type::Int16,
        Some("int32") => Type::Int32,
        Some("int64") => Type::Int64,
        Some("float") => Type::Float32,
        Some("double") => Type::Float64,
        Some("boolean") => Type::Boolean,
        Some("string") => Type::String,
        Some("bytes") => Type::Bytes,
        Some("array") => Type::Array,
        Some("map") => Type::Map,
        Some("struct") => Type::Struct,
        Some(other) => return Err(format!("Unknown schema type: {other}")),
        None => return Err("Schema must contain 'type' field".to_owned()),
    };
    let mut schema = Schema::of(kind);
    schema.optional = json
        .get("optional")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    schema.name = json.get("name").and_then(Json::as_str).map(str::to_owned);
    schema.version = json
        .get("version")
        .and_then(Json::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    schema.doc = json.get("doc").and_then(Json::as_str).map(str::to_owned);
    if let Some(Json::Object(parameters)) = json.get("parameters") {
        for (k, v) in parameters {
            if let Some(v) = v.as_str() {
                schema.parameters.insert(k.clone(), v.to_owned());
            }
        }
    }
    match kind {
        Type::Struct => {
            let Some(Json::Array(fields)) = json.get("fields") else {
                return Err("Struct schema's \"fields\" argument is not an array.".to_owned());
            };
            for field in fields {
                let name = field
                    .get("field")
                    .and_then(Json::as_str)
                    .ok_or("Struct schema's field name not specified properly")?;
                schema.fields.push(Field {
                    name: name.to_owned(),
                    schema: schema_from_json(field)?,
                });
            }
        }
        Type::Array => {
            let items = json
                .get("items")
                .ok_or("Array schema did not specify the element type")?;
            schema.items = Some(Box::new(schema_from_json(items)?));
        }
        Type::Map => {
            let keys = json
                .get("keys")
                .ok_or("Map schema did not specify the key type")?;
            let values = json
                .get("values")
                .ok_or("Map schema did not specify the value type")?;
            schema.keys = Some(Box::new(schema_from_json(keys)?));
            schema.items = Some(Box::new(schema_from_json(values)?));
        }
        _ => {}
    }
    if let Some(default) = json.get("default").filter(|d| !d.is_null()) {
        schema.default = Some(value_from_json(&schema, default)?);
    }
    Ok(schema)
}

/// A payload read with `schema`.
pub fn value_from_json(schema: &Schema, json: &Json) -> Result<Value, String> {
    if json.is_null() {
        if let Some(default) = &schema.default {
            return Ok(default.clone());
        }
        if schema.optional {
            return Ok(Value::Null);
        }
        return Err(format!(
            "Invalid null value for required {} field",
            schema.kind.name()
        ));
    }
    let mismatch = || {
        format!(
            "Invalid type for {}: {}",
            schema.kind.name(),
            match json {
                Json::Bool(_) => "BOOLEAN",
                Json::Number(_) => "NUMBER",
                Json::String(_) => "STRING",
                Json::Array(_) => "ARRAY",
                Json::Object(_) => "OBJECT",
                Json::Null => "NULL",
            }
        )
    };
    let integer = || json.as_i64().ok_or_else(mismatch);
    Ok(match schema.kind {
        Type::Boolean => Value::Boolean(json.as_bool().ok_or_else(mismatch)?),
        Type::Int8 => Value::Int8(i8::try_from(integer()?).map_err(|_| mismatch())?),
        Type::Int16 => Value::Int16(i16::try_from(integer()?).map_err(|_| mismatch())?),
        Type::Int32 => Value::Int32(i32::try_from(integer()?).map_err(|_| mismatch())?),
        Type::Int64 => Value::Int64(integer()?),
        Type::Float32 => Value::Float32(json.as_f64().ok_or_else(mismatch)? as f32),
        Type::Float64 => Value::Float64(json.as_f64().ok_or_else(mismatch)?),
        Type::String => Value::String(json.as_str().ok_or_else(mismatch)?.to_owned()),
        Type::Bytes if schema.name.as_deref() == Some(logical::DECIMAL) => match json {
            // decimal.format=NUMERIC writes a number; BASE64 (the default) the unscaled bytes.
            Json::Number(n) => {
                let scale: u32 = schema
                    .parameters
                    .get(logical::SCALE)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                Value::Bytes(unscaled_from_number(&n.to_string(), scale)?)
            }
            Json::String(s) => Value::Bytes(super::base64_decode(s)?),
            _ => return Err(mismatch()),
        },
        Type::Bytes => Value::Bytes(super::base64_decode(json.as_str().ok_or_else(mismatch)?)?),
        Type::Array => {
            let items = schema
                .items
                .as_deref()
                .ok_or("Array schema without items")?;
            Value::Array(
                json.as_array()
                    .ok_or_else(mismatch)?
                    .iter()
                    .map(|item| value_from_json(items, item))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Map => {
            let keys = schema.keys.as_deref().ok_or("Map schema without keys")?;
            let values = schema.items.as_deref().ok_or("Map schema without values")?;
            match json {
                // String keys: an object.
                Json::Object(map) if keys.kind == Type::String => Value::Map(
                    map.iter()
                        .map(|(k, v)| Ok((Value::String(k.clone()), value_from_json(values, v)?)))
                        .collect::<Result<_, String>>()?,
                ),
                // Other keys: an array of [key, value] pairs.
                Json::Array(entries) => Value::Map(
                    entries
                        .iter()
                        .map(|entry| match entry.as_array().map(Vec::as_slice) {
                            Some([k, v]) => {
                                Ok((value_from_json(keys, k)?, value_from_json(values, v)?))
                            }
                            _ => Err("Found invalid map entry instead of array tuple".to_owned()),
                        })
                        .collect::<Result<_, String>>()?,
                ),
                _ => return Err(mismatch()),
            }
        }
        Type::Struct => {
            let object = json.as_object().ok_or_else(mismatch)?;
            Value::Struct(
                schema
                    .fields
                    .iter()
                    .map(|field| {
                        let raw = object.get(&field.name).unwrap_or(&Json::Null);
                        Ok((field.name.clone(), value_from_json(&field.schema, raw)?))
                    })
                    .collect::<Result<_, String>>()?,
            )
        }
    })
}

/// The unscaled two's-complement bytes of a decimal number written in JSON.
fn unscaled_from_number(text: &str, scale: u32) -> Result<Vec<u8>, String> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if fraction.len() > scale as usize {
        return Err(format!("{text} has more than {scale} decimal places"));
    }
    let mut all = format!("{whole}{fraction}");
    all.push_str(&"0".repeat(scale as usize - fraction.len()));
    let unscaled: i128 = all
        .parse()
        .map_err(|_| format!("{text} is not a decimal number"))?;
    let unscaled = if negative { -unscaled } else { unscaled };
    let bytes = unscaled.to_be_bytes();
    // The shortest two's-complement form.
    let mut start = 0;
    while start < bytes.len() - 1
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    Ok(bytes[start..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_becomes_a_struct_with_its_schema() {
        let bytes = br#"{"schema":{"type":"struct","name":"plan","optional":false,"fields":[
            {"field":"id","type":"string","optional":false},
            {"field":"price","type":"int64","optional":true},
            {"field":"at","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","optional":false},
            {"field":"amount","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"optional":true}
        ]},"payload":{"id":"p1","at":1700000000000,"amount":"MDk="}}"#;
        let data = to_connect(Some(bytes), true).unwrap();
        let schema = data.schema.unwrap();
        assert_eq!(schema.kind, Type::Struct);
        assert_eq!(schema.fields[2].schema.logical(), Some(logical::TIMESTAMP));
        assert_eq!(
            data.value,
            Value::Struct(vec![
                ("id".into(), Value::String("p1".into())),
                ("price".into(), Value::Null),
                ("at".into(), Value::Int64(1_700_000_000_000)),
                ("amount".into(), Value::Bytes(vec![0x30, 0x39])),
            ])
        );
    }

    #[test]
    fn plain_json_without_schemas_is_schemaless() {
        let data = to_connect(Some(br#"{"id":"p1","n":3,"x":1.5}"#), false).unwrap();
        assert_eq!(data.schema, None);
        assert_eq!(data.value.get("n"), Some(&Value::Int64(3)));
        assert_eq!(data.value.get("x"), Some(&Value::Float64(1.5)));
        assert_eq!(to_connect(None, true).unwrap(), Data::NULL);
    }

    #[test]
    fn broken_json_and_missing_envelopes_are_data_errors_worded_as_connect_words_them() {
        let broken = to_connect(Some(b"{"), true).unwrap_err();
        assert!(broken.message.starts_with(
            "Converting byte[] to Kafka Connect data failed due to serialization error: "
        ));
        let plain = to_connect(Some(br#"{"id":"p1"}"#), true).unwrap_err();
        assert_eq!(plain.message, ENVELOPE_REQUIRED);
        let null_required = to_connect(
            Some(br#"{"schema":{"type":"struct","fields":[{"field":"id","type":"string"}]},"payload":{}}"#),
            true,
        )
        .unwrap_err();
        assert_eq!(
            null_required.message,
            "Invalid null value for required STRING field"
        );
    }

    #[test]
    fn numeric_decimals_become_unscaled_bytes() {
        assert_eq!(unscaled_from_number("123.45", 2).unwrap(), vec![0x30, 0x39]);
        assert_eq!(
            unscaled_from_number("-123.45", 2).unwrap(),
            vec![0xCF, 0xC7]
        );
        assert_eq!(unscaled_from_number("1", 2).unwrap(), vec![0x64]);
        assert!(unscaled_from_number("1.234", 2).is_err());
    }
}
