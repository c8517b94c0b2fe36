//! Envelope fields as Kafka headers, so tools can route and filter without decoding Avro.
//!
//! Names follow the CloudEvents Kafka binding (binary mode, `ce_` prefix): its four required
//! attributes, the event time and the content type. Everything else about an event — aggregate
//! type and version, correlation, causation, actor — is in the Avro envelope, and the aggregate id
//! is the record key; the embedded broker stores every header as a row, so each one costs appends
//! (ADR 0015). `codeflix_seq` is the outbox sequence number the relay needs for exactly-once
//! recovery; it is not part of the event.

use codeflix_domain::EventMetadata;

pub const SEQ: &str = "codeflix_seq";

/// The headers of an event; `event_type` is the full schema name.
pub fn event_headers(metadata: &EventMetadata, event_type: &str) -> Vec<(String, String)> {
    [
        ("ce_specversion", "1.0".to_owned()),
        ("ce_id", metadata.event_id.to_string()),
        (
            "ce_source",
            format!("/codeflix/{}", metadata.aggregate_type),
        ),
        ("ce_type", event_type.to_owned()),
        ("ce_time", metadata.occurred_at.to_string()),
        ("content-type", "application/avro".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// A header's value as text, if present and UTF-8.
pub fn header<'m>(headers: &'m [(String, String)], name: &str) -> Option<&'m str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
