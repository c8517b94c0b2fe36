//! A video: descriptive fields, relations to categories, genres and cast members, and media slots.
//!
//! Rules: a video can be published only when its VIDEO media is COMPLETED, and the VIDEO media of
//! a published video cannot be replaced. New relations must point to existing, active aggregates
//! (see [`crate::Reference`]). Media move PENDING → PROCESSING → COMPLETED or ERROR, and an
//! encoder's report about media that has since been replaced is refused.

mod commands;
mod error;
mod events;
mod media;
#[cfg(test)]
mod tests;
mod values;

use std::collections::{BTreeMap, BTreeSet};

pub use commands::*;
pub use error::VideoError;
pub use events::*;
pub use media::{Media, MediaId, MediaSlot, MediaStatus};
pub use values::*;

use super::cast_member::CastMemberId;
use super::category::CategoryId;
use super::genre::GenreId;
use crate::macros::uuid_id;
use crate::{Aggregate, AggregateType, InvariantViolation, Reference, ReferenceStatus};

uuid_id!(
    /// Identifies a video.
    VideoId
);

/// The video aggregate; [`Default`] is a video that does not exist yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Video {
    state: Option<VideoState>,
}

#[derive(Debug, Clone, PartialEq)]
struct VideoState {
    title: String,
    description: String,
    launch_year: u16,
    duration_minutes: u32,
    rating: Rating,
    opened: bool,
    categories: BTreeSet<CategoryId>,
    genres: BTreeSet<GenreId>,
    cast_members: BTreeSet<CastMemberId>,
    media: BTreeMap<MediaSlot, Media>,
    published: bool,
    deleted: bool,
}

impl Video {
    pub fn exists(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.deleted)
    }

    pub fn is_published(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.published)
    }

    pub fn title(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.title.as_str())
    }

    pub fn media(&self, slot: MediaSlot) -> Option<&Media> {
        self.state.as_ref().and_then(|s| s.media.get(&slot))
    }

    pub fn categories(&self) -> impl Iterator<Item = CategoryId> + '_ {
        self.state.iter().flat_map(|s| s.categories.iter().copied())
    }

    pub fn genres(&self) -> impl Iterator<Item = GenreId> + '_ {
        self.state.iter().flat_map(|s| s.genres.iter().copied())
    }

    pub fn cast_members(&self) -> impl Iterator<Item = CastMemberId> + '_ {
        self.state
            .iter()
            .flat_map(|s| s.cast_members.iter().copied())
    }

    fn live(&self) -> Result<&VideoState, VideoError> {
        match &self.state {
            None => Err(VideoError::NotFound),
            Some(s) if s.deleted => Err(VideoError::Deleted),
            Some(s) => Ok(s),
        }
    }

    fn set(&mut self, change: impl FnOnce(&mut VideoState)) {
        if let Some(s) = &mut self.state {
            change(s);
        }
    }

    fn set_media(&mut self, slot: MediaSlot, change: impl FnOnce(&mut Media)) {
        self.set(|s| {
            if let Some(media) = s.media.get_mut(&slot) {
                change(media);
            }
        });
    }
}

/// The id of a reference that may be newly attached: it must exist and be active.
fn referable<Id: Copy>(
    reference: Reference<Id>,
    missing: fn(Id) -> VideoError,
    inactive: fn(Id) -> VideoError,
) -> Result<Id, VideoError> {
    match reference.status {
        ReferenceStatus::Active => Ok(reference.id),
        ReferenceStatus::Inactive => Err(inactive(reference.id)),
        ReferenceStatus::Missing => Err(missing(reference.id)),
    }
}

fn referable_all<Id: Copy + Ord>(
    references: Vec<Reference<Id>>,
    missing: fn(Id) -> VideoError,
    inactive: fn(Id) -> VideoError,
) -> Result<Vec<Id>, VideoError> {
    let ids = references
        .into_iter()
        .map(|r| referable(r, missing, inactive))
        .collect::<Result<BTreeSet<Id>, _>>()?;
    Ok(ids.into_iter().collect())
}

fn create(command: CreateVideo) -> Result<Vec<VideoEvent>, VideoError> {
    let categories = referable_all(
        command.categories,
        VideoError::UnknownCategory,
        VideoError::InactiveCategory,
    )?;
    let genres = referable_all(
        command.genres,
        VideoError::UnknownGenre,
        VideoError::InactiveGenre,
    )?;
    // Cast members have no active flag; an inactive status cannot occur and means unknown.
    let cast_members = referable_all(
        command.cast_members,
        VideoError::UnknownCastMember,
        VideoError::UnknownCastMember,
    )?;
    let d = command.details;
    Ok(vec![
        VideoCreated {
            title: d.title.into_string(),
            description: d.description.into_string(),
            launch_year: d.launch_year.get(),
            duration_minutes: d.duration.get(),
            rating: d.rating,
            opened: d.opened,
            categories,
            genres,
            cast_members,
        }
        .into(),
    ])
}

fn update(s: &VideoState, command: UpdateVideo) -> Vec<VideoEvent> {
    let d = command.details;
    let updated = VideoUpdated {
        title: d.title.into_string(),
        description: d.description.into_string(),
        launch_year: d.launch_year.get(),
        duration_minutes: d.duration.get(),
        rating: d.rating,
        opened: d.opened,
    };
    let unchanged = updated.title == s.title
        && updated.description == s.description
        && updated.launch_year == s.launch_year
        && updated.duration_minutes == s.duration_minutes
        && updated.rating == s.rating
        && updated.opened == s.opened;
    if unchanged {
        vec![]
    } else {
        vec![updated.into()]
    }
}

fn upload(s: &VideoState, u: UploadMedia) -> Result<Vec<VideoEvent>, VideoError> {
    let slot = u.slot;
    if s.media.get(&slot).is_some_and(|m| m.media_id == u.media_id) {
        return Ok(vec![]);
    }
    if u.size_bytes == 0 {
        return Err(VideoError::EmptyMedia { slot });
    }
    if u.size_bytes > slot.max_size_bytes() {
        return Err(VideoError::MediaTooLarge {
            slot,
            size_bytes: u.size_bytes,
            max_bytes: slot.max_size_bytes(),
        });
    }
    if u.content_type.top_level() != slot.media_kind() {
        return Err(VideoError::ContentTypeNotAccepted {
            slot,
            expected: slot.media_kind(),
            content_type: u.content_type.into_string(),
        });
    }
    if slot == MediaSlot::Video && s.published {
        return Err(VideoError::PublishedMainMedia);
    }
    let raw_location = u.raw_location.into_string();
    let mut events = vec![
        VideoUploaded {
            media_id: u.media_id,
            slot,
            checksum: u.checksum.into_string(),
            size_bytes: u.size_bytes,
            content_type: u.content_type.into_string(),
            raw_location: raw_location.clone(),
        }
        .into(),
    ];
    if !slot.is_encoded() {
        // Images are served as uploaded: ready as soon as they are stored.
        events.push(
            MediaProcessingCompleted {
                media_id: u.media_id,
                slot,
                encoded_location: raw_location,
            }
            .into(),
        );
    }
    Ok(events)
}

/// The media an encoder report is about, if it is still the slot's current media.
fn encoded_media(s: &VideoState, slot: MediaSlot, media_id: MediaId) -> Result<&Media, VideoError> {
    if !slot.is_encoded() {
        return Err(VideoError::NotEncoded { slot });
    }
    let media = s.media.get(&slot).ok_or(VideoError::NoMedia { slot })?;
    if media.media_id != media_id {
        return Err(VideoError::StaleMedia {
            slot,
            media_id,
            current: media.media_id,
        });
    }
    Ok(media)
}

/// Moves media to `to`: `Ok(true)` to emit the transition, `Ok(false)` when it is already there.
fn transition(slot: MediaSlot, from: MediaStatus, to: MediaStatus) -> Result<bool, VideoError> {
    use MediaStatus::{Completed, Error, Pending, Processing};
    match (from, to) {
        (from, to) if from == to => Ok(false),
        (Pending | Error, Processing) | (Processing, Completed) | (Pending | Processing, Error) => {
            Ok(true)
        }
        (from, to) => Err(VideoError::MediaTransition { slot, from, to }),
    }
}

impl Aggregate for Video {
    const TYPE: AggregateType = AggregateType::Video;
    type Id = VideoId;
    type Command = VideoCommand;
    type Event = VideoEvent;
    type Error = VideoError;

    fn handle(&self, command: VideoCommand) -> Result<Vec<VideoEvent>, VideoError> {
        if let VideoCommand::CreateVideo(c) = command {
            if self.state.is_some() {
                return Err(VideoError::AlreadyExists);
            }
            return create(c);
        }
        if matches!(command, VideoCommand::DeleteVideo(_))
            && self.state.as_ref().is_some_and(|s| s.deleted)
        {
            return Ok(vec![]);
        }
        let s = self.live()?;
        let events = match command {
            VideoCommand::CreateVideo(_) => unreachable!("handled above"),
            VideoCommand::UpdateVideo(u) => update(s, u),
            VideoCommand::AttachCategory(a) if s.categories.contains(&a.category.id) => vec![],
            VideoCommand::AttachCategory(a) => {
                let category_id = referable(
                    a.category,
                    VideoError::UnknownCategory,
                    VideoError::InactiveCategory,
                )?;
                vec![VideoCategoryAttached { category_id }.into()]
            }
            VideoCommand::DetachCategory(d) if s.categories.contains(&d.category_id) => {
                vec![
                    VideoCategoryDetached {
                        category_id: d.category_id,
                    }
                    .into(),
                ]
            }
            VideoCommand::AttachGenre(a) if s.genres.contains(&a.genre.id) => vec![],
            VideoCommand::AttachGenre(a) => {
                let genre_id =
                    referable(a.genre, VideoError::UnknownGenre, VideoError::InactiveGenre)?;
                vec![VideoGenreAttached { genre_id }.into()]
            }
            VideoCommand::DetachGenre(d) if s.genres.contains(&d.genre_id) => {
                vec![
                    VideoGenreDetached {
                        genre_id: d.genre_id,
                    }
                    .into(),
                ]
            }
            VideoCommand::AttachCastMember(a) if s.cast_members.contains(&a.cast_member.id) => {
                vec![]
            }
            VideoCommand::AttachCastMember(a) => {
                let cast_member_id = referable(
                    a.cast_member,
                    VideoError::UnknownCastMember,
                    VideoError::UnknownCastMember,
                )?;
                vec![VideoCastMemberAttached { cast_member_id }.into()]
            }
            VideoCommand::DetachCastMember(d) if s.cast_members.contains(&d.cast_member_id) => {
                vec![
                    VideoCastMemberDetached {
                        cast_member_id: d.cast_member_id,
                    }
                    .into(),
                ]
            }
            VideoCommand::DetachCategory(_)
            | VideoCommand::DetachGenre(_)
            | VideoCommand::DetachCastMember(_) => vec![],
            VideoCommand::UploadMedia(u) => upload(s, u)?,
            VideoCommand::StartMediaProcessing(c) => {
                let media = encoded_media(s, c.slot, c.media_id)?;
                if transition(c.slot, media.status, MediaStatus::Processing)? {
                    vec![
                        MediaProcessingStarted {
                            media_id: c.media_id,
                            slot: c.slot,
                        }
                        .into(),
                    ]
                } else {
                    vec![]
                }
            }
            VideoCommand::CompleteMediaProcessing(c) => {
                let media = encoded_media(s, c.slot, c.media_id)?;
                if transition(c.slot, media.status, MediaStatus::Completed)? {
                    vec![
                        MediaProcessingCompleted {
                            media_id: c.media_id,
                            slot: c.slot,
                            encoded_location: c.encoded_location.into_string(),
                        }
                        .into(),
                    ]
                } else {
                    vec![]
                }
            }
            VideoCommand::FailMediaProcessing(c) => {
                let media = encoded_media(s, c.slot, c.media_id)?;
                if transition(c.slot, media.status, MediaStatus::Error)? {
                    vec![
                        MediaProcessingFailed {
                            media_id: c.media_id,
                            slot: c.slot,
                            reason: c.reason.into_string(),
                        }
                        .into(),
                    ]
                } else {
                    vec![]
                }
            }
            VideoCommand::PublishVideo(_) if s.published => vec![],
            VideoCommand::PublishVideo(_) => {
                let status = s.media.get(&MediaSlot::Video).map(|m| m.status);
                if status != Some(MediaStatus::Completed) {
                    return Err(VideoError::NotPublishable { status });
                }
                vec![VideoPublished.into()]
            }
            VideoCommand::UnpublishVideo(_) if s.published => vec![VideoUnpublished.into()],
            VideoCommand::UnpublishVideo(_) => vec![],
            VideoCommand::DeleteVideo(_) if s.published => {
                vec![VideoUnpublished.into(), VideoDeleted.into()]
            }
            VideoCommand::DeleteVideo(_) => vec![VideoDeleted.into()],
        };
        Ok(events)
    }

    fn apply(&mut self, event: &VideoEvent) {
        match event {
            VideoEvent::VideoCreated(e) => {
                self.state = Some(VideoState {
                    title: e.title.clone(),
                    description: e.description.clone(),
                    launch_year: e.launch_year,
                    duration_minutes: e.duration_minutes,
                    rating: e.rating,
                    opened: e.opened,
                    categories: e.categories.iter().copied().collect(),
                    genres: e.genres.iter().copied().collect(),
                    cast_members: e.cast_members.iter().copied().collect(),
                    media: BTreeMap::new(),
                    published: false,
                    deleted: false,
                });
            }
            VideoEvent::VideoUpdated(e) => self.set(|s| {
                s.title.clone_from(&e.title);
                s.description.clone_from(&e.description);
                s.launch_year = e.launch_year;
                s.duration_minutes = e.duration_minutes;
                s.rating = e.rating;
                s.opened = e.opened;
            }),
            VideoEvent::VideoCategoryAttached(e) => self.set(|s| {
                s.categories.insert(e.category_id);
            }),
            VideoEvent::VideoCategoryDetached(e) => self.set(|s| {
                s.categories.remove(&e.category_id);
            }),
            VideoEvent::VideoGenreAttached(e) => self.set(|s| {
                s.genres.insert(e.genre_id);
            }),
            VideoEvent::VideoGenreDetached(e) => self.set(|s| {
                s.genres.remove(&e.genre_id);
            }),
            VideoEvent::VideoCastMemberAttached(e) => self.set(|s| {
                s.cast_members.insert(e.cast_member_id);
            }),
            VideoEvent::VideoCastMemberDetached(e) => self.set(|s| {
                s.cast_members.remove(&e.cast_member_id);
            }),
            VideoEvent::VideoUploaded(e) => self.set(|s| {
                s.media.insert(
                    e.slot,
                    Media {
                        media_id: e.media_id,
                        checksum: e.checksum.clone(),
                        size_bytes: e.size_bytes,
                        content_type: e.content_type.clone(),
                        raw_location: e.raw_location.clone(),
                        status: MediaStatus::Pending,
                        encoded_location: None,
                        error: None,
                    },
                );
            }),
            VideoEvent::MediaProcessingStarted(e) => self.set_media(e.slot, |m| {
                m.status = MediaStatus::Processing;
                m.error = None;
            }),
            VideoEvent::MediaProcessingCompleted(e) => self.set_media(e.slot, |m| {
                m.status = MediaStatus::Completed;
                m.encoded_location = Some(e.encoded_location.clone());
            }),
            VideoEvent::MediaProcessingFailed(e) => self.set_media(e.slot, |m| {
                m.status = MediaStatus::Error;
                m.error = Some(e.reason.clone());
            }),
            VideoEvent::VideoPublished(_) => self.set(|s| s.published = true),
            VideoEvent::VideoUnpublished(_) => self.set(|s| s.published = false),
            VideoEvent::VideoDeleted(_) => self.set(|s| s.deleted = true),
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(Title::parse(&s.title).is_ok(), || {
            format!("title {:?} breaks the title rules", s.title)
        })?;
        InvariantViolation::ensure(VideoDescription::parse(&s.description).is_ok(), || {
            "description breaks the description rules".to_owned()
        })?;
        InvariantViolation::ensure(
            LaunchYear::parse(i64::from(s.launch_year)).is_ok()
                && DurationMinutes::parse(i64::from(s.duration_minutes)).is_ok(),
            || "launch year or duration out of range".to_owned(),
        )?;
        let main_status = s.media.get(&MediaSlot::Video).map(|m| m.status);
        InvariantViolation::ensure(
            !s.published || main_status == Some(MediaStatus::Completed),
            || format!("published with VIDEO media {main_status:?}"),
        )?;
        InvariantViolation::ensure(!(s.deleted && s.published), || {
            "deleted yet published".to_owned()
        })?;
        for (slot, m) in &s.media {
            InvariantViolation::ensure(
                (m.status == MediaStatus::Completed) == m.encoded_location.is_some(),
                || {
                    format!(
                        "{slot} is {} with encoded location {:?}",
                        m.status, m.encoded_location
                    )
                },
            )?;
            InvariantViolation::ensure(
                (m.status == MediaStatus::Error) == m.error.is_some(),
                || format!("{slot} is {} with error {:?}", m.status, m.error),
            )?;
            InvariantViolation::ensure(
                slot.is_encoded() || m.status == MediaStatus::Completed,
                || format!("image slot {slot} is {}", m.status),
            )?;
            InvariantViolation::ensure(
                m.size_bytes > 0 && m.size_bytes <= slot.max_size_bytes(),
                || format!("{slot} holds {} bytes", m.size_bytes),
            )?;
        }
        Ok(())
    }
}
