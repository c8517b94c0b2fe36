//! `codeflix encode FILE --out DIR`: the encoder's pipeline on a local file, with a progress bar.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use codeflix_encoder::{EncoderConfig, encode};

#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    /// The video to encode (anything ffmpeg can decode).
    file: PathBuf,
    /// Where the ladder goes (must not exist or be empty): master.m3u8, v<N>/index.m3u8 with
    /// their fMP4 segments, and manifest.mpd over the same segments.
    #[arg(long)]
    out: PathBuf,
    /// x264 preset (slower presets: smaller files, more time).
    #[arg(long, default_value = "veryfast")]
    preset: String,
}

pub(crate) async fn run(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let config = EncoderConfig {
        preset: args.preset,
        ..EncoderConfig::default()
    };
    let mut stderr = std::io::stderr();
    let mut shown = -1i64;
    let encoded = encode(&config, &args.file, &args.out, |done| {
        let percent = (done * 100.0).floor() as i64;
        if percent != shown {
            shown = percent;
            let filled = (percent / 5) as usize;
            let _ = write!(
                stderr,
                "\rencoding [{}{}] {percent:>3}%",
                "#".repeat(filled),
                " ".repeat(20 - filled.min(20))
            );
            let _ = stderr.flush();
        }
    })
    .await?;
    eprintln!();
    println!("{}", serde_json::to_string_pretty(&encoded)?);
    Ok(ExitCode::SUCCESS)
}
