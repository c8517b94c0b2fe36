//! The ports projections write to and the query API reads from.
//!
//! [`DocStore`] is what a projection needs: load documents ([`DocReads`]), and commit documents
//! together with the positions they bring the projection to — atomically (SQLite, tantivy) or
//! idempotently by version (ScyllaDB, Elasticsearch), so that a redelivered event changes nothing.
//! [`CatalogReads`] lists documents for the viewers and the admins.

#[cfg(any(test, feature = "testsuite"))]
pub mod conformance;
pub mod scylla;
pub mod sqlite;

use std::fmt;

use async_trait::async_trait;
use uuid::Uuid;

use crate::Position;
use crate::views::{Doc, DocKey, DocKind};

/// Something a store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The engine failed (I/O, network, the engine's own error); the cause is the source.
    #[error("store")]
    Backend(#[source] BoxError),
    #[error("store holds a document it cannot read: {0}")]
    Corrupt(String),
}

/// An engine's error, whatever its type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub(crate) fn backend(e: impl Into<BoxError>) -> StoreError {
    StoreError::Backend(e.into())
}

/// What one projection round writes: documents at their new versions, and how far the projection
/// has read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub docs: Vec<Doc>,
    pub positions: Vec<Position>,
}

/// What every store and index answers: documents by key, positions, exports. The query API
/// holds stores through this port (and the richer [`CatalogReads`] and
/// [`crate::search::SearchReads`] built on it), so it cannot write.
#[async_trait]
pub trait DocReads: Send + Sync + fmt::Debug {
    /// The documents of `keys` that exist, in any order.
    async fn load(&self, keys: &[DocKey]) -> Result<Vec<Doc>, StoreError>;

    /// How far the projection has read each partition: the next offset it will read.
    async fn positions(&self) -> Result<Vec<Position>, StoreError>;

    /// Every document, sorted by key: for exports and for comparing two builds.
    async fn export(&self) -> Result<Vec<Doc>, StoreError>;
}

/// A projection's store: the writing port, held only by projections.
#[async_trait]
pub trait DocStore: DocReads {
    /// Writes documents and positions. A document is only replaced by a higher version, so
    /// committing the same changes twice changes nothing.
    async fn commit(&self, changes: Changes) -> Result<(), StoreError>;
}

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    /// Only what viewers may see ([`Doc::visible`]).
    #[default]
    Viewers,
    /// Everything not deleted.
    Admins,
}

/// Filters on videos; ignored for other kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VideoFilter {
    pub category: Option<Uuid>,
    pub genre: Option<Uuid>,
    pub cast_member: Option<Uuid>,
    pub launch_year: Option<u16>,
    pub rating: Option<String>,
}

/// What lists are ordered by; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Name (videos: title), case-insensitive.
    #[default]
    Name,
    /// Launch year (videos only; other kinds sort by name).
    LaunchYear,
    CreatedAt,
    /// When the scheduler has something to do (subscriptions only; others sort by name);
    /// subscriptions with nothing due come last.
    Due,
}

/// The sort value of a subscription with nothing due: after every RFC 3339 instant.
const NEVER: &str = "~";

impl SortKey {
    /// The value a document sorts by under this key.
    pub fn value(self, doc: &Doc) -> String {
        match (self, doc) {
            (SortKey::LaunchYear, Doc::Video(video)) => format!("{:05}", video.launch_year),
            (SortKey::Due, Doc::Subscription(s)) => {
                s.next_due_at.clone().unwrap_or_else(|| NEVER.to_owned())
            }
            (SortKey::CreatedAt, doc) => doc.created_at().to_owned(),
            (_, doc) => doc.name().to_lowercase(),
        }
    }

    /// The orders documents of `kind` are listed in.
    pub fn of(kind: DocKind) -> &'static [SortKey] {
        match kind {
            DocKind::Subscription => &[SortKey::Name, SortKey::CreatedAt, SortKey::Due],
            DocKind::Notification => &[SortKey::Name, SortKey::CreatedAt],
            // Read by key only (a video's media), never listed: no list rows to keep.
            DocKind::Encoding => &[],
            _ => &[SortKey::Name, SortKey::LaunchYear, SortKey::CreatedAt],
        }
    }
}

/// Where the previous page ended: the last document's sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn after(key: SortKey, doc: &Doc) -> Cursor {
        Cursor {
            value: key.value(doc),
            id: doc.key().id,
        }
    }

    /// Text for clients: the id, a dot, and the sort value's UTF-8 bytes in lowercase hex (any
    /// text of that shape is a cursor: the page after that point).
    pub fn encode(&self) -> String {
        let hex: String = self.value.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{}.{hex}", self.id)
    }

    /// The pattern every encoded cursor matches (and every match decodes).
    pub const PATTERN: &'static str =
        "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.([0-9a-f]{2})*$";

    pub fn decode(text: &str) -> Option<Cursor> {
        let (id, hex) = text.split_once('.')?;
        if id.len() != 36 || id.bytes().any(|b| b.is_ascii_uppercase()) || hex.len() % 2 != 0 {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                let pair = hex.get(i..i + 2)?;
                if pair.bytes().any(|b| b.is_ascii_uppercase()) {
                    return None;
                }
                u8::from_str_radix(pair, 16).ok()
            })
            .collect::<Option<Vec<u8>>>()?;
        Some(Cursor {
            value: String::from_utf8_lossy(&bytes).into_owned(),
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// A document's reference to something lists filter on: another document (`category` →
/// its id) or a value (`status` → `ACTIVE`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    /// `category`, `genre`, `cast_member`, `media_status`, `plan`, `account`, `status`,
    /// `channel` or `kind`.
    pub field: &'static str,
    pub value: String,
}

impl Link {
    pub fn new(field: &'static str, value: impl ToString) -> Link {
        Link {
            field,
            value: value.to_string(),
        }
    }

    fn to(kind: DocKind, id: Uuid) -> Link {
        Link::new(kind.as_str(), id)
    }
}

/// The link of a video to each status its media are in (`PENDING`, `PROCESSING`, `COMPLETED`,
/// `ERROR`).
pub const MEDIA_STATUS: &str = "media_status";

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub kind: DocKind,
    pub audience: Audience,
    pub filter: VideoFilter,
    /// Only documents with every one of these links (any kind).
    pub links: Vec<Link>,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: usize,
}

impl ListQuery {
    pub fn new(kind: DocKind) -> ListQuery {
        ListQuery {
            kind,
            audience: Audience::Viewers,
            filter: VideoFilter::default(),
            links: Vec::new(),
            sort: SortKey::Name,
            descending: false,
            after: None,
            limit: 50,
        }
    }

    /// Whether `doc` belongs in this list (ignoring the cursor).
    pub fn admits(&self, doc: &Doc) -> bool {
        if doc.key().kind != self.kind {
            return false;
        }
        let shown = match self.audience {
            Audience::Viewers => doc.visible(),
            Audience::Admins => !doc.deleted(),
        };
        if !shown {
            return false;
        }
        if !self.links.is_empty() {
            let held = links(doc);
            if !self.links.iter().all(|link| held.contains(link)) {
                return false;
            }
        }
        let Doc::Video(video) = doc else {
            return true;
        };
        let f = &self.filter;
        f.category.is_none_or(|id| video.categories.contains(&id))
            && f.genre.is_none_or(|id| video.genres.contains(&id))
            && f.cast_member
                .is_none_or(|id| video.cast_members.contains(&id))
            && f.launch_year.is_none_or(|year| video.launch_year == year)
            && f.rating.as_ref().is_none_or(|r| &video.rating == r)
    }
}

/// Documents in list order, and where the next page starts if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub docs: Vec<Doc>,
    pub next: Option<Cursor>,
}

/// The catalog's reads.
#[async_trait]
pub trait CatalogReads: DocReads {
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError>;
}

/// A catalog store as the process that projects into it holds it: the reads and the writing
/// port (the query API is handed only the [`CatalogReads`] of it).
pub trait Catalog: CatalogReads + DocStore {}

impl<T: CatalogReads + DocStore + ?Sized> Catalog for T {}

/// What a document refers to: what lists filter on.
pub fn links(doc: &Doc) -> Vec<Link> {
    fn tag(kind: DocKind, ids: &[Uuid]) -> impl Iterator<Item = Link> + '_ {
        ids.iter().map(move |&id| Link::to(kind, id))
    }
    match doc {
        Doc::Video(v) => {
            let mut statuses: Vec<&str> = v.media.iter().map(|m| m.status.as_str()).collect();
            statuses.sort_unstable();
            statuses.dedup();
            tag(DocKind::Category, &v.categories)
                .chain(tag(DocKind::Genre, &v.genres))
                .chain(tag(DocKind::CastMember, &v.cast_members))
                // Each status any of its media is in: the admins' "failed encodings" list.
                .chain(statuses.into_iter().map(|s| Link::new(MEDIA_STATUS, s)))
                .collect()
        }
        Doc::Genre(g) => tag(DocKind::Category, &g.categories).collect(),
        Doc::Subscription(s) => vec![
            Link::to(DocKind::Plan, s.plan_id),
            Link::to(
                DocKind::Account,
                crate::views::account_doc_id(&s.account_id),
            ),
            Link::new("status", &s.status),
        ],
        Doc::Notification(n) => {
            let mut links = vec![
                Link::new("status", &n.status),
                Link::new("channel", &n.channel),
                Link::new("kind", &n.kind),
            ];
            if let Some(account) = &n.account {
                links.push(Link::to(
                    DocKind::Account,
                    crate::views::account_doc_id(account),
                ));
            }
            links
        }
        _ => Vec::new(),
    }
}

/// Whether lists of `kind` are kept per link too (the others filter links per row).
pub fn listed_by_link(kind: DocKind) -> bool {
    matches!(
        kind,
        DocKind::Video | DocKind::Subscription | DocKind::Notification
    )
}

/// The link a list of `query` is narrowed to in stores that keep a list per link: a video
/// filter's, else the first of its links.
pub fn narrowest_link(query: &ListQuery) -> Option<Link> {
    if !listed_by_link(query.kind) {
        return None;
    }
    let f = &query.filter;
    let video = (query.kind == DocKind::Video)
        .then(|| {
            f.category
                .map(|id| Link::to(DocKind::Category, id))
                .or(f.genre.map(|id| Link::to(DocKind::Genre, id)))
                .or(f.cast_member.map(|id| Link::to(DocKind::CastMember, id)))
        })
        .flatten();
    video.or_else(|| query.links.first().cloned())
}
