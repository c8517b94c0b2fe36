//! The projectors against the real embedded broker and registry, and the ports' contracts.

#![allow(clippy::unwrap_used)]

mod conformance;
mod projection;
mod support;
