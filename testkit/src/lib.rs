//! What Codeflix's integration tests and benchmarks share, so that each starts the platform the
//! way the `codeflix` binary does:
//!
//! - [`Stack`]: the embedded broker and schema registry on a scratch directory, an event log on
//!   them, commands run straight through it, and projections running into stores;
//! - [`CommandApi`] and [`QueryApi`]: the HTTP APIs built by their own `Application` builders
//!   on port 0, with the development issuer minting tokens;
//! - [`sample`]: a small catalog built through commands;
//! - [`load`]: create-video commands at a fixed concurrency, for benchmarks;
//! - [`site`]: `codeflix` processes on one data directory and free ports;
//! - [`faults`]: faults a real part cannot produce on demand (a registry answering 500);
//! - [`sqlite`]: reading the SQLite files another process writes (the Connect runtime's mirrors);
//! - [`smtp`]: a real SMTP server on loopback (aiosmtpd) that keeps what it receives.
//!
//! A dev-dependency only; nothing here is part of a shipped binary.

#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    missing_debug_implementations
)]

mod command_api;
pub mod faults;
mod http;
pub mod load;
mod query_api;
pub mod sample;
pub mod site;
pub mod smtp;
pub mod sqlite;
mod stack;

pub use command_api::CommandApi;
pub use http::{Answer, Client, assert_docs_offline};
pub use query_api::QueryApi;
pub use stack::{Running, Stack, caught_up, context};

use std::time::{Duration, SystemTime};

use codeflix_auth::{DevIssuer, TokenRequest};

/// A customer's token from `issuer`: `subject` with `email` and a name, role `viewer`, valid
/// for an hour.
pub fn customer_token(issuer: &DevIssuer, subject: &str, email: &str) -> String {
    issuer
        .mint(
            &TokenRequest {
                subject: subject.into(),
                username: None,
                email: Some(email.into()),
                name: Some(format!("Customer {subject}")),
                roles: vec!["viewer".into()],
                client_roles: Vec::new(),
                lifetime: Duration::from_secs(3600),
                audience: None,
            },
            SystemTime::now(),
        )
        .unwrap()
}

/// A token from `issuer` for `subject` with realm `roles`, valid for an hour.
pub fn token(issuer: &DevIssuer, subject: &str, roles: &[&str]) -> String {
    issuer
        .mint(
            &TokenRequest {
                subject: subject.into(),
                username: None,
                email: None,
                name: None,
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                client_roles: Vec::new(),
                lifetime: Duration::from_secs(3600),
                audience: None,
            },
            SystemTime::now(),
        )
        .unwrap()
}

/// The unsubscribe links' secret of the command APIs and notifiers the tests start.
pub const UNSUBSCRIBE_SECRET: &str = "codeflix-tests-unsubscribe-secret";
