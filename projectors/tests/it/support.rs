//! An embedded stack, an event log on it, a catalog built through commands, and projectors.

use std::sync::Arc;
use std::time::{Duration, Instant};

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
use codeflix_domain::{Aggregate, CommandContext, ExpectedVersion, Reference, Timestamp};
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_projectors::{ProjectionSpec, ProjectorMetrics};
use codeflix_readmodel::Position;
use codeflix_readmodel::store::{DocReads, DocStore};
use tokio::sync::oneshot;
use uuid::Uuid;

pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) stack: EmbeddedStack,
    pub(crate) log: EventLog,
}

impl Env {
    pub(crate) async fn start() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let stack = EmbeddedStack::start(dir.path()).await.unwrap();
        let log = EventLog::connect(stack.config()).await.unwrap();
        Env { dir, stack, log }
    }

    pub(crate) fn config(&self) -> EventLogConfig {
        self.stack.config()
    }

    pub(crate) async fn run<A: Aggregate + Send + Sync + 'static>(
        &self,
        id: &A::Id,
        command: impl Into<A::Command>,
    ) where
        A::Error: std::fmt::Debug,
    {
        let ctx = CommandContext {
            command_id: Uuid::new_v4(),
            correlation_id: Uuid::new_v4(),
            actor: "admin-1".into(),
            now: Timestamp::from_unix_micros(1_790_000_000_000_000).unwrap(),
        };
        self.log
            .execute::<A>(&ctx, id, ExpectedVersion::Any, command.into())
            .await
            .unwrap();
    }

    /// Starts projecting `spec` into `store`; stop it by dropping or sending on the handle.
    pub(crate) fn project(&self, spec: ProjectionSpec, store: Arc<dyn DocStore>) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let config = self.config();
        let task = tokio::spawn(async move {
            codeflix_projectors::run(&config, &spec, store, ProjectorMetrics::default(), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Running {
            stop: Some(stop),
            task,
        }
    }
}

pub(crate) struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits until `store` has applied everything in `topics` as of now.
pub(crate) async fn caught_up(config: &EventLogConfig, store: &dyn DocReads, topics: &[String]) {
    let ends = codeflix_consumer::ends(config, topics).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let positions = store.positions().await.unwrap();
        let behind: Vec<&Position> = ends
            .iter()
            .filter(|end| {
                !positions.iter().any(|p| {
                    p.topic == end.topic && p.partition == end.partition && p.offset >= end.offset
                })
            })
            .collect();
        if behind.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projection did not reach {behind:?}; it is at {positions:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) struct Catalog {
    pub(crate) drama: CategoryId,
    pub(crate) comedy: CategoryId,
    pub(crate) genre: GenreId,
    pub(crate) actor: CastMemberId,
    pub(crate) published: VideoId,
    pub(crate) draft: VideoId,
}

pub(crate) fn details(title: &str, description: &str) -> VideoDetails {
    VideoDetails {
        title: Title::parse(title).unwrap(),
        description: VideoDescription::parse(description).unwrap(),
        launch_year: LaunchYear::parse(2019).unwrap(),
        duration: DurationMinutes::parse(121).unwrap(),
        rating: Rating::Age14,
        opened: false,
    }
}

/// Categories, a genre, an actor, a published video with encoded media and a draft.
pub(crate) async fn build_catalog(env: &Env) -> Catalog {
    let c = Catalog {
        drama: CategoryId::new(Uuid::new_v4()),
        comedy: CategoryId::new(Uuid::new_v4()),
        genre: GenreId::new(Uuid::new_v4()),
        actor: CastMemberId::new(Uuid::new_v4()),
        published: VideoId::new(Uuid::new_v4()),
        draft: VideoId::new(Uuid::new_v4()),
    };
    for (id, name) in [(c.drama, "Drama"), (c.comedy, "Comedy")] {
        env.run::<Category>(
            &id,
            CreateCategory {
                name: CategoryName::parse(name).unwrap(),
                description: None,
                active: true,
            },
        )
        .await;
    }
    env.run::<Category>(
        &c.drama,
        UpdateCategory {
            name: CategoryName::parse("Dramas").unwrap(),
            description: Some(CategoryDescription::parse("Serious films").unwrap()),
        },
    )
    .await;
    env.run::<Genre>(
        &c.genre,
        CreateGenre {
            name: GenreName::parse("Thriller").unwrap(),
            active: true,
            categories: vec![Reference::active(c.drama)],
        },
    )
    .await;
    env.run::<CastMember>(
        &c.actor,
        CreateCastMember {
            name: CastMemberName::parse("Ada Actor").unwrap(),
            kind: CastMemberType::Actor,
        },
    )
    .await;
    env.run::<Video>(
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
    env.run::<Video>(
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
    env.run::<Video>(
        &c.published,
        StartMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media,
        },
    )
    .await;
    env.run::<Video>(
        &c.published,
        CompleteMediaProcessing {
            slot: MediaSlot::Video,
            media_id: media,
            encoded_location: StorageLocation::parse("encoded/keeper/master.m3u8").unwrap(),
        },
    )
    .await;
    env.run::<Video>(&c.published, PublishVideo).await;
    env.run::<Video>(
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
