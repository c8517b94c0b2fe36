//! One attempt at a job: fetch the upload, encode it with progress reports, store the ladder,
//! report it finished; each report fenced by the version the previous one produced.

use super::*;

/// Why an attempt did not finish.
#[derive(Debug)]
pub(super) enum AttemptError {
    /// The attempt failed; `retryable` says whether another may succeed.
    Failed { reason: String, retryable: bool },
    /// Another attempt took the job over: this one stops without reporting.
    TakenOver,
}

impl From<EncodeError> for AttemptError {
    fn from(error: EncodeError) -> Self {
        AttemptError::Failed {
            retryable: error.is_retryable(),
            reason: error.to_string(),
        }
    }
}

impl From<codeflix_storage::StorageError> for AttemptError {
    fn from(error: codeflix_storage::StorageError) -> Self {
        AttemptError::Failed {
            reason: error.to_string(),
            retryable: true,
        }
    }
}

impl Worker {
    /// One attempt: fetch the upload, encode it, store the ladder, report it finished.
    pub(super) async fn attempt(
        &self,
        paths: &Paths,
        upload: &VideoUploaded,
        fence: &mut Fence<'_>,
    ) -> Result<(), AttemptError> {
        let Some(source_key) = self.media.key_of(&upload.raw_location) else {
            return Err(AttemptError::Failed {
                reason: format!(
                    "the upload {} is not in the configured media store {}",
                    upload.raw_location,
                    self.media.url()
                ),
                retryable: false,
            });
        };
        // Attempts that never finished left objects no event names: remove them.
        self.discard(&paths.root).await;
        for dir in paths.earlier.iter().chain([&paths.local]) {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
        tokio::fs::create_dir_all(&paths.local).await.map_err(|e| {
            codeflix_storage::StorageError::Io {
                path: paths.local.clone(),
                source: e,
            }
        })?;
        let source = paths.local.join("source");
        let (size, sha256) = self.media.download_hashed(&source_key, &source).await?;
        // What is encoded is what was uploaded, or nothing: the object could have been
        // replaced or damaged since `VideoUploaded` recorded its checksum.
        if sha256 != upload.checksum || size != upload.size_bytes {
            return Err(AttemptError::Failed {
                reason: format!(
                    "the stored file does not match the upload: it has {size} bytes with \
                     SHA-256 {sha256}, the upload recorded {} bytes with SHA-256 {}",
                    upload.size_bytes, upload.checksum
                ),
                retryable: false,
            });
        }
        let out = paths.local.join("out");
        let encoded = self.encode_reporting(&source, &out, fence).await?;
        for file in files(&out)? {
            let relative = file
                .strip_prefix(&out)
                .map_err(|e| AttemptError::Failed {
                    reason: e.to_string(),
                    retryable: true,
                })?
                .to_string_lossy()
                .replace('\\', "/");
            self.media
                .upload(&file, &format!("{}{relative}", paths.prefix))
                .await?;
        }
        let at = |relative: &str| {
            StorageLocation::parse(&self.media.location(&format!("{}{relative}", paths.prefix)))
                .map_err(|e| AttemptError::Failed {
                    reason: format!("location of {relative}: {e}"),
                    retryable: false,
                })
        };
        let renditions = encoded
            .renditions
            .iter()
            .map(|r| {
                Ok(Rendition {
                    name: format!("{}p", r.height),
                    width: r.width,
                    height: r.height,
                    bandwidth_bps: u32::try_from(r.bandwidth).unwrap_or(u32::MAX),
                    codecs: r.codecs.clone(),
                    playlist_location: at(&r.playlist)?.into_string(),
                })
            })
            .collect::<Result<Vec<_>, AttemptError>>()?;
        let finish = FinishEncoding {
            renditions,
            hls_manifest: at(&encoded.hls_master)?,
            dash_manifest: at(&encoded.dash_manifest)?,
            duration_ms: (encoded.duration_seconds * 1000.0).round().max(1.0) as u64,
        };
        fence.report(finish.into()).await
    }

    /// Encodes while a side task reports progress, throttled, through the fence.
    pub(super) async fn encode_reporting(
        &self,
        source: &std::path::Path,
        out: &std::path::Path,
        fence: &mut Fence<'_>,
    ) -> Result<Encoded, AttemptError> {
        let (percent_tx, mut percent_rx) = watch::channel(0u8);
        let encoding = crate::encode(&self.settings.encoder, source, out, move |fraction| {
            let percent = (fraction * 100.0).floor().clamp(0.0, 99.0) as u8;
            percent_tx.send_if_modified(|current| {
                let moved = percent > *current;
                if moved {
                    *current = percent;
                }
                moved
            });
        });
        tokio::pin!(encoding);
        let mut ticks = tokio::time::interval(self.settings.progress_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reported = 0u8;
        loop {
            tokio::select! {
                result = &mut encoding => return Ok(result?),
                _ = ticks.tick() => {
                    let percent = *percent_rx.borrow_and_update();
                    if percent > reported {
                        let report = ReportEncodingProgress {
                            percent: Percent::parse(i64::from(percent)).map_err(|e| AttemptError::Failed {
                                reason: e.to_string(),
                                retryable: false,
                            })?,
                        };
                        fence.report(report.into()).await?;
                        reported = percent;
                    }
                }
            }
        }
    }

    pub(super) async fn discard(&self, prefix: &str) {
        if let Err(error) = self.media.delete_prefix(prefix).await {
            tracing::warn!(%error, prefix, "removing the objects of an unfinished attempt");
        }
    }
}

/// An attempt's reports, each expecting the version the previous one produced, each with a
/// command id of its own (so a report retried after an outage is replayed, not repeated).
pub(super) struct Fence<'a> {
    pub(super) worker: &'a Worker,
    pub(super) id: EncodingJobId,
    pub(super) attempt: u32,
    pub(super) reports: u32,
    pub(super) version: Version,
    pub(super) ctx: CommandContext,
}

impl Fence<'_> {
    pub(super) async fn report(&mut self, command: EncodingCommand) -> Result<(), AttemptError> {
        self.reports += 1;
        let name = format!(
            "{}/{}/{}/{}",
            self.id, self.attempt, self.worker.settings.name, self.reports
        );
        let ctx = CommandContext {
            command_id: Uuid::new_v5(&COMMANDS, name.as_bytes()),
            now: codeflix_eventlog::now(),
            ..self.ctx.clone()
        };
        match self
            .worker
            .execute(&ctx, &self.id, self.version, command)
            .await
        {
            Ok(version) => {
                self.version = version;
                Ok(())
            }
            Err(ExecuteError::Conflict { .. }) => Err(AttemptError::TakenOver),
            Err(error) => Err(AttemptError::Failed {
                reason: error.to_string(),
                retryable: false,
            }),
        }
    }
}

/// Where an attempt works: locally, and in the object store.
pub(super) struct Paths {
    /// Every attempt of the upload: `videos/<video>/<slot>/<media>/encoded/`.
    pub(super) root: String,
    /// This attempt: `…/encoded/<attempt>/`.
    pub(super) prefix: String,
    pub(super) local: PathBuf,
    /// Where earlier attempts of the job worked (left behind if their worker died).
    pub(super) earlier: Vec<PathBuf>,
}

impl Paths {
    pub(super) fn new(
        work_dir: &std::path::Path,
        video: codeflix_domain::catalog::video::VideoId,
        upload: &VideoUploaded,
        attempt: u32,
    ) -> Paths {
        let root = codeflix_storage::encoded_root(
            &video.to_string(),
            upload.slot.as_str(),
            &upload.media_id.to_string(),
        );
        let local = |attempt: u32| work_dir.join(format!("{}-{attempt}", upload.media_id));
        Paths {
            prefix: format!("{root}{attempt}/"),
            root,
            earlier: (1..attempt).map(local).collect(),
            local: local(attempt),
        }
    }
}

/// Every file under `dir`, manifests last (so a store listing never shows a manifest before
/// the segments it names).
pub(super) fn files(dir: &std::path::Path) -> Result<Vec<PathBuf>, AttemptError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let entries = std::fs::read_dir(&next).map_err(|e| AttemptError::Failed {
            reason: format!("{}: {e}", next.display()),
            retryable: true,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|e| AttemptError::Failed {
                    reason: format!("{}: {e}", next.display()),
                    retryable: true,
                })?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    let manifest =
        |p: &PathBuf| matches!(p.extension().and_then(|e| e.to_str()), Some("m3u8" | "mpd"));
    found.sort_by_key(|p| (manifest(p), p.parent() == Some(dir), p.clone()));
    Ok(found)
}
