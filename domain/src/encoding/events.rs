use super::Rendition;
use crate::catalog::video::{MediaId, MediaSlot, VideoId};
use crate::macros::event_enum;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingRequested {
    pub video_id: VideoId,
    pub media_id: MediaId,
    pub slot: MediaSlot,
    pub source_location: String,
    pub checksum: String,
}

/// Attempt `attempt` (1-based) started on `worker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingStarted {
    pub attempt: u32,
    pub worker: String,
}

/// The running attempt reached `percent`; reports only ever increase within an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingProgressed {
    pub attempt: u32,
    pub percent: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingFinished {
    pub attempt: u32,
    pub renditions: Vec<Rendition>,
    pub hls_manifest_location: String,
    pub dash_manifest_location: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingFailed {
    pub attempt: u32,
    pub reason: String,
    pub retryable: bool,
}

event_enum! {
    /// Everything that can happen to an encoding job.
    pub enum EncodingJobEvent {
        EncodingRequested,
        EncodingStarted,
        EncodingProgressed,
        EncodingFinished,
        EncodingFailed,
    }
}
