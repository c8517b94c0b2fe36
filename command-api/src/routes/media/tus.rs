//! Resumable uploads: tus 1.0 at `/uploads` (creation, HEAD, PATCH, termination; ADR 0009).
//! Chunks are kept in object storage as they arrive (`codeflix_storage::uploads` does the
//! bookkeeping); the PATCH that completes the file records it like a one-request upload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use codeflix_auth::Role;
use codeflix_domain::catalog::video::MediaSlot;
use codeflix_domain::{ExpectedVersion, Version};
use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as StorePath;
use uuid::Uuid;

use super::{completion_key, ingest_problem, parse_slot, precheck, record, require_video};
use crate::AppState;
use crate::input::path_id;
use crate::media::uploads::{Created, Upload, UploadError, UploadInfo};
use crate::media::{MediaStore, PARTS_IN_FLIGHT, SNIFF_BYTES, sniff};
use crate::problem::{FieldError, Problem};
use crate::write::{Caller, Write};

/// The tus protocol version spoken.
pub(crate) const TUS_VERSION: &str = "1.0.0";

fn tus_headers(response: &mut Response) {
    response
        .headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Missing or unreadable `Tus-Resumable` is a bad request; another protocol version is 412 (tus).
fn require_tus(headers: &HeaderMap) -> Result<(), Problem> {
    let value = headers
        .get("tus-resumable")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let looks_like_version = !value.is_empty()
        && value.split('.').count() == 3
        && value
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if value == TUS_VERSION {
        Ok(())
    } else if looks_like_version {
        Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "tus-version",
            "Unsupported tus version",
            format!("this server speaks tus {TUS_VERSION}, not {value}"),
        ))
    } else {
        Err(Problem::validation(vec![FieldError::new(
            "Tus-Resumable",
            format!("is required and must be {TUS_VERSION}"),
        )]))
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, Problem> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| {
                Problem::validation(vec![FieldError::new(
                    name,
                    "must be a non-negative integer",
                )])
            }),
    }
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(headers: &HeaderMap) -> Result<HashMap<String, String>, Problem> {
    let bad = || {
        Problem::validation(vec![FieldError::new(
            "Upload-Metadata",
            "must be comma-separated `key base64value` pairs",
        )])
    };
    let mut pairs = HashMap::new();
    let Some(raw) = headers.get("upload-metadata") else {
        return Ok(pairs);
    };
    for pair in raw.to_str().map_err(|_| bad())?.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let value = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| bad())?;
        pairs.insert(key.to_owned(), String::from_utf8(value).map_err(|_| bad())?);
    }
    Ok(pairs)
}

/// Start a resumable upload (tus 1.0 creation)
///
/// `Upload-Metadata` must carry `video_id` and `slot` (base64 values, as tus clients send them);
/// `Upload-Length` is the file's size. Answers with the upload's URL in `Location`.
#[utoipa::path(post, path = "/uploads", tag = "media",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = r"^1\.0\.0$"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = String, Header, description = "video_id and slot, base64-encoded: `video_id <b64>,slot <b64>`"),
    ),
    responses((status = 201, description = "Created; PATCH the file to the Location"),
              (status = 412, description = "Tus-Resumable is not 1.0.0", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn create_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Role::Videos)?;
    require_tus(&headers)?;
    let write = Write::from_headers(&caller, &headers, "POST /uploads")?;
    let meta = metadata(&headers)?;
    let length = header_u64(&headers, "upload-length")?;
    let mut errors = Vec::new();
    let video = meta.get("video_id").and_then(|v| Uuid::parse_str(v).ok());
    if video.is_none() {
        errors.push(FieldError::new(
            "Upload-Metadata.video_id",
            "must be a video id (UUID)",
        ));
    }
    let slot = meta.get("slot").and_then(|s| parse_slot(s).ok());
    if slot.is_none() {
        errors.push(FieldError::new(
            "Upload-Metadata.slot",
            "must be one of video, trailer, banner, thumbnail, thumbnail_half",
        ));
    }
    if length.is_none() {
        errors.push(FieldError::new(
            "Upload-Length",
            "is required (deferred length is not supported)",
        ));
    }
    let (Some(video), Some(slot), Some(length)) = (video, slot, length) else {
        return Err(Problem::validation(errors));
    };
    precheck(
        slot,
        Some(length),
        meta.get("content_type").map(String::as_str),
    )?;
    require_video(&state, video).await?;
    let id = write.new_id();
    let info = UploadInfo {
        video,
        slot: slot.as_str().to_ascii_lowercase(),
        length,
        subject: caller.principal.subject.clone(),
        expected: match write.expected {
            ExpectedVersion::Exactly(v) => Some(v.get()),
            ExpectedVersion::Any => None,
        },
    };
    // Created only if absent: a retry with the same Idempotency-Key finds its upload (and its
    // chunks) instead of resetting it, and a retry describing another upload is refused.
    let replayed = match state
        .media()
        .create_upload(id, &info)
        .await
        .map_err(|e| upload_problem(&e))?
    {
        Created::New => false,
        Created::Existing(existing) if existing == info => true,
        Created::Existing(_) => {
            return Err(Problem::validation(vec![FieldError::new(
                "Idempotency-Key",
                "was already used for this operation with a different request",
            )]));
        }
    };
    let mut response = StatusCode::CREATED.into_response();
    tus_headers(&mut response);
    if replayed {
        response.headers_mut().insert(
            crate::write::IDEMPOTENT_REPLAYED,
            HeaderValue::from_static("true"),
        );
    }
    // Behind the gateway (or nginx) `prefix_locations` puts the prefix the browser used first.
    if let Ok(location) = HeaderValue::from_str(&format!("/uploads/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// An upload's description and the chunks received so far, in order; 404 for anyone but its
/// creator.
async fn load(media: &MediaStore, caller: &Caller, id: Uuid) -> Result<Upload, Problem> {
    let upload = media
        .load_upload(id)
        .await
        .map_err(|e| upload_problem(&e))?;
    if upload.info.subject != caller.principal.subject {
        return Err(upload_problem(&UploadError::NotFound(id)));
    }
    Ok(upload)
}

fn upload_problem(error: &UploadError) -> Problem {
    match error {
        UploadError::NotFound(_) => Problem::not_found(error.to_string()),
        UploadError::Unreadable { .. } | UploadError::Storage(_) => {
            Problem::unavailable(error.to_string())
        }
    }
}

/// Where a resumable upload stands (tus HEAD)
#[utoipa::path(head, path = "/uploads/{id}", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The upload"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = r"^1\.0\.0$")),
    responses((status = 200, description = "Upload-Offset says how many bytes are stored"),
              (status = 404, description = "No such upload"),
              (status = 400, description = "Bad Tus-Resumable"),
              (status = 422, description = "The id is not a UUID"),
              (status = 401, description = "No valid bearer token"),
              (status = 403, description = "The token lacks the role")))]
pub(crate) async fn upload_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(Role::Videos)?;
    require_tus(&headers)?;
    let id = path_id(&id)?;
    let upload = load(state.media(), &caller, id).await?;
    let mut response = StatusCode::OK.into_response();
    tus_headers(&mut response);
    let headers = response.headers_mut();
    headers.insert("upload-offset", HeaderValue::from(upload.offset()));
    headers.insert("upload-length", HeaderValue::from(upload.info.length));
    Ok(response)
}

/// Upload locks: one PATCH at a time per upload in this process.
#[derive(Debug, Default, Clone)]
pub(crate) struct UploadLocks(Arc<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>>);

impl UploadLocks {
    fn get(&self, id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id).or_default().clone()
    }
}

/// Send the next part of a resumable upload (tus PATCH)
///
/// `Upload-Offset` must equal the bytes stored so far. If the connection breaks, the bytes that
/// arrived are kept: ask `HEAD` for the offset and continue from there. The PATCH that completes
/// the file records it on the video and answers like any write (version, consistency token).
#[utoipa::path(patch, path = "/uploads/{id}", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The upload"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = r"^1\.0\.0$"),
           ("Upload-Offset" = u64, Header, description = "Where these bytes start")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "Stored; Upload-Offset is the new offset"),
              (status = 200, description = "The file is complete and recorded on the video (Upload-Offset is its length)", body = crate::write::Written),
              (status = 412, description = "Tus-Resumable is not 1.0.0", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn upload_chunk(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Problem> {
    caller.require(Role::Videos)?;
    require_tus(&headers)?;
    let id = path_id(&id)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/offset+octet-stream" {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send application/offset+octet-stream",
            "tus PATCH bodies are application/offset+octet-stream",
        ));
    }
    let claimed = header_u64(&headers, "upload-offset")?.ok_or_else(|| {
        Problem::validation(vec![FieldError::new("Upload-Offset", "is required")])
    })?;
    let lock = state.upload_locks().get(id);
    let _guard = lock.lock().await;
    let media = state.media().clone();
    let mut upload = load(&media, &caller, id).await?;
    let info = upload.info.clone();
    let slot = parse_slot(&info.slot)?;
    let mut offset = upload.offset();
    if claimed != offset {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "offset-mismatch",
            "Upload-Offset does not match",
            format!("the upload is at offset {offset}, not {claimed}; resume from there"),
        ));
    }
    if offset < info.length
        && let Some(chunk) = store_chunk(&state, id, offset, &info, slot, body).await?
    {
        offset += chunk.1;
        upload.chunks.push(chunk);
    }
    if offset < info.length {
        let mut response = StatusCode::NO_CONTENT.into_response();
        tus_headers(&mut response);
        response
            .headers_mut()
            .insert("upload-offset", HeaderValue::from(offset));
        return Ok(response);
    }
    // tus clients read the final offset from every PATCH answer, this one included: without it
    // tus-js-client takes the completed upload for a failure and sends the file again.
    let mut response = complete(&state, &caller, id, &info, slot, &upload.paths()).await?;
    if response.status().is_success() {
        tus_headers(&mut response);
        response
            .headers_mut()
            .insert("upload-offset", HeaderValue::from(offset));
    }
    Ok(response)
}

/// Stores the body as the chunk at `offset`; returns it with its size, or `None` when the body
/// was empty. Bytes received before a broken connection are kept. The first chunk's leading bytes
/// are sniffed as soon as they arrive, so a wrong file is refused before the rest is stored.
async fn store_chunk(
    state: &AppState,
    id: Uuid,
    offset: u64,
    info: &UploadInfo,
    slot: MediaSlot,
    body: Body,
) -> Result<Option<(StorePath, u64)>, Problem> {
    let media = state.media();
    let path = media.chunk_path(id, offset);
    let storage = |e: object_store::Error| Problem::unavailable(format!("object storage: {e}"));
    let upload = media.store().put_multipart(&path).await.map_err(storage)?;
    let mut writer = object_store::WriteMultipart::new(upload);
    let mut received: u64 = 0;
    // The file's first bytes, until sniffed (first chunk only).
    let mut head = (offset == 0).then(Vec::new);
    let mut stream = body.into_data_stream();
    let mut broken = None;
    while let Some(chunk) = stream.next().await {
        let bytes = match chunk {
            Ok(bytes) => bytes,
            Err(e) => {
                broken = Some(e.to_string());
                break;
            }
        };
        received += bytes.len() as u64;
        let refused = if offset + received > info.length {
            Some(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "More bytes than Upload-Length",
                format!("the upload is {} bytes long", info.length),
            ))
        } else if let Some(leading) = head.as_mut() {
            leading.extend_from_slice(&bytes[..(SNIFF_BYTES - leading.len()).min(bytes.len())]);
            let complete = leading.len() >= SNIFF_BYTES || offset + received == info.length;
            match complete.then(|| sniff(leading, slot.media_kind())) {
                Some(Err(e)) => Some(ingest_problem(&e)),
                Some(Ok(_)) => {
                    head = None;
                    None
                }
                None => None,
            }
        } else {
            None
        };
        if let Some(problem) = refused {
            let _ = writer.abort().await;
            return Err(problem);
        }
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(storage)?;
        writer.write(&bytes);
    }
    if let Some(error) = &broken {
        tracing::info!(upload = %id, received, %error, "the connection broke; kept what arrived");
    }
    if received == 0 {
        let _ = writer.abort().await;
        return Ok(None);
    }
    writer.finish().await.map_err(storage)?;
    Ok(Some((path, received)))
}

/// Copies the chunks into an object of this completion's own (hashing and sniffing them),
/// records it on the video, and removes the chunks. Deterministic ids make running it again a
/// replay, and the recorded digest makes it one only for the same file: an Idempotency-Key
/// used again after completion with another file is refused (422), and no completion ever
/// writes over an object an event names.
async fn complete(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    info: &UploadInfo,
    slot: MediaSlot,
    chunks: &[StorePath],
) -> Result<Response, Problem> {
    let media_id = Uuid::new_v5(&id, b"media");
    let command_id = Uuid::new_v5(&id, b"complete");
    let key = completion_key(info.video, slot, media_id, Uuid::new_v4());
    let store = state.media();
    let mut ingest = store
        .ingest(&key, slot.max_size_bytes(), slot.media_kind())
        .await
        .map_err(|e| ingest_problem(&e))?;
    if let Err(e) = store.copy_into(chunks, &mut ingest).await {
        ingest.abort().await;
        return Err(ingest_problem(&e));
    }
    let ingested = ingest.finish().await.map_err(|e| ingest_problem(&e))?;
    let expected = info.expected.map_or(ExpectedVersion::Any, |v| {
        ExpectedVersion::Exactly(Version::new(v))
    });
    let mut write = Write::with_command_id(caller, command_id, expected);
    // Its own object, compared by digest on a replay (see `record`).
    write.keyed = true;
    let answer = record(state, write, info.video, slot, media_id, key, ingested).await;
    // Recorded, or refused for good (the video refuses the file, or the key was used for
    // another file): either way its chunks have served. After a 5xx the client may retry.
    let done = match &answer {
        Ok(_) => true,
        Err(problem) => problem.status().is_client_error(),
    };
    if done {
        store.remove_upload(id, chunks).await;
    }
    answer
}

/// Abandon a resumable upload (tus termination)
#[utoipa::path(delete, path = "/uploads/{id}", tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The upload"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = r"^1\.0\.0$")),
    responses((status = 204, description = "Removed"),
              (status = 412, description = "Tus-Resumable is not 1.0.0", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(Role::Videos)?;
    require_tus(&headers)?;
    let id = path_id(&id)?;
    let lock = state.upload_locks().get(id);
    let _guard = lock.lock().await;
    let upload = load(state.media(), &caller, id).await?;
    state.media().remove_upload(id, &upload.paths()).await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    tus_headers(&mut response);
    Ok(response)
}

/// What this server supports (tus OPTIONS); no authentication needed.
pub(crate) async fn upload_options() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    headers.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    headers.insert(
        "tus-extension",
        HeaderValue::from_static("creation,termination"),
    );
    headers.insert(
        "tus-max-size",
        HeaderValue::from(MediaSlot::Video.max_size_bytes()),
    );
    response
}
