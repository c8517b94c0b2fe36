//! Codeflix's consumer runtime: what every role that reads event topics shares — the
//! projections, the encoder's worker and its reaction, and the consumers still to come.
//!
//! - [`membership`]: assigned partitions or group membership, and the client settings;
//! - [`commits`]: offsets committed to the group at most once a second, only past finished
//!   work ([`tracker`] when work finishes out of order);
//! - [`dlq`]: decoding through the schema registry, dead-letter topics and redrive;
//! - [`ends`]: where topics end, for catch-ups and lag;
//! - [`react`]: the loop of a consumer that reacts to one record at a time, with retries and
//!   dead letters;
//! - [`backpressure`]: pausing a consumer while too much taken work is unfinished;
//! - [`supervise`]: restarting a failed loop with backoff, and what the probes report.
//!
//! It knows the event log's configuration and records, never a read model or a role's work.

pub mod backpressure;
pub mod commits;
pub mod dlq;
pub mod ends;
pub mod lag;
pub mod membership;
pub mod react;
pub mod supervise;
pub mod tracker;

pub use backpressure::Backpressure;
pub use ends::{ends, watermarks};
pub use membership::{Membership, consumer};
pub use tracker::Tracker;

/// Something that stops a consumer.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("kafka")]
    Kafka(#[source] rdkafka::error::KafkaError),
    #[error("a blocking Kafka call did not finish")]
    Task(#[source] tokio::task::JoinError),
    #[error(transparent)]
    EventLog(#[from] codeflix_eventlog::EventLogError),
}

pub(crate) fn kafka(e: rdkafka::error::KafkaError) -> ConsumerError {
    ConsumerError::Kafka(e)
}
