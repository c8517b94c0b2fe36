//! State feeds: each aggregate's current state in a compacted topic, for the other bounded
//! contexts and for stock Kafka Connect sinks, which upsert by key and cannot fold event topics
//! (ADR 0022).
//!
//! A feed is a projection like the others — the same runner, events applied by the same pure
//! functions over a working store of its own — whose store also publishes: [`FeedStore`] sends
//! every changed document of its kind to `<prefix>.<aggregate type>[.<variant>].state` (key: the
//! aggregate's id; value: the state in Avro under the subject `<topic>-value`; a tombstone once
//! deleted, or once hidden for a feed of what viewers see), waits until Kafka has every record,
//! and only then commits the documents and positions to the working store. A crash in between
//! publishes the same states again on restart: same key, same version, the same value — a
//! duplicate an upserting sink cannot tell from the first, and never an older state after a
//! newer one (one key, one partition, in order).

use std::sync::Arc;
use std::time::Duration;

use apache_avro::types::Value;
use async_trait::async_trait;
use codeflix_domain::AggregateType;
use codeflix_eventlog::EventLogConfig;
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::partition::partition_for;
use codeflix_eventlog::topics::state_topic;
use codeflix_readmodel::Position;
use codeflix_readmodel::store::{Changes, DocReads, DocStore, StoreError};
use codeflix_readmodel::views::{AccountView, Doc, DocKey, DocKind, SubscriptionView, VideoView};
use codeflix_schemas::{NamedSchema, SchemaSet};
use futures::future::try_join_all;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::runner::ProjectionSpec;

/// A state feed: which documents it publishes, where, in which schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSpec {
    /// Names the feed (its projection is `feed-<name>`).
    pub name: &'static str,
    pub aggregate: AggregateType,
    pub kind: DocKind,
    /// A feed of a subset has a variant in its topic name.
    pub variant: Option<&'static str>,
    /// The Avro record of its values.
    pub schema: &'static str,
    /// Only documents viewers see are published; the others are tombstones.
    pub visible_only: bool,
}

impl FeedSpec {
    /// Every video that exists (notifications need drafts' titles too).
    pub const VIDEOS: FeedSpec = FeedSpec {
        name: "video-state",
        aggregate: AggregateType::Video,
        kind: DocKind::Video,
        variant: None,
        schema: "codeflix.catalog.video.VideoState",
        visible_only: false,
    };

    /// Published videos only: what a search index built by a sink may show.
    pub const PUBLISHED_VIDEOS: FeedSpec = FeedSpec {
        name: "published-video-state",
        variant: Some("published"),
        visible_only: true,
        ..FeedSpec::VIDEOS
    };

    /// Subscriptions: what decides access (the playback side's entitlements).
    pub const SUBSCRIPTIONS: FeedSpec = FeedSpec {
        name: "subscription-state",
        aggregate: AggregateType::Subscription,
        kind: DocKind::Subscription,
        variant: None,
        schema: "codeflix.subscriptions.subscription.SubscriptionState",
        visible_only: false,
    };

    /// Accounts: how to reach a customer (notifications' contacts).
    pub const ACCOUNTS: FeedSpec = FeedSpec {
        name: "account-state",
        aggregate: AggregateType::Account,
        kind: DocKind::Account,
        variant: None,
        schema: "codeflix.accounts.account.AccountState",
        visible_only: false,
    };

    pub const ALL: [FeedSpec; 4] = [
        FeedSpec::VIDEOS,
        FeedSpec::PUBLISHED_VIDEOS,
        FeedSpec::SUBSCRIPTIONS,
        FeedSpec::ACCOUNTS,
    ];

    /// The compacted topic it publishes to.
    pub fn topic(&self, prefix: &str) -> String {
        state_topic(prefix, self.aggregate, self.variant)
    }

    /// The projection that derives its documents.
    pub fn projection(&self) -> ProjectionSpec {
        ProjectionSpec {
            name: format!("feed-{}", self.name),
            aggregates: vec![self.aggregate],
            ..ProjectionSpec::catalog()
        }
    }

    fn named_schema(&self) -> Result<&'static NamedSchema, StoreError> {
        SchemaSet::embedded()
            .get(self.schema)
            .ok_or_else(|| StoreError::Corrupt(format!("no schema {}", self.schema)))
    }
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn optional(value: Option<&String>) -> Value {
    match value {
        Some(value) => Value::Union(1, Box::new(text(value))),
        None => Value::Union(0, Box::new(Value::Null)),
    }
}

fn ids(ids: &[uuid::Uuid]) -> Value {
    Value::Array(ids.iter().map(|id| Value::String(id.to_string())).collect())
}

fn long(n: u64) -> Value {
    Value::Long(i64::try_from(n).unwrap_or(i64::MAX))
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    )
}

fn video(v: &VideoView) -> Value {
    record(vec![
        ("id", text(&v.id.to_string())),
        ("title", text(&v.title)),
        ("description", text(&v.description)),
        ("launch_year", Value::Int(i32::from(v.launch_year))),
        (
            "duration_minutes",
            Value::Int(i32::try_from(v.duration_minutes).unwrap_or(i32::MAX)),
        ),
        ("rating", text(&v.rating)),
        ("opened", Value::Boolean(v.opened)),
        ("published", Value::Boolean(v.published)),
        ("categories", ids(&v.categories)),
        ("genres", ids(&v.genres)),
        ("cast_members", ids(&v.cast_members)),
        ("version", long(v.version)),
        ("created_at", text(&v.created_at)),
        ("updated_at", text(&v.updated_at)),
    ])
}

fn subscription(s: &SubscriptionView) -> Value {
    let count = |n: u32| Value::Int(i32::try_from(n).unwrap_or(i32::MAX));
    record(vec![
        ("id", text(&s.id.to_string())),
        ("account_id", text(&s.account_id)),
        ("plan_id", text(&s.plan_id.to_string())),
        ("status", text(&s.status)),
        ("amount_minor", Value::Long(s.amount_minor)),
        ("currency", text(&s.currency)),
        ("billing_period", text(&s.billing_period)),
        ("started_at", text(&s.started_at)),
        ("trial_ends_at", optional(s.trial_ends_at.as_ref())),
        ("current_period_end", text(&s.current_period_end)),
        ("trial_noticed", Value::Boolean(s.trial_noticed)),
        ("renewals", count(s.renewals)),
        ("attempts", count(s.attempts)),
        ("next_attempt_at", optional(s.next_attempt_at.as_ref())),
        ("canceled_at", optional(s.canceled_at.as_ref())),
        ("ends_at", optional(s.ends_at.as_ref())),
        ("expired_at", optional(s.expired_at.as_ref())),
        ("access_ends_at", optional(s.access_ends_at.as_ref())),
        ("version", long(s.version)),
        ("updated_at", text(&s.updated_at)),
    ])
}

fn account(a: &AccountView) -> Value {
    record(vec![
        ("subject", text(&a.subject)),
        ("email", text(&a.email)),
        ("display_name", text(&a.display_name)),
        (
            "roles",
            Value::Array(a.roles.iter().map(|r| text(r)).collect()),
        ),
        ("phone", optional(a.phone.as_ref())),
        ("locale", optional(a.locale.as_ref())),
        // A list the JDBC sink can store in one column.
        ("opted_out", text(&a.opted_out.join(","))),
        ("version", long(a.version)),
        ("updated_at", text(&a.updated_at)),
    ])
}

/// What `feed` publishes for `doc`: the key, and the state (`None`: a tombstone). Nothing for a
/// document of another kind.
pub fn state_of(feed: &FeedSpec, doc: &Doc) -> Option<(String, Option<Value>)> {
    if doc.key().kind != feed.kind {
        return None;
    }
    let gone = doc.deleted() || (feed.visible_only && !doc.visible());
    let (key, value) = match doc {
        Doc::Video(v) => (v.id.to_string(), video(v)),
        Doc::Subscription(s) => (s.id.to_string(), subscription(s)),
        Doc::Account(a) => (a.subject.clone(), account(a)),
        Doc::Category(_)
        | Doc::Genre(_)
        | Doc::CastMember(_)
        | Doc::Plan(_)
        | Doc::Notification(_)
        | Doc::Encoding(_) => return None,
    };
    Some((key, (!gone).then_some(value)))
}

/// The header that carries the aggregate's version a state record is at.
pub const VERSION_HEADER: &str = "codeflix_version";

/// A feed's working store that publishes what it commits (see the module's documentation).
pub struct FeedStore {
    feed: FeedSpec,
    topic: String,
    partitions: i32,
    local: Arc<dyn DocStore>,
    producer: FutureProducer,
    codec: RegistryCodec,
}

impl std::fmt::Debug for FeedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedStore")
            .field("feed", &self.feed.name)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string().into())
}

/// Creates every feed's topic that does not exist yet (compacted), so that sinks started before
/// the feeds' first records find them.
pub async fn ensure_topics(config: &EventLogConfig) -> Result<(), crate::ProjectorError> {
    let topics: Vec<String> = FeedSpec::ALL
        .iter()
        .map(|feed| feed.topic(&config.topics.prefix))
        .collect();
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        config.client(&[]).create().map_err(crate::runner::kafka)?;
    codeflix_eventlog::topics::ensure_state_topics(&admin, &topics, &config.topics).await?;
    Ok(())
}

impl FeedStore {
    /// Publishes `feed` to its topic (created compacted if missing), keeping its working state
    /// in `local`.
    pub async fn open(
        config: &EventLogConfig,
        feed: FeedSpec,
        local: Arc<dyn DocStore>,
    ) -> Result<FeedStore, crate::ProjectorError> {
        let topic = feed.topic(&config.topics.prefix);
        let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
            config.client(&[]).create().map_err(crate::runner::kafka)?;
        codeflix_eventlog::topics::ensure_state_topics(
            &admin,
            std::slice::from_ref(&topic),
            &config.topics,
        )
        .await?;
        let producer: FutureProducer = config
            .client(&[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("linger.ms", "5"),
                ("message.timeout.ms", "60000"),
            ])
            .create()
            .map_err(crate::runner::kafka)?;
        feed.named_schema()?;
        Ok(FeedStore {
            feed,
            topic,
            partitions: config.topics.partitions,
            local,
            producer,
            codec: RegistryCodec::new(&config.schema_registry_url)?,
        })
    }

    /// Sends the states of `docs`, in order, and waits until Kafka has them all.
    async fn publish(&self, docs: &[Doc]) -> Result<usize, StoreError> {
        let schema = self.feed.named_schema()?;
        let mut records = Vec::new();
        for doc in docs {
            let Some((key, state)) = state_of(&self.feed, doc) else {
                continue;
            };
            let payload = match state {
                Some(value) => Some(
                    self.codec
                        .encode_record(&self.topic, schema, value)
                        .await
                        .map_err(|e| StoreError::Backend(Box::new(e)))?,
                ),
                None => None,
            };
            records.push((key, payload, doc.version().to_string()));
        }
        let sends = records.iter().map(|(key, payload, version)| {
            let mut record = FutureRecord::to(&self.topic)
                .key(key.as_bytes())
                .partition(partition_for(key.as_bytes(), self.partitions))
                .headers(OwnedHeaders::new().insert(Header {
                    key: VERSION_HEADER,
                    value: Some(version.as_bytes()),
                }));
            if let Some(payload) = payload {
                record = record.payload(payload.as_slice());
            }
            let producer = &self.producer;
            async move {
                producer
                    .send(record, Duration::from_secs(60))
                    .await
                    .map_err(|(e, _)| backend(format!("publishing to the state feed: {e}")))
            }
        });
        try_join_all(sends).await?;
        Ok(records.len())
    }
}

#[async_trait]
impl DocReads for FeedStore {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        self.local.load(keys).await
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        self.local.positions().await
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        self.local.export().await
    }
}

#[async_trait]
impl DocStore for FeedStore {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        // Kafka has the states before the positions move past the events they came from.
        self.publish(&changes.docs).await?;
        self.local.commit(changes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeflix_readmodel::views::VideoView;

    fn draft() -> Doc {
        Doc::Video(VideoView {
            id: uuid::Uuid::from_u128(1),
            title: "Draft".into(),
            description: "d".into(),
            launch_year: 2024,
            duration_minutes: 90,
            rating: "L".into(),
            opened: false,
            published: false,
            deleted: false,
            categories: vec![uuid::Uuid::from_u128(2)],
            genres: Vec::new(),
            cast_members: Vec::new(),
            media: Vec::new(),
            version: 3,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-02T00:00:00.000000Z".into(),
        })
    }

    #[test]
    fn states_resolve_against_their_schemas() {
        let schema = FeedSpec::VIDEOS.named_schema().unwrap();
        let (key, state) = state_of(&FeedSpec::VIDEOS, &draft()).unwrap();
        assert_eq!(key, uuid::Uuid::from_u128(1).to_string());
        let state = state.expect("a draft exists");
        assert!(state.validate(&schema.schema), "{state:?}");
    }

    #[test]
    fn what_viewers_do_not_see_is_a_tombstone_in_the_published_feed() {
        let (_, published) = state_of(&FeedSpec::PUBLISHED_VIDEOS, &draft()).unwrap();
        assert!(published.is_none(), "a draft is not published");
        let Doc::Video(mut video) = draft() else {
            unreachable!()
        };
        video.published = true;
        assert!(
            state_of(&FeedSpec::PUBLISHED_VIDEOS, &Doc::Video(video.clone()))
                .unwrap()
                .1
                .is_some()
        );
        video.deleted = true;
        assert!(
            state_of(&FeedSpec::VIDEOS, &Doc::Video(video))
                .unwrap()
                .1
                .is_none(),
            "deleted: a tombstone in every feed"
        );
        assert!(state_of(&FeedSpec::SUBSCRIPTIONS, &draft()).is_none());
    }
}
