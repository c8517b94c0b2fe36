//! An embedded schema registry: the part of the Confluent Schema Registry REST API that real
//! clients use (schema_registry_converter, confluent-kafka's `SchemaRegistryClient`), persisted in
//! SQLite under the data directory.
//!
//! Supported: registering and looking up schemas under subjects, schemas by id, subjects and their
//! versions, global and per-subject compatibility (NONE, BACKWARD, FORWARD, FULL and their
//! `_TRANSITIVE` forms) and compatibility tests. Avro only. Not supported: deleting subjects or
//! versions, schema references, modes, contexts; those answer 404 or 405 as a router would.
//!
//! Writes (POST, PUT) must declare a registry media type (so that a page on another site cannot
//! write through a browser) and, when the registry listens on loopback, name a loopback host
//! (DNS rebinding). There is no authentication: on a network, use Confluent's registry.

mod api;
mod compat;
mod store;

pub use api::router;
pub use compat::Level;
pub use store::{Registry, RegistryError};

/// Serves the registry on `listener` until the future is dropped. Writes must declare a
/// registry media type, and on a loopback listener name a loopback host.
pub async fn serve(listener: tokio::net::TcpListener, registry: Registry) -> std::io::Result<()> {
    let loopback = listener.local_addr()?.ip().is_loopback();
    axum::serve(listener, router(registry, loopback)).await
}
