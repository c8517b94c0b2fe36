//! The event log against the real embedded broker and registry.

#![allow(clippy::unwrap_used)]

mod support;

mod appending;
mod broker;
mod codec;
mod partitioning;
mod recovery;
mod restart;
mod store_conformance;
mod unordered;
