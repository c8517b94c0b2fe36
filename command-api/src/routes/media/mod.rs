//! Media uploads: one request (`PUT /videos/{id}/media/{slot}`) or resumable (tus 1.0 at
//! `/uploads`, ADR 0009). Either way the file is streamed into object storage, hashed and sniffed,
//! and recorded on the video with `VideoUploaded`. This module holds the one-request upload and
//! what both share; [`tus`] the resumable protocol.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::catalog::video::{
    Checksum, ContentType, MediaId, MediaSlot, StorageLocation, UploadMedia, Video, VideoId,
};
use futures::StreamExt;
use uuid::Uuid;

use crate::AppState;
use crate::input::path_id;
use crate::media::{IngestError, Ingested};
use crate::problem::{FieldError, Problem};
use crate::write::{Caller, Write};

pub(crate) mod tus;

/// A media slot as paths and metadata name it.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum SlotName {
    Video,
    Trailer,
    Banner,
    Thumbnail,
    ThumbnailHalf,
}

fn parse_slot(text: &str) -> Result<MediaSlot, Problem> {
    MediaSlot::ALL
        .into_iter()
        .find(|slot| slot.as_str().to_ascii_lowercase() == text)
        .ok_or_else(|| {
            Problem::validation(vec![FieldError::new(
                "slot",
                "must be one of video, trailer, banner, thumbnail, thumbnail_half",
            )])
        })
}

fn ingest_problem(error: &IngestError) -> Problem {
    match error {
        IngestError::TooLarge { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The file is too large for its slot",
            error.to_string(),
        ),
        IngestError::WrongKind { .. } => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "The slot does not take this kind of file",
            error.to_string(),
        ),
        IngestError::Storage(detail) => Problem::unavailable(format!("object storage: {detail}")),
    }
}

/// 404 unless the video exists (checked before any byte is stored).
async fn require_video(state: &AppState, id: Uuid) -> Result<(), Problem> {
    let video = state
        .log()
        .load::<Video>(&VideoId::new(id))
        .await
        .map_err(|e| Problem::fault("loading the video", &e))?;
    if video.state().exists() {
        Ok(())
    } else {
        Err(Problem::not_found(format!(
            "video {id} does not exist or was deleted"
        )))
    }
}

/// 413 when a declared size is over the slot's limit; 415 when a declared type is of another
/// media kind — both before reading the body.
fn precheck(slot: MediaSlot, length: Option<u64>, declared: Option<&str>) -> Result<(), Problem> {
    if let Some(length) = length
        && length > slot.max_size_bytes()
    {
        return Err(ingest_problem(&IngestError::TooLarge {
            limit: slot.max_size_bytes(),
        }));
    }
    // Only a declared media kind that contradicts the slot is refused up front; other declared
    // types (application/octet-stream, or curl's default form type) say nothing about the file,
    // whose content is sniffed anyway.
    if let Some(declared) = declared
        && let Ok(declared) = ContentType::parse(declared)
        && ["video", "image", "audio", "text"].contains(&declared.top_level())
        && declared.top_level() != slot.media_kind()
    {
        return Err(ingest_problem(&IngestError::WrongKind {
            expected: slot.media_kind(),
            found: declared.as_str().to_owned(),
        }));
    }
    Ok(())
}

fn media_key(video: Uuid, slot: MediaSlot, media: Uuid) -> String {
    codeflix_storage::original_key(&video.to_string(), slot.as_str(), &media.to_string())
}

/// The object of one completion of a resumable upload: under its media, never reused.
fn completion_key(video: Uuid, slot: MediaSlot, media: Uuid, completion: Uuid) -> String {
    codeflix_storage::original_key(
        &video.to_string(),
        slot.as_str(),
        &format!("{media}/{completion}"),
    )
}

/// Records a stored file (at `key`) on the video; deletes the file if the video refuses it, or if
/// the write replays an upload recorded before (whose own file is elsewhere).
async fn record(
    state: &AppState,
    mut write: Write,
    video: Uuid,
    slot: MediaSlot,
    media: Uuid,
    key: String,
    ingested: Ingested,
) -> Result<Response, Problem> {
    // Keyed requests store into an object of their own (see `upload`); others into the media's
    // one place, which a replay must keep.
    let own_object = write.keyed;
    if write.keyed {
        // A retry with the same Idempotency-Key must carry the same file: the log compares this
        // digest with the recorded one and refuses another file (422) instead of replaying.
        write.digest = Some(format!(
            "upload sha256={} size={} type={}",
            ingested.sha256, ingested.size, ingested.content_type
        ));
    }
    let invalid = |e: codeflix_domain::TextError| Problem::bad_request(e.to_string());
    let command = UploadMedia {
        media_id: MediaId::new(media),
        slot,
        checksum: Checksum::parse(&ingested.sha256).map_err(invalid)?,
        size_bytes: ingested.size,
        content_type: ContentType::parse(&ingested.content_type).map_err(invalid)?,
        raw_location: StorageLocation::parse(&state.media().location(&key)).map_err(invalid)?,
    };
    let result = state
        .execute::<Video>(write, video, &VideoId::new(video), command.into(), None)
        .await;
    // Only a refusal means no event refers to the file. After a 5xx the command may have been
    // recorded (this may be the retry of an acknowledged upload, which wrote the same object).
    let surplus = match &result {
        Err(problem) => problem.status().is_client_error(),
        Ok(response) => {
            own_object
                && response
                    .headers()
                    .contains_key(crate::write::IDEMPOTENT_REPLAYED)
        }
    };
    if surplus {
        state.media().delete(&state.media().path(&key)).await;
    }
    result
}

/// Upload a file into a video's media slot in one request
///
/// The body is the file itself (streamed, never buffered whole). Its type is sniffed from its
/// content; its SHA-256 and size are recorded with `VideoUploaded`. For large files prefer the
/// resumable `/uploads` protocol.
#[utoipa::path(put, path = "/videos/{id}/media/{slot}", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The video"),
           ("slot" = SlotName, Path, description = "The media slot")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file (any video/* or image/* type the slot takes)"),
    responses((status = 200, description = "Stored and recorded", body = crate::write::Written)))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, slot)): Path<(String, String)>,
    body: Body,
) -> Result<Response, Problem> {
    caller.require(Role::Videos)?;
    let id = path_id(&id)?;
    let slot = parse_slot(&slot)?;
    let write = Write::from_headers(
        &caller,
        &headers,
        &format!("PUT /videos/{id}/media/{}", slot.as_str()),
    )?;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    precheck(slot, length, declared)?;
    require_video(&state, id).await?;
    let media = Uuid::new_v5(&write.ctx.command_id, b"media");
    // A keyed request may be the retry of one already recorded: it gets its own object, so that
    // it can never overwrite the file the recorded upload names.
    let key = if write.keyed {
        format!("{}-{}", media_key(id, slot, media), Uuid::new_v4().simple())
    } else {
        media_key(id, slot, media)
    };
    let mut ingest = state
        .media()
        .ingest(&key, slot.max_size_bytes(), slot.media_kind())
        .await
        .map_err(|e| ingest_problem(&e))?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let written = match chunk {
            Ok(bytes) => ingest.write(&bytes).await.map_err(|e| ingest_problem(&e)),
            Err(e) => Err(Problem::bad_request(format!("reading the body: {e}"))),
        };
        if let Err(problem) = written {
            ingest.abort().await;
            return Err(problem);
        }
    }
    let ingested = ingest.finish().await.map_err(|e| ingest_problem(&e))?;
    record(&state, write, id, slot, media, key, ingested).await
}
