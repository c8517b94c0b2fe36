//! The contract every [`SearchReads`] adapter keeps: tantivy always, Elasticsearch when
//! `CODEFLIX_TEST_ELASTICSEARCH_URL` is set. [`run`] takes an empty index.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{SearchQuery, SearchReads};
use crate::store::conformance::{catalog, positions_only_move_forward};
use crate::store::{Changes, DocStore, VideoFilter};
use crate::views::{Doc, DocKey, DocKind, VideoView};

fn video(n: u128, title: &str, description: &str) -> VideoView {
    VideoView {
        id: Uuid::from_u128(0x5ea4c4 << 64 | n),
        title: title.to_owned(),
        description: description.to_owned(),
        launch_year: 2001,
        duration_minutes: 100,
        rating: "12".to_owned(),
        opened: false,
        published: true,
        deleted: false,
        categories: Vec::new(),
        genres: Vec::new(),
        cast_members: Vec::new(),
        media: Vec::new(),
        version: 3,
        created_at: "2026-01-01T00:00:00.000000Z".to_owned(),
        updated_at: "2026-01-01T00:00:00.000000Z".to_owned(),
    }
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        filter: VideoFilter::default(),
        limit: 20,
        offset: 0,
    }
}

async fn commit<S: SearchReads + DocStore>(index: &S, videos: Vec<VideoView>) {
    index
        .commit(Changes {
            docs: videos.into_iter().map(Doc::Video).collect(),
            positions: Vec::new(),
        })
        .await
        .expect("commit");
}

/// Runs the whole contract against an empty index.
pub async fn run<S: SearchReads + DocStore>(index: &S) {
    let galaxy = video(1, "Galaxy Quest", "A comedy about actors in space.");
    let mentions = video(2, "Space Comedy", "Not unlike Galaxy Quest, but worse.");
    let hidden = VideoView {
        published: false,
        ..video(3, "Galaxy Hidden", "unpublished")
    };
    let gone = VideoView {
        deleted: true,
        ..video(4, "Galaxy Gone", "deleted")
    };
    commit(index, vec![galaxy.clone(), mentions.clone(), hidden, gone]).await;

    let found = index.search(&query("galaxy")).await.expect("search");
    let ids: Vec<Uuid> = found.hits.iter().map(|h| h.video.id).collect();
    assert_eq!(
        ids,
        vec![galaxy.id, mentions.id],
        "a title match ranks above a description match; unpublished and deleted videos never show"
    );
    assert_eq!(found.total, 2);
    assert!(
        found.hits[0].title_html.contains("<b>Galaxy</b>"),
        "{:?}",
        found.hits[0].title_html
    );
    assert!(
        found.hits[1].description_html.contains("<b>Galaxy</b>"),
        "{:?}",
        found.hits[1].description_html
    );

    let typo = index.search(&query("galxy")).await.expect("search");
    assert_eq!(
        typo.hits.first().map(|h| h.video.id),
        Some(galaxy.id),
        "one typo still finds the title"
    );
    assert!(
        index
            .search(&query("zzzzqqqq"))
            .await
            .expect("search")
            .hits
            .is_empty(),
        "nothing matches nonsense"
    );

    // An older version never replaces a newer one.
    let older = VideoView {
        title: "Old Title".to_owned(),
        version: 2,
        ..galaxy.clone()
    };
    commit(index, vec![older]).await;
    assert_eq!(
        index
            .load(&[DocKey {
                kind: DocKind::Video,
                id: galaxy.id
            }])
            .await
            .expect("load"),
        vec![Doc::Video(galaxy.clone())]
    );

    // Facets and filters agree with the catalog they index.
    let generated: Vec<VideoView> = catalog(11)
        .into_iter()
        .filter_map(|doc| match doc {
            Doc::Video(v) => Some(v),
            _ => None,
        })
        .collect();
    commit(index, generated.clone()).await;
    let mut visible: Vec<VideoView> = generated
        .into_iter()
        .filter(|v| v.published && !v.deleted)
        .collect();
    visible.push(galaxy.clone());
    visible.push(mentions.clone());
    let all = SearchQuery {
        limit: 500,
        ..query("")
    };
    let browse = index.search(&all).await.expect("search");
    assert_eq!(
        browse.total,
        visible.len(),
        "an empty query browses every visible video"
    );
    let mut by_category: BTreeMap<Uuid, u64> = BTreeMap::new();
    let mut by_year: BTreeMap<u16, u64> = BTreeMap::new();
    for v in &visible {
        for c in &v.categories {
            *by_category.entry(*c).or_default() += 1;
        }
        *by_year.entry(v.launch_year).or_default() += 1;
    }
    assert_eq!(
        browse
            .facets
            .categories
            .iter()
            .copied()
            .collect::<BTreeMap<_, _>>(),
        by_category
    );
    assert_eq!(
        browse
            .facets
            .launch_years
            .iter()
            .copied()
            .collect::<BTreeMap<_, _>>(),
        by_year
    );
    let (category, count) = by_category
        .iter()
        .next()
        .map(|(c, n)| (*c, *n))
        .expect("the generated catalog has categories");
    let filtered = index
        .search(&SearchQuery {
            filter: VideoFilter {
                category: Some(category),
                ..VideoFilter::default()
            },
            ..all.clone()
        })
        .await
        .expect("search");
    assert_eq!(filtered.total as u64, count);
    assert!(
        filtered
            .hits
            .iter()
            .all(|h| h.video.categories.contains(&category))
    );
    let paged = index
        .search(&SearchQuery {
            limit: 5,
            offset: 5,
            ..all.clone()
        })
        .await
        .expect("search");
    assert_eq!(
        paged.hits.iter().map(|h| h.video.id).collect::<Vec<_>>(),
        browse.hits[5..10]
            .iter()
            .map(|h| h.video.id)
            .collect::<Vec<_>>(),
        "offset pages through the same order"
    );

    // Positions are kept with the index, under the same rules as in every store.
    positions_only_move_forward(index).await;
}
