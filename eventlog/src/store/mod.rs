//! The command store: the version gate, the transactional outbox and the idempotency record.
//!
//! Kafka cannot append conditionally, so the command side keeps its own ordered record of every
//! aggregate's events (docs/adr/0005-consistency-version-gate-and-outbox.md). One atomic write
//! checks the expected version, stores the new events as unpublished outbox rows and records the
//! command id; the relay then copies the rows to Kafka in order, exactly once.

mod scylla;
mod sqlite;

use async_trait::async_trait;
use codeflix_domain::{AggregateType, Version};
use uuid::Uuid;

pub use scylla::{INTENT_TIMEOUT, SEQ_BLOCK, ScyllaStore};
pub use sqlite::SqliteStore;

/// An engine's error, whatever its type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub(crate) fn backend(e: impl Into<BoxError>) -> StoreError {
    StoreError::Backend(e.into())
}

/// A command store that cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The engine failed (I/O, network, the engine's own error); the cause is the source.
    #[error("command store")]
    Backend(#[source] BoxError),
    #[error("command store holds malformed data: {0}")]
    Corrupt(String),
}

/// One event ready for the log: where it goes and its encoded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub version: Version,
    pub event_id: Uuid,
    pub topic: String,
    pub partition: i32,
    /// The Kafka key: the aggregate id.
    pub key: Vec<u8>,
    /// The Kafka value: Confluent wire format (magic byte, schema id, Avro).
    pub value: Vec<u8>,
    /// Kafka headers, in order.
    pub headers: Vec<(String, String)>,
}

/// What one command wants appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvents {
    pub command_id: Uuid,
    pub aggregate_type: AggregateType,
    pub aggregate_id: String,
    /// The version the command was decided on; the events carry base + 1, base + 2, …
    pub base: Version,
    pub events: Vec<NewEvent>,
    /// What identifies the request the command came from (e.g. a hash of an HTTP body), so that
    /// a command id reused for a different request can be told from a retry.
    pub request_digest: Option<String>,
}

impl NewEvents {
    /// Refuses events that do not carry `base + 1`, `base + 2`, … in order.
    pub fn check_versions(&self) -> Result<(), StoreError> {
        for (offset, event) in (1..).zip(&self.events) {
            let expected = Version::new(self.base.get() + offset);
            if event.version != expected {
                return Err(StoreError::Corrupt(format!(
                    "event {} carries version {}, expected {expected}",
                    event.event_id, event.version
                )));
            }
        }
        Ok(())
    }
}

/// The stored outcome of a command, returned again when the same command id comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    pub command_id: Uuid,
    pub aggregate_type: AggregateType,
    pub aggregate_id: String,
    pub base: Version,
    pub new_version: Version,
    /// Outbox sequence numbers of its events, in order (empty when it changed nothing).
    pub seqs: Vec<i64>,
    /// The digest of the request it came from, if one was given.
    pub request_digest: Option<String>,
}

/// The result of an atomic append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored, with these outbox sequence numbers.
    Appended { seqs: Vec<i64> },
    /// The command id was seen before: nothing was stored, here is what it did then.
    Duplicate(CommandRecord),
    /// The aggregate is no longer at the base version.
    Conflict { current: Version },
}

/// An event as stored, for rebuilding an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub version: Version,
    pub value: Vec<u8>,
}

/// An outbox row for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub event_id: Uuid,
    pub topic: String,
    pub partition: i32,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Where an event landed in Kafka.
pub use codeflix_domain::Position;

/// Publication state of one outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub seq: i64,
    pub event_id: Uuid,
    /// `None` while the row is not confirmed in Kafka.
    pub position: Option<Position>,
}

/// The port the event log needs from its command-side store.
///
/// Every implementation passes the conformance suite in `tests/it/store_conformance.rs`.
#[async_trait]
pub trait CommandStore: Send + Sync + 'static {
    /// Atomically: refuses a known command id, checks the aggregate is at `base`, stores the events
    /// as unpublished rows and records the command.
    async fn append(&self, append: NewEvents) -> Result<AppendOutcome, StoreError>;

    /// The events of one aggregate with a version above `after`, in version order.
    async fn events(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        after: Version,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The current version of one aggregate (0 if it has no events).
    async fn version(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
    ) -> Result<Version, StoreError>;

    /// What a command did, if it was stored.
    async fn command(&self, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError>;

    /// Whether sequence numbers follow commit order: a row committed later never has a lower
    /// number than one already visible (SQLite, whose writers are serialised). When they do not
    /// (ScyllaDB, where each process numbers from its own block), [`CommandStore::unpublished`]
    /// returns every waiting row, not just those after a cursor, and the relay skips the rows it
    /// has sent.
    fn commit_ordered(&self) -> bool {
        true
    }

    /// Rows waiting for the relay, each aggregate's in version order: those with a sequence
    /// number above `after`, in sequence order, when [`CommandStore::commit_ordered`]; every
    /// waiting row otherwise (about `limit` at most either way).
    async fn unpublished(&self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError>;

    /// How many rows are not confirmed in Kafka yet.
    async fn unpublished_count(&self) -> Result<u64, StoreError>;

    /// Records where rows landed in Kafka: `(seq, event id, offset)`. A row is only marked if its
    /// event id matches, so messages from another store's history never mark this store's rows.
    /// Returns how many rows were marked.
    async fn mark_published(&self, published: &[(i64, Uuid, i64)]) -> Result<usize, StoreError>;

    /// The publication state of the given rows.
    async fn publications(&self, seqs: &[i64]) -> Result<Vec<Publication>, StoreError>;

    /// The highest-sequence row confirmed in `topic`/`partition`: `(seq, offset)`.
    async fn last_published(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Option<(i64, i64)>, StoreError>;

    /// Takes the relay lease for `holder` until `now_ms + ttl_ms` if nobody holds a valid one (or
    /// `holder` itself does); `false` otherwise.
    async fn try_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError>;

    /// Extends `holder`'s lease, only if it still holds it and it has not expired: a holder whose
    /// lease lapsed must take it anew (and recover) rather than carry on.
    async fn renew_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64)
    -> Result<bool, StoreError>;

    /// Gives the lease up, if `holder` has it.
    async fn release_lease(&self, holder: &str) -> Result<(), StoreError>;
}
