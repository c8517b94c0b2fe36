//! An embedded schema registry: the part of the Confluent Schema Registry REST API that real
//! clients use (schema_registry_converter, confluent-kafka's `SchemaRegistryClient`), persisted in
//! SQLite under the data directory.
//!
//! Supported: registering and looking up schemas under subjects, schemas by id, subjects and their
//! versions, global and per-subject compatibility (NONE, BACKWARD, FORWARD, FULL and their
//! `_TRANSITIVE` forms), compatibility tests, soft and permanent deletion of subjects and versions
//! (`?deleted=true` shows soft-deleted ones), and the global `READWRITE`/`READONLY` mode. Avro
//! only. Not supported: schema references, per-subject modes, `IMPORT` mode, contexts; those
//! answer 404, 405 or 422.
//!
//! Writes (POST, PUT) must declare a registry media type (so that a page on another site cannot
//! write through a browser) and, when the registry listens on loopback, name a loopback host
//! (DNS rebinding). With a token ([`Access::token`]), changes need it; reads stay open.

mod api;
mod compat;
mod store;

pub use api::{Access, router};
pub use compat::Level;
pub use store::{Deleted, Mode, Registry, RegistryError, Selector, SubjectVersion};

/// Serves the registry on `listener`, within the HTTP listeners' limits (slow clients cut off,
/// load shed), until `shutdown` completes. Writes must declare a registry media type, on a
/// loopback listener name a loopback host, and present `token` when it is set.
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Registry,
    token: Option<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let access = Access {
        loopback: listener.local_addr()?.ip().is_loopback(),
        token,
    };
    codeflix_http::server::serve_with(
        listener,
        router(registry, access),
        codeflix_http::Limits::default(),
        shutdown,
    )
    .await
}
