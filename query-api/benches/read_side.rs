//! The read side, measured in one run on the embedded stack:
//!
//! 1. replay: `EVENTS` video events (10 per video: created, uploaded, processing, completed,
//!    published, 5 updates) produced to the video topic, then projected from scratch three times by
//!    the same projector code: into an in-memory store (the baseline: consuming, decoding and
//!    applying, no storage), into the SQLite catalog and into the tantivy index — events/s each and
//!    the ratio to the baseline;
//! 2. reads under load: `CONCURRENCY` clients for `SECONDS` each on list, get and search through
//!    the query API over real HTTP — requests/s, p50 and p99;
//! 3. freshness: `FRESHNESS` updates through the event log while the projectors run, each followed
//!    by a read carrying its consistency token — p50 and p99 from command to visible.
//!
//! Prints Markdown tables; asserts nothing (a read that does not show its write aborts the run).
//!
//! `cargo bench -p codeflix-query-api --bench read_side`.

#![allow(clippy::unwrap_used)]

use codeflix_testkit::load::knob;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_domain::catalog::video::{
    MediaId, MediaProcessingCompleted, MediaProcessingStarted, MediaSlot, Rating, VideoCreated,
    VideoEvent, VideoPublished, VideoUpdated, VideoUploaded,
};
use codeflix_domain::{
    AggregateType, AnyEvent, Envelope, EventId, EventMetadata, Timestamp, Version,
};
use codeflix_eventlog::EventLog;
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::topics::event_topic;
use codeflix_projectors::{ProjectionSpec, ProjectorMetrics};
use codeflix_query_api::QueryState;
use codeflix_readmodel::Position;
use codeflix_readmodel::search::tantivy::TantivySearch;
use codeflix_readmodel::store::sqlite::SqliteCatalog;
use codeflix_readmodel::store::{Changes, DocReads, DocStore, StoreError};
use codeflix_readmodel::views::{Doc, DocKey};
use futures::stream::{FuturesUnordered, StreamExt};
use prometheus_client::registry::Registry;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use uuid::Uuid;

const WORDS: [&str; 12] = [
    "lighthouse",
    "river",
    "winter",
    "garden",
    "stranger",
    "island",
    "mirror",
    "harbor",
    "desert",
    "forest",
    "letter",
    "station",
];

fn envelope(video: Uuid, version: u64, event: VideoEvent) -> Envelope<AnyEvent> {
    Envelope {
        metadata: EventMetadata {
            event_id: EventId(Uuid::new_v4()),
            aggregate_type: AggregateType::Video,
            aggregate_id: video.to_string(),
            aggregate_version: Version::new(version),
            occurred_at: Timestamp::from_unix_micros(1_790_000_000_000_000 + version as i64)
                .unwrap(),
            correlation_id: Uuid::new_v4(),
            causation_id: Uuid::new_v4(),
            actor: "bench".into(),
        },
        event: AnyEvent::Video(event),
    }
}

/// The ten events of video `n`.
fn history(n: usize) -> Vec<Envelope<AnyEvent>> {
    let id = Uuid::from_u64_pair(0xbe7c4, n as u64);
    let media = MediaId::new(Uuid::from_u64_pair(0x3ed1a, n as u64));
    let title = |round: usize| {
        format!(
            "The {} {} {n} {round}",
            WORDS[n % WORDS.len()],
            WORDS[(n / 7 + round) % WORDS.len()]
        )
    };
    let description = format!(
        "A story about a {} and a {}.",
        WORDS[(n / 3) % WORDS.len()],
        WORDS[(n / 5) % WORDS.len()]
    );
    let mut events = vec![
        VideoEvent::VideoCreated(VideoCreated {
            title: title(0),
            description: description.clone(),
            launch_year: 1990 + (n % 30) as u16,
            duration_minutes: 90,
            rating: Rating::ALL[n % Rating::ALL.len()],
            opened: false,
            categories: Vec::new(),
            genres: Vec::new(),
            cast_members: Vec::new(),
        }),
        VideoEvent::VideoUploaded(VideoUploaded {
            media_id: media,
            slot: MediaSlot::Video,
            checksum: "a".repeat(64),
            size_bytes: 1 << 20,
            content_type: "video/mp4".into(),
            raw_location: format!("raw/{id}.mp4"),
        }),
        VideoEvent::MediaProcessingStarted(MediaProcessingStarted {
            media_id: media,
            slot: MediaSlot::Video,
        }),
        VideoEvent::MediaProcessingCompleted(MediaProcessingCompleted {
            media_id: media,
            slot: MediaSlot::Video,
            encoded_location: format!("encoded/{id}/master.m3u8"),
        }),
        VideoEvent::VideoPublished(VideoPublished),
    ];
    for round in 1..=5 {
        events.push(VideoEvent::VideoUpdated(VideoUpdated {
            title: title(round),
            description: description.clone(),
            launch_year: 1990 + (n % 30) as u16,
            duration_minutes: 90,
            rating: Rating::ALL[n % Rating::ALL.len()],
            opened: false,
        }));
    }
    events
        .into_iter()
        .zip(1..)
        .map(|(event, version)| envelope(id, version, event))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing_subscriber_init();
    let events = knob("EVENTS", 100_000);
    let concurrency = knob("CONCURRENCY", 16);
    let seconds = knob("SECONDS", 5) as u64;
    let freshness = knob("FRESHNESS", 200);
    let videos = events.div_ceil(10);
    let dir = tempfile::tempdir().unwrap();
    let stack = EmbeddedStack::start(dir.path()).await.unwrap();
    let config = stack.config();
    let log = EventLog::connect(config.clone()).await.unwrap();
    let topic = event_topic("codeflix", AggregateType::Video);

    // Produce the history.
    let producer: FutureProducer = config.producer().create().unwrap();
    let started = Instant::now();
    let mut sends = FuturesUnordered::new();
    for n in 0..videos {
        for envelope in history(n) {
            let (_, bytes) = log.codec().encode(&topic, &envelope).await.unwrap();
            let key = envelope.metadata.aggregate_id.clone();
            let producer = producer.clone();
            let topic = topic.clone();
            sends.push(async move {
                producer
                    .send(
                        FutureRecord::to(&topic).key(&key).payload(&bytes),
                        Timeout::Never,
                    )
                    .await
                    .unwrap();
            });
            if sends.len() >= 5000 {
                sends.next().await;
            }
        }
    }
    while sends.next().await.is_some() {}
    let produced = videos * 10;
    eprintln!("produced {produced} events in {:?}", started.elapsed());

    let catalog = Arc::new(
        SqliteCatalog::open(&dir.path().join("views/catalog.db"))
            .await
            .unwrap(),
    );
    let search = Arc::new(
        TantivySearch::open(&dir.path().join("views/search"), true)
            .await
            .unwrap(),
    );
    let billing = Arc::new(
        SqliteCatalog::open(&dir.path().join("views/billing.db"))
            .await
            .unwrap(),
    );
    let mut rates = Vec::new();
    for (name, spec, store) in [
        (
            "memory (baseline)",
            ProjectionSpec {
                name: "memory".into(),
                ..ProjectionSpec::catalog()
            },
            Arc::new(MemoryStore::default()) as Arc<dyn DocStore>,
        ),
        (
            "SQLite catalog",
            ProjectionSpec::catalog(),
            catalog.clone() as Arc<dyn DocStore>,
        ),
        (
            "tantivy search",
            ProjectionSpec::search(),
            search.clone() as Arc<dyn DocStore>,
        ),
    ] {
        let started = Instant::now();
        codeflix_projectors::catch_up(&config, &spec, store.clone(), ProjectorMetrics::default())
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let docs = store.export().await.unwrap().len();
        assert_eq!(docs, videos, "{name} holds every video");
        rates.push((name, produced as f64 / elapsed.as_secs_f64(), elapsed));
    }

    println!("## Replay of {produced} events ({videos} videos)\n");
    println!("| projection into | events/s | time | ratio to memory |");
    println!("|---|---:|---:|---:|");
    let baseline = rates[0].1;
    for (name, rate, elapsed) in &rates {
        println!(
            "| {name} | {rate:.0} | {:.1} s | {:.0}% |",
            elapsed.as_secs_f64(),
            rate / baseline * 100.0
        );
    }

    // The query API over real HTTP, with the projectors running for the freshness part.
    let state = QueryState::new(
        codeflix_query_api::Reads {
            catalog: catalog.clone(),
            catalog_topics: ProjectionSpec::catalog().topics("codeflix"),
            search: search.clone(),
            search_topics: ProjectionSpec::search().topics("codeflix"),
            // Not measured: an empty store.
            billing,
            billing_topics: ProjectionSpec::billing().topics("codeflix"),
            notifications: Arc::new(
                SqliteCatalog::open(&dir.path().join("views/notifications.db"))
                    .await
                    .unwrap(),
            ),
            notifications_topics: ProjectionSpec::notifications().topics("codeflix"),
        },
        Duration::from_secs(30),
        Registry::default(),
        // The admins' routes are not measured; nothing answers at this issuer.
        Arc::new(codeflix_auth::Verifier::new(
            codeflix_auth::VerifierConfig::new("http://127.0.0.1:9/realms/none"),
        )),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(codeflix_http::serve(
        listener,
        codeflix_query_api::router(state),
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    println!("\n## Reads under load ({concurrency} concurrent clients, {seconds} s each)\n");
    println!("| request | requests/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    type Path = fn(usize) -> String;
    let kinds: [(&str, Path); 3] = [
        ("GET /videos?limit=20&sort=-launch_year", |_| {
            "/videos?limit=20&sort=-launch_year".to_owned()
        }),
        ("GET /videos/{id}", |i| {
            format!(
                "/videos/{}",
                Uuid::from_u64_pair(0xbe7c4, (i * 7919) as u64 % 1000)
            )
        }),
        ("GET /search?q=<word>", |i| {
            format!("/search?q={}", WORDS[i % WORDS.len()])
        }),
    ];
    for (name, path) in kinds {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut clients = FuturesUnordered::new();
        for c in 0..concurrency {
            let client = client.clone();
            let base = base.clone();
            clients.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = c;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let response = client
                        .get(format!("{base}{}", path(i)))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    response.bytes().await.unwrap();
                    latencies.push(started.elapsed());
                    i += concurrency;
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        while let Some(latencies) = clients.next().await {
            all.extend(latencies.unwrap());
        }
        all.sort_unstable();
        println!(
            "| {name} | {:.0} | {:.1} | {:.1} |",
            all.len() as f64 / seconds as f64,
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        );
    }

    // Freshness: command to visible through the consistency token.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    for (spec, store) in [
        (
            ProjectionSpec::catalog(),
            catalog.clone() as Arc<dyn DocStore>,
        ),
        (
            ProjectionSpec::search(),
            search.clone() as Arc<dyn DocStore>,
        ),
    ] {
        let config = config.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            codeflix_projectors::run(
                &config,
                &spec,
                store,
                ProjectorMetrics::default(),
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                },
            )
            .await
            .unwrap();
        });
    }
    let video = codeflix_domain::catalog::video::VideoId::new(Uuid::new_v4());
    let details = |title: &str| codeflix_domain::catalog::video::VideoDetails {
        title: codeflix_domain::catalog::video::Title::parse(title).unwrap(),
        description: codeflix_domain::catalog::video::VideoDescription::parse("fresh").unwrap(),
        launch_year: codeflix_domain::catalog::video::LaunchYear::parse(2020).unwrap(),
        duration: codeflix_domain::catalog::video::DurationMinutes::parse(90).unwrap(),
        rating: Rating::L,
        opened: false,
    };
    let ctx = || codeflix_domain::CommandContext {
        command_id: Uuid::new_v4(),
        correlation_id: Uuid::new_v4(),
        actor: "bench".into(),
        now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
    };
    log.execute::<codeflix_domain::catalog::video::Video>(
        &ctx(),
        &video,
        codeflix_domain::ExpectedVersion::Any,
        codeflix_domain::catalog::video::CreateVideo {
            details: details("Fresh 0"),
            categories: Vec::new(),
            genres: Vec::new(),
            cast_members: Vec::new(),
        }
        .into(),
    )
    .await
    .unwrap();
    let mut latencies = Vec::with_capacity(freshness);
    for round in 1..=freshness {
        let started = Instant::now();
        let title = format!("Fresh {round}");
        let appended = log
            .execute::<codeflix_domain::catalog::video::Video>(
                &ctx(),
                &video,
                codeflix_domain::ExpectedVersion::Any,
                codeflix_domain::catalog::video::UpdateVideo {
                    details: details(&title),
                }
                .into(),
            )
            .await
            .unwrap();
        let last = appended.positions.last().unwrap();
        // A viewers' list carrying the token answers once the catalog projection has applied the
        // update (the draft itself is not shown to viewers, so the store is checked after).
        let response = client
            .get(format!("{base}/videos?limit=1"))
            .header(
                "codeflix-consistency-token",
                format!("{}:{}:{}", last.topic, last.partition, last.offset),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        latencies.push(started.elapsed());
        let stored = catalog
            .load(&[codeflix_readmodel::views::DocKey {
                kind: codeflix_readmodel::views::DocKind::Video,
                id: video.as_uuid(),
            }])
            .await
            .unwrap();
        assert!(
            matches!(stored.as_slice(), [codeflix_readmodel::views::Doc::Video(v)] if v.title == title),
            "the write is visible once the token is"
        );
    }
    latencies.sort_unstable();
    println!(
        "\n## Freshness: command to visible with its consistency token ({freshness} updates)\n"
    );
    println!("| p50 ms | p99 ms |");
    println!("|---:|---:|");
    println!(
        "| {:.1} | {:.1} |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    let _ = stop.send(true);
    log.shutdown().await;
}

fn tracing_subscriber_init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CODEFLIX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// The baseline store: documents and positions in memory, nothing written anywhere.
#[derive(Debug, Default)]
struct MemoryStore {
    docs: std::sync::Mutex<std::collections::HashMap<DocKey, Doc>>,
    positions: std::sync::Mutex<std::collections::BTreeMap<(String, i32), i64>>,
}

#[async_trait::async_trait]
impl DocReads for MemoryStore {
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError> {
        let docs = self.docs.lock().unwrap();
        Ok(keys.iter().filter_map(|k| docs.get(k).cloned()).collect())
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        Ok(self
            .positions
            .lock()
            .unwrap()
            .iter()
            .map(|((topic, partition), &next_offset)| Position {
                topic: topic.clone(),
                partition: *partition,
                offset: next_offset,
            })
            .collect())
    }

    async fn export(&self) -> Result<Vec<Doc>, StoreError> {
        let mut docs: Vec<Doc> = self.docs.lock().unwrap().values().cloned().collect();
        docs.sort_by_key(Doc::key);
        Ok(docs)
    }
}

#[async_trait::async_trait]
impl DocStore for MemoryStore {
    async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        let mut docs = self.docs.lock().unwrap();
        for doc in changes.docs {
            docs.insert(doc.key(), doc);
        }
        let mut positions = self.positions.lock().unwrap();
        for p in changes.positions {
            let next = positions.entry((p.topic, p.partition)).or_insert(0);
            *next = (*next).max(p.offset);
        }
        Ok(())
    }
}
