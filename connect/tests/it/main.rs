//! The embedded Connect runtime against the embedded broker and registry.

#![allow(clippy::unwrap_used, missing_debug_implementations, unreachable_pub)]

mod conformance;
mod jdbc;
mod mirror;
mod runtime;
mod support;
