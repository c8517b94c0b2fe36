//! A small catalog built through commands: what projection and query tests read back.

use codeflix_domain::Reference;
use codeflix_domain::catalog::cast_member::{
    CastMember, CastMemberId, CastMemberName, CastMemberType, CreateCastMember,
};
use codeflix_domain::catalog::category::{
    Category, CategoryDescription, CategoryId, CategoryName, CreateCategory, UpdateCategory,
};
use codeflix_domain::catalog::genre::{CreateGenre, Genre, GenreId, GenreName};
use codeflix_domain::catalog::video::{
    Checksum, CompleteMediaProcessing, ContentType, CreateVideo, DurationMinutes, LaunchYear,
    MediaId, MediaSlot, PublishVideo, Rating, StartMediaProcessing, StorageLocation, Title,
    UploadMedia, Video, VideoDescription, VideoDetails, VideoId,
};
use uuid::Uuid;

use crate::Stack;

/// The ids of [`build`]'s catalog.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    pub drama: CategoryId,
    pub comedy: CategoryId,
    pub genre: GenreId,
    pub actor: CastMemberId,
    pub published: VideoId,
    pub draft: VideoId,
}

/// Valid details of a video titled `title`.
pub fn details(title: &str, description: &str) -> VideoDetails {
    VideoDetails {
        title: Title::parse(title).unwrap(),
        description: VideoDescription::parse(description).unwrap(),
        launch_year: LaunchYear::parse(2019).unwrap(),
        duration: DurationMinutes::parse(121).unwrap(),
        rating: Rating::Age14,
        opened: false,
    }
}

/// Categories (one renamed), a genre, an actor, a published video with encoded media and a
/// draft.
pub async fn build(stack: &Stack) -> Catalog {
    let c = Catalog {
        drama: CategoryId::new(Uuid::new_v4()),
        comedy: CategoryId::new(Uuid::new_v4()),
        genre: GenreId::new(Uuid::new_v4()),
        actor: CastMemberId::new(Uuid::new_v4()),
        published: VideoId::new(Uuid::new_v4()),
        draft: VideoId::new(Uuid::new_v4()),
    };
    for (id, name) in [(c.drama, "Drama"), (c.comedy, "Comedy")] {
        stack
            .run::<Category>(
                &id,
                CreateCategory {
                    name: CategoryName::parse(name).unwrap(),
                    description: None,
                    active: true,
                },
            )
            .await;
    }
    stack
        .run::<Category>(
            &c.drama,
            UpdateCategory {
                name: CategoryName::parse("Dramas").unwrap(),
                description: Some(CategoryDescription::parse("Serious films").unwrap()),
            },
        )
        .await;
    stack
        .run::<Genre>(
            &c.genre,
            CreateGenre {
                name: GenreName::parse("Thriller").unwrap(),
                active: true,
                categories: vec![Reference::active(c.drama)],
            },
        )
        .await;
    stack
        .run::<CastMember>(
            &c.actor,
            CreateCastMember {
                name: CastMemberName::parse("Ada Actor").unwrap(),
                kind: CastMemberType::Actor,
            },
        )
        .await;
    stack
        .run::<Video>(
            &c.published,
            CreateVideo {
                details: details(
                    "The Lighthouse Keeper",
                    "A keeper alone on a rock in the sea.",
                ),
                categories: vec![Reference::active(c.drama)],
                genres: vec![Reference::active(c.genre)],
                cast_members: vec![Reference::active(c.actor)],
            },
        )
        .await;
    let media = MediaId::new(Uuid::new_v4());
    stack
        .run::<Video>(
            &c.published,
            UploadMedia {
                media_id: media,
                slot: MediaSlot::Video,
                checksum: Checksum::parse(&"a".repeat(64)).unwrap(),
                size_bytes: 1234,
                content_type: ContentType::parse("video/mp4").unwrap(),
                raw_location: StorageLocation::parse("raw/keeper.mp4").unwrap(),
            },
        )
        .await;
    stack
        .run::<Video>(
            &c.published,
            StartMediaProcessing {
                slot: MediaSlot::Video,
                media_id: media,
            },
        )
        .await;
    stack
        .run::<Video>(
            &c.published,
            CompleteMediaProcessing {
                slot: MediaSlot::Video,
                media_id: media,
                encoded_location: StorageLocation::parse("encoded/keeper/master.m3u8").unwrap(),
            },
        )
        .await;
    stack.run::<Video>(&c.published, PublishVideo).await;
    stack
        .run::<Video>(
            &c.draft,
            CreateVideo {
                details: details("Lighthouse Draft", "Not ready yet."),
                categories: vec![Reference::active(c.comedy)],
                genres: Vec::new(),
                cast_members: Vec::new(),
            },
        )
        .await;
    c
}
