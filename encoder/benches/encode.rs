//! Encoder wall time for a 10-second 720p clip (H.264 + AAC) against the very ffmpeg command it
//! runs, executed directly, in the same run: what the pipeline adds (probe, progress parsing,
//! DASH manifest, the atomic move) over ffmpeg itself. Target: at most 1.05×.
//!
//! `cargo bench -p codeflix-encoder --bench encode` (needs ffmpeg and ffprobe). Prints a table;
//! asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codeflix_encoder::{EncoderConfig, encode, ffmpeg_args, ladder, probe};

const ROUNDS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=30")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&input)
        .status()
        .expect("ffmpeg is needed");
    assert!(status.success(), "generating the clip");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let config = EncoderConfig::default();
    let probe = runtime
        .block_on(probe::probe(
            &config.ffprobe,
            &input,
            config.limits.probe_timeout,
        ))
        .expect("probing the clip");
    let rungs = ladder::ladder(probe.width, probe.height);
    let (mut direct, mut pipeline) = (Vec::new(), Vec::new());
    // Alternate, so that both see the same machine state; the first round warms the caches.
    for round in 0..=ROUNDS {
        let out = dir.path().join(format!("direct-{round}"));
        for i in 0..rungs.len() {
            std::fs::create_dir_all(out.join(format!("v{i}"))).expect("output dirs");
        }
        let began = Instant::now();
        let status = Command::new(&config.ffmpeg)
            .args(ffmpeg_args(&config, &input, &probe, &rungs))
            .current_dir(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("running ffmpeg");
        let took = began.elapsed();
        assert!(status.success());
        let out = dir.path().join(format!("pipeline-{round}"));
        let began = Instant::now();
        runtime
            .block_on(encode(&config, &input, &out, |_| {}))
            .expect("encoding");
        let piped = began.elapsed();
        if round > 0 {
            direct.push(took);
            pipeline.push(piped);
        }
        remove(&dir.path().join(format!("direct-{round}")));
        remove(&out);
    }
    let (direct, pipeline) = (median(direct), median(pipeline));
    println!(
        "encoder: 10 s 1280x720 clip, ladder {} rungs, median of {ROUNDS}",
        rungs.len()
    );
    println!("| run | wall time |");
    println!("|---|---|");
    println!(
        "| ffmpeg directly (same arguments) | {:.2} s |",
        direct.as_secs_f64()
    );
    println!(
        "| codeflix-encoder `encode` | {:.2} s |",
        pipeline.as_secs_f64()
    );
    println!(
        "| ratio | {:.3}× (target ≤ 1.05×) |",
        pipeline.as_secs_f64() / direct.as_secs_f64()
    );
}

fn remove(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
}
