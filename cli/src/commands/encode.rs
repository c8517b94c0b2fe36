//! `codeflix encode FILE --out DIR`: the encoder's pipeline on a local file, with a progress bar;
//! `codeflix encoder`: the encoder's role, encoding every uploaded video and trailer.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use clap::Args;
use codeflix_consumer::supervise::{Tasks, supervise};
use codeflix_encoder::{EncoderConfig, EncoderMetrics, encode};
use codeflix_eventlog::EventLog;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::settings::Settings;

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

/// Runs the encoder worker and the catalog's reaction to encoding over `log` until `stop`
/// turns true; the task ends with them.
pub(crate) fn spawn_encoder(
    settings: &Settings,
    log: Arc<EventLog>,
    metrics: &EncoderMetrics,
    stop: &watch::Receiver<bool>,
    tasks: &Tasks,
) -> anyhow::Result<JoinHandle<()>> {
    let media = settings.media_store()?;
    let worker = settings.encoder_worker();
    let membership = worker.membership;
    let metrics = metrics.clone();
    let stop = stop.clone();
    let tasks = tasks.clone();
    Ok(tokio::spawn(async move {
        let work = supervise(&tasks, "encoder worker", stop.clone(), || {
            let mut stop = stop.clone();
            codeflix_encoder::worker::run(
                Arc::clone(&log),
                media.clone(),
                worker.clone(),
                metrics.clone(),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            )
        });
        let react = supervise(&tasks, "encoding reaction", stop.clone(), || {
            let mut stop = stop.clone();
            codeflix_encoder::reaction::run(
                Arc::clone(&log),
                membership,
                metrics.clone(),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            )
        });
        tokio::join!(work, react);
    }))
}

/// `codeflix encoder`: the worker and the reaction, with `/healthz` and `/metrics`.
pub(crate) async fn encoder(settings: &Settings) -> anyhow::Result<ExitCode> {
    let log = Arc::new(
        EventLog::connect(settings.event_log())
            .await
            .context("connecting the event log")?,
    );
    let mut registry = Registry::with_prefix("codeflix");
    let metrics = EncoderMetrics::register(&mut registry);
    let (stop, stopped) = watch::channel(false);
    let supervised = Tasks::default();
    let task = spawn_encoder(settings, Arc::clone(&log), &metrics, &stopped, &supervised)?;
    let router = super::probes::router(&supervised).route(
        "/metrics",
        get(codeflix_http::metrics::render).with_state(Arc::new(registry)),
    );
    let listener = tokio::net::TcpListener::bind(settings.encoder.listen)
        .await
        .with_context(|| format!("listening on {}", settings.encoder.listen))?;
    println!(
        "encoder running ({} at once); metrics on http://{}/metrics",
        settings.encoder.concurrency.max(1),
        settings.encoder.listen
    );
    codeflix_http::serve(listener, router, super::shutdown_signal()).await?;
    let _ = stop.send(true);
    task.await?;
    if let Ok(log) = Arc::try_unwrap(log) {
        log.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
