//! An embedded Kafka Connect runtime.
//!
//! Each bounded context keeps a copy of what it needs from the others, replicated by Kafka
//! Connect. The connector files in `connectors/` (Connect's REST create format) run on a real
//! Kafka Connect cluster in production and, on embedded defaults, on this runtime, which honours
//! the same files for the classes it implements (docs/adr/0023-embedded-connect-runtime.md):
//!
//! - [`config`]: the files, `${env:…}` / `${file:…:…}` placeholders, the documented keys of each
//!   class and their validation, per key;
//! - [`convert`]: `StringConverter`, `ByteArrayConverter`, `JsonConverter`, `AvroConverter`;
//! - [`transforms`]: single message transforms and predicates;
//! - [`sink`]: the JDBC sink into SQLite and the task loop that commits offsets only after the
//!   sink committed;
//! - [`source`]: MirrorMaker 2's `MirrorSourceConnector`;
//! - [`runtime`]: connectors, their tasks and states; [`rest`]: Connect's REST API.
//!
//! It knows Connect's configuration, data and REST shapes, never a Codeflix event or read model.

pub mod config;
#[cfg(feature = "testsuite")]
pub mod conformance;
pub mod convert;
pub mod data;
pub mod errors;
pub mod metrics;
pub mod patterns;
pub mod record;
pub mod report;
pub mod rest;
pub mod runtime;
pub mod sink;
pub mod source;
pub mod task;
pub mod transforms;
