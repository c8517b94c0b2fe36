//! How one event changes one document: pure functions, no I/O.
//!
//! An event whose version is not above the document's is already applied ([`Step::Duplicate`]),
//! which makes redelivery harmless. An event that cannot apply — one that does not follow the
//! document's version (an earlier one is missing), or anything but a creation for a document the
//! projection has never seen — is [`Step::Rejected`] with the reason, for the dead-letter topic:
//! redriving the dead letters in order then repairs the document.

use codeflix_domain::catalog::cast_member::CastMemberEvent;
use codeflix_domain::catalog::category::CategoryEvent;
use codeflix_domain::catalog::genre::GenreEvent;
use codeflix_domain::catalog::video::{MediaSlot, MediaStatus, VideoEvent};
use codeflix_domain::encoding::EncodingJobEvent;
use codeflix_domain::{AnyEvent, Envelope, EventMetadata, Timestamp};
use uuid::Uuid;

use codeflix_readmodel::views::{
    CastMemberView, CategoryView, Doc, DocKey, DocKind, EncodingView, GenreView, HistoryEntry,
    MediaView, VideoView, account_doc_id,
};

use crate::billing;

/// What applying one event to its document gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The document after the event.
    Applied(Box<Doc>),
    /// The document already has this event.
    Duplicate,
    /// The event cannot apply; the reason says why.
    Rejected(String),
}

/// The document an event is about, if the catalog projections keep one for its aggregate.
pub fn doc_key(metadata: &EventMetadata, event: &AnyEvent) -> Option<Result<DocKey, String>> {
    let kind = match event {
        AnyEvent::Category(_) => DocKind::Category,
        AnyEvent::Genre(_) => DocKind::Genre,
        AnyEvent::CastMember(_) => DocKind::CastMember,
        AnyEvent::Video(_) => DocKind::Video,
        AnyEvent::Plan(_) => DocKind::Plan,
        AnyEvent::Subscription(_) => DocKind::Subscription,
        // Accounts are keyed by the identity provider's subject, any text.
        AnyEvent::Account(_) => {
            return Some(Ok(DocKey {
                kind: DocKind::Account,
                id: account_doc_id(&metadata.aggregate_id),
            }));
        }
        AnyEvent::Notification(_) => DocKind::Notification,
        AnyEvent::EncodingJob(_) => DocKind::Encoding,
    };
    Some(
        Uuid::parse_str(&metadata.aggregate_id)
            .map(|id| DocKey { kind, id })
            .map_err(|e| {
                format!(
                    "aggregate id {:?} is not a UUID: {e}",
                    metadata.aggregate_id
                )
            }),
    )
}

/// RFC 3339 with microseconds, so that texts sort like instants.
pub fn instant(at: Timestamp) -> String {
    at.to_rfc3339_micros()
}

fn ids<T: Copy>(list: &[T], uuid: impl Fn(T) -> Uuid) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = list.iter().map(|&id| uuid(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn insert(list: &mut Vec<Uuid>, id: Uuid) {
    if let Err(at) = list.binary_search(&id) {
        list.insert(at, id);
    }
}

fn remove(list: &mut Vec<Uuid>, id: Uuid) {
    if let Ok(at) = list.binary_search(&id) {
        list.remove(at);
    }
}

/// Applies `envelope` to `current`, the document of its aggregate if the projection has one.
pub fn apply(current: Option<&Doc>, envelope: &Envelope<AnyEvent>) -> Step {
    let metadata = &envelope.metadata;
    let version = metadata.aggregate_version.get();
    let current_version = current.map_or(0, Doc::version);
    if current_version >= version {
        return Step::Duplicate;
    }
    if version != current_version + 1 {
        let state = if current.is_none() {
            "the projection has never seen this aggregate created".to_owned()
        } else {
            format!("the document is at version {current_version}")
        };
        return Step::Rejected(format!(
            "{} {} version {version}: {state}; an earlier event is missing (dead-lettered?) \
             — redrive the dead letters in order",
            envelope.event.event_type(),
            metadata.aggregate_id
        ));
    }
    let Some(Ok(key)) = doc_key(metadata, &envelope.event) else {
        return Step::Rejected(match doc_key(metadata, &envelope.event) {
            Some(Err(reason)) => reason,
            _ => format!("{} has no document", envelope.event.event_type()),
        });
    };
    if let Some(doc) = current
        && doc.key() != key
    {
        return Step::Rejected(format!("{key:?} was given the document of {:?}", doc.key()));
    }
    let at = instant(metadata.occurred_at);
    let result = match (&envelope.event, current) {
        (AnyEvent::Category(event), None) => category_created(key.id, event, &at),
        (AnyEvent::Category(event), Some(Doc::Category(doc))) => {
            Ok(Doc::Category(category(doc.clone(), event)))
        }
        (AnyEvent::Genre(event), None) => genre_created(key.id, event, &at),
        (AnyEvent::Genre(event), Some(Doc::Genre(doc))) => {
            Ok(Doc::Genre(genre(doc.clone(), event)))
        }
        (AnyEvent::CastMember(event), None) => cast_member_created(key.id, event, &at),
        (AnyEvent::CastMember(event), Some(Doc::CastMember(doc))) => {
            Ok(Doc::CastMember(cast_member(doc.clone(), event)))
        }
        (AnyEvent::Video(event), None) => video_created(key.id, event, &at),
        (AnyEvent::Video(event), Some(Doc::Video(doc))) => {
            Ok(Doc::Video(video(doc.clone(), event)))
        }
        (AnyEvent::Plan(event), None) => billing::plan_created(key.id, event, &at).map(Doc::Plan),
        (AnyEvent::Plan(event), Some(Doc::Plan(doc))) => {
            Ok(Doc::Plan(billing::plan(doc.clone(), event)))
        }
        (AnyEvent::Subscription(event), None) => billing::subscription_created(key.id, event, &at)
            .map(|s| Doc::Subscription(Box::new(s))),
        (AnyEvent::Subscription(event), Some(Doc::Subscription(doc))) => Ok(Doc::Subscription(
            Box::new(billing::subscription((**doc).clone(), event)),
        )),
        (AnyEvent::Account(event), None) => {
            billing::account_created(key.id, &metadata.aggregate_id, event, &at).map(Doc::Account)
        }
        (AnyEvent::Account(event), Some(Doc::Account(doc))) => {
            Ok(Doc::Account(billing::account(doc.clone(), event)))
        }
        (AnyEvent::Notification(event), None) => {
            crate::notifications::notification_created(key.id, event, &at).map(Doc::Notification)
        }
        (AnyEvent::Notification(event), Some(Doc::Notification(doc))) => Ok(Doc::Notification(
            crate::notifications::notification(doc.clone(), event),
        )),
        (AnyEvent::EncodingJob(event), None) => encoding_created(key.id, event, &at),
        (AnyEvent::EncodingJob(event), Some(Doc::Encoding(doc))) => {
            Ok(Doc::Encoding(encoding(doc.clone(), event)))
        }
        _ => Err("the event and the document are of different aggregates".to_owned()),
    };
    let result = result.map(|mut doc| {
        if let Doc::Subscription(s) = &mut doc {
            s.history.push(HistoryEntry {
                version,
                event: envelope.event.event_type().to_owned(),
                at: at.clone(),
                actor: metadata.actor.clone(),
            });
        }
        doc
    });
    match result {
        Ok(doc) => Step::Applied(Box::new(stamp(doc, version, at))),
        Err(reason) => Step::Rejected(format!(
            "{} {} version {version}: {reason}",
            envelope.event.event_type(),
            metadata.aggregate_id
        )),
    }
}

fn stamp(mut doc: Doc, version: u64, at: String) -> Doc {
    let (v, updated) = match &mut doc {
        Doc::Category(d) => (&mut d.version, &mut d.updated_at),
        Doc::Genre(d) => (&mut d.version, &mut d.updated_at),
        Doc::CastMember(d) => (&mut d.version, &mut d.updated_at),
        Doc::Video(d) => (&mut d.version, &mut d.updated_at),
        Doc::Plan(d) => (&mut d.version, &mut d.updated_at),
        Doc::Subscription(d) => (&mut d.version, &mut d.updated_at),
        Doc::Account(d) => (&mut d.version, &mut d.updated_at),
        Doc::Notification(d) => (&mut d.version, &mut d.updated_at),
        Doc::Encoding(d) => (&mut d.version, &mut d.updated_at),
    };
    *v = version;
    *updated = at;
    doc
}

pub(crate) const NEVER_CREATED: &str = "the projection has never seen this aggregate created";

fn category_created(id: Uuid, event: &CategoryEvent, at: &str) -> Result<Doc, String> {
    let CategoryEvent::CategoryCreated(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(Doc::Category(CategoryView {
        id,
        name: e.name.clone(),
        description: e.description.clone(),
        active: e.active,
        deleted: false,
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }))
}

fn category(mut doc: CategoryView, event: &CategoryEvent) -> CategoryView {
    match event {
        // A creation is version 1: over an existing document it is a duplicate, never applied.
        CategoryEvent::CategoryCreated(_) => {}
        CategoryEvent::CategoryUpdated(e) => {
            doc.name.clone_from(&e.name);
            doc.description.clone_from(&e.description);
        }
        CategoryEvent::CategoryActivated(_) => doc.active = true,
        CategoryEvent::CategoryDeactivated(_) => doc.active = false,
        CategoryEvent::CategoryDeleted(_) => doc.deleted = true,
    }
    doc
}

fn encoding_created(id: Uuid, event: &EncodingJobEvent, at: &str) -> Result<Doc, String> {
    let EncodingJobEvent::EncodingRequested(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(Doc::Encoding(EncodingView {
        id,
        video_id: e.video_id.as_uuid(),
        slot: e.slot.as_str().to_owned(),
        status: "REQUESTED".to_owned(),
        attempt: 0,
        percent: 0,
        worker: None,
        error: None,
        retryable: None,
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }))
}

fn encoding(mut doc: EncodingView, event: &EncodingJobEvent) -> EncodingView {
    match event {
        EncodingJobEvent::EncodingRequested(_) => {}
        EncodingJobEvent::EncodingStarted(e) => {
            "RUNNING".clone_into(&mut doc.status);
            doc.attempt = e.attempt;
            doc.percent = 0;
            doc.worker = Some(e.worker.clone());
            doc.error = None;
            doc.retryable = None;
        }
        // Only the attempt's own reports count (one presumed dead may still report).
        EncodingJobEvent::EncodingProgressed(e) if e.attempt == doc.attempt => {
            doc.percent = e.percent.min(100);
        }
        EncodingJobEvent::EncodingProgressed(_) => {}
        EncodingJobEvent::EncodingFinished(e) => {
            "FINISHED".clone_into(&mut doc.status);
            doc.attempt = e.attempt;
            doc.percent = 100;
        }
        EncodingJobEvent::EncodingFailed(e) => {
            "FAILED".clone_into(&mut doc.status);
            doc.attempt = e.attempt;
            doc.error = Some(e.reason.clone());
            doc.retryable = Some(e.retryable);
        }
    }
    doc
}

fn genre_created(id: Uuid, event: &GenreEvent, at: &str) -> Result<Doc, String> {
    let GenreEvent::GenreCreated(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(Doc::Genre(GenreView {
        id,
        name: e.name.clone(),
        active: e.active,
        deleted: false,
        categories: ids(&e.categories, |c| c.as_uuid()),
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }))
}

fn genre(mut doc: GenreView, event: &GenreEvent) -> GenreView {
    match event {
        GenreEvent::GenreCreated(_) => {}
        GenreEvent::GenreUpdated(e) => {
            doc.name.clone_from(&e.name);
            doc.categories = ids(&e.categories, |c| c.as_uuid());
        }
        GenreEvent::GenreActivated(_) => doc.active = true,
        GenreEvent::GenreDeactivated(_) => doc.active = false,
        GenreEvent::GenreDeleted(_) => doc.deleted = true,
    }
    doc
}

fn cast_member_created(id: Uuid, event: &CastMemberEvent, at: &str) -> Result<Doc, String> {
    let CastMemberEvent::CastMemberCreated(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(Doc::CastMember(CastMemberView {
        id,
        name: e.name.clone(),
        kind: e.kind.as_str().to_owned(),
        deleted: false,
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }))
}

fn cast_member(mut doc: CastMemberView, event: &CastMemberEvent) -> CastMemberView {
    match event {
        CastMemberEvent::CastMemberCreated(_) => {}
        CastMemberEvent::CastMemberUpdated(e) => {
            doc.name.clone_from(&e.name);
            doc.kind = e.kind.as_str().to_owned();
        }
        CastMemberEvent::CastMemberDeleted(_) => doc.deleted = true,
    }
    doc
}

fn video_created(id: Uuid, event: &VideoEvent, at: &str) -> Result<Doc, String> {
    let VideoEvent::VideoCreated(e) = event else {
        return Err(NEVER_CREATED.to_owned());
    };
    Ok(Doc::Video(VideoView {
        id,
        title: e.title.clone(),
        description: e.description.clone(),
        launch_year: e.launch_year,
        duration_minutes: e.duration_minutes,
        rating: e.rating.as_str().to_owned(),
        opened: e.opened,
        published: false,
        deleted: false,
        categories: ids(&e.categories, |c| c.as_uuid()),
        genres: ids(&e.genres, |g| g.as_uuid()),
        cast_members: ids(&e.cast_members, |c| c.as_uuid()),
        media: Vec::new(),
        version: 0,
        created_at: at.to_owned(),
        updated_at: at.to_owned(),
    }))
}

fn slot_rank(slot: &str) -> usize {
    MediaSlot::ALL
        .iter()
        .position(|s| s.as_str() == slot)
        .unwrap_or(usize::MAX)
}

/// The media entry of `slot` if it holds `media_id` (a later upload replaces the slot's media, and
/// news about the replaced one change nothing).
fn media_of(doc: &mut VideoView, slot: MediaSlot, media_id: Uuid) -> Option<&mut MediaView> {
    doc.media
        .iter_mut()
        .find(|m| m.slot == slot.as_str() && m.media_id == media_id)
}

fn video(mut doc: VideoView, event: &VideoEvent) -> VideoView {
    match event {
        VideoEvent::VideoCreated(_) => {}
        VideoEvent::VideoUpdated(e) => {
            doc.title.clone_from(&e.title);
            doc.description.clone_from(&e.description);
            doc.launch_year = e.launch_year;
            doc.duration_minutes = e.duration_minutes;
            doc.rating = e.rating.as_str().to_owned();
            doc.opened = e.opened;
        }
        VideoEvent::VideoCategoryAttached(e) => {
            insert(&mut doc.categories, e.category_id.as_uuid())
        }
        VideoEvent::VideoCategoryDetached(e) => {
            remove(&mut doc.categories, e.category_id.as_uuid())
        }
        VideoEvent::VideoGenreAttached(e) => insert(&mut doc.genres, e.genre_id.as_uuid()),
        VideoEvent::VideoGenreDetached(e) => remove(&mut doc.genres, e.genre_id.as_uuid()),
        VideoEvent::VideoCastMemberAttached(e) => {
            insert(&mut doc.cast_members, e.cast_member_id.as_uuid());
        }
        VideoEvent::VideoCastMemberDetached(e) => {
            remove(&mut doc.cast_members, e.cast_member_id.as_uuid());
        }
        VideoEvent::VideoUploaded(e) => {
            let media = MediaView {
                slot: e.slot.as_str().to_owned(),
                media_id: e.media_id.as_uuid(),
                status: MediaStatus::Pending.as_str().to_owned(),
                checksum: e.checksum.clone(),
                size_bytes: e.size_bytes,
                content_type: e.content_type.clone(),
                raw_location: e.raw_location.clone(),
                encoded_location: None,
                error: None,
            };
            doc.media.retain(|m| m.slot != media.slot);
            doc.media.push(media);
            doc.media.sort_by_key(|m| slot_rank(&m.slot));
        }
        VideoEvent::MediaProcessingStarted(e) => {
            if let Some(media) = media_of(&mut doc, e.slot, e.media_id.as_uuid()) {
                media.status = MediaStatus::Processing.as_str().to_owned();
                media.error = None;
            }
        }
        VideoEvent::MediaProcessingCompleted(e) => {
            if let Some(media) = media_of(&mut doc, e.slot, e.media_id.as_uuid()) {
                media.status = MediaStatus::Completed.as_str().to_owned();
                media.encoded_location = Some(e.encoded_location.clone());
                media.error = None;
            }
        }
        VideoEvent::MediaProcessingFailed(e) => {
            if let Some(media) = media_of(&mut doc, e.slot, e.media_id.as_uuid()) {
                media.status = MediaStatus::Error.as_str().to_owned();
                media.error = Some(e.reason.clone());
            }
        }
        VideoEvent::VideoPublished(_) => doc.published = true,
        VideoEvent::VideoUnpublished(_) => doc.published = false,
        VideoEvent::VideoDeleted(_) => {
            doc.deleted = true;
            doc.published = false;
        }
    }
    doc
}
