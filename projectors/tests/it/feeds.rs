//! State feeds over the embedded broker and registry: the latest state per key in a compacted
//! topic, decodable through the registry as stock connectors read it; tombstones for deletes and
//! for what viewers do not see; a rebuild from nothing publishes the same states.

use std::collections::BTreeMap;
use std::sync::Arc;

use codeflix_domain::catalog::video::{DeleteVideo, Video};
use codeflix_eventlog::codec::RegistryCodec;
use codeflix_eventlog::reader::read_snapshot;
use codeflix_projectors::{FeedSpec, FeedStore, ProjectorMetrics};
use codeflix_readmodel::store::sqlite::SqliteCatalog;
use codeflix_testkit::{Stack, caught_up, sample};
use serde_json::Value;

/// The latest record per key of `feed`'s topic: its decoded value (`None` for a tombstone) and
/// its version header.
async fn latest(stack: &Stack, feed: &FeedSpec) -> BTreeMap<String, (Option<Value>, String)> {
    let config = stack.config();
    let codec = RegistryCodec::new(&config.schema_registry_url).unwrap();
    let records = read_snapshot(&config, &[feed.topic(&config.topics.prefix)])
        .await
        .unwrap();
    let mut latest = BTreeMap::new();
    for record in records {
        let key = String::from_utf8(record.key.clone().unwrap()).unwrap();
        let value = match &record.value {
            Some(bytes) => {
                let (schema, json) = codec.decode_json(bytes).await.unwrap();
                assert_eq!(schema, feed.schema);
                Some(json)
            }
            None => None,
        };
        let version = record
            .headers
            .iter()
            .find(|(name, _)| name == codeflix_projectors::feeds::VERSION_HEADER)
            .map(|(_, value)| value.clone())
            .unwrap();
        latest.insert(key, (value, version));
    }
    latest
}

/// Runs `feed` until it has applied everything written so far, into a working store at `path`.
async fn run_feed(stack: &Stack, feed: FeedSpec, path: &str) {
    let config = stack.config();
    let local = Arc::new(SqliteCatalog::open(&stack.path(path)).await.unwrap());
    let store = Arc::new(FeedStore::open(&config, feed, local.clone()).await.unwrap());
    codeflix_projectors::catch_up(
        &config,
        &feed.projection(),
        store,
        ProjectorMetrics::default(),
    )
    .await
    .unwrap();
    caught_up(
        &config,
        local.as_ref(),
        &feed.projection().topics(&config.topics.prefix),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_publish_each_videos_latest_state_and_tombstones() {
    let stack = Stack::start().await;
    let catalog = sample::build(&stack).await;
    run_feed(&stack, FeedSpec::VIDEOS, "feeds/videos.db").await;
    run_feed(&stack, FeedSpec::PUBLISHED_VIDEOS, "feeds/published.db").await;

    let all = latest(&stack, &FeedSpec::VIDEOS).await;
    let published = catalog.published.to_string();
    let draft = catalog.draft.to_string();
    let (state, _) = &all[&published];
    let state = state.as_ref().expect("the published video's state");
    assert_eq!(state["published"], true);
    assert_eq!(state["id"], published.as_str());
    let (draft_state, _) = &all[&draft];
    assert_eq!(draft_state.as_ref().unwrap()["published"], false);
    let shown = latest(&stack, &FeedSpec::PUBLISHED_VIDEOS).await;
    assert!(shown[&published].0.is_some());
    assert!(
        shown[&draft].0.is_none(),
        "a draft is a tombstone where viewers look"
    );

    // Deleting the published video: a tombstone in both feeds, after the states before it.
    stack.run::<Video>(&catalog.published, DeleteVideo).await;
    run_feed(&stack, FeedSpec::VIDEOS, "feeds/videos.db").await;
    run_feed(&stack, FeedSpec::PUBLISHED_VIDEOS, "feeds/published.db").await;
    let (gone, version) = &latest(&stack, &FeedSpec::VIDEOS).await[&published];
    assert!(gone.is_none(), "deleted: {gone:?}");
    assert!(version.parse::<u64>().unwrap() > 1);
    assert!(
        latest(&stack, &FeedSpec::PUBLISHED_VIDEOS).await[&published]
            .0
            .is_none()
    );

    // A rebuild from nothing (a new working store) publishes the same latest states.
    let before = latest(&stack, &FeedSpec::VIDEOS).await;
    run_feed(&stack, FeedSpec::VIDEOS, "feeds/videos-rebuilt.db").await;
    assert_eq!(latest(&stack, &FeedSpec::VIDEOS).await, before);
}
