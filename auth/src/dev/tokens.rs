//! What the tokens say: access tokens as Keycloak writes them (so the
//! [`Verifier`](crate::Verifier) reads them as it reads Keycloak's), ID tokens per OpenID Connect
//! Core, and the opaque secrets (codes, refresh tokens) kept by their digest only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::users::User;
use crate::DEFAULT_CLIENT_ID;

/// The scopes granted when asked for; others asked for are ignored (RFC 6749 §3.3).
pub(crate) const SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The SHA-256 of an opaque secret, as stored: base64url.
pub(crate) fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `verifier` is a PKCE code verifier (RFC 7636 §4.1) whose S256 challenge is
/// `challenge`.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    is_pkce_text(verifier) && digest(verifier) == challenge
}

/// 43 to 128 characters of `[A-Za-z0-9-._~]`: the shape of code verifiers, and of S256
/// challenges (43 characters of base64url).
pub(crate) fn is_pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The scopes of `requested` that are granted, space-separated, in [`SCOPES`]' order.
pub(crate) fn granted_scope(requested: Option<&str>) -> String {
    let asked: Vec<&str> = requested.unwrap_or("").split_whitespace().collect();
    SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Who a token is about and for whom: a user signed in to a client, or a service account.
#[derive(Debug, Clone)]
pub(crate) struct Subject<'a> {
    pub(crate) sub: &'a str,
    pub(crate) username: &'a str,
    pub(crate) roles: &'a [String],
    /// A user's email and name; none for a service account.
    pub(crate) user: Option<&'a User>,
    pub(crate) session_id: Option<&'a str>,
}

/// The claims of an access token: `azp` the client it was issued to, and `aud` naming
/// [`DEFAULT_CLIENT_ID`] for the other clients (what Keycloak's audience mapper adds), so the
/// APIs accept it with their default configuration.
pub(crate) fn access_claims(
    issuer: &str,
    client_id: &str,
    subject: &Subject<'_>,
    scope: &str,
    iat: u64,
    lifetime: u64,
) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "sub": subject.sub,
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime,
        "jti": uuid::Uuid::new_v4().to_string(),
        "typ": "Bearer",
        "azp": client_id,
        "scope": scope,
        "preferred_username": subject.username,
        "realm_access": { "roles": subject.roles },
    });
    if client_id != DEFAULT_CLIENT_ID {
        claims["aud"] = json!([DEFAULT_CLIENT_ID]);
    }
    if let Some(sid) = subject.session_id {
        claims["sid"] = json!(sid);
    }
    if let Some(user) = subject.user {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(false);
        claims["name"] = json!(user.name);
    }
    claims
}

/// What an ID token says besides the user.
#[derive(Debug, Clone)]
pub(crate) struct IdContext<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) session_id: &'a str,
    pub(crate) auth_time: i64,
    pub(crate) nonce: Option<&'a str>,
}

/// The claims of an ID token (OpenID Connect Core §2): for the client alone (`aud`).
pub(crate) fn id_claims(
    issuer: &str,
    user: &User,
    context: &IdContext<'_>,
    iat: u64,
    lifetime: u64,
) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "sub": user.subject,
        "aud": context.client_id,
        "azp": context.client_id,
        "iat": iat,
        "exp": iat + lifetime,
        "auth_time": context.auth_time,
        "typ": "ID",
        "sid": context.session_id,
        "email": user.email,
        "email_verified": false,
        "name": user.name,
        "preferred_username": user.email.to_lowercase(),
    });
    if let Some(nonce) = context.nonce {
        claims["nonce"] = json!(nonce);
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_follows_rfc_7636() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(challenge, challenge));
        assert!(!pkce_matches("short", &digest("short")));
    }

    #[test]
    fn only_known_scopes_are_granted() {
        assert_eq!(
            granted_scope(Some("email openid offline_access")),
            "openid email"
        );
        assert_eq!(granted_scope(None), "");
    }

    #[test]
    fn web_access_tokens_name_the_admin_client_as_audience() {
        let roles = vec!["viewer".to_owned()];
        let subject = Subject {
            sub: "s",
            username: "u",
            roles: &roles,
            user: None,
            session_id: Some("sid"),
        };
        let web = access_claims("http://i", "codeflix-web", &subject, "openid", 10, 300);
        assert_eq!(web["aud"], json!(["codeflix-admin"]));
        assert_eq!(web["azp"], "codeflix-web");
        assert_eq!(web["exp"], 310);
        assert_eq!(web["sid"], "sid");
        let admin = access_claims("http://i", "codeflix-admin", &subject, "", 10, 300);
        assert!(admin.get("aud").is_none());
    }
}
