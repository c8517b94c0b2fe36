//! Codeflix's domain model.
//!
//! Pure Rust: no I/O, no clock, no randomness, no async. Every bounded context is a module, every
//! aggregate a sub-module with its commands, events, rules (in `handle`) and state changes (in
//! `apply`). The edges (command API, encoder, projectors) parse input into the value objects defined
//! here, load an aggregate's history, call [`Aggregate::handle`] and append what it returns.
//!
//! - [`catalog`]: categories, genres, cast members and videos with their media.
//! - [`encoding`]: one encoding job per uploaded video media.
//! - [`subscriptions`]: plans and the subscriptions customers hold on them.
//! - [`accounts`]: accounts keyed by the identity provider's subject.
//! - [`notifications`]: email and SMS notifications.

pub mod accounts;
mod aggregate;
pub mod catalog;
pub mod encoding;
mod event;
mod macros;
pub mod notifications;
mod position;
pub mod range;
pub mod redact;
mod reference;
pub mod report;
pub mod subscriptions;
mod text;
mod time;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use aggregate::{
    Aggregate, AggregateId, CommandError, Decision, ExpectedVersion, InvariantViolation, Version,
    VersionGap, Versioned,
};
pub use event::{
    AggregateType, AnyEvent, CommandContext, DomainEvent, Envelope, EventId, EventMetadata,
    UnknownAggregateType, WrongAggregate,
};
pub use position::{InvalidPosition, Position};
pub use range::RangeError;
pub use reference::{Reference, ReferenceStatus};
pub use report::Report;
pub use text::{Reason, TextError};
pub use time::{Timestamp, TimestampError};
