//! Published videos: lists, one video, and search with facets.

use super::*;

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
    let (id, video) = state
        .one_video(&headers, &id, pairs, VideoView::visible)
        .await?;
    let video = video.ok_or_else(|| Problem::not_found(format!("no published video {id}")))?;
    let names = state.names([&video]).await?;
    Ok(cached(&headers, &names.video(video)))
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
    state
        .waiters
        .wait(
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
