//! What the query API answers with: the read models' documents with the names of what they refer
//! to joined in, and nothing viewers must not see (no storage locations, no drafts).

use std::collections::HashMap;

use codeflix_readmodel::views::{
    AccountView, Doc, DocKey, DocKind, EncodingView, MediaView, PlanView, SubscriptionView,
    VideoView,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Something referred to by id, with its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: Uuid,
    pub name: String,
}

/// A cast member as a video lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CastRef {
    pub id: Uuid,
    pub name: String,
    /// `ACTOR` or `DIRECTOR`.
    pub kind: String,
}

/// How far a video's media got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediaState {
    /// `VIDEO`, `TRAILER`, `BANNER`, `THUMBNAIL` or `THUMBNAIL_HALF`.
    pub slot: String,
    /// `PENDING`, `PROCESSING`, `COMPLETED` or `ERROR`.
    pub status: String,
}

/// Where a slot's encoded ladder plays from (paths on this API).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stream {
    /// `VIDEO` or `TRAILER`.
    pub slot: String,
    /// The HLS master playlist.
    pub hls: String,
    /// The DASH manifest.
    pub dash: String,
}

/// A published video.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Video {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub launch_year: u16,
    pub duration_minutes: u32,
    /// `ER`, `L`, `10`, `12`, `14`, `16` or `18`.
    pub rating: String,
    /// Free to watch without a subscription.
    pub opened: bool,
    pub categories: Vec<NamedRef>,
    pub genres: Vec<NamedRef>,
    pub cast_members: Vec<CastRef>,
    pub media: Vec<MediaState>,
    /// Whether the main video is encoded and can be streamed.
    pub playable: bool,
    /// The encoded video and trailer, as HLS and DASH.
    pub streams: Vec<Stream>,
    /// Its artwork: banner, thumbnail and half thumbnail, where uploaded.
    pub images: Vec<Image>,
    /// The video's version in the catalog.
    pub version: u64,
    pub updated_at: String,
}

/// A video's image and where to fetch it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Image {
    /// `BANNER`, `THUMBNAIL` or `THUMBNAIL_HALF`.
    pub slot: String,
    /// The path on this API, versioned by the upload (cached for a year).
    #[schema(
        example = "/videos/7d3f0a52-4c1e-4d8a-9a57-0c3f8e21b4d6/images/thumbnail?v=9f86d081884c7d65"
    )]
    pub url: String,
}

/// The names of what documents refer to, by key; only what viewers may see.
#[derive(Debug, Default)]
pub(crate) struct Names(HashMap<DocKey, Doc>);

impl Names {
    pub(crate) fn new(docs: Vec<Doc>) -> Names {
        Names(
            docs.into_iter()
                .filter(Doc::visible)
                .map(|d| (d.key(), d))
                .collect(),
        )
    }

    /// Names for admins: everything not deleted, active or not.
    pub(crate) fn for_admins(docs: Vec<Doc>) -> Names {
        Names(
            docs.into_iter()
                .filter(|d| !d.deleted())
                .map(|d| (d.key(), d))
                .collect(),
        )
    }

    /// Every key `videos` refer to.
    pub(crate) fn wanted<'a>(videos: impl IntoIterator<Item = &'a VideoView>) -> Vec<DocKey> {
        let mut keys: Vec<DocKey> = videos
            .into_iter()
            .flat_map(|v| {
                let tag = |kind| move |&id| DocKey { kind, id };
                v.categories
                    .iter()
                    .map(tag(DocKind::Category))
                    .chain(v.genres.iter().map(tag(DocKind::Genre)))
                    .chain(v.cast_members.iter().map(tag(DocKind::CastMember)))
                    .collect::<Vec<_>>()
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    pub(crate) fn named(&self, kind: DocKind, ids: &[Uuid]) -> Vec<NamedRef> {
        ids.iter()
            .filter_map(|&id| self.0.get(&DocKey { kind, id }))
            .map(|doc| NamedRef {
                id: doc.key().id,
                name: doc.name().to_owned(),
            })
            .collect()
    }

    pub(crate) fn admin_video(&self, v: VideoView) -> AdminVideo {
        let encodings = v
            .media
            .iter()
            .filter_map(|m| {
                match self.0.get(&DocKey {
                    kind: DocKind::Encoding,
                    id: m.media_id,
                }) {
                    Some(Doc::Encoding(e)) => Some(e.clone()),
                    _ => None,
                }
            })
            .collect();
        AdminVideo {
            published: v.published,
            created_at: v.created_at.clone(),
            media: v.media.clone(),
            encodings,
            video: self.video(v),
        }
    }

    /// [`Names::wanted`], and the encoding jobs of the videos' encoded media (for admins).
    pub(crate) fn wanted_with_encodings<'a>(
        videos: impl IntoIterator<Item = &'a VideoView> + Clone,
    ) -> Vec<DocKey> {
        let mut keys = Names::wanted(videos.clone());
        keys.extend(videos.into_iter().flat_map(|v| {
            v.media
                .iter()
                .filter(|m| m.slot == "VIDEO" || m.slot == "TRAILER")
                .map(|m| DocKey {
                    kind: DocKind::Encoding,
                    id: m.media_id,
                })
        }));
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    fn cast(&self, ids: &[Uuid]) -> Vec<CastRef> {
        ids.iter()
            .filter_map(|&id| {
                match self.0.get(&DocKey {
                    kind: DocKind::CastMember,
                    id,
                }) {
                    Some(Doc::CastMember(c)) => Some(CastRef {
                        id,
                        name: c.name.clone(),
                        kind: c.kind.clone(),
                    }),
                    _ => None,
                }
            })
            .collect()
    }

    pub(crate) fn video(&self, v: VideoView) -> Video {
        let playable = v
            .media
            .iter()
            .any(|m| m.slot == "VIDEO" && m.status == "COMPLETED");
        let streams = v
            .media
            .iter()
            .filter(|m| (m.slot == "VIDEO" || m.slot == "TRAILER") && m.status == "COMPLETED")
            .filter_map(|m| {
                let (hls, dash) =
                    crate::playback::stream_paths(v.id, &m.slot, m.encoded_location.as_deref()?);
                Some(Stream {
                    slot: m.slot.clone(),
                    hls,
                    dash,
                })
            })
            .collect();
        let images = v
            .media
            .iter()
            .filter(|m| {
                matches!(m.slot.as_str(), "BANNER" | "THUMBNAIL" | "THUMBNAIL_HALF")
                    && m.status == "COMPLETED"
            })
            .map(|m| Image {
                slot: m.slot.clone(),
                url: crate::playback::image_path(v.id, &m.slot, &m.checksum),
            })
            .collect();
        Video {
            streams,
            images,
            categories: self.named(DocKind::Category, &v.categories),
            genres: self.named(DocKind::Genre, &v.genres),
            cast_members: self.cast(&v.cast_members),
            media: v
                .media
                .into_iter()
                .map(|m| MediaState {
                    slot: m.slot,
                    status: m.status,
                })
                .collect(),
            playable,
            id: v.id,
            title: v.title,
            description: v.description,
            launch_year: v.launch_year,
            duration_minutes: v.duration_minutes,
            rating: v.rating,
            opened: v.opened,
            version: v.version,
            updated_at: v.updated_at,
        }
    }
}

/// A page of videos.
#[derive(Debug, Serialize, ToSchema)]
pub struct VideoPage {
    pub items: Vec<Video>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An active category.
#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryPage {
    pub items: Vec<Category>,
    pub next_cursor: Option<String>,
}

/// An active genre and the categories it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Genre {
    pub id: Uuid,
    pub name: String,
    pub categories: Vec<NamedRef>,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenrePage {
    pub items: Vec<Genre>,
    pub next_cursor: Option<String>,
}

/// A cast member as the list of them shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CastMember {
    pub id: Uuid,
    pub name: String,
    /// `ACTOR` or `DIRECTOR`.
    pub kind: String,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CastMemberPage {
    pub items: Vec<CastMember>,
    pub next_cursor: Option<String>,
}

/// A category as admins see it: active or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCategory {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Whether new videos and genres may refer to it.
    pub active: bool,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCategoryPage {
    pub items: Vec<AdminCategory>,
    pub next_cursor: Option<String>,
}

/// A genre as admins see it: active or not, its categories named whether active or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminGenre {
    pub id: Uuid,
    pub name: String,
    pub categories: Vec<NamedRef>,
    /// Whether new videos may refer to it.
    pub active: bool,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminGenrePage {
    pub items: Vec<AdminGenre>,
    pub next_cursor: Option<String>,
}

/// A cast member as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCastMember {
    pub id: Uuid,
    pub name: String,
    /// `ACTOR` or `DIRECTOR`.
    pub kind: String,
    /// Its version, for `If-Match` on the command API.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCastMemberPage {
    pub items: Vec<AdminCastMember>,
    pub next_cursor: Option<String>,
}

/// Matching words marked `<b>…</b>`; the rest HTML-escaped.
#[derive(Debug, Serialize, ToSchema)]
pub struct Highlights {
    pub title: String,
    pub description: String,
}

/// A video found, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub video: Video,
    /// Relevance; higher is better.
    pub score: f32,
    pub highlights: Highlights,
}

/// A facet value and how many matching videos have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedCount {
    pub id: Uuid,
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearCount {
    pub year: u16,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingCount {
    pub rating: String,
    pub count: u64,
}

/// Counts over every match (not only the page), most frequent first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchFacets {
    pub categories: Vec<NamedCount>,
    pub genres: Vec<NamedCount>,
    pub cast_members: Vec<NamedCount>,
    pub launch_years: Vec<YearCount>,
    pub ratings: Vec<RatingCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// How many videos match.
    pub total: u64,
    pub items: Vec<SearchHit>,
    pub facets: SearchFacets,
}

/// A video as admins see it: published or not, every media with its processing state, checksum,
/// size and locations, references named even when inactive.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminVideo {
    #[serde(flatten)]
    pub video: Video,
    pub published: bool,
    pub created_at: String,
    /// Replaces the viewers' media states with the whole record of each filled slot.
    #[serde(rename = "media_details")]
    pub media: Vec<MediaView>,
    /// How far the encoder got with each of them that is encoded (video, trailer): attempt and
    /// percent while it runs, the reason when it failed. By `id`, the media id.
    pub encodings: Vec<EncodingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminVideoPage {
    pub items: Vec<AdminVideo>,
    pub next_cursor: Option<String>,
}

/// A plan customers may subscribe to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The price of a period, in minor units of `currency` (2990 is 29.90).
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// `MONTHLY` or `YEARLY`.
    pub billing_period: String,
    /// Free days before the first charge.
    pub trial_days: u16,
    /// Whether new subscriptions are taken (always true in viewers' lists).
    pub active: bool,
}

impl From<PlanView> for Plan {
    fn from(p: PlanView) -> Plan {
        Plan {
            id: p.id,
            name: p.name,
            description: p.description,
            amount_minor: p.amount_minor,
            currency: p.currency,
            billing_period: p.billing_period,
            trial_days: p.trial_days,
            active: p.active,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanPage {
    pub items: Vec<Plan>,
    pub next_cursor: Option<String>,
}

/// Whether a subscription lets its account watch now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Access {
    pub granted: bool,
    /// When access ends unless something is paid or a cancellation taken back (RFC 3339).
    pub until: Option<String>,
}

/// A subscription with its plan's name and what it grants now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscription {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// The plan's name now (the subscription keeps the price it started with).
    pub plan_name: Option<String>,
    pub access: Access,
}

/// A page of the delivery log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<codeflix_readmodel::views::NotificationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionPage {
    pub items: Vec<Subscription>,
    pub next_cursor: Option<String>,
}

/// The signed-in caller: what the token says, and the account once one is registered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    /// The identity provider's subject: the account's id.
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Roles the token carries.
    pub roles: Vec<String>,
    /// The account as the subscriptions context keeps it; none until the customer's first
    /// command (a subscription, or `PUT /me` on the command API).
    pub account: Option<AccountView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountView>,
    pub next_cursor: Option<String>,
}
