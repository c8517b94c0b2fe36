//! compose/'s gateway configuration (compose/nginx/routes.conf and zones.conf, ADR 0028) run by
//! Debian's nginx on loopback in front of `codeflix up`: TLS, the one origin's routes, the tus
//! Location behind the prefix, rate limits answered as problems, and free videos' segments
//! served from nginx's cache.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::playback::{clip, create_video, media_reaches, upload};
use crate::support::{Process, Site, free_port, kill, tool_answering, wait_for_port};
use crate::up::{interrupt, start, token};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// nginx with routes.conf in a server block on `port`, in front of the site's roles.
fn start_nginx(nginx: &str, site: &Site, port: u16) -> Process {
    let dir = site.path("nginx");
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(dir.join("tls.key"))
        .arg("-out")
        .arg(dir.join("tls.crt"))
        .output()
        .expect("openssl (.ci/run installs it)");
    assert!(made.status.success(), "{made:?}");
    let compose = Path::new(REPO).join("compose/nginx");
    let d = dir.display();
    let config = format!(
        "daemon off;\n\
         master_process off;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
           include /etc/nginx/mime.types;\n\
           access_log {d}/access.log;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           include {zones};\n\
           proxy_cache_path {d}/cache levels=1:2 keys_zone=codeflix_segments:10m max_size=1g inactive=1h use_temp_path=off;\n\
           upstream codeflix_command_api {{ server 127.0.0.1:{api}; keepalive 8; }}\n\
           upstream codeflix_query_api {{ server 127.0.0.1:{query}; keepalive 8; }}\n\
           upstream codeflix_web {{ server 127.0.0.1:{web}; keepalive 8; }}\n\
           server {{\n\
             listen 127.0.0.1:{port} ssl;\n\
             ssl_certificate {d}/tls.crt; ssl_certificate_key {d}/tls.key;\n\
             include {routes};\n\
           }}\n\
         }}\n",
        zones = compose.join("zones.conf").display(),
        routes = compose.join("routes.conf").display(),
        api = site.api_port,
        query = site.query_port,
        web = site.gateway_port,
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, config).unwrap();
    let nginx_with_config = || {
        let mut command = Command::new(nginx);
        command
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&file);
        command
    };
    let checked = nginx_with_config().arg("-t").output().unwrap();
    assert!(
        checked.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let child = nginx_with_config().spawn().unwrap();
    wait_for_port(port);
    Process(child)
}

#[test]
fn nginx_serves_the_one_origin_in_front_of_the_roles() {
    let Some(nginx) = tool_answering_nginx() else {
        println!("skipped: no nginx (.ci/run installs Debian's)");
        return;
    };
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let up = start(&site);
    wait_for_port(site.gateway_port);
    let port = free_port();
    let mut proxy = start_nginx(&nginx, &site, port);
    let base = format!("https://127.0.0.1:{port}");
    let http = Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let admin = token(&site);

    // The apps' settings and pages come from the gateway role, through TLS.
    let config: Value = http
        .get(format!("{base}/config.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(config["command_api"], "/api/command");
    assert_eq!(config["query_api"], "/api/query");
    let page = http.get(format!("{base}/videos/x")).send().unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        page.headers()
    );

    // A write through /api/command, read back through /api/query.
    let created = http
        .post(format!("{base}/api/command/categories"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Through nginx"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let written: Value = created.json().unwrap();
    let listed: Value = http
        .get(format!("{base}/api/query/categories"))
        .header(
            "codeflix-consistency-token",
            written["consistency_token"].as_str().unwrap(),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(listed["items"][0]["name"], "Through nginx", "{listed}");

    // A resumable upload continues at a URL under the prefix the browser used.
    let video = create_video(&http, &site, &admin, "Bars", true);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let upload_created = http
        .post(format!("{base}/api/command/uploads"))
        .bearer_auth(&admin)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "1024")
        .header(
            "upload-metadata",
            format!("video_id {},slot {}", b64(&video), b64("trailer")),
        )
        .send()
        .unwrap();
    assert_eq!(upload_created.status(), StatusCode::CREATED);
    let location = upload_created.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/api/command/uploads/"), "{location}");
    let head = http
        .head(format!("{base}{location}"))
        .bearer_auth(&admin)
        .header("tus-resumable", "1.0.0")
        .send()
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["upload-offset"], "0");

    // Writes beyond the address's budget are refused by nginx, as a problem.
    let refused: Vec<reqwest::blocking::Response> = (0..120)
        .map(|_| {
            http.post(format!("{base}/api/command/categories"))
                .json(&json!({"name": ""}))
                .send()
                .unwrap()
        })
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(
        !refused.is_empty(),
        "120 writes at once were all let through"
    );
    assert_eq!(
        refused[0].headers()["content-type"],
        "application/problem+json"
    );

    // A free video's manifest and segments are served from nginx's cache the second time.
    upload(&http, &site, &admin, &video, clip(&site));
    media_reaches(&http, &site, &admin, &video, "COMPLETED");
    let published = http
        .post(format!("{}/videos/{video}/publish", site.api()))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(30);
    let master = loop {
        let answer = http
            .get(format!(
                "{base}/api/query/videos/{video}/stream/video/master.m3u8"
            ))
            .send()
            .unwrap();
        if answer.status() == StatusCode::OK {
            break answer;
        }
        assert!(Instant::now() < deadline, "never streamable: {answer:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let playlist = master.text().unwrap();
    let variant = playlist
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .to_owned();
    let variant_url = format!("{base}/api/query/videos/{video}/stream/video/{variant}");
    let cache_status = |url: &str| {
        let answer = http.get(url).send().unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{url}");
        let status = answer.headers()["x-cache-status"]
            .to_str()
            .unwrap()
            .to_owned();
        (status, answer.text().unwrap_or_default())
    };
    let (first, media_playlist) = cache_status(&variant_url);
    assert_eq!(first, "MISS");
    assert_eq!(cache_status(&variant_url).0, "HIT");
    let segment = media_playlist
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap();
    let folder = variant.rsplit_once('/').map_or("", |(folder, _)| folder);
    let segment_url = if folder.is_empty() {
        format!("{base}/api/query/videos/{video}/stream/video/{segment}")
    } else {
        format!("{base}/api/query/videos/{video}/stream/video/{folder}/{segment}")
    };
    assert_eq!(cache_status(&segment_url).0, "MISS");
    assert_eq!(cache_status(&segment_url).0, "HIT");

    // So is its artwork (a 1×1 PNG as the thumbnail).
    let png = hex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154\
                   78da63f8ffff3f0005fe02fea7d6a4a20000000049454e44ae426082",
    );
    let uploaded = http
        .put(format!("{}/videos/{video}/media/thumbnail", site.api()))
        .bearer_auth(&admin)
        .header("content-type", "application/octet-stream")
        .body(png)
        .send()
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);
    let image_url = format!("{base}/api/query/videos/{video}/images/thumbnail");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(&image_url).send().unwrap().status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "the thumbnail never showed");
        std::thread::sleep(Duration::from_millis(200));
    }
    let versioned = format!("{image_url}?v=once");
    assert_eq!(cache_status(&versioned).0, "MISS");
    assert_eq!(cache_status(&versioned).0, "HIT");

    kill(&mut proxy);
    interrupt(up);
}

fn hex(digits: &str) -> Vec<u8> {
    let digits: Vec<u8> = digits.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn tool_answering_nginx() -> Option<String> {
    // Debian's nginx is in /usr/sbin, which is not on every user's PATH.
    tool_answering("CODEFLIX_NGINX", "/usr/sbin/nginx", &["-v"])
}
