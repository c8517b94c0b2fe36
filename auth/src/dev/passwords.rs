//! Password hashes: argon2id at OWASP's parameters, in PHC strings, computed off the async
//! threads and a few at a time (each takes 19 MiB and tens of milliseconds).

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OnceCell, Semaphore};

use super::rules::Password;

/// OWASP's password storage cheat sheet: argon2id, 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Hashes computed at once, at most; more wait.
const AT_ONCE: usize = 4;

/// Why a password could not be hashed or checked (never because it is wrong).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("hashing a password: {0}")]
    Argon2(String),
    #[error("hashing a password: the worker stopped")]
    Worker(#[source] tokio::task::JoinError),
}

/// Hashes and checks passwords.
pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, checked when an account does not exist, so that an unknown
    /// email takes as long to refuse as a wrong password.
    dummy: OnceCell<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(32))
        .map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

impl Hasher {
    pub(crate) fn new() -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(AT_ONCE)),
            dummy: OnceCell::new(),
        }
    }

    /// The PHC string of `password` with a fresh random salt (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub(crate) async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        self.blocking(move || {
            argon2()?
                .hash_password(password.expose().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| HashError::Argon2(e.to_string()))
        })
        .await
    }

    /// Whether `password` matches `hash`, or, with no hash (no such account), the same work
    /// against a dummy hash, answering false.
    pub(crate) async fn verify(
        &self,
        password: &Password,
        hash: Option<&str>,
    ) -> Result<bool, HashError> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy().await?.to_owned(), false),
        };
        let password = password.clone();
        let matches = self
            .blocking(move || {
                Ok(argon2()?
                    .verify_password(password.expose().as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(real && matches)
    }

    async fn dummy(&self) -> Result<&String, HashError> {
        self.dummy
            .get_or_try_init(|| async {
                let random = Password::new(super::key::random_secret());
                self.hash(&random).await
            })
            .await
    }

    /// Runs `work` on the blocking threads, at most [`AT_ONCE`] at a time: the permit goes with
    /// the work, so a caller that stops waiting does not free its place early.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        // The semaphore is never closed.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let done = work();
            drop(permit);
            done
        })
        .await
        .map_err(HashError::Worker)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_cost_and_verify() {
        let hasher = Hasher::new();
        let password = Password::new("correct horse battery");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        assert!(
            !hasher
                .verify(&Password::new("wrong horse battery"), Some(&hash))
                .await
                .unwrap()
        );
        assert_ne!(hash, hasher.hash(&password).await.unwrap(), "salted");
        assert!(!hasher.verify(&password, None).await.unwrap());
    }
}
