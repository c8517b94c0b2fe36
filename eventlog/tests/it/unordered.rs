//! The relay's mode for stores whose sequence numbers are not in commit order (ScyllaDB), run
//! against the real broker: the SQLite store behind the contract ScyllaDB gives — every waiting
//! row each round, each aggregate's in version order, aggregates in no particular order.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use codeflix_domain::catalog::category::Category;
use codeflix_domain::{AggregateType, ExpectedVersion, Version};
use codeflix_eventlog::EventLog;
use codeflix_eventlog::store::{
    AppendOutcome, CommandRecord, CommandStore, NewEvents, OutboxRow, Publication, SqliteStore,
    StoreError, StoredEvent,
};
use futures::future::join_all;
use uuid::Uuid;

use crate::support::{Cluster, category, create, ctx, rename};

/// A SQLite store that answers [`CommandStore::unpublished`] as a store out of commit order may:
/// aggregates shuffled (by the key's bytes reversed), versions in order within each.
struct OutOfOrder(SqliteStore);

#[async_trait]
impl CommandStore for OutOfOrder {
    async fn append(&self, append: NewEvents) -> Result<AppendOutcome, StoreError> {
        self.0.append(append).await
    }

    async fn events(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
        after: Version,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.0.events(aggregate_type, aggregate_id, after).await
    }

    async fn version(
        &self,
        aggregate_type: AggregateType,
        aggregate_id: &str,
    ) -> Result<Version, StoreError> {
        self.0.version(aggregate_type, aggregate_id).await
    }

    async fn command(&self, command_id: Uuid) -> Result<Option<CommandRecord>, StoreError> {
        self.0.command(command_id).await
    }

    fn commit_ordered(&self) -> bool {
        false
    }

    async fn unpublished(&self, _after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut rows = self.0.unpublished(0, limit).await?;
        // Stable: each aggregate's rows keep their (version) order.
        rows.sort_by_key(|row| row.key.iter().rev().copied().collect::<Vec<u8>>());
        Ok(rows)
    }

    async fn unpublished_count(&self) -> Result<u64, StoreError> {
        self.0.unpublished_count().await
    }

    async fn mark_published(&self, published: &[(i64, Uuid, i64)]) -> Result<usize, StoreError> {
        self.0.mark_published(published).await
    }

    async fn publications(&self, seqs: &[i64]) -> Result<Vec<Publication>, StoreError> {
        self.0.publications(seqs).await
    }

    async fn last_published(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        self.0.last_published(topic, partition).await
    }

    async fn try_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, StoreError> {
        self.0.try_lease(holder, now_ms, ttl_ms).await
    }

    async fn renew_lease(
        &self,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        self.0.renew_lease(holder, now_ms, ttl_ms).await
    }

    async fn release_lease(&self, holder: &str) -> Result<(), StoreError> {
        self.0.release_lease(holder).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_out_of_commit_order_still_publishes_each_event_once_in_version_order() {
    const AGGREGATES: usize = 24;
    const RENAMES: u64 = 12;
    let cluster = Cluster::start().await;
    let store = OutOfOrder(SqliteStore::open(&cluster.store_path()).await.unwrap());
    let log = Arc::new(
        EventLog::connect_with_store(cluster.config(), Arc::new(store))
            .await
            .unwrap(),
    );
    // Concurrent writers, so that partitions hold rows back while their batches are in flight
    // and every round re-reads rows already sent.
    let writers = (0..AGGREGATES).map(|_| {
        let log = log.clone();
        async move {
            let id = category();
            let mut positions = Vec::new();
            let first = log
                .execute::<Category>(
                    &ctx(),
                    &id,
                    ExpectedVersion::Exactly(Version::INITIAL),
                    create("Movies"),
                )
                .await
                .unwrap();
            positions.extend(first.positions);
            for n in 1..=RENAMES {
                let appended = log
                    .execute::<Category>(
                        &ctx(),
                        &id,
                        ExpectedVersion::Exactly(Version::new(n)),
                        rename(&format!("Movies {n}")),
                    )
                    .await
                    .unwrap();
                assert_eq!(appended.aggregate_version, Version::new(n + 1));
                positions.extend(appended.positions);
            }
            (id.to_string(), positions)
        }
    });
    let acknowledged: BTreeMap<String, Vec<_>> = join_all(writers).await.into_iter().collect();

    let records = cluster.category_events(&log).await;
    let mut in_kafka: BTreeMap<String, Vec<(u64, i32, i64)>> = BTreeMap::new();
    for record in &records {
        let metadata = &record.envelope.metadata;
        in_kafka
            .entry(metadata.aggregate_id.clone())
            .or_default()
            .push((
                metadata.aggregate_version.get(),
                record.raw.partition,
                record.raw.offset,
            ));
    }
    assert_eq!(
        records.len(),
        AGGREGATES * (RENAMES as usize + 1),
        "every event once"
    );
    for (id, positions) in &acknowledged {
        let mut events = in_kafka.remove(id).unwrap_or_default();
        events.sort_by_key(|&(_, partition, offset)| (partition, offset));
        let versions: Vec<u64> = events.iter().map(|&(version, _, _)| version).collect();
        assert_eq!(
            versions,
            (1..=RENAMES + 1).collect::<Vec<_>>(),
            "{id}: versions in Kafka order"
        );
        let acknowledged_at: Vec<(i32, i64)> =
            positions.iter().map(|p| (p.partition, p.offset)).collect();
        let stored_at: Vec<(i32, i64)> = events.iter().map(|&(_, p, o)| (p, o)).collect();
        assert_eq!(acknowledged_at, stored_at, "{id}: acknowledged positions");
    }
    assert!(
        in_kafka.is_empty(),
        "events of unknown aggregates: {in_kafka:?}"
    );
    assert_eq!(log.store().unpublished_count().await.unwrap(), 0);
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
}
