//! The crate's integration tests, over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used)]

mod provider;
mod realm;
mod roles;
mod verify;
