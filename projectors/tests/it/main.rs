//! The projectors against the real embedded broker and registry.

#![allow(clippy::unwrap_used)]

mod feeds;
mod projection;
