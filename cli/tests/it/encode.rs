//! `codeflix encode FILE --out DIR` as a user runs it.

use std::process::Command;

use crate::support::{Site, succeeded};

#[test]
fn encode_writes_the_ladder_and_reports_it() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let input = site.path("in.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=854x480:rate=25")
        .args(["-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&input)
        .status()
        .expect("ffmpeg is needed (.ci/run installs it)");
    assert!(status.success());
    let out = site.path("ladder");
    let output = site.run(&[
        "encode",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let heights: Vec<u64> = report["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["height"].as_u64().unwrap())
        .collect();
    assert_eq!(heights, vec![480, 360]);
    assert!(out.join("master.m3u8").is_file());
    assert!(out.join("manifest.mpd").is_file());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("100%"),
        "the progress bar reaches the end"
    );

    let refused = site.run(&[
        "encode",
        site.path("missing.mp4").to_str().unwrap(),
        "--out",
        site.path("x").to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not a decodable video"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// Paths as a user types them: relative to the working directory (ffmpeg runs elsewhere).
#[test]
fn encode_takes_paths_relative_to_the_working_directory() {
    let site = Site::new(env!("CARGO_BIN_EXE_codeflix"));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=640x360:rate=25")
        .args(["-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(site.path("film.mp4"))
        .status()
        .expect("ffmpeg is needed (.ci/run installs it)");
    assert!(status.success());
    let output = site
        .command(&["encode", "film.mp4", "--out", "ladder"])
        .current_dir(site.dir())
        .output()
        .unwrap();
    succeeded(&output, "codeflix encode");
    assert!(site.path("ladder/master.m3u8").is_file());
}
