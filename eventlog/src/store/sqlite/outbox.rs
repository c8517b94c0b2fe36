//! The outbox rows' side of the embedded command store: what the relay reads, marks published and
//! recovers from, and the lease that makes one relay of the machine's processes the publisher.

use libsql::params;
use uuid::Uuid;

use super::{Db, uuid};
use crate::store::{OutboxRow, Position, Publication, StoreError, backend};

pub(super) async fn unpublished(
    db: &Db,
    after: i64,
    limit: usize,
) -> Result<Vec<OutboxRow>, StoreError> {
    db.query(
        "SELECT seq, event_id, topic, partition, key, value, headers FROM events
         WHERE published_offset IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
        params![after, limit as i64],
        |row| {
            let headers: String = row.get(6).map_err(backend)?;
            Ok(OutboxRow {
                seq: row.get(0).map_err(backend)?,
                event_id: uuid(&row.get::<String>(1).map_err(backend)?)?,
                topic: row.get(2).map_err(backend)?,
                partition: row.get(3).map_err(backend)?,
                key: row.get(4).map_err(backend)?,
                value: row.get(5).map_err(backend)?,
                headers: serde_json::from_str(&headers)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        },
    )
    .await
}

pub(super) async fn unpublished_count(db: &Db) -> Result<u64, StoreError> {
    let count = db
        .query_one(
            "SELECT COUNT(*) FROM events WHERE published_offset IS NULL",
            (),
            |row| row.get::<i64>(0).map_err(backend),
        )
        .await?;
    Ok(count.unwrap_or(0) as u64)
}

pub(super) async fn mark_published(
    db: &Db,
    published: &[(i64, Uuid, i64)],
) -> Result<usize, StoreError> {
    // A mark lost to a power failure is found again by the relay's recovery: no fsync needed.
    db.execute("PRAGMA synchronous=NORMAL", ()).await?;
    let marked = mark_published_in_transaction(db, published).await;
    db.execute("PRAGMA synchronous=FULL", ()).await?;
    marked
}

async fn mark_published_in_transaction(
    db: &Db,
    published: &[(i64, Uuid, i64)],
) -> Result<usize, StoreError> {
    db.execute("BEGIN IMMEDIATE", ()).await?;
    let result = async {
        let mut marked = 0;
        for (seq, event_id, offset) in published {
            marked += db
                .execute(
                    "UPDATE events SET published_offset = ?3 WHERE seq = ?1 AND event_id = ?2",
                    params![*seq, event_id.to_string(), *offset],
                )
                .await? as usize;
        }
        db.execute("COMMIT", ()).await?;
        Ok(marked)
    }
    .await;
    if result.is_err() && !db.conn.is_autocommit() {
        let _ = db.execute("ROLLBACK", ()).await;
    }
    result
}

pub(super) async fn publications(db: &Db, seqs: &[i64]) -> Result<Vec<Publication>, StoreError> {
    let mut out = Vec::with_capacity(seqs.len());
    for seq in seqs {
        let publication = db
            .query_one(
                "SELECT event_id, topic, partition, published_offset FROM events WHERE seq = ?1",
                params![*seq],
                |row| {
                    let offset = match row.get_value(3).map_err(backend)? {
                        libsql::Value::Integer(offset) => Some(offset),
                        _ => None,
                    };
                    Ok(Publication {
                        seq: *seq,
                        event_id: uuid(&row.get::<String>(0).map_err(backend)?)?,
                        position: match offset {
                            Some(offset) => Some(Position {
                                topic: row.get(1).map_err(backend)?,
                                partition: row.get(2).map_err(backend)?,
                                offset,
                            }),
                            None => None,
                        },
                    })
                },
            )
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("no outbox row {seq}")))?;
        out.push(publication);
    }
    Ok(out)
}

pub(super) async fn last_published(
    db: &Db,
    topic: &str,
    partition: i32,
) -> Result<Option<(i64, i64)>, StoreError> {
    db.query_one(
        "SELECT seq, published_offset FROM events
         WHERE topic = ?1 AND partition = ?2 AND published_offset IS NOT NULL
         ORDER BY published_offset DESC LIMIT 1",
        params![topic, partition],
        |row| Ok((row.get(0).map_err(backend)?, row.get(1).map_err(backend)?)),
    )
    .await
}

pub(super) async fn try_lease(
    db: &Db,
    holder: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "INSERT INTO relay_lease (id, holder, expires_at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
             WHERE relay_lease.holder = excluded.holder OR relay_lease.expires_at_ms < ?3",
            params![holder, now_ms + ttl_ms, now_ms],
        )
        .await?;
    Ok(changed == 1)
}
