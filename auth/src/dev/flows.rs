//! The protocol: authorization requests (RFC 6749 §4.1, RFC 7636 PKCE, RFC 9207 `iss`), the
//! sign-ins waiting for their page to be filled in, and the token endpoint's grants.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use url::Url;

use super::clients::{Client, Kind};
use super::key::random_secret;
use super::params::{Params, form_decode};
use super::tokens::{
    IdContext, Subject, access_claims, digest, granted_scope, id_claims, is_pkce_text, pkce_matches,
};
use super::users::{CodeGrant, Redeemed, RefreshGrant, Rotation, Session, Store, User, unix};
use super::{DevIssuer, DevIssuerError};

/// Parameters longer than this are refused (they end up in pages, URLs and the database).
const PARAM_MAX: usize = 2048;

/// A valid authorization request of a public client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorizationRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: String,
    /// The scopes granted, space-separated.
    pub(crate) scope: String,
}

/// Why an authorization request is refused, and how that is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The client, or where to send the browser back, cannot be trusted: said on a page, never
    /// by a redirect.
    Page(String),
    /// Said to the client at its redirect URI (the full URL, with `error`).
    Redirect(String),
}

/// `uri` with `pairs` added to its query.
pub(crate) fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> String {
    match Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// `path?request_id=id`: a link from one page of a pending sign-in to another.
pub(crate) fn redirect_with_path(path: &str, id: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("request_id", id)
        .finish();
    format!("{path}?{query}")
}

/// Checks an authorization request (RFC 6749 §4.1.1 and §4.1.2.1, RFC 7636 §4.4.1).
pub(crate) fn authorization_request(
    issuer: &DevIssuer,
    params: &Params,
) -> Result<AuthorizationRequest, Refusal> {
    let (client, redirect_uri) = trusted_client(issuer, params)?;
    let state = params.get("state");
    let refuse = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", issuer.issuer()));
        Refusal::Redirect(redirect_with(redirect_uri, &pairs))
    };
    if let Some(name) = params.repeated() {
        return Err(refuse(
            "invalid_request",
            &format!("{name} is given more than once"),
        ));
    }
    for name in ["state", "nonce", "scope", "code_challenge"] {
        if params.get(name).is_some_and(|v| v.len() > PARAM_MAX) {
            return Err(refuse(
                "invalid_request",
                &format!("{name} is longer than {PARAM_MAX} bytes"),
            ));
        }
    }
    if params.get("request").is_some() {
        return Err(refuse(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(refuse(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return Err(refuse("invalid_request", "response_type is missing")),
        Some(other) => {
            return Err(refuse(
                "unsupported_response_type",
                &format!("response_type {other} is not supported: use code"),
            ));
        }
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(refuse(
            "invalid_request",
            "only response_mode=query is supported",
        ));
    }
    if params
        .get("prompt")
        .is_some_and(|p| p.split_whitespace().any(|p| p == "none"))
    {
        return Err(refuse(
            "login_required",
            "this issuer keeps no browser session: it always asks for the password",
        ));
    }
    let Some(challenge) = params.get("code_challenge") else {
        return Err(refuse(
            "invalid_request",
            &format!(
                "code_challenge is required: {} uses PKCE with S256",
                client.id
            ),
        ));
    };
    if params.get("code_challenge_method") != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not accepted)",
        ));
    }
    if challenge.len() != 43 || !is_pkce_text(challenge) {
        return Err(refuse(
            "invalid_request",
            "code_challenge is not an S256 challenge (43 characters of base64url)",
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: challenge.to_owned(),
        scope: granted_scope(params.get("scope")),
    })
}

/// The public client the request names and the registered redirect URI it gives, or the page
/// that says why they cannot be trusted.
fn trusted_client<'a>(
    issuer: &'a DevIssuer,
    params: &'a Params,
) -> Result<(&'a Client, &'a str), Refusal> {
    if let Some(name @ ("client_id" | "redirect_uri")) = params.repeated() {
        return Err(Refusal::Page(format!("{name} is given more than once")));
    }
    let Some(client_id) = params.get("client_id") else {
        return Err(Refusal::Page(
            "the request names no application (client_id)".into(),
        ));
    };
    let Some(client) = issuer.client(client_id) else {
        return Err(Refusal::Page(format!(
            "there is no application {client_id}"
        )));
    };
    if !matches!(client.kind, Kind::Public { .. }) {
        return Err(Refusal::Page(format!(
            "the application {client_id} does not sign people in through the browser"
        )));
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(Refusal::Page(
            "the request says nowhere to return to (redirect_uri)".into(),
        ));
    };
    if !client.accepts_redirect(redirect_uri) {
        return Err(Refusal::Page(format!(
            "{redirect_uri} is not an address registered for {client_id}"
        )));
    }
    Ok((client, redirect_uri))
}

/// An authorization request whose sign-in page is being filled in.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) request: AuthorizationRequest,
    /// The token the page's forms carry.
    pub(crate) csrf_token: String,
    /// The cookie the browser that opened the page holds.
    pub(crate) browser: String,
    expires: Instant,
}

/// Pending sign-ins kept at most; beyond, the one expiring soonest is dropped.
const PENDING_MAX: usize = 10_000;

/// Sign-ins waiting for their page, by request id, in memory: a restart asks the application
/// to start again.
#[derive(Debug)]
pub(crate) struct PendingRequests {
    lifetime: Duration,
    requests: Mutex<HashMap<String, Pending>>,
}

impl PendingRequests {
    pub(crate) fn new(lifetime: Duration) -> PendingRequests {
        PendingRequests {
            lifetime,
            requests: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers `request` for the browser holding the cookie `browser`; answers its id and
    /// what is remembered.
    pub(crate) fn insert(
        &self,
        request: AuthorizationRequest,
        browser: &str,
        now: Instant,
    ) -> (String, Pending) {
        let id = random_secret();
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if requests.len() >= PENDING_MAX {
            requests.retain(|_, p| p.expires > now);
            if requests.len() >= PENDING_MAX {
                let soonest = requests
                    .iter()
                    .min_by_key(|(_, p)| p.expires)
                    .map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    requests.remove(&soonest);
                }
            }
        }
        let pending = Pending {
            request,
            csrf_token: random_secret(),
            browser: browser.to_owned(),
            expires: now + self.lifetime,
        };
        requests.insert(id.clone(), pending.clone());
        (id, pending)
    }

    /// The pending sign-in `id`, unless it expired.
    pub(crate) fn get(&self, id: &str, now: Instant) -> Option<Pending> {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        match requests.get(id) {
            Some(pending) if pending.expires > now => Some(pending.clone()),
            Some(_) => {
                requests.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends the pending sign-in `id`: its page cannot be sent again.
    pub(crate) fn remove(&self, id: &str) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// Starts a session of `user` for `request` and answers where to send the browser: the
/// redirect URI with a fresh code.
pub(crate) async fn issue_code(
    issuer: &DevIssuer,
    request: &AuthorizationRequest,
    user: &User,
    now: SystemTime,
) -> Result<String, DevIssuerError> {
    let store = issuer.store().await?;
    let now = unix(now);
    let lifetimes = &issuer.options.lifetimes;
    store.prune(now).await?;
    let session = Session {
        id: uuid::Uuid::new_v4().to_string(),
        subject: user.subject.clone(),
        client_id: request.client_id.clone(),
        auth_time: now,
        expires_at: now + seconds(lifetimes.session),
    };
    store.start_session(&session).await?;
    let code = random_secret();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        nonce: request.nonce.clone(),
        scope: request.scope.clone(),
        session_id: session.id,
    };
    store
        .save_code(&digest(&code), &grant, now + seconds(lifetimes.code))
        .await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer.issuer()));
    Ok(redirect_with(&request.redirect_uri, &pairs))
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

/// A token endpoint error (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) status: u16,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>) -> OAuthError {
        OAuthError::new(401, "invalid_client", description)
    }

    fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_grant", description)
    }

    /// A fault of the issuer: logged with its causes, answered without them.
    fn server_error(error: &dyn std::error::Error) -> OAuthError {
        tracing::error!(error = %crate::dev::report(error), "token endpoint");
        OAuthError::new(500, "server_error", "the issuer failed; see its log")
    }

    pub(crate) fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

impl From<DevIssuerError> for OAuthError {
    fn from(error: DevIssuerError) -> OAuthError {
        OAuthError::server_error(&error)
    }
}

/// The token endpoint: authenticates the client, then runs the grant it asks for.
pub(crate) async fn token(
    issuer: &DevIssuer,
    params: &Params,
    authorization: Option<&str>,
    now: SystemTime,
) -> Result<Value, OAuthError> {
    if let Some(name) = params.repeated() {
        return Err(OAuthError::invalid_request(format!(
            "{name} is given more than once"
        )));
    }
    let client = authenticate(issuer, params, authorization).await?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let public = matches!(client.kind, Kind::Public { .. });
    match grant_type {
        "authorization_code" | "refresh_token" | "client_credentials"
            if public == (grant_type == "client_credentials") =>
        {
            Err(OAuthError::new(
                400,
                "unauthorized_client",
                format!("{} may not use the {grant_type} grant", client.id),
            ))
        }
        "authorization_code" => code_grant(issuer, client, params, now).await,
        "refresh_token" => refresh_grant(issuer, client, params, now).await,
        "client_credentials" => service_grant(issuer, client, params, now),
        other => Err(OAuthError::new(
            400,
            "unsupported_grant_type",
            format!(
                "{other} is not supported: use authorization_code, refresh_token or client_credentials"
            ),
        )),
    }
}

/// The client the request comes from: public clients name themselves (`client_id`),
/// confidential ones prove it with their secret, by HTTP Basic or in the body (RFC 6749 §2.3.1).
async fn authenticate<'a>(
    issuer: &'a DevIssuer,
    params: &Params,
    authorization: Option<&str>,
) -> Result<&'a Client, OAuthError> {
    let basic = match authorization {
        Some(header) => Some(basic_credentials(header)?),
        None => None,
    };
    if basic.is_some() && params.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "the client authenticates twice (HTTP Basic and client_secret)",
        ));
    }
    let (client_id, secret) = match (&basic, params.get("client_id")) {
        (Some((id, _)), Some(named)) if id != named => {
            return Err(OAuthError::invalid_request(
                "client_id differs from the client authenticated",
            ));
        }
        (Some((id, secret)), _) => (id.as_str(), Some(secret.as_str())),
        (None, Some(id)) => (id, params.get("client_secret")),
        (None, None) => return Err(OAuthError::invalid_client("no client_id")),
    };
    let client = issuer
        .client(client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("there is no client {client_id}")))?;
    match (&client.kind, secret) {
        (Kind::Public { .. }, None) => Ok(client),
        (Kind::Public { .. }, Some(_)) => Err(OAuthError::invalid_client(format!(
            "{client_id} is a public client: it has no secret"
        ))),
        (Kind::Confidential, None) => Err(OAuthError::invalid_client(format!(
            "{client_id} must authenticate with its secret"
        ))),
        (Kind::Confidential, Some(secret)) => {
            let expected = issuer.admin_client_secret().await?;
            // Digests compared: no early exit on the secret's first differing byte.
            if digest(secret) == digest(&expected) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client("the client secret is wrong"))
            }
        }
    }
}

fn basic_credentials(header: &str) -> Result<(String, String), OAuthError> {
    use base64::Engine;
    let refuse = || OAuthError::invalid_client("the Authorization header is not HTTP Basic");
    let (scheme, encoded) = header.split_once(' ').ok_or_else(refuse)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(refuse());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| refuse())?;
    let text = String::from_utf8(decoded).map_err(|_| refuse())?;
    let (id, secret) = text.split_once(':').ok_or_else(refuse)?;
    Ok((
        form_decode(id).ok_or_else(refuse)?,
        form_decode(secret).ok_or_else(refuse)?,
    ))
}

async fn code_grant(
    issuer: &DevIssuer,
    client: &Client,
    params: &Params,
    now: SystemTime,
) -> Result<Value, OAuthError> {
    let required = |name: &str| {
        params
            .get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
    };
    let code = required("code")?;
    let redirect_uri = required("redirect_uri")?;
    let verifier = required("code_verifier")?;
    let store = issuer.store().await?;
    let grant = match store
        .redeem_code(&digest(code), unix(now))
        .await
        .map_err(|e| OAuthError::server_error(&e))?
    {
        Redeemed::Fresh(grant) => grant,
        Redeemed::Reused => {
            tracing::warn!(client = %client.id, "an authorization code was presented again: its session is revoked");
            return Err(OAuthError::invalid_grant(
                "the code was used before: what it issued is revoked",
            ));
        }
        Redeemed::Invalid => {
            return Err(OAuthError::invalid_grant("the code is unknown or expired"));
        }
    };
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !pkce_matches(verifier, &grant.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let session = store
        .active_session(&grant.session_id, unix(now))
        .await
        .map_err(|e| OAuthError::server_error(&e))?
        .ok_or_else(|| OAuthError::invalid_grant("the session has ended"))?;
    let refresh = random_secret();
    let refresh_expires =
        (unix(now) + seconds(issuer.options.lifetimes.refresh)).min(session.expires_at);
    let refresh_grant = RefreshGrant {
        session,
        client_id: client.id.clone(),
        scope: grant.scope.clone(),
    };
    store
        .issue_refresh(&digest(&refresh), &refresh_grant, refresh_expires)
        .await
        .map_err(|e| OAuthError::server_error(&e))?;
    user_tokens(
        issuer,
        store,
        &refresh_grant,
        grant.nonce.as_deref(),
        (refresh, refresh_expires),
        now,
    )
    .await
}

async fn refresh_grant(
    issuer: &DevIssuer,
    client: &Client,
    params: &Params,
    now: SystemTime,
) -> Result<Value, OAuthError> {
    let old = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let store = issuer.store().await?;
    let new = random_secret();
    let expires = unix(now) + seconds(issuer.options.lifetimes.refresh);
    let rotation = store
        .rotate_refresh(&digest(old), &digest(&new), &client.id, unix(now), expires)
        .await
        .map_err(|e| OAuthError::server_error(&e))?;
    match rotation {
        Rotation::Rotated(grant) => {
            let expires = expires.min(grant.session.expires_at);
            user_tokens(issuer, store, &grant, None, (new, expires), now).await
        }
        Rotation::Reused => {
            tracing::warn!(client = %client.id, "a rotated refresh token was presented again: its family is revoked");
            Err(OAuthError::invalid_grant(
                "the refresh token was used before: its session is revoked",
            ))
        }
        Rotation::Invalid => Err(OAuthError::invalid_grant(
            "the refresh token is unknown, expired or revoked",
        )),
    }
}

/// The answer of a user's grant: an access token, an ID token when `openid` was granted, and
/// the refresh token issued with it.
async fn user_tokens(
    issuer: &DevIssuer,
    store: &Store,
    grant: &RefreshGrant,
    nonce: Option<&str>,
    (refresh, refresh_expires): (String, i64),
    now: SystemTime,
) -> Result<Value, OAuthError> {
    let user = store
        .user(&grant.session.subject)
        .await
        .map_err(|e| OAuthError::server_error(&e))?
        .ok_or_else(|| OAuthError::invalid_grant("the account no longer exists"))?;
    let iat = u64::try_from(unix(now)).unwrap_or(0);
    let lifetime = issuer.options.lifetimes.access.as_secs();
    let username = user.email.to_lowercase();
    let subject = Subject {
        sub: &user.subject,
        username: &username,
        roles: &user.roles,
        user: Some(&user),
        session_id: Some(&grant.session.id),
    };
    let access = access_claims(
        issuer.issuer(),
        &grant.client_id,
        &subject,
        &grant.scope,
        iat,
        lifetime,
    );
    let mut answer = json!({
        "access_token": issuer.sign(&access)?,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "refresh_token": refresh,
        "refresh_expires_in": (refresh_expires - unix(now)).max(0),
        "scope": grant.scope,
        "session_state": grant.session.id,
    });
    if grant.scope.split(' ').any(|s| s == "openid") {
        let context = IdContext {
            client_id: &grant.client_id,
            session_id: &grant.session.id,
            auth_time: grant.session.auth_time,
            nonce,
        };
        let id = id_claims(issuer.issuer(), &user, &context, iat, lifetime);
        answer["id_token"] = json!(issuer.sign(&id)?);
    }
    Ok(answer)
}

/// `client_credentials`: a token for the client's service account, with the roles the issuer
/// gives it; no refresh token (the client asks again).
fn service_grant(
    issuer: &DevIssuer,
    client: &Client,
    params: &Params,
    now: SystemTime,
) -> Result<Value, OAuthError> {
    let username = format!("service-account-{}", client.id);
    let sub = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{}/service-account/{}", issuer.issuer(), client.id).as_bytes(),
    )
    .to_string();
    let subject = Subject {
        sub: &sub,
        username: &username,
        roles: &issuer.options.service_account_roles,
        user: None,
        session_id: None,
    };
    let scope = granted_scope(params.get("scope"));
    let iat = u64::try_from(unix(now)).unwrap_or(0);
    let lifetime = issuer.options.lifetimes.access.as_secs();
    let access = access_claims(issuer.issuer(), &client.id, &subject, &scope, iat, lifetime);
    Ok(json!({
        "access_token": issuer.sign(&access)?,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "refresh_expires_in": 0,
        "scope": scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_uris_own_query() {
        assert_eq!(
            redirect_with(
                "http://127.0.0.1:5000/cb?app=1",
                &[("code", "a b"), ("state", "s")]
            ),
            "http://127.0.0.1:5000/cb?app=1&code=a+b&state=s"
        );
    }

    #[test]
    fn pending_sign_ins_expire() {
        let pending = PendingRequests::new(Duration::from_secs(60));
        let request = AuthorizationRequest {
            client_id: "codeflix-web".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: None,
            nonce: None,
            code_challenge: "c".into(),
            scope: String::new(),
        };
        let now = Instant::now();
        let (id, _) = pending.insert(request.clone(), "browser", now);
        let found = pending.get(&id, now + Duration::from_secs(59)).unwrap();
        assert_eq!(found.request, request);
        assert_eq!(found.browser, "browser");
        assert_ne!(found.csrf_token, id);
        assert!(pending.get(&id, now + Duration::from_secs(60)).is_none());
        assert!(pending.get(&id, now).is_none(), "forgotten once expired");
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        use base64::Engine;
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("codeflix-admin:s%3Acret")
        );
        assert_eq!(
            basic_credentials(&header).unwrap(),
            ("codeflix-admin".to_owned(), "s:cret".to_owned())
        );
        assert_eq!(
            basic_credentials("Bearer x").unwrap_err().error,
            "invalid_client"
        );
    }
}
