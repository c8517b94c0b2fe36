//! The encoder against real ffmpeg, and its worker against the embedded broker and registry.

#![allow(clippy::unwrap_used)]

mod encode;
mod worker;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A test clip: `size` (e.g. `1280x720`), `seconds` long, with a tone unless `silent`.
pub(crate) fn clip(dir: &Path, name: &str, size: &str, seconds: u32, silent: bool) -> PathBuf {
    let path = dir.join(name);
    let mut command = Command::new("ffmpeg");
    command.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ]);
    command.arg(format!("testsrc2=size={size}:rate=30"));
    if !silent {
        command.args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]);
    }
    command.args([
        "-t",
        &seconds.to_string(),
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
    ]);
    if !silent {
        command.args(["-c:a", "aac", "-shortest"]);
    }
    let status = command
        .arg(&path)
        .status()
        .expect("ffmpeg is needed (Debian package ffmpeg; .ci/run installs it)");
    assert!(status.success());
    path
}
