//! Playback: a published video's encoded ladder — HLS master and variant playlists, the DASH
//! manifest and their fMP4 segments — served from the media store, with byte ranges, caching
//! headers and a policy deciding who may watch.
//!
//! `GET /videos/{id}/stream/{slot}/{path}` maps to the object `path` in the folder of the slot's
//! master playlist, and only there: `path` is one to eight segments of letters, digits, `.`,
//! `_` and `-`, never `.` or `..`, so nothing outside the encoded folder (not even the raw
//! upload next to it) can be named.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codeflix_auth::Principal;
use codeflix_domain::Timestamp;
use codeflix_http::problem::{FieldError, Problem};
use codeflix_readmodel::mirror::{Entitlement, EntitlementReads};
use codeflix_readmodel::views::{Doc, DocKey, DocKind, VideoView};
use codeflix_storage::MediaStore;
use object_store::{GetOptions, GetRange, ObjectStoreExt};
use uuid::Uuid;

use crate::QueryState;

/// Why a viewer may not watch a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request carried no token and the video needs one (401): what to do.
    SignIn(String),
    /// The viewer's subscriptions grant no access now (403): why, and what to do.
    NotEntitled(String),
}

/// Decides whether a viewer may watch a video.
#[async_trait::async_trait]
pub trait PlaybackPolicy: Send + Sync + std::fmt::Debug + 'static {
    /// Whether `viewer` (the bearer token's principal, when the request carried one) may watch
    /// `video` now.
    async fn allows(&self, viewer: Option<&Principal>, video: &VideoView) -> Result<(), Refusal>;

    /// Whether answers for `video` may be kept by shared caches (`public`) or only by the
    /// viewer's own (`private`): only what everyone may watch is the same for everyone
    /// (ADR 0020).
    fn shared_caching(&self, video: &VideoView) -> bool;
}

/// Anyone may watch any published video (tests and benchmarks of the serving itself).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenPlayback;

#[async_trait::async_trait]
impl PlaybackPolicy for OpenPlayback {
    async fn allows(&self, _viewer: Option<&Principal>, _video: &VideoView) -> Result<(), Refusal> {
        Ok(())
    }

    fn shared_caching(&self, _video: &VideoView) -> bool {
        true
    }
}

/// Videos `opened` to everyone play for everyone; the others only for an account whose
/// subscription grants access now (trialing, active, past due within the grace period, canceled
/// before the paid period ends), as the playback side's own mirror of the subscriptions' state
/// feed says (`connectors/playback-entitlements.json`, ADR 0020).
#[derive(Debug, Clone)]
pub struct EntitledPlayback {
    entitlements: Arc<dyn EntitlementReads>,
}

impl EntitledPlayback {
    pub fn new(entitlements: Arc<dyn EntitlementReads>) -> EntitledPlayback {
        EntitledPlayback { entitlements }
    }
}

/// The time now, as the domain counts it.
pub(crate) fn now() -> Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    Timestamp::from_unix_micros(i64::try_from(micros).unwrap_or(i64::MAX))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Why the newest of `subscriptions` grants nothing now, and what to do about it.
fn why_not(subscriptions: &[Entitlement]) -> String {
    let Some(latest) = subscriptions
        .iter()
        .max_by(|a, b| a.started_at.cmp(&b.started_at))
    else {
        return "this video is for subscribers, and this account has no subscription: \
                subscribe to a plan (GET /plans here, then POST /subscriptions on the command API)"
            .to_owned();
    };
    let id = &latest.subscription_id;
    match latest.status.as_str() {
        "INCOMPLETE" => format!(
            "the first payment of subscription {id} was declined, so it grants no access yet: \
             change its payment method and pay (PUT /subscriptions/{id}/payment-method, then \
             POST /subscriptions/{id}/pay on the command API)"
        ),
        "PAST_DUE" => format!(
            "subscription {id} is past due and its grace period ended at {}: pay what is due \
             (POST /subscriptions/{id}/pay on the command API)",
            latest
                .access_ends_at
                .as_deref()
                .unwrap_or("an earlier time")
        ),
        "CANCELED" | "EXPIRED" => format!(
            "subscription {id} ended at {}: subscribe again to watch (GET /plans, then \
             POST /subscriptions on the command API)",
            latest
                .ends_at
                .as_deref()
                .or(latest.access_ends_at.as_deref())
                .unwrap_or("an earlier time")
        ),
        status => format!("subscription {id} is {status} and grants no access now"),
    }
}

#[async_trait::async_trait]
impl PlaybackPolicy for EntitledPlayback {
    async fn allows(&self, viewer: Option<&Principal>, video: &VideoView) -> Result<(), Refusal> {
        if video.opened {
            return Ok(());
        }
        let Some(viewer) = viewer else {
            return Err(Refusal::SignIn(format!(
                "video {} is for subscribers: sign in and send your token \
                 (Authorization: Bearer …)",
                video.id
            )));
        };
        let subscriptions = self
            .entitlements
            .of_account(&viewer.subject)
            .await
            .map_err(|error| {
                tracing::error!(error = %codeflix_domain::Report(&error), "reading entitlements");
                Refusal::NotEntitled(
                    "who may watch cannot be checked right now; try again shortly".to_owned(),
                )
            })?;
        let now = now();
        if subscriptions.iter().any(|s| s.grants_access_at(now)) {
            return Ok(());
        }
        Err(Refusal::NotEntitled(why_not(&subscriptions)))
    }

    fn shared_caching(&self, video: &VideoView) -> bool {
        video.opened
    }
}

/// Where encoded media are read from, and who may read them.
#[derive(Debug, Clone)]
pub struct Playback {
    pub media: MediaStore,
    pub policy: Arc<dyn PlaybackPolicy>,
}

/// The name the encoder gives the DASH manifest, next to the HLS master playlist.
const DASH_MANIFEST: &str = "manifest.mpd";

/// The URL paths of a slot's master playlist and DASH manifest, when it has been encoded.
pub(crate) fn stream_paths(video: Uuid, slot: &str, master: &str) -> (String, String) {
    let name = master.rsplit('/').next().unwrap_or(master);
    let base = format!("/videos/{video}/stream/{}", slot.to_ascii_lowercase());
    (format!("{base}/{name}"), format!("{base}/{DASH_MANIFEST}"))
}

/// Whether `path` may name a file of an encoded folder.
fn valid_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    path.len() <= 256
        && parts.len() <= 8
        && parts.iter().all(|part| {
            !part.is_empty()
                && *part != "."
                && *part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// The media type of a ladder's file.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("mpd") => "application/dash+xml",
        Some("m4s") => "video/iso.segment",
        Some("mp4") => "video/mp4",
        Some("m4a") => "audio/mp4",
        Some("vtt") => "text/vtt",
        _ => "application/octet-stream",
    }
}

fn is_manifest(path: &str) -> bool {
    path.ends_with(".m3u8") || path.ends_with(".mpd")
}

/// A byte range a request asked for, resolved against the object's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads a `Range` header (RFC 9110 §14.2). Only single `bytes` ranges are honoured; anything
/// else (several ranges, another unit, bad syntax) is ignored and the whole object is sent, as
/// the RFC allows.
pub(crate) fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if size == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part(size.saturating_sub(n), size - 1),
            None => Wanted::Whole,
        },
        (first, "") => match number(first) {
            Some(start) if start < size => Wanted::Part(start, size - 1),
            Some(_) => Wanted::Unsatisfiable,
            None => Wanted::Whole,
        },
        (first, last) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start > end => Wanted::Whole,
            (Some(start), Some(_)) if start >= size => Wanted::Unsatisfiable,
            (Some(start), Some(end)) => Wanted::Part(start, end.min(size - 1)),
            _ => Wanted::Whole,
        },
    }
}

/// A file of a published video's encoded ladder.
#[utoipa::path(
    get,
    path = "/videos/{id}/stream/{slot}/{path}",
    tag = "playback",
    params(
        ("id" = Uuid, Path, description = "The video"),
        ("slot" = String, Path, description = "`video` (the feature) or `trailer`",
            pattern = "^(video|trailer)$"),
        ("path" = String, Path, description = "A file of the ladder: `master.m3u8`, \
            `manifest.mpd`, `v0/index.m3u8`, `v0/init_0.mp4`, `v0/seg_00000.m4s`, …"),
    ),
    responses(
        (status = 200, description = "The file (HLS playlists `application/vnd.apple.mpegurl`, \
            DASH manifest `application/dash+xml`, segments `video/iso.segment`, init segments \
            `video/mp4`)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested byte range (Range: bytes=…)",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "Not modified: the If-None-Match ETag is current"),
        (status = 400, description = "The id or slot breaks its rules",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 401, description = "The video is for subscribers and no token was sent, or the \
            token is not valid",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 403, description = "The viewer's subscriptions grant no access now (type \
            subscription-required): the detail says why and what to do",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 404, description = "No such published video, encoded slot or file (a path \
            outside the ladder's folder is never one)",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 416, description = "The range starts past the end of the file",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 503, description = "Playback or the media store is unavailable",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
    ),
)]
pub(crate) async fn stream(
    State(state): State<QueryState>,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, Problem> {
    let Path((id, slot, path)) =
        path.map_err(|e| Problem::bad_request(format!("the path is not valid: {e}")))?;
    let mut errors = Vec::new();
    let id = Uuid::parse_str(&id).ok().filter(|_| id.len() == 36);
    if id.is_none() {
        errors.push(FieldError::new("id", "must be a UUID"));
    }
    let slot = slot.to_ascii_uppercase();
    if slot != "VIDEO" && slot != "TRAILER" {
        errors.push(FieldError::new("slot", "must be video or trailer"));
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return Err(Problem::bad_parameters(errors));
    };
    // A path that no ladder can hold is simply not there.
    if !valid_path(&path) {
        return Err(Problem::not_found(
            "a ladder's files are 1 to 8 segments of letters, digits, '.', '_' and '-', none \
             of them '.' or '..'",
        ));
    }
    let playback = state
        .playback
        .get()
        .ok_or_else(|| Problem::unavailable("playback is not configured (no media store)"))?;
    let viewer = match headers.contains_key(header::AUTHORIZATION) {
        true => Some(codeflix_http::auth::authenticate(&state.verifier, &headers).await?),
        false => None,
    };
    let not_found = || Problem::not_found(format!("video {id} has no encoded {slot} to play"));
    let video = published(&state, id).await?.ok_or_else(not_found)?;
    match playback.policy.allows(viewer.as_ref(), &video).await {
        Ok(()) => {}
        Err(Refusal::SignIn(detail)) => return Err(Problem::sign_in(detail)),
        Err(Refusal::NotEntitled(detail)) => {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "subscription-required",
                "A subscription is required",
                detail,
            ));
        }
    }
    let shared = playback.policy.shared_caching(&video);
    let master = video
        .media
        .iter()
        .find(|m| m.slot == slot && m.status == "COMPLETED")
        .and_then(|m| m.encoded_location.as_deref())
        .ok_or_else(not_found)?;
    let folder = master
        .rsplit_once('/')
        .and_then(|(folder, _)| playback.media.key_of(folder))
        .ok_or_else(|| {
            tracing::error!(
                master,
                store = playback.media.url(),
                "encoded media outside the media store"
            );
            Problem::unavailable("the encoded media is not in the configured media store")
        })?;
    // Every attempt writes a new folder, so a file never changes: segments are immutable;
    // manifests are kept briefly so that unpublishing takes effect soon.
    let max_age = if is_manifest(&path) {
        "max-age=60"
    } else {
        "max-age=86400, immutable"
    };
    let answer = Answer {
        content_type: content_type(&path),
        max_age,
        shared,
        missing: format!("no file {path} in this ladder"),
    };
    serve(playback, &format!("{folder}/{path}"), &headers, answer).await
}

/// How [`serve`] answers with a file.
struct Answer {
    content_type: &'static str,
    /// `Cache-Control`'s lifetime part.
    max_age: &'static str,
    /// Whether shared caches may keep it (`public`), or only the viewer's own (`private`,
    /// varying by `Authorization`).
    shared: bool,
    /// The 404's detail when the file is gone.
    missing: String,
}

/// Video `id` when viewers may see it (published, not deleted).
async fn published(state: &QueryState, id: Uuid) -> Result<Option<VideoView>, Problem> {
    Ok(state
        .catalog
        .load(&[DocKey {
            kind: DocKind::Video,
            id,
        }])
        .await
        .map_err(|e| Problem::fault("reading a read model", &e))?
        .into_iter()
        .find_map(|doc| match doc {
            Doc::Video(v) if v.visible() => Some(v),
            _ => None,
        }))
}

/// Answers with the object at `key`, whole or the range asked for.
async fn serve(
    playback: &Playback,
    key: &str,
    headers: &HeaderMap,
    answer: Answer,
) -> Result<Response, Problem> {
    let store = playback.media.store();
    let location = playback.media.path(key);
    let meta = match store.head(&location).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(Problem::not_found(answer.missing));
        }
        Err(e) => return Err(Problem::unavailable(format!("media store: {e}"))),
    };
    let size = meta.size;
    let etag = format!(
        "\"{}\"",
        meta.e_tag
            .as_deref()
            .unwrap_or(&format!(
                "{size:x}-{}",
                meta.last_modified.timestamp_micros()
            ))
            .trim_matches('"')
    );
    let mut response_headers = HeaderMap::new();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(&mut response_headers, header::ETAG, &etag);
    set(&mut response_headers, header::ACCEPT_RANGES, "bytes");
    set(
        &mut response_headers,
        header::LAST_MODIFIED,
        &meta
            .last_modified
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    );
    let scope = if answer.shared {
        "public"
    } else {
        // What one viewer may watch another may not: no shared cache keeps it, and the
        // viewer's own keeps it per token.
        set(&mut response_headers, header::VARY, "Authorization");
        "private"
    };
    set(
        &mut response_headers,
        header::CACHE_CONTROL,
        &format!("{scope}, {}", answer.max_age),
    );
    let matches = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    if matches(header::IF_NONE_MATCH) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    // A range applies only to the representation the client has (If-Range).
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| !headers.contains_key(header::IF_RANGE) || matches(header::IF_RANGE));
    let (status, get_range) = match wanted(range, size) {
        Wanted::Whole => (StatusCode::OK, None),
        Wanted::Part(first, last) => {
            set(
                &mut response_headers,
                header::CONTENT_RANGE,
                &format!("bytes {first}-{last}/{size}"),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                Some(GetRange::Bounded(first..last + 1)),
            )
        }
        Wanted::Unsatisfiable => {
            let mut problem = Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                "Range not satisfiable",
                format!("the file has {size} bytes"),
            )
            .into_response();
            set(
                problem.headers_mut(),
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return Ok(problem);
        }
    };
    let length = match &get_range {
        Some(GetRange::Bounded(r)) => r.end - r.start,
        _ => size,
    };
    set(
        &mut response_headers,
        header::CONTENT_TYPE,
        answer.content_type,
    );
    // Served as the type it was stored with, never as what a browser guesses.
    set(
        &mut response_headers,
        header::X_CONTENT_TYPE_OPTIONS,
        "nosniff",
    );
    set(
        &mut response_headers,
        header::CONTENT_LENGTH,
        &length.to_string(),
    );
    let options = GetOptions {
        range: get_range,
        ..GetOptions::default()
    };
    let body = match store.get_opts(&location, options).await {
        Ok(result) => Body::from_stream(result.into_stream()),
        Err(object_store::Error::NotFound { .. }) => {
            return Err(Problem::not_found(answer.missing));
        }
        Err(e) => return Err(Problem::unavailable(format!("media store: {e}"))),
    };
    Ok((status, response_headers, body).into_response())
}

/// The image slots, as their paths name them.
const IMAGE_SLOTS: [&str; 3] = ["banner", "thumbnail", "thumbnail_half"];

/// The raster types artwork is served as; anything else is sent as a download of bytes, so that
/// no uploaded document (an SVG with a script) runs on this origin.
const IMAGE_TYPES: [&str; 5] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/avif",
];

/// How many hex digits of the upload's checksum version an image's URL.
const IMAGE_VERSION_DIGITS: usize = 16;

/// The URL path of a published video's image in `slot`, versioned by the upload's checksum so
/// that a replaced image is a new URL.
pub(crate) fn image_path(video: Uuid, slot: &str, checksum: &str) -> String {
    let version: String = checksum.chars().take(IMAGE_VERSION_DIGITS).collect();
    format!(
        "/videos/{video}/images/{}?v={version}",
        slot.to_ascii_lowercase()
    )
}

/// A published video's artwork
///
/// The banner, thumbnail or half thumbnail as uploaded. Anyone may fetch it: it is the video's
/// poster, subscribers' videos included. With the `v` the video's `images` give, it is cached
/// for a year (a new upload is a new `v`); without it, for five minutes.
#[utoipa::path(
    get,
    path = "/videos/{id}/images/{slot}",
    tag = "playback",
    params(
        ("id" = Uuid, Path, description = "A published video's id"),
        ("slot" = String, Path, description = "`banner`, `thumbnail` or `thumbnail_half`",
            pattern = "^(banner|thumbnail|thumbnail_half)$"),
        ("v" = Option<String>, Query, description = "The version from the video's `images`",
            max_length = 64),
    ),
    responses(
        (status = 200, description = "The image: a JPEG, PNG, WebP, GIF or AVIF as uploaded, \
            any other upload as application/octet-stream", content_type = "image/*", body = Vec<u8>),
        (status = 206, description = "Part of the image (Range)", content_type = "image/*",
            body = Vec<u8>),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 400, description = "The id or slot breaks its rules",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 404, description = "No such published video, or no image in the slot",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 416, description = "The range is outside the file",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
        (status = 503, description = "The media store is unavailable",
            content_type = "application/problem+json", body = codeflix_http::problem::ProblemDetails),
    ),
)]
pub(crate) async fn image(
    State(state): State<QueryState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Problem> {
    let Path((id, slot)) =
        path.map_err(|e| Problem::bad_request(format!("the path is not valid: {e}")))?;
    let mut errors = Vec::new();
    let id = Uuid::parse_str(&id).ok().filter(|_| id.len() == 36);
    if id.is_none() {
        errors.push(FieldError::new("id", "must be a UUID"));
    }
    if !IMAGE_SLOTS.contains(&slot.as_str()) {
        errors.push(FieldError::new(
            "slot",
            "must be banner, thumbnail or thumbnail_half",
        ));
    }
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return Err(Problem::bad_parameters(errors));
    };
    let playback = state
        .playback
        .get()
        .ok_or_else(|| Problem::unavailable("images are not served (no media store)"))?;
    let slot = slot.to_ascii_uppercase();
    let not_found = || Problem::not_found(format!("video {id} has no {slot} image"));
    let video = published(&state, id).await?.ok_or_else(not_found)?;
    let media = video
        .media
        .iter()
        .find(|m| m.slot == slot && m.status == "COMPLETED")
        .ok_or_else(not_found)?;
    let key = media
        .encoded_location
        .as_deref()
        .and_then(|location| playback.media.key_of(location))
        .ok_or_else(|| {
            tracing::error!(
                location = ?media.encoded_location,
                store = playback.media.url(),
                "an image outside the media store"
            );
            Problem::unavailable("the image is not in the configured media store")
        })?;
    let current: String = media.checksum.chars().take(IMAGE_VERSION_DIGITS).collect();
    let versioned = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(name, value)| name == "v" && value == current);
    let answer = Answer {
        content_type: IMAGE_TYPES
            .into_iter()
            .find(|t| media.content_type.eq_ignore_ascii_case(t))
            .unwrap_or("application/octet-stream"),
        max_age: if versioned {
            "max-age=31536000, immutable"
        } else {
            "max-age=300"
        },
        shared: true,
        missing: format!("video {id}'s {slot} image is missing from the media store"),
    };
    serve(playback, &key, &headers, answer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part(0, 9));
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-1000"), 100), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=50-1000"), 100), Wanted::Part(50, 99));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=100-200"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(
            wanted(Some("bytes=0-1,5-6"), 100),
            Wanted::Whole,
            "several ranges"
        );
        assert_eq!(
            wanted(Some("items=0-1"), 100),
            Wanted::Whole,
            "another unit"
        );
        assert_eq!(wanted(Some("bytes=9-0"), 100), Wanted::Whole, "backwards");
        assert_eq!(wanted(Some("bytes=x-"), 100), Wanted::Whole);
    }

    #[test]
    fn paths_stay_inside_the_encoded_folder() {
        for good in [
            "master.m3u8",
            "v0/index.m3u8",
            "v1/seg_00012.m4s",
            "manifest.mpd",
        ] {
            assert!(valid_path(good), "{good}");
        }
        for bad in [
            "",
            "..",
            "../original",
            "v0/../../original",
            "./master.m3u8",
            "/etc/passwd",
            "v0//seg.m4s",
            "v0\\..\\original",
            "a%2F..",
            "master.m3u8\0",
            "a/b/c/d/e/f/g/h/i",
        ] {
            assert!(!valid_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn files_get_their_media_types() {
        assert_eq!(content_type("master.m3u8"), "application/vnd.apple.mpegurl");
        assert_eq!(content_type("manifest.mpd"), "application/dash+xml");
        assert_eq!(content_type("v0/seg_00000.m4s"), "video/iso.segment");
        assert_eq!(content_type("v0/init_0.mp4"), "video/mp4");
    }
}
