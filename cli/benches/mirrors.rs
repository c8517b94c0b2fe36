//! How long a change takes to cross bounded contexts on embedded defaults, as `codeflix up`
//! runs it: from a create-video command's acknowledgement to the video's title in the
//! notifications side's mirror (event topic → the videos' state feed → the embedded Connect
//! runtime's JDBC sink, `connectors/notifications-titles.json` → SQLite), against the baseline of
//! the same change in the catalog's own read model (event topic → catalog projection → query
//! API), in the same run. First one change at a time on an idle platform, then the same while
//! `LOAD_CONCURRENCY` other creates are in flight.
//! Prints a Markdown table; asserts nothing.
//!
//! `cargo bench -p codeflix --bench mirrors` (`CHANGES`, `LOAD_CONCURRENCY`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use codeflix_testkit::load::{create_videos, knob};
use codeflix_testkit::site::{Site, interrupt};
use codeflix_testkit::sqlite::SqliteFile;
use serde_json::{Value, json};

/// How often both sides are looked at.
const POLL: Duration = Duration::from_millis(1);

/// The delays of some changes: (read model, mirror), sorted each.
struct Delays {
    projection: Vec<Duration>,
    mirror: Vec<Duration>,
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[at].as_secs_f64() * 1000.0
}

/// `changes` videos created one at a time; for each, how long after its acknowledgement the
/// query API shows it and the notifications mirror holds its title.
async fn measure(
    site: &Site,
    client: &reqwest::Client,
    token: &str,
    mirror: &SqliteFile,
    label: &str,
    changes: usize,
) -> Delays {
    let mut delays = Delays {
        projection: Vec::with_capacity(changes),
        mirror: Vec::with_capacity(changes),
    };
    for n in 0..changes {
        let title = format!("{label} {n}");
        let created = client
            .post(format!("{}/videos", site.api()))
            .bearer_auth(token)
            .json(&json!({"title": title, "description": "Crossing contexts.",
                          "launch_year": 2026, "duration": 90, "rating": "L"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
        let acknowledged = Instant::now();
        let id = created.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let read_model = async {
            let url = format!("{}/admin/videos/{id}", site.query());
            loop {
                let answer = client.get(&url).bearer_auth(token).send().await.unwrap();
                if answer.status() == reqwest::StatusCode::OK {
                    return acknowledged.elapsed();
                }
                tokio::time::sleep(POLL).await;
            }
        };
        let mirrored = async {
            loop {
                let rows = mirror
                    .rows(
                        "SELECT title FROM video_titles WHERE video_id = ?1",
                        vec![id.clone()],
                    )
                    .await;
                if rows.first().and_then(|row| row[0].as_deref()) == Some(title.as_str()) {
                    return acknowledged.elapsed();
                }
                tokio::time::sleep(POLL).await;
            }
        };
        let (projection, mirror) = tokio::join!(read_model, mirrored);
        delays.projection.push(projection);
        delays.mirror.push(mirror);
    }
    delays.projection.sort();
    delays.mirror.sort();
    delays
}

#[tokio::main]
async fn main() {
    let changes = knob("CHANGES", 300);
    let load_concurrency = knob("LOAD_CONCURRENCY", 8);
    let binary = env!("CARGO_BIN_EXE_codeflix");
    let mut site = Site::new(binary);
    site.log_filter(None);
    let up = site.start_up();
    let output = site.run(&["token", "--role", "catalog-admin"]);
    assert!(output.status.success());
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let client = reqwest::Client::new();
    let mirror = SqliteFile::open(&site.path("notifications/mirror.db")).await;

    // Warm up: the sinks' first records create their tables.
    measure(&site, &client, &token, &mirror, "Warm-up", 20).await;
    let idle = measure(&site, &client, &token, &mirror, "Idle", changes).await;

    let loading = Arc::new(AtomicBool::new(true));
    let load = {
        let (client, token, loading) = (client.clone(), token.clone(), loading.clone());
        let url = format!("{}/videos", site.api());
        tokio::spawn(async move {
            let mut created = 0;
            let started = Instant::now();
            let mut round = 0;
            while loading.load(Ordering::Relaxed) {
                round += 1;
                let label = format!("Load {round}");
                create_videos(&client, &url, &token, &label, 100, load_concurrency).await;
                created += 100;
            }
            created as f64 / started.elapsed().as_secs_f64()
        })
    };
    let loaded = measure(&site, &client, &token, &mirror, "Loaded", changes).await;
    loading.store(false, Ordering::Relaxed);
    let load_rate = load.await.unwrap();
    interrupt(up);

    println!(
        "| platform | changes | read model p50 | p99 | mirror p50 | p99 | mirror ÷ read model (p50) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, delays) in [
        ("idle".to_owned(), &idle),
        (
            format!("{load_concurrency} creates in flight ({load_rate:.0}/s)"),
            &loaded,
        ),
    ] {
        let (p50, p99) = (
            percentile_ms(&delays.projection, 0.5),
            percentile_ms(&delays.projection, 0.99),
        );
        let (m50, m99) = (
            percentile_ms(&delays.mirror, 0.5),
            percentile_ms(&delays.mirror, 0.99),
        );
        println!(
            "| {name} | {} | {p50:.1} ms | {p99:.1} ms | {m50:.1} ms | {m99:.1} ms | {:.2} |",
            delays.mirror.len(),
            m50 / p50
        );
    }
}
