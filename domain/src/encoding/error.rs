use super::JobStatus;
use crate::catalog::video::MediaSlot;

/// An encoding command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    #[error("encoding was already requested for this media")]
    AlreadyRequested,
    #[error("encoding job does not exist")]
    NotFound,
    #[error("the {slot} slot holds images, which are not encoded")]
    NotEncoded { slot: MediaSlot },
    #[error("encoding job already finished")]
    AlreadyFinished,
    #[error("encoding job is not running (it is {status:?})")]
    NotRunning { status: JobStatus },
    #[error("encoding job failed for a reason another attempt cannot fix")]
    NotRetryable,
    #[error("a finished job has at least one rendition")]
    NoRenditions,
    #[error("rendition {0} appears twice")]
    DuplicateRendition(String),
    #[error("rendition {name:?}: {rule}")]
    InvalidRendition { name: String, rule: &'static str },
    #[error("an encoded video lasts longer than 0 ms")]
    ZeroDuration,
}
