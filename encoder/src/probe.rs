//! What an input file is, according to ffprobe.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

use crate::EncodeError;

/// The streams that matter for encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    /// Frames per second of the video stream (25 when ffprobe cannot tell).
    pub frame_rate: f64,
    pub duration: Duration,
    pub has_audio: bool,
    /// The video codec's name, e.g. `h264`.
    pub video_codec: String,
}

#[derive(Debug, Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Deserialize)]
struct Format {
    duration: Option<String>,
}

fn rate(text: Option<&str>) -> Option<f64> {
    let (n, d) = text?.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (n > 0.0 && d > 0.0).then(|| n / d)
}

/// Probes `input` with `ffprobe`; a file without a decodable video stream is
/// [`EncodeError::NotAVideo`] with ffprobe's reason.
/// ffprobe reads only the local file, in the formats of [`crate::INPUT_FORMATS`], for at most
/// `timeout`.
pub async fn probe(ffprobe: &Path, input: &Path, timeout: Duration) -> Result<Probe, EncodeError> {
    let running = Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            crate::INPUT_FORMATS,
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(input)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(timeout, running)
        .await
        .map_err(|_| {
            EncodeError::Refused(format!("probing took longer than {} s", timeout.as_secs()))
        })?
        .map_err(|e| EncodeError::Tool(format!("running {}: {e}", ffprobe.display())))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if !output.status.success() {
        return Err(EncodeError::NotAVideo(if stderr.is_empty() {
            format!("ffprobe exited with {}", output.status)
        } else {
            stderr
        }));
    }
    let parsed: Output = serde_json::from_slice(&output.stdout)
        .map_err(|e| EncodeError::NotAVideo(format!("ffprobe's answer is unreadable: {e}")))?;
    let video = parsed
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
        .ok_or_else(|| EncodeError::NotAVideo("the file has no video stream".into()))?;
    let (Some(width), Some(height)) = (video.width, video.height) else {
        return Err(EncodeError::NotAVideo(
            "the video stream has no dimensions".into(),
        ));
    };
    if width < 16 || height < 16 {
        return Err(EncodeError::NotAVideo(format!(
            "the picture is {width}x{height}; at least 16x16 is needed"
        )));
    }
    let seconds = video
        .duration
        .as_deref()
        .or(parsed.format.as_ref().and_then(|f| f.duration.as_deref()))
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| EncodeError::NotAVideo("the file has no duration".into()))?;
    Ok(Probe {
        width,
        height,
        frame_rate: rate(video.avg_frame_rate.as_deref())
            .or_else(|| rate(video.r_frame_rate.as_deref()))
            .unwrap_or(25.0),
        duration: Duration::from_secs_f64(seconds),
        has_audio: parsed
            .streams
            .iter()
            .any(|s| s.codec_type.as_deref() == Some("audio")),
        video_codec: video.codec_name.clone().unwrap_or_default(),
    })
}
