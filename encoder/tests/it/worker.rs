//! The encoder worker and the catalog's reaction, against the embedded broker and registry, real
//! ffmpeg and a local object store: uploads become ladders, media statuses follow, failures end
//! where they should, a dead worker's job is taken over and a finished job is never redone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_consumer::dlq;
use codeflix_domain::catalog::video::{
    Checksum, ContentType, CreateVideo, DurationMinutes, LaunchYear, MediaId, MediaSlot,
    MediaStatus, Rating, StorageLocation, Title, UploadMedia, Video, VideoDescription,
    VideoDetails, VideoId,
};
use codeflix_domain::encoding::{EncodingJob, EncodingJobEvent, EncodingJobId, JobStatus};
use codeflix_domain::{AggregateType, AnyEvent};
use codeflix_encoder::EncoderMetrics;
use codeflix_encoder::playlist::master_variants;
use codeflix_encoder::worker::{self, WorkerSettings};
use codeflix_eventlog::reader::{decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_storage::MediaStore;
use codeflix_testkit::Stack;
use object_store::ObjectStoreExt;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::clip;

struct Env {
    stack: Stack,
    media: MediaStore,
}

impl Env {
    async fn start() -> Env {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,codeflix_encoder=info")
            .with_test_writer()
            .try_init();
        let stack = Stack::start().await;
        let media = MediaStore::local(&stack.path("media")).unwrap();
        Env { stack, media }
    }

    fn settings(&self) -> WorkerSettings {
        let mut settings = WorkerSettings::new(self.stack.path("work"));
        settings.progress_interval = Duration::from_millis(200);
        settings.retry_backoff = Duration::from_millis(50);
        settings
    }

    /// A video with `bytes` uploaded into its VIDEO slot, stored where the command API would.
    async fn upload(&self, bytes: Vec<u8>) -> (VideoId, MediaId) {
        let video = VideoId::new(Uuid::new_v4());
        let media = MediaId::new(Uuid::new_v4());
        self.stack
            .run::<Video>(
                &video,
                CreateVideo {
                    details: VideoDetails {
                        title: Title::parse("Test pattern").unwrap(),
                        description: VideoDescription::parse("Bars and a tone.").unwrap(),
                        launch_year: LaunchYear::parse(2024).unwrap(),
                        duration: DurationMinutes::parse(1).unwrap(),
                        rating: Rating::L,
                        opened: true,
                    },
                    categories: vec![],
                    genres: vec![],
                    cast_members: vec![],
                },
            )
            .await;
        let key = codeflix_storage::original_key(
            &video.to_string(),
            MediaSlot::Video.as_str(),
            &media.to_string(),
        );
        let size = bytes.len() as u64;
        let checksum: String = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        self.media
            .store()
            .put(&self.media.path(&key), bytes.into())
            .await
            .unwrap();
        self.stack
            .run::<Video>(
                &video,
                UploadMedia {
                    media_id: media,
                    slot: MediaSlot::Video,
                    checksum: Checksum::parse(&checksum).unwrap(),
                    size_bytes: size,
                    content_type: ContentType::parse("video/mp4").unwrap(),
                    raw_location: StorageLocation::parse(&self.media.location(&key)).unwrap(),
                },
            )
            .await;
        (video, media)
    }

    /// Runs the worker and the reaction until the returned sender says stop.
    fn encoder(
        &self,
        settings: WorkerSettings,
        metrics: &EncoderMetrics,
    ) -> (watch::Sender<bool>, JoinHandle<()>) {
        let (stop, stopped) = watch::channel(false);
        let (log, media, metrics) = (
            Arc::clone(&self.stack.log),
            self.media.clone(),
            metrics.clone(),
        );
        let membership = settings.membership;
        let task = tokio::spawn(async move {
            let (mut a, mut b) = (stopped.clone(), stopped);
            let work = worker::run(
                Arc::clone(&log),
                media,
                settings,
                metrics.clone(),
                async move {
                    let _ = a.wait_for(|s| *s).await;
                },
            );
            let react = codeflix_encoder::reaction::run(log, membership, metrics, async move {
                let _ = b.wait_for(|s| *s).await;
            });
            let (worked, reacted) = tokio::join!(work, react);
            worked.unwrap();
            reacted.unwrap();
        });
        (stop, task)
    }

    async fn media_status(
        &self,
        video: VideoId,
    ) -> Option<(MediaStatus, codeflix_domain::catalog::video::Media)> {
        let video = self.stack.log.load::<Video>(&video).await.unwrap();
        video
            .state()
            .media(MediaSlot::Video)
            .map(|m| (m.status, m.clone()))
    }

    /// Waits until the video's media reaches `status`.
    async fn media_reaches(
        &self,
        video: VideoId,
        status: MediaStatus,
    ) -> codeflix_domain::catalog::video::Media {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some((now, media)) = self.media_status(video).await
                && now == status
            {
                return media;
            }
            assert!(
                Instant::now() < deadline,
                "media of {video} is {:?}, not {status}",
                self.media_status(video).await.map(|(s, _)| s)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every event of the job, as read back from Kafka.
    async fn job_events(&self, media: MediaId) -> Vec<EncodingJobEvent> {
        let topic = event_topic(
            &self.stack.log.config().topics.prefix,
            AggregateType::EncodingJob,
        );
        let records = read_snapshot(self.stack.log.config(), &[topic])
            .await
            .unwrap();
        decode_all(self.stack.log.codec(), records)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.envelope.metadata.aggregate_id == media.to_string())
            .filter_map(|r| match r.envelope.event {
                AnyEvent::EncodingJob(event) => Some(event),
                _ => None,
            })
            .collect()
    }

    async fn object(&self, location: &str) -> Vec<u8> {
        let key = self.media.key_of(location).unwrap();
        self.media
            .store()
            .get(&self.media.path(&key))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }

    /// Keys of every object under `videos/<video>/video/<media>/encoded/`.
    async fn encoded_objects(&self, video: VideoId, media: MediaId) -> Vec<String> {
        use futures::TryStreamExt;
        let root = codeflix_storage::encoded_root(
            &video.to_string(),
            MediaSlot::Video.as_str(),
            &media.to_string(),
        );
        let listed: Vec<object_store::ObjectMeta> = self
            .media
            .store()
            .list(Some(&self.media.path(&root)))
            .try_collect()
            .await
            .unwrap();
        listed.into_iter().map(|m| m.location.to_string()).collect()
    }
}

fn registered() -> (Registry, EncoderMetrics) {
    let mut registry = Registry::with_prefix("codeflix");
    let metrics = EncoderMetrics::register(&mut registry);
    (registry, metrics)
}

fn metric(registry: &Registry, line: &str) -> u64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or(0)
}

fn kinds(events: &[EncodingJobEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            EncodingJobEvent::EncodingRequested(_) => "requested",
            EncodingJobEvent::EncodingStarted(_) => "started",
            EncodingJobEvent::EncodingProgressed(_) => "progressed",
            EncodingJobEvent::EncodingFinished(_) => "finished",
            EncodingJobEvent::EncodingFailed(_) => "failed",
        })
        .filter(|k| *k != "progressed")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_becomes_a_ladder_and_a_completed_media_and_is_never_encoded_twice() {
    let env = Env::start().await;
    let source = clip(env.stack.dir.path(), "source.mp4", "640x360", 6, false);
    let (video, media) = env.upload(std::fs::read(&source).unwrap()).await;
    let (registry, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);

    let completed = env.media_reaches(video, MediaStatus::Completed).await;
    let events = env.job_events(media).await;
    assert_eq!(kinds(&events), ["requested", "started", "finished"]);
    let Some(EncodingJobEvent::EncodingFinished(finished)) = events.last() else {
        unreachable!()
    };
    assert_eq!(finished.attempt, 1);
    assert_eq!(
        completed.encoded_location.as_deref(),
        Some(finished.hls_manifest_location.as_str()),
        "the media points at the master playlist"
    );
    assert!(
        (5_900..=6_100).contains(&finished.duration_ms),
        "{}",
        finished.duration_ms
    );
    // The ladder is capped at the source (360p); the master lists what the event says.
    let names: Vec<&str> = finished
        .renditions
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["360p"]);
    let master = String::from_utf8(env.object(&finished.hls_manifest_location).await).unwrap();
    let variants = master_variants(&master);
    assert_eq!(variants.len(), finished.renditions.len());
    assert_eq!((variants[0].width, variants[0].height), (640, 360));
    let variant =
        String::from_utf8(env.object(&finished.renditions[0].playlist_location).await).unwrap();
    assert!(variant.contains("#EXT-X-ENDLIST"), "{variant}");
    let dash = String::from_utf8(env.object(&finished.dash_manifest_location).await).unwrap();
    assert!(dash.contains("<MPD"), "{dash}");
    assert!(
        env.encoded_objects(video, media)
            .await
            .iter()
            .all(|key| key.contains("/encoded/1/")),
        "only the finished attempt's objects remain"
    );
    assert_eq!(
        metric(
            &registry,
            "codeflix_encoder_jobs_total{outcome=\"finished\"}"
        ),
        1
    );
    stop.send(true).unwrap();
    task.await.unwrap();

    // Another group reads the upload again (a replay, a new deployment): the finished job is
    // recognised, nothing is encoded or appended.
    let version = env
        .stack
        .log
        .load::<EncodingJob>(&EncodingJobId::new(media.as_uuid()))
        .await
        .unwrap()
        .version();
    let (registry, metrics) = registered();
    let mut replay = env.settings();
    replay.group = "codeflix-encoder-replay".into();
    let (stop, task) = env.encoder(replay, &metrics);
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(
        &registry,
        "codeflix_encoder_jobs_total{outcome=\"skipped\"}",
    ) < 1
    {
        assert!(
            Instant::now() < deadline,
            "the replayed upload was not handled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    let job = env
        .stack
        .log
        .load::<EncodingJob>(&EncodingJobId::new(media.as_uuid()))
        .await
        .unwrap();
    assert_eq!(job.version(), version, "nothing was appended to the job");
    assert_eq!(
        metric(
            &registry,
            "codeflix_encoder_jobs_total{outcome=\"finished\"}"
        ),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_video_fails_once_with_a_reason_and_an_error_status() {
    let env = Env::start().await;
    // An MP4 header (what sniffing at upload sees) followed by noise.
    let mut garbage = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    garbage.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let (video, media) = env.upload(garbage).await;
    let (registry, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);

    let errored = env.media_reaches(video, MediaStatus::Error).await;
    let events = env.job_events(media).await;
    assert_eq!(kinds(&events), ["requested", "started", "failed"]);
    let Some(EncodingJobEvent::EncodingFailed(failed)) = events.last() else {
        unreachable!()
    };
    assert!(!failed.retryable);
    assert!(
        failed.reason.contains("not a decodable video"),
        "{}",
        failed.reason
    );
    assert_eq!(errored.error.as_deref(), Some(failed.reason.as_str()));
    assert!(env.encoded_objects(video, media).await.is_empty());
    assert_eq!(
        metric(&registry, "codeflix_encoder_jobs_total{outcome=\"failed\"}"),
        1
    );
    stop.send(true).unwrap();
    task.await.unwrap();
    let letters = dlq::list(env.stack.log.config(), worker::NAME)
        .await
        .unwrap();
    assert!(
        letters.is_empty(),
        "a file that is not a video is not an operator's problem"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_another_attempt_may_fix_are_retried_then_dead_lettered() {
    let env = Env::start().await;
    let source = clip(env.stack.dir.path(), "source.mp4", "320x240", 2, true);
    let (video, media) = env.upload(std::fs::read(&source).unwrap()).await;
    let (registry, metrics) = registered();
    let mut settings = env.settings();
    settings.encoder.ffmpeg = "/nonexistent/ffmpeg".into();
    settings.max_attempts = 2;
    let (stop, task) = env.encoder(settings, &metrics);

    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(
        &registry,
        "codeflix_encoder_jobs_total{outcome=\"dead_lettered\"}",
    ) < 1
    {
        assert!(Instant::now() < deadline, "the job was not dead-lettered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The media shows each failure; the last one says the encoder gave up.
    let errored = loop {
        let errored = env.media_reaches(video, MediaStatus::Error).await;
        if errored
            .error
            .as_deref()
            .is_some_and(|e| e.contains("giving up"))
        {
            break errored;
        }
        assert!(Instant::now() < deadline, "{errored:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stop.send(true).unwrap();
    task.await.unwrap();
    let events = env.job_events(media).await;
    assert_eq!(
        kinds(&events),
        ["requested", "started", "failed", "started", "failed"]
    );
    let failures: Vec<(u32, bool)> = events
        .iter()
        .filter_map(|e| match e {
            EncodingJobEvent::EncodingFailed(f) => Some((f.attempt, f.retryable)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        [(1, true), (2, true)],
        "the cause may pass: still retryable"
    );
    assert!(errored.error.unwrap().contains("/nonexistent/ffmpeg"));
    let letters = dlq::list(env.stack.log.config(), worker::NAME)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(
        letters[0].letter.record.topic,
        event_topic(&env.stack.log.config().topics.prefix, AggregateType::Video)
    );
    assert!(
        letters[0].letter.reason.contains("failed 2 times"),
        "{}",
        letters[0].letter.reason
    );

    // The cause is fixed and an operator re-drives the dead letter: one more attempt, which
    // finishes.
    let (_, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);
    assert_eq!(
        dlq::redrive(env.stack.log.config(), worker::NAME)
            .await
            .unwrap(),
        1
    );
    env.media_reaches(video, MediaStatus::Completed).await;
    stop.send(true).unwrap();
    task.await.unwrap();
    let events = env.job_events(media).await;
    assert_eq!(
        kinds(&events)[5..],
        ["started", "finished"],
        "the redriven attempt is the third"
    );
    assert!(
        dlq::list(env.stack.log.config(), worker::NAME)
            .await
            .unwrap()[0]
            .redriven
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_is_taken_over_without_leftovers() {
    let env = Env::start().await;
    let source = clip(env.stack.dir.path(), "source.mp4", "640x360", 20, false);
    let (video, media) = env.upload(std::fs::read(&source).unwrap()).await;
    let id = EncodingJobId::new(media.as_uuid());
    let (_, metrics) = registered();
    let (_stop, task) = env.encoder(env.settings(), &metrics);

    // Wait until the first attempt has produced something on disk, then kill the worker the
    // way a crash would: every future dropped, its ffmpeg killed, no report.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = env.stack.log.load::<EncodingJob>(&id).await.unwrap();
        if job.state().status() == Some(JobStatus::Running) {
            break;
        }
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    task.abort();
    let _ = task.await;
    let job = env.stack.log.load::<EncodingJob>(&id).await.unwrap();
    assert_eq!(
        job.state().status(),
        Some(JobStatus::Running),
        "the first attempt should have been killed mid-encode (a faster machine needs a longer clip)"
    );
    // Leave a half output of the dead attempt in the store, as a crash during upload would.
    let stale = format!(
        "{}1/v0/seg_00000.m4s",
        codeflix_storage::encoded_root(&video.to_string(), "VIDEO", &media.to_string())
    );
    env.media
        .store()
        .put(&env.media.path(&stale), b"half".to_vec().into())
        .await
        .unwrap();

    let (registry, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);
    env.media_reaches(video, MediaStatus::Completed).await;
    stop.send(true).unwrap();
    task.await.unwrap();
    let events = env.job_events(media).await;
    assert_eq!(
        kinds(&events),
        ["requested", "started", "started", "finished"]
    );
    let Some(EncodingJobEvent::EncodingFinished(finished)) = events.last() else {
        unreachable!()
    };
    assert_eq!(finished.attempt, 2);
    let objects = env.encoded_objects(video, media).await;
    assert!(!objects.is_empty());
    assert!(
        objects.iter().all(|key| key.contains("/encoded/2/")),
        "the dead attempt's objects are gone: {objects:?}"
    );
    assert_eq!(
        metric(
            &registry,
            "codeflix_encoder_jobs_total{outcome=\"finished\"}"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_meeting_one_upload_encode_it_once() {
    let env = Env::start().await;
    let source = clip(env.stack.dir.path(), "source.mp4", "320x240", 4, false);
    let (video, media) = env.upload(std::fs::read(&source).unwrap()).await;
    let (registry_a, metrics_a) = registered();
    let (registry_b, metrics_b) = registered();
    let mut a = env.settings();
    a.name = "encoder-a.example/1".into();
    let mut b = env.settings();
    b.name = "encoder-b.example/2".into();
    b.group = "codeflix-encoder-b".into();
    // Neither can see the other's process: each presumes the other alive and waits for it.
    let (stop_a, task_a) = env.encoder(a, &metrics_a);
    let (stop_b, task_b) = env.encoder(b, &metrics_b);
    env.media_reaches(video, MediaStatus::Completed).await;
    let handled = |registry: &Registry| {
        metric(
            registry,
            "codeflix_encoder_jobs_total{outcome=\"finished\"}",
        ) + metric(registry, "codeflix_encoder_jobs_total{outcome=\"skipped\"}")
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while handled(&registry_a) + handled(&registry_b) < 2 {
        assert!(
            Instant::now() < deadline,
            "both workers should be done with the upload"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (stop, task) in [(stop_a, task_a), (stop_b, task_b)] {
        stop.send(true).unwrap();
        task.await.unwrap();
    }
    let events = env.job_events(media).await;
    assert_eq!(kinds(&events), ["requested", "started", "finished"]);
    let finished = metric(
        &registry_a,
        "codeflix_encoder_jobs_total{outcome=\"finished\"}",
    ) + metric(
        &registry_b,
        "codeflix_encoder_jobs_total{outcome=\"finished\"}",
    );
    assert_eq!(
        finished, 1,
        "one worker encoded, the other waited and skipped"
    );
}

/// Events the reaction cannot apply (one that does not decode, one about a job the command store
/// never held) are dead-lettered and do not hold back the encodings behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoding_events_that_cannot_apply_are_dead_lettered_and_later_ones_still_apply() {
    use codeflix_domain::encoding::EncodingStarted;
    use codeflix_domain::{Envelope, EventId, EventMetadata, Timestamp, Version};
    use rdkafka::producer::{FutureProducer, FutureRecord};

    let env = Env::start().await;
    let config = env.stack.config();
    let topic = event_topic(&config.topics.prefix, AggregateType::EncodingJob);
    let stranger = Uuid::new_v4();
    let foreign = Envelope {
        metadata: EventMetadata {
            event_id: EventId(Uuid::new_v4()),
            aggregate_type: AggregateType::EncodingJob,
            aggregate_id: stranger.to_string(),
            aggregate_version: Version::new(2),
            occurred_at: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
            correlation_id: Uuid::new_v4(),
            causation_id: Uuid::new_v4(),
            actor: "another-store".into(),
        },
        event: AnyEvent::EncodingJob(EncodingJobEvent::EncodingStarted(EncodingStarted {
            attempt: 1,
            worker: "elsewhere".into(),
        })),
    };
    let (_, foreign) = env
        .stack
        .log
        .codec()
        .encode(&topic, &foreign)
        .await
        .unwrap();
    let producer: FutureProducer = config.producer().create().unwrap();
    for (key, value) in [("garbage", b"not avro".to_vec()), ("stranger", foreign)] {
        producer
            .send(
                FutureRecord::to(&topic)
                    .partition(0)
                    .key(key)
                    .payload(&value),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(error, _)| error)
            .unwrap();
    }

    let source = clip(env.stack.dir.path(), "source.mp4", "320x240", 2, true);
    let (video, _) = env.upload(std::fs::read(&source).unwrap()).await;
    let (registry, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);
    env.media_reaches(video, MediaStatus::Completed).await;
    // The bad records and the clip's job may sit on different partitions: the clip can complete
    // before the reaction has reached them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let letters = loop {
        let letters = dlq::list(&config, codeflix_encoder::reaction::NAME)
            .await
            .unwrap();
        if letters.len() >= 2 || tokio::time::Instant::now() > deadline {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    stop.send(true).unwrap();
    task.await.unwrap();
    let reasons: Vec<&str> = letters.iter().map(|l| l.letter.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("Confluent wire format"), "{reasons:?}");
    assert!(reasons[1].contains("no history"), "{reasons:?}");
    assert_eq!(
        metric(
            &registry,
            "codeflix_encoder_reactions_total{outcome=\"dead_lettered\"}"
        ),
        2
    );
}

/// The object was replaced after `VideoUploaded` recorded its checksum: the encoder refuses to
/// publish a ladder of other bytes, once and for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_file_that_no_longer_matches_its_upload_is_not_encoded() {
    let env = Env::start().await;
    let source = clip(env.stack.dir.path(), "source.mp4", "320x240", 2, true);
    let other = clip(env.stack.dir.path(), "other.mp4", "320x240", 3, true);
    let (video, media) = env.upload(std::fs::read(&source).unwrap()).await;
    let key = codeflix_storage::original_key(
        &video.to_string(),
        MediaSlot::Video.as_str(),
        &media.to_string(),
    );
    env.media
        .store()
        .put(&env.media.path(&key), std::fs::read(&other).unwrap().into())
        .await
        .unwrap();
    let (_, metrics) = registered();
    let (stop, task) = env.encoder(env.settings(), &metrics);
    let errored = env.media_reaches(video, MediaStatus::Error).await;
    let events = env.job_events(media).await;
    assert_eq!(kinds(&events), ["requested", "started", "failed"]);
    assert!(
        errored
            .error
            .as_deref()
            .is_some_and(|e| e.contains("does not match the upload")),
        "{errored:?}"
    );
    assert!(env.encoded_objects(video, media).await.is_empty());
    stop.send(true).unwrap();
    task.await.unwrap();
}
