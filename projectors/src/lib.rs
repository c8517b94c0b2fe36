//! Codeflix's projectors: the read side of the catalog and of the customers' subscriptions,
//! built from the event topics.
//!
//! A projection ([`runner::ProjectionSpec`]) consumes event topics in its own consumer group and
//! turns events into documents (`codeflix_readmodel::views`) with pure functions ([`project`]),
//! then commits the documents together with its positions through the read models' writing port
//! (`codeflix_readmodel::store::DocStore`): the embedded SQLite catalog or the tantivy search
//! index by default. Events that cannot be decoded or applied go to the projection's dead-letter
//! topic (`codeflix_consumer::dlq`). ADR 0010 explains the choices.

mod billing;
pub mod feeds;
pub mod metrics;
pub mod notifications;
pub mod project;
pub mod runner;

pub use feeds::{FeedSpec, FeedStore};
pub use metrics::ProjectorMetrics;
pub use runner::{ProjectionSpec, ProjectorError, Rebuild, catch_up, run};
