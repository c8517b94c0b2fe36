//! Sink connectors: records from topics into a system.

pub mod jdbc;
pub mod task;
