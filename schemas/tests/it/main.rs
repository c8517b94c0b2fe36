//! Integration tests of the event contracts: one binary, one module per concern.

// Helpers outside #[test] functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

mod compatibility;
mod contract;
mod roundtrip;
mod samples;
