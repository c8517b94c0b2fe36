use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::Reason;
use crate::testing::{AggregateSpec, check_history};

type Spec = AggregateSpec<Video>;

fn category(n: u128) -> CategoryId {
    CategoryId::new(Uuid::from_u128(n))
}
fn genre(n: u128) -> GenreId {
    GenreId::new(Uuid::from_u128(100 + n))
}
fn cast(n: u128) -> CastMemberId {
    CastMemberId::new(Uuid::from_u128(200 + n))
}
fn media(n: u128) -> MediaId {
    MediaId::new(Uuid::from_u128(300 + n))
}

fn details() -> VideoDetails {
    VideoDetails {
        title: Title::parse("The Matrix").unwrap(),
        description: VideoDescription::parse("A hacker learns the truth.").unwrap(),
        launch_year: LaunchYear::parse(1999).unwrap(),
        duration: DurationMinutes::parse(136).unwrap(),
        rating: Rating::Age14,
        opened: false,
    }
}

fn created() -> VideoEvent {
    VideoCreated {
        title: "The Matrix".into(),
        description: "A hacker learns the truth.".into(),
        launch_year: 1999,
        duration_minutes: 136,
        rating: Rating::Age14,
        opened: false,
        categories: vec![category(1)],
        genres: vec![genre(1)],
        cast_members: vec![cast(1)],
    }
    .into()
}

fn upload(slot: MediaSlot, id: MediaId, content_type: &str) -> UploadMedia {
    UploadMedia {
        media_id: id,
        slot,
        checksum: Checksum::parse(&"a".repeat(64)).unwrap(),
        size_bytes: 1024,
        content_type: ContentType::parse(content_type).unwrap(),
        raw_location: StorageLocation::parse(&format!("raw/{id}")).unwrap(),
    }
}

fn uploaded(slot: MediaSlot, id: MediaId, content_type: &str) -> VideoEvent {
    VideoUploaded {
        media_id: id,
        slot,
        checksum: "a".repeat(64),
        size_bytes: 1024,
        content_type: content_type.into(),
        raw_location: format!("raw/{id}"),
    }
    .into()
}

fn main_uploaded() -> VideoEvent {
    uploaded(MediaSlot::Video, media(1), "video/mp4")
}
fn main_started() -> VideoEvent {
    MediaProcessingStarted {
        media_id: media(1),
        slot: MediaSlot::Video,
    }
    .into()
}
fn main_completed() -> VideoEvent {
    MediaProcessingCompleted {
        media_id: media(1),
        slot: MediaSlot::Video,
        encoded_location: "hls/1/master.m3u8".into(),
    }
    .into()
}
fn ready() -> Vec<VideoEvent> {
    vec![created(), main_uploaded(), main_started(), main_completed()]
}
fn published() -> Vec<VideoEvent> {
    let mut history = ready();
    history.push(VideoPublished.into());
    history
}

// --- creation and details ---------------------------------------------------------------------

#[test]
fn create_a_video_with_its_relations() {
    Spec::given(vec![])
        .when(CreateVideo {
            details: details(),
            categories: vec![
                Reference::active(category(1)),
                Reference::active(category(1)),
            ],
            genres: vec![Reference::active(genre(1))],
            cast_members: vec![Reference::active(cast(1))],
        })
        .then_expect(vec![created()]);
}

#[test]
fn creating_twice_is_rejected() {
    Spec::given(vec![created()])
        .when(CreateVideo {
            details: details(),
            categories: vec![],
            genres: vec![],
            cast_members: vec![],
        })
        .then_reject(VideoError::AlreadyExists);
}

#[test]
fn create_refuses_unknown_or_inactive_references() {
    let create = |categories, genres, cast_members| CreateVideo {
        details: details(),
        categories,
        genres,
        cast_members,
    };
    Spec::given(vec![])
        .when(create(
            vec![Reference::missing(category(9))],
            vec![],
            vec![],
        ))
        .then_reject(VideoError::UnknownCategory(category(9)));
    Spec::given(vec![])
        .when(create(
            vec![Reference::inactive(category(9))],
            vec![],
            vec![],
        ))
        .then_reject(VideoError::InactiveCategory(category(9)));
    Spec::given(vec![])
        .when(create(vec![], vec![Reference::missing(genre(9))], vec![]))
        .then_reject(VideoError::UnknownGenre(genre(9)));
    Spec::given(vec![])
        .when(create(vec![], vec![Reference::inactive(genre(9))], vec![]))
        .then_reject(VideoError::InactiveGenre(genre(9)));
    Spec::given(vec![])
        .when(create(vec![], vec![], vec![Reference::missing(cast(9))]))
        .then_reject(VideoError::UnknownCastMember(cast(9)));
}

#[test]
fn update_replaces_the_details() {
    let mut changed = details();
    changed.opened = true;
    changed.rating = Rating::L;
    Spec::given(vec![created()])
        .when(UpdateVideo { details: changed })
        .then_expect(vec![
            VideoUpdated {
                title: "The Matrix".into(),
                description: "A hacker learns the truth.".into(),
                launch_year: 1999,
                duration_minutes: 136,
                rating: Rating::L,
                opened: true,
            }
            .into(),
        ]);
    Spec::given(vec![created()])
        .when(UpdateVideo { details: details() })
        .then_expect_nothing();
}

#[test]
fn unknown_and_deleted_videos_refuse_commands() {
    Spec::given(vec![])
        .when(UpdateVideo { details: details() })
        .then_reject(VideoError::NotFound);
    Spec::given(vec![created(), VideoDeleted.into()])
        .when(PublishVideo)
        .then_reject(VideoError::Deleted);
}

// --- relations ----------------------------------------------------------------------------------

#[test]
fn attach_and_detach_categories_genres_and_cast() {
    Spec::given(vec![created()])
        .when(AttachCategory {
            category: Reference::active(category(2)),
        })
        .then_expect(vec![
            VideoCategoryAttached {
                category_id: category(2),
            }
            .into(),
        ]);
    Spec::given(vec![created()])
        .when(DetachCategory {
            category_id: category(1),
        })
        .then_expect(vec![
            VideoCategoryDetached {
                category_id: category(1),
            }
            .into(),
        ]);
    Spec::given(vec![created()])
        .when(AttachGenre {
            genre: Reference::active(genre(2)),
        })
        .then_expect(vec![VideoGenreAttached { genre_id: genre(2) }.into()]);
    Spec::given(vec![created()])
        .when(DetachGenre { genre_id: genre(1) })
        .then_expect(vec![VideoGenreDetached { genre_id: genre(1) }.into()]);
    Spec::given(vec![created()])
        .when(AttachCastMember {
            cast_member: Reference::active(cast(2)),
        })
        .then_expect(vec![
            VideoCastMemberAttached {
                cast_member_id: cast(2),
            }
            .into(),
        ]);
    Spec::given(vec![created()])
        .when(DetachCastMember {
            cast_member_id: cast(1),
        })
        .then_expect(vec![
            VideoCastMemberDetached {
                cast_member_id: cast(1),
            }
            .into(),
        ]);
}

#[test]
fn attaching_needs_an_existing_active_target() {
    Spec::given(vec![created()])
        .when(AttachCategory {
            category: Reference::inactive(category(2)),
        })
        .then_reject(VideoError::InactiveCategory(category(2)));
    Spec::given(vec![created()])
        .when(AttachGenre {
            genre: Reference::missing(genre(2)),
        })
        .then_reject(VideoError::UnknownGenre(genre(2)));
    Spec::given(vec![created()])
        .when(AttachCastMember {
            cast_member: Reference::missing(cast(2)),
        })
        .then_reject(VideoError::UnknownCastMember(cast(2)));
}

#[test]
fn attaching_what_is_attached_or_detaching_what_is_not_changes_nothing() {
    // Already attached: even if the category was deactivated since, nothing to check or do.
    Spec::given(vec![created()])
        .when(AttachCategory {
            category: Reference::inactive(category(1)),
        })
        .then_expect_nothing();
    Spec::given(vec![created()])
        .when(DetachGenre { genre_id: genre(7) })
        .then_expect_nothing();
}

// --- media --------------------------------------------------------------------------------------

#[test]
fn uploading_video_media_leaves_it_pending() {
    let video = Spec::given(vec![created()])
        .when(upload(MediaSlot::Video, media(1), "video/mp4"))
        .then_expect(vec![main_uploaded()]);
    assert_eq!(
        video.media(MediaSlot::Video).map(|m| m.status),
        Some(MediaStatus::Pending)
    );
}

#[test]
fn uploading_an_image_completes_it_at_once() {
    let video = Spec::given(vec![created()])
        .when(upload(MediaSlot::Banner, media(2), "image/png"))
        .then_expect(vec![
            uploaded(MediaSlot::Banner, media(2), "image/png"),
            MediaProcessingCompleted {
                media_id: media(2),
                slot: MediaSlot::Banner,
                encoded_location: format!("raw/{}", media(2)),
            }
            .into(),
        ]);
    assert_eq!(
        video.media(MediaSlot::Banner).map(|m| m.status),
        Some(MediaStatus::Completed)
    );
}

#[test]
fn uploading_the_same_media_again_changes_nothing() {
    Spec::given(vec![created(), main_uploaded()])
        .when(upload(MediaSlot::Video, media(1), "video/mp4"))
        .then_expect_nothing();
}

#[test]
fn uploads_must_be_non_empty_within_the_slot_limit_and_of_the_slot_kind() {
    let mut empty = upload(MediaSlot::Video, media(1), "video/mp4");
    empty.size_bytes = 0;
    Spec::given(vec![created()])
        .when(empty)
        .then_reject(VideoError::EmptyMedia {
            slot: MediaSlot::Video,
        });
    let mut large = upload(MediaSlot::Thumbnail, media(1), "image/jpeg");
    large.size_bytes = 5 * 1024 * 1024 + 1;
    Spec::given(vec![created()])
        .when(large)
        .then_reject(VideoError::MediaTooLarge {
            slot: MediaSlot::Thumbnail,
            size_bytes: 5 * 1024 * 1024 + 1,
            max_bytes: 5 * 1024 * 1024,
        });
    Spec::given(vec![created()])
        .when(upload(MediaSlot::Trailer, media(1), "image/png"))
        .then_reject(VideoError::ContentTypeNotAccepted {
            slot: MediaSlot::Trailer,
            expected: "video",
            content_type: "image/png".into(),
        });
    Spec::given(vec![created()])
        .when(upload(MediaSlot::ThumbnailHalf, media(1), "video/mp4"))
        .then_reject(VideoError::ContentTypeNotAccepted {
            slot: MediaSlot::ThumbnailHalf,
            expected: "image",
            content_type: "video/mp4".into(),
        });
}

#[test]
fn the_main_media_of_a_published_video_cannot_be_replaced() {
    Spec::given(published())
        .when(upload(MediaSlot::Video, media(2), "video/mp4"))
        .then_reject(VideoError::PublishedMainMedia);
    // Other slots can change while published.
    Spec::given(published())
        .when(upload(MediaSlot::Trailer, media(3), "video/webm"))
        .then_expect(vec![uploaded(MediaSlot::Trailer, media(3), "video/webm")]);
}

#[test]
fn media_goes_pending_processing_completed() {
    Spec::given(vec![created(), main_uploaded()])
        .when(StartMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
        })
        .then_expect(vec![main_started()]);
    let video = Spec::given(vec![created(), main_uploaded(), main_started()])
        .when(CompleteMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
            encoded_location: StorageLocation::parse("hls/1/master.m3u8").unwrap(),
        })
        .then_expect(vec![main_completed()]);
    let main = video.media(MediaSlot::Video).unwrap();
    assert_eq!(main.status, MediaStatus::Completed);
    assert_eq!(main.encoded_location.as_deref(), Some("hls/1/master.m3u8"));
}

#[test]
fn media_can_fail_and_be_retried() {
    let failed: VideoEvent = MediaProcessingFailed {
        media_id: media(1),
        slot: MediaSlot::Video,
        reason: "not a video".into(),
    }
    .into();
    Spec::given(vec![created(), main_uploaded(), main_started()])
        .when(FailMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
            reason: Reason::parse("not a video").unwrap(),
        })
        .then_expect(vec![failed.clone()]);
    Spec::given(vec![created(), main_uploaded(), main_started(), failed])
        .when(StartMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
        })
        .then_expect(vec![main_started()]);
}

#[test]
fn repeated_encoder_reports_change_nothing() {
    Spec::given(vec![created(), main_uploaded(), main_started()])
        .when(StartMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
        })
        .then_expect_nothing();
    Spec::given(ready())
        .when(CompleteMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
            encoded_location: StorageLocation::parse("hls/1/master.m3u8").unwrap(),
        })
        .then_expect_nothing();
}

#[test]
fn media_transitions_out_of_order_are_rejected() {
    Spec::given(vec![created(), main_uploaded()])
        .when(CompleteMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
            encoded_location: StorageLocation::parse("x").unwrap(),
        })
        .then_reject(VideoError::MediaTransition {
            slot: MediaSlot::Video,
            from: MediaStatus::Pending,
            to: MediaStatus::Completed,
        });
    Spec::given(ready())
        .when(FailMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
            reason: Reason::parse("late").unwrap(),
        })
        .then_reject(VideoError::MediaTransition {
            slot: MediaSlot::Video,
            from: MediaStatus::Completed,
            to: MediaStatus::Error,
        });
    Spec::given(ready())
        .when(StartMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media(1),
        })
        .then_reject(VideoError::MediaTransition {
            slot: MediaSlot::Video,
            from: MediaStatus::Completed,
            to: MediaStatus::Processing,
        });
}

#[test]
fn reports_about_replaced_missing_or_image_media_are_rejected() {
    Spec::given(vec![
        created(),
        main_uploaded(),
        uploaded(MediaSlot::Video, media(2), "video/mp4"),
    ])
    .when(StartMediaProcessing {
        slot: MediaSlot::Video,
        media_id: media(1),
    })
    .then_reject(VideoError::StaleMedia {
        slot: MediaSlot::Video,
        media_id: media(1),
        current: media(2),
    });
    Spec::given(vec![created()])
        .when(StartMediaProcessing {
            slot: MediaSlot::Trailer,
            media_id: media(1),
        })
        .then_reject(VideoError::NoMedia {
            slot: MediaSlot::Trailer,
        });
    Spec::given(vec![created()])
        .when(StartMediaProcessing {
            slot: MediaSlot::Banner,
            media_id: media(1),
        })
        .then_reject(VideoError::NotEncoded {
            slot: MediaSlot::Banner,
        });
}

// --- publishing and deletion --------------------------------------------------------------------

#[test]
fn publish_once_the_main_media_is_completed() {
    let video = Spec::given(ready())
        .when(PublishVideo)
        .then_expect(vec![VideoPublished.into()]);
    assert!(video.is_published());
    Spec::given(published())
        .when(PublishVideo)
        .then_expect_nothing();
}

#[test]
fn publishing_without_completed_main_media_is_rejected() {
    Spec::given(vec![created()])
        .when(PublishVideo)
        .then_reject(VideoError::NotPublishable { status: None });
    Spec::given(vec![created(), main_uploaded(), main_started()])
        .when(PublishVideo)
        .then_reject(VideoError::NotPublishable {
            status: Some(MediaStatus::Processing),
        });
    // A completed trailer is not enough.
    let trailer = media(5);
    Spec::given(vec![
        created(),
        uploaded(MediaSlot::Trailer, trailer, "video/mp4"),
        MediaProcessingStarted {
            media_id: trailer,
            slot: MediaSlot::Trailer,
        }
        .into(),
        MediaProcessingCompleted {
            media_id: trailer,
            slot: MediaSlot::Trailer,
            encoded_location: "hls/t".into(),
        }
        .into(),
    ])
    .when(PublishVideo)
    .then_reject(VideoError::NotPublishable { status: None });
    let error = VideoError::NotPublishable {
        status: Some(MediaStatus::Pending),
    };
    assert_eq!(
        error.to_string(),
        "a video can be published only when its VIDEO media is COMPLETED; it is PENDING"
    );
}

#[test]
fn unpublish() {
    Spec::given(published())
        .when(UnpublishVideo)
        .then_expect(vec![VideoUnpublished.into()]);
    Spec::given(ready())
        .when(UnpublishVideo)
        .then_expect_nothing();
}

#[test]
fn deleting_a_published_video_unpublishes_it_first() {
    let video = Spec::given(published())
        .when(DeleteVideo)
        .then_expect(vec![VideoUnpublished.into(), VideoDeleted.into()]);
    assert!(!video.exists());
    assert!(!video.is_published());
    Spec::given(vec![created()])
        .when(DeleteVideo)
        .then_expect(vec![VideoDeleted.into()]);
    Spec::given(vec![created(), VideoDeleted.into()])
        .when(DeleteVideo)
        .then_expect_nothing();
}

// --- properties ---------------------------------------------------------------------------------

fn status() -> impl Strategy<Value = ReferenceStatus> {
    prop_oneof![
        3 => Just(ReferenceStatus::Active),
        1 => Just(ReferenceStatus::Inactive),
        1 => Just(ReferenceStatus::Missing),
    ]
}

fn slot() -> impl Strategy<Value = MediaSlot> {
    prop_oneof![
        4 => Just(MediaSlot::Video),
        1 => Just(MediaSlot::Trailer),
        1 => Just(MediaSlot::Banner),
    ]
}

fn relation() -> impl Strategy<Value = VideoCommand> {
    prop_oneof![
        (0u128..3, status()).prop_map(|(n, status)| AttachCategory {
            category: Reference {
                id: category(n),
                status
            }
        }
        .into()),
        (0u128..3).prop_map(|n| DetachCategory {
            category_id: category(n)
        }
        .into()),
        (0u128..3, status()).prop_map(|(n, status)| AttachGenre {
            genre: Reference {
                id: genre(n),
                status
            }
        }
        .into()),
        (0u128..3).prop_map(|n| DetachGenre { genre_id: genre(n) }.into()),
        (0u128..3, status()).prop_map(|(n, status)| AttachCastMember {
            cast_member: Reference {
                id: cast(n),
                status
            }
        }
        .into()),
        (0u128..3).prop_map(|n| DetachCastMember {
            cast_member_id: cast(n)
        }
        .into()),
    ]
}

fn command() -> impl Strategy<Value = VideoCommand> {
    // Mostly one media id and valid uploads, so that histories get as far as publication
    // (checked by `generated_histories_reach_publication`).
    let media_id = prop_oneof![4 => Just(media(0)), 1 => Just(media(1))];
    let content_type = |slot: MediaSlot| {
        let fitting = if slot.is_encoded() {
            "video/mp4"
        } else {
            "image/png"
        };
        prop_oneof![4 => Just(fitting), 1 => Just("image/png"), 1 => Just("video/mp4")]
    };
    let size = prop_oneof![8 => Just(1024u64), 1 => Just(0u64), 1 => Just(u64::MAX)];
    prop_oneof![
        4 => Just(CreateVideo { details: details(), categories: vec![], genres: vec![], cast_members: vec![] }.into()),
        1 => (any::<bool>()).prop_map(|opened| UpdateVideo { details: VideoDetails { opened, ..details() } }.into()),
        2 => relation(),
        6 => (media_id.clone(), slot(), size)
            .prop_flat_map(move |(id, slot, size)| (Just(id), Just(slot), Just(size), content_type(slot)))
            .prop_map(|(id, slot, size, ct)| UploadMedia { size_bytes: size, ..upload(slot, id, ct) }.into()),
        6 => (slot(), media_id.clone()).prop_map(|(slot, media_id)| StartMediaProcessing { slot, media_id }.into()),
        6 => (slot(), media_id.clone()).prop_map(|(slot, media_id)| CompleteMediaProcessing {
            slot, media_id, encoded_location: StorageLocation::parse("hls/master.m3u8").unwrap(),
        }.into()),
        1 => (slot(), media_id).prop_map(|(slot, media_id)| FailMediaProcessing {
            slot, media_id, reason: Reason::parse("boom").unwrap(),
        }.into()),
        5 => Just(PublishVideo.into()),
        1 => Just(UnpublishVideo.into()),
        1 => Just(DeleteVideo.into()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_history_replays_to_the_same_state(commands in prop::collection::vec(command(), 0..40)) {
        check_history::<Video>(commands).map_err(TestCaseError::fail)?;
    }
}

/// Guards the property above against a generator that never reaches the interesting states.
#[test]
fn generated_histories_reach_publication() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(command(), 40);
    let published = (0..200)
        .filter(|_| {
            let commands = strategy.new_tree(&mut runner).unwrap().current();
            let mut video = crate::Versioned::<Video>::new();
            for command in commands {
                if let Ok(decision) =
                    video.decide(crate::ExpectedVersion::Exactly(video.version()), command)
                {
                    video.commit(&decision).unwrap();
                }
                if video.state().is_published() {
                    return true;
                }
            }
            false
        })
        .count();
    assert!(
        published >= 10,
        "only {published} of 200 histories reached publication"
    );
}
