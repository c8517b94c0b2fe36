//! The embedded broker's storage: tansu's engine, told apart from it in three ways. Every produce
//! signals its topic, so a waiting fetch answers as soon as there is something to read; on
//! SQLite, a produce outside a transaction is written with statements prepared once
//! ([`super::produce`]); and on SQLite, consumer groups are listed and described from the stored
//! detail, which tansu 0.6.0 reads back as a JSON string and then fails to decode (dropping the
//! operator's connection).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tansu_sans_io::create_topics_request::CreatableTopic;
use tansu_sans_io::delete_groups_response::DeletableGroupResult;
use tansu_sans_io::delete_records_request::DeleteRecordsTopic;
use tansu_sans_io::delete_records_response::DeleteRecordsTopicResult;
use tansu_sans_io::describe_cluster_response::DescribeClusterBroker;
use tansu_sans_io::describe_configs_response::DescribeConfigsResult;
use tansu_sans_io::describe_topic_partitions_response::DescribeTopicPartitionsResponseTopic;
use tansu_sans_io::incremental_alter_configs_request::AlterConfigsResource;
use tansu_sans_io::incremental_alter_configs_response::AlterConfigsResourceResponse;
use tansu_sans_io::list_groups_response::ListedGroup;
use tansu_sans_io::record::deflated;
use tansu_sans_io::txn_offset_commit_response::TxnOffsetCommitResponseTopic;
use tansu_sans_io::{ConfigResource, ErrorCode, IsolationLevel, ListOffset, ScramMechanism};
use tansu_storage::{
    BrokerRegistrationRequest, ConsumerGroupState, GroupDetail, ListOffsetResponse,
    MetadataResponse, NamedGroupDetail, OffsetCommitRequest, OffsetStage, ProducerIdResponse,
    Result, ScramCredential, Storage, TopicId, Topition, TxnAddPartitionsRequest,
    TxnAddPartitionsResponse, TxnOffsetCommitRequest, UpdateError, Version,
};
use tokio::sync::watch;
use url::Url;
use uuid::Uuid;

use super::sqlite::BrokerDb;

/// Counts produces per topic and wakes whoever waits for one.
#[derive(Debug, Default)]
pub(crate) struct Produced {
    counts: Mutex<HashMap<String, u64>>,
    wake: watch::Sender<()>,
}

impl Produced {
    fn record(&self, topic: &str) {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            *counts.entry(topic.to_owned()).or_default() += 1;
        }
        self.wake.send_replace(());
    }

    /// How many produces each of `topics` has had, to compare with later.
    pub(crate) fn marks(&self, topics: &[String]) -> Vec<u64> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .iter()
            .map(|topic| counts.get(topic).copied().unwrap_or(0))
            .collect()
    }

    /// Resolves at the next produce to any topic (take it before reading, so none is missed).
    pub(crate) fn subscribe(&self) -> watch::Receiver<()> {
        self.wake.subscribe()
    }
}

/// tansu's storage engine with produce signals, remembered watermarks and topics, and readable
/// group details.
#[derive(Clone, Debug)]
pub(crate) struct BrokerStorage<S> {
    inner: S,
    cluster: String,
    produced: Arc<Produced>,
    /// The engine's SQLite database, when it is one (the only engine whose group detail needs
    /// reading around tansu).
    db: Option<BrokerDb>,
    remembered: Arc<Mutex<Remembered>>,
}

/// What every waiting fetch asks again and again, and only a write through this storage changes:
/// each partition's watermarks and each topic's metadata. tansu prepares and plans an SQL
/// statement for every such question, which was most of what an idle broker did.
///
/// A write forgets what it may change and counts a generation; an answer read from the engine
/// is remembered only if no write happened while it was read, so a read that raced a write never
/// leaves a stale answer behind.
#[derive(Debug, Default)]
struct Remembered {
    generation: u64,
    stages: HashMap<Topition, OffsetStage>,
    topics: HashMap<TopicId, MetadataResponse>,
}

impl Remembered {
    fn forget_stage(&mut self, topition: &Topition) {
        self.generation += 1;
        self.stages.remove(topition);
    }

    fn forget_all(&mut self) {
        self.generation += 1;
        self.stages.clear();
        self.topics.clear();
    }
}

impl<S: Storage> BrokerStorage<S> {
    pub(crate) fn new(inner: S, cluster: &str, db: Option<BrokerDb>) -> Self {
        BrokerStorage {
            inner,
            cluster: cluster.to_owned(),
            produced: Arc::default(),
            db,
            remembered: Arc::default(),
        }
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Remembered> {
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything remembered, after `write` (whatever its outcome).
    async fn writing<T>(&self, write: impl Future<Output = Result<T>>) -> Result<T> {
        let result = write.await;
        self.remembered().forget_all();
        result
    }

    pub(crate) fn produced(&self) -> Arc<Produced> {
        Arc::clone(&self.produced)
    }

    /// The records of `topition` from `offset` below `end` (a watermark), keys and values
    /// adding up to at most `max_bytes` but at least one record: read around tansu on SQLite
    /// ([`BrokerDb::records`]), through the engine otherwise.
    pub(crate) async fn records(
        &self,
        topition: &Topition,
        offset: i64,
        end: i64,
        max_bytes: u32,
        isolation: IsolationLevel,
    ) -> Result<Vec<deflated::Batch>> {
        match &self.db {
            Some(db) => {
                db.records(&self.cluster, topition, offset, end, max_bytes)
                    .await
            }
            None => {
                self.inner
                    .fetch(topition, offset, 1, max_bytes, isolation)
                    .await
            }
        }
    }

    async fn details(
        &self,
        db: &BrokerDb,
        group_ids: &[String],
    ) -> Result<Vec<(String, Option<GroupDetail>)>> {
        db.group_details(&self.cluster, group_ids).await
    }
}

#[async_trait]
impl<S: Storage> Storage for BrokerStorage<S> {
    async fn register_broker(&self, registration: BrokerRegistrationRequest) -> Result<()> {
        self.writing(self.inner.register_broker(registration)).await
    }

    async fn create_topic(&self, topic: CreatableTopic, validate_only: bool) -> Result<Uuid> {
        let created = self
            .writing(self.inner.create_topic(topic, validate_only))
            .await;
        if let Some(db) = &self.db {
            db.forget_topitions();
        }
        created
    }

    async fn incremental_alter_resource(
        &self,
        resource: AlterConfigsResource,
    ) -> Result<AlterConfigsResourceResponse> {
        self.writing(self.inner.incremental_alter_resource(resource))
            .await
    }

    async fn delete_records(
        &self,
        topics: &[DeleteRecordsTopic],
    ) -> Result<Vec<DeleteRecordsTopicResult>> {
        self.writing(self.inner.delete_records(topics)).await
    }

    async fn delete_topic(&self, topic: &TopicId) -> Result<ErrorCode> {
        let deleted = self.writing(self.inner.delete_topic(topic)).await;
        if let Some(db) = &self.db {
            db.forget_topitions();
        }
        deleted
    }

    async fn brokers(&self) -> Result<Vec<DescribeClusterBroker>> {
        self.inner.brokers().await
    }

    async fn produce(
        &self,
        transaction_id: Option<&str>,
        topition: &Topition,
        batch: deflated::Batch,
    ) -> Result<i64> {
        let produced = match &self.db {
            Some(db)
                if transaction_id.is_none() && !batch.is_transactional() && !batch.is_control() =>
            {
                db.produce(&self.cluster, topition, batch).await
            }
            _ => self.inner.produce(transaction_id, topition, batch).await,
        };
        self.remembered().forget_stage(topition);
        let offset = produced?;
        self.produced.record(topition.topic());
        Ok(offset)
    }

    async fn fetch(
        &self,
        topition: &'_ Topition,
        offset: i64,
        min_bytes: u32,
        max_bytes: u32,
        isolation: IsolationLevel,
    ) -> Result<Vec<deflated::Batch>> {
        self.inner
            .fetch(topition, offset, min_bytes, max_bytes, isolation)
            .await
    }

    async fn offset_stage(&self, topition: &Topition) -> Result<OffsetStage> {
        let generation = {
            let remembered = self.remembered();
            if let Some(stage) = remembered.stages.get(topition) {
                return Ok(*stage);
            }
            remembered.generation
        };
        let stage = self.inner.offset_stage(topition).await?;
        let mut remembered = self.remembered();
        if remembered.generation == generation {
            remembered.stages.insert(topition.clone(), stage);
        }
        Ok(stage)
    }

    async fn list_offsets(
        &self,
        isolation_level: IsolationLevel,
        offsets: &[(Topition, ListOffset)],
    ) -> Result<Vec<(Topition, ListOffsetResponse)>> {
        self.inner.list_offsets(isolation_level, offsets).await
    }

    async fn offset_commit(
        &self,
        group_id: &str,
        retention_time_ms: Option<Duration>,
        offsets: &[(Topition, OffsetCommitRequest)],
    ) -> Result<Vec<(Topition, ErrorCode)>> {
        self.inner
            .offset_commit(group_id, retention_time_ms, offsets)
            .await
    }

    async fn offset_fetch(
        &self,
        group_id: Option<&str>,
        topics: &[Topition],
        require_stable: Option<bool>,
    ) -> Result<BTreeMap<Topition, i64>> {
        self.inner
            .offset_fetch(group_id, topics, require_stable)
            .await
    }

    async fn committed_offset_topitions(&self, group_id: &str) -> Result<BTreeMap<Topition, i64>> {
        self.inner.committed_offset_topitions(group_id).await
    }

    /// One topic's metadata is remembered once the topic exists (fetches resolve their topics
    /// through it); other requests go to the engine.
    async fn metadata(&self, topics: Option<&[TopicId]>) -> Result<MetadataResponse> {
        let Some([topic]) = topics else {
            return self.inner.metadata(topics).await;
        };
        let generation = {
            let remembered = self.remembered();
            if let Some(metadata) = remembered.topics.get(topic) {
                return Ok(metadata.clone());
            }
            remembered.generation
        };
        let metadata = self.inner.metadata(topics).await?;
        let exists = !metadata.topics().is_empty()
            && metadata
                .topics()
                .iter()
                .all(|t| t.error_code == i16::from(ErrorCode::None));
        let mut remembered = self.remembered();
        if exists && remembered.generation == generation {
            remembered.topics.insert(topic.clone(), metadata.clone());
        }
        Ok(metadata)
    }

    async fn upsert_user_scram_credential(
        &self,
        user: &str,
        mechanism: ScramMechanism,
        credential: ScramCredential,
    ) -> Result<()> {
        self.inner
            .upsert_user_scram_credential(user, mechanism, credential)
            .await
    }

    async fn delete_user_scram_credential(
        &self,
        user: &str,
        mechanism: ScramMechanism,
    ) -> Result<()> {
        self.inner
            .delete_user_scram_credential(user, mechanism)
            .await
    }

    async fn user_scram_credential(
        &self,
        user: &str,
        mechanism: ScramMechanism,
    ) -> Result<Option<ScramCredential>> {
        self.inner.user_scram_credential(user, mechanism).await
    }

    async fn describe_config(
        &self,
        name: &str,
        resource: ConfigResource,
        keys: Option<&[String]>,
    ) -> Result<DescribeConfigsResult> {
        self.inner.describe_config(name, resource, keys).await
    }

    /// Groups with their state as Kafka names it ("Empty", "Stable", …), filtered by state as
    /// asked (tansu 0.6.0 answers "unknown" for every group and ignores the filter).
    async fn list_groups(&self, states_filter: Option<&[String]>) -> Result<Vec<ListedGroup>> {
        let Some(db) = &self.db else {
            return self.inner.list_groups(states_filter).await;
        };
        let names = db.group_names(&self.cluster).await?;
        let mut listed = Vec::with_capacity(names.len());
        for (name, detail) in self.details(db, &names).await? {
            let Some(detail) = detail else { continue };
            let state = ConsumerGroupState::from(&detail).to_string();
            let wanted = states_filter.is_none_or(|states| {
                states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(&state))
            });
            if wanted {
                listed.push(
                    ListedGroup::default()
                        .group_id(name)
                        .protocol_type(detail.state.protocol_type().unwrap_or_default())
                        .group_state(Some(state))
                        .group_type(Some("classic".into())),
                );
            }
        }
        Ok(listed)
    }

    async fn delete_groups(
        &self,
        group_ids: Option<&[String]>,
    ) -> Result<Vec<DeletableGroupResult>> {
        self.inner.delete_groups(group_ids).await
    }

    async fn describe_groups(
        &self,
        group_ids: Option<&[String]>,
        include_authorized_operations: bool,
    ) -> Result<Vec<NamedGroupDetail>> {
        let Some(db) = &self.db else {
            return self
                .inner
                .describe_groups(group_ids, include_authorized_operations)
                .await;
        };
        Ok(self
            .details(db, group_ids.unwrap_or_default())
            .await?
            .into_iter()
            .map(|(name, detail)| match detail {
                Some(detail) => NamedGroupDetail::found(name, detail),
                None => NamedGroupDetail::error_code(name, ErrorCode::GroupIdNotFound),
            })
            .collect())
    }

    async fn describe_topic_partitions(
        &self,
        topics: Option<&[TopicId]>,
        partition_limit: i32,
        cursor: Option<Topition>,
    ) -> Result<Vec<DescribeTopicPartitionsResponseTopic>> {
        self.inner
            .describe_topic_partitions(topics, partition_limit, cursor)
            .await
    }

    async fn update_group(
        &self,
        group_id: &str,
        detail: GroupDetail,
        version: Option<Version>,
    ) -> Result<Version, UpdateError<GroupDetail>> {
        self.inner.update_group(group_id, detail, version).await
    }

    async fn init_producer(
        &self,
        transaction_id: Option<&str>,
        transaction_timeout_ms: i32,
        producer_id: Option<i64>,
        producer_epoch: Option<i16>,
    ) -> Result<ProducerIdResponse> {
        self.inner
            .init_producer(
                transaction_id,
                transaction_timeout_ms,
                producer_id,
                producer_epoch,
            )
            .await
    }

    async fn txn_add_offsets(
        &self,
        transaction_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        group_id: &str,
    ) -> Result<ErrorCode> {
        self.inner
            .txn_add_offsets(transaction_id, producer_id, producer_epoch, group_id)
            .await
    }

    async fn txn_add_partitions(
        &self,
        partitions: TxnAddPartitionsRequest,
    ) -> Result<TxnAddPartitionsResponse> {
        self.writing(self.inner.txn_add_partitions(partitions))
            .await
    }

    async fn txn_offset_commit(
        &self,
        offsets: TxnOffsetCommitRequest,
    ) -> Result<Vec<TxnOffsetCommitResponseTopic>> {
        self.inner.txn_offset_commit(offsets).await
    }

    async fn txn_end(
        &self,
        transaction_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        committed: bool,
    ) -> Result<ErrorCode> {
        self.writing(
            self.inner
                .txn_end(transaction_id, producer_id, producer_epoch, committed),
        )
        .await
    }

    async fn maintain(&self, now: SystemTime) -> Result<()> {
        self.writing(self.inner.maintain(now)).await
    }

    async fn cluster_id(&self) -> Result<String> {
        self.inner.cluster_id().await
    }

    async fn node(&self) -> Result<i32> {
        self.inner.node().await
    }

    async fn advertised_listener(&self) -> Result<Url> {
        self.inner.advertised_listener().await
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}
