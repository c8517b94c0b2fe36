//! Who is calling: bearer JWTs from an OpenID Connect issuer, checked against its published keys.
//!
//! - [`Verifier`] validates a token's signature (keys from the issuer's JWKS, fetched again when a
//!   token names an unknown `kid`), expiry, issuer and optionally audience, and reads roles the way
//!   Keycloak writes them (`realm_access.roles` and `resource_access.<client>.roles`).
//! - [`DevIssuer`] is the embedded default: a signing key generated once and kept in the data
//!   directory, Keycloak-shaped discovery and JWKS endpoints, and tokens minted on demand
//!   (`codeflix token`).

mod dev;
mod roles;
mod verify;

pub use dev::{DevIssuer, TokenRequest};
pub use roles::{Principal, Role};
pub use verify::{AuthError, DEFAULT_CLIENT_ID, Verifier, VerifierConfig};
