//! The catalog's lists: categories, genres and cast members.

use super::*;

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
                    version: c.version,
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
    let names = Names::new(genres_categories(&state, &docs).await?);
    let items = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::Genre(g) => Some(Genre {
                categories: names.named(DocKind::Category, &g.categories),
                id: g.id,
                name: g.name,
                version: g.version,
            }),
            _ => None,
        })
        .collect();
    Ok(cached(&headers, &GenrePage { items, next_cursor }))
}

/// The categories `docs` (genres) belong to, loaded for their names.
pub(super) async fn genres_categories(
    state: &QueryState,
    docs: &[Doc],
) -> Result<Vec<Doc>, Problem> {
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
    state.catalog.load(&keys).await.map_err(unavailable)
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
                Doc::CastMember(c) => Some(CastMember {
                    id: c.id,
                    name: c.name,
                    kind: c.kind,
                    version: c.version,
                }),
                _ => None,
            },
        )
        .await?;
    Ok(cached(&headers, &CastMemberPage { items, next_cursor }))
}
