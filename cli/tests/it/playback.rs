//! The encoder's walkthrough through `codeflix up`: an admin uploads a clip, the platform
//! encodes it without further action, the admin publishes it, and a player (ffprobe) streams and
//! seeks it through the query API — with byte ranges, CORS, and no way out of the ladder.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{Site, wait_for_port};
use crate::up::{interrupt, start, token};

pub(crate) fn clip(site: &Site) -> Vec<u8> {
    let path = site.path("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=640x360:rate=25")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
        ])
        .arg("-shortest")
        .arg(&path)
        .status()
        .expect("ffmpeg is needed (.ci/run installs it)");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// A video titled `title`; `opened` ones play for everyone, the others for subscribers only.
pub(crate) fn create_video(
    http: &Client,
    site: &Site,
    token: &str,
    title: &str,
    opened: bool,
) -> String {
    let created = http
        .post(format!("{}/videos", site.api()))
        .bearer_auth(token)
        .json(&json!({"title": title, "description": "Bars and a tone.",
                      "launch_year": 2024, "duration": 1, "rating": "L", "opened": opened}))
        .send()
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    created.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn upload(http: &Client, site: &Site, token: &str, video: &str, bytes: Vec<u8>) {
    let uploaded = http
        .put(format!("{}/videos/{video}/media/video", site.api()))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .unwrap();
    assert_eq!(
        uploaded.status(),
        StatusCode::OK,
        "{}",
        uploaded.text().unwrap()
    );
}

/// Waits until the admins' view shows the VIDEO media in `status`; answers that media.
pub(crate) fn media_reaches(
    http: &Client,
    site: &Site,
    token: &str,
    video: &str,
    status: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let answer = http
            .get(format!("{}/admin/videos/{video}", site.query()))
            .bearer_auth(token)
            .send()
            .unwrap();
        if answer.status() == StatusCode::OK {
            let body = answer.json::<Value>().unwrap();
            let media = body["media_details"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["slot"] == "VIDEO")
                .cloned();
            if let Some(media) = media {
                if media["status"] == status {
                    return media;
                }
                // An encoding that gave up does not come back by itself.
                assert!(
                    media["status"] != "ERROR",
                    "media ended in ERROR, not {status}: {body}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "media never reached {status}: {body}"
            );
        }
        assert!(Instant::now() < deadline, "the video never appeared");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The viewers' `video`, read once `written` (a command API answer) is visible.
fn viewed_after(
    http: &Client,
    site: &Site,
    video: &str,
    written: reqwest::blocking::Response,
) -> Value {
    let consistency = written.json::<Value>().unwrap()["consistency_token"]
        .as_str()
        .unwrap()
        .to_owned();
    http.get(format!("{}/videos/{video}", site.query()))
        .header("codeflix-consistency-token", &consistency)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap()
}

/// Sends a request line as given (no client-side normalisation of `..`); answers the status.
fn raw_status(site: &Site, target: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", site.query_port)).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[test]
fn an_uploaded_clip_is_encoded_published_and_streamed_with_seeking() {
    // Exactly as the README runs it: `codeflix up` in a fresh directory, data in ./data.
    let site = Site::as_in_readme(env!("CARGO_BIN_EXE_codeflix"));
    let http = Client::new();
    let up = start(&site);
    wait_for_port(site.query_port);
    let token = token(&site);

    let video = create_video(&http, &site, &token, "Test pattern", true);
    upload(&http, &site, &token, &video, clip(&site));
    let media = media_reaches(&http, &site, &token, &video, "COMPLETED");
    assert!(
        media["encoded_location"]
            .as_str()
            .unwrap()
            .ends_with("/master.m3u8"),
        "{media}"
    );
    let stream = |path: &str| format!("{}/videos/{video}/stream/video/{path}", site.query());
    // A draft is not playable.
    let draft = http.get(stream("master.m3u8")).send().unwrap();
    assert_eq!(draft.status(), StatusCode::NOT_FOUND);

    let published = http
        .post(format!("{}/videos/{video}/publish", site.api()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);
    let viewed = viewed_after(&http, &site, &video, published);
    assert_eq!(viewed["playable"], true, "{viewed}");
    let hls = format!(
        "{}{}",
        site.query(),
        viewed["streams"][0]["hls"].as_str().unwrap()
    );
    let dash = format!(
        "{}{}",
        site.query(),
        viewed["streams"][0]["dash"].as_str().unwrap()
    );

    // A player opens the master playlist over HTTP, and seeks into the middle.
    let probed = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(&hls)
        .output()
        .unwrap();
    assert!(
        probed.status.success(),
        "{}",
        String::from_utf8_lossy(&probed.stderr)
    );
    let probed: Value = serde_json::from_slice(&probed.stdout).unwrap();
    let duration: f64 = probed["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((9.5..=10.5).contains(&duration), "{duration}");
    let kinds: Vec<&str> = probed["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["codec_name"].as_str())
        .collect();
    assert!(
        kinds.contains(&"h264") && kinds.contains(&"aac"),
        "{kinds:?}"
    );
    let seek = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", "7", "-i"])
        .arg(&hls)
        .args(["-frames:v", "1", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        seek.status.success(),
        "{}",
        String::from_utf8_lossy(&seek.stderr)
    );
    let probed_dash = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&dash)
        .output()
        .unwrap();
    assert!(
        probed_dash.status.success(),
        "{}",
        String::from_utf8_lossy(&probed_dash.stderr)
    );

    // Media types, caching and byte ranges.
    let master = http.get(&hls).send().unwrap();
    assert_eq!(master.status(), StatusCode::OK);
    assert_eq!(
        master.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    assert_eq!(master.headers()["cache-control"], "public, max-age=60");
    let etag = master.headers()["etag"].clone();
    let again = http.get(&hls).header("if-none-match", etag).send().unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let whole = http.get(stream("v0/seg_00001.m4s")).send().unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["content-type"], "video/iso.segment");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert!(
        whole.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let whole = whole.bytes().unwrap();
    let size = whole.len();
    let part = http
        .get(stream("v0/seg_00001.m4s"))
        .header("range", "bytes=100-199")
        .send()
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{size}").as_str()
    );
    assert_eq!(part.bytes().unwrap(), whole.slice(100..200));
    let tail = http
        .get(stream("v0/seg_00001.m4s"))
        .header("range", "bytes=-10")
        .send()
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().unwrap(), whole.slice(size - 10..));
    let past = http
        .get(stream("v0/seg_00001.m4s"))
        .header("range", format!("bytes={size}-"))
        .send()
        .unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    assert_eq!(
        http.get(stream("v0/seg_99999.m4s"))
            .send()
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Web players on other origins.
    let preflight = http
        .request(reqwest::Method::OPTIONS, &hls)
        .header("origin", "https://player.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "range")
        .send()
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let cross = http
        .get(&hls)
        .header("origin", "https://player.example")
        .send()
        .unwrap();
    assert_eq!(cross.headers()["access-control-allow-origin"], "*");

    // Nothing outside the ladder can be named: not the raw upload next to it, not anything else.
    for target in [
        format!("/videos/{video}/stream/video/../original"),
        format!("/videos/{video}/stream/video/..%2Foriginal"),
        format!("/videos/{video}/stream/video/%2e%2e/original"),
        format!("/videos/{video}/stream/video/v0/..%2F..%2F..%2Foriginal"),
        format!("/videos/{video}/stream/video//etc/passwd"),
        format!("/videos/{video}/stream/video/..%5C..%5Coriginal"),
    ] {
        let status = raw_status(&site, &target);
        assert!(status == 400 || status == 404, "{target} answered {status}");
    }

    // Artwork: a thumbnail is served as uploaded, to anyone, cached by its versioned URL.
    let thumbnail = site.path("thumbnail.png");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("color=c=teal:size=320x180")
        .args(["-frames:v", "1"])
        .arg(&thumbnail)
        .status()
        .unwrap();
    assert!(made.success());
    let png = std::fs::read(&thumbnail).unwrap();
    let uploaded = http
        .put(format!("{}/videos/{video}/media/thumbnail", site.api()))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(png.clone())
        .send()
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);
    let viewed = viewed_after(&http, &site, &video, uploaded);
    assert_eq!(viewed["images"][0]["slot"], "THUMBNAIL", "{viewed}");
    let image = format!(
        "{}{}",
        site.query(),
        viewed["images"][0]["url"].as_str().unwrap()
    );
    let fetched = http.get(&image).send().unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["content-type"], "image/png");
    assert_eq!(fetched.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        fetched.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = fetched.headers()["etag"].clone();
    assert_eq!(fetched.bytes().unwrap(), png);
    let unversioned = http
        .get(format!("{}/videos/{video}/images/thumbnail", site.query()))
        .header("if-none-match", etag)
        .send()
        .unwrap();
    assert_eq!(unversioned.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        unversioned.headers()["cache-control"],
        "public, max-age=300"
    );
    for (path, status) in [
        ("images/banner", StatusCode::NOT_FOUND),
        ("images/poster", StatusCode::BAD_REQUEST),
    ] {
        let answer = http
            .get(format!("{}/videos/{video}/{path}", site.query()))
            .send()
            .unwrap();
        assert_eq!(answer.status(), status, "{path}");
    }

    // An upload that is not a video ends in ERROR with the encoder's reason.
    let broken = create_video(&http, &site, &token, "Broken", true);
    let mut garbage = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    garbage.extend((0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    upload(&http, &site, &token, &broken, garbage);
    let failed = media_reaches(&http, &site, &token, &broken, "ERROR");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("not a decodable video"),
        "{failed}"
    );
    // Everything was kept in ./data of the directory `up` ran in.
    for kept in ["media", "encoder", "dev-issuer/signing-key.pem"] {
        assert!(site.path(kept).exists(), "no ./data/{kept}");
    }
    interrupt(up);
}
