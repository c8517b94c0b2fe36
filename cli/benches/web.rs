//! The web apps' budgets (issue 21): the gzip size of each app's JavaScript before its first page
//! (and of what loads later, the player), the time from navigation to the first video frame of a
//! free 720p ladder on loopback, and the console's video list with `VIDEOS` videos in the catalog
//! — in Debian's Chromium against `codeflix up`. Prints Markdown (docs/benchmarks.md has the
//! figures); asserts nothing.
//!
//! `cargo bench -p codeflix --bench web` (`VIDEOS`, default 50,000; `ROUNDS`, default 5). Needs
//! the apps built (`cd web && npm ci && npm run build`), ffmpeg and /usr/bin/chromium.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codeflix_testkit::load::{create_videos, knob};
use codeflix_testkit::site::{Site, interrupt, wait_for_port};
use serde_json::{Value, json};

const WEB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");

fn node(script: &str, args: &[&str], env: &[(&str, String)]) -> Value {
    let output = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(WEB)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "node {script} failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn kb(bytes: &Value) -> String {
    format!("{:.1} KB", bytes.as_f64().unwrap() / 1024.0)
}

#[tokio::main]
async fn main() {
    let videos = knob("VIDEOS", 50_000);
    let rounds = knob("ROUNDS", 5);
    assert!(
        Path::new(WEB).join("dist/.vite/manifest.json").exists(),
        "build the apps first: cd web && npm ci && npm run build"
    );
    let sizes = node("scripts/sizes.mjs", &["dist"], &[]);

    let mut site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    site.log_filter(Some("warn"));
    let up = site.spawn("up", &["up"]);
    for port in [site.api_port, site.query_port, site.gateway_port] {
        wait_for_port(port);
    }
    let token = site
        .stdout(&["token", "--role", "catalog-admin"])
        .trim()
        .to_owned();
    let (email, password) = ("bench@example.com", "bench-password-1");
    let mut add = site
        .command(&[
            "users",
            "add",
            "--email",
            email,
            "--name",
            "Bench",
            "--role",
            "catalog-admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    assert!(add.wait().unwrap().success());

    // A free video with a 720p ladder.
    let clip = site.path("clip-720p.mp4");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=30")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/videos", site.api()))
        .bearer_auth(&token)
        .json(
            &json!({"title": "First frame", "description": "Bars and a tone in 720p.",
                      "launch_year": 2026, "duration": 1, "rating": "L", "opened": true}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let video = created["id"].as_str().unwrap().to_owned();
    let uploaded = http
        .put(format!("{}/videos/{video}/media/video", site.api()))
        .bearer_auth(&token)
        .header("content-type", "video/mp4")
        .body(std::fs::read(&clip).unwrap())
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success(), "{uploaded:?}");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let view: Value = http
            .get(format!("{}/admin/videos/{video}", site.query()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        if view["media_details"][0]["status"] == "COMPLETED" {
            break;
        }
        assert!(Instant::now() < deadline, "never encoded: {view}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let published = http
        .post(format!("{}/videos/{video}/publish", site.api()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());

    // The catalog the console lists.
    let loading = Instant::now();
    let mut loaded = 0;
    while loaded < videos {
        let batch = (videos - loaded).min(10_000);
        create_videos(
            &http,
            &format!("{}/videos", site.api()),
            &token,
            "Catalog",
            batch,
            64,
        )
        .await;
        loaded += batch;
        eprintln!("created {loaded}/{videos} videos");
    }
    while site.projections_lag() > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("{videos} videos projected in {:?}", loading.elapsed());

    let measured = node(
        "e2e/bench.mjs",
        &[],
        &[
            ("BASE", site.gateway()),
            ("VIDEO", video),
            ("ADMIN_EMAIL", email.to_owned()),
            ("ADMIN_PASSWORD", password.to_owned()),
            ("ROUNDS", rounds.to_string()),
        ],
    );
    interrupt(up);

    let ms = |v: &Value| format!("{:.0} ms", v.as_f64().unwrap());
    println!(
        "| app | JS before the first page (gzip) | CSS (gzip) | loaded later (gzip) | target |"
    );
    println!("|---|---:|---:|---:|---|");
    for (app, target) in [("viewer", "≤ 250 KB before the player"), ("console", "")] {
        let s = &sizes[app];
        println!(
            "| {app} | {} | {} | {} | {target} |",
            kb(&s["js_gzip_bytes"]),
            kb(&s["css_gzip_bytes"]),
            kb(&s["lazy_js_gzip_bytes"])
        );
    }
    println!();
    println!("| measure ({rounds} rounds, median) | time | target |");
    println!("|---|---:|---|");
    println!(
        "| navigation → first frame, free 720p ladder, cold cache | {} | ≤ 1.5 s |",
        ms(&measured["first_frame_ms"]["median"])
    );
    println!(
        "| console: navigation → video list rows, {videos} videos | {} | |",
        ms(&measured["console_list_ms"]["median"])
    );
    println!(
        "| console: the list's request (`/admin/videos`, first page) | {} | ≤ 300 ms |",
        ms(&measured["console_list_request_ms"]["median"])
    );
    eprintln!("{measured}");
}
