//! The authorization request (RFC 6749 §4.1, RFC 7636 PKCE, RFC 9207 `iss`): its checks, the
//! sign-ins waiting for their page to be filled in, and the code that ends one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use super::clients::{Client, Kind};
use super::key::random_secret;
use super::params::Params;
use super::tokens::{digest, granted_scope, is_pkce_text};
use super::users::{CodeGrant, Session, User, unix};
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

pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
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
}
