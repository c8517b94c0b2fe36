//! The development issuer's state in SQLite: accounts, sessions, authorization codes and
//! refresh tokens. Codes and refresh tokens are kept by their SHA-256 only; passwords by their
//! argon2id hash only.
//!
//! A session is what one sign-in started; its refresh tokens form one family (each refresh
//! rotates the token). A rotated token presented again means it was stolen, or the client
//! failed: the whole family is revoked and the session ends. An authorization code redeemed a
//! second time revokes what its first redemption issued, the same way.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libsql::{Connection, TransactionBehavior, params};
use tokio::sync::Mutex;

/// An account at the development issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The stable id tokens carry in `sub`: a UUID.
    pub subject: String,
    /// As typed at registration; unique case-insensitively.
    pub email: String,
    /// The name to show (`name` in tokens).
    pub name: String,
    /// Realm roles, as tokens carry them in `realm_access.roles`.
    pub roles: Vec<String>,
    pub created_at: SystemTime,
}

/// An account with its password hash, for signing in only.
pub(crate) struct Account {
    pub(crate) user: User,
    pub(crate) password_hash: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Why the store failed (never because of what a client sent).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} in the development issuer's database")]
    Sql {
        what: &'static str,
        #[source]
        source: libsql::Error,
    },
    #[error("preparing the development issuer's database {}", path.display())]
    File {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the development issuer's database holds {0}")]
    Corrupt(String),
}

trait Context<T> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, libsql::Error> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql { what, source })
    }
}

/// Adding an account failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InsertError {
    #[error("an account with this email address exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an authorization code grants, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) nonce: Option<String>,
    pub(crate) scope: String,
    pub(crate) session_id: String,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Redeemed {
    Fresh(CodeGrant),
    /// Redeemed before: its session was ended and its refresh tokens revoked.
    Reused,
    /// Unknown or expired.
    Invalid,
}

/// A session: what one sign-in started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) client_id: String,
    pub(crate) auth_time: i64,
    pub(crate) expires_at: i64,
}

/// What a refresh token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefreshGrant {
    pub(crate) session: Session,
    pub(crate) client_id: String,
    pub(crate) scope: String,
}

/// What rotating a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rotation {
    /// The token was current: it is rotated, the new one issued.
    Rotated(RefreshGrant),
    /// The token was rotated before: the family is revoked, the session ended.
    Reused,
    /// Unknown, expired, revoked, or its session ended.
    Invalid,
}

/// Seconds since the Unix epoch.
pub(crate) fn unix(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn from_unix(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    subject TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL REFERENCES users (subject),
    client_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE TABLE IF NOT EXISTS authorization_codes (
    code_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce TEXT,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_session ON refresh_tokens (session_id);
";

/// The store: one connection, one writer at a time; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    conn: Arc<Mutex<Connection>>,
}

/// Creates the database file with mode 0600 if it is missing (SQLite gives its journal files
/// the database file's mode).
fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub(crate) async fn open(path: &Path) -> Result<Store, StoreError> {
        create_private(path).map_err(|source| StoreError::File {
            path: path.to_owned(),
            source,
        })?;
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .ctx("opening the database")?;
        let conn = db.connect().ctx("connecting")?;
        conn.busy_timeout(Duration::from_secs(10))
            .ctx("setting the busy timeout")?;
        conn.query("PRAGMA journal_mode=WAL", ())
            .await
            .ctx("choosing the journal")?;
        conn.execute("PRAGMA foreign_keys=ON", ())
            .await
            .ctx("enabling foreign keys")?;
        conn.execute_batch(SCHEMA)
            .await
            .ctx("creating the schema")?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) async fn insert_user(&self, user: &User, hash: &str) -> Result<(), InsertError> {
        let roles = serde_json::to_string(&user.roles)
            .map_err(|e| StoreError::Corrupt(format!("unencodable roles: {e}")))?;
        let conn = self.conn.lock().await;
        let inserted = conn
            .execute(
                "INSERT INTO users (subject, email, email_key, name, roles, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (email_key) DO NOTHING",
                params![
                    user.subject.as_str(),
                    user.email.as_str(),
                    super::rules::email_key(&user.email),
                    user.name.as_str(),
                    roles,
                    hash,
                    unix(user.created_at)
                ],
            )
            .await
            .ctx("adding an account")?;
        if inserted == 0 {
            return Err(InsertError::EmailTaken);
        }
        Ok(())
    }

    /// The account with `email` (compared case-insensitively), with its password hash.
    pub(crate) async fn account_by_email(
        &self,
        email: &str,
    ) -> Result<Option<Account>, StoreError> {
        let conn = self.conn.lock().await;
        let mut rows = conn
            .query(
                "SELECT subject, email, name, roles, created_at, password_hash
                 FROM users WHERE email_key = ?1",
                params![super::rules::email_key(email)],
            )
            .await
            .ctx("reading an account")?;
        let Some(row) = rows.next().await.ctx("reading an account")? else {
            return Ok(None);
        };
        Ok(Some(Account {
            user: user_of(&row)?,
            password_hash: row.get(5).ctx("reading an account")?,
        }))
    }

    pub(crate) async fn user(&self, subject: &str) -> Result<Option<User>, StoreError> {
        let conn = self.conn.lock().await;
        let mut rows = conn
            .query(
                "SELECT subject, email, name, roles, created_at FROM users WHERE subject = ?1",
                params![subject],
            )
            .await
            .ctx("reading an account")?;
        match rows.next().await.ctx("reading an account")? {
            Some(row) => Ok(Some(user_of(&row)?)),
            None => Ok(None),
        }
    }

    /// Replaces the roles of `subject`; false when there is no such account.
    pub(crate) async fn set_roles(
        &self,
        subject: &str,
        roles: &[String],
    ) -> Result<bool, StoreError> {
        let roles = serde_json::to_string(roles)
            .map_err(|e| StoreError::Corrupt(format!("unencodable roles: {e}")))?;
        let conn = self.conn.lock().await;
        let changed = conn
            .execute(
                "UPDATE users SET roles = ?1 WHERE subject = ?2",
                params![roles, subject],
            )
            .await
            .ctx("changing an account's roles")?;
        Ok(changed > 0)
    }

    pub(crate) async fn start_session(&self, session: &Session) -> Result<(), StoreError> {
        let conn = self.conn.lock().await;
        conn.execute(
            "INSERT INTO sessions (id, subject, client_id, auth_time, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.id.as_str(),
                session.subject.as_str(),
                session.client_id.as_str(),
                session.auth_time,
                session.expires_at
            ],
        )
        .await
        .ctx("starting a session")?;
        Ok(())
    }

    /// The session `id` if it has neither ended nor expired at `now`.
    pub(crate) async fn active_session(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let conn = self.conn.lock().await;
        active_session(&conn, id, now).await
    }

    /// Ends the session and revokes its refresh tokens; answers whether it was active.
    pub(crate) async fn end_session(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let conn = self.conn.lock().await;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .ctx("ending a session")?;
        let ended = end_session(&tx, id, now).await?;
        tx.commit().await.ctx("ending a session")?;
        Ok(ended)
    }

    pub(crate) async fn save_code(
        &self,
        code_hash: &str,
        grant: &CodeGrant,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn.lock().await;
        conn.execute(
            "INSERT INTO authorization_codes
                 (code_hash, session_id, client_id, redirect_uri, code_challenge, nonce, scope, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                code_hash,
                grant.session_id.as_str(),
                grant.client_id.as_str(),
                grant.redirect_uri.as_str(),
                grant.code_challenge.as_str(),
                grant.nonce.clone(),
                grant.scope.as_str(),
                expires_at
            ],
        )
        .await
        .ctx("saving an authorization code")?;
        Ok(())
    }

    /// Marks the code used and answers what it grants; a code used before revokes its session.
    pub(crate) async fn redeem_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<Redeemed, StoreError> {
        const WHAT: &str = "redeeming an authorization code";
        let conn = self.conn.lock().await;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .ctx(WHAT)?;
        let mut rows = tx
            .query(
                "SELECT session_id, client_id, redirect_uri, code_challenge, nonce, scope,
                        expires_at, used_at
                 FROM authorization_codes WHERE code_hash = ?1",
                params![code_hash],
            )
            .await
            .ctx(WHAT)?;
        let Some(row) = rows.next().await.ctx(WHAT)? else {
            return Ok(Redeemed::Invalid);
        };
        let grant = CodeGrant {
            session_id: row.get(0).ctx(WHAT)?,
            client_id: row.get(1).ctx(WHAT)?,
            redirect_uri: row.get(2).ctx(WHAT)?,
            code_challenge: row.get(3).ctx(WHAT)?,
            nonce: row.get(4).ctx(WHAT)?,
            scope: row.get(5).ctx(WHAT)?,
        };
        let expires_at: i64 = row.get(6).ctx(WHAT)?;
        let used_at: Option<i64> = row.get(7).ctx(WHAT)?;
        drop(rows);
        if used_at.is_some() {
            end_session(&tx, &grant.session_id, now).await?;
            tx.commit().await.ctx(WHAT)?;
            return Ok(Redeemed::Reused);
        }
        if expires_at <= now {
            return Ok(Redeemed::Invalid);
        }
        tx.execute(
            "UPDATE authorization_codes SET used_at = ?1 WHERE code_hash = ?2",
            params![now, code_hash],
        )
        .await
        .ctx(WHAT)?;
        tx.commit().await.ctx(WHAT)?;
        Ok(Redeemed::Fresh(grant))
    }

    pub(crate) async fn issue_refresh(
        &self,
        token_hash: &str,
        grant: &RefreshGrant,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn.lock().await;
        insert_refresh(&conn, token_hash, grant, expires_at).await
    }

    /// Rotates the refresh token `old_hash` of `client_id` into `new_hash` (expiring at
    /// `expires_at`, or with its session if that is sooner).
    pub(crate) async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        client_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Rotation, StoreError> {
        const WHAT: &str = "rotating a refresh token";
        let conn = self.conn.lock().await;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await
            .ctx(WHAT)?;
        let mut rows = tx
            .query(
                "SELECT session_id, client_id, scope, expires_at, rotated_at, revoked_at
                 FROM refresh_tokens WHERE token_hash = ?1",
                params![old_hash],
            )
            .await
            .ctx(WHAT)?;
        let Some(row) = rows.next().await.ctx(WHAT)? else {
            return Ok(Rotation::Invalid);
        };
        let session_id: String = row.get(0).ctx(WHAT)?;
        let expected_client: String = row.get(1).ctx(WHAT)?;
        let scope: String = row.get(2).ctx(WHAT)?;
        let token_expires: i64 = row.get(3).ctx(WHAT)?;
        let rotated_at: Option<i64> = row.get(4).ctx(WHAT)?;
        let revoked_at: Option<i64> = row.get(5).ctx(WHAT)?;
        drop(rows);
        if revoked_at.is_some() || client_id != expected_client {
            return Ok(Rotation::Invalid);
        }
        if rotated_at.is_some() {
            end_session(&tx, &session_id, now).await?;
            tx.commit().await.ctx(WHAT)?;
            return Ok(Rotation::Reused);
        }
        if token_expires <= now {
            return Ok(Rotation::Invalid);
        }
        let Some(session) = active_session(&tx, &session_id, now).await? else {
            return Ok(Rotation::Invalid);
        };
        tx.execute(
            "UPDATE refresh_tokens SET rotated_at = ?1 WHERE token_hash = ?2",
            params![now, old_hash],
        )
        .await
        .ctx(WHAT)?;
        let grant = RefreshGrant {
            session,
            client_id: expected_client,
            scope,
        };
        let expires_at = expires_at.min(grant.session.expires_at);
        insert_refresh(&tx, new_hash, &grant, expires_at).await?;
        tx.commit().await.ctx(WHAT)?;
        Ok(Rotation::Rotated(grant))
    }

    /// Forgets codes and refresh tokens that expired before `now`, and sessions that ended or
    /// expired with nothing left of them.
    pub(crate) async fn prune(&self, now: i64) -> Result<(), StoreError> {
        let conn = self.conn.lock().await;
        conn.execute_batch(&format!(
            "DELETE FROM authorization_codes WHERE expires_at < {now};
             DELETE FROM refresh_tokens WHERE expires_at < {now};
             DELETE FROM sessions
             WHERE (ended_at IS NOT NULL OR expires_at < {now})
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = sessions.id)
               AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.session_id = sessions.id);"
        ))
        .await
        .ctx("forgetting expired grants")?;
        Ok(())
    }
}

fn user_of(row: &libsql::Row) -> Result<User, StoreError> {
    const WHAT: &str = "reading an account";
    let roles: String = row.get(3).ctx(WHAT)?;
    let roles: Vec<String> = serde_json::from_str(&roles)
        .map_err(|e| StoreError::Corrupt(format!("unreadable roles {roles:?}: {e}")))?;
    Ok(User {
        subject: row.get(0).ctx(WHAT)?,
        email: row.get(1).ctx(WHAT)?,
        name: row.get(2).ctx(WHAT)?,
        roles,
        created_at: from_unix(row.get(4).ctx(WHAT)?),
    })
}

async fn active_session(
    conn: &Connection,
    id: &str,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    const WHAT: &str = "reading a session";
    let mut rows = conn
        .query(
            "SELECT id, subject, client_id, auth_time, expires_at FROM sessions
             WHERE id = ?1 AND ended_at IS NULL AND expires_at > ?2",
            params![id, now],
        )
        .await
        .ctx(WHAT)?;
    let Some(row) = rows.next().await.ctx(WHAT)? else {
        return Ok(None);
    };
    Ok(Some(Session {
        id: row.get(0).ctx(WHAT)?,
        subject: row.get(1).ctx(WHAT)?,
        client_id: row.get(2).ctx(WHAT)?,
        auth_time: row.get(3).ctx(WHAT)?,
        expires_at: row.get(4).ctx(WHAT)?,
    }))
}

async fn end_session(conn: &Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    const WHAT: &str = "ending a session";
    conn.execute(
        "UPDATE refresh_tokens SET revoked_at = ?1 WHERE session_id = ?2 AND revoked_at IS NULL",
        params![now, id],
    )
    .await
    .ctx(WHAT)?;
    let ended = conn
        .execute(
            "UPDATE sessions SET ended_at = ?1 WHERE id = ?2 AND ended_at IS NULL",
            params![now, id],
        )
        .await
        .ctx(WHAT)?;
    Ok(ended > 0)
}

async fn insert_refresh(
    conn: &Connection,
    token_hash: &str,
    grant: &RefreshGrant,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, client_id, scope, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token_hash,
            grant.session.id.as_str(),
            grant.client_id.as_str(),
            grant.scope.as_str(),
            expires_at
        ],
    )
    .await
    .ctx("issuing a refresh token")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> User {
        User {
            subject: "2a0f4c39-8a3e-4f5e-9d1f-5f5b8c1e7a10".into(),
            email: "Ana@Example.com".into(),
            name: "Ana".into(),
            roles: vec!["viewer".into()],
            created_at: from_unix(1_800_000_000),
        }
    }

    async fn session(store: &Store, id: &str) -> Session {
        let session = Session {
            id: id.into(),
            subject: ana().subject,
            client_id: "codeflix-web".into(),
            auth_time: 100,
            expires_at: 10_000,
        };
        store.start_session(&session).await.unwrap();
        session
    }

    #[tokio::test]
    async fn emails_are_unique_case_insensitively() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("users.db")).await.unwrap();
        store.insert_user(&ana(), "$argon2id$x").await.unwrap();
        let mut twin = ana();
        twin.subject = "another".into();
        twin.email = "ana@EXAMPLE.com".into();
        assert!(matches!(
            store.insert_user(&twin, "$argon2id$y").await,
            Err(InsertError::EmailTaken)
        ));
        let found = store
            .account_by_email("ANA@example.COM")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.user, ana());
        assert_eq!(found.password_hash, "$argon2id$x");
        assert!(!format!("{found:?}").contains("argon2id"));
        assert_eq!(store.user(&ana().subject).await.unwrap(), Some(ana()));
        assert_eq!(store.user("nobody").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_code_is_redeemed_once_and_a_second_try_ends_its_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("users.db")).await.unwrap();
        store.insert_user(&ana(), "h").await.unwrap();
        let session = session(&store, "s1").await;
        let grant = CodeGrant {
            client_id: "codeflix-web".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            code_challenge: "c".into(),
            nonce: None,
            scope: "openid".into(),
            session_id: session.id.clone(),
        };
        store.save_code("code", &grant, 200).await.unwrap();
        let refresh = RefreshGrant {
            session: session.clone(),
            client_id: "codeflix-web".into(),
            scope: "openid".into(),
        };
        assert_eq!(
            store.redeem_code("code", 150).await.unwrap(),
            Redeemed::Fresh(grant)
        );
        store.issue_refresh("r1", &refresh, 1000).await.unwrap();
        assert_eq!(
            store.redeem_code("code", 151).await.unwrap(),
            Redeemed::Reused
        );
        assert_eq!(store.active_session("s1", 152).await.unwrap(), None);
        assert_eq!(
            store
                .rotate_refresh("r1", "r2", "codeflix-web", 153, 1000)
                .await
                .unwrap(),
            Rotation::Invalid
        );
        assert_eq!(
            store.redeem_code("unknown", 150).await.unwrap(),
            Redeemed::Invalid
        );
    }

    #[tokio::test]
    async fn an_expired_code_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("users.db")).await.unwrap();
        store.insert_user(&ana(), "h").await.unwrap();
        let session = session(&store, "s1").await;
        let grant = CodeGrant {
            client_id: "codeflix-web".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            code_challenge: "c".into(),
            nonce: Some("n".into()),
            scope: "openid".into(),
            session_id: session.id,
        };
        store.save_code("code", &grant, 200).await.unwrap();
        assert_eq!(
            store.redeem_code("code", 200).await.unwrap(),
            Redeemed::Invalid
        );
    }

    #[tokio::test]
    async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("users.db")).await.unwrap();
        store.insert_user(&ana(), "h").await.unwrap();
        let session = session(&store, "s1").await;
        let grant = RefreshGrant {
            session,
            client_id: "codeflix-web".into(),
            scope: "openid".into(),
        };
        store.issue_refresh("r1", &grant, 1000).await.unwrap();
        assert_eq!(
            store
                .rotate_refresh("r1", "r2", "codeflix-web", 200, 1000)
                .await
                .unwrap(),
            Rotation::Rotated(grant.clone())
        );
        assert_eq!(
            store
                .rotate_refresh("r2", "r3", "codeflix-web", 300, 1000)
                .await
                .unwrap(),
            Rotation::Rotated(grant)
        );
        // r1 again: stolen or replayed. Everything of the session goes, r3 included.
        assert_eq!(
            store
                .rotate_refresh("r1", "r4", "codeflix-web", 400, 1000)
                .await
                .unwrap(),
            Rotation::Reused
        );
        assert_eq!(
            store
                .rotate_refresh("r3", "r5", "codeflix-web", 500, 1000)
                .await
                .unwrap(),
            Rotation::Invalid
        );
        assert_eq!(store.active_session("s1", 500).await.unwrap(), None);
        store.prune(2000).await.unwrap();
        assert_eq!(
            store
                .rotate_refresh("r3", "r6", "codeflix-web", 2000, 3000)
                .await
                .unwrap(),
            Rotation::Invalid
        );
    }

    #[tokio::test]
    async fn a_refresh_token_expires_and_ends_with_its_session() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("users.db")).await.unwrap();
        store.insert_user(&ana(), "h").await.unwrap();
        let session = session(&store, "s1").await;
        let grant = RefreshGrant {
            session,
            client_id: "codeflix-web".into(),
            scope: "openid".into(),
        };
        store.issue_refresh("r1", &grant, 1000).await.unwrap();
        assert_eq!(
            store
                .rotate_refresh("r1", "r2", "codeflix-web", 1000, 2000)
                .await
                .unwrap(),
            Rotation::Invalid,
            "expired"
        );
        store.issue_refresh("r3", &grant, 5000).await.unwrap();
        assert!(store.end_session("s1", 1200).await.unwrap());
        assert!(!store.end_session("s1", 1300).await.unwrap());
        assert_eq!(
            store
                .rotate_refresh("r3", "r4", "codeflix-web", 1300, 5000)
                .await
                .unwrap(),
            Rotation::Invalid
        );
    }
}
