//! Projections against the real embedded broker: what admins did shows up in the views and the
//! search index; redelivery changes nothing; what cannot apply is dead-lettered and re-driven.

use std::sync::Arc;

use codeflix_consumer::dlq;
use codeflix_domain::catalog::video::{Rating, VideoCreated, VideoEvent, VideoUpdated};
use codeflix_domain::{
    AggregateType, AnyEvent, Envelope, EventId, EventMetadata, Timestamp, Version,
};
use codeflix_eventlog::topics::event_topic;
use codeflix_projectors::ProjectionSpec;
use codeflix_readmodel::search::tantivy::TantivySearch;
use codeflix_readmodel::search::{SearchQuery, SearchReads};
use codeflix_readmodel::store::sqlite::SqliteCatalog;
use codeflix_readmodel::store::{
    CatalogReads, Changes, DocReads, DocStore, ListQuery, VideoFilter,
};
use codeflix_readmodel::views::{Doc, DocKey, DocKind};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use uuid::Uuid;

use codeflix_testkit::faults::HttpFault;
use codeflix_testkit::{Stack, caught_up, sample};

fn catalog_topics() -> Vec<String> {
    ProjectionSpec::catalog().topics("codeflix")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_admins_did_shows_in_the_views_and_the_search_index() {
    let stack = Stack::start().await;
    let c = sample::build(&stack).await;
    let store = Arc::new(
        SqliteCatalog::open(&stack.path("views/catalog.db"))
            .await
            .unwrap(),
    );
    let index = Arc::new(
        TantivySearch::open(&stack.path("views/search"), true)
            .await
            .unwrap(),
    );
    let views = stack.project(ProjectionSpec::catalog(), store.clone());
    // The search projection joins its consumer group (the catalog reads every partition).
    let search = stack.project(
        ProjectionSpec {
            membership: codeflix_consumer::Membership::ConsumerGroup,
            ..ProjectionSpec::search()
        },
        index.clone(),
    );
    caught_up(&stack.config(), store.as_ref(), &catalog_topics()).await;
    caught_up(
        &stack.config(),
        index.as_ref(),
        &ProjectionSpec::search().topics("codeflix"),
    )
    .await;

    let videos = store.list(&ListQuery::new(DocKind::Video)).await.unwrap();
    let [Doc::Video(video)] = videos.docs.as_slice() else {
        panic!("viewers see exactly the published video: {videos:?}");
    };
    assert_eq!(video.id, c.published.as_uuid());
    assert_eq!(video.title, "The Lighthouse Keeper");
    assert_eq!(video.version, 5);
    assert_eq!(video.categories, vec![c.drama.as_uuid()]);
    assert_eq!(video.genres, vec![c.genre.as_uuid()]);
    assert_eq!(video.cast_members, vec![c.actor.as_uuid()]);
    assert_eq!(video.media.len(), 1);
    assert_eq!(video.media[0].status, "COMPLETED");
    assert_eq!(
        video.media[0].encoded_location.as_deref(),
        Some("encoded/keeper/master.m3u8")
    );
    let admins = store
        .list(&ListQuery {
            audience: codeflix_readmodel::store::Audience::Admins,
            ..ListQuery::new(DocKind::Video)
        })
        .await
        .unwrap();
    assert_eq!(admins.docs.len(), 2, "admins see the draft too");
    let by_genre = store
        .list(&ListQuery {
            filter: VideoFilter {
                genre: Some(c.genre.as_uuid()),
                ..VideoFilter::default()
            },
            ..ListQuery::new(DocKind::Video)
        })
        .await
        .unwrap();
    assert_eq!(by_genre.docs.len(), 1);
    let drama = store
        .load(&[DocKey {
            kind: DocKind::Category,
            id: c.drama.as_uuid(),
        }])
        .await
        .unwrap();
    let [Doc::Category(drama)] = drama.as_slice() else {
        panic!("{drama:?}")
    };
    assert_eq!(drama.name, "Dramas");
    assert_eq!(drama.description.as_deref(), Some("Serious films"));
    assert_eq!(drama.version, 2);

    let found = index
        .search(&SearchQuery {
            text: "lighthouse".into(),
            filter: VideoFilter::default(),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(
        found.hits.iter().map(|h| h.video.id).collect::<Vec<_>>(),
        vec![c.published.as_uuid()],
        "search shows the published video only"
    );
    assert!(found.hits[0].title_html.contains("<b>Lighthouse</b>"));
    assert_eq!(found.facets.categories, vec![(c.drama.as_uuid(), 1)]);
    views.stop().await;
    search.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_events_change_nothing() {
    let stack = Stack::start().await;
    sample::build(&stack).await;
    let first = Arc::new(SqliteCatalog::open(&stack.path("first.db")).await.unwrap());
    let running = stack.project(ProjectionSpec::catalog(), first.clone());
    caught_up(&stack.config(), first.as_ref(), &catalog_topics()).await;
    running.stop().await;
    let built = first.export().await.unwrap();
    assert_eq!(built.len(), 6);

    // A store holding the same documents but no positions, read by a new consumer group: every
    // event arrives again and must be recognised as applied.
    let second = Arc::new(SqliteCatalog::open(&stack.path("second.db")).await.unwrap());
    second
        .commit(Changes {
            docs: built.clone(),
            positions: Vec::new(),
        })
        .await
        .unwrap();
    let spec = ProjectionSpec {
        name: "catalog-again".into(),
        ..ProjectionSpec::catalog()
    };
    let running = stack.project(spec.clone(), second.clone());
    caught_up(&stack.config(), second.as_ref(), &spec.topics("codeflix")).await;
    running.stop().await;
    assert_eq!(second.export().await.unwrap(), built);
    assert!(
        dlq::list(&stack.config(), &spec.name)
            .await
            .unwrap()
            .is_empty(),
        "redelivery is not an error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encoding_jobs_progress_shows_in_the_catalog() {
    use codeflix_domain::catalog::video::{Checksum, MediaId, MediaSlot, StorageLocation, VideoId};
    use codeflix_domain::encoding::{
        EncodingJob, EncodingJobId, FailEncoding, Percent, ReportEncodingProgress, RequestEncoding,
        StartEncoding, WorkerName,
    };
    let stack = Stack::start().await;
    let store = Arc::new(
        SqliteCatalog::open(&stack.path("catalog.db"))
            .await
            .unwrap(),
    );
    let running = stack.project(ProjectionSpec::catalog(), store.clone());
    let (video, media) = (Uuid::new_v4(), Uuid::new_v4());
    let job = EncodingJobId::new(media);
    let key = DocKey {
        kind: DocKind::Encoding,
        id: media,
    };
    let seen = async |store: &SqliteCatalog| {
        caught_up(&stack.config(), store, &catalog_topics()).await;
        match store.load(&[key]).await.unwrap().pop() {
            Some(Doc::Encoding(e)) => e,
            other => panic!("no encoding document: {other:?}"),
        }
    };
    stack
        .run::<EncodingJob>(
            &job,
            RequestEncoding {
                video_id: VideoId::new(video),
                media_id: MediaId::new(media),
                slot: MediaSlot::Trailer,
                source_location: StorageLocation::parse("raw/trailer.mp4").unwrap(),
                checksum: Checksum::parse(&"c".repeat(64)).unwrap(),
            },
        )
        .await;
    let requested = seen(&store).await;
    assert_eq!(
        (
            requested.status.as_str(),
            requested.slot.as_str(),
            requested.video_id
        ),
        ("REQUESTED", "TRAILER", video)
    );
    for percent in [10, 40] {
        if percent == 10 {
            let worker = WorkerName::parse("worker-a").unwrap();
            stack
                .run::<EncodingJob>(&job, StartEncoding { worker })
                .await;
        }
        let percent = Percent::parse(percent).unwrap();
        stack
            .run::<EncodingJob>(&job, ReportEncodingProgress { percent })
            .await;
    }
    let progressed = seen(&store).await;
    assert_eq!(
        (
            progressed.status.as_str(),
            progressed.attempt,
            progressed.percent
        ),
        ("RUNNING", 1, 40)
    );
    assert_eq!(progressed.worker.as_deref(), Some("worker-a"));
    let reason = codeflix_domain::Reason::parse("ffmpeg crashed").unwrap();
    stack
        .run::<EncodingJob>(
            &job,
            FailEncoding {
                reason,
                retryable: true,
            },
        )
        .await;
    let failed = seen(&store).await;
    assert_eq!(failed.status, "FAILED");
    assert_eq!(failed.error.as_deref(), Some("ffmpeg crashed"));
    assert_eq!(failed.retryable, Some(true));
    running.stop().await;
}

fn envelope(video: Uuid, version: u64, event: VideoEvent) -> Envelope<AnyEvent> {
    Envelope {
        metadata: EventMetadata {
            event_id: EventId(Uuid::new_v4()),
            aggregate_type: AggregateType::Video,
            aggregate_id: video.to_string(),
            aggregate_version: Version::new(version),
            occurred_at: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
            correlation_id: Uuid::new_v4(),
            causation_id: Uuid::new_v4(),
            actor: "misrouted-producer".into(),
        },
        event: AnyEvent::Video(event),
    }
}

async fn produce(producer: &FutureProducer, topic: &str, partition: i32, key: &str, value: &[u8]) {
    producer
        .send(
            FutureRecord::to(topic)
                .partition(partition)
                .key(key)
                .payload(value),
            Timeout::Never,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_apply_is_dead_lettered_and_redriving_repairs_it() {
    let stack = Stack::start().await;
    let config = stack.config();
    let topic = event_topic("codeflix", AggregateType::Video);
    let producer: FutureProducer = config.producer().create().unwrap();
    let store = Arc::new(
        SqliteCatalog::open(&stack.path("catalog.db"))
            .await
            .unwrap(),
    );
    let running = stack.project(ProjectionSpec::catalog(), store.clone());

    // Garbage, and an update that arrives before its video's creation (a producer that broke
    // the keying put them on different partitions).
    let video = Uuid::new_v4();
    let created = envelope(
        video,
        1,
        VideoEvent::VideoCreated(VideoCreated {
            title: "Out of Order".into(),
            description: "d".into(),
            launch_year: 2020,
            duration_minutes: 90,
            rating: Rating::L,
            opened: false,
            categories: Vec::new(),
            genres: Vec::new(),
            cast_members: Vec::new(),
        }),
    );
    let updated = envelope(
        video,
        2,
        VideoEvent::VideoUpdated(VideoUpdated {
            title: "Out of Order, Fixed".into(),
            description: "d".into(),
            launch_year: 2020,
            duration_minutes: 90,
            rating: Rating::L,
            opened: false,
        }),
    );
    let codec = stack.log.codec();
    let (_, update_bytes) = codec.encode(&topic, &updated).await.unwrap();
    let (_, create_bytes) = codec.encode(&topic, &created).await.unwrap();
    produce(&producer, &topic, 0, "garbage", b"not avro at all").await;
    produce(&producer, &topic, 0, &video.to_string(), &update_bytes).await;
    caught_up(&config, store.as_ref(), &catalog_topics()).await;
    produce(&producer, &topic, 1, &video.to_string(), &create_bytes).await;
    caught_up(&config, store.as_ref(), &catalog_topics()).await;

    let letters = dlq::list(&config, "catalog").await.unwrap();
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert_eq!(letters[0].letter.record.topic, topic);
    assert_eq!(letters[0].letter.record.partition, 0);
    assert_eq!(letters[0].letter.record.offset, 0);
    assert!(
        letters[0].letter.reason.contains("Confluent wire format"),
        "{}",
        letters[0].letter.reason
    );
    assert_eq!(letters[1].letter.record.offset, 1);
    assert!(
        letters[1].letter.reason.contains("never seen"),
        "{}",
        letters[1].letter.reason
    );
    assert!(letters.iter().all(|l| !l.redriven));
    let key = DocKey {
        kind: DocKind::Video,
        id: video,
    };
    let Ok([Doc::Video(before)]) = <[Doc; 1]>::try_from(store.load(&[key]).await.unwrap()) else {
        panic!("the creation applied")
    };
    assert_eq!((before.title.as_str(), before.version), ("Out of Order", 1));

    // Redriving applies the update now that its video exists; the garbage fails again.
    assert_eq!(dlq::redrive(&config, "catalog").await.unwrap(), 2);
    let originals: Vec<bool> = dlq::list(&config, "catalog")
        .await
        .unwrap()
        .iter()
        .filter(|l| l.letter.record.topic == topic)
        .map(|l| l.redriven)
        .collect();
    assert_eq!(
        originals,
        vec![true, true],
        "each dead letter is re-driven once"
    );
    caught_up(&config, store.as_ref(), &catalog_topics()).await;
    let Ok([Doc::Video(after)]) = <[Doc; 1]>::try_from(store.load(&[key]).await.unwrap()) else {
        panic!("the video is still there")
    };
    assert_eq!(
        (after.title.as_str(), after.version),
        ("Out of Order, Fixed", 2)
    );
    let letters = dlq::list(&config, "catalog").await.unwrap();
    assert_eq!(letters.len(), 3, "{letters:?}");
    let again = letters
        .iter()
        .find(|l| l.letter.record.topic == dlq::redrive_topic("codeflix", "catalog"))
        .expect("the garbage failed again, from the redrive topic");
    assert!(!again.redriven);
    assert!(again.letter.reason.contains("Confluent wire format"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_into_an_empty_store_reads_from_the_beginning_even_in_an_old_group() {
    let stack = Stack::start().await;
    sample::build(&stack).await;
    let first = Arc::new(SqliteCatalog::open(&stack.path("first.db")).await.unwrap());
    let spec = ProjectionSpec::catalog();
    codeflix_projectors::catch_up(&stack.config(), &spec, first.clone(), Default::default())
        .await
        .unwrap();
    let built = first.export().await.unwrap();
    assert_eq!(built.len(), 6);
    // Same consumer group, whose offsets are now at the end; an empty store.
    let rebuilt = Arc::new(
        SqliteCatalog::open(&stack.path("rebuilt.db"))
            .await
            .unwrap(),
    );
    codeflix_projectors::catch_up(&stack.config(), &spec, rebuilt.clone(), Default::default())
        .await
        .unwrap();
    assert_eq!(rebuilt.export().await.unwrap(), built);
    assert_eq!(
        rebuilt.positions().await.unwrap(),
        first.positions().await.unwrap()
    );
}

/// A registry that answers 500 (an outage) or 429 (overload) for a while is the registry's
/// fault, not the events': the projection waits it out and applies everything, dead-lettering
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_answering_500_or_429_for_a_while_is_waited_out_not_dead_lettered() {
    for status in [500, 429] {
        let stack = Stack::start().await;
        sample::build(&stack).await;
        let registry = HttpFault::start(stack.embedded.registry_url()).await;
        registry.fail_with(status);
        let mut faulty = stack.config();
        faulty.schema_registry_url = registry.url().to_owned();
        let store = Arc::new(
            SqliteCatalog::open(&stack.path("catalog.db"))
                .await
                .unwrap(),
        );
        let running = stack.project_with(faulty, ProjectionSpec::catalog(), store.clone());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while registry.failed_requests() < 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "the projection never met the fault"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        registry.heal();
        let healed = std::time::Instant::now();
        caught_up(&stack.config(), store.as_ref(), &catalog_topics()).await;
        println!(
            "registry answering {status}: caught up {:?} after it answered again",
            healed.elapsed()
        );
        let letters = dlq::list(&stack.config(), "catalog").await.unwrap();
        assert!(
            letters.is_empty(),
            "{status}: dead letters for the registry's fault: {letters:?}"
        );
        assert!(
            !store
                .list(&ListQuery::new(DocKind::Video))
                .await
                .unwrap()
                .docs
                .is_empty(),
            "{status}: the sample's videos are projected"
        );
        running.stop().await;
    }
}
