//! Events in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body), through a
//! schema registry.
//!
//! Each event type is its own subject under TopicRecordNameStrategy (`<topic>-<record full
//! name>`), so many event types share one topic. The registry assigns ids; schema_registry_converter
//! registers our schema on first use and caches the id.
//!
//! That library also caches the failures it deems final, which include a registry's 500, 504 and
//! 429 answers: one outage would fail every later encoding or decoding of the same schema until
//! a restart. After any failure this codec clears those, and tells a registry that could not
//! answer ([`EventLogError::RegistryUnavailable`]) from one that answered no.

use std::collections::HashMap;
use std::sync::Mutex;

use codeflix_domain::{AnyEvent, Envelope};
use codeflix_schemas::{SchemaSet, decode_value, encode_value};
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::{SrSettings, get_schema_by_id};
use schema_registry_converter::error::SRCError;
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
    registry: SrSettings,
    /// Per writer's schema id: whether it is exactly this binary's schema of its type (then a
    /// decoded value needs no resolution).
    same_as_ours: Mutex<HashMap<u32, bool>>,
}

impl std::fmt::Debug for RegistryCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCodec").finish_non_exhaustive()
    }
}

fn registry(e: impl std::fmt::Display) -> EventLogError {
    EventLogError::Registry(e.to_string())
}

/// Whether a registry failure says nothing about the schema: the registry could not be reached,
/// or answered that it could not answer now (5xx, 408, 429).
pub(crate) fn is_transient(error: &SRCError) -> bool {
    error.retriable
        || status_in(&error.error)
            .is_some_and(|status| status >= 500 || status == 408 || status == 429)
}

/// The HTTP status a schema_registry_converter message names ("… failed with status 500 …").
fn status_in(message: &str) -> Option<u16> {
    let (_, rest) = message.split_once("status ")?;
    rest.get(..3)?.parse().ok()
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
            registry: settings()?,
            same_as_ours: Mutex::new(HashMap::new()),
        })
    }

    /// The error for a failed registry call, after forgetting every cached failure.
    fn failed(&self, error: SRCError) -> EventLogError {
        self.encoder.remove_errors_from_cache();
        self.decoder.remove_errors_from_cache();
        if is_transient(&error) {
            EventLogError::RegistryUnavailable(error.to_string())
        } else {
            EventLogError::Registry(error.to_string())
        }
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
            .map_err(|e| self.failed(e))?;
        Ok((schema.fullname.clone(), bytes))
    }

    /// The wire bytes of `value`, a record of `schema`, on `topic` under the subject
    /// `<topic>-value` (TopicNameStrategy, as stock connectors expect): for state feeds.
    pub async fn encode_record(
        &self,
        topic: &str,
        schema: &codeflix_schemas::NamedSchema,
        value: apache_avro::types::Value,
    ) -> Result<Vec<u8>, EventLogError> {
        let strategy = SubjectNameStrategy::TopicNameStrategyWithSchema(
            topic.to_owned(),
            false,
            SuppliedSchema::new(
                Some(schema.fullname.clone()),
                SchemaType::Avro,
                schema.json.clone(),
            ),
        );
        self.encoder
            .encode_value(value, &strategy)
            .await
            .map_err(|e| self.failed(e))
    }

    /// The event in wire bytes as JSON, exactly as its writer's schema has it (no domain mapping):
    /// for tools that show events, including types this binary does not know.
    pub async fn decode_json(
        &self,
        bytes: &[u8],
    ) -> Result<(String, serde_json::Value), EventLogError> {
        let result = self
            .decoder
            .decode(Some(bytes))
            .await
            .map_err(|e| self.failed(e))?;
        let fullname = result
            .name
            .map(|name| name.fullname(None))
            .unwrap_or_default();
        let json = serde_json::Value::try_from(result.value)
            .map_err(|e| EventLogError::Decode(format!("{fullname}: {e}")))?;
        Ok((fullname, json))
    }

    /// The event in wire bytes as an Avro value of this binary's version of its schema (the
    /// writer's, for a type this binary does not know), with the schema's full name.
    pub async fn decode_resolved(
        &self,
        bytes: &[u8],
    ) -> Result<(String, apache_avro::types::Value), EventLogError> {
        let result = self
            .decoder
            .decode(Some(bytes))
            .await
            .map_err(|e| self.failed(e))?;
        let fullname = result
            .name
            .map(|name| name.fullname(None))
            .ok_or_else(|| EventLogError::Decode("the writer's schema has no name".into()))?;
        let value = match self.schemas.get(&fullname) {
            Some(reader) if self.written_with(bytes, &reader.json).await => result.value,
            Some(reader) => result
                .value
                .resolve(&reader.schema)
                .map_err(|e| EventLogError::Decode(format!("{fullname}: {e}")))?,
            None => result.value,
        };
        Ok((fullname, value))
    }

    /// Whether the wire bytes were written with exactly the schema `ours` (the same JSON, up to
    /// spacing and key order, so logical types and defaults too): then resolving a value to it
    /// changes nothing, and is skipped. Asked of the registry once per schema id; `false` when
    /// it cannot say, so the value is resolved as before.
    async fn written_with(&self, bytes: &[u8], ours: &str) -> bool {
        let Some(id) = bytes
            .get(1..5)
            .map(|id| u32::from_be_bytes([id[0], id[1], id[2], id[3]]))
        else {
            return false;
        };
        if let Some(&same) = self
            .same_as_ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return same;
        }
        let Ok(registered) = get_schema_by_id(id, &self.registry).await else {
            return false;
        };
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
        let same = registered.references.is_empty()
            && json(&registered.schema).is_some_and(|theirs| Some(theirs) == json(ours));
        self.same_as_ours
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, same);
        same
    }

    /// The event in wire bytes, resolved to this binary's version of its schema.
    pub async fn decode(&self, bytes: &[u8]) -> Result<Envelope<AnyEvent>, EventLogError> {
        let (fullname, value) = self.decode_resolved(bytes).await?;
        Ok(decode_value(&fullname, value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_and_overload_are_transient_and_answers_are_not() {
        let answer = |status: &str| {
            SRCError::new(
                &format!("HTTP request to schema registry failed with status {status}"),
                None,
                false,
            )
        };
        for status in [
            "500 Internal Server Error",
            "504 Gateway Timeout",
            "429 Too Many Requests",
            "408 Request Timeout",
        ] {
            assert!(is_transient(&answer(status)), "{status}");
        }
        for status in [
            "404 Not Found",
            "409 Conflict",
            "422 Unprocessable Entity",
            "401 Unauthorized",
        ] {
            assert!(!is_transient(&answer(status)), "{status}");
        }
        assert!(is_transient(&SRCError::new(
            "http call to schema registry failed",
            None,
            true
        )));
        assert!(!is_transient(&SRCError::new(
            "Could not get raw schema from response",
            None,
            false
        )));
    }
}
