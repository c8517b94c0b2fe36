//! The development issuer: what Keycloak provides in production, for a laptop.
//!
//! Its ES256 signing key is generated on first use and kept (mode 0600) in the data directory, so
//! tokens stay valid across restarts. It serves a Keycloak-shaped discovery document and JWKS, so
//! the APIs verify its tokens exactly as they verify a real issuer's: over HTTP.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde_json::{Value, json};

/// What a minted token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub subject: String,
    pub username: Option<String>,
    /// Realm roles, e.g. `catalog-admin`.
    pub roles: Vec<String>,
    /// Client roles, as Keycloak puts them under `resource_access.<client>.roles`.
    pub client_roles: Vec<(String, String)>,
    pub lifetime: Duration,
    pub audience: Option<String>,
}

/// A signing key and the issuer URL tokens carry.
pub struct DevIssuer {
    issuer: String,
    kid: String,
    key: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl DevIssuer {
    /// Opens the key in `key_file`, generating it first if the file does not exist.
    ///
    /// `issuer` is the URL tokens carry in `iss`, Keycloak style (`{base}/realms/{realm}`); the
    /// discovery and JWKS endpoints are served under its path by [`DevIssuer::router`].
    pub fn open(key_file: &Path, issuer: &str) -> std::io::Result<DevIssuer> {
        let pem = match std::fs::read_to_string(key_file) {
            // An empty file is what a crash between creating and writing the key left (older
            // versions wrote it in place): no key was ever in it, so make one.
            Ok(pem) if pem.is_empty() => {
                std::fs::remove_file(key_file)?;
                generate(key_file)?
            }
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate(key_file)?,
            Err(e) => return Err(e),
        };
        let secret = p256::SecretKey::from_pkcs8_pem(&pem).map_err(|e| {
            io_error(format!(
                "{} is not a P-256 PKCS#8 key: {e}",
                key_file.display()
            ))
        })?;
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(io_error)?;
        let public = secret.public_key().to_jwk_string();
        let mut jwk: Jwk = serde_json::from_str(&public).map_err(io_error)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256);
        jwk.common.key_id = Some(kid.clone());
        jwk.common.key_algorithm = Some(jsonwebtoken::jwk::KeyAlgorithm::ES256);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(DevIssuer {
            issuer: issuer.trim_end_matches('/').to_owned(),
            kid,
            key,
            jwk,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The id of the signing key, as tokens name it in `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A signed token for `request`, issued `now`.
    pub fn mint(&self, request: &TokenRequest, now: SystemTime) -> Result<String, String> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": request.subject,
            "iat": iat,
            "nbf": iat,
            "exp": iat + request.lifetime.as_secs(),
            "typ": "Bearer",
            "azp": "codeflix-admin",
            "realm_access": { "roles": request.roles },
        });
        for (client, role) in &request.client_roles {
            let roles = &mut claims["resource_access"][client]["roles"];
            match roles.as_array_mut() {
                Some(list) => list.push(json!(role)),
                None => *roles = json!([role]),
            }
        }
        if let Some(username) = &request.username {
            claims["preferred_username"] = json!(username);
        }
        if let Some(audience) = &request.audience {
            claims["aud"] = json!(audience);
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// The OpenID Connect discovery document (the parts verifiers read).
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/protocol/openid-connect/certs", self.issuer),
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code"],
            "authorization_endpoint": format!("{}/protocol/openid-connect/auth", self.issuer),
            "token_endpoint": format!("{}/protocol/openid-connect/token", self.issuer),
        })
    }

    /// Discovery and JWKS under the issuer URL's path, as Keycloak lays them out.
    pub fn router(self: Arc<Self>) -> Router {
        let path = url_path(&self.issuer);
        Router::new()
            .route(
                &format!("{path}/.well-known/openid-configuration"),
                get(|State(issuer): State<Arc<DevIssuer>>| async move {
                    axum::Json(issuer.discovery())
                }),
            )
            .route(
                &format!("{path}/protocol/openid-connect/certs"),
                get(
                    |State(issuer): State<Arc<DevIssuer>>| async move { axum::Json(issuer.jwks()) },
                ),
            )
            .with_state(self)
    }
}

/// The path of an `http(s)://host[:port]/path` URL, without a trailing slash.
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(at) => rest[at..].trim_end_matches('/').to_owned(),
        None => String::new(),
    }
}

/// Generates a P-256 key into `key_file` (created with mode 0600, never overwritten).
fn generate(key_file: &Path) -> std::io::Result<String> {
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let pem = secret.to_pkcs8_pem(LineEnding::LF).map_err(io_error)?;
    if let Some(parent) = key_file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Written whole to a file of its own, then linked into place: the key file appears complete
    // or not at all (a crash midway leaves a stray temporary file, not a broken key), and a
    // process that linked first wins.
    let temporary = key_file.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&temporary, key_file);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(pem.to_string()),
        // Another process generated it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(key_file)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_never_left_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("signing-key.pem");
        // What a crash midway through the old write left behind: an empty key file.
        std::fs::write(&key, "").unwrap();
        let issuer = DevIssuer::open(&key, "http://127.0.0.1:8080/realms/codeflix").unwrap();
        let again = DevIssuer::open(&key, "http://127.0.0.1:8080/realms/codeflix").unwrap();
        assert_eq!(issuer.kid(), again.kid(), "the same key is read back");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"signing-key.pem".to_owned()), "{names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n.contains(&format!("tmp-{}", std::process::id()))),
            "its own temporary file is removed: {names:?}"
        );
    }

    #[test]
    fn paths_follow_keycloak() {
        assert_eq!(
            url_path("http://127.0.0.1:8080/realms/codeflix/"),
            "/realms/codeflix"
        );
        assert_eq!(url_path("https://sso.example.com"), "");
    }
}
