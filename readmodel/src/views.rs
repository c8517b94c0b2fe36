//! The documents the projections keep: one per aggregate, at the version of the last event
//! applied to it. Every store keeps these same documents (and indexes them its own way), so a
//! rebuild into any store gives the same answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Which kind of aggregate a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Category,
    Genre,
    CastMember,
    Video,
}

impl DocKind {
    pub const ALL: [DocKind; 4] = [
        DocKind::Category,
        DocKind::Genre,
        DocKind::CastMember,
        DocKind::Video,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DocKind::Category => "category",
            DocKind::Genre => "genre",
            DocKind::CastMember => "cast_member",
            DocKind::Video => "video",
        }
    }
}

/// Identifies a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocKey {
    pub kind: DocKind,
    pub id: Uuid,
}

/// A category as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    #[serde(default)]
    pub deleted: bool,
    /// The category's version: the number of events applied to it.
    pub version: u64,
    /// RFC 3339, microseconds, UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// A genre and the categories it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GenreView {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    #[serde(default)]
    pub deleted: bool,
    pub categories: Vec<Uuid>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A cast member: an actor or a director.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CastMemberView {
    pub id: Uuid,
    pub name: String,
    /// `ACTOR` or `DIRECTOR`.
    pub kind: String,
    #[serde(default)]
    pub deleted: bool,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A file in one of a video's slots and how far its processing got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MediaView {
    /// `VIDEO`, `TRAILER`, `BANNER`, `THUMBNAIL` or `THUMBNAIL_HALF`.
    pub slot: String,
    pub media_id: Uuid,
    /// `PENDING`, `PROCESSING`, `COMPLETED` or `ERROR`.
    pub status: String,
    /// SHA-256 of the uploaded file, lowercase hex.
    pub checksum: String,
    pub size_bytes: u64,
    pub content_type: String,
    pub raw_location: String,
    /// Where the processed media is (for videos: the HLS/DASH manifests' folder).
    pub encoded_location: Option<String>,
    /// Why processing failed.
    pub error: Option<String>,
}

/// A video with every id it refers to; names are joined by whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VideoView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub launch_year: u16,
    pub duration_minutes: u32,
    /// `ER`, `L`, `10`, `12`, `14`, `16` or `18`.
    pub rating: String,
    pub opened: bool,
    pub published: bool,
    #[serde(default)]
    pub deleted: bool,
    pub categories: Vec<Uuid>,
    pub genres: Vec<Uuid>,
    pub cast_members: Vec<Uuid>,
    /// One entry per filled slot, in slot order.
    pub media: Vec<MediaView>,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl VideoView {
    /// Whether viewers see it: published and not deleted.
    pub fn visible(&self) -> bool {
        self.published && !self.deleted
    }
}

/// Any document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Doc {
    Category(CategoryView),
    Genre(GenreView),
    CastMember(CastMemberView),
    Video(VideoView),
}

impl Doc {
    pub fn key(&self) -> DocKey {
        let (kind, id) = match self {
            Doc::Category(d) => (DocKind::Category, d.id),
            Doc::Genre(d) => (DocKind::Genre, d.id),
            Doc::CastMember(d) => (DocKind::CastMember, d.id),
            Doc::Video(d) => (DocKind::Video, d.id),
        };
        DocKey { kind, id }
    }

    pub fn version(&self) -> u64 {
        match self {
            Doc::Category(d) => d.version,
            Doc::Genre(d) => d.version,
            Doc::CastMember(d) => d.version,
            Doc::Video(d) => d.version,
        }
    }

    pub fn deleted(&self) -> bool {
        match self {
            Doc::Category(d) => d.deleted,
            Doc::Genre(d) => d.deleted,
            Doc::CastMember(d) => d.deleted,
            Doc::Video(d) => d.deleted,
        }
    }

    /// The name documents are listed by (videos: the title).
    pub fn name(&self) -> &str {
        match self {
            Doc::Category(d) => &d.name,
            Doc::Genre(d) => &d.name,
            Doc::CastMember(d) => &d.name,
            Doc::Video(d) => &d.title,
        }
    }

    /// Whether viewers see it: active categories and genres, every cast member, published videos;
    /// never deleted ones.
    pub fn visible(&self) -> bool {
        !self.deleted()
            && match self {
                Doc::Category(d) => d.active,
                Doc::Genre(d) => d.active,
                Doc::CastMember(_) => true,
                Doc::Video(d) => d.visible(),
            }
    }

    pub fn created_at(&self) -> &str {
        match self {
            Doc::Category(d) => &d.created_at,
            Doc::Genre(d) => &d.created_at,
            Doc::CastMember(d) => &d.created_at,
            Doc::Video(d) => &d.created_at,
        }
    }
}
