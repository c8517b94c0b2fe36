//! The admins' view of videos: drafts included, with their media's processing state.

use super::*;

/// 401 without a valid bearer token, 403 without `catalog-videos` (or `catalog-admin`).
async fn admin(state: &QueryState, headers: &HeaderMap) -> Result<(), Problem> {
    let principal = codeflix_http::auth::authenticate(&state.verifier, headers).await?;
    codeflix_http::auth::require(&principal, Role::Videos)
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
    let (id, video) = state
        .one_video(&headers, &id, pairs, |v| !v.deleted)
        .await?;
    let video = video.ok_or_else(|| Problem::not_found(format!("no video {id}")))?;
    let names = Names::for_admins(
        state
            .catalog
            .load(&Names::wanted([&video]))
            .await
            .map_err(unavailable)?,
    );
    Ok(cached(&headers, &names.admin_video(video)))
}
