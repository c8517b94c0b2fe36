//! Converters: bytes from Kafka into Connect data ([`crate::data`]), as Connect's converters
//! make it — `StringConverter`, `ByteArrayConverter`, `JsonConverter` (with or without schemas)
//! and Confluent's `AvroConverter` through a schema registry.
//!
//! A converter failure is one of three things:
//! - the record's data is wrong ([`ConvertError::Data`]): `errors.tolerance` decides (fail the
//!   task, or dead-letter the record);
//! - the registry cannot answer now ([`ConvertError::Unavailable`]): the task waits and asks
//!   again — unlike Connect, which reports it as bad data, a registry outage never
//!   dead-letters a good record;
//! - the converter cannot work at all ([`ConvertError::Fatal`], e.g. the registry refuses the
//!   credentials): the task fails, whatever the tolerance.

pub mod avro;
pub mod json;

use std::sync::Arc;

use base64::Engine;

use crate::config::defs::{self};
use crate::config::{Config, list};
use crate::data::{Data, Schema, Type, Value};
use crate::errors::Exception;

/// Why bytes could not become data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    Data(Exception),
    Unavailable(String),
    Fatal(Exception),
}

/// A configured converter.
#[derive(Debug, Clone)]
pub enum Converter {
    String,
    ByteArray,
    Json { schemas_enable: bool },
    Avro(Arc<avro::AvroConverter>),
}

impl Converter {
    /// The class Connect names for it (in dead-letter headers and traces).
    pub fn class_name(&self) -> &'static str {
        match self {
            Converter::String => defs::STRING_CONVERTER,
            Converter::ByteArray => defs::BYTE_ARRAY_CONVERTER,
            Converter::Json { .. } => defs::JSON_CONVERTER,
            Converter::Avro(_) => defs::AVRO_CONVERTER,
        }
    }

    /// `toConnectData`: the data in `bytes` of a record of `topic`.
    pub async fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<Data, ConvertError> {
        match self {
            Converter::String => Ok(match bytes {
                None => Data::new(Some(Schema::of(Type::String).optional()), Value::Null),
                Some(bytes) => Data::new(
                    Some(Schema::of(Type::String).optional()),
                    Value::String(String::from_utf8_lossy(bytes).into_owned()),
                ),
            }),
            Converter::ByteArray => Ok(Data::new(
                Some(Schema::of(Type::Bytes).optional()),
                bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec())),
            )),
            Converter::Json { schemas_enable } => {
                json::to_connect(bytes, *schemas_enable).map_err(ConvertError::Data)
            }
            Converter::Avro(avro) => avro.to_connect(topic, bytes).await,
        }
    }

    /// `fromConnectData` for the byte-copying converter the mirror uses: the bytes of `data`.
    pub fn to_bytes(&self, data: &Data) -> Result<Option<Vec<u8>>, Exception> {
        match (&data.value, self) {
            (Value::Null, _) => Ok(None),
            (Value::Bytes(bytes), Converter::ByteArray) => Ok(Some(bytes.clone())),
            (Value::String(text), Converter::String) => Ok(Some(text.clone().into_bytes())),
            (other, _) => Err(Exception::data(format!(
                "{} is not compatible with objects of type {}",
                self.class_name().rsplit('.').next().unwrap_or_default(),
                other.java_class()
            ))),
        }
    }
}

/// Registries the converters of one runtime share (one HTTP client, one schema cache per URL).
#[derive(Debug, Default)]
pub struct Registries {
    converters: std::sync::Mutex<Vec<Arc<avro::AvroConverter>>>,
}

impl Registries {
    fn avro(&self, settings: avro::Settings) -> Result<Arc<avro::AvroConverter>, String> {
        let mut converters = self.converters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = converters.iter().find(|c| c.settings() == &settings) {
            return Ok(Arc::clone(found));
        }
        let converter = Arc::new(avro::AvroConverter::new(settings)?);
        converters.push(Arc::clone(&converter));
        Ok(converter)
    }
}

/// The converter `which` (`key.converter`, `value.converter`) of a connector: its own class and
/// settings, or the worker's when the connector names none (Connect's inheritance).
pub fn configured(
    which: &str,
    config: &Config,
    worker: &Config,
    registries: &Registries,
) -> Result<Converter, String> {
    let source = if config.contains_key(which) {
        config
    } else {
        worker
    };
    let class = source
        .get(which)
        .ok_or_else(|| format!("{which} is set neither by the connector nor by the worker"))?;
    let prefix = format!("{which}.");
    let setting = |name: &str| source.get(&format!("{prefix}{name}")).map(String::as_str);
    match defs::canonical_converter(class.trim()) {
        Some(defs::STRING_CONVERTER) => {
            let encoding = setting("converter.encoding").unwrap_or("UTF8");
            if !matches!(encoding.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8") {
                return Err(format!(
                    "{prefix}converter.encoding={encoding}: the embedded runtime reads UTF-8 only"
                ));
            }
            Ok(Converter::String)
        }
        Some(defs::BYTE_ARRAY_CONVERTER) => Ok(Converter::ByteArray),
        Some(defs::JSON_CONVERTER) => Ok(Converter::Json {
            schemas_enable: setting("schemas.enable")
                .is_none_or(|v| v.trim().eq_ignore_ascii_case("true")),
        }),
        Some(defs::AVRO_CONVERTER) => {
            let urls = setting("schema.registry.url")
                .map(list)
                .filter(|urls| !urls.is_empty())
                .ok_or_else(|| format!("{prefix}schema.registry.url is missing"))?;
            let source_of_credentials = setting("basic.auth.credentials.source").unwrap_or("URL");
            let user_info = match source_of_credentials.to_ascii_uppercase().as_str() {
                "URL" => None,
                "USER_INFO" => Some(
                    setting("basic.auth.user.info")
                        .or_else(|| setting("schema.registry.basic.auth.user.info"))
                        .ok_or_else(|| {
                            format!("{prefix}basic.auth.credentials.source=USER_INFO needs {prefix}basic.auth.user.info")
                        })?
                        .to_owned(),
                ),
                other => {
                    return Err(format!(
                        "{prefix}basic.auth.credentials.source={other}: the embedded runtime takes URL or USER_INFO"
                    ));
                }
            };
            registries
                .avro(avro::Settings { urls, user_info })
                .map(Converter::Avro)
        }
        _ => Err(format!(
            "{class} is not a converter the embedded runtime has"
        )),
    }
}

/// Base64 as JSON carries bytes.
pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| e.to_string())
}

/// A big-endian two's-complement integer (a Connect `Decimal`'s unscaled value) as decimal
/// text with `scale` digits after the point.
pub fn decimal_text(unscaled: &[u8], scale: u32) -> String {
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    // Magnitude: two's complement negated when negative.
    let mut magnitude: Vec<u8> = unscaled.to_vec();
    if negative {
        for byte in &mut magnitude {
            *byte = !*byte;
        }
        for byte in magnitude.iter_mut().rev() {
            let (sum, overflow) = byte.overflowing_add(1);
            *byte = sum;
            if !overflow {
                break;
            }
        }
    }
    // Repeated division by ten over the big-endian bytes.
    let mut digits = Vec::new();
    while magnitude.iter().any(|b| *b != 0) {
        let mut remainder: u32 = 0;
        for byte in &mut magnitude {
            let current = (remainder << 8) | u32::from(*byte);
            *byte = (current / 10) as u8;
            remainder = current % 10;
        }
        digits.push(char::from(b'0' + remainder as u8));
    }
    let scale = scale as usize;
    while digits.len() <= scale {
        digits.push('0');
    }
    let mut text: String = String::new();
    if negative {
        text.push('-');
    }
    for (i, digit) in digits.iter().rev().enumerate() {
        if scale > 0 && i == digits.len() - scale {
            text.push('.');
        }
        text.push(*digit);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_with_their_scale_and_sign() {
        assert_eq!(decimal_text(&[0x30, 0x39], 2), "123.45");
        assert_eq!(decimal_text(&[0xCF, 0xC7], 2), "-123.45");
        assert_eq!(decimal_text(&[0x05], 3), "0.005");
        assert_eq!(decimal_text(&[0x00], 0), "0");
        assert_eq!(decimal_text(&[0xFF], 0), "-1");
        assert_eq!(decimal_text(&[0x01, 0x00], 0), "256");
    }

    #[tokio::test]
    async fn strings_and_bytes_convert_as_connect_does() {
        let string = Converter::String
            .to_connect("t", Some(b"plan-1"))
            .await
            .unwrap();
        assert_eq!(string.value, Value::String("plan-1".into()));
        assert_eq!(string.schema, Some(Schema::of(Type::String).optional()));
        assert_eq!(
            Converter::String.to_connect("t", None).await.unwrap().value,
            Value::Null
        );
        let bytes = Converter::ByteArray
            .to_connect("t", Some(&[0, 1]))
            .await
            .unwrap();
        assert_eq!(bytes.value, Value::Bytes(vec![0, 1]));
        assert_eq!(
            Converter::ByteArray.to_bytes(&bytes).unwrap(),
            Some(vec![0, 1])
        );
        let refused = Converter::ByteArray
            .to_bytes(&Data::new(None, Value::Struct(vec![])))
            .unwrap_err();
        assert_eq!(
            refused.message,
            "ByteArrayConverter is not compatible with objects of type org.apache.kafka.connect.data.Struct"
        );
    }

    #[test]
    fn a_connector_inherits_the_worker_converter_only_when_it_names_none() {
        let registries = Registries::default();
        let worker: Config = [
            (
                "key.converter".to_owned(),
                defs::STRING_CONVERTER.to_owned(),
            ),
            (
                "value.converter".to_owned(),
                defs::JSON_CONVERTER.to_owned(),
            ),
            (
                "value.converter.schemas.enable".to_owned(),
                "false".to_owned(),
            ),
        ]
        .into();
        let inherit = Config::new();
        assert!(matches!(
            configured("value.converter", &inherit, &worker, &registries).unwrap(),
            Converter::Json {
                schemas_enable: false
            }
        ));
        // Naming the class takes none of the worker's settings for it.
        let own: Config = [("value.converter".to_owned(), "JsonConverter".to_owned())].into();
        assert!(matches!(
            configured("value.converter", &own, &worker, &registries).unwrap(),
            Converter::Json {
                schemas_enable: true
            }
        ));
        let avro: Config = [(
            "value.converter".to_owned(),
            defs::AVRO_CONVERTER.to_owned(),
        )]
        .into();
        assert!(
            configured("value.converter", &avro, &worker, &registries)
                .unwrap_err()
                .contains("schema.registry.url is missing")
        );
    }
}
