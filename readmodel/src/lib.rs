//! Codeflix's read models: what the projections write and the query API reads.
//!
//! The documents ([`views`]) are one per aggregate, at the version of the last event applied to
//! it. They are kept in a catalog store ([`store`]: embedded SQLite, or ScyllaDB) and a search
//! index ([`search`]: embedded tantivy, or Elasticsearch), each of which keeps, with its
//! documents, how far the projection has read the event topics ([`Position`]s).
//!
//! The ports are split by direction: [`store::DocReads`], [`store::CatalogReads`] and
//! [`search::SearchReads`] are what the query API holds; only a projection holds a
//! [`store::DocStore`], the port that commits. This crate knows nothing of Kafka: projections
//! (in `codeflix-projectors`) turn events into documents and call the writing port.

pub mod generations;
pub mod mirror;
pub mod search;
pub mod store;
pub mod stores;
pub mod views;

pub use codeflix_domain::Position;
pub use stores::{Stores, ViewsConfig};
