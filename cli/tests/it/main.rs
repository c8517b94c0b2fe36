//! The `codeflix` binary as operators run it: real processes, real signals.

#![allow(clippy::unwrap_used)]

mod analysts;
mod billing;
mod compose;
mod connect;
mod customers;
mod encode;
mod faults;
mod infrastructure;
mod kubernetes;
mod mirrors;
mod nginx;
mod notifications;
mod operators;
mod playback;
mod projectors;
mod python;
mod race;
mod rebuilds;
mod recovery;
mod support;
mod up;
mod web;
