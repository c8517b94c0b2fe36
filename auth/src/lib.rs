//! Who is calling: bearer JWTs from an OpenID Connect issuer, checked against its published keys.
//!
//! - [`Verifier`] validates a token's signature (keys from the issuer's JWKS, fetched again when a
//!   token names an unknown `kid`), expiry, issuer and optionally audience, and reads roles the way
//!   Keycloak writes them (`realm_access.roles` and `resource_access.<client>.roles`).
//! - [`DevIssuer`] is the embedded default: a signing key generated once and kept in the data
//!   directory, Keycloak-shaped discovery and JWKS endpoints, tokens minted on demand
//!   (`codeflix token`), and a small OpenID Connect provider on Keycloak's paths: accounts,
//!   sign-in and registration pages, the authorization-code flow with PKCE, rotating refresh
//!   tokens, client credentials, userinfo and logout (ADR 0021).

mod admin;
mod dev;
mod roles;
mod verify;

pub use admin::{KeycloakRoles, RoleAdmin, RoleAdminError, grantable};
pub use dev::{
    AddUserError, AttemptLimits, Broken, DevIssuer, DevIssuerError, DevIssuerOptions, Field,
    HashError, Lifetimes, Limit, NewUser, Password, PatternError, Rule, StoreError, TokenRequest,
    User, WEB_CLIENT_ID,
};
pub use roles::{Principal, Role, VIEWER_ROLE};
pub use verify::{AuthError, DEFAULT_CLIENT_ID, Verifier, VerifierConfig};
