use super::{Percent, Rendition, WorkerName};
use crate::Reason;
use crate::catalog::video::{Checksum, MediaId, MediaSlot, StorageLocation, VideoId};
use crate::macros::command_enum;

/// Asks for the media of a video slot to be encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEncoding {
    pub video_id: VideoId,
    pub media_id: MediaId,
    pub slot: MediaSlot,
    pub source_location: StorageLocation,
    pub checksum: Checksum,
}

/// A worker starts an attempt: the first, a retry, or a take-over from a worker that died.
#[derive(Debug, Clone, PartialEq)]
pub struct StartEncoding {
    pub worker: WorkerName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportEncodingProgress {
    pub percent: Percent,
}

/// The attempt produced its ladder and manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishEncoding {
    pub renditions: Vec<Rendition>,
    pub hls_manifest: StorageLocation,
    pub dash_manifest: StorageLocation,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailEncoding {
    pub reason: Reason,
    /// Whether another attempt may succeed (a crash, a full disk) or not (not a video).
    pub retryable: bool,
}

command_enum! {
    /// Everything the encoder can ask of a job.
    pub enum EncodingCommand {
        RequestEncoding,
        StartEncoding,
        ReportEncodingProgress,
        FinishEncoding,
        FailEncoding,
    }
}
