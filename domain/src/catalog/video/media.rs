//! A video's media slots and the lifecycle of the media in each.

use std::fmt;
use std::str::FromStr;

use crate::TextError;
use crate::macros::uuid_id;

uuid_id!(
    /// Identifies one upload into a media slot; a new upload into the same slot gets a new id.
    MediaId
);

/// The media a video has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MediaSlot {
    /// The feature itself.
    Video,
    Trailer,
    Banner,
    Thumbnail,
    ThumbnailHalf,
}

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

impl MediaSlot {
    pub const ALL: [MediaSlot; 5] = [
        MediaSlot::Video,
        MediaSlot::Trailer,
        MediaSlot::Banner,
        MediaSlot::Thumbnail,
        MediaSlot::ThumbnailHalf,
    ];

    /// The wire symbol, e.g. `THUMBNAIL_HALF`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaSlot::Video => "VIDEO",
            MediaSlot::Trailer => "TRAILER",
            MediaSlot::Banner => "BANNER",
            MediaSlot::Thumbnail => "THUMBNAIL",
            MediaSlot::ThumbnailHalf => "THUMBNAIL_HALF",
        }
    }

    /// Video slots are encoded into an adaptive ladder; image slots are served as uploaded.
    pub const fn is_encoded(self) -> bool {
        matches!(self, MediaSlot::Video | MediaSlot::Trailer)
    }

    /// The largest upload the slot takes.
    pub const fn max_size_bytes(self) -> u64 {
        match self {
            MediaSlot::Video => 50 * GIB,
            MediaSlot::Trailer => GIB,
            MediaSlot::Banner => 10 * MIB,
            MediaSlot::Thumbnail | MediaSlot::ThumbnailHalf => 5 * MIB,
        }
    }

    /// The top-level media type the slot takes: `video` or `image`.
    pub const fn media_kind(self) -> &'static str {
        if self.is_encoded() { "video" } else { "image" }
    }
}

impl fmt::Display for MediaSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaSlot {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MediaSlot::ALL
            .into_iter()
            .find(|slot| slot.as_str().eq_ignore_ascii_case(s))
            .ok_or(TextError::Format {
                field: "slot",
                rule: "must be one of VIDEO, TRAILER, BANNER, THUMBNAIL, THUMBNAIL_HALF",
            })
    }
}

/// Where the media in a slot is in its lifecycle: PENDING → PROCESSING → COMPLETED or ERROR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MediaStatus {
    Pending,
    Processing,
    Completed,
    Error,
}

impl MediaStatus {
    pub const ALL: [MediaStatus; 4] = [
        MediaStatus::Pending,
        MediaStatus::Processing,
        MediaStatus::Completed,
        MediaStatus::Error,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MediaStatus::Pending => "PENDING",
            MediaStatus::Processing => "PROCESSING",
            MediaStatus::Completed => "COMPLETED",
            MediaStatus::Error => "ERROR",
        }
    }
}

impl fmt::Display for MediaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media currently in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub media_id: MediaId,
    pub checksum: String,
    pub size_bytes: u64,
    pub content_type: String,
    pub raw_location: String,
    pub status: MediaStatus,
    /// Set once COMPLETED: the master playlist for video slots, the file itself for images.
    pub encoded_location: Option<String>,
    /// Set once ERROR.
    pub error: Option<String>,
}
