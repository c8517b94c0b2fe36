//! The pure half of the Elasticsearch adapter: the documents it writes, the search request it
//! sends and the answers it reads back. No I/O, so every rule is unit-tested here.

use serde_json::{Value, json};
use uuid::Uuid;

use super::super::{Facets, SearchHit, SearchQuery, SearchResults, escape};
use crate::Position;
use crate::store::{StoreError, backend};
use crate::views::VideoView;

/// How many values of each facet a search counts.
pub(super) const FACET_SIZE: usize = 1000;

/// The first item of a bulk answer that failed for another reason than a newer version.
pub(super) fn bulk_failures(answer: &Value) -> Result<(), StoreError> {
    if answer.get("errors") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    let items = answer["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for item in items {
        let Some(result) = item.as_object().and_then(|o| o.values().next()) else {
            continue;
        };
        let status = result["status"].as_u64().unwrap_or(0);
        if status >= 300 && status != 409 {
            return Err(backend(format!(
                "Elasticsearch refused a write ({status}): {}",
                result["error"]
            )));
        }
    }
    Ok(())
}

/// The indexed document of a video: the fields searches and filters use, and the view itself.
pub(super) fn video_source(video: &VideoView) -> Value {
    json!({
        "type": "video",
        "id": video.id,
        "visible": video.visible(),
        "title": video.title,
        "description": video.description,
        "sort_title": video.title.to_lowercase(),
        "categories": video.categories,
        "genres": video.genres,
        "cast_members": video.cast_members,
        "launch_year": video.launch_year,
        "rating": video.rating,
        "doc": video,
    })
}

pub(super) fn position_id(position: &Position) -> String {
    format!("position:{}:{}", position.topic, position.partition)
}

/// The search request for `query`.
pub(super) fn search_request(query: &SearchQuery) -> Value {
    let mut filter = vec![
        json!({ "term": { "type": "video" } }),
        json!({ "term": { "visible": true } }),
    ];
    let f = &query.filter;
    for (field, id) in [
        ("categories", f.category),
        ("genres", f.genre),
        ("cast_members", f.cast_member),
    ] {
        if let Some(id) = id {
            filter.push(json!({ "term": { field: id } }));
        }
    }
    if let Some(year) = f.launch_year {
        filter.push(json!({ "term": { "launch_year": year } }));
    }
    if let Some(rating) = &f.rating {
        filter.push(json!({ "term": { "rating": rating } }));
    }
    let text = crate::search::bounded_text(&query.text);
    let (must, sort) = if text.is_empty() {
        (
            json!({ "match_all": {} }),
            json!([{ "sort_title": "asc" }, { "id": "asc" }]),
        )
    } else {
        (
            json!({ "multi_match": {
                "query": text,
                "fields": ["title^3", "description"],
                "fuzziness": "AUTO",
                // Each typo-tolerant word expands into at most this many terms.
                "max_expansions": 20,
            } }),
            json!(["_score", { "id": "asc" }]),
        )
    };
    let terms = |field: &str| json!({ "terms": { "field": field, "size": FACET_SIZE } });
    json!({
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": true,
        "query": { "bool": { "must": [must], "filter": filter } },
        "sort": sort,
        "_source": ["doc"],
        "highlight": {
            "pre_tags": ["<b>"],
            "post_tags": ["</b>"],
            "encoder": "html",
            "number_of_fragments": 0,
            "fields": { "title": {}, "description": {} },
        },
        "aggs": {
            "categories": terms("categories"),
            "genres": terms("genres"),
            "cast_members": terms("cast_members"),
            "launch_years": terms("launch_year"),
            "ratings": terms("rating"),
        },
    })
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("Elasticsearch answered without {what}"))
}

pub(super) fn video_of(hit: &Value) -> Result<VideoView, StoreError> {
    serde_json::from_value(hit["_source"]["doc"].clone())
        .map_err(|e| StoreError::Corrupt(format!("an indexed video: {e}")))
}

/// A search answer as [`SearchResults`].
pub(super) fn search_results(answer: &Value) -> Result<SearchResults, StoreError> {
    let total = answer["hits"]["total"]["value"]
        .as_u64()
        .ok_or_else(|| corrupt("hits.total.value"))? as usize;
    let mut hits = Vec::new();
    for hit in answer["hits"]["hits"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let video = video_of(hit)?;
        let marked = |field: &str, plain: &str| {
            hit["highlight"][field][0]
                .as_str()
                .map_or_else(|| escape(plain), str::to_owned)
        };
        hits.push(SearchHit {
            title_html: marked("title", &video.title),
            description_html: marked("description", &video.description),
            score: hit["_score"].as_f64().unwrap_or(0.0) as f32,
            video,
        });
    }
    let buckets = |name: &str| -> Vec<(String, u64)> {
        answer["aggregations"][name]["buckets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|b| {
                let key = match &b["key"] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((key, b["doc_count"].as_u64()?))
            })
            .collect()
    };
    let ids = |name: &str| -> Vec<(Uuid, u64)> {
        buckets(name)
            .into_iter()
            .filter_map(|(k, n)| Some((Uuid::parse_str(&k).ok()?, n)))
            .collect()
    };
    Ok(SearchResults {
        total,
        hits,
        facets: Facets {
            categories: ids("categories"),
            genres: ids("genres"),
            cast_members: ids("cast_members"),
            launch_years: buckets("launch_years")
                .into_iter()
                .filter_map(|(k, n)| Some((k.parse().ok()?, n)))
                .collect(),
            ratings: buckets("ratings"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::MAPPING;
    use super::*;
    use crate::store::VideoFilter;
    use crate::views::Doc;
    #[test]
    fn the_mapping_is_strict_and_has_every_field_the_adapter_writes() {
        let mapping: Value = serde_json::from_str(MAPPING).unwrap();
        assert_eq!(mapping["mappings"]["dynamic"], "strict");
        // The query API pages up to offset 10000 with up to 100 hits.
        assert!(mapping["settings"]["max_result_window"].as_u64() >= Some(10_100));
        assert_eq!(
            mapping["settings"]["number_of_shards"], 1,
            "positions rely on one shard"
        );
        let fields = mapping["mappings"]["properties"].as_object().unwrap();
        let video = crate::store::conformance::catalog(1)
            .into_iter()
            .find_map(|d| match d {
                Doc::Video(v) => Some(v),
                _ => None,
            })
            .unwrap();
        for written in video_source(&video).as_object().unwrap().keys() {
            assert!(fields.contains_key(written), "{written} is not mapped");
        }
        for written in ["type", "topic", "partition", "next_offset"] {
            assert!(fields.contains_key(written), "{written} is not mapped");
        }
    }

    #[test]
    fn a_search_filters_to_visible_videos_and_every_filter_given() {
        let category = Uuid::from_u128(7);
        let request = search_request(&SearchQuery {
            text: "  galaxy quest ".into(),
            filter: VideoFilter {
                category: Some(category),
                launch_year: Some(1999),
                rating: Some("12".into()),
                ..VideoFilter::default()
            },
            limit: 5,
            offset: 10,
        });
        assert_eq!(request["from"], 10);
        assert_eq!(request["size"], 5);
        let filter = request["query"]["bool"]["filter"].as_array().unwrap();
        for wanted in [
            json!({ "term": { "visible": true } }),
            json!({ "term": { "categories": category } }),
            json!({ "term": { "launch_year": 1999 } }),
            json!({ "term": { "rating": "12" } }),
        ] {
            assert!(filter.contains(&wanted), "{wanted} missing from {filter:?}");
        }
        let matching = &request["query"]["bool"]["must"][0]["multi_match"];
        assert_eq!(matching["query"], "galaxy quest");
        assert_eq!(matching["fuzziness"], "AUTO");
        assert_eq!(request["sort"][0], "_score");

        let browse = search_request(&SearchQuery {
            text: " ".into(),
            filter: VideoFilter::default(),
            limit: 20,
            offset: 0,
        });
        assert!(
            browse["query"]["bool"]["must"][0]
                .get("match_all")
                .is_some()
        );
        assert_eq!(
            browse["query"]["bool"]["filter"].as_array().unwrap().len(),
            2
        );
    }

    #[test]
    fn an_answer_becomes_hits_with_highlights_and_facets() {
        let video = crate::store::conformance::catalog(2)
            .into_iter()
            .find_map(|d| match d {
                Doc::Video(v) => Some(v),
                _ => None,
            })
            .unwrap();
        let category = Uuid::from_u128(9);
        let answer = json!({
            "hits": {
                "total": { "value": 42, "relation": "eq" },
                "hits": [
                    { "_id": video.id, "_score": 2.5, "_source": { "doc": video },
                      "highlight": { "title": ["<b>The</b> Video"] } },
                    { "_id": video.id, "_score": null, "_source": { "doc": video } },
                ],
            },
            "aggregations": {
                "categories": { "buckets": [{ "key": category.to_string(), "doc_count": 3 },
                                            { "key": "not-a-uuid", "doc_count": 1 }] },
                "genres": { "buckets": [] },
                "cast_members": { "buckets": [] },
                "launch_years": { "buckets": [{ "key": 1999, "doc_count": 2 }] },
                "ratings": { "buckets": [{ "key": "L", "doc_count": 5 }] },
            },
        });
        let results = search_results(&answer).unwrap();
        assert_eq!(results.total, 42);
        assert_eq!(results.hits.len(), 2);
        assert_eq!(results.hits[0].video, video);
        assert_eq!(results.hits[0].title_html, "<b>The</b> Video");
        assert_eq!(results.hits[0].score, 2.5);
        assert_eq!(results.hits[1].title_html, escape(&video.title));
        assert_eq!(results.hits[1].description_html, escape(&video.description));
        assert_eq!(results.facets.categories, vec![(category, 3)]);
        assert_eq!(results.facets.launch_years, vec![(1999, 2)]);
        assert_eq!(results.facets.ratings, vec![("L".to_owned(), 5)]);
        assert!(search_results(&json!({ "hits": {} })).is_err());
    }

    #[test]
    fn a_bulk_fails_only_on_errors_other_than_a_newer_version() {
        assert!(bulk_failures(&json!({ "errors": false, "items": [] })).is_ok());
        let conflict = json!({ "errors": true, "items": [
            { "index": { "status": 201 } },
            { "index": { "status": 409, "error": { "type": "version_conflict_engine_exception" } } },
        ] });
        assert!(bulk_failures(&conflict).is_ok());
        let refused = json!({ "errors": true, "items": [
            { "index": { "status": 409 } },
            { "index": { "status": 400, "error": { "type": "strict_dynamic_mapping_exception" } } },
        ] });
        let error = bulk_failures(&refused).unwrap_err();
        let error = codeflix_domain::Report(&error).to_string();
        assert!(
            error.contains("strict_dynamic_mapping_exception"),
            "{error}"
        );
    }
}
