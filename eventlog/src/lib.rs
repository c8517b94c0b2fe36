//! Codeflix's event log on Kafka.
//!
//! [`EventLog::execute`] decides a command against its aggregate's current state and appends the
//! resulting events so that they reach Kafka exactly once and in version order, even when processes
//! die at any point or the broker restarts (docs/adr/0005-consistency-version-gate-and-outbox.md):
//!
//! 1. the [`store::CommandStore`] atomically checks the expected version, stores the events as
//!    outbox rows and records the command id (the version gate and the idempotency record);
//! 2. the [`relay::Relay`] — one active per store, elected by lease — copies rows to Kafka in
//!    order with an idempotent producer, and after a crash finds where it stopped by reading the
//!    partitions' tails;
//! 3. `execute` answers once its events are confirmed in Kafka, with their positions.
//!
//! Values use the Confluent wire format through a schema registry ([`codec`]); envelope fields
//! are copied into headers ([`headers`]). [`broker`] runs the embedded Kafka-protocol broker.

pub mod blocking;
pub mod broker;
pub mod codec;
pub mod config;
pub mod embedded;
pub mod headers;
mod log;
pub mod partition;
pub mod reader;
pub mod relay;
pub mod store;
pub mod topics;

pub use config::EventLogConfig;
pub use log::{Appended, EventLog, ExecuteError};

/// The wall clock as a [`codeflix_domain::Timestamp`]: edges read it into
/// [`codeflix_domain::CommandContext::now`], the domain never does.
pub fn now() -> codeflix_domain::Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    codeflix_domain::Timestamp::from_unix_micros(i64::try_from(micros).unwrap_or(i64::MAX))
        .unwrap_or(codeflix_domain::Timestamp::UNIX_EPOCH)
}

/// Something the event log could not do.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// Kafka failed: a client, the embedded broker or its storage. `context` says what was being
    /// done; the cause, when there is one, is the source.
    #[error("kafka: {context}")]
    Kafka {
        context: String,
        #[source]
        source: Option<store::BoxError>,
    },
    /// The registry answered, and the answer was no (an unknown id, an incompatible schema).
    #[error("schema registry: {0}")]
    Registry(String),
    /// The registry could not answer now (unreachable, 5xx, 408, 429); retrying may succeed.
    #[error("schema registry unavailable: {0}")]
    RegistryUnavailable(String),
    #[error(transparent)]
    Codec(#[from] codeflix_schemas::CodecError),
    #[error("decoding an event: {0}")]
    Decode(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the history of {aggregate} is inconsistent: {detail}")]
    History { aggregate: String, detail: String },
    #[error("{0}")]
    Config(String),
}

impl EventLogError {
    /// Kafka failed doing `context`, because of `source`.
    pub fn kafka(context: impl Into<String>, source: impl Into<store::BoxError>) -> EventLogError {
        EventLogError::Kafka {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// Kafka answered something the event log cannot go on from; `context` says what.
    pub fn kafka_refused(context: impl Into<String>) -> EventLogError {
        EventLogError::Kafka {
            context: context.into(),
            source: None,
        }
    }
}
