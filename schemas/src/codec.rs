//! Encoding domain events as Avro and back: the public face of the mapping.
//!
//! An event's Avro record is `{metadata: EventMetadata, <payload fields>}` under the schema
//! `codeflix.<aggregate type>.<event type>`. The Confluent wire format (magic byte, schema id)
//! is the event log's business; this module deals in schemas, values and datum bytes.

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use codeflix_domain::{AnyEvent, Envelope, EventMetadata};

use crate::mapping::{read_payload, write_payload};
use crate::set::{NamedSchema, SchemaSet, event_fullname, split_event_fullname};
use crate::wire::{Fields, Wire, WireError};

/// An event that cannot be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("no schema named {0}")]
    NoSchema(String),
    #[error("{0} is not the name of a Codeflix event schema")]
    NotAnEvent(String),
    #[error("{fullname}: {source}")]
    Wire { fullname: String, source: WireError },
    #[error("{fullname}: {source}")]
    Avro {
        fullname: String,
        source: Box<apache_avro::Error>,
    },
    #[error("{fullname} carries metadata of a {metadata} aggregate")]
    AggregateMismatch { fullname: String, metadata: String },
}

/// The Avro value of an event, resolved against its schema, and that schema.
pub fn encode_value<'s>(
    schemas: &'s SchemaSet,
    envelope: &Envelope<AnyEvent>,
) -> Result<(&'s NamedSchema, Value), CodecError> {
    let event = &envelope.event;
    let fullname = event_fullname(event.aggregate_type(), event.event_type());
    if envelope.metadata.aggregate_type != event.aggregate_type() {
        return Err(CodecError::AggregateMismatch {
            fullname,
            metadata: envelope.metadata.aggregate_type.to_string(),
        });
    }
    let schema = schemas
        .get(&fullname)
        .ok_or_else(|| CodecError::NoSchema(fullname.clone()))?;
    let wire = |source| CodecError::Wire {
        fullname: fullname.clone(),
        source,
    };
    let mut fields = vec![(
        "metadata".to_owned(),
        envelope
            .metadata
            .to_value()
            .map_err(|e| wire(e.in_field("metadata")))?,
    )];
    write_payload(event, &mut fields).map_err(wire)?;
    let value = Value::Record(fields)
        .resolve(&schema.schema)
        .map_err(|source| CodecError::Avro {
            fullname: fullname.clone(),
            source: Box::new(source),
        })?;
    Ok((schema, value))
}

/// An event as Avro binary (no container, no wire-format header), and the schema it was written with.
pub fn encode_datum<'s>(
    schemas: &'s SchemaSet,
    envelope: &Envelope<AnyEvent>,
) -> Result<(&'s NamedSchema, Vec<u8>), CodecError> {
    let (schema, value) = encode_value(schemas, envelope)?;
    let avro = |source| CodecError::Avro {
        fullname: schema.fullname.clone(),
        source: Box::new(source),
    };
    let bytes = GenericDatumWriter::builder(&schema.schema)
        .build()
        .map_err(avro)?
        .write_value_to_vec(value)
        .map_err(avro)?;
    Ok((schema, bytes))
}

/// The event an Avro record value of the schema named `fullname` holds.
pub fn decode_value(fullname: &str, value: Value) -> Result<Envelope<AnyEvent>, CodecError> {
    let (aggregate_type, event_type) = split_event_fullname(fullname)
        .ok_or_else(|| CodecError::NotAnEvent(fullname.to_owned()))?;
    let wire = |source| CodecError::Wire {
        fullname: fullname.to_owned(),
        source,
    };
    let mut fields = Fields::new(value).map_err(wire)?;
    let metadata: EventMetadata = fields.take("metadata").map_err(wire)?;
    if metadata.aggregate_type != aggregate_type {
        return Err(CodecError::AggregateMismatch {
            fullname: fullname.to_owned(),
            metadata: metadata.aggregate_type.to_string(),
        });
    }
    let event = read_payload(aggregate_type, event_type, &mut fields)
        .map_err(wire)?
        .ok_or_else(|| CodecError::NotAnEvent(fullname.to_owned()))?;
    Ok(Envelope { metadata, event })
}

/// Decodes Avro binary written with `writer`, resolved to `reader` when the reader's schema
/// differs (a newer or older version of the same event schema).
pub fn decode_datum(
    writer: &Schema,
    reader: Option<&Schema>,
    mut bytes: &[u8],
) -> Result<Envelope<AnyEvent>, CodecError> {
    let fullname = writer
        .name()
        .map(|name| name.fullname(None))
        .ok_or_else(|| CodecError::NotAnEvent("an unnamed schema".to_owned()))?;
    let avro = |source| CodecError::Avro {
        fullname: fullname.clone(),
        source: Box::new(source),
    };
    let value = GenericDatumReader::builder(writer)
        .maybe_reader_schema(reader)
        .build()
        .map_err(avro)?
        .read_value(&mut bytes)
        .map_err(avro)?;
    decode_value(&fullname, value)
}
