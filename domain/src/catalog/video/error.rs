use super::{MediaId, MediaSlot, MediaStatus};
use crate::catalog::cast_member::CastMemberId;
use crate::catalog::category::CategoryId;
use crate::catalog::genre::GenreId;

/// A video command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VideoError {
    #[error("video already exists")]
    AlreadyExists,
    #[error("video does not exist")]
    NotFound,
    #[error("video was deleted")]
    Deleted,
    #[error("category {0} does not exist")]
    UnknownCategory(CategoryId),
    #[error("category {0} is inactive and cannot be attached")]
    InactiveCategory(CategoryId),
    #[error("genre {0} does not exist")]
    UnknownGenre(GenreId),
    #[error("genre {0} is inactive and cannot be attached")]
    InactiveGenre(GenreId),
    #[error("cast member {0} does not exist")]
    UnknownCastMember(CastMemberId),
    #[error("the {slot} media is empty")]
    EmptyMedia { slot: MediaSlot },
    #[error("the {slot} media is {size_bytes} bytes, at most {max_bytes} allowed")]
    MediaTooLarge {
        slot: MediaSlot,
        size_bytes: u64,
        max_bytes: u64,
    },
    #[error("the {slot} slot takes {expected}/* media, not {content_type}")]
    ContentTypeNotAccepted {
        slot: MediaSlot,
        expected: &'static str,
        content_type: String,
    },
    #[error("the VIDEO media of a published video cannot be replaced: unpublish it first")]
    PublishedMainMedia,
    #[error("the {slot} slot holds images, which are not encoded")]
    NotEncoded { slot: MediaSlot },
    #[error("the {slot} slot has no media")]
    NoMedia { slot: MediaSlot },
    #[error("media {media_id} is no longer in the {slot} slot, which now holds {current}")]
    StaleMedia {
        slot: MediaSlot,
        media_id: MediaId,
        current: MediaId,
    },
    #[error("the {slot} media is {from} and cannot become {to}")]
    MediaTransition {
        slot: MediaSlot,
        from: MediaStatus,
        to: MediaStatus,
    },
    #[error("a video can be published only when its VIDEO media is COMPLETED; it is {}", .status.map_or("missing", MediaStatus::as_str))]
    NotPublishable { status: Option<MediaStatus> },
}
