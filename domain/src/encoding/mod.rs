//! The encoding bounded context: one job per uploaded video or trailer media.
//!
//! A job is requested when media is uploaded, started by a worker (again on a retry, or when a
//! worker takes over from one that died), reports progress, and ends finished with its renditions
//! or failed with a reason and whether trying again may help.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use commands::*;
pub use error::EncodingError;
pub use events::*;

use crate::catalog::video::{MediaId, MediaSlot, VideoId};
use crate::macros::{bounded_text, uuid_id};
use crate::{Aggregate, AggregateType, InvariantViolation};

uuid_id!(
    /// Identifies an encoding job. Edges use the media id, so one upload has one job.
    EncodingJobId
);

bounded_text!(
    /// The worker that runs an attempt (host name, pod name): at most 255 characters.
    WorkerName, field = "worker", max = 255, multiline = false
);

/// A progress report: 0 to 100 percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u8);

impl Percent {
    pub fn parse(value: i64) -> Result<Self, crate::RangeError> {
        crate::range::in_range("percent", value, 0, 100).map(|p| Percent(p as u8))
    }

    pub const fn get(self) -> u8 {
        self.0
    }
}

/// One rung of the adaptive ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// E.g. `720p`; unique within a job.
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Peak bandwidth in bits per second, as HLS `BANDWIDTH`.
    pub bandwidth_bps: u32,
    /// RFC 6381 codecs string, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    /// The variant playlist.
    pub playlist_location: String,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Requested,
    Running,
    Finished,
    Failed,
}

/// The encoding job aggregate; [`Default`] is a job not requested yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncodingJob {
    state: Option<JobState>,
}

#[derive(Debug, Clone, PartialEq)]
struct JobState {
    video_id: VideoId,
    media_id: MediaId,
    slot: MediaSlot,
    status: JobStatus,
    attempt: u32,
    percent: u8,
    retryable: bool,
    /// Who runs (or last ran) an attempt; empty before the first.
    worker: String,
}

impl EncodingJob {
    pub fn status(&self) -> Option<JobStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    /// How many attempts were started.
    pub fn attempts(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.attempt)
    }

    /// The worker that started the current (or last) attempt.
    pub fn worker(&self) -> Option<&str> {
        self.state
            .as_ref()
            .map(|s| s.worker.as_str())
            .filter(|w| !w.is_empty())
    }

    /// Whether the last attempt failed in a way another attempt may fix; `None` unless failed.
    pub fn last_failure_retryable(&self) -> Option<bool> {
        self.state
            .as_ref()
            .filter(|s| s.status == JobStatus::Failed)
            .map(|s| s.retryable)
    }

    pub fn video(&self) -> Option<(VideoId, MediaId, MediaSlot)> {
        self.state
            .as_ref()
            .map(|s| (s.video_id, s.media_id, s.slot))
    }
}

fn check_renditions(renditions: &[Rendition]) -> Result<(), EncodingError> {
    if renditions.is_empty() {
        return Err(EncodingError::NoRenditions);
    }
    for (i, r) in renditions.iter().enumerate() {
        if r.name.trim().is_empty() {
            return Err(EncodingError::InvalidRendition {
                name: r.name.clone(),
                rule: "name must not be blank",
            });
        }
        if r.width == 0 || r.height == 0 {
            return Err(EncodingError::InvalidRendition {
                name: r.name.clone(),
                rule: "width and height must be positive",
            });
        }
        if r.bandwidth_bps == 0 {
            return Err(EncodingError::InvalidRendition {
                name: r.name.clone(),
                rule: "bandwidth must be positive",
            });
        }
        if r.playlist_location.trim().is_empty() {
            return Err(EncodingError::InvalidRendition {
                name: r.name.clone(),
                rule: "playlist location must not be blank",
            });
        }
        if renditions[..i].iter().any(|other| other.name == r.name) {
            return Err(EncodingError::DuplicateRendition(r.name.clone()));
        }
    }
    Ok(())
}

impl Aggregate for EncodingJob {
    const TYPE: AggregateType = AggregateType::EncodingJob;
    type Id = EncodingJobId;
    type Command = EncodingCommand;
    type Event = EncodingJobEvent;
    type Error = EncodingError;

    fn handle(&self, command: EncodingCommand) -> Result<Vec<EncodingJobEvent>, EncodingError> {
        let state = match (command, &self.state) {
            (EncodingCommand::RequestEncoding(_), Some(_)) => {
                return Err(EncodingError::AlreadyRequested);
            }
            (EncodingCommand::RequestEncoding(r), None) => {
                if !r.slot.is_encoded() {
                    return Err(EncodingError::NotEncoded { slot: r.slot });
                }
                return Ok(vec![
                    EncodingRequested {
                        video_id: r.video_id,
                        media_id: r.media_id,
                        slot: r.slot,
                        source_location: r.source_location.into_string(),
                        checksum: r.checksum.into_string(),
                    }
                    .into(),
                ]);
            }
            (_, None) => return Err(EncodingError::NotFound),
            (command, Some(s)) => (command, s),
        };
        let (command, s) = state;
        if s.status == JobStatus::Finished {
            return Err(EncodingError::AlreadyFinished);
        }
        let running = || {
            if s.status == JobStatus::Running {
                Ok(())
            } else {
                Err(EncodingError::NotRunning { status: s.status })
            }
        };
        let events = match command {
            EncodingCommand::RequestEncoding(_) => unreachable!("handled above"),
            EncodingCommand::StartEncoding(start) => {
                if s.status == JobStatus::Failed && !s.retryable {
                    return Err(EncodingError::NotRetryable);
                }
                vec![
                    EncodingStarted {
                        attempt: s.attempt + 1,
                        worker: start.worker.into_string(),
                    }
                    .into(),
                ]
            }
            EncodingCommand::ReportEncodingProgress(report) => {
                running()?;
                if report.percent.get() <= s.percent {
                    vec![]
                } else {
                    vec![
                        EncodingProgressed {
                            attempt: s.attempt,
                            percent: report.percent.get(),
                        }
                        .into(),
                    ]
                }
            }
            EncodingCommand::FinishEncoding(finish) => {
                running()?;
                check_renditions(&finish.renditions)?;
                if finish.duration_ms == 0 {
                    return Err(EncodingError::ZeroDuration);
                }
                vec![
                    EncodingFinished {
                        attempt: s.attempt,
                        renditions: finish.renditions,
                        hls_manifest_location: finish.hls_manifest.into_string(),
                        dash_manifest_location: finish.dash_manifest.into_string(),
                        duration_ms: finish.duration_ms,
                    }
                    .into(),
                ]
            }
            EncodingCommand::FailEncoding(fail) => {
                running()?;
                vec![
                    EncodingFailed {
                        attempt: s.attempt,
                        reason: fail.reason.into_string(),
                        retryable: fail.retryable,
                    }
                    .into(),
                ]
            }
        };
        Ok(events)
    }

    fn apply(&mut self, event: &EncodingJobEvent) {
        if let EncodingJobEvent::EncodingRequested(e) = event {
            self.state = Some(JobState {
                video_id: e.video_id,
                media_id: e.media_id,
                slot: e.slot,
                status: JobStatus::Requested,
                attempt: 0,
                percent: 0,
                retryable: false,
                worker: String::new(),
            });
            return;
        }
        let Some(s) = &mut self.state else { return };
        match event {
            EncodingJobEvent::EncodingRequested(_) => {}
            EncodingJobEvent::EncodingStarted(e) => {
                s.status = JobStatus::Running;
                s.attempt = e.attempt;
                s.percent = 0;
                s.worker.clone_from(&e.worker);
            }
            EncodingJobEvent::EncodingProgressed(e) => s.percent = e.percent,
            EncodingJobEvent::EncodingFinished(_) => {
                s.status = JobStatus::Finished;
                s.percent = 100;
            }
            EncodingJobEvent::EncodingFailed(e) => {
                s.status = JobStatus::Failed;
                s.retryable = e.retryable;
            }
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(s.slot.is_encoded(), || {
            format!("a job encodes the image slot {}", s.slot)
        })?;
        InvariantViolation::ensure(s.percent <= 100, || format!("progress {}%", s.percent))?;
        InvariantViolation::ensure(
            (s.status == JobStatus::Requested) == (s.attempt == 0),
            || format!("{:?} job at attempt {}", s.status, s.attempt),
        )
    }
}
