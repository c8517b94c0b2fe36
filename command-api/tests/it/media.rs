//! Uploads: streamed into the object store, hashed, sniffed, recorded with `VideoUploaded`;
//! refused files leave nothing behind; a broken resumable upload resumes from its offset.

use std::time::Duration;

use codeflix_domain::catalog::video::{VideoEvent, VideoUploaded};
use codeflix_domain::{AggregateType, AnyEvent};
use futures::{FutureExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use codeflix_testkit::CommandApi as Api;

/// The start of an ISO base media (MP4) file, then `len` bytes of noise: sniffs as video/mp4.
fn mp4(len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 2, 0, b'i', b's',
        b'o', b'm', b'i', b's', b'o', b'2',
    ];
    let mut state: u32 = 0x1234_5678;
    bytes.extend((0..len).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as u8
    }));
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn video(api: &Api) -> String {
    let created = api
        .admin_send(
            Method::POST,
            "/videos",
            Some(
                json!({"title": "Up", "description": "Balloons.", "launch_year": 2009,
                        "duration": 96, "rating": "L"}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.id()
}

async fn uploads(api: &Api, video: &str) -> Vec<VideoUploaded> {
    api.events(AggregateType::Video)
        .await
        .into_iter()
        .filter(|r| r.envelope.metadata.aggregate_id == video)
        .filter_map(|r| match r.envelope.event {
            AnyEvent::Video(VideoEvent::VideoUploaded(uploaded)) => Some(uploaded),
            _ => None,
        })
        .collect()
}

/// Sends `head` (request line and headers, no body) and returns the status line of the answer.
async fn early_answer(api: &Api, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(api.base().trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers before the body arrives")
        .unwrap();
    String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Every file under the media directory.
fn stored_files(api: &Api) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&api.dir.path().join("media"), &mut found);
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_stored_hashed_sniffed_and_recorded_on_the_video() {
    let api = Api::start().await;
    let video = video(&api).await;
    let file = mp4(3 * 1024 * 1024);
    let stored = api
        .http
        .put(format!("{}/videos/{video}/media/video", api.base()))
        .bearer_auth(api.admin())
        // What `curl --data-binary @film.mp4` declares by default: says nothing, the content is
        // sniffed.
        .header("content-type", "application/x-www-form-urlencoded")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    assert!(stored.headers().contains_key("codeflix-consistency-token"));

    let recorded = uploads(&api, &video).await;
    assert_eq!(recorded.len(), 1);
    let uploaded = &recorded[0];
    assert_eq!(uploaded.checksum, sha256(&file));
    assert_eq!(uploaded.size_bytes, file.len() as u64);
    assert_eq!(uploaded.content_type, "video/mp4");
    let path = url::Url::parse(&uploaded.raw_location)
        .unwrap()
        .to_file_path()
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), file, "{}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_upload_must_carry_the_same_file() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let put = |file: Vec<u8>| {
        api.http
            .put(format!("{}/videos/{video}/media/video", api.base()))
            .bearer_auth(&token)
            .header("idempotency-key", "film-upload-1")
            .header("content-type", "video/mp4")
            .body(file)
            .send()
    };
    let file = mp4(256 * 1024);
    let first = put(file.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    let first: serde_json::Value = first.json().await.unwrap();

    // The same file again (a client retrying after a lost answer): replayed, nothing new.
    let again = put(file.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["version"], first["version"]);

    // Another file under the same key: refused, and the recorded file is untouched.
    let mut other = mp4(256 * 1024);
    other.truncate(200 * 1024);
    let refused = put(other).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );

    let recorded = uploads(&api, &video).await;
    assert_eq!(recorded.len(), 1, "one upload recorded, once");
    assert_eq!(recorded[0].checksum, sha256(&file));
    let path = url::Url::parse(&recorded[0].raw_location)
        .unwrap()
        .to_file_path()
        .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        file,
        "the recorded file is intact"
    );
    assert_eq!(
        stored_files(&api),
        vec![path],
        "the replayed and the refused copies are removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_oversized_or_misplaced_files_are_refused_and_leave_nothing_behind() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let put = |slot: &str, content_type: &str, body: reqwest::Body| {
        api.http
            .put(format!("{}/videos/{video}/media/{slot}", api.base()))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    // A text file claiming to be a video.
    let text = put(
        "video",
        "video/mp4",
        "just some text, not a film\n".repeat(500).into(),
    )
    .await
    .unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let problem: serde_json::Value = text.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not a video file"),
        "{problem}"
    );

    // A video in an image slot.
    let misplaced = put("banner", "application/octet-stream", mp4(20_000).into())
        .await
        .unwrap();
    assert_eq!(misplaced.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Too large: declared up front, and streamed without a declared length.
    // The declared size is refused before any byte of the body is sent (a raw request, because
    // HTTP clients write the body regardless and may see the early answer as a broken pipe).
    let declared = early_answer(
        &api,
        &format!(
            "PUT /videos/{video}/media/thumbnail HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {token}\r\nContent-Type: image/png\r\n\
             Content-Length: {}\r\n\r\n",
            6 * 1024 * 1024
        ),
    )
    .await;
    assert!(declared.starts_with("HTTP/1.1 413"), "{declared}");
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend(std::iter::repeat_n(0u8, 1024 * 1024 - 8));
    // Five megabytes and one byte, the last byte crossing the limit: the whole body is sent
    // by the time the server refuses it.
    let chunks = (0..5)
        .map(move |_| png.clone())
        .chain([vec![0u8]])
        .map(Ok::<_, std::io::Error>);
    let streamed = put(
        "thumbnail",
        "image/png",
        reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
    )
    .await
    .unwrap();
    assert_eq!(streamed.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // An unknown video and an unknown slot.
    let unknown = api
        .http
        .put(format!(
            "{}/videos/{}/media/video",
            api.base(),
            uuid::Uuid::new_v4()
        ))
        .bearer_auth(&token)
        .body(mp4(100))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let slot = put("poster", "image/png", vec![1u8; 10].into())
        .await
        .unwrap();
    assert_eq!(slot.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert!(uploads(&api, &video).await.is_empty());
    assert_eq!(stored_files(&api), Vec::<std::path::PathBuf>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_upload_creation_finds_its_upload_and_refuses_another() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let create = |length: usize| {
        api.http
            .post(format!("{}/uploads", api.base()))
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("idempotency-key", "resumable-film-1")
            .header("upload-length", length.to_string())
            .header(
                "upload-metadata",
                format!("video_id {},slot {}", b64(&video), b64("video")),
            )
            .send()
    };
    let file = mp4(2 * 1024 * 1024);
    let first = create(file.len()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let url = format!("{}{location}", api.base());
    let status = || {
        api.http
            .head(&url)
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .send()
            .map(Result::unwrap)
    };
    let sent = api
        .http
        .patch(&url)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(file[..1024 * 1024].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);

    // The client lost the answer to its creation and sends it again.
    let again = create(file.len()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["location"], location.as_str());
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let head = status().await;
    assert_eq!(
        head.headers()["upload-offset"],
        "1048576",
        "the retry did not reset what was received"
    );

    // The same key describing another file is refused and changes nothing.
    let other = create(file.len() + 1).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = other.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["field"], "Idempotency-Key",
        "{problem}"
    );
    let head = status().await;
    assert_eq!(
        head.headers()["upload-length"],
        file.len().to_string().as_str()
    );
    assert_eq!(head.headers()["upload-offset"], "1048576");
}

/// Behind a gateway or nginx (`X-Forwarded-Prefix`) the upload's URL keeps the prefix the client
/// used, so that tus clients in the browser PATCH where they started, and so does a created
/// resource's; a prefix that is not a plain path is ignored.
#[tokio::test]
async fn an_upload_behind_a_prefix_is_located_under_it() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let create = |prefix: &'static str| {
        api.http
            .post(format!("{}/uploads", api.base()))
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("x-forwarded-prefix", prefix)
            .header("upload-length", "1024")
            .header(
                "upload-metadata",
                format!("video_id {},slot {}", b64(&video), b64("video")),
            )
            .send()
    };
    let created = create("/api/command").await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/api/command/uploads/"), "{location}");
    let foreign = create("//evil.example").await.unwrap();
    let location = foreign.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/uploads/"), "{location}");

    let category = api
        .http
        .post(format!("{}/categories", api.base()))
        .bearer_auth(&token)
        .header("x-forwarded-prefix", "/api/command/")
        .json(&serde_json::json!({"name": "Behind a prefix"}))
        .send()
        .await
        .unwrap();
    assert_eq!(category.status(), StatusCode::CREATED);
    let id = category.headers()["location"].to_str().unwrap().to_owned();
    let body: serde_json::Value = category.json().await.unwrap();
    assert_eq!(
        id,
        format!("/api/command/categories/{}", body["id"].as_str().unwrap())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_resumable_upload_resumes_from_its_offset() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let file = mp4(3 * 1024 * 1024);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let created = api
        .http
        .post(format!("{}/uploads", api.base()))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", file.len().to_string())
        .header(
            "upload-metadata",
            format!("video_id {},slot {}", b64(&video), b64("video")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = format!(
        "{}{}",
        api.base(),
        created.headers()["location"].to_str().unwrap()
    );
    let patch = |offset: usize, body: reqwest::Body| {
        api.http
            .patch(&location)
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", offset.to_string())
            .header("content-type", "application/offset+octet-stream")
            .body(body)
            .send()
    };
    let offset = || async {
        let head = api
            .http
            .head(&location)
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(
            head.headers()["upload-length"],
            file.len().to_string().as_str()
        );
        head.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };

    // The connection breaks after the first megabyte.
    let first = file[..1024 * 1024].to_vec();
    let broken = futures::stream::iter([Ok::<_, std::io::Error>(first)]).chain(
        futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Err(std::io::Error::other("the network went away"))
        }),
    );
    let broke = patch(0, reqwest::Body::wrap_stream(broken)).await;
    assert!(broke.is_err(), "{:?}", broke.map(|r| r.status()));
    // The server learns of the broken body on its own time and then keeps what came: a HEAD
    // right after the client's error may still see 0 (CI saw it once).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut resumed_at = offset().await;
    while resumed_at == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        resumed_at = offset().await;
    }
    assert!(
        resumed_at > 0 && resumed_at <= 1024 * 1024,
        "kept {resumed_at} bytes"
    );

    // A wrong offset is refused; the right one completes the file.
    let wrong = patch(0, file[..10].to_vec().into()).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::CONFLICT);
    let done = patch(resumed_at, file[resumed_at..].to_vec().into())
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    // tus clients read the final offset from the completing PATCH too.
    assert_eq!(
        done.headers()["upload-offset"],
        file.len().to_string().as_str()
    );
    assert_eq!(done.headers()["tus-resumable"], "1.0.0");

    let recorded = uploads(&api, &video).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].checksum, sha256(&file));
    assert_eq!(recorded[0].size_bytes, file.len() as u64);
    // The staging chunks are gone; only the media remains.
    let files = stored_files(&api);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), file);
    let gone = api
        .http
        .head(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_resumable_uploads_are_swept() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let create = || async {
        let created = api
            .http
            .post(format!("{}/uploads", api.base()))
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "100000")
            .header(
                "upload-metadata",
                format!("video_id {},slot {}", b64(&video), b64("trailer")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        format!(
            "{}{}",
            api.base(),
            created.headers()["location"].to_str().unwrap()
        )
    };
    let location = create().await;
    let part = api
        .http
        .patch(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(mp4(20_000))
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::NO_CONTENT);
    let media =
        codeflix_command_api::media::MediaStore::local(&api.dir.path().join("media")).unwrap();

    // Recent uploads stay.
    let kept = codeflix_command_api::sweep_uploads(&media, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(kept, 0);
    assert!(!stored_files(&api).is_empty());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let swept = codeflix_command_api::sweep_uploads(&media, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(stored_files(&api), Vec::<std::path::PathBuf>::new());
    let head = api
        .http
        .head(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
}

/// The encoder runs in its own process with its own event log. A publish decided on this
/// process's cached video (which never saw the encoding finish) must look at the store again
/// before it says "not encoded".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_after_another_process_encoded_is_decided_on_the_stored_video() {
    use codeflix_domain::ExpectedVersion;
    use codeflix_domain::catalog::video::{
        CompleteMediaProcessing, MediaSlot, StartMediaProcessing, StorageLocation, Video, VideoId,
    };

    let api = Api::start().await;
    let video = video(&api).await;
    let stored = api
        .http
        .put(format!("{}/videos/{video}/media/video", api.base()))
        .bearer_auth(api.admin())
        .header("content-type", "video/mp4")
        .body(mp4(64 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    let media_id = uploads(&api, &video).await[0].media_id;
    let early = api
        .admin_send(Method::POST, &format!("/videos/{video}/publish"), None)
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "not encoded yet");

    // The encoder's process, on the same command store.
    let encoder = codeflix_eventlog::EventLog::connect(api.config().clone())
        .await
        .unwrap();
    let id = VideoId::new(uuid::Uuid::parse_str(&video).unwrap());
    let context = codeflix_testkit::context("encoder");
    encoder
        .execute::<Video>(
            &context,
            &id,
            ExpectedVersion::Any,
            StartMediaProcessing {
                slot: MediaSlot::Video,
                media_id,
            }
            .into(),
        )
        .await
        .unwrap();
    encoder
        .execute::<Video>(
            &codeflix_testkit::context("encoder"),
            &id,
            ExpectedVersion::Any,
            CompleteMediaProcessing {
                slot: MediaSlot::Video,
                media_id,
                encoded_location: StorageLocation::parse("encoded/up/master.m3u8").unwrap(),
            }
            .into(),
        )
        .await
        .unwrap();
    encoder.shutdown().await;

    let published = api
        .admin_send(Method::POST, &format!("/videos/{video}/publish"), None)
        .await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
}

/// A completed resumable upload's Idempotency-Key used again (a client that reuses its keys)
/// must never change the bytes the recorded `VideoUploaded` names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_key_after_a_completed_upload_never_changes_the_recorded_file() {
    let api = Api::start().await;
    let video = video(&api).await;
    let token = api.admin();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let upload = |file: Vec<u8>| {
        let (api, token, video) = (&api, &token, &video);
        async move {
            let created = api
                .http
                .post(format!("{}/uploads", api.base()))
                .bearer_auth(token)
                .header("tus-resumable", "1.0.0")
                .header("idempotency-key", "film-upload")
                .header("upload-length", file.len().to_string())
                .header(
                    "upload-metadata",
                    format!("video_id {},slot {}", b64(video), b64("video")),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), StatusCode::CREATED);
            let location = created.headers()["location"].to_str().unwrap().to_owned();
            api.http
                .patch(format!("{}{location}", api.base()))
                .bearer_auth(token)
                .header("tus-resumable", "1.0.0")
                .header("upload-offset", "0")
                .header("content-type", "application/offset+octet-stream")
                .body(file)
                .send()
                .await
                .unwrap()
        }
    };
    let first = mp4(300 * 1024);
    assert_eq!(upload(first.clone()).await.status(), StatusCode::OK);
    let recorded = uploads(&api, &video).await;
    assert_eq!(recorded.len(), 1);
    let path = url::Url::parse(&recorded[0].raw_location)
        .unwrap()
        .to_file_path()
        .unwrap();

    // The same key, another file of the same length.
    let mut second = mp4(300 * 1024);
    let at = second.len() - 1;
    second[at] ^= 0xff;
    let reused = upload(second).await;
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        first,
        "the recorded file changed"
    );
    assert_eq!(uploads(&api, &video).await.len(), 1);

    // The same key and the same file: the first result, and still one file.
    let again = upload(first.clone()).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(std::fs::read(&path).unwrap(), first);
    assert_eq!(stored_files(&api).len(), 1, "{:?}", stored_files(&api));
}
