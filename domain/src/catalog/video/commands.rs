use super::{
    Checksum, ContentType, DurationMinutes, LaunchYear, MediaId, MediaSlot, Rating,
    StorageLocation, Title, VideoDescription,
};
use crate::catalog::cast_member::CastMemberId;
use crate::catalog::category::CategoryId;
use crate::catalog::genre::GenreId;
use crate::macros::command_enum;
use crate::{Reason, Reference};

/// The descriptive fields of a video, all parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoDetails {
    pub title: Title,
    pub description: VideoDescription,
    pub launch_year: LaunchYear,
    pub duration: DurationMinutes,
    pub rating: Rating,
    /// Whether the video is free to watch without a subscription.
    pub opened: bool,
}

/// Creates an unpublished video in the given categories and genres, with the given cast.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateVideo {
    pub details: VideoDetails,
    pub categories: Vec<Reference<CategoryId>>,
    pub genres: Vec<Reference<GenreId>>,
    pub cast_members: Vec<Reference<CastMemberId>>,
}

/// Replaces a video's descriptive fields.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateVideo {
    pub details: VideoDetails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachCategory {
    pub category: Reference<CategoryId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetachCategory {
    pub category_id: CategoryId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachGenre {
    pub genre: Reference<GenreId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetachGenre {
    pub genre_id: GenreId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachCastMember {
    pub cast_member: Reference<CastMemberId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetachCastMember {
    pub cast_member_id: CastMemberId,
}

/// Records a file stored for one of the video's slots, replacing what the slot held.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadMedia {
    pub media_id: MediaId,
    pub slot: MediaSlot,
    pub checksum: Checksum,
    pub size_bytes: u64,
    pub content_type: ContentType,
    pub raw_location: StorageLocation,
}

/// The encoder took up the media in a video slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartMediaProcessing {
    pub slot: MediaSlot,
    pub media_id: MediaId,
}

/// The encoder finished the media in a video slot; `encoded_location` is the master playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct CompleteMediaProcessing {
    pub slot: MediaSlot,
    pub media_id: MediaId,
    pub encoded_location: StorageLocation,
}

/// The encoder gave up on the media in a video slot.
#[derive(Debug, Clone, PartialEq)]
pub struct FailMediaProcessing {
    pub slot: MediaSlot,
    pub media_id: MediaId,
    pub reason: Reason,
}

/// Makes the video visible to viewers; its VIDEO media must be COMPLETED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishVideo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpublishVideo;

/// Deletes a video softly (unpublishing it first if needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteVideo;

command_enum! {
    /// Everything admins and the encoding reaction can ask of a video.
    pub enum VideoCommand {
        CreateVideo,
        UpdateVideo,
        AttachCategory,
        DetachCategory,
        AttachGenre,
        DetachGenre,
        AttachCastMember,
        DetachCastMember,
        UploadMedia,
        StartMediaProcessing,
        CompleteMediaProcessing,
        FailMediaProcessing,
        PublishVideo,
        UnpublishVideo,
        DeleteVideo,
    }
}
