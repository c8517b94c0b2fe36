//! The development issuer as a [`crate::RoleAdmin`]: roles changed in its own user store, seen
//! in the account's tokens from its next sign-in or refresh.

use super::{DevIssuer, DevIssuerError};

#[async_trait::async_trait]
impl crate::RoleAdmin for DevIssuer {
    async fn set_roles(
        &self,
        subject: &str,
        roles: &[String],
    ) -> Result<(), crate::RoleAdminError> {
        let unavailable = |e: DevIssuerError| crate::RoleAdminError::Unavailable(Box::new(e));
        let user = self
            .user(subject)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| crate::RoleAdminError::UnknownSubject(subject.to_owned()))?;
        let managed = crate::grantable();
        if let Some(unknown) = roles.iter().find(|r| !managed.contains(&r.as_str())) {
            return Err(crate::RoleAdminError::UnknownRole(unknown.clone()));
        }
        // Roles Codeflix does not manage stay as they are.
        let mut kept: Vec<String> = user
            .roles
            .into_iter()
            .filter(|r| !managed.contains(&r.as_str()))
            .chain(roles.iter().cloned())
            .collect();
        kept.sort();
        kept.dedup();
        let store = self.store().await.map_err(unavailable)?;
        match store.set_roles(subject, &kept).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(crate::RoleAdminError::UnknownSubject(subject.to_owned())),
            Err(e) => Err(crate::RoleAdminError::Unavailable(Box::new(e))),
        }
    }

    async fn roles(&self, subject: &str) -> Result<Vec<String>, crate::RoleAdminError> {
        let user = self
            .user(subject)
            .await
            .map_err(|e| crate::RoleAdminError::Unavailable(Box::new(e)))?
            .ok_or_else(|| crate::RoleAdminError::UnknownSubject(subject.to_owned()))?;
        let managed = crate::grantable();
        let mut roles: Vec<String> = user
            .roles
            .into_iter()
            .filter(|r| managed.contains(&r.as_str()))
            .collect();
        roles.sort();
        Ok(roles)
    }
}
