//! Codeflix's projectors: the read side of the catalog, built from the event topics.
//!
//! A projection ([`runner::ProjectionSpec`]) consumes event topics in its own consumer group and
//! turns events into documents ([`views`]) with pure functions ([`project`]), then commits the
//! documents together with its positions to a store ([`store::DocStore`]): the embedded SQLite
//! catalog ([`store::sqlite`]) or the tantivy search index ([`search`]). Events that cannot be
//! decoded or applied go to the projection's dead-letter topic ([`dlq`]). ADR 0010 explains the
//! choices.

pub mod commits;
pub mod dlq;
pub mod metrics;
pub mod project;
pub mod runner;
pub mod search;
pub mod store;
pub mod views;

pub use metrics::ProjectorMetrics;
pub use runner::{Membership, ProjectionSpec, ProjectorError, catch_up, ends, run};
