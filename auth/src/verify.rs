//! Verifying bearer tokens against an OpenID Connect issuer's published keys.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::Principal;

/// The client whose roles count unless configured otherwise (`resource_access.<client>.roles`).
pub const DEFAULT_CLIENT_ID: &str = "codeflix-admin";

/// Where tokens come from and what they must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The issuer exactly as tokens carry it in `iss`, e.g. Keycloak's
    /// `https://sso.example.com/realms/codeflix`.
    pub issuer: String,
    /// When set, tokens must name it in `aud`; unset, they must be issued to `client_id` (`azp`)
    /// or name it in `aud`.
    pub audience: Option<String>,
    /// The client whose roles count (`resource_access.<client_id>.roles`), besides realm roles,
    /// and whom tokens must be meant for when no `audience` is set.
    pub client_id: String,
    /// The JWKS URL; unset means the `jwks_uri` of the issuer's discovery document.
    pub jwks_url: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// The least time between two JWKS fetches triggered by unknown key ids.
    pub min_refresh_interval: Duration,
}

impl VerifierConfig {
    pub fn new(issuer: &str) -> Self {
        VerifierConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            jwks_url: None,
            leeway: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(10),
        }
    }
}

/// Why a request's credentials were not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request has no bearer token (Authorization: Bearer <token>)")]
    Missing,
    #[error("the bearer token is malformed: {0}")]
    Malformed(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token is not meant for this service (audience)")]
    WrongAudience,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token is signed with an unknown key ({0})")]
    UnknownKey(String),
    #[error("tokens signed with {0} are not accepted")]
    DisallowedAlgorithm(String),
    /// The issuer's keys could not be fetched: the token may be fine, we cannot tell.
    #[error("the identity provider's keys are unavailable: {0}")]
    IssuerUnavailable(String),
}

/// Asymmetric algorithms only: a shared-secret (HS*) token could be forged by anyone who has the
/// public key if it were accepted against it.
const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

struct Key {
    decoding: DecodingKey,
    /// The algorithm the JWKS pins for the key, if it does.
    algorithm: Option<Algorithm>,
}

/// Verifies tokens of one issuer; cheap to share behind an `Arc`.
pub struct Verifier {
    config: VerifierConfig,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, Key>>,
    last_fetch: Mutex<Option<Instant>>,
    verified: std::sync::Mutex<HashMap<[u8; 32], Verified>>,
}

/// A token whose signature and claims were checked, by the SHA-256 of its exact bytes: a client
/// sends the same token with every request until it expires, and checking an ES256 signature
/// was the largest single cost of a command. Expiry is checked again at every use; the whole
/// memory goes when the issuer's keys are fetched again (a key may have been withdrawn).
#[derive(Clone)]
struct Verified {
    principal: Principal,
    expires: SystemTime,
}

/// Verified tokens remembered at most; all are forgotten when it is reached.
const VERIFIED_MAX: usize = 10_000;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    /// The client the token was issued to (OIDC `azp`; Keycloak sets it on access tokens).
    azp: Option<String>,
    /// The audiences: one string or a list.
    #[serde(default)]
    aud: Option<serde_json::Value>,
    preferred_username: Option<String>,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    realm_access: Option<RoleList>,
    #[serde(default)]
    resource_access: HashMap<String, RoleList>,
}

#[derive(Deserialize, Default)]
struct RoleList {
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl Verifier {
    pub fn new(config: VerifierConfig) -> Verifier {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Verifier {
            config,
            http,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
            verified: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Reads the `Authorization` header's value and verifies its bearer token.
    pub async fn verify_header(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let (scheme, token) = header.split_once(' ').ok_or(AuthError::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(AuthError::Missing);
        }
        self.verify(token.trim()).await
    }

    /// Checks the token's signature, expiry, issuer and audience, and reads its roles.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest)
            .cloned();
        if let Some(known) = known {
            if SystemTime::now() > known.expires + self.config.leeway {
                return Err(AuthError::Expired);
            }
            return Ok(known.principal);
        }
        let (principal, expires) = self.check(token).await?;
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_MAX {
            verified.clear();
        }
        verified.insert(
            digest,
            Verified {
                principal: principal.clone(),
                expires,
            },
        );
        Ok(principal)
    }

    /// Verifies the token's signature and claims; answers its principal and expiry.
    async fn check(&self, token: &str) -> Result<(Principal, SystemTime), AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(AuthError::DisallowedAlgorithm(format!("{:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Malformed("the token header names no key (kid)".into()))?;
        if !self.keys.read().await.contains_key(&kid) {
            self.refresh().await?;
        }
        let keys = self.keys.read().await;
        let key = keys
            .get(&kid)
            .ok_or_else(|| AuthError::UnknownKey(kid.clone()))?;
        if key.algorithm.is_some_and(|pinned| pinned != header.alg) {
            return Err(AuthError::DisallowedAlgorithm(format!(
                "{:?} for key {kid}",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.config.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        match &self.config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAlgorithm => {
                    AuthError::DisallowedAlgorithm(format!("{:?} for key {kid}", header.alg))
                }
                _ => AuthError::Malformed(e.to_string()),
            },
        )?;
        let claims = data.claims;
        // Without a configured audience the token must still be meant for this service's
        // client: issued to it (`azp`) or naming it among its audiences. Otherwise any token of
        // the realm, for any of its applications, would do.
        if self.config.audience.is_none() {
            let client = self.config.client_id.as_str();
            let named = match &claims.aud {
                Some(serde_json::Value::String(one)) => one == client,
                Some(serde_json::Value::Array(many)) => {
                    many.iter().any(|aud| aud.as_str() == Some(client))
                }
                _ => false,
            };
            if claims.azp.as_deref() != Some(client) && !named {
                return Err(AuthError::WrongAudience);
            }
        }
        let mut roles: BTreeSet<String> = claims
            .realm_access
            .unwrap_or_default()
            .roles
            .into_iter()
            .collect();
        if let Some(client) = claims.resource_access.get(&self.config.client_id) {
            roles.extend(client.roles.iter().cloned());
        }
        let principal = Principal {
            subject: claims.sub,
            username: claims.preferred_username,
            email: claims.email,
            name: claims.name,
            roles,
        };
        Ok((
            principal,
            SystemTime::UNIX_EPOCH + Duration::from_secs(claims.exp),
        ))
    }

    /// Fetches the issuer's keys again, at most once per `min_refresh_interval` (so that tokens
    /// with made-up key ids cannot make us hammer the identity provider).
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.config.min_refresh_interval) {
            return Ok(());
        }
        let fetched = self.fetch().await;
        *last = Some(Instant::now());
        let set = fetched.map_err(|e| {
            warn!(issuer = %self.config.issuer, error = %e, "fetching the issuer's keys failed");
            AuthError::IssuerUnavailable(e)
        })?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let algorithm = jwk
                .common
                .key_algorithm
                .and_then(|a| Algorithm::from_str(&a.to_string()).ok());
            match DecodingKey::from_jwk(jwk) {
                Ok(decoding) => {
                    keys.insert(
                        kid,
                        Key {
                            decoding,
                            algorithm,
                        },
                    );
                }
                Err(e) => warn!(%kid, error = %e, "skipping a key the JWKS publishes"),
            }
        }
        info!(issuer = %self.config.issuer, keys = keys.len(), "loaded the issuer's signing keys");
        *self.keys.write().await = keys;
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let jwks_url = match &self.config.jwks_url {
            Some(url) => url.clone(),
            None => {
                let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
                self.get_json::<Discovery>(&url).await?.jwks_uri
            }
        };
        self.get_json(&jwks_url).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {url}: {status}"));
        }
        response.json().await.map_err(|e| format!("GET {url}: {e}"))
    }
}
