//! Reaching ScyllaDB (or Cassandra): the URL every Codeflix store on it is configured by, and
//! opening a session with a schema applied. Shared by the event log's command store and the read
//! models in `codeflix-readmodel`.

use std::fmt;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;

/// A ScyllaDB URL that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ScyllaDB URL: {0}")]
pub struct InvalidUrl(String);

/// An error of the ScyllaDB driver.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a session could not be opened or a statement not run; the driver's error is the source.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("connecting to ScyllaDB")]
    Connect(#[source] DriverError),
    #[error("applying the schema")]
    Schema(#[source] DriverError),
    #[error("waiting for the nodes to agree on the schema")]
    Agreement(#[source] DriverError),
    #[error("dropping the keyspace")]
    Drop(#[source] DriverError),
}

/// Where a store lives: `scylla://[user:password@]host[:port][,host[:port]…]/keyspace[?replication_factor=N]`
/// (characters of the password such as `/`, `?` or `@` percent-encoded).
#[derive(Clone, PartialEq, Eq)]
pub struct ScyllaUrl {
    pub nodes: Vec<String>,
    pub keyspace: String,
    pub replication_factor: u32,
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for ScyllaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaUrl")
            .field("nodes", &self.nodes)
            .field("keyspace", &self.keyspace)
            .field("replication_factor", &self.replication_factor)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl ScyllaUrl {
    /// Parses `text`; `default_keyspace` is used when the URL names none (each bounded context
    /// and each store has its own keyspace).
    pub fn parse(text: &str, default_keyspace: &str) -> Result<ScyllaUrl, InvalidUrl> {
        let invalid = |why: &str| InvalidUrl(why.to_owned());
        let rest = text
            .strip_prefix("scylla://")
            .or_else(|| text.strip_prefix("cassandra://"))
            .ok_or_else(|| invalid("it must start with scylla://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, keyspace) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or_else(|| invalid("credentials must be user:password"))?;
                (
                    Some((percent_decode(user), percent_decode(password))),
                    hosts,
                )
            }
            None => (None, authority),
        };
        let nodes: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                if h.rsplit_once(':')
                    .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
                {
                    h.to_owned()
                } else {
                    format!("{h}:9042")
                }
            })
            .collect();
        if nodes.is_empty() {
            return Err(invalid("it names no host"));
        }
        let keyspace = if keyspace.is_empty() {
            default_keyspace.to_owned()
        } else {
            keyspace.to_owned()
        };
        let valid_name = keyspace.len() <= 48
            && keyspace.starts_with(|c: char| c.is_ascii_alphabetic())
            && keyspace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(invalid(
                "the keyspace must be a letter then up to 47 letters, digits or underscores",
            ));
        }
        let mut replication_factor = 1;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("replication_factor", n)) => {
                    replication_factor =
                        n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            invalid("replication_factor must be a positive number")
                        })?;
                }
                _ => return Err(invalid(&format!("unknown parameter {pair:?}"))),
            }
        }
        Ok(ScyllaUrl {
            nodes,
            keyspace,
            replication_factor,
            credentials,
        })
    }

    /// The statements of a schema file for this keyspace: `$keyspace` and `$replication` filled
    /// in, comments dropped, split at `;`.
    pub fn schema(&self, template: &str) -> Vec<String> {
        let filled = template
            .replace("$keyspace", &self.keyspace)
            .replace("$replication", &self.replication_factor.to_string());
        let without_comments: String = filled
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        without_comments
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Connects and applies the schema `template` (every statement must be idempotent), waiting
    /// until every node agrees on it.
    pub async fn open(&self, template: &str) -> Result<Session, SessionError> {
        let mut builder = SessionBuilder::new().known_nodes(&self.nodes);
        if let Some((user, password)) = &self.credentials {
            builder = builder.user(user, password);
        }
        let session = builder
            .build()
            .await
            .map_err(|e| SessionError::Connect(e.into()))?;
        for statement in self.schema(template) {
            session
                .query_unpaged(statement, ())
                .await
                .map_err(|e| SessionError::Schema(e.into()))?;
        }
        session
            .await_schema_agreement()
            .await
            .map_err(|e| SessionError::Agreement(e.into()))?;
        Ok(session)
    }
}

/// Drops a keyspace and everything in it (tests; an operator's `DROP KEYSPACE` otherwise).
pub async fn drop_keyspace(session: &Session, keyspace: &str) -> Result<(), SessionError> {
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {keyspace}"), ())
        .await
        .map_err(|e| SessionError::Drop(e.into()))?;
    Ok(())
}

/// The `[applied]` column of a lightweight transaction's answer: whether its condition held.
pub fn applied(result: scylla::response::query_result::QueryResult) -> Result<bool, DriverError> {
    let rows = result.into_rows_result()?;
    let first = rows.rows::<scylla::value::Row>()?.next().transpose()?;
    match first.and_then(|row| row.columns.into_iter().next().flatten()) {
        Some(scylla::value::CqlValue::Boolean(applied)) => Ok(applied),
        other => {
            Err(format!("a lightweight transaction answered without [applied]: {other:?}").into())
        }
    }
}

/// `text` with `%XX` escapes decoded (credentials in engine URLs).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_nodes_keyspace_replication_and_credentials() {
        let url = ScyllaUrl::parse(
            "scylla://app:s3cret%2Fx@db1,db2:19042/codeflix_catalog?replication_factor=3",
            "unused",
        )
        .unwrap();
        assert_eq!(url.nodes, vec!["db1:9042", "db2:19042"]);
        assert_eq!(url.keyspace, "codeflix_catalog");
        assert_eq!(url.replication_factor, 3);
        assert_eq!(url.credentials, Some(("app".into(), "s3cret/x".into())));
        assert!(!format!("{url:?}").contains("s3cret"), "{url:?}");

        let plain = ScyllaUrl::parse("scylla://127.0.0.1", "fallback_ks").unwrap();
        assert_eq!(plain.nodes, vec!["127.0.0.1:9042"]);
        assert_eq!(plain.keyspace, "fallback_ks");
        assert_eq!(plain.replication_factor, 1);

        for bad in [
            "http://db1/ks",
            "scylla:///ks",
            "scylla://db1/drop table",
            "scylla://db1/ks?replication_factor=0",
            "scylla://db1/ks?consistency=one",
            "scylla://nopassword@db1/ks",
        ] {
            assert!(ScyllaUrl::parse(bad, "ks").is_err(), "{bad}");
        }
    }

    #[test]
    fn a_schema_is_filled_in_and_split_into_statements() {
        let url = ScyllaUrl::parse("scylla://db/ks_test?replication_factor=2", "ks").unwrap();
        let statements = url.schema(
            "-- a comment; with a semicolon\nCREATE KEYSPACE $keyspace WITH r = $replication;\n\
             CREATE TABLE $keyspace.t (a int PRIMARY KEY);\n",
        );
        assert_eq!(
            statements,
            [
                "CREATE KEYSPACE ks_test WITH r = 2",
                "CREATE TABLE ks_test.t (a int PRIMARY KEY)"
            ]
        );
    }

    #[test]
    fn percent_escapes_are_decoded_and_broken_ones_kept() {
        assert_eq!(percent_decode("a%2Fb%40c"), "a/b@c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
