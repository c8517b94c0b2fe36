//! Videos: create, update, delete, publish, unpublish, and their categories, genres and cast.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::catalog::cast_member::{CastMember, CastMemberId};
use codeflix_domain::catalog::category::{Category, CategoryId};
use codeflix_domain::catalog::genre::{Genre, GenreId};
use codeflix_domain::catalog::video::{
    AttachCastMember, AttachCategory, AttachGenre, CreateVideo, DeleteVideo, DetachCastMember,
    DetachCategory, DetachGenre, DurationMinutes, LaunchYear, PublishVideo, Rating, Title,
    UnpublishVideo, UpdateVideo, Video, VideoCommand, VideoDescription, VideoDetails, VideoError,
    VideoId,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Command, Create, Resource};
use crate::input::{Fields, JsonObject};
use crate::problem::Problem;
use crate::write::{
    DomainProblem, field_rule, gone, reference_problem, references, state_conflict,
};

/// The ClassInd advisory rating.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub(crate) enum RatingSymbol {
    #[serde(rename = "ER")]
    Er,
    L,
    #[serde(rename = "10")]
    Age10,
    #[serde(rename = "12")]
    Age12,
    #[serde(rename = "14")]
    Age14,
    #[serde(rename = "16")]
    Age16,
    #[serde(rename = "18")]
    Age18,
}

/// A new video, unpublished until its VIDEO media is encoded and it is published.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CreateVideoRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Central do Brasil"
    )]
    title: String,
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    description: String,
    #[schema(minimum = 1888, maximum = 9999, example = 1998)]
    launch_year: i64,
    /// Minutes.
    #[schema(minimum = 1, maximum = 6000, example = 113)]
    duration: i64,
    rating: RatingSymbol,
    /// Free to watch without a subscription (default false).
    #[schema(default = false)]
    opened: Option<bool>,
    /// Active categories.
    #[schema(nullable)]
    categories: Option<Vec<Uuid>>,
    /// Active genres.
    #[schema(nullable)]
    genres: Option<Vec<Uuid>>,
    /// Existing cast members.
    #[schema(nullable)]
    cast_members: Option<Vec<Uuid>>,
}

/// A video's new descriptive fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct UpdateVideoRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    title: String,
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    description: String,
    #[schema(minimum = 1888, maximum = 9999)]
    launch_year: i64,
    #[schema(minimum = 1, maximum = 6000)]
    duration: i64,
    rating: RatingSymbol,
    #[schema(default = false)]
    opened: Option<bool>,
}

impl DomainProblem for VideoError {
    fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            VideoError::NotFound => Problem::not_found(detail),
            VideoError::Deleted => gone(detail),
            VideoError::UnknownCategory(_) | VideoError::InactiveCategory(_) => {
                reference_problem("categories", detail)
            }
            VideoError::UnknownGenre(_) | VideoError::InactiveGenre(_) => {
                reference_problem("genres", detail)
            }
            VideoError::UnknownCastMember(_) => reference_problem("cast_members", detail),
            VideoError::EmptyMedia { .. } => field_rule("file", detail),
            VideoError::MediaTooLarge { .. } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The file is too large for its slot",
                detail,
            ),
            VideoError::ContentTypeNotAccepted { .. } => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "The slot does not take this kind of file",
                detail,
            ),
            VideoError::AlreadyExists
            | VideoError::PublishedMainMedia
            | VideoError::NotEncoded { .. }
            | VideoError::NoMedia { .. }
            | VideoError::StaleMedia { .. }
            | VideoError::MediaTransition { .. }
            | VideoError::NotPublishable { .. } => state_conflict(detail),
        }
    }
}

fn details(fields: &mut Fields) -> Option<VideoDetails> {
    let title = fields.text("title", Title::MAX_CHARS, Title::parse);
    let description = fields.text(
        "description",
        VideoDescription::MAX_CHARS,
        VideoDescription::parse,
    );
    let launch_year = fields.integer("launch_year", LaunchYear::parse);
    let duration = fields.integer("duration", DurationMinutes::parse);
    let rating = fields.symbol::<Rating>("rating");
    let opened = fields.boolean("opened", false);
    Some(VideoDetails {
        title: title?,
        description: description?,
        launch_year: launch_year?,
        duration: duration?,
        rating: rating?,
        opened: opened?,
    })
}

/// Create a video
#[utoipa::path(post, path = "/videos", tag = "videos",
    request_body = CreateVideoRequest,
    responses((status = 201, description = "Created", body = crate::write::Written)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    create: Create<Video>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let create = create.with_body(&body);
    let mut fields = Fields::new(body);
    let details = details(&mut fields);
    let categories = fields.ids("categories");
    let genres = fields.ids("genres");
    let cast_members = fields.ids("cast_members");
    fields.finish()?;
    let (Some(details), Some(categories), Some(genres), Some(cast_members)) =
        (details, categories, genres, cast_members)
    else {
        return Err(Problem::bad_request("invalid body"));
    };
    let command = CreateVideo {
        details,
        categories: references::<Category, _>(
            &state,
            &categories,
            CategoryId::new,
            Category::reference_status,
        )
        .await?,
        genres: references::<Genre, _>(&state, &genres, GenreId::new, Genre::reference_status)
            .await?,
        cast_members: references::<CastMember, _>(
            &state,
            &cast_members,
            CastMemberId::new,
            CastMember::reference_status,
        )
        .await?,
    };
    create.run(&state, "/videos", command.into()).await
}

/// Replace a video's descriptive fields
#[utoipa::path(put, path = "/videos/{id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video")),
    request_body = UpdateVideoRequest,
    responses((status = 200, description = "Updated", body = crate::write::Written)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    request: Command<Video>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let request = request.with_body(&body);
    let mut fields = Fields::new(body);
    let details = details(&mut fields);
    fields.finish()?;
    let details = details.ok_or_else(|| Problem::bad_request("invalid body"))?;
    request.run(&state, UpdateVideo { details }.into()).await
}

/// Delete a video (softly; a published video is unpublished first)
#[utoipa::path(delete, path = "/videos/{id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video")),
    responses((status = 200, description = "Deleted (or already deleted)", body = crate::write::Written)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    request.run(&state, DeleteVideo.into()).await
}

/// Publish a video: viewers can see it (its VIDEO media must be encoded)
#[utoipa::path(post, path = "/videos/{id}/publish", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video")),
    responses((status = 200, description = "Published", body = crate::write::Written)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    request.run(&state, PublishVideo.into()).await
}

/// Unpublish a video: viewers no longer see it
#[utoipa::path(post, path = "/videos/{id}/unpublish", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video")),
    responses((status = 200, description = "Unpublished", body = crate::write::Written)))]
pub(crate) async fn unpublish(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    request.run(&state, UnpublishVideo.into()).await
}

/// Which related aggregate a link route is about.
#[derive(Debug, Clone, Copy)]
enum Link {
    Category,
    Genre,
    CastMember,
}

impl Link {
    /// The path parameter naming the other aggregate, as the OpenAPI document calls it.
    fn parameter(self) -> &'static str {
        match self {
            Link::Category => "category_id",
            Link::Genre => "genre_id",
            Link::CastMember => "cast_member_id",
        }
    }
}

async fn link(
    state: AppState,
    request: Command<Video>,
    link: Link,
    attach: bool,
) -> Result<Response, Problem> {
    let other = request
        .other(link.parameter())
        .ok_or_else(|| Problem::bad_request("the route names no related id"))?;
    let command: VideoCommand = match (link, attach) {
        (Link::Category, true) => {
            let category = references::<Category, _>(
                &state,
                &[other],
                CategoryId::new,
                Category::reference_status,
            )
            .await?
            .remove(0);
            AttachCategory { category }.into()
        }
        (Link::Category, false) => DetachCategory {
            category_id: CategoryId::new(other),
        }
        .into(),
        (Link::Genre, true) => {
            let genre =
                references::<Genre, _>(&state, &[other], GenreId::new, Genre::reference_status)
                    .await?
                    .remove(0);
            AttachGenre { genre }.into()
        }
        (Link::Genre, false) => DetachGenre {
            genre_id: GenreId::new(other),
        }
        .into(),
        (Link::CastMember, true) => {
            let cast_member = references::<CastMember, _>(
                &state,
                &[other],
                CastMemberId::new,
                CastMember::reference_status,
            )
            .await?
            .remove(0);
            AttachCastMember { cast_member }.into()
        }
        (Link::CastMember, false) => DetachCastMember {
            cast_member_id: CastMemberId::new(other),
        }
        .into(),
    };
    request.run(&state, command).await
}

/// Put a video in a category
#[utoipa::path(put, path = "/videos/{id}/categories/{category_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("category_id" = uuid::Uuid, Path, description = "An active category")),
    responses((status = 200, description = "Attached (or already attached)", body = crate::write::Written)))]
pub(crate) async fn attach_category(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::Category, true).await
}

/// Take a video out of a category
#[utoipa::path(delete, path = "/videos/{id}/categories/{category_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("category_id" = uuid::Uuid, Path, description = "The category")),
    responses((status = 200, description = "Detached (or was not attached)", body = crate::write::Written)))]
pub(crate) async fn detach_category(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::Category, false).await
}

/// Give a video a genre
#[utoipa::path(put, path = "/videos/{id}/genres/{genre_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("genre_id" = uuid::Uuid, Path, description = "An active genre")),
    responses((status = 200, description = "Attached (or already attached)", body = crate::write::Written)))]
pub(crate) async fn attach_genre(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::Genre, true).await
}

/// Take a genre from a video
#[utoipa::path(delete, path = "/videos/{id}/genres/{genre_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("genre_id" = uuid::Uuid, Path, description = "The genre")),
    responses((status = 200, description = "Detached (or was not attached)", body = crate::write::Written)))]
pub(crate) async fn detach_genre(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::Genre, false).await
}

/// Add a cast member to a video
#[utoipa::path(put, path = "/videos/{id}/cast-members/{cast_member_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("cast_member_id" = uuid::Uuid, Path, description = "An existing cast member")),
    responses((status = 200, description = "Attached (or already attached)", body = crate::write::Written)))]
pub(crate) async fn attach_cast_member(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::CastMember, true).await
}

/// Remove a cast member from a video
#[utoipa::path(delete, path = "/videos/{id}/cast-members/{cast_member_id}", tag = "videos",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("cast_member_id" = uuid::Uuid, Path, description = "The cast member")),
    responses((status = 200, description = "Detached (or was not attached)", body = crate::write::Written)))]
pub(crate) async fn detach_cast_member(
    State(state): State<AppState>,
    request: Command<Video>,
) -> Result<Response, Problem> {
    link(state, request, Link::CastMember, false).await
}

impl Resource for Video {
    const ROLE: Role = Role::Videos;

    fn id(id: Uuid) -> VideoId {
        VideoId::new(id)
    }
}
