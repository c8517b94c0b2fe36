//! The viewers' resources.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codeflix_auth::Role;
use codeflix_http::problem::Problem;
use codeflix_readmodel::Position;
use codeflix_readmodel::search::SearchQuery;
use codeflix_readmodel::store::{
    Audience, Cursor, Link, ListQuery, MEDIA_STATUS, SortKey, StoreError, VideoFilter,
};
use codeflix_readmodel::views::{Doc, DocKey, DocKind, VideoView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::QueryState;
use crate::consistency::{self, Projection};
use crate::model::{
    AdminVideoPage, CastMember, CastMemberPage, Category, CategoryPage, Genre, GenrePage,
    Highlights, NamedCount, Names, RatingCount, SearchFacets, SearchHit, SearchPage, Video,
    VideoPage, YearCount,
};
use crate::params::Params;

mod admin;
mod billing;
mod catalog;
mod notifications;
mod videos;

pub(crate) use admin::*;
pub(crate) use billing::*;
pub(crate) use catalog::*;
pub(crate) use notifications::*;
pub(crate) use videos::*;

const RATINGS: [&str; 7] = ["ER", "L", "10", "12", "14", "16", "18"];
const MEDIA_STATUSES: [&str; 4] = ["PENDING", "PROCESSING", "COMPLETED", "ERROR"];
const SORTS: [&str; 6] = [
    "title",
    "-title",
    "launch_year",
    "-launch_year",
    "created_at",
    "-created_at",
];

/// Advisory ratings, as filters take them.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) enum RatingParam {
    #[serde(rename = "ER")]
    Er,
    L,
    #[serde(rename = "10")]
    Age10,
    #[serde(rename = "12")]
    Age12,
    #[serde(rename = "14")]
    Age14,
    #[serde(rename = "16")]
    Age16,
    #[serde(rename = "18")]
    Age18,
}

/// Orders of video lists; `-` is descending. Ties are broken by id.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) enum SortParam {
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDescending,
    #[serde(rename = "launch_year")]
    LaunchYear,
    #[serde(rename = "-launch_year")]
    LaunchYearDescending,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDescending,
}

/// Filters shared by video lists and search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct VideoFilterParams {
    /// Only videos in this category.
    category: Option<Uuid>,
    /// Only videos of this genre.
    genre: Option<Uuid>,
    /// Only videos with this cast member.
    cast_member: Option<Uuid>,
    /// Only videos launched this year.
    #[param(minimum = 1888, maximum = 9999)]
    year: Option<u16>,
    rating: Option<RatingParam>,
    /// Consistency tokens from the command API (also accepted as the
    /// `Codeflix-Consistency-Token` header): answer only once they are visible.
    #[param(
        max_length = 4096,
        pattern = r"^[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18}(,[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18})*$"
    )]
    consistency_token: Option<String>,
}

/// The states of a video's media, as the admins' filter takes them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum MediaStatusParam {
    Pending,
    Processing,
    Completed,
    Error,
}

/// Filters only admins have.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct AdminVideoFilterParams {
    /// Only videos with a file in this state: `ERROR` lists the failed encodings.
    media_status: Option<MediaStatusParam>,
    /// Only videos whose title starts with this (case-insensitive); they are listed by title
    /// A–Z, and `sort` is ignored.
    #[param(max_length = 200)]
    q: Option<String>,
}

/// Paging of lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct PageParams {
    /// `next_cursor` of the previous page.
    #[param(
        max_length = 2048,
        pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.([0-9a-f]{2})*$"
    )]
    cursor: Option<String>,
    /// Items per page, 20 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SortParams {
    sort: Option<SortParam>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SearchParams {
    /// Words to find in titles and descriptions (typos tolerated); empty browses everything.
    #[param(max_length = 500)]
    q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Hits to skip, for the next pages.
    #[param(minimum = 0, maximum = 10000)]
    offset: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ConsistencyParams {
    /// Consistency tokens from the command API (also accepted as the
    /// `Codeflix-Consistency-Token` header): answer only once they are visible.
    #[param(
        max_length = 4096,
        pattern = r"^[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18}(,[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18})*$"
    )]
    consistency_token: Option<String>,
}

type Pairs = Query<Vec<(String, String)>>;

fn video(doc: Doc) -> Option<VideoView> {
    match doc {
        Doc::Video(v) => Some(v),
        _ => None,
    }
}

/// The `{id}` of a path as a UUID, or a broken rule.
fn path_id(id: &str, params: &mut Params) -> Option<Uuid> {
    let parsed = Uuid::parse_str(id).ok();
    if parsed.is_none() {
        params.error("id", "must be a UUID");
    }
    parsed
}

fn unavailable(e: StoreError) -> Problem {
    Problem::fault("reading a read model", &e)
}

/// JSON with a strong ETag of its bytes; 304 when the client has it.
fn cached<T: Serialize>(headers: &HeaderMap, body: &T) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => return Problem::unavailable(e.to_string()).into_response(),
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == tag
        });
    let etag = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static("no-cache");
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

/// The request's consistency tokens, from the header and the parameter.
fn tokens(headers: &HeaderMap, params: &mut Params) -> Vec<Position> {
    let mut tokens = Vec::new();
    for value in headers.get_all(consistency::HEADER) {
        // A header that is not text parses as an empty list, which is refused with the rule.
        match consistency::parse(
            value.to_str().unwrap_or_default(),
            "Codeflix-Consistency-Token",
        ) {
            Ok(found) => tokens.extend(found),
            Err(e) => params.error(&e.field, &e.rule),
        }
    }
    if let Some(text) = params.text(consistency::PARAMETER, 4096) {
        match consistency::parse(&text, consistency::PARAMETER) {
            Ok(found) => tokens.extend(found),
            Err(e) => params.error(&e.field, &e.rule),
        }
    }
    tokens
}

fn filter(params: &mut Params) -> VideoFilter {
    VideoFilter {
        category: params.uuid("category"),
        genre: params.uuid("genre"),
        cast_member: params.uuid("cast_member"),
        launch_year: params.integer("year", 1888, 9999).map(|y| y as u16),
        rating: params.one_of("rating", &RATINGS).map(str::to_owned),
    }
}

/// `q`, the start of a name to find (case-insensitive), when given.
fn name_prefix(params: &mut Params) -> Option<String> {
    // Letter by letter: a whole-word lowercase would end "ΑΣ" in a final ς, which the stored
    // "αστρο" (Σ inside a word) does not start with.
    params
        .text("q", 200)
        .map(|q| {
            q.trim()
                .chars()
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|q| !q.is_empty())
}

/// Where a name-ordered (A–Z) list of names starting with `prefix` begins: names sort
/// case-insensitively, so at the prefix itself.
fn from_prefix(after: Option<Cursor>, prefix: Option<&str>) -> Option<Cursor> {
    after.or_else(|| {
        prefix.map(|q| Cursor {
            value: q.to_owned(),
            id: Uuid::nil(),
        })
    })
}

/// How many documents to ask the store for: one more than a page when a prefix is given, so
/// that [`within_prefix`] knows whether another name with it follows.
fn with_lookahead(limit: usize, prefix: Option<&str>) -> usize {
    limit + usize::from(prefix.is_some())
}

/// The documents of `page` (asked for with [`with_lookahead`]) up to the first name without
/// `prefix`, at most `limit`; a next page only when another name with the prefix follows.
fn within_prefix(
    page: codeflix_readmodel::store::Page,
    prefix: Option<&str>,
    limit: usize,
) -> (Vec<Doc>, Option<Cursor>) {
    let Some(prefix) = prefix else {
        return (page.docs, page.next);
    };
    let mut docs: Vec<Doc> = page
        .docs
        .into_iter()
        .take_while(|d| d.name().to_lowercase().starts_with(prefix))
        .collect();
    if docs.len() <= limit {
        return (docs, None);
    }
    docs.truncate(limit);
    let next = docs.last().map(|last| Cursor::after(SortKey::Name, last));
    (docs, next)
}

fn page(params: &mut Params) -> (Option<Cursor>, usize) {
    let cursor = params.text("cursor", 2048).and_then(|text| {
        let cursor = Cursor::decode(&text);
        if cursor.is_none() {
            params.error("cursor", "must be a next_cursor this API returned");
        }
        cursor
    });
    let limit = params.integer("limit", 1, 100).unwrap_or(20) as usize;
    (cursor, limit)
}

impl QueryState {
    fn catalog_projection(&self) -> Projection<'_> {
        Projection {
            name: "catalog",
            store: self.catalog.as_ref(),
            topics: &self.catalog_topics,
        }
    }

    fn search_projection(&self) -> Projection<'_> {
        Projection {
            name: "search",
            store: self.search.as_ref(),
            topics: &self.search_topics,
        }
    }

    /// The video `id` if `shown` admits it, once the request's consistency tokens are applied.
    async fn one_video(
        &self,
        headers: &HeaderMap,
        id: &str,
        pairs: Vec<(String, String)>,
        shown: impl Fn(&VideoView) -> bool,
    ) -> Result<(Uuid, Option<VideoView>), Problem> {
        let mut params = Params::new(pairs);
        let tokens = tokens(headers, &mut params);
        let id = path_id(id, &mut params);
        params.finish()?;
        let id = id.ok_or_else(|| Problem::bad_request("id must be a UUID"))?;
        self.waiters
            .wait(&[self.catalog_projection()], &tokens, self.consistency_wait)
            .await?;
        let found = self
            .catalog
            .load(&[DocKey {
                kind: DocKind::Video,
                id,
            }])
            .await
            .map_err(unavailable)?;
        let video = found.into_iter().find_map(|doc| match doc {
            Doc::Video(v) if shown(&v) => Some(v),
            _ => None,
        });
        Ok((id, video))
    }

    async fn names<'a>(
        &self,
        videos: impl IntoIterator<Item = &'a VideoView>,
    ) -> Result<Names, Problem> {
        let keys = Names::wanted(videos);
        Ok(Names::new(
            self.catalog.load(&keys).await.map_err(unavailable)?,
        ))
    }

    /// [`QueryState::list`], keeping what `pick` takes from each document.
    async fn items<T>(
        &self,
        kind: DocKind,
        pairs: Vec<(String, String)>,
        headers: &HeaderMap,
        audience: Audience,
        pick: impl FnMut(Doc) -> Option<T>,
    ) -> Result<(Vec<T>, Option<String>), Problem> {
        let sortable = kind == DocKind::Video;
        let (docs, next) = self.list(kind, pairs, headers, sortable, audience).await?;
        Ok((docs.into_iter().filter_map(pick).collect(), next))
    }

    async fn list(
        &self,
        kind: DocKind,
        pairs: Vec<(String, String)>,
        headers: &HeaderMap,
        sortable: bool,
        audience: Audience,
    ) -> Result<(Vec<Doc>, Option<String>), Problem> {
        let mut params = Params::new(pairs);
        let tokens = tokens(headers, &mut params);
        let filter = if kind == DocKind::Video {
            filter(&mut params)
        } else {
            VideoFilter::default()
        };
        // Admins find videos by their media's state: `ERROR` lists the failed encodings.
        let links = if kind == DocKind::Video && audience == Audience::Admins {
            params
                .one_of("media_status", &MEDIA_STATUSES)
                .map(|status| vec![Link::new(MEDIA_STATUS, status)])
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        // And by the start of the title, A–Z.
        let prefix = (kind == DocKind::Video && audience == Audience::Admins)
            .then(|| name_prefix(&mut params))
            .flatten();
        let (after, limit) = page(&mut params);
        let sort = if sortable {
            params.one_of("sort", &SORTS)
        } else {
            None
        };
        params.finish()?;
        let after = from_prefix(after, prefix.as_deref());
        // A prefix is found in title order, A–Z, whatever `sort` says.
        let sort = if prefix.is_some() { None } else { sort };
        let (sort, descending) = match sort.unwrap_or("title") {
            "-title" => (SortKey::Name, true),
            "launch_year" => (SortKey::LaunchYear, false),
            "-launch_year" => (SortKey::LaunchYear, true),
            "created_at" => (SortKey::CreatedAt, false),
            "-created_at" => (SortKey::CreatedAt, true),
            _ => (SortKey::Name, false),
        };
        self.waiters
            .wait(&[self.catalog_projection()], &tokens, self.consistency_wait)
            .await?;
        let page = self
            .catalog
            .list(&ListQuery {
                filter,
                links,
                sort,
                descending,
                after,
                limit: with_lookahead(limit, prefix.as_deref()),
                audience,
                ..ListQuery::new(kind)
            })
            .await
            .map_err(unavailable)?;
        let (docs, next) = within_prefix(page, prefix.as_deref(), limit);
        Ok((docs, next.map(|c| c.encode())))
    }
}
