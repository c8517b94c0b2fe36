//! Codeflix's video encoder: an uploaded file becomes an adaptive ladder (H.264 + AAC stereo, one
//! rendition per standard height at or below the source), cut into 4-second fMP4/CMAF segments on
//! aligned 2-second GOPs (scene-cut off), described by an HLS master playlist with variant
//! playlists and by a DASH manifest over the very same segments.
//!
//! [`encode`] probes the input ([`probe`]), picks the rungs ([`ladder`]), runs one ffmpeg process
//! for the whole ladder while reporting progress, writes the DASH manifest ([`dash`]) and only then
//! moves the finished directory into place, so a half-encoded output is never visible.
//!
//! The [`worker`] runs that pipeline for every uploaded video or trailer: it reads
//! `VideoUploaded` from Kafka, fetches the upload from object storage, stores the ladder next to
//! it and records the job's life as `Encoding*` events; the [`reaction`] moves the video's media
//! status along with them.

pub mod dash;
pub mod ladder;
pub mod metrics;
pub mod playlist;
mod policy;
pub mod probe;
pub mod reaction;
pub mod worker;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

pub use ladder::Rung;
pub use metrics::EncoderMetrics;
pub use probe::Probe;

/// Why an encoding did not produce a ladder.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The input is not a decodable video; retrying will not help.
    #[error("not a decodable video: {0}")]
    NotAVideo(String),
    /// The input is a video beyond the encoder's limits ([`InputLimits`]), or its encoding took
    /// longer than they allow; retrying will not help.
    #[error("refused: {0}")]
    Refused(String),
    /// ffmpeg failed on a file it could probe (its last lines of output say why).
    #[error("ffmpeg failed: {0}")]
    Ffmpeg(String),
    /// ffmpeg or ffprobe could not be run.
    #[error("{0}")]
    Tool(String),
    #[error("output: {0}")]
    Output(String),
}

impl EncodeError {
    /// Whether trying again may succeed (a missing tool or a full disk may be fixed; a file that
    /// is not a video stays one).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, EncodeError::NotAVideo(_) | EncodeError::Refused(_))
    }
}

fn output_error(e: impl std::fmt::Display) -> EncodeError {
    EncodeError::Output(e.to_string())
}

/// How to encode.
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// x264 preset: `veryfast` by default (speed over size on shared cores).
    pub preset: String,
    pub segment_seconds: u32,
    pub gop_seconds: u32,
    /// What an input may be, and how long probing and encoding it may take.
    pub limits: InputLimits,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            preset: "veryfast".into(),
            segment_seconds: 4,
            gop_seconds: 2,
            limits: InputLimits::default(),
        }
    }
}

/// Bounds on untrusted inputs. ffprobe and ffmpeg read only local files (`-protocol_whitelist
/// file`) in the container formats of [`INPUT_FORMATS`]; a file beyond these limits is refused
/// before ffmpeg runs, and an ffprobe or ffmpeg that runs too long is killed.
#[derive(Debug, Clone, PartialEq)]
pub struct InputLimits {
    /// Pixels per frame, at most (3840×2160 by default; the ladder stops at 1080p anyway).
    pub max_pixels: u64,
    /// Width or height, at most.
    pub max_side: u32,
    /// Duration, at most.
    pub max_duration: Duration,
    /// Frames per second, at most.
    pub max_frame_rate: f64,
    /// How long ffprobe may take.
    pub probe_timeout: Duration,
    /// How long ffmpeg may take: this plus `encode_time_per_second` per second of media.
    pub encode_timeout_base: Duration,
    pub encode_time_per_second: f64,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_pixels: 3840 * 2160,
            max_side: 4096,
            max_duration: Duration::from_secs(6 * 3600),
            max_frame_rate: 120.0,
            probe_timeout: Duration::from_secs(60),
            encode_timeout_base: Duration::from_secs(300),
            encode_time_per_second: 10.0,
        }
    }
}

/// The container formats (ffmpeg demuxer names) the encoder reads: what cameras, phones and
/// editors write. Playlists (HLS, DASH, concat) are not among them: they name other files.
pub const INPUT_FORMATS: &str = "mov,matroska,webm,avi,mpegts,mpeg,mxf,flv,asf,ogg,m4v,h264,hevc";

impl InputLimits {
    /// Refuses a probed input beyond the limits, naming the limit.
    pub fn check(&self, probe: &Probe) -> Result<(), EncodeError> {
        let pixels = u64::from(probe.width) * u64::from(probe.height);
        if pixels > self.max_pixels || probe.width.max(probe.height) > self.max_side {
            return Err(EncodeError::Refused(format!(
                "the picture is {}x{}; at most {} pixels and {} per side are accepted",
                probe.width, probe.height, self.max_pixels, self.max_side
            )));
        }
        if probe.duration > self.max_duration {
            return Err(EncodeError::Refused(format!(
                "the video lasts {:.0} s; at most {} s is accepted",
                probe.duration.as_secs_f64(),
                self.max_duration.as_secs()
            )));
        }
        if probe.frame_rate > self.max_frame_rate {
            return Err(EncodeError::Refused(format!(
                "the video has {:.1} frames per second; at most {} is accepted",
                probe.frame_rate, self.max_frame_rate
            )));
        }
        Ok(())
    }

    /// How long ffmpeg may take for `media` seconds of video.
    pub fn encode_timeout(&self, media: Duration) -> Duration {
        self.encode_timeout_base + media.mul_f64(self.encode_time_per_second.max(0.0))
    }
}

/// One rendition as encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    /// Peak bandwidth, bits per second, as the master playlist states it.
    pub bandwidth: u64,
    /// RFC 6381 codecs, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    /// The variant playlist, relative to the output directory.
    pub playlist: String,
}

/// What [`encode`] produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Encoded {
    pub renditions: Vec<Rendition>,
    /// Relative to the output directory.
    pub hls_master: String,
    pub dash_manifest: String,
    pub duration_seconds: f64,
}

/// The ffmpeg arguments that encode `input` into `dir` for `rungs`.
pub fn ffmpeg_args(
    config: &EncoderConfig,
    input: &Path,
    probe: &Probe,
    rungs: &[Rung],
) -> Vec<String> {
    let gop = ((probe.frame_rate * f64::from(config.gop_seconds)).round() as u32).max(1);
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.extend(["-progress".into(), "pipe:1".into(), "-nostats".into()]);
    args.extend([
        "-protocol_whitelist".into(),
        "file".into(),
        "-format_whitelist".into(),
        INPUT_FORMATS.into(),
    ]);
    args.extend(["-i".into(), input.display().to_string()]);
    let splits: String = (0..rungs.len()).map(|i| format!("[s{i}]")).collect();
    let mut filter = format!("[0:v:0]split={}{splits}", rungs.len());
    for (i, rung) in rungs.iter().enumerate() {
        filter.push_str(&format!(
            ";[s{i}]scale={}:{}:flags=bicubic,setsar=1[o{i}]",
            rung.width, rung.height
        ));
    }
    args.extend(["-filter_complex".into(), filter]);
    for i in 0..rungs.len() {
        args.extend(["-map".into(), format!("[o{i}]")]);
        if probe.has_audio {
            args.extend(["-map".into(), "0:a:0".into()]);
        }
    }
    args.extend(
        [
            "-c:v",
            "libx264",
            "-preset",
            &config.preset,
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-sc_threshold",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    args.extend([
        "-g".into(),
        gop.to_string(),
        "-keyint_min".into(),
        gop.to_string(),
        "-force_key_frames".into(),
        format!("expr:gte(t,n_forced*{})", config.gop_seconds),
    ]);
    for (i, rung) in rungs.iter().enumerate() {
        args.extend([
            format!("-b:v:{i}"),
            rung.video_bitrate.to_string(),
            format!("-maxrate:v:{i}"),
            (rung.video_bitrate / 10 * 11).to_string(),
            format!("-bufsize:v:{i}"),
            (rung.video_bitrate * 2).to_string(),
        ]);
    }
    if probe.has_audio {
        args.extend(
            ["-c:a", "aac", "-ac", "2", "-ar", "48000"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        args.extend(["-b:a".into(), ladder::AUDIO_BITRATE.to_string()]);
    }
    let stream_map: Vec<String> = (0..rungs.len())
        .map(|i| {
            if probe.has_audio {
                format!("v:{i},a:{i}")
            } else {
                format!("v:{i}")
            }
        })
        .collect();
    args.extend(
        [
            "-f",
            "hls",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "fmp4",
            "-hls_flags",
            "independent_segments",
            "-master_pl_name",
            "master.m3u8",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    args.extend([
        "-hls_time".into(),
        config.segment_seconds.to_string(),
        "-var_stream_map".into(),
        stream_map.join(" "),
        "-hls_segment_filename".into(),
        "v%v/seg_%05d.m4s".into(),
        "v%v/index.m3u8".into(),
    ]);
    args
}

/// Encodes `input` into the directory `out` (which must not exist or be empty), calling
/// `progress` with the fraction done (0.0 to 1.0) as ffmpeg reports it.
pub async fn encode(
    config: &EncoderConfig,
    input: &Path,
    out: &Path,
    mut progress: impl FnMut(f64),
) -> Result<Encoded, EncodeError> {
    if std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(EncodeError::Output(format!(
            "{} exists and is not empty",
            out.display()
        )));
    }
    let probe = probe::probe(&config.ffprobe, input, config.limits.probe_timeout).await?;
    config.limits.check(&probe)?;
    let rungs = ladder::ladder(probe.width, probe.height);
    let partial = partial_dir(out);
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(output_error)?;
    for i in 0..rungs.len() {
        std::fs::create_dir_all(partial.join(format!("v{i}"))).map_err(output_error)?;
    }
    let result = run_ffmpeg(config, input, &partial, &probe, &rungs, &mut progress).await;
    if let Err(error) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(error);
    }
    let encoded = describe(&partial, &probe)?;
    dash::write(&partial, &encoded, probe.duration).map_err(output_error)?;
    if out.exists() {
        std::fs::remove_dir(out).map_err(output_error)?;
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(output_error)?;
    }
    std::fs::rename(&partial, out).map_err(output_error)?;
    progress(1.0);
    Ok(encoded)
}

/// Where an encoding into `out` is prepared: a sibling, renamed into place when complete.
pub fn partial_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "encoding".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.partial"))
}

async fn run_ffmpeg(
    config: &EncoderConfig,
    input: &Path,
    dir: &Path,
    probe: &Probe,
    rungs: &[Rung],
    progress: &mut impl FnMut(f64),
) -> Result<(), EncodeError> {
    // ffmpeg runs in the output directory: a relative input (a relative data directory, a
    // file named on the command line) is resolved against ours first.
    let input = std::path::absolute(input)
        .map_err(|e| EncodeError::Tool(format!("{}: {e}", input.display())))?;
    let mut child = Command::new(&config.ffmpeg)
        .args(ffmpeg_args(config, &input, probe, rungs))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| EncodeError::Tool(format!("running {}: {e}", config.ffmpeg.display())))?;
    let stderr = child.stderr.take();
    let errors = tokio::spawn(async move {
        let mut lines = Vec::new();
        if let Some(stderr) = stderr {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                lines.push(line);
                if lines.len() > 20 {
                    lines.remove(0);
                }
            }
        }
        lines
    });
    let stdout = child.stdout.take();
    let total = probe.duration.as_secs_f64().max(0.001);
    let timeout = config.limits.encode_timeout(probe.duration);
    let finished = tokio::time::timeout(timeout, async {
        if let Some(stdout) = stdout {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Some(micros) = line
                    .strip_prefix("out_time_us=")
                    .and_then(|v| v.parse::<f64>().ok())
                {
                    progress((micros / 1e6 / total).clamp(0.0, 0.999));
                }
            }
        }
        child.wait().await
    })
    .await;
    let Ok(status) = finished else {
        let _ = child.kill().await;
        return Err(EncodeError::Refused(format!(
            "encoding took longer than {} s ({} s of video)",
            timeout.as_secs(),
            probe.duration.as_secs()
        )));
    };
    let status = status.map_err(output_error)?;
    let errors = errors.await.unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(EncodeError::Ffmpeg(format!(
            "{status}: {}",
            errors.join(" | ")
        )))
    }
}

/// Reads what ffmpeg wrote: the master playlist's variants.
fn describe(dir: &Path, probe: &Probe) -> Result<Encoded, EncodeError> {
    let master = std::fs::read_to_string(dir.join("master.m3u8")).map_err(output_error)?;
    let renditions = playlist::master_variants(&master)
        .into_iter()
        .map(|v| Rendition {
            width: v.width,
            height: v.height,
            bandwidth: v.bandwidth,
            codecs: v.codecs,
            playlist: v.uri,
        })
        .collect::<Vec<_>>();
    if renditions.is_empty() {
        return Err(EncodeError::Output(
            "ffmpeg wrote a master playlist without variants".into(),
        ));
    }
    Ok(Encoded {
        renditions,
        hls_master: "master.m3u8".into(),
        dash_manifest: dash::MANIFEST.into(),
        duration_seconds: probe.duration.as_secs_f64(),
    })
}

/// `Duration` as an ISO 8601 duration for manifests, e.g. `PT6.000S`.
pub(crate) fn iso_duration(duration: Duration) -> String {
    format!("PT{:.3}S", duration.as_secs_f64())
}
