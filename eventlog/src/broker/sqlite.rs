//! What the embedded broker needs from its SQLite file beyond tansu 0.6.0's own queries: the
//! index a fetch needs, and consumer-group details read back as tansu wrote them.

use std::time::{Duration, Instant};

use libsql::{Connection, params};
use tansu_storage::GroupDetail;

use crate::EventLogError;

fn sqlite_error(e: impl std::fmt::Display) -> EventLogError {
    EventLogError::Kafka(format!("embedded broker database: {e}"))
}

/// A connection of our own to the broker's database, beside tansu's.
#[derive(Clone)]
pub(crate) struct BrokerDb {
    connection: Connection,
}

impl std::fmt::Debug for BrokerDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerDb").finish_non_exhaustive()
    }
}

/// tansu 0.6.0 stores each record's headers in `header` without an index. A fetch reads the
/// headers of every record it returns by `(topition, offset_id)`, so each read scanned every
/// header ever written: fetch cost grew with the log until the broker wedged (ADR 0014).
/// Deleting a record (retention) cascades to its headers by the same key.
const HEADER_INDEX: &str =
    "create index if not exists codeflix_header_record on header (topition, offset_id)";

impl BrokerDb {
    /// Opens the database tansu has just created or opened at `path` and makes sure the
    /// indexes exist (building one over a large existing log takes seconds, once).
    pub(crate) async fn open(path: &std::path::Path) -> Result<BrokerDb, EventLogError> {
        let db = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(sqlite_error)?;
        let connection = db.connect().map_err(sqlite_error)?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(sqlite_error)?;
        let started = Instant::now();
        connection
            .execute(HEADER_INDEX, ())
            .await
            .map_err(sqlite_error)?;
        let took = started.elapsed();
        if took > Duration::from_secs(1) {
            tracing::info!(?took, "embedded broker: indexed the stored headers");
        }
        Ok(BrokerDb { connection })
    }

    /// The stored detail of each named group of `cluster`: `None` for a group that does not
    /// exist, the default (no members: "Empty") for one that only has committed offsets.
    pub(crate) async fn group_details(
        &self,
        cluster: &str,
        groups: &[String],
    ) -> Result<Vec<(String, Option<GroupDetail>)>, tansu_storage::Error> {
        let mut details = Vec::with_capacity(groups.len());
        for group in groups {
            let mut rows = self
                .connection
                .query(
                    "select cgd.detail from cluster c \
                     join consumer_group cg on cg.cluster = c.id \
                     left join consumer_group_detail cgd on cgd.consumer_group = cg.id \
                     where c.name = ?1 and cg.name = ?2",
                    params![cluster, group.as_str()],
                )
                .await
                .map_err(storage_error)?;
            let detail = match rows.next().await.map_err(storage_error)? {
                None => None,
                Some(row) => Some(match row.get::<Option<String>>(0).map_err(storage_error)? {
                    Some(json) => serde_json::from_str::<GroupDetail>(&json).map_err(|e| {
                        tansu_storage::Error::Message(format!("group {group}: {e}"))
                    })?,
                    None => GroupDetail::default(),
                }),
            };
            details.push((group.clone(), detail));
        }
        Ok(details)
    }

    /// Every group of `cluster`, by name.
    pub(crate) async fn group_names(
        &self,
        cluster: &str,
    ) -> Result<Vec<String>, tansu_storage::Error> {
        let mut rows = self
            .connection
            .query(
                "select cg.name from cluster c join consumer_group cg on cg.cluster = c.id \
                 where c.name = ?1 order by cg.name",
                params![cluster],
            )
            .await
            .map_err(storage_error)?;
        let mut names = Vec::new();
        while let Some(row) = rows.next().await.map_err(storage_error)? {
            names.push(row.get::<String>(0).map_err(storage_error)?);
        }
        Ok(names)
    }
}

fn storage_error(e: libsql::Error) -> tansu_storage::Error {
    tansu_storage::Error::Message(format!("embedded broker database: {e}"))
}
