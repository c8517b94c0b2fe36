//! The admins' view of the catalog: videos with drafts and their media's processing state;
//! categories, genres and cast members active or not, found by the start of their names.

use super::*;
use crate::model::{
    AdminCastMember, AdminCastMemberPage, AdminCategory, AdminCategoryPage, AdminGenre,
    AdminGenrePage,
};

/// 401 without a valid bearer token, 403 without `role` (or `catalog-admin`).
async fn admin_with(state: &QueryState, headers: &HeaderMap, role: Role) -> Result<(), Problem> {
    let principal = codeflix_http::auth::authenticate(&state.verifier, headers).await?;
    codeflix_http::auth::require(&principal, role)
}

/// 401 without a valid bearer token, 403 without `catalog-videos` (or `catalog-admin`).
async fn admin(state: &QueryState, headers: &HeaderMap) -> Result<(), Problem> {
    admin_with(state, headers, Role::Videos).await
}

/// How admins find catalog items by name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct NameSearchParams {
    /// Only those whose name starts with this (case-insensitive); they are listed A–Z, and
    /// `sort` is ignored.
    #[param(max_length = 200)]
    q: Option<String>,
    /// `name` (the default) or `-name` (Z–A).
    #[param(pattern = "^-?name$")]
    sort: Option<String>,
}

/// Every `kind` not deleted, active or not, by name, a page at a time; from the name prefix `q`
/// when given (names sort case-insensitively, so a prefix starts at itself and ends at the
/// first name without it).
async fn by_name(
    state: &QueryState,
    kind: DocKind,
    pairs: Vec<(String, String)>,
    headers: &HeaderMap,
) -> Result<(Vec<Doc>, Option<String>), Problem> {
    let mut params = Params::new(pairs);
    let tokens = tokens(headers, &mut params);
    let prefix = name_prefix(&mut params);
    // A prefix is found A–Z, whatever `sort` says.
    let descending = params.one_of("sort", &["name", "-name"]) == Some("-name") && prefix.is_none();
    let (after, limit) = page(&mut params);
    params.finish()?;
    let after = from_prefix(after, prefix.as_deref());
    state
        .waiters
        .wait(
            &[state.catalog_projection()],
            &tokens,
            state.consistency_wait,
        )
        .await?;
    let page = state
        .catalog
        .list(&ListQuery {
            audience: Audience::Admins,
            sort: SortKey::Name,
            descending,
            after,
            limit: with_lookahead(limit, prefix.as_deref()),
            ..ListQuery::new(kind)
        })
        .await
        .map_err(unavailable)?;
    let (docs, next) = within_prefix(page, prefix.as_deref(), limit);
    Ok((docs, next.map(|c| c.encode())))
}

/// Every category not deleted, active or not, by name.
#[utoipa::path(
    get, path = "/admin/categories", tag = "admin",
    params(NameSearchParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of categories", body = AdminCategoryPage))
)]
pub(crate) async fn admin_list_categories(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin_with(&state, &headers, Role::Categories).await?;
    let (docs, next_cursor) = by_name(&state, DocKind::Category, pairs, &headers).await?;
    let items = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::Category(c) => Some(AdminCategory {
                id: c.id,
                name: c.name,
                description: c.description,
                active: c.active,
                version: c.version,
                created_at: c.created_at,
                updated_at: c.updated_at,
            }),
            _ => None,
        })
        .collect();
    Ok(cached(&headers, &AdminCategoryPage { items, next_cursor }))
}

/// Every genre not deleted, active or not, by name, with its categories.
#[utoipa::path(
    get, path = "/admin/genres", tag = "admin",
    params(NameSearchParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of genres", body = AdminGenrePage))
)]
pub(crate) async fn admin_list_genres(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin_with(&state, &headers, Role::Genres).await?;
    let (docs, next_cursor) = by_name(&state, DocKind::Genre, pairs, &headers).await?;
    let names = Names::for_admins(super::catalog::genres_categories(&state, &docs).await?);
    let items = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::Genre(g) => Some(AdminGenre {
                categories: names.named(DocKind::Category, &g.categories),
                id: g.id,
                name: g.name,
                active: g.active,
                version: g.version,
                created_at: g.created_at,
                updated_at: g.updated_at,
            }),
            _ => None,
        })
        .collect();
    Ok(cached(&headers, &AdminGenrePage { items, next_cursor }))
}

/// Every cast member not deleted, by name.
#[utoipa::path(
    get, path = "/admin/cast-members", tag = "admin",
    params(NameSearchParams, PageParams, ConsistencyParams),
    responses((status = 200, description = "A page of cast members", body = AdminCastMemberPage))
)]
pub(crate) async fn admin_list_cast_members(
    State(state): State<QueryState>,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Result<Response, Problem> {
    admin_with(&state, &headers, Role::CastMembers).await?;
    let (docs, next_cursor) = by_name(&state, DocKind::CastMember, pairs, &headers).await?;
    let items = docs
        .into_iter()
        .filter_map(|d| match d {
            Doc::CastMember(c) => Some(AdminCastMember {
                id: c.id,
                name: c.name,
                kind: c.kind,
                version: c.version,
                created_at: c.created_at,
                updated_at: c.updated_at,
            }),
            _ => None,
        })
        .collect();
    Ok(cached(
        &headers,
        &AdminCastMemberPage { items, next_cursor },
    ))
}

/// Every video that is not deleted, drafts included, with its media's processing state.
#[utoipa::path(
    get, path = "/admin/videos", tag = "admin",
    params(VideoFilterParams, AdminVideoFilterParams, SortParams, PageParams),
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
            .load(&Names::wanted_with_encodings(&videos))
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
    let (id, video) = state
        .one_video(&headers, &id, pairs, |v| !v.deleted)
        .await?;
    let video = video.ok_or_else(|| Problem::not_found(format!("no video {id}")))?;
    let names = Names::for_admins(
        state
            .catalog
            .load(&Names::wanted_with_encodings([&video]))
            .await
            .map_err(unavailable)?,
    );
    Ok(cached(&headers, &names.admin_video(video)))
}
