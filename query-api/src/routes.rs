//! The viewers' resources.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codeflix_auth::Role;
use codeflix_http::problem::Problem;
use codeflix_readmodel::Position;
use codeflix_readmodel::search::SearchQuery;
use codeflix_readmodel::store::{Audience, Cursor, ListQuery, SortKey, StoreError, VideoFilter};
use codeflix_readmodel::views::{Doc, DocKey, DocKind, VideoView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::QueryState;
use crate::consistency::{self, Projection};
use crate::model::{
    AdminVideoPage, CastMemberPage, CastRef, Category, CategoryPage, Genre, GenrePage, Highlights,
    NamedCount, Names, RatingCount, SearchFacets, SearchHit, SearchPage, Video, VideoPage,
    YearCount,
};
use crate::params::Params;

const RATINGS: [&str; 7] = ["ER", "L", "10", "12", "14", "16", "18"];
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
    tracing::error!(error = %e, "reading a read model");
    Problem::unavailable(e.to_string())
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
        let (after, limit) = page(&mut params);
        let sort = if sortable {
            params.one_of("sort", &SORTS)
        } else {
            None
        };
        params.finish()?;
        let (sort, descending) = match sort.unwrap_or("title") {
            "-title" => (SortKey::Name, true),
            "launch_year" => (SortKey::LaunchYear, false),
            "-launch_year" => (SortKey::LaunchYear, true),
            "created_at" => (SortKey::CreatedAt, false),
            "-created_at" => (SortKey::CreatedAt, true),
            _ => (SortKey::Name, false),
        };
        consistency::wait(&[self.catalog_projection()], &tokens, self.consistency_wait).await?;
        let page = self
            .catalog
            .list(&ListQuery {
                filter,
                sort,
                descending,
                after,
                limit,
                audience,
                ..ListQuery::new(kind)
            })
            .await
            .map_err(unavailable)?;
        Ok((page.docs, page.next.map(|c| c.encode())))
    }
}

/// List published videos, filtered and sorted, a page at a time.
#[utoipa::path(
    get, path = "/videos", tag = "videos",
    params(VideoFilterParams, SortParams, PageParams),
    responses((status = 200, description = "A page of published videos", body = VideoPage))
)]
pub(crate) async fn list_videos(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (videos, next_cursor) = state
        .items(DocKind::Video, pairs, &headers, Audience::Viewers, video)
        .await?;
    let names = state.names(&videos).await?;
    let items = videos.into_iter().map(|v| names.video(v)).collect();
    Ok(cached(&headers, &VideoPage { items, next_cursor }))
}

/// One published video.
#[utoipa::path(
    get, path = "/videos/{id}", tag = "videos",
    params(("id" = Uuid, Path, description = "The video's id"), ConsistencyParams),
    responses((status = 200, description = "The video", body = Video))
)]
pub(crate) async fn get_video(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let id = path_id(&id, &mut params);
    params.finish()?;
    let id = id.ok_or_else(|| Problem::bad_request("id must be a UUID"))?;
    consistency::wait(
        &[state.catalog_projection()],
        &tokens,
        state.consistency_wait,
    )
    .await?;
    let found = state
        .catalog
        .load(&[DocKey {
            kind: DocKind::Video,
            id,
        }])
        .await
        .map_err(unavailable)?;
    let video = found
        .into_iter()
        .find_map(|doc| match doc {
            Doc::Video(v) if v.visible() => Some(v),
            _ => None,
        })
        .ok_or_else(|| Problem::not_found(format!("no published video {id}")))?;
    let names = state.names([&video]).await?;
    Ok(cached(&headers, &names.video(video)))
}

/// Active categories by name.
#[utoipa::path(
    get, path = "/categories", tag = "catalog",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of categories", body = CategoryPage))
)]
pub(crate) async fn list_categories(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (items, next_cursor) = state
        .items(
            DocKind::Category,
            pairs,
            &headers,
            Audience::Viewers,
            |d| match d {
                Doc::Category(c) => Some(Category {
                    id: c.id,
                    name: c.name,
                    description: c.description,
                }),
                _ => None,
            },
        )
        .await?;
    Ok(cached(&headers, &CategoryPage { items, next_cursor }))
}

/// Active genres by name, with their categories.
#[utoipa::path(
    get, path = "/genres", tag = "catalog",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of genres", body = GenrePage))
)]
pub(crate) async fn list_genres(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (docs, next_cursor) = state
        .list(DocKind::Genre, pairs, &headers, false, Audience::Viewers)
        .await?;
    let mut keys: Vec<DocKey> = docs
        .iter()
        .filter_map(|d| match d {
            Doc::Genre(g) => Some(g.categories.iter().map(|&id| DocKey {
                kind: DocKind::Category,
                id,
            })),
            _ => None,
        })
        .flatten()
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let names = Names::new(state.catalog.load(&keys).await.map_err(unavailable)?);
    let items = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::Genre(g) => Some(Genre {
                categories: names.named(DocKind::Category, &g.categories),
                id: g.id,
                name: g.name,
            }),
            _ => None,
        })
        .collect();
    Ok(cached(&headers, &GenrePage { items, next_cursor }))
}

/// Cast members by name.
#[utoipa::path(
    get, path = "/cast-members", tag = "catalog",
    params(PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of cast members", body = CastMemberPage))
)]
pub(crate) async fn list_cast_members(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let (items, next_cursor) = state
        .items(
            DocKind::CastMember,
            pairs,
            &headers,
            Audience::Viewers,
            |d| match d {
                Doc::CastMember(c) => Some(CastRef {
                    id: c.id,
                    name: c.name,
                    kind: c.kind,
                }),
                _ => None,
            },
        )
        .await?;
    Ok(cached(&headers, &CastMemberPage { items, next_cursor }))
}

/// Search published videos by title and description, with facets.
#[utoipa::path(
    get, path = "/search", tag = "videos",
    params(SearchParams, VideoFilterParams),
    responses((status = 200, description = "Matches, best first, and facet counts", body = SearchPage))
)]
pub(crate) async fn search(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let text = params.text("q", 500).unwrap_or_default();
    let filter = filter(&mut params);
    let limit = params.integer("limit", 1, 100).unwrap_or(20) as usize;
    let offset = params.integer("offset", 0, 10_000).unwrap_or(0) as usize;
    params.finish()?;
    consistency::wait(
        &[state.search_projection(), state.catalog_projection()],
        &tokens,
        state.consistency_wait,
    )
    .await?;
    let found = state
        .search
        .search(&SearchQuery {
            text,
            filter,
            limit,
            offset,
        })
        .await
        .map_err(unavailable)?;
    let f = &found.facets;
    let mut keys = Names::wanted(found.hits.iter().map(|h| &h.video));
    for (kind, ids) in [
        (DocKind::Category, &f.categories),
        (DocKind::Genre, &f.genres),
        (DocKind::CastMember, &f.cast_members),
    ] {
        keys.extend(ids.iter().map(|&(id, _)| DocKey { kind, id }));
    }
    keys.sort_unstable();
    keys.dedup();
    let names = Names::new(state.catalog.load(&keys).await.map_err(unavailable)?);
    let counted = |kind: DocKind, counts: &[(Uuid, u64)]| -> Vec<NamedCount> {
        counts
            .iter()
            .filter_map(|&(id, count)| {
                names.named(kind, &[id]).pop().map(|n| NamedCount {
                    id,
                    name: n.name,
                    count,
                })
            })
            .collect()
    };
    let facets = SearchFacets {
        categories: counted(DocKind::Category, &f.categories),
        genres: counted(DocKind::Genre, &f.genres),
        cast_members: counted(DocKind::CastMember, &f.cast_members),
        launch_years: f
            .launch_years
            .iter()
            .map(|&(year, count)| YearCount { year, count })
            .collect(),
        ratings: f
            .ratings
            .iter()
            .map(|(rating, count)| RatingCount {
                rating: rating.clone(),
                count: *count,
            })
            .collect(),
    };
    let items = found
        .hits
        .into_iter()
        .map(|hit| SearchHit {
            highlights: Highlights {
                title: hit.title_html,
                description: hit.description_html,
            },
            score: hit.score,
            video: names.video(hit.video),
        })
        .collect();
    Ok(cached(
        &headers,
        &SearchPage {
            total: found.total as u64,
            items,
            facets,
        },
    ))
}

/// 401 without a valid bearer token, 403 without `catalog-videos` (or `catalog-admin`).
async fn admin(state: &QueryState, headers: &HeaderMap) -> Result<(), Problem> {
    let principal = codeflix_http::auth::authenticate(&state.verifier, headers).await?;
    codeflix_http::auth::require(&principal, Role::Videos)
}

/// Every video that is not deleted, drafts included, with its media's processing state.
#[utoipa::path(
    get, path = "/admin/videos", tag = "admin",
    params(VideoFilterParams, SortParams, PageParams),
    responses((status = 200, description = "A page of videos", body = AdminVideoPage))
)]
pub(crate) async fn admin_list_videos(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers).await?;
    let (videos, next_cursor) = state
        .items(DocKind::Video, pairs, &headers, Audience::Admins, video)
        .await?;
    let names = Names::for_admins(
        state
            .catalog
            .load(&Names::wanted(&videos))
            .await
            .map_err(unavailable)?,
    );
    let items = videos.into_iter().map(|v| names.admin_video(v)).collect();
    Ok(cached(&headers, &AdminVideoPage { items, next_cursor }))
}

/// One video that is not deleted, draft or published, with its media's processing state.
#[utoipa::path(
    get, path = "/admin/videos/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "The video's id"), ConsistencyParams),
    responses((status = 200, description = "The video", body = crate::model::AdminVideo))
)]
pub(crate) async fn admin_get_video(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin(&state, &headers).await?;
    let mut params = Params::new(pairs);
    let tokens = tokens(&headers, &mut params);
    let id = path_id(&id, &mut params);
    params.finish()?;
    let id = id.ok_or_else(|| Problem::bad_request("id must be a UUID"))?;
    consistency::wait(
        &[state.catalog_projection()],
        &tokens,
        state.consistency_wait,
    )
    .await?;
    let video = state
        .catalog
        .load(&[DocKey {
            kind: DocKind::Video,
            id,
        }])
        .await
        .map_err(unavailable)?
        .into_iter()
        .find_map(|doc| match doc {
            Doc::Video(v) if !v.deleted => Some(v),
            _ => None,
        })
        .ok_or_else(|| Problem::not_found(format!("no video {id}")))?;
    let names = Names::for_admins(
        state
            .catalog
            .load(&Names::wanted([&video]))
            .await
            .map_err(unavailable)?,
    );
    Ok(cached(&headers, &names.admin_video(video)))
}
