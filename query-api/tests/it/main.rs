//! The query API over real HTTP, reading read models that real projectors built from the real
//! embedded broker.

#![allow(clippy::unwrap_used)]

mod billing;
mod notifications;
mod viewers;
