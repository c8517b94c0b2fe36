//! Events in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body), through a
//! schema registry.
//!
//! Each event type is its own subject under TopicRecordNameStrategy (`<topic>-<record full
//! name>`), so many event types share one topic. The registry assigns ids; schema_registry_converter
//! registers our schema on first use and caches the id.

use std::collections::HashMap;
use std::sync::Mutex;

use codeflix_domain::{AnyEvent, Envelope};
use codeflix_schemas::{SchemaSet, decode_value, encode_value};
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};

use crate::EventLogError;

/// Encodes and decodes events through a schema registry.
pub struct RegistryCodec {
    schemas: &'static SchemaSet,
    encoder: AvroEncoder,
    decoder: AvroDecoder,
    strategies: Mutex<HashMap<(String, String), SubjectNameStrategy>>,
}

impl std::fmt::Debug for RegistryCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCodec").finish_non_exhaustive()
    }
}

fn registry(e: impl std::fmt::Display) -> EventLogError {
    EventLogError::Registry(e.to_string())
}

impl RegistryCodec {
    /// A codec talking to the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub fn new(url: &str) -> Result<RegistryCodec, EventLogError> {
        let settings = || {
            SrSettings::new_builder(url.trim_end_matches('/').to_owned())
                .no_proxy()
                .build()
                .map_err(registry)
        };
        Ok(RegistryCodec {
            schemas: SchemaSet::embedded(),
            encoder: AvroEncoder::new(settings()?),
            decoder: AvroDecoder::new(settings()?),
            strategies: Mutex::new(HashMap::new()),
        })
    }

    fn strategy(&self, topic: &str, fullname: &str, json: &str) -> SubjectNameStrategy {
        let mut strategies = self.strategies.lock().unwrap_or_else(|e| e.into_inner());
        strategies
            .entry((topic.to_owned(), fullname.to_owned()))
            .or_insert_with(|| {
                SubjectNameStrategy::TopicRecordNameStrategyWithSchema(
                    topic.to_owned(),
                    SuppliedSchema::new(
                        Some(fullname.to_owned()),
                        SchemaType::Avro,
                        json.to_owned(),
                    ),
                )
            })
            .clone()
    }

    /// The wire bytes of an event on `topic`, and its schema's full name.
    pub async fn encode(
        &self,
        topic: &str,
        envelope: &Envelope<AnyEvent>,
    ) -> Result<(String, Vec<u8>), EventLogError> {
        let (schema, value) = encode_value(self.schemas, envelope)?;
        let strategy = self.strategy(topic, &schema.fullname, &schema.json);
        let bytes = self
            .encoder
            .encode_value(value, &strategy)
            .await
            .map_err(registry)?;
        Ok((schema.fullname.clone(), bytes))
    }

    /// The event in wire bytes as JSON, exactly as its writer's schema has it (no domain mapping):
    /// for tools that show events, including types this binary does not know.
    pub async fn decode_json(
        &self,
        bytes: &[u8],
    ) -> Result<(String, serde_json::Value), EventLogError> {
        let result = self.decoder.decode(Some(bytes)).await.map_err(registry)?;
        let fullname = result
            .name
            .map(|name| name.fullname(None))
            .unwrap_or_default();
        let json = serde_json::Value::try_from(result.value)
            .map_err(|e| EventLogError::Decode(format!("{fullname}: {e}")))?;
        Ok((fullname, json))
    }

    /// The event in wire bytes, resolved to this binary's version of its schema.
    pub async fn decode(&self, bytes: &[u8]) -> Result<Envelope<AnyEvent>, EventLogError> {
        let result = self.decoder.decode(Some(bytes)).await.map_err(registry)?;
        let fullname = result
            .name
            .map(|name| name.fullname(None))
            .ok_or_else(|| EventLogError::Decode("the writer's schema has no name".into()))?;
        let value = match self.schemas.get(&fullname) {
            Some(reader) => result
                .value
                .resolve(&reader.schema)
                .map_err(|e| EventLogError::Decode(format!("{fullname}: {e}")))?,
            None => result.value,
        };
        Ok(decode_value(&fullname, value)?)
    }
}
