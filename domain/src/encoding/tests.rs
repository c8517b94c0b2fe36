use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::Reason;
use crate::catalog::video::{Checksum, StorageLocation};
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<EncodingJob>;

fn video() -> VideoId {
    VideoId::new(Uuid::from_u128(1))
}
fn media() -> MediaId {
    MediaId::new(Uuid::from_u128(2))
}

fn request(slot: MediaSlot) -> RequestEncoding {
    RequestEncoding {
        video_id: video(),
        media_id: media(),
        slot,
        source_location: StorageLocation::parse("raw/2").unwrap(),
        checksum: Checksum::parse(&"f".repeat(64)).unwrap(),
    }
}

fn requested() -> EncodingJobEvent {
    EncodingRequested {
        video_id: video(),
        media_id: media(),
        slot: MediaSlot::Video,
        source_location: "raw/2".into(),
        checksum: "f".repeat(64),
    }
    .into()
}

fn started(attempt: u32) -> EncodingJobEvent {
    EncodingStarted {
        attempt,
        worker: "worker-a".into(),
    }
    .into()
}

fn start() -> StartEncoding {
    StartEncoding {
        worker: WorkerName::parse("worker-a").unwrap(),
    }
}

fn failed(attempt: u32, retryable: bool) -> EncodingJobEvent {
    EncodingFailed {
        attempt,
        reason: "ffmpeg exited with 1".into(),
        retryable,
    }
    .into()
}

fn rendition(name: &str, height: u32) -> Rendition {
    Rendition {
        name: name.into(),
        width: height * 16 / 9,
        height,
        bandwidth_bps: height * 4000,
        codecs: "avc1.64001f,mp4a.40.2".into(),
        playlist_location: format!("hls/{name}.m3u8"),
    }
}

fn finish(renditions: Vec<Rendition>, duration_ms: u64) -> FinishEncoding {
    FinishEncoding {
        renditions,
        hls_manifest: StorageLocation::parse("hls/master.m3u8").unwrap(),
        dash_manifest: StorageLocation::parse("dash/manifest.mpd").unwrap(),
        duration_ms,
    }
}

#[test]
fn request_a_job_for_video_media() {
    Spec::given(vec![])
        .when(request(MediaSlot::Video))
        .then_expect(vec![requested()]);
    Spec::given(vec![requested()])
        .when(request(MediaSlot::Video))
        .then_reject(EncodingError::AlreadyRequested);
}

#[test]
fn images_are_not_encoded() {
    Spec::given(vec![])
        .when(request(MediaSlot::Thumbnail))
        .then_reject(EncodingError::NotEncoded {
            slot: MediaSlot::Thumbnail,
        });
}

#[test]
fn commands_on_an_unknown_job_are_rejected() {
    Spec::given(vec![])
        .when(start())
        .then_reject(EncodingError::NotFound);
}

#[test]
fn start_progress_finish() {
    Spec::given(vec![requested()])
        .when(start())
        .then_expect(vec![started(1)]);
    Spec::given(vec![requested(), started(1)])
        .when(ReportEncodingProgress {
            percent: Percent::parse(40).unwrap(),
        })
        .then_expect(vec![
            EncodingProgressed {
                attempt: 1,
                percent: 40,
            }
            .into(),
        ]);
    let job = Spec::given(vec![requested(), started(1)])
        .when(finish(
            vec![rendition("720p", 720), rendition("360p", 360)],
            10_000,
        ))
        .then_expect(vec![
            EncodingFinished {
                attempt: 1,
                renditions: vec![rendition("720p", 720), rendition("360p", 360)],
                hls_manifest_location: "hls/master.m3u8".into(),
                dash_manifest_location: "dash/manifest.mpd".into(),
                duration_ms: 10_000,
            }
            .into(),
        ]);
    assert_eq!(job.status(), Some(JobStatus::Finished));
}

#[test]
fn progress_never_goes_back_within_an_attempt() {
    let at_50: EncodingJobEvent = EncodingProgressed {
        attempt: 1,
        percent: 50,
    }
    .into();
    Spec::given(vec![requested(), started(1), at_50.clone()])
        .when(ReportEncodingProgress {
            percent: Percent::parse(30).unwrap(),
        })
        .then_expect_nothing();
    Spec::given(vec![requested(), started(1), at_50])
        .when(ReportEncodingProgress {
            percent: Percent::parse(50).unwrap(),
        })
        .then_expect_nothing();
    assert!(Percent::parse(101).is_err());
    assert!(Percent::parse(-1).is_err());
}

#[test]
fn progress_finish_and_fail_need_a_running_attempt() {
    Spec::given(vec![requested()])
        .when(ReportEncodingProgress {
            percent: Percent::parse(10).unwrap(),
        })
        .then_reject(EncodingError::NotRunning {
            status: JobStatus::Requested,
        });
    Spec::given(vec![requested()])
        .when(finish(vec![rendition("720p", 720)], 1))
        .then_reject(EncodingError::NotRunning {
            status: JobStatus::Requested,
        });
    Spec::given(vec![requested(), started(1), failed(1, true)])
        .when(FailEncoding {
            reason: Reason::parse("again").unwrap(),
            retryable: true,
        })
        .then_reject(EncodingError::NotRunning {
            status: JobStatus::Failed,
        });
}

#[test]
fn a_finished_job_accepts_nothing_more() {
    let history = || {
        vec![
            requested(),
            started(1),
            EncodingFinished {
                attempt: 1,
                renditions: vec![rendition("720p", 720)],
                hls_manifest_location: "hls/master.m3u8".into(),
                dash_manifest_location: "dash/manifest.mpd".into(),
                duration_ms: 1,
            }
            .into(),
        ]
    };
    Spec::given(history())
        .when(start())
        .then_reject(EncodingError::AlreadyFinished);
    Spec::given(history())
        .when(FailEncoding {
            reason: Reason::parse("late").unwrap(),
            retryable: false,
        })
        .then_reject(EncodingError::AlreadyFinished);
}

#[test]
fn a_finished_ladder_must_be_valid() {
    let run = || Spec::given(vec![requested(), started(1)]);
    run()
        .when(finish(vec![], 1000))
        .then_reject(EncodingError::NoRenditions);
    run()
        .when(finish(
            vec![rendition("720p", 720), rendition("720p", 720)],
            1000,
        ))
        .then_reject(EncodingError::DuplicateRendition("720p".into()));
    run()
        .when(finish(vec![rendition("0p", 0)], 1000))
        .then_reject(EncodingError::InvalidRendition {
            name: "0p".into(),
            rule: "width and height must be positive",
        });
    run()
        .when(finish(vec![rendition("720p", 720)], 0))
        .then_reject(EncodingError::ZeroDuration);
}

#[test]
fn a_retryable_failure_can_be_retried_and_a_final_one_cannot() {
    Spec::given(vec![requested(), started(1)])
        .when(FailEncoding {
            reason: Reason::parse("ffmpeg exited with 1").unwrap(),
            retryable: true,
        })
        .then_expect(vec![failed(1, true)]);
    Spec::given(vec![requested(), started(1), failed(1, true)])
        .when(start())
        .then_expect(vec![started(2)]);
    Spec::given(vec![requested(), started(1), failed(1, false)])
        .when(start())
        .then_reject(EncodingError::NotRetryable);
}

#[test]
fn a_worker_can_take_over_a_running_job() {
    let job = Spec::given(vec![requested(), started(1)])
        .when(start())
        .then_expect(vec![started(2)]);
    assert_eq!(job.attempts(), 2);
}

fn command() -> impl Strategy<Value = EncodingCommand> {
    prop_oneof![
        1 => prop_oneof![Just(MediaSlot::Video), Just(MediaSlot::Banner)].prop_map(|s| request(s).into()),
        2 => Just(start().into()),
        3 => (0i64..=100).prop_map(|p| ReportEncodingProgress { percent: Percent::parse(p).unwrap() }.into()),
        1 => (0usize..3, 0u64..2).prop_map(|(n, d)| {
            finish((0..n).map(|i| rendition(&format!("{i}"), 360)).collect(), d).into()
        }),
        1 => any::<bool>().prop_map(|retryable| FailEncoding { reason: Reason::parse("x").unwrap(), retryable }.into()),
    ]
}

proptest! {
    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..30)) {
        check_history::<EncodingJob>(commands).map_err(TestCaseError::fail)?;
    }
}
