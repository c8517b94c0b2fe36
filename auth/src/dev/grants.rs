//! The token endpoint's grants (RFC 6749 §4.1.3, §6, §4.4): the authorization code with its
//! PKCE verifier, rotating refresh tokens, and client credentials; clients authenticated per
//! §2.3.1.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::clients::{Client, Kind};
use super::flows::seconds;
use super::key::random_secret;
use super::params::{Params, form_decode};
use super::tokens::{
    IdContext, Subject, access_claims, digest, granted_scope, id_claims, pkce_matches,
};
use super::users::{Redeemed, RefreshGrant, Rotation, Store, unix};
use super::{DevIssuer, DevIssuerError};

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
