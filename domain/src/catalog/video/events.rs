use super::{MediaId, MediaSlot, Rating};
use crate::catalog::cast_member::CastMemberId;
use crate::catalog::category::CategoryId;
use crate::catalog::genre::GenreId;
use crate::macros::event_enum;

/// A video was created, unpublished; the id lists are sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoCreated {
    pub title: String,
    pub description: String,
    pub launch_year: u16,
    pub duration_minutes: u32,
    pub rating: Rating,
    pub opened: bool,
    pub categories: Vec<CategoryId>,
    pub genres: Vec<GenreId>,
    pub cast_members: Vec<CastMemberId>,
}

/// A video's descriptive fields changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoUpdated {
    pub title: String,
    pub description: String,
    pub launch_year: u16,
    pub duration_minutes: u32,
    pub rating: Rating,
    pub opened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoCategoryAttached {
    pub category_id: CategoryId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoCategoryDetached {
    pub category_id: CategoryId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoGenreAttached {
    pub genre_id: GenreId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoGenreDetached {
    pub genre_id: GenreId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoCastMemberAttached {
    pub cast_member_id: CastMemberId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoCastMemberDetached {
    pub cast_member_id: CastMemberId,
}

/// A file was received for one of a video's slots; its media is PENDING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoUploaded {
    pub media_id: MediaId,
    pub slot: MediaSlot,
    /// SHA-256, lowercase hex.
    pub checksum: String,
    pub size_bytes: u64,
    pub content_type: String,
    pub raw_location: String,
}

/// The media in a slot is being encoded: PROCESSING.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaProcessingStarted {
    pub media_id: MediaId,
    pub slot: MediaSlot,
}

/// The media in a slot is ready: COMPLETED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaProcessingCompleted {
    pub media_id: MediaId,
    pub slot: MediaSlot,
    pub encoded_location: String,
}

/// The media in a slot could not be processed: ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaProcessingFailed {
    pub media_id: MediaId,
    pub slot: MediaSlot,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoPublished;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoUnpublished;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoDeleted;

event_enum! {
    /// Everything that can happen to a video.
    pub enum VideoEvent {
        VideoCreated,
        VideoUpdated,
        VideoCategoryAttached,
        VideoCategoryDetached,
        VideoGenreAttached,
        VideoGenreDetached,
        VideoCastMemberAttached,
        VideoCastMemberDetached,
        VideoUploaded,
        MediaProcessingStarted,
        MediaProcessingCompleted,
        MediaProcessingFailed,
        VideoPublished,
        VideoUnpublished,
        VideoDeleted,
    }
}
