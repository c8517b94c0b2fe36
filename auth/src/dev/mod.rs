//! The development issuer: what Keycloak provides in production, for a laptop.
//!
//! Its ES256 signing key is generated on first use and kept (mode 0600) in the data directory, so
//! tokens stay valid across restarts. It serves a Keycloak-shaped discovery document and JWKS, so
//! the APIs verify its tokens exactly as they verify a real issuer's: over HTTP.
//!
//! It is also a small OpenID Connect provider under the same paths Keycloak uses: accounts in a
//! SQLite file beside the key ([`users`]); authorization requests with PKCE and the sign-ins
//! waiting for their page ([`flows`]); the sign-in and registration pages ([`pages`]) and their
//! handlers ([`signin`]); the token endpoint's grants — code, rotating refresh tokens, client
//! credentials ([`grants`]); userinfo, logout and the router ([`routes`]); attempts limited per
//! account and address ([`limits`]).
//! ADR 0021 says what it supports and what it does not.

mod clients;
mod flows;
mod grants;
mod key;
mod limits;
mod pages;
mod params;
mod passwords;
mod role_admin;
mod routes;
mod rules;
mod signin;
mod tokens;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

pub use clients::{PatternError, WEB_CLIENT_ID};
pub use limits::Limit;
pub use passwords::HashError;
pub use rules::{Broken, Field, Password, Rule};
pub use users::{StoreError, User};

use clients::{Client, Kind, RedirectPattern};
use key::io_error;
use limits::Limiter;
use passwords::Hasher;
use users::Store;

/// What a minted token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub subject: String,
    pub username: Option<String>,
    /// The `email` claim (accounts are registered from it).
    pub email: Option<String>,
    /// The `name` claim.
    pub name: Option<String>,
    /// Realm roles, e.g. `catalog-admin`.
    pub roles: Vec<String>,
    /// Client roles, as Keycloak puts them under `resource_access.<client>.roles`.
    pub client_roles: Vec<(String, String)>,
    pub lifetime: Duration,
    pub audience: Option<String>,
}

/// How long what the issuer hands out is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// An authorization code, between the redirect and its exchange.
    pub code: Duration,
    /// Access and ID tokens (they cannot be revoked: keep them short).
    pub access: Duration,
    /// A refresh token, renewed by each refresh up to the session's end.
    pub refresh: Duration,
    /// A session: what one sign-in allows, refreshes included.
    pub session: Duration,
    /// A sign-in page, between showing it and sending it.
    pub sign_in: Duration,
}

impl Default for Lifetimes {
    /// Keycloak's defaults: 1 minute codes, 5 minute tokens, 30 minute idle sessions of at
    /// most 10 hours; 30 minutes to fill in a sign-in page.
    fn default() -> Self {
        Lifetimes {
            code: Duration::from_secs(60),
            access: Duration::from_secs(300),
            refresh: Duration::from_secs(1800),
            session: Duration::from_secs(10 * 3600),
            sign_in: Duration::from_secs(1800),
        }
    }
}

/// How many attempts the sign-in and registration pages take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Failed sign-ins per account (counted whether the account exists or not).
    pub sign_in_per_account: Limit,
    /// Failed sign-ins per client address (every local program shares 127.0.0.1).
    pub sign_in_per_address: Limit,
    /// Registrations tried per client address (each hashes a password and may reveal that an
    /// email has an account).
    pub registrations_per_address: Limit,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        let quarter_hour = Duration::from_secs(15 * 60);
        AttemptLimits {
            sign_in_per_account: Limit {
                max: 5,
                window: quarter_hour,
            },
            sign_in_per_address: Limit {
                max: 20,
                window: quarter_hour,
            },
            registrations_per_address: Limit {
                max: 10,
                window: Duration::from_secs(3600),
            },
        }
    }
}

/// The development issuer's settings beyond its key and URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DevIssuerOptions {
    /// The accounts' database; unset: `users.db` beside the key file.
    pub users_db: Option<PathBuf>,
    /// The confidential client's (`codeflix-admin`) secret, generated when missing; unset:
    /// `codeflix-admin.secret` beside the key file.
    pub admin_secret_file: Option<PathBuf>,
    /// Where the web client (`codeflix-web`) may send browsers back: exact URLs, or ending in
    /// `/*` for any path below; a loopback IP literal matches any port. Unset: the issuer's
    /// origin, `http://127.0.0.1:8080/*`, `http://127.0.0.1:8082/*`, their `localhost` twins,
    /// and any path on any port of `127.0.0.1` and `[::1]`.
    pub web_redirect_uris: Option<Vec<String>>,
    /// The realm roles of the confidential client's service account; unset: `catalog-admin`.
    pub service_account_roles: Option<Vec<String>>,
    pub lifetimes: Lifetimes,
    pub limits: AttemptLimits,
}

/// The options once resolved against the key file and issuer.
#[derive(Debug, Clone)]
struct Settings {
    users_db: PathBuf,
    admin_secret_file: PathBuf,
    service_account_roles: Vec<String>,
    lifetimes: Lifetimes,
}

/// Why the development issuer could not do what it was asked (its own faults, not a caller's).
#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("reading the client secret {}", path.display())]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing a token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Why an account was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    #[error("the account breaks rules")]
    Invalid(#[from] Broken),
    #[error("an account with the email address {0} exists already")]
    EmailTaken(String),
    #[error("adding an account")]
    Failed(#[from] DevIssuerError),
}

/// An account to add: its roles are given as they are (an admin's, say); registration gives
/// [`VIEWER_ROLE`](crate::VIEWER_ROLE) only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: Password,
    pub roles: Vec<String>,
}

/// A signing key, the issuer URL tokens carry, and the provider's accounts and clients.
pub struct DevIssuer {
    issuer: String,
    kid: String,
    key: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
    options: Settings,
    clients: Vec<Client>,
    store: OnceCell<Store>,
    admin_secret: OnceCell<String>,
    hasher: Hasher,
    pending: flows::PendingRequests,
    failures_by_account: Limiter,
    failures_by_address: Limiter,
    registrations_by_address: Limiter,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .field("users_db", &self.options.users_db)
            .finish_non_exhaustive()
    }
}

/// `error` with every cause below it (`outer: cause: root`), for logs.
pub(crate) fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl DevIssuer {
    /// Opens the key in `key_file`, generating it first if the file does not exist, with the
    /// default options (accounts in `users.db` beside the key, opened on first use).
    ///
    /// `issuer` is the URL tokens carry in `iss`, Keycloak style (`{base}/realms/{realm}`); the
    /// discovery and JWKS endpoints are served under its path by [`DevIssuer::router`].
    pub fn open(key_file: &Path, issuer: &str) -> std::io::Result<DevIssuer> {
        DevIssuer::open_with(key_file, issuer, DevIssuerOptions::default())
    }

    /// [`DevIssuer::open`] with `options`. Nothing but the key is read or made here: the
    /// accounts' database and the client secret are opened on first use (or by
    /// [`DevIssuer::open_users`]).
    pub fn open_with(
        key_file: &Path,
        issuer: &str,
        options: DevIssuerOptions,
    ) -> std::io::Result<DevIssuer> {
        let pem = key::read_or_generate_key(key_file)?;
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
        let decoding = DecodingKey::from_jwk(&jwk).map_err(io_error)?;
        let issuer = issuer.trim_end_matches('/').to_owned();
        let beside = |name: &str| key_file.with_file_name(name);
        let redirect_uris = options
            .web_redirect_uris
            .clone()
            .unwrap_or_else(|| clients::default_web_redirect_uris(&issuer))
            .iter()
            .map(|p| RedirectPattern::parse(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let clients = vec![
            Client {
                id: WEB_CLIENT_ID.to_owned(),
                kind: Kind::Public { redirect_uris },
            },
            Client {
                id: crate::DEFAULT_CLIENT_ID.to_owned(),
                kind: Kind::Confidential,
            },
        ];
        let limits = options.limits;
        Ok(DevIssuer {
            issuer,
            kid,
            key,
            decoding,
            jwk,
            options: Settings {
                users_db: options.users_db.unwrap_or_else(|| beside("users.db")),
                admin_secret_file: options
                    .admin_secret_file
                    .unwrap_or_else(|| beside("codeflix-admin.secret")),
                service_account_roles: options
                    .service_account_roles
                    .unwrap_or_else(|| vec![crate::Role::CatalogAdmin.as_str().to_owned()]),
                lifetimes: options.lifetimes,
            },
            clients,
            store: OnceCell::new(),
            admin_secret: OnceCell::new(),
            hasher: Hasher::new(),
            pending: flows::PendingRequests::new(options.lifetimes.sign_in),
            failures_by_account: Limiter::new(limits.sign_in_per_account),
            failures_by_address: Limiter::new(limits.sign_in_per_address),
            registrations_by_address: Limiter::new(limits.registrations_per_address),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The id of the signing key, as tokens name it in `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Where the accounts are kept.
    pub fn users_db(&self) -> &Path {
        &self.options.users_db
    }

    /// Opens the accounts' database now (it is otherwise opened on first use), so that a
    /// broken one fails at start.
    pub async fn open_users(&self) -> Result<(), DevIssuerError> {
        self.store().await.map(drop)
    }

    /// The confidential client's (`codeflix-admin`) secret for `client_credentials`, generated
    /// into its file (mode 0600) when missing.
    pub async fn admin_client_secret(&self) -> Result<String, DevIssuerError> {
        let path = &self.options.admin_secret_file;
        self.admin_secret
            .get_or_try_init(|| async {
                key::read_or_generate_secret(path).map_err(|source| DevIssuerError::Secret {
                    path: path.clone(),
                    source,
                })
            })
            .await
            .cloned()
    }

    /// Adds an account: the same rules as registration, but any roles.
    pub async fn add_user(&self, user: NewUser) -> Result<User, AddUserError> {
        let fields = rules::check(&user.email, &user.name, &user.password)?;
        let roles: Vec<String> = user
            .roles
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
        self.create_user(fields, roles, SystemTime::now()).await
    }

    async fn create_user(
        &self,
        fields: rules::AccountFields,
        roles: Vec<String>,
        now: SystemTime,
    ) -> Result<User, AddUserError> {
        let store = self.store().await?;
        let hash = self
            .hasher
            .hash(&fields.password)
            .await
            .map_err(DevIssuerError::from)?;
        let user = User {
            subject: uuid::Uuid::new_v4().to_string(),
            email: fields.email,
            name: fields.name,
            roles,
            // Whole seconds, as stored.
            created_at: UNIX_EPOCH + Duration::from_secs(users::unix(now).unsigned_abs()),
        };
        match store.insert_user(&user, &hash).await {
            Ok(()) => Ok(user),
            Err(users::InsertError::EmailTaken) => Err(AddUserError::EmailTaken(user.email)),
            Err(users::InsertError::Store(e)) => Err(DevIssuerError::from(e).into()),
        }
    }

    /// The account whose `sub` is `subject`.
    pub async fn user(&self, subject: &str) -> Result<Option<User>, DevIssuerError> {
        Ok(self.store().await?.user(subject).await?)
    }

    /// The account with `email`, compared case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, DevIssuerError> {
        Ok(self
            .store()
            .await?
            .account_by_email(email)
            .await?
            .map(|account| account.user))
    }

    async fn store(&self) -> Result<&Store, DevIssuerError> {
        Ok(self
            .store
            .get_or_try_init(|| Store::open(&self.options.users_db))
            .await?)
    }

    fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    fn web_client(&self) -> Option<&Client> {
        self.client(WEB_CLIENT_ID)
    }

    /// Signs `claims` with the issuer's key, naming it in `kid`.
    fn sign(&self, claims: &Value) -> Result<String, DevIssuerError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(DevIssuerError::Sign)
    }

    /// The claims of a token this issuer signed; `exp` checked unless `expired_ok`.
    fn decode_own(&self, token: &str, expired_ok: bool) -> Option<Value> {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.validate_exp = !expired_ok;
        validation.set_required_spec_claims(&["iss", "sub", "exp"]);
        jsonwebtoken::decode::<Value>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
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
        if let Some(email) = &request.email {
            claims["email"] = json!(email);
        }
        if let Some(name) = &request.name {
            claims["name"] = json!(name);
        }
        if let Some(audience) = &request.audience {
            claims["aud"] = json!(audience);
        }
        self.sign(&claims).map_err(|e| report(&e))
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// The OpenID Connect discovery document.
    pub fn discovery(&self) -> Value {
        let endpoint = |name: &str| format!("{}/protocol/openid-connect/{name}", self.issuer);
        json!({
            "issuer": self.issuer,
            "jwks_uri": endpoint("certs"),
            "authorization_endpoint": endpoint("auth"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("userinfo"),
            "end_session_endpoint": endpoint("logout"),
            "id_token_signing_alg_values_supported": ["ES256"],
            "userinfo_signing_alg_values_supported": ["none"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": tokens::SCOPES,
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "azp",
                "email", "email_verified", "name", "preferred_username", "realm_access",
            ],
            "prompt_values_supported": ["login"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        })
    }

    /// Discovery, JWKS and the OpenID Connect endpoints under the issuer URL's path, as
    /// Keycloak lays them out.
    pub fn router(self: Arc<Self>) -> Router {
        routes::router(self)
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
        assert_eq!(names.len(), 1, "nothing else is made on open: {names:?}");
    }

    #[test]
    fn errors_can_travel_between_threads() {
        fn sendable<T: std::error::Error + Send + Sync + 'static>() {}
        sendable::<DevIssuerError>();
        sendable::<AddUserError>();
    }

    #[test]
    fn paths_follow_keycloak() {
        assert_eq!(
            url_path("http://127.0.0.1:8080/realms/codeflix/"),
            "/realms/codeflix"
        );
        assert_eq!(url_path("https://sso.example.com"), "");
    }

    #[test]
    fn bad_redirect_patterns_are_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let options = DevIssuerOptions {
            web_redirect_uris: Some(vec!["javascript:alert(1)".into()]),
            ..DevIssuerOptions::default()
        };
        let error =
            DevIssuer::open_with(&dir.path().join("k"), "http://a/realms/r", options).unwrap_err();
        assert!(error.to_string().contains("javascript:alert(1)"), "{error}");
    }

    #[tokio::test]
    async fn accounts_are_added_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = DevIssuer::open(&dir.path().join("k"), "http://a/realms/r").unwrap();
        let ana = issuer
            .add_user(NewUser {
                email: "Ana@Example.com".into(),
                name: "Ana".into(),
                password: "correct horse".into(),
                roles: vec!["catalog-admin".into(), " ".into()],
            })
            .await
            .unwrap();
        assert_eq!(ana.roles, ["catalog-admin"]);
        assert!(uuid::Uuid::parse_str(&ana.subject).is_ok());
        assert_eq!(
            issuer.user_by_email("ana@example.COM").await.unwrap(),
            Some(ana.clone())
        );
        assert_eq!(issuer.user(&ana.subject).await.unwrap(), Some(ana));
        let twin = issuer
            .add_user(NewUser {
                email: "ANA@example.com".into(),
                name: "Other".into(),
                password: "another password".into(),
                roles: vec![],
            })
            .await;
        assert!(matches!(twin, Err(AddUserError::EmailTaken(_))), "{twin:?}");
        let bad = issuer
            .add_user(NewUser {
                email: "bea".into(),
                name: "Bea".into(),
                password: "short".into(),
                roles: vec![],
            })
            .await;
        assert!(matches!(bad, Err(AddUserError::Invalid(_))), "{bad:?}");
        assert!(issuer.users_db().exists());
    }
}
