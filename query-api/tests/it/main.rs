//! The query API over real HTTP, reading read models that real projectors built from the real
//! embedded broker.

#![allow(clippy::unwrap_used)]

#[path = "../../../projectors/tests/it/support.rs"]
#[allow(dead_code)]
mod support;

mod viewers;
