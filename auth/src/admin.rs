//! Granting roles at the identity provider, for admins who change what an account may do.
//!
//! Roles live where tokens are made: [`RoleAdmin::set_roles`] changes them there, and they reach
//! the APIs with the account's next token (a sign-in, or a refresh). The development issuer is
//! one adapter (its own user store); Keycloak's admin REST API is the other
//! ([`KeycloakRoles`]). Only the roles Codeflix knows ([`grantable`]) are managed: others an
//! account holds at Keycloak (its default composite, `offline_access`, …) are left alone.

use std::time::Duration;

use serde_json::Value;

use crate::Role;

/// What went wrong granting roles.
#[derive(Debug, thiserror::Error)]
pub enum RoleAdminError {
    /// The identity provider has no user with this subject.
    #[error("the identity provider has no user {0}")]
    UnknownSubject(String),
    /// A role the identity provider does not define.
    #[error("the identity provider defines no role {0}")]
    UnknownRole(String),
    /// The identity provider could not be asked, or failed.
    #[error("the identity provider's administration is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

fn unavailable(e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> RoleAdminError {
    RoleAdminError::Unavailable(e.into())
}

/// The roles admins may grant: every role Codeflix checks, and the customers'.
pub fn grantable() -> Vec<&'static str> {
    let mut roles: Vec<&'static str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    roles.push(crate::VIEWER_ROLE);
    roles
}

/// Changes which of the [`grantable`] roles an account holds at the identity provider.
#[async_trait::async_trait]
pub trait RoleAdmin: Send + Sync + std::fmt::Debug {
    /// Makes `roles` exactly the grantable roles `subject` holds.
    async fn set_roles(&self, subject: &str, roles: &[String]) -> Result<(), RoleAdminError>;

    /// The grantable roles `subject` holds, sorted.
    async fn roles(&self, subject: &str) -> Result<Vec<String>, RoleAdminError>;
}

/// Keycloak's admin REST API, reached as a confidential client whose service account may manage
/// users (the realm export gives `codeflix-admin` realm-management's `manage-users` and
/// `view-realm`).
#[derive(Debug, Clone)]
pub struct KeycloakRoles {
    /// `{base}/realms/{realm}` as this service reaches it (inside a compose network, not what
    /// browsers see).
    realm_url: String,
    /// `{base}/admin/realms/{realm}`.
    admin_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
}

impl KeycloakRoles {
    /// `realm_url` is `{base}/realms/{realm}`.
    pub fn new(
        realm_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<KeycloakRoles, RoleAdminError> {
        let realm_url = realm_url.trim_end_matches('/').to_owned();
        let (base, realm) = realm_url
            .rsplit_once("/realms/")
            .filter(|(base, realm)| !base.is_empty() && !realm.is_empty() && !realm.contains('/'))
            .ok_or_else(|| {
                unavailable(format!(
                    "{} is not a Keycloak realm URL ({{base}}/realms/{{realm}})",
                    redacted(&realm_url)
                ))
            })?;
        let admin_url = format!("{base}/admin/realms/{realm}");
        Ok(KeycloakRoles {
            realm_url: realm_url.clone(),
            admin_url,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(unavailable)?,
        })
    }

    /// A token of the service account (fetched per change: role changes are rare).
    async fn token(&self) -> Result<String, RoleAdminError> {
        let answer = self
            .http
            .post(format!("{}/protocol/openid-connect/token", self.realm_url))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(unavailable)?;
        let status = answer.status();
        let body: Value = answer.json().await.map_err(unavailable)?;
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unavailable(format!("the token endpoint answered {status}")))
    }

    async fn get(&self, token: &str, path: &str) -> Result<Option<Value>, RoleAdminError> {
        let answer = self
            .http
            .get(format!("{}{path}", self.admin_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(unavailable)?;
        match answer.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => answer.json().await.map(Some).map_err(unavailable),
            status => Err(unavailable(format!("GET {path} answered {status}"))),
        }
    }

    /// The realm role mappings of `subject`, as Keycloak represents them.
    async fn mappings(&self, token: &str, subject: &str) -> Result<Vec<Value>, RoleAdminError> {
        let path = format!("/users/{}/role-mappings/realm", encode(subject));
        match self.get(token, &path).await? {
            Some(Value::Array(roles)) => Ok(roles),
            Some(other) => Err(unavailable(format!("GET {path} answered {other}"))),
            None => Err(RoleAdminError::UnknownSubject(subject.to_owned())),
        }
    }

    async fn change(
        &self,
        token: &str,
        subject: &str,
        method: reqwest::Method,
        roles: &[Value],
    ) -> Result<(), RoleAdminError> {
        if roles.is_empty() {
            return Ok(());
        }
        let path = format!("/users/{}/role-mappings/realm", encode(subject));
        let answer = self
            .http
            .request(method.clone(), format!("{}{path}", self.admin_url))
            .bearer_auth(token)
            .json(&roles)
            .send()
            .await
            .map_err(unavailable)?;
        match answer.status() {
            reqwest::StatusCode::NOT_FOUND => {
                Err(RoleAdminError::UnknownSubject(subject.to_owned()))
            }
            status if status.is_success() => Ok(()),
            status => Err(unavailable(format!("{method} {path} answered {status}"))),
        }
    }
}

/// `segment` as one path segment.
fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A URL without its password, for errors.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "the configured URL".to_owned(),
    }
}

fn name(role: &Value) -> Option<&str> {
    role["name"].as_str()
}

#[async_trait::async_trait]
impl RoleAdmin for KeycloakRoles {
    async fn set_roles(&self, subject: &str, roles: &[String]) -> Result<(), RoleAdminError> {
        let token = self.token().await?;
        let managed = grantable();
        let held = self.mappings(&token, subject).await?;
        let remove: Vec<Value> = held
            .iter()
            .filter(|r| {
                name(r).is_some_and(|n| managed.contains(&n) && !roles.iter().any(|w| w == n))
            })
            .cloned()
            .collect();
        let mut add = Vec::new();
        for wanted in roles {
            if held.iter().any(|r| name(r) == Some(wanted.as_str())) {
                continue;
            }
            match self
                .get(&token, &format!("/roles/{}", encode(wanted)))
                .await?
            {
                Some(role) => add.push(role),
                None => return Err(RoleAdminError::UnknownRole(wanted.clone())),
            }
        }
        self.change(&token, subject, reqwest::Method::POST, &add)
            .await?;
        self.change(&token, subject, reqwest::Method::DELETE, &remove)
            .await
    }

    async fn roles(&self, subject: &str) -> Result<Vec<String>, RoleAdminError> {
        let token = self.token().await?;
        let managed = grantable();
        let mut roles: Vec<String> = self
            .mappings(&token, subject)
            .await?
            .iter()
            .filter_map(name)
            .filter(|n| managed.contains(n))
            .map(str::to_owned)
            .collect();
        roles.sort();
        Ok(roles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_urls_give_the_admin_api() {
        let keycloak =
            KeycloakRoles::new("http://keycloak:8080/realms/codeflix/", "c", "s").unwrap();
        assert_eq!(
            keycloak.admin_url,
            "http://keycloak:8080/admin/realms/codeflix"
        );
        assert_eq!(keycloak.realm_url, "http://keycloak:8080/realms/codeflix");
        for bad in [
            "http://keycloak:8080",
            "http://keycloak:8080/realms/",
            "http://k/realms/a/b",
        ] {
            assert!(KeycloakRoles::new(bad, "c", "s").is_err(), "{bad}");
        }
    }

    #[test]
    fn subjects_are_one_path_segment() {
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }
}
