//! Load for benchmarks: create-video commands sent with a fixed number in flight.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::site::Site;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::json;

/// What one round of requests measured.
#[derive(Debug)]
pub struct Round {
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Round {
    /// Answered requests per second.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which the fraction `p` of requests were answered, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let at = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len() - 1);
        self.latencies[at].as_secs_f64() * 1000.0
    }
}

/// `requests` create-video commands posted to `url` with `concurrency` in flight, titled
/// `{label} {n}`; each must be answered 201.
pub async fn create_videos(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    label: &str,
    requests: usize,
    concurrency: usize,
) -> Round {
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(requests);
    let mut in_flight = FuturesUnordered::new();
    let mut sent = 0;
    while sent < requests || !in_flight.is_empty() {
        while sent < requests && in_flight.len() < concurrency {
            let request = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({
                    "title": format!("{label} {sent}"),
                    "description": "A film made to be counted.",
                    "launch_year": 2026, "duration": 90, "rating": "L",
                }))
                .send();
            in_flight.push(async move {
                let at = Instant::now();
                let response = request.await.unwrap();
                assert_eq!(response.status(), reqwest::StatusCode::CREATED);
                at.elapsed()
            });
            sent += 1;
        }
        if let Some(latency) = in_flight.next().await {
            latencies.push(latency);
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Round { elapsed, latencies }
}

/// A benchmark's knob: the environment variable `name` as a number, or `default`.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One run of a tool: how long it took and its peak resident memory.
pub struct ToolRun {
    pub seconds: f64,
    pub peak_kib: i64,
}

/// The process's peak resident memory so far (`VmHWM`), while it runs.
fn peak_kib(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Runs `args` to completion with its output thrown away; its peak memory, read from `/proc`
/// every 5 ms until it exits (the high-water mark only grows, so the last reading misses at
/// most the last 5 ms).
pub fn measure_tool(site: &Site, args: &[&str]) -> ToolRun {
    let started = Instant::now();
    let mut child = site
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success(), "{args:?} failed: {status}");
    ToolRun {
        seconds: started.elapsed().as_secs_f64(),
        peak_kib: peak,
    }
}
